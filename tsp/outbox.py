"""The outgoing byte queue of one connection, and the budget all of them share.

:class:`Outbox` never blocks the producer (the reader, the driver's event fan-out); the writer task waits
for data. Two limits, both checked when bytes are queued:

* ``limit``: bytes waiting in *this* queue (``--max-queued``); past it the server cuts the connection off
  as not reading.
* a shared :class:`QueueBudget` (``--max-queued-total``): bytes held for *all* connections together, those
  queued and those handed to a write that has not finished. Past it the server cuts off the connection
  that holds the most. A closed outbox (a connection that is ending; it is gone within the closing grace
  period) leaves the budget at once.
"""

from __future__ import annotations

from collections import deque

import trio

__all__ = ["Outbox", "QueueBudget"]


class QueueBudget:
    """Bytes held for all connections together (queued or being written), against ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.total = 0


class Outbox:
    """A byte queue that never blocks the producer; the consumer (writer task) waits for data."""

    def __init__(self, limit: int, budget: QueueBudget | None = None) -> None:
        self.limit = limit
        self.budget = budget
        self._chunks: deque[bytes] = deque()
        #: Bytes waiting in the queue.
        self.queued = 0
        #: Bytes taken out (by the writer or a direct write) whose write has not finished yet.
        self.in_send = 0
        self.closed = False
        #: True once a ``put`` failed because of this queue's own ``limit``.
        self.overflowed = False
        self._ready = trio.Event()
        #: True while the reader handles what one ``receive_some`` brought: ``put`` does not wake the
        #: writer, the reader hands everything over at once afterwards (:meth:`flush_deferred`).
        self.deferred = False
        #: True while the writer task is inside ``send_all`` (nobody else may write to the stream).
        self.sending = False

    @property
    def held(self) -> int:
        """Bytes this connection holds in the server: queued plus being written."""
        return self.queued + self.in_send

    def put(self, data: bytes) -> bool:
        """Queue ``data``; False if the queue is closed, or this would exceed its limit (``overflowed`` is
        set) or the shared budget (``overflowed`` is not set)."""
        if self.closed:
            return False
        n = len(data)
        if self.queued + n > self.limit:
            self.overflowed = True
            return False
        budget = self.budget
        if budget is not None:
            if budget.total + n > budget.limit:
                return False
            budget.total += n
        self._chunks.append(data)
        self.queued += n
        if not self.deferred:
            self._ready.set()
        return True

    def take(self) -> bytes:
        """Everything queued, joined, and the queue emptied (b"" if nothing is queued). The bytes stay
        counted (``in_send``) until :meth:`sent` or :meth:`give_back`."""
        chunks = self._chunks
        if not chunks:
            return b""
        data = b"".join(chunks) if len(chunks) > 1 else chunks[0]
        chunks.clear()
        self.in_send += len(data)
        self.queued = 0
        return data

    def sent(self, n: int) -> None:
        """``n`` bytes taken out were written: they no longer count."""
        self.in_send -= n
        if self.budget is not None:
            self.budget.total -= n

    def give_back(self, data: bytes) -> None:
        """Put the unwritten rest of what :meth:`take` returned back in front of the queue (not limited:
        it was counted when it was queued)."""
        self._chunks.appendleft(data)
        self.in_send -= len(data)
        self.queued += len(data)

    def flush_deferred(self) -> None:
        """End a deferral: wake the writer if anything was queued meanwhile."""
        self.deferred = False
        if self._chunks or self.closed:
            self._ready.set()

    def replace_with(self, data: bytes) -> None:
        """Throw away everything queued, queue ``data`` alone and close (used for the cut-off ERROR)."""
        self._leave_budget()
        self._chunks.clear()
        self._chunks.append(data)
        self.queued = len(data)
        self.close()

    def close(self) -> None:
        """No more data will come; the writer returns once the queue is empty. Leaves the budget."""
        self._leave_budget()
        self.closed = True
        self._ready.set()

    def _leave_budget(self) -> None:
        if self.budget is not None:
            self.budget.total -= self.queued + self.in_send
            self.budget = None

    async def get(self) -> bytes | None:
        """Everything queued so far, joined (None when closed and empty)."""
        while not self._chunks:
            if self.closed:
                return None
            self._ready = trio.Event()
            await self._ready.wait()
        return self.take()
