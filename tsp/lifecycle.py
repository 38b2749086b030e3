"""The agent-session lifecycle as data: (state, trigger) -> (next state, LINEAGENTSESSIONSTATUS_ bits).

:data:`TABLE` is the one statement of which state changes exist and which event each one produces
(wire-protocol §2 "Agents and sessions", §4 "ACD semantics"). :class:`tsp.model.Switch` makes every
session state change by looking its (current state, trigger) up here (each trigger's rows bound once,
:func:`rows`; :func:`step` for one pair): a pair not in the table is a model bug and raises ``KeyError``.
``tests/unit/test_lifecycle_table.py`` drives the model with random operations and checks every event it
emits against the same table, and that every row is reachable; docs/scenarios.md "The session
lifecycle" is :func:`render_table`'s output (a test compares).

States are the LINEAGENTSESSIONSTATE_ values (``protocol.constants`` holds the TAPI vocabulary: names and
numbers of states, status bits and LINEERRs, no wire layout); ``NEW`` stands for "no session yet".
``PENDING`` as the next state means: the session's stored next state (set by SetAgentSessionState while
busy, see :func:`tsp.model.plan_state_request`), READY if none is stored; it is cleared on the way.

Bits are combined when things happen at the same instant in one step. A session that becomes READY while
calls wait in its group takes the oldest one at once: its READY row is followed by an OFFER (or
OFFER_ANSWERED) row. ``state`` in each event is the session's state after the row; the server puts it
in Param3 only when the STATE bit is set. Requests that change nothing (READY while READY) and requests
while BUSYONCALL/BUSYWRAPUP (stored as the next state) have no row and emit nothing.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

from protocol.constants import AgentSessionState, AgentSessionStatus
from tsp.values import CallEnd, CallState

__all__ = [
    "CALL_TABLE", "CallStep", "CallTrigger", "call_step", "render_call_table",
    "NEW", "PENDING", "REQUESTABLE", "TABLE", "Transition", "Trigger", "render_table", "request_trigger", "rows",
    "step",
]

NOTREADY = AgentSessionState.NOTREADY
READY = AgentSessionState.READY
BUSYONCALL = AgentSessionState.BUSYONCALL
BUSYWRAPUP = AgentSessionState.BUSYWRAPUP
ENDED = AgentSessionState.ENDED

NEW = None  #: the "state" of a session that does not exist yet
PENDING = "PENDING"  #: next state = the stored next state, READY if none

_NEW = AgentSessionStatus.NEWSESSION
_STATE = AgentSessionStatus.STATE
_UPD = AgentSessionStatus.UPDATEINFO


class Trigger(enum.Enum):
    """What makes a session change state (the second half of a :data:`TABLE` key)."""

    CREATE = "CreateAgentSession (client) or a scripted NOTREADY session"
    CREATE_READY = "a scripted session created READY"
    REQUEST_NOTREADY = "SetAgentSessionState NOTREADY"
    REQUEST_READY = "SetAgentSessionState READY"
    REQUEST_ENDED = "SetAgentSessionState ENDED"
    OFFER = "a call offered (answer_delay > 0)"
    OFFER_ANSWERED = "a call offered and answered at once (answer_delay = 0)"
    ANSWER = "the agent answers (answer_delay after the offer)"
    HANGUP_TO_WRAPUP = "the call ends, the agent has wrap-up time"
    HANGUP = "the call ends, the agent has no wrap-up time"
    WRAPUP_END = "wrap-up ends"
    RETURN = "the offered call goes back to its queue (ring timeout, or the agent rejects it with Drop)"
    REDIRECT = "the offered call is redirected to another group (Redirect from ringing)"
    NEXT_CHANGED = "only the stored next state changes (a request while busy, or dwNextAgentSessionState alone)"


class Transition(NamedTuple):
    """A :data:`TABLE` row's value: the state after the trigger and the event's status bits."""

    next: AgentSessionState | str  # a state, or PENDING
    bits: AgentSessionStatus


T = Trigger
#: The lifecycle: every state change a session can make. Order = the order of docs/scenarios.md.
TABLE: dict[tuple[AgentSessionState | None, Trigger], Transition] = {
    (NEW, T.CREATE): Transition(NOTREADY, _NEW),
    (NEW, T.CREATE_READY): Transition(READY, _NEW | _STATE),
    (NOTREADY, T.REQUEST_READY): Transition(READY, _STATE),
    (NOTREADY, T.REQUEST_ENDED): Transition(ENDED, _STATE),
    (READY, T.REQUEST_NOTREADY): Transition(NOTREADY, _STATE),
    (READY, T.REQUEST_ENDED): Transition(ENDED, _STATE),
    (READY, T.OFFER): Transition(BUSYONCALL, _STATE),
    (READY, T.OFFER_ANSWERED): Transition(BUSYONCALL, _STATE | _UPD),
    (BUSYONCALL, T.ANSWER): Transition(BUSYONCALL, _UPD),
    (BUSYONCALL, T.HANGUP_TO_WRAPUP): Transition(BUSYWRAPUP, _STATE | _UPD),
    (BUSYONCALL, T.HANGUP): Transition(PENDING, _STATE | _UPD),
    (BUSYWRAPUP, T.WRAPUP_END): Transition(PENDING, _STATE | _UPD),
    (BUSYONCALL, T.RETURN): Transition(NOTREADY, _STATE),
    (BUSYONCALL, T.REDIRECT): Transition(PENDING, _STATE),
    (NOTREADY, T.NEXT_CHANGED): Transition(NOTREADY, _UPD),
    (READY, T.NEXT_CHANGED): Transition(READY, _UPD),
    (BUSYONCALL, T.NEXT_CHANGED): Transition(BUSYONCALL, _UPD),
    (BUSYWRAPUP, T.NEXT_CHANGED): Transition(BUSYWRAPUP, _UPD),
}
del T

_REQUEST = {NOTREADY: Trigger.REQUEST_NOTREADY, READY: Trigger.REQUEST_READY, ENDED: Trigger.REQUEST_ENDED}
#: States a client may request with SetAgentSessionState (those with a REQUEST_ trigger).
REQUESTABLE = frozenset(_REQUEST)

#: TABLE by trigger then state, each row a plain ``(next, bits)`` tuple: what the model reads per state
#: change (a plain 2-tuple unpacks on CPython's fast path, a NamedTuple does not).
_BY_TRIGGER: dict[Trigger, dict[AgentSessionState | None, tuple[AgentSessionState | str, AgentSessionStatus]]] = {}
for (_state, _trigger), _row in TABLE.items():
    _BY_TRIGGER.setdefault(_trigger, {})[_state] = tuple(_row)  # type: ignore[assignment]


def request_trigger(state: AgentSessionState) -> Trigger:
    """The trigger of a SetAgentSessionState asking for ``state`` (one of :data:`REQUESTABLE`)."""
    return _REQUEST[state]


def step(state: AgentSessionState | None, trigger: Trigger) -> Transition:
    """TABLE[(state, trigger)]; ``KeyError`` (a model bug) if the lifecycle has no such change."""
    try:
        return Transition(*_BY_TRIGGER[trigger][state])
    except KeyError:
        raise KeyError(f"the session lifecycle has no {trigger.name} from {getattr(state, 'name', state)}") from None


def rows(trigger: Trigger) -> dict[AgentSessionState | None, tuple[AgentSessionState | str, AgentSessionStatus]]:
    """The rows of one trigger by current state, as ``(next, bits)`` tuples (the model binds these once:
    its hot path; changing them changes the model, which a test uses)."""
    return _BY_TRIGGER[trigger]


def render_table() -> str:
    """TABLE as the Markdown table of docs/scenarios.md."""
    head = ["| state | trigger | next state | status bits |", "|---|---|---|---|"]
    body = []
    for (state, trigger), (nxt, bits) in TABLE.items():
        names = " \\| ".join(b.name for b in AgentSessionStatus if b & bits)
        nxt_name = "the stored next state, else READY" if nxt is PENDING else nxt.name  # type: ignore[union-attr]
        body.append(f"| {'(none)' if state is NEW else state.name} | {trigger.value} | {nxt_name} | {names} |")
    return "\n".join(head + body)



# --------------------------------------------------------------------------------------------------
# The call lifecycle (wire-protocol §9.1-§9.3): (call state, trigger) -> (next state, disconnect mode)
# --------------------------------------------------------------------------------------------------


class CallTrigger(enum.Enum):
    """What makes a call change state on the agent's line (the second half of a :data:`CALL_TABLE` key)."""

    OFFER = "the call is offered to a session: it rings on the session's line"
    DIAL = "MakeCall: an outbound call from the line's address"
    ANSWER = "the agent answers (answer_delay with answer = auto, or Answer from an application)"
    FAR_ANSWER = "the far end of an outbound call answers (outbound_answer seconds after MakeCall)"
    HOLD = "Hold"
    UNHOLD = "UnHold"
    HANGUP = "the caller hangs up (its talk time is over)"
    DROP = "Drop: the agent hangs up"
    REJECT = "Drop while ringing: the agent rejects the call (back to its queue)"
    RING_TIMEOUT = "ring_timeout passes while ringing (back to its queue)"
    REDIRECT = "Redirect while ringing (to another group's queue)"
    TRANSFER = "BlindTransfer (to another group's queue)"
    IDLE = "the call leaves the line, right after DISCONNECTED"


