"""The struct fast path and the construct reference give identical bytes and identical objects.

Hypothesis drives both paths of every public entry point (frames of every kind and body class, event
records, TAPI structures, the DATE/CY adapters) with valid values, out-of-range values (both must refuse
with LocalProtocolError) and arbitrary received bytes (both must decode to equal objects or refuse with
the same ProtocolError code).
"""

from __future__ import annotations

import datetime as dt
import math
import struct
from decimal import Decimal
from fractions import Fraction
from typing import Any, Callable

import attrs
import construct as c
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from protocol import codec, fastpath, messages, schemas, structs
from protocol.constants import AgentSessionState, AgentSessionStatus, AgentStateEx, ErrorCode, LineMsg
from protocol.errors import LocalProtocolError, ProtocolError
from protocol.messages import (
    REQUEST_CLASSES,
    AgentSessionStatusEvent,
    AsyncEventMsg,
    Error,
    Events,
    Hello,
    LineReply,
    RawRequest,
    Request,
    Response,
)
from protocol.schemas import VarKind
from protocol.structs import (
    STRUCT_CLASSES,
    AgentGroupList,
    AgentInfo,
    AgentSessionEntry,
    AgentSessionInfo,
    AgentSessionList,
    EntryKind,
    ListStruct,
    QueueInfo,
    QueueList,
)

u32 = st.integers(0, 2**32 - 1)
#: Mostly valid DWORDs, sometimes a value no DWORD holds (both paths must refuse it the same way).
dword = st.one_of(u32, u32, u32, st.integers(-(2**33), -1), st.integers(2**32, 2**40), st.sampled_from([None, 1.5, "7"]))
text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)
SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(fn: Callable[[], Any]) -> tuple[str, Any]:
    """What ``fn()`` did, comparable across the two paths: its value, or its error class and code."""
    try:
        return "value", fn()
    except (ProtocolError, LocalProtocolError) as exc:
        return type(exc).__name__, exc.code
    except Exception as exc:  # noqa: BLE001 - e.g. TypeError from bytes(str): both must raise the same
        return "other", type(exc).__name__


def same(fast: Callable[[], Any], reference: Callable[[], Any]) -> Any:
    a, b = outcome(fast), outcome(reference)
    assert a == b
    if a[0] == "value" and hasattr(a[1], "__attrs_attrs__"):
        # attrs equality ignores eq=False fields and enum-vs-int; compare those too
        assert type(a[1]) is type(b[1])
        assert attrs.astuple(a[1], recurse=False) == attrs.astuple(b[1], recurse=False)
        assert [type(v) for v in attrs.astuple(a[1], recurse=False)] == [type(v) for v in attrs.astuple(b[1], recurse=False)]
    return a


# --- strategies --------------------------------------------------------------------------------------------


def body_strategy(cls: type, ints: st.SearchStrategy) -> st.SearchStrategy:
    fields: dict[str, st.SearchStrategy] = {}
    for p in cls.PARAMS:
        if p.kind is VarKind.U32:
            fields[p.name] = ints
        elif p.kind is VarKind.STR:
            fields[p.name] = text
        elif p.kind is VarKind.OPTSTR:
            fields[p.name] = st.none() | text
        elif p.kind is VarKind.GUID:
            fields[p.name] = st.uuids()
        else:
            fields[p.name] = st.binary(max_size=24)
    return st.fixed_dictionaries(fields).map(lambda kw: cls(**kw))


def bodies(ints: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        *(body_strategy(cls, ints) for cls in REQUEST_CLASSES),
        st.builds(RawRequest, st.integers(2000, 2**32 - 1), st.tuples(*[u32] * 13), st.binary(max_size=32)),
    )


