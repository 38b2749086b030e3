"""wire-protocol §9: ACD calls as TAPI calls on the agent's line - the events of §9.1 with MS-TRP's parameter
placement (call-facts §2) and every call function of §9.2 (parameters: call-facts §1.1).

The calls ring in Support at agent 2001 (answer_delay 3 s, wrap-up 10 s, conformance scenario): an
application may answer before the switch does. MakeCall uses line 3, where no agent works.
"""

from __future__ import annotations

import struct

import pytest

from . import spec
from .checks import expect_result
from .rawclient import VarData
from .tapi import App, fresh_u32

S91 = pytest.mark.spec("wire-protocol §9.1")
S92 = pytest.mark.spec("wire-protocol §9.2")

# Req_Func (call-facts §1.1), LINE_ messages, LINECALLSTATE_, modes, features, LINEERR_ (call-facts §4)
ANSWER, BLINDTRANSFER, DEALLOCATECALL, DROP = 7, 8, 12, 16
GETADDRESSCAPS, GETADDRESSSTATUS, GETCALLINFO, GETCALLSTATUS, GETDEVCAPS, GETLINEDEVSTATUS = 21, 23, 30, 31, 34, 38
HOLD, MAKECALL, REDIRECT, UNHOLD = 46, 48, 60, 89
LINE_APPNEWCALL, LINE_CALLSTATE = 23, 2
IDLE, OFFERING, RINGBACK, CONNECTED, ONHOLD, DISCONNECTED = 0x1, 0x2, 0x20, 0x100, 0x400, 0x4000
OWNER, INTERACTIVEVOICE, NORMAL = 0x4, 0x4, 0x1
F_ANSWER, F_BLINDTRANSFER, F_DROP, F_HOLD, F_REDIRECT, F_UNHOLD = 0x4, 0x8, 0x80, 0x800, 0x20000, 0x8000000
INVALCALLHANDLE, INVALCALLSTATE, INVALADDRESS = 0x80000018, 0x8000001C, 0x80000010
NO_DATA = 0xFFFFFFFF


def ring(app: App, support) -> tuple[int, int, object, object]:  # type: ignore[no-untyped-def]
    """Agent 2001 READY in Support on the app's line 0, a 30-second call offered: (hCall, dwCallID,
    the LINE_APPNEWCALL record, the LINE_CALLSTATE OFFERING record)."""
    h_session = support.new_session(app, app.agent(spec.AGENT_STATS_ID))
    app.set_state(h_session, spec.READY).expect_ok("SetAgentSessionState(READY)")
    mark = len(app.conn.all_records)
    call_id = support.clock.offer_call(spec.SUPPORT, 30)
    new = app.conn.wait_seen(lambda r: r.msg == LINE_APPNEWCALL, "LINE_APPNEWCALL for the offered call", since=mark)
    i = app.conn.all_records.index(new)
    state = app.conn.wait_seen(lambda r: r.msg == LINE_CALLSTATE, "LINE_CALLSTATE after LINE_APPNEWCALL", since=i + 1)
    return new.param2, call_id, new, state


def call_state(app: App, h_call: int, state: int, since: int) -> object:
    return app.conn.wait_seen(lambda r: r.msg == LINE_CALLSTATE and r.h_device == h_call and r.param1 == state,
                              f"LINE_CALLSTATE {state:#x} for hCall {h_call:#x}", since=since)


def call_async(app: App, func: int, h_call: int, extra: dict[int, int] | None = None, vardata: bytes = b""):  # type: ignore[no-untyped-def]
    return app.async_call(func, {8: 0, 12: h_call, **(extra or {})}, vardata)


def sync_struct(app: App, func: int, params: dict[int, int], size_offset: int) -> bytes:
    """A sync Get*: RESPONSE 0, the size DWORD overwritten with the structure's VarData offset (0), the
    structure at VarData + 0 (call-facts §1.1)."""
    resp = app.conn.call(func, params)
    assert resp.ack == 0, f"Req_Func {func}: RESPONSE {spec.describe(resp.ack)}"
    assert resp.u32(size_offset) == 0, f"Req_Func {func}: the size DWORD must be the structure's offset 0"
    data = resp.vardata
    total, needed, used = struct.unpack_from("<3I", data, 0)
    assert total == params[size_offset] and used <= len(data), (total, needed, used, len(data))
    return data


