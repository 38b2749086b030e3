"""The statistics of wire-protocol §4 (per session) and LINEQUEUEINFO (per queue), recomputed from call
detail records alone: what a report built on the CDR would show, to be compared with the wire.

:func:`recompute` takes the records of every call that entered the switch up to ``now`` (those taken
while it ran plus ``open_records(now)``) and applies the model's rules:

* **Segments.** A call's ``groups`` are the queues it was in; a new segment starts at each entry
  (``via`` "overflow" keeps the call's arrival time; "transfer" - BlindTransfer or Redirect - is a new
  arrival there: time to answer and waits count from that entry). An offer belongs to the segment whose
  entry is the last one before its ring start (at the same instant: an offer that ended at the entry
  instant, i.e. the one transferred or redirected, comes before it; any other after it).
* **Sessions.** Each answered offer is one ACD call of its session (dwNumberOfCalls): time to answer =
  answer (the offer's ring end) - arrival; talk = answer -> the end of talk (the next "transfer" entry
  for an offer that was transferred, else the hang-up, else ``now``); wrap-up = from the end of talk for
  the agent's ``wrapup`` seconds (``wrapup_end`` when the record has it; cut at ``now``).
* **Queues.** Every entry counts in dwTotalCallsQueued; "overflow" and "transfer" entries count as
  flowed in (target) and out (source). Each departure from a queue - every offer (also one after a
  ring timeout or a rejected offer, whose call went back to the queue), an abandonment, an overflow -
  is one wait sample: departure - arrival. dwAverageWaitTime = floor(sum / count); dwLongestEverWaitTime
  = the longest sample or current wait. A call of an open record that is neither ringing, talking nor in
  wrap-up is waiting now (dwCurrentCallsQueued, dwCurrentLongestWaitTime).
* ``since``: figures of the current measurement interval start there (queue counters and samples at
  instants >= since); session figures never reset.

Outbound calls (outcome "outbound") are in no statistic. All instants are microseconds since t = 0.
"""

from __future__ import annotations

import uuid
from typing import Iterable, Mapping

import attrs

from tsp.values import CallOffer, CallOutcome, CallRecord, rate_e4

__all__ = ["QueueFigures", "Recomputed", "SessionFigures", "recompute"]

_US = 1_000_000


@attrs.define
class SessionFigures:
    """The call-derived LINEAGENTSESSIONINFO figures of one session (exact microsecond sums) and their
    §4 whole-second forms under the names of :class:`tsp.values.SessionStats`."""

    calls: int = 0
    talk_us: int = 0
    wrapup_us: int = 0
    tta_sum_us: int = 0
    tta_max_us: int = 0
    #: Creation and end of the session (microseconds), when :func:`recompute` was told them.
    created_us: int | None = None
    ended_us: int | None = None

    @property
    def number_of_calls(self) -> int:
        return self.calls

    @property
    def total_talk_time(self) -> int:
        return self.talk_us // _US

    @property
    def total_wrap_up_time(self) -> int:
        return self.wrapup_us // _US

    @property
    def total_call_time(self) -> int:
        return (self.talk_us + self.wrapup_us) // _US

    def _avg(self, total_us: int) -> int:
        return total_us // (self.calls * _US) if self.calls else 0

    @property
    def average_talk_time(self) -> int:
        return self._avg(self.talk_us)

    @property
    def average_wrap_up_time(self) -> int:
        return self._avg(self.wrapup_us)

    @property
    def average_call_time(self) -> int:
        return self._avg(self.talk_us + self.wrapup_us)

    @property
    def longest_time_to_answer(self) -> int:
        return self.tta_max_us // _US

    @property
    def average_time_to_answer(self) -> int:
        return self._avg(self.tta_sum_us)

    def duration_us(self, now: int) -> int | None:
        if self.created_us is None:
            return None
        return (self.ended_us if self.ended_us is not None else now) - self.created_us

    def session_duration(self, now: int) -> int | None:
        d = self.duration_us(now)
        return None if d is None else d // _US

    def acd_call_rate_e4(self, now: int) -> int | None:
        """cyACDCallRate in ten-thousandths of a call per hour (``tsp.values.rate_e4``)."""
        d = self.duration_us(now)
        return None if d is None else rate_e4(self.calls, d)


#: The fields of SessionStats that :class:`SessionFigures` recomputes from the calls alone.
SESSION_FIELDS = (
    "number_of_calls", "total_talk_time", "average_talk_time", "total_call_time", "average_call_time",
    "total_wrap_up_time", "average_wrap_up_time", "longest_time_to_answer", "average_time_to_answer",
)


@attrs.define
class QueueFigures:
    """LINEQUEUEINFO figures of one queue recomputed from the records (names of
    :class:`tsp.values.QueueInfo`); the exact sums alongside."""

    total_calls_queued: int = 0
    current_calls_queued: int = 0
    total_calls_abandoned: int = 0
    total_calls_flowed_in: int = 0
    total_calls_flowed_out: int = 0
    wait_count: int = 0
    wait_sum_us: int = 0
    wait_max_us: int = 0
    current_wait_max_us: int = 0

    @property
    def longest_ever_wait_time(self) -> int:
        return max(self.wait_max_us, self.current_wait_max_us) // _US

    @property
    def current_longest_wait_time(self) -> int:
        return self.current_wait_max_us // _US

    @property
    def average_wait_time(self) -> int:
        return self.wait_sum_us // (self.wait_count * _US) if self.wait_count else 0


