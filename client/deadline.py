"""Deadlines of the client: the one place that turns ``timeout=`` seconds into a wait that ends.

Every bounded wait of the client goes through :func:`wait_for`: the RESPONSE of a request, the
LINE_REPLY of a started request, the whole of :meth:`~client.connection.ClientConnection.call`, and
(through :func:`deadline_after` and :func:`remaining`) the grow-and-retry list functions and connecting.

A deadline is an absolute time on trio's clock; ``math.inf`` means "no deadline" and costs nothing (no
cancel scope is entered for it, which matters on the per-request path).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import trio

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


async def wait_for(event: trio.Event, deadline: float, give_up: Callable[..., Any], *args: Any) -> bool:
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


__all__ = ["NO_DEADLINE", "deadline_after", "remaining", "wait_for"]
