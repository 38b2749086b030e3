"""The §9 wire declarations: call structures (both codecs, version-gated sizes, size rule), the sync
Get* reply field, call event views (MS-TRP placement) and the MakeCall completion, against bytes typed
from call-facts §1-§3 (not produced by the code under test)."""

from __future__ import annotations

import datetime as dt
import struct
import uuid

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from call_vectors import CALL_STATUS_HEX
from protocol import codec, declare
from protocol import messages as m
from protocol.call_events import AppNewCallEvent, CallStateEvent, MakeCallReply, typed_call_record
from protocol.call_messages import GetCallInfo, GetCallStatus
from protocol.call_structs import (
    CALL_STRUCT_CLASSES, AddressCaps, AddressStatus, CallInfo, CallStatus, DevCaps, LineDevStatus,
    construct_decode, construct_encode,
)
from protocol.errors import LocalProtocolError, RemoteProtocolError

UTC = dt.timezone.utc


def test_fixed_sizes_are_call_facts_3_1() -> None:
    assert [c.FIXED_SIZE for c in CALL_STRUCT_CLASSES] == [344, 56, 292, 228, 64, 88]
    assert [CallInfo.fixed_size_for(v) for v in (0x10004, 0x20000, 0x20002, 0x30000, 0x30001)] == [296, 324, 324, 344, 344]
    assert [DevCaps.fixed_size_for(v) for v in (0x20000, 0x20001, 0x20002, 0x30000)] == [252, 252, 268, 292]
    assert [CallStatus.fixed_size_for(v) for v in (0x10004, 0x20000)] == [36, 56]
    assert [AddressCaps.fixed_size_for(v) for v in (0x10004, 0x20000)] == [180, 228]
    assert [LineDevStatus.fixed_size_for(v) for v in (0x10004, 0x20000)] == [76, 88]
    assert AddressStatus.fixed_size_for(0x20000) == 64


# call-facts §3.2 / §3.3 offsets of a few fields, checked on encoded bytes with distinct values
OFFSETS = [
    (CallInfo, 12, "h_line"), (CallInfo, 40, "call_id"), (CallInfo, 44, "related_call_id"), (CallInfo, 80, "origin"),
    (CallInfo, 84, "reason"), (CallInfo, 104, "trunk"), (CallInfo, 108, "caller_id_flags"),
    (CallInfo, 128, "called_id_flags"), (CallInfo, 148, "connected_id_flags"), (CallInfo, 296, "call_treatment"),
    (CallInfo, 324, "caller_id_address_type"), (CallStatus, 12, "call_state"), (CallStatus, 16, "call_state_mode"),
    (CallStatus, 20, "call_privilege"), (CallStatus, 24, "call_features"), (CallStatus, 36, "call_features2"),
    (DevCaps, 48, "num_addresses"), (DevCaps, 116, "max_num_active_calls"), (DevCaps, 236, "line_features"),
    (DevCaps, 268, "address_types"), (AddressCaps, 64, "call_states"), (AddressCaps, 108, "call_features"),
    (AddressCaps, 176, "address_features"), (AddressCaps, 224, "available_media_modes"),
    (AddressStatus, 16, "num_active_calls"), (AddressStatus, 28, "address_features"),
    (LineDevStatus, 12, "num_opens"), (LineDevStatus, 56, "dev_status_flags"), (LineDevStatus, 76, "available_media_modes"),
]


@pytest.mark.parametrize(("cls", "offset", "name"), OFFSETS, ids=[f"{c.C_NAME}.{n}" for c, _, n in OFFSETS])
def test_field_offsets(cls: type, offset: int, name: str) -> None:
    obj = cls.build(cls.FIXED_SIZE, 0x30001, **{name: 0x01020304})
    data = obj.to_bytes()
    assert struct.unpack_from("<I", data, offset)[0] == 0x01020304
    assert data == construct_encode(obj)


def test_call_status_vector() -> None:
    when = dt.datetime(2026, 12, 1, 9, 30, 15, 250_000, tzinfo=UTC)
    obj = CallStatus.build(56, 0x20000, call_state=0x100, call_state_mode=1, call_privilege=4, call_features=0x888,
                           state_entry_time=when)
    data = bytes.fromhex(CALL_STATUS_HEX.replace(" ", ""))
    assert obj.to_bytes() == data == construct_encode(obj)
    assert CallStatus.from_bytes(data) == obj == construct_decode(CallStatus, data)


def test_call_info_strings_follow_the_fixed_part_of_the_version() -> None:
    """Caller "+1" and UUI b"ab" for a 2.0 client: fixed part 324, then the strings (offsets from the start)."""
    obj = CallInfo.build(400, 0x20000, call_id=9, caller_id="+1", user_user_info=b"ab")
    data = obj.to_bytes()
    caller = b"+\x001\x00\x00\x00"
    assert len(data) == 324 + 8 + 4 and struct.unpack_from("<3I", data, 0) == (400, 336, 336)
    assert struct.unpack_from("<2I", data, 112) == (6, 324)  # CallerID size, offset
    assert data[324:330] == caller and data[330:332] == b"\0\0"  # padded to 4
    assert struct.unpack_from("<2I", data, 248) == (2, 332) and data[332:334] == b"ab"  # UUI size, offset
    assert CallInfo.from_bytes(data) == obj


