"""The pure ACD switch model: a discrete-event simulation driven only by explicit ``now``.

What it models (wire-protocol.md §2 "Agents and sessions" and §4 "ACD semantics"):

* agents (scenario agents exist from the start; unknown IDs are created on first CreateAgent),
* agent sessions (one agent, one group, one line/address) with the LINEAGENTSESSIONSTATE_ machine,
* ACD groups, each with one FIFO queue, routing each arriving call to the session READY longest,
* per-session statistics of §4, per-agent totals (LINEAGENTINFO) and per-queue statistics (LINEQUEUEINFO).

Time. Seconds as ``float`` relative to the scenario start (``scenario.switch.start`` is t = 0). Inside,
every instant is an ``int`` number of microseconds, so the "exact sums" of §4 are exact integers and
the reported floors never suffer from float rounding; inputs are rounded to the nearest microsecond.
Nothing happens except through :meth:`Switch.advance` (or the implicit advance every public method
that takes ``now`` does first): one heap of due events (scripted and Poisson arrivals, answers,
hang-ups, wrap-up ends, scripted session creations), processed in time order; events due at the same
instant run in the order they were scheduled. No task or timer exists per call. Time may not go
backwards (``ValueError``): that would be a driver bug, not a user error.

Events. Every change a client could observe is recorded as a :class:`SessionEvent` (the content of a
LINE_AGENTSESSIONSTATUS). Events accumulate inside the switch whichever method caused them;
:meth:`Switch.advance` returns (and clears) everything accumulated so far, :meth:`Switch.take_events`
does the same without advancing. Every session state change, and the status bits of its event, is a
row of the lifecycle table :data:`tsp.lifecycle.TABLE` ((state, trigger) -> (next state, bits)): the
switch looks each change up there and makes no other.

Values. Results are the domain values of :mod:`tsp.values` (``datetime``, ``Decimal``, whole
seconds); :meth:`Switch.session_figures` gives a session's figures as plain ints (instants in
microseconds since 1970-01-01 UTC, call rates in ten-thousandths of a call per hour) for a caller that
answers without building objects. Nothing here knows the wire: ``tsp/wire.py`` maps these values to
the LINE... structures (``protocol.constants`` is used only for the TAPI names and numbers).

Errors are :class:`SwitchError` values carrying the LINEERR_ the server should send:

==============================================  ===========================
condition                                       LineErr
==============================================  ===========================
CreateAgent: empty agent ID                     INVALAGENTID
CreateAgent / CreateAgentSession: wrong PIN     INVALPASSWORD
unknown hAgent                                  INVALAGENTID
unknown group GUID                              INVALAGENTGROUP
line (device ID) not in 0..lines-1              BADDEVICEID
address ID other than 0                         INVALADDRESSID
unknown hAgentSession                           INVALPARAM
unknown queue ID                                INVALPARAM
SetAgentSessionState: both states 0             INVALPARAM
SetAgentSessionState: other invalid request     INVALAGENTSTATE
offer_call: negative or non-finite talk time    INVALPARAM
==============================================  ===========================
"""

from __future__ import annotations

import datetime as _dt
import heapq
import itertools
import math
import random
import uuid
from collections import deque

from protocol.constants import AgentSessionState, AgentStateEx, LineErr
from tsp import lifecycle
from tsp.lifecycle import PENDING, REQUESTABLE, Trigger
from tsp.errors import SwitchError
from tsp.scenario import Scenario, SessionSpec
from tsp.values import (
    EPOCH,
    AgentInfo,
    GroupEntry,
    QueueEntry,
    QueueInfo,
    SessionEvent,
    SessionListEntry,
    SessionStats,
    rate_decimal,
    rate_e4,
)

__all__ = [
    "AgentInfo",
    "GroupEntry",
    "QueueEntry",
    "QueueInfo",
    "SessionEvent",
    "SessionListEntry",
    "SessionStats",
    "Switch",
    "SwitchError",
    "plan_state_request",
]

US = 1_000_000  # microseconds per second: the model's time unit