#: The fields of QueueInfo that :class:`QueueFigures` recomputes.
QUEUE_FIELDS = (
    "total_calls_queued", "current_calls_queued", "total_calls_abandoned", "total_calls_flowed_in",
    "total_calls_flowed_out", "longest_ever_wait_time", "current_longest_wait_time", "average_wait_time",
)


@attrs.frozen
class Recomputed:
    """:func:`recompute`'s result: figures by hAgentSession and by group GUID."""

    sessions: dict[int, SessionFigures]
    queues: dict[uuid.UUID, QueueFigures]


def _segment_of(offer: CallOffer, entries: tuple[int, ...], flows: tuple[str, ...]) -> int:
    """Index of the queue segment an offer was made from (module docstring, "Segments")."""
    k = 0
    for i in range(1, len(entries)):
        e = entries[i]
        if e < offer.ring_start or (e == offer.ring_start and not (offer.ring_end == e and flows[i - 1] == "transfer")):
            k = i
        else:
            break
    return k


def recompute(
    records: Iterable[CallRecord],
    now: int,
    *,
    wrapup: Mapping[str, float] | None = None,
    sessions: Mapping[int, tuple[int, int | None]] | None = None,
    since: Mapping[uuid.UUID, int] | int = 0,
) -> Recomputed:
    """Session and queue figures at ``now`` (microseconds since t = 0) from ``records``.

    ``wrapup``: agent ID -> wrap-up seconds (the scenario's ``wrapup``; needed for the wrap-up after a
    transferred call, which its record does not end, and for a wrap-up running at ``now``; agents
    missing: 0). ``sessions``: hAgentSession -> (created, ended or None) in microseconds, to fill
    session_duration / cyACDCallRate (every session listed also appears, with no calls if it had
    none). ``since``: start of the current measurement interval, one instant for all queues or by group
    GUID (queue figures only)."""
    wrap_us = {a: round(s * _US) for a, s in (wrapup or {}).items()}
    out_s: dict[int, SessionFigures] = {}
    out_q: dict[uuid.UUID, QueueFigures] = {}
    for h, (created, ended) in (sessions or {}).items():
        out_s[h] = SessionFigures(created_us=created, ended_us=ended)

    def q(gid: uuid.UUID) -> QueueFigures:
        fig = out_q.get(gid)
        if fig is None:
            fig = out_q[gid] = QueueFigures()
        return fig

    def start_of(gid: uuid.UUID) -> int:
        return since.get(gid, 0) if isinstance(since, Mapping) else since

    def sample(gid: uuid.UUID, at: int, wait: int) -> None:
        if at < start_of(gid):
            return
        fig = q(gid)
        fig.wait_count += 1
        fig.wait_sum_us += wait
        if wait > fig.wait_max_us:
            fig.wait_max_us = wait

    for r in records:
        if r.outcome is CallOutcome.OUTBOUND or not r.groups:
            continue
        entries, flows, groups = r.queue_entries, r.flows, r.groups
        n = len(groups)
        # arrival of each segment: overflow keeps it, a transfer is a new arrival
        arrivals = [r.arrival]
        for i in range(1, n):
            arrivals.append(entries[i] if flows[i - 1] == "transfer" else arrivals[-1])
        for i, gid in enumerate(groups):
            if entries[i] >= start_of(gid):
                q(gid).total_calls_queued += 1
            if i and entries[i] >= start_of(gid):
                q(gid).total_calls_flowed_in += 1
            if i and entries[i] >= start_of(groups[i - 1]):
                q(groups[i - 1]).total_calls_flowed_out += 1
            if i and flows[i - 1] == "overflow":
                sample(groups[i - 1], entries[i], entries[i] - arrivals[i - 1])
        segs = [_segment_of(o, entries, flows) for o in r.offers]
        for o, k in zip(r.offers, segs):
            sample(groups[k], o.ring_start, o.ring_start - arrivals[k])
        answered = [(o, k) for o, k in zip(r.offers, segs) if o.answered]
        for j, (o, k) in enumerate(answered):
            fig = out_s.get(o.hagent_session)
            if fig is None:
                fig = out_s[o.hagent_session] = SessionFigures()
            answer = o.ring_end
            tta = answer - arrivals[k]
            fig.calls += 1
            fig.tta_sum_us += tta
            fig.tta_max_us = max(fig.tta_max_us, tta)
            last = j == len(answered) - 1
            nxt = next((entries[i] for i in range(k + 1, n) if flows[i - 1] == "transfer"), None)
            if not last or (nxt is not None and nxt >= answer):
                talk_end: int | None = nxt
                wrap_end = None
            else:
                talk_end = r.hangup
                wrap_end = r.wrapup_end
            if talk_end is None:  # still talking
                fig.talk_us += now - answer
                continue
            fig.talk_us += talk_end - answer
            if wrap_end is None:
                wrap_end = min(now, talk_end + wrap_us.get(o.agent_id, 0))
            fig.wrapup_us += wrap_end - talk_end
        last_group = groups[-1]
        if r.outcome is CallOutcome.ABANDONED and r.hangup is not None:
            if r.hangup >= start_of(last_group):
                q(last_group).total_calls_abandoned += 1
            sample(last_group, r.hangup, r.hangup - arrivals[-1])
        elif r.outcome is CallOutcome.UNANSWERED and r.hangup is None:
            in_last = [o for o, k in zip(r.offers, segs) if k == n - 1]
            ringing_or_talking = bool(in_last) and (in_last[-1].answered or in_last[-1].ring_end >= now)
            if not ringing_or_talking:
                fig = q(last_group)
                fig.current_calls_queued += 1
                fig.current_wait_max_us = max(fig.current_wait_max_us, now - arrivals[-1])
    return Recomputed(out_s, out_q)