@S91
def test_s9_offer_is_appnewcall_then_offering_with_ms_trp_placement(make_app, support):
    """wire-protocol §9.1: LINE_APPNEWCALL (hDevice hRemoteLine, P1 address 0, P2 the new hCall, P3 dwCallID, P4 related 0),
    immediately followed by LINE_CALLSTATE (8 = LINEOFFERINGMODE_ACTIVE, hDevice = hCall, P1 OFFERING,
    P2 OWNER, P3 INTERACTIVEVOICE, P4 hRemoteLine)."""
    app = make_app(0)
    line = app.line
    h_call, call_id, new, state = ring(app, support)
    assert (new.h_device, new.param1, new.param3, new.param4, new.post_process_context) == (
        line.h_remote_line, 0, call_id, 0, 0), new
    assert h_call != 0 and new.init_context == line.init_context and new.open_context == line.open_context
    records = app.conn.all_records
    assert records[records.index(new) + 1] is state, "LINE_CALLSTATE must be the next record"
    assert (state.post_process_context, state.h_device, state.param1, state.param2, state.param3, state.param4) == (
        1, h_call, OFFERING, OWNER, INTERACTIVEVOICE, line.h_remote_line), state
    assert state.total_size == 40


@S91
def test_s9_each_connection_gets_its_own_hcall(make_app, support):
    """wire-protocol §9.1: every connection with the line open gets its own hCall, the same dwCallID, and may not use
    another connection's hCall (LINEERR_INVALCALLHANDLE)."""
    app, other = make_app(0), make_app(0)
    mark = len(other.conn.all_records)
    h_call, call_id, _, _ = ring(app, support)
    theirs = other.conn.wait_seen(lambda r: r.msg == LINE_APPNEWCALL, "the other connection's LINE_APPNEWCALL",
                                  since=mark)
    assert theirs.param3 == call_id and theirs.param2 not in (0, h_call)
    expect_result(call_async(other, ANSWER, h_call, {16: NO_DATA, 20: 0}), INVALCALLHANDLE, "Answer(foreign hCall)")
    resp = other.conn.call(GETCALLSTATUS, {8: h_call, 12: 56})
    assert resp.ack == INVALCALLHANDLE, spec.describe(resp.ack)


@S92
def test_s9_answer_hold_unhold_drop(make_app, support):
    """wire-protocol §9.2: Answer (OFFERING -> CONNECTED, mode ACTIVE at 8), Hold (ONHOLD), UnHold (CONNECTED), Drop
    (DISCONNECTED with LINEDISCONNECTMODE_NORMAL at 8, then IDLE); each LINE_REPLY result 0."""
    app = make_app(0)
    h_call, _, _, _ = ring(app, support)
    steps = [(ANSWER, {16: NO_DATA, 20: 0}, CONNECTED, 1), (HOLD, {}, ONHOLD, 0), (UNHOLD, {}, CONNECTED, 1),
             (DROP, {16: NO_DATA, 20: 0}, DISCONNECTED, NORMAL)]
    for func, extra, state, mode in steps:
        mark = len(app.conn.all_records)
        call_async(app, func, h_call, extra).expect_ok(f"Req_Func {func}")
        rec = call_state(app, h_call, state, mark)
        assert rec.post_process_context == mode and rec.param2 == OWNER, (func, rec)
    call_state(app, h_call, IDLE, 0)


