"""Calls on the agent's line in the model (wire-protocol §9.1-§9.3, §9.5): the call lifecycle table as
data, answer modes, call control and its refusals, CDRs."""

from __future__ import annotations

import pytest

from protocol.constants import AgentSessionState as S
from protocol.constants import AgentSessionStatus as St
from protocol.constants import AgentStateEx, LineErr
from tsp import lifecycle
from tsp.lifecycle import CALL_TABLE, CallTrigger
from tsp.model import SwitchError
from tsp.scenario import Agent
from tsp.values import CallEnd, CallEvent, CallOutcome, CallState, SessionEvent

from model11 import A, B, kinds, ready, session_of, switch

# the public requests and the table trigger each one is (Drop from OFFERING is REJECT)
REQUESTS = {
    "answer": CallTrigger.ANSWER,
    "drop": CallTrigger.DROP,
    "hold": CallTrigger.HOLD,
    "unhold": CallTrigger.UNHOLD,
    "transfer": CallTrigger.TRANSFER,
    "redirect": CallTrigger.REDIRECT,
}


def call_in(state: CallState):
    """A switch with one call in ``state`` on line 0 (public API only): (switch, call ID, now)."""
    sw = switch(Agent("x", answer="app", wrapup=3, sessions=(ready(A),)), outbound_answer=5)
    if state is CallState.RINGBACK:
        c = sw.make_call(1, 0, "555", 0)
    else:
        c = sw.offer_call(A, 100, 1)
    if state in (CallState.CONNECTED, CallState.ONHOLD):
        sw.answer_call(c, 2)
    if state is CallState.ONHOLD:
        sw.hold_call(c, 3)
    assert sw.call_info(c).state is state
    sw.take_events()
    return sw, c, 4.0 if state is not CallState.RINGBACK else 1.0


def request(sw, name: str, c: int, now: float) -> None:
    {
        "answer": lambda: sw.answer_call(c, now),
        "drop": lambda: sw.drop_call(c, now),
        "hold": lambda: sw.hold_call(c, now),
        "unhold": lambda: sw.unhold_call(c, now),
        "transfer": lambda: sw.blind_transfer(c, "200", now),
        "redirect": lambda: sw.redirect(c, "200", now),
    }[name]()


@pytest.mark.parametrize("state", [CallState.OFFERING, CallState.CONNECTED, CallState.ONHOLD, CallState.RINGBACK])
@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_every_request_in_every_state_follows_the_call_table(state, name):
    sw, c, now = call_in(state)
    trigger = REQUESTS[name]
    if name == "drop" and state is CallState.OFFERING:
        trigger = CallTrigger.REJECT
    row = CALL_TABLE.get((state, trigger))
    if state is CallState.RINGBACK and name == "transfer":
        row = None  # an outbound call has no group to leave
    if row is None:
        with pytest.raises(SwitchError) as err:
            request(sw, name, c, now)
        assert err.value.lineerr is LineErr.INVALCALLSTATE and state.name in str(err.value)
        assert sw.call_info(c).state is state and [e for e in sw.take_events() if isinstance(e, CallEvent)] == []
        return
    request(sw, name, c, now)
    got = [(e.state, e.end) for e in sw.take_events() if isinstance(e, CallEvent) and e.call_id == c]
    if row.next is CallState.DISCONNECTED:
        assert got[:2] == [(CallState.DISCONNECTED, row.end), (CallState.IDLE, None)]
        assert CALL_TABLE[(CallState.DISCONNECTED, CallTrigger.IDLE)].next is CallState.IDLE
    else:
        assert got == [(row.next, None)] and sw.call_info(c).state is row.next


def test_the_model_follows_the_table_it_reads(monkeypatch):
    sw, c, now = call_in(CallState.CONNECTED)
    without_hold = {k: v for k, v in CALL_TABLE.items() if k != (CallState.CONNECTED, CallTrigger.HOLD)}
    monkeypatch.setattr(lifecycle, "CALL_TABLE", without_hold)
    with pytest.raises(SwitchError) as err:
        sw.hold_call(c, now)
    assert err.value.lineerr is LineErr.INVALCALLSTATE


