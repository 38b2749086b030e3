"""The switch: time, the heap of due events, agents, sessions, routing, periods (tsp.model's core).

The call steps live in :mod:`tsp.model.calls`, the statistics in :mod:`tsp.model.stats` (mixins of
:class:`Switch`; one class, split across modules to keep each small).
"""

from __future__ import annotations

import bisect
import datetime as _dt
import heapq
import itertools
import math
import operator
import random
import uuid
from collections import deque

from protocol.constants import AgentSessionState, AgentStateEx, AgentStatusEx, LineErr
from tsp.errors import SwitchError
from tsp.lifecycle import PENDING
from tsp.model.calls import K, CallsMixin, bucket_shift
from tsp.model.records import AgentRec, GroupRec, PeriodRec, SessionRec, TrafficRec
from tsp.model.rules import BUSY, EX_TO_SESSION, US, R, no_row, plan_state_request, to_us
from tsp.model.stats import StatsMixin
from tsp.scenario import Activity, Scenario, SessionChange, SessionSpec
from tsp.values import EPOCH, AgentEvent, CallEnd, SessionEvent

__all__ = ["Switch"]

NOTREADY = AgentSessionState.NOTREADY
READY = AgentSessionState.READY
BUSYONCALL = AgentSessionState.BUSYONCALL
ENDED = AgentSessionState.ENDED
_new = tuple.__new__
_heappush = heapq.heappush
_heappop = heapq.heappop
_insort = bisect.insort
_when = operator.itemgetter(0)
_NORMAL = CallEnd.NORMAL
_A_STATE = AgentStatusEx.STATE
_RELEASED = AgentStateEx.RELEASED
_EX_READY = AgentStateEx.READY
_EX_NOTREADY = AgentStateEx.NOTREADY
_BUSYACD = AgentStateEx.BUSYACD


def _state_event(agent: AgentRec, state: AgentStateEx) -> AgentEvent:
    """The AgentEvent STATE for ``agent`` entering ``state``: its prebuilt READY or BUSYACD event (the
    frequent ones, AgentRec), else a new one."""
    if state is _EX_READY:
        return agent.ready_event
    if state is _BUSYACD:
        return agent.busy_event
    return _new(AgentEvent, (agent.handle, _A_STATE, int(state)))


