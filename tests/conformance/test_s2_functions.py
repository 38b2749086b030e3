"""wire-protocol §2: every function with its success layout and each listed synchronous error."""

from __future__ import annotations

import struct
import uuid

import pytest

from . import spec
from .checks import check_structure, expect_failure, expect_result, expect_sync
from .rawclient import VarData
from .tapi import App, parse_agent_info, parse_group_list, parse_queue_info, parse_session_info, parse_session_list

S2 = pytest.mark.spec("wire-protocol §2")


def fresh_id(tag: str) -> str:
    return f"cf-{tag}-{uuid.uuid4().hex[:10]}"


# ---------------------------------------------------------------------------------------------- Initialize
@S2
def test_s2_initialize(connect):
    """wire-protocol §2 Initialize (47): RESPONSE 0, a nonzero hLineApp at 8, dwNumDevs at 24 = the
    scenario's 4 lines."""
    app = App(connect())
    resp = app.initialize()
    assert resp.ack == 0, f"Initialize returned {spec.describe(resp.ack)}"
    assert resp.u32(8) != 0, "hLineApp 0: handles are nonzero"
    assert resp.u32(24) == spec.SCENARIO_LINES, f"dwNumDevs {resp.u32(24)}, the scenario has 4 lines"


def _before_init_requests() -> list:
    vd = VarData()
    off = vd.string("3001")
    return [
        pytest.param(spec.OPEN, {8: 1, 12: 0, 20: spec.API_MAX, 40: spec.TAPI_NO_DATA, 48: spec.TAPI_NO_DATA, 52: 1},
                     b"", id="Open"),
        pytest.param(spec.CLOSE, {8: 1}, b"", id="Close"),
        pytest.param(spec.SHUTDOWN, {8: 1}, b"", id="ShutDown"),
        pytest.param(spec.NEGOTIATEAPIVERSION, {8: 1, 16: spec.API_MIN, 20: spec.API_MAX, 28: 0, 32: 16}, bytes(16),
                     id="NegotiateAPIVersion"),
        pytest.param(spec.CREATEAGENT, {16: 1, 20: off, 24: spec.TAPI_NO_DATA}, bytes(vd), id="CreateAgent"),
        pytest.param(spec.GETAGENTSESSIONINFO, {16: 1, 20: 1, 28: 76}, b"", id="GetAgentSessionInfo"),
        pytest.param(spec.GETGROUPLIST, {16: 1, 24: 1024}, b"", id="GetGroupList"),
        pytest.param(spec.SETAGENTSESSIONSTATE, {12: 1, 16: 1, 20: spec.READY}, b"", id="SetAgentSessionState"),
    ]


@S2
@pytest.mark.parametrize("func, params, vardata", _before_init_requests())
def test_s2_request_before_initialize_uninitialized(connect, func, params, vardata):
    """wire-protocol §2: a request before Initialize -> synchronous LINEERR_UNINITIALIZED; the connection
    stays up (Initialize still works)."""
    conn = connect()
    resp = conn.call(func, params, vardata)
    assert resp.ack == spec.UNINITIALIZED, f"Req_Func {func} before Initialize: {spec.describe(resp.ack)}"
    assert App(conn).initialize().ack == 0


@S2
@pytest.mark.parametrize("func", [999, 1002, 4242, 0x7FFFFFFF, 0xFFFFFFFF])
def test_s2_unknown_req_func_operationunavail(app, func):
    """wire-protocol §2: an unknown Req_Func -> LINEERR_OPERATIONUNAVAIL in a RESPONSE; not a protocol
    error: the connection stays up."""
    resp = app.conn.call(func, {8: 1, 12: 2})
    assert resp.ack == spec.OPERATIONUNAVAIL, f"Req_Func {func:#x}: {spec.describe(resp.ack)}"
    assert app.get_group_list().result == 0, "the connection must keep working after a wrong request"


# ---------------------------------------------------------------------------------------------- versions, lines
@S2
@pytest.mark.parametrize("low, high", [(spec.API_MIN, spec.API_MAX), (spec.API_AGENT, spec.API_AGENT),
                                       (0x00010004, 0x00020001), (0x00030001, 0x00040000)])
