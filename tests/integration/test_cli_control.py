"""``tapi clock`` / ``advance`` / ``offer`` and the CLI's argument checks, as real processes.

Servers: ``python -m tsp --port 0 --clock manual --control`` (control served), one without ``--control``
and one with ``--control`` on the real clock; ``tapi`` runs as ``python -m client.cli`` with pipes.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from processes import REPO, first_line, parse_listening, start_tsp, stop

TAPI_TIMEOUT = 30.0


def tapi(*args: str, timeout: float = TAPI_TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "client.cli", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)


def server(*args: str) -> Iterator[str]:
    proc = start_tsp("--port", "0", "-q", *args)
    _, port = parse_listening(first_line(proc))
    try:
        yield str(port)
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def manual() -> Iterator[str]:
    yield from server("--clock", "manual", "--control")


@pytest.fixture(scope="module")
def plain() -> Iterator[str]:
    yield from server()


@pytest.fixture(scope="module")
def real_with_control() -> Iterator[str]:
    yield from server("--control")


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def switch_time(out: str) -> str:
    found = re.fullmatch(r"switch time (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC\n", out)
    assert found, out
    return found.group(1)


def test_clock_advance_and_offer_on_a_manual_control_server(manual: str) -> None:
    before = tapi("clock", "--port", manual)
    assert before.returncode == 0, before.stderr
    start = switch_time(before.stdout)
    moved = tapi("advance", "90", "--port", manual)
    assert (moved.returncode, moved.stdout) == (0, "advanced the switch clock by 90 s\n"), moved.stderr
    after = tapi("clock", "--port", manual)
    assert after.returncode == 0, after.stderr
    t0 = time.strptime(start, "%Y-%m-%d %H:%M:%S")
    t1 = time.strptime(switch_time(after.stdout), "%Y-%m-%d %H:%M:%S")
    assert time.mktime(t1) - time.mktime(t0) == 90  # a manual clock: exactly the advance, nothing else
    offered = tapi("offer", "Sales", "--talk", "20", "--port", manual)
    assert offered.returncode == 0, offered.stderr
    assert re.fullmatch(r"offered call \d+ to Sales \(talk 20 s\)\n", offered.stdout), offered.stdout


def test_offer_to_an_unknown_group_names_the_groups(manual: str) -> None:
    proc = tapi("offer", "Nowhere", "--port", manual)
    assert proc.returncode == 1
    line = one_line(proc)
    assert "'Nowhere'" in line and "'Sales'" in line


@pytest.mark.parametrize("command", [["advance", "5"], ["offer", "Sales", "--talk", "5"]])
def test_a_server_without_control_is_named_as_such(plain: str, command: list[str]) -> None:
    proc = tapi(*command, "--port", plain)
    assert proc.returncode == 1 and proc.stdout == ""
    assert one_line(proc) == f"tapi: 127.0.0.1:{plain} refuses control: the server was not started with --control"


def test_advance_on_a_real_clock_says_it_is_not_manual(real_with_control: str) -> None:
    proc = tapi("advance", "5", "--port", real_with_control)
    assert proc.returncode == 1 and proc.stdout == ""
    line = one_line(proc)
    assert "not a manual clock" in line and "--clock manual" in line
    offered = tapi("offer", "Sales", "--port", real_with_control)  # offering works on any clock
    assert offered.returncode == 0, offered.stderr


def test_clock_needs_no_control(plain: str) -> None:
    proc = tapi("clock", "--port", plain)
    assert proc.returncode == 0, proc.stderr
    switch_time(proc.stdout)


def test_sessions_of_an_agent_without_sessions_says_why(manual: str) -> None:
    proc = tapi("sessions", "--agent", "9999", "--port", manual)
    assert proc.returncode == 1 and proc.stdout == ""
    assert "'9999' has no sessions" in one_line(proc)


def test_sessions_labels_switch_time(manual: str) -> None:
    proc = tapi("sessions", "--agent", "1001", "--pin", "1234", "--port", manual)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"times above are switch time \(UTC\).*switch time now \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC",
                     proc.stdout), proc.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["sessions", "--agent", "1", "--line", "-1"], "--line"),
        (["sessions", "--agent", "1", "--port", "70000"], "--port"),
        (["sessions", "--agent", "1", "--port", "0"], "--port"),
        (["watch", "--count", "0"], "--count"),
        (["watch", "--count", "-1"], "--count"),
        (["watch", "--timeout", "0"], "--timeout"),
        (["watch", "--timeout", "nan"], "--timeout"),
        (["advance", "--", "-1"], "SECONDS"),
        (["advance", "inf"], "SECONDS"),
        (["offer", "Sales", "--talk", "-5"], "--talk"),
        (["clock", "--agent", ":1234"], "--agent"),
        (["clock", "--scenario", "/nonexistent/scenario.toml"], "--scenario"),
        (["frobnicate"], "invalid choice"),
        (["wallboard", "--port", "70000"], "--port"),
        (["wallboard", "--refresh", "0"], "--refresh"),
        (["wallboard", "--threshold", "-1"], "--threshold"),
        (["wallboard", "--export", "x.svg"], "python -m tsp.wallboard_export"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args: list[str], needle: str) -> None:
    proc = tapi(*args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stdout == ""
    assert needle in one_line(proc)


@pytest.mark.parametrize("command", [[sys.executable, "-m", "client.cli"], [sys.executable, "-m", "tsp"]])
def test_version(command: list[str]) -> None:
    from protocol import __version__

    proc = subprocess.run([*command, "--version"], cwd=REPO, capture_output=True, text=True, timeout=TAPI_TIMEOUT)
    assert proc.returncode == 0 and proc.stdout.strip().endswith(f" {__version__}"), proc.stdout
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", __version__)


def test_timeout_covers_a_listener_that_never_speaks() -> None:
    with socket.socket() as listener:  # the kernel completes the TCP handshake; nobody ever answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        port = listener.getsockname()[1]
        started = time.monotonic()
        proc = tapi("sessions", "--agent", "1001", "--port", str(port), "--timeout", "1")
        took = time.monotonic() - started
    assert proc.returncode == 1 and proc.stdout == ""
    line = one_line(proc)
    assert f"127.0.0.1:{port}" in line and "server's HELLO" in line and "--timeout" in line
    assert took < TAPI_TIMEOUT  # bounded: before this fix it waited forever (subprocess.run would time out)
