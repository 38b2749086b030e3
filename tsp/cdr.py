"""Call detail records (wire-protocol §9.5): one JSON object per call, written without blocking the loop.

The switch model hands over a :class:`tsp.values.CallRecord` when a call leaves the switch
(``Switch.take_records()``; at shutdown ``Switch.open_records(now)`` for the calls still in it). This
module turns each into one line of JSON (:func:`to_json`, format in docs/cdr.md), writes the lines
to a file from a writer thread (:class:`CdrWriter`) and reads them back (:func:`read_cdr`,
:func:`from_json`). :mod:`tsp.cdr_recompute` computes the statistics of wire-protocol §4 and
LINEQUEUEINFO from the records.

Instants are written twice: ``{"utc": "2026-11-26T09:00:12.500000Z", "t": 12.5}`` - the switch clock
as ISO 8601 UTC with microseconds, and seconds since the scenario start (the float that reads back
to the same microsecond; ``utc`` is null past the year 9999, which a manual clock can reach).

**Never blocking the loop**: :meth:`CdrWriter.put` only appends the (immutable) records to a bounded
in-memory queue under a short lock; the writer thread formats and writes them and flushes after each
batch. When the disk does not keep up and the queue holds ``capacity`` records, further records are
**dropped and counted** (``dropped``); the writer then writes one line ``{"dropped": N}`` where the
gap is, so a reader sees that the file is incomplete (:func:`read_cdr` counts them), and logs a
warning. A write error (disk full, file removed) stops writing: everything after it is counted as
dropped and logged once.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import threading
import uuid
from collections import deque
from pathlib import Path
from typing import IO, Any, Iterable, Mapping

import attrs

from tsp.scenario import Scenario
from tsp.values import CallOffer, CallOutcome, CallRecord

__all__ = ["DEFAULT_CAPACITY", "CdrError", "CdrLog", "CdrWriter", "from_json", "read_cdr", "to_json"]

log = logging.getLogger("tsp.cdr")

#: Records the writer queue holds at most before further ones are dropped (and counted).
DEFAULT_CAPACITY = 100_000
_US = 1_000_000
_FLOWS = ("overflow", "transfer")


class CdrError(ValueError):
    """A CDR line that is not a call record of this format (``read_cdr``: with file and line)."""


# --------------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------------


def _instant(us: int | None, start: _dt.datetime) -> dict[str, Any] | None:
    if us is None:
        return None
    try:
        utc: str | None = (start + _dt.timedelta(microseconds=us)).isoformat(timespec="microseconds")
        utc = utc.replace("+00:00", "Z")  # type: ignore[union-attr]
    except OverflowError:
        utc = None
    return {"utc": utc, "t": us / _US}


def _us(value: Any, where: str) -> int | None:
    if value is None:
        return None
    t = value.get("t") if isinstance(value, dict) else None
    if isinstance(t, bool) or not isinstance(t, (int, float)):
        raise CdrError(f"{where}: not an instant {{\"utc\": ..., \"t\": seconds}}: {value!r}")
    return round(t * _US)


def to_json(record: CallRecord, start: _dt.datetime, groups: Mapping[uuid.UUID, Any] | None = None) -> dict[str, Any]:
    """The JSON object of one record. ``start``: the switch's t = 0 (aware UTC); ``groups``: GUID ->
    scenario Group, to add each group's name and queue ID (omitted for groups it does not know)."""
    entries = []
    vias = ("arrival",) + tuple(record.flows)
    for i, (gid, entered) in enumerate(zip(record.groups, record.queue_entries)):
        entry: dict[str, Any] = {"id": str(gid)}
        g = groups.get(gid) if groups else None
        if g is not None:
            entry["name"] = g.name
            entry["queue"] = g.queue
        entry["entered"] = _instant(entered, start)
        entry["via"] = vias[i] if i < len(vias) else "arrival"
        entries.append(entry)
    return {
        "dwCallID": record.call_id,
        "outcome": record.outcome.value,
        "arrival": _instant(record.arrival, start),
        "groups": entries,
        "offers": [
            {
                "hAgentSession": o.hagent_session,
                "hAgent": o.hagent,
                "agent": o.agent_id,
                "ring_start": _instant(o.ring_start, start),
                "ring_end": _instant(o.ring_end, start),
                "answered": o.answered,
            }
            for o in record.offers
        ],
        "answer": _instant(record.answer, start),
        "hangup": _instant(record.hangup, start),
        "wrapup_end": _instant(record.wrapup_end, start),
        "ani": record.ani,
        "dnis": record.dnis,
        "uui": record.uui,
    }


def from_json(obj: Any) -> CallRecord:
    """The CallRecord of a JSON object written by :func:`to_json` (CdrError if it is not one)."""
    if not isinstance(obj, dict) or not isinstance(obj.get("dwCallID"), int):
        raise CdrError(f"not a call record (no dwCallID): {str(obj)[:80]}")
    cid = obj["dwCallID"]
    try:
        outcome = CallOutcome(obj["outcome"])
        groups = obj["groups"]
        offers = tuple(
            CallOffer(
                hagent_session=o["hAgentSession"], hagent=o["hAgent"], agent_id=o["agent"],
                ring_start=_us(o["ring_start"], f"call {cid} ring_start"),  # type: ignore[arg-type]
                ring_end=_us(o["ring_end"], f"call {cid} ring_end"),  # type: ignore[arg-type]
                answered=bool(o["answered"]),
            )
            for o in obj["offers"]
        )
        arrival = _us(obj["arrival"], f"call {cid} arrival")
        return CallRecord(
            call_id=cid,
            groups=tuple(uuid.UUID(g["id"]) for g in groups),
            flows=tuple(g["via"] for g in groups[1:]),
            arrival=arrival,  # type: ignore[arg-type]
            queue_entries=tuple(_us(g["entered"], f"call {cid} groups entered") for g in groups),  # type: ignore[misc]
            offers=offers,
            answer=_us(obj["answer"], f"call {cid} answer"),
            hangup=_us(obj["hangup"], f"call {cid} hangup"),
            wrapup_end=_us(obj["wrapup_end"], f"call {cid} wrapup_end"),
            outcome=outcome,
            ani=obj.get("ani"),
            dnis=obj.get("dnis"),
            uui=obj.get("uui"),
        )
    except CdrError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise CdrError(f"call {cid}: malformed record ({type(exc).__name__}: {exc})") from None