def test_s2_negotiate_api_version(app, low, high):
    """wire-protocol §2 NegotiateAPIVersion (52, MS-TRP 2.2.4.1.1.2: 16 low, 20 high, out 24): success
    with a version in both the client's range and the supported 0x00020000..0x00030001."""
    resp = app.negotiate(0, low, high)
    assert resp.ack == 0, f"NegotiateAPIVersion({low:#x}..{high:#x}): {spec.describe(resp.ack)}"
    got = resp.u32(24)
    assert max(low, spec.API_MIN) <= got <= min(high, spec.API_MAX), f"negotiated {got:#x} outside both ranges"


@S2
@pytest.mark.parametrize("low, high", [(0x00010003, 0x00010004), (0x00030002, 0x00040000)])
def test_s2_negotiate_api_version_incompatible(app, low, high):
    """wire-protocol §2 NegotiateAPIVersion: a range outside 0x00020000..0x00030001 ->
    LINEERR_INCOMPATIBLEAPIVERSION (lineNegotiateAPIVersion's code for non-overlapping ranges)."""
    resp = app.negotiate(0, low, high)
    assert resp.ack == spec.INCOMPATIBLEAPIVERSION, f"{low:#x}..{high:#x}: {spec.describe(resp.ack)}"


@S2
def test_s2_open_and_close(app):
    """wire-protocol §2 Open (54) / Close (9): Open returns 0 and a nonzero hLine at 16, different for each
    Open; Close returns 0; afterwards the hLine is LINEERR_INVALLINEHANDLE (Close again, GetGroupList)."""
    assert app.open(1).ack == 0 and app.open(1).ack == 0
    handles = [line.h_line for line in app.lines]
    assert all(handles) and len(set(handles)) == 3, f"hLines {handles}: nonzero and distinct"
    victim = app.lines[2]
    assert app.close_line(victim.h_line).ack == 0
    assert app.close_line(victim.h_line).ack == spec.INVALLINEHANDLE
    expect_sync(app.get_group_list(line=victim), spec.INVALLINEHANDLE, "GetGroupList on a closed hLine")
    assert app.get_group_list(line=app.lines[1]).result == 0, "closing one hLine must not close the others"


@S2
@pytest.mark.parametrize("device", [spec.SCENARIO_LINES, 0xFFFFFFFF])
def test_s2_open_bad_device(app, device):
    """wire-protocol §2 Open: a device ID beyond dwNumDevs -> LINEERR_BADDEVICEID (lineOpen's code)."""
    resp = app.open(device)
    assert resp.ack == spec.BADDEVICEID, f"Open({device:#x}): {spec.describe(resp.ack)}"


@S2
def test_s2_open_bad_line_app(app):
    """wire-protocol §2 Open: an hLineApp this connection does not hold fails with a LINEERR."""
    resp = app.open(0, h_line_app=app.h_line_app ^ 0x5A5A0000 or 1)
    assert spec.is_lineerr(resp.ack), f"Open with a foreign hLineApp: {spec.describe(resp.ack)}"


@S2
def test_s2_shutdown(connect):
    """wire-protocol §2 ShutDown (86): returns 0 and closes that hLineApp's lines (LINEERR_INVALLINEHANDLE
    afterwards) but not the lines of another hLineApp on the same connection; the connection stays up and a
    new Initialize gets a new hLineApp (handles are never reused)."""
    app = App(connect())
    assert app.initialize().ack == 0
    resp = app.initialize()
    assert resp.ack == 0, f"second Initialize on one connection: {spec.describe(resp.ack)}"
    keeper_app = resp.u32(8)
    assert app.open(0).ack == 0 and app.open(2).ack == 0
    assert app.open(1, h_line_app=keeper_app).ack == 0
    old_app, old_lines, keeper = app.h_line_app, app.lines[:2], app.lines[2]
    assert app.shutdown(old_app).ack == 0
    for line in old_lines:
        expect_sync(app.get_group_list(line=line), spec.INVALLINEHANDLE, f"GetGroupList on hLine {line.h_line:#x} after ShutDown")
    assert app.get_group_list(line=keeper).result == 0, "ShutDown closed another hLineApp's line"
    assert app.shutdown(keeper_app).ack == 0
    app.h_line_app, app.lines = 0, []
    assert app.initialize().ack == 0
    assert app.h_line_app not in (old_app, keeper_app), "hLineApp reused after ShutDown"
    assert app.open(0).ack == 0
    assert app.line.h_line not in {line.h_line for line in old_lines + [keeper]}, "hLine reused"