def test_docs_have_the_call_table_and_every_state_has_a_way_out():
    assert {key[0] for key in CALL_TABLE} - {None} == set(CallState) - {CallState.IDLE}
    assert lifecycle.render_call_table().count("\n") == len(CALL_TABLE) + 1


def test_unknown_and_finished_calls_are_invalid_handles():
    sw, c, now = call_in(CallState.CONNECTED)
    with pytest.raises(SwitchError) as err:
        sw.answer_call(999, now)
    assert err.value.lineerr is LineErr.INVALCALLHANDLE and "999" in str(err.value)
    sw.drop_call(c, now)
    for action in (lambda: sw.call_info(c), lambda: sw.drop_call(c, now)):
        with pytest.raises(SwitchError) as err:
            action()
        assert err.value.lineerr is LineErr.INVALCALLHANDLE


# ---- answer modes (§9.3) and statistics whoever answers ------------------------------------------------


def test_the_offer_rings_on_the_sessions_line_and_is_new_there_once():
    sw = switch(Agent("x", answer_delay=2, sessions=(ready(A, line=3),)))
    c = sw.offer_call(A, 10, 1, ani="0301234", dnis="800")
    ev = [e for e in sw.advance(20) if isinstance(e, CallEvent)]
    assert ev == [
        CallEvent(c, 3, 0, CallState.OFFERING, None, True, 0),
        CallEvent(c, 3, 0, CallState.CONNECTED, None, False, 0),
        CallEvent(c, 3, 0, CallState.DISCONNECTED, CallEnd.NORMAL, False, 0),
        CallEvent(c, 3, 0, CallState.IDLE, None, False, 0),
    ]
    (rec,) = sw.take_records()
    assert (rec.ani, rec.dnis, rec.answer, rec.hangup, rec.outcome) == ("0301234", "800", 3e6, 13e6, CallOutcome.ANSWERED)


def test_call_info_while_ringing_and_talking():
    sw = switch(Agent("x", answer="app", sessions=(ready(A, line=2),)))
    c = sw.offer_call(A, 10, 1, ani="123", uui="order 7")
    info = sw.call_info(c)
    assert (info.line, info.state, info.state_since, info.agent_id, info.ani, info.called, info.uui) == (
        2, CallState.OFFERING, 1_000_000, "x", "123", "100", "order 7")  # called: the group's extension
    assert (info.group, info.outbound, info.reason) == (A, False, "direct")
    assert sw.calls_on_line(2) == [c] and sw.calls_on_line(0) == []
    assert info.hagent_session == session_of(sw, "x", A, 1)


@pytest.mark.parametrize("mode", ["auto", "app"])
def test_statistics_are_the_same_whoever_answers(mode):
    sw = switch(Agent("x", answer=mode, answer_delay=3 if mode == "auto" else 0, wrapup=4, sessions=(ready(A),)))
    c = sw.offer_call(A, 10, 1)
    if mode == "app":
        sw.advance(3.9)
        assert sw.call_info(c).state is CallState.OFFERING  # rings until an application answers
        sw.answer_call(c, 4)
    info = sw.session_info(session_of(sw, "x", A, 30), 30)
    assert (info.number_of_calls, info.total_talk_time, info.total_wrap_up_time, info.longest_time_to_answer) == (
        1, 10, 4, 3)


def test_never_rings_until_the_ring_timeout():
    sw = switch(Agent("x", answer="never", sessions=(ready(A),)), ring_timeout=15)
    c = sw.offer_call(A, 10, 0)
    sw.advance(14.9)
    assert sw.call_info(c).state is CallState.OFFERING
    sw.advance(15)
    assert sw.calls_on_line(0) == [] and sw.queue_info(1, 15).current_calls_queued == 1


def test_app_may_answer_before_the_automatic_answer():
    sw = switch(Agent("x", answer_delay=10, sessions=(ready(A),)))
    c = sw.offer_call(A, 5, 0)
    sw.answer_call(c, 2)
    info = sw.session_info(session_of(sw, "x", A, 20), 20)
    assert (info.longest_time_to_answer, info.total_talk_time) == (2, 5)  # hang-up at 7, not 15


# ---- drop, hold, reject --------------------------------------------------------------------------------------


