"""The web console's ASGI app, driven in-process (no socket): snapshot, routing, refusals without
--control, control actions and their validation, the event stream, slow viewers dropped, the viewer cap."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import trio

from tsp.scenario import parse_scenario
from tsp.testing import open_emulator
from tsp.web.app import MAX_BODY, ConsoleApp
from tsp.web.hub import Hub, VIEWER_BUFFER
from tsp.web.serve import parse_web_address

SALES = uuid.UUID("5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b")
FLOOR = parse_scenario(f"""
[switch]
lines = 2
seed = 1
start = "2026-11-26T09:00:00Z"
name = "Test <floor> & co"

[[groups]]
id = "{SALES}"
name = "Sales"
queue = 1

[[agents]]
id = "1001"
answer_delay = 2
wrapup = 5

[[agents.sessions]]
group = "Sales"
line = 0
state = "READY"

[[agents]]
id = "1002"

[[agents.sessions]]
group = "Sales"
line = 1
state = "NOTREADY"
""")


async def call(app: ConsoleApp, method: str, path: str, body: bytes = b"", *, json_body: Any = None,
               headers: dict[str, str] | None = None, query: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """One request through the ASGI app; (status, headers, body)."""
    hdrs = {"host": "127.0.0.1:8080"}
    if json_body is not None:
        body = json.dumps(json_body).encode()
        hdrs["content-type"] = "application/json"
    hdrs.update(headers or {})
    scope = {"type": "http", "method": method, "path": path, "query_string": query,
             "headers": [(k.encode(), v.encode()) for k, v in hdrs.items()]}
    sent: list[dict[str, Any]] = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await trio.sleep_forever()
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = sent[0]
    assert start["type"] == "http.response.start"
    response_headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], response_headers, b"".join(m.get("body", b"") for m in sent[1:])


async def state(app: ConsoleApp) -> dict[str, Any]:
    status, headers, body = await call(app, "GET", "/api/state")
    assert status == 200 and headers["content-type"] == "application/json"
    return json.loads(body)


def group(snap: dict[str, Any], name: str = "Sales") -> dict[str, Any]:
    return next(g for g in snap["groups"] if g["name"] == name)


@pytest.fixture
async def emu():
    async with open_emulator(FLOOR, clock="manual", listen=False) as emu:
        yield emu


async def test_snapshot_shows_the_switch(emu) -> None:
    app = ConsoleApp(Hub(emu.server, control=False))
    snap = await state(app)
    assert snap["scenario"] == "Test <floor> & co"
    assert snap["clock"] == {"now": 0.0, "kind": "manual", "wall": "2026-11-26T09:00:00+00:00"}
    assert snap["control"] is False
    sales = group(snap)
    assert (sales["waiting"], sales["ready"], sales["not_ready"], sales["service_level"]) == (0, 1, 1, None)
    states = {s["agent"]: s["state"] for s in snap["sessions"]}
    assert states == {"1001": "READY", "1002": "NOTREADY"}


async def test_control_actions_are_refused_without_control(emu) -> None:
    app = ConsoleApp(Hub(emu.server, control=False))
    for method, path, body in [("POST", "/api/advance", {"seconds": 5}), ("POST", "/api/offer", {"group": "Sales", "talk": 5}),
                               ("POST", "/api/session-state", {"session": 1, "state": "READY"}),
                               ("POST", "/api/faults", {"function": 149, "mode": "drop"}), ("DELETE", "/api/faults", None)]:
        status, headers, raw = await call(app, method, path, json_body=body)
        assert status == 403, (path, raw)
        assert "--control" in json.loads(raw)["error"]
    snap = await state(app)
    assert group(snap)["arrived"] == 0 and snap["clock"]["now"] == 0 and snap["faults"] == []


async def test_nothing_changes_through_get(emu) -> None:
    app = ConsoleApp(Hub(emu.server, control=True))
    for path in ("/api/advance", "/api/offer", "/api/session-state"):
        status, headers, _ = await call(app, "GET", path, query=b"group=Sales&talk=5&seconds=5")
        assert status == 405 and headers["allow"] == "POST"
    status, headers, _ = await call(app, "GET", "/api/faults")
    assert status == 405 and headers["allow"] == "POST, DELETE"
    status, _, _ = await call(app, "POST", "/api/state", json_body={})
    assert status == 405
    assert group(await state(app))["arrived"] == 0


async def test_offer_and_advance_change_the_figures(emu) -> None:
    app = ConsoleApp(Hub(emu.server, control=True))
    status, _, body = await call(app, "POST", "/api/offer", json_body={"group": "Sales", "talk": 30})
    assert status == 200 and json.loads(body)["group"] == "Sales"
    status, _, body = await call(app, "POST", "/api/offer", json_body={"group": str(SALES), "talk": 30})
    assert status == 200
    snap = await state(app)
    sales = group(snap)
    assert (sales["arrived"], sales["waiting"], sales["on_call"]) == (2, 1, 1)
    status, _, body = await call(app, "POST", "/api/advance", json_body={"seconds": 10})
    assert status == 200 and json.loads(body)["now"] == 10
    snap = await state(app)
    sales = group(snap)
    assert snap["clock"]["now"] == 10
    assert sales["longest_wait"] == 10 and sales["answered"] == 1 and sales["asa"] == 2.0
    assert sales["service_level"] == 1.0
    call_row = snap["calls"][0]
    # answered at 2 s (answer delay): talking for 8 s; "since" is the time in the call's current state
    assert (call_row["agent"], call_row["answered"], call_row["state"], call_row["since"]) == ("1001", True, "talking", 8.0)


async def test_offer_with_caller_number_and_patience(emu) -> None:
    """A call offered with ``ani`` shows its caller number where it rings; one with ``patience`` that
    waits longer than that is abandoned (wire-protocol §7.3), the figures say so."""
    app = ConsoleApp(Hub(emu.server, control=True))
    first = {"group": "Sales", "talk": 300, "ani": "+4930123456", "dnis": "800"}
    status, _, body = await call(app, "POST", "/api/offer", json_body=first)
    assert status == 200, body
    snap = await state(app)
    row = next(c for c in snap["calls"] if c["call"] == json.loads(body)["call"])
    assert (row["caller"], row["agent"]) == ("+4930123456", "1001")
    # the one READY agent is busy for 300 s: this caller gives up after 20 s in the queue
    status, _, body = await call(app, "POST", "/api/offer",
                                 json_body={"group": "Sales", "talk": 30, "ani": "555", "patience": 20})
    assert status == 200, body
    waiting = next(c for c in (await state(app))["calls"] if c["call"] == json.loads(body)["call"])
    assert (waiting["caller"], waiting["state"]) == ("555", "waiting")
    status, _, _ = await call(app, "POST", "/api/advance", json_body={"seconds": 25})
    assert status == 200
    snap = await state(app)
    assert group(snap)["abandoned"] == 1
    assert all(c["caller"] != "555" for c in snap["calls"])


async def test_session_state_action(emu) -> None:
    app = ConsoleApp(Hub(emu.server, control=True))
    snap = await state(app)
    idle = next(s["session"] for s in snap["sessions"] if s["agent"] == "1002")
    await call(app, "POST", "/api/advance", json_body={"seconds": 7})
    status, _, body = await call(app, "POST", "/api/session-state", json_body={"session": idle, "state": "READY"})
    assert status == 200, body
    await call(app, "POST", "/api/advance", json_body={"seconds": 3})
    row = next(s for s in (await state(app))["sessions"] if s["session"] == idle)
    assert (row["state"], row["time_in_state"]) == ("READY", 3.0)
    status, _, body = await call(app, "POST", "/api/session-state", json_body={"session": idle, "state": "BUSYONCALL"})
    assert status == 400 and "NOTREADY, READY, ENDED" in json.loads(body)["error"]
    status, _, body = await call(app, "POST", "/api/session-state", json_body={"session": 9999, "state": "READY"})
    assert status == 400 and "9999" in json.loads(body)["error"]


async def test_fault_rules_added_and_removed(emu) -> None:
    app = ConsoleApp(Hub(emu.server, control=True))
    status, _, body = await call(app, "POST", "/api/faults", json_body={"function": 149, "mode": "delay", "seconds": 2})
    assert status == 200, body
    status, _, body = await call(app, "POST", "/api/faults", json_body={"function": 150, "mode": "error",
                                                                          "error": "LINEERR_RESOURCEUNAVAIL"})
    assert status == 200, body
    assert [(r["function"], r["mode"]) for r in (await state(app))["faults"]] == [(149, "delay"), (150, "error")]
    assert [r.function for r in emu.service.faults.rules] == [149, 150]
    status, _, body = await call(app, "DELETE", "/api/faults", query=b"function=149")
    assert status == 200 and [r["function"] for r in json.loads(body)["faults"]] == [150]
    status, _, _ = await call(app, "DELETE", "/api/faults")
    assert status == 200 and emu.service.faults.rules == ()
    status, _, body = await call(app, "POST", "/api/faults", json_body={"function": 149, "mode": "explode"})
    assert status == 400 and "explode" in json.loads(body)["error"]


@pytest.mark.parametrize("path, body, status, words", [
    ("/api/advance", {"seconds": -1}, 400, "seconds"),
    ("/api/advance", {"seconds": "5"}, 400, "'5'"),
    ("/api/advance", {"secs": 5}, 400, "secs"),
    ("/api/offer", {"group": "Nope", "talk": 5}, 404, "Nope"),
    ("/api/offer", {"group": "Sales", "talk": -2}, 400, "-2"),
    ("/api/offer", {"group": "Sales", "talk": 5, "caller": "555"}, 400, "caller"),
    ("/api/offer", {"group": "Sales", "talk": 5, "patience": -1}, 400, "-1"),
    ("/api/offer", {"group": "Sales", "talk": 5, "patience": "30"}, 400, "'30'"),
    ("/api/offer", {"group": "Sales", "talk": 5, "ani": 555}, 400, "ani"),
    ("/api/offer", {"group": "Sales", "talk": 5, "dnis": "9" * 129}, 400, "dnis"),
    ("/api/faults", {"function": "x", "mode": "drop"}, 400, "'x'"),
])
async def test_bad_arguments_say_what_and_which_value(emu, path, body, status, words) -> None:
    app = ConsoleApp(Hub(emu.server, control=True))
    got, _, raw = await call(app, "POST", path, json_body=body)
    assert got == status and words in json.loads(raw)["error"]
    assert group(await state(app))["arrived"] == 0


async def test_request_rules(emu) -> None:
    app = ConsoleApp(Hub(emu.server, control=True))
    offer = json.dumps({"group": "Sales", "talk": 5}).encode()
    status, _, body = await call(app, "POST", "/api/offer", offer, headers={"content-type": "text/plain"})
    assert status == 415 and "application/json" in json.loads(body)["error"]
    status, _, _ = await call(app, "POST", "/api/offer", json_body={"group": "Sales", "talk": 5},
                              headers={"origin": "http://evil.example"})
    assert status == 403
    status, _, _ = await call(app, "POST", "/api/offer", b"{" + b" " * MAX_BODY + b"}",
                              headers={"content-type": "application/json"})
    assert status == 413
    status, _, body = await call(app, "POST", "/api/offer", b"{nope", headers={"content-type": "application/json"})
    assert status == 400 and "not JSON" in json.loads(body)["error"]
    status, _, _ = await call(app, "GET", "/api/state", headers={"host": "evil.example:8080"})
    assert status == 421
    status, _, _ = await call(app, "GET", "/api/state", headers={"host": "localhost:8080"})
    assert status == 200
    assert group(await state(app))["arrived"] == 0  # nothing of the refused ones happened
    status, _, _ = await call(app, "POST", "/api/offer", json_body={"group": "Sales", "talk": 5},
                              headers={"origin": "http://127.0.0.1:8080"})
    assert status == 200


async def test_advance_needs_the_manual_clock() -> None:
    async with open_emulator(FLOOR, clock="real", listen=False) as emu:
        app = ConsoleApp(Hub(emu.server, control=True))
        status, _, body = await call(app, "POST", "/api/advance", json_body={"seconds": 5})
        assert status == 409 and "manual" in json.loads(body)["error"]


async def test_page_and_static_files(emu) -> None:
    app = ConsoleApp(Hub(emu.server))
    status, headers, body = await call(app, "GET", "/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in headers["content-security-policy"] and b"/static/console.js" in body
    for name, kind in (("console.js", "text/javascript"), ("console.css", "text/css")):
        status, headers, body = await call(app, "GET", f"/static/{name}")
        assert status == 200 and headers["content-type"].startswith(kind) and body
    script = (await call(app, "GET", "/static/console.js"))[2]
    for sink in (b"innerHTML", b"outerHTML", b"insertAdjacentHTML", b"document.write", b"eval("):
        assert sink not in script
    for path in ("/static/../app.py", "/static/ledger.py", "/nope"):
        assert (await call(app, "GET", path))[0] == 404


async def test_event_stream_pushes_a_snapshot_when_the_switch_changes(emu) -> None:
    hub = Hub(emu.server, control=True)
    app = ConsoleApp(hub)
    chunks: trio.MemorySendChannel[bytes]
    chunks, received = trio.open_memory_channel[bytes](100)
    disconnect = trio.Event()

    async def receive() -> dict[str, Any]:
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            await chunks.send(message["body"])

    scope = {"type": "http", "method": "GET", "path": "/api/events", "query_string": b"",
             "headers": [(b"host", b"127.0.0.1:8080")]}

    def parse(chunk: bytes) -> dict[str, Any]:
        head, data = chunk.decode().split("\n", 1)
        assert head == "event: state" and data.startswith("data: ")
        return json.loads(data[len("data: "):])

    async with trio.open_nursery() as nursery:
        nursery.start_soon(hub.run)
        nursery.start_soon(app, scope, receive, send)
        first = parse(await received.receive())
        assert group(first)["arrived"] == 0 and len(hub.viewers) == 1
        emu.offer_call("Sales", 20)  # the embedded API: the console sees it through the model's events
        with trio.fail_after(5):
            while group(snap := parse(await received.receive()))["arrived"] == 0:
                pass
        assert group(snap)["on_call"] == 1
        disconnect.set()
        with trio.fail_after(5):
            while hub.viewers:
                await trio.sleep(0.01)
        nursery.cancel_scope.cancel()


async def test_a_viewer_that_does_not_read_is_dropped(emu) -> None:
    hub = Hub(emu.server, control=True)
    slow = hub.subscribe()
    fast = hub.subscribe()
    for i in range(VIEWER_BUFFER + 1):
        hub.offer("Sales", 5)
        assert hub.publish()
        await fast.receive()
    assert slow.dropped and "not reading" in slow.reason
    assert hub.viewers == [fast] and hub.dropped_viewers == 1
    with pytest.raises(trio.EndOfChannel):
        for _ in range(VIEWER_BUFFER + 1):
            await slow.receive()


async def test_viewer_cap(emu) -> None:
    hub = Hub(emu.server, max_viewers=1)
    app = ConsoleApp(hub)
    with hub.subscribe():
        status, _, body = await call(app, "GET", "/api/events")
        assert status == 503 and "1 viewers" in json.loads(body)["error"]
    assert hub.viewers == []


def test_web_address_parsing() -> None:
    assert parse_web_address("127.0.0.1:8080") == ("127.0.0.1", 8080)
    assert parse_web_address("[::1]:0") == ("::1", 0)
    assert parse_web_address("9000") == ("127.0.0.1", 9000)
    for bad, words in (("127.0.0.1:http", "'http'"), ("127.0.0.1:70000", "70000"), ("::1:80", "brackets"), (":80", "host")):
        with pytest.raises(ValueError, match=words):
            parse_web_address(bad)


async def test_state_asked_in_a_loop_is_built_once_until_something_changes(emu) -> None:
    hub = Hub(emu.server, control=True)
    app = ConsoleApp(hub)
    built = 0
    snapshot = hub.ledger.snapshot

    def counting() -> dict[str, Any]:
        nonlocal built
        built += 1
        return snapshot()

    hub.ledger.snapshot = counting  # type: ignore[method-assign]
    for _ in range(5):
        assert group(await state(app))["arrived"] == 0
    assert built == 1
    await call(app, "POST", "/api/offer", json_body={"group": "Sales", "talk": 5})
    assert group(await state(app))["arrived"] == 1 and built == 2
