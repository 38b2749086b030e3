"""Benchmark of the pure switch model (tsp/model/) on a large floor.

Default: 10,000 agents in 10 groups of 1,000, each with one session READY from t = 0, answer after
2 s, 20 s wrap-up; Poisson traffic per group sized for 85 % occupancy with 180 s mean talk; one
simulated hour, advanced one simulated second at a time as a real-time driver would. This is the 1.0
configuration.

``--features 1.1`` turns the 1.1 model features on (wire-protocol §7): callers hang up after an
exponential patience of mean 120 s (abandonment), arrivals follow a profile of four quarter-hour rates
(0.8, 1.2, 1.1, 0.9 x the 1.0 rate: the same calls per hour on average, non-homogeneous Poisson) and
every other agent has a second session in the next group (agents in two groups: one call at a time
across both, routing across groups). ``--compare`` runs both configurations in the same process, one
after the other, and reports the 1.1 figures as ratios against the 1.0 ones (the machine is shared, so
only same-run ratios are comparable).

Reports: internal events processed per wall second, session events produced, calls answered (and
abandoned), simulated seconds per wall second (the speed-up over real time) and per second of this
process's CPU time (``speedup_cpu``: on a shared machine the wall clock also counts the time other
processes had the CPU), and peak traced memory
per agent (a second run under tracemalloc, which is slower, so it is not timed; it counts the scenario
objects too).

``--gc both`` runs the configuration with CPython's default garbage-collector thresholds and with the
setting ``python -m tsp`` and the embedded API run with (:func:`tsp.gcpolicy.tune_gc`), alternating
``--rounds`` times, and reports the best of each, the spread and the ratio; ``--gc tuned`` / ``default``
runs one of them. Every run reports the CPU time spent in collections (``gc_cpu_seconds``, from
``gc.callbacks``) and the CPU cost per internal event. ``--table 1000,10000,100000`` runs those floor
sizes (one row each: agents, internal events, us per event, x real time, bytes per agent; memory of a
``--memory-hours`` run under tracemalloc; with ``--gc both`` a row per mode) and, in the same row, the
memory floor (:func:`floor_run`: the same floor size, working set, event rates and GC mode with a
trivial workload): its cost per event, each one's growth against the first row (``growth``,
``floor_growth``) and the model's growth over the floor's (``over_floor``; 1.0 = the model grows only
as much as any workload of that working set does; ``--no-floor`` skips it); ``--count-calls HOURS``
adds the function calls per internal event (the work per event, which no cache changes). ``added_us``
/ ``floor_added_us``: the us per event each added since the first row; ``bound_speedup``: the x real
time of the first row's model cost plus only the floor's added cost (a model that grew no more than a
trivial workload of its working set). ``--old-tree DIR`` also
times ``DIR``'s model with its own copy of this script's build_scenario and run() (e.g. the 1.0 tree,
/work/wt-old, with its own .venv) on the same floor in the ``--old-features`` configuration (1.0 by
default; 1.1 for a tree with the 1.1 model), in the same rounds, as the same-run baseline, under the
interpreter's GC thresholds unless ``--old-gc tuned`` (that tree's own tsp.gcpolicy.tune_gc). To compare
two trees that both have it, give both the same setting (``--gc tuned --old-gc tuned``): at 100,000 agents
the tuned setting alone makes a tree 1.3-1.4x faster than the same tree under the default.

    python bench/switch_model.py                      # the 10,000-agent hour, 1.0 configuration
    python bench/switch_model.py --compare            # 1.0 and 1.1 in one run, with ratios
    python bench/switch_model.py --features 1.1 --gc both --rounds 3 --old-tree /work/wt-old
    python bench/switch_model.py --features 1.1 --gc tuned --old-tree OTHER --old-features 1.1 --old-gc tuned
    python bench/switch_model.py --features 1.1 --gc tuned --table 1000,10000,100000 --memory-hours 0.25
    python bench/switch_model.py --agents 50 --hours 0.05 --json   # tiny, for a smoke test

Targets (issue 15 point 7, issue 18 point 3), with the 1.1 features on: >= 1,000x real time and <= 4 KiB
per agent at 10,000 agents; >= 100x and <= 4 KiB per agent at 100,000; the cost per event flat from
1,000 to 100,000 agents.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import heapq
import itertools
import json
import os
import random
import subprocess
import sys
import time
import tracemalloc
import uuid
from collections import deque
from collections.abc import Iterator

from protocol.constants import AgentSessionState
from tsp.gcpolicy import tune_gc
from tsp.model import Switch
from tsp.model.calls import bucket_shift
from tsp.scenario import Agent, Group, Scenario, SessionSpec, SwitchSettings, Traffic

ANSWER_DELAY = 2.0
WRAPUP = 20.0
TALK_MEAN = 180.0
OCCUPANCY = 0.85
PATIENCE_MEAN = 120.0  # 1.1: mean patience (exponential)
PROFILE = ((0.0, 0.8), (900.0, 1.2), (1800.0, 1.1), (2700.0, 0.9))  # 1.1: (at, x the 1.0 rate); mean 1.0


def build_scenario(agents: int, groups: int, lines: int = 64, seed: int = 1, features: str = "1.0") -> Scenario:
    """A floor of ``agents`` agents spread round-robin over ``groups`` groups, all READY at t = 0.

    ``features="1.1"``: patience, a rate profile and every other agent also in the next group."""
    groups = max(1, min(groups, agents))
    v11 = features == "1.1"
    gs = tuple(Group(id=uuid.UUID(int=i + 1), name=f"G{i}", queue=i + 1) for i in range(groups))

    def sessions(i: int) -> tuple[SessionSpec, ...]:
        first = SessionSpec(group=gs[i % groups].id, line=i % lines, state=AgentSessionState.READY)
        if not (v11 and groups > 1 and i % 2 == 0):
            return (first,)
        second = SessionSpec(group=gs[(i + 1) % groups].id, line=i % lines, state=AgentSessionState.READY)
        return first, second

    ags = tuple(
        Agent(id=str(100000 + i), answer_delay=ANSWER_DELAY, wrapup=WRAPUP, sessions=sessions(i))
        for i in range(agents)
    )
    per_call = ANSWER_DELAY + TALK_MEAN + WRAPUP

    def traffic(k: int, g: Group) -> Traffic:
        rate = OCCUPANCY * sum(1 for i in range(agents) if i % groups == k) * 3600 / per_call
        if not v11:
            return Traffic(group=g.id, rate=rate, talk_mean=TALK_MEAN)
        return Traffic(group=g.id, rate=0.0, talk_mean=TALK_MEAN, patience_mean=PATIENCE_MEAN,
                       profile=tuple((at, rate * f) for at, f in PROFILE), repeat=3600.0)

    return Scenario(
        switch=SwitchSettings(name=f"bench floor {features}", lines=lines, seed=seed),
        groups=gs, agents=ags, traffic=tuple(traffic(k, g) for k, g in enumerate(gs)), filename="<bench>",
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


class _GcClock:
    """CPU seconds spent in garbage collections (gc.callbacks), and how many, while installed."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = 0
        self.longest = 0.0
        self._start = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.process_time()
        else:
            took = time.process_time() - self._start
            self.seconds += took
            self.collections += 1
            self.longest = max(self.longest, took)


