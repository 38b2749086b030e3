"""The dispatch table: Req_Func -> what the switch does with the request.

Each row (:class:`Function`) names the request's message class (its declaration in
:mod:`protocol.messages`: Req_Func, fields, sync or async), its handler, and for async functions which
refusals go into the RESPONSE instead of the LINE_REPLY. :class:`tsp.switch.SwitchService` looks the row
up, applies :func:`admit` (the checks every request of that kind gets - the *one* guard predicate, which
the server's fast lane shares) and calls the handler:

* sync handler ``(ctx, conn, body, now) -> body`` - the body echoed in the RESPONSE (with its out
  fields filled); a :class:`SwitchError` becomes the RESPONSE's LINEERR;
* async handler ``(ctx, line, body, now) -> bytes`` - the LINE_REPLY's data; a :class:`SwitchError`
  becomes the LINE_REPLY's result, unless the row lists it in ``sync_errors`` (then the RESPONSE
  carries it and no request ID is used).

Adding a function: its message class in protocol/, one handler here (or in :mod:`tsp.answers` for a
data-returning one) and its row in :data:`TABLE` (docs/extending.md).
"""

from __future__ import annotations

import enum
import logging
from typing import Any, Callable, Protocol

import attrs

from protocol import messages as m
from protocol.constants import API_VERSION_AGENT, API_VERSION_MAX, API_VERSION_MIN, MAX_STRUCT_SIZE, LineErr, ReqFunc
from protocol.structs import encode_handle
from protocol import agent_messages as am
from protocol import call_messages as cm
from tsp import agent_answers, answers, calls
from tsp.clock import Clock
from tsp.errors import SwitchError
from tsp.model import Switch
from tsp.registry import Conn, Line, Registry

__all__ = [
    "Kind", "Function", "TABLE", "FUNCTIONS", "CONTROL_FUNCS", "Context", "admit",
    "MAX_REQUEST_ID", "MAX_ID_CHARS", "ALL_ERRORS",
]

log = logging.getLogger("tsp.switch")

#: Largest dwRequestID a client may choose (request IDs are positive LONGs).
MAX_REQUEST_ID = 0x7FFFFFFF
#: Longest agent ID and PIN (characters) CreateAgent / CreateAgentSession accept: longer ones complete
#: with LINEERR_INVALAGENTID / LINEERR_INVALPASSWORD (nothing is stored).
MAX_ID_CHARS = 255
#: ``sync_errors`` of a function whose every refusal goes into the RESPONSE.
ALL_ERRORS: frozenset[LineErr] = frozenset(LineErr)


class Kind(enum.Enum):
    SYNC = "sync"  # the RESPONSE is the answer
    ASYNC = "async"  # RESPONSE = request ID, the LINE_REPLY is the answer
    ADVANCE = "advance"  # EmuAdvanceClock: driven by the switch (in slices for the server)


class Context(Protocol):
    """What handlers may use (:class:`tsp.switch.SwitchService` provides it)."""

    model: Switch
    registry: Registry
    clock: Clock | None
    control: bool
    max_agents: int
    agents_created: int
    call_info_memo: calls.AnswerMemo
    acd: Any  # tsp.agent_events.AcdEvents

    def drop_line(self, line: Line) -> None: ...


@attrs.frozen
class Function:
    """One row of the dispatch table."""

    body: type
    kind: Kind
    handler: Callable[..., Any] | None
    #: Async functions: the LINEERRs of the handler that go into the RESPONSE (tapi-facts §1.4 lists
    #: them among the function's synchronous failures); all others complete in the LINE_REPLY.
    sync_errors: frozenset[LineErr] = frozenset()
    #: Extra checks of the request's own parameters before anything is done (raise SwitchError).
    check: Callable[[Any], None] | None = None
    #: Async functions not keyed by a 2.2 hLine: ``(ctx, conn, body) -> Line``, the line the request runs
    #: on (raise SwitchError): the TAPI 2.0 family, GetAgentCaps, the call functions (their hCall's line),
    #: MakeCall (any API version). None: the body's ``h_line``, open on this connection with API >= 2.2.
    line_of: Callable[[Any, Conn, Any], Line] | None = None
    #: Async functions whose LINE_REPLY is not the usual one (MakeCall, call-facts §1.2):
    #: ``reply(line, body, request_id, result, data) -> record``.
    reply: Callable[..., Any] | None = None
    #: The fixed size of the structure the function returns (its ``STRUCT``), None without one (derived).
    struct_size: int | None = attrs.field(init=False)

    #: The request's field holding the client's buffer size (derived; with ``struct_size``).
    size_field: str = attrs.field(init=False)
    #: The function's Req_Func, an int (derived from ``body.REQ_FUNC``).
    req_func: int = attrs.field(init=False)

    @struct_size.default
    def _struct_size(self) -> int | None:
        struct_cls = getattr(self.body, "STRUCT", None)
        return None if struct_cls is None else int(struct_cls.FIXED_SIZE)

    @size_field.default
    def _size_field(self) -> str:
        return str(getattr(self.body, "SIZE_FIELD", "buffer_size"))

    @req_func.default
    def _req_func(self) -> int:
        return int(self.body.REQ_FUNC)


