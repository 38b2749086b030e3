"""The statistics and lookups of the switch model (wire-protocol §4, §7.3, §7.5, §7.8): LINEAGENTSESSIONINFO,
LINEAGENTINFO, LINEQUEUEINFO, group / queue / session lists. A mixin of :class:`tsp.model.Switch`."""

from __future__ import annotations

import datetime as _dt
import uuid

from protocol.constants import AgentSessionState, AgentStateEx
from tsp.model.records import SessionRec
from tsp.model.rules import SESSION_TO_EX, US
from tsp.values import (
    AgentInfo,
    GroupEntry,
    QueueEntry,
    QueueInfo,
    SessionListEntry,
    SessionStats,
    rate_decimal,
    rate_e4,
)

__all__ = ["StatsMixin"]

ENDED = AgentSessionState.ENDED


class StatsMixin:
    """Statistics and lookups of :class:`tsp.model.Switch`."""

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
    def _exact_talk_wrap(s: SessionRec, t: int) -> tuple[int, int]:
        talk = s.talk_sum + (t - s.talk_start if s.talk_start >= 0 else 0)
        wrap = s.wrap_sum + (t - s.wrap_start if s.wrap_start >= 0 else 0)
        return talk, wrap

    def agent_info(self, hagent: int, now: float) -> AgentInfo:
        """LINEAGENTINFO of an agent at ``now``; see :class:`AgentInfo` for each field (§7.1, §7.8)."""
        t = self._advance(now)
        agent = self._agent(hagent)
        calls, talk, wrap, outgoing, _ = self._agent_totals(agent, t)
        p = agent.period
        if p is None:
            elapsed = t - agent.created
            period = elapsed // US
        else:
            base = p.base
            calls, talk, wrap, outgoing = calls - base[0], talk - base[1], wrap - base[2], outgoing - base[3]
            elapsed = t - p.start
            period = p.p // US
        next_state = 0
        for s in agent.sessions:
            if s.state is not ENDED and s.next_state:
                next_state = int(SESSION_TO_EX[AgentSessionState(s.next_state)])
                break
        return AgentInfo(
            state=AgentStateEx(self._agent_state(agent)),
            next_state=next_state,
            measurement_period=period,
            overall_call_rate=rate_decimal(rate_e4(calls, elapsed)),
            number_of_acd_calls=calls,
            number_of_incoming_calls=0,
            number_of_outgoing_calls=outgoing,
            total_acd_talk_time=talk // US,
            total_acd_call_time=(talk + wrap) // US,
            total_acd_wrap_up_time=wrap // US,
        )

    def queue_info(self, queue_id: int, now: float) -> QueueInfo:
        """LINEQUEUEINFO of a queue at ``now``; see :class:`QueueInfo`. INVALPARAM if unknown."""
        t = self._advance(now)
        g = self._queue(queue_id)
        current = t - g.waiting[0].arrival if g.waiting else 0
        arrived, abandoned, flowed_in, flowed_out, left, wait_sum = self._queue_totals(g)
        p = g.period
        if p is None:
            period = t // US
        else:
            b = p.base
            arrived, abandoned, flowed_in, flowed_out, left, wait_sum = (
                arrived - b[0], abandoned - b[1], flowed_in - b[2], flowed_out - b[3], left - b[4], wait_sum - b[5]
            )
            period = p.p // US
        return QueueInfo(
            measurement_period=period,
            total_calls_queued=arrived,
            current_calls_queued=len(g.waiting),
            total_calls_abandoned=abandoned,
            total_calls_flowed_in=flowed_in,
            total_calls_flowed_out=flowed_out,
            longest_ever_wait_time=max(g.wait_max, current) // US,
            current_longest_wait_time=current // US,
            average_wait_time=wait_sum // (left * US) if left else 0,
            final_disposition=0,
        )
