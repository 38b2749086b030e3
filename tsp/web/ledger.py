"""What the web console shows, read from the switch through its public methods only.

The model (:class:`tsp.model.Switch`) answers what TAPI asks - LINEQUEUEINFO, LINEAGENTSESSIONINFO - but
keeps no per-call record and no "state since" time. The console needs both (the service level is a share
of calls, "time in state" a time), so :class:`Ledger` keeps them itself from two public sources:

* every model event, as the switch service fans it out (``SwitchService.event_observers``): an offer
  (STATE + BUSYONCALL) takes the oldest call that arrived at the session's group (queues are FIFO), an
  answer (UPDATEINFO + BUSYONCALL) ends that call's time to answer, a STATE change starts "time in state";
* each group's ``total_calls_queued`` (LINEQUEUEINFO), read at every event and every time the console
  looks: each new arrival is dated at the instant it is first seen.

Every reading is taken at the switch's own current instant (``Switch.now``), so the console never moves
the switch. Times are then exact (microseconds) when the switch moves one instant at a time, as it does
under the server's real-clock driver (to within the event loop's latency), in each slice of a wire
EmuAdvanceClock (one instant per step) and in the console's own ``POST /api/advance``. A jump that runs
many instants at once (``Emulator.advance`` on a manual clock) dates what happened in it at its end;
a call that queued with no event during a sliced EmuAdvanceClock is dated at the next event.

The service level of a group is the share of its answered calls whose time to answer (arrival at the
queue to the answer, wire-protocol §4), floored to whole seconds as the protocol reports times, is at
most the threshold (default 20 s). ASA is the mean time to answer of those calls, in seconds.
"""

from __future__ import annotations

import collections
import datetime as _dt
import math
import uuid
from typing import TYPE_CHECKING, Any

from protocol.constants import AgentSessionState, AgentSessionStatus

from tsp.model import SwitchError

if TYPE_CHECKING:  # pragma: no cover
    from tsp.model import SessionEvent
    from tsp.server import EmulatorServer

__all__ = ["Ledger", "DEFAULT_THRESHOLD", "HISTORY_STEP", "HISTORY_SECONDS", "MAX_SESSIONS_SHOWN"]

#: Service-level threshold in seconds (the classic 80/20 target).
DEFAULT_THRESHOLD = 20.0
#: One history point per this many seconds of switch time ...
HISTORY_STEP = 30.0
#: ... over the last hour of switch time.
HISTORY_SECONDS = 3600.0
#: Sessions listed in one snapshot at most (the rest are counted in ``sessions_total``).
MAX_SESSIONS_SHOWN = 500

_BUSYONCALL = AgentSessionState.BUSYONCALL
_BUSYONCALL_INT, _READY, _NOTREADY, _BUSYWRAPUP, _ENDED = (
    int(AgentSessionState.BUSYONCALL), int(AgentSessionState.READY), int(AgentSessionState.NOTREADY),
    int(AgentSessionState.BUSYWRAPUP), int(AgentSessionState.ENDED))
_STATE = AgentSessionStatus.STATE
_UPDATE = AgentSessionStatus.UPDATEINFO
_STATE_NAMES = {
    AgentSessionState.NOTREADY: "NOTREADY", AgentSessionState.READY: "READY",
    AgentSessionState.BUSYONCALL: "BUSYONCALL", AgentSessionState.BUSYWRAPUP: "BUSYWRAPUP",
    AgentSessionState.ENDED: "ENDED", AgentSessionState.RELEASED: "RELEASED",
}


def state_name(value: int) -> str:
    try:
        return _STATE_NAMES[AgentSessionState(value)]
    except (ValueError, KeyError):
        return f"0x{value:X}"


class _GroupBook:
    __slots__ = ("id", "name", "queue_id", "seen_arrivals", "waiting", "answered", "within", "tta_sum")

    def __init__(self, gid: uuid.UUID, name: str, queue_id: int) -> None:
        self.id = gid
        self.name = name
        self.queue_id = queue_id
        self.seen_arrivals = 0
        #: Arrival instants of the calls not yet offered, oldest first (the switch's queue order).
        self.waiting: collections.deque[float] = collections.deque()
        self.answered = 0
        self.within = 0
        self.tta_sum = 0.0