@S2
def test_s2_shutdown_of_last_app(app):
    """wire-protocol §2 ShutDown: after the connection's only hLineApp is shut down its old hLine fails with
    LINEERR_INVALLINEHANDLE or LINEERR_UNINITIALIZED (the connection is uninitialized again; the spec allows
    either reading), and the connection stays up."""
    line = app.line
    assert app.shutdown(app.h_line_app).ack == 0
    res = app.get_group_list(line=line)
    assert res.reply is None and res.response.ack in (spec.INVALLINEHANDLE, spec.UNINITIALIZED), (
        f"GetGroupList on a line of a shut-down app: {spec.describe(res.result)}")
    assert app.initialize().ack == 0


@S2
def test_s2_handles_never_reused(app):
    """wire-protocol §2: handles are nonzero and never reused: 10 Open/Close rounds give 10 new hLines."""
    seen = {app.line.h_line}
    for _ in range(10):
        assert app.open(1).ack == 0
        line = app.lines.pop()
        assert line.h_line and line.h_line not in seen, f"hLine {line.h_line:#x} reused"
        seen.add(line.h_line)
        assert app.close_line(line.h_line).ack == 0


# ---------------------------------------------------------------------------------------------- bad hLine
def _line_requests(h_line: int, h_agent: int, h_session: int) -> dict[str, tuple[int, dict[int, int], bytes]]:
    vd = VarData()
    id_off = vd.string("3001")
    gvd = VarData()
    g_off = gvd.guid(spec.SUPPORT)
    return {
        "CreateAgent": (spec.CREATEAGENT, {16: h_line, 20: id_off, 24: spec.TAPI_NO_DATA}, bytes(vd)),
        "CreateAgentSession": (spec.CREATEAGENTSESSION, {16: h_line, 20: h_agent, 24: spec.TAPI_NO_DATA, 32: g_off, 36: 16}, bytes(gvd)),
        "GetAgentInfo": (spec.GETAGENTINFO, {16: h_line, 20: h_agent, 28: 56}, b""),
        "GetAgentSessionInfo": (spec.GETAGENTSESSIONINFO, {16: h_line, 20: h_session, 28: 76}, b""),
        "GetAgentSessionList": (spec.GETAGENTSESSIONLIST, {16: h_line, 20: h_agent, 28: 1024}, b""),
        "GetQueueInfo": (spec.GETQUEUEINFO, {16: h_line, 20: spec.SALES_QUEUE, 28: 52}, b""),
        "GetGroupList": (spec.GETGROUPLIST, {16: h_line, 24: 1024}, b""),
        "SetAgentSessionState": (spec.SETAGENTSESSIONSTATE, {12: h_line, 16: h_session, 20: spec.READY}, b""),
    }


LINE_FUNCS = ["CreateAgent", "CreateAgentSession", "GetAgentInfo", "GetAgentSessionInfo", "GetAgentSessionList",
              "GetQueueInfo", "GetGroupList", "SetAgentSessionState"]


@S2
@pytest.mark.parametrize("name", LINE_FUNCS)
def test_s2_invalid_line_handle(app, name):
    """wire-protocol §2 / tapi-facts §1.4: an hLine that was never opened -> synchronous LINEERR_INVALLINEHANDLE."""
    h_agent = app.agent(spec.AGENT_PLAIN_ID)
    func, params, vardata = _line_requests(0x7EADBEEF, h_agent, 1)[name]
    resp = app.conn.call(func, params, vardata)
    assert resp.ack == spec.INVALLINEHANDLE, f"{name} with hLine 0x7EADBEEF: {spec.describe(resp.ack)}"