def test_call_info_size_rule() -> None:
    """A buffer too small for the strings: dwNeededSize says how much, no variable part, fixed size used."""
    small = CallInfo.build(350, 0x30001, caller_id="5551234")
    assert (small.total_size, small.needed_size, small.used_size, small.caller_id) == (350, 344 + 16, 344, None)
    assert len(small.to_bytes()) == 344
    with pytest.raises(LocalProtocolError):
        CallInfo.build(300, 0x30001)


def test_systemtime_and_bad_input() -> None:
    data = bytearray(CallStatus.build(56, 0x20000).to_bytes())
    assert CallStatus.from_bytes(bytes(data)).state_entry_time is None  # all zeros
    data[40:42] = struct.pack("<H", 2026)
    data[42:44] = struct.pack("<H", 13)  # month 13
    with pytest.raises(RemoteProtocolError):
        CallStatus.from_bytes(bytes(data))
    with pytest.raises(RemoteProtocolError):
        CallInfo.from_bytes(bytes(200))
    bad = bytearray(CallInfo.build(400, 0x30001, caller_id="x").to_bytes())
    struct.pack_into("<I", bad, 116, 1000)  # CallerID offset outside
    with pytest.raises(RemoteProtocolError):
        CallInfo.from_bytes(bytes(bad))


@pytest.mark.parametrize(("damage", "words"), [
    (lambda b, off, size: b.__setitem__(slice(off, off + 2), b"\0\0"), "NUL inside"),
    (lambda b, off, size: struct.pack_into("<I", b, 112, size - 1), "NUL-terminated"),
    (lambda b, off, size: b.__setitem__(slice(off + size - 2, off + size), b"c\0"), "NUL-terminated"),
    (lambda b, off, size: b.__setitem__(slice(off, off + 2), b"\x00\xd8"), "invalid UTF-16"),
], ids=["nul-inside", "odd-size", "no-terminator", "lone-surrogate"])
def test_a_bad_string_part_is_refused_by_both_decoders(damage, words) -> None:  # type: ignore[no-untyped-def]
    bad = bytearray(CallInfo.build(400, 0x30001, caller_id="ab").to_bytes())
    size, off = struct.unpack_from("<II", bad, 112)  # dwCallerIDSize, dwCallerIDOffset
    damage(bad, off, size)
    for decode in (CallInfo.from_bytes, lambda d: construct_decode(CallInfo, d)):
        with pytest.raises(RemoteProtocolError, match=words):
            decode(bytes(bad))


texts = st.none() | st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)


@settings(max_examples=150, deadline=None)
@given(version=st.sampled_from([0x10004, 0x20000, 0x20002, 0x30000]), caller=texts, called=texts,
       uui=st.none() | st.binary(min_size=1, max_size=9), call_id=st.integers(0, 2**32 - 1), extra=st.integers(0, 64))
def test_call_info_fast_path_equals_construct(version: int, caller: str | None, called: str | None,
                                              uui: bytes | None, call_id: int, extra: int) -> None:
    size = CallInfo.fixed_size_for(version) + extra
    obj = CallInfo.build(size, version, call_id=call_id, caller_id=caller or None, called_id=called or None,
                         user_user_info=uui)
    data = obj.to_bytes()
    assert data == construct_encode(obj)
    assert len(data) == obj.used_size
    assert CallInfo.from_bytes(data) == construct_decode(CallInfo, data) == obj


@settings(max_examples=100, deadline=None)
@given(cls=st.sampled_from(CALL_STRUCT_CLASSES), data=st.binary(max_size=400))
def test_decoding_anything_fast_and_construct_agree(cls: type, data: bytes) -> None:
    def outcome(fn):  # type: ignore[no-untyped-def]
        try:
            return ("value", fn())
        except RemoteProtocolError:
            return ("malformed", None)
    assert outcome(lambda: cls.from_bytes(data)) == outcome(lambda: construct_decode(cls, data))


# --- the sync reply field ----------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", [codec.FAST, codec.REFERENCE], ids=["fast", "construct"])
def test_sync_reply_rides_in_the_response_vardata_at_0(engine: object) -> None:
    data = CallStatus.build(56, 0x20000, call_state=2).to_bytes()
    response = m.Response(5, 0, GetCallStatus(h_call=9, call_status_size=0, call_status=data))
    wire = engine.encode(response)  # type: ignore[attr-defined]
    assert wire[12 + 60 :] == data and struct.unpack_from("<I", wire, 12 + 12)[0] == 0
    assert engine.decode(wire, response_func=31) == response  # type: ignore[attr-defined]
    request = m.Request(5, GetCallStatus(h_call=9, call_status=data))  # a REQUEST carries no structure
    assert len(engine.encode(request)) == 12 + 60  # type: ignore[attr-defined]


