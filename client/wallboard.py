"""The wallboard's model: what a call-centre wallboard shows, computed from the protocol alone.

This module is pure: no trio, no sockets, no clock. The live app (``client.wallboard_app``) feeds it what
it reads over the wire -- the group list (GetGroupList), queue infos (GetQueueInfo), agent session lists
(GetAgentSessionList), agent session infos (GetAgentSessionInfo) and LINE_AGENTSESSIONSTATUS events -- and
asks it for a frozen :class:`Board`, which :func:`render_board` turns into a rich renderable. Tests drive
it the same way with hand-made infos and events, without a terminal.

Time. The protocol never states the switch's clock, but every live session does: for a session that has
not ENDED, ``session_start_time + session_duration`` is the switch's "now" floored to the second. The
model keeps the latest such value as :attr:`WallboardModel.switch_now` (monotonic); every time shown is
switch time, so the wallboard is right at any ``--speed`` and on a manual clock.

Definitions (all documented in docs/wallboard.md):

* calls waiting / longest wait: LINEQUEUEINFO ``dwCurrentCallsQueued`` / ``dwCurrentLongestWaitTime`` of the
  group's queue (the group -> queue ID map comes from the roster, see :class:`Roster`).
* answered: the sum of ``dwNumberOfCalls`` over the group's sessions (ENDED ones included).
* average time to answer: ``sum(dwAverageTimeToAnswer * dwNumberOfCalls) / answered`` over the group's
  sessions; each average is floored by the switch, so this is at most 1 s below the exact value.
* service level: the share of answered calls whose time to answer (arrival at the queue -> answer,
  wire-protocol §4), floored to whole seconds as the protocol reports times, is <= the threshold
  (default 20 s). Each answered call is classified in :mod:`client.service_level` from the wire alone:
  FIFO offer order (STATE BUSYONCALL events), arrival times from the queue's counters, answer times
  from its session's reads, and the session's time-to-answer counters; exact unless its interval
  straddles the limit (then counted by its share) or the session answered several calls between two
  reads (then :class:`AnswerTracker` estimates from the averages); estimated calls are counted.
* time in state: switch time since the wallboard saw the session enter its state: a STATE event shows
  the new state at once (dated at the latest known switch time), and the first session info read after
  it dates the change (its switch time); a changed state seen only in an info is dated by that info. For a state that was already current when the wallboard first saw
  the session, it is a lower bound and is flagged (shown with a ``>=`` prefix).
"""

from __future__ import annotations

import datetime as _dt
import math
import tomllib
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
from rich.console import Group as RichGroup
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from client.service_level import Bracket, GroupServiceLevel, read_time
from protocol.constants import AgentSessionState, AgentSessionStatus

#: Default service-level threshold in seconds (the classic "80/20" wallboard target uses 20 s).
DEFAULT_SL_THRESHOLD = 20.0

#: How each LINEAGENTSESSIONSTATE_ is shown: (label, rich style).
STATE_STYLES: dict[int, tuple[str, str]] = {
    AgentSessionState.NOTREADY: ("NOT READY", "bold magenta"),
    AgentSessionState.READY: ("READY", "bold green"),
    AgentSessionState.BUSYONCALL: ("ON CALL", "bold red"),
    AgentSessionState.BUSYWRAPUP: ("WRAP-UP", "bold yellow"),
    AgentSessionState.ENDED: ("ENDED", "dim"),
    AgentSessionState.RELEASED: ("RELEASED", "dim"),
}


def state_label(state: int) -> str:
    """Human label of a LINEAGENTSESSIONSTATE_ value; unknown values are shown in hex, not hidden."""
    entry = STATE_STYLES.get(state)
    return entry[0] if entry else f"0x{state:X}"


# --------------------------------------------------------------------------------------------- roster


@attrs.frozen
class RosterAgent:
    """An agent the wallboard watches: the agent ID string for CreateAgent and its PIN (None = none)."""

    agent_id: str
    pin: str | None = None