@attrs.frozen
class CdrLog:
    """What :func:`read_cdr` found: the records in file order and the records the writer dropped."""

    records: tuple[CallRecord, ...]
    dropped: int


def read_cdr(path: str | Path) -> CdrLog:
    """Read a CDR file (one JSON object per line; ``{"dropped": N}`` lines add to ``dropped``).
    CdrError names the file and line of anything else."""
    records: list[CallRecord] = []
    dropped = 0
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                if isinstance(obj, dict) and set(obj) == {"dropped"} and isinstance(obj["dropped"], int):
                    dropped += obj["dropped"]
                    continue
                records.append(from_json(obj))
            except (json.JSONDecodeError, CdrError) as exc:
                raise CdrError(f"{path}:{lineno}: {exc}") from None
    return CdrLog(tuple(records), dropped)


# --------------------------------------------------------------------------------------------------
# The writer
# --------------------------------------------------------------------------------------------------


class CdrWriter:
    """Writes call records to ``path`` (truncated when opened) from a writer thread.

    Opening happens in the constructor, so an unwritable path is an OSError at once (``python -m tsp
    --cdr`` turns it into a one-line message and exit status 2). ``scenario`` gives t = 0 and the group
    names. :meth:`put` never blocks; :meth:`close` writes what is queued (for at most ``timeout``
    seconds; call it off the event loop, e.g. with ``trio.to_thread.run_sync``) and closes the file.
    """

    def __init__(
        self, path: str | Path, scenario: Scenario, capacity: int = DEFAULT_CAPACITY, *, stream: IO[str] | None = None
    ) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1 record, got {capacity}")
        self.path = str(path)
        #: The file written (``stream`` instead of opening ``path``, e.g. for tests; closed by close()).
        self._file: IO[str] = stream if stream is not None else open(path, "w", encoding="utf-8")  # noqa: SIM115
        self._start = scenario.switch.start
        self._groups = {g.id: g for g in scenario.groups}
        self.capacity = capacity
        self._cond = threading.Condition(threading.Lock())
        self._items: deque[CallRecord] = deque()
        self._gap = 0  # dropped since the last {"dropped": N} line
        #: Records dropped so far (queue full or after a write error); never reset.
        self.dropped = 0
        #: Records written so far (by the writer thread).
        self.written = 0
        #: Records :meth:`put` took (queued; written, or dropped after a write error, later).
        self.accepted = 0
        self._broken: str | None = None
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="tsp-cdr-writer", daemon=True)
        self._thread.start()

    def put(self, records: Iterable[CallRecord]) -> int:
        """Queue records for writing; returns how many did not fit (dropped and counted)."""
        lost = 0
        with self._cond:
            items = self._items
            for record in records:
                if self._broken is not None or len(items) >= self.capacity or self._stopping:
                    lost += 1
                else:
                    items.append(record)
                    self.accepted += 1
            if lost:
                self.dropped += lost
                self._gap += lost
            self._cond.notify()
        return lost

    @property
    def queued(self) -> int:
        return len(self._items)

    def close(self, timeout: float = 5.0) -> bool:
        """Write what is queued (at most ``timeout`` seconds), close the file; True if all was written.
        Idempotent."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._thread.join(timeout)
        done = not self._thread.is_alive()
        if self.dropped:
            log.warning("CDR %s: %d call records were dropped (%s)", self.path, self.dropped,
                        self._broken or "the disk did not keep up")
        return done and not self.dropped

    def _run(self) -> None:
        try:
            while True:
                with self._cond:
                    while not self._items and not self._gap and not self._stopping:
                        self._cond.wait()
                    batch = list(self._items)
                    self._items.clear()
                    gap, self._gap = self._gap, 0
                    stopping = self._stopping
                if batch or gap:
                    self._write(batch, gap)
                if stopping:
                    with self._cond:
                        if not self._items and not self._gap:
                            return
        finally:
            try:
                self._file.close()
            except OSError:
                pass

    def _write(self, batch: list[CallRecord], gap: int) -> None:
        if self._broken is not None:
            with self._cond:
                self.dropped += len(batch)
            return
        lines = [json.dumps({"dropped": gap}) + "\n"] if gap else []
        lines += [json.dumps(to_json(r, self._start, self._groups), ensure_ascii=False) + "\n" for r in batch]
        try:
            self._file.write("".join(lines))
            self._file.flush()
        except (OSError, ValueError) as exc:
            self._broken = f"writing failed: {exc}"
            with self._cond:
                self.dropped += len(batch)
            log.warning("CDR %s: %s; no more call records are written", self.path, exc)
            return
        self.written += len(batch)
