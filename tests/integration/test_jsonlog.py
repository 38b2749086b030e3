"""``python -m tsp --log-format json``: the emulator's log as JSON lines, one record per line."""

from __future__ import annotations

import json
import logging
import socket
import sys

from processes import first_line, parse_listening, start_tsp, stop
from tsp.__main__ import JsonLogFormatter


def run_emulator_with_json_log(*extra: str) -> tuple[int, list[str]]:
    """Start the emulator, connect and disconnect once, SIGTERM it; its exit status and stderr lines."""
    proc = start_tsp("--port", "0", "--log-format", "json", *extra)
    try:
        host, port = parse_listening(first_line(proc))
        with socket.create_connection((host, port), timeout=10) as sock:
            sock.sendall(b"\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")  # too short for a HELLO body
            sock.settimeout(10)
            while sock.recv(4096):  # the server answers ERROR and closes
                pass
        status, err = stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return status, [line for line in err.splitlines() if line.strip()]


def test_every_stderr_line_is_one_json_record() -> None:
    status, lines = run_emulator_with_json_log("--speed", "100")
    assert status == 0
    records = [json.loads(line) for line in lines]  # fails on any non-JSON line
    assert all(isinstance(r, dict) and {"time", "level", "logger", "message"} <= r.keys() for r in records)
    messages = [r["message"] for r in records]
    assert any(m.startswith("scenario 'Built-in demo ACD'") for m in messages)
    assert any("connected from" in m for m in messages)
    assert messages[-1] == "stopped"
    # Session state changes (the 20 sessions of the built-in scenario become READY at once) carry the
    # switch time, which never goes backwards along the log.
    states = [r for r in records if r["logger"] == "tsp.switch" and " -> " in r["message"]]
    assert sum(" -> READY" in r["message"] for r in states) >= 20
    times = [r["switch_time"] for r in states]
    assert times == sorted(times)


def test_text_format_is_still_the_default() -> None:
    status, lines = run_emulator_with_json_log("--clock", "manual", "--control", "--log-format", "text")
    assert status == 0
    assert lines and not any(line.startswith("{") for line in lines)


def test_formatter_fields_extras_and_exceptions() -> None:
    fmt = JsonLogFormatter(switch_time=lambda: 12.34567)
    record = logging.LogRecord("tsp.x", logging.WARNING, __file__, 1, "conn %d: %s", (3, "gone"), None)
    record.conn_id = 3  # as logging's extra= would set it
    out = json.loads(fmt.format(record))
    assert out["message"] == "conn 3: gone"
    assert (out["level"], out["logger"], out["switch_time"], out["conn_id"]) == ("WARNING", "tsp.x", 12.346, 3)
    assert out["time"].endswith("+00:00")
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("tsp", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    broken = JsonLogFormatter(switch_time=lambda: 1 / 0)  # an unreadable clock never breaks logging
    out = json.loads(broken.format(record))
    assert "switch_time" not in out and "ValueError: boom" in out["exception"]
