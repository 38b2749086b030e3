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

import itertools
import logging
from typing import Any, Callable

import attrs

from protocol import fastpath
from protocol import messages as m
from protocol.constants import LineErr, ReqFunc
from tsp import answers, calls, dispatch
from tsp.batch import EVENTS_BATCH_BYTES, Batch, Outgoing
from tsp.clock import Clock
from tsp.dispatch import FUNCTIONS, MAX_ID_CHARS, MAX_REQUEST_ID, Kind, admit
from tsp.errors import SwitchError
from tsp.agent_events import AcdEvents
from tsp.fanout import EventFanOut
from tsp.faults import FaultInjector, FaultMode, FaultRule
from tsp.held import HeldAnswers
from tsp.model import SessionEvent, Switch
from tsp.registry import Line, Registry

__all__ = [
    "Outgoing", "Outcome", "PendingAdvance", "SwitchService", "MAX_REQUEST_ID", "MAX_ID_CHARS", "EVENTS_BATCH_BYTES",
    "SwitchError", "LANE_FUNCS",
]

log = logging.getLogger("tsp.switch")


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


# Positional constructors of the frozen classes built once per request (attrs' keyword __init__ costs
# several microseconds per request on this path; see protocol/fastpath.py).
_response = fastpath.constructor(m.Response)
_line_reply = fastpath.constructor(m.LineReply, m.LINE_REPLY_FIELDS)
_outcome = fastpath.constructor(Outcome, ("frames", "close"))
#: Req_Func of each request body class (``int(body.REQ_FUNC)`` without the enum conversion per request).
_REQ_FUNC_OF: dict[type, int] = {cls: int(cls.REQ_FUNC) for cls, _ in m.REQUEST_TYPES.values()}
_ALWAYS_SERVED = frozenset({int(ReqFunc.CLOSE), int(ReqFunc.SHUTDOWN)})  # they release held answers
_GASI = int(ReqFunc.GETAGENTSESSIONINFO)
_DEBUG = logging.DEBUG
#: Lane functions whose handler's first step is the model's own clock advance to ``now`` (``Switch.
#: session_figures``, ``queue_info``, ``agent_info`` start with ``_advance(now)``) and which set nothing in
#: motion: with no held answer to release on the way, the handler advances the model itself, and every
#: event after it came from that advance (fanned out before the answer, as handle() does).
_ADVANCE_FIRST = frozenset({_GASI, int(ReqFunc.GETQUEUEINFO), int(ReqFunc.GETAGENTINFO)})
#: The functions the server's fast lane answers from the bytes (:meth:`SwitchService.answer_direct`):
#: async getters whose parameters are plain DWORDs and whose LINE_REPLY carries the structure their row's
#: handler makes (no own line rule, check, reply layout or synchronous errors).
LANE_FUNCS: tuple[int, ...] = (_GASI, int(ReqFunc.GETQUEUEINFO), int(ReqFunc.GETAGENTINFO))
for _func in LANE_FUNCS:
    _row = FUNCTIONS[_func]
    if not (_row.kind is Kind.ASYNC and _row.line_of is None and _row.check is None and _row.reply is None
            and not _row.sync_errors and _row.struct_size is not None):
        raise TypeError(f"Req_Func {_func} cannot take the fast lane")


