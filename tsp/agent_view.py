"""The TAPI 2.0 address view of the switch (wire-protocol §8.2): pure functions over the model's public API.

An address is a station where one agent works. Each line has one address (ID 0). The address's agent:
the scenario agent whose ``home`` names the (line, address); else the agent with the oldest not-ENDED
session on that address; else none.

The view (:class:`AddressView`) is computed from the model at every instant, never stored, so a change
made through either family (2.2 sessions or 2.0 setters) is visible through the other at once:

* groups: the agent's not-ENDED sessions (one group each; any address), in session order;
* dwState (LINEAGENTSTATE_): BUSYACD while a session is BUSYONCALL or a call rings to the agent,
  WORKINGAFTERCALL while one is in BUSYWRAPUP, READY if a session is READY (the agent being free),
  NOTREADY otherwise, LOGGEDOFF without a session;
* dwNextState: the first pending next state of its sessions (a next state alone is stored on the busy
  sessions only: "after the current call") (READY -> READY, NOTREADY -> NOTREADY,
  ENDED -> LOGGEDOFF), else 0;
* the current activity (the model's ``agent_activity``) and its name from the scenario's activities.

The setters translate to the model's 2.2 operations, so the model's rules (§7.2 busy rules, events)
apply unchanged: SetAgentState -> SetAgentSessionState on every not-ENDED session; SetAgentGroup ->
CreateAgentSession (NOTREADY) for new groups and ENDED for groups no longer listed; SetAgentStateEx
(157, agent-level) likewise over the agent's sessions.
"""

from __future__ import annotations

import uuid
from typing import Any, Iterable

import attrs

from protocol.constants import AgentFeature, AgentSessionState, AgentStatus, LineAgentState, LineErr
from tsp.errors import SwitchError

__all__ = [
    "AddressView", "FEATURES", "VALID_STATES", "STATUS_MESSAGES", "HANDLER_NAME", "address_agent", "address_view",
    "check_address", "status_bits", "agent_lines", "set_agent_state", "set_agent_state_ex", "set_agent_group",
    "set_agent_activity", "activity_entries", "LINE_TO_SESSION",
]

S = AgentSessionState
#: LINEAGENTFEATURE_ bits of every 2.0 function served (AGENTSPECIFIC is not).
FEATURES = int(AgentFeature.SETAGENTGROUP | AgentFeature.SETAGENTSTATE | AgentFeature.SETAGENTACTIVITY
               | AgentFeature.GETAGENTACTIVITYLIST | AgentFeature.GETAGENTGROUP)
#: The LINEAGENTSTATE_ values SetAgentState accepts as state and as next state.
VALID_STATES = int(LineAgentState.LOGGEDOFF | LineAgentState.NOTREADY | LineAgentState.READY)
#: The LINEAGENTSTATUS_ bits the switch sends in LINE_AGENTSTATUS (LINEAGENTCAPS.dwAgentStatusMessages).
STATUS_MESSAGES = int(AgentStatus.GROUP | AgentStatus.STATE | AgentStatus.NEXTSTATE | AgentStatus.ACTIVITY
                      | AgentStatus.VALIDSTATES | AgentStatus.VALIDNEXTSTATES)
#: LINEAGENTCAPS' agent handler name.
HANDLER_NAME = "tsp ACD emulator"
#: SetAgentState's LINEAGENTSTATE_ -> the session state it asks for.
LINE_TO_SESSION = {int(LineAgentState.READY): int(S.READY), int(LineAgentState.NOTREADY): int(S.NOTREADY),
                   int(LineAgentState.LOGGEDOFF): int(S.ENDED)}
_SESSION_TO_LINE = {int(S.READY): int(LineAgentState.READY), int(S.NOTREADY): int(LineAgentState.NOTREADY),
                    int(S.ENDED): int(LineAgentState.LOGGEDOFF)}
_BUSY = (S.BUSYONCALL, S.BUSYWRAPUP)


@attrs.frozen
class AddressView:
    """What the 2.0 family sees of one address at one instant (LINEAGENTSTATUS in domain terms)."""

    agent: int | None
    groups: tuple[tuple[uuid.UUID, str], ...] = ()
    state: int = int(LineAgentState.LOGGEDOFF)
    next_state: int = 0
    activity_id: int = 0
    activity: str = ""
    valid_states: int = 0
    valid_next_states: int = 0