# --- sync functions ----------------------------------------------------------------------------------


def initialize(ctx: Context, conn: Conn, body: m.Initialize, now: float) -> Any:
    app = ctx.registry.add_app(conn, body.init_context)
    return attrs.evolve(body, h_line_app=app.handle, num_devs=ctx.model.lines)


def negotiate(ctx: Context, conn: Conn, body: m.NegotiateAPIVersion, now: float) -> Any:
    ctx.registry.app(conn, body.h_line_app)
    ctx.registry.check_device(body.device_id)
    low, high = body.api_low_version, body.api_high_version
    if low > high or high < API_VERSION_MIN or low > API_VERSION_MAX:
        raise SwitchError(
            LineErr.INCOMPATIBLEAPIVERSION,
            f"no API version in {low:#010x}..{high:#010x} is supported ({API_VERSION_MIN:#010x}..{API_VERSION_MAX:#010x})",
        )
    version = min(high, API_VERSION_MAX)
    return attrs.evolve(body, api_version=version, extension_id=bytes(len(body.extension_id)))


def open_line(ctx: Context, conn: Conn, body: m.Open, now: float) -> Any:
    app = ctx.registry.app(conn, body.h_line_app)
    ctx.registry.check_device(body.device_id)
    if not API_VERSION_MIN <= body.api_version <= API_VERSION_MAX:
        raise SwitchError(
            LineErr.INCOMPATIBLEAPIVERSION,
            f"API version {body.api_version:#010x} is outside {API_VERSION_MIN:#010x}..{API_VERSION_MAX:#010x}",
        )
    ctx.acd.watch(body.device_id)  # the device's 2.0 view, if nobody watched it (tsp/agent_events.py)
    line = ctx.registry.add_line(conn, app, body.device_id, body.api_version, body.open_context, body.h_remote_line)
    return attrs.evolve(body, h_line=line.handle)


def close_line(ctx: Context, conn: Conn, body: m.Close, now: float) -> Any:
    ctx.drop_line(ctx.registry.line(conn, body.h_line, agent_func=False))
    return body


def shutdown(ctx: Context, conn: Conn, body: m.ShutDown, now: float) -> Any:
    app = ctx.registry.app(conn, body.h_line_app)
    for hline in list(app.lines):
        ctx.drop_line(conn.lines[hline])
    ctx.registry.drop_app(conn, app)
    return body


def emu_offer_call(ctx: Context, conn: Conn, body: m.EmuOfferCall, now: float) -> Any:
    call_id = ctx.model.offer_call(body.group_id, body.talk_seconds, now)
    return attrs.evolve(body, call_id=call_id)


# --- async functions ---------------------------------------------------------------------------------


def create_agent(ctx: Context, line: Line, body: m.CreateAgent, now: float) -> bytes:
    agent_id, pin = body.agent_id, body.pin
    if len(agent_id) > MAX_ID_CHARS:
        raise SwitchError(LineErr.INVALAGENTID, f"the agent ID is {len(agent_id)} characters long (max {MAX_ID_CHARS})")
    if pin is not None and len(pin) > MAX_ID_CHARS:
        raise SwitchError(LineErr.INVALPASSWORD, f"the PIN is {len(pin)} characters long (max {MAX_ID_CHARS})")
    new = bool(agent_id) and ctx.model.agent_handle(agent_id) is None
    if new and ctx.agents_created >= ctx.max_agents:
        raise SwitchError(
            LineErr.RESOURCEUNAVAIL,
            f"{ctx.agents_created} agents created over the wire already (max {ctx.max_agents}, --max-agents)",
        )
    handle = ctx.model.create_agent(agent_id, pin, now)
    if new:
        ctx.agents_created += 1
        if ctx.agents_created == ctx.max_agents:
            log.warning(
                "%d agents created over the wire: the limit (--max-agents) is reached; CreateAgent with a"
                " new agent ID now gets LINEERR_RESOURCEUNAVAIL", ctx.agents_created,
            )
    return encode_handle(handle)


