"""wire-protocol §7 (ACD model 1.1) on the wire: §7.1 one live session per agent and group.

The cases use fresh agent IDs in Sales (never routed) and Support without making any session READY, so no
call is routed to them, and they end every session they create."""

from __future__ import annotations

import pytest

from . import spec
from .checks import expect_result
from .tapi import parse_session_list
from .test_s2_events import fresh_id

S71 = pytest.mark.spec("wire-protocol §7.1")


def _session_handles(app, h_agent: int) -> list[int]:
    res = app.get_session_list(h_agent, size=0x4000).expect_ok("GetAgentSessionList")
    return [e[0] for e in parse_session_list(res.data)[1]]


@S71
def test_s7_1_second_live_session_in_one_group_invalagentgroup(make_app):
    """wire-protocol §7.1: an agent has at most one session per group that is not ENDED. A second
    CreateAgentSession in the same group -> LINEERR_INVALAGENTGROUP (also on another line) and creates
    nothing; a session in another group is allowed; after the first one ENDED a new one in its group is
    allowed (NOTREADY, a new hAgentSession)."""
    app = make_app(0, 1)
    h_agent = app.agent(fresh_id("one"))
    first = app.session(h_agent, spec.SALES)
    expect_result(app.create_session(h_agent, spec.SALES), spec.INVALAGENTGROUP,
                  "a second CreateAgentSession in Sales while the first is NOTREADY")
    expect_result(app.create_session(h_agent, spec.SALES, line=app.lines[1]), spec.INVALAGENTGROUP,
                  "a second CreateAgentSession in Sales on another line")
    assert _session_handles(app, h_agent) == [first], "a refused CreateAgentSession must create no session"
    other = app.session(h_agent, spec.SUPPORT)  # another group: allowed
    assert other != first
    app.set_state(first, spec.ENDED).expect_ok("SetAgentSessionState(ENDED)")
    again = app.session(h_agent, spec.SALES, line=app.lines[1])  # after ENDED: allowed
    assert again not in (first, other), f"hAgentSession {again} reused"
    assert app.session_info(again)["dwAgentSessionState"] == spec.NOTREADY
    assert _session_handles(app, h_agent) == [first, other, again], "sessions listed oldest first, ENDED included"
    expect_result(app.create_session(h_agent, spec.SUPPORT), spec.INVALAGENTGROUP,
                  "a second CreateAgentSession in Support")
    for h in (other, again):
        app.set_state(h, spec.ENDED).expect_ok("SetAgentSessionState(ENDED)")


@S71
def test_s7_1_scenario_session_counts(app):
    """wire-protocol §7.1: the scenario's live Sales session of agent 1001 counts: CreateAgentSession of
    1001 in Sales -> LINEERR_INVALAGENTGROUP."""
    h_agent = app.agent(spec.AGENT_PIN_ID, spec.AGENT_PIN)
    expect_result(app.create_session(h_agent, spec.SALES, pin=spec.AGENT_PIN), spec.INVALAGENTGROUP,
                  "CreateAgentSession of agent 1001 in Sales (it has the scenario's live session there)")
