"""``python -m tsp`` as a real process (wire-protocol §6): first stdout line, serving, signals, exit codes."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import pytest

from processes import START_TIMEOUT, first_line, parse_listening, run_tsp, start_tsp, stop
from protocol import messages as m
from protocol.connection import NEED_DATA, Connection, Role
from protocol.constants import LineErr

class Client:
    """A blocking wire client over a real socket (just enough for these tests)."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port), timeout=START_TIMEOUT)
        self.proto = Connection(Role.CLIENT)

    def next_frame(self) -> object:
        while True:
            ev = self.proto.next_event()
            if ev is not NEED_DATA:
                return ev
            self.proto.receive_data(self.sock.recv(65536))

    def hello(self) -> m.Hello:
        self.sock.sendall(self.proto.send(m.Hello(product="cli-test")))
        frame = self.next_frame()
        assert isinstance(frame, m.Hello)
        return frame

    def request(self, body: object) -> m.Response:
        seq = self.proto.next_sequence()
        self.sock.sendall(self.proto.send(m.Request(seq, body)))
        while True:
            frame = self.next_frame()
            if isinstance(frame, m.Response) and frame.sequence == seq:
                return frame

    def close(self) -> None:
        self.sock.close()


def test_port_0_prints_the_address_serves_and_sigterm_exits_0() -> None:
    proc = start_tsp("--port", "0")
    try:
        host, port = parse_listening(first_line(proc))
        assert host == "127.0.0.1" and port > 0
        client = Client(host, port)
        assert client.hello().product
        resp = client.request(m.Initialize(init_context=1))
        assert resp.result == 0 and resp.body.num_devs == 4  # the built-in scenario has 4 lines
        # Without --control the extension is refused.
        assert client.request(m.EmuAdvanceClock(seconds=1)).result == LineErr.OPERATIONUNAVAIL
        code, err = stop(proc, signal.SIGTERM)
        client.close()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, err
    assert "connected from" in err  # one log line per connection


def test_sigint_exits_0_and_manual_clock_with_control() -> None:
    proc = start_tsp("--port", "0", "--clock", "manual", "--control", "--quiet")
    try:
        client = Client(*parse_listening(first_line(proc)))
        client.hello()
        assert client.request(m.EmuAdvanceClock(seconds=5, milliseconds=250)).result == 0
        code, err = stop(proc, signal.SIGINT)
        client.close()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, err
    assert "connected from" not in err  # --quiet


def test_bad_scenario_exits_2_with_one_line_naming_file_key_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[switch]\nlines = 2\ncolour = "blue"\n', encoding="utf-8")
    proc = run_tsp("--port", "0", "--scenario", str(bad))
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert str(bad) in lines[0] and "colour" in lines[0] and ":3" in lines[0]


def test_missing_scenario_file_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    proc = run_tsp("--scenario", str(missing))
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and str(missing) in proc.stderr


@pytest.mark.parametrize(("args", "needle"), [
    (["--port", "70000"], "--port"),
    (["--max-conn", "0"], "--max-conn"),
    (["--max-agents", "-1"], "--max-agents"),
    (["--read-timeout", "nan"], "--read-timeout"),
    (["--clock", "sundial"], "--clock"),
])
def test_bad_option_exits_2_with_one_line_naming_it(args: list[str], needle: str) -> None:
    proc = run_tsp(*args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], proc.stderr


def test_busy_port_exits_1_with_a_reason() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = run_tsp("--port", str(port), "--quiet")
    assert proc.returncode == 1
    assert f"127.0.0.1:{port}" in proc.stderr and proc.stdout == ""


def test_help_lists_every_option() -> None:
    proc = run_tsp("--help")
    assert proc.returncode == 0
    for option in ("--scenario", "--host", "--port", "--clock", "--speed", "--control", "--quiet", "--verbose",
                   "--max-conn", "--read-timeout"):
        assert option in proc.stdout
