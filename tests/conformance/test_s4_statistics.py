"""wire-protocol §4 statistics: every field of LINEAGENTSESSIONINFO at chosen instants of scripted calls
on the manual clock, computed by hand here from the §4 table (never by our switch model).

Each case owns a fresh session in the Support group (the ``support`` fixture guarantees nobody else is
READY there and the queue is empty), so cases sharing one server do not disturb each other.
"""

from __future__ import annotations

import math
import uuid
from fractions import Fraction as F

import pytest

from . import spec
from .tapi import App, parse_session_list

STATS = pytest.mark.spec("wire-protocol §4 statistics / tapi-facts §2.1")


def expected(*, state: int, duration: F, calls: int, talk: F, wrapup: F, answer_waits: list[F]) -> dict[str, int]:
    """The §4 table, by hand: exact sums floored only when reported; averages over dwNumberOfCalls; CY =
    calls x 3600 / exact duration x 10,000 rounded to nearest (0 if the duration is 0)."""
    def avg(total: F) -> int:
        return math.floor(total / calls) if calls else 0

    rate = 0 if duration == 0 else math.floor(F(calls * 3600 * 10000) / duration + F(1, 2))
    return {
        "dwAgentSessionState": state,
        "dwSessionDuration": math.floor(duration),
        "dwNumberOfCalls": calls,
        "dwTotalTalkTime": math.floor(talk),
        "dwAverageTalkTime": avg(talk),
        "dwTotalCallTime": math.floor(talk + wrapup),
        "dwAverageCallTime": avg(talk + wrapup),
        "dwTotalWrapUpTime": math.floor(wrapup),
        "dwAverageWrapUpTime": avg(wrapup),
        "cyACDCallRate": rate,
        "dwLongestTimeToAnswer": math.floor(max(answer_waits, default=0)),
        "dwAverageTimeToAnswer": avg(sum(answer_waits, F(0))),
    }


def check(app: App, h_session: int, at: str, **kwargs) -> None:
    want = expected(**kwargs)
    info = app.session_info(h_session)
    got = {k: info[k] for k in want}
    diff = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
    assert not diff, f"at {at}: fields (got, expected) {diff}"
    assert (info["dwTotalSize"], info["dwNeededSize"], info["dwUsedSize"]) == (76, 76, 76)


@STATS
def test_s4_statistics_two_calls_with_answer_delay_and_wrapup(make_app, support):
    """wire-protocol §4: agent 2001 (answer_delay 3, wrapup 10), one READY session from t=0; call 1 (talk 20)
    arrives at 5, answered at 8, wrap-up 28..38; call 2 (talk 7) arrives at 12, waits, is offered at 38,
    answered at 41 (waited 29), wrap-up 48..58; the session ENDs at 60. Every field at 0, 6, 10, 30, 38, 45,
    60 and 100 (duration frozen at 60)."""
    app, clock = make_app(1), support.clock
    h = support.new_session(app, app.agent(spec.AGENT_STATS_ID))
    app.set_state(h, spec.READY).expect_ok("READY")
    check(app, h, "t=0", state=spec.READY, duration=F(0), calls=0, talk=F(0), wrapup=F(0), answer_waits=[])
    clock.advance(5)
    clock.offer_call(spec.SUPPORT, 20)
    clock.advance(1)
    check(app, h, "t=6 (offered, not answered)", state=spec.BUSYONCALL, duration=F(6), calls=0, talk=F(0),
          wrapup=F(0), answer_waits=[])
    clock.advance(4)
    check(app, h, "t=10 (talking since 8)", state=spec.BUSYONCALL, duration=F(10), calls=1, talk=F(2),
          wrapup=F(0), answer_waits=[F(3)])
    clock.advance(2)
    clock.offer_call(spec.SUPPORT, 7)
    clock.advance(18)
    check(app, h, "t=30 (wrap-up since 28)", state=spec.BUSYWRAPUP, duration=F(30), calls=1, talk=F(20),
          wrapup=F(2), answer_waits=[F(3)])
    clock.advance(8)
    check(app, h, "t=38 (call 2 offered)", state=spec.BUSYONCALL, duration=F(38), calls=1, talk=F(20),
          wrapup=F(10), answer_waits=[F(3)])
    clock.advance(7)
    check(app, h, "t=45 (call 2 talking since 41)", state=spec.BUSYONCALL, duration=F(45), calls=2,
          talk=F(24), wrapup=F(10), answer_waits=[F(3), F(29)])
    clock.advance(15)
    check(app, h, "t=60 (READY since 58)", state=spec.READY, duration=F(60), calls=2, talk=F(27),
          wrapup=F(20), answer_waits=[F(3), F(29)])
    app.set_state(h, spec.ENDED).expect_ok("ENDED")
    clock.advance(40)
    check(app, h, "t=100 (ENDED at 60)", state=spec.ENDED, duration=F(60), calls=2, talk=F(27),
          wrapup=F(20), answer_waits=[F(3), F(29)])


