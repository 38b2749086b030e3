"""Deadlines of the client: the one place that turns ``timeout=`` seconds into a wait that ends.

Every bounded wait of the client is one of two kinds, both here:

- the waits of a connection's requests (the RESPONSE of :meth:`~client.connection.ClientConnection.request`
  and :meth:`~client.connection.ClientConnection.start`, the whole of
  :meth:`~client.connection.ClientConnection.call` - every getter): registered with the connection's
  :class:`DeadlineWatch`, one task that expires them at their deadlines, so a request with a deadline
  (every TAPI3 call has its two minutes) enters no cancel scope of its own;
- every other wait (the LINE_REPLY of a started request, connecting): :func:`wait_for`, a cancel scope
  around the wait. The grow-and-retry list functions and connecting share one deadline between their steps
  through :func:`deadline_after` and :func:`remaining`.

A deadline is an absolute time on trio's clock; ``math.inf`` means "no deadline" and costs nothing (no
cancel scope is entered and nothing is registered for it).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable
from typing import Any, Protocol

import trio


class Waitable(Protocol):
    """What a wait is on: a :class:`trio.Event`, or anything with its ``is_set`` and ``wait``."""

    def is_set(self) -> bool: ...  # pragma: no cover

    async def wait(self) -> None: ...  # pragma: no cover


#: The deadline of a wait without one.
NO_DEADLINE = math.inf


def deadline_after(timeout: float | None) -> float:
    """The absolute deadline ``timeout`` seconds from now on trio's clock (None: :data:`NO_DEADLINE`)."""
    return NO_DEADLINE if timeout is None else trio.current_time() + timeout


def remaining(deadline: float) -> float | None:
    """Seconds left until ``deadline`` (never negative), or None when there is no deadline."""
    if deadline == NO_DEADLINE:
        return None
    return max(0.0, deadline - trio.current_time())


async def wait_for(event: Waitable, deadline: float, give_up: Callable[..., Any], *args: Any) -> bool:
    """Wait until ``event`` is set or ``deadline`` passes; True when the event was set.

    When the wait ends without the event (the deadline, or the caller's cancellation), ``give_up(*args)``
    runs before this returns or the cancellation propagates: the caller's chance to remove its table
    entries so that an answer arriving later finds nobody waiting.
    """
    try:
        if deadline == NO_DEADLINE:
            await event.wait()
        else:
            with trio.move_on_at(deadline):
                await event.wait()
    finally:
        if not event.is_set():
            give_up(*args)
    return event.is_set()


class DeadlineWatch:
    """The deadlines of one connection's waiters, expired by one task (:meth:`run`) instead of a cancel
    scope per wait.

    :meth:`add` registers ``expire(*args)`` to run at ``deadline`` unless ``event`` is set by then; the
    caller then simply waits for ``event`` (``expire`` sets it after recording the timeout and removing the
    waiter's table entries, so an answer arriving later finds nobody waiting). Entries whose event was set
    stay in the heap until they reach its top or the heap is compacted, which happens whenever it holds
    more than twice the entries live at the last compaction (at least :data:`COMPACT_MIN`): amortised two
    ``is_set`` checks per wait, and finished waiters (with the answers they hold) are freed soon - keeping
    a few hundred of them alive costs the sequential path ~10 % in cache misses.
    """

    #: The heap is never compacted below this many entries.
    COMPACT_MIN = 16

    __slots__ = ("_heap", "_order", "_scope", "_wake_at", "_limit", "expired")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Waitable, Callable[..., Any], tuple[Any, ...]]] = []
        self._order = itertools.count()
        #: The cancel scope :meth:`run` sleeps in (its deadline = the earliest registered), None while awake.
        self._scope: trio.CancelScope | None = None
        #: That scope's deadline, kept here (reading ``CancelScope.deadline`` is a property call per add).
        self._wake_at = NO_DEADLINE
        self._limit = self.COMPACT_MIN
        #: Waits expired so far (each ran its ``expire``).
        self.expired = 0

    def __len__(self) -> int:
        """Entries in the heap (live and finished ones not yet dropped)."""
        return len(self._heap)

    def add(self, deadline: float, event: Waitable, expire: Callable[..., Any], *args: Any) -> None:
        """Run ``expire(*args)`` at ``deadline`` (trio's clock) unless ``event`` is set by then."""
        if deadline == NO_DEADLINE:
            return
        heap = self._heap
        heapq.heappush(heap, (deadline, next(self._order), event, expire, args))
        if len(heap) > self._limit:
            heap[:] = [entry for entry in heap if not entry[2].is_set()]
            heapq.heapify(heap)
            self._limit = max(self.COMPACT_MIN, 2 * len(heap))
        if deadline < self._wake_at:
            self._wake_at = deadline
            scope = self._scope
            if scope is not None:
                scope.deadline = deadline

    def expire_due(self, now: float) -> None:
        """Expire every entry due at ``now`` whose event is not set; drop finished ones from the top."""
        heap = self._heap
        while heap and (heap[0][0] <= now or heap[0][2].is_set()):
            _, _, event, expire, args = heapq.heappop(heap)
            if not event.is_set():
                self.expired += 1
                expire(*args)

    async def run(self) -> None:
        """Expire entries at their deadlines, forever (the connection cancels it when it ends)."""
        heap = self._heap
        while True:
            self.expire_due(trio.current_time())
            wake_at = heap[0][0] if heap else NO_DEADLINE
            with trio.CancelScope(deadline=wake_at) as scope:
                self._scope = scope
                self._wake_at = wake_at
                try:
                    await trio.sleep_forever()
                finally:
                    self._scope = None
                    self._wake_at = -NO_DEADLINE  # awake: nothing to move until it sleeps again


__all__ = ["DeadlineWatch", "NO_DEADLINE", "Waitable", "deadline_after", "remaining", "wait_for"]
