"""wire-protocol §1-§2: the completion record (LINE_REPLY) field by field, its order after the RESPONSE,
and request IDs (client-chosen honoured, server-picked unique)."""

from __future__ import annotations

import struct
import uuid

import pytest

from . import spec
from .checks import check_reply_record, check_structure, pad4
from .rawclient import frame_bytes, tapi32_msg
from .tapi import App, fresh_u32, parse_session_info

REPLY = pytest.mark.spec("wire-protocol §2 Completion record")


def fresh_id(tag: str) -> str:
    return f"cf-{tag}-{uuid.uuid4().hex[:10]}"


@REPLY
def test_s2_line_reply_layout_field_by_field(app):
    """wire-protocol §2 Completion record: TotalSize = 40 + data padded to 4, InitContext from Initialize,
    PostProcessProcContext = lpContext, hDevice = hRemoteLine, Msg 12, OpenContext from Open, Param1 =
    request ID, Param2 = 0, Param3 = struct context, Param4 = data size, then LINEAGENTSESSIONINFO with
    dwTotalSize = the client's 200 and needed = used = 76."""
    h_session = app.session(app.agent(fresh_id("lr")), spec.SALES)
    ctx, sctx = fresh_u32(0x1), fresh_u32(0x2)
    res = app.get_session_info(h_session, size=200, context=ctx, struct_context=sctx)
    assert res.reply is not None, f"GetAgentSessionInfo failed: {spec.describe(res.response.ack)}"
    line = app.line
    check_reply_record(res.reply, request_id=res.response.ack, init_context=app.init_context, context=ctx,
                       h_remote_line=line.h_remote_line, open_context=line.open_context, struct_context=sctx)
    _, needed, used = check_structure(res, 200, 76, "GetAgentSessionInfo")
    assert needed == used == 76
    assert parse_session_info(res.data)["dwAgentSessionState"] == spec.NOTREADY
    app.set_state(h_session, spec.ENDED)


@REPLY
def test_s2_line_reply_of_the_line_used(make_app):
    """wire-protocol §2 Completion record: hDevice and OpenContext are those of the hLine the request named
    (two lines on one connection, each with its own hRemoteLine and OpenContext)."""
    app = make_app(0, 1)
    for line in app.lines:
        ctx = fresh_u32(0x3)
        res = app.get_group_list(line=line, context=ctx, struct_context=0x77)
        assert res.reply is not None
        check_reply_record(res.reply, request_id=res.response.ack, init_context=app.init_context, context=ctx,
                           h_remote_line=line.h_remote_line, open_context=line.open_context, struct_context=0x77)


@REPLY
def test_s2_line_reply_init_context_of_the_line_app(connect):
    """wire-protocol §2 Completion record: with two Initializes on one connection, InitContext is the one of
    the hLineApp that opened the line."""
    app = App(connect())
    assert app.initialize(init_context=0x9000_0001).ack == 0
    resp = app.initialize(init_context=0x9000_0002)
    assert resp.ack == 0, f"second Initialize on one connection: {spec.describe(resp.ack)}"
    second = resp.u32(8)
    assert second != app.h_line_app, "two Initializes returned the same hLineApp"
    assert app.open(0, h_line_app=second, init_context=0x9000_0002).ack == 0
    res = app.get_group_list(context=5, struct_context=6)
    assert res.reply is not None
    check_reply_record(res.reply, request_id=res.response.ack, init_context=0x9000_0002, context=5,
                       h_remote_line=app.line.h_remote_line, open_context=app.line.open_context, struct_context=6)


@REPLY
@pytest.mark.parametrize("func", ["CreateAgent", "CreateAgentSession"])
def test_s2_create_reply_carries_handle(app, func):
    """wire-protocol §2: the LINE_REPLY of CreateAgent / CreateAgentSession carries the new handle as a u32 at
    offset 40, Param3 = the request's handle context, Param4 = 4, TotalSize 44."""
    ctx, hctx = fresh_u32(0x4), fresh_u32(0x5)
    if func == "CreateAgent":
        res = app.create_agent(fresh_id("h"), context=ctx, handle_context=hctx)
    else:
        res = app.create_session(app.agent(fresh_id("h")), spec.SALES, context=ctx, handle_context=hctx)
    assert res.reply is not None, f"{func} failed: {spec.describe(res.response.ack)}"
    rec = res.reply
    check_reply_record(rec, request_id=res.response.ack, init_context=app.init_context, context=ctx,
                       h_remote_line=app.line.h_remote_line, open_context=app.line.open_context, struct_context=hctx)
    assert rec.param4 == 4 and rec.total_size == 44, f"Param4 {rec.param4}, TotalSize {rec.total_size}"
    assert struct.unpack_from("<I", rec.data, 0)[0] != 0, "handle 0"


