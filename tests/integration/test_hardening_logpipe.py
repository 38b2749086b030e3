"""Issue 12 Must 1: ``python -m tsp`` whose stderr is a pipe nobody reads keeps serving and stops on SIGTERM.

This is how many harnesses start a server: ``Popen(..., stdout=PIPE, stderr=PIPE)``, read the first stdout
line, never look at stderr. The pipe holds 64 KiB; every connection logs two lines (connected, closed),
so 1,500 connections write far more than the pipe takes. Before the log queue the server wrote on its
event loop and froze once the pipe was full (after about 300 connections).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys

from processes import REPO, parse_listening
from protocol import messages as m
from protocol.connection import NEED_DATA, Connection, Role

CONNECTIONS = 1500
#: Seconds one connection may take for its HELLO round trip (a frozen server fails the test here).
PER_CONNECTION = 5.0


def hello_round_trip(address: tuple[str, int]) -> None:
    """Connect, send HELLO, wait for the server's HELLO, close (the server logs two lines)."""
    proto = Connection(Role.CLIENT)
    with socket.create_connection(address, timeout=PER_CONNECTION) as sock:
        sock.sendall(proto.send(m.Hello()))
        while True:
            data = sock.recv(4096)
            assert data, "the server closed the connection before its HELLO"
            proto.receive_data(data)
            event = proto.next_event()
            if event is not NEED_DATA:
                assert isinstance(event, m.Hello), event
                return


def test_a_never_read_stderr_pipe_does_not_stop_the_server() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tsp", "--port", "0"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        address = parse_listening(proc.stdout.readline().decode())
        for i in range(CONNECTIONS):
            try:
                hello_round_trip(address)
            except (socket.timeout, OSError) as exc:
                raise AssertionError(f"connection {i + 1} of {CONNECTIONS} was not served: {exc!r}") from None
        proc.send_signal(signal.SIGTERM)
        try:
            status = proc.wait(timeout=10)  # stderr is still never read
        except subprocess.TimeoutExpired:
            raise AssertionError("the server did not stop within 10 s of SIGTERM") from None
        assert status == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
