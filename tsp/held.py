"""Faults and held answers: what a fault rule does to an answer, the answers held back by ``delay``
rules, and the in-flight cap on them.

* :meth:`HeldAnswers.decide` asks the :class:`tsp.faults.FaultInjector` once per arriving request;
* :meth:`HeldAnswers.respond` / :meth:`HeldAnswers.reply` put a RESPONSE / LINE_REPLY into the batch,
  drop it (``drop``) or hold it until ``now + seconds`` (``delay``);
* :meth:`HeldAnswers.release_due` hands back the held answers in due order (the switch advances the
  model to each one's due time first);
* the in-flight cap: a connection may have at most ``max_in_flight`` answers held at once
  (:meth:`HeldAnswers.at_cap`); the switch refuses one more request with LINEERR_RESOURCEUNAVAIL. A held
  LINE_REPLY of a line that is closed (or a connection that ends) is forgotten at once: it will never be
  sent and no longer counts.

Pure: no I/O, no clock (times are switch times passed in).
"""

from __future__ import annotations

import heapq
import itertools
import logging
from typing import Any

import attrs

from tsp.batch import Batch
from tsp.faults import FaultInjector, FaultMode, FaultRule

__all__ = ["Held", "HeldAnswers"]

log = logging.getLogger("tsp.switch")


@attrs.define(slots=True, order=False, eq=False)
class Held:
    """A RESPONSE (sync functions) or LINE_REPLY record (async; ``hline`` set) held back by a ``delay`` fault."""

    due: float
    conn_id: int
    hline: int | None
    frame: Any


class HeldAnswers:
    """The fault rules applied to answers, the answers held back, and the in-flight cap per connection."""

    def __init__(self, faults: FaultInjector, max_in_flight: int | None = None) -> None:
        self.faults = faults
        #: Answers one connection may have held at once (None: no cap).
        self.max_in_flight = max_in_flight
        self._heap: list[tuple[float, int, Held]] = []
        self._seq = itertools.count()
        self._count: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._heap)

    @property
    def empty(self) -> bool:
        return not self._heap

    # --- faults ------------------------------------------------------------------------------------

    def decide(self, req_func: int) -> FaultRule | None:
        """The fault rule for this arriving request (counted by the injector), or None."""
        return self.faults.decide(req_func)

    def clear_for(self, conn_id: int, req_func: int) -> bool:
        """Nothing of this part stands in a request's way: no fault rule for its function and the
        connection below the in-flight cap (the fast lane's part of its guard)."""
        cap = self.max_in_flight
        if cap is not None and self._count.get(conn_id, 0) >= cap:
            return False
        rules = self.faults.rules
        return not rules or all(rule.function != req_func for rule in rules)

    def has_rule_for(self, req_func: int) -> bool:
        """Whether any fault rule is about ``req_func`` (then each such request must be decided)."""
        rules = self.faults.rules
        return bool(rules) and any(rule.function == req_func for rule in rules)

    def respond(self, conn_id: int, response: Any, rule: FaultRule | None, now: float, batch: Batch) -> None:
        """A synchronous function's RESPONSE under ``rule`` (None, drop or delay)."""
        if rule is None:
            batch.response(conn_id, response)
        elif rule.mode is FaultMode.DROP:
            log.info("conn %d: fault: RESPONSE to %s dropped", conn_id, type(response.body).__name__)
        else:
            self._hold(now + rule.seconds, conn_id, None, response)

    def reply(self, conn_id: int, hline: int, record: Any, rule: FaultRule | None, now: float, batch: Batch) -> None:
        """An asynchronous function's LINE_REPLY record under ``rule`` (None, error, drop or delay)."""
        if rule is None or rule.mode is FaultMode.ERROR:
            batch.record(conn_id, record)
        elif rule.mode is FaultMode.DROP:
            log.info("conn %d: fault: LINE_REPLY of request %d dropped", conn_id, record.request_id)
        else:
            log.info("conn %d: fault: LINE_REPLY of request %d delayed %gs", conn_id, record.request_id, rule.seconds)
            self._hold(now + rule.seconds, conn_id, hline, record)

    # --- held answers ------------------------------------------------------------------------------

    def _hold(self, due: float, conn_id: int, hline: int | None, frame: Any) -> None:
        heapq.heappush(self._heap, (due, next(self._seq), Held(due, conn_id, hline, frame)))
        self._count[conn_id] = self._count.get(conn_id, 0) + 1

    def next_due(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now: float) -> Held | None:
        """The earliest held answer due at or before ``now`` (removed), or None."""
        heap = self._heap
        if not heap or heap[0][0] > now:
            return None
        item = heapq.heappop(heap)[2]
        self._uncount(item.conn_id, 1)
        return item

    def release(self, item: Held, batch: Batch) -> None:
        """Put a due held answer into the batch."""
        if item.hline is None:
            batch.response(item.conn_id, item.frame)
        else:
            batch.record(item.conn_id, item.frame)

    def forget(self, conn_id: int, hline: int | None = None) -> None:
        """Forget the held answers of a connection that ended (``hline`` None) or the held LINE_REPLYs of
        one of its lines that was closed."""
        if not self._count.get(conn_id):
            return
        kept, gone = [], 0
        for entry in self._heap:
            item = entry[2]
            if item.conn_id == conn_id and (hline is None or item.hline == hline):
                gone += 1
                if hline is not None:
                    log.debug("conn %d: delayed LINE_REPLY %d dropped, its line was closed", conn_id, item.frame.request_id)
            else:
                kept.append(entry)
        if gone:
            heapq.heapify(kept)
            self._heap = kept
            self._uncount(conn_id, gone)

    def _uncount(self, conn_id: int, n: int) -> None:
        left = self._count[conn_id] - n
        if left:
            self._count[conn_id] = left
        else:
            del self._count[conn_id]

    # --- the in-flight cap -------------------------------------------------------------------------

    def in_flight(self, conn_id: int) -> int:
        """Answers held for ``conn_id`` now."""
        return self._count.get(conn_id, 0)

    def at_cap(self, conn_id: int) -> bool:
        cap = self.max_in_flight
        return cap is not None and self._count.get(conn_id, 0) >= cap