def check_address(model: Any, line: int, address: int) -> None:
    """Each line has address 0 only (INVALADDRESSID otherwise)."""
    if address != 0:
        raise SwitchError(LineErr.INVALADDRESSID, f"address ID {address} does not exist on line {line} (each line has address 0)")


def _home(model: Any, hagent: int) -> Any:
    return model.agent_home(hagent)


def _live_sessions(model: Any, hagent: int, now: float) -> list[tuple[int, Any, Any]]:
    """(hAgentSession, group ID, SessionStats) of the agent's not-ENDED sessions, oldest first."""
    out = []
    for e in model.session_list(hagent):
        info = model.session_info(e.hagent_session, now)
        if info.state != S.ENDED:
            out.append((e.hagent_session, e.group_id, info))
    return out


def address_agent(model: Any, line: int, address: int, now: float) -> int | None:
    """The address's agent's hAgent (see the module docstring), or None: the model's rule
    (``Switch.address_agent``, one implementation of §8.2)."""
    agent = model.address_agent(line, address)
    return int(agent.handle) if agent is not None else None


def _busy(model: Any, hagent: int, now: float) -> bool:
    return bool(model.agent_busy(hagent))


def _activities(model: Any) -> tuple[Any, ...]:
    return tuple(model.activities())


def _activity_of(model: Any, hagent: int) -> int:
    value = model.agent_activity(hagent)
    return int(value) if value is not None else 0


def activity_entries(model: Any) -> list[tuple[int, str]]:
    """(ID, name) of every scenario activity, in file order (GetAgentActivityList)."""
    return [(int(a.id), str(a.name)) for a in _activities(model)]


def address_view(model: Any, line: int, address: int, now: float) -> AddressView:
    """The 2.0 view of (line, address) at ``now``."""
    hagent = address_agent(model, line, address, now)
    if hagent is None:
        return AddressView(None)
    sessions = _live_sessions(model, hagent, now)
    names = {g.group_id: g.name for g in model.group_list()}
    groups: list[tuple[uuid.UUID, str]] = []
    for _, gid, _ in sessions:
        if all(gid != g for g, _ in groups):
            groups.append((gid, names.get(gid, "")))
    states = {info.state for _, _, info in sessions}
    if not sessions:
        state = LineAgentState.LOGGEDOFF
    elif S.BUSYONCALL in states:
        state = LineAgentState.BUSYACD
    elif S.BUSYWRAPUP in states:
        state = LineAgentState.WORKINGAFTERCALL
    elif _busy(model, hagent, now):
        state = LineAgentState.BUSYACD  # a call rings to the agent
    elif S.READY in states:
        state = LineAgentState.READY
    else:
        state = LineAgentState.NOTREADY
    next_state = next((_SESSION_TO_LINE.get(int(info.next_state), 0) for _, _, info in sessions if info.next_state), 0)
    activity_id = _activity_of(model, hagent)
    activity = next((name for i, name in activity_entries(model) if i == activity_id), "") if activity_id else ""
    return AddressView(hagent, tuple(groups), int(state), int(next_state), activity_id, activity,
                       VALID_STATES, VALID_STATES)


def status_bits(old: AddressView, new: AddressView) -> int:
    """The LINEAGENTSTATUS_ bits of the change from ``old`` to ``new`` (0 = nothing the 2.0 view shows)."""
    bits = 0
    if old.groups != new.groups:
        bits |= AgentStatus.GROUP
    if old.state != new.state:
        bits |= AgentStatus.STATE
    if old.next_state != new.next_state:
        bits |= AgentStatus.NEXTSTATE
    if old.activity_id != new.activity_id or old.activity != new.activity:
        bits |= AgentStatus.ACTIVITY
    if old.valid_states != new.valid_states:
        bits |= AgentStatus.VALIDSTATES
    if old.valid_next_states != new.valid_next_states:
        bits |= AgentStatus.VALIDNEXTSTATES
    return int(bits)


