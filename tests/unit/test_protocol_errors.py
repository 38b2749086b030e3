"""Untrusted input only ever raises ProtocolError (with the right code); local misuse LocalProtocolError.

Raw bytes here are built with ``struct`` from the spec's offsets, independently of the codec.
"""

from __future__ import annotations

import random
import struct
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol import (
    MAX_FRAME_LENGTH,
    NEED_DATA,
    REQUEST_TYPES,
    STRUCT_CLASSES,
    AgentSessionStatusEvent,
    AsyncEventMsg,
    Connection,
    CreateAgent,
    CreateAgentSession,
    EmuOfferCall,
    Error,
    ErrorCode,
    Events,
    Hello,
    LineReply,
    LocalProtocolError,
    NegotiateAPIVersion,
    ProtocolError,
    RemoteProtocolError,
    RawRequest,
    Request,
    Response,
    Role,
    decode,
    decode_event_records,
    decode_request_body,
    decode_response_body,
    decode_struct,
    encode,
)
from protocol.codec import check_length
from vectors import VECTORS

NO_DATA = 0xFFFFFFFF


def tapi32(func: int, params: dict[int, int], vardata: bytes = b"") -> bytes:
    """TAPI32_MSG with the DWORDs at the given fixed-part offsets set."""
    fixed = bytearray(60)
    struct.pack_into("<I", fixed, 0, func)
    for off, value in params.items():
        struct.pack_into("<I", fixed, off, value)
    return bytes(fixed) + vardata


def frame(kind: int, body: bytes, sequence: int = 0) -> bytes:
    return struct.pack("<IHHI", 8 + len(body), kind, 0, sequence) + body


def utf16z(s: str) -> bytes:
    return s.encode("utf-16-le") + b"\x00\x00"


def malformed(func, *args, **kw) -> RemoteProtocolError:
    with pytest.raises(RemoteProtocolError) as ei:
        func(*args, **kw)
    assert ei.value.code == ErrorCode.MALFORMED, ei.value
    return ei.value


# --- frame boundaries ---------------------------------------------------------------------------------


def test_length_boundaries() -> None:
    with pytest.raises(RemoteProtocolError) as ei:
        check_length(7)
    assert ei.value.code == ErrorCode.MALFORMED
    check_length(8)
    check_length(MAX_FRAME_LENGTH)
    with pytest.raises(RemoteProtocolError) as ei:
        check_length(MAX_FRAME_LENGTH + 1)
    assert ei.value.code == ErrorCode.FRAME_TOO_LARGE


def test_length_8_frame_passes_the_length_check_and_fails_on_its_empty_body() -> None:
    err = malformed(decode, struct.pack("<IHHI", 8, 1, 0, 1))  # REQUEST with no TAPI32_MSG
    assert "TAPI32_MSG" in err.message


def test_decode_length_7_and_too_large() -> None:
    malformed(decode, struct.pack("<IHHI", 7, 0, 0, 0)[:11])
    with pytest.raises(RemoteProtocolError) as ei:
        decode(struct.pack("<IHHI", MAX_FRAME_LENGTH + 1, 1, 0, 0))
    assert ei.value.code == ErrorCode.FRAME_TOO_LARGE


def test_max_length_frame_decodes_and_one_more_byte_cannot_be_encoded() -> None:
    body = tapi32(500, {}, bytes(MAX_FRAME_LENGTH - 8 - 60))
    data = frame(1, body, 1)
    assert struct.unpack_from("<I", data)[0] == MAX_FRAME_LENGTH
    assert decode(data).body.req_func == 500
    with pytest.raises(LocalProtocolError) as ei:
        encode(Request(1, RawRequest(500, (0,) * 13, bytes(MAX_FRAME_LENGTH - 8 - 60 + 1))))
    assert ei.value.code == ErrorCode.FRAME_TOO_LARGE


def test_length_field_disagreeing_with_bytes() -> None:
    good = encode(Hello())
    malformed(decode, good + b"\x00")
    malformed(decode, good[:-1])
    malformed(decode, good[:3])


def test_unknown_kind_is_unexpected() -> None:
    with pytest.raises(RemoteProtocolError) as ei:
        decode(frame(7, b""))
    assert ei.value.code == ErrorCode.UNEXPECTED_KIND


def test_flags_and_sequence_of_other_kinds_are_ignored() -> None:
    data = bytearray(encode(Hello(product="x")))
    struct.pack_into("<HI", data, 6, 0xFFFF, 99)
    assert decode(bytes(data)) == Hello(product="x")


