"""Blocking raw clients for the campaign: :class:`Peer` (one socket and a client-role
:class:`protocol.Connection`, every wait bounded) and :class:`HealthyPoller`, a well-behaved client that
polls the server throughout an attack in its own thread and checks every answer.

These are independent of :mod:`client` on purpose: the campaign must be able to send what no library
would, and must never wait longer than it says.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from typing import Any

from protocol import messages as m
from protocol.connection import CLOSED, NEED_DATA, Connection, Role
from protocol.constants import AgentSessionState
from protocol.errors import ProtocolError

__all__ = ["PeerTimeout", "PeerClosed", "PeerWrong", "Peer", "HealthyPoller", "is_lineerr"]

AGENT_API = 0x00020002


def is_lineerr(result: int) -> bool:
    return result >= 0x80000000


class PeerTimeout(AssertionError):
    """The server neither answered nor closed in time (a hang, from the client's side)."""


class PeerClosed(AssertionError):
    """The server closed the connection (``error``: the ERROR frame it sent first, if any)."""

    def __init__(self, what: str, error: m.Error | None = None) -> None:
        super().__init__(what)
        self.error = error


class PeerWrong(AssertionError):
    """The server sent something the protocol does not allow or a wrong answer."""


class Peer:
    """One connection. ``rcvbuf`` shrinks the socket's receive buffer before connecting (a slow reader
    then leaves its bytes in the server, not in the kernel)."""

    def __init__(self, address: tuple[str, int], timeout: float = 10.0, *, rcvbuf: int | None = None) -> None:
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(address)
        except OSError:
            self.sock.close()
            raise
        self.proto = Connection(Role.CLIENT)
        self.events: list[Any] = []  #: EVENTS records received while waiting for something else
        self.keep_events = True
        self.received = 0  #: bytes received

    # -- bytes -------------------------------------------------------------------------------------
    def send(self, frame: Any) -> int:
        """Encode and send ``frame`` (a Request's sequence must come from ``next_sequence``)."""
        self.sock.sendall(self.proto.send(frame))
        return 0

    def request(self, body: Any) -> int:
        seq = self.proto.next_sequence()
        self.sock.sendall(self.proto.send(m.Request(seq, body)))
        return seq

    def _fill(self, deadline: float) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise PeerTimeout(f"no answer within {self.timeout:g} s")
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(262144)
        except socket.timeout:
            raise PeerTimeout(f"no answer within {self.timeout:g} s") from None
        except (ConnectionResetError, BrokenPipeError) as err:
            raise PeerClosed(f"connection reset: {err}") from None
        self.received += len(data)
        self.proto.receive_data(data)

    def next_event(self, deadline: float | None = None) -> Any:
        """The next frame (or record batch) from the server; PeerClosed on ERROR or close."""
        deadline = time.monotonic() + self.timeout if deadline is None else deadline
        while True:
            try:
                event = self.proto.next_event()
            except ProtocolError as err:
                raise PeerWrong(f"the server broke the protocol: {err}") from None
            if event is NEED_DATA:
                self._fill(deadline)
                continue
            if event is CLOSED:
                raise PeerClosed("the server closed the connection")
            if isinstance(event, m.Error):
                raise PeerClosed(f"ERROR {int(event.code)} {event.text!r}", event)
            return event

    def expect(self, kind: type, deadline: float | None = None) -> Any:
        deadline = time.monotonic() + self.timeout if deadline is None else deadline
        while True:
            event = self.next_event(deadline)
            if isinstance(event, kind):
                return event
            if isinstance(event, m.Events):
                if self.keep_events:
                    self.events.extend(event.records)
                continue
            raise PeerWrong(f"expected {kind.__name__}, got {event!r:.200}")

    # -- calls -------------------------------------------------------------------------------------
    def hello(self, product: str = "campaign") -> m.Hello:
        self.send(m.Hello(product=product))
        return self.expect(m.Hello)

    def call(self, body: Any) -> m.Response:
        """Send a REQUEST and wait for its RESPONSE (PeerWrong if another sequence answers)."""
        seq = self.request(body)
        response = self.expect(m.Response)
        if response.sequence != seq:
            raise PeerWrong(f"RESPONSE for sequence {response.sequence}, expected {seq}")
        return response

    def reply(self, request_id: int, deadline: float | None = None) -> m.LineReply:
        """Wait for the LINE_REPLY of ``request_id`` (records seen meanwhile go to ``events``)."""
        for i, record in enumerate(self.events):
            if isinstance(record, m.LineReply) and record.request_id == request_id:
                del self.events[i]
                return record
        deadline = time.monotonic() + self.timeout if deadline is None else deadline
        while True:
            event = self.next_event(deadline)
            if isinstance(event, m.Events):
                found = None
                for record in event.records:
                    if found is None and isinstance(record, m.LineReply) and record.request_id == request_id:
                        found = record
                    elif self.keep_events:
                        self.events.append(record)
                if found is not None:
                    return found
            else:
                raise PeerWrong(f"expected the LINE_REPLY of request {request_id}, got {event!r:.200}")

    def outcome(self, body: Any) -> tuple[int, Any]:
        """(result, value) of an asynchronous function: the RESPONSE's LINEERR, or the LINE_REPLY's
        result and decoded value."""
        response = self.call(body)
        if is_lineerr(response.result):
            return response.result, None
        if not 1 <= response.result <= 0x7FFFFFFF:
            raise PeerWrong(f"{type(body).__name__}: RESPONSE result {response.result:#x} is no request ID")
        record = self.reply(response.result)
        return record.result, record.value

    def open_line(self, device: int = 0, name: str = "campaign") -> tuple[int, int]:
        """Initialize and Open ``device``: (hLineApp, hLine)."""
        init = self.call(m.Initialize(friendly_name=name))
        if init.result != 0:
            raise PeerWrong(f"Initialize -> {init.result:#x}")
        opened = self.call(m.Open(h_line_app=init.body.h_line_app, device_id=device, api_version=AGENT_API))
        if opened.result != 0:
            raise PeerWrong(f"Open device {device} -> {opened.result:#x}")
        return init.body.h_line_app, opened.body.h_line

    def drain(self, seconds: float) -> int:
        """Read (and discard) whatever arrives for ``seconds`` or until the server closes; bytes read."""
        deadline = time.monotonic() + seconds
        total = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return total
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(262144)
            except (socket.timeout, OSError):
                return total
            if not data:
                return total
            total += len(data)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class HealthyPoller:
    """A well-behaved client in its own thread: HELLO, Initialize, Open, its own agent and session, then
    round trips (GetAgentSessionInfo, GetAgentSessionList, GetGroupList) every ``interval`` s, each checked:
    the RESPONSE has the request ID, the LINE_REPLY comes with result 0, the session is its own and in a
    valid state, the list holds its session, the group list is the one it saw first.

    A failure is an answer later than ``timeout`` s, a close, or a wrong answer; after one the poller
    starts over on a new connection. ``latencies`` holds the seconds of every good round trip."""

    def __init__(self, address: tuple[str, int], *, interval: float = 0.02, timeout: float = 2.0,
                 device: int = 1) -> None:
        self.address = address
        self.interval = interval
        self.timeout = timeout
        self.device = device
        self.polls = 0
        self.failures: list[str] = []
        self.latencies: list[float] = []
        self._stop = threading.Event()
        self._ready = threading.Event()
        self.counting = True
        self._thread = threading.Thread(target=self._run, name="healthy-poller", daemon=True)
        self._tag = uuid.uuid4().hex[:12]

    def __enter__(self) -> HealthyPoller:
        """Starts polling; returns once the first session is set up (or failed), so the attack that
        follows cannot take the poller's place first."""
        self._thread.start()
        self._ready.wait(self.timeout * 6 + 5)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(self.timeout * 3 + 5)

    def quiet(self) -> None:
        """Stop counting failures (the attack is about to stop the server on purpose)."""
        self.counting = False

    def _fail(self, why: str) -> None:
        if not self.counting:
            return
        self.failures.append(f"{time.strftime('%H:%M:%S')} {why}")

    def _run(self) -> None:
        while not self._stop.is_set():
            peer = None
            try:
                peer = Peer(self.address, self.timeout)
                self._session(peer)
            except (AssertionError, OSError) as err:
                self._ready.set()
                if not self._stop.is_set():
                    self._fail(f"{type(err).__name__}: {err}")
                    self._stop.wait(self.interval)
            finally:
                if peer is not None:
                    peer.close()

    def _session(self, peer: Peer) -> None:
        peer.keep_events = False
        peer.hello("healthy")
        _, hline = peer.open_line(self.device, "healthy")
        result, groups = peer.outcome(m.GetGroupList(h_line=hline, group_list_size=0x4000))
        if result != 0 or not groups.entries:
            raise PeerWrong(f"GetGroupList -> {result:#x} {groups}")
        self._tag = uuid.uuid4().hex[:12]
        result, hagent = peer.outcome(m.CreateAgent(h_line=hline, agent_id=f"healthy-{self._tag}", pin="42"))
        if result != 0:
            raise PeerWrong(f"CreateAgent -> {result:#x}")
        result, hsession = peer.outcome(m.CreateAgentSession(
            h_line=hline, h_agent=hagent, pin="42", working_address_id=0, group_id=groups.entries[0].group_id))
        if result != 0:
            raise PeerWrong(f"CreateAgentSession -> {result:#x}")
        states = {int(s) for s in AgentSessionState}
        checks = (
            (m.GetAgentSessionInfo(h_line=hline, h_agent_session=hsession, agent_session_info_size=76),
             lambda v: v.total_size == 76 and int(v.state) in states),
            (m.GetAgentSessionList(h_line=hline, h_agent=hagent, session_list_size=0x1000),
             lambda v: any(e.hagent_session == hsession and e.hagent == hagent for e in v.entries)),
            (m.GetGroupList(h_line=hline, group_list_size=0x4000),
             lambda v: v.entries == groups.entries),
        )
        i = 0
        self._ready.set()
        while not self._stop.is_set():
            body, good = checks[i % len(checks)]
            i += 1
            start = time.monotonic()
            result, value = peer.outcome(body)
            took = time.monotonic() - start
            self.polls += 1
            if result != 0 or value is None or not good(value):
                raise PeerWrong(f"{type(body).__name__} -> {result:#x} {value!r:.200}")
            if took > self.timeout and self.counting:  # came, but too late
                self._fail(f"{type(body).__name__} answered after {took:.2f} s")
            else:
                self.latencies.append(took)
            self._stop.wait(self.interval)

    def p99_ms(self) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
