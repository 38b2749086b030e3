"""``tapi wallboard`` as a real process: it goes live against a running emulator and Ctrl-C ends it cleanly.

Issue 7 asks that the wallboard "exits cleanly on Ctrl-C"; this drives the real console script path
(``python -m client.cli wallboard``) against a real ``python -m tsp`` on a free port.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from processes import REPO, first_line, parse_listening, start_tsp, stop

TIMEOUT = 20.0


def test_wallboard_goes_live_and_exits_cleanly_on_ctrl_c() -> None:
    server = start_tsp("--port", "0", "--speed", "10", "--quiet")
    try:
        _, port = parse_listening(first_line(server))
        board = subprocess.Popen(
            [sys.executable, "-m", "client.cli", "wallboard", "--port", str(port), "--refresh", "0.2"],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={"COLUMNS": "160", "PATH": "/usr/bin:/bin", "TERM": "dumb"},
        )
        try:
            # Without a terminal rich's Live prints only the frame it shows when it stops, so give the
            # wallboard time to connect and poll, then interrupt it and check that final frame.
            time.sleep(3.0)
            board.send_signal(signal.SIGINT)
            try:
                out, err = board.communicate(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                board.kill()
                out, err = board.communicate()
                pytest.fail(f"the wallboard did not stop on SIGINT; stderr: {err[-2000:]}")
            assert board.returncode == 0, f"exit status {board.returncode}; stderr: {err[-2000:]}"
            assert "Traceback" not in err, err
            # The last frame is the live board of the built-in scenario: its groups and agents.
            assert "live" in out, out[-3000:]
            for figure in ("Sales", "Support", "Billing", "1001", "1020"):
                assert figure in out, f"{figure!r} missing from the final frame: {out[-3000:]}"
        finally:
            if board.poll() is None:
                board.kill()
    finally:
        stop(server)


def export(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tsp.wallboard_export", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=60)


def test_the_picture_export_runs_on_the_emulator_side(tmp_path) -> None:
    """``python -m tsp.wallboard_export FILE.svg`` (the README's regeneration command) writes the SVG."""
    svg = tmp_path / "board.svg"
    proc = export(str(svg), "--sim-seconds", "5", "--width", "100")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith(f"wrote {svg} (") and "groups)" in proc.stdout, proc.stdout
    text = svg.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<svg") and "Sales" in text and "5&#160;simulated" in text, text[:500]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["x.svg", "--width", "0"], "--width"),
        (["x.svg", "--width", "1001"], "--width"),
        (["x.svg", "--sim-seconds", "nan"], "--sim-seconds"),
        (["x.svg", "--threshold", "-1"], "--threshold"),
        (["x.svg", "--scenario", "/nonexistent/scenario.toml"], "--scenario"),
        (["x.svg", "--scenario", "no-such-name"], "--scenario"),
        ([], "FILE.svg"),
    ],
)
def test_export_options_are_checked_exit_2_with_one_line(args: list[str], needle: str, tmp_path) -> None:
    proc = subprocess.run([sys.executable, "-m", "tsp.wallboard_export", *args], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stdout == "" and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert needle in proc.stderr and "python -m tsp.wallboard_export" in proc.stderr
    assert not (tmp_path / "x.svg").exists()
