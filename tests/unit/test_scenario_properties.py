"""Invariants of the 1.1 switch over whole random scenario files (hypothesis), scenario-level.

(test_model_call_invariants.py checks random *operations* on one fixed scenario; this one draws the
scenario itself - groups with overflow chains, agents in one or two groups, answer modes, ring
timeout, patience, talk distributions, session changes - writes it as TOML, parses it like a user's
file and lets the switch run it alone for a random span.)

Checked at every step of the run:
* no agent is on two calls: at most one call per agent across all lines (call_info's agent),
* every counter of LINEQUEUEINFO and LINEAGENTSESSIONINFO is >= 0, and the totals never decrease
  (no measurement period is set, so nothing restarts);
and at the end:
* every call that arrived is answered, abandoned or still present: the CDR (taken records plus the
  open ones) has each call once, and their number is the arrivals the queues counted;
* CDR = wire: every session and queue statistic recomputed from the CDR alone (tsp/cdr_recompute.py)
  equals what the switch reports.
"""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tsp.cdr_recompute import QUEUE_FIELDS, SESSION_FIELDS, recompute
from tsp.model import Switch
from tsp.scenario import parse_scenario
from tsp.values import CallOutcome

US = 1_000_000
GROUPS = ("A", "B", "C")
QUEUE_TOTALS = ("total_calls_queued", "total_calls_abandoned", "total_calls_flowed_in", "total_calls_flowed_out",
                "longest_ever_wait_time")
SESSION_TOTALS = ("number_of_calls", "total_talk_time", "total_wrap_up_time", "total_call_time",
                  "longest_time_to_answer", "session_duration")


