"""The ACD model 1.1 (wire-protocol §7), each rule with hand-computed expectations."""

from __future__ import annotations

import pytest

from protocol.constants import AgentSessionState as S
from protocol.constants import AgentSessionStatus as St
from protocol.constants import AgentStateEx, AgentStatusEx, LineErr, QueueStatus
from tsp.model import SwitchError
from tsp.scenario import Activity, Agent, ScriptedCall, SessionChange, Traffic
from tsp.values import AgentEvent, CallEnd, CallEvent, CallOutcome, CallState, QueueEvent, SessionEvent

from model11 import A, B, kinds, ready, session_of, switch


# ---- §7.1 one call per agent, ready-since, oldest call across groups, same-instant routing --------------


def test_an_agent_in_two_groups_is_never_on_two_calls():
    sw = switch(Agent("x", sessions=(ready(A), ready(B))))
    sw.offer_call(A, 100, 1)
    sw.offer_call(B, 100, 2)  # x is busy with A's call: B's waits (1.0 gave it to x at once)
    sa, sb = session_of(sw, "x", A, 2), session_of(sw, "x", B, 2)
    assert sw.session_info(sb, 50).state is S.READY and sw.queue_info(2, 50).current_calls_queued == 1
    assert sw.agent_busy(sw.agent_handle("x"))
    assert sw.agent_info(sw.agent_handle("x"), 50).state is AgentStateEx.BUSYACD  # §7.1: BUSYACD while busy
    info = sw.session_info(sb, 150)  # A's call ends at 101: x takes B's call then
    assert (info.number_of_calls, info.longest_time_to_answer, info.total_talk_time) == (1, 99, 49)
    agent = sw.agent_info(sw.agent_handle("x"), 150)
    assert agent.total_acd_talk_time == 100 + 49 <= 150
    assert sw.session_info(sa, 150).number_of_calls == 1


def test_a_free_agent_takes_the_oldest_call_across_its_ready_groups():
    sw = switch(Agent("x", sessions=(ready(A), ready(B))), Agent("y"))
    sw.offer_call(A, 100, 1)  # x talks until 101
    sw.offer_call(B, 10, 5)  # oldest waiting
    sw.offer_call(A, 10, 10)
    sb = session_of(sw, "x", B, 10)
    assert sw.session_info(sb, 102).number_of_calls == 1  # B's call (arrived 5) first
    assert sw.session_info(sb, 102).longest_time_to_answer == 96
    assert sw.queue_info(1, 102).current_calls_queued == 1  # A's second call waits for x again


def test_ready_since_is_when_the_agent_last_stopped_being_busy():
    # x is READY in B since 0 but busy in A 1..51; y READY in B since 20: y has been ready longer at 60
    sw = switch(Agent("x", sessions=(ready(A), ready(B))), Agent("y", sessions=(ready(B, at=20),)))
    sw.offer_call(A, 50, 1)
    sw.offer_call(B, 10, 60)
    y = session_of(sw, "y", B, 60)
    assert sw.session_info(y, 61).number_of_calls == 1
    sw.offer_call(B, 10, 80)  # y is busy until 70 (ready since 70); x since 51: x
    assert sw.session_info(session_of(sw, "x", B, 80), 81).number_of_calls == 1


def test_sessions_ready_at_the_same_instant_are_ordered_by_handle_not_by_scheduling():
    # p (lower handle) wraps up until 10, q hangs up at 10; q's hang-up was scheduled first (at 2, p's
    # wrap-up end at 5). Both are READY since 10 when call 3 (waiting since 3) is routed: p takes it.
    sw = switch(Agent("p", wrapup=5, sessions=(ready(A),)), Agent("q", sessions=(ready(A),)))
    sw.offer_call(A, 4, 1)  # p (tie at ready-since 0: lower handle)
    sw.offer_call(A, 8, 2)  # q
    sw.offer_call(A, 5, 3)  # waits
    p, q = session_of(sw, "p", A, 3), session_of(sw, "q", A, 3)
    assert p < q
    sw.take_events()
    events = [e for e in sw.advance(10) if isinstance(e, SessionEvent)]
    assert events[-1] == SessionEvent(p, 0, St.STATE, S.BUSYONCALL) or (
        events[-1].hagent_session == p and events[-1].state is S.BUSYONCALL
    )
    assert (sw.session_info(p, 10).number_of_calls, sw.session_info(q, 10).number_of_calls) == (2, 1)


