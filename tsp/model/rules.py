"""Decisions of the switch model that touch nothing: the state-request rules (§4, §7.2, §8.1), time
conversion and the lifecycle rows the model binds once (tsp.lifecycle.TABLE)."""

from __future__ import annotations

import math

from protocol.constants import AgentSessionState, AgentStateEx, LineErr
from tsp import lifecycle
from tsp.errors import SwitchError
from tsp.lifecycle import REQUESTABLE, Trigger

__all__ = [
    "BUSY", "EX_TO_SESSION", "R", "SESSION_TO_EX", "US", "no_row", "plan_state_request", "state_name", "to_us",
]

US = 1_000_000  # microseconds per second: the model's time unit

NOTREADY = AgentSessionState.NOTREADY
READY = AgentSessionState.READY
BUSYONCALL = AgentSessionState.BUSYONCALL
BUSYWRAPUP = AgentSessionState.BUSYWRAPUP
ENDED = AgentSessionState.ENDED
BUSY = (BUSYONCALL, BUSYWRAPUP)

#: SetAgentStateEx (157) values and the session states they request (§8.1).
EX_TO_SESSION = {AgentStateEx.READY: READY, AgentStateEx.NOTREADY: NOTREADY}
#: A session's stored next state as LINEAGENTINFO.dwNextAgentState.
SESSION_TO_EX = {NOTREADY: AgentStateEx.NOTREADY, READY: AgentStateEx.READY, ENDED: AgentStateEx.RELEASED}


class _Rows:
    """Each trigger's rows of the lifecycle table by current state, bound once (the hot path reads
    these dicts; a test changes them to see the model follow)."""

    CREATE = lifecycle.rows(Trigger.CREATE)
    CREATE_READY = lifecycle.rows(Trigger.CREATE_READY)
    REQUEST = {state: lifecycle.rows(lifecycle.request_trigger(state)) for state in REQUESTABLE}
    OFFER = lifecycle.rows(Trigger.OFFER)
    OFFER_ANSWERED = lifecycle.rows(Trigger.OFFER_ANSWERED)
    ANSWER = lifecycle.rows(Trigger.ANSWER)
    HANGUP_TO_WRAPUP = lifecycle.rows(Trigger.HANGUP_TO_WRAPUP)
    HANGUP = lifecycle.rows(Trigger.HANGUP)
    WRAPUP_END = lifecycle.rows(Trigger.WRAPUP_END)
    RETURN = lifecycle.rows(Trigger.RETURN)
    REDIRECT = lifecycle.rows(Trigger.REDIRECT)
    NEXT_CHANGED = lifecycle.rows(Trigger.NEXT_CHANGED)


R = _Rows


def plan_state_request(
    current: AgentSessionState, state: int, next_state: int, pending: int
) -> tuple[AgentSessionState | None, int]:
    """Decide a SetAgentSessionState request (wire-protocol §4, §7.2) without touching anything.

    ``current`` is the session's state, ``pending`` its stored next state (0 = none). Returns
    ``(enter_now, new_pending)``: the state to enter at once (None = stay) and the next state to store.
    Rules, in order: both 0 -> INVALPARAM; a nonzero value other than NOTREADY/READY/ENDED ->
    INVALAGENTSTATE; an ENDED session -> INVALAGENTSTATE. While BUSYONCALL/BUSYWRAPUP: both nonzero ->
    INVALPARAM (§7.2), else the nonzero one is stored as the next state. Otherwise (NOTREADY/READY) a
    nonzero ``state`` is entered now (same state = no change) and a nonzero ``next_state`` replaces the
    pending one, applied when the next call's wrap-up ends ("0 = keep"). Entering ENDED clears it.
    """
    if state == 0 and next_state == 0:
        raise SwitchError(LineErr.INVALPARAM, "dwAgentSessionState and dwNextAgentSessionState are both 0")
    for label, value in (("dwAgentSessionState", state), ("dwNextAgentSessionState", next_state)):
        if value and value not in REQUESTABLE:
            raise SwitchError(
                LineErr.INVALAGENTSTATE,
                f"{label} = {state_name(value)} cannot be requested (only NOTREADY, READY or ENDED)",
            )
    if current is ENDED:
        raise SwitchError(LineErr.INVALAGENTSTATE, "the session has ENDED; its state cannot change")
    if current in BUSY:
        if state and next_state:
            raise SwitchError(
                LineErr.INVALPARAM,
                f"the session is {current.name}: give dwAgentSessionState or dwNextAgentSessionState, not both "
                f"({state_name(state)}, {state_name(next_state)})",
            )
        return None, state or next_state
    enter = AgentSessionState(state) if state else None
    if enter is ENDED:
        return ENDED, 0
    if enter is current:
        enter = None
    return enter, next_state or pending


def state_name(value: int) -> str:
    try:
        return f"{AgentSessionState(value).name} (0x{value:X})"
    except ValueError:
        return f"0x{value:X}"


def no_row(state: object, rows: dict) -> KeyError:
    """The KeyError for a state change the lifecycle table lacks (a model bug), naming trigger and state."""
    trigger = next(tr for tr in Trigger if lifecycle.rows(tr) is rows)
    try:
        lifecycle.step(state, trigger)  # type: ignore[arg-type]
    except KeyError as err:
        return err
    return KeyError(f"{trigger.name} from {state}")  # pragma: no cover - only if the row exists


def to_us(seconds: float, what: str = "now") -> int:
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not math.isfinite(seconds):
        raise ValueError(f"{what} must be a finite number of seconds, got {seconds!r}")
    return round(seconds * US)