# ---------------------------------------------------------------------------------------------- size rules
SIZED = [  # name, fixed size
    ("GetAgentInfo", 56),
    ("GetAgentSessionInfo", 76),
    ("GetAgentSessionList", 24),
    ("GetQueueInfo", 52),
    ("GetGroupList", 24),
]
SIZE_OFFSET = {"GetGroupList": 24}


def _sized_request(app: App, name: str, size: int):
    h_agent = app.agent(spec.AGENT_PLAIN_ID)
    h_session = _sales_session(app) if name == "GetAgentSessionInfo" else 1
    func, params, vardata = _line_requests(app.line.h_line, h_agent, h_session)[name]
    params = dict(params)
    params[SIZE_OFFSET.get(name, 28)] = size
    return app.async_call(func, params, vardata)


def _sales_session(app: App) -> int:
    """A NOTREADY session of a fresh agent in Sales (never READY, so it takes no calls)."""
    return app.session(app.agent(fresh_id("sz")), spec.SALES)


@S2
@pytest.mark.parametrize("name, fixed", SIZED)
@pytest.mark.parametrize("delta", [-1, "zero"])
def test_s2_size_too_small(app, name, fixed, delta):
    """wire-protocol §2: a buffer size below the fixed structure size -> synchronous LINEERR_STRUCTURETOOSMALL."""
    size = 0 if delta == "zero" else fixed + delta
    expect_sync(_sized_request(app, name, size), spec.STRUCTURETOOSMALL, f"{name} with size {size}")


@S2
@pytest.mark.parametrize("name, fixed", SIZED)
@pytest.mark.parametrize("size", [spec.MAX_STRUCT_SIZE + 1, 0xFFFFFFFF])
def test_s2_size_too_large(app, name, fixed, size):
    """wire-protocol §2: a buffer size above 0x40000 -> synchronous LINEERR_INVALPARAM."""
    expect_sync(_sized_request(app, name, size), spec.INVALPARAM, f"{name} with size {size:#x}")


@S2
@pytest.mark.parametrize("name, fixed", SIZED)
@pytest.mark.parametrize("which", ["fixed", "max"])
def test_s2_size_bounds_accepted(app, name, fixed, which):
    """wire-protocol §2: the fixed size itself and 0x40000 are accepted; dwTotalSize echoes the client's size."""
    size = fixed if which == "fixed" else spec.MAX_STRUCT_SIZE
    check_structure(_sized_request(app, name, size), size, fixed, f"{name} with size {size:#x}")


# ---------------------------------------------------------------------------------------------- agents
@S2
def test_s2_create_agent_scenario_id_same_handle(app, make_app):
    """wire-protocol §2 CreateAgent (146): an agent ID from the scenario returns that agent's handle, the
    same hAgent every time, from any connection; the LINE_REPLY carries it as a u32 at offset 40."""
    first = app.agent(spec.AGENT_PLAIN_ID)
    assert first != 0
    assert app.agent(spec.AGENT_PLAIN_ID) == first
    other = make_app(1)
    assert other.agent(spec.AGENT_PLAIN_ID) == first, "another connection got a different hAgent"
    assert app.agent(spec.AGENT_PIN_ID, spec.AGENT_PIN) != first


@S2
def test_s2_create_agent_with_pin(app):
    """wire-protocol §2 CreateAgent: the right PIN succeeds (same handle each time), a wrong PIN ->
    LINEERR_INVALPASSWORD."""
    h = app.agent(spec.AGENT_PIN_ID, spec.AGENT_PIN)
    assert app.agent(spec.AGENT_PIN_ID, spec.AGENT_PIN) == h
    expect_result(app.create_agent(spec.AGENT_PIN_ID, "9999"), spec.INVALPASSWORD, "CreateAgent with a wrong PIN")