def records(ints: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.builds(
            AsyncEventMsg, init_context=ints, context=u32, hdevice=u32,
            msg=st.sampled_from([0, 2, 12, 27, 29, 4242]), open_context=u32, param1=u32, param2=u32,
            param3=u32, param4=u32, vardata=st.binary(max_size=18),
        ),
        st.builds(
            LineReply, init_context=u32, context=ints, hdevice=u32, open_context=u32, request_id=u32,
            result=u32, struct_context=u32, data=st.binary(max_size=90),
        ),
        st.builds(
            AgentSessionStatusEvent, init_context=u32, hdevice=u32, open_context=ints, hagent_session=u32,
            status=st.integers(0, 7), state=st.sampled_from([0, 1, 2, 4, 8, 16, 32, 77]),
        ),
    )


def frames(ints: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.builds(Request, ints, bodies(ints)),
        st.builds(Response, ints, ints, bodies(ints)),
        st.builds(Events, st.lists(records(ints), min_size=1, max_size=4)),
        st.builds(Hello, st.integers(0, 3), st.integers(0, 9), text),
        st.builds(Error, st.integers(0, 9), text),
    )


def response_func(frame: Any) -> int | None:
    if not isinstance(frame, Response):
        return None
    return frame.body.req_func if isinstance(frame.body, RawRequest) else frame.body.REQ_FUNC


# --- frames ------------------------------------------------------------------------------------------------


@SETTINGS
@given(frame=frames(u32))
def test_valid_frames_encode_and_decode_identically(frame: Any) -> None:
    kind, data = same(lambda: codec.encode(frame), lambda: codec.construct_encode(frame))
    assert kind == "value"
    func = response_func(frame)
    same(lambda: codec.decode(data, response_func=func), lambda: codec.construct_decode(data, response_func=func))


@SETTINGS
@given(frame=frames(dword))
def test_bad_values_are_refused_identically(frame: Any) -> None:
    same(lambda: codec.encode(frame), lambda: codec.construct_encode(frame))


@SETTINGS
@given(frame=frames(u32), flip=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=4),
       cut=st.integers(0, 8), func=st.sampled_from([None, 149, 146, 147, 150, 152, 47, 9999]))
def test_damaged_bytes_decode_identically(frame: Any, flip: list[tuple[int, int]], cut: int, func: int | None) -> None:
    data = bytearray(codec.construct_encode(frame))
    for pos, value in flip:
        if pos < len(data):
            data[pos] = value
    if cut:
        del data[-cut:]
    data = bytes(data)
    same(lambda: codec.decode(data, response_func=func), lambda: codec.construct_decode(data, response_func=func))
    if len(data) >= 12:
        kind, seq = struct.unpack_from("<HxxL", data, 4)
        same(
            lambda: codec.decode_body(kind, seq, data[12:], response_func=func),
            lambda: codec.REFERENCE.decode_body(kind, seq, data[12:], response_func=func),
        )


@SETTINGS
@given(data=st.binary(min_size=40, max_size=200), msg=st.sampled_from([12, 27, 3]), total=st.integers(0, 64))
def test_arbitrary_event_records_decode_identically(data: bytes, msg: int, total: int) -> None:
    rec = bytearray(data)
    struct.pack_into("<L", rec, 0, min(total * 4, len(rec)) if total else len(rec) - len(rec) % 4)
    struct.pack_into("<L", rec, 16, msg)
    rec = bytes(rec)
    same(lambda: codec.decode_event_records(rec), lambda: codec.REFERENCE.decode_event_records(rec))


@SETTINGS
@given(words=st.tuples(*[u32] * 8), msg=st.sampled_from([12, 27, 2]), var=st.binary(max_size=24),
       param4=st.integers(0, 26), context=st.sampled_from([0, 5]))
def test_record_shapes_decode_identically(words: tuple, msg: int, var: bytes, param4: int, context: int) -> None:
    """Records near the typed views' shape rules (data size vs padding, non-zero padding, context/Param4)."""
    var += bytes(-len(var) % 4) if len(var) % 3 else b""  # sometimes unpadded (then TotalSize is invalid)
    rec = struct.pack("<10L", 40 + len(var), words[0], context, words[1], msg, *words[2:6], param4) + var
    same(lambda: codec.decode_event_records(rec), lambda: codec.REFERENCE.decode_event_records(rec))


