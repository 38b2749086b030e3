"""The trio server: listeners, one reader and one writer per connection, one driver task. Moves bytes only.

Everything the protocol means is decided by :class:`tsp.switch.SwitchService` (pure) behind one
:class:`tsp.serverconn.ServerConnection` per connection (sans I/O); this module feeds them bytes and
writes what they return, and keeps no copy of the switch's state:

* **reader** (one per connection): bytes -> ``ServerConnection.process`` at the clock's ``now``: HELLO
  is answered, each REQUEST handled and what it produced queued at once (RESPONSE first, then the EVENTS
  with the LINE_REPLY - the same queue, so in that order). A protocol violation queues the ERROR frame
  and ends the connection; nothing else is affected. On plain
  TCP the reader then writes everything one read produced with one non-blocking write itself (no task
  switch); what the socket does not take at once, or anything queued while the writer is busy, is left
  to the writer, so the wire order is always the queue order.
* **writer** (one per connection) drains a bounded outgoing queue. The queue never blocks a producer:
  if a client stops reading and more than ``max_queued_bytes`` pile up, the connection gets ERROR 5 and
  is closed (after ``overflow_grace`` seconds at most) instead of growing the server's memory.
* **driver** (one per server): sleeps until the next due time of the switch (model events, delayed
  replies) in the clock's terms, or until a request that made something due earlier or a clock change
  wakes it, then advances the switch and fans the events out.
* **read timeout** (slowloris): a connection gets ERROR 5 (idle timeout) and is closed when its HELLO
  is not whole ``read_timeout`` seconds after the connect, when it has not initialized an hLineApp
  ``read_timeout`` seconds after its HELLO, or when a frame is not whole ``read_timeout`` seconds after
  its first byte (later bytes of the frame do not restart the clock). A connection with an hLineApp that
  is idle between frames is never cut off (TCP keepalive finds dead peers: first probe after 60 s of
  silence, dead after about two minutes without an answer).
* **global bounds**: ``max_queued_total`` bytes held for all connections together (past it the one
  holding the most is cut off with ERROR 5, see ``tsp/outbox.py``) and ``max_lines_total`` lines open
  on all connections together (one more Open gets LINEERR_RESOURCEUNAVAIL; the switch's registry
  applies it, tsp/registry.py).
* **in-flight cap**: at most ``max_in_flight`` requests of one connection may have an answer held back
  (``delay`` faults); one more is answered at once with LINEERR_RESOURCEUNAVAIL and not performed, so
  a client cannot grow the switch's table of held replies without bound. Close and ShutDown are always
  served (they release held LINE_REPLYs). The switch counts them (tsp/held.py).
* **closing**: once a connection is ending, its last queued frames (e.g. the ERROR) get at most
  ``overflow_grace`` seconds to leave; a peer that does not take them cannot keep the connection alive.
* **TLS** (``ServerConfig.ssl_context``): every accepted TCP stream is wrapped in ``trio.SSLStream``; the
  handshake happens inside the HELLO read timeout.

``serve_stream(stream)`` serves any trio ``Stream`` (a socket or a memory stream in tests).
"""

from __future__ import annotations

import logging
import math
import os
import socket
import ssl
from typing import Any, Iterable

import attrs
import trio

from protocol.connection import Connection, Role
from protocol.constants import ErrorCode
from protocol.errors import LocalProtocolError
from protocol import messages as m
from tsp.clock import Clock
from tsp import advance
from tsp.faults import FaultInjector
from tsp.cdr import CdrWriter
from tsp.model import Switch
from tsp.outbox import Outbox, QueueBudget
from tsp.scenario import Scenario
from tsp.serverconn import FRAMES_PER_TURN, PRODUCT, ServerConnection
from tsp.switch import Outgoing, SwitchService

__all__ = ["ServerConfig", "EmulatorServer", "PRODUCT", "KEEPALIVE", "set_keepalive"]

log = logging.getLogger("tsp.server")

_RECEIVE_SIZE = 65536
#: Reads a connection's reader may make from bytes already waiting, without trio, before it yields to
#: the scheduler (with fewer than FRAMES_PER_TURN frames in them; see EmulatorServer._reader).
DIRECT_READS = 8

