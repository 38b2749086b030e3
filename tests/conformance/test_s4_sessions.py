"""wire-protocol §4 SetAgentSessionState transitions and routing (tapi-facts §4 allowed transitions)."""

from __future__ import annotations

import uuid

import pytest

from . import spec
from .checks import expect_result
from .tapi import App

S4 = pytest.mark.spec("wire-protocol §4 SetAgentSessionState")
ROUTING = pytest.mark.spec("wire-protocol §4 Routing")


def fresh_id(tag: str) -> str:
    return f"cf-{tag}-{uuid.uuid4().hex[:10]}"


def state_of(app: App, h_session: int) -> tuple[int, int]:
    info = app.session_info(h_session)
    return info["dwAgentSessionState"], info["dwNextAgentSessionState"]


def name(state: int) -> str:
    return spec.STATE_NAMES.get(state, f"{state:#x}")


@S4
@pytest.mark.parametrize("path", [
    [spec.READY, spec.NOTREADY, spec.READY, spec.ENDED],
    [spec.NOTREADY, spec.ENDED],
    [spec.READY, spec.ENDED],
], ids=["ready-notready-ready-ended", "notready-ended", "ready-ended"])
def test_s4_allowed_transitions(app, path):
    """wire-protocol §4: clients may request NOTREADY, READY or ENDED outside a call; each request succeeds
    (LINE_REPLY 0) and GetAgentSessionInfo then reports the requested state."""
    h_session = app.session(app.agent(fresh_id("tr")), spec.SALES)
    for state in path:
        app.set_state(h_session, state).expect_ok(f"SetAgentSessionState({name(state)})")
        got = state_of(app, h_session)[0]
        assert got == state, f"after requesting {name(state)} the session is {name(got)}"


@S4
@pytest.mark.parametrize("field", ["state", "next"])
@pytest.mark.parametrize("value", [spec.BUSYONCALL, spec.BUSYWRAPUP, spec.RELEASED, 0x40, 0x03, 0x80000000],
                         ids=["BUSYONCALL", "BUSYWRAPUP", "RELEASED", "0x40", "two-bits", "0x80000000"])
def test_s4_requested_state_not_allowed(app, field, value):
    """wire-protocol §4: requesting BUSYONCALL, BUSYWRAPUP, RELEASED or an unknown value (as state or as next
    state) -> LINEERR_INVALAGENTSTATE; the session is unchanged."""
    h_session = app.session(app.agent(fresh_id("bad")), spec.SALES)
    args = (value, 0) if field == "state" else (0, value)
    expect_result(app.set_state(h_session, *args), spec.INVALAGENTSTATE,
                  f"SetAgentSessionState({field}={value:#x})")
    assert state_of(app, h_session)[0] == spec.NOTREADY
    app.set_state(h_session, spec.ENDED)


@S4
def test_s4_both_fields_zero_invalparam(app):
    """wire-protocol §4: dwAgentSessionState and dwNextAgentSessionState both 0 -> LINEERR_INVALPARAM."""
    h_session = app.session(app.agent(fresh_id("zero")), spec.SALES)
    expect_result(app.set_state(h_session, 0, 0), spec.INVALPARAM, "SetAgentSessionState(0, 0)")
    app.set_state(h_session, spec.ENDED)


@S4
@pytest.mark.parametrize("request_", [(spec.READY, 0), (spec.NOTREADY, 0), (spec.ENDED, 0), (0, spec.READY)],
                         ids=["READY", "NOTREADY", "ENDED", "next-READY"])
def test_s4_ended_is_final(app, request_):
    """wire-protocol §4: anything on an ENDED session -> LINEERR_INVALAGENTSTATE; it stays ENDED."""
    h_session = app.session(app.agent(fresh_id("end")), spec.SALES)
    app.set_state(h_session, spec.ENDED).expect_ok("SetAgentSessionState(ENDED)")
    expect_result(app.set_state(h_session, *request_), spec.INVALAGENTSTATE,
                  f"SetAgentSessionState{tuple(map(name, request_))} on an ENDED session")
    assert state_of(app, h_session)[0] == spec.ENDED


@S4
@pytest.mark.parametrize("requested", [spec.NOTREADY, spec.ENDED, spec.READY], ids=["NOTREADY", "ENDED", "READY"])
def test_s4_request_during_call_is_stored_as_next(make_app, support, requested):
    """wire-protocol §4: during BUSYONCALL/BUSYWRAPUP a requested state is stored as the next state
    (dwNextAgentSessionState) and applied when the call and wrap-up finish (agent 2001: answer 3 s, wrap-up
    10 s; talk 5 s: busy from 0 to 18)."""
    app, clock = make_app(1), support.clock
    h_session = support.new_session(app, app.agent(spec.AGENT_STATS_ID))
    app.set_state(h_session, spec.READY).expect_ok("SetAgentSessionState(READY)")
    clock.offer_call(spec.SUPPORT, 5)
    assert state_of(app, h_session)[0] == spec.BUSYONCALL, "an offered call makes the session BUSYONCALL at once"
    app.set_state(h_session, requested).expect_ok(f"SetAgentSessionState({name(requested)}) during BUSYONCALL")
    assert state_of(app, h_session) == (spec.BUSYONCALL, requested)
    clock.advance(8)  # answered at 3, hung up at 8 -> wrap-up until 18
    assert state_of(app, h_session) == (spec.BUSYWRAPUP, requested)
    clock.advance(9)
    assert state_of(app, h_session)[0] == spec.BUSYWRAPUP, "wrap-up lasts the agent's 10 s"
    clock.advance(1)
    assert state_of(app, h_session)[0] == requested, f"after wrap-up the stored {name(requested)} applies"


