"""Fuzz a live server over TCP: each fuzzing session is one connection sending random and mutated
frames; the server's answer is compared with what :func:`fuzz.frames.server_reaction` says it must be.

Invariants checked per session:

* the server answers HELLO with HELLO and every REQUEST with exactly one RESPONSE (same sequence);
* a protocol violation gets ERROR with the code of wire-protocol §1 and nothing after it, then the
  connection is closed; a client's ERROR or EOF closes it quietly;
* nothing hangs (every session ends within ``timeout`` seconds);
* another, long-lived connection (:class:`Sentinel`) keeps being served;
* with an in-process server (:class:`ThreadedEmulator`): the server never crashes and every table a
  connection holds is back to its baseline after each session.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections import Counter
from typing import Any, Callable

import trio

from fuzz.frames import Reaction, server_reaction, split_frames
from protocol import codec
from protocol import messages as m
from protocol.connection import CLOSED, NEED_DATA, Connection, Role
from protocol.constants import FrameKind
from tsp.scenario import parse_scenario
from tsp.server import ServerConfig

__all__ = ["FUZZ_SCENARIO", "ThreadedEmulator", "Sentinel", "run_session", "check_session"]

SALES = uuid.UUID("5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b")

#: No random traffic (the fuzzer's EmuAdvanceClock may jump years), two lines, one READY session.
FUZZ_SCENARIO = f"""
[switch]
lines = 2
seed = 11

[[groups]]
id = "{SALES}"
name = "Sales"
queue = 1

[[agents]]
id = "anna"
pin = "1234"
answer_delay = 1
wrapup = 2

