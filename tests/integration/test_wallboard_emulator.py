"""The wallboard against the embedded emulator: exact figures on a scripted scenario, and a restart.

Expected figures are worked out by hand from wire-protocol §4 for the scenario below:

Sales (queue 1), agent A: answer_delay 2, wrap-up 10, READY from t=0.
  c1 arrives 0, offered 0, answered 2 (time to answer 2), talks 30 -> 32, wrap-up -> 42.
  c2 arrives 5, waits; c3 arrives 10, waits.
  42: c2 offered (A BUSYONCALL from 42), answered 44 (time to answer 39), talks 20 -> 64, wrap-up -> 74.
  74: c3 offered, answered 76 (time to answer 66), talks 40 -> 116, wrap-up -> 126, READY.
Support (queue 2), agent B: answer_delay 0, wrap-up 0, READY from t=0.
  c4 arrives 1, answered 1 (time to answer 0), talks 5 -> 6, READY from 6.
"""

from __future__ import annotations

import datetime as dt
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any, AsyncIterator

import pytest
import trio

import client
from client.errors import ConnectionLostError
from client.wallboard import Board, Roster
from client.wallboard_app import Backoff, run_wallboard, save_svg
from tsp.wallboard_export import capture_board
from protocol.constants import AgentSessionState as S
from tsp.testing import run_emulator

SCENARIO = """
[switch]
name = "Wallboard test"
lines = 2
start = "2026-11-26T09:00:00Z"
seed = 1

[[groups]]
id = "5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b"
name = "Sales"
queue = 1

[[groups]]
id = "8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
name = "Support"
queue = 2

[[agents]]
id = "A"
answer_delay = 2
wrapup = 10
[[agents.sessions]]
group = "Sales"
line = 0
state = "READY"

[[agents]]
id = "B"
[[agents.sessions]]
group = "Support"
line = 1
state = "READY"

[[calls]]
at = 0
group = "Sales"
talk = 30
[[calls]]
at = 5
group = "Sales"
talk = 20
[[calls]]
at = 10
group = "Sales"
talk = 40
[[calls]]
at = 1
group = "Support"
talk = 5
"""

START = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "wallboard.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def by_agent(board: Board, agent_id: str) -> Any:
    return next(row for row in board.sessions if row.agent_id == agent_id)


async def test_figures_at_t50(scenario_file: Path) -> None:
    board = await capture_board(sim_seconds=50, scenario=scenario_file)
    assert board.switch_now == START + dt.timedelta(seconds=50)
    sales, support = board.group("Sales"), board.group("Support")
    assert (sales.calls_waiting, sales.longest_wait) == (1, 40)  # c3 waiting since 10
    assert (sales.answered, sales.within_threshold, sales.service_level_estimated) == (2, 1, 0)
    assert sales.service_level == 0.5  # c1 in 2 s, c2 in 39 s
    assert sales.average_time_to_answer == 20  # floor(41 / 2)
    assert (sales.ready, sales.on_call, sales.wrap_up, sales.not_ready) == (0, 1, 0, 0)
    a = by_agent(board, "A")
    assert (a.state, a.time_in_state, a.time_in_state_is_lower_bound) == (S.BUSYONCALL, 8, False)
    assert (a.calls, a.total_talk, a.total_wrap_up, a.average_wrap_up) == (2, 36, 10, 5)  # 30 + 6 running
    assert (support.calls_waiting, support.answered, support.service_level) == (0, 1, 1.0)
    assert support.average_time_to_answer == 0
    b = by_agent(board, "B")
    assert (b.state, b.time_in_state, b.calls, b.total_talk) == (S.READY, 44, 1, 5)


async def test_figures_at_t130_and_svg(scenario_file: Path, tmp_path: Path) -> None:
    board = await capture_board(sim_seconds=130, scenario=scenario_file)
    sales = board.group("Sales")
    assert (sales.calls_waiting, sales.longest_wait, sales.answered, sales.within_threshold) == (0, 0, 3, 1)
    assert sales.service_level_estimated == 0  # each answer seen on its own: all exact
    assert sales.average_time_to_answer == 35  # floor(107 / 3)
    a = by_agent(board, "A")
    assert (a.state, a.time_in_state, a.calls, a.total_talk, a.average_talk) == (S.READY, 4, 3, 90, 30)
    svg = tmp_path / "board.svg"
    save_svg(board, svg, width=110)
    text = svg.read_text(encoding="utf-8")
    assert text.startswith("<svg") and "Sales" in text and "33%" in text