NOTREADY = AgentSessionState.NOTREADY
READY = AgentSessionState.READY
BUSYONCALL = AgentSessionState.BUSYONCALL
BUSYWRAPUP = AgentSessionState.BUSYWRAPUP
ENDED = AgentSessionState.ENDED

_BUSY = (BUSYONCALL, BUSYWRAPUP)

# Each trigger's rows of the lifecycle table (tsp.lifecycle.TABLE) by current state, bound once: every
# state change reads its row here (Switch._go; inline in the per-call steps _offer, _answer, _hangup).
_R_CREATE = lifecycle.rows(Trigger.CREATE)
_R_CREATE_READY = lifecycle.rows(Trigger.CREATE_READY)
_R_REQUEST = {state: lifecycle.rows(lifecycle.request_trigger(state)) for state in REQUESTABLE}
_R_OFFER = lifecycle.rows(Trigger.OFFER)
_R_OFFER_ANSWERED = lifecycle.rows(Trigger.OFFER_ANSWERED)
_R_ANSWER = lifecycle.rows(Trigger.ANSWER)
_R_HANGUP_TO_WRAPUP = lifecycle.rows(Trigger.HANGUP_TO_WRAPUP)
_R_HANGUP = lifecycle.rows(Trigger.HANGUP)
_R_WRAPUP_END = lifecycle.rows(Trigger.WRAPUP_END)

# heap event kinds
_K_SESSION, _K_CALL, _K_TRAFFIC, _K_ANSWER, _K_HANGUP, _K_WRAPEND = range(6)


# --------------------------------------------------------------------------------------------------
# The state table
# --------------------------------------------------------------------------------------------------


def plan_state_request(
    current: AgentSessionState, state: int, next_state: int, pending: int
) -> tuple[AgentSessionState | None, int]:
    """Decide a SetAgentSessionState request (wire-protocol §4) without touching anything.

    ``current`` is the session's state, ``pending`` its stored next state (0 = none). Returns
    ``(enter_now, new_pending)``: the state to enter at once (None = stay) and the next state to store.
    Rules, in order: both 0 -> INVALPARAM; a nonzero value other than NOTREADY/READY/ENDED ->
    INVALAGENTSTATE; an ENDED session -> INVALAGENTSTATE. While BUSYONCALL/BUSYWRAPUP the request is
    stored as the next state (``state`` if nonzero, else ``next_state``). Otherwise (NOTREADY/READY)
    a nonzero ``state`` is entered now (same state = no change) and a nonzero ``next_state`` replaces the
    pending one, applied when the next call's wrap-up ends ("0 = keep"). Entering ENDED clears it.
    """
    if state == 0 and next_state == 0:
        raise SwitchError(LineErr.INVALPARAM, "dwAgentSessionState and dwNextAgentSessionState are both 0")
    for label, value in (("dwAgentSessionState", state), ("dwNextAgentSessionState", next_state)):
        if value and value not in REQUESTABLE:
            raise SwitchError(
                LineErr.INVALAGENTSTATE,
                f"{label} = {_state_name(value)} cannot be requested (only NOTREADY, READY or ENDED)",
            )
    if current is ENDED:
        raise SwitchError(LineErr.INVALAGENTSTATE, "the session has ENDED; its state cannot change")
    if current in _BUSY:
        return None, state or next_state
    enter = AgentSessionState(state) if state else None
    if enter is ENDED:
        return ENDED, 0
    if enter is current:
        enter = None
    return enter, next_state or pending


def _state_name(value: int) -> str:
    try:
        return f"{AgentSessionState(value).name} (0x{value:X})"
    except ValueError:
        return f"0x{value:X}"


# --------------------------------------------------------------------------------------------------
# Mutable internals (slots: a later issue needs 10,000 agents in < 4 KiB each)
# --------------------------------------------------------------------------------------------------