@SETTINGS
@given(records=st.lists(records(dword), min_size=1, max_size=3))
def test_event_records_one_by_one(records: list[Any]) -> None:
    for rec in records:
        same(lambda: codec.encode_event_record(rec), lambda: codec.REFERENCE.encode_event_record(rec))


@SETTINGS
@given(body=bodies(u32), result=u32)
def test_body_level_functions(body: Any, result: int) -> None:
    _, req = same(lambda: codec.encode_request_body(body), lambda: codec.REFERENCE.encode_request_body(body))
    same(lambda: codec.encode_response_body(result, body),
         lambda: codec.REFERENCE.encode_response_body(result, body))
    same(lambda: codec.decode_request_body(req), lambda: codec.REFERENCE.decode_request_body(req))
    func = response_func(Response(0, result, body))
    same(lambda: codec.decode_response_body(req, func), lambda: codec.REFERENCE.decode_response_body(req, func))


def test_frame_too_large_is_refused_identically() -> None:
    big = Events((LineReply(request_id=1, data=bytes(0x50000)),))
    assert outcome(lambda: codec.encode(big)) == outcome(lambda: codec.construct_encode(big)) == (
        "LocalProtocolError", ErrorCode.FRAME_TOO_LARGE)


# --- structures --------------------------------------------------------------------------------------------

dates = st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=st.just(dt.timezone.utc))
cy = st.integers(-(2**63), 2**63 - 1).map(lambda v: Decimal(v).scaleb(-4))


def fixed_struct(cls: type, ints: st.SearchStrategy) -> st.SearchStrategy:
    fields: dict[str, st.SearchStrategy] = {}
    for f in attrs.fields(cls):
        if f.name == "session_start_time":
            fields[f.name] = dates
        elif f.name in ("acd_call_rate", "overall_call_rate"):
            fields[f.name] = cy
        else:
            fields[f.name] = ints
    return st.fixed_dictionaries(fields).map(lambda kw: cls(**kw))


#: Every list structure, found from STRUCT_CLASSES: a new list is property-tested without a line here.
LIST_CLASSES = [cls for cls in STRUCT_CLASSES if issubclass(cls, ListStruct)]
_BY_KIND = {EntryKind.U32: u32, EntryKind.GUID: st.uuids(), EntryKind.STRING: text}
_BAD_BY_KIND = {EntryKind.U32: dword, EntryKind.GUID: st.one_of(st.uuids(), st.sampled_from([None, b"x" * 16])),
                EntryKind.STRING: st.one_of(text, st.just("a\x00b"), st.just("\ud800"), st.sampled_from([None, 7]))}


def entries_of(cls: type, kinds: dict[EntryKind, st.SearchStrategy]) -> st.SearchStrategy:
    """Entries of list class ``cls`` from its derived entry fields (one strategy per field kind)."""
    fields = {name: kinds[kind] for name, kind in cls.entry_fields()}
    return st.lists(st.fixed_dictionaries(fields).map(lambda kw: cls.ENTRY(**kw)), max_size=5)