@STATS
def test_s4_statistics_fractional_times(make_app, support):
    """wire-protocol §4: exact sums are real numbers floored only when reported, and cyACDCallRate is rounded
    to nearest (not floored): a fresh agent (answer 0, wrap-up 0) driven in millisecond steps."""
    app, clock = make_app(1), support.clock
    h = support.new_session(app)
    app.set_state(h, spec.READY).expect_ok("READY")
    clock.advance(0.25)
    clock.offer_call(spec.SUPPORT, 3)  # answered at 0.25, ends 3.25
    clock.advance(1.5)
    check(app, h, "t=1.75", state=spec.BUSYONCALL, duration=F(7, 4), calls=1, talk=F(3, 2), wrapup=F(0),
          answer_waits=[F(0)])  # rate 3600/1.75 = 2057.1428..6 -> 20571429 (floor would say ...28)
    clock.advance(2.5)
    check(app, h, "t=4.25", state=spec.READY, duration=F(17, 4), calls=1, talk=F(3), wrapup=F(0),
          answer_waits=[F(0)])
    clock.offer_call(spec.SUPPORT, 2)  # answered at 4.25, ends 6.25
    clock.advance(0.625)
    check(app, h, "t=4.875", state=spec.BUSYONCALL, duration=F(39, 8), calls=2, talk=F(29, 8), wrapup=F(0),
          answer_waits=[F(0), F(0)])  # rate 7200/4.875 -> 14769230.8 -> 14769231
    clock.offer_call(spec.SUPPORT, 1)  # arrives 4.875, waits until 6.25 (1.375 s), ends 7.25
    clock.advance(1.375)
    check(app, h, "t=6.25 (call 2 ends, call 3 taken)", state=spec.BUSYONCALL, duration=F(25, 4), calls=3,
          talk=F(5), wrapup=F(0), answer_waits=[F(0), F(0), F(11, 8)])
    clock.advance(1)
    check(app, h, "t=7.25 (call 3 ended)", state=spec.READY, duration=F(29, 4), calls=3, talk=F(6), wrapup=F(0),
          answer_waits=[F(0), F(0), F(11, 8)])


@STATS
def test_s4_session_start_time_of_scenario_session(app):
    """wire-protocol §4 dateSessionStartTime: the scenario's session of agent 1001 (at = 0) started at the
    scenario start, 2026-11-26 09:00 UTC, as an OLE DATE (days since 1899-12-30, fraction = part of day);
    GetAgentSessionList lists it first (oldest first)."""
    h_agent = app.agent(spec.AGENT_PIN_ID, spec.AGENT_PIN)
    res = app.get_session_list(h_agent, size=0x40000).expect_ok("GetAgentSessionList(1001)")
    head, entries = parse_session_list(res.data)
    assert head.num_entries >= 1, "agent 1001 has a session from the scenario"
    first = entries[0][0]
    info = app.session_info(first)
    want = spec.ole_date(spec.SCENARIO_START)
    assert abs(info["dateSessionStartTime"] - want) < 1e-8, (
        f"dateSessionStartTime {info['dateSessionStartTime']!r}, expected {want!r} (2026-11-26 09:00 UTC)")


@STATS
def test_s4_session_start_time_follows_the_clock(make_app, control):
    """wire-protocol §4 dateSessionStartTime: creation time on the switch clock: two sessions created 12.5 s
    apart (in Sales and Support: one live session per agent and group, §7.1) differ by 12.5/86400 days, and
    a new session's start minus the scenario start equals (to the millisecond) the time the scenario's
    never-ended session reports as dwSessionDuration."""
    app = make_app(1)
    scen_agent = app.agent(spec.AGENT_PIN_ID, spec.AGENT_PIN)
    head, entries = parse_session_list(app.get_session_list(scen_agent, size=0x40000).expect_ok("list").data)
    scenario_session = entries[0][0]
    h_agent = app.agent(f"cf-date-{uuid.uuid4().hex[:10]}")
    s1 = app.session(h_agent, spec.SALES)
    d1 = app.session_info(s1)["dateSessionStartTime"]
    elapsed_ms = round((d1 - spec.ole_date(spec.SCENARIO_START)) * 86400 * 1000)
    assert app.session_info(scenario_session)["dwSessionDuration"] == elapsed_ms // 1000
    control.advance(12.5)
    s2 = app.session(h_agent, spec.SUPPORT)
    d2 = app.session_info(s2)["dateSessionStartTime"]
    assert abs((d2 - d1) - 12.5 / 86400) < 1e-8, f"start times differ by {(d2 - d1) * 86400} s, expected 12.5"
    for h in (s1, s2):
        app.set_state(h, spec.ENDED)


@STATS
def test_s4_queue_counts_waiting_calls(make_app, support):
    """wire-protocol §4 / tapi-facts §2.4 LINEQUEUEINFO: dwCurrentCallsQueued counts calls waiting in the group's
    queue and dwTotalCallsQueued grows with each queued call."""
    app, clock = make_app(1), support.clock
    before = app.queue_info(spec.SUPPORT_QUEUE)
    assert before["dwCurrentCallsQueued"] == 0
    h = support.new_session(app)
    clock.offer_call(spec.SUPPORT, 5)
    clock.offer_call(spec.SUPPORT, 5)
    mid = app.queue_info(spec.SUPPORT_QUEUE)
    assert mid["dwCurrentCallsQueued"] == 2
    assert mid["dwTotalCallsQueued"] == before["dwTotalCallsQueued"] + 2
    app.set_state(h, spec.READY).expect_ok("READY")
    clock.advance(5)
    after = app.queue_info(spec.SUPPORT_QUEUE)
    assert after["dwCurrentCallsQueued"] == 0, "both calls were taken by the READY session"
