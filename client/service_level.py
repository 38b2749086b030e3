"""The wallboard's service level, per ACD group, from what the wire says (pure: no I/O, no clock).

The service level is the share of answered calls whose time to answer - arrival at the queue to the
answer, wire-protocol §4 - floored to whole seconds as the protocol reports times, is at most the
threshold T; i.e. the calls with ``t < floor(T) + 1``. The protocol reports no per-call times, so each
answered call is classified from four sources, every one of them exact on the wire:

1. **Which call.** A group's queue is FIFO and every offer is a LINE_AGENTSESSIONSTATUS with STATE and
   BUSYONCALL: the k-th offer seen in a group is the k-th call that arrived there (``dwTotalCallsQueued``
   counts arrivals, routed at once or not). The session that got offer k answers call k.
2. **When it arrived.** Between two queue reads whose ``dwTotalCallsQueued`` went from Q1 to Q2, calls
   Q1+1..Q2 arrived; while a call is the oldest waiting one (index ``Q - dwCurrentCallsQueued + 1``),
   ``dwCurrentLongestWaitTime`` = w says it arrived in ``(now - w - 1, now - w]``.
3. **When it was answered.** Between the two reads of its session in which ``dwNumberOfCalls`` went
   from n - 1 to n.
4. **What the session's counters allow.** With a = ``dwAverageTimeToAnswer`` and L =
   ``dwLongestTimeToAnswer`` before and after: ``t`` lies in ``[a_n n - (a_{n-1}+1)(n-1), (a_n+1) n -
   a_{n-1}(n-1))`` and below L + 1; L <= T makes the call within, a grown L > T makes it beyond.

"Now" of a read comes from the session infos: ``dateSessionStartTime + dwSessionDuration`` floors it to
the second, and ``cyACDCallRate`` = calls x 3600 / exact duration pins it to about a millisecond once a
session has answered a call. Queue infos carry no time: they are dated by the session reads just before
them (the wallboard reads the queues right after the sessions).

A call whose interval for t lies wholly below or wholly at/above floor(T) + 1 is classified exactly.
Otherwise (its interval straddles the limit, or a session answered several calls between two reads, or
its group has no known queue ID, or the wallboard came in after the call) it is **estimated** - by the
share of its interval below the limit (it counts that fraction within), or by the session's averages -
and counted in ``estimated``.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import attrs

#: Half a unit of CURRENCY's last place: cyACDCallRate is rounded to 1/10,000.
_CY_HALF = 0.00005
#: Arrival times kept per group before old ones (of calls nobody watched answer) are dropped.
_KEEP_ARRIVALS = 10_000


@attrs.frozen
class Bracket:
    """An instant known to lie in ``[lo, hi]`` (switch time, POSIX seconds)."""

    lo: float
    hi: float


def read_time(start: float, duration: int, calls: int, rate: Decimal | float) -> Bracket:
    """When a (not ENDED) session info was taken: ``start + duration`` floored to the second, narrowed by
    the call rate ``calls x 3600 / exact duration`` (rounded to 4 decimals) when there were calls."""
    lo, hi = float(duration), float(duration) + 1.0
    rate = float(rate)
    if calls > 0 and rate > _CY_HALF:
        lo = max(lo, calls * 3600.0 / (rate + _CY_HALF))
        hi = min(hi, calls * 3600.0 / (rate - _CY_HALF))
        if lo > hi:  # inconsistent figures: trust the floored duration alone
            lo, hi = float(duration), float(duration) + 1.0
    return Bracket(start + lo, start + hi)


@attrs.define
class _Answer:
    """An answered call waiting for its arrival time (the queue read that shows it)."""

    index: int
    lo: float  # bounds on its time to answer from the session's counters
    hi: float
    answered_lo: float
    answered_hi: float


@attrs.define
class GroupServiceLevel:
    """Calls of one group classified against the threshold (see the module docstring)."""

    threshold: float
    has_queue: bool = False
    within: float = 0.0  # fractional: an estimated call counts by its chance of being within
    beyond: float = 0.0
    estimated: int = 0
    offers: int = 0
    _queued: int | None = None  # dwTotalCallsQueued at the last queue read
    _queue_time: Bracket | None = None
    _arrivals: dict[int, list[float]] = attrs.field(factory=dict)  # call index -> [lo, hi] of its arrival
    _pending: list[_Answer] = attrs.field(factory=list)

    @property
    def limit(self) -> int:
        """Times below this many seconds are within (floor(t) <= T)."""
        return math.floor(self.threshold) + 1

    @property
    def tracked_arrivals(self) -> int:
        """How many arrival times are kept (bounded: old ones of calls nobody watched are dropped)."""
        return len(self._arrivals)

    @property
    def classified(self) -> float:
        return self.within + self.beyond

    # ---- inputs

    def offer(self) -> int:
        """A session of this group was offered a call (STATE BUSYONCALL): the call's index."""
        self.offers += 1
        return self.offers

    def queue_read(self, info: Any, when: Bracket | None) -> None:
        """A LINEQUEUEINFO of the group's queue, taken at ``when`` (None: time unknown, counts only)."""
        self.has_queue = True
        total, waiting = info.total_calls_queued, info.current_calls_queued
        left = total - waiting  # offered so far: the queue is FIFO and (here) nobody abandons or flows
        left -= getattr(info, "total_calls_abandoned", 0) + getattr(info, "total_calls_flowed_out", 0)
        if self.offers < left:
            self.offers = left  # offers to sessions the wallboard does not watch
        if when is not None and self._queued is not None and self._queue_time is not None:
            for k in range(self._queued + 1, total + 1):
                self._arrivals[k] = [self._queue_time.lo, when.hi]
        elif when is not None and self._queued is None:
            for k in range(left + 1, total + 1):  # first read: only the waiting calls matter from now on
                self._arrivals[k] = [-math.inf, when.hi]
        if when is not None and waiting > 0:
            head = self._arrivals.setdefault(left + 1, [-math.inf, math.inf])
            w = info.current_longest_wait_time
            head[0], head[1] = max(head[0], when.lo - w - 1), min(head[1], when.hi - w)
        if when is not None:
            self._queued, self._queue_time = total, when
        self._settle()
        if len(self._arrivals) > _KEEP_ARRIVALS:  # calls answered by sessions the wallboard does not watch
            pending = min((a.index for a in self._pending), default=left)
            for k in [k for k in self._arrivals if k < min(pending, left) - _KEEP_ARRIVALS // 2]:
                del self._arrivals[k]

    def answered(self, index: int | None, lo: float, hi: float, answered_lo: float, answered_hi: float,
                 verdict: bool | None) -> None:
        """One call answered: its offer ``index`` (None: unknown), the counters' bounds ``[lo, hi)`` on its
        time, when it was answered, and an exact ``verdict`` from the longest time (None if none)."""
        if verdict is not None:
            self._count(1.0 if verdict else 0.0, exact=True)
            self._arrivals.pop(index, None)
            return
        if index is None or not self.has_queue:
            self._decide(lo, hi)
            return
        self._pending.append(_Answer(index, lo, hi, answered_lo, answered_hi))
        self._settle()

    def estimate(self, count: int, within: bool) -> None:
        """``count`` calls classified by the session's averages alone (several answers between two reads)."""
        for _ in range(count):
            self._count(1.0 if within else 0.0, exact=False)

    # ---- classification

    def _settle(self) -> None:
        still = []
        for a in self._pending:
            arrival = self._arrivals.get(a.index)
            if arrival is None or not math.isfinite(arrival[1]):
                if self._queued is not None and a.index <= self._queued and arrival is None:
                    self._decide(a.lo, a.hi)  # arrived before the wallboard looked: counters only
                    continue
                still.append(a)
                continue
            del self._arrivals[a.index]
            lo = max(a.lo, a.answered_lo - arrival[1], 0.0)
            hi = min(a.hi, a.answered_hi - arrival[0])
            if lo > hi:  # the sources disagree (a missed event?): the counters win
                lo, hi = a.lo, a.hi
            self._decide(lo, hi)
        self._pending = still

    def _decide(self, lo: float, hi: float) -> None:
        limit = self.limit
        if hi <= limit:
            self._count(1.0, exact=True)
        elif lo >= limit:
            self._count(0.0, exact=True)
        else:
            # Straddles the limit: count the share of the interval below it (uniform within it), so a
            # call known to within (20, 22) counts half within, half beyond: unbiased on average.
            share = (limit - lo) / (hi - lo) if math.isfinite(hi) else 0.5
            self._count(min(max(share, 0.0), 1.0), exact=False)

    def _count(self, within: float, exact: bool) -> None:
        self.within += within
        self.beyond += 1 - within
        if not exact:
            self.estimated += 1
