"""``python -m tsp --web 127.0.0.1:0`` as a real process over loopback: the second stdout line names the
console, the snapshot and the event stream answer, control actions work only with --control, SIGTERM
ends the process while a viewer is still connected, bad --web values exit 2 and a taken port exits 1."""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.request
from typing import Any

import pytest

from processes import first_line, parse_listening, run_tsp, start_tsp, stop


def web_address(line: str) -> tuple[str, int]:
    assert line.startswith("web console on http://") and line.endswith("/\n"), line
    host, _, port = line[len("web console on http://"):-2].rpartition(":")
    return host, int(port)


def get_json(host: str, port: int, path: str) -> Any:
    with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=10) as response:
        assert response.headers["content-type"] == "application/json"
        return json.load(response)


def post_json(host: str, port: int, path: str, body: Any) -> tuple[int, Any]:
    request = urllib.request.Request(f"http://{host}:{port}{path}", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def read_event(stream: Any) -> dict[str, Any]:
    """The next ``event: state`` of a server-sent-events stream."""
    event = None
    for raw in stream:
        line = raw.decode().rstrip("\n")
        if line.startswith("event: "):
            event = line[len("event: "):]
        elif line.startswith("data: ") and event == "state":
            return json.loads(line[len("data: "):])
    raise AssertionError("the event stream ended")


def test_console_of_a_real_process() -> None:
    proc = start_tsp("--port", "0", "--web", "127.0.0.1:0", "--clock", "manual", "--control")
    try:
        parse_listening(first_line(proc))
        host, port = web_address(first_line(proc))
        assert host == "127.0.0.1" and port > 0
        snap = get_json(host, port, "/api/state")
        assert snap["clock"]["now"] == 0 and snap["control"] is True
        assert [g["name"] for g in snap["groups"]] == ["Sales", "Support", "Billing"]
        conn = http.client.HTTPConnection(host, port, timeout=10)
        conn.request("GET", "/api/events")
        stream = conn.getresponse()
        assert stream.status == 200 and stream.headers["content-type"].startswith("text/event-stream")
        assert read_event(stream)["clock"]["now"] == 0
        status, answer = post_json(host, port, "/api/offer", {"group": "Billing", "talk": 60})
        assert status == 200 and answer["group"] == "Billing"
        while True:
            ev = read_event(stream)
            if next(g for g in ev["groups"] if g["name"] == "Billing")["arrived"] == 1:
                break
        status, answer = post_json(host, port, "/api/advance", {"seconds": 120})
        assert (status, answer) == (200, {"now": 120.0})
        while (ev := read_event(stream))["clock"]["now"] != 120:
            pass
        assert sum(g["answered"] for g in ev["groups"]) >= 1
        with urllib.request.urlopen(f"http://{host}:{port}/", timeout=10) as page:
            assert b"/static/console.js" in page.read()
        code, err = stop(proc)  # the event stream is still open: the process must end anyway
        assert code == 0, err
        conn.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_control_needs_the_flag() -> None:
    proc = start_tsp("--port", "0", "--web", "127.0.0.1:0", "--clock", "manual")
    try:
        parse_listening(first_line(proc))
        host, port = web_address(first_line(proc))
        status, answer = post_json(host, port, "/api/advance", {"seconds": 60})
        assert status == 403 and "--control" in answer["error"]
        assert get_json(host, port, "/api/state")["clock"]["now"] == 0
        code, err = stop(proc)
        assert code == 0, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


@pytest.mark.parametrize("value, words", [("127.0.0.1:http", "'http'"), ("127.0.0.1:70000", "70000"),
                                          ("::1:8080", "brackets")])
def test_bad_web_address_exits_2_with_one_line(value: str, words: str) -> None:
    result = run_tsp("--port", "0", "--web", value)
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--web" in lines[0] and words in lines[0], result.stderr


def test_web_port_taken_exits_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_tsp("--port", "0", "--web", f"127.0.0.1:{port}")
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port} for the web console" in result.stderr.strip().splitlines()[-1]


def test_the_page_is_installed_with_the_package(tmp_path) -> None:
    """The static files are package data: an install (setuptools' build_py, as in test_readme) has them."""
    from test_readme import install_copy

    install_copy(tmp_path)
    static = tmp_path / "site" / "tsp" / "web" / "static"
    assert sorted(p.name for p in static.iterdir()) == ["console.css", "console.js", "index.html"]


async def test_embedded_console_over_loopback() -> None:
    """``open_emulator(web="127.0.0.1:0")``: the console serves from the test's own event loop."""
    import trio

    from tsp.testing import open_emulator

    async with open_emulator(None, clock="manual", web="127.0.0.1:0") as emu:
        assert emu.web is not None and emu.web.url.startswith("http://127.0.0.1:")
        emu.offer_call("Sales", 30)
        await emu.advance(10)
        host, port = emu.web.host, emu.web.port
        snap = await trio.to_thread.run_sync(get_json, host, port, "/api/state")
        assert snap["clock"]["now"] == 10 and snap["control"] is True
        assert next(g for g in snap["groups"] if g["name"] == "Sales")["arrived"] >= 1
    async with open_emulator(None, clock="manual") as emu:
        assert emu.web is None