@attrs.frozen
class Roster:
    """What the wallboard needs to know beyond the protocol: which agents to watch, which queue is whose.

    The protocol has no "list all agents" function (tapi-facts §1.4) and GetGroupList gives no queue IDs,
    so the wallboard takes agent IDs and the group -> queue map from a scenario file (``[[agents]]`` id/pin,
    ``[[groups]]`` id/name/queue) or from the command line. Agent sessions themselves are discovered over
    the wire: CreateAgent(agent ID) returns the agent's handle, GetAgentSessionList lists its sessions.
    ``queues`` maps a group's GUID *or* name (as a string) to its dwQueueID.
    """

    agents: tuple[RosterAgent, ...] = ()
    queues: Mapping[str, int] = attrs.field(factory=dict)

    @classmethod
    def from_scenario_text(cls, text: str, filename: str = "<string>") -> Roster:
        """Read agents and queues from scenario TOML (wire-protocol §5); other keys are ignored here.

        Raises ValueError naming the file and the offending entry when an agent has no ``id`` or a group
        no ``queue``, because a wallboard that silently watches nobody is worse than a clear error.
        """
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{filename}: not valid TOML: {exc}") from exc
        agents = []
        for i, agent in enumerate(data.get("agents", [])):
            if "id" not in agent:
                raise ValueError(f"{filename}: agents[{i}] has no 'id'")
            pin = agent.get("pin")
            agents.append(RosterAgent(str(agent["id"]), None if pin is None else str(pin)))
        queues: dict[str, int] = {}
        for i, group in enumerate(data.get("groups", [])):
            if "queue" not in group:
                raise ValueError(f"{filename}: groups[{i}] has no 'queue'")
            for key in ("id", "name"):
                if key in group:
                    queues[_group_key(str(group[key]))] = int(group["queue"])
        return cls(tuple(agents), queues)

    def queue_for(self, group_id: uuid.UUID, name: str) -> int | None:
        """The dwQueueID of a group, looked up by GUID first, then by name; None when unknown."""
        for key in (str(group_id), name):
            queue = self.queues.get(_group_key(key))
            if queue is not None:
                return queue
        return None

    def merged(self, other: Roster) -> Roster:
        """This roster plus another one's agents (no duplicates) and queues (the other one wins)."""
        seen = {a.agent_id for a in self.agents}
        agents = self.agents + tuple(a for a in other.agents if a.agent_id not in seen)
        return Roster(agents, {**self.queues, **other.queues})


def _group_key(key: str) -> str:
    return key.strip().lower()


# --------------------------------------------------------------------------- service-level accounting


@attrs.define
class AnswerTracker:
    """Classifies a session's answered calls as within / beyond the service-level threshold.

    Fed with successive snapshots of one session's (dwNumberOfCalls, dwAverageTimeToAnswer,
    dwLongestTimeToAnswer). The exact sum S of the times to answer satisfies ``avg * n <= S < (avg+1) * n``
    and every time to answer t satisfies ``floor(t) <= longest``. A call is "within" when floor(t) <= T.
    Rules for the k calls answered since the previous snapshot:

    1. longest <= T: all k are within (exact).
    2. the longest grew: the call that set it has floor(t) == longest > T, so it is beyond (exact); the
       other k-1 (if any) are estimated as below.
    3. otherwise each remaining call is estimated as (S_now - S_before - exact ones) / count, with S taken
       at the middle of its interval, and counted within when that estimate is < T + 1. These are
       also counted in ``estimated``.

    The first snapshot is treated the same way with "before" = no calls.
    """

    threshold: float = DEFAULT_SL_THRESHOLD
    calls: int = 0
    average: int = 0
    longest: int = 0
    within: int = 0
    beyond: int = 0
    estimated: int = 0

    def record(self, calls: int, average: int, longest: int) -> None:
        """Take a new snapshot without classifying its new calls (they were classified elsewhere)."""
        if calls < self.calls:
            self.within = self.beyond = self.estimated = 0
        self.calls, self.average, self.longest = calls, average, longest

    def update(self, calls: int, average: int, longest: int) -> None:
        """Take a new snapshot of the session's counters and classify the newly answered calls."""
        if calls < self.calls:
            # Counters went backwards: not the same session history any more (should not happen on one
            # switch run). Start over rather than produce negative counts.
            self.calls = self.average = self.longest = 0
            self.within = self.beyond = self.estimated = 0
        new = calls - self.calls
        if new > 0:
            if longest <= self.threshold:
                self.within += new
            else:
                exact_time = 0.0
                remaining = new
                if longest > self.longest or self.calls == 0:
                    # The call that set the (new) longest is among the new ones and is beyond T.
                    # (On the first snapshot the longest call is necessarily among the "new" ones.)
                    self.beyond += 1
                    remaining -= 1
                    exact_time = longest + 0.5
                if remaining > 0:
                    before = (self.average + 0.5) * self.calls if self.calls else 0.0
                    after = (average + 0.5) * calls
                    each = (after - before - exact_time) / remaining
                    each = min(max(each, 0.0), longest + 1.0)
                    if each < math.floor(self.threshold) + 1:
                        self.within += remaining
                    else:
                        self.beyond += remaining
                    self.estimated += remaining
        self.calls, self.average, self.longest = calls, average, longest


