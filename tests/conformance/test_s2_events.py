"""wire-protocol §2 Events and handle ownership: LINE_AGENTSESSIONSTATUS goes to every connection that
has the session's line open and to no other; an hLine belongs to the connection that opened it."""

from __future__ import annotations

import uuid

import pytest

from . import spec
from .checks import expect_sync
from .rawclient import RawConnection, Record
from .tapi import App, Line

EVENTS = pytest.mark.spec("wire-protocol §2 Events")
OWNERSHIP = pytest.mark.spec("wire-protocol §2 handle ownership")


def fresh_id(tag: str) -> str:
    return f"cf-{tag}-{uuid.uuid4().hex[:10]}"


def status_events(conn: RawConnection, h_session: int) -> list[Record]:
    return [r for r in conn.all_records if r.msg == spec.LINE_AGENTSESSIONSTATUS and r.param1 == h_session]


def wait_state(conn: RawConnection, h_session: int, state: int) -> Record:
    return conn.wait_record(
        lambda r: r.msg == spec.LINE_AGENTSESSIONSTATUS and r.param1 == h_session
        and r.param2 & spec.STATUS_STATE and r.param3 == state,
        f"LINE_AGENTSESSIONSTATUS(STATE, {spec.STATE_NAMES[state]}) for session {h_session:#x}")


def check_event_header(rec: Record, app: App, line: Line) -> None:
    """ASYNCEVENTMSG of a line event (tapi-facts §1.3): 40 bytes, the receiver's InitContext, OpenContext and
    hRemoteLine, PostProcessProcContext 0; Param3 is a state only when the STATE bit is set, else 0."""
    assert rec.total_size == 40, f"TotalSize {rec.total_size}"
    assert rec.h_device == line.h_remote_line, f"hDevice {rec.h_device:#x}, receiver's hRemoteLine {line.h_remote_line:#x}"
    assert rec.init_context == app.init_context, f"InitContext {rec.init_context:#x}, receiver's {app.init_context:#x}"
    assert rec.open_context == line.open_context, f"OpenContext {rec.open_context:#x}, receiver's {line.open_context:#x}"
    assert rec.post_process_context == 0, f"PostProcessProcContext {rec.post_process_context:#x} in an event"
    assert rec.param2 and not rec.param2 & ~0x7, f"Param2 {rec.param2:#x}: only bits 1, 2, 4 are defined"
    if rec.param2 & spec.STATUS_STATE:
        assert rec.param3 in spec.STATE_NAMES, f"Param3 {rec.param3:#x} is no LINEAGENTSESSIONSTATE_"
    else:
        assert rec.param3 == 0, f"Param3 {rec.param3:#x} without the STATE bit, must be 0"


@EVENTS
def test_s2_events_go_to_the_right_connections_only(make_app):
    """wire-protocol §2 Events: LINE_AGENTSESSIONSTATUS (NEWSESSION, then STATE READY, then STATE ENDED, Param3
    = the new state) reaches both connections with line 1 open, each with its own InitContext, OpenContext
    and hRemoteLine; a connection with only line 2 open and one with no line get none of them."""
    creator, watcher, other_line, no_line = make_app(1), make_app(1), make_app(2), make_app(initialize=True)
    assert no_line.close_line(no_line.line.h_line).ack == 0
    h_session = creator.session(creator.agent(fresh_id("ev")), spec.SALES, line=creator.line)
    creator.set_state(h_session, spec.READY).expect_ok("SetAgentSessionState(READY)")
    creator.set_state(h_session, spec.ENDED).expect_ok("SetAgentSessionState(ENDED)")
    for app in (creator, watcher):
        wait_state(app.conn, h_session, spec.ENDED)
        events = status_events(app.conn, h_session)
        for rec in events:
            check_event_header(rec, app, app.line)
        assert events[0].param2 & spec.STATUS_NEWSESSION, f"first event for a new session lacks NEWSESSION: {events[0]!r}"
        states = [r.param3 for r in events if r.param2 & spec.STATUS_STATE]
        assert states[-2:] == [spec.READY, spec.ENDED], f"STATE events {states}"
    # barrier: events of the other line's own session arrive after any stray event for line 1 would have
    own = other_line.session(other_line.agent(fresh_id("ev2")), spec.SALES)
    other_line.set_state(own, spec.ENDED).expect_ok("SetAgentSessionState(ENDED)")
    wait_state(other_line.conn, own, spec.ENDED)
    assert not status_events(other_line.conn, h_session), "a connection without line 1 open got line 1's events"
    no_line.conn.drain(0.2)
    assert not no_line.conn.all_records, f"a connection without any open line got {no_line.conn.all_records[:3]}"