class Switch(CallsMixin, StatsMixin):
    """The ACD switch of one scenario. See the package docstring (tsp.model) for time, events, errors.

    ``records``: keep call detail records for :meth:`take_records` (at most ``max_records`` not yet
    taken; older ones are dropped and counted in :attr:`records_dropped`).
    """

    def __init__(self, scenario: Scenario, *, records: bool = True, max_records: int = 10_000) -> None:
        self.scenario = scenario
        sw = scenario.switch
        self._start = sw.start
        self._start_us = (self._start - EPOCH) // _dt.timedelta(microseconds=1)  # t = 0 since 1970, in us
        self._lines = sw.lines
        self._rng = random.Random(sw.seed)
        self._now = 0
        #: Memo of the last ``_advance`` argument and its microseconds (nan: none yet; never equal).
        self._last_now = math.nan
        self._last_t = 0
        # The event queue (a calendar queue of (when, kind, obj) entries, run in the order of their
        # instant, entries due at one instant in the order they were pushed, as one heap of (when, push
        # count, ...) would; each entry lands in the bucket of its instant >> self._shift, and only the
        # open bucket is in order): ``_heap`` is the open bucket, a list sorted by instant when it opens
        # (list.sort is stable, so pushes at one instant keep their order, and is cheaper than a heap's
        # sift per pop), read from ``_pos`` on (the entries before it are done; a push due in the open
        # bucket is inserted after every entry due at or before its instant: the done ones included),
        # ``_buckets`` the later ones (unsorted lists), ``_bnums`` a heap of their numbers. Each entry
        # carries the object it is about (the per-call kinds: the CallRec, the SessionRec of a wrap-up
        # end, the TrafficRec), so a due entry needs no lookup by ID; one whose instant is no longer its
        # object's ``*_due`` is stale and skipped (every path that ends a ring, an answer delay or a talk
        # sets that due to -1, and a call's due is set only while it is on a line).
        self._heap: list[tuple[int, int, object]] = []
        self._pos = 0
        #: the bucket width (tsp.model.calls.bucket_shift): narrower on larger floors; any width gives the
        #: same order (buckets partition time)
        self._shift = bucket_shift(sum(len(a.sessions) for a in scenario.agents))
        self._heap_b = -1 << 62  # the open bucket's number (none yet: every push goes to a bucket)
        self._buckets: dict[int, list] = {}
        self._bnums: list[int] = []
        self._events: list = []
        self._takes = 0  # take_events() calls so far (queue events coalesce per instant between takes)
        self._processed = 0
        self._handles = itertools.count(1)  # agents and sessions share one handle space
        self._call_ids = itertools.count(1)
        self._fresh: list = []  # calls that arrived with a patience since the last routing
        self._dirty: set[GroupRec] = set()  # groups where a call or a candidate appeared (route them)
        self._ring_timeout = to_us(sw.ring_timeout)
        self._outbound_answer = to_us(sw.outbound_answer)
        self._period = to_us(sw.measurement_period)
        self._activities = {a.id: a for a in scenario.activities}
        self._calls: dict = {}  # call ID -> CallRec, while the call is on a line
        self._on_line: list[dict[int, None]] = [{} for _ in range(self._lines)]  # call IDs, oldest first
        self._keep_records = records
        self._max_records = max_records
        self._records: deque = deque(maxlen=max_records)
        self.records_dropped = 0
        self._groups: dict[uuid.UUID, GroupRec] = {}
        self._queues: dict[int, GroupRec] = {}
        self._extensions: dict[str, GroupRec] = {}
        for g in scenario.groups:
            grp = GroupRec(g.id, g.name, g.queue)
            grp.extension = g.extension
            if g.extension:
                self._extensions[g.extension] = grp
            self._groups[g.id] = grp
            self._queues[g.queue] = grp
            if self._period:
                grp.period = PeriodRec(self._period, 0, (0,) * 6)
                self._push(grp.period.due, K.QPERIOD, grp)
        for g in scenario.groups:
            if g.overflow_to is not None and g.overflow_after is not None:
                grp = self._groups[g.id]
                grp.overflow_after = to_us(g.overflow_after)
                grp.overflow_to = self._groups[g.overflow_to]
        self._agents: dict[int, AgentRec] = {}
        self._agents_by_id: dict[str, AgentRec] = {}
        self._sessions: dict[int, SessionRec] = {}
        self._by_line: list[list[int]] = [[] for _ in range(self._lines)]
        #: (line, address) -> the agent whose scenario ``home`` it is (agents are never removed; homes come
        #: only from the scenario), so §8.2's lookup does not walk every agent.
        self._by_home: dict[tuple[int, int], AgentRec] = {}
        for spec in scenario.agents:
            agent = self._new_agent(spec.id, spec.pin, to_us(spec.answer_delay), to_us(spec.wrapup), 0)
            agent.answer = spec.answer
            agent.home = spec.home
            if spec.home is not None:
                self._by_home.setdefault(spec.home, agent)  # the first agent with that home (file order)
            for sess in spec.sessions:
                self._push(to_us(sess.at), K.SESSION, (agent, sess))
        for call in scenario.calls:
            self._push(to_us(call.at), K.CALL, call)
        for t in scenario.traffic:
            self._start_traffic(t)

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
        heap = self._heap
        if self._pos == len(heap):
            heap = self._open_bucket()
        return heap[self._pos][0] / US if self._pos < len(heap) else None

    def _open_bucket(self) -> list:
        """The open bucket is done: open the next one (sort it, read from 0); returns the new open bucket
        (the done one, unchanged, when no bucket is left)."""
        bnums = self._bnums
        if not bnums:
            return self._heap
        b = _heappop(bnums)
        heap = self._buckets.pop(b)
        heap.sort(key=_when)  # stable: entries due at one instant stay in the order they were pushed
        self._heap = heap
        self._pos = 0
        self._heap_b = b
        return heap

    def advance(self, now: float) -> list:
        """Process everything due up to and including ``now``; return all events not yet taken."""
        self._advance(now)
        return self.take_events()

    def has_events(self) -> bool:
        """Whether events have accumulated since the last :meth:`take_events`."""
        return bool(self._events)

    def take_events(self) -> list:
        """Return and forget the events accumulated so far (by any method), oldest first: SessionEvent,
        AgentEvent, QueueEvent and CallEvent mixed, in the order they happened."""
        events, self._events = self._events, []
        self._takes += 1
        return events

    def _advance(self, now: float) -> int:
        if type(now) is float and now == self._last_now:
            # The same instant as the previous call (the server advances, then asks): skip the checks
            # and rounding of ``to_us``, which gave this very value.
            t = self._last_t
        else:
            t = to_us(now)
            self._last_now, self._last_t = now, t
        if t < self._now:
            if now < self._now / US:
                raise ValueError(f"time went backwards: now = {now!r} s but the switch is at {self._now / US} s")
            # Past 2**53 us an event run because its time in seconds was <= now (below) may lie a few
            # microseconds after round(now * 1e6): the same float instant again is not going backwards.
            t = self._now
        heap = self._heap
        pos = self._pos
        dirty = self._dirty
        if not dirty and pos < len(heap):
            when = heap[pos][0]
            if when > t and when / US > now:
                # Nothing due (the frequent case of a poll): what the loop below does when its first entry
                # is not due, without setting it up.
                if t > self._now:
                    self._now = t
                return self._now
        k_hangup, k_answer, k_wrapend, k_traffic = K.HANGUP, K.ANSWER, K.WRAPEND, K.TRAFFIC
        n = 0
        # An event whose time in seconds (as next_due() gives it) is <= now is due even when rounding
        # ``now`` to microseconds fell just short of it (past 2**53 us, about 285 years, floats cannot
        # hold every microsecond): advance(next_due()) always makes progress.
        try:
            while True:
                try:
                    when, kind, obj = heap[pos]
                except IndexError:  # the open bucket is done (once per bucket)
                    if not self._bnums:
                        break
                    heap = self._open_bucket()
                    pos = 0
                    continue
                if when > t and when / US > now:
                    break
                pos += 1
                n += 1
                self._now = when
                if kind == k_hangup:
                    if obj.hangup_due == when:  # type: ignore[attr-defined]
                        self._talk_ends(obj, _NORMAL, when, True)  # type: ignore[arg-type]  # the caller hangs up
                elif kind == k_answer:
                    if obj.answer_due == when:  # type: ignore[attr-defined]
                        self._answer(obj, when)  # type: ignore[arg-type]
                elif kind == k_wrapend:
                    self._wrapend(obj, when)  # type: ignore[arg-type]
                elif kind == k_traffic:
                    self._traffic(obj, when)  # type: ignore[arg-type]
                else:
                    self._rare(kind, obj, when)
                # §7.1: everything due at one instant first, then routing (the next bucket's entries
                # are all later)
                if dirty and not (pos < len(heap) and heap[pos][0] == when):
                    self._route(when)
        finally:
            self._pos = pos
        self._processed += n
        if t > self._now:
            self._now = t
        if dirty:
            self._route(self._now)
        return self._now

    def _rare(self, kind: int, obj: object, when: int) -> None:
        if kind == K.RING:
            if obj.ring_due == when:  # type: ignore[attr-defined]
                self._ring_timeout_of(obj, when)  # type: ignore[arg-type]
        elif kind == K.PATIENCE:
            if obj.patience_due == when and obj.where is not None:  # type: ignore[attr-defined]
                self._abandon(obj, when)  # type: ignore[arg-type]
        elif kind == K.OVERFLOW:
            if obj.overflow_due == when and obj.where is not None:  # type: ignore[attr-defined]
                self._overflow(obj, when)  # type: ignore[arg-type]
        elif kind == K.FARANSWER:
            if obj.answer_due == when:  # type: ignore[attr-defined]
                self._far_answer(obj, when)  # type: ignore[arg-type]
        elif kind == K.CALL:
            self._scripted_call(obj, when)  # type: ignore[arg-type]
        elif kind == K.SESSION:
            agent, spec = obj  # type: ignore[misc]
            self._scripted_session(agent, spec, when)
        elif kind == K.CHANGE:
            session, change = obj  # type: ignore[misc]
            self._scheduled_change(session, change, when)
        elif kind == K.APERIOD:
            self._agent_boundary(obj, when)  # type: ignore[arg-type]
        elif kind == K.QPERIOD:
            self._queue_boundary(obj, when)  # type: ignore[arg-type]
        else:  # pragma: no cover - every kind is handled above
            raise AssertionError(f"unknown heap event kind {kind}")

    def _push(self, when: int, kind: int, obj: object) -> None:
        """Schedule ``obj`` at ``when``: into the open bucket in order if it is due there (after every
        entry due at the same instant), else appended to its bucket's list (sorted when it opens)."""
        b = when >> self._shift
        if b <= self._heap_b:
            _insort(self._heap, (when, kind, obj), key=_when)
            return
        try:
            self._buckets[b].append((when, kind, obj))
        except KeyError:  # the bucket's first entry
            self._buckets[b] = [(when, kind, obj)]
            _heappush(self._bnums, b)

    def _settle(self, t: int) -> None:
        """After a request: route what it made possible (§7.1)."""
        if self._dirty:
            self._route(t)

    # ---- agents and sessions ---------------------------------------------------------------------
    def _new_agent(self, agent_id: str, pin: str | None, answer_delay: int, wrapup: int, created: int) -> AgentRec:
        agent = AgentRec(next(self._handles), agent_id, pin, answer_delay, wrapup, created)
        self._agents[agent.handle] = agent
        self._agents_by_id[agent_id] = agent
        if self._period:
            agent.period = PeriodRec(self._period, created, (0,) * 5)
            self._push(agent.period.due, K.APERIOD, agent)
        return agent

    def create_agent(self, agent_id: str, pin: str | None, now: float) -> int:
        """CreateAgent: the hAgent of ``agent_id`` (the same one every time).

        A known agent with a PIN needs exactly that PIN (None or another -> INVALPASSWORD); a known agent
        without a PIN accepts any. An unknown ID creates a new agent (answer_delay 0, wrapup 0) whose PIN
        is the one given (None = no PIN) and emits AgentEvent NEWAGENT (§8.1).
        """
        t = self._advance(now)
        if not agent_id:
            raise SwitchError(LineErr.INVALAGENTID, "the agent ID is empty")
        agent = self._agents_by_id.get(agent_id)
        if agent is None:
            agent = self._new_agent(agent_id, pin, 0, 0, t)
            self._events.append(_new(AgentEvent, (agent.handle, AgentStatusEx.NEWAGENT, 0)))  # §8.1
            return agent.handle
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
        (BADDEVICEID), address (INVALADDRESSID, only 0 exists), then one not-ENDED session per agent and
        group (§7.1: a second one -> INVALAGENTGROUP; after ENDED a new one is allowed). Emits NEWSESSION.
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
        for s in agent.sessions:
            if s.group is group and s.state is not ENDED:
                raise SwitchError(
                    LineErr.INVALAGENTGROUP,
                    f"agent {agent.agent_id!r} already has session {s.handle} in group {group.name!r}",
                )
        session = self._new_session(agent, group, line, address, t)
        self._go(session, R.CREATE, t)
        self._agent_touch(agent)
        return session.handle

    def _new_session(self, agent: AgentRec, group: GroupRec, line: int, address: int, t: int) -> SessionRec:
        session = SessionRec(next(self._handles), agent, group, line, address, t)
        self._sessions[session.handle] = session
        agent.sessions.append(session)
        self._by_line[line].append(session.handle)
        return session

    def _scripted_session(self, agent: AgentRec, spec: SessionSpec, t: int) -> None:
        session = self._new_session(agent, self._groups[spec.group], spec.line, spec.address, t)
        if spec.state is READY:
            self._go(session, R.CREATE_READY, t)
            self._ready(session, t)
        else:
            self._go(session, R.CREATE, t)
        self._agent_touch(agent)
        for change in spec.changes:
            self._push(max(t, to_us(change.at)), K.CHANGE, (session, change))

    def _scheduled_change(self, session: SessionRec, change: SessionChange, t: int) -> None:
        """§7.7: a session change applied as SetAgentSessionState would be (while busy: stored)."""
        if change.activity is not None:
            session.agent.activity = change.activity
        try:
            self._request(session, int(change.state), 0, t)
        except SwitchError:
            pass  # the session has ENDED meanwhile: nothing left to change

    def set_session_state(self, hsession: int, state: int, next_state: int, now: float) -> None:
        """SetAgentSessionState per :func:`plan_state_request`; emits STATE when the state changes and
        UPDATEINFO when only the next state does (§7.2)."""
        t = self._advance(now)
        self._request(self._session(hsession), state, next_state, t)
        self._settle(t)

    def _request(self, session: SessionRec, state: int, next_state: int, t: int) -> None:
        enter, pending = plan_state_request(session.state, state, next_state, session.next_state)  # type: ignore[arg-type]
        changed = pending != session.next_state
        session.next_state = pending
        if enter is not None:
            if self._go(session, R.REQUEST[enter], t) is READY:
                self._ready(session, t)
        elif changed:
            self._go(session, R.NEXT_CHANGED, t)
            self._agent_update(session.agent)
        self._agent_touch(session.agent)

    def _go(self, session: SessionRec, rows: dict, t: int) -> AgentSessionState:
        """Make the lifecycle row of ``rows`` (one trigger's rows of tsp.lifecycle.TABLE) for the
        session's state: enter its next state and record its event. Returns the new state."""
        try:
            nxt, bits = rows[session.state]
        except KeyError:
            raise no_row(session.state, rows) from None
        if nxt is PENDING:
            pending = session.next_state
            nxt = AgentSessionState(pending) if pending else READY
            session.next_state = 0
        session.state = nxt
        if nxt is ENDED:
            session.ended = t
        self._events.append(_new(SessionEvent, (session.handle, session.line, bits, nxt)))
        return nxt

    def _ready(self, session: SessionRec, t: int) -> None:
        """A session has just become READY: a routing candidate from now (unless its agent is busy:
        then it becomes one when the agent is free, §7.1)."""
        if session.agent.busy:
            return
        session.ready_since = t
        gen = session.ready_gen = session.ready_gen + 1
        group = session.group
        ready = group.ready
        entry = (t, session.handle, gen, session)
        if not ready or ready[-1] < entry:  # (t never decreases: almost always the end)
            ready.append(entry)
        else:
            i = len(ready)
            while i and ready[i - 1] > entry:
                i -= 1
            ready.insert(i, entry)
        if group.waiting:  # (no call waits: nothing to route; a call that arrives marks the group itself)
            self._dirty.add(group)

    def _free(self, agent: AgentRec, t: int) -> None:
        """The agent stopped being busy: each READY session is a candidate again, ready since now; then
        :meth:`_agent_touch` (its :meth:`_agent_state` for an agent that is not busy, in the same loop)."""
        agent.busy = False
        agent.call = None
        state = _RELEASED
        for s in agent.sessions:
            st = s.state
            if st is READY:
                self._ready(s, t)
                state = _EX_READY
            elif state is _RELEASED and (st is NOTREADY or st in BUSY):
                state = _EX_NOTREADY
        if state is not agent.state_ex:
            agent.state_ex = state
            self._events.append(_state_event(agent, state))

    def _route(self, t: int) -> None:
        """Route (:meth:`_match`), then give each call that arrived and still waits its patience event
        (most calls are routed at once: they never need one)."""
        self._match(t)
        fresh = self._fresh
        if fresh:
            push = self._push
            for c in fresh:
                if c.where is not None and not c.patience_set:
                    c.patience_set = True
                    push(c.patience_due, K.PATIENCE, c)
            fresh.clear()

    def _match(self, t: int) -> None:
        """§7.1: offer waiting calls to free READY sessions, oldest call (by arrival) first, each to the
        candidate of its group with the oldest (ready-since, hAgentSession)."""
        dirty = self._dirty
        if len(dirty) == 1:  # the common case: one group changed at this instant
            g = dirty.pop()
            waiting = g.waiting
            ready = g.ready
            while waiting and ready:
                _, _, gen, s = ready.popleft()
                if s.state is READY and s.ready_gen == gen and not s.agent.busy:
                    call = waiting.popleft()
                    self._leave_queue(call, g, t)
                    self._offer(s, call, t)
            if not dirty:
                return
        while dirty:
            best = None
            key = None
            for g in list(dirty):
                waiting = g.waiting
                if not waiting:  # (its stale candidates are dropped when a call waits there)
                    dirty.discard(g)
                    continue
                ready = g.ready
                while ready:
                    _, _, gen, s = ready[0]
                    if s.state is READY and s.ready_gen == gen and not s.agent.busy:
                        break
                    ready.popleft()
                if not ready:
                    dirty.discard(g)
                    continue
                head = waiting[0]
                if key is None or head.arrival < key[0] or (head.arrival == key[0] and head.id < key[1]):
                    best, key = g, (head.arrival, head.id)
            if best is None:
                break
            call = best.waiting.popleft()
            session = best.ready.popleft()[3]
            self._leave_queue(call, best, t)
            self._offer(session, call, t)
        dirty.clear()

    # ---- agent state (LINE_AGENTSTATUSEX) --------------------------------------------------------
    def _agent_state(self, agent: AgentRec) -> AgentStateEx:
        if agent.busy:
            call = agent.call
            return AgentStateEx.BUSYOUTGOING if call is not None and call.outbound else AgentStateEx.BUSYACD
        best = AgentStateEx.RELEASED
        for s in agent.sessions:
            st = s.state
            if st is READY:
                return AgentStateEx.READY
            if st is NOTREADY or st in BUSY:
                best = AgentStateEx.NOTREADY
        return best

    def _agent_touch(self, agent: AgentRec) -> None:
        """Emit AgentEvent STATE if LINEAGENTINFO.dwAgentState changed."""
        state = self._agent_state(agent)
        if state is not agent.state_ex:
            agent.state_ex = state
            self._events.append(_state_event(agent, state))

    def _agent_update(self, agent: AgentRec) -> None:
        self._events.append(agent.update_event)

    def _queue_update(self, group: GroupRec) -> None:
        t = self._now
        if group.event_t != t or group.event_take != self._takes:
            group.event_t, group.event_take = t, self._takes
            self._events.append(group.update_event)

    # ---- activities, agent-level requests (§7.7, §8) -----------------------------------------------
    def activities(self) -> tuple[Activity, ...]:
        """The scenario's agent activities, in file order."""
        return self.scenario.activities

    def agent_activity(self, hagent: int) -> int | None:
        """The agent's current activity ID (None until one is set)."""
        return self._agent(hagent).activity

    def set_agent_activity(self, hagent: int, activity_id: int, now: float) -> None:
        """SetAgentActivity: one of the scenario's activities, else INVALAGENTACTIVITY."""
        self._advance(now)
        agent = self._agent(hagent)
        if activity_id not in self._activities:
            known = ", ".join(str(a) for a in self._activities) or "none"
            raise SwitchError(LineErr.INVALAGENTACTIVITY, f"no agent activity has ID {activity_id} (known: {known})")
        agent.activity = activity_id

    def agent_home(self, hagent: int) -> tuple[int, int] | None:
        """The agent's station (line, address) from the scenario's ``home``, or None."""
        return self._agent(hagent).home

    def agent_busy(self, hagent: int) -> bool:
        """§7.1: whether a call rings to the agent, it talks or wraps up, or has an outbound call."""
        return self._agent(hagent).busy

    def set_agent_state_ex(self, hagent: int, state: int, next_state: int, now: float) -> None:
        """SetAgentStateEx (157, §8.1): READY / NOTREADY (LINEAGENTSTATEEX_) for every session of the agent
        that is not ENDED, each as SetAgentSessionState (§7.2). Other values -> INVALAGENTSTATE; both 0 ->
        INVALPARAM. Every session is checked before any changes."""
        t = self._advance(now)
        agent = self._agent(hagent)
        if state == 0 and next_state == 0:
            raise SwitchError(LineErr.INVALPARAM, "dwAgentState and dwNextAgentState are both 0")
        mapped = []
        for label, value in (("dwAgentState", state), ("dwNextAgentState", next_state)):
            if value and value not in EX_TO_SESSION:
                raise SwitchError(
                    LineErr.INVALAGENTSTATE, f"{label} = 0x{value:X} cannot be requested (only READY or NOTREADY)"
                )
            mapped.append(int(EX_TO_SESSION[value]) if value else 0)  # type: ignore[index]
        live = [s for s in agent.sessions if s.state is not ENDED]
        for s in live:
            plan_state_request(s.state, mapped[0], mapped[1], s.next_state)  # type: ignore[arg-type]
        for s in live:
            self._request(s, mapped[0], mapped[1], t)
        self._settle(t)

    # ---- measurement periods (§7.8) --------------------------------------------------------------
    def set_agent_measurement_period(self, hagent: int, seconds: float, now: float) -> None:
        """SetAgentMeasurementPeriod (154): intervals of ``seconds`` from now; counters restart at each."""
        t = self._advance(now)
        agent = self._agent(hagent)
        p = self._period_us(seconds)
        agent.period = PeriodRec(p, t, self._agent_totals(agent, t))
        self._push(agent.period.due, K.APERIOD, agent)
        self._agent_update(agent)

    def set_queue_measurement_period(self, queue_id: int, seconds: float, now: float) -> None:
        """SetQueueMeasurementPeriod (156): intervals of ``seconds`` from now; unknown queue -> INVALPARAM."""
        t = self._advance(now)
        group = self._queue(queue_id)
        p = self._period_us(seconds)
        group.period = PeriodRec(p, t, self._queue_totals(group))
        group.wait_max = 0
        self._push(group.period.due, K.QPERIOD, group)
        self._queue_update(group)

    @staticmethod
    def _period_us(seconds: float) -> int:
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) \
                or seconds <= 0 or round(seconds * US) <= 0:
            raise SwitchError(LineErr.INVALPARAM, f"the measurement period must be > 0 seconds, got {seconds!r}")
        return round(seconds * US)

    def _agent_boundary(self, agent: AgentRec, t: int) -> None:
        period = agent.period
        if period is None or period.due != t:
            return  # replaced by a newer period
        period.start = t
        period.base = self._agent_totals(agent, t)
        period.due = t + period.p
        self._push(period.due, K.APERIOD, agent)
        self._agent_update(agent)

    def _queue_boundary(self, group: GroupRec, t: int) -> None:
        period = group.period
        if period is None or period.due != t:
            return
        period.start = t
        period.base = self._queue_totals(group)
        group.wait_max = 0
        period.due = t + period.p
        self._push(period.due, K.QPERIOD, group)
        self._queue_update(group)

    def _agent_totals(self, agent: AgentRec, t: int) -> tuple[int, ...]:
        """(ACD calls, exact talk us, exact wrap-up us, outgoing calls, 0) over all sessions at ``t``."""
        calls = talk = wrap = 0
        for s in agent.sessions:
            st, sw = self._exact_talk_wrap(s, t)
            calls += s.calls
            talk += st
            wrap += sw
        return (calls, talk, wrap, agent.outgoing, 0)

    @staticmethod
    def _queue_totals(g: GroupRec) -> tuple[int, ...]:
        return (g.arrived, g.abandoned, g.flowed_in, g.flowed_out, g.left, g.wait_sum)

    # ---- traffic set-up --------------------------------------------------------------------------
    def _start_traffic(self, t) -> None:  # type: ignore[no-untyped-def]
        from tsp.model.streams import make_stream  # local: optional tsp.traffic features

        stream: TrafficRec | None = make_stream(t, self._groups[t.group], self._rng)
        if stream is None:
            return
        first = self._first_arrival(stream)
        if first is not None:
            self._push(first, K.TRAFFIC, stream)

    # ---- lookups ---------------------------------------------------------------------------------
    def _agent(self, hagent: int) -> AgentRec:
        agent = self._agents.get(hagent)
        if agent is None:
            raise SwitchError(LineErr.INVALAGENTID, f"no agent has handle {hagent}")
        return agent

    def _session(self, hsession: int) -> SessionRec:
        session = self._sessions.get(hsession)
        if session is None:
            raise SwitchError(LineErr.INVALPARAM, f"no agent session has handle {hsession}")
        return session

    def _group(self, group_id: uuid.UUID) -> GroupRec:
        group = self._groups.get(group_id)
        if group is None:
            raise SwitchError(LineErr.INVALAGENTGROUP, f"no ACD group has GUID {group_id}")
        return group

    def _queue(self, queue_id: int) -> GroupRec:
        g = self._queues.get(queue_id)
        if g is None:
            raise SwitchError(LineErr.INVALPARAM, f"no queue has ID {queue_id}")
        return g