# --- HELLO / ERROR bodies -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"\x01\x00\x00\x00\x00",  # 5 bytes
        struct.pack("<HHH", 1, 0, 4) + b"abc",  # n too big
        struct.pack("<HHH", 1, 0, 2) + b"abc",  # trailing byte
        struct.pack("<HHH", 1, 0, 2) + b"\xff\xfe",  # not UTF-8
    ],
)
def test_bad_hello(body: bytes) -> None:
    malformed(decode, frame(0, body))


def test_hello_other_major_decodes_for_the_version_check() -> None:
    assert decode(frame(0, struct.pack("<HH", 2, 7) + b"whatever layout")) == Hello(2, 7, "")


@pytest.mark.parametrize("body", [b"\x01\x00\x00\x00\x00", struct.pack("<IH", 1, 3) + b"ab"])
def test_bad_error_body(body: bytes) -> None:
    malformed(decode, frame(4, body))


def test_error_text_with_bad_utf8_keeps_code() -> None:
    assert decode(frame(4, struct.pack("<IH", 2, 2) + b"\xff\xfe")).code == ErrorCode.FRAME_TOO_LARGE


# --- TAPI32_MSG VarData -------------------------------------------------------------------------------

AGENT_ID = utf16z("1001")  # 10 bytes


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("short-fixed-part", tapi32(146, {})[:59]),
        ("offset-past-vardata", tapi32(146, {20: 12, 24: NO_DATA}, AGENT_ID + b"\x00\x00")),
        ("offset-odd", tapi32(146, {20: 1, 24: NO_DATA}, b"\x00" + AGENT_ID)),
        ("no-nul", tapi32(146, {20: 0, 24: NO_DATA}, "1001".encode("utf-16-le"))),
        ("nul-straddling", tapi32(146, {20: 0, 24: NO_DATA}, b"1\x00\x00")),
        ("empty-vardata", tapi32(146, {20: 0, 24: NO_DATA})),
        ("required-string-absent", tapi32(146, {20: NO_DATA, 24: NO_DATA}, AGENT_ID)),
        ("optional-string-bad-offset", tapi32(146, {20: 0, 24: 100}, AGENT_ID)),
        ("lone-surrogate", tapi32(146, {20: 0, 24: NO_DATA}, b"\x00\xd8\x00\x00")),
        ("guid-size-15", tapi32(147, {24: NO_DATA, 32: 0, 36: 15}, bytes(16))),
        ("guid-size-17", tapi32(147, {24: NO_DATA, 32: 0, 36: 17}, bytes(17))),
        ("guid-size-0", tapi32(147, {24: NO_DATA, 32: 0, 36: 0}, bytes(16))),
        ("guid-truncated", tapi32(147, {24: NO_DATA, 32: 4, 36: 16}, bytes(16))),
        ("guid-absent", tapi32(147, {24: NO_DATA, 32: NO_DATA, 36: 16}, bytes(16))),
        ("offercall-guid-short", tapi32(1001, {8: 0}, bytes(15))),
    ],
)
def test_malformed_request_bodies(name: str, body: bytes) -> None:
    malformed(decode_request_body, body)
    malformed(decode, frame(1, body, 1))


def test_absent_optional_string_is_none_and_present_pin_is_read() -> None:
    body = decode_request_body(tapi32(146, {16: 5, 20: 0, 24: NO_DATA}, AGENT_ID + b"\x00\x00"))
    assert body == CreateAgent(h_line=5, agent_id="1001", pin=None)
    # items may sit anywhere in VarData, unaligned to 4, reused, with reserved DWORDs set
    var = b"\x00\x00" + utf16z("9") + AGENT_ID
    body = decode_request_body(tapi32(146, {16: 5, 20: 6, 24: 2, 44: 0xDEAD}, var))
    assert body == CreateAgent(h_line=5, agent_id="1001", pin="9")
    assert decode_request_body(tapi32(146, {20: 0, 24: 0}, AGENT_ID)).pin == "1001"


def test_unknown_function_is_raw_request_not_error() -> None:
    body = decode_request_body(tapi32(4242, {8: 1, 56: 2}, b"\x01"))
    assert body == RawRequest(4242, (1,) + (0,) * 11 + (2,), b"\x01")


def test_response_without_known_function_is_malformed() -> None:
    malformed(decode, frame(2, tapi32(0, {}), 1))
    malformed(decode_response_body, tapi32(0, {})[:30], 149)


def test_guid_with_extra_size_rejected_but_exact_16_accepted() -> None:
    g = uuid.UUID(int=0x1234)
    body = decode_request_body(tapi32(147, {16: 1, 20: 2, 24: NO_DATA, 32: 0, 36: 16}, g.bytes_le))
    assert body == CreateAgentSession(h_line=1, h_agent=2, group_id=g)


# --- ASYNCEVENTMSG records ----------------------------------------------------------------------------