class _SessionBook:
    __slots__ = ("handle", "agent", "group", "line", "state", "since", "arrival", "offered_at", "answered",
                 "tta_sum", "tta_max")

    def __init__(self, handle: int, agent: int, group: uuid.UUID, line: int, state: int, since: float) -> None:
        self.handle = handle
        self.agent = agent
        self.group = group
        self.line = line
        self.state = state
        self.since = since
        self.arrival: float | None = None  # arrival of the call it was offered, until answered
        self.offered_at: float | None = None  # when its current call was offered
        self.answered = 0
        self.tta_sum = 0.0
        self.tta_max = 0.0


class Ledger:
    """Per-call and per-state bookkeeping of one running switch; :meth:`snapshot` is the console's JSON."""

    def __init__(self, server: EmulatorServer, threshold: float = DEFAULT_THRESHOLD) -> None:
        if not (isinstance(threshold, (int, float)) and math.isfinite(threshold) and threshold >= 0):
            raise ValueError(f"service-level threshold must be a finite number >= 0 seconds, got {threshold!r}")
        self.server = server
        self.model = server.model
        self.threshold = float(threshold)
        self._limit = math.floor(self.threshold) + 1  # floor(t) <= T  <=>  t < floor(T) + 1
        self._groups: dict[uuid.UUID, _GroupBook] = {
            g.group_id: _GroupBook(g.group_id, g.name, g.queue_id) for g in self.model.group_list()
        }
        self._sessions: dict[int, _SessionBook] = {}
        self._agent_names: dict[int, str] = {}
        for agent in server.scenario.agents:
            handle = self.model.agent_handle(agent.id)
            if handle is not None:
                self._agent_names[handle] = agent.id
        self._history: collections.deque[tuple[float, int, float | None]] = collections.deque(
            maxlen=int(HISTORY_SECONDS / HISTORY_STEP))
        self._next_point = 0.0
        self._discover_sessions(self.model.now)
        self.sync()

    # --- keeping up ---------------------------------------------------------------------------------

    def on_event(self, event: SessionEvent) -> None:
        """A model event as the service fans it out (register with ``service.event_observers``)."""
        t = self.model.now
        self._sync_arrivals(t)
        book = self._session(event.hagent_session, t)
        if book is None:
            return
        if event.status & _STATE:
            if event.state is _BUSYONCALL or event.state == _BUSYONCALL:
                group = self._groups.get(book.group)
                book.arrival = group.waiting.popleft() if group is not None and group.waiting else t
                book.offered_at = t
            if int(event.state) != book.state:
                book.state = int(event.state)
                book.since = t
        if event.status & _UPDATE and event.state == _BUSYONCALL and book.arrival is not None:
            self._answered(book, t - book.arrival)
            book.arrival = None

    def sync(self) -> None:
        """Catch up at the switch's current instant: arrivals and history (cheap: one LINEQUEUEINFO per
        group). Sessions come with their NEWSESSION events (those before the ledger was made are looked up
        when it is made)."""
        t = self.model.now
        self._sync_arrivals(t)
        self._record_history(t)

    def _discover_sessions(self, t: float) -> None:
        for hagent in self.model.agent_handles():
            for entry in self.model.session_list(hagent):
                if entry.hagent_session not in self._sessions:
                    self._session(entry.hagent_session, t)

    def _answered(self, book: _SessionBook, tta: float) -> None:
        book.answered += 1
        book.tta_sum += tta
        book.tta_max = max(book.tta_max, tta)
        group = self._groups.get(book.group)
        if group is None:
            return
        group.answered += 1
        group.tta_sum += tta
        if tta < self._limit - 1e-9:
            group.within += 1

    def _sync_arrivals(self, t: float) -> None:
        for group in self._groups.values():
            total = self.model.queue_info(group.queue_id, t).total_calls_queued
            while group.seen_arrivals < total:
                group.seen_arrivals += 1
                group.waiting.append(t)

    def _session(self, handle: int, t: float) -> _SessionBook | None:
        book = self._sessions.get(handle)
        if book is not None:
            return book
        try:
            hagent = self.model.session_agent(handle)
            entry = next((e for e in self.model.session_list(hagent) if e.hagent_session == handle), None)
            state = int(self.model.session_figures(handle, t)[0])
        except SwitchError:  # not a session of this switch: nothing to book
            return None
        if entry is None:
            return None
        book = _SessionBook(handle, hagent, entry.group_id, self.model.session_line(handle), state, t)
        self._sessions[handle] = book
        return book

    def _record_history(self, t: float) -> None:
        if t - self._next_point > HISTORY_SECONDS + HISTORY_STEP:  # a long jump: only the last hour matters
            self._next_point = math.floor((t - HISTORY_SECONDS) / HISTORY_STEP) * HISTORY_STEP
        if self._next_point > t:
            return
        waiting = sum(len(g.waiting) for g in self._groups.values())
        answered = sum(g.answered for g in self._groups.values())
        level = sum(g.within for g in self._groups.values()) / answered if answered else None
        while self._next_point <= t:
            self._history.append((self._next_point, waiting, level))
            self._next_point += HISTORY_STEP

    # --- what the console shows -----------------------------------------------------------------------

    def session_times(self, hsession: int) -> tuple[int, float, float] | None:
        """(calls answered, sum and longest time to answer in seconds) of a session as the ledger dated
        them; None for a session it has not seen. The switch's LINEAGENTSESSIONINFO floors the same
        figures (tests compare the two)."""
        book = self._sessions.get(hsession)
        return (book.answered, book.tta_sum, book.tta_max) if book else None

    def agent_name(self, hagent: int) -> str:
        """The scenario's agent ID, or ``hAgent N`` for an agent created over the wire (the switch has no
        public lookup from handle to ID)."""
        return self._agent_names.get(hagent, f"hAgent {hagent}")

    def snapshot(self) -> dict[str, Any]:
        """Everything the page shows, as JSON-ready values, at the switch's current instant."""
        self.sync()
        model = self.model
        t = model.now
        counts: collections.Counter[tuple[uuid.UUID, int]] = collections.Counter()
        sessions: list[dict[str, Any]] = []
        calls: list[dict[str, Any]] = []
        live = 0
        for book in self._sessions.values():
            state = book.state  # kept by the STATE events: no switch call for sessions not listed
            if state != _ENDED:
                live += 1
                counts[book.group, state] += 1
            if len(sessions) >= MAX_SESSIONS_SHOWN:
                continue
            name = state_name(state)
            v = model.session_figures(book.handle, t)
            group = self._groups.get(book.group)
            row = {
                "session": book.handle, "agent": self.agent_name(book.agent),
                "group": group.name if group else str(book.group), "line": book.line,
                "state": name, "next_state": state_name(int(v[1])) if v[1] else None,
                "time_in_state": round(t - book.since, 3), "calls": int(v[4]),
                "talk": int(v[5]), "average_talk": int(v[6]), "wrap_up": int(v[9]), "average_wrap_up": int(v[10]),
            }
            sessions.append(row)
            if state == AgentSessionState.BUSYONCALL and book.offered_at is not None:
                calls.append({
                    "session": book.handle, "agent": row["agent"], "group": row["group"], "line": book.line,
                    "answered": book.arrival is None, "since": round(t - book.offered_at, 3),
                })
        groups = []
        for g in self._groups.values():
            q = model.queue_info(g.queue_id, t)
            gid = g.id
            groups.append({
                "id": str(g.id), "name": g.name, "queue": g.queue_id,
                "waiting": q.current_calls_queued, "longest_wait": q.current_longest_wait_time,
                "arrived": q.total_calls_queued, "abandoned": q.total_calls_abandoned,
                "answered": g.answered, "within": g.within,
                "service_level": round(g.within / g.answered, 6) if g.answered else None,
                "asa": round(g.tta_sum / g.answered, 3) if g.answered else None,
                "ready": counts[gid, _READY], "on_call": counts[gid, _BUSYONCALL_INT],
                "wrap_up": counts[gid, _BUSYWRAPUP], "not_ready": counts[gid, _NOTREADY],
            })
        start = model.start
        clock = self.server.clock
        return {
            "clock": {
                "now": round(t, 6), "kind": "manual" if clock.manual else "real",
                "wall": (start + _dt.timedelta(seconds=t)).isoformat(timespec="seconds"),
            },
            "scenario": self.server.scenario.switch.name,
            "threshold": self.threshold,
            "groups": groups,
            "sessions": sessions,
            "sessions_total": len(self._sessions),
            "sessions_live": live,
            "calls": calls,
            "history": {"step": HISTORY_STEP, "points": [[p, w, s] for p, w, s in self._history]},
            "connections": self.server.connection_count,
        }