@EVENTS
def test_s2_no_events_after_close(make_app):
    """wire-protocol §2 Events: after Close a connection no longer has the line open and gets no more of its
    events."""
    creator, watcher = make_app(1), make_app(1, 2)
    h_session = creator.session(creator.agent(fresh_id("cl")), spec.SALES, line=creator.line)
    wait_state_or_new = watcher.conn.wait_record(
        lambda r: r.msg == spec.LINE_AGENTSESSIONSTATUS and r.param1 == h_session, "NEWSESSION on the watcher")
    assert wait_state_or_new.h_device == watcher.lines[0].h_remote_line
    assert watcher.close_line(watcher.lines[0].h_line).ack == 0
    creator.set_state(h_session, spec.ENDED).expect_ok("SetAgentSessionState(ENDED)")
    wait_state(creator.conn, h_session, spec.ENDED)
    own = watcher.session(watcher.agent(fresh_id("cl2"), line=watcher.lines[1]), spec.SALES, line=watcher.lines[1])
    watcher.set_state(own, spec.ENDED, line=watcher.lines[1])
    wait_state(watcher.conn, own, spec.ENDED)  # barrier
    late = [r for r in status_events(watcher.conn, h_session) if r.param2 & spec.STATUS_STATE]
    assert not late, f"events for a closed line: {late}"


@EVENTS
def test_s2_updateinfo_when_statistics_change(make_app, support):
    """wire-protocol §2 Events: STATE events follow the call (BUSYONCALL, BUSYWRAPUP, READY) and UPDATEINFO is
    sent when a statistic changes other than by time: at answer, at hang-up and when wrap-up ends (agent 2001:
    answer_delay 3, wrapup 10; talk 4)."""
    app = make_app(1)
    h_session = support.new_session(app, app.agent(spec.AGENT_STATS_ID))
    app.set_state(h_session, spec.READY).expect_ok("SetAgentSessionState(READY)")
    wait_state(app.conn, h_session, spec.READY)
    clock, conn = support.clock, app.conn

    def seen(bits: int, state: int | None, since: int, what: str) -> Record:
        return conn.wait_seen(lambda r: r.msg == spec.LINE_AGENTSESSIONSTATUS and r.param1 == h_session
                              and r.param2 & bits == bits and (state is None or r.param3 == state), what, since)

    mark = len(conn.all_records)
    clock.offer_call(spec.SUPPORT, 4)
    seen(spec.STATUS_STATE, spec.BUSYONCALL, mark, "STATE BUSYONCALL at the offer")
    mark = len(conn.all_records)
    clock.advance(3)
    seen(spec.STATUS_UPDATEINFO, None, mark, "UPDATEINFO at answer")
    mark = len(conn.all_records)
    clock.advance(4)
    seen(spec.STATUS_STATE, spec.BUSYWRAPUP, mark, "STATE BUSYWRAPUP at hang-up")
    seen(spec.STATUS_UPDATEINFO, None, mark, "UPDATEINFO at hang-up")
    mark = len(conn.all_records)
    clock.advance(10)
    seen(spec.STATUS_STATE, spec.READY, mark, "STATE READY when wrap-up ends")
    seen(spec.STATUS_UPDATEINFO, None, mark, "UPDATEINFO when wrap-up ends")
    for rec in status_events(app.conn, h_session):
        check_event_header(rec, app, app.line)


@OWNERSHIP
@pytest.mark.parametrize("name", ["Close", "GetGroupList", "GetAgentSessionInfo", "SetAgentSessionState", "CreateAgent"])
def test_s2_other_connections_hline_is_invalid(make_app, name):
    """wire-protocol §2: hLine belongs to the connection that opened it; any other connection using it gets
    LINEERR_INVALLINEHANDLE, and the owner's line keeps working."""
    owner, intruder = make_app(0), make_app(0)
    h_session = owner.session(owner.agent(fresh_id("own")), spec.SALES)
    stolen = owner.line
    if name == "Close":
        resp = intruder.close_line(stolen.h_line)
        assert resp.ack == spec.INVALLINEHANDLE, f"Close of another connection's hLine: {spec.describe(resp.ack)}"
    elif name == "GetGroupList":
        expect_sync(intruder.get_group_list(line=stolen), spec.INVALLINEHANDLE, "GetGroupList on a foreign hLine")
    elif name == "GetAgentSessionInfo":
        expect_sync(intruder.get_session_info(h_session, line=stolen), spec.INVALLINEHANDLE,
                    "GetAgentSessionInfo on a foreign hLine")
    elif name == "SetAgentSessionState":
        expect_sync(intruder.set_state(h_session, spec.READY, line=stolen), spec.INVALLINEHANDLE,
                    "SetAgentSessionState on a foreign hLine")
    else:
        expect_sync(intruder.create_agent(spec.AGENT_PLAIN_ID, line=stolen), spec.INVALLINEHANDLE,
                    "CreateAgent on a foreign hLine")
    assert owner.session_info(h_session)["dwAgentSessionState"] == spec.NOTREADY, "the intruder changed the session"
    owner.set_state(h_session, spec.ENDED).expect_ok("owner's SetAgentSessionState after the intrusion")
