"""The wallboard's service level against the truth kept by the model, on a busy group.

10 agents in one group at about 85 % load (2 s ring, 30 s mean talk, 5 s wrap-up): many calls wait,
many of them around the 20 s threshold, so the per-session counters alone cannot classify them. The true
figure comes from the pure model itself, stepped from one due instant to the next: arrivals from its
queue counter, offers and answers from its events at their exact instants (and checked against the
model's own per-session time-to-answer counters); the wallboard's comes from the wire only, polling once a
simulated second as it does live.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque

import trio

from tsp.wallboard_export import capture_board
from protocol.constants import AgentSessionState, AgentSessionStatus
from tsp.model import SessionEvent, Switch
from tsp.scenario import parse_scenario

GROUP = "5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b"
SECONDS = 2400
THRESHOLD = 20


def busy_scenario(agents: int = 10, load: float = 0.85) -> str:
    ring, talk, wrap = 2, 30, 5
    rate = load * agents * 3600 / (ring + talk + wrap)
    text = f"""
[switch]
name = "Busy ACD"
lines = {agents}
start = "2026-11-26T09:00:00Z"
seed = 11

[[groups]]
id = "{GROUP}"
name = "Sales"
queue = 1

[[traffic]]
group = "Sales"
rate = {rate:.1f}
talk_mean = {talk}
"""
    for i in range(agents):
        text += f"""
[[agents]]
id = "a{i:02d}"
answer_delay = {ring}
wrapup = {wrap}

[[agents.sessions]]
group = "Sales"
line = {i}
state = "READY"
"""
    return text


def true_times_to_answer(text: str, seconds: float) -> list[float]:
    """Every answered call's exact time to answer, from the model stepped through its due instants."""
    switch = Switch(parse_scenario(text))
    arrivals: deque[float] = deque()
    holding: dict[int, float] = {}  # session -> arrival of the call offered to it
    times: dict[int, list[float]] = defaultdict(list)
    queued = 0
    while True:
        due = switch.next_due()
        if due is None or due > seconds:
            break
        events = switch.advance(due)
        total = switch.queue_info(1, due).total_calls_queued
        arrivals.extend([due] * (total - queued))
        queued = total
        for ev in events:
            if not isinstance(ev, SessionEvent):
                continue  # model 1.1 also reports agent, queue and call events
            if ev.status & AgentSessionStatus.STATE and ev.state == AgentSessionState.BUSYONCALL:
                holding[ev.hagent_session] = arrivals.popleft()  # FIFO: the oldest call is offered
            if ev.status & AgentSessionStatus.UPDATEINFO and ev.state == AgentSessionState.BUSYONCALL:
                times[ev.hagent_session].append(due - holding.pop(ev.hagent_session))
    # The reconstruction agrees with the model's own counters (floored average and longest per session).
    for h, ttas in times.items():
        info = switch.session_info(h, seconds)
        assert info.number_of_calls == len(ttas)
        assert info.longest_time_to_answer == math.floor(max(ttas) + 1e-9)
        assert info.average_time_to_answer == math.floor(sum(ttas) / len(ttas) + 1e-9)
    return [t for ttas in times.values() for t in ttas]


def test_service_level_matches_the_model_on_a_busy_group(tmp_path):
    text = busy_scenario()
    ttas = true_times_to_answer(text, SECONDS)
    within = sum(1 for t in ttas if math.floor(t + 1e-9) <= THRESHOLD)
    true_sl = within / len(ttas)
    assert len(ttas) > 400 and 0.3 < true_sl < 0.9, (len(ttas), true_sl)  # a busy group, not a trivial one

    path = tmp_path / "busy.toml"
    path.write_text(text)
    board = trio.run(lambda: capture_board(sim_seconds=SECONDS, scenario=str(path), threshold=THRESHOLD))
    row = board.group("Sales")
    assert row.answered == len(ttas)
    assert row.service_level is not None
    assert abs(row.service_level - true_sl) <= 0.01, (
        f"wallboard {row.service_level:.2%} vs true {true_sl:.2%} ({row.service_level_estimated} of "
        f"{row.answered} estimated)")
    assert row.service_level_estimated < 0.1 * row.answered, row.service_level_estimated


async def live_board(text: str, seconds: float):
    """The live loop (``WallboardClient.serve``: steady refresh plus a re-read after every event) on a
    real-clock emulator, run on trio's clock (autojump: hours in seconds)."""
    from client import connect
    from client.wallboard import Roster, WallboardModel
    from client.wallboard_app import WallboardClient
    from tsp.testing import open_emulator

    async with open_emulator(parse_scenario(text), clock="real", port=0) as emu:
        async with connect(emu.host, emu.port) as tapi:
            wb = WallboardClient(tapi, WallboardModel(Roster.from_scenario_text(text), threshold=THRESHOLD),
                                 request_timeout=30)
            await wb.attach()
            with trio.move_on_after(seconds - 0.5):
                await wb.serve(lambda board: None, refresh=1.0)
            await wb.poll()
            return wb.board()


def test_live_board_service_level_matches_the_model(tmp_path):
    """The same comparison through the live refresh loop: reads dated by the real (virtual) clock, not by
    the export's one-second steps."""
    import trio.testing

    text = busy_scenario()
    ttas = true_times_to_answer(text, SECONDS)
    true_sl = sum(1 for t in ttas if math.floor(t + 1e-9) <= THRESHOLD) / len(ttas)
    board = trio.run(live_board, text, SECONDS, clock=trio.testing.MockClock(autojump_threshold=0))
    row = board.group("Sales")
    assert row.answered == len(ttas)
    assert abs(row.service_level - true_sl) <= 0.01, (row.service_level, true_sl, row.service_level_estimated)