@st.composite
def scenarios(draw) -> tuple[str, dict[str, float]]:
    """A scenario file's text and the agents' wrap-up seconds."""
    n_groups = draw(st.integers(1, 3))
    lines = ["[switch]", "lines = 8", f"seed = {draw(st.integers(1, 10_000))}"]
    ring = draw(st.sampled_from([0, 0, 8, 20]))
    if ring:
        lines.append(f"ring_timeout = {ring}")
    for i in range(n_groups):
        lines += ["[[groups]]", f'id = "{uuid.UUID(int=i + 1)}"', f'name = "{GROUPS[i]}"', f"queue = {i + 1}",
                  f'extension = "{100 + i}"']
        if i + 1 < n_groups and draw(st.booleans()):  # overflow only forward: no cycle
            lines += [f"overflow_after = {draw(st.integers(1, 60))}", f'overflow_to = "{GROUPS[i + 1]}"']
    lines += ["[[activities]]", "id = 1", 'name = "Break"']
    wrapups: dict[str, float] = {}
    line = 0
    for a in range(draw(st.integers(1, 5))):
        wrapup = draw(st.sampled_from([0, 0, 5, 12.5]))
        answer = draw(st.sampled_from(["auto", "auto", "auto", "never"]))
        agent_id = f"a{a}"
        wrapups[agent_id] = wrapup
        lines += ["[[agents]]", f'id = "{agent_id}"', f"answer_delay = {draw(st.sampled_from([0, 0, 1.5, 3]))}",
                  f"wrapup = {wrapup}", f'answer = "{answer}"']
        members = draw(st.lists(st.integers(0, n_groups - 1), min_size=1, max_size=2, unique=True))
        for g in members:
            lines += ["[[agents.sessions]]", f'group = "{GROUPS[g]}"', f"line = {line % 8}",
                      f'state = "{draw(st.sampled_from(["READY", "READY", "NOTREADY"]))}"',
                      f"at = {draw(st.sampled_from([0, 0, 30]))}"]
            line += 1
            if draw(st.booleans()):
                start = draw(st.integers(40, 900))
                lines.append(f'changes = [ {{ at = {start}, state = "NOTREADY", activity = "Break" }}, '
                             f'{{ at = {start + draw(st.integers(1, 600))}, state = "READY" }} ]')
    for g in range(n_groups):
        if draw(st.booleans()) or g == 0:
            lines += ["[[traffic]]", f'group = "{GROUPS[g]}"', f"rate = {draw(st.integers(20, 400))}",
                      f"talk_mean = {draw(st.sampled_from([10, 45, 120]))}"]
            dist = draw(st.sampled_from(["exponential", "lognormal", "gamma", "fixed"]))
            lines.append(f'talk_dist = "{dist}"')
            if dist in ("lognormal", "gamma"):
                lines.append(f"talk_sd = {draw(st.sampled_from([5, 30]))}")
            patience = draw(st.sampled_from([None, 15, 60]))
            if patience is not None:
                lines += [f"patience_mean = {patience}",
                          f'patience_dist = "{draw(st.sampled_from(["exponential", "fixed"]))}"']
    return "\n".join(lines) + "\n", wrapups


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(60, 4 * 3600), st.integers(3, 120))
def test_invariants_over_random_scenarios(drawn, span, step):
    text, wrapups = drawn
    sw = Switch(parse_scenario(text, "random.toml"))
    records = []
    last_q: dict[int, tuple] = {}
    last_s: dict[int, tuple] = {}
    t = 0
    while t < span:
        t = min(span, t + step)
        sw.advance(t)
        records += sw.take_records()
        check_step(sw, t, last_q, last_s)
    open_now = sw.open_records(t)
    everything = records + open_now
    ids = [r.call_id for r in everything]
    assert len(ids) == len(set(ids)), "a call has two records"
    for r in records:
        assert r.outcome in (CallOutcome.ANSWERED, CallOutcome.ABANDONED), r
    for r in open_now:
        assert r.outcome in (CallOutcome.UNANSWERED, CallOutcome.ANSWERED), r  # ANSWERED: in wrap-up
    queues = [sw.queue_info(g.queue_id, t) for g in sw.group_list()]
    arrivals = sum(q.total_calls_queued - q.total_calls_flowed_in for q in queues)
    assert len(ids) == arrivals

    # CDR = wire
    now = round(t * US)
    again = recompute(everything, now, wrapup=wrapups)
    for g, q in zip(sw.group_list(), queues):
        fig = again.queues.get(g.group_id)
        for name in QUEUE_FIELDS:
            assert (getattr(fig, name) if fig else 0) == getattr(q, name), (g.name, name)
    for h in sessions(sw, t):
        info = sw.session_info(h, t)
        fig = again.sessions.get(h)
        for name in SESSION_FIELDS:
            assert (getattr(fig, name) if fig else 0) == getattr(info, name), (h, name)


def sessions(sw: Switch, t: float) -> list[int]:
    return [e.hagent_session for a in sw.agent_handles() for e in sw.session_list(a, t)]


def check_step(sw: Switch, t: float, last_q: dict[int, tuple], last_s: dict[int, tuple]) -> None:
    on_call: dict[str, int] = {}
    for line in range(sw.lines):
        for call_id in sw.calls_on_line(line):
            info = sw.call_info(call_id)
            if info.agent_id is not None:
                assert info.agent_id not in on_call, f"agent {info.agent_id} on calls {on_call[info.agent_id]} and {call_id}"
                on_call[info.agent_id] = call_id
    for g in sw.group_list():
        q = sw.queue_info(g.queue_id, t)
        now = tuple(getattr(q, n) for n in QUEUE_TOTALS)
        assert min(now) >= 0 and q.current_calls_queued >= 0 and q.current_longest_wait_time >= 0
        assert q.average_wait_time >= 0 and q.current_longest_wait_time <= q.longest_ever_wait_time
        if g.queue_id in last_q:
            assert all(a >= b for a, b in zip(now, last_q[g.queue_id])), (g.name, now, last_q[g.queue_id])
        last_q[g.queue_id] = now
    for h in sessions(sw, t):
        info = sw.session_info(h, t)
        now = tuple(getattr(info, n) for n in SESSION_TOTALS)
        assert min(now) >= 0 and info.average_time_to_answer >= 0
        if h in last_s:
            assert all(a >= b for a, b in zip(now, last_s[h])), (h, now, last_s[h])
        last_s[h] = now