def measure(agents: int, groups: int, seconds: float, step: float, memory: bool, features: str,
            gc_mode: str = "default", memory_seconds: float | None = None) -> dict:
    """One configuration: a timed run, then (``memory``) a second run under tracemalloc.
    ``gc_mode``: "default" (the interpreter's thresholds) or "tuned" (tsp.gcpolicy.tune_gc, undone after)."""
    with collector(gc_mode):
        return _measure(agents, groups, seconds, step, memory, features, gc_mode, memory_seconds)


@contextlib.contextmanager
def collector(gc_mode: str) -> Iterator[None]:
    """The collector's young threshold for a timed run: "default" (the interpreter's 700) or "tuned"
    (tsp.gcpolicy.tune_gc); the thresholds before are restored after."""
    before = gc.get_threshold()
    gc.set_threshold(700, *before[1:])
    try:
        if gc_mode == "tuned":
            tune_gc()
        yield
    finally:
        gc.set_threshold(*before)


def _measure(agents: int, groups: int, seconds: float, step: float, memory: bool, features: str,
             gc_mode: str, memory_seconds: float | None) -> dict:
    scenario = build_scenario(agents, groups, features=features)
    gc.collect()
    clock = _GcClock()
    c0 = time.process_time()
    t0 = time.perf_counter()
    # records=False: no call detail records kept, as in a server without --cdr (with them the switch
    # holds up to max_records = 10,000 untaken records)
    switch = Switch(scenario, records=False)
    t1 = time.perf_counter()
    c1 = time.process_time()
    gc.callbacks.append(clock)
    try:
        produced, internal = run(switch, seconds, step)
    finally:
        gc.callbacks.remove(clock)
    t2 = time.perf_counter()
    c2 = time.process_time()
    wall = max(t2 - t1, 1e-9)
    cpu = max(c2 - c1, 1e-9)
    answered = sum(switch.agent_info(h, seconds).number_of_acd_calls for h in switch.agent_handles())
    abandoned = sum(switch.queue_info(g.queue_id, seconds).total_calls_abandoned for g in switch.group_list())
    result = {
        "features": features,
        "agents": agents,
        "groups": groups,
        "sessions": sum(len(a.sessions) for a in scenario.agents),
        "simulated_seconds": seconds,
        "setup_seconds": round(t1 - t0, 4),
        "wall_seconds": round(wall, 4),
        "internal_events": internal,
        "session_events": produced,
        "calls_answered": answered,
        "calls_abandoned": abandoned,
        "internal_events_per_second": round(internal / wall),
        "session_events_per_second": round(produced / wall),
        "speedup": round(seconds / wall, 1),
        "cpu_seconds": round(cpu, 4),
        "speedup_cpu": round(seconds / cpu, 1),
        "gc": gc_mode,
        "gc_threshold": gc.get_threshold()[0],
        "gc_collections": clock.collections,
        "gc_cpu_seconds": round(clock.seconds, 4),
        "gc_longest_ms": round(clock.longest * 1000, 2),
        "cpu_us_per_event": round(cpu / max(internal, 1) * 1e6, 3),
    }
    if memory:
        del switch, scenario
        gc.collect()
        mem_seconds = seconds if memory_seconds is None else min(seconds, memory_seconds)
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        switch = Switch(build_scenario(agents, groups, features=features), records=False)
        run(switch, mem_seconds, step)
        peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        result["memory_simulated_seconds"] = mem_seconds
        result["peak_bytes"] = peak
        result["peak_bytes_per_agent"] = round(peak / max(agents, 1))
    return result