def agent_lines(model: Any, hagent: int) -> set[int]:
    """The lines whose address view the agent can appear in: its sessions' lines and its home's."""
    lines = {model.session_line(e.hagent_session) for e in model.session_list(hagent)}
    home = _home(model, hagent)
    if home is not None:
        lines.add(home[0])
    return lines


def _agent_of(model: Any, line: int, address: int, now: float) -> int:
    check_address(model, line, address)
    hagent = address_agent(model, line, address, now)
    if hagent is None:
        raise SwitchError(LineErr.INVALAGENTID, f"no agent works at line {line} address {address}")
    return hagent


def _apply_states(model: Any, hagent: int, state: int, next_state: int, now: float, what: str) -> None:
    """``state`` / ``next_state`` (session states, 0 = keep) on every not-ENDED session (§7.2)."""
    if state == 0 and next_state == 0:
        raise SwitchError(LineErr.INVALPARAM, f"{what}: the state and the next state are both 0")
    sessions = _live_sessions(model, hagent, now)
    if not sessions:
        if state in (0, S.ENDED) and next_state in (0, S.ENDED):
            return  # logged off already
        raise SwitchError(LineErr.INVALAGENTSTATE, f"{what}: agent {hagent} is logged into no group (SetAgentGroup first)")
    if state and next_state and any(info.state in _BUSY for _, _, info in sessions):
        raise SwitchError(LineErr.INVALPARAM, f"{what}: agent {hagent} is busy; give the state or the next state, not both")
    for hsession, _, info in sessions:
        if state == 0 and info.state not in _BUSY:
            continue  # a next state is "after the current call": a session without one has nothing to store
        model.set_session_state(hsession, state, next_state, now)


def set_agent_state(model: Any, line: int, address: int, state: int, next_state: int, now: float) -> None:
    """SetAgentState (68): LINEAGENTSTATE_ READY / NOTREADY / LOGGEDOFF (0 = keep) for the address's agent."""
    for name, value in (("dwAgentState", state), ("dwNextAgentState", next_state)):
        if value and value not in LINE_TO_SESSION:
            raise SwitchError(LineErr.INVALAGENTSTATE, f"{name} {value:#x} is not READY, NOTREADY or LOGGEDOFF")
    hagent = _agent_of(model, line, address, now)
    _apply_states(model, hagent, LINE_TO_SESSION.get(state, 0), LINE_TO_SESSION.get(next_state, 0), now, "SetAgentState")


def set_agent_state_ex(model: Any, hagent: int, state: int, next_state: int, now: float) -> None:
    """SetAgentStateEx (157): LINEAGENTSTATEEX_ READY / NOTREADY (0 = keep) for every not-ENDED session of
    the agent: the model's own operation (one implementation of §8.1, tsp/model)."""
    model.set_agent_state_ex(hagent, state, next_state, now)


def set_agent_group(model: Any, line: int, address: int, group_ids: Iterable[uuid.UUID], now: float) -> None:
    """SetAgentGroup (67): the address's agent is logged into exactly ``group_ids`` - a NOTREADY session on
    (line, address) for each new group, ENDED (§7.2: the next state while busy) for each group no longer
    listed. Every group is checked (INVALAGENTGROUP) before anything changes."""
    hagent = _agent_of(model, line, address, now)
    wanted: list[uuid.UUID] = []
    for gid in group_ids:
        if model.group_by_id(gid) is None:
            raise SwitchError(LineErr.INVALAGENTGROUP, f"no ACD group has ID {gid}")
        if gid not in wanted:
            wanted.append(gid)
    sessions = _live_sessions(model, hagent, now)
    have = {gid for _, gid, _ in sessions}
    for hsession, gid, _ in sessions:
        if gid not in wanted:
            model.set_session_state(hsession, int(S.ENDED), 0, now)
    for gid in wanted:
        if gid not in have:
            model.create_session(hagent, None, line, address, gid, now)


def set_agent_activity(model: Any, line: int, address: int, activity_id: int, now: float) -> None:
    """SetAgentActivity (66): one of the scenario's activities (INVALAGENTACTIVITY otherwise)."""
    model.set_agent_activity(_agent_of(model, line, address, now), activity_id, now)
