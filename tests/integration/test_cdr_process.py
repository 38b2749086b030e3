"""``python -m tsp --cdr FILE`` as a real process (wire-protocol §9.5): the CDR written while it runs and at
SIGTERM recomputes to exactly what the wire reports (every session figure of §4 and every LINEQUEUEINFO
figure of the current measurement interval) for the shipped ``day`` scenario at 13:45 (abandonment,
overflow, ring timeouts, breaks, agents in two groups); an unwritable CDR path exits 2 with one line.

The embedded API (``open_emulator(cdr=...)``) writes the same file, complete when it returns.
"""

from __future__ import annotations

import json
import math
import signal
from pathlib import Path

import trio

import client
from tests.integration.processes import open_tsp, run_tsp
from tsp.cdr import read_cdr
from tsp.cdr_recompute import QUEUE_FIELDS, SESSION_FIELDS, recompute
from tsp.scenario import load_scenario
from tsp.testing import open_emulator
from tsp.values import CallOutcome

US = 1_000_000
NOW = 5 * 3600 + 45 * 60  # 13:45 in the day scenario (t = 0 is 08:00)


async def _wire_figures(host: str, port: int, scenario) -> tuple[dict[int, dict], dict, float]:  # type: ignore[no-untyped-def]
    sessions: dict[int, dict] = {}
    queues: dict = {}
    async with client.connect(host, port) as tapi:
        await tapi.control.advance(NOW)
        line = await tapi.open_line(0)
        for spec in scenario.agents:
            agent = await line.create_agent(spec.id, pin=spec.pin)
            for s in await agent.EnumerateAgentSessions():
                info = await line.get_agent_session_info(s)
                sessions[s.handle] = {f: getattr(info, f) for f in SESSION_FIELDS}
        for g in scenario.groups:
            info = await line.get_queue_info(g.queue)
            queues[g.id] = {f: getattr(info, f) for f in QUEUE_FIELDS}
            period = info.measurement_period
    return sessions, queues, period


async def test_cdr_of_a_process_recomputes_to_the_wire(tmp_path: Path) -> None:
    scenario = load_scenario("day")
    path = tmp_path / "day.jsonl"
    proc, host, port = await open_tsp("--scenario", "day", "--clock", "manual", "--control", "--port", "0",
                                      "--cdr", str(path), "--quiet")
    try:
        sessions, queues, period = await _wire_figures(host, port, scenario)
        assert path.exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        with trio.fail_after(20):
            assert await proc.wait() == 0
    log = read_cdr(path)
    assert log.dropped == 0
    records = log.records
    outcomes = {r.outcome for r in records}
    # a busy day so far: every kind of ending, overflows, rings that timed out, calls still in the switch
    assert {CallOutcome.ANSWERED, CallOutcome.ABANDONED, CallOutcome.UNANSWERED} <= outcomes
    assert any(len(r.groups) > 1 for r in records)
    assert any(not o.answered for r in records for o in r.offers)
    assert len({r.call_id for r in records}) == len(records) > 500
    assert records[-1].outcome is CallOutcome.UNANSWERED  # the calls still in the switch come last
    since = math.floor(NOW / period) * period * US
    got = recompute(records, NOW * US, wrapup={a.id: a.wrapup for a in scenario.agents}, since=since)
    assert set(got.sessions) <= set(sessions)
    for h, wire in sessions.items():
        figures = got.sessions.get(h)
        mine = {f: (getattr(figures, f) if figures else 0) for f in SESSION_FIELDS}
        assert mine == wire, f"session {h}"
    for gid, wire in queues.items():
        mine = {f: getattr(got.queues[gid], f) for f in QUEUE_FIELDS}
        assert mine == wire, f"queue of {scenario.group(gid).name}"


def test_unwritable_cdr_path_exits_2_with_one_line(tmp_path: Path) -> None:
    out = run_tsp("--cdr", str(tmp_path / "missing" / "calls.jsonl"), "--port", "0")
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("tsp: cannot write the CDR file ") and "No such file or directory" in lines[0]
    assert out.stdout == ""


async def test_embedded_cdr_is_complete_when_the_emulator_returns(tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    async with open_emulator("default", clock="manual", listen=False, cdr=path) as emu:
        assert emu.cdr is not None
        await emu.advance(600)
        before = emu.cdr.accepted
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) > before > 50  # the finished calls, then the open ones at stop
    assert lines[0]["arrival"]["utc"].startswith("2026-11-26T09:")
    assert lines[-1]["outcome"] == "unanswered"
    assert {x["groups"][0]["name"] for x in lines} == {"Sales", "Support", "Billing"}


async def test_every_call_is_in_the_cdr_exactly_once_also_those_that_end_at_stop(tmp_path: Path) -> None:
    """The clock moved past several hang-ups the switch has not stepped through yet when it stops: the
    final flush steps to the stop instant first, so those calls are there (once), before the open ones."""
    path = tmp_path / "calls.jsonl"
    async with open_emulator("default", clock="manual", listen=False, cdr=path) as emu:
        await emu.advance(300)
        emu.clock.advance(120)  # the clock only: the switch is still at 300 s
        assert emu.switch.now == 300
    records = read_cdr(path).records
    ids = [r.call_id for r in records]
    assert sorted(ids) == list(range(1, max(ids) + 1))  # every call that entered the switch, once
    ended_late = [r for r in records if r.hangup is not None and r.hangup > 300 * US
                  and r.outcome is not CallOutcome.UNANSWERED]
    assert ended_late  # calls that ended in the final step
    first_open = next(i for i, r in enumerate(records) if r.outcome is CallOutcome.UNANSWERED)
    # from there on only calls still in the switch: unanswered, or in their wrap-up (no wrap-up end)
    assert all(r.outcome is CallOutcome.UNANSWERED or r.wrapup_end is None for r in records[first_open:])