# ------------------------------------------------------------------------------------- board (output)


@attrs.frozen
class GroupRow:
    """One ACD group line of the wallboard. None means "not known" (shown as a dash), never zero."""

    group_id: uuid.UUID
    name: str
    queue_id: int | None
    calls_waiting: int | None
    longest_wait: int | None
    answered: int
    within_threshold: float  # estimated calls count by their chance of being within (client.service_level)
    service_level: float | None  # 0..1, None with no answered call
    service_level_estimated: int  # how many answered calls were classified by estimate
    average_time_to_answer: float | None
    ready: int
    on_call: int
    wrap_up: int
    not_ready: int
    #: LINEQUEUEINFO dwTotalCallsAbandoned: callers who hung up while waiting, in the current
    #: measurement interval (None: queue not read)
    abandoned: int | None = None
    #: LINEQUEUEINFO dwMeasurementPeriod in seconds: the interval the queue totals cover (with a period
    #: set on the switch, its length; else the seconds since the queue came into being)
    interval: int | None = None


@attrs.frozen
class SessionRow:
    """One agent-session line of the wallboard."""

    hagent_session: int
    agent_id: str
    group_name: str
    address_id: int
    state: int
    next_state: int
    time_in_state: float | None
    time_in_state_is_lower_bound: bool
    calls: int
    total_talk: int
    average_talk: int
    total_wrap_up: int
    average_wrap_up: int
    average_time_to_answer: int
    longest_time_to_answer: int
    has_info: bool


@attrs.frozen
class Board:
    """Everything one wallboard frame shows, frozen."""

    switch_now: _dt.datetime | None
    threshold: float
    groups: tuple[GroupRow, ...]
    sessions: tuple[SessionRow, ...]
    status: str = "live"
    title: str = "TAPI wallboard"
    #: Why a table is empty or a column unknown, in words a user can act on (empty when all is well).
    hints: tuple[str, ...] = ()

    def group(self, name: str) -> GroupRow:
        """The row of the group with that name (KeyError naming the known groups otherwise)."""
        for row in self.groups:
            if row.name == name:
                return row
        raise KeyError(f"no group {name!r}; groups are {[g.name for g in self.groups]}")

    def session(self, hagent_session: int) -> SessionRow:
        """The row of one agent session (KeyError otherwise)."""
        for row in self.sessions:
            if row.hagent_session == hagent_session:
                return row
        raise KeyError(f"no agent session {hagent_session}")


# ---------------------------------------------------------------------------------------- the model


@attrs.define
class _Session:
    hagent_session: int
    hagent: int
    agent_id: str
    group_id: uuid.UUID
    address_id: int
    tracker: AnswerTracker
    info: Any = None
    state: int = AgentSessionState.NOTREADY
    next_state: int = 0
    entered_at: _dt.datetime | None = None
    entered_is_lower_bound: bool = True
    entered_from_event: bool = False
    stale: bool = True
    offered: list[int] = attrs.field(factory=list)  # the group's offer numbers of calls not yet answered
    last_read: Bracket | None = None