#: TCP keepalive of every accepted socket: (idle seconds before the first probe, seconds between probes,
#: unanswered probes before the peer is declared dead). A vanished peer is found in about two minutes.
KEEPALIVE = (60, 10, 6)


def set_keepalive(sock: socket.socket, idle: int = KEEPALIVE[0], interval: int = KEEPALIVE[1], count: int = KEEPALIVE[2]) -> None:
    """Turn TCP keepalive on for ``sock`` with the given timing (where the platform has the knobs), so a
    peer that vanished without a FIN is found even on a connection that only listens for events."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for name, value in (("TCP_KEEPIDLE", idle), ("TCP_KEEPINTVL", interval), ("TCP_KEEPCNT", count)):
        option = getattr(socket, name, None)
        if option is not None:
            sock.setsockopt(socket.IPPROTO_TCP, option, value)


@attrs.frozen
class ServerConfig:
    """Limits and switches of one server (all have CLI flags, see ``python -m tsp --help``)."""

    #: Serve the control extension (Req_Func 1000+).
    control: bool = False
    #: Connections served at once; one more gets ERROR 5 "too many connections" and is closed.
    max_connections: int = 1000
    #: Seconds a connection has for each of: its HELLO (from the connect), its first hLineApp (from its
    #: HELLO), and every frame (from the frame's first byte); a connection that misses one gets ERROR 5.
    read_timeout: float = 30.0
    #: Bytes that may wait in one connection's outgoing queue before it is cut off as a non-reader.
    max_queued_bytes: int = 8 * 1024 * 1024
    #: Bytes the server may hold for all connections together (queued or being written); past it the
    #: connection holding the most is cut off with ERROR 5.
    max_queued_total: int = 256 * 1024 * 1024
    #: Seconds a closing connection (cut off, timed out, protocol error) gets to take its last frames
    #: (the ERROR) before it is closed anyway.
    overflow_grace: float = 2.0
    #: Requests of one connection whose answer the server may hold back at once (``delay`` faults); one
    #: more is answered at once with LINEERR_RESOURCEUNAVAIL and not performed.
    max_in_flight: int = 1000
    #: hLineApps one connection may have initialized at once; one more Initialize gets RESOURCEUNAVAIL.
    max_apps_per_connection: int = 64
    #: Lines one connection may have open at once; one more Open gets RESOURCEUNAVAIL.
    max_lines_per_connection: int = 1024
    #: Agents CreateAgent may create over the wire (unknown agent IDs) while the server runs; one more
    #: gets RESOURCEUNAVAIL. Scenario agents do not count.
    max_agents: int = 10_000
    #: Lines all connections together may have open at once; one more Open gets RESOURCEUNAVAIL.
    max_lines_total: int = 10000
    #: Serve TLS on TCP connections (server side context with the certificate chain loaded); None = plain.
    ssl_context: ssl.SSLContext | None = None
    #: Product name sent in the server's HELLO.
    product: str = PRODUCT

    def __attrs_post_init__(self) -> None:
        if self.max_connections < 1:
            raise ValueError(f"max_connections must be >= 1, got {self.max_connections}")
        if not self.read_timeout > 0:
            raise ValueError(f"read_timeout must be > 0 seconds, got {self.read_timeout}")
        if self.max_in_flight < 1:
            raise ValueError(f"max_in_flight must be >= 1, got {self.max_in_flight}")
        if self.max_apps_per_connection < 1:
            raise ValueError(f"max_apps_per_connection must be >= 1, got {self.max_apps_per_connection}")
        if self.max_lines_per_connection < 1:
            raise ValueError(f"max_lines_per_connection must be >= 1, got {self.max_lines_per_connection}")
        if self.max_agents < 0:
            raise ValueError(f"max_agents must be >= 0, got {self.max_agents}")
        if self.max_queued_bytes < 0x50004:
            raise ValueError(f"max_queued_bytes must hold at least one maximal frame (0x50004), got {self.max_queued_bytes}")
        if self.max_queued_total < 0x50004:
            raise ValueError(f"max_queued_total must hold at least one maximal frame (0x50004), got {self.max_queued_total}")
        if self.max_lines_total < 1:
            raise ValueError(f"max_lines_total must be >= 1, got {self.max_lines_total}")


def _direct_fd(stream: trio.abc.Stream) -> int | None:
    """The socket file descriptor the reader may write to directly (plain TCP only; TLS and in-memory
    streams always go through the writer task)."""
    if isinstance(stream, trio.SocketStream) and hasattr(os, "write") and os.name == "posix":
        try:
            return stream.socket.fileno()
        except OSError:
            return None
    return None


class _Peer:
    """The server side of one connection: its sans-I/O :class:`ServerConnection` and its I/O state."""

    def __init__(self, conn: ServerConnection, name: str, limit: int, budget: QueueBudget | None = None) -> None:
        self.conn = conn
        self.conn_id = conn.conn_id
        self.name = name
        self.proto = conn.proto
        self.outbox = Outbox(limit, budget)
        self.cancel_scope: trio.CancelScope | None = None
        #: Why the connection ended, in words (None while nothing has ended it).
        self.reason: str | None = None
        #: Until its first hLineApp: (trio time by which the next step must have happened, the step);
        #: the step is "HELLO" until the HELLO, then "hLineApp". None once an Initialize succeeded.
        self.setup_deadline: tuple[float, str] | None = None
        #: Trio time by which the frame buffered in part must be complete (inf: none buffered).
        self.frame_deadline = math.inf


class EmulatorServer:
    """One emulated switch served over any number of streams.

    Use ``await nursery.start(server.run)`` (starts the driver; returns when it is running), then
    ``await server.serve_stream(stream)`` for each connection, or ``await nursery.start(server.serve_tcp,
    host, port)`` which returns the bound ``(host, port)``. ``server.stop()`` ends ``run`` and every
    connection started through it.
    """

    def __init__(
        self,
        scenario: Scenario,
        clock: Clock,
        config: ServerConfig = ServerConfig(),
        *,
        faults: FaultInjector | None = None,
        cdr: CdrWriter | None = None,
    ) -> None:
        self.scenario = scenario
        self.clock = clock
        self.config = config
        self.model = Switch(scenario, records=cdr is not None)
        #: Where call detail records go (wire-protocol §9.5; ``--cdr``), or None: after each step of the
        #: switch the server hands the model's finished records to it, at stop the open ones too.
        self.cdr = cdr
        self._cdr_final = False
        self.service = SwitchService(
            self.model, clock, control=config.control, faults=faults,
            max_apps=config.max_apps_per_connection, max_lines=config.max_lines_per_connection,
            max_agents=config.max_agents, max_in_flight=config.max_in_flight,
            max_lines_total=config.max_lines_total, slice_advance=True,
        )
        self._peers: dict[int, _Peer] = {}
        #: Bytes held for all connections together (``max_queued_total``).
        self._budget = QueueBudget(config.max_queued_total)
        self._wake = trio.Event()
        #: The switch time the driver sleeps until (inf: until woken); a request only wakes the driver
        #: when it makes something due earlier than that.
        self._driver_due = math.inf
        self._nursery: trio.Nursery | None = None
        self._stopped = trio.Event()
        self.address: tuple[str, int] | None = None
        #: Answer plain GetAgentSessionInfo, GetQueueInfo and GetAgentInfo REQUESTs from the bytes (the
        #: fast lane of tsp/serverconn.py; same bytes as the general path, which tests compare by
        #: switching this off). For connections made afterwards.
        self.fast_lane = True
        #: Reads the readers made without the scheduler (bytes already waiting on a plain TCP socket).
        self.direct_reads = 0

    # --- lifecycle ---------------------------------------------------------------------------------

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Run the driver (and host connection tasks) until :meth:`stop`."""
        self.clock.start()
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                nursery.start_soon(self._drive)
                task_status.started()
                await self._stopped.wait()
                nursery.cancel_scope.cancel()
        finally:
            self._nursery = None
            self._final_records()

    async def wait_stopped(self) -> None:
        """Return once :meth:`stop` has been called."""
        await self._stopped.wait()

    def stop(self) -> None:
        """Stop accepting, close every connection and end :meth:`run` (idempotent, synchronous)."""
        self._stopped.set()

    @property
    def connection_count(self) -> int:
        return len(self._peers)

    def now(self) -> float:
        """The switch's current time (seconds since the scenario start)."""
        return max(self.clock.now(), self.model.now)

    def queued_bytes(self) -> Iterable[tuple[int, int]]:
        """(conn_id, bytes waiting in its outgoing queue) of every connection that is not closing."""
        return [(p.conn_id, p.outbox.queued) for p in self._peers.values() if not p.outbox.closed]

    def wake(self) -> None:
        """Make the driver recompute its next deadline (after anything that may schedule earlier work)."""
        self._wake.set()

    # --- driver ------------------------------------------------------------------------------------

    async def _drive(self) -> None:
        while True:
            due = self.service.next_due()
            self._driver_due = due if due is not None else math.inf
            deadline = self.clock.deadline(due) if due is not None else math.inf
            with trio.move_on_at(deadline) as scope:
                await self._wake.wait()
            self._wake = trio.Event()
            now = self.clock.now()
            if scope.cancelled_caught and due is not None:
                # The deadline was computed from ``due``: do not let float rounding leave it unprocessed.
                now = max(now, due)
            self.deliver(self.service.advance(now))

    def deliver(self, frames: Iterable[Outgoing]) -> None:
        """Queue frames on their connections (frames for closed connections are dropped)."""
        for out in frames:
            peer = self._peers.get(out.conn_id)
            if peer is not None:
                self._send(peer, out.frame)
        if self.cdr is not None:
            self._take_records()

    # --- call detail records (tsp/cdr.py) ----------------------------------------------------------

    def _take_records(self) -> None:
        """Hand the records of the calls that left the switch to the CDR writer (never blocks)."""
        assert self.cdr is not None
        records = self.model.take_records()
        if records:
            self.cdr.put(records)

    def _final_records(self) -> None:
        """At stop: the last finished records, then those of the calls still in the switch (once)."""
        if self.cdr is None or self._cdr_final:
            return
        self._cdr_final = True
        still_in = self.model.open_records(self.now())  # may first advance the switch to now: calls that
        self._take_records()  # left in that step come before those still in it
        self.cdr.put(still_in)

    def _send(self, peer: _Peer, frame: Any) -> None:
        """Encode ``frame`` for ``peer`` and queue it. Never raises for a frame that cannot be encoded: it
        may run on behalf of another connection (event fan-out), which must not suffer from this one's."""
        if peer.outbox.closed:
            return
        try:
            data = peer.conn.encode(frame)
        except LocalProtocolError:
            log.exception("conn %d: cannot encode %s; not sent", peer.conn_id, type(frame).__name__)
            return
        if peer.setup_deadline is not None and peer.conn.initialized:
            peer.setup_deadline = None  # its first hLineApp: no setup timeout any more
        self._queue(peer, data)

    def _queue(self, peer: _Peer, data: bytes) -> None:
        """Queue encoded bytes for ``peer`` (dropped when its queue is closed; cut off on overflow)."""
        outbox = peer.outbox
        if outbox.closed or outbox.put(data):
            return
        if outbox.overflowed:
            self._overflow(peer)
            return
        # All connections together hold too much: cut off the one holding the most (maybe this one).
        while not outbox.closed:
            victim = max(
                (p for p in self._peers.values() if not p.outbox.closed),
                key=lambda p: p.outbox.held + (len(data) if p is peer else 0),
            )
            self._over_total(victim, victim.outbox.held + (len(data) if victim is peer else 0))
            if victim is not peer and not outbox.put(data):
                if outbox.overflowed:
                    self._overflow(peer)
                    return
                continue
            return

    def _overflow(self, peer: _Peer) -> None:
        limit = self.config.max_queued_bytes
        text = f"client is not reading: more than {limit} bytes queued for it; disconnecting"
        log.warning("conn %d: %s", peer.conn_id, text)
        self._cut_off(peer, f"cut off: not reading (more than {limit} bytes queued for it)", text)

    def _over_total(self, peer: _Peer, held: int) -> None:
        limit = self.config.max_queued_total
        text = (f"the server holds more than {limit} bytes for all clients together and this connection the "
                f"most ({held} bytes); disconnecting")
        log.warning("conn %d: cut off (--max-queued-total): %s", peer.conn_id, text)
        self._cut_off(peer, f"cut off: most bytes queued ({held}) when all clients together passed {limit}", text)

    def _cut_off(self, peer: _Peer, reason: str, text: str) -> None:
        """Drop ``peer``'s queue, queue ERROR 5 ``text`` alone and close it after the grace period at most."""
        peer.reason = reason
        try:
            data = peer.proto.send(m.Error(ErrorCode.IDLE_TIMEOUT, text))
        except LocalProtocolError:
            data = b""
        peer.outbox.replace_with(data)
        if peer.cancel_scope is not None:
            peer.cancel_scope.deadline = min(peer.cancel_scope.deadline, trio.current_time() + self.config.overflow_grace)

    # --- connections -------------------------------------------------------------------------------

    async def serve_stream(self, stream: trio.abc.Stream, peer_name: str = "stream") -> None:
        """Serve one connection until it ends; always closes ``stream``. Never raises for peer errors."""
        if len(self._peers) >= self.config.max_connections:
            log.warning("refused %s: too many connections (max %d)", peer_name, self.config.max_connections)
            await self._refuse(stream)
            return
        conn_id = self.service.open_connection(peer_name)
        conn = ServerConnection(self.service, conn_id, self.config.product, fast_lane=self.fast_lane)
        peer = _Peer(conn, peer_name, self.config.max_queued_bytes, self._budget)
        self._peers[conn_id] = peer
        log.info("conn %d: connected from %s", conn_id, peer_name)
        try:
            with trio.CancelScope() as scope:
                peer.cancel_scope = scope
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._writer, peer, stream)
                    try:
                        await self._reader(peer, stream)
                    finally:
                        peer.outbox.close()
                        # The writer flushes what is queued (e.g. the ERROR) - for a bounded time only.
                        scope.deadline = min(scope.deadline, trio.current_time() + self.config.overflow_grace)
        except Exception:  # never let one connection's failure reach the server's nursery
            log.exception("conn %d: internal error", conn_id)
            peer.reason = "internal error (see the traceback above)"
        finally:
            peer.outbox.close()
            del self._peers[conn_id]
            self.service.close_connection(conn_id)
            with trio.CancelScope(shield=True):
                await trio.aclose_forcefully(stream)
            if peer.reason is None:
                peer.reason = "server stopping" if self._stopped.is_set() else "cancelled by the program embedding the server"
            log.info("conn %d: closed (%s)", conn_id, peer.reason)

    async def _refuse(self, stream: trio.abc.Stream) -> None:
        proto = Connection(Role.SERVER)
        data = proto.send(m.Error(ErrorCode.IDLE_TIMEOUT, f"too many connections (max {self.config.max_connections}); try again later"))
        with trio.move_on_after(self.config.overflow_grace):
            try:
                await stream.send_all(data)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                pass
        await trio.aclose_forcefully(stream)

    async def _writer(self, peer: _Peer, stream: trio.abc.Stream) -> None:
        try:
            while True:
                data = await peer.outbox.get()
                if data is None:
                    return
                peer.outbox.sending = True
                try:
                    await stream.send_all(data)
                finally:
                    peer.outbox.sending = False
                peer.outbox.sent(len(data))
        except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
            if peer.reason is None:
                peer.reason = f"write failed: {exc or type(exc).__name__}"
            peer.outbox.close()
            if peer.cancel_scope is not None:
                peer.cancel_scope.cancel()

    async def _reader(self, peer: _Peer, stream: trio.abc.Stream) -> None:
        conn = peer.conn
        proto = peer.proto
        outbox = peer.outbox
        timeout = self.config.read_timeout
        fd = _direct_fd(stream)
        peer.setup_deadline = (trio.current_time() + timeout, "HELLO")
        # Reads since the last yield to the scheduler (the direct reads) and the frames of the last read (a
        # direct read is tried only after one that brought several: a client with one request at a time
        # never has the next one waiting, and the failed read would cost a syscall).
        reads = last = 0
        mark = conn.frames_in  # frames_in at the last yield
        while not outbox.closed:
            deadline = peer.frame_deadline
            setup = peer.setup_deadline
            if setup is not None and setup[0] < deadline:
                deadline = setup[0]
            data = None
            if last > 1 and fd is not None and reads < DIRECT_READS and conn.frames_in - mark < FRAMES_PER_TURN:
                # Bytes already waiting are read without a trip through the scheduler (trio's receive
                # yields after every successful read); after DIRECT_READS reads or a turn's worth of
                # frames the next read goes through trio, which lets every other task run first.
                try:
                    data = os.read(fd, _RECEIVE_SIZE)
                except OSError:  # BlockingIOError: nothing waiting; anything else: trio reports it below
                    data = None
                if data is not None:
                    reads += 1
                    self.direct_reads += 1
            if data is None:  # the read below goes through trio (and yields)
                reads, mark = 0, conn.frames_in
            try:
                if data is not None:
                    pass
                elif deadline == math.inf:  # established and between frames: never cut off, no cancel scope
                    data = await stream.receive_some(_RECEIVE_SIZE)
                else:
                    with trio.move_on_at(deadline) as scope:
                        data = await stream.receive_some(_RECEIVE_SIZE)
                    if scope.cancelled_caught:
                        text = self._timeout_text(peer)
                        peer.reason = f"timed out: {text}"
                        log.info("conn %d: %s; closing with ERROR 5", peer.conn_id, text)
                        self._send(peer, m.Error(ErrorCode.IDLE_TIMEOUT, text))
                        return
            except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
                peer.reason = f"read failed: {exc or type(exc).__name__}"
                return
            if self._stopped.is_set():  # stop() was called: the connection is being closed, answer nothing
                peer.reason = "server stopping"
                return
            received_at = trio.current_time()
            frames_before = conn.frames_in
            # Everything the frames of this read produce is queued without waking the writer, then
            # written at once: one write per read, like the echo floor, and no task switch for it.
            outbox.deferred = True
            try:
                conn.receive_data(data)
                if not self._process(peer):
                    return
                while conn.advance is not None or conn.more:
                    outbox.flush_deferred()
                    if conn.advance is not None:  # EmuAdvanceClock: in slices; this peer's next frames wait
                        await advance.run(self, conn)
                        received_at = trio.current_time()  # nothing was read during the advance
                    else:  # FRAMES_PER_TURN handled, more buffered: the other connections' turn first
                        await trio.lowlevel.checkpoint()
                    reads, mark = 0, conn.frames_in
                    outbox.deferred = True
                    if not self._process(peer):
                        return
            finally:
                if fd is not None and not outbox.sending and not outbox.closed:
                    self._write_direct(peer, fd)
                outbox.flush_deferred()
            last = conn.frames_in - frames_before
            # A frame must arrive whole within the timeout of its first byte: the clock of a partial frame
            # starts with the read that brought its first byte and is not restarted by later bytes.
            if not proto.buffered:
                peer.frame_deadline = math.inf
            elif peer.frame_deadline == math.inf or conn.frames_in != frames_before:
                peer.frame_deadline = received_at + timeout

    def _timeout_text(self, peer: _Peer) -> str:
        """What a connection whose read deadline passed failed to do, in words (the ERROR 5 text)."""
        timeout = self.config.read_timeout
        now = trio.current_time()
        setup = peer.setup_deadline
        partial = peer.proto.buffered > 0
        if setup is not None and setup[0] <= now:
            if setup[1] == "HELLO":
                text = f"no HELLO within {timeout:g} s of connecting"
            else:
                text = f"no hLineApp initialized within {timeout:g} s of HELLO"
            if partial and setup[1] != "HELLO":
                text += f" (the rest of a frame was still awaited: {peer.proto.buffered} bytes of it came)"
            return text
        return (f"the rest of a frame did not come within {timeout:g} s of its first byte "
                f"({peer.proto.buffered} bytes of it came)")

    def _write_direct(self, peer: _Peer, fd: int) -> None:
        """Write what is queued straight to the socket without blocking; whatever the socket does not take
        at once stays queued for the writer task (which then also takes everything queued after it, so the
        order on the wire is the order of queueing). A reader that blocked here instead would stop reading
        a client that does not read, and the queue limit could never cut that client off."""
        outbox = peer.outbox
        data = outbox.take()
        if not data:
            return
        try:
            sent = os.write(fd, data)
        except BlockingIOError:
            sent = 0
        except OSError:  # broken connection: let the writer's send_all meet and report the error
            sent = 0
        outbox.sent(sent)
        if sent < len(data):
            outbox.give_back(data[sent:])

    def _process(self, peer: _Peer) -> bool:
        """Let the connection handle every complete frame buffered and queue what it produced (in its
        order: frames for this and other connections, bytes for this one); False when it must end."""
        conn = peer.conn
        hellos = conn.hellos
        alive = conn.process(self.clock.now)
        if peer.setup_deadline is not None:
            if conn.initialized:  # its first hLineApp: no setup timeout any more
                peer.setup_deadline = None
            elif conn.hellos != hellos:  # now its first hLineApp is awaited
                peer.setup_deadline = (trio.current_time() + self.config.read_timeout, "hLineApp")
        data, others = conn.take_output()
        if data:  # everything this read produced for this connection: one queue entry
            self._queue(peer, data)
        peers = self._peers
        for item in others:
            target = peers.get(item.conn_id)
            if target is not None:
                self._send(target, item.frame)
        if self.cdr is not None:
            self._take_records()
        due = self.service.next_due()
        if due is not None and due < self._driver_due:
            self.wake()
        if not alive and peer.reason is None:
            peer.reason = conn.reason
        return alive

    # --- TCP ---------------------------------------------------------------------------------------

    async def serve_tcp(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        task_status: trio.TaskStatus[tuple[str, int]] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Listen on ``host:port`` (0 = a free port) and serve every connection until :meth:`stop`.

        Also runs the driver, so this is all a standalone server needs. ``task_status.started`` gets the
        bound ``(host, port)``.
        """
        listeners = await trio.open_tcp_listeners(port, host=host)
        if self.config.ssl_context is not None:
            log.info("TLS on: every connection must complete a TLS handshake first")
        try:
            sockname = listeners[0].socket.getsockname()
            self.address = (sockname[0], sockname[1])
            async with trio.open_nursery() as nursery:
                await nursery.start(self.run)
                assert self._nursery is not None
                nursery.start_soon(self._accept_all, listeners, self._nursery)
                task_status.started(self.address)
                await self._stopped.wait()
                nursery.cancel_scope.cancel()
        finally:
            for listener in listeners:
                with trio.CancelScope(shield=True):
                    await trio.aclose_forcefully(listener)

    async def _accept_all(self, listeners: list[trio.SocketListener], handlers: trio.Nursery) -> None:
        async with trio.open_nursery() as nursery:
            for listener in listeners:
                nursery.start_soon(self._accept, listener, handlers)

    async def _accept(self, listener: trio.SocketListener, handlers: trio.Nursery) -> None:
        while True:
            try:
                stream = await listener.accept()
            except OSError as exc:  # e.g. EMFILE: back off instead of spinning
                log.warning("accept failed: %s", exc)
                await trio.sleep(0.1)
                continue
            try:
                set_keepalive(stream.socket)  # type: ignore[arg-type]
                peer = stream.socket.getpeername()
                name = f"{peer[0]}:{peer[1]}"
            except OSError:
                name = "tcp"
            served: trio.abc.Stream = stream
            if self.config.ssl_context is not None:
                served = trio.SSLStream(stream, self.config.ssl_context, server_side=True)
            handlers.start_soon(self.serve_stream, served, name)