def create_session(ctx: Context, line: Line, body: m.CreateAgentSession, now: float) -> bytes:
    if body.pin is not None and len(body.pin) > MAX_ID_CHARS:
        raise SwitchError(LineErr.INVALPASSWORD, f"the PIN is {len(body.pin)} characters long (max {MAX_ID_CHARS})")
    handle = ctx.model.create_session(body.h_agent, body.pin, line.device_id, body.working_address_id, body.group_id, now)
    return encode_handle(handle)


def set_session_state(ctx: Context, line: Line, body: m.SetAgentSessionState, now: float) -> bytes:
    ctx.model.set_session_state(body.h_agent_session, body.agent_session_state, body.next_agent_session_state, now)
    return b""


def _check_states(body: m.SetAgentSessionState) -> None:
    if body.agent_session_state == 0 and body.next_agent_session_state == 0:
        raise SwitchError(LineErr.INVALPARAM, "dwAgentSessionState and dwNextAgentSessionState are both 0")


def _check_agent_states(body: Any) -> None:
    if body.agent_state == 0 and body.next_agent_state == 0:
        raise SwitchError(LineErr.INVALPARAM, "dwAgentState and dwNextAgentState are both 0")


# --- the table ---------------------------------------------------------------------------------------

TABLE: tuple[Function, ...] = (
    Function(m.Initialize, Kind.SYNC, initialize),
    Function(m.NegotiateAPIVersion, Kind.SYNC, negotiate),
    Function(m.Open, Kind.SYNC, open_line),
    Function(m.Close, Kind.SYNC, close_line),
    Function(m.ShutDown, Kind.SYNC, shutdown),
    Function(m.CreateAgent, Kind.ASYNC, create_agent, sync_errors=frozenset({LineErr.RESOURCEUNAVAIL})),
    Function(m.CreateAgentSession, Kind.ASYNC, create_session),
    Function(m.GetAgentInfo, Kind.ASYNC, answers.agent_info),
    Function(m.GetAgentSessionInfo, Kind.ASYNC, answers.session_info),
    Function(m.GetAgentSessionList, Kind.ASYNC, answers.session_list),
    Function(m.GetQueueInfo, Kind.ASYNC, answers.queue_info),
    Function(m.GetGroupList, Kind.ASYNC, answers.group_list),
    Function(m.GetQueueList, Kind.ASYNC, answers.queue_list),
    Function(m.SetAgentSessionState, Kind.ASYNC, set_session_state, sync_errors=ALL_ERRORS, check=_check_states),
    Function(m.EmuAdvanceClock, Kind.ADVANCE, None),
    Function(m.EmuOfferCall, Kind.SYNC, emu_offer_call),
    # --- wire-protocol §8 (tsp/agent_answers.py; the TAPI 2.0 view is tsp/agent_view.py) ---------------
    Function(am.SetAgentMeasurementPeriod, Kind.ASYNC, agent_answers.set_agent_measurement_period),
    Function(am.SetQueueMeasurementPeriod, Kind.ASYNC, agent_answers.set_queue_measurement_period),
    Function(am.SetAgentStateEx, Kind.ASYNC, agent_answers.set_agent_state_ex, check=_check_agent_states),
    Function(am.GetAgentActivityList, Kind.ASYNC, agent_answers.get_agent_activity_list, line_of=agent_answers.line_20),
    Function(am.GetAgentCaps, Kind.ASYNC, agent_answers.get_agent_caps, line_of=agent_answers.caps_line),
    Function(am.GetAgentGroupList, Kind.ASYNC, agent_answers.get_agent_group_list, line_of=agent_answers.line_20),
    Function(am.GetAgentStatus, Kind.ASYNC, agent_answers.get_agent_status, line_of=agent_answers.line_20),
    Function(am.SetAgentActivity, Kind.ASYNC, agent_answers.set_agent_activity, line_of=agent_answers.line_20),
    Function(am.SetAgentGroup, Kind.ASYNC, agent_answers.set_agent_group, line_of=agent_answers.line_20),
    Function(am.SetAgentState, Kind.ASYNC, agent_answers.set_agent_state, line_of=agent_answers.line_20,
             check=_check_agent_states),
    # --- wire-protocol §9: calls on the agent's line (tsp/calls.py; every refusal in the RESPONSE) ---
    Function(cm.Answer, Kind.ASYNC, calls.answer, sync_errors=ALL_ERRORS, line_of=calls.call_line),
    Function(cm.BlindTransfer, Kind.ASYNC, calls.blind_transfer, sync_errors=ALL_ERRORS, line_of=calls.call_line),
    Function(cm.DeallocateCall, Kind.SYNC, calls.deallocate_call),
    Function(cm.Drop, Kind.ASYNC, calls.drop, sync_errors=ALL_ERRORS, line_of=calls.call_line),
    Function(cm.GetAddressCaps, Kind.SYNC, calls.get_address_caps),
    Function(cm.GetAddressStatus, Kind.SYNC, calls.get_address_status),
    Function(cm.GetCallInfo, Kind.SYNC, calls.get_call_info),
    Function(cm.GetCallStatus, Kind.SYNC, calls.get_call_status),
    Function(cm.GetDevCaps, Kind.SYNC, calls.get_dev_caps),
    Function(cm.GetLineDevStatus, Kind.SYNC, calls.get_line_dev_status),
    Function(cm.Hold, Kind.ASYNC, calls.hold, sync_errors=ALL_ERRORS, line_of=calls.call_line),
    Function(cm.MakeCall, Kind.ASYNC, calls.make_call, sync_errors=ALL_ERRORS, line_of=calls.any_line,
             reply=calls.make_call_reply),
    Function(cm.Redirect, Kind.ASYNC, calls.redirect, sync_errors=ALL_ERRORS, line_of=calls.call_line),
    Function(cm.UnHold, Kind.ASYNC, calls.unhold, sync_errors=ALL_ERRORS, line_of=calls.call_line),
)