def test_a_second_live_session_in_one_group_is_refused():
    sw = switch(Agent("x"))
    h = sw.agent_handle("x")
    s = sw.create_session(h, None, 0, 0, A, 0)
    with pytest.raises(SwitchError) as err:
        sw.create_session(h, None, 1, 0, A, 0)
    assert err.value.lineerr is LineErr.INVALAGENTGROUP and "already has session" in str(err.value)
    assert [e.hagent_session for e in sw.session_list(h)] == [s]  # the refusal created nothing
    b = sw.create_session(h, None, 1, 0, B, 0)  # another group is fine
    sw.set_session_state(s, S.ENDED, 0, 1)
    assert sw.create_session(h, None, 1, 0, A, 1) > b  # after ENDED a new one is fine


# ---- §7.2 ----------------------------------------------------------------------------------------


def test_both_fields_while_busy_are_refused_and_change_nothing():
    sw = switch(Agent("x", answer_delay=5, sessions=(ready(A),)))
    sw.offer_call(A, 100, 1)
    s = session_of(sw, "x", A, 1)
    sw.take_events()
    with pytest.raises(SwitchError) as err:
        sw.set_session_state(s, S.NOTREADY, S.READY, 2)
    assert err.value.lineerr is LineErr.INVALPARAM
    assert sw.session_info(s, 2).next_state == 0 and sw.take_events() == []
    sw.set_session_state(s, 0, S.NOTREADY, 3)
    ev = sw.take_events()
    assert SessionEvent(s, 0, St.UPDATEINFO, S.BUSYONCALL) in ev
    assert any(isinstance(e, AgentEvent) and e.status == AgentStatusEx.UPDATEINFO for e in ev)
    assert sw.agent_info(sw.agent_handle("x"), 3).next_state == AgentStateEx.NOTREADY


# ---- §7.3 abandonment --------------------------------------------------------------------------------


def test_a_caller_hangs_up_when_patience_runs_out_in_the_queue():
    sw = switch(Agent("x", sessions=(ready(A, at=50),)))
    sw.offer_call(A, 5, 0, patience=30)  # abandons at 30
    sw.offer_call(A, 5, 10, patience=100)  # offered at 50, wait 40
    sw.offer_call(A, 5, 55, patience=1)  # offered at 55 (x is free again? no: x talks 50..55) -> waits
    q = sw.queue_info(1, 60)
    assert (q.total_calls_queued, q.total_calls_abandoned, q.current_calls_queued) == (3, 1, 0)
    assert q.longest_ever_wait_time == 40
    assert q.average_wait_time == (30 + 40 + 0) // 3  # abandoned and offered calls alike (1.1 definition)
    s = sw.session_info(session_of(sw, "x", A, 60), 60)
    assert (s.number_of_calls, s.longest_time_to_answer) == (2, 40)  # the abandoned call is in no session figure
    (rec,) = [r for r in sw.take_records() if r.outcome is CallOutcome.ABANDONED]
    assert (rec.call_id, rec.hangup, rec.offers) == (1, 30_000_000, ())


def test_a_ringing_call_does_not_abandon():
    sw = switch(Agent("x", answer="app", sessions=(ready(A),)))
    c = sw.offer_call(A, 5, 0, patience=3)
    sw.advance(10)
    assert sw.call_info(c).state is CallState.OFFERING and sw.queue_info(1, 10).total_calls_abandoned == 0


def test_traffic_patience_makes_callers_abandon():
    t = Traffic(group=A, rate=3600, talk_mean=100, patience_mean=5, patience_dist="fixed")
    from tsp.scenario import Scenario, SwitchSettings
    from tsp.model import Switch
    from model11 import groups

    sw = Switch(Scenario(switch=SwitchSettings(seed=1), groups=groups(), traffic=(t,)))
    sw.advance(600)
    q = sw.queue_info(1, 600)
    # nobody answers: every call leaves after exactly 5 s
    assert q.total_calls_abandoned == q.total_calls_queued - q.current_calls_queued > 100
    assert q.longest_ever_wait_time == 5 and q.average_wait_time == 5


