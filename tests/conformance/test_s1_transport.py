"""wire-protocol §1: framing, HELLO, ERROR codes (each followed by the close), RESPONSE pairing."""

from __future__ import annotations

import random
import struct
import threading
import time

import pytest

from . import spec
from .process import start_server
from .rawclient import RawConnection, VarData, frame_bytes, hello_body, tapi32_msg
from .tapi import App

S1 = pytest.mark.spec("wire-protocol §1")


# ---------------------------------------------------------------------------------------------- HELLO
@S1
def test_s1_hello_exchange(connect):
    """wire-protocol §1: the server answers our HELLO with HELLO: major 1, u16 n + n bytes of UTF-8,
    flags 0 and sequence 0, and nothing else first."""
    conn = connect(hello=False)
    conn.send_hello()
    frame = conn.recv_frame(what="the server's HELLO")
    assert frame.kind == spec.HELLO, f"first server frame is {frame.kind_name}, not HELLO"
    assert frame.flags == 0, f"HELLO flags {frame.flags:#x}, must be 0 in version 1.0"
    assert frame.sequence == 0, f"HELLO sequence {frame.sequence}, must be 0 outside REQUEST/RESPONSE"
    assert len(frame.body) >= 6, f"HELLO body of {len(frame.body)} bytes, less than major+minor+n"
    major, minor, n = struct.unpack_from("<HHH", frame.body, 0)
    assert major == spec.PROTOCOL_MAJOR, f"server HELLO major {major}, expected 1"
    assert len(frame.body) == 6 + n, f"HELLO body {len(frame.body)} bytes, but n={n} says {6 + n}"
    frame.body[6:].decode("utf-8")  # the product name must be UTF-8


@S1
def test_s1_hello_other_minor_accepted(connect):
    """wire-protocol §1: only a different *major* is refused; a client with minor 7 is served."""
    conn = connect(hello=False)
    conn.hello(minor=7, name="conformance ✓ minor 7")
    app = App(conn)
    assert app.initialize().ack == 0


@S1
@pytest.mark.parametrize("major", [0, 2, 0xFFFF])
def test_s1_hello_version_mismatch_error3(connect, major):
    """wire-protocol §1: a HELLO with a different major gets ERROR 3 (unsupported version), then the close."""
    conn = connect(hello=False)
    conn.send_hello(major=major)
    conn.expect_error(spec.ERR_VERSION, f"a HELLO with major {major}")


@S1
def test_s1_hello_body_malformed_error1(connect):
    """wire-protocol §1: a HELLO whose n runs past the body is a malformed body: ERROR 1, then the close."""
    conn = connect(hello=False)
    conn.send_frame(spec.HELLO, struct.pack("<HHH", 1, 0, 40) + b"abc")
    conn.expect_error(spec.ERR_MALFORMED, "a HELLO with n=40 and 3 name bytes")


# ---------------------------------------------------------------------------------------------- ERROR 4
@S1
def test_s1_request_before_hello_error4(connect):
    """wire-protocol §1: a REQUEST before HELLO is an unexpected kind: ERROR 4, then the close."""
    conn = connect(hello=False)
    conn.send_request(spec.INITIALIZE, {16: 1})
    conn.expect_error(spec.ERR_UNEXPECTED_KIND, "a REQUEST before HELLO")


@S1
def test_s1_client_sending_events_error4(app):
    """wire-protocol §1: EVENTS is server -> client; a client sending EVENTS gets ERROR 4, then the close."""
    record = struct.pack("<10I", 40, 0, 0, 0, spec.LINE_AGENTSESSIONSTATUS, 0, 1, 1, 0, 0)
    app.conn.send_frame(spec.EVENTS, record)
    app.conn.expect_error(spec.ERR_UNEXPECTED_KIND, "an EVENTS frame from the client")


@S1
def test_s1_client_sending_response_error4(app):
    """wire-protocol §1: RESPONSE is server -> client; a client sending one gets ERROR 4, then the close."""
    app.conn.send_frame(spec.RESPONSE, tapi32_msg(0), sequence=5)
    app.conn.expect_error(spec.ERR_UNEXPECTED_KIND, "a RESPONSE frame from the client")


