"""The sans-I/O Connection: handshake order, per-role kinds, limits, fragmentation, request tracking."""

from __future__ import annotations

import struct

import pytest

from protocol import (
    CLOSED,
    MAX_FRAME_LENGTH,
    NEED_DATA,
    AgentSessionInfo,
    Connection,
    CreateAgent,
    Error,
    ErrorCode,
    Events,
    GetAgentSessionInfo,
    Hello,
    LineReply,
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
    RawRequest,
    Request,
    Response,
    Role,
    SetAgentSessionState,
    encode,
)


def frame(kind: int, body: bytes = b"", sequence: int = 0) -> bytes:
    """A raw frame written with struct (independent of the codec under test)."""
    return struct.pack("<IHHI", 8 + len(body), kind, 0, sequence) + body


def hello_body(major: int = 1, minor: int = 0, product: bytes = b"") -> bytes:
    return struct.pack("<HHH", major, minor, len(product)) + product


def pair() -> tuple[Connection, Connection]:
    """A client and a server that have exchanged HELLOs."""
    c, s = Connection(Role.CLIENT), Connection(Role.SERVER)
    s.receive_data(c.send(Hello(product="client")))
    assert s.next_event() == Hello(product="client")
    c.receive_data(s.send(Hello(product="server")))
    assert c.next_event() == Hello(product="server")
    assert c.ready and s.ready
    return c, s


def events(conn: Connection) -> list:
    out = []
    while (ev := conn.next_event()) is not NEED_DATA and ev is not CLOSED:
        out.append(ev)
    return out


def test_handshake_and_request_response_roundtrip() -> None:
    c, s = pair()
    seq = c.next_sequence()
    body = GetAgentSessionInfo(h_line=5, h_agent_session=9, agent_session_info_context=3)
    s.receive_data(c.send(Request(seq, body)))
    assert events(s) == [Request(seq, body)]
    c.receive_data(s.send(Response(seq, 42, body)))
    assert events(c) == [Response(seq, 42, body)]
    assert c.pending_requests == {} and c.pending_replies == {42: 149}


def test_line_reply_gets_typed_value_and_id_is_forgotten() -> None:
    c, s = pair()
    seq = c.next_sequence()
    body = GetAgentSessionInfo(h_line=5, h_agent_session=9)
    c.send(Request(seq, body))
    c.receive_data(s.send(Response(seq, 7, body)))
    events(c)
    info = AgentSessionInfo(total_size=76, number_of_calls=3)
    c.receive_data(s.send(Events([LineReply(request_id=7, data=info.to_bytes())])))
    (ev,) = events(c)
    (reply,) = ev.records
    assert reply.req_func == 149 and reply.value == info
    assert c.pending_replies == {}
    # a second LINE_REPLY with the same ID is passed through untyped
    c.receive_data(s.send(Events([LineReply(request_id=7, data=info.to_bytes())])))
    (ev,) = events(c)
    assert ev.records[0].req_func is None and ev.records[0].value is None


def test_create_agent_reply_value_is_handle_and_failure_has_no_value() -> None:
    c, s = pair()
    for seq, rid, result, data in ((1, 10, 0, struct.pack("<I", 0x1234)), (2, 11, 0x80000059, b"")):
        c.send(Request(seq, CreateAgent(h_line=1, agent_id="1001")))
        c.receive_data(s.send(Response(seq, rid, CreateAgent(h_line=1, agent_id="1001"))))
        events(c)
        c.receive_data(s.send(Events([LineReply(request_id=rid, result=result, data=data)])))
        (ev,) = events(c)
        expected = 0x1234 if result == 0 else None
        assert ev.records[0].value == expected and ev.records[0].req_func == 146


def test_sync_error_result_and_sync_functions_track_no_request_id() -> None:
    c, s = pair()
    c.send(Request(1, SetAgentSessionState(h_line=1, h_agent_session=2, agent_session_state=2)))
    c.receive_data(s.send(Response(1, 0x8000005A, SetAgentSessionState(h_line=1, h_agent_session=2))))
    events(c)
    assert c.pending_replies == {}
    c.send(Request(2, RawRequest(999)))
    c.receive_data(s.send(Response(2, 5, RawRequest(999))))
    (r,) = events(c)
    assert r.body.req_func == 999 and c.pending_replies == {}


def test_response_for_unknown_sequence_is_malformed() -> None:
    c, s = pair()
    c.receive_data(s.send(Response(99, 0, RawRequest(1))))
    with pytest.raises(RemoteProtocolError) as ei:
        c.next_event()
    assert ei.value.code == ErrorCode.MALFORMED