# ---- §7.4 ring timeout --------------------------------------------------------------------------------


def test_ring_timeout_sends_the_call_back_and_the_session_notready():
    sw = switch(Agent("x", answer="never", sessions=(ready(A),)), Agent("y", sessions=(ready(A, at=12),)),
                ring_timeout=10)
    c = sw.offer_call(A, 20, 0)
    x = session_of(sw, "x", A, 0)
    sw.take_events()
    ev = kinds(sw.advance(10))
    assert SessionEvent(x, 0, St.STATE, S.NOTREADY) in ev[SessionEvent]
    assert [(e.state, e.end) for e in ev[CallEvent]] == [(CallState.DISCONNECTED, CallEnd.NOANSWER), (CallState.IDLE, None)]
    assert sw.queue_info(1, 10).current_calls_queued == 1
    y = session_of(sw, "y", A, 12)
    info = sw.session_info(y, 12)
    assert (info.number_of_calls, info.longest_time_to_answer) == (1, 12)  # rings count (from arrival)
    assert sw.session_info(x, 12).number_of_calls == 0
    assert sw.call_info(c).hagent_session == y


# ---- §7.5 overflow --------------------------------------------------------------------------------------


def test_overflow_moves_the_call_keeping_its_arrival():
    sw = switch(Agent("y", sessions=(ready(B, at=25),)), Agent("z", sessions=(ready(B),)),
                group_kw={"A": {"overflow_after": 20, "overflow_to": B}})
    sw.offer_call(B, 30, 0)  # z talks 0..30
    sw.offer_call(A, 10, 1)  # nobody in A: flows to B at 21, then waits for y (READY at 25)
    qa, qb = sw.queue_info(1, 30), sw.queue_info(2, 30)
    assert (qa.total_calls_queued, qa.total_calls_flowed_out, qa.total_calls_flowed_in) == (1, 1, 0)
    assert (qb.total_calls_queued, qb.total_calls_flowed_in, qb.total_calls_flowed_out) == (2, 1, 0)
    assert qa.longest_ever_wait_time == 20 and qb.longest_ever_wait_time == 24  # waits from arrival
    assert sw.session_info(session_of(sw, "y", B, 30), 30).longest_time_to_answer == 24
    (rec,) = sw.open_records(30)  # z's call ended at 30 (take_records); this one: y talks
    assert rec.groups == (A, B) and rec.flows == ("overflow",) and rec.queue_entries == (1_000_000, 21_000_000)


def test_an_overflow_cycle_keeps_flowing_and_counting():
    # scenario files refuse cycles; the model itself still makes progress with one
    sw = switch(group_kw={"A": {"overflow_after": 10, "overflow_to": B}, "B": {"overflow_after": 10, "overflow_to": A}})
    sw.offer_call(A, 5, 0)
    qa, qb = sw.queue_info(1, 35), sw.queue_info(2, 35)
    assert (qa.total_calls_flowed_out, qb.total_calls_flowed_in, qb.total_calls_flowed_out, qa.total_calls_flowed_in) \
        == (2, 2, 1, 1)
    assert qb.current_calls_queued == 1 and qb.current_longest_wait_time == 35


def test_queue_events_for_enter_leave_abandon_flow():
    sw = switch(group_kw={"A": {"overflow_after": 10, "overflow_to": B}})
    sw.offer_call(A, 5, 0, patience=15)
    ev = [e for e in sw.advance(20) if isinstance(e, QueueEvent)]
    # enters A at 0; leaves A / enters B at 10; abandons in B at 15
    assert ev == [QueueEvent(1, QueueStatus.UPDATEINFO)] * 2 + [QueueEvent(2, QueueStatus.UPDATEINFO)] * 2 or \
        [e.queue_id for e in ev] == [1, 1, 2, 2]


# ---- §7.6 traffic shapes ----------------------------------------------------------------------------------