@S1
def test_s1_second_hello_error4(app):
    """wire-protocol §1: HELLO is only the first frame each way; a second HELLO gets ERROR 4, then the close."""
    app.conn.send_hello()
    app.conn.expect_error(spec.ERR_UNEXPECTED_KIND, "a second HELLO")


@S1
def test_s1_unknown_kind_error(app):
    """wire-protocol §1: a frame kind outside 0..4 gets ERROR 4 (unexpected kind) or 1 (malformed); then the
    close. (The spec does not say which of the two for an undefined kind.)"""
    app.conn.send_frame(9, b"\0" * 4)
    app.conn.expect_error({spec.ERR_MALFORMED, spec.ERR_UNEXPECTED_KIND}, "a frame of kind 9")


# ---------------------------------------------------------------------------------------------- frame bounds
@S1
@pytest.mark.parametrize("length", [0, 4, 7])
def test_s1_frame_length_below_8_error1(connect, length):
    """wire-protocol §1: 8 <= length; a shorter length field is a malformed frame: ERROR 1, then the close."""
    conn = connect()
    conn.send_bytes(struct.pack("<I", length) + b"\0" * 8)  # a whole 12-byte header either way
    conn.expect_error(spec.ERR_MALFORMED, f"a frame with length {length}")


@S1
@pytest.mark.parametrize("length", [spec.MAX_LENGTH + 1, 0xFFFFFFFF])
def test_s1_frame_too_large_error2(connect, length):
    """wire-protocol §1: length <= 0x50000; a larger length gets ERROR 2 from the header alone, then the close."""
    conn = connect()
    conn.send_frame(spec.REQUEST, b"", sequence=1, length=length)  # header only: no 320 KB upload needed
    conn.expect_error(spec.ERR_TOO_LARGE, f"a frame header with length {length:#x}")


@S1
def test_s1_frame_of_max_length_accepted(app):
    """wire-protocol §1: length 0x50000 is allowed: a REQUEST that size is answered with a RESPONSE."""
    pad = spec.MAX_LENGTH - 8 - 60
    seq = app.conn.send_request(999, {}, b"\0" * pad)
    resp = app.conn.wait_response(seq, "(a REQUEST of length 0x50000)")
    assert resp.ack == spec.OPERATIONUNAVAIL, f"unknown Req_Func 999 answered {spec.describe(resp.ack)}"


@S1
def test_s1_unknown_flag_bits_ignored(connect):
    """wire-protocol §1: flags are 0 in 1.0 and a receiver ignores unknown bits: flagged frames are served."""
    conn = connect(hello=False)
    conn.send_frame(spec.HELLO, hello_body(), flags=0x8001)
    assert conn.recv_frame(what="the server's HELLO").kind == spec.HELLO
    seq = conn.send_request(spec.INITIALIZE, {16: 7, 20: 0, 28: 0}, bytes(_names()), flags=0xFFFF)
    assert conn.wait_response(seq).ack == 0


def _names() -> VarData:
    vd = VarData()
    vd.string("flags")
    vd.string("flags")
    return vd


# ---------------------------------------------------------------------------------------------- bodies
@S1
@pytest.mark.parametrize("size", [0, 4, 59])
def test_s1_short_tapi32_msg_error1(app, size):
    """wire-protocol §1: a TAPI32_MSG shorter than 60 bytes is malformed: ERROR 1, then the close."""
    app.conn.send_frame(spec.REQUEST, tapi32_msg(spec.CLOSE, {8: app.line.h_line})[:size], sequence=3)
    app.conn.expect_error(spec.ERR_MALFORMED, f"a {size}-byte TAPI32_MSG")


@S1
def test_s1_vardata_offset_outside_error1(app):
    """wire-protocol §1: a VarData offset pointing outside the VarData is malformed: ERROR 1, then the close
    (CreateAgent's agent-ID offset 200 with 12 bytes of VarData)."""
    vd = VarData()
    vd.string("3001")
    app.conn.send_request(spec.CREATEAGENT, {16: app.line.h_line, 20: 200, 24: spec.TAPI_NO_DATA}, bytes(vd))
    app.conn.expect_error(spec.ERR_MALFORMED, "CreateAgent with the agent-ID offset outside the VarData")