def record(total: int, msg: int = 12, params: tuple[int, ...] = (0, 0, 0, 0), var: bytes = b"", ctx: int = 0) -> bytes:
    return struct.pack("<10I", total, 1, ctx, 3, msg, 4, *params) + var


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("empty", b""),
        ("short-header", record(40)[:39]),
        ("total-below-40", record(36)),
        ("total-not-multiple-of-4", record(42, var=b"\x00\x00")),
        ("total-past-end", record(48, var=bytes(4))),
        ("trailing-garbage", record(40) + b"\x01\x02"),
    ],
)
def test_malformed_event_records(name: str, body: bytes) -> None:
    malformed(decode_event_records, body)
    malformed(decode, frame(3, body))


def test_odd_shaped_records_stay_generic() -> None:
    # LINE_REPLY whose Param4 exceeds its data, or with non-zero padding; status event with VarData
    recs = decode_event_records(
        record(44, 12, (1, 0, 0, 8), bytes(4))
        + record(44, 12, (1, 0, 0, 2), b"ab\x01\x00")
        + record(44, 27, (1, 2, 2, 0), bytes(4))
        + record(40, 27, (1, 2, 2, 0), ctx=9)
    )
    assert all(type(r) is AsyncEventMsg for r in recs)
    assert [r.msg for r in recs] == [12, 12, 27, 27]
    assert decode_event_records(record(44, 12, (1, 0, 0, 2), b"ab\x00\x00"))[0] == LineReply(
        init_context=1, hdevice=3, open_context=4, request_id=1, data=b"ab"
    )


def test_unknown_status_bits_and_states_are_kept() -> None:
    (rec,) = decode_event_records(record(40, 27, (5, 0xF0, 0x99, 0)))
    assert isinstance(rec, AgentSessionStatusEvent) and rec.status == 0xF0 and rec.state == 0x99


# --- local errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame_",
    [
        Request(-1, RawRequest(1)),
        Request(2**32, RawRequest(1)),
        Request(1, RawRequest(1, (0,) * 12)),
        Request(1, RawRequest(2**32)),
        Request(1, CreateAgent(h_line=1, agent_id="a\x00b")),
        Request(1, CreateAgent(h_line=1, agent_id="\ud800")),
        Request(1, CreateAgent(h_line=1, agent_id=None)),  # type: ignore[arg-type]
        Request(1, CreateAgent(h_line=-1, agent_id="x")),
        Request(1, CreateAgentSession(h_line=1, h_agent=1, group_id="not a uuid")),  # type: ignore[arg-type]
        Request(1, "not a body"),
        Response(1, -5, RawRequest(1)),
        Events([]),
        Events(["not a record"]),
        Events([LineReply(request_id=2**32)]),
        Hello(major=70000),
        Hello(product="x" * 70000),
        Error(2**32, ""),
        "not a frame",
    ],
)
def test_local_errors(frame_: object) -> None:
    with pytest.raises(LocalProtocolError):
        encode(frame_)


def test_to_frame_truncates_text() -> None:
    err = ProtocolError(ErrorCode.MALFORMED, "é" * 5000)
    f = err.to_frame()
    assert f.code == ErrorCode.MALFORMED and len(f.text.encode()) <= 1024
    assert decode(encode(f)) == f


# --- fuzzing: only RemoteProtocolError ever escapes ---------------------------------------------------------

VALID_FRAMES = [(data, func) for _, _, func, data in VECTORS]
FUNCS = [*REQUEST_TYPES, 0, 999, 4242]


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=200), st.sampled_from([None, *FUNCS]))
def test_random_frames_only_raise_protocol_error(data: bytes, func: int | None) -> None:
    try:
        decode(data, response_func=func)
    except RemoteProtocolError:
        pass


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(VALID_FRAMES), st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=6))
def test_mutated_valid_frames_only_raise_protocol_error(vec: tuple[bytes, int | None], flips: list) -> None:
    data, func = vec
    data = bytearray(data)
    for pos, value in flips:
        data[12 + pos % max(1, len(data) - 12) if len(data) > 12 else 0] = value
    try:
        decode(bytes(data), response_func=func)
    except RemoteProtocolError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=300), st.sampled_from(FUNCS))
def test_random_bodies_only_raise_protocol_error(body: bytes, func: int) -> None:
    fixed = struct.pack("<I", func) + body
    for call in (
        lambda: decode_request_body(fixed),
        lambda: decode_response_body(fixed, func),
        lambda: decode_event_records(body),
    ):
        try:
            call()
        except RemoteProtocolError:
            pass
    for cls in STRUCT_CLASSES:
        try:
            decode_struct(cls, body)
        except RemoteProtocolError:
            pass


