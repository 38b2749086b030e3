"""The call detail records tell the whole story (wire-protocol §9.5): every session and queue figure of a
busy 1.1 scenario (abandonment, ring timeouts, overflow, agents in two groups, wrap-up) recomputed from
the records alone equals what the model reports."""

from __future__ import annotations

from collections import Counter, defaultdict

from tsp.model import Switch
from tsp.scenario import Agent, Scenario, SwitchSettings, Traffic
from tsp.values import CallOutcome

from model11 import A, B, groups, ready

US = 1_000_000
END = 3 * 3600


def scenario() -> Scenario:
    agents = tuple(
        Agent(f"a{i}", answer_delay=2, wrapup=5 + i, answer="never" if i == 5 else "auto",
              sessions=(ready(A, line=i), ready(B, line=i)) if i % 2 else (ready(A if i % 4 else B, line=i),))
        for i in range(6)
    )
    traffic = (
        Traffic(group=A, rate=70, talk_mean=150, patience_mean=90),
        Traffic(group=B, rate=50, talk_mean=100, talk_dist="lognormal", talk_sd=60, patience_mean=200,
                patience_dist="fixed"),
    )
    return Scenario(switch=SwitchSettings(lines=6, seed=11, ring_timeout=12), agents=agents, traffic=traffic,
                    groups=groups(A={"overflow_after": 60, "overflow_to": B}))


def test_every_figure_follows_from_the_records():
    sw = Switch(scenario(), max_records=100_000)
    records = []
    for t in range(60, END + 1, 60):
        sw.advance(t)
        records += sw.take_records()
    records += sw.open_records(END)
    assert len({r.call_id for r in records}) == len(records)
    outcomes = Counter(r.outcome for r in records)
    assert outcomes[CallOutcome.ABANDONED] > 10 and outcomes[CallOutcome.ANSWERED] > 100
    assert sum(1 for r in records for o in r.offers if not o.answered and o.ring_end < END * US) == 2  # a5 rings once per session, then NOTREADY
    assert sum(len(r.flows) for r in records) > 5  # overflow

    calls = Counter()
    talk = defaultdict(int)
    tta_max = defaultdict(int)
    tta_sum = defaultdict(int)
    queued, abandoned, flowed_in, flowed_out = Counter(), Counter(), Counter(), Counter()
    for r in records:
        for g in r.groups:
            queued[g] += 1
        for k, how in enumerate(r.flows):
            assert how == "overflow"
            flowed_out[r.groups[k]] += 1
            flowed_in[r.groups[k + 1]] += 1
        if r.outcome is CallOutcome.ABANDONED:
            abandoned[r.groups[-1]] += 1
        for o in r.offers:
            if o.answered:
                calls[o.hagent_session] += 1
                tta = o.ring_end - r.arrival  # the answer; arrival is kept through overflow
                tta_sum[o.hagent_session] += tta
                tta_max[o.hagent_session] = max(tta_max[o.hagent_session], tta)
                talk[o.hagent_session] += (r.hangup if r.hangup is not None else END * US) - o.ring_end

    sessions = [e.hagent_session for h in sw.agent_handles() for e in sw.session_list(h, END)]
    for s in sessions:
        info = sw.session_info(s, END)
        n = calls[s]
        assert info.number_of_calls == n
        assert info.total_talk_time == talk[s] // US
        assert info.longest_time_to_answer == tta_max[s] // US
        assert info.average_time_to_answer == (tta_sum[s] // (n * US) if n else 0)
    for g in sw.group_list():
        q = sw.queue_info(g.queue_id, END)
        assert (q.total_calls_queued, q.total_calls_abandoned, q.total_calls_flowed_in, q.total_calls_flowed_out) == (
            queued[g.group_id], abandoned[g.group_id], flowed_in[g.group_id], flowed_out[g.group_id])