@S1
def test_s1_string_without_nul_error1(app):
    """wire-protocol §1: a string without its NUL terminator is malformed: ERROR 1, then the close."""
    vd = VarData()
    off = vd.string("3001", terminate=False)
    app.conn.send_request(spec.CREATEAGENT, {16: app.line.h_line, 20: off, 24: spec.TAPI_NO_DATA}, bytes(vd))
    app.conn.expect_error(spec.ERR_MALFORMED, "CreateAgent with an unterminated agent ID")


@S1
def test_s1_guid_outside_vardata_error1(app):
    """wire-protocol §1: CreateAgentSession's 16-byte GroupID running past the VarData is malformed: ERROR 1."""
    h_agent = app.agent(spec.AGENT_PLAIN_ID)
    vd = VarData()
    off = vd.raw(spec.guid_bytes(spec.SUPPORT)[:8])
    app.conn.send_request(spec.CREATEAGENTSESSION, {
        16: app.line.h_line, 20: h_agent, 24: spec.TAPI_NO_DATA, 28: 0, 32: off, 36: 16}, bytes(vd))
    app.conn.expect_error(spec.ERR_MALFORMED, "CreateAgentSession with a GroupID cut after 8 bytes")


@pytest.fixture(scope="module")
def idle_target(request, tsp_address):
    """(address, idle timeout): the server under test with its documented --tsp-idle-timeout, or, without
    --tsp, a second `python -m tsp --read-timeout 0.5` (our server's documented idle timeout option)."""
    if request.config.getoption("--tsp"):
        idle = request.config.getoption("--tsp-idle-timeout")
        if idle is None or idle > 10:
            pytest.skip("the server documents no idle timeout of at most 10 s (give it with --tsp-idle-timeout)")
        yield tsp_address, idle
        return
    server = start_server(extra=["--read-timeout", "0.5"])
    yield server.address, 0.5
    server.stop()


@S1
def test_s1_idle_timeout_before_hello_error5(idle_target):
    """wire-protocol §1: ERROR 5 (idle timeout), then the close, for a connection that sends nothing (no HELLO)
    for longer than the server's idle timeout."""
    address, idle = idle_target
    conn = RawConnection(address, idle + 5)
    try:
        conn.expect_error(spec.ERR_IDLE, f"{idle} s without HELLO")
    finally:
        conn.close()


@S1
def test_s1_idle_timeout_inside_frame_error5(idle_target):
    """wire-protocol §1: ERROR 5 (idle timeout), then the close, for a connection that stops in the middle of
    a frame for longer than the server's idle timeout."""
    address, idle = idle_target
    conn = RawConnection(address, idle + 5)
    try:
        conn.hello()
        conn.send_bytes(frame_bytes(spec.REQUEST, tapi32_msg(spec.INITIALIZE), 1)[:30])
        conn.expect_error(spec.ERR_IDLE, f"{idle} s of silence inside a frame")
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------------- server frames
@S1
def test_s1_server_frames_flags_and_sequences(app):
    """wire-protocol §1: every server frame has flags 0; sequence is 0 except in RESPONSE; EVENTS bodies are
    whole ASYNCEVENTMSG records, each TotalSize bytes, a multiple of 4, back to back."""
    h_agent = app.agent(f"cf-frames-{random.getrandbits(32):08x}")
    h_session = app.session(h_agent, spec.SALES)
    app.get_group_list()  # odd-length names: exercises padding
    app.get_session_info(h_session, size=100)
    app.set_state(h_session, spec.ENDED)
    app.conn.drain(0.1)
    assert app.conn.frames, "no frames recorded"
    for frame in app.conn.frames:
        assert frame.flags == 0, f"{frame.kind_name} with flags {frame.flags:#x}"
        if frame.kind != spec.RESPONSE:
            assert frame.sequence == 0, f"{frame.kind_name} with sequence {frame.sequence}"
    assert app.conn.record_violations == []
    assert any(f.kind == spec.EVENTS for f in app.conn.frames)