#: Req_Func -> row.
FUNCTIONS: dict[int, Function] = {row.req_func: row for row in TABLE}
#: The control extension (Req_Func 1000+): served only with ``--control``.
CONTROL_FUNCS = frozenset(f for f in FUNCTIONS if f >= ReqFunc.EMU_ADVANCECLOCK)
_FIRST_CONTROL_FUNC = min(CONTROL_FUNCS)
_INITIALIZE = int(ReqFunc.INITIALIZE)
_ASYNC = Kind.ASYNC
_RAW = m.RawRequest


def admit(ctx: Context, conn: Conn, body: Any, req_func: int, row: Function | None) -> Line | None:
    """The checks every request gets before its handler runs, in the order their LINEERRs win: not
    implemented, control off, not initialized; for async functions the hLine (open on this connection,
    API >= 2.2), dwRequestID <= 0x7FFFFFFF, the buffer size (the structure's fixed part .. 0x40000) and
    the row's own ``check``. Raises :class:`SwitchError`; returns the request's line (async functions)."""
    if not (conn.apps and req_func < _FIRST_CONTROL_FUNC and row is not None and type(body) is not _RAW):
        if row is None or isinstance(body, m.RawRequest):
            raise SwitchError(LineErr.OPERATIONUNAVAIL, f"Req_Func {req_func} is not implemented")
        if req_func in CONTROL_FUNCS:
            if not ctx.control:
                raise SwitchError(LineErr.OPERATIONUNAVAIL, "the control extension is off (start with --control)")
        elif req_func != _INITIALIZE and not conn.apps:
            raise SwitchError(LineErr.UNINITIALIZED, "call Initialize first")
    if row.kind is not _ASYNC:
        return None
    if row.line_of is not None:
        line = row.line_of(ctx, conn, body)
    else:
        line = conn.lines.get(body.h_line)
        if line is None or line.api_version < API_VERSION_AGENT:  # the registry says what is wrong
            line = ctx.registry.line(conn, body.h_line)
    if not 0 <= body.request_id <= MAX_REQUEST_ID:
        raise SwitchError(LineErr.INVALPARAM, f"dwRequestID {body.request_id:#x} is above 0x7FFFFFFF")
    fixed = row.struct_size
    if fixed is not None:
        size = getattr(body, row.size_field)
        if size < fixed:
            raise SwitchError(
                LineErr.STRUCTURETOOSMALL, f"buffer size {size} is below the {fixed} bytes of {body.STRUCT.__name__}"
            )
        if size > MAX_STRUCT_SIZE:
            raise SwitchError(LineErr.INVALPARAM, f"buffer size {size:#x} is above {MAX_STRUCT_SIZE:#x}")
    if row.check is not None:
        row.check(body)
    return line