@REPLY
def test_s2_set_state_reply(app):
    """wire-protocol §2 SetAgentSessionState (155, no lpContext): a plain LINE_REPLY with Msg 12, hDevice =
    hRemoteLine, InitContext, OpenContext, Param1 = request ID, Param2 = 0."""
    h_session = app.session(app.agent(fresh_id("ss")), spec.SALES)
    res = app.set_state(h_session, spec.ENDED)
    rec = res.reply
    assert rec is not None, f"SetAgentSessionState failed: {spec.describe(res.response.ack)}"
    assert (rec.msg, rec.param1, rec.param2) == (spec.LINE_REPLY, res.response.ack, 0), repr(rec)
    assert (rec.h_device, rec.init_context, rec.open_context) == (
        app.line.h_remote_line, app.init_context, app.line.open_context), repr(rec)
    assert rec.total_size == pad4(40 + rec.param4)


@pytest.mark.spec("wire-protocol §1")
def test_s1_no_line_reply_before_its_response(app):
    """wire-protocol §1: the server never sends a LINE_REPLY before the RESPONSE that announced its request
    ID (checked over 120 pipelined async requests of four functions)."""
    h_agent = app.agent(fresh_id("ord"))
    h_session = app.session(h_agent, spec.SALES)
    h_line = app.line.h_line
    bodies = []
    for i in range(120):
        bodies.append([
            tapi32_msg(spec.GETAGENTSESSIONINFO, {12: i, 16: h_line, 20: h_session, 28: 76}),
            tapi32_msg(spec.GETGROUPLIST, {12: i, 16: h_line, 24: 512}),
            tapi32_msg(spec.GETAGENTINFO, {12: i, 16: h_line, 20: h_agent, 28: 56}),
            tapi32_msg(spec.SETAGENTSESSIONSTATE, {12: h_line, 16: h_session, 20: (spec.READY, spec.NOTREADY)[(i // 4) % 2]}),
        ][i % 4])
    seqs = [app.conn.next_sequence() for _ in bodies]
    app.conn.send_bytes(b"".join(frame_bytes(spec.REQUEST, b, s) for b, s in zip(bodies, seqs)))
    ids = []
    for seq in seqs:
        ack = app.conn.wait_response(seq).ack
        assert 0 < ack <= 0x7FFFFFFF, f"async request answered {spec.describe(ack)}"
        ids.append(ack)
    for rid in ids:
        app.conn.wait_reply(rid)
    assert not app.conn.early_replies, f"LINE_REPLY before its RESPONSE for request IDs {app.conn.early_replies[:10]}"
    app.set_state(h_session, spec.ENDED)


@pytest.mark.spec("wire-protocol §2 dwRequestID")
@pytest.mark.parametrize("request_id", [1, 0x12345, 0x7FFFFFFF])
def test_s2_client_chosen_request_id_honoured(app, request_id):
    """wire-protocol §2: dwRequestID 1..0x7FFFFFFF = the server uses the client's value: the RESPONSE carries
    it and the LINE_REPLY's Param1 is it (GetAgentSessionInfo, then SetAgentSessionState)."""
    h_session = app.session(app.agent(fresh_id("rid")), spec.SALES)
    res = app.get_session_info(h_session, request_id=request_id)
    assert res.response.ack == request_id, f"RESPONSE {spec.describe(res.response.ack)}, client chose {request_id:#x}"
    assert res.reply is not None and res.reply.param1 == request_id
    res = app.set_state(h_session, spec.ENDED, request_id=request_id)
    assert res.response.ack == request_id and res.reply is not None and res.reply.param1 == request_id


@pytest.mark.spec("wire-protocol §2 dwRequestID")
def test_s2_server_picked_request_ids_unique(app):
    """wire-protocol §2: dwRequestID 0 = the server picks a unique positive ID (per connection)."""
    ids = [app.get_group_list().response.ack for _ in range(25)]
    assert all(0 < i <= 0x7FFFFFFF for i in ids), f"request IDs {ids}"
    assert len(set(ids)) == len(ids), f"request IDs repeat: {ids}"


@REPLY
def test_s2_failed_completion_has_no_data(app):
    """wire-protocol §2 Completion record: a LINE_REPLY that reports a failure has Param4 = 0 (no data) and
    TotalSize 40. Runs on the first of a few failing requests the server completes asynchronously."""
    h_agent = app.agent(fresh_id("fail"))
    h_session = app.session(h_agent, spec.SALES)
    app.set_state(h_session, spec.ENDED).expect_ok("SetAgentSessionState(ENDED)")
    candidates = [
        app.set_state(h_session, spec.READY),
        app.get_session_info(0x7FFF5678),
        app.get_agent_info(0x7FFF4321),
        app.get_queue_info(0x7FFF0099),
        app.create_session(0x7FFF1234, spec.SALES),
        app.create_agent(spec.AGENT_PIN_ID, "9999"),
    ]
    failed = [r for r in candidates if r.reply is not None and r.reply.param2 != 0]
    if not failed:
        pytest.skip("this server reports all these failures synchronously")
    for res in failed:
        rec = res.reply
        assert spec.is_lineerr(rec.param2), f"Param2 {rec.param2:#x} is not a LINEERR"
        assert rec.param4 == 0 and rec.total_size == 40, f"failed LINE_REPLY with data: {rec!r}"