def test_reply_struct_declaration_rules() -> None:
    fields = {"h": declare.handle(8), "r": declare.reply_struct(CallInfo), "s": declare.string(12)}
    cls = type("Bad", (declare.RequestBody,), {"__annotations__": {k: int for k in fields}, **fields})
    with pytest.raises(TypeError):
        declare.request(4250, asynchronous=False)(cls)  # VarData besides the structure
    fields = {"h": declare.handle(8), "r": declare.reply_struct(CallInfo)}
    cls = type("Async", (declare.RequestBody,), {"__annotations__": {k: int for k in fields}, **fields})
    with pytest.raises(TypeError):
        declare.request(4251, asynchronous=True)(cls)
    assert GetCallInfo.REPLY_FIELD == "call_info" and GetCallInfo.REPLY_STRUCT is CallInfo


# --- events --------------------------------------------------------------------------------------------------


def test_line_callstate_has_ms_trp_placement() -> None:
    """call-facts §2: 8 state detail, 12 hCall, 16 Msg 2, 24 state, 28 privilege, 32 media mode, 36 hRemoteLine."""
    rec = CallStateEvent(init_context=0x11, state_mode=0x40, h_call=0x77, open_context=0x22, state=0x4000,
                         privilege=4, media_mode=4, hremote_line=0x99)
    wire = codec.encode(m.Events([rec]))
    assert struct.unpack_from("<10I", wire, 12) == (40, 0x11, 0x40, 0x77, 2, 0x22, 0x4000, 4, 4, 0x99)
    (back,) = codec.decode(wire).records
    assert typed_call_record(back) == rec


def test_line_appnewcall_placement() -> None:
    rec = AppNewCallEvent(init_context=1, hdevice=0x99, open_context=2, address_id=0, h_call=0x77, call_id=5,
                          related_call_id=3)
    wire = codec.encode(m.Events([rec]))
    assert struct.unpack_from("<10I", wire, 12) == (40, 1, 0, 0x99, 23, 2, 0, 0x77, 5, 3)
    assert typed_call_record(codec.decode(wire).records[0]) == rec
    assert typed_call_record(m.AsyncEventMsg(msg=23, context=1, param2=5)) is None  # not its shape


def test_make_call_completion_is_52_bytes() -> None:
    """call-facts §1.2: 8 lpContext, 24 request ID, 28 result, 32 hCall, 36 lphCallContext, 40/44/48 IDs."""
    rec = MakeCallReply(init_context=1, context=0x11, hdevice=0x99, open_context=2, request_id=7, result=0,
                        h_call=0x77, call_context=0x22, address_id=0, call_id=5, related_call_id=0)
    wire = codec.encode(m.Events([rec]))
    assert struct.unpack_from("<13I", wire, 12) == (52, 1, 0x11, 0x99, 12, 2, 7, 0, 0x77, 0x22, 0, 5, 0)
    (back,) = codec.decode(wire).records
    assert MakeCallReply.from_generic(back) == rec
    assert rec.result_value().h_call == 0x77


def _events(conn):  # type: ignore[no-untyped-def]
    from protocol import CLOSED, NEED_DATA

    out = []
    while (ev := conn.next_event()) is not NEED_DATA and ev is not CLOSED:
        out.append(ev)
    return out


def test_a_client_connection_types_the_make_call_completion() -> None:
    """The sans-I/O client connection turns the completion of a pending MakeCall into a typed LINE_REPLY
    (also when lphCallContext happens to be 12, so the record looks like an ordinary LINE_REPLY)."""
    from protocol.call_messages import MakeCall
    from protocol.connection import Connection, Role

    for call_context in (0x22, 12):
        c, s = Connection(Role.CLIENT), Connection(Role.SERVER)
        s.receive_data(c.send(m.Hello()))
        _events(s)
        c.receive_data(s.send(m.Hello()))
        _events(c)
        s.receive_data(c.send(m.Request(1, MakeCall(h_line=3, h_call_context=call_context, dest_address="9"))))
        _events(s)
        c.receive_data(s.send(m.Response(1, 7, MakeCall(h_line=3))))
        rec = MakeCallReply(request_id=7, h_call=0x77, call_context=call_context, call_id=5)
        c.receive_data(s.send(m.Events([rec])))
        reply = [r for f in _events(c) if isinstance(f, m.Events) for r in f.records][0]
        assert isinstance(reply, m.LineReply) and reply.req_func == 48 and reply.struct_context == 0x77
        assert reply.value.call_id == 5 and reply.value.call_context == call_context
        assert c.pending_replies == {}