def feed_in_pieces(conn: Connection, data: bytes, rnd: random.Random) -> list:
    """Feed ``data`` in random pieces; collect frames until NEED_DATA; RemoteProtocolError propagates."""
    out: list = []
    pos = 0
    while pos < len(data):
        n = rnd.randint(1, 40)
        conn.receive_data(data[pos : pos + n])
        pos += n
        while (ev := conn.next_event()) is not NEED_DATA:
            out.append(ev)
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400), st.sampled_from([Role.CLIENT, Role.SERVER]), st.integers(0, 2**32))
def test_connection_random_bytes_any_fragmentation_only_protocol_error(data: bytes, role: Role, seed: int) -> None:
    conn = Connection(role)
    if role is Role.CLIENT:
        conn.send(Hello())
    data = encode(Hello()) + data  # get past the handshake so every kind is reachable
    try:
        feed_in_pieces(conn, data, random.Random(seed))
        conn.receive_data(b"")
        conn.next_event()
    except RemoteProtocolError:
        pass


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32))
def test_valid_stream_decodes_identically_under_any_fragmentation(seed: int) -> None:
    frames = [f for _, f, _, _ in VECTORS if isinstance(f, Request)]
    stream = encode(Hello()) + b"".join(encode(f) for f in frames)
    conn = Connection(Role.SERVER)
    got = feed_in_pieces(conn, stream, random.Random(seed))
    assert got == [Hello(), *frames]


def test_server_events_stream_fragmented_byte_by_byte() -> None:
    client = Connection(Role.CLIENT)
    client.send(Hello())
    stream = encode(Hello()) + b"".join(encode(f) for _, f, _, _ in VECTORS if isinstance(f, Events))
    got = []
    for b in stream:
        client.receive_data(bytes([b]))
        while (ev := client.next_event()) is not NEED_DATA:
            got.append(ev)
    assert got == [Hello(), *(f for _, f, _, _ in VECTORS if isinstance(f, Events))]


@pytest.mark.parametrize(
    ("params", "var", "expected"),
    [
        ({28: 0, 32: 16}, bytes(range(16)), bytes(range(16))),
        ({28: 4, 32: 4}, bytes(range(16)), bytes(range(4, 8))),
        ({28: 0, 32: 17}, bytes(16), b""),  # room too small: out field, not malformed
        ({28: NO_DATA, 32: 16}, bytes(16), b""),
        ({28: 0, 32: 16}, b"", b""),  # no room sent at all
    ],
)
def test_negotiate_out_buffer_is_lenient(params: dict, var: bytes, expected: bytes) -> None:
    body = decode_request_body(tapi32(52, {8: 1, **params}, var))
    assert body == NegotiateAPIVersion(h_line_app=1, device_id=0, api_low_version=0, api_high_version=0,
                                       extension_id=expected)


@pytest.mark.parametrize("value", [0, 4, NO_DATA])
def test_open_call_params_offset_is_not_interpreted(value: int) -> None:
    assert decode_request_body(tapi32(54, {40: value})).call_params_offset == value


def test_negotiate_default_extension_buffer_roundtrips() -> None:
    body = NegotiateAPIVersion(h_line_app=1, device_id=0, extension_id=b"")
    assert decode(encode(Request(1, body))).body == body
    body = EmuOfferCall(group_id=uuid.UUID(int=5))
    assert decode(encode(Request(1, body))).body == body


# --- the hierarchy (as in h11) ---------------------------------------------------------------------------------


def test_both_kinds_are_protocol_errors_with_the_code_they_imply() -> None:
    assert issubclass(RemoteProtocolError, ProtocolError)
    assert issubclass(LocalProtocolError, ProtocolError)
    assert not issubclass(LocalProtocolError, RemoteProtocolError)
    local = LocalProtocolError("too big", ErrorCode.FRAME_TOO_LARGE)
    assert local.code is ErrorCode.FRAME_TOO_LARGE and local.message == "too big"
    assert LocalProtocolError("bad value").code is ErrorCode.MALFORMED
    remote = RemoteProtocolError(ErrorCode.UNEXPECTED_KIND, "a second HELLO")
    assert remote.to_frame().code == ErrorCode.UNEXPECTED_KIND


def test_received_garbage_is_remote_and_bad_values_to_send_are_local() -> None:
    with pytest.raises(RemoteProtocolError) as ei:
        decode(b"\x00\x00\x00\x03" + b"\x00" * 8)
    assert not isinstance(ei.value, LocalProtocolError)
    with pytest.raises(LocalProtocolError) as li:
        encode(Request(sequence=1, body=CreateAgent(h_line=1, agent_id="a\x00b", pin=None)))
    assert not isinstance(li.value, RemoteProtocolError)
    assert "NUL" in str(li.value)