class SwitchService:
    """Protocol handling for every connection of one emulated switch.

    ``model``: the pure ACD model. ``clock``: only used for EmuAdvanceClock (manual clocks) - all other
    times come in as ``now`` arguments. ``control``: serve the Req_Func 1000+ extension. ``faults``: the
    fault injector (default: the scenario's ``[[faults]]`` seeded from its seed). ``max_in_flight``:
    answers one connection may have held back by ``delay`` faults at once (None: no cap); one more
    request is answered at once with LINEERR_RESOURCEUNAVAIL and not performed (Close and ShutDown are
    always served). ``max_lines_total``: lines all connections together may have open (None: no cap).

    Its parts, one job each: :attr:`registry` (connections, hLineApp / hLine handles, tsp/registry.py),
    the dispatch table (Req_Func -> handler, tsp/dispatch.py), :attr:`held` (faults, held answers, the
    in-flight cap, tsp/held.py) and :attr:`fanout` (events to the lines watching, tsp/fanout.py).
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
        max_in_flight: int | None = None,
        max_lines_total: int | None = None,
        slice_advance: bool = False,
    ) -> None:
        self.model = model
        self.clock = clock
        self.control = control
        #: Agents CreateAgent may add to the switch over the wire (unknown IDs); one more gets a
        #: RESOURCEUNAVAIL RESPONSE. Scenario agents do not count; created agents live as long as the server.
        self.max_agents = max_agents
        self.agents_created = 0
        #: False: EmuAdvanceClock happens within :meth:`handle`. True: :meth:`handle` only accepts it
        #: (``Outcome.advance``) and the caller drives it slice by slice (the server, to stay responsive).
        self.slice_advance = slice_advance
        scenario = model.scenario
        if faults is None:
            faults = FaultInjector(scenario.faults, scenario.switch.seed)
        self.registry = Registry(model.lines, max_apps=max_apps, max_lines=max_lines, max_lines_total=max_lines_total)
        self.held = HeldAnswers(faults, max_in_flight)
        self.fanout = EventFanOut(self.registry, model)
        #: The §8 events and the TAPI 2.0 view's baseline (tsp/agent_events.py), fed by the fan-out.
        self.acd = self.fanout.acd = AcdEvents(model, self.registry)
        self._request_ids = itertools.count(1)
        #: GetCallInfo's structures by what they are built from (tsp/calls.py AnswerMemo).
        self.call_info_memo = calls.AnswerMemo()

    # --- the parts' settings, as attributes ----------------------------------------------------------

    @property
    def faults(self) -> FaultInjector:
        return self.held.faults

    @property
    def event_observers(self) -> list[Callable[[SessionEvent], None]]:
        """Called with every model event (after fan-out); the embedded API and tests may observe them."""
        return self.fanout.observers

    @property
    def max_apps(self) -> int:
        """Per connection: hLineApps initialized at once; one more gets RESOURCEUNAVAIL."""
        return self.registry.max_apps

    @max_apps.setter
    def max_apps(self, value: int) -> None:
        self.registry.max_apps = value

    @property
    def max_lines(self) -> int:
        """Per connection: lines open at once; one more gets RESOURCEUNAVAIL."""
        return self.registry.max_lines

    @max_lines.setter
    def max_lines(self, value: int) -> None:
        self.registry.max_lines = value

    # --- connections -------------------------------------------------------------------------------

    def open_connection(self, peer: str = "") -> int:
        """Register a new connection; returns its id (never reused)."""
        return self.registry.open_connection(peer)

    def close_connection(self, conn_id: int) -> None:
        """Forget a connection and everything it holds (apps, lines, event subscriptions, held answers)."""
        if self.registry.close_connection(conn_id):
            self.held.forget(conn_id)

    def drop_line(self, line: Line) -> None:
        """Close ``line``: no more events for it, and its held LINE_REPLYs will never be sent."""
        self.registry.drop_line(line)
        self.held.forget(line.conn_id, line.handle)

    @property
    def connection_ids(self) -> tuple[int, ...]:
        return tuple(self.registry.conns)

    def table_sizes(self) -> dict[str, int]:
        """Sizes of every per-connection table (a leak check: all 0 when no connection is open)."""
        return {**self.registry.sizes(), "delayed": len(self.held)}

    def lines_of(self, conn_id: int) -> dict[int, int]:
        """hLine -> device ID of the lines a connection has open (for tests and logs)."""
        return self.registry.lines_of(conn_id)

    def in_flight(self, conn_id: int) -> int:
        """Answers held back for ``conn_id`` now (counted by the in-flight cap)."""
        return self.held.in_flight(conn_id)

    # --- time --------------------------------------------------------------------------------------

    def next_due(self) -> float | None:
        """Switch time of the next thing that will happen by itself (model event or held answer)."""
        due = self.model.next_due()
        held = self.held.next_due()
        if held is not None:
            due = held if due is None else min(due, held)
        return due

    def advance(self, now: float) -> tuple[Outgoing, ...]:
        """Process everything due up to ``now`` in time order; the frames to send."""
        batch = Batch()
        self._advance(now, batch)
        return batch.frames()

    def _advance(self, now: float, batch: Batch) -> float:
        model, held, fan_out = self.model, self.held, self.fanout.fan_out
        now = max(now, model.now)
        while (item := held.pop_due(now)) is not None:
            fan_out(model.advance(max(item.due, model.now)), batch)
            held.release(item, batch)
        fan_out(model.advance(now), batch)
        return now

    # --- embedded helpers ------------------------------------------------------------------------------

    def offer_call(
        self, group_id: Any, talk: float, now: float, *, patience: float | None = None,
        ani: str | None = None, dnis: str | None = None, uui: str | None = None,
    ) -> tuple[int, tuple[Outgoing, ...]]:
        """A call arrives at the group's queue at ``now`` (the embedded twin of EmuOfferCall).

        ``group_id`` may be a UUID, a GUID string or a group name; ``patience`` (seconds in a queue before
        the caller hangs up, None = forever, wire-protocol §7.3), ``ani``/``dnis``/``uui`` as the scenario's
        ``[[calls]]`` keys (§9.2). Returns the call ID and the frames.
        """
        group = self.model.scenario.group(group_id)
        gid = group.id if group is not None else group_id
        batch = Batch()
        now = self._advance(now, batch)
        call_id = self.model.offer_call(gid, talk, now, patience=patience, ani=ani, dnis=dnis, uui=uui)
        self.fanout.fan_out(self.model.take_events(), batch)
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
        conn = self.registry.conns[conn_id]
        body = request.body
        req_func = _REQ_FUNC_OF.get(body.__class__)
        if req_func is None:
            req_func = body.req_func if isinstance(body, m.RawRequest) else int(body.REQ_FUNC)
        held = self.held
        if held.at_cap(conn_id) and req_func not in _ALWAYS_SERVED:
            log.warning(
                "conn %d: %d answers already held back (max %d); request refused with RESOURCEUNAVAIL",
                conn_id, held.in_flight(conn_id), held.max_in_flight,
            )
            return _outcome((Outgoing(conn_id, _response(request.sequence, int(LineErr.RESOURCEUNAVAIL), body)),), False)
        rule = held.decide(req_func)
        if rule is not None and rule.mode is FaultMode.DISCONNECT:
            log.info("conn %d: fault: disconnect instead of answering Req_Func %d", conn_id, req_func)
            return _outcome((), True)
        batch = Batch()
        now = self._advance(now, batch)
        if log.isEnabledFor(_DEBUG):
            log.debug("conn %d: t=%.3f %s seq %d %r", conn_id, now, _func_name(req_func), request.sequence, body)
        row = FUNCTIONS.get(req_func)
        started = None
        try:
            line = admit(self, conn, body, req_func, row)
            assert row is not None
            if line is not None:
                self._handle_async(line, row, request, now, batch, rule)
            elif rule is not None and rule.mode is FaultMode.ERROR:
                log.info("conn %d: fault: %s answered with %s", conn_id, type(body).__name__, rule.error.name)
                batch.response(conn_id, _response(request.sequence, int(rule.error), body))
            elif row.kind is Kind.ADVANCE:
                started = self._emu_advance(conn_id, request, rule, batch)
            else:
                out_body = row.handler(self, conn, body, now)  # type: ignore[misc]
                held.respond(conn_id, _response(request.sequence, 0, out_body), rule, now, batch)
        except SwitchError as err:
            log.info("conn %d: %s -> %s: %s", conn_id, _func_name(req_func), err.lineerr.name, err.message)
            batch.response(conn_id, _response(request.sequence, int(err.lineerr), body))
        # Whatever the request set in motion at ``now`` (e.g. a READY session taking a waiting call).
        self.fanout.fan_out(self.model.take_events(), batch)
        if started is not None:
            return Outcome(batch.frames(), False, started)
        return _outcome(batch.frames(), False)

    def _handle_async(
        self, line: Line, row: dispatch.Function, request: m.Request, now: float, batch: Batch, rule: FaultRule | None
    ) -> None:
        body = request.body
        conn_id = line.conn_id
        if rule is not None and rule.mode is FaultMode.ERROR:
            result, data = int(rule.error), b""
            log.info("conn %d: fault: %s completes with %s", conn_id, type(body).__name__, rule.error.name)
        else:
            try:
                data = row.handler(self, line, body, now)  # type: ignore[misc]
                result = 0
            except SwitchError as err:
                if err.lineerr in row.sync_errors:
                    raise
                log.info("conn %d: %s -> %s (LINE_REPLY): %s", conn_id, type(body).__name__, err.lineerr.name, err.message)
                result, data = int(err.lineerr), b""
        request_id = body.request_id or next(self._request_ids)
        batch.response(conn_id, _response(request.sequence, request_id, body))
        if row.reply is not None:  # a LINE_REPLY of its own layout (MakeCall)
            self.held.reply(conn_id, line.handle, row.reply(line, body, request_id, result, data), rule, now, batch)
            return
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
        self.held.reply(conn_id, line.handle, reply, rule, now, batch)

    # --- the fast lane's part ------------------------------------------------------------------------

    def answer_direct(self, conn_id: int, row: dispatch.Function, body: Any, now: float) -> tuple[Any, ...] | None:
        """:meth:`handle` for a REQUEST of one of the fast lane's functions (:data:`LANE_FUNCS`: async,
        their LINE_REPLY carries the structure the row's handler makes) in the plain case, without the
        RESPONSE and LINE_REPLY objects (the server's fast lane packs them from the returned values):
        ``direct_answerer(conn_id)(row, body, now)``.

        The plain case: no fault rule for the function, no held answer at the in-flight cap, debug
        logging off, and :func:`tsp.dispatch.admit` - the same guard the general path applies - lets it
        through. None (nothing done) otherwise: :meth:`handle` answers it, with the LINEERR it gets.
        Else ``(before, after, request_id, result, data, init_context, hdevice, open_context)``:
        ``before`` go out first (what the clock advance produced, as :meth:`handle` puts them before the
        answer), ``after`` behind the answer (what the handler set in motion: nothing, for these
        getters); then the request ID for the RESPONSE and the LINE_REPLY's result, data (the row's own
        handler's), init_context, hdevice and open_context."""
        return self.direct_answerer(conn_id)(row, body, now)

    def direct_answerer(self, conn_id: int) -> Callable[[dispatch.Function, Any, float], tuple[Any, ...] | None]:
        """:meth:`answer_direct` for connection ``conn_id`` as a function ``(row, body, now)``, with what
        stays the same between its requests looked up once (the server's fast lane makes one per run of
        lane requests; the guard itself runs for every request). Whether debug logging is on is one of
        those: nothing in a run of requests configures logging."""
        held = self.held
        clear_for = held.clear_for
        debug = log.isEnabledFor(_DEBUG)
        conn = self.registry.conns[conn_id]
        model = self.model
        has_events = model.has_events
        request_ids = self._request_ids
        service = self

        def answer(row: dispatch.Function, body: Any, now: float) -> tuple[Any, ...] | None:
            req_func = row.req_func
            if debug or not clear_for(conn_id, req_func):
                return None
            try:
                line = admit(service, conn, body, req_func, row)
            except SwitchError:
                return None
            batch: Batch | None = None  # what goes out before the answer
            if req_func in _ADVANCE_FIRST and held.empty:
                # the model advances inside the handler; its events are fanned out below, first
                model_now = model.now
                if now < model_now:
                    now = model_now
            else:
                batch = Batch()
                now = service._advance(now, batch)
            try:
                data = row.handler(service, line, body, now)  # type: ignore[misc]
                result = 0
            except SwitchError as err:
                log.info("conn %d: %s -> %s (LINE_REPLY): %s", conn_id, type(body).__name__, err.lineerr.name,
                         err.message)
                result, data = int(err.lineerr), b""
            after: tuple[Outgoing, ...] = ()
            if has_events():
                if batch is None:  # from the clock advance (reading sets nothing in motion): first out
                    batch = Batch()
                    service.fanout.fan_out(model.take_events(), batch)
                else:  # set in motion by the handler: behind the answer, as in handle()
                    later = Batch()
                    service.fanout.fan_out(model.take_events(), later)
                    after = later.frames()
            before: tuple[Outgoing, ...] = batch.frames() if batch is not None else ()
            return (before, after, body.request_id or next(request_ids), result, data, line.app.init_context,
                    line.hremote_line, line.open_context)

        return answer

    # --- EmuAdvanceClock --------------------------------------------------------------------------

    def _emu_advance(self, conn_id: int, request: m.Request, rule: FaultRule | None, batch: Batch) -> PendingAdvance | None:
        if self.clock is None or not self.clock.manual:
            raise SwitchError(LineErr.OPERATIONUNAVAIL, "EmuAdvanceClock needs the manual clock (--clock manual)")
        body = request.body
        target = self.clock.now() + body.seconds + body.milliseconds / 1000.0
        pending = PendingAdvance(conn_id, request.sequence, body, target, rule)
        if self.slice_advance:
            return pending
        self._slice(pending, None, batch)
        self._finish(pending, batch)
        return None

    def advance_slice(self, pending: PendingAdvance, max_steps: int = 256) -> tuple[Outgoing, ...]:
        """One slice of an EmuAdvanceClock in progress: the switch (and the manual clock with it) moves
        through at most ``max_steps`` due instants (model events, held answers) toward
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
        self.held.respond(pending.conn_id, response, pending.rule, self.model.now, batch)


def _func_name(req_func: int) -> str:
    try:
        return ReqFunc(req_func).name
    except ValueError:
        return f"Req_Func {req_func}"
