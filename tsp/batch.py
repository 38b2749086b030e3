"""Frames for connections, in write order: what :class:`tsp.switch.SwitchService` hands the server.

:class:`Batch` collects RESPONSEs and event records while the switch handles a request or advances its
clock, and merges consecutive records of one connection into EVENTS frames of at most
:data:`EVENTS_BATCH_BYTES` each. Pure: no I/O, no clock.
"""

from __future__ import annotations

from typing import Any

import attrs

from protocol import fastpath
from protocol import messages as m
from protocol.constants import MAX_FRAME_LENGTH, MAX_STRUCT_SIZE

__all__ = ["Outgoing", "Batch", "EVENTS_BATCH_BYTES"]

#: An EVENTS frame is cut into several when its records would exceed this many bytes (frame limit 0x50000).
EVENTS_BATCH_BYTES = 0x40000


@attrs.frozen
class Outgoing:
    """One frame for one connection (a :class:`protocol.messages.Response` or ``Events``)."""

    conn_id: int
    frame: Any


_outgoing = fastpath.constructor(Outgoing)
_events = fastpath.constructor(m.Events)


class Batch:
    """Collects frames in write order, merging consecutive event records per connection into EVENTS."""

    __slots__ = ("_items", "_open")

    def __init__(self) -> None:
        self._items: list[list[Any]] = []  # [conn_id, Response, None] or [conn_id, None, [records]]
        self._open: dict[int, list[Any]] = {}

    def response(self, conn_id: int, frame: Any) -> None:
        if self._open:
            self._open.pop(conn_id, None)
        self._items.append([conn_id, frame, None])

    def record(self, conn_id: int, record: Any) -> None:
        item = self._open.get(conn_id)
        if item is None:
            item = [conn_id, None, []]
            self._items.append(item)
            self._open[conn_id] = item
        item[2].append(record)

    def frames(self) -> tuple[Outgoing, ...]:
        out: list[Outgoing] = []
        for conn_id, response, records in self._items:
            if records is None:
                out.append(_outgoing(conn_id, response))
            elif len(records) == 1:
                out.append(_outgoing(conn_id, _events(records)))
            else:
                chunk: list[Any] = []
                size = 0
                for rec in records:
                    rec_size = _record_size(rec)
                    if chunk and size + rec_size > EVENTS_BATCH_BYTES:
                        out.append(_outgoing(conn_id, _events(chunk)))
                        chunk, size = [], 0
                    chunk.append(rec)
                    size += rec_size
                if chunk:
                    out.append(_outgoing(conn_id, _events(chunk)))
        return tuple(out)


def _record_size(rec: Any) -> int:
    data = getattr(rec, "data", b"") or getattr(rec, "vardata", b"")
    return 40 + m.pad4(len(data))


# One EVENTS frame stays within the frame limit even when it holds one maximal LINE_REPLY.
assert max(EVENTS_BATCH_BYTES, 40 + MAX_STRUCT_SIZE) + 8 <= MAX_FRAME_LENGTH
