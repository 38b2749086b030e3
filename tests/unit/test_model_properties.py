"""Invariants of the switch model under random sequences of client operations (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.constants import AgentSessionState as S
from protocol.structs import encode_struct
from protocol.constants import AgentSessionStatus as St
from tsp import wire
from tsp.model import SessionEvent, Switch

from model_ops import SCENARIO, apply, op



@settings(max_examples=120, deadline=None)
@given(st.lists(op, max_size=40))
def test_invariants_hold_under_random_operations(ops):
    sw = Switch(SCENARIO)
    t = 0.0
    sessions: list[int] = []
    previous: dict[int, tuple] = {}
    seen_states: dict[int, S] = {}
    for item in ops:
        t, created = apply(sw, item, t, sessions)
        assert created is None or created not in sessions
        for e in sw.advance(t):
            if not isinstance(e, SessionEvent):
                continue
            if e.status & St.NEWSESSION:
                sessions.append(e.hagent_session)
            seen_states[e.hagent_session] = e.state
        check(sw, t, sessions, previous, seen_states)


def check(sw: Switch, t: float, sessions: list[int], previous: dict[int, tuple], seen: dict[int, S]) -> None:
    ready_groups = set()
    for h in sessions:
        info = sw.session_info(h, t)
        # the poll path (the model's ints packed) gives the bytes of the object (DATE and CURRENCY included)
        assert wire.session_info_bytes(sw, h, 76, t) == encode_struct(wire.session_info(info, 76))
        # the last event of each session reports its current state
        assert seen[h] is info.state
        if info.state is S.READY and not sw.agent_busy(sw.session_agent(h)):  # §7.1: a busy agent is no candidate
            ready_groups.add(next(e.group_id for a in sw.agent_handles() for e in sw.session_list(a)
                                  if e.hagent_session == h))
        assert info.next_state in (0, S.NOTREADY, S.READY, S.ENDED)
        assert info.state is not S.ENDED or info.next_state == 0
        # floors of exact sums
        assert info.total_talk_time + info.total_wrap_up_time <= info.total_call_time
        assert info.total_call_time <= info.total_talk_time + info.total_wrap_up_time + 1
        n = info.number_of_calls
        assert info.average_talk_time * n <= info.total_talk_time + 1
        assert info.average_time_to_answer <= info.longest_time_to_answer
        assert info.total_call_time <= info.session_duration + 1
        now = (info.number_of_calls, info.total_talk_time, info.total_wrap_up_time, info.session_duration)
        if h in previous:
            assert all(a >= b for a, b in zip(now, previous[h]))  # nothing ever decreases
        previous[h] = now
    # work conservation: no READY session of a free agent in a group while calls wait there
    for g in sw.group_list():
        q = sw.queue_info(g.queue_id, t)
        if q.current_calls_queued:
            assert g.group_id not in ready_groups
        assert q.current_longest_wait_time <= q.longest_ever_wait_time

