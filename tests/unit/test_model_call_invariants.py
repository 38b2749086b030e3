"""Invariants of model 1.1 under random operations (hypothesis): calls, call control, abandonment, ring
timeout, overflow and agents in two groups. No agent is on two calls; counters never go negative or
backwards; every call that arrived is answered-and-ended, abandoned, or still in the switch (CDR)."""

from __future__ import annotations

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.constants import AgentSessionState as S
from tsp.model import Switch, SwitchError
from tsp.scenario import Agent, Scenario, SwitchSettings
from tsp.values import CallOutcome

from model11 import A, B, groups, ready

SCENARIO = Scenario(
    switch=SwitchSettings(lines=3, ring_timeout=8, outbound_answer=2),
    groups=groups(A={"overflow_after": 25, "overflow_to": B}),
    agents=(
        Agent("both", answer_delay=1, wrapup=3, sessions=(ready(A, line=0), ready(B, line=0))),
        Agent("app", answer="app", sessions=(ready(A, line=1),)),
        Agent("never", answer="never", wrapup=1, home=(2, 0), sessions=(ready(B, line=2),)),
    ),
)
GROUPS = [A, B]

op = st.one_of(
    st.tuples(st.just("offer"), st.integers(0, 1), st.floats(0, 40), st.one_of(st.none(), st.floats(0, 30))),
    st.tuples(st.just("wait"), st.floats(0, 20)),
    st.tuples(st.sampled_from(["answer", "drop", "hold", "unhold", "transfer", "redirect"]), st.integers(0, 2)),
    st.tuples(st.just("make"), st.integers(0, 2)),
    st.tuples(st.just("state"), st.integers(0, 3), st.sampled_from([S.READY, S.NOTREADY]), st.sampled_from([0, S.READY])),
)


def step(sw: Switch, item: tuple, t: float, offered: set[int]) -> float:
    kind = item[0]
    try:
        if kind == "offer":
            offered.add(sw.offer_call(GROUPS[item[1]], item[2], t, patience=item[3]))
        elif kind == "wait":
            t += item[1]
        elif kind == "make":
            sw.make_call(item[1], 0, "555", t)
        elif kind == "state":
            handles = sorted(e.hagent_session for h in sw.agent_handles() for e in sw.session_list(h, t))
            if handles:
                sw.set_session_state(handles[item[1] % len(handles)], item[2], item[3], t)
        else:
            calls = sw.calls_on_line(item[1])
            if calls:
                c = calls[0]
                {
                    "answer": lambda: sw.answer_call(c, t),
                    "drop": lambda: sw.drop_call(c, t),
                    "hold": lambda: sw.hold_call(c, t),
                    "unhold": lambda: sw.unhold_call(c, t),
                    "transfer": lambda: sw.blind_transfer(c, "200" if sw.call_info(c).group == A else "100", t),
                    "redirect": lambda: sw.redirect(c, "200" if sw.call_info(c).group == A else "100", t),
                }[kind]()
    except SwitchError:
        pass
    return t


@settings(max_examples=100, deadline=None)
@given(st.lists(op, max_size=40))
def test_invariants_of_calls(ops):
    sw = Switch(attrs.evolve(SCENARIO))
    t = 0.0
    offered: set[int] = set()
    done: dict[int, CallOutcome] = {}
    previous: dict[int, tuple] = {}
    for item in ops:
        t = step(sw, item, t, offered)
        sw.advance(t)
        for rec in sw.take_records():
            assert rec.call_id not in done  # a call leaves the switch once
            done[rec.call_id] = rec.outcome
            if rec.outcome is CallOutcome.ABANDONED:  # answered only if an agent transferred it first
                assert rec.hangup is not None and (rec.answer is None or "transfer" in rec.flows)
        # one call per agent: among the calls on the lines, each agent appears at most once
        agents = [sw.call_info(c).agent_id for line in range(sw.lines) for c in sw.calls_on_line(line)]
        agents = [a for a in agents if a is not None]
        assert len(agents) == len(set(agents))
        for h in sw.agent_handles():
            info = sw.agent_info(h, t)
            assert min(info.number_of_acd_calls, info.total_acd_talk_time, info.total_acd_wrap_up_time,
                       info.number_of_outgoing_calls) >= 0
            assert info.total_acd_talk_time + info.total_acd_wrap_up_time <= info.total_acd_call_time + 1
        for g in sw.group_list():
            q = sw.queue_info(g.queue_id, t)
            now = (q.total_calls_queued, q.total_calls_abandoned, q.total_calls_flowed_in, q.total_calls_flowed_out,
                   q.longest_ever_wait_time)
            assert min(now) >= 0 and q.current_calls_queued >= 0
            if g.queue_id in previous:
                assert all(a >= b for a, b in zip(now, previous[g.queue_id]))
            previous[g.queue_id] = now
            assert q.current_longest_wait_time <= q.longest_ever_wait_time
    still = {r.call_id: r for r in sw.open_records(t)}
    assert not set(still) & set(done)
    inbound = {c for c in offered}
    # every call that arrived: ended (answered / transferred / abandoned) or still in the switch
    assert inbound <= set(done) | set(still)
    for c in inbound & set(done):
        assert done[c] in (CallOutcome.ANSWERED, CallOutcome.TRANSFERRED, CallOutcome.ABANDONED)
