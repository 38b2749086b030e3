"""Golden vectors (tests/unit/vectors.py) in both directions, and field offsets of LINEAGENTSESSIONINFO."""

from __future__ import annotations

import datetime as dt
import struct
from decimal import Decimal

import pytest

from protocol import AgentSessionInfo, decode, decode_struct, encode, encode_struct
from vectors import STRUCT_VECTORS, VECTORS


@pytest.mark.parametrize(("name", "frame", "func", "data"), VECTORS, ids=[v[0] for v in VECTORS])
def test_encode_matches_vector(name: str, frame: object, func: int | None, data: bytes) -> None:
    assert encode(frame).hex(" ", 4) == data.hex(" ", 4)


@pytest.mark.parametrize(("name", "frame", "func", "data"), VECTORS, ids=[v[0] for v in VECTORS])
def test_decode_matches_vector(name: str, frame: object, func: int | None, data: bytes) -> None:
    assert decode(data, response_func=func) == frame


@pytest.mark.parametrize(("name", "obj", "data"), STRUCT_VECTORS, ids=[v[0] for v in STRUCT_VECTORS])
def test_struct_vectors(name: str, obj: object, data: bytes) -> None:
    assert encode_struct(obj).hex(" ", 4) == data.hex(" ", 4)
    assert decode_struct(type(obj), data) == obj


def test_every_message_kind_and_body_class_has_a_vector() -> None:
    from protocol import REQUEST_CLASSES, AgentSessionStatusEvent, AsyncEventMsg, LineReply, RawRequest

    frames = [v[1] for v in VECTORS]
    kinds = {type(f).__name__ for f in frames}
    assert kinds == {"Hello", "Request", "Response", "Events", "Error"}
    bodies = {type(f.body) for f in frames if hasattr(f, "body")}
    assert set(REQUEST_CLASSES) | {RawRequest} <= bodies
    recs = {type(r) for f in frames if hasattr(f, "records") for r in f.records}
    assert recs == {LineReply, AgentSessionStatusEvent, AsyncEventMsg}


# tapi-facts §2.1: (offset, struct format, field, value) - distinct values so a shifted field shows.
SESSION_INFO_OFFSETS = [
    (0, "I", "total_size", 1000),
    (4, "I", "needed_size", 76),
    (8, "I", "used_size", 76),
    (12, "I", "state", 4),
    (16, "I", "next_state", 1),
    (28, "I", "session_duration", 2001),
    (32, "I", "number_of_calls", 2002),
    (36, "I", "total_talk_time", 2003),
    (40, "I", "average_talk_time", 2004),
    (44, "I", "total_call_time", 2005),
    (48, "I", "average_call_time", 2006),
    (52, "I", "total_wrap_up_time", 2007),
    (56, "I", "average_wrap_up_time", 2008),
    (68, "I", "longest_time_to_answer", 2009),
    (72, "I", "average_time_to_answer", 2010),
]


def test_agent_session_info_every_field_at_its_offset() -> None:
    fields = {name: value for _, _, name, value in SESSION_INFO_OFFSETS}
    start = dt.datetime(1900, 1, 4, 6, 0, tzinfo=dt.timezone.utc)  # [MS-OAUT] example: 5.25
    info = AgentSessionInfo(session_start_time=start, acd_call_rate=Decimal("5.25"), **fields)
    data = encode_struct(info)
    assert len(data) == 76 == struct.calcsize("<5Id8Iq2I")
    for offset, fmt, name, value in SESSION_INFO_OFFSETS:
        assert struct.unpack_from("<" + fmt, data, offset)[0] == value, name
    assert struct.unpack_from("<d", data, 20)[0] == 5.25
    assert struct.unpack_from("<q", data, 60)[0] == 52500
    # and the reference codec of tapi-facts reads the same values back
    ref = struct.unpack("<5Id8Iq2I", data)
    assert ref[5] == 5.25 and ref[14] == 52500 and ref[0] == 1000 and ref[16] == 2010
    assert decode_struct(AgentSessionInfo, data) == info