def test_hold_time_is_talk_time_and_drop_ends_talk_now():
    sw = switch(Agent("x", sessions=(ready(A),)))
    c = sw.offer_call(A, 100, 0)
    sw.hold_call(c, 5)
    sw.unhold_call(c, 15)
    sw.hold_call(c, 20)
    sw.drop_call(c, 30)  # from ONHOLD: the agent hangs up
    info = sw.session_info(session_of(sw, "x", A, 40), 40)
    assert (info.number_of_calls, info.total_talk_time, info.state) == (1, 30, S.READY)


def test_reject_puts_the_call_back_in_arrival_order_and_the_session_notready():
    sw = switch(Agent("x", answer="app", sessions=(ready(A),)), Agent("y", sessions=(ready(A, at=20),)))
    first = sw.offer_call(A, 10, 1)
    second = sw.offer_call(A, 10, 2)  # waits
    x = session_of(sw, "x", A, 2)
    sw.take_events()
    sw.drop_call(first, 5)
    ev = kinds(sw.take_events())
    assert SessionEvent(x, 0, St.STATE, S.NOTREADY) in ev[SessionEvent]
    assert [(e.state, e.end) for e in ev[CallEvent]] == [(CallState.DISCONNECTED, CallEnd.NOANSWER), (CallState.IDLE, None)]
    assert sw.queue_info(1, 5).current_calls_queued == 2
    y = session_of(sw, "y", A, 20)
    assert sw.call_info(first).hagent_session == y  # the older call first
    assert sw.session_info(y, 20).longest_time_to_answer == 19
    assert second not in sw.calls_on_line(0)


# ---- transfer, redirect (§9.2) ----------------------------------------------------------------------------------


def test_blind_transfer_makes_a_new_arrival_in_the_target_group():
    sw = switch(Agent("x", wrapup=5, sessions=(ready(A),)), Agent("y", answer="app", sessions=(ready(B, line=1),)))
    c = sw.offer_call(A, 100, 0)
    for bad in ("999", "100", None):
        with pytest.raises(SwitchError) as err:
            sw.blind_transfer(c, bad, 10)
        assert err.value.lineerr is LineErr.INVALADDRESS
    sw.blind_transfer(c, "200", 10)
    x = sw.session_info(session_of(sw, "x", A, 10), 10)
    assert (x.state, x.total_talk_time, x.number_of_calls) == (S.BUSYWRAPUP, 10, 1)
    info = sw.call_info(c)  # the same call ID rings at y
    assert (info.line, info.state, info.reason, info.group, info.called) == (1, CallState.OFFERING, "transfer", B, "200")
    qa, qb = sw.queue_info(1, 10), sw.queue_info(2, 10)
    assert (qa.total_calls_flowed_out, qb.total_calls_flowed_in, qb.total_calls_queued) == (1, 1, 1)
    sw.answer_call(c, 13)
    assert sw.session_info(session_of(sw, "y", B, 13), 13).longest_time_to_answer == 3  # from the transfer
    sw.drop_call(c, 20)
    (rec,) = sw.take_records()
    assert (rec.groups, rec.flows, rec.outcome, len(rec.offers)) == ((A, B), ("transfer",), CallOutcome.TRANSFERRED, 2)


def test_redirect_from_ringing_has_no_talk_and_no_wrapup():
    sw = switch(Agent("x", answer="app", wrapup=5, sessions=(ready(A),)))
    c = sw.offer_call(A, 100, 0)
    x = session_of(sw, "x", A, 0)
    sw.take_events()
    sw.redirect(c, "200", 3)
    ev = kinds(sw.take_events())
    assert [(e.state, e.end) for e in ev[CallEvent]] == [(CallState.DISCONNECTED, CallEnd.FORWARDED), (CallState.IDLE, None)]
    assert SessionEvent(x, 0, St.STATE, S.READY) in ev[SessionEvent]
    info = sw.session_info(x, 4)
    assert (info.number_of_calls, info.total_talk_time, info.total_wrap_up_time) == (0, 0, 0)
    assert sw.queue_info(2, 4).current_calls_queued == 1


# ---- make_call (§9.2) ------------------------------------------------------------------------------------------