async def test_live_board_follows_events_and_survives_a_restart(autojump_clock: Any, scenario_file: Path) -> None:
    frames: list[Board] = []
    running: dict[str, Any] = {"emu": None}

    @asynccontextmanager
    async def connector() -> AsyncIterator[Any]:
        emu = running["emu"]
        if emu is None:
            raise ConnectionLostError("cannot connect to the emulator: it is not running")
        stream = await emu.connect_memory()
        async with client.connect_stream(stream) as tapi:
            yield tapi

    start = partial(run_emulator, scenario_file, listen=False)
    roster = Roster.from_scenario_text(SCENARIO)
    async with trio.open_nursery() as nursery:
        running["emu"] = await nursery.start(start)
        nursery.start_soon(partial(run_wallboard, "memory", 0, frames.append, roster=roster,
                                   connector=connector, backoff=Backoff(0.5, 2, 4)))
        await trio.sleep(50.5)
        live = frames[-1]
        assert live.status == "live"
        assert live.switch_now == START + dt.timedelta(seconds=50)
        sales = live.group("Sales")
        assert (sales.calls_waiting, sales.answered, sales.within_threshold) == (1, 2, 1)
        assert by_agent(live, "A").state == S.BUSYONCALL

        running["emu"].stop()
        running["emu"] = None
        await trio.sleep(3)
        down = frames[-1]
        assert down.status.startswith("reconnecting to memory:0")
        assert down.group("Sales").answered == 2  # the last figures stay on screen
        attempts = [f.status for f in frames if f.status.startswith("reconnecting")]
        assert len(attempts) >= 2 and "(attempt 2)" in attempts[1]

        running["emu"] = await nursery.start(start)  # a fresh run of the emulator
        await trio.sleep(8)
        back = frames[-1]
        assert back.status == "live"
        assert back.group("Sales").answered == 1  # the new run's history, not the old one's
        nursery.cancel_scope.cancel()


QUIET = """
[switch]
name = "Queue events"
lines = 1
start = "2026-11-26T09:00:00Z"

[[groups]]
id = "5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b"
name = "Sales"
queue = 1

[[agents]]
id = "A"
[[agents.sessions]]
group = "Sales"
line = 0
state = "NOTREADY"
"""


async def test_a_call_entering_a_queue_shows_at_once_through_line_queuestatus(autojump_clock: Any,
                                                                               tmp_path: Path) -> None:
    """No session changes when a call joins a queue nobody serves: only LINE_QUEUESTATUS says so. With a
    steady refresh of 20 s (events are batched for 1/20 of it), the board must show the waiting call
    within 1.5 s."""
    path = tmp_path / "quiet.toml"
    path.write_text(QUIET, encoding="utf-8")
    frames: list[Board] = []
    seen: dict[str, Any] = {}

    @asynccontextmanager
    async def connector() -> AsyncIterator[Any]:
        stream = await seen["emu"].connect_memory()
        async with client.connect_stream(stream) as tapi:
            yield tapi

    async with trio.open_nursery() as nursery:
        seen["emu"] = emu = await nursery.start(partial(run_emulator, path, listen=False))
        nursery.start_soon(partial(run_wallboard, "memory", 0, frames.append,
                                   roster=Roster.from_scenario_text(QUIET), connector=connector, refresh=20))
        await trio.sleep(5)
        assert frames and frames[-1].group("Sales").calls_waiting == 0
        before = len(frames)
        emu.offer_call("Sales", 30)
        await trio.sleep(1.5)
        assert len(frames) > before, "no new frame after the call joined the queue"
        assert frames[-1].group("Sales").calls_waiting == 1
        nursery.cancel_scope.cancel()