# ---- the memory floor (--floor): the same working set, a trivial workload ------------------------------


class _FloorAgent:
    __slots__ = ("handle", "busy", "calls", "talk_sum", "wrap_sum", "state", "since", "call", "sessions", "f0",
                 "f1", "f2", "f3", "f4", "f5")

    def __init__(self, handle: int) -> None:
        self.handle, self.busy, self.calls, self.talk_sum, self.wrap_sum = handle, False, 0, 0, 0
        self.state, self.since, self.call, self.sessions = 0, 0, None, []
        self.f0 = self.f1 = self.f2 = self.f3 = self.f4 = self.f5 = 0


class _FloorSession:
    __slots__ = ("handle", "agent", "group", "state", "calls", "talk_sum", "wrap_sum", "tta_sum", "since", "gen",
                 "call", "f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8")

    def __init__(self, handle: int, agent: _FloorAgent, group: int) -> None:
        self.handle, self.agent, self.group, self.state, self.calls = handle, agent, group, 0, 0
        self.talk_sum = self.wrap_sum = self.tta_sum = self.since = self.gen = 0
        self.call = None
        self.f0 = self.f1 = self.f2 = self.f3 = self.f4 = self.f5 = self.f6 = self.f7 = self.f8 = 0


class _FloorCall:
    __slots__ = ("id", "arrival", "talk", "session", "agent", "state", "since", "line", "pad")

    def __init__(self, call_id: int, arrival: int, talk: int) -> None:
        self.id, self.arrival, self.talk, self.session, self.agent, self.state, self.since = \
            call_id, arrival, talk, None, None, None, arrival
        self.line = -1
        self.pad = [0] * 27  # the model's CallRec has 35 fields


