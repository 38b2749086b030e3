"""Start and stop ``python -m tsp`` as a child process (wire-protocol §6) for the conformance suite.

Used by the session fixture when no ``--tsp HOST:PORT`` is given, and by the meta and process cases
that need a server of their own. The first stdout line must be ``listening on HOST:PORT``.
"""

from __future__ import annotations

import os
import re
import queue
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

#: The conformance scenario, by its built-in name (the file is tsp/scenarios/conformance.toml).
SCENARIO = "conformance"
REPO_ROOT = Path(__file__).resolve().parents[2]
LISTENING = re.compile(r"^listening on (\S+):(\d+)\s*$")


class ServerStartError(RuntimeError):
    """The server did not report ``listening on HOST:PORT`` in time; the message carries its stderr."""


@dataclass
class ServerProcess:
    """A running ``python -m tsp``: its address, process and captured output."""

    args: list[str]
    proc: subprocess.Popen
    host: str
    port: int
    stderr_path: Path
    first_line: str
    stdout_lines: list[str] = field(default_factory=list)

    final_stderr: str | None = None  # set by stop()

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    def stderr(self) -> str:
        if self.final_stderr is not None:
            return self.final_stderr
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout: float = 5.0) -> int:
        """SIGTERM, then kill after ``timeout`` seconds; keeps stderr in memory, removes its temporary
        file, and returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        if self.final_stderr is None:
            self.final_stderr = self.stderr()
            self.stderr_path.unlink(missing_ok=True)
        return self.proc.returncode


def start_server(scenario: Path | str | None = SCENARIO, control: bool = True, clock: str = "manual",
                 extra: list[str] | None = None, timeout: float = 15.0) -> ServerProcess:
    """Start ``sys.executable -m tsp --port 0 ...`` and wait for its ``listening on`` line."""
    args = [sys.executable, "-m", "tsp", "--host", "127.0.0.1", "--port", "0", "--clock", clock]
    if control:
        args.append("--control")
    if scenario is not None:
        args += ["--scenario", str(scenario)]
    args += extra or []
    fd, name = tempfile.mkstemp(prefix="tsp-stderr-", suffix=".log")
    stderr_file = os.fdopen(fd, "w")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=stderr_file, text=True, cwd=REPO_ROOT, env=env)
    stderr_file.close()
    stderr_path = Path(name)

    def fail(reason: str) -> ServerStartError:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        err = stderr_path.read_text(errors="replace").strip() or "(empty)"
        stderr_path.unlink(missing_ok=True)
        return ServerStartError(f"{' '.join(args)}: {reason}\n--- server stderr ---\n{err}")

    assert proc.stdout is not None
    lines: "queue.Queue[str]" = queue.Queue()
    stdout_lines: list[str] = []

    def pump() -> None:
        for text in iter(proc.stdout.readline, ""):
            if not stdout_lines:
                lines.put(text)
            stdout_lines.append(text)
        lines.put("")  # EOF

    threading.Thread(target=pump, daemon=True).start()
    try:
        line = lines.get(timeout=timeout)
    except queue.Empty:
        raise fail(f"no 'listening on HOST:PORT' line on stdout within {timeout} s") from None
    if line == "":
        try:
            status = proc.wait(2)
        except subprocess.TimeoutExpired:
            status = "unknown (still running)"
        raise fail(f"closed stdout (exit status {status}) before printing 'listening on HOST:PORT'")
    m = LISTENING.match(line)
    if not m:
        raise fail(f"first stdout line is {line!r}, expected 'listening on HOST:PORT'")
    return ServerProcess(args, proc, m.group(1), int(m.group(2)), stderr_path, line.rstrip("\n"), stdout_lines)