def test_fixed_talk_and_a_profile_from_tsp_traffic():
    from tsp.model import Switch
    from tsp.scenario import Scenario, SwitchSettings
    from model11 import groups

    t = Traffic(group=A, rate=0, talk_mean=10, talk_dist="fixed", profile=((0, 0), (100, 180)))
    sw = Switch(Scenario(switch=SwitchSettings(seed=2), groups=groups(), traffic=(t,),
                         agents=(Agent("x", sessions=(ready(A),)),)))
    sw.advance(0)
    assert sw.next_due() >= 100  # no arrival while the rate is 0
    sw.advance(3600)
    s = sw.session_info(session_of(sw, "x", A, 3600), 3600)
    assert s.number_of_calls > 100  # about 175 expected (3500 s at 180/h)
    records = sw.take_records()
    assert len(records) >= s.number_of_calls - 1
    assert {r.hangup - r.answer for r in records} == {10_000_000}  # fixed: exactly talk_mean
    assert min(r.arrival for r in records) >= 100_000_000


# ---- §7.7 schedules and activities ----------------------------------------------------------------------


def test_session_changes_apply_like_requests_and_set_the_activity():
    from tsp.model import Switch
    from tsp.scenario import Scenario, SwitchSettings
    from model11 import groups

    changes = (SessionChange(100, S.NOTREADY, 1), SessionChange(200, S.READY), SessionChange(300, S.ENDED))
    sc = Scenario(switch=SwitchSettings(), groups=groups(), activities=(Activity(1, "Break"), Activity(2, "Lunch")),
                  agents=(Agent("x", sessions=(ready(A, changes=changes),)),), calls=(ScriptedCall(90, A, 20),))
    sw = Switch(sc)
    h = sw.agent_handle("x")
    s = session_of(sw, "x", A, 0)
    info = sw.session_info(s, 100)  # busy 90..110: NOTREADY stored as the next state
    assert (info.state, info.next_state) == (S.BUSYONCALL, S.NOTREADY) and sw.agent_activity(h) == 1
    assert sw.session_info(s, 110).state is S.NOTREADY
    assert sw.session_info(s, 200).state is S.READY
    assert sw.session_info(s, 300).state is S.ENDED and sw.session_info(s, 400).session_duration == 300
    assert [a.name for a in sw.activities()] == ["Break", "Lunch"]
    sw.set_agent_activity(h, 2, 400)
    assert sw.agent_activity(h) == 2
    with pytest.raises(SwitchError) as err:
        sw.set_agent_activity(h, 9, 400)
    assert err.value.lineerr is LineErr.INVALAGENTACTIVITY and "9" in str(err.value)


def test_agent_home_and_set_agent_state_ex():
    sw = switch(Agent("x", home=(2, 0), answer_delay=5))
    h = sw.agent_handle("x")
    assert sw.agent_home(h) == (2, 0)
    sa = sw.create_session(h, None, 2, 0, A, 0)
    sb = sw.create_session(h, None, 2, 0, B, 0)
    sw.set_agent_state_ex(h, AgentStateEx.READY, 0, 1)
    assert {sw.session_info(s, 1).state for s in (sa, sb)} == {S.READY}
    assert sw.agent_info(h, 1).state is AgentStateEx.READY
    sw.offer_call(B, 50, 2)  # the second session is busy
    with pytest.raises(SwitchError) as err:  # §7.2 for the busy session: nothing changes anywhere
        sw.set_agent_state_ex(h, AgentStateEx.NOTREADY, AgentStateEx.READY, 3)
    assert err.value.lineerr is LineErr.INVALPARAM and sw.session_info(sa, 3).state is S.READY
    sw.set_agent_state_ex(h, AgentStateEx.NOTREADY, 0, 3)
    assert (sw.session_info(sb, 3).next_state, sw.session_info(sa, 3).state) == (S.NOTREADY, S.NOTREADY)
    for bad, lineerr in ((AgentStateEx.BUSYACD, LineErr.INVALAGENTSTATE), (0, LineErr.INVALPARAM)):
        with pytest.raises(SwitchError) as err:
            sw.set_agent_state_ex(h, bad, 0, 4)
        assert err.value.lineerr is lineerr