# ---------------------------------------------------------------------------------------------- pairing
@S1
def test_s1_response_pairing_many_in_flight(app):
    """wire-protocol §1: every REQUEST gets exactly one RESPONSE carrying its sequence, in any order, with
    300 requests in flight (async with client-chosen request IDs, sync errors, unknown functions) and
    sequences anywhere in the u32 range."""
    rng = random.Random(5)
    seqs = rng.sample(range(1, 0xFFFFFFFF), 297) + [0xFFFFFFFF, 0x80000000, 0x7FFFFFFF]
    rng.shuffle(seqs)
    h_line = app.line.h_line
    expected: dict[int, int] = {}
    wire = bytearray()
    for i, seq in enumerate(seqs):
        kind = i % 3
        if kind == 0:  # async GetGroupList with a client-chosen request ID -> RESPONSE carries that ID
            rid = 0x100000 + i
            body = tapi32_msg(spec.GETGROUPLIST, {8: rid, 16: h_line, 24: 1024})
            expected[seq] = rid
        elif kind == 1:  # sync error
            body = tapi32_msg(spec.CLOSE, {8: 0xFFFF0000 + i})
            expected[seq] = spec.INVALLINEHANDLE
        else:
            body = tapi32_msg(5000 + i)
            expected[seq] = spec.OPERATIONUNAVAIL
        wire += frame_bytes(spec.REQUEST, body, seq)
    sender = threading.Thread(target=app.conn.send_bytes, args=(bytes(wire),), daemon=True)
    sender.start()
    got: dict[int, int] = {}
    deadline = time.monotonic() + 20
    while len(got) < len(seqs):
        assert time.monotonic() < deadline, f"only {len(got)} of {len(seqs)} RESPONSEs"
        app.conn.recv_frame(what=f"RESPONSE {len(got) + 1} of {len(seqs)}")
        for seq in list(app.conn.responses):
            resp = app.conn.responses.pop(seq)
            assert seq in expected, f"RESPONSE with sequence {seq:#x} matches no REQUEST"
            assert seq not in got, f"second RESPONSE for sequence {seq:#x}"
            got[seq] = resp.ack
    sender.join(5)
    wrong = {f"{s:#x}": (spec.describe(got[s]), spec.describe(expected[s])) for s in seqs if got[s] != expected[s]}
    assert not wrong, f"RESPONSEs paired with the wrong REQUEST (got, expected): {dict(list(wrong.items())[:5])}"
    app.conn.drain(0.05)  # late EVENTS are fine; no extra RESPONSE may follow
    assert not app.conn.responses, f"extra RESPONSEs: {sorted(app.conn.responses)}"


# ---------------------------------------------------------------------------------------------- isolation
@S1
def test_s1_malformed_frame_leaves_other_connections_working(make_app, connect):
    """wire-protocol §1: ERROR 1 closes only the offending connection; another connection keeps getting
    RESPONSEs and events, and new connections are accepted."""
    victim = make_app(2)
    bystander = make_app(2)
    h_agent = bystander.agent(f"cf-iso-{random.getrandbits(32):08x}")
    h_session = bystander.session(h_agent, spec.SALES, line=bystander.line)
    victim.conn.send_bytes(struct.pack("<I", 3) + b"xyz\0\0\0\0\0")
    victim.conn.expect_error(spec.ERR_MALFORMED, "a frame with length 3")
    bystander.set_state(h_session, spec.READY).expect_ok("SetAgentSessionState(READY) on the other connection")
    bystander.set_state(h_session, spec.ENDED).expect_ok("SetAgentSessionState(ENDED)")
    bystander.conn.wait_record(
        lambda r: r.msg == spec.LINE_AGENTSESSIONSTATUS and r.param1 == h_session and r.param3 == spec.ENDED,
        "LINE_AGENTSESSIONSTATUS(ENDED) on the surviving connection")
    newcomer = connect()
    assert App(newcomer).initialize().ack == 0