@S2
def test_s2_create_agent_unknown_id_creates(app):
    """wire-protocol §2 CreateAgent: an unknown agent ID creates a new agent (a new handle, then the same one
    for that ID)."""
    known = app.agent(spec.AGENT_PLAIN_ID)
    a, b = app.agent(fresh_id("new")), app.agent(fresh_id("new"))
    assert len({known, a, b}) == 3 and 0 not in {a, b}, f"handles {known:#x}, {a:#x}, {b:#x}"
    again = fresh_id("again")
    assert app.agent(again) == app.agent(again)


@S2
def test_s2_create_agent_session(app):
    """wire-protocol §2 CreateAgentSession (147): a new NOTREADY session with a nonzero handle (u32 at 40 of
    the LINE_REPLY), distinct for each call."""
    h_agent = app.agent(fresh_id("cs"))
    s1 = app.session(h_agent, spec.SALES)
    s2 = app.session(h_agent, spec.SUPPORT)
    assert s1 and s2 and s1 != s2
    info = app.session_info(s2)
    assert info["dwAgentSessionState"] == spec.NOTREADY, f"new session state {info['dwAgentSessionState']:#x}"
    app.set_state(s2, spec.ENDED)


@S2
def test_s2_create_agent_session_pin(app):
    """wire-protocol §2 CreateAgentSession: for an agent with a PIN the right PIN succeeds and a wrong one ->
    LINEERR_INVALPASSWORD. In Support: agent 1001 has the scenario's live Sales session, and §7.1 allows one
    live session per agent and group."""
    h_agent = app.agent(spec.AGENT_PIN_ID, spec.AGENT_PIN)
    expect_result(app.create_session(h_agent, spec.SUPPORT, pin="0000"), spec.INVALPASSWORD,
                  "CreateAgentSession with a wrong PIN")
    h_session = app.session(h_agent, spec.SUPPORT, pin=spec.AGENT_PIN)
    app.set_state(h_session, spec.ENDED).expect_ok("SetAgentSessionState(ENDED)")


@S2
@pytest.mark.parametrize("case", ["unknown hAgent", "unknown group", "bad address"])
def test_s2_create_agent_session_errors(app, case):
    """wire-protocol §2 CreateAgentSession: unknown hAgent -> LINEERR_INVALAGENTID, unknown group ->
    LINEERR_INVALAGENTGROUP, bad address (lines have only address 0) -> LINEERR_INVALADDRESSID."""
    h_agent = app.agent(spec.AGENT_PLAIN_ID)
    if case == "unknown hAgent":
        res, code = app.create_session(0x7FFF1234, spec.SALES), spec.INVALAGENTID
    elif case == "unknown group":
        res, code = app.create_session(h_agent, spec.UNKNOWN_GROUP), spec.INVALAGENTGROUP
    else:
        res, code = app.create_session(h_agent, spec.SALES, address=1), spec.INVALADDRESSID
    expect_result(res, code, f"CreateAgentSession with {case}")


# ---------------------------------------------------------------------------------------------- queries
@S2
def test_s2_get_agent_info(app):
    """wire-protocol §2 GetAgentInfo (148) -> LINEAGENTINFO (56 bytes, tapi-facts §2.3): size triple
    (needed = used = 56), dwTotalSize = the client's 300; a fresh agent has no ACD calls."""
    h_agent = app.agent(fresh_id("ai"))
    res = app.get_agent_info(h_agent, size=300)
    _, needed, used = check_structure(res, 300, 56, "GetAgentInfo")
    assert needed == used == 56, f"dwNeededSize {needed}, dwUsedSize {used}: LINEAGENTINFO has no variable part"
    info = parse_agent_info(res.data)
    assert info["dwNumberOfACDCalls"] == 0 and info["dwTotalACDTalkTime"] == 0


@S2
def test_s2_get_agent_info_unknown_agent(app):
    """wire-protocol §2 GetAgentInfo: an unknown hAgent fails with a LINEERR."""
    expect_failure(app.get_agent_info(0x7FFF4321), "GetAgentInfo of an unknown hAgent")


