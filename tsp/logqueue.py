"""Logging that never blocks the event loop (wire-protocol §10, issue 12).

A log call on the event loop only formats the record and appends the text to a bounded in-memory queue;
one writer thread writes the queue to the output (stderr). When the output does not take the text (a
pipe nobody reads, a stalled terminal), the writer thread waits, the queue fills up, and further records
are **dropped and counted** - the event loop never waits. As soon as the output takes text again the
writer writes one line saying how many records were dropped.

Two more bounds keep one noisy peer from filling the queue:

* **per connection**: records whose message starts ``conn N: ...`` (``"conn %d: ..."`` with the connection
  number as first argument) pass at most ``per_conn_rate`` times per second for each connection; the rest
  are counted and replaced by one summary line (``conn 5: 1234 more log lines suppressed in 1.0 s``) when
  that connection's next second starts, or when it closes. The line saying a connection closed
  (``conn N: closed ...``) always passes.
* **per record**: a formatted record longer than ``max_record_chars`` is cut, saying how much was cut.

:func:`install` sets this up on the root logger (``python -m tsp`` uses it); the embedded API
(``tsp.testing``) leaves the host program's logging alone, and a host that wants the same behaviour
calls :func:`install` itself. :meth:`LogQueue.close` writes what is left for a bounded time and removes
the handler.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections import deque
from typing import IO, Callable

__all__ = ["LogQueue", "LogQueueHandler", "ConnectionRateLimit", "install"]

#: Characters of formatted log text the queue holds at most (about 4 MiB); more records are dropped.
DEFAULT_CAPACITY = 4 * 1024 * 1024
#: Records per second and connection that pass before the rest are summarized.
DEFAULT_PER_CONN_RATE = 20
#: Longest formatted record written whole.
DEFAULT_MAX_RECORD_CHARS = 16384


def _connection_of(record: logging.LogRecord) -> int | None:
    """The connection number of a ``"conn %d: ..."`` record (None for any other record)."""
    msg = record.msg
    if isinstance(msg, str) and msg.startswith("conn %d") and isinstance(record.args, tuple) and record.args:
        first = record.args[0]
        if isinstance(first, int):
            return first
    return None


class ConnectionRateLimit:
    """At most ``rate`` records per second and connection; the others are counted and summarized.

    :meth:`admit` returns the records to emit for one record: ``[]`` (suppressed), ``[record]``, or
    ``[summary, record]`` when a summary of what was suppressed is due first. ``clock`` is seconds
    (monotonic); tests pass their own.
    """

    #: Connections remembered at most (the oldest is forgotten first; closes forget their connection).
    MAX_TRACKED = 10000

    def __init__(self, rate: int = DEFAULT_PER_CONN_RATE, clock: Callable[[], float] = time.monotonic) -> None:
        if rate < 1:
            raise ValueError(f"rate must be >= 1 record per second, got {rate}")
        self.rate = rate
        self.clock = clock
        #: conn -> [start of its current second, records passed in it, records suppressed, highest level suppressed]
        self._state: dict[int, list[float]] = {}

    def admit(self, record: logging.LogRecord) -> list[logging.LogRecord]:
        conn = _connection_of(record)
        if conn is None:
            return [record]
        now = self.clock()
        closing = isinstance(record.msg, str) and record.msg.startswith("conn %d: closed")
        state = self._state.get(conn)
        if state is None:
            if closing:
                return [record]
            if len(self._state) >= self.MAX_TRACKED:
                del self._state[next(iter(self._state))]
            self._state[conn] = [now, 1, 0, 0]
            return [record]
        out: list[logging.LogRecord] = []
        if closing or now - state[0] >= 1.0:
            if state[2]:
                out.append(self._summary(record, conn, state, now))
            state[:] = [now, 0, 0, 0]
        if closing:
            del self._state[conn]
            out.append(record)
        elif state[1] < self.rate:
            state[1] += 1
            out.append(record)
        else:
            state[2] += 1
            state[3] = max(state[3], record.levelno)
        return out

    def _summary(self, record: logging.LogRecord, conn: int, state: list[float], now: float) -> logging.LogRecord:
        level = int(state[3])
        return logging.makeLogRecord({
            "name": record.name, "levelno": level, "levelname": logging.getLevelName(level),
            "msg": "conn %d: %d more log lines suppressed in %.1f s (at most %d per second per connection)",
            "args": (conn, int(state[2]), now - state[0], self.rate),
            "created": record.created,
        })


class LogQueue:
    """The bounded queue of formatted log text and the writer thread that empties it into ``stream``.

    ``put`` never blocks (beyond a short lock shared with the writer thread, never held while writing):
    text that does not fit in ``capacity`` characters is dropped and counted. The writer writes to the
    stream's file descriptor directly (``os.write``: no Python-level lock a stalled write could hold at
    interpreter exit); a stream without one is written with ``write``/``flush``.
    """

    def __init__(
        self,
        stream: IO[str] | None = None,
        capacity: int = DEFAULT_CAPACITY,
        summary: Callable[[int], str] | None = None,
    ) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1 character, got {capacity}")
        self.stream = stream if stream is not None else sys.stderr
        self.capacity = capacity
        self._summary = summary or (lambda n: f"{n} log records were dropped: the log output did not take them in time")
        self._cond = threading.Condition(threading.Lock())
        self._items: deque[str] = deque()
        self._chars = 0
        self._stopping = False
        #: Records dropped since the writer last reported drops (the writer reports and resets it).
        self.dropped = 0
        #: Every record dropped so far (never reset; for tests and ``close``).
        self.dropped_total = 0
        self._broken = False
        try:
            self._fd: int | None = self.stream.fileno()
        except (AttributeError, OSError, ValueError):
            self._fd = None
        self._thread = threading.Thread(target=self._run, name="tsp-log-writer", daemon=True)
        self._thread.start()

    def put(self, text: str) -> bool:
        """Queue one record's text (a newline is added); False if it was dropped because the queue is full."""
        with self._cond:
            if self._stopping and not self._thread.is_alive():
                self.dropped_total += 1
                return False
            if self._chars + len(text) > self.capacity:
                self.dropped += 1
                self.dropped_total += 1
                return False
            self._items.append(text)
            self._chars += len(text)
            self._cond.notify()
        return True

    @property
    def queued_chars(self) -> int:
        return self._chars

    def close(self, timeout: float = 1.0) -> bool:
        """Write what is queued for at most ``timeout`` seconds and stop the writer; True if all was written."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._items and not self.dropped and not self._stopping:
                    self._cond.wait()
                batch = list(self._items)
                self._items.clear()
                self._chars = 0
                dropped, self.dropped = self.dropped, 0
                stopping = self._stopping
            if dropped:
                batch.append(self._summary(dropped))
            if batch:
                self._write("".join(line + "\n" for line in batch))
            if stopping and not batch:
                return

    def _write(self, text: str) -> None:
        if self._broken:
            return
        try:
            if self._fd is None:
                self.stream.write(text)
                self.stream.flush()
                return
            data = text.encode("utf-8", "backslashreplace")
            view = memoryview(data)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
        except (OSError, ValueError):  # the output is gone (EPIPE, closed): nothing more can be written
            self._broken = True


class LogQueueHandler(logging.Handler):
    """A handler that formats on the caller's thread (so the formatter can read the switch clock there)
    and hands the text to a :class:`LogQueue`; per-connection rate limit and record length cut first."""

    def __init__(
        self,
        queue: LogQueue,
        *,
        rate_limit: ConnectionRateLimit | None = None,
        max_record_chars: int = DEFAULT_MAX_RECORD_CHARS,
    ) -> None:
        super().__init__()
        self.queue = queue
        self.rate_limit = rate_limit if rate_limit is not None else ConnectionRateLimit()
        self.max_record_chars = max_record_chars

    def emit(self, record: logging.LogRecord) -> None:
        try:
            for item in self.rate_limit.admit(record):
                text = self.format(item)
                if len(text) > self.max_record_chars:
                    cut = len(text) - self.max_record_chars
                    text = f"{text[:self.max_record_chars]}... ({cut} more characters cut)"
                self.queue.put(text)
        except Exception:  # noqa: BLE001 - logging must never raise into the server
            self.handleError(record)


def install(
    formatter: logging.Formatter,
    level: int = logging.INFO,
    *,
    stream: IO[str] | None = None,
    capacity: int = DEFAULT_CAPACITY,
    per_conn_rate: int = DEFAULT_PER_CONN_RATE,
) -> "InstalledLog":
    """Make the root logger write through a :class:`LogQueue` to ``stream`` (default stderr), replacing
    its handlers; returns the handle whose ``close()`` flushes (bounded) and removes the handler."""
    queue = LogQueue(stream, capacity, summary=lambda n: formatter.format(logging.makeLogRecord({
        "name": "tsp.log", "levelno": logging.WARNING, "levelname": "WARNING",
        "msg": "%d log records were dropped: the log output (stderr) did not take them in time", "args": (n,),
    })))
    handler = LogQueueHandler(queue, rate_limit=ConnectionRateLimit(per_conn_rate))
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    return InstalledLog(queue, handler)


class InstalledLog:
    """What :func:`install` set up: ``queue``, ``handler``; ``close(timeout)`` ends it."""

    def __init__(self, queue: LogQueue, handler: LogQueueHandler) -> None:
        self.queue = queue
        self.handler = handler

    def close(self, timeout: float = 1.0) -> bool:
        root = logging.getLogger()
        if self.handler in root.handlers:
            root.removeHandler(self.handler)
        return self.queue.close(timeout)
