"""wire-protocol §8 beyond GetQueueList: the TAPI 2.2 setters (154, 156, 157) and events (LINE_AGENTSTATUSEX,
LINE_QUEUESTATUS), and the TAPI 2.0 address-based family (24-27, 66-68) with LINE_AGENTSTATUS.

The cases that change agents use fresh agent IDs on line 3 (no scenario session there) in Sales (never
routed), and log their agents out at the end; LINE_QUEUESTATUS uses the Support desk."""

from __future__ import annotations

import struct

import pytest

from . import spec
from .checks import check_structure, expect_result
from .rawclient import ConformanceFailure, VarData
from .tapi import App, AsyncResult, fresh_u32, parse_list_header
from .test_s2_events import fresh_id

S81 = pytest.mark.spec("wire-protocol §8.1")
S82 = pytest.mark.spec("wire-protocol §8.2")
LINE = 3  # the 2.0 cases' address: line 3, address 0


def address_call(app: App, func: int, size: int = 1024, address: int = 0, struct_context: int = 0,
                 context: int = 0) -> AsyncResult:
    """GetAgentActivityList / GetAgentGroupList / GetAgentStatus (tapi-facts §1.4): R, C, 16 hLine,
    20 dwAddressID, 24 ctx, 28 size."""
    return app.async_call(func, {12: context, 16: app.line.h_line, 20: address, 24: struct_context, 28: size})


def set_agent_state(app: App, state: int, next_state: int = 0, address: int = 0) -> AsyncResult:
    """SetAgentState (68): 8 R, 12 hLine, 16 dwAddressID, 20 dwAgentState, 24 dwNextAgentState."""
    return app.async_call(spec.SETAGENTSTATE, {12: app.line.h_line, 16: address, 20: state, 24: next_state})


def set_agent_group(app: App, groups: list[str], address: int = 0) -> AsyncResult:
    """SetAgentGroup (67): 8 R, 12 hLine, 16 dwAddressID, 20 the LINEAGENTGROUPLIST's VarData offset."""
    n = len(groups)
    body = struct.pack("<6I", 24 + 24 * n, 24 + 24 * n, 24 + 24 * n, n, 24 * n, 24 if n else 0)
    body += b"".join(spec.guid_bytes(g) + struct.pack("<2I", 0, 0) for g in groups)
    vd = VarData()
    off = vd.raw(body)
    return app.async_call(spec.SETAGENTGROUP, {12: app.line.h_line, 16: address, 20: off}, bytes(vd))


def parse_agent_status(data: bytes) -> tuple[tuple[int, ...], list[tuple[bytes, str]], str]:
    """LINEAGENTSTATUS (call-facts §5): the 14 DWORDs, the groups (GUID, name; names from the start of the
    LINEAGENTSTATUS) and the activity name."""
    f = spec.AGENTSTATUS.unpack_from(data)
    n, size, off = f[3], f[4], f[5]
    if size != 24 * n or (n and off + size > len(data)):
        raise ConformanceFailure(f"LINEAGENTSTATUS: {n} groups, dwGroupListSize {size} at {off}, {len(data)} bytes")
    groups = []
    for i in range(n):
        gid, name_size, name_off = spec.GROUP_ENTRY.unpack_from(data, off + 24 * i)
        raw = data[name_off:name_off + name_size]
        if len(raw) != name_size or name_size < 2 or raw[-2:] != b"\0\0":
            raise ConformanceFailure(f"LINEAGENTSTATUS group {i}: name at {name_off}+{name_size} is not a string there")
        groups.append((gid, raw[:-2].decode("utf-16-le", "replace")))
    act = data[f[10]:f[10] + f[9]]
    return f, groups, act[:-2].decode("utf-16-le", "replace") if f[9] else ""


def log_out_line_3(app: App) -> None:
    """Leave line 3's address without agent: SetAgentGroup([]) until GetAgentStatus says LOGGEDOFF (an
    interrupted case may have left an agent there; the next oldest session's agent then takes over)."""
    for _ in range(8):
        f, _, _ = parse_agent_status(address_call(app, spec.GETAGENTSTATUS).expect_ok("GetAgentStatus").data)
        if f[6] == spec.AS_LOGGEDOFF:
            return
        set_agent_group(app, []).expect_ok("SetAgentGroup([]) to clean line 3")
    raise ConformanceFailure("line 3 keeps an agent logged in after SetAgentGroup([])")


@pytest.fixture
def line3(make_app):
    """An app with line 3 open whose address has no agent before and after the case."""
    app = make_app(LINE)
    log_out_line_3(app)
    yield app
    log_out_line_3(app)