class WallboardModel:
    """Accumulates what the wallboard has read and answers :meth:`board`.

    Methods mirror the protocol: :meth:`set_groups` (GetGroupList entries), :meth:`set_sessions`
    (GetAgentSessionList entries of one agent), :meth:`update_session` (a LINEAGENTSESSIONINFO),
    :meth:`update_queue` (a LINEQUEUEINFO), :meth:`apply_event` (a LINE_AGENTSESSIONSTATUS). Inputs are
    duck-typed on the attribute names of ``protocol.structs`` so tests can pass simple objects.
    The app asks :meth:`stale_sessions` / :attr:`needs_session_lists` what to fetch next.
    """

    def __init__(self, roster: Roster | None = None, *, threshold: float = DEFAULT_SL_THRESHOLD,
                 title: str = "TAPI wallboard") -> None:
        if not threshold >= 0:
            raise ValueError(f"service-level threshold must be >= 0 seconds, got {threshold!r}")
        self.roster = roster or Roster()
        self.threshold = float(threshold)
        self.title = title
        self.switch_now: _dt.datetime | None = None
        self.needs_session_lists = True
        self._groups: dict[uuid.UUID, str] = {}
        self._group_order: list[uuid.UUID] = []
        self._queues: dict[int, Any] = {}
        self._sessions: dict[int, _Session] = {}
        self._service: dict[uuid.UUID, GroupServiceLevel] = {}
        self._now: Bracket | None = None  # when the latest live session info was taken

    def _service_of(self, group_id: uuid.UUID) -> GroupServiceLevel:
        sl = self._service.get(group_id)
        if sl is None:
            sl = self._service[group_id] = GroupServiceLevel(self.threshold)
        return sl

    # ---- inputs

    def set_groups(self, entries: Iterable[Any]) -> None:
        """Replace the group list from GetGroupList entries (``group_id``, ``name``), keeping its order."""
        self._groups = {}
        self._group_order = []
        for entry in entries:
            if entry.group_id not in self._groups:
                self._group_order.append(entry.group_id)
            self._groups[entry.group_id] = entry.name

    def queue_ids(self) -> list[int]:
        """The queue IDs the app should poll with GetQueueInfo: one per known group with a mapping."""
        ids = []
        for gid in self._group_order:
            q = self.roster.queue_for(gid, self._groups[gid])
            if q is not None and q not in ids:
                ids.append(q)
        return ids

    def update_queue(self, queue_id: int, info: Any) -> None:
        """Store a LINEQUEUEINFO (``current_calls_queued``, ``current_longest_wait_time``,
        ``total_calls_queued``) for a queue; it is dated by the latest session info (read it right after
        the sessions)."""
        self._queues[queue_id] = info
        for gid in self._group_order:
            if self.roster.queue_for(gid, self._groups[gid]) == queue_id:
                self._service_of(gid).queue_read(info, self._now)

    def set_sessions(self, agent_id: str, entries: Iterable[Any]) -> list[int]:
        """Register the sessions of one agent from GetAgentSessionList entries; returns the new handles.

        Entries carry ``hagent_session``, ``hagent``, ``group_id``, ``working_address_id``. Known sessions
        keep their history; new ones are marked stale so the app fetches their info.
        """
        new = []
        for entry in entries:
            h = entry.hagent_session
            if h in self._sessions:
                continue
            self._sessions[h] = _Session(
                hagent_session=h, hagent=entry.hagent, agent_id=agent_id, group_id=entry.group_id,
                address_id=entry.working_address_id, tracker=AnswerTracker(self.threshold))
            new.append(h)
        return new

    def known_sessions(self) -> list[int]:
        """Handles of every session the wallboard knows, in the order it learned them."""
        return list(self._sessions)

    def stale_sessions(self) -> list[int]:
        """Sessions whose info should be fetched now (new ones, and ones an event said changed)."""
        return [h for h, s in self._sessions.items() if s.stale]

    def live_sessions(self) -> list[int]:
        """Sessions that have not ENDED: their statistics change with time, so the app polls them."""
        return [h for h, s in self._sessions.items() if s.state != AgentSessionState.ENDED]

    def update_session(self, hagent_session: int, info: Any) -> None:
        """Take a LINEAGENTSESSIONINFO of a known session (unknown handles are ignored: lists catch up)."""
        s = self._sessions.get(hagent_session)
        if s is None:
            return
        now = None
        read: Bracket | None = self._now
        if info.state != AgentSessionState.ENDED:
            now = info.session_start_time + _dt.timedelta(seconds=info.session_duration)
            self._advance_now(now)
            read = read_time(info.session_start_time.timestamp(), info.session_duration,
                             info.number_of_calls, getattr(info, "acd_call_rate", 0))
            if self._now is None or read.lo >= self._now.lo:
                self._now = read
        if s.info is None:
            # First sight: the state was entered before we looked; keep a lower bound.
            s.entered_at = now if now is not None else self.switch_now
            s.entered_is_lower_bound = True
        elif info.state != s.state:
            s.entered_at = now if now is not None else self.switch_now
            s.entered_is_lower_bound = False
        elif s.entered_from_event and now is not None:
            # An event showed this state at the switch time known then (possibly a refresh period
            # old); the first info read after the event dates it better.
            s.entered_at = now
        s.entered_from_event = False
        s.state = info.state
        s.next_state = info.next_state
        s.info = info
        s.stale = False
        self._classify(s, info, read)
        s.last_read = read

    def _classify(self, s: _Session, info: Any, read: Bracket | None) -> None:
        """Classify the calls a session answered since its last info (client.service_level)."""
        t = s.tracker
        n, a, longest = info.number_of_calls, info.average_time_to_answer, info.longest_time_to_answer
        new = n - t.calls
        answered = s.offered[:max(new, 0)]
        del s.offered[:max(new, 0)]
        if new != 1 or not answered or s.last_read is None:
            t.update(n, a, longest)  # several calls at once, or calls from before we looked: by averages
            return
        sl = self._service_of(s.group_id)
        before_n, before_a, before_l = t.calls, t.average, t.longest
        if longest <= self.threshold:
            verdict: bool | None = True
        elif longest > before_l:
            verdict = False  # the new call set the new longest: floor(t) = longest > T
        else:
            verdict = None
        lo = max(0.0, a * n - (before_a + 1) * before_n)
        hi = min((a + 1) * n - before_a * before_n, longest + 1.0)
        answered_lo = s.last_read.lo if s.last_read is not None else -math.inf
        answered_hi = read.hi if read is not None else math.inf
        sl.answered(answered[0], lo, hi, answered_lo, answered_hi, verdict)
        t.record(n, a, longest)

    def apply_event(self, event: Any) -> None:
        """Take a LINE_AGENTSESSIONSTATUS (``hagent_session``, ``status`` bits, ``state``).

        STATE: the new state is shown at once, entered at the latest known switch time. Any bit marks
        the session stale (its statistics are fetched again). NEWSESSION of an unknown session, or any
        event of one, asks the app to re-read the agents' session lists.
        """
        s = self._sessions.get(event.hagent_session)
        status = AgentSessionStatus(event.status)
        if s is None:
            self.needs_session_lists = True
            return
        s.stale = True
        if status & AgentSessionStatus.STATE and event.state == AgentSessionState.BUSYONCALL:
            s.offered.append(self._service_of(s.group_id).offer())  # FIFO: the group's next arrival
        if status & AgentSessionStatus.STATE and event.state and event.state != s.state:
            s.state = event.state
            s.entered_at = self.switch_now
            s.entered_is_lower_bound = False
            s.entered_from_event = True

    def _advance_now(self, now: _dt.datetime) -> None:
        if self.switch_now is None or now > self.switch_now:
            self.switch_now = now

    # ---- output

    def board(self, status: str = "live") -> Board:
        """The frozen frame for the current knowledge."""
        sessions = []
        for s in self._sessions.values():
            info = s.info
            if s.entered_at is not None and self.switch_now is not None:
                in_state: float | None = max(0.0, (self.switch_now - s.entered_at).total_seconds())
            else:
                in_state = None
            sessions.append(SessionRow(
                hagent_session=s.hagent_session, agent_id=s.agent_id,
                group_name=self._groups.get(s.group_id, str(s.group_id)), address_id=s.address_id,
                state=s.state, next_state=s.next_state, time_in_state=in_state,
                time_in_state_is_lower_bound=s.entered_is_lower_bound,
                calls=info.number_of_calls if info else 0,
                total_talk=info.total_talk_time if info else 0,
                average_talk=info.average_talk_time if info else 0,
                total_wrap_up=info.total_wrap_up_time if info else 0,
                average_wrap_up=info.average_wrap_up_time if info else 0,
                average_time_to_answer=info.average_time_to_answer if info else 0,
                longest_time_to_answer=info.longest_time_to_answer if info else 0,
                has_info=info is not None))
        sessions.sort(key=lambda r: (self._group_rank(r.group_name), r.agent_id, r.hagent_session))

        groups = []
        gids = list(self._group_order)
        for s in self._sessions.values():  # sessions in groups the group list did not name
            if s.group_id not in self._groups and s.group_id not in gids:
                gids.append(s.group_id)
        for gid in gids:
            name = self._groups.get(gid, str(gid))
            members = [s for s in self._sessions.values() if s.group_id == gid]
            answered = sum(s.tracker.calls for s in members)
            sl = self._service.get(gid) or GroupServiceLevel(self.threshold)
            within = sl.within + sum(s.tracker.within for s in members)
            classified = sl.classified + sum(s.tracker.within + s.tracker.beyond for s in members)
            tta_sum = sum(s.tracker.average * s.tracker.calls for s in members)
            queue_id = self.roster.queue_for(gid, name)
            q = self._queues.get(queue_id) if queue_id is not None else None
            states = [s.state for s in members]
            groups.append(GroupRow(
                group_id=gid, name=name, queue_id=queue_id,
                calls_waiting=q.current_calls_queued if q is not None else None,
                longest_wait=q.current_longest_wait_time if q is not None else None,
                answered=answered, within_threshold=within,
                service_level=(within / classified) if classified else None,
                service_level_estimated=sl.estimated + sum(s.tracker.estimated for s in members),
                average_time_to_answer=(tta_sum / answered) if answered else None,
                ready=states.count(AgentSessionState.READY),
                on_call=states.count(AgentSessionState.BUSYONCALL),
                wrap_up=states.count(AgentSessionState.BUSYWRAPUP),
                not_ready=states.count(AgentSessionState.NOTREADY),
                abandoned=getattr(q, "total_calls_abandoned", None) if q is not None else None,
                interval=getattr(q, "measurement_period", None) if q is not None else None))
        return Board(switch_now=self.switch_now, threshold=self.threshold, groups=tuple(groups),
                     sessions=tuple(sessions), status=status, title=self.title, hints=self._hints(groups))

    def _hints(self, groups: list[GroupRow]) -> tuple[str, ...]:
        """Why the board shows nothing (or dashes), and what to give the wallboard instead."""
        hints = []
        fix = "start the wallboard with --scenario FILE (the scenario the emulator runs) or --agent ID[:PIN]"
        agents = self.roster.agents
        if not agents:
            hints.append(f"no agents to watch: {fix}")
        elif not self._sessions and not self.needs_session_lists:
            ids = ", ".join(a.agent_id for a in agents[:4]) + (", ..." if len(agents) > 4 else "")
            hints.append(f"no agent sessions: none of the {len(agents)} watched agents ({ids}) has one on this "
                         f"switch - if it runs another scenario, {fix}")
        unmapped = [g.name for g in groups if g.queue_id is None]
        if unmapped:
            hints.append(f"queue ID unknown for {', '.join(unmapped)} (Waiting and Longest wait show '-'): "
                         "give --queue GROUP=QUEUEID or --scenario FILE")
        if self.switch_now is None and self._sessions:
            hints.append("switch time unknown until a live (not ENDED) agent session has been read")
        return tuple(hints)

    def _group_rank(self, name: str) -> int:
        for i, gid in enumerate(self._group_order):
            if self._groups[gid] == name:
                return i
        return len(self._group_order)