[[agents.sessions]]
group = "Sales"
line = 0
state = "READY"
"""


class ThreadedEmulator:
    """An embedded emulator (manual clock, control on) running in its own thread with its own trio loop,
    so that a synchronous fuzzer can drive it over real sockets and still read its tables."""

    def __init__(self, config: ServerConfig | None = None) -> None:
        self.config = config or ServerConfig(control=True, read_timeout=5.0)
        self.address: tuple[str, int] = ("", 0)
        self.error: BaseException | None = None
        self._emu: Any = None
        self._token: trio.lowlevel.TrioToken | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="fuzz-emulator", daemon=True)

    def __enter__(self) -> ThreadedEmulator:
        self._thread.start()
        if not self._ready.wait(30) or self.error is not None:
            raise RuntimeError(f"the emulator did not start: {self.error!r}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread.is_alive() and self._token is not None:
            try:
                trio.from_thread.run_sync(self._emu.stop, trio_token=self._token)
            except trio.RunFinishedError:
                pass
        self._thread.join(30)

    def _main(self) -> None:
        from tsp.testing import open_emulator

        async def serve() -> None:
            async with open_emulator(parse_scenario(FUZZ_SCENARIO), clock="manual", config=self.config) as emu:
                self._emu = emu
                self._token = trio.lowlevel.current_trio_token()
                assert emu.address is not None
                self.address = emu.address
                self._ready.set()
                await emu.server.wait_stopped()

        try:
            trio.run(serve)
        except BaseException as exc:  # noqa: BLE001 - reported by alive() / __enter__
            self.error = exc
        finally:
            self._ready.set()

    def alive(self) -> bool:
        return self._thread.is_alive() and self.error is None

    def call(self, fn: Callable[[Any], Any]) -> Any:
        """``fn(emulator)`` run inside the server's trio thread (so it sees a consistent state)."""
        if not self.alive():
            raise AssertionError(f"the server crashed: {self.error!r}")
        return trio.from_thread.run_sync(lambda: fn(self._emu), trio_token=self._token)

    def tables(self) -> tuple[int, dict[str, int]]:
        """(connections served, the switch's per-connection table sizes)."""
        return self.call(lambda emu: (emu.server.connection_count, emu.service.table_sizes()))

    def wait_tables(self, expected: tuple[int, dict[str, int]], timeout: float = 10.0) -> None:
        """Wait until the tables equal ``expected`` (connections close asynchronously)."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.tables()
            if got == expected:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"tables not back to {expected} after {timeout} s: {got}")
            time.sleep(0.002)


class Sentinel:
    """A well-behaved long-lived connection with a line open: :meth:`check` must always succeed."""

    def __init__(self, address: tuple[str, int], timeout: float = 10.0) -> None:
        self.timeout = timeout
        self.sock = socket.create_connection(address, timeout=timeout)
        self.proto = Connection(Role.CLIENT)
        self.sock.sendall(self.proto.send(m.Hello(product="sentinel")))
        self._next(m.Hello)
        happ = self._call(m.Initialize(friendly_name="sentinel")).body.h_line_app
        self.hline = self._call(m.Open(h_line_app=happ, device_id=1, api_version=0x00030000)).body.h_line

    def _next(self, kind: type) -> Any:
        deadline = time.monotonic() + self.timeout
        while True:
            event = self.proto.next_event()
            if isinstance(event, kind):
                return event
            if event is CLOSED:
                raise AssertionError("the server closed the sentinel connection")
            if event is NEED_DATA:
                if time.monotonic() > deadline:
                    raise AssertionError(f"the sentinel got no {kind.__name__} within {self.timeout} s")
                self.proto.receive_data(self.sock.recv(65536))

    def _call(self, body: Any) -> m.Response:
        seq = self.proto.next_sequence()
        self.sock.sendall(self.proto.send(m.Request(seq, body)))
        response = self._next(m.Response)
        assert response.sequence == seq, response
        if body.ASYNC:
            assert 1 <= response.result <= 0x7FFFFFFF, f"no request ID: {response}"
        else:
            assert response.result == 0, response
        return response

    def check(self) -> None:
        """A GetGroupList round trip (RESPONSE, then its LINE_REPLY with the group)."""
        request_id = self._call(m.GetGroupList(h_line=self.hline)).result
        while True:
            events = self._next(m.Events)
            for record in events.records:
                if isinstance(record, m.LineReply) and record.request_id == request_id:
                    assert record.result == 0 and record.value.entries, record
                    return

    def close(self) -> None:
        self.sock.close()


def run_session(address: tuple[str, int], data: bytes, timeout: float = 10.0) -> tuple[bytes, bool]:
    """Send ``data`` on a new connection, then EOF; read until the server closes. Returns what it sent
    and whether the connection ended with a reset (possible when the server closed with our bytes
    still unread - only acceptable after a protocol error)."""
    deadline = time.monotonic() + timeout
    received = bytearray()
    reset = False
    with socket.create_connection(address, timeout=timeout) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            reset = True
        while not reset:
            if time.monotonic() > deadline:
                raise AssertionError(f"the server neither answered nor closed within {timeout} s")
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                reset = True
                break
            except socket.timeout:
                raise AssertionError(f"the server neither answered nor closed within {timeout} s") from None
            if not chunk:
                break
            received += chunk
    return bytes(received), reset


def check_session(
    address: tuple[str, int], pieces: list[bytes], timeout: float = 10.0, *, want: Reaction | None = None
) -> None:
    """One fuzzing session: the server's reaction to ``pieces`` must be the one the protocol demands
    (``want``: the due reaction; by default :func:`server_reaction` of the bytes)."""
    data = b"".join(pieces)
    if want is None:
        want = server_reaction(data, eof=True)
    got, reset = run_session(address, data, timeout)
    frames, rest = split_frames(got)
    kinds = [kind for kind, _, _ in frames]
    for kind in kinds:
        assert kind in (FrameKind.HELLO, FrameKind.RESPONSE, FrameKind.EVENTS, FrameKind.ERROR), kinds
    if frames:
        assert (kinds[0] == FrameKind.HELLO) == want.hello, f"HELLO expected: {want.hello}; got kinds {kinds}"
    assert kinds.count(FrameKind.HELLO) <= 1, kinds
    responses: Counter[int] = Counter(seq for kind, seq, _ in frames if kind == FrameKind.RESPONSE)
    errors = [codec.decode(frame) for kind, _, frame in frames if kind == FrameKind.ERROR]
    if reset:
        # The server closed with our bytes unread: the kernel reset the connection and what it had sent
        # may be cut short. Only allowed when it had to stop early; what did arrive must fit.
        assert want.stops_early, "the connection was reset although the server had to read everything"
        assert not responses - want.responses, f"unexpected RESPONSEs: {dict(responses - want.responses)}"
        assert all(e.code == want.error for e in errors), f"expected ERROR {want.error}, got {errors}"
        return
    assert rest == b"", f"the server's stream ended inside a frame: {rest[:40].hex()}"
    if want.hello:
        assert frames, "no HELLO"
    assert responses == want.responses, (
        f"RESPONSEs by sequence: expected {dict(want.responses)}, got {dict(responses)}")
    if want.error is None:
        assert not errors, f"unexpected ERROR {errors}"
    else:
        assert [e.code for e in errors] == [want.error], f"expected ERROR {want.error.name}, got {errors}"
        assert kinds[-1] == FrameKind.ERROR, f"frames after the ERROR: {kinds}"