class _Group:
    __slots__ = ("id", "name", "queue_id", "waiting", "ready", "arrived", "offered", "wait_sum", "wait_max")

    def __init__(self, gid: uuid.UUID, name: str, queue_id: int) -> None:
        self.id = gid
        self.name = name
        self.queue_id = queue_id
        self.waiting: deque[_Call] = deque()  # FIFO of calls not yet offered
        self.ready: list[tuple[int, int, int, _Session]] = []  # heap (ready_since, handle, gen, session)
        self.arrived = 0
        self.offered = 0
        self.wait_sum = 0
        self.wait_max = 0


class _Agent:
    __slots__ = ("handle", "agent_id", "pin", "answer_delay", "wrapup", "created", "sessions")

    def __init__(self, handle: int, agent_id: str, pin: str | None, answer_delay: int, wrapup: int, created: int):
        self.handle = handle
        self.agent_id = agent_id
        self.pin = pin
        self.answer_delay = answer_delay  # us
        self.wrapup = wrapup  # us
        self.created = created  # us
        self.sessions: list[_Session] = []


class _Session:
    __slots__ = (
        "handle", "agent", "group", "line", "address", "state", "next_state", "created", "ended",
        "ready_since", "ready_gen", "calls", "talk_sum", "wrap_sum", "tta_sum", "tta_max", "call",
        "talk_start", "wrap_start",
    )

    def __init__(self, handle: int, agent: _Agent, group: _Group, line: int, address: int, created: int):
        self.handle = handle
        self.agent = agent
        self.group = group
        self.line = line
        self.address = address
        self.state: AgentSessionState | None = lifecycle.NEW  # until its first lifecycle row
        self.next_state = 0
        self.created = created
        self.ended: int | None = None
        self.ready_since = 0
        self.ready_gen = 0
        self.calls = 0
        self.talk_sum = 0  # completed talk, us
        self.wrap_sum = 0  # completed wrap-up, us
        self.tta_sum = 0
        self.tta_max = 0
        self.call: _Call | None = None
        self.talk_start = -1  # answer time of the call in progress, -1 if not talking
        self.wrap_start = -1  # start of the wrap-up in progress, -1 if none


class _Call:
    __slots__ = ("id", "arrival", "talk")

    def __init__(self, call_id: int, arrival: int, talk: int) -> None:
        self.id = call_id
        self.arrival = arrival
        self.talk = talk


class _Traffic:
    __slots__ = ("group", "mean_gap", "talk_mean")

    def __init__(self, group: _Group, rate_per_hour: float, talk_mean: float) -> None:
        self.group = group
        self.mean_gap = 3600.0 / rate_per_hour  # seconds
        self.talk_mean = talk_mean


def _no_row(session: _Session, rows: dict) -> KeyError:
    """The KeyError for a state change the lifecycle table lacks (a model bug), naming trigger and state."""
    trigger = next(tr for tr in Trigger if lifecycle.rows(tr) is rows)
    try:
        lifecycle.step(session.state, trigger)
    except KeyError as err:
        return err
    return KeyError(f"{trigger.name} from {session.state}")  # pragma: no cover - only if the row exists


def _to_us(seconds: float, what: str = "now") -> int:
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not math.isfinite(seconds):
        raise ValueError(f"{what} must be a finite number of seconds, got {seconds!r}")
    return round(seconds * US)



# --------------------------------------------------------------------------------------------------
# The switch
# --------------------------------------------------------------------------------------------------