@S2
def test_s2_get_agent_session_info(app):
    """wire-protocol §2 GetAgentSessionInfo (149) -> LINEAGENTSESSIONINFO (76 bytes, tapi-facts §2.1):
    needed = used = 76, dwTotalSize = the client's 76; a new session is NOTREADY with no calls."""
    h_session = _sales_session(app)
    res = app.get_session_info(h_session)
    _, needed, used = check_structure(res, 76, 76, "GetAgentSessionInfo")
    assert needed == used == 76, f"dwNeededSize {needed}, dwUsedSize {used}: must be 76 (8-byte DATE and CY)"
    info = parse_session_info(res.data)
    assert info["dwAgentSessionState"] == spec.NOTREADY
    assert info["dwNumberOfCalls"] == 0 and info["cyACDCallRate"] == 0


@S2
def test_s2_get_agent_session_info_unknown_session(app):
    """wire-protocol §2 GetAgentSessionInfo: an unknown hAgentSession fails with a LINEERR."""
    expect_failure(app.get_session_info(0x7FFF5678), "GetAgentSessionInfo of an unknown hAgentSession")


@S2
def test_s2_get_agent_session_list(make_app):
    """wire-protocol §2 GetAgentSessionList (150) -> LINEAGENTSESSIONLIST (tapi-facts §2.2): every session
    of the agent, ENDED ones included, oldest first; entries of 28 bytes at dwListOffset (hAgentSession,
    hAgent, GroupID, dwWorkingAddressID); dwListSize = n x 28; needed = used = 24 + n x 28. (One live
    session per agent and group, §7.1: s3 is in Support again after s2 there ENDED.)"""
    app = make_app(0, 1)
    h_agent = app.agent(fresh_id("sl"))
    s1 = app.session(h_agent, spec.SALES)
    s2 = app.session(h_agent, spec.SUPPORT)
    app.set_state(s2, spec.ENDED).expect_ok("SetAgentSessionState(ENDED)")
    s3 = app.session(h_agent, spec.SUPPORT, line=app.lines[1])
    res = app.get_session_list(h_agent, size=500)
    _, needed, used = check_structure(res, 500, 24, "GetAgentSessionList")
    head, entries = parse_session_list(res.data)
    assert head.num_entries == 3, f"dwNumEntries {head.num_entries}, the agent has 3 sessions (one ENDED)"
    assert head.list_size == 3 * 28, f"dwListSize {head.list_size}, expected 84"
    assert needed == used == 24 + 84, f"dwNeededSize {needed} / dwUsedSize {used}, expected 108"
    assert head.list_offset >= 24 and head.list_offset + 84 <= used
    assert [e[0] for e in entries] == [s1, s2, s3], "sessions must be listed oldest first"
    assert all(e[1] == h_agent for e in entries), "hAgent of every entry"
    assert [e[2] for e in entries] == [spec.guid_bytes(g) for g in (spec.SALES, spec.SUPPORT, spec.SUPPORT)], "GroupID"
    assert all(e[3] == 0 for e in entries), "dwWorkingAddressID"
    for h in (s1, s3):
        app.set_state(h, spec.ENDED)


@S2
@pytest.mark.parametrize("size", [24, 24 + 2 * 28, 24 + 3 * 28 - 1])
def test_s2_get_agent_session_list_not_fitting(app, size):
    """wire-protocol §2: a list that does not fit gets dwNeededSize set, dwNumEntries 0 and no entries (never
    truncated), and the call still succeeds. Three sessions, one live per agent and group (§7.1): Sales,
    Support, then Sales again after the first ENDED (ENDED sessions stay in the list)."""
    h_agent = app.agent(fresh_id("nf"))
    sessions = [app.session(h_agent, spec.SALES), app.session(h_agent, spec.SUPPORT)]
    app.set_state(sessions[0], spec.ENDED).expect_ok("SetAgentSessionState(ENDED)")
    sessions.append(app.session(h_agent, spec.SALES))
    res = app.get_session_list(h_agent, size=size)
    _, needed, used = check_structure(res, size, 24, f"GetAgentSessionList with size {size}")
    head, _ = parse_session_list(res.data)
    assert needed == 24 + 3 * 28, f"dwNeededSize {needed}, expected 108"
    assert head.num_entries == 0 and head.list_size == 0, (
        f"dwNumEntries {head.num_entries}, dwListSize {head.list_size}: a list that does not fit is not truncated")
    assert used <= size
    for h in sessions:
        app.set_state(h, spec.ENDED)