def agent_on_line_3(app: App) -> tuple[int, int]:
    """A fresh agent with a NOTREADY Sales session on line 3 address 0: (hAgent, hAgentSession)."""
    h_agent = app.agent(fresh_id("s8"))
    return h_agent, app.session(h_agent, spec.SALES)


@S82
def test_s8_get_agent_caps(make_app):
    """wire-protocol §8.2 GetAgentCaps (25; 16 hLineApp, 20 dwDeviceID, 24 dwAddressID, 28 dwAppAPIVersion,
    32 ctx, 36 size) -> LINEAGENTCAPS (72, tapi-facts §2.4): dwFeatures has a bit for every 2.0 function
    served (SETAGENTGROUP, SETAGENTSTATE, SETAGENTACTIVITY, GETAGENTACTIVITYLIST, GETAGENTGROUP = 0x37),
    dwStates/dwNextStates name READY and NOTREADY, dwMaxNumGroupEntries = the number of groups (2)."""
    app = make_app(0)
    ctx = fresh_u32(0x5)
    res = app.async_call(spec.GETAGENTCAPS, {12: 0, 16: app.h_line_app, 20: 0, 24: 0, 28: spec.API_AGENT,
                                             32: ctx, 36: 1024})
    _, needed, used = check_structure(res, 1024, 72, "GetAgentCaps")
    f = spec.AGENTCAPS.unpack_from(res.data)
    assert f[6] == 0x37, f"dwFeatures {f[6]:#x}, expected 0x37"
    assert f[7] & spec.AS_READY and f[7] & spec.AS_NOTREADY and f[8] & spec.AS_READY, f"dwStates {f[7]:#x}/{f[8]:#x}"
    assert f[9] == 2, f"dwMaxNumGroupEntries {f[9]}"
    assert 0 < f[5] <= spec.API_AGENT, f"dwCapsVersion {f[5]:#x}"
    if f[3]:
        assert 72 <= f[4] and f[4] + f[3] <= used, f"handler name at {f[4]}+{f[3]} outside dwUsedSize {used}"
    assert res.reply.param3 == ctx, f"Param3 {res.reply.param3:#x}, expected the struct context"
    short = app.async_call(spec.GETAGENTCAPS, {16: app.h_line_app, 20: 0, 28: spec.API_AGENT, 36: 71})
    expect_result(short, spec.STRUCTURETOOSMALL, "GetAgentCaps of 71 bytes")


@S82
def test_s8_get_agent_status_of_the_scenario_agent(make_app):
    """wire-protocol §8.2 GetAgentStatus (27) of line 0: agent 1001's scenario session (READY in Sales, the
    address's oldest live session) -> dwState READY (LINEAGENTSTATE_ 0x4), Sales among the groups with its
    name resolved from the start of the LINEAGENTSTATUS (call-facts §5)."""
    app = make_app(0)
    res = address_call(app, spec.GETAGENTSTATUS, size=1000)
    check_structure(res, 1000, 56, "GetAgentStatus")
    f, groups, _ = parse_agent_status(res.data)
    assert f[6] == spec.AS_READY, f"dwState {f[6]:#x}, expected READY 0x4"
    assert (spec.guid_bytes(spec.SALES), spec.SALES_NAME) in groups, f"groups {groups}"
    expect_result(address_call(app, spec.GETAGENTSTATUS, address=1), spec.INVALADDRESSID, "GetAgentStatus address 1")


@S82
def test_s8_group_and_activity_lists(make_app):
    """wire-protocol §8.2 GetAgentGroupList (26) lists the groups the agent may log into (both), and
    GetAgentActivityList (24) the scenario's activities (none here); SetAgentActivity (66) of an unknown
    activity -> LINEERR_INVALAGENTACTIVITY."""
    app = make_app(0)
    res = address_call(app, spec.GETAGENTGROUPLIST)
    check_structure(res, 1024, 24, "GetAgentGroupList")
    assert parse_list_header(res.data).num_entries == 2
    acts = address_call(app, spec.GETAGENTACTIVITYLIST)
    check_structure(acts, 1024, 24, "GetAgentActivityList")
    assert parse_list_header(acts.data).num_entries == 0
    bad = app.async_call(spec.SETAGENTACTIVITY, {12: app.line.h_line, 16: 0, 20: 99})
    expect_result(bad, spec.INVALAGENTACTIVITY, "SetAgentActivity(99)")