def test_agent_events_report_state_changes():
    sw = switch(Agent("x", answer_delay=1, wrapup=2))
    new = sw.create_agent("over-the-wire", None, 0)
    assert sw.take_events() == [AgentEvent(new, AgentStatusEx.NEWAGENT, 0)]
    sw.create_agent("over-the-wire", None, 0)  # known: no event
    assert sw.take_events() == []
    h = sw.agent_handle("x")
    s = sw.create_session(h, None, 0, 0, A, 0)
    sw.set_session_state(s, S.READY, 0, 0)
    sw.offer_call(A, 3, 1)  # rings 1, answered 2, hang-up 5, wrap-up to 7
    ev = [e for e in sw.advance(10) if isinstance(e, AgentEvent)]
    states = [AgentStateEx(e.state) for e in ev if e.status & AgentStatusEx.STATE]
    assert states == [AgentStateEx.NOTREADY, AgentStateEx.READY, AgentStateEx.BUSYACD, AgentStateEx.READY]
    assert sum(1 for e in ev if e.status == AgentStatusEx.UPDATEINFO) == 1  # the answer (one more ACD call)


# ---- §7.8 measurement periods ----------------------------------------------------------------------------


def test_agent_interval_counters_restart_at_each_boundary():
    sw = switch(Agent("x", sessions=(ready(A),)))
    h = sw.agent_handle("x")
    assert sw.agent_info(h, 5).measurement_period == 5  # 1.0: since the agent came into being
    sw.set_agent_measurement_period(h, 30, 5)  # intervals 5..35, 35..65, ...
    sw.offer_call(A, 20, 10)  # talk 10..30
    a = sw.agent_info(h, 34)
    assert (a.measurement_period, a.number_of_acd_calls, a.total_acd_talk_time) == (30, 1, 20)
    assert float(a.overall_call_rate) == pytest.approx(3600 / 29, abs=1e-4)  # over the interval so far
    sw.offer_call(A, 20, 40)  # talk 40..60
    b = sw.agent_info(h, 50)  # second interval: only the talk since 40
    assert (b.number_of_acd_calls, b.total_acd_talk_time) == (1, 10)
    sw.take_events()
    boundary = [e for e in sw.advance(65) if isinstance(e, AgentEvent) and e.status == AgentStatusEx.UPDATEINFO]
    assert len(boundary) == 1  # at 65
    assert sw.agent_info(h, 66).number_of_acd_calls == 0
    assert sw.session_info(session_of(sw, "x", A, 66), 66).number_of_calls == 2  # sessions never reset
    with pytest.raises(SwitchError) as err:
        sw.set_agent_measurement_period(h, 0, 66)
    assert err.value.lineerr is LineErr.INVALPARAM


def test_queue_interval_counters_restart_and_instantaneous_ones_do_not():
    sw = switch(measurement_period=60)  # the [switch] default for every queue and agent
    sw.offer_call(A, 5, 10, patience=20)  # abandons at 30
    sw.offer_call(A, 5, 50)  # still waiting at 70
    q = sw.queue_info(1, 59)
    assert (q.measurement_period, q.total_calls_queued, q.total_calls_abandoned, q.longest_ever_wait_time) == (60, 2, 1, 20)
    ev = [e for e in sw.advance(60) if isinstance(e, QueueEvent)]
    assert QueueEvent(1, QueueStatus.UPDATEINFO) in ev
    q = sw.queue_info(1, 70)
    assert (q.total_calls_queued, q.total_calls_abandoned, q.average_wait_time) == (0, 0, 0)
    assert (q.current_calls_queued, q.current_longest_wait_time, q.longest_ever_wait_time) == (1, 20, 20)
    sw.set_queue_measurement_period(1, 10, 70)
    assert sw.queue_info(1, 75).measurement_period == 10
    with pytest.raises(SwitchError) as err:
        sw.set_queue_measurement_period(99, 10, 75)
    assert err.value.lineerr is LineErr.INVALPARAM


@pytest.mark.parametrize(("patience", "abandons_at"), [(5, 10), (20, 20)])
def test_patience_after_a_ring(patience, abandons_at):
    # rings 0..10 at x (never answers), then waits: the caller's patience counts from arrival
    sw = switch(Agent("x", answer="never", sessions=(ready(A),)), ring_timeout=10)
    sw.offer_call(A, 5, 0, patience=patience)
    assert sw.queue_info(1, abandons_at - 0.001).total_calls_abandoned == 0
    q = sw.queue_info(1, abandons_at)
    assert (q.total_calls_abandoned, q.current_calls_queued) == (1, 0)
    (rec,) = sw.take_records()
    assert (rec.hangup, len(rec.offers), rec.offers[0].ring_end) == (abandons_at * 1_000_000, 1, 10_000_000)