def test_make_call_rings_back_connects_and_keeps_the_agent_from_acd_calls():
    sw = switch(Agent("x", home=(0, 0), sessions=(ready(A),)), outbound_answer=5)
    h = sw.agent_handle("x")
    c = sw.make_call(0, 0, "5551234", 1)
    assert sw.agent_busy(h) and sw.agent_info(h, 1).state is AgentStateEx.BUSYOUTGOING
    sw.offer_call(A, 10, 2)  # waits: the agent is on the outbound call
    assert sw.call_info(c).state is CallState.RINGBACK
    sw.advance(6)
    assert sw.call_info(c).state is CallState.CONNECTED and sw.queue_info(1, 6).current_calls_queued == 1
    for line, lineerr in ((0, LineErr.CALLUNAVAIL), (9, LineErr.BADDEVICEID)):
        with pytest.raises(SwitchError) as err:
            sw.make_call(line, 0, "1", 6)
        assert err.value.lineerr is lineerr
    with pytest.raises(SwitchError) as err:
        sw.make_call(1, 0, "", 6)
    assert err.value.lineerr is LineErr.INVALADDRESS
    sw.drop_call(c, 20)  # then the agent takes the waiting call
    info = sw.agent_info(h, 20)
    assert (info.number_of_outgoing_calls, info.state) == (1, AgentStateEx.BUSYACD)
    s = sw.session_info(session_of(sw, "x", A, 20), 20)
    assert (s.number_of_calls, s.longest_time_to_answer) == (1, 18)  # the outbound call is in no session figure
    (rec,) = sw.take_records()
    assert (rec.outcome, rec.dnis, rec.answer, rec.hangup, rec.groups) == (CallOutcome.OUTBOUND, "5551234", 6e6, 20e6, ())


# ---- CDR (§9.5) --------------------------------------------------------------------------------------------------


def test_records_are_written_when_the_call_leaves_and_open_ones_on_request():
    sw = switch(Agent("x", answer_delay=1, wrapup=4, sessions=(ready(A),)))
    sw.offer_call(A, 10, 0)  # rings 0..1, talks 1..11, wrap-up to 15
    sw.offer_call(A, 10, 2)  # waits until 15
    sw.advance(14)
    assert sw.take_records() == []
    opened = sw.open_records(14)
    assert [(r.call_id, r.outcome, r.wrapup_end) for r in opened] == [
        (1, CallOutcome.ANSWERED, None), (2, CallOutcome.UNANSWERED, None)]
    sw.advance(15)
    (rec,) = sw.take_records()
    assert (rec.arrival, rec.answer, rec.hangup, rec.wrapup_end) == (0, 1e6, 11e6, 15e6)
    (offer,) = rec.offers
    assert (offer.agent_id, offer.ring_start, offer.ring_end, offer.answered) == ("x", 0, 1e6, True)
    assert sw.take_records() == []


def test_records_can_be_off_and_are_bounded():
    sw = switch(Agent("x", sessions=(ready(A),)), records=False) if False else None
    from tsp.model import Switch
    from tsp.scenario import Scenario, SwitchSettings
    from model11 import groups

    sw = Switch(Scenario(switch=SwitchSettings(), groups=groups()), max_records=2)
    for i in range(3):
        sw.offer_call(A, 1, i, patience=0.5)
    sw.advance(10)
    assert [r.call_id for r in sw.take_records()] == [2, 3] and sw.records_dropped == 1
    off = Switch(Scenario(switch=SwitchSettings(), groups=groups()), records=False)
    off.offer_call(A, 1, 0, patience=0.5)
    off.advance(1)
    assert off.take_records() == []


def test_the_agent_of_an_address_is_its_home_agent_else_the_oldest_live_session():
    sw = switch(Agent("first"), Agent("second"), Agent("homed", home=(3, 0)))
    assert sw.address_agent(3, 0).agent_id == "homed" and sw.address_agent(1, 0) is None
    s1 = sw.create_session(sw.agent_handle("first"), None, 1, 0, A, 0)
    sw.create_session(sw.agent_handle("second"), None, 1, 0, B, 0)
    assert sw.address_agent(1, 0).agent_id == "first"
    sw.set_session_state(s1, S.ENDED, 0, 1)
    assert sw.address_agent(1, 0).agent_id == "second"
    c = sw.make_call(1, 0, "5550000", 1)
    assert sw.call_info(c).agent_id == "second" and sw.agent_info(sw.agent_handle("second"), 1).number_of_outgoing_calls == 1