@S82
def test_s8_2_0_set_state_is_seen_by_both_families(make_app, line3):
    """wire-protocol §8.2: SetAgentState (68) READY on line 3 puts the address's agent's session READY
    (GetAgentSessionInfo, 2.2) and sends LINE_AGENTSTATUS 22 (Param1 address 0, Param2 STATE, Param3 READY
    0x4) to the lines open on line 3 and LINE_AGENTSTATUSEX 29 (STATE, READY) to every connection;
    SetAgentGroup (67) with no group logs the agent out (session ENDED, dwState LOGGEDOFF)."""
    app, watcher, elsewhere = line3, make_app(LINE), make_app(1)
    h_agent, h_session = agent_on_line_3(app)
    set_agent_state(app, spec.AS_READY).expect_ok("SetAgentState(READY)")
    assert app.session_info(h_session)["dwAgentSessionState"] == spec.READY
    rec = watcher.conn.wait_record(
        lambda r: r.msg == spec.LINE_AGENTSTATUS and r.param2 & spec.AGENTSTATUS_STATE and r.param3 == spec.AS_READY,
        "LINE_AGENTSTATUS STATE READY on the watcher of line 3")
    assert rec.param1 == 0 and rec.h_device == watcher.line.h_remote_line, f"{rec}"
    ex = elsewhere.conn.wait_record(
        lambda r: r.msg == spec.LINE_AGENTSTATUSEX and r.param1 == h_agent and r.param2 & spec.AGENTSTATUSEX_STATE
        and r.param3 == spec.ASX_READY, "LINE_AGENTSTATUSEX STATE READY on another connection")
    assert ex.h_device == elsewhere.line.h_remote_line, f"{ex}"
    f, groups, _ = parse_agent_status(address_call(watcher, spec.GETAGENTSTATUS).expect_ok("GetAgentStatus").data)
    assert f[6] == spec.AS_READY and [n for _, n in groups] == [spec.SALES_NAME], f"{f} {groups}"
    set_agent_group(app, []).expect_ok("SetAgentGroup([])")
    assert app.session_info(h_session)["dwAgentSessionState"] == spec.ENDED
    watcher.conn.wait_record(
        lambda r: r.msg == spec.LINE_AGENTSTATUS and r.param2 & spec.AGENTSTATUS_GROUP and r.param3 == spec.AS_LOGGEDOFF,
        "LINE_AGENTSTATUS GROUP|STATE LOGGEDOFF after SetAgentGroup([])")


@S82
def test_s8_2_2_change_reaches_the_2_0_view(line3):
    """wire-protocol §8.2: a session made READY with SetAgentSessionState (2.2) is READY in GetAgentStatus
    (2.0) at once, with LINE_AGENTSTATUS STATE READY; SetAgentGroup (67) into Support creates a NOTREADY
    session on the address; unknown group -> LINEERR_INVALAGENTGROUP and nothing changes."""
    app = line3
    h_agent, h_session = agent_on_line_3(app)
    app.set_state(h_session, spec.READY).expect_ok("SetAgentSessionState(READY)")
    app.conn.wait_record(lambda r: r.msg == spec.LINE_AGENTSTATUS and r.param3 == spec.AS_READY,
                         "LINE_AGENTSTATUS READY after a 2.2 change")
    f, _, _ = parse_agent_status(address_call(app, spec.GETAGENTSTATUS).expect_ok("GetAgentStatus").data)
    assert f[6] == spec.AS_READY, f"dwState {f[6]:#x}"
    expect_result(set_agent_group(app, [spec.SALES, "00000000-0000-0000-0000-0000000000ab"]), spec.INVALAGENTGROUP,
                  "SetAgentGroup with an unknown group")
    set_agent_group(app, [spec.SALES, spec.SUPPORT]).expect_ok("SetAgentGroup(Sales, Support)")
    _, groups, _ = parse_agent_status(address_call(app, spec.GETAGENTSTATUS).expect_ok("GetAgentStatus").data)
    assert [n for _, n in groups] == [spec.SALES_NAME, "Support"], f"{groups}"
    set_agent_group(app, []).expect_ok("SetAgentGroup([])")


@S82
def test_s8_2_refusals(make_app):
    """wire-protocol §8.2: SetAgentState with a state SetAgentState does not accept (BUSYACD) ->
    LINEERR_INVALAGENTSTATE; address 1 -> LINEERR_INVALADDRESSID; both states 0 -> LINEERR_INVALPARAM."""
    app = make_app(0)
    expect_result(set_agent_state(app, spec.AS_BUSYACD), spec.INVALAGENTSTATE, "SetAgentState(BUSYACD)")
    expect_result(set_agent_state(app, spec.AS_READY, address=1), spec.INVALADDRESSID, "SetAgentState address 1")
    expect_result(set_agent_state(app, 0, 0), spec.INVALPARAM, "SetAgentState(0, 0)")