def lists(total: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(*(st.builds(cls.build, entries_of(cls, _BY_KIND), total) for cls in LIST_CLASSES))


def test_every_list_class_is_in_the_strategies() -> None:
    assert {AgentSessionList, AgentGroupList, QueueList} <= set(LIST_CLASSES)
    assert [(n, k.value) for n, k in QueueList.entry_fields()] == [("queue_id", "u32"), ("name", "string")]
    assert [k.value for _, k in AgentSessionList.entry_fields()] == ["u32", "u32", "guid", "u32"]


any_struct = st.one_of(*(fixed_struct(cls, u32) for cls in (AgentSessionInfo, AgentInfo, QueueInfo)), lists(st.integers(24, 600)))


@SETTINGS
@given(obj=any_struct)
def test_structures_encode_and_decode_identically(obj: Any) -> None:
    kind, data = same(lambda: structs.encode_struct(obj), lambda: structs.construct_encode_struct(obj))
    assert kind == "value"
    cls = type(obj)
    same(lambda: structs.decode_struct(cls, data), lambda: structs.construct_decode_struct(cls, data))
    same(lambda: cls.from_bytes(data), lambda: structs.construct_decode_struct(cls, data))


@SETTINGS
@given(obj=st.one_of(*(fixed_struct(cls, dword) for cls in (AgentSessionInfo, AgentInfo, QueueInfo))))
def test_bad_structure_values_are_refused_identically(obj: Any) -> None:
    same(lambda: structs.encode_struct(obj), lambda: structs.construct_encode_struct(obj))


@SETTINGS
@given(data=st.data(), cls=st.sampled_from(LIST_CLASSES), total=st.integers(24, 600))
def test_bad_list_entries_are_refused_identically(data: st.DataObject, cls: type, total: int) -> None:
    """Entries with values no DWORD / GUID / UTF-16 string holds: the list codec (one for both engines)
    refuses them the same way on the fast and the construct path, or encodes them identically."""
    entries = data.draw(entries_of(cls, _BAD_BY_KIND))
    built = outcome(lambda: cls.build(entries, total))
    if built[0] == "value":
        same(lambda: structs.encode_struct(built[1]), lambda: structs.construct_encode_struct(built[1]))


@SETTINGS
@given(cls=st.sampled_from(STRUCT_CLASSES), data=st.binary(max_size=160), seed=any_struct,
       flip=st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), max_size=3))
def test_arbitrary_structure_bytes_decode_identically(cls: type, data: bytes, seed: Any, flip: list) -> None:
    for candidate in (data, _damaged(structs.construct_encode_struct(seed), flip)):
        same(lambda: structs.decode_struct(cls, candidate), lambda: structs.construct_decode_struct(cls, candidate))