@S4
def test_s4_request_during_wrapup_is_stored_as_next(make_app, support):
    """wire-protocol §4: a request during BUSYWRAPUP is stored as the next state (NOTREADY, not the default
    READY, once wrap-up ends)."""
    app, clock = make_app(1), support.clock
    h_session = support.new_session(app, app.agent(spec.AGENT_STATS_ID))
    app.set_state(h_session, spec.READY).expect_ok("SetAgentSessionState(READY)")
    clock.offer_call(spec.SUPPORT, 2)
    clock.advance(6)  # answered at 3, hung up at 5, wrap-up until 15
    assert state_of(app, h_session)[0] == spec.BUSYWRAPUP
    app.set_state(h_session, spec.NOTREADY).expect_ok("SetAgentSessionState(NOTREADY) during BUSYWRAPUP")
    assert state_of(app, h_session) == (spec.BUSYWRAPUP, spec.NOTREADY)
    clock.advance(9)
    assert state_of(app, h_session)[0] == spec.NOTREADY


@S4
def test_s4_next_state_alone_applies_after_the_next_call(make_app, support):
    """wire-protocol §4 / tapi-facts §1.4: dwAgentSessionState 0 = keep; (0, NOTREADY) on a READY session keeps
    it READY and makes it NOTREADY instead of READY after its next call."""
    app, clock = make_app(1), support.clock
    h_session = support.new_session(app)
    app.set_state(h_session, spec.READY).expect_ok("SetAgentSessionState(READY)")
    app.set_state(h_session, 0, spec.NOTREADY).expect_ok("SetAgentSessionState(0, NOTREADY)")
    assert state_of(app, h_session) == (spec.READY, spec.NOTREADY)
    clock.offer_call(spec.SUPPORT, 4)
    clock.advance(4)
    assert state_of(app, h_session)[0] == spec.NOTREADY


# ---------------------------------------------------------------------------------------------- routing
@ROUTING
def test_s4_routing_longest_ready_first(make_app, support):
    """wire-protocol §4 Routing: a call goes to the session READY longest; with both busy the next call waits
    and is taken by the first session to become READY (agents with answer_delay 0, wrapup 0)."""
    app, clock = make_app(1), support.clock
    s1, s2 = support.new_session(app), support.new_session(app)
    app.set_state(s2, spec.READY).expect_ok("READY")
    clock.advance(1)
    app.set_state(s1, spec.READY).expect_ok("READY")
    clock.advance(1)
    clock.offer_call(spec.SUPPORT, 10)
    assert (state_of(app, s2)[0], state_of(app, s1)[0]) == (spec.BUSYONCALL, spec.READY), "s2 was READY longer"
    clock.offer_call(spec.SUPPORT, 20)
    assert state_of(app, s1)[0] == spec.BUSYONCALL
    clock.offer_call(spec.SUPPORT, 5)  # waits: nobody READY
    assert support.waiting_calls() == 1
    clock.advance(10)  # s2 hangs up first and takes the waiting call
    assert state_of(app, s2)[0] == spec.BUSYONCALL and app.session_info(s2)["dwNumberOfCalls"] == 2
    assert support.waiting_calls() == 0


@ROUTING
def test_s4_routing_tie_goes_to_lowest_handle(make_app, support):
    """wire-protocol §4 Routing: two sessions READY since the same instant: the call goes to the lower
    hAgentSession."""
    app, clock = make_app(1), support.clock
    a, b = support.new_session(app), support.new_session(app)
    low, high = sorted((a, b))
    app.set_state(high, spec.READY).expect_ok("READY")
    app.set_state(low, spec.READY).expect_ok("READY")
    clock.offer_call(spec.SUPPORT, 3)
    assert (state_of(app, low)[0], state_of(app, high)[0]) == (spec.BUSYONCALL, spec.READY)


@ROUTING
def test_s4_queue_is_fifo(make_app, support):
    """wire-protocol §4 Routing: calls wait in the group's FIFO queue while nobody is READY; a session that
    becomes READY takes the oldest (talk 5 first, then talk 50)."""
    app, clock = make_app(1), support.clock
    h_session = support.new_session(app)
    clock.offer_call(spec.SUPPORT, 5)
    clock.advance(2)
    clock.offer_call(spec.SUPPORT, 50)
    assert support.waiting_calls() == 2
    app.set_state(h_session, spec.READY).expect_ok("READY")
    assert state_of(app, h_session)[0] == spec.BUSYONCALL and support.waiting_calls() == 1
    clock.advance(5)  # the 5-second call ends; the session takes the 50-second one
    info = app.session_info(h_session)
    assert (info["dwAgentSessionState"], info["dwNumberOfCalls"]) == (spec.BUSYONCALL, 2), "the oldest call first"
    assert support.waiting_calls() == 0