class CallStep(NamedTuple):
    """A :data:`CALL_TABLE` row's value: the state after the trigger and, for DISCONNECTED, the mode."""

    next: CallState
    end: CallEnd | None


C = CallTrigger
_OFF, _RB, _CON, _HLD, _DIS = (
    CallState.OFFERING, CallState.RINGBACK, CallState.CONNECTED, CallState.ONHOLD, CallState.DISCONNECTED
)
#: Every state change a call can make on a line; a request whose (state, trigger) is absent is refused
#: with LINEERR_INVALCALLSTATE. ``None`` = the call is not on the line yet.
CALL_TABLE: dict[tuple[CallState | None, CallTrigger], CallStep] = {
    (None, C.OFFER): CallStep(_OFF, None),
    (None, C.DIAL): CallStep(_RB, None),
    (_OFF, C.ANSWER): CallStep(_CON, None),
    (_RB, C.FAR_ANSWER): CallStep(_CON, None),
    (_CON, C.HOLD): CallStep(_HLD, None),
    (_HLD, C.UNHOLD): CallStep(_CON, None),
    (_CON, C.HANGUP): CallStep(_DIS, CallEnd.NORMAL),
    (_HLD, C.HANGUP): CallStep(_DIS, CallEnd.NORMAL),
    (_CON, C.DROP): CallStep(_DIS, CallEnd.NORMAL),
    (_HLD, C.DROP): CallStep(_DIS, CallEnd.NORMAL),
    (_RB, C.DROP): CallStep(_DIS, CallEnd.NORMAL),
    (_OFF, C.REJECT): CallStep(_DIS, CallEnd.NOANSWER),
    (_OFF, C.RING_TIMEOUT): CallStep(_DIS, CallEnd.NOANSWER),
    (_OFF, C.REDIRECT): CallStep(_DIS, CallEnd.FORWARDED),
    (_CON, C.TRANSFER): CallStep(_DIS, CallEnd.FORWARDED),
    (_DIS, C.IDLE): CallStep(CallState.IDLE, None),
}
del C


def call_step(state: CallState | None, trigger: CallTrigger) -> CallStep | None:
    """CALL_TABLE[(state, trigger)], or None when the call lifecycle has no such change."""
    return CALL_TABLE.get((state, trigger))


def render_call_table() -> str:
    """CALL_TABLE as a Markdown table (docs/scenarios.md)."""
    head = ["| call state | trigger | next state | disconnect mode |", "|---|---|---|---|"]
    body = [
        f"| {'(not on the line)' if state is None else state.name} | {trigger.value} | {nxt.name} | "
        f"{end.name if end else ''} |"
        for (state, trigger), (nxt, end) in CALL_TABLE.items()
    ]
    return "\n".join(head + body)