def _damaged(data: bytes, flip: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for pos, value in flip:
        if pos < len(out):
            out[pos] = value
    return bytes(out)


def test_structure_dates_at_the_edges() -> None:
    """NaN, infinities and DATEs outside 1..9999 are refused the same way by both paths."""
    for ole in (math.nan, math.inf, -math.inf, 2_958_466.0, -657_435.0, 1e300, -0.0, 0.5):
        data = struct.pack("<5Id8Iq2I", 76, 76, 76, 1, 0, ole, *([0] * 8), 0, 0, 0)
        same(lambda: structs.decode_struct(AgentSessionInfo, data),
             lambda: structs.construct_decode_struct(AgentSessionInfo, data))


# --- adapters against their exact (Fraction) definitions -----------------------------------------------------

_US_PER_DAY = 86_400 * 1_000_000


def reference_datetime_to_ole(value: dt.datetime) -> float:
    us = (value - structs.OLE_EPOCH) // dt.timedelta(microseconds=1)
    day, rem = divmod(us, _US_PER_DAY)
    if day >= 0:
        return float(Fraction(us, _US_PER_DAY))
    return float(Fraction(day * _US_PER_DAY - rem, _US_PER_DAY))


def reference_ole_to_datetime(value: float) -> dt.datetime:
    exact = Fraction(value)
    if value >= 0:
        us = round(exact * _US_PER_DAY)
    else:
        days = math.trunc(value)
        us = days * _US_PER_DAY + round((days - exact) * _US_PER_DAY)
    return structs.OLE_EPOCH + dt.timedelta(microseconds=us)


@settings(max_examples=1000, deadline=None)
@given(value=dates, offset=st.integers(-23 * 60, 23 * 60), fold=st.integers(0, 1))
def test_datetime_to_ole_is_the_correctly_rounded_double(value: dt.datetime, offset: int, fold: int) -> None:
    expected = reference_datetime_to_ole(value)
    assert structs.datetime_to_ole(value) == expected
    assert structs.datetime_to_ole(value.replace(fold=fold)) == expected  # the UTC memo, either fold
    assume(dt.datetime.min.replace(tzinfo=dt.timezone.utc) + dt.timedelta(days=1) < value)
    assume(value < dt.datetime.max.replace(tzinfo=dt.timezone.utc) - dt.timedelta(days=1))
    local = value.astimezone(dt.timezone(dt.timedelta(minutes=offset)))
    assert structs.datetime_to_ole(local) == expected  # another offset, same instant: not memoised


@settings(max_examples=1000, deadline=None)
@given(value=st.floats(min_value=-657_434.0, max_value=2_958_465.9999, allow_nan=False)
       # j / 2**14 with j odd lies exactly half-way between two microseconds (86_400e6 = 2**13 * odd)
       | st.integers(-657_434 * 2**13, 2_958_465 * 2**13).map(lambda j: (2 * j + 1) / 2**14))
def test_ole_to_datetime_rounds_like_fractions(value: float) -> None:
    expected = reference_ole_to_datetime(value)
    structs.ole_to_datetime.cache_clear()
    assert structs.ole_to_datetime(value) == expected
    assert structs.ole_to_datetime(value) == expected  # and from the memo


@pytest.mark.parametrize(
    "enum_cls,values",
    [
        (AgentSessionState, [0, 1, 2, 3, 4, 8, 16, 32, 64, 2**32 - 1, True, 2.0, 2.5, "x", None, [1]]),
        (AgentStateEx, [0, 1, 2, 5, 0x100, 7]),
        (LineMsg, [0, 12, 27, 999]),
        (AgentSessionStatus, [0, 1, 3, 7, 8, 255]),
        (ErrorCode, [0, 1, 5, 6]),
    ],
)
def test_enum_or_int_matches_calling_the_enum(enum_cls: type, values: list[Any]) -> None:
    convert = structs.enum_or_int(enum_cls)

    def reference(value: Any) -> Any:
        try:
            return enum_cls(value)
        except ValueError:
            return value

    for value in values:
        got, want = outcome(lambda: convert(value)), outcome(lambda: reference(value))
        assert got == want and type(got[1]) is type(want[1]), (enum_cls, value)


# --- the machinery itself ------------------------------------------------------------------------------------


def test_every_fixed_schema_has_a_checked_struct_twin() -> None:
    fixed = ["FRAME_HEADER", "TAPI32_MSG", "ASYNCEVENTMSG", "AGENT_SESSION_INFO", "AGENT_INFO", "QUEUE_INFO",
             "LIST_HEADER", "AGENT_SESSION_ENTRY", "AGENT_GROUP_ENTRY"]
    for name in fixed:
        schema = getattr(schemas, name)
        lay = fastpath.layout(schema, name)
        if lay.tail is None:
            assert lay.size == schema.sizeof(), name
        else:  # fixed part + VarData
            assert lay.size == {"TAPI32_MSG": 60, "ASYNCEVENTMSG": 40}[name] and lay.tail == "vardata"
    assert fastpath.layout(schemas.AGENT_SESSION_INFO).format == "<LLLLLdLLLLLLLLqLL"  # '<5Id8Iq2I' of tapi-facts
    for cls, schema in messages.REQUEST_TYPES.values():
        assert fastpath.layout(schema).size == 60


def test_variable_layouts_are_refused() -> None:
    for schema in (schemas.HELLO_BODY, schemas.ERROR_BODY, c.Struct("n" / c.Int8ul, "x" / c.Bytes(c.this.n))):
        with pytest.raises(fastpath.NotFixedError):
            fastpath.layout(schema)
    with pytest.raises(fastpath.NotFixedError):
        fastpath.layout(c.Struct("a" / c.GreedyBytes, "b" / c.Int32ul))


def test_a_disagreeing_struct_would_be_caught() -> None:
    """The import-time sample check compares construct and struct: a big-endian field cannot slip by."""
    with pytest.raises(fastpath.NotFixedError):
        fastpath.layout(c.Struct("a" / c.Int32ub))
    lay = fastpath.layout(c.Struct("a" / c.Int32ul, "b" / c.Bytes(3), "c" / c.Array(2, c.Int16sl), "t" / c.GreedyBytes))
    assert lay.names == ("a", "b", "c[0]", "c[1]") and lay.tail == "t" and lay.format == "<L3shh"
    assert lay.unpack_dict(b"\x01\0\0\0xyz\xff\xff\x02\0rest") == {"a": 1, "b": b"xyz", "c[0]": -1, "c[1]": 2, "t": b"rest"}


@pytest.mark.parametrize("cls", [*REQUEST_CLASSES, RawRequest, LineReply, AgentSessionStatusEvent, AsyncEventMsg,
                                 Request, Response, Events, AgentSessionInfo, AgentInfo, QueueInfo, AgentSessionEntry])
def test_positional_constructors_equal_the_attrs_init(cls: type) -> None:
    names = [f.name for f in attrs.fields(cls)]
    sample = {}
    for i, f in enumerate(attrs.fields(cls)):
        if f.default is not attrs.NOTHING and i % 2:
            continue  # leave some fields to their defaults
        sample[f.name] = {"records": (), "body": None, "params": (1,) * 13, "group_id": None}.get(f.name, i + 1)
    make = fastpath.constructor(cls, list(sample))
    built, expected = make(*sample.values()), cls(**sample)
    assert built == expected
    assert attrs.astuple(built, recurse=False) == attrs.astuple(expected, recurse=False)
    assert [type(v) for v in attrs.astuple(built, recurse=False)] == [type(v) for v in attrs.astuple(expected, recurse=False)]
    assert len(names) >= len(sample)


@SETTINGS
@given(obj=st.one_of(*(fixed_struct(cls, dword) for cls in (AgentSessionInfo, AgentInfo, QueueInfo))))
def test_wire_packer_equals_encoding_the_object(obj: Any) -> None:
    """Values already in wire form (DATE float, CURRENCY int64) pack to the object's bytes; a value out
    of its field's range is refused (struct.error) where encoding the object refuses it."""
    adapters = structs.wire_adapters(type(obj))
    values = attrs.asdict(obj, recurse=False)
    try:
        wire = [adapters[n][0](v) if n in adapters else v for n, v in values.items()]
    except LocalProtocolError:  # a datetime/Decimal the adapter refuses: nothing reaches the packer
        return
    pack = structs.wire_packer(type(obj))
    try:
        expected = structs.construct_encode_struct(obj)
    except LocalProtocolError:
        with pytest.raises(struct.error):
            pack(*wire)
        return
    assert pack(*wire) == expected


@SETTINGS
@given(us=st.integers(-693_593 * 86_400_000_000, 2_958_465 * 86_400_000_000 + 86_399_999_999))
def test_ole_from_us_equals_converting_the_datetime(us: int) -> None:
    """The switch's DATE from a microsecond count is the DATE of the datetime (years 1..9999)."""
    assert structs.ole_from_us(us) == structs.datetime_to_ole(structs.OLE_EPOCH + dt.timedelta(microseconds=us))


def test_connection_reports_a_partial_frame() -> None:
    from protocol.connection import NEED_DATA, Connection, Role

    server, client = Connection(Role.SERVER), Connection(Role.CLIENT)
    hello = client.send(Hello(product="c"))
    server.receive_data(hello[:5])
    assert server.next_event() is NEED_DATA and server.buffered == 5
    server.receive_data(hello[5:])
    assert isinstance(server.next_event(), Hello) and server.buffered == 0
    client.receive_data(server.send(Hello()))
    client.next_event()
    frames = client.send(Request(1, RawRequest(4242))) * 3
    server.receive_data(frames[:-7])
    assert isinstance(server.next_event(), Request) and isinstance(server.next_event(), Request)
    assert server.next_event() is NEED_DATA and server.buffered == len(frames) // 3 - 7
    server.receive_data(frames[-7:])
    assert isinstance(server.next_event(), Request) and server.next_event() is NEED_DATA and server.buffered == 0


def test_constructor_edge_cases_match_attrs() -> None:
    @attrs.frozen
    class Odd:
        a: int = attrs.field(converter=int)
        b: list = attrs.field(factory=list)
        c: int = attrs.field(default="7", init=False, converter=int)

    make = fastpath.constructor(Odd, ["a"])
    built, expected = make("5"), Odd("5")
    assert built == expected and built.b == [] and built.b is not make("5").b and built.c == 7
    with pytest.raises(ValueError):
        fastpath.constructor(Odd, ["c"])  # not an __init__ argument

    @attrs.frozen
    class Checked:
        a: int = attrs.field(validator=attrs.validators.instance_of(int))

    with pytest.raises(TypeError):  # falls back to __init__, whose validator still runs
        fastpath.constructor(Checked)("x")

    @attrs.define
    class Post:
        a: int
        b: int = 0

        def __attrs_post_init__(self) -> None:
            self.b = self.a * 2

    assert fastpath.constructor(Post)(3) == Post(3) == Post(3, 6)


def test_a_list_whose_entry_does_not_match_its_schema_is_refused_when_declared() -> None:
    """The list codec is derived from the entry declaration; an entry field without its DWORD, GUID or
    size/offset pair in the schema, or a schema field no entry field uses, is refused at class creation."""
    entry_schema = c.Struct("queue_id" / c.Int32ul, "name_size" / c.Int32ul, "name_offset" / c.Int32ul)

    @attrs.frozen
    class Entry:
        queue_id: int
        title: str  # no title_size / title_offset in the schema

    @attrs.frozen
    class Partial:
        queue_id: int  # name_size / name_offset left over

    for entry in (Entry, Partial):
        with pytest.raises(TypeError, match=entry.__name__):
            type("BadList", (ListStruct,), {"C_NAME": "X", "ENTRY": entry, "ENTRY_SCHEMA": entry_schema,
                                            "ENTRY_C_NAME": "XENTRY"})


def test_structures_declared_in_another_module_work_without_a_table_row() -> None:
    """A list (a ListStruct subclass) or a fixed structure (FixedStruct + register_fixed) declared outside
    protocol/structs.py goes through encode_struct / decode_struct and the construct reference path alike."""

    @attrs.frozen(slots=False)
    class ActivityEntry:
        id: int
        name: str

    @attrs.frozen(kw_only=True, slots=False)
    class ActivityList(ListStruct):
        C_NAME = "LINEAGENTACTIVITYLIST"
        ENTRY = ActivityEntry
        ENTRY_SCHEMA = c.Struct("id" / c.Int32ul, "name_size" / c.Int32ul, "name_offset" / c.Int32ul)
        ENTRY_C_NAME = "LINEAGENTACTIVITYENTRY"

        total_size: int
        needed_size: int
        used_size: int
        entries: tuple = attrs.field(default=(), converter=tuple)

    lst = ActivityList.build([ActivityEntry(3, "Lunch"), ActivityEntry(4, "")], 200)
    data = structs.encode_struct(lst)
    assert data == structs.construct_encode_struct(lst) and len(data) == 24 + 24 + 12 + 2
    assert structs.decode_struct(ActivityList, data) == structs.construct_decode_struct(ActivityList, data) == lst

    @attrs.frozen(kw_only=True, slots=False)
    class Pair(structs.FixedStruct):
        FIXED_SIZE = 8
        total_size: int = 8
        value: int = 0

    structs.register_fixed(Pair, c.Struct("total_size" / c.Int32ul, "value" / c.Int32ul), "PAIR")
    pair = Pair(value=0xABC)
    assert structs.encode_struct(pair) == structs.construct_encode_struct(pair) == struct.pack("<II", 8, 0xABC)
    assert structs.decode_struct(Pair, pair.to_bytes()) == structs.construct_decode_struct(Pair, pair.to_bytes()) == pair
    with pytest.raises(TypeError):
        structs.decode_struct(ActivityEntry, data)
    with pytest.raises(TypeError):
        structs.register_fixed(ActivityEntry, c.Struct("id" / c.Int32ul), "X")
