"""What the web console shows, read from the switch through its public methods only.

The model (:class:`tsp.model.Switch`) answers what TAPI asks - LINEQUEUEINFO, LINEAGENTSESSIONINFO, the
calls on a line (``calls_on_line`` / ``call_info``) and the records of the calls still in the switch
(``open_records``) - but keeps no "state since" time per session and no service level (a share of
calls). :class:`Ledger` keeps those itself:

* every session event, as the switch service fans it out (``SwitchService.event_observers``; other
  kinds of model event are ignored): a STATE change starts "time in state"; an answer (UPDATEINFO +
  BUSYONCALL) is one answered call of that session and its group, whose time to answer (arrival at the
  queue, or at the last queue for a transferred call, to the answer: wire-protocol §4, §7.5) is read
  from the call's own record (``open_records``: its arrival and the offer's answer instant, in
  microseconds). So abandoned calls, overflow and ring timeouts are accounted exactly as the switch
  does.
* a call that both was answered and left the switch (wrap-up over) inside one multi-instant jump
  (``Emulator.advance`` on a manual clock) has no record left when the event is seen: it is counted
  with its time to answer dated from the offer the ledger saw (or 0). The server's real-clock driver,
  each slice of a wire EmuAdvanceClock and the console's own ``POST /api/advance`` move one instant at
  a time, where this cannot happen.

Every reading is taken at the switch's own current instant (``Switch.now``), so the console never moves
the switch.

The service level of a group is the share of its answered calls whose time to answer, floored to whole
seconds as the protocol reports times, is at most the threshold (default 20 s). ASA is the mean time to
answer of those calls, in seconds. Abandoned calls and the measurement interval come from LINEQUEUEINFO
(dwTotalCallsAbandoned, dwMeasurementPeriod): they cover the queue's current measurement interval
(wire-protocol §7.8), while answered / service level / ASA count since the console started.
"""

from __future__ import annotations

import collections
import datetime as _dt
import math
import uuid
from typing import TYPE_CHECKING, Any

from protocol.constants import AgentSessionState, AgentSessionStatus

from tsp.model import SwitchError
from tsp.values import CallOutcome, CallRecord, CallState, SessionEvent

if TYPE_CHECKING:  # pragma: no cover
    from tsp.server import EmulatorServer

__all__ = ["Ledger", "DEFAULT_THRESHOLD", "HISTORY_STEP", "HISTORY_SECONDS", "MAX_SESSIONS_SHOWN", "MAX_CALLS_SHOWN"]

#: Service-level threshold in seconds (the classic 80/20 target).
DEFAULT_THRESHOLD = 20.0
#: One history point per this many seconds of switch time ...
HISTORY_STEP = 30.0
#: ... over the last hour of switch time.
HISTORY_SECONDS = 3600.0
#: Sessions listed in one snapshot at most (the rest are counted in ``sessions_total``).
MAX_SESSIONS_SHOWN = 500
#: Calls listed in one snapshot at most (waiting ones after those on a line).
MAX_CALLS_SHOWN = 200
_US = 1_000_000
_CALL_STATES = {
    CallState.OFFERING: "ringing", CallState.RINGBACK: "dialling", CallState.CONNECTED: "talking",
    CallState.ONHOLD: "on hold", CallState.DISCONNECTED: "ending", CallState.IDLE: "ending",
}

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


def segment_arrival(record: CallRecord, at: int) -> int:
    """Arrival (microseconds) of the queue segment a call was in at ``at``: its arrival at the switch,
    or its entry into the queue a BlindTransfer or Redirect sent it to (overflow keeps the arrival)."""
    arrival = record.arrival
    for i in range(1, len(record.queue_entries)):
        if record.queue_entries[i] > at:
            break
        if record.flows[i - 1] == "transfer":
            arrival = record.queue_entries[i]
    return arrival


class _GroupBook:
    __slots__ = ("id", "name", "queue_id", "answered", "within", "tta_sum")

    def __init__(self, gid: uuid.UUID, name: str, queue_id: int) -> None:
        self.id = gid
        self.name = name
        self.queue_id = queue_id
        self.answered = 0
        self.within = 0
        self.tta_sum = 0.0


