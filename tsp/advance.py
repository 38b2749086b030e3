"""EmuAdvanceClock in slices: the server stays responsive while the switch runs through a long interval.

The switch service only *accepts* an EmuAdvanceClock (``Outcome.advance``, a
:class:`tsp.switch.PendingAdvance`); :func:`run` drives it from the reader of the connection that sent it:

* one slice at a time (:meth:`SwitchService.advance_slice`: at most :data:`SLICE_STEPS` due instants of
  the switch, the manual clock moving with them), each slice's frames queued at once;
* between slices it yields to the event loop, so every other connection is served (its requests see
  the switch at the instant reached so far) and SIGTERM is acted on within one slice;
* before the next slice it waits while a listener that is *reading* has more than half of
  ``max_queued_bytes`` waiting, so a month of events reaches a client that reads instead of cutting it
  off as "not reading". A listener whose queue has not gone down for ``read_timeout`` seconds is
  taken as not reading: the advance goes on without it, and the normal rule cuts it off when its
  queue overflows (the writer hands a queue to the socket whole, so a slow reader shows progress only
  once a whole queue has left: hence the long ``read_timeout`` rather than a short grace);
* the RESPONSE (:meth:`SwitchService.finish_advance`) is queued when the whole interval has happened.

Frames the same connection sent after the EmuAdvanceClock are handled after its RESPONSE.
"""

from __future__ import annotations

from typing import Any, Iterable, Protocol

import trio

from tsp.switch import PendingAdvance, SwitchService

__all__ = ["run", "SLICE_STEPS", "POLL_SECONDS"]

#: Due instants (model events, delayed answers) per slice: small enough that one slice of the built-in
#: scenario takes well under a millisecond, large enough that yielding costs little (docs/protocol.md).
SLICE_STEPS = 256
#: How often a waiting advance looks at the listeners' queues again.
POLL_SECONDS = 0.005


class _AdvancingPeer(Protocol):
    advance: PendingAdvance | None


class _Limits(Protocol):
    @property
    def max_queued_bytes(self) -> int: ...

    @property
    def read_timeout(self) -> float: ...


class _Server(Protocol):
    """What the advance needs of the server (:class:`tsp.server.EmulatorServer`)."""

    service: SwitchService

    @property
    def config(self) -> _Limits: ...

    def deliver(self, frames: Iterable[Any]) -> None: ...

    def queued_bytes(self) -> Iterable[tuple[int, int]]: ...


async def run(server: _Server, peer: _AdvancingPeer) -> None:
    """Run ``peer.advance`` to its end in slices, then queue its RESPONSE and clear ``peer.advance``."""
    pending = peer.advance
    assert pending is not None
    service = server.service
    marks: dict[int, tuple[int, float]] = {}
    while not pending.done:
        server.deliver(service.advance_slice(pending, SLICE_STEPS))
        await trio.sleep(0)  # let every other task run (readers with requests, writers, the signal watcher)
        await _wait_for_readers(server, marks)
    peer.advance = None
    server.deliver(service.finish_advance(pending))


async def _wait_for_readers(server: _Server, marks: dict[int, tuple[int, float]]) -> None:
    """Return once no listener that is reading has more than half of ``max_queued_bytes`` waiting.

    ``marks``: conn_id -> (bytes queued, when that was first seen) for listeners above the half; a
    queue that went down since is reading (new mark), one that has stood still for ``read_timeout``
    seconds is not (not waited for)."""
    half = server.config.max_queued_bytes // 2
    patience = server.config.read_timeout
    while True:
        now = trio.current_time()
        waiting = False
        for conn_id, queued in server.queued_bytes():
            if queued <= half:
                marks.pop(conn_id, None)
                continue
            mark = marks.get(conn_id)
            if mark is None or queued < mark[0]:
                marks[conn_id] = (queued, now)
                waiting = True
            elif now - mark[1] < patience:
                waiting = True
        if not waiting:
            return
        await trio.sleep(POLL_SECONDS)
