"""tsp/logqueue.py: the bounded log queue never blocks its caller, drops and counts what does not fit,
reports the count once output flows again; the per-connection rate limit; the text formatter's switch time."""

from __future__ import annotations

import logging
import os
import threading
import time

import pytest

from tsp.__main__ import TextLogFormatter
from tsp.logqueue import ConnectionRateLimit, LogQueue, LogQueueHandler, install


class Pipe:
    """The write end of an OS pipe as a text stream with a file descriptor (what stderr is under a harness)."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()

    def fileno(self) -> int:
        return self.write_fd

    def write(self, text: str) -> None:  # pragma: no cover - LogQueue writes to the descriptor
        os.write(self.write_fd, text.encode())

    def flush(self) -> None:  # pragma: no cover
        pass

    def drain(self, until: bytes, timeout: float = 10.0) -> bytes:
        """Read until ``until`` has been seen (fails after ``timeout`` seconds)."""
        os.set_blocking(self.read_fd, False)
        out = b""
        deadline = time.monotonic() + timeout
        while until not in out:
            assert time.monotonic() < deadline, f"{until!r} never came; got {out[-300:]!r}"
            try:
                out += os.read(self.read_fd, 1 << 16)
            except BlockingIOError:
                time.sleep(0.01)
        return out

    def read_lines(self, timeout: float = 10.0) -> bytes:
        """Read at least one byte, until what was read ends with a newline."""
        out = self.drain(b"\n", timeout)
        while not out.endswith(b"\n"):
            out += self.drain(b"\n", timeout)
        return out

    def close(self) -> None:
        os.close(self.read_fd)
        os.close(self.write_fd)


def test_a_full_pipe_drops_and_counts_without_blocking_and_reports_once_it_flows() -> None:
    pipe = Pipe()
    queue = LogQueue(pipe, capacity=10_000, summary=lambda n: f"DROPPED {n}")  # type: ignore[arg-type]
    try:
        started = time.monotonic()
        line = "x" * 99
        for _ in range(5000):  # 500 KB: the 64 KiB pipe and the 10,000-character queue are full long before
            queue.put(line)
        assert time.monotonic() - started < 5  # never waited for the pipe (a blocked put would hang here)
        assert queue.dropped_total > 3000
        assert queue.queued_chars <= 10_000
        # The reader starts reading: what was queued comes, and the count (maybe in more than one summary,
        # as drops went on while the writer waited); every record was either written or counted.
        out = b""
        deadline = time.monotonic() + 10
        while True:
            out += pipe.read_lines()
            lines = out.split(b"\n")[:-1]
            dropped = sum(int(x.split(b" ")[1]) for x in lines if x.startswith(b"DROPPED "))
            written = sum(x == line.encode() for x in lines)
            if written + dropped == 5000:
                break
            assert time.monotonic() < deadline, (written, dropped)
        assert dropped == queue.dropped_total
        queue.put("after")
        assert b"after" in pipe.drain(b"after\n")
    finally:
        assert queue.close(timeout=5)
        pipe.close()


def test_close_gives_up_after_its_timeout_when_the_output_is_stuck() -> None:
    pipe = Pipe()
    queue = LogQueue(pipe, capacity=1 << 20)  # type: ignore[arg-type]
    try:
        for _ in range(2000):
            queue.put("y" * 100)  # 200 KB: more than the pipe takes, nobody reads
        started = time.monotonic()
        assert queue.close(timeout=0.3) is False
        assert time.monotonic() - started < 3
    finally:
        pipe.close()


def record(msg: str, *args: object, level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord("tsp.server", level, __file__, 1, msg, args, None)


def test_rate_limit_per_connection_with_one_summary() -> None:
    now = [100.0]
    limit = ConnectionRateLimit(rate=3, clock=lambda: now[0])
    passed = [r for i in range(10) for r in limit.admit(record("conn %d: bad request %d", 7, i))]
    assert [r.getMessage() for r in passed] == [f"conn 7: bad request {i}" for i in range(3)]
    # Another connection and records without a connection are not affected.
    assert len(limit.admit(record("conn %d: x", 8))) == 1
    assert all(len(limit.admit(record("session %d -> READY", 3))) == 1 for _ in range(10))
    now[0] += 1.0  # the next second: first the summary of the 7 suppressed, then the record itself
    out = limit.admit(record("conn %d: bad request %d", 7, 10, level=logging.INFO))
    assert [r.getMessage() for r in out] == [
        "conn 7: 7 more log lines suppressed in 1.0 s (at most 3 per second per connection)",
        "conn 7: bad request 10",
    ]
    # The closing line always passes, after the summary of what was suppressed before it.
    for i in range(5):
        limit.admit(record("conn %d: bad request %d", 7, i, level=logging.WARNING))
    out = limit.admit(record("conn %d: closed (%s)", 7, "closed by the client"))
    assert [r.getMessage() for r in out][-1] == "conn 7: closed (closed by the client)"
    assert "3 more log lines suppressed" in out[0].getMessage() and out[0].levelno == logging.WARNING
    # ... and forgets the connection.
    assert len(limit.admit(record("conn %d: closed (%s)", 7, "again"))) == 1


def test_handler_cuts_long_records_and_never_raises() -> None:
    seen: list[str] = []

    class Sink:
        def put(self, text: str) -> bool:
            seen.append(text)
            return True

    handler = LogQueueHandler(Sink(), max_record_chars=50)  # type: ignore[arg-type]
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.handle(record("agent %s", "a" * 1000))
    assert seen[0].startswith("agent aaa") and seen[0].endswith("(956 more characters cut)")
    assert len(seen[0]) < 100


def test_install_replaces_root_handlers_and_close_removes_it() -> None:
    pipe = Pipe()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        installed = install(logging.Formatter("%(name)s %(message)s"), logging.INFO, stream=pipe)  # type: ignore[arg-type]
        assert root.handlers == [installed.handler]
        logging.getLogger("tsp.test").info("hello %s", "there")
        assert b"tsp.test hello there\n" in pipe.drain(b"there\n")
        assert installed.close(timeout=5)
        assert installed.handler not in root.handlers
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        pipe.close()


def test_text_format_carries_the_switch_time_when_there_is_one() -> None:
    fmt = TextLogFormatter(switch_time=lambda: 812.25)
    line = fmt.format(record("conn %d: connected", 3))
    assert " INFO    switch=812.250 tsp.server: conn 3: connected" in line
    assert "switch=" not in TextLogFormatter().format(record("x"))
    assert "switch=" not in TextLogFormatter(switch_time=lambda: 1 / 0).format(record("x"))  # never raises


def test_the_writer_is_a_daemon_thread() -> None:
    pipe = Pipe()
    queue = LogQueue(pipe)  # type: ignore[arg-type]
    try:
        writers = [t for t in threading.enumerate() if t.name == "tsp-log-writer"]
        assert writers and all(t.daemon for t in writers)  # a stuck writer never keeps the process alive
    finally:
        queue.close(timeout=5)
        pipe.close()


@pytest.mark.parametrize("bad", [0, -1])
def test_bad_sizes_are_refused(bad: int) -> None:
    with pytest.raises(ValueError):
        LogQueue(capacity=bad)
    with pytest.raises(ValueError):
        ConnectionRateLimit(rate=bad)