class _FloorSpec:
    """What the scenario holds per agent and session (never touched after set-up, like the model's)."""

    __slots__ = ("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l")

    def __init__(self, *values: object) -> None:
        for name, v in zip(self.__slots__, values + (None,) * 12):
            setattr(self, name, v)


def floor_run(agents: int, groups: int, seconds: float, step: float = 1.0, seed: int = 1) -> tuple[int, int]:
    """The memory floor: the model's working set with none of its features - the same floor size (agents,
    1.5 sessions per agent, one record per call in progress, one queue entry per busy agent), the same
    four queue events per answered call (arrival, answer, hang-up, wrap-up end) at the same rates and
    delays, each touching the same records (a dict lookup by handle or call ID, a few attribute writes,
    one event tuple holding an object; records padded to about the model's bytes per agent, and a
    never-touched object per agent and session for the scenario), the oldest READY session of the group
    first, the same calendar queue (the model's bucket width, tsp.model.calls.bucket_shift; the open
    bucket a heap), advanced ``step`` seconds at a time. No lifecycle, no statistics, no call control, no
    records. Its cost per event at each floor size is what the memory hierarchy and the collector cost a
    trivial workload of that size; (session events, internal events)."""
    rng = random.Random(seed)
    groups = max(1, min(groups, agents))
    us = 1_000_000
    per_call = ANSWER_DELAY + TALK_MEAN + WRAPUP
    ready: list[deque] = [deque() for _ in range(groups)]
    waiting: list[deque] = [deque() for _ in range(groups)]
    sessions: dict[int, _FloorSession] = {}
    handle = 0
    specs = []
    for i in range(agents):
        handle += 1
        agent = _FloorAgent(handle)
        specs.append(_FloorSpec(str(100000 + i), ANSWER_DELAY, WRAPUP, tuple(_FloorSpec(i, 1, 2) for _ in range(2 - i % 2))))
        for g in ((i % groups,) if i % 2 or groups == 1 else (i % groups, (i + 1) % groups)):
            handle += 1
            s = _FloorSession(handle, agent, g)
            agent.sessions.append(s)
            sessions[handle] = s
            ready[g].append(handle)
    gaps = [per_call / (OCCUPANCY * sum(1 for i in range(agents) if i % groups == k)) for k in range(groups)]
    heap: list = []
    open_b = -1
    buckets: dict[int, list] = {}
    bnums: list[int] = []
    seq = itertools.count()
    calls: dict[int, _FloorCall] = {}
    call_ids = itertools.count(1)
    events: list = []
    state = AgentSessionState.BUSYONCALL  # an enum in the event: tracked by the collector, as the model's

    shift = bucket_shift(len(sessions))  # the model's bucket width for this floor size

    def push(when: int, kind: int, obj: int) -> None:
        b = when >> shift
        if b <= open_b:
            heapq.heappush(heap, (when, next(seq), kind, obj))
        elif b in buckets:
            buckets[b].append((when, next(seq), kind, obj))
        else:
            buckets[b] = [(when, next(seq), kind, obj)]
            heapq.heappush(bnums, b)

    def offer(s: _FloorSession, call: _FloorCall, t: int) -> None:
        s.agent.busy = True
        s.call, call.session, call.agent, call.state, call.since = call, s, s.agent, 1, t
        calls[call.id] = call
        events.append((call.id, s.handle, state))
        push(t + round(ANSWER_DELAY * us), 1, call.id)

    for g in range(groups):
        push(round(rng.expovariate(1.0) * gaps[g] * us), 0, g)
    processed = produced = 0
    ticks = int(round(seconds / step))
    for i in range(1, ticks + 1):
        t_end = round(i * step * us)
        while True:
            if not heap:
                if not bnums:
                    break
                open_b = heapq.heappop(bnums)
                heap = buckets.pop(open_b)
                heapq.heapify(heap)
            if heap[0][0] > t_end:
                break
            t, _, kind, obj = heapq.heappop(heap)
            processed += 1
            if kind == 0:  # an arrival: the group's oldest READY session, else the queue
                call = _FloorCall(next(call_ids), t, round(rng.expovariate(1.0) * TALK_MEAN * us))
                r = ready[obj]
                while r and sessions[r[0]].agent.busy:
                    r.popleft()
                if r:
                    offer(sessions[r.popleft()], call, t)
                else:
                    waiting[obj].append(call)
                push(t + round(rng.expovariate(1.0) * gaps[obj] * us), 0, obj)
            elif kind == 1:  # answer
                call = calls[obj]
                s = call.session
                s.calls += 1
                s.tta_sum += t - call.arrival
                s.since = call.since = t
                call.state = 2
                events.append((call.id, s.handle, state))
                push(t + call.talk, 2, obj)
            elif kind == 2:  # hang-up: wrap-up
                call = calls.pop(obj)
                s = call.session
                s.talk_sum += t - s.since
                s.since, s.call = t, None
                events.append((call.id, s.handle, state))
                push(t + round(WRAPUP * us), 3, s.handle)
            else:  # wrap-up end: the agent is free; its sessions READY again
                s = sessions[obj]
                s.wrap_sum += t - s.since
                agent = s.agent
                agent.busy = False
                events.append((agent.handle, s.handle, state))
                for s2 in agent.sessions:
                    s2.gen += 1
                    if waiting[s2.group] and not agent.busy:
                        offer(s2, waiting[s2.group].popleft(), t)
                    else:
                        ready[s2.group].append(s2.handle)
        produced += len(events)
        events = []
    return produced, processed