class _SessionBook:
    __slots__ = ("handle", "agent", "group", "line", "state", "since", "offered_at", "answered",
                 "tta_sum", "tta_max")

    def __init__(self, handle: int, agent: int, group: uuid.UUID, line: int, state: int, since: float) -> None:
        self.handle = handle
        self.agent = agent
        self.group = group
        self.line = line
        self.state = state
        self.since = since
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
        self._open_at: float | None = None
        self._open: dict[int, CallRecord] = {}
        self._counted: dict[int, None] = {}  # call IDs already counted as answered (insertion order)
        self._discover_sessions(self.model.now)
        self.sync()

    # --- keeping up ---------------------------------------------------------------------------------

    def on_event(self, event: object) -> None:
        """A model event as the service fans it out (register with ``service.event_observers``)."""
        self._open_at = None  # the switch changed: the open records are read again (also within an instant)
        if not isinstance(event, SessionEvent):
            return  # agent, queue and call events: the console reads those figures from the switch
        t = self.model.now
        book = self._session(event.hagent_session, t)
        if book is None:
            return
        if event.status & _STATE:
            if event.state is _BUSYONCALL or event.state == _BUSYONCALL:
                book.offered_at = t
            if int(event.state) != book.state:
                book.state = int(event.state)
                book.since = t
        if event.status & _UPDATE and event.state == _BUSYONCALL:
            self._maybe_answered(book, t)

    def _maybe_answered(self, book: _SessionBook, t: float) -> None:
        """An UPDATEINFO in BUSYONCALL: an answer, or only a next-state change (then nothing to count)."""
        found = self._answered_call(book.handle, t)
        if found is not None:
            call_id, tta = found
            if call_id in self._counted:
                return
            self._counted[call_id] = None
            if len(self._counted) > 4096:  # calls counted long ago cannot be answered again here
                for old in list(self._counted)[:2048]:
                    del self._counted[old]
            self._answered(book, tta)
            book.offered_at = None
        elif book.offered_at is not None:  # its record is gone already (answered and ended in one jump)
            self._answered(book, 0.0)
            book.offered_at = None

    def _records(self, t: float) -> dict[int, CallRecord]:
        """The records of the calls in the switch now, read once per instant."""
        if self._open_at != t:
            self._open = {r.call_id: r for r in self.model.open_records(t)}
            self._open_at = t
        return self._open

    def _answered_call(self, hsession: int, t: float) -> tuple[int, float] | None:
        """(call ID, time to answer in seconds) of the call this session answered last, from its record."""
        best = None
        for r in self._records(t).values():
            for i, o in enumerate(r.offers):
                if o.hagent_session == hsession and o.answered and (best is None or o.ring_end > best[1].ring_end):
                    best = (r, o)
        if best is None:
            return None
        r, o = best
        return r.call_id, (o.ring_end - segment_arrival(r, o.ring_start)) / _US

    def sync(self) -> None:
        """Catch up at the switch's current instant: the history (cheap: one LINEQUEUEINFO per group).
        Sessions come with their NEWSESSION events (those before the ledger was made are looked up when
        it is made)."""
        self._open_at = None  # a control action may have changed the switch within the same instant
        self._record_history(self.model.now)

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
        waiting = sum(self.model.queue_info(g.queue_id, t).current_calls_queued for g in self._groups.values())
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
        """The agent's ID: the scenario's, or for an agent created over the wire the ID the switch
        reports for the station it works at (``address_agent`` of one of its sessions' line and address);
        ``hAgent N`` only when neither is known."""
        name = self._agent_names.get(hagent)
        if name is not None:
            return name
        try:
            entries = self.model.session_list(hagent)
        except SwitchError:
            entries = []
        for e in entries:
            agent = self.model.address_agent(self.model.session_line(e.hagent_session), e.working_address_id)
            if agent is not None and agent.handle == hagent:
                self._agent_names[hagent] = agent.agent_id
                return agent.agent_id
        return f"hAgent {hagent}"

    def calls(self, t: float) -> list[dict[str, Any]]:
        """The calls in progress: those on an agent's line (ringing, talking, on hold, outbound), oldest
        first per line, then the ones waiting in a queue, oldest first; at most MAX_CALLS_SHOWN."""
        model = self.model
        rows: list[dict[str, Any]] = []
        on_line: set[int] = set()
        names = {g.id: g.name for g in self._groups.values()}
        for line in range(model.lines):
            for call_id in model.calls_on_line(line):
                info = model.call_info(call_id)
                on_line.add(call_id)
                if len(rows) >= MAX_CALLS_SHOWN:
                    continue
                rows.append({
                    "call": call_id, "caller": info.ani, "called": info.called,
                    "group": names.get(info.group, str(info.group)) if info.group is not None else None,
                    "state": "dialling" if info.outbound and info.state is CallState.RINGBACK
                    else _CALL_STATES.get(info.state, info.state.value),
                    "agent": info.agent_id, "line": info.line,
                    "answered": info.state in (CallState.CONNECTED, CallState.ONHOLD),
                    "since": round(max(0.0, t - info.state_since / _US), 3),
                })
        for r in self._records(t).values():
            if len(rows) >= MAX_CALLS_SHOWN:
                break
            if r.call_id in on_line or r.outcome is not CallOutcome.UNANSWERED or r.hangup is not None:
                continue
            if not r.groups:
                continue
            now_us = round(t * _US)
            rows.append({
                "call": r.call_id, "caller": r.ani, "called": r.dnis, "group": names.get(r.groups[-1], str(r.groups[-1])),
                "state": "waiting", "agent": None, "line": None, "answered": False,
                "since": round(max(0, now_us - segment_arrival(r, now_us)) / _US, 3),
            })
        return rows

    def snapshot(self) -> dict[str, Any]:
        """Everything the page shows, as JSON-ready values, at the switch's current instant."""
        self.sync()
        model = self.model
        t = model.now
        counts: collections.Counter[tuple[uuid.UUID, int]] = collections.Counter()
        sessions: list[dict[str, Any]] = []
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
        groups = []
        for g in self._groups.values():
            q = model.queue_info(g.queue_id, t)
            gid = g.id
            groups.append({
                "id": str(g.id), "name": g.name, "queue": g.queue_id,
                "waiting": q.current_calls_queued, "longest_wait": q.current_longest_wait_time,
                "arrived": q.total_calls_queued, "abandoned": q.total_calls_abandoned,
                "flowed_in": q.total_calls_flowed_in, "flowed_out": q.total_calls_flowed_out,
                "interval": q.measurement_period,
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
            "calls": self.calls(t),
            "history": {"step": HISTORY_STEP, "points": [[p, w, s] for p, w, s in self._history]},
            "connections": self.server.connection_count,
        }