@S92
def test_s9_get_call_status_by_state(make_app, support):
    """wire-protocol §9.2 GetCallStatus (31, sync): LINECALLSTATUS (56) at VarData + 0 - state, mode, OWNER, dwCallFeatures
    by state (OFFERING: ANSWER|DROP|REDIRECT; CONNECTED: DROP|HOLD|BLINDTRANSFER; ONHOLD: DROP|UNHOLD)."""
    app = make_app(0)
    h_call, _, _, _ = ring(app, support)
    expected = [(OFFERING, 1, F_ANSWER | F_DROP | F_REDIRECT), (CONNECTED, 1, F_DROP | F_HOLD | F_BLINDTRANSFER),
                (ONHOLD, 0, F_DROP | F_UNHOLD)]
    entered = []
    for i, (state, mode, features) in enumerate(expected):
        if i == 1:
            call_async(app, ANSWER, h_call, {16: NO_DATA, 20: 0}).expect_ok("Answer")
        if i == 2:
            call_async(app, HOLD, h_call).expect_ok("Hold")
        data = sync_struct(app, GETCALLSTATUS, {8: h_call, 12: 56}, 12)
        assert struct.unpack_from("<4I", data, 12) == (state, mode, OWNER, features)
        when = struct.unpack_from("<8H", data, 40)  # SYSTEMTIME: year, month, weekday, day, h, m, s, ms
        assert when[0] >= 2026, f"tStateEntryTime is the switch clock (the scenario starts 2026-11-26): {when}"
        entered.append((when[0], when[1], *when[3:]))
    assert entered == sorted(entered), f"each state is entered no earlier than the one before: {entered}"
    call_async(app, DROP, h_call, {16: NO_DATA, 20: 0}).expect_ok("Drop")


@S92
def test_s9_get_call_info(make_app, support):
    """wire-protocol §9.2 GetCallInfo (30, sync): LINECALLINFO - hLine 12, device 16, address 20, bearer VOICE 24, media
    INTERACTIVEVOICE 32, dwCallID 40 (= LINE_APPNEWCALL's P3), origin EXTERNAL 80, reason DIRECT 84; the fixed
    size of the negotiated version (3.x: 344)."""
    app = make_app(0)
    h_call, call_id, _, _ = ring(app, support)
    data = sync_struct(app, GETCALLINFO, {8: h_call, 12: 1024}, 12)
    assert struct.unpack_from("<I", data, 12)[0] == app.line.h_line
    assert struct.unpack_from("<3I", data, 16) == (0, 0, 1)
    assert struct.unpack_from("<I", data, 32)[0] == INTERACTIVEVOICE
    assert struct.unpack_from("<I", data, 40)[0] == call_id
    assert struct.unpack_from("<2I", data, 80) == (0x4, 0x1)
    resp = app.conn.call(GETCALLINFO, {8: h_call, 12: 343})
    assert resp.ack == spec.STRUCTURETOOSMALL, spec.describe(resp.ack)
    call_async(app, DROP, h_call, {16: NO_DATA, 20: 0}).expect_ok("Drop")


@S92
def test_s9_call_state_refusals(make_app, support):
    """wire-protocol §9.2: a request the call's state does not allow -> LINEERR_INVALCALLSTATE (Hold / UnHold / BlindTransfer
    while OFFERING); a destination that is no group's extension -> LINEERR_INVALADDRESS (Redirect)."""
    app = make_app(0)
    h_call, _, _, _ = ring(app, support)
    for func in (HOLD, UNHOLD):
        expect_result(call_async(app, func, h_call), INVALCALLSTATE, f"Req_Func {func} while OFFERING")
    vd = VarData()
    off = vd.string("999999")
    expect_result(call_async(app, REDIRECT, h_call, {16: off, 20: 0}, bytes(vd)), INVALADDRESS, "Redirect(999999)")
    expect_result(call_async(app, BLINDTRANSFER, h_call, {16: off, 20: 0}, bytes(vd)), INVALCALLSTATE,
                  "BlindTransfer while OFFERING")
    call_async(app, ANSWER, h_call, {16: NO_DATA, 20: 0}).expect_ok("Answer")
    expect_result(call_async(app, BLINDTRANSFER, h_call, {16: off, 20: 0}, bytes(vd)), INVALADDRESS,
                  "BlindTransfer(999999)")
    call_async(app, DROP, h_call, {16: NO_DATA, 20: 0}).expect_ok("Drop")