#: Run in the other tree's interpreter (cwd = that tree): its own build_scenario and run() (1.0
#: configuration), timed the way measure() times this tree (CPU and wall around run() only).
_OLD_DRIVER = """
import gc, json, sys, time
sys.path[:0] = [".", "bench"]
import switch_model as m
import tsp
from tsp.model import Switch
agents, groups, seconds, step = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
if sys.argv[6] == "tuned":  # as measure(): set before the floor is built (an ImportError names a tree without it)
    from tsp.gcpolicy import tune_gc
    tune_gc()
if sys.argv[5] == "1.0":
    switch = Switch(m.build_scenario(agents, groups))
else:  # a tree with the 1.1 model and this script's --features
    switch = Switch(m.build_scenario(agents, groups, features=sys.argv[5]), records=False)
gc.collect()
c0, t0 = time.process_time(), time.perf_counter()
produced, internal = m.run(switch, seconds, step)
cpu, wall = time.process_time() - c0, time.perf_counter() - t0
print(json.dumps({"agents": agents, "groups": groups, "simulated_seconds": seconds, "internal_events": internal,
                  "session_events": produced, "wall_seconds": round(wall, 4), "cpu_seconds": round(cpu, 4),
                  "features": sys.argv[5], "tsp": tsp.__file__, "speedup": round(seconds / wall, 1), "speedup_cpu": round(seconds / cpu, 1),
                  "gc_threshold": gc.get_threshold()[0], "cpu_us_per_event": round(cpu / max(internal, 1) * 1e6, 3)}))
"""