@S2
def test_s2_get_agent_session_list_exact_fit_and_empty(app):
    """wire-protocol §2 GetAgentSessionList: size = dwNeededSize fits exactly; an agent without sessions gives
    0 entries with needed = used = 24."""
    h_agent = app.agent(fresh_id("ef"))
    res = app.get_session_list(h_agent, size=24)
    _, needed, used = check_structure(res, 24, 24, "GetAgentSessionList of an agent without sessions")
    assert parse_session_list(res.data)[0].num_entries == 0 and needed == used == 24
    h_session = app.session(h_agent, spec.SALES)
    res = app.get_session_list(h_agent, size=52)
    check_structure(res, 52, 24, "GetAgentSessionList with size = needed")
    head, entries = parse_session_list(res.data)
    assert head.num_entries == 1 and entries[0][0] == h_session
    app.set_state(h_session, spec.ENDED)


@S2
def test_s2_get_queue_info(app):
    """wire-protocol §2 GetQueueInfo (151) -> LINEQUEUEINFO (52 bytes, tapi-facts §2.4): size triple with
    needed = used = 52 and dwTotalSize = the client's 64."""
    res = app.get_queue_info(spec.SALES_QUEUE, size=64)
    _, needed, used = check_structure(res, 64, 52, "GetQueueInfo")
    assert needed == used == 52
    parse_queue_info(res.data)


@S2
def test_s2_get_queue_info_unknown_queue(app):
    """wire-protocol §2 GetQueueInfo: a queue ID no group has fails with a LINEERR."""
    expect_failure(app.get_queue_info(0x7FFF0099), "GetQueueInfo of an unknown queue")


@S2
def test_s2_get_group_list(app):
    """wire-protocol §2 GetGroupList (152) -> LINEAGENTGROUPLIST (tapi-facts §2.4): the scenario's two groups,
    24-byte entries (GroupID, dwNameSize, dwNameOffset) at dwListOffset, UTF-16 names inside dwUsedSize."""
    res = app.get_group_list(size=1000)
    _, needed, used = check_structure(res, 1000, 24, "GetGroupList")
    head, entries = parse_group_list(res.data)
    assert head.num_entries == 2 and head.list_size == 48, f"{head}"
    assert needed == used, "the whole list fits in 1000 bytes"
    got = {gid: name for gid, name, _, _ in entries}
    assert got == {spec.guid_bytes(spec.SALES): spec.SALES_NAME, spec.guid_bytes(spec.SUPPORT): spec.SUPPORT_NAME}
    for _, _, size, off in entries:
        assert size % 2 == 0 and off + size <= used, f"name at {off}+{size} outside dwUsedSize {used}"


@S2
def test_s2_get_group_list_not_fitting(app):
    """wire-protocol §2: GetGroupList with room for the header only: dwNeededSize = the full size, 0 entries,
    success."""
    full = app.get_group_list(size=1000)
    needed_full = struct.unpack_from("<I", full.data, 4)[0]
    res = app.get_group_list(size=needed_full - 1)
    _, needed, _ = check_structure(res, needed_full - 1, 24, "GetGroupList one byte short")
    head, _ = parse_group_list(res.data)
    assert needed == needed_full and head.num_entries == 0 and head.list_size == 0, f"{head}"


@S2
def test_s2_any_line_may_query_anything(make_app):
    """wire-protocol §2: any open hLine of a connection may query any agent, session, group or queue of the
    switch, including a session created by another connection on another line."""
    owner, other = make_app(0), make_app(3)
    h_agent = owner.agent(fresh_id("any"))
    h_session = owner.session(h_agent, spec.SALES)
    assert other.session_info(h_session)["dwAgentSessionState"] == spec.NOTREADY
    assert other.get_agent_info(h_agent).result == 0
    assert other.get_session_list(h_agent).result == 0
    owner.set_state(h_session, spec.ENDED)
