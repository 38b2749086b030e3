"""The protocol side of the switch: one REQUEST in, RESPONSE / EVENTS frames out. Pure (no trio, no I/O).

:class:`SwitchService` wraps the pure ACD model (:class:`tsp.model.Switch`) and knows everything the wire
contract (wire-protocol.md §2-§3) adds on top of it: connections, hLineApp / hLine handles and who owns
them, request IDs, the size rules, the LINE_REPLY completion record, the event fan-out to every
connection that has the session's line open, the control extension and the fault rules (applied at one
point, :meth:`SwitchService.handle`). The trio server only moves the frames it returns.

Where errors go (one rule, documented in docs/server.md):

* *synchronous* (the RESPONSE carries the LINEERR, no request ID is used): everything the TAPI layer can
  check itself - unknown Req_Func or control without ``--control`` (OPERATIONUNAVAIL), no Initialize yet
  (UNINITIALIZED), hLineApp / hLine not owned by this connection (INVALAPPHANDLE / INVALLINEHANDLE),
  agent functions on a line opened below API 2.2 (OPERATIONUNAVAIL), dwRequestID above 0x7FFFFFFF and
  buffer sizes above 0x40000 (INVALPARAM), sizes below the fixed structure (STRUCTURETOOSMALL); and for
  SetAgentSessionState every refusal of the switch (INVALAGENTSTATE, INVALPARAM), as tapi-facts §1.4
  lists INVALAGENTSTATE among its synchronous failures;
* *asynchronous* (RESPONSE = request ID, the LINE_REPLY's Param2 carries the LINEERR): what only the
  agent handler (the switch) can know - unknown agent/session/group/queue, wrong PIN, bad address.

Ordering: the frames of one :meth:`handle` call are returned in the order they must be written. For the
requesting connection the RESPONSE always precedes the EVENTS frame holding its LINE_REPLY.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from typing import Any, Callable, Iterable

import attrs

from protocol import fastpath
from protocol import messages as m
from protocol.constants import (
    API_VERSION_AGENT,
    API_VERSION_MAX,
    API_VERSION_MIN,
    MAX_STRUCT_SIZE,
    AgentSessionStatus,
    LineErr,
    ReqFunc,
)
from protocol.structs import (
    AgentGroupEntry,
    AgentGroupList,
    AgentInfo,
    AgentSessionEntry,
    AgentSessionInfo,
    AgentSessionList,
    QueueInfo,
    encode_handle,
    encode_struct,
    wire_packer,
)
from tsp.batch import EVENTS_BATCH_BYTES, Batch, Outgoing
from tsp.clock import Clock
from tsp.faults import FaultInjector, FaultMode, FaultRule
from tsp.model import SessionEvent, SessionStats, Switch, SwitchError

__all__ = [
    "Outgoing", "Outcome", "PendingAdvance", "SwitchService", "MAX_REQUEST_ID", "MAX_ID_CHARS", "EVENTS_BATCH_BYTES",
]

log = logging.getLogger("tsp.switch")

#: Largest dwRequestID a client may choose (request IDs are positive LONGs).
MAX_REQUEST_ID = 0x7FFFFFFF
#: Longest agent ID and PIN (characters) CreateAgent / CreateAgentSession accept: longer ones complete
#: with LINEERR_INVALAGENTID / LINEERR_INVALPASSWORD (nothing is stored).
MAX_ID_CHARS = 255

_CONTROL_FUNCS = frozenset({ReqFunc.EMU_ADVANCECLOCK, ReqFunc.EMU_OFFERCALL})
_FIRST_CONTROL_FUNC = min(_CONTROL_FUNCS)


@attrs.frozen
class Outcome:
    """What :meth:`SwitchService.handle` produced: frames in write order, and whether the requesting
    connection must be closed (a ``disconnect`` fault) after the frames queued before it."""

    frames: tuple[Outgoing, ...] = ()
    close: bool = False
    #: An EmuAdvanceClock that was accepted but not yet performed (services made with
    #: ``slice_advance=True``): drive it with :meth:`SwitchService.advance_slice` until ``done``, then
    #: send :meth:`SwitchService.finish_advance`'s frames (its RESPONSE).
    advance: PendingAdvance | None = None


@attrs.define(slots=True, eq=False)
class PendingAdvance:
    """An EmuAdvanceClock in progress: complete once the switch has reached ``target`` (switch time)."""

    conn_id: int
    sequence: int
    body: m.EmuAdvanceClock
    target: float
    rule: FaultRule | None  # a drop/delay fault rule for its RESPONSE
    done: bool = False


class _SyncError(Exception):
    """A synchronous failure: the RESPONSE carries ``lineerr``; ``message`` is for the log."""

    def __init__(self, lineerr: LineErr, message: str) -> None:
        super().__init__(message)
        self.lineerr = lineerr
        self.message = message


@attrs.define(slots=True, eq=False)
class _App:
    handle: int
    conn_id: int
    init_context: int
    lines: set[int] = attrs.field(factory=set)


@attrs.define(slots=True, eq=False)
class _Line:
    handle: int
    conn_id: int
    app: _App
    device_id: int
    api_version: int
    open_context: int
    hremote_line: int


@attrs.define(slots=True, eq=False)
class _Conn:
    conn_id: int
    peer: str
    apps: dict[int, _App] = attrs.field(factory=dict)
    lines: dict[int, _Line] = attrs.field(factory=dict)


# Positional constructors of the frozen classes built once per request (attrs' keyword __init__ costs
# several microseconds per request on this path; see protocol/fastpath.py).
_response = fastpath.constructor(m.Response)
_line_reply = fastpath.constructor(m.LineReply, m.LINE_REPLY_FIELDS)
_outcome = fastpath.constructor(Outcome, ("frames", "close"))
_session_status = fastpath.constructor(
    m.AgentSessionStatusEvent, ("init_context", "hdevice", "open_context", "hagent_session", "status", "state")
)
#: Req_Func of each request body class (``int(body.REQ_FUNC)`` without the enum conversion per request).
_REQ_FUNC_OF: dict[type, int] = {cls: int(cls.REQ_FUNC) for cls, _ in m.REQUEST_TYPES.values()}


@attrs.define(slots=True, order=False, eq=False)
class _Delayed:
    """A RESPONSE (sync functions) or LINE_REPLY (async) held back by a ``delay`` fault."""

    due: float
    conn_id: int
    hline: int | None  # LINE_REPLY: dropped if this line is closed before ``due``
    frame: Any  # a Response, or a LineReply record


class SwitchService:
    """Protocol handling for every connection of one emulated switch.

    ``model``: the pure ACD model. ``clock``: only used for EmuAdvanceClock (manual clocks) - all other
    times come in as ``now`` arguments. ``control``: serve the Req_Func 1000+ extension. ``faults``: the
    fault injector (default: the scenario's ``[[faults]]`` seeded from its seed).
    """

    def __init__(
        self,
        model: Switch,
        clock: Clock | None = None,
        *,
        control: bool = False,
        faults: FaultInjector | None = None,
        max_apps: int = 64,
        max_lines: int = 1024,
        max_agents: int = 10_000,
        slice_advance: bool = False,
    ) -> None:
        self.model = model
        self.clock = clock
        self.control = control
        #: Per connection: hLineApps initialized and lines open at once; one more gets RESOURCEUNAVAIL
        #: (each costs the server memory until ShutDown / Close / the connection's end).
        self.max_apps = max_apps
        self.max_lines = max_lines
        #: Agents CreateAgent may add to the switch over the wire (unknown IDs); one more gets a
        #: RESOURCEUNAVAIL RESPONSE. Scenario agents do not count; created agents live as long as the server.
        self.max_agents = max_agents
        self.agents_created = 0
        #: False: EmuAdvanceClock happens within :meth:`handle`. True: :meth:`handle` only accepts it
        #: (``Outcome.advance``) and the caller drives it slice by slice (the server, to stay responsive).
        self.slice_advance = slice_advance
        scenario = model.scenario
        self.faults = faults if faults is not None else FaultInjector(scenario.faults, scenario.switch.seed)
        self._conns: dict[int, _Conn] = {}
        self._apps: dict[int, _App] = {}
        self._lines: dict[int, _Line] = {}
        self._by_device: dict[int, dict[int, _Line]] = {}
        self._conn_ids = itertools.count(1)
        self._handles = itertools.count(1)  # hLineApp and hLine share one never-reused space
        self._request_ids = itertools.count(1)
        self._delayed: list[tuple[float, int, _Delayed]] = []
        self._delay_seq = itertools.count()
        #: Called with every model event (after fan-out); the embedded API and tests may observe them.
        self.event_observers: list[Callable[[SessionEvent], None]] = []

    # --- connections -------------------------------------------------------------------------------

    def open_connection(self, peer: str = "") -> int:
        """Register a new connection; returns its id (never reused)."""
        conn_id = next(self._conn_ids)
        self._conns[conn_id] = _Conn(conn_id, peer)
        return conn_id

    def close_connection(self, conn_id: int) -> None:
        """Forget a connection and everything it holds (apps, lines, event subscriptions, delayed replies)."""
        conn = self._conns.pop(conn_id, None)
        if conn is None:
            return
        for line in list(conn.lines.values()):
            self._drop_line(line)
        for app in conn.apps.values():
            self._apps.pop(app.handle, None)
        if self._delayed:
            self._delayed = [d for d in self._delayed if d[2].conn_id != conn_id]
            heapq.heapify(self._delayed)

    @property
    def connection_ids(self) -> tuple[int, ...]:
        return tuple(self._conns)

    def table_sizes(self) -> dict[str, int]:
        """Sizes of every per-connection table (a leak check: all 0 when no connection is open)."""
        return {
            "connections": len(self._conns),
            "apps": len(self._apps),
            "lines": len(self._lines),
            "devices_watched": sum(1 for d in self._by_device.values() if d),
            "delayed": len(self._delayed),
        }

    def lines_of(self, conn_id: int) -> dict[int, int]:
        """hLine -> device ID of the lines a connection has open (for tests and logs)."""
        conn = self._conns.get(conn_id)
        return {h: ln.device_id for h, ln in conn.lines.items()} if conn else {}

    # --- time --------------------------------------------------------------------------------------

    def next_due(self) -> float | None:
        """Switch time of the next thing that will happen by itself (model event or delayed frame)."""
        due = self.model.next_due()
        if self._delayed:
            d = self._delayed[0][0]
            due = d if due is None else min(due, d)
        return due

    def advance(self, now: float) -> tuple[Outgoing, ...]:
        """Process everything due up to ``now`` in time order; the frames to send."""
        batch = Batch()
        self._advance(now, batch)
        return batch.frames()

    def _advance(self, now: float, batch: Batch) -> float:
        now = max(now, self.model.now)
        while self._delayed and self._delayed[0][0] <= now:
            due, _, item = heapq.heappop(self._delayed)
            self._fan_out(self.model.advance(max(due, self.model.now)), batch)
            self._release(item, batch)
        self._fan_out(self.model.advance(now), batch)
        return now

    def _release(self, item: _Delayed, batch: Batch) -> None:
        conn = self._conns.get(item.conn_id)
        if conn is None:
            return
        if isinstance(item.frame, m.Response):
            batch.response(item.conn_id, item.frame)
        elif item.hline in conn.lines:
            batch.record(item.conn_id, item.frame)
        else:
            log.debug("conn %d: delayed LINE_REPLY %d dropped, its line was closed", item.conn_id, item.frame.request_id)

    def _fan_out(self, events: Iterable[SessionEvent], batch: Batch) -> None:
        for ev in events:
            if ev.status & AgentSessionStatus.STATE:
                log.info("session %d on line %d -> %s", ev.hagent_session, ev.line, ev.state.name)
            else:
                log.debug("session %d on line %d: %s", ev.hagent_session, ev.line, ev.status)
            state = int(ev.state) if ev.status & AgentSessionStatus.STATE else 0
            for line in self._by_device.get(ev.line, {}).values():
                batch.record(
                    line.conn_id,
                    _session_status(
                        line.app.init_context, line.hremote_line, line.open_context, ev.hagent_session, ev.status, state
                    ),
                )
            for observer in self.event_observers:
                observer(ev)

    # --- embedded helpers ------------------------------------------------------------------------------

    def offer_call(self, group_id: Any, talk: float, now: float) -> tuple[int, tuple[Outgoing, ...]]:
        """A call arrives at the group's queue at ``now`` (the embedded twin of EmuOfferCall).

        ``group_id`` may be a UUID, a GUID string or a group name. Returns the call ID and the frames.
        """
        group = self.model.scenario.group(group_id)
        gid = group.id if group is not None else group_id
        batch = Batch()
        now = self._advance(now, batch)
        call_id = self.model.offer_call(gid, talk, now)
        self._fan_out(self.model.take_events(), batch)
        return call_id, batch.frames()

    def advance_clock(self, seconds: float) -> tuple[Outgoing, ...]:
        """Move a manual clock forward and process everything due (the embedded twin of EmuAdvanceClock)."""
        if self.clock is None or not self.clock.manual:
            raise SwitchError(LineErr.OPERATIONUNAVAIL, "only a manual clock can be advanced")
        batch = Batch()
        self._advance(self.clock.advance(seconds), batch)
        return batch.frames()

    # --- requests ----------------------------------------------------------------------------------

    def handle(self, conn_id: int, request: m.Request, now: float) -> Outcome:
        """Handle one REQUEST of connection ``conn_id`` at switch time ``now``."""
        conn = self._conns[conn_id]
        body = request.body
        req_func = _REQ_FUNC_OF.get(body.__class__)
        if req_func is None:
            req_func = body.req_func if isinstance(body, m.RawRequest) else int(body.REQ_FUNC)
        rule = self.faults.decide(req_func)
        if rule is not None and rule.mode is FaultMode.DISCONNECT:
            log.info("conn %d: fault: disconnect instead of answering Req_Func %d", conn_id, req_func)
            return _outcome((), True)
        batch = Batch()
        now = self._advance(now, batch)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("conn %d: t=%.3f %s seq %d %r", conn_id, now, _func_name(req_func), request.sequence, body)
        started = None
        try:
            self._check_common(conn, body, req_func)
            if body.ASYNC:
                self._handle_async(conn, request, now, batch, rule)
            else:
                started = self._handle_sync(conn, request, now, batch, rule)
        except _SyncError as err:
            log.info("conn %d: %s -> %s: %s", conn_id, _func_name(req_func), err.lineerr.name, err.message)
            batch.response(conn_id, m.Response(request.sequence, int(err.lineerr), body))
        # Whatever the request set in motion at ``now`` (e.g. a READY session taking a waiting call).
        self._fan_out(self.model.take_events(), batch)
        if started is not None:
            return Outcome(batch.frames(), False, started)
        return _outcome(batch.frames(), False)

    def session_info_fast(
        self, conn_id: int, sequence: int, params: tuple[int, ...], now: float
    ) -> tuple[tuple[Outgoing, ...], tuple[int, int, bytes, int, int, int]] | None:
        """The fast lane's twin of :meth:`handle` for a GetAgentSessionInfo REQUEST (``params`` = its six
        parameters in field order: request_id, context, h_line, h_agent_session, agent_session_info_context,
        agent_session_info_size), without message objects. :meth:`handle` stays the reference.

        None (nothing done) unless this is the plain case: initialized connection, no fault rule for the
        function, debug logging off, the line open on this connection with API >= 2.2, request ID and
        buffer size valid - everything else (every RESPONSE with a LINEERR) goes through :meth:`handle`.
        Otherwise ``(frames, answer)``: ``frames`` go out first (what the clock advance produced, as
        :meth:`handle` puts them before the answer; reading a session sets nothing in motion);
        ``answer`` = (request ID for the RESPONSE, LINE_REPLY result, LINE_REPLY data, init_context,
        hdevice, open_context)."""
        request_id, _context, h_line, h_session, _struct_context, size = params
        conn = self._conns[conn_id]
        if not conn.apps or log.isEnabledFor(logging.DEBUG):
            return None
        rules = self.faults.rules
        if rules and any(rule.function == _GASI_FUNC for rule in rules):
            return None
        line = conn.lines.get(h_line)
        if line is None or line.api_version < API_VERSION_AGENT or request_id > MAX_REQUEST_ID:
            return None
        if not _ASI_SIZE <= size <= MAX_STRUCT_SIZE:
            return None
        model = self.model
        if self._delayed:
            batch = Batch()
            now = self._advance(now, batch)
        else:  # the model advances inside session_wire_values; its events are fanned out below
            batch = _NO_BATCH
            now = max(now, model.now)
        try:
            data = self._session_info_bytes(h_session, size, now)
            result = 0
        except SwitchError as err:
            log.info("conn %d: %s -> %s (LINE_REPLY): %s", conn_id, "GetAgentSessionInfo", err.lineerr.name, err.message)
            result, data = int(err.lineerr), b""
        if model.has_events():  # from the clock advance (reading a session sets nothing in motion): first out
            if batch is _NO_BATCH:
                batch = Batch()
            self._fan_out(model.take_events(), batch)
        frames = batch.frames() if batch is not _NO_BATCH else ()
        return frames, (request_id or next(self._request_ids), result, data, line.app.init_context, line.hremote_line, line.open_context)

    def _check_common(self, conn: _Conn, body: Any, req_func: int) -> None:
        if conn.apps and req_func < _FIRST_CONTROL_FUNC and type(body) is not m.RawRequest:
            return  # the usual case: an initialized connection calling a TAPI function
        if isinstance(body, m.RawRequest):
            raise _SyncError(LineErr.OPERATIONUNAVAIL, f"Req_Func {req_func} is not implemented")
        if req_func in _CONTROL_FUNCS:
            if not self.control:
                raise _SyncError(LineErr.OPERATIONUNAVAIL, "the control extension is off (start with --control)")
            return
        if req_func != ReqFunc.INITIALIZE and not conn.apps:
            raise _SyncError(LineErr.UNINITIALIZED, "call Initialize first")

    def _line(self, conn: _Conn, hline: int, agent_func: bool = True) -> _Line:
        line = conn.lines.get(hline)
        if line is None:
            other = " (it belongs to another connection)" if hline in self._lines else ""
            raise _SyncError(LineErr.INVALLINEHANDLE, f"hLine {hline} is not open on this connection{other}")
        if agent_func and line.api_version < API_VERSION_AGENT:
            raise _SyncError(
                LineErr.OPERATIONUNAVAIL,
                f"hLine {hline} was opened with API version {line.api_version:#010x}; agent functions need >= 0x00020002",
            )
        return line

    # --- sync functions ----------------------------------------------------------------------------

    def _handle_sync(
        self, conn: _Conn, request: m.Request, now: float, batch: Batch, rule: FaultRule | None
    ) -> PendingAdvance | None:
        """Answer a synchronous request into ``batch``; an EmuAdvanceClock the caller must drive (with
        ``slice_advance``) is returned instead."""
        body = request.body
        if rule is not None and rule.mode is FaultMode.ERROR:
            log.info("conn %d: fault: %s answered with %s", conn.conn_id, type(body).__name__, rule.error.name)
            batch.response(conn.conn_id, m.Response(request.sequence, int(rule.error), body))
            return None
        if type(body) is m.EmuAdvanceClock:
            return self._emu_advance(conn, request, rule, batch)
        handler = _SYNC_HANDLERS[int(body.REQ_FUNC)]
        result, out_body = handler(self, conn, body, now, batch)
        self._answer_sync(conn.conn_id, m.Response(request.sequence, int(result), out_body), rule, now, batch)
        return None

    def _answer_sync(
        self, conn_id: int, response: m.Response, rule: FaultRule | None, now: float, batch: Batch
    ) -> None:
        if rule is None:
            batch.response(conn_id, response)
        elif rule.mode is FaultMode.DROP:
            log.info("conn %d: fault: RESPONSE to %s dropped", conn_id, type(response.body).__name__)
        else:  # delay
            self._hold(now + rule.seconds, conn_id, None, response)

    def _initialize(self, conn: _Conn, body: m.Initialize, now: float, batch: Batch) -> tuple[int, Any]:
        if len(conn.apps) >= self.max_apps:
            raise _SyncError(
                LineErr.RESOURCEUNAVAIL,
                f"this connection already has {len(conn.apps)} hLineApps initialized (max {self.max_apps});"
                " ShutDown one first",
            )
        app = _App(next(self._handles), conn.conn_id, body.init_context)
        conn.apps[app.handle] = app
        self._apps[app.handle] = app
        return 0, attrs.evolve(body, h_line_app=app.handle, num_devs=self.model.lines)

    def _app(self, conn: _Conn, happ: int) -> _App:
        app = conn.apps.get(happ)
        if app is None:
            raise _SyncError(LineErr.INVALAPPHANDLE, f"hLineApp {happ} is not initialized on this connection")
        return app

    def _device(self, device_id: int) -> None:
        if not 0 <= device_id < self.model.lines:
            raise _SyncError(LineErr.BADDEVICEID, f"device ID {device_id} does not exist (0..{self.model.lines - 1})")

    def _negotiate(self, conn: _Conn, body: m.NegotiateAPIVersion, now: float, batch: Batch) -> tuple[int, Any]:
        self._app(conn, body.h_line_app)
        self._device(body.device_id)
        low, high = body.api_low_version, body.api_high_version
        if low > high or high < API_VERSION_MIN or low > API_VERSION_MAX:
            raise _SyncError(
                LineErr.INCOMPATIBLEAPIVERSION,
                f"no API version in {low:#010x}..{high:#010x} is supported ({API_VERSION_MIN:#010x}..{API_VERSION_MAX:#010x})",
            )
        version = min(high, API_VERSION_MAX)
        return 0, attrs.evolve(body, api_version=version, extension_id=bytes(len(body.extension_id)))

    def _open(self, conn: _Conn, body: m.Open, now: float, batch: Batch) -> tuple[int, Any]:
        app = self._app(conn, body.h_line_app)
        self._device(body.device_id)
        if not API_VERSION_MIN <= body.api_version <= API_VERSION_MAX:
            raise _SyncError(
                LineErr.INCOMPATIBLEAPIVERSION,
                f"API version {body.api_version:#010x} is outside {API_VERSION_MIN:#010x}..{API_VERSION_MAX:#010x}",
            )
        if len(conn.lines) >= self.max_lines:
            raise _SyncError(
                LineErr.RESOURCEUNAVAIL,
                f"this connection already has {len(conn.lines)} lines open (max {self.max_lines}); Close one first",
            )
        line = _Line(
            next(self._handles), conn.conn_id, app, body.device_id, body.api_version, body.open_context, body.h_remote_line
        )
        conn.lines[line.handle] = line
        app.lines.add(line.handle)
        self._lines[line.handle] = line
        self._by_device.setdefault(line.device_id, {})[line.handle] = line
        log.debug("conn %d: line %d opened on device %d", conn.conn_id, line.handle, line.device_id)
        return 0, attrs.evolve(body, h_line=line.handle)

    def _close(self, conn: _Conn, body: m.Close, now: float, batch: Batch) -> tuple[int, Any]:
        line = self._line(conn, body.h_line, agent_func=False)
        self._drop_line(line)
        return 0, body

    def _shutdown(self, conn: _Conn, body: m.ShutDown, now: float, batch: Batch) -> tuple[int, Any]:
        app = self._app(conn, body.h_line_app)
        for hline in list(app.lines):
            self._drop_line(self._lines[hline])
        del conn.apps[app.handle]
        self._apps.pop(app.handle, None)
        return 0, body

    def _drop_line(self, line: _Line) -> None:
        conn = self._conns.get(line.conn_id)
        if conn is not None:
            conn.lines.pop(line.handle, None)
        line.app.lines.discard(line.handle)
        self._lines.pop(line.handle, None)
        watchers = self._by_device.get(line.device_id)
        if watchers is not None:
            watchers.pop(line.handle, None)
            if not watchers:
                del self._by_device[line.device_id]

    # --- EmuAdvanceClock --------------------------------------------------------------------------

    def _emu_advance(
        self, conn: _Conn, request: m.Request, rule: FaultRule | None, batch: Batch
    ) -> PendingAdvance | None:
        if self.clock is None or not self.clock.manual:
            raise _SyncError(LineErr.OPERATIONUNAVAIL, "EmuAdvanceClock needs the manual clock (--clock manual)")
        body = request.body
        target = self.clock.now() + body.seconds + body.milliseconds / 1000.0
        pending = PendingAdvance(conn.conn_id, request.sequence, body, target, rule)
        if self.slice_advance:
            return pending
        self._slice(pending, None, batch)
        self._finish(pending, batch)
        return None

    def advance_slice(self, pending: PendingAdvance, max_steps: int = 256) -> tuple[Outgoing, ...]:
        """One slice of an EmuAdvanceClock in progress: the switch (and the manual clock with it) moves
        through at most ``max_steps`` due instants (model events, delayed answers) toward
        ``pending.target``; the frames they produced. Sets ``pending.done`` once the target is reached
        (everything due up to and at it has happened); then :meth:`finish_advance` gives its RESPONSE.
        Requests handled between slices see the switch at the instant reached so far."""
        batch = Batch()
        self._slice(pending, max_steps, batch)
        return batch.frames()

    def finish_advance(self, pending: PendingAdvance) -> tuple[Outgoing, ...]:
        """The RESPONSE of a completed EmuAdvanceClock (none when a drop/delay fault rule holds it)."""
        batch = Batch()
        self._finish(pending, batch)
        return batch.frames()

    def _slice(self, pending: PendingAdvance, max_steps: int | None, batch: Batch) -> None:
        target = pending.target
        steps = 0
        while max_steps is None or steps < max_steps:
            due = self.next_due()
            if due is None or due >= target:
                self._advance(target, batch)
                self._move_clock(target)
                pending.done = True
                return
            self._advance(due, batch)
            steps += 1
        self._move_clock(self.model.now)

    def _move_clock(self, switch_time: float) -> None:
        assert self.clock is not None
        ahead = switch_time - self.clock.now()
        if ahead > 0:
            self.clock.advance(ahead)

    def _finish(self, pending: PendingAdvance, batch: Batch) -> None:
        if not pending.done:
            raise ValueError("finish_advance: the advance has not reached its target yet")
        response = _response(pending.sequence, 0, pending.body)
        self._answer_sync(pending.conn_id, response, pending.rule, self.model.now, batch)

    def _emu_offer(self, conn: _Conn, body: m.EmuOfferCall, now: float, batch: Batch) -> tuple[int, Any]:
        try:
            call_id = self.model.offer_call(body.group_id, body.talk_seconds, now)
        except SwitchError as err:
            raise _SyncError(err.lineerr, err.message) from None
        return 0, attrs.evolve(body, call_id=call_id)

    # --- async functions ---------------------------------------------------------------------------

    def _handle_async(self, conn: _Conn, request: m.Request, now: float, batch: Batch, rule: FaultRule | None) -> None:
        body = request.body
        req_func = _REQ_FUNC_OF.get(body.__class__) or int(body.REQ_FUNC)
        line = self._line(conn, body.h_line)
        if not 0 <= body.request_id <= MAX_REQUEST_ID:
            raise _SyncError(LineErr.INVALPARAM, f"dwRequestID {body.request_id:#x} is above 0x7FFFFFFF")
        struct_cls = getattr(body, "STRUCT", None)
        if struct_cls is not None:
            size = body.buffer_size
            if size < struct_cls.FIXED_SIZE:
                raise _SyncError(
                    LineErr.STRUCTURETOOSMALL,
                    f"buffer size {size} is below the {struct_cls.FIXED_SIZE} bytes of {struct_cls.__name__}",
                )
            if size > MAX_STRUCT_SIZE:
                raise _SyncError(LineErr.INVALPARAM, f"buffer size {size:#x} is above {MAX_STRUCT_SIZE:#x}")
        if req_func == ReqFunc.SETAGENTSESSIONSTATE and body.agent_session_state == 0 and body.next_agent_session_state == 0:
            raise _SyncError(LineErr.INVALPARAM, "dwAgentSessionState and dwNextAgentSessionState are both 0")
        if rule is not None and rule.mode is FaultMode.ERROR:
            result, data = int(rule.error), b""
            log.info("conn %d: fault: %s completes with %s", conn.conn_id, type(body).__name__, rule.error.name)
        else:
            try:
                data = _ASYNC_HANDLERS[req_func](self, line, body, now)
                result = 0
            except SwitchError as err:
                if req_func == ReqFunc.SETAGENTSESSIONSTATE:
                    raise _SyncError(err.lineerr, err.message) from None
                log.info("conn %d: %s -> %s (LINE_REPLY): %s", conn.conn_id, type(body).__name__, err.lineerr.name, err.message)
                result, data = int(err.lineerr), b""
        request_id = body.request_id or next(self._request_ids)
        batch.response(conn.conn_id, _response(request.sequence, request_id, body))
        reply = _line_reply(
            line.app.init_context,
            getattr(body, "context", 0),
            line.hremote_line,
            line.open_context,
            request_id,
            result,
            getattr(body, "struct_context", 0),
            data,
        )
        if rule is None or rule.mode is FaultMode.ERROR:
            batch.record(conn.conn_id, reply)
        elif rule.mode is FaultMode.DROP:
            log.info("conn %d: fault: LINE_REPLY of request %d dropped", conn.conn_id, request_id)
        else:
            log.info("conn %d: fault: LINE_REPLY of request %d delayed %gs", conn.conn_id, request_id, rule.seconds)
            self._hold(now + rule.seconds, conn.conn_id, line.handle, reply)

    def _hold(self, due: float, conn_id: int, hline: int | None, frame: Any) -> None:
        item = _Delayed(due, conn_id, hline, frame)
        heapq.heappush(self._delayed, (due, next(self._delay_seq), item))

    def _create_agent(self, line: _Line, body: m.CreateAgent, now: float) -> bytes:
        agent_id, pin = body.agent_id, body.pin
        if len(agent_id) > MAX_ID_CHARS:
            raise SwitchError(
                LineErr.INVALAGENTID, f"the agent ID is {len(agent_id)} characters long (max {MAX_ID_CHARS})"
            )
        if pin is not None and len(pin) > MAX_ID_CHARS:
            raise SwitchError(LineErr.INVALPASSWORD, f"the PIN is {len(pin)} characters long (max {MAX_ID_CHARS})")
        new = bool(agent_id) and self.model.agent_handle(agent_id) is None
        if new and self.agents_created >= self.max_agents:
            raise _SyncError(
                LineErr.RESOURCEUNAVAIL,
                f"{self.agents_created} agents created over the wire already (max {self.max_agents}, --max-agents)",
            )
        handle = self.model.create_agent(agent_id, pin, now)
        if new:
            self.agents_created += 1
            if self.agents_created == self.max_agents:
                log.warning(
                    "%d agents created over the wire: the limit (--max-agents) is reached; CreateAgent with a"
                    " new agent ID now gets LINEERR_RESOURCEUNAVAIL", self.agents_created,
                )
        return encode_handle(handle)

    def _create_session(self, line: _Line, body: m.CreateAgentSession, now: float) -> bytes:
        if body.pin is not None and len(body.pin) > MAX_ID_CHARS:
            raise SwitchError(LineErr.INVALPASSWORD, f"the PIN is {len(body.pin)} characters long (max {MAX_ID_CHARS})")
        handle = self.model.create_session(
            body.h_agent, body.pin, line.device_id, body.working_address_id, body.group_id, now
        )
        return encode_handle(handle)

    def _agent_info(self, line: _Line, body: m.GetAgentInfo, now: float) -> bytes:
        info = self.model.agent_info(body.h_agent, now)
        return encode_struct(
            AgentInfo(
                total_size=body.buffer_size,
                agent_state=info.state,
                next_agent_state=info.next_state,
                measurement_period=info.measurement_period,
                overall_call_rate=info.overall_call_rate,
                number_of_acd_calls=info.number_of_acd_calls,
                number_of_incoming_calls=info.number_of_incoming_calls,
                number_of_outgoing_calls=info.number_of_outgoing_calls,
                total_acd_talk_time=info.total_acd_talk_time,
                total_acd_call_time=info.total_acd_call_time,
                total_acd_wrap_up_time=info.total_acd_wrap_up_time,
            )
        )

    def _session_info(self, line: _Line, body: m.GetAgentSessionInfo, now: float) -> bytes:
        return self._session_info_bytes(body.h_agent_session, body.agent_session_info_size, now)

    def _session_info_bytes(self, hsession: int, total_size: int, now: float) -> bytes:
        """= encode_struct(AgentSessionInfo(total_size=total_size, state=..., ...every statistic)) without
        building the object: the model's figures in wire form (this path and the fast lane's)."""
        return _pack_session_wire(total_size, _ASI_SIZE, _ASI_SIZE, *self.model.session_wire_values(hsession, now))

    def _session_list(self, line: _Line, body: m.GetAgentSessionList, now: float) -> bytes:
        entries = [
            AgentSessionEntry(e.hagent_session, e.hagent, e.group_id, e.working_address_id)
            for e in self.model.session_list(body.h_agent)
        ]
        return encode_struct(AgentSessionList.build(entries, body.buffer_size))

    def _queue_info(self, line: _Line, body: m.GetQueueInfo, now: float) -> bytes:
        q = self.model.queue_info(body.queue_id, now)
        return encode_struct(QueueInfo(total_size=body.buffer_size, **attrs.asdict(q, recurse=False)))

    def _group_list(self, line: _Line, body: m.GetGroupList, now: float) -> bytes:
        entries = [AgentGroupEntry(g.group_id, g.name) for g in self.model.group_list()]
        return encode_struct(AgentGroupList.build(entries, body.buffer_size))

    def _set_state(self, line: _Line, body: m.SetAgentSessionState, now: float) -> bytes:
        self.model.set_session_state(body.h_agent_session, body.agent_session_state, body.next_agent_session_state, now)
        return b""


_pack_session_wire = wire_packer(AgentSessionInfo)
_ASI_SIZE = AgentSessionInfo.FIXED_SIZE
# Switch.session_wire_values is packed as it comes: SessionStats' fields are LINEAGENTSESSIONINFO's.
assert tuple(f.name for f in attrs.fields(SessionStats)) == tuple(f.name for f in attrs.fields(AgentSessionInfo)[3:])
_GASI_FUNC = int(ReqFunc.GETAGENTSESSIONINFO)
_NO_BATCH = Batch()  # session_info_fast: "nothing collected" (never filled)

_SYNC_HANDLERS: dict[int, Callable[..., tuple[int, Any]]] = {
    ReqFunc.INITIALIZE: SwitchService._initialize,
    ReqFunc.NEGOTIATEAPIVERSION: SwitchService._negotiate,
    ReqFunc.OPEN: SwitchService._open,
    ReqFunc.CLOSE: SwitchService._close,
    ReqFunc.SHUTDOWN: SwitchService._shutdown,
    ReqFunc.EMU_OFFERCALL: SwitchService._emu_offer,
}

_ASYNC_HANDLERS: dict[int, Callable[..., bytes]] = {
    ReqFunc.CREATEAGENT: SwitchService._create_agent,
    ReqFunc.CREATEAGENTSESSION: SwitchService._create_session,
    ReqFunc.GETAGENTINFO: SwitchService._agent_info,
    ReqFunc.GETAGENTSESSIONINFO: SwitchService._session_info,
    ReqFunc.GETAGENTSESSIONLIST: SwitchService._session_list,
    ReqFunc.GETQUEUEINFO: SwitchService._queue_info,
    ReqFunc.GETGROUPLIST: SwitchService._group_list,
    ReqFunc.SETAGENTSESSIONSTATE: SwitchService._set_state,
}


def _func_name(req_func: int) -> str:
    try:
        return ReqFunc(req_func).name
    except ValueError:
        return f"Req_Func {req_func}"
