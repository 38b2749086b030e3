"""``python -m tsp`` as a real process for the integration tests: start it, read its first stdout line
``listening on HOST:PORT`` (wire-protocol §6), stop it with a signal.

Blocking helpers (``subprocess``) for the synchronous tests and :func:`open_tsp` (``trio``) for the async
ones. Not a product API; tests/conformance has its own on purpose (it must not depend on this tree).
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import trio

REPO = Path(__file__).resolve().parents[2]
#: Seconds a process gets to print its first line, to run to its end, or to stop on a signal.
START_TIMEOUT = 20.0


def start_tsp(*args: str) -> subprocess.Popen[str]:
    """``python -m tsp ARGS`` in the repository, stdout and stderr piped as text."""
    return subprocess.Popen(
        [sys.executable, "-m", "tsp", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_tsp(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m tsp ARGS`` run to its end (output captured as text), for the exit-status cases."""
    return subprocess.run([sys.executable, "-m", "tsp", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=START_TIMEOUT)


def first_line(proc: subprocess.Popen[str]) -> str:
    """The first stdout line, or a failure showing stderr if none comes in time."""
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    if not sel.select(timeout=START_TIMEOUT):
        proc.kill()
        pytest.fail(f"no stdout line within {START_TIMEOUT} s; stderr: {proc.communicate()[1]}")
    return proc.stdout.readline()


def parse_listening(line: str) -> tuple[str, int]:
    """(host, port) of a ``listening on HOST:PORT`` line (fails the test on any other line)."""
    assert line.startswith("listening on "), line
    host, _, port = line.strip()[len("listening on "):].rpartition(":")
    return host, int(port)


def stop(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> tuple[int, str]:
    """Send ``sig`` and wait for the end: (exit status, stderr); fails the test if it does not stop in time."""
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=START_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"the server did not stop on signal {sig}; stderr: {err}")
    return proc.returncode, err


async def open_tsp(*args: str, timeout: float = 30.0) -> tuple[trio.Process, str, int]:
    """Start ``python -m tsp ARGS`` (stdout piped, stderr inherited) and read its address from the first
    stdout line: (process, host, port). Fails the test if the process exits or ``timeout`` seconds pass
    first; the process is killed then."""
    proc = await trio.lowlevel.open_process(
        [sys.executable, "-m", "tsp", *args],
        cwd=REPO, stdout=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    line = b""
    try:
        with trio.fail_after(timeout):
            while not line.endswith(b"\n"):
                chunk = await proc.stdout.receive_some(1)  # type: ignore[union-attr]
                if not chunk:
                    pytest.fail(f"the server exited ({await proc.wait()}) before printing its address")
                line += chunk
        host, port = parse_listening(line.decode())
    except BaseException:
        with trio.CancelScope(shield=True):
            if proc.returncode is None:
                proc.kill()
            await proc.wait()
        raise
    return proc, host, port
