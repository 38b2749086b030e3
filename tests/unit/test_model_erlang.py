"""Realism check: one group of the model behaves like the M/M/N queue of Erlang C.

One group, N agents answering at once with no wrap-up, Poisson arrivals and exponential talk from the
scenario's own [[traffic]] generator: an M/M/N FIFO queue. A long seeded run is observed through the
public API only (the queue's arrival count after each step, and the BUSYONCALL offer events, which are
FIFO so the k-th offer is the k-th arrival) and compared with tests/unit/erlang.py.

Tolerances: over 40 seeds of 100 simulated hours the relative error of the mean wait had a standard
deviation of 7.6 % and the service level one of 1.0 point; this run is 3x longer (sd about 4.4 % and
0.6 points), so 15 % and 3 points leave more than three standard deviations of room, while idle
agents not taking waiting calls, a wrong arrival rate or wrong talk times miss by far more. (FIFO
versus LIFO does not change the mean wait; the FIFO order is tested in test_model.py.)
"""

from __future__ import annotations

import collections
import uuid

from erlang import erlang_c, mean_wait, service_level

from protocol.constants import AgentSessionState, AgentSessionStatus
from tsp.model import SessionEvent, Switch
from tsp.scenario import parse_scenario

AGENTS = 5
RATE_PER_HOUR = 210.0  # 3.5 erlangs with 60 s talk: 70 % occupancy
TALK_MEAN = 60.0
HOURS = 300
SEED = 2024
WAIT_TOLERANCE = 0.15  # relative
SERVICE_LEVEL_TOLERANCE = 0.03  # absolute, share answered within 20 s


def erlang_scenario() -> str:
    agents = "".join(
        f'[[agents]]\nid = "a{i}"\n[[agents.sessions]]\ngroup = "G"\nline = {i}\nstate = "READY"\n'
        for i in range(AGENTS)
    )
    return (
        f'[switch]\nlines = {AGENTS}\nseed = {SEED}\n'
        f'[[groups]]\nid = "{uuid.UUID(int=42)}"\nname = "G"\nqueue = 1\n{agents}'
        f'[[traffic]]\ngroup = "G"\nrate = {RATE_PER_HOUR}\ntalk_mean = {TALK_MEAN}\n'
    )


def observe(sw: Switch, end: float) -> tuple[list[float], int]:
    """Waits (arrival -> answer) of every answered call, and the number of arrivals."""
    arrivals: collections.deque[float] = collections.deque()
    waits: list[float] = []
    queued = 0
    while (t := sw.next_due()) is not None and t <= end:
        events = sw.advance(t)
        total = sw.queue_info(1, t).total_calls_queued
        arrivals.extend([t] * (total - queued))
        queued = total
        for e in events:
            if not isinstance(e, SessionEvent):
                continue  # model 1.1 also reports agent, queue and call events
            if e.status & AgentSessionStatus.STATE and e.state is AgentSessionState.BUSYONCALL:
                assert e.status & AgentSessionStatus.UPDATEINFO  # answer_delay 0: answered at the offer
                waits.append(t - arrivals.popleft())
    return waits, queued


def test_mm_n_group_agrees_with_erlang_c():
    lam, mu = RATE_PER_HOUR / 3600, 1 / TALK_MEAN
    sw = Switch(parse_scenario(erlang_scenario(), "erlang.toml"))
    end = HOURS * 3600.0
    waits, arrived = observe(sw, end)

    # the generator itself: Poisson count (sd = sqrt(63000) ~ 0.4 %) and exponential talk mean
    assert abs(arrived / (lam * end) - 1) < 0.03
    calls = talk = 0
    for entry_handle in sw.agent_handles():
        info = sw.agent_info(entry_handle, end)
        calls += info.number_of_acd_calls
        talk += info.total_acd_talk_time
    assert calls == len(waits)
    assert abs(talk / calls / TALK_MEAN - 1) < 0.03

    observed_wait = sum(waits) / len(waits)
    expected_wait = mean_wait(AGENTS, lam, mu)
    assert abs(observed_wait / expected_wait - 1) < WAIT_TOLERANCE, (observed_wait, expected_wait)

    observed_sl = sum(w <= 20 for w in waits) / len(waits)
    expected_sl = service_level(AGENTS, lam, mu, 20)
    assert abs(observed_sl - expected_sl) < SERVICE_LEVEL_TOLERANCE, (observed_sl, expected_sl)

    observed_c = sum(w > 0 for w in waits) / len(waits)
    assert abs(observed_c - erlang_c(AGENTS, lam / mu)) < SERVICE_LEVEL_TOLERANCE

    # the queue's own statistic is the same average, floored
    assert sw.queue_info(1, end).average_wait_time == int(sum(waits) // len(waits))


def test_erlang_formulas_against_known_values():
    # textbook: 2 servers, 1 erlang -> B = 0.2, C = 1/3; Erlang B(1, 1) = 0.5
    assert abs(erlang_c(2, 1.0) - 1 / 3) < 1e-12
    from erlang import erlang_b

    assert abs(erlang_b(1, 1.0) - 0.5) < 1e-12 and abs(erlang_b(2, 1.0) - 0.2) < 1e-12
    # M/M/1: W = rho / (mu - lam), P(wait <= t) = 1 - rho exp(-(mu - lam) t)
    assert abs(mean_wait(1, 0.5, 1.0) - 1.0) < 1e-12
    assert abs(service_level(1, 0.5, 1.0, 2.0) - (1 - 0.5 * 2.718281828459045 ** -1)) < 1e-12