class Switch:
    """The ACD switch of one scenario. See the module docstring for time, events and errors."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._start = scenario.switch.start
        self._start_us = (self._start - EPOCH) // _dt.timedelta(microseconds=1)  # t = 0 since 1970, in us
        self._lines = scenario.switch.lines
        self._rng = random.Random(scenario.switch.seed)
        self._now = 0
        #: Memo of the last ``_advance`` argument and its microseconds (nan: none yet; never equal).
        self._last_now = math.nan
        self._last_t = 0
        self._heap: list[tuple[int, int, int, object]] = []
        self._seq = itertools.count()
        self._events: list[SessionEvent] = []
        self._processed = 0
        self._handles = itertools.count(1)  # agents and sessions share one handle space
        self._call_ids = itertools.count(1)
        self._groups: dict[uuid.UUID, _Group] = {}
        self._queues: dict[int, _Group] = {}
        for g in scenario.groups:
            grp = _Group(g.id, g.name, g.queue)
            self._groups[g.id] = grp
            self._queues[g.queue] = grp
        self._agents: dict[int, _Agent] = {}
        self._agents_by_id: dict[str, _Agent] = {}
        self._sessions: dict[int, _Session] = {}
        self._by_line: list[list[int]] = [[] for _ in range(self._lines)]
        for spec in scenario.agents:
            agent = self._new_agent(spec.id, spec.pin, _to_us(spec.answer_delay), _to_us(spec.wrapup), 0)
            for sess in spec.sessions:
                self._push(_to_us(sess.at), _K_SESSION, (agent, sess))
        for call in scenario.calls:
            self._push(_to_us(call.at), _K_CALL, (self._groups[call.group], _to_us(call.talk)))
        for t in scenario.traffic:
            if t.rate > 0:
                stream = _Traffic(self._groups[t.group], t.rate, t.talk_mean)
                self._push(_to_us(self._rng.expovariate(1.0) * stream.mean_gap), _K_TRAFFIC, stream)

    # ---- time ------------------------------------------------------------------------------------
    @property
    def now(self) -> float:
        """The switch's current time in seconds after the scenario start."""
        return self._now / US

    @property
    def start(self) -> _dt.datetime:
        """The absolute UTC instant of t = 0."""
        return self._start

    @property
    def lines(self) -> int:
        """Number of line devices (IDs 0..lines-1), each with one address (ID 0)."""
        return self._lines

    @property
    def processed_events(self) -> int:
        """How many internal (heap) events have been processed so far; for benchmarks."""
        return self._processed

    def next_due(self) -> float | None:
        """Time (seconds) of the next pending internal event, or None if nothing is scheduled."""
        return self._heap[0][0] / US if self._heap else None

    def advance(self, now: float) -> list[SessionEvent]:
        """Process everything due up to and including ``now``; return all events not yet taken."""
        self._advance(now)
        return self.take_events()

    def has_events(self) -> bool:
        """Whether events have accumulated since the last :meth:`take_events`."""
        return bool(self._events)

    def take_events(self) -> list[SessionEvent]:
        """Return and forget the events accumulated so far (by any method), oldest first."""
        events, self._events = self._events, []
        return events

    def _advance(self, now: float) -> int:
        if type(now) is float and now == self._last_now:
            # The same instant as the previous call (the server advances, then asks): skip the checks
            # and rounding of ``_to_us``, which gave this very value.
            t = self._last_t
        else:
            t = _to_us(now)
            self._last_now, self._last_t = now, t
        if t < self._now:
            if now < self._now / US:
                raise ValueError(f"time went backwards: now = {now!r} s but the switch is at {self._now / US} s")
            # Past 2**53 us an event run because its time in seconds was <= now (below) may lie a few
            # microseconds after round(now * 1e6): the same float instant again is not going backwards.
            t = self._now
        heap = self._heap
        pop = heapq.heappop
        n = 0
        # An event whose time in seconds (as next_due() gives it) is <= now is due even when rounding
        # ``now`` to microseconds fell just short of it (past 2**53 us, about 285 years, floats cannot
        # hold every microsecond): advance(next_due()) always makes progress.
        while heap and (heap[0][0] <= t or heap[0][0] / US <= now):
            when, _, kind, obj = pop(heap)
            n += 1
            self._now = when
            if kind == _K_HANGUP:
                self._hangup(obj, when)  # type: ignore[arg-type]
            elif kind == _K_ANSWER:
                self._answer(obj, when)  # type: ignore[arg-type]
            elif kind == _K_WRAPEND:
                self._wrapend(obj, when)  # type: ignore[arg-type]
            elif kind == _K_TRAFFIC:
                self._traffic(obj, when)  # type: ignore[arg-type]
            elif kind == _K_CALL:
                group, talk = obj  # type: ignore[misc]
                self._arrive(group, talk, when)
            else:
                agent, spec = obj  # type: ignore[misc]
                self._scripted_session(agent, spec, when)
        self._processed += n
        if t > self._now:
            self._now = t
        return self._now

    def _push(self, when: int, kind: int, obj: object) -> None:
        heapq.heappush(self._heap, (when, next(self._seq), kind, obj))

    # ---- agents and sessions ---------------------------------------------------------------------
    def _new_agent(self, agent_id: str, pin: str | None, answer_delay: int, wrapup: int, created: int) -> _Agent:
        agent = _Agent(next(self._handles), agent_id, pin, answer_delay, wrapup, created)
        self._agents[agent.handle] = agent
        self._agents_by_id[agent_id] = agent
        return agent

    def create_agent(self, agent_id: str, pin: str | None, now: float) -> int:
        """CreateAgent: the hAgent of ``agent_id`` (the same one every time).

        A known agent with a PIN needs exactly that PIN (None or another -> INVALPASSWORD); a known agent
        without a PIN accepts any. An unknown ID creates a new agent (answer_delay 0, wrapup 0) whose PIN
        is the one given (None = no PIN).
        """
        t = self._advance(now)
        if not agent_id:
            raise SwitchError(LineErr.INVALAGENTID, "the agent ID is empty")
        agent = self._agents_by_id.get(agent_id)
        if agent is None:
            return self._new_agent(agent_id, pin, 0, 0, t).handle
        if agent.pin is not None and pin != agent.pin:
            raise SwitchError(
                LineErr.INVALPASSWORD,
                f"wrong PIN for agent {agent_id!r}" if pin is not None else f"agent {agent_id!r} needs a PIN",
            )
        return agent.handle

    def agent_handles(self) -> list[int]:
        """Every hAgent, in creation order (scenario agents first)."""
        return list(self._agents)

    def agent_handle(self, agent_id: str) -> int | None:
        """The hAgent of a known agent ID, or None (no PIN check, no creation)."""
        agent = self._agents_by_id.get(agent_id)
        return agent.handle if agent else None

    def create_session(
        self, hagent: int, pin: str | None, line: int, address: int, group_id: uuid.UUID, now: float
    ) -> int:
        """CreateAgentSession: a new NOTREADY session; returns hAgentSession.

        Checks in order: hAgent (INVALAGENTID), group (INVALAGENTGROUP), PIN (INVALPASSWORD: a given PIN
        must match the agent's; None is accepted, the agent was authenticated by CreateAgent), line
        (BADDEVICEID), address (INVALADDRESSID, only 0 exists). Emits NEWSESSION.
        """
        t = self._advance(now)
        agent = self._agent(hagent)
        group = self._group(group_id)
        if pin is not None and agent.pin is not None and pin != agent.pin:
            raise SwitchError(LineErr.INVALPASSWORD, f"wrong PIN for agent {agent.agent_id!r}")
        if not 0 <= line < self._lines:
            raise SwitchError(LineErr.BADDEVICEID, f"line {line} does not exist (lines 0..{self._lines - 1})")
        if address != 0:
            raise SwitchError(LineErr.INVALADDRESSID, f"address ID {address} does not exist (each line has address 0)")
        session = self._new_session(agent, group, line, address, t)
        self._go(session, _R_CREATE, t)
        return session.handle

    def _new_session(self, agent: _Agent, group: _Group, line: int, address: int, t: int) -> _Session:
        session = _Session(next(self._handles), agent, group, line, address, t)
        self._sessions[session.handle] = session
        agent.sessions.append(session)
        self._by_line[line].append(session.handle)
        return session

    def _scripted_session(self, agent: _Agent, spec: SessionSpec, t: int) -> None:
        session = self._new_session(agent, self._groups[spec.group], spec.line, spec.address, t)
        if spec.state is READY:
            self._go(session, _R_CREATE_READY, t)
            self._ready(session, t)
        else:
            self._go(session, _R_CREATE, t)

    def set_session_state(self, hsession: int, state: int, next_state: int, now: float) -> None:
        """SetAgentSessionState per :func:`plan_state_request`; emits STATE when the state changes."""
        t = self._advance(now)
        session = self._session(hsession)
        enter, pending = plan_state_request(session.state, state, next_state, session.next_state)
        session.next_state = pending
        if enter is not None and self._go(session, _R_REQUEST[enter], t) is READY:
            self._ready(session, t)

    # ---- calls -----------------------------------------------------------------------------------
    def offer_call(self, group_id: uuid.UUID, talk: float, now: float) -> int:
        """A call arrives at the group's queue now and talks ``talk`` seconds once answered; its ID."""
        t = self._advance(now)
        group = self._group(group_id)
        if isinstance(talk, bool) or not isinstance(talk, (int, float)) or not math.isfinite(talk) or talk < 0:
            raise SwitchError(LineErr.INVALPARAM, f"talk time must be a finite number >= 0 seconds, got {talk!r}")
        return self._arrive(group, _to_us(talk), t)

    def _traffic(self, stream: _Traffic, t: int) -> None:
        rng = self._rng
        talk = round(rng.expovariate(1.0) * stream.talk_mean * US)
        self._arrive(stream.group, talk, t)
        self._push(t + round(rng.expovariate(1.0) * stream.mean_gap * US), _K_TRAFFIC, stream)

    def _arrive(self, group: _Group, talk: int, t: int) -> int:
        call = _Call(next(self._call_ids), t, talk)
        group.arrived += 1
        ready = group.ready
        while ready:
            _, _, gen, session = heapq.heappop(ready)
            if session.state is READY and session.ready_gen == gen:
                self._offer(session, call, t)
                return call.id
        group.waiting.append(call)
        return call.id

    def _go(self, session: _Session, rows: dict, t: int) -> AgentSessionState:
        """Make the lifecycle row of ``rows`` (one trigger's rows of tsp.lifecycle.TABLE) for the
        session's state: enter its next state and record its event. Returns the new state."""
        try:
            nxt, bits = rows[session.state]
        except KeyError:
            raise _no_row(session, rows) from None
        if nxt is PENDING:
            pending = session.next_state
            nxt = AgentSessionState(pending) if pending else READY
            session.next_state = 0
        session.state = nxt
        if nxt is ENDED:
            session.ended = t
        self._events.append(SessionEvent(session.handle, session.line, bits, nxt))
        return nxt

    def _ready(self, session: _Session, t: int) -> None:
        """A session has just become READY: it takes its group's oldest waiting call, or joins the
        group's READY heap."""
        group = session.group
        if group.waiting:
            self._offer(session, group.waiting.popleft(), t)
            return
        session.ready_since = t
        session.ready_gen += 1
        heapq.heappush(group.ready, (t, session.handle, session.ready_gen, session))

    def _offer(self, session: _Session, call: _Call, t: int) -> None:
        group = session.group
        wait = t - call.arrival
        group.offered += 1
        group.wait_sum += wait
        if wait > group.wait_max:
            group.wait_max = wait
        session.call = call
        delay = session.agent.answer_delay
        if delay:
            try:  # the lifecycle row, inlined (as in _answer and _hangup: the per-call path)
                state, bits = _R_OFFER[session.state]
            except KeyError:
                raise _no_row(session, _R_OFFER) from None
            session.state = state
            self._events.append(SessionEvent(session.handle, session.line, bits, state))
            heapq.heappush(self._heap, (t + delay, next(self._seq), _K_ANSWER, session))
        else:
            self._answer(session, t, _R_OFFER_ANSWERED)

    def _answer(self, session: _Session, t: int, rows: dict = _R_ANSWER) -> None:
        call = session.call
        assert call is not None
        tta = t - call.arrival
        session.calls += 1
        session.tta_sum += tta
        if tta > session.tta_max:
            session.tta_max = tta
        session.talk_start = t
        try:
            state, bits = rows[session.state]
        except KeyError:
            raise _no_row(session, rows) from None
        session.state = state
        self._events.append(SessionEvent(session.handle, session.line, bits, state))
        heapq.heappush(self._heap, (t + call.talk, next(self._seq), _K_HANGUP, session))

    def _hangup(self, session: _Session, t: int) -> None:
        session.talk_sum += t - session.talk_start
        session.talk_start = -1
        session.call = None
        wrapup = session.agent.wrapup
        if wrapup:
            session.wrap_start = t
            try:
                state, bits = _R_HANGUP_TO_WRAPUP[session.state]
            except KeyError:
                raise _no_row(session, _R_HANGUP_TO_WRAPUP) from None
            session.state = state
            self._events.append(SessionEvent(session.handle, session.line, bits, state))
            heapq.heappush(self._heap, (t + wrapup, next(self._seq), _K_WRAPEND, session))
        elif self._go(session, _R_HANGUP, t) is READY:
            self._ready(session, t)

    def _wrapend(self, session: _Session, t: int) -> None:
        session.wrap_sum += t - session.wrap_start
        session.wrap_start = -1
        if self._go(session, _R_WRAPUP_END, t) is READY:
            self._ready(session, t)

    # ---- lookups ---------------------------------------------------------------------------------
    def _agent(self, hagent: int) -> _Agent:
        agent = self._agents.get(hagent)
        if agent is None:
            raise SwitchError(LineErr.INVALAGENTID, f"no agent has handle {hagent}")
        return agent

    def _session(self, hsession: int) -> _Session:
        session = self._sessions.get(hsession)
        if session is None:
            raise SwitchError(LineErr.INVALPARAM, f"no agent session has handle {hsession}")
        return session

    def _group(self, group_id: uuid.UUID) -> _Group:
        group = self._groups.get(group_id)
        if group is None:
            raise SwitchError(LineErr.INVALAGENTGROUP, f"no ACD group has GUID {group_id}")
        return group

    def group_list(self) -> list[GroupEntry]:
        """Every ACD group, in scenario order."""
        return [GroupEntry(g.id, g.name, g.queue_id) for g in self._groups.values()]

    def group_by_name(self, name: str) -> GroupEntry | None:
        """The group called ``name``, or None."""
        return next((e for e in self.group_list() if e.name == name), None)

    def group_by_id(self, group_id: uuid.UUID) -> GroupEntry | None:
        """The group with this GUID, or None."""
        g = self._groups.get(group_id)
        return GroupEntry(g.id, g.name, g.queue_id) if g else None

    def queue_list(self, group_id: uuid.UUID) -> list[QueueEntry]:
        """The queues of a group (exactly one, named after the group); INVALAGENTGROUP if unknown."""
        g = self._group(group_id)
        return [QueueEntry(g.queue_id, g.name)]

    def session_list(self, hagent: int, now: float | None = None) -> list[SessionListEntry]:
        """Every session of the agent, ENDED ones included, oldest first; INVALAGENTID if unknown.

        With ``now`` the switch first advances to it (so scripted sessions due by then are listed).
        """
        if now is not None:
            self._advance(now)
        agent = self._agent(hagent)
        return [SessionListEntry(s.handle, agent.handle, s.group.id, s.address) for s in agent.sessions]

    def session_line(self, hsession: int) -> int:
        """The line (device ID) of a session; INVALPARAM if unknown."""
        return self._session(hsession).line

    def session_agent(self, hsession: int) -> int:
        """The hAgent owning a session; INVALPARAM if unknown."""
        return self._session(hsession).agent.handle

    def sessions_on_line(self, line: int) -> list[int]:
        """Handles of every session created on ``line`` (ENDED included), oldest first."""
        return list(self._by_line[line]) if 0 <= line < self._lines else []

    # ---- statistics ------------------------------------------------------------------------------
    def session_info(self, hsession: int, now: float) -> SessionStats:
        """LINEAGENTSESSIONINFO of a session at ``now`` (wire-protocol §4)."""
        v = self.session_figures(hsession, now)
        start = self._start + _dt.timedelta(microseconds=self._sessions[hsession].created)
        return SessionStats(v[0], v[1], start, *v[3:11], rate_decimal(v[11]), v[12], v[13])

    def session_figures(self, hsession: int, now: float) -> tuple[int, ...]:
        """:meth:`session_info`'s values in :class:`SessionStats` field order, all ``int``: the session
        start as microseconds since 1970-01-01 00:00 UTC (:data:`tsp.values.EPOCH`) and the call rate in
        ten-thousandths of a call per hour (:func:`tsp.values.rate_e4`), so a caller answering every
        poll (tsp/wire.py) needs no datetime and no Decimal."""
        t = self._advance(now)
        s = self._session(hsession)
        end = s.ended if s.ended is not None else t
        duration = end - s.created
        talk, wrap = self._exact_talk_wrap(s, t)
        n = s.calls
        # Positional, in SessionStats' field order (state, next_state, session_start_time,
        # session_duration, number_of_calls, total/average talk, total/average call, total/average wrap-up,
        # acd_call_rate, longest/average time to answer): the server asks this on every poll.
        return (
            s.state,
            s.next_state,
            self._start_us + s.created,
            duration // US,
            n,
            talk // US,
            talk // (n * US) if n else 0,
            (talk + wrap) // US,
            (talk + wrap) // (n * US) if n else 0,
            wrap // US,
            wrap // (n * US) if n else 0,
            rate_e4(n, duration),
            s.tta_max // US,
            s.tta_sum // (n * US) if n else 0,
        )

    @staticmethod
    def _exact_talk_wrap(s: _Session, t: int) -> tuple[int, int]:
        talk = s.talk_sum + (t - s.talk_start if s.talk_start >= 0 else 0)
        wrap = s.wrap_sum + (t - s.wrap_start if s.wrap_start >= 0 else 0)
        return talk, wrap

    def agent_info(self, hagent: int, now: float) -> AgentInfo:
        """LINEAGENTINFO of an agent at ``now``; see :class:`AgentInfo` for each field."""
        t = self._advance(now)
        agent = self._agent(hagent)
        states = {s.state for s in agent.sessions}
        if BUSYONCALL in states or BUSYWRAPUP in states:
            state = AgentStateEx.BUSYACD
        elif READY in states:
            state = AgentStateEx.READY
        elif NOTREADY in states:
            state = AgentStateEx.NOTREADY
        else:
            state = AgentStateEx.RELEASED
        calls = talk = wrap = 0
        for s in agent.sessions:
            st, sw = self._exact_talk_wrap(s, t)
            calls += s.calls
            talk += st
            wrap += sw
        period = t - agent.created
        return AgentInfo(
            state=state,
            next_state=0,
            measurement_period=period // US,
            overall_call_rate=rate_decimal(rate_e4(calls, period)),
            number_of_acd_calls=calls,
            number_of_incoming_calls=0,
            number_of_outgoing_calls=0,
            total_acd_talk_time=talk // US,
            total_acd_call_time=(talk + wrap) // US,
            total_acd_wrap_up_time=wrap // US,
        )

    def queue_info(self, queue_id: int, now: float) -> QueueInfo:
        """LINEQUEUEINFO of a queue at ``now``; see :class:`QueueInfo`. INVALPARAM if unknown."""
        t = self._advance(now)
        g = self._queues.get(queue_id)
        if g is None:
            raise SwitchError(LineErr.INVALPARAM, f"no queue has ID {queue_id}")
        current = t - g.waiting[0].arrival if g.waiting else 0
        return QueueInfo(
            measurement_period=t // US,
            total_calls_queued=g.arrived,
            current_calls_queued=len(g.waiting),
            total_calls_abandoned=0,
            total_calls_flowed_in=0,
            total_calls_flowed_out=0,
            longest_ever_wait_time=max(g.wait_max, current) // US,
            current_longest_wait_time=current // US,
            average_wait_time=g.wait_sum // (g.offered * US) if g.offered else 0,
            final_disposition=0,
        )