@S92
def test_s9_deallocate_call(make_app, support):
    """wire-protocol §9.2 DeallocateCall (12, sync): frees this connection's hCall (here another owner - the clock
    application watching every line - remains, so it is allowed while the call rings); the hCall is invalid
    afterwards (INVALCALLHANDLE) and the call goes on for the other owner. (The only owner of a call that is
    not IDLE gets INVALCALLSTATE: the unit tests check that, this suite always has a second owner.)"""
    app = make_app(0)
    h_call, call_id, _, _ = ring(app, support)
    assert app.conn.call(DEALLOCATECALL, {8: h_call}).ack == 0
    assert app.conn.call(GETCALLSTATUS, {8: h_call, 12: 56}).ack == INVALCALLHANDLE
    expect_result(call_async(app, ANSWER, h_call, {16: NO_DATA, 20: 0}), INVALCALLHANDLE, "Answer(deallocated)")
    assert app.conn.call(DEALLOCATECALL, {8: h_call}).ack == INVALCALLHANDLE


@S92
def test_s9_make_call_completion(make_app, control_skip_reason):
    """wire-protocol §9.2 MakeCall (48): the LINE_REPLY of call-facts §1.2 - 52 bytes, 8 lpContext, 24 request ID, 28 result
    0, 32 the new hCall, 36 lphCallContext, 40 address 0, 44 dwCallID; then LINE_CALLSTATE RINGBACK for it."""
    app = make_app(3)
    context, call_context = fresh_u32(1), fresh_u32(2)
    vd = VarData()
    dest = vd.string("5550100")
    res = app.async_call(MAKECALL, {8: 0, 12: context, 16: app.line.h_line, 20: call_context, 24: dest, 28: 0,
                                    32: NO_DATA, 36: NO_DATA}, bytes(vd))
    try:
        rec = res.expect_ok("MakeCall").reply
        assert rec.total_size == 52 and rec.post_process_context == context, rec
        assert rec.param3 != 0 and rec.param4 == call_context, rec
        address, call_id, related = struct.unpack_from("<3I", rec.data, 0)
        assert (address, related) == (0, 0) and call_id != 0
        call_state(app, rec.param3, RINGBACK, 0)
        call_async(app, DROP, rec.param3, {16: NO_DATA, 20: 0}).expect_ok("Drop")
        call_state(app, rec.param3, IDLE, 0)
    finally:  # whatever failed: hang up the outbound call, so the next case finds line 3 idle
        app.conn.drain(0.05)
        for h_call in {r.h_device for r in app.conn.all_records if r.msg == LINE_CALLSTATE and r.param1 == RINGBACK}:
            call_async(app, DROP, h_call, {16: NO_DATA, 20: 0})


@S92
def test_s9_line_and_address_structures(app):
    """wire-protocol §9.2 GetDevCaps (34) / GetAddressCaps (21) / GetAddressStatus (23) / GetLineDevStatus (38): fixed parts
    by version at VarData + 0: one address, voice, the call features, no call in progress."""
    h_app, h_line = app.h_line_app, app.line.h_line
    caps = sync_struct(app, GETDEVCAPS, {8: h_app, 12: 0, 16: spec.API_MAX, 20: 0, 24: 1024}, 24)
    assert struct.unpack_from("<I", caps, 48)[0] == 1 and struct.unpack_from("<I", caps, 60)[0] & INTERACTIVEVOICE
    acaps = sync_struct(app, GETADDRESSCAPS, {8: h_app, 12: 0, 16: 0, 20: spec.API_MAX, 24: 0, 28: 1024}, 28)
    features = struct.unpack_from("<I", acaps, 108)[0]
    assert features & (F_ANSWER | F_DROP | F_HOLD | F_UNHOLD | F_BLINDTRANSFER | F_REDIRECT) == (
        F_ANSWER | F_DROP | F_HOLD | F_UNHOLD | F_BLINDTRANSFER | F_REDIRECT)
    status = sync_struct(app, GETADDRESSSTATUS, {8: h_line, 12: 0, 16: 64}, 16)
    assert struct.unpack_from("<2I", status, 16) == (0, 0)  # dwNumActiveCalls, dwNumOnHoldCalls
    dev = sync_struct(app, GETLINEDEVSTATUS, {8: h_line, 12: 88}, 12)
    assert struct.unpack_from("<I", dev, 12)[0] >= 1  # dwNumOpens counts this line
