"""``python -m tsp`` as a real child process for the campaign (:mod:`fuzz.campaign`).

The server is started the way a test harness starts it: ``stdout`` and ``stderr`` are pipes, the first
stdout line ``listening on HOST:PORT`` gives the address (``--port 0``, loopback only). Its stderr is
either drained by a thread (its size is counted) or, for the log-pipe attack, never read at all. Memory
is read from ``/proc/PID/status`` (``VmRSS``, ``VmHWM``); :class:`RssSampler` keeps the peak ``VmRSS``
seen while an attack runs. :meth:`ServerProcess.stop` sends SIGTERM and waits a bounded time, then
kills: every call here returns in bounded time whatever the server does.
"""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Sequence

__all__ = ["REPO", "server_options", "kernel_queued", "ServerProcess", "RssSampler", "ServerDidNotStart"]

REPO = Path(__file__).resolve().parents[1]


class ServerDidNotStart(RuntimeError):
    """The server printed no ``listening on`` line in time (the message holds its stderr)."""


def server_options(python: str = sys.executable, cwd: Path = REPO) -> frozenset[str]:
    """The long options ``python -m tsp --help`` lists (so an attack can tell which limits exist)."""
    out = subprocess.run([python, "-m", "tsp", "--help"], cwd=cwd, capture_output=True, text=True, timeout=30)
    return frozenset(re.findall(r"(--[a-z][a-z0-9-]+)", out.stdout))


def _status_kib(pid: int, key: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


class ServerProcess:
    """One ``python -m tsp --port 0 ARGS`` child, run in ``cwd`` (so ``-m tsp`` is that checkout's).
    ``read_stderr=False`` leaves its stderr pipe unread."""

    def __init__(self, args: Sequence[str], *, read_stderr: bool = True, start_timeout: float = 20.0,
                 log_path: Path | None = None, cwd: Path = REPO) -> None:
        self.args = list(args)
        self.log_file = open(log_path, "wb") if log_path is not None and read_stderr else None
        self.read_stderr = read_stderr
        self.stderr_bytes = 0
        self.poller: object | None = None  #: the healthy poller of the attack, if any (set by served())
        self.stopped: tuple[bool, float] | None = None  #: result of stop(), once called
        self.rss_at_stop: int | None = None  #: VmRSS (KiB) just before stop() sent SIGTERM
        self._stderr_tail = bytearray()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tsp", "--host", "127.0.0.1", "--port", "0", *self.args],
            cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self._drain: threading.Thread | None = None
        if read_stderr:
            self._drain = threading.Thread(target=self._drain_stderr, name="tsp-stderr", daemon=True)
            self._drain.start()
        self.address = self._read_address(start_timeout)

    def _read_address(self, timeout: float) -> tuple[str, int]:
        assert self.proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        ready = sel.select(timeout)
        sel.close()
        line = self.proc.stdout.readline().decode("utf-8", "replace") if ready else ""
        if not line.startswith("listening on "):
            self.kill()
            raise ServerDidNotStart(f"no 'listening on' line within {timeout} s (got {line!r}); "
                                    f"stderr: {self.stderr_tail()[-2000:]}")
        host, _, port = line.strip()[len("listening on "):].rpartition(":")
        return host, int(port)

    def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        fd = self.proc.stderr.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.stderr_bytes += len(chunk)
            if self.log_file is not None:
                self.log_file.write(chunk)
            self._stderr_tail += chunk
            del self._stderr_tail[:-8192]

    def stderr_tail(self) -> str:
        """The last few KiB of stderr (empty when it is not read)."""
        return self._stderr_tail.decode("utf-8", "replace")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def rss_kib(self) -> int | None:
        """Current resident set (VmRSS) in KiB, None once the process is gone."""
        return _status_kib(self.pid, "VmRSS")

    def hwm_kib(self) -> int | None:
        """Peak resident set of the process's life (VmHWM) in KiB."""
        return _status_kib(self.pid, "VmHWM")

    def stop(self, timeout: float = 10.0) -> tuple[bool, float]:
        """SIGTERM, then wait up to ``timeout`` s (then SIGKILL). Returns (stopped by SIGTERM with status 0,
        seconds it took)."""
        start = time.monotonic()
        if self.proc.poll() is not None:
            return self.stopped or (False, 0.0)
        self.rss_at_stop = self.rss_kib()
        self.proc.send_signal(signal.SIGTERM)
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.stopped = (False, time.monotonic() - start)
            return self.stopped
        self.stopped = (status == 0, time.monotonic() - start)
        return self.stopped

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        for pipe in (self.proc.stdout,) + ((self.proc.stderr,) if not self.read_stderr else ()):
            if pipe is not None:
                pipe.close()
        if self._drain is not None:
            self._drain.join(5)
        if self.log_file is not None and (self._drain is None or not self._drain.is_alive()):
            self.log_file.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()


def kernel_queued(server_port: int) -> dict[int, int]:
    """Bytes the kernel holds for each loopback connection to ``server_port`` (IPv4), by client port:
    the server socket's send queue plus the client socket's receive queue (``/proc/net/tcp``). What a
    non-reading client has not taken is there or in the server's own memory."""
    held: dict[int, int] = {}
    try:
        with open("/proc/net/tcp", encoding="ascii") as f:
            lines = f.readlines()[1:]
    except OSError:
        return held
    for line in lines:
        fields = line.split()
        if len(fields) < 5:
            continue
        local, remote = (int(a.rsplit(":", 1)[1], 16) for a in fields[1:3])
        tx, rx = (int(x, 16) for x in fields[4].split(":"))
        if local == server_port:
            held[remote] = held.get(remote, 0) + tx
        elif remote == server_port:
            held[local] = held.get(local, 0) + rx
    return held


class RssSampler:
    """Samples the server's VmRSS every ``interval`` s in a thread while used as a context manager:
    ``before`` (KiB at the start), ``peak`` (largest sample), ``after`` (KiB at the end)."""

    def __init__(self, server: ServerProcess, interval: float = 0.05) -> None:
        self.server = server
        self.interval = interval
        self.before = server.rss_kib() or 0
        self.peak = self.before
        self.after = self.before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            rss = self.server.rss_kib()
            if rss is None:
                return
            self.peak = max(self.peak, rss)

    def sample(self) -> int:
        rss = self.server.rss_kib() or 0
        self.peak = max(self.peak, rss)
        return rss

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self.after = self.sample()