@S81
def test_s8_set_agent_state_ex(line3):
    """wire-protocol §8.1 SetAgentStateEx (157; 8 R, 12 hLine, 16 hAgent, 20 state, 24 next): READY applies
    to every live session of the agent (LINEAGENTINFO.dwAgentState READY); BUSYACD ->
    LINEERR_INVALAGENTSTATE; unknown hAgent -> LINEERR_INVALAGENTID."""
    app = line3
    h_agent, h_session = agent_on_line_3(app)
    call = lambda agent, state: app.async_call(spec.SETAGENTSTATEEX, {12: app.line.h_line, 16: agent, 20: state})  # noqa: E731
    call(h_agent, spec.ASX_READY).expect_ok("SetAgentStateEx(READY)")
    assert app.session_info(h_session)["dwAgentSessionState"] == spec.READY
    assert struct.unpack_from("<I", app.get_agent_info(h_agent).expect_ok("GetAgentInfo").data, 12)[0] == spec.ASX_READY
    expect_result(call(h_agent, spec.ASX_BUSYACD), spec.INVALAGENTSTATE, "SetAgentStateEx(BUSYACD)")
    expect_result(call(0x7FFF0001, spec.ASX_READY), spec.INVALAGENTID, "SetAgentStateEx of an unknown hAgent")
    app.set_state(h_session, spec.ENDED).expect_ok("end the session")


@S81
def test_s8_measurement_periods(make_app):
    """wire-protocol §8.1/§7.8: SetAgentMeasurementPeriod (154; 12 hLine, 16 hAgent, 20 seconds) sets
    LINEAGENTINFO.dwMeasurementPeriod; 0 -> LINEERR_INVALPARAM, unknown hAgent -> LINEERR_INVALAGENTID;
    SetQueueMeasurementPeriod (156; 16 dwQueueID) sets LINEQUEUEINFO.dwMeasurementPeriod; 0 or an unknown
    queue -> LINEERR_INVALPARAM."""
    app = make_app(0)
    h_agent = app.agent(fresh_id("period"))
    period = lambda func, target, seconds: app.async_call(func, {12: app.line.h_line, 16: target, 20: seconds})  # noqa: E731
    period(spec.SETAGENTMEASUREMENTPERIOD, h_agent, 900).expect_ok("SetAgentMeasurementPeriod(900)")
    assert struct.unpack_from("<I", app.get_agent_info(h_agent).expect_ok("GetAgentInfo").data, 20)[0] == 900
    expect_result(period(spec.SETAGENTMEASUREMENTPERIOD, h_agent, 0), spec.INVALPARAM, "agent period 0")
    expect_result(period(spec.SETAGENTMEASUREMENTPERIOD, 0x7FFF0002, 9), spec.INVALAGENTID, "unknown hAgent")
    period(spec.SETQUEUEMEASUREMENTPERIOD, spec.SALES_QUEUE, 0x7FFFFFFF).expect_ok("SetQueueMeasurementPeriod")
    assert app.queue_info(spec.SALES_QUEUE)["dwMeasurementPeriod"] == 0x7FFFFFFF
    expect_result(period(spec.SETQUEUEMEASUREMENTPERIOD, spec.SALES_QUEUE, 0), spec.INVALPARAM, "queue period 0")
    expect_result(period(spec.SETQUEUEMEASUREMENTPERIOD, 99, 60), spec.INVALPARAM, "unknown queue")


@S81
def test_s8_queue_status_when_a_call_enters(make_app, support):
    """wire-protocol §8.1: a call entering the Support queue sends LINE_QUEUESTATUS 28 (Param1 dwQueueID 2,
    Param2 UPDATEINFO) to every connection with a line open, the ones that did nothing included."""
    bystander = make_app(1)
    support.clock.offer_call(spec.SUPPORT, 5)
    rec = bystander.conn.wait_record(
        lambda r: r.msg == spec.LINE_QUEUESTATUS and r.param1 == spec.SUPPORT_QUEUE,
        "LINE_QUEUESTATUS for the Support queue")
    assert rec.param2 & spec.QUEUESTATUS_UPDATEINFO and rec.h_device == bystander.line.h_remote_line, f"{rec}"
