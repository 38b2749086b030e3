"""Benchmark of the pure switch model (tsp/model.py) on a large floor.

Default: 10,000 agents in 10 groups of 1,000, each with one session READY from t = 0, answer after
2 s, 20 s wrap-up; Poisson traffic per group sized for 85 % occupancy with 180 s mean talk; one
simulated hour, advanced one simulated second at a time as a real-time driver would.

Reports: internal events processed per wall second, session events produced, calls answered, simulated
seconds per wall second (the speed-up over real time), and peak traced memory per agent (a second run
under tracemalloc, which is slower, so it is not timed; it counts the scenario objects too).

    python bench/switch_model.py                      # the 10,000-agent hour
    python bench/switch_model.py --agents 50 --hours 0.05 --json   # tiny, for a smoke test

Targets of the later scale issue: >= 1000x real time and < 4 KiB per agent at 10,000 agents.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
import tracemalloc
import uuid

from protocol.constants import AgentSessionState
from tsp.model import Switch
from tsp.scenario import Agent, Group, Scenario, SessionSpec, SwitchSettings, Traffic

ANSWER_DELAY = 2.0
WRAPUP = 20.0
TALK_MEAN = 180.0
OCCUPANCY = 0.85


def build_scenario(agents: int, groups: int, lines: int = 64, seed: int = 1) -> Scenario:
    """A floor of ``agents`` agents spread round-robin over ``groups`` groups, all READY at t = 0."""
    groups = max(1, min(groups, agents))
    gs = tuple(Group(id=uuid.UUID(int=i + 1), name=f"G{i}", queue=i + 1) for i in range(groups))
    ags = tuple(
        Agent(
            id=str(100000 + i),
            answer_delay=ANSWER_DELAY,
            wrapup=WRAPUP,
            sessions=(SessionSpec(group=gs[i % groups].id, line=i % lines, state=AgentSessionState.READY),),
        )
        for i in range(agents)
    )
    per_call = ANSWER_DELAY + TALK_MEAN + WRAPUP
    traffic = tuple(
        Traffic(group=g.id, rate=OCCUPANCY * sum(1 for i in range(agents) if i % groups == k) * 3600 / per_call,
                talk_mean=TALK_MEAN)
        for k, g in enumerate(gs)
    )
    return Scenario(
        switch=SwitchSettings(name="bench floor", lines=lines, seed=seed),
        groups=gs, agents=ags, traffic=traffic, filename="<bench>",
    )


def run(switch: Switch, seconds: float, step: float = 1.0) -> tuple[int, int]:
    """Advance ``switch`` to ``seconds`` in ``step`` increments; (session events, internal events)."""
    produced = 0
    t = 0.0
    ticks = int(round(seconds / step))
    for i in range(1, ticks + 1):
        t = i * step
        produced += len(switch.advance(t))
    if t < seconds:
        produced += len(switch.advance(seconds))
    return produced, switch.processed_events


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=0, help="default: one group per 1,000 agents")
    parser.add_argument("--hours", type=float, default=1.0, help="simulated hours")
    parser.add_argument("--step", type=float, default=1.0, help="simulated seconds per advance() call")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc run")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args(argv)
    groups = args.groups or max(1, args.agents // 1000)
    seconds = args.hours * 3600

    scenario = build_scenario(args.agents, groups)
    gc.collect()
    t0 = time.perf_counter()
    switch = Switch(scenario)
    t1 = time.perf_counter()
    produced, internal = run(switch, seconds, args.step)
    t2 = time.perf_counter()
    wall = max(t2 - t1, 1e-9)
    answered = sum(switch.agent_info(h, seconds).number_of_acd_calls for h in switch.agent_handles())
    result = {
        "agents": args.agents,
        "groups": groups,
        "simulated_seconds": seconds,
        "setup_seconds": round(t1 - t0, 4),
        "wall_seconds": round(wall, 4),
        "internal_events": internal,
        "session_events": produced,
        "calls_answered": answered,
        "internal_events_per_second": round(internal / wall),
        "session_events_per_second": round(produced / wall),
        "speedup": round(seconds / wall, 1),
    }
    if not args.no_memory:
        del switch, scenario
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        switch = Switch(build_scenario(args.agents, groups))
        run(switch, seconds, args.step)
        peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        result["peak_bytes"] = peak
        result["peak_bytes_per_agent"] = round(peak / max(args.agents, 1))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>28}: {value}")
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
