"""tsp/web/ledger.py: the console's own per-call and per-state dating, checked against what the switch
itself reports (its LINEAGENTSESSIONINFO floors the same exact times), and the service-level rule."""

from __future__ import annotations

import math
import uuid

import attrs
import pytest

from tsp.scenario import default_scenario, parse_scenario
from tsp.testing import open_emulator
from tsp.web.hub import Hub
from tsp.web.ledger import HISTORY_SECONDS, HISTORY_STEP, Ledger

SALES = uuid.UUID("5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b")
ONE_AGENT = parse_scenario(f"""
[switch]
lines = 1
seed = 1
start = "2026-11-26T09:00:00Z"

[[groups]]
id = "{SALES}"
name = "Sales"
queue = 1

[[agents]]
id = "1001"
answer_delay = 1

[[agents.sessions]]
group = "Sales"
line = 0
state = "READY"
""")


def _group(snap, name="Sales"):
    return next(g for g in snap["groups"] if g["name"] == name)


def _with_patience(seconds: float | None):
    sc = default_scenario()
    return attrs.evolve(sc, traffic=tuple(attrs.evolve(t, patience_mean=seconds) for t in sc.traffic))


@pytest.mark.parametrize("patience", [None, 300.0, 60.0])
async def test_times_to_answer_match_the_switch_on_the_built_in_call_centre(patience) -> None:
    """Two hours of the built-in scenario's random traffic, advanced by the console: for every session,
    the calls the ledger dated and the floors of their sum and maximum equal the switch's own
    dwNumberOfCalls, dwAverageTimeToAnswer and dwLongestTimeToAnswer. Also with callers who hang up
    (the same scenario with a patience_mean on its traffic), which the 1.0 console's FIFO pairing got wrong."""
    # None: every caller waits for ever (patience_mean removed); 300 s is the built-in scenario as shipped
    async with open_emulator(_with_patience(patience), clock="manual", listen=False) as emu:
        hub = Hub(emu.server, control=True)
        await hub.advance(7200)
        snap = hub.state()
        checked = 0
        for row in snap["sessions"]:
            info = emu.session_info(row["session"])
            answered, tta_sum, tta_max = hub.ledger.session_times(row["session"])
            assert answered == info.number_of_calls, row
            if answered:
                checked += 1
                assert math.floor(tta_max) == info.longest_time_to_answer, row
                assert int(tta_sum * 1_000_000 + 0.5) // (answered * 1_000_000) == info.average_time_to_answer, row
        assert checked >= 10
        total = sum(g["answered"] for g in snap["groups"])
        assert total == sum(s["calls"] for s in snap["sessions"]) > 100
        for g in snap["groups"]:
            # every call that entered the queue was answered, hung up waiting, flowed out, or is still
            # waiting or ringing (the built-in scenario sets no measurement period: nothing restarts)
            assert g["interval"] == 7200
            ringing = sum(1 for c in snap["calls"] if c["group"] == g["name"] and c["state"] == "ringing")
            waiting = sum(1 for c in snap["calls"] if c["group"] == g["name"] and c["state"] == "waiting")
            assert waiting == g["waiting"]
            assert g["arrived"] == g["answered"] + g["waiting"] + ringing + g["abandoned"] + g["flowed_out"], g
        assert (sum(g["abandoned"] for g in snap["groups"]) > 0) == (patience is not None)


async def test_service_level_counts_answers_within_the_threshold() -> None:
    """One agent (answer delay 1 s, talk 30 s): two calls at t = 0; the first is answered at 1 s, the
    second offered at the hang-up (31 s) and answered at 32 s -> one within 20 s, one beyond: 50 %, ASA 16.5 s."""
    async with open_emulator(ONE_AGENT, clock="manual", listen=False) as emu:
        hub = Hub(emu.server, control=True)
        hub.offer("Sales", 30)
        hub.offer("Sales", 30)
        await hub.advance(15)
        sales = _group(hub.state())
        assert (sales["answered"], sales["within"], sales["waiting"], sales["longest_wait"]) == (1, 1, 1, 15)
        await hub.advance(60)
        sales = _group(hub.state())
        assert (sales["answered"], sales["within"], sales["service_level"], sales["asa"]) == (2, 1, 0.5, 16.5)


@pytest.mark.parametrize("threshold, within", [(20, 1), (32, 2), (31.9, 1), (0, 0)])
async def test_threshold_is_on_whole_seconds(threshold, within) -> None:
    """floor(time to answer) <= threshold: 32 s is within 32 but not within 31.9; 1 s is not within 0."""
    async with open_emulator(ONE_AGENT, clock="manual", listen=False) as emu:
        hub = Hub(emu.server, control=True, threshold=threshold)
        hub.offer("Sales", 30)
        hub.offer("Sales", 30)
        await hub.advance(100)
        assert _group(hub.ledger.snapshot())["within"] == within


