"""One declaration per message: the tables, schemas and codecs are derived from the field declarations."""

from __future__ import annotations

import struct
import uuid

import attrs
import pytest

from protocol import codec, declare, messages, records, schemas
from protocol.bodies import BodyCodec, FixedBodyCodec, body_codec
from protocol.constants import ErrorCode, FrameKind, LineMsg, ReqFunc
from protocol.declare import RequestBody, buffer_size, dword, guid, handle, request, request_id, string, struct_context
from protocol.engines import CONSTRUCT, STRUCT
from protocol.errors import RemoteProtocolError
from protocol.messages import REQUEST_CLASSES, AgentSessionStatusEvent, AsyncEventMsg, LineReply
from protocol.schemas import ParamRole, VarKind
from protocol.structs import STRUCT_CLASSES, QueueInfo


def test_params_are_the_declared_fields_in_order() -> None:
    for cls in REQUEST_CLASSES:
        fields = [f for f in attrs.fields(cls) if f.name != cls.REPLY_FIELD]  # a sync reply_struct: no DWORD
        assert [p.name for p in cls.PARAMS] == [f.name for f in fields], cls
        for p, f in zip(cls.PARAMS, fields):
            assert f.metadata[declare.PARAM]["offset"] == p.offset
        # the construct schema names each declared slot at its offset (8 + 4 * index of the 13 DWORDs)
        schema = messages.REQUEST_TYPES[int(cls.REQ_FUNC)][1]
        names = [sub.name for sub in schema.defersubcon.subcons]
        for p in cls.PARAMS:
            assert names[2 + (p.offset - 8) // 4] == p.slot_name


def test_reply_tables_follow_the_declarations() -> None:
    data_returning = {int(c.REQ_FUNC): c.STRUCT for c in REQUEST_CLASSES if hasattr(c, "STRUCT")}
    assert messages.REPLY_STRUCTS == data_returning
    assert set(messages.REPLY_STRUCTS.values()) == set(STRUCT_CLASSES)  # each structure returned by one function
    assert messages.REPLY_HANDLE_FUNCS == {int(ReqFunc.CREATEAGENT), int(ReqFunc.CREATEAGENTSESSION)}
    for cls in REQUEST_CLASSES:
        if hasattr(cls, "STRUCT"):
            body = cls(**{f.name: 7 for f in attrs.fields(cls) if f.default is attrs.NOTHING})
            assert body.struct_context == getattr(body, cls.CONTEXT_FIELD)
            # a structure with a variable part (a list, or one built by its ``build``) offers room for it by default
            is_list = hasattr(cls.STRUCT, "ENTRY_SIZE") or hasattr(cls.STRUCT, "build")
            default = messages.DEFAULT_LIST_BUFFER_SIZE if is_list else cls.STRUCT.FIXED_SIZE
            assert body.buffer_size == getattr(body, cls.SIZE_FIELD) == default


def test_bodies_without_a_structure_have_no_buffer_size() -> None:
    close = messages.Close(h_line=1)
    assert close.struct_context == 0 and not hasattr(close, "buffer_size")


def test_line_reply_fields_are_the_wire_fields() -> None:
    assert messages.LINE_REPLY_FIELDS == tuple(f.name for f in attrs.fields(LineReply) if f.eq)
    assert "req_func" not in messages.LINE_REPLY_FIELDS and "value" not in messages.LINE_REPLY_FIELDS


# --- a function declared here, as docs/extending.md shows: everything else follows -------------------------


@request(4242, asynchronous=True, returns=QueueInfo)
class GetThing(RequestBody):
    """A made-up data-returning function with a string and a GUID in VarData."""

    request_id: int = request_id(8)
    h_line: int = handle(12)
    name: str = string(16)
    group_id: uuid.UUID = guid(20, size_offset=24)
    thing_context: int = struct_context(28)
    thing_size: int = buffer_size(32, QueueInfo.FIXED_SIZE)


def test_a_new_declaration_gets_its_schema_and_both_codecs() -> None:
    assert GetThing.REQ_FUNC == 4242 and GetThing.ASYNC and GetThing.STRUCT is QueueInfo
    assert [(p.offset, p.kind, p.role) for p in GetThing.PARAMS] == [
        (8, VarKind.U32, ParamRole.REQUEST_ID), (12, VarKind.U32, ParamRole.HANDLE), (16, VarKind.STR, None),
        (20, VarKind.GUID, None), (28, VarKind.U32, ParamRole.CONTEXT), (32, VarKind.U32, ParamRole.SIZE),
    ]
    schema = schemas.request_schema("GetThing", GetThing.PARAMS)
    body = GetThing(h_line=3, name="sales", group_id=uuid.UUID(int=5), thing_context=9)
    frame_of = codec.FAST.frame_of
    fast, reference = body_codec(GetThing, schema, STRUCT, frame_of), body_codec(GetThing, schema, CONSTRUCT, frame_of)
    data = fast.encode(4242, body)
    assert data == reference.encode(4242, body)
    assert struct.unpack_from("<8L", data, 0)[:4] == (4242, 0, 0, 3)
    assert struct.unpack_from("<L", data, 24)[0] == 16  # the GUID's size DWORD
    assert fast.decode(data, 0, 4242, False) == reference.decode(data, 0, 4242, False) == body
    assert body.struct_context == 9 and body.buffer_size == QueueInfo.FIXED_SIZE


@pytest.mark.parametrize(
    "fields,error",
    [
        ({"a": dword(8), "b": dword(8)}, TypeError),  # two fields, one DWORD
        ({"a": guid(8, size_offset=12), "b": dword(12)}, TypeError),  # a size DWORD reused
        ({"a": attrs.field(default=0)}, TypeError),  # no placement
    ],
)
def test_inconsistent_declarations_are_refused(fields: dict, error: type) -> None:
    cls = type("Bad", (RequestBody,), {"__annotations__": {k: int for k in fields}, **fields})
    with pytest.raises(error):
        request(4243, asynchronous=False)(cls)


def test_declaration_helpers_check_their_arguments() -> None:
    with pytest.raises(ValueError):
        dword(6)  # not a parameter DWORD
    with pytest.raises(ValueError):
        declare.slot("param5")
    cls = type("NoSize", (RequestBody,), {"__annotations__": {"c": int}, "c": struct_context(8)})
    with pytest.raises(TypeError):
        request(4244, asynchronous=True, returns=QueueInfo)(cls)  # data-returning needs a buffer_size field
    with pytest.raises(TypeError):
        request(4245, asynchronous=False)(type("Plain", (), {}))  # not a RequestBody


# --- event views: one shape rule, generated ---------------------------------------------------------------


def test_event_views_round_trip_through_their_slots() -> None:
    reply = LineReply(init_context=1, context=2, hdevice=3, open_context=4, request_id=5, result=6,
                      struct_context=7, data=b"abcde")
    words = LineReply.to_wire(reply)
    assert words == (1, 2, 3, int(LineMsg.REPLY), 4, 5, 6, 7, 5, b"abcde\0\0\0")
    assert LineReply.from_wire(*words) == reply == LineReply.from_generic(reply.to_generic())
    status = AgentSessionStatusEvent(init_context=1, hdevice=2, open_context=3, hagent_session=4, status=2, state=8)
    assert AgentSessionStatusEvent.to_wire(status) == (1, 0, 2, int(LineMsg.AGENTSESSIONSTATUS), 3, 4, 2, 8, 0, b"")
    assert AgentSessionStatusEvent.from_generic(status.to_generic()) == status


@pytest.mark.parametrize(
    "cls,change",
    [
        (LineReply, {"param4": 9}),  # data size larger than the VarData
        (LineReply, {"param4": 3}),  # VarData longer than the data padded to 4
        (LineReply, {"vardata": b"abcde\0\0\1"}),  # padding not zero
        (LineReply, {"vardata": b"abcde\0\0\0\0\0\0\0"}),  # padding longer than 3
        (AgentSessionStatusEvent, {"context": 1}),  # an unused slot not 0
        (AgentSessionStatusEvent, {"param4": 1}),
        (AgentSessionStatusEvent, {"vardata": b"\0\0\0\0"}),
    ],
)
def test_records_without_the_view_shape_stay_generic(cls: type, change: dict) -> None:
    g = AsyncEventMsg(msg=int(cls.MSG), param1=5, param4=5, vardata=b"abcde\0\0\0")
    if cls is AgentSessionStatusEvent:
        g = attrs.evolve(g, param4=0, vardata=b"")
    assert cls.from_generic(g) is not None
    bad = attrs.evolve(g, **change)
    assert cls.from_generic(bad) is None
    for c in (codec.FAST, codec.REFERENCE):
        (rec,) = c.decode_event_records(c.encode_event_record(bad))
        assert type(rec) is AsyncEventMsg and rec == bad


# --- the two codecs really are two paths ----------------------------------------------------------------


def test_fast_and_reference_codecs_use_different_engines() -> None:
    assert codec.FAST.engine is STRUCT and codec.REFERENCE.engine is CONSTRUCT
    fixed = [cls for cls in REQUEST_CLASSES
             if all(p.kind is VarKind.U32 for p in cls.PARAMS) and cls.REPLY_FIELD is None]
    assert fixed and all(isinstance(codec.FAST.by_class[cls], FixedBodyCodec) for cls in fixed)
    assert all(type(bc) is BodyCodec for bc in codec.REFERENCE.by_func.values())


# --- unknown exceptions are bugs: they propagate ----------------------------------------------------------


def test_a_bug_while_decoding_is_not_turned_into_malformed(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise ZeroDivisionError("a bug")

    general = codec.encode(messages.Request(1, messages.Initialize(friendly_name="x", module_name="y")))
    monkeypatch.setattr(codec.FAST.by_func[int(ReqFunc.INITIALIZE)], "decode", broken)
    fixed = codec.encode(messages.Request(1, messages.Close(h_line=1)))
    plan = codec.FAST.by_func[int(ReqFunc.CLOSE)].plan
    monkeypatch.setattr(codec.FAST.by_func[int(ReqFunc.CLOSE)], "plan", (*plan[:4], broken))  # decode_body
    monkeypatch.setitem(codec.FAST.request_readers, int(ReqFunc.CLOSE), broken)  # decode's one step
    for data in (general, fixed):
        with pytest.raises(ZeroDivisionError):
            codec.decode(data)
        with pytest.raises(ZeroDivisionError):
            codec.decode_body(int(FrameKind.REQUEST), 1, data[12:])
    events = codec.encode(messages.Events((LineReply(request_id=1),)))
    two = codec.encode(messages.Events((LineReply(request_id=1), LineReply(request_id=2))))
    monkeypatch.setattr(codec.FAST.records, "decode", broken)  # the general path (two records)
    with pytest.raises(ZeroDivisionError):
        codec.decode(two)
    monkeypatch.setitem(records.FRAME_READERS, int(LineReply.MSG), broken)  # the one-step path (a view)
    with pytest.raises(ZeroDivisionError):
        codec.decode(events)
    generic = codec.encode(messages.Events((messages.AsyncEventMsg(msg=4242),)))
    monkeypatch.setattr(codec, "read_generic_frame", broken)  # the one-step path (no view)
    with pytest.raises(ZeroDivisionError):
        codec.decode(generic)


def test_expected_decoding_failures_are_malformed(monkeypatch: pytest.MonkeyPatch) -> None:
    data = codec.encode(messages.Request(1, messages.Initialize()))

    def short(*args: object) -> None:
        raise struct.error("unpack_from requires a buffer of at least 60 bytes")

    monkeypatch.setattr(codec.FAST.by_func[int(ReqFunc.INITIALIZE)], "decode", short)
    with pytest.raises(RemoteProtocolError) as info:
        codec.decode(data)
    assert info.value.code is ErrorCode.MALFORMED and "unpack_from requires" in info.value.message