@pytest.mark.parametrize(
    ("role", "data", "code"),
    [
        (Role.SERVER, frame(1, bytes(60), 1), ErrorCode.UNEXPECTED_KIND),  # REQUEST before HELLO
        (Role.SERVER, frame(3, bytes(40)), ErrorCode.UNEXPECTED_KIND),  # client sending EVENTS
        (Role.SERVER, frame(2, bytes(60), 1), ErrorCode.UNEXPECTED_KIND),  # client sending RESPONSE
        (Role.SERVER, frame(9), ErrorCode.UNEXPECTED_KIND),  # unknown kind
        (Role.SERVER, frame(0, hello_body(major=2)), ErrorCode.UNSUPPORTED_VERSION),
        (Role.SERVER, frame(0, hello_body(major=0)), ErrorCode.UNSUPPORTED_VERSION),
        (Role.CLIENT, frame(0, hello_body()), ErrorCode.UNEXPECTED_KIND),  # server HELLO before ours
        (Role.SERVER, struct.pack("<I", 7) + bytes(7), ErrorCode.MALFORMED),
        (Role.SERVER, struct.pack("<I", MAX_FRAME_LENGTH + 1), ErrorCode.FRAME_TOO_LARGE),
    ],
)
def test_receive_violations(role: Role, data: bytes, code: ErrorCode) -> None:
    conn = Connection(role)
    conn.receive_data(data)
    with pytest.raises(RemoteProtocolError) as ei:
        conn.next_event()
    assert ei.value.code == code
    # the same error again, and then only an ERROR frame may be sent; afterwards closed
    with pytest.raises(RemoteProtocolError):
        conn.next_event()
    assert encode(ei.value.to_frame()) == conn.send(ei.value.to_frame())
    assert conn.closed and conn.next_event() is CLOSED


def test_too_large_raised_from_header_alone() -> None:
    conn = Connection(Role.SERVER)
    conn.receive_data(struct.pack("<I", MAX_FRAME_LENGTH + 1))  # 4 bytes only, no body
    with pytest.raises(RemoteProtocolError) as ei:
        conn.next_event()
    assert ei.value.code == ErrorCode.FRAME_TOO_LARGE


def test_max_length_frame_is_accepted() -> None:
    c, s = pair()
    vardata = bytes(MAX_FRAME_LENGTH - 8 - 60)
    s.receive_data(c.send(Request(1, RawRequest(500, (0,) * 13, vardata))))
    (r,) = events(s)
    assert len(r.body.vardata) == len(vardata)


def test_second_hello_is_unexpected() -> None:
    c, s = pair()
    s.receive_data(frame(0, hello_body()))
    with pytest.raises(RemoteProtocolError) as ei:
        s.next_event()
    assert ei.value.code == ErrorCode.UNEXPECTED_KIND


def test_eof_at_boundary_closes_and_mid_frame_is_malformed() -> None:
    c, s = pair()
    s.receive_data(b"")
    assert s.next_event() is CLOSED and s.next_event() is CLOSED
    assert not s.closed and c.receive_data(s.send(Error(ErrorCode.IDLE_TIMEOUT, "bye"))) is None
    assert s.closed
    c, s = pair()
    s.receive_data(c.send(Request(1, RawRequest(1)))[:10])
    s.receive_data(b"")
    with pytest.raises(RemoteProtocolError) as ei:
        s.next_event()
    assert ei.value.code == ErrorCode.MALFORMED


def test_error_frame_received_closes() -> None:
    c, s = pair()
    c.receive_data(s.send(Error(ErrorCode.IDLE_TIMEOUT, "idle")))
    assert c.next_event() == Error(ErrorCode.IDLE_TIMEOUT, "idle")
    assert c.next_event() is CLOSED and c.closed
    with pytest.raises(LocalProtocolError):
        c.send(Request(1, RawRequest(1)))
    with pytest.raises(LocalProtocolError):
        s.send(Events([LineReply(request_id=1)]))


def test_local_send_order_is_enforced() -> None:
    c = Connection(Role.CLIENT)
    with pytest.raises(LocalProtocolError):
        c.send(Request(1, RawRequest(1)))  # before HELLO
    c.send(Hello())
    with pytest.raises(LocalProtocolError):
        c.send(Request(1, RawRequest(1)))  # before the server's HELLO
    with pytest.raises(LocalProtocolError):
        c.send(Hello())  # twice
    s = Connection(Role.SERVER)
    with pytest.raises(LocalProtocolError):
        s.send(Hello())  # server answers, never starts
    c, s = pair()
    with pytest.raises(LocalProtocolError):
        c.send(Events([LineReply(request_id=1)]))
    with pytest.raises(LocalProtocolError):
        s.send(Request(1, RawRequest(1)))
    c.send(Request(5, RawRequest(1)))
    with pytest.raises(LocalProtocolError):
        c.send(Request(5, RawRequest(1)))  # sequence outstanding
    assert c.next_sequence() not in (0, 5)


def test_next_sequence_skips_outstanding() -> None:
    c, _ = pair()
    seen = set()
    for _ in range(5):
        seq = c.next_sequence()
        c.send(Request(seq, RawRequest(1)))
        seen.add(seq)
    assert len(seen) == 5 and 0 not in seen