def old_tree(tree: str, agents: int, groups: int, hours: float, step: float, features: str = "1.0",
             gc_mode: str = "default") -> dict:
    """``tree``'s model (its .venv if it has one) on the same floor, timed as :func:`measure` times this
    tree's (no memory run): the same-run baseline. ``features``: "1.0" (any tree) or "1.1" (a tree whose
    script has ``--features``; records off, as here). ``gc_mode``: "default" (the interpreter's thresholds,
    as a 1.0 tree runs) or "tuned" (the tree's own tsp.gcpolicy.tune_gc: compare two trees that have it
    under the same setting - at 100,000 agents the setting alone moves the rate by a third)."""
    if not os.path.isdir(os.path.join(tree, "tsp")):
        raise SystemExit(f"--old-tree {tree}: not a tree of this project (no tsp/ in it)")
    python = os.path.join(tree, ".venv", "bin", "python")
    cmd = [python if os.path.exists(python) else sys.executable, "-c", _OLD_DRIVER,
           str(agents), str(groups), str(hours * 3600), str(step), features, gc_mode]
    run = subprocess.run(cmd, cwd=tree, capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    if run.returncode != 0:
        last = run.stderr.strip().splitlines()[-1:] or ["no message"]
        raise SystemExit(f"--old-tree {tree}: its model did not run (exit {run.returncode}): {last[0]}")
    result = json.loads(run.stdout.strip().splitlines()[-1])
    result["tree"] = tree
    result["gc_mode"] = gc_mode
    return result


def _best(runs: list[dict]) -> dict:
    """The run with the highest speed-up (CPU based when reported), plus the spread of all rounds."""
    key = "speedup_cpu" if all("speedup_cpu" in r for r in runs) else "speedup"
    best = dict(max(runs, key=lambda r: r[key]))
    best["rounds"] = len(runs)
    best[f"{key}_all"] = [r[key] for r in runs]
    if "speedup_cpu" in runs[0] and key != "speedup":
        best["speedup_all"] = [r["speedup"] for r in runs]
    return best


def rounds(args: argparse.Namespace, groups: int, seconds: float, memory: bool) -> dict:
    """``--gc both`` / ``--old-tree``: alternate the configurations ``--rounds`` times; best of each."""
    modes = ("default", "tuned") if args.gc == "both" else (args.gc,)
    runs: dict[str, list[dict]] = {m: [] for m in modes}
    old: list[dict] = []
    for i in range(args.rounds):
        if args.old_tree:
            old.append(old_tree(args.old_tree, args.agents, groups, args.hours, args.step, args.old_features,
                                args.old_gc))
        for m in modes:  # the memory run (deterministic) only in the first round
            runs[m].append(measure(args.agents, groups, seconds, args.step, memory and i == 0, args.features, m,
                                   args.memory_hours * 3600 if args.memory_hours else None))
    result: dict = {}
    for m in modes:
        best = _best(runs[m])
        if memory:
            best.update({k: runs[m][0][k] for k in ("peak_bytes", "peak_bytes_per_agent", "memory_simulated_seconds")})
        result[f"gc {m}"] = best
    if len(modes) == 2:
        tuned, default = result["gc tuned"]["speedup_cpu"], result["gc default"]["speedup_cpu"]
        result["tuned_over_default_cpu"] = round(tuned / default, 3)
    if old:
        base = _best(old)
        result[f"old tree ({args.old_features} configuration)"] = base
        for m in modes:
            result[f"gc {m} over old tree (cpu)"] = round(result[f"gc {m}"]["speedup_cpu"] / base["speedup_cpu"], 3)
    return result


TABLE_COLUMNS = ("agents", "gc", "internal_events", "session_events", "cpu_us_per_event", "speedup_cpu", "speedup",
                 "gc_cpu_seconds", "gc_longest_ms", "peak_bytes_per_agent", "memory_simulated_seconds",
                 "floor_us_per_event", "floor_gc_cpu_seconds", "floor_peak_bytes_per_agent", "growth", "floor_growth",
                 "over_floor", "added_us", "floor_added_us", "bound_speedup", "calls_per_event")


def count_calls(agents: int, groups: int, seconds: float, step: float, features: str) -> float:
    """Python and C function calls per internal event over ``seconds`` simulated seconds (``sys.setprofile``;
    not timed): the model's work per event in a unit that no cache or collector changes."""
    switch = Switch(build_scenario(agents, groups, features=features), records=False)
    counter = [0]

    def hook(frame: object, event: str, arg: object) -> None:
        if event == "call" or event == "c_call":
            counter[0] += 1

    sys.setprofile(hook)
    try:
        _, internal = run(switch, seconds, step)
    finally:
        sys.setprofile(None)
    return round(counter[0] / max(internal, 1), 3)


def measure_floor(agents: int, groups: int, seconds: float, step: float, gc_mode: str = "default",
                  memory: bool = False, memory_seconds: float | None = None) -> dict:
    """:func:`floor_run` timed as :func:`measure` times the model (the same GC mode; CPU around the run;
    ``memory``: a second run under tracemalloc)."""
    clock = _GcClock()
    with collector(gc_mode):
        gc.collect()
        c0 = time.process_time()
        gc.callbacks.append(clock)
        try:
            produced, internal = floor_run(agents, groups, seconds, step)
        finally:
            gc.callbacks.remove(clock)
        cpu = max(time.process_time() - c0, 1e-9)
    result = {"agents": agents, "gc": gc_mode, "simulated_seconds": seconds, "internal_events": internal,
              "session_events": produced, "cpu_seconds": round(cpu, 4), "speedup_cpu": round(seconds / cpu, 1),
              "gc_cpu_seconds": round(clock.seconds, 4), "gc_collections": clock.collections,
              "cpu_us_per_event": round(cpu / max(internal, 1) * 1e6, 3)}
    if memory:
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        floor_run(agents, groups, seconds if memory_seconds is None else min(seconds, memory_seconds), step)
        result["peak_bytes_per_agent"] = round((tracemalloc.get_traced_memory()[1] - base) / max(agents, 1))
        tracemalloc.stop()
    return result


def table(args: argparse.Namespace, memory: bool) -> dict:
    """``--table``: one row per floor size (groups of 1,000) and --gc mode (``both``: default, then tuned;
    the memory run, deterministic but for uncollected cycles, in the tuned mode only)."""
    modes = ("default", "tuned") if args.gc == "both" else (args.gc,)
    mem_s = args.memory_hours * 3600 if args.memory_hours else None
    rows = []
    first: dict[str, dict] = {}
    for agents in (int(a) for a in args.table.split(",")):
        for m in modes:
            groups = max(1, agents // 1000)
            r = measure(agents, groups, args.hours * 3600, args.step, memory and m == modes[-1], args.features, m, mem_s)
            if not args.no_floor:  # the same floor size, the same GC mode, right after: the memory floor
                f = measure_floor(agents, groups, args.hours * 3600, args.step, m, memory and m == modes[-1], mem_s)
                r["floor_us_per_event"] = f["cpu_us_per_event"]
                r["floor_gc_cpu_seconds"] = f["gc_cpu_seconds"]
                r["floor_peak_bytes_per_agent"] = f.get("peak_bytes_per_agent")
                base = first.setdefault(m, r)  # growth: x the first (smallest) row's cost per event
                r["growth"] = round(r["cpu_us_per_event"] / base["cpu_us_per_event"], 3)
                r["floor_growth"] = round(f["cpu_us_per_event"] / base["floor_us_per_event"], 3)
                r["over_floor"] = round(r["growth"] / r["floor_growth"], 3)
                # us per event added since the first row; the bound: the first row's model cost plus only the
                # floor's added cost (what a model whose own cost stayed flat would reach, x real time)
                r["added_us"] = round(r["cpu_us_per_event"] - base["cpu_us_per_event"], 3)
                r["floor_added_us"] = round(r["floor_us_per_event"] - base["floor_us_per_event"], 3)
                bound = (base["cpu_us_per_event"] + r["floor_added_us"]) * r["internal_events"] / 1e6
                r["bound_speedup"] = round(args.hours * 3600 / max(bound, 1e-9), 1)
            if args.count_calls and m == modes[-1]:
                r["calls_per_event"] = count_calls(agents, groups, args.count_calls * 3600, args.step, args.features)
            rows.append({k: r.get(k) for k in TABLE_COLUMNS})
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return {"features": args.features, "simulated_seconds": args.hours * 3600, "rows": rows}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=0, help="default: one group per 1,000 agents")
    parser.add_argument("--hours", type=float, default=1.0, help="simulated hours")
    parser.add_argument("--step", type=float, default=1.0, help="simulated seconds per advance() call")
    parser.add_argument("--features", choices=("1.0", "1.1"), default="1.0",
                        help="1.1: abandonment, a rate profile, agents in two groups (default 1.0)")
    parser.add_argument("--compare", action="store_true", help="run 1.0 and 1.1 in this process; ratios")
    parser.add_argument("--gc", choices=("default", "tuned", "both"), default="default",
                        help="garbage-collector thresholds: the interpreter's, tsp.gcpolicy.tune_gc's, or both")
    parser.add_argument("--rounds", type=int, default=1, help="with --gc both / --old-tree: alternating rounds")
    parser.add_argument("--old-tree", metavar="DIR", help="also time DIR's model on the same floor (same rounds)")
    parser.add_argument("--old-features", choices=("1.0", "1.1"), default="1.0",
                        help="the --old-tree configuration (1.1: a tree with the 1.1 model; default 1.0)")
    parser.add_argument("--old-gc", choices=("default", "tuned"), default="default",
                        help="the --old-tree GC thresholds: the interpreter's (default, as a 1.0 tree runs) or "
                             "that tree's tsp.gcpolicy.tune_gc (to compare two trees that have it)")
    parser.add_argument("--table", metavar="AGENTS,...", help="one row per floor size, e.g. 1000,10000,100000")
    parser.add_argument("--memory-hours", type=float, default=0.0,
                        help="simulated hours of the tracemalloc run (default: --hours)")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc run")
    parser.add_argument("--no-floor", action="store_true", help="--table: skip the memory floor (floor_run)")
    parser.add_argument("--count-calls", type=float, default=0.0, metavar="HOURS",
                        help="--table: also count function calls per internal event over HOURS simulated hours "
                             "(sys.setprofile, untimed; default 0 = not)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args(argv)
    groups = args.groups or max(1, args.agents // 1000)
    seconds = args.hours * 3600
    memory = not args.no_memory
    if args.table:
        result = table(args, memory)
    elif args.gc == "both" or args.old_tree or args.rounds > 1:
        result = rounds(args, groups, seconds, memory)
    elif not args.compare:
        result = measure(args.agents, groups, seconds, args.step, memory, args.features, args.gc,
                         args.memory_hours * 3600 if args.memory_hours else None)
    else:
        base = measure(args.agents, groups, seconds, args.step, memory, "1.0")
        new = measure(args.agents, groups, seconds, args.step, memory, "1.1")
        result = {"1.0": base, "1.1": new, "speedup_ratio": round(new["speedup"] / base["speedup"], 3),
                  "speedup_cpu_ratio": round(new["speedup_cpu"] / base["speedup_cpu"], 3)}
        if memory:
            result["bytes_per_agent_ratio"] = round(new["peak_bytes_per_agent"] / base["peak_bytes_per_agent"], 3)
    if args.json:
        print(json.dumps(result))
    else:
        print_result(result)
    return result


def print_result(result: dict, indent: str = "") -> None:
    for key, value in result.items():
        if isinstance(value, dict):
            print(f"{indent}{key}:")
            print_result(value, indent + "  ")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            cols = list(value[0])
            print(f"{indent}{key}:")
            print(indent + "  " + " | ".join(cols))
            for row in value:
                print(indent + "  " + " | ".join(str(row[c]) for c in cols))
        else:
            print(f"{indent}{key:>28}: {value}")


if __name__ == "__main__":
    main(sys.argv[1:])