# ------------------------------------------------------------------------------------------ rendering


def format_seconds(seconds: float | None) -> str:
    """Whole seconds as ``m:ss`` (or ``h:mm:ss`` from one hour); None as a dash."""
    if seconds is None:
        return "-"
    total = int(math.floor(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_percent(share: float | None) -> str:
    """A 0..1 share as a whole percentage; None as a dash."""
    return "-" if share is None else f"{share * 100:.0f}%"


def _sl_style(share: float | None) -> str:
    if share is None:
        return "dim"
    return "green" if share >= 0.8 else ("yellow" if share >= 0.6 else "bold red")


def render_board(board: Board, *, show_ended: bool = False) -> RenderableType:
    """A rich renderable of one frame: a header line, the groups table and the agent sessions table.

    Pure (no console needed); tests render it with ``rich.console.Console(record=True)``.
    """
    when = ("switch time " + board.switch_now.strftime("%Y-%m-%d %H:%M:%S UTC") if board.switch_now
            else "switch time unknown")
    if board.status == "live":
        status_style = "bold green"
    elif board.status.startswith(("reconnecting", "connecting")):
        status_style = "bold yellow reverse"
    else:
        status_style = "cyan"
    header = Text.assemble((board.title, "bold"), "   ", (when, "cyan"), "   ", (board.status, status_style))

    groups = Table(title="ACD groups", title_justify="left", expand=True)
    for col, justify in (("Group", "left"), ("Waiting", "right"), ("Longest wait", "right"),
                         ("Answered", "right"), (f"SL {board.threshold:g}s", "right"),
                         ("Avg answer", "right"), ("Abandoned", "right"), ("Interval", "right"),
                         ("Ready", "right"), ("On call", "right"), ("Wrap-up", "right"), ("Not ready", "right")):
        groups.add_column(col, justify=justify)
    for g in board.groups:
        waiting_style = "bold red" if (g.calls_waiting or 0) > 0 else ""
        sl_text = format_percent(g.service_level)
        if g.service_level_estimated and g.service_level is not None:
            sl_text = "~" + sl_text
        groups.add_row(
            g.name,
            Text("-" if g.calls_waiting is None else str(g.calls_waiting), style=waiting_style),
            format_seconds(g.longest_wait), str(g.answered),
            Text(sl_text, style=_sl_style(g.service_level)),
            format_seconds(g.average_time_to_answer),
            Text("-" if g.abandoned is None else str(g.abandoned), style="bold red" if g.abandoned else ""),
            format_seconds(g.interval),
            Text(str(g.ready), style="green"), Text(str(g.on_call), style="red"),
            Text(str(g.wrap_up), style="yellow"), Text(str(g.not_ready), style="magenta"))

    agents = Table(title="Agent sessions", title_justify="left", expand=True)
    for col, justify in (("Agent", "left"), ("Group", "left"), ("State", "left"), ("In state", "right"),
                         ("Calls", "right"), ("Talk", "right"), ("Avg talk", "right"),
                         ("Wrap-up", "right"), ("Avg wrap", "right")):
        agents.add_column(col, justify=justify)
    for s in board.sessions:
        if s.state == AgentSessionState.ENDED and not show_ended:
            continue
        label, style = STATE_STYLES.get(s.state, (state_label(s.state), ""))
        if s.next_state:
            label = f"{label} -> {state_label(s.next_state)}"
        in_state = format_seconds(s.time_in_state)
        if s.time_in_state is not None and s.time_in_state_is_lower_bound:
            in_state = ">=" + in_state
        agents.add_row(s.agent_id, s.group_name, Text(label, style=style), in_state, str(s.calls),
                       format_seconds(s.total_talk), format_seconds(s.average_talk),
                       format_seconds(s.total_wrap_up), format_seconds(s.average_wrap_up))
    footer = Text(f"SL = answered within {board.threshold:g} s of arriving at the queue; "
                  "~ = some calls classified by estimate; >= = state entered before the wallboard looked; "
                  "Abandoned = callers who hung up waiting, in the queue's current measurement Interval",
                  style="dim")
    hints = [Text(hint, style="bold yellow") for hint in board.hints]
    return RichGroup(header, groups, agents, *hints, footer)