def test_threshold_is_checked() -> None:
    with pytest.raises(ValueError, match="-1"):
        Ledger(None, -1)  # type: ignore[arg-type]


async def test_history_keeps_the_last_hour() -> None:
    async with open_emulator(None, clock="manual", listen=False) as emu:
        hub = Hub(emu.server, control=True)
        await hub.advance(2 * 3600)
        points = hub.state()["history"]["points"]
        assert len(points) == HISTORY_SECONDS / HISTORY_STEP
        assert points[-1][0] == 7200 and points[0][0] == 7200 - HISTORY_SECONDS + HISTORY_STEP
        assert all(b[0] - a[0] == HISTORY_STEP for a, b in zip(points, points[1:]))
        assert any(p[1] > 0 for p in points) and all(p[2] is None or 0 <= p[2] <= 1 for p in points)


async def test_time_in_state_starts_at_the_change() -> None:
    async with open_emulator(ONE_AGENT, clock="manual", listen=False) as emu:
        hub = Hub(emu.server, control=True)
        await hub.advance(5)
        hub.offer("Sales", 10)
        await hub.advance(0.5)
        row = hub.state()["sessions"][0]
        assert (row["state"], row["time_in_state"]) == ("BUSYONCALL", 0.5)
        await hub.advance(20)  # answered at 6, hangs up at 16: READY since 16 (no wrap-up)
        row = hub.state()["sessions"][0]
        assert (row["state"], row["time_in_state"], row["talk"]) == ("READY", 9.5, 10)


async def test_times_to_answer_match_the_switch_on_a_real_clock(autojump_clock) -> None:
    """The same check with the server's real-clock driver moving the switch (autojump: no real waiting)
    and the console's watcher running beside it, as under ``python -m tsp --web``."""
    import trio

    async with open_emulator(None, clock="real", listen=False) as emu:
        hub = Hub(emu.server)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(hub.run)
            await emu.advance(1800)
            snap = hub.state()
            nursery.cancel_scope.cancel()
        answered_sessions = 0
        for row in snap["sessions"]:
            info = emu.session_info(row["session"])
            answered, tta_sum, tta_max = hub.ledger.session_times(row["session"])
            assert answered == info.number_of_calls, row
            if answered:
                answered_sessions += 1
                assert math.floor(tta_max) == info.longest_time_to_answer, row
                assert int(tta_sum * 1_000_000 + 0.5) // (answered * 1_000_000) == info.average_time_to_answer, row
        assert answered_sessions >= 10


RINGING = parse_scenario(f"""
[switch]
lines = 2
seed = 1
measurement_period = 900

[[groups]]
id = "{SALES}"
name = "Sales"
queue = 1

[[agents]]
id = "1001"
answer = "never"

[[agents.sessions]]
group = "Sales"
line = 0
state = "READY"

[[calls]]
at = 1
group = "Sales"
talk = 30
ani = "+4930111"

[[calls]]
at = 1
group = "Sales"
talk = 30
ani = "+4930222"
patience = 100
""")


async def test_calls_in_progress_show_caller_and_where_they_ring() -> None:
    async with open_emulator(RINGING, clock="manual", listen=False) as emu:
        hub = Hub(emu.server, control=True)
        model = emu.server.model
        created = model.create_agent("9001", None, model.now)  # an agent created over the wire
        model.create_session(created, None, 1, 0, SALES, model.now)
        await hub.advance(5)
        snap = hub.state()
        ringing, waiting = snap["calls"]
        assert (ringing["caller"], ringing["state"], ringing["agent"], ringing["line"], ringing["group"]) == (
            "+4930111", "ringing", "1001", 0, "Sales")
        assert ringing["since"] == 4.0 and not ringing["answered"]
        assert (waiting["caller"], waiting["state"], waiting["agent"], waiting["line"], waiting["since"]) == (
            "+4930222", "waiting", None, None, 4.0)
        sales = _group(snap)
        assert (sales["waiting"], sales["abandoned"], sales["interval"]) == (1, 0, 900)
        assert sorted(s["agent"] for s in snap["sessions"]) == ["1001", "9001"]  # by ID, not "hAgent 2"
        await hub.advance(100)  # the second caller's patience (100 s from t = 1) runs out at 101 s
        snap = hub.state()
        assert [c["caller"] for c in snap["calls"]] == ["+4930111"]
        assert (_group(snap)["abandoned"], _group(snap)["waiting"], _group(snap)["answered"]) == (1, 0, 0)
