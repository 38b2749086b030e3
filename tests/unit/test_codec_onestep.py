"""The codec's one-step paths (round 5) against the construct reference, and proof that they run.

* whole REQUEST / RESPONSE frames of the all-DWORD classes and of the sync Get* classes (reply structure
  in the RESPONSE VarData) are read and written by generated per-class functions
  (``Codec.request_readers`` & co.), one-record EVENTS frames of a typed view by a generated reader
  (``records.FRAME_READERS``), the other one-record frames inline: each test counts the frames that
  reached the general path (``Codec._body``, ``RecordCodec.frame``, ``BodyCodec.frame``) and so how many
  the one-step paths handled, and compares every result with ``codec.REFERENCE`` (construct);
* the encode memos of DATE / CURRENCY read in place by the generated packers, the generated LINECALLINFO
  & co. codecs, the generated ``from_generic`` of the event views and ``fastpath.constructor(envelope=)``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, Callable

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol import adapters, codec, fastpath, records, structs
from protocol import call_structs as cs
from protocol.agent_events import AGENT_EVENT_CLASSES, typed_agent_record
from protocol.bodies import BodyCodec, FixedBodyCodec, RawCodec, ReplyBodyCodec
from protocol.call_events import CALL_EVENT_CLASSES, typed_call_record
from protocol.constants import MAX_FRAME_LENGTH, ErrorCode
from protocol.declare import RECORD_SLOTS
from protocol.errors import LocalProtocolError, ProtocolError
from protocol.messages import AsyncEventMsg, Events, LineReply, Request, Response

u32 = st.integers(0, 2**32 - 1)
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FIXED = [bc for bc in codec.FAST.by_func.values() if type(bc) is FixedBodyCodec]
REPLY = [bc for bc in codec.FAST.by_func.values() if type(bc) is ReplyBodyCodec]


def outcome(fn: Callable[[], Any]) -> tuple[str, Any]:
    try:
        value = fn()
    except (ProtocolError, LocalProtocolError) as exc:
        return type(exc).__name__, exc.code
    if hasattr(value, "__attrs_attrs__"):  # attrs equality ignores enum-vs-int and eq=False fields
        return "value", (type(value), value, _deep(value))
    return "value", value


def _deep(obj: Any) -> Any:
    if hasattr(obj, "__attrs_attrs__"):
        return (type(obj), tuple((type(v), _deep(v)) for v in attrs.astuple(obj, recurse=False)))
    if isinstance(obj, tuple):
        return tuple(_deep(v) for v in obj)
    return obj


class Counted:
    """Counts the calls that reach the general paths of ``codec.FAST`` (decode and encode)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        fast = codec.FAST

        def counting(fn: Callable[..., Any]) -> Callable[..., Any]:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                self.calls += 1
                return fn(*args, **kwargs)
            return wrapper

        monkeypatch.setattr(fast, "_body", counting(fast._body))
        monkeypatch.setattr(fast.records, "frame", counting(fast.records.frame))
        for bc in {id(b): b for b in (*fast.by_func.values(), fast.raw)}.values():
            monkeypatch.setattr(bc, "frame", counting(bc.frame))


def body_of(bc: Any, values: list[int], reply: bytes = b"") -> Any:
    names = [p.name for p in bc.cls.PARAMS]
    kw = dict(zip(names, values))
    if reply and type(bc) is ReplyBodyCodec:
        kw[bc.cls.REPLY_FIELD] = reply
    return bc.cls(**kw)


def check_frame(frame: Any, func: int | None = None) -> bytes:
    """Fast and construct agree on ``frame``'s bytes and on decoding them back."""
    data = codec.encode(frame)
    assert data == codec.construct_encode(frame)
    assert outcome(lambda: codec.decode(data, response_func=func)) == outcome(
        lambda: codec.construct_decode(data, response_func=func))
    return data


# --- every one-step shape, counted ---------------------------------------------------------------------


def test_the_one_step_paths_handle_every_frequent_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(FIXED) >= 20 and len(REPLY) >= 5
    frames: list[tuple[Any, int | None]] = []
    for bc in FIXED + REPLY:
        values = [(i * 0x01010101 + bc.req_func) & 0xFFFFFFFF for i in range(len(bc.cls.PARAMS))]
        frames.append((Request(7, body_of(bc, values)), None))
        frames.append((Response(7, 0x80000048, body_of(bc, values, b"\x01\x02\x03\x04\x05")), bc.req_func))
    views = [LineReply(request_id=5, data=b"abcdef"), LineReply(request_id=6, result=0x80000048),
             *(cls(**{f: 3 for f in cls.WIRE_FIELDS}) for cls in (*AGENT_EVENT_CLASSES, *CALL_EVENT_CLASSES)),
             AsyncEventMsg(msg=4242, param1=9, vardata=b"xy")]
    frames += [(Events((v,)), None) for v in views]
    counted = Counted(monkeypatch)
    for frame, func in frames:
        check_frame(frame, func)
    assert counted.calls == 0, f"{counted.calls} of {len(frames)} frames took the general path"
    # and a frame of another shape does take it (the counter counts)
    check_frame(Events((LineReply(request_id=1), LineReply(request_id=2))))
    assert counted.calls == 1


@SETTINGS
@given(data=st.data(), sequence=u32, result=u32, reply=st.binary(max_size=40))
def test_one_step_frames_equal_the_reference(data: st.DataObject, sequence: int, result: int, reply: bytes) -> None:
    bc = data.draw(st.sampled_from(FIXED + REPLY))
    values = data.draw(st.lists(u32, min_size=len(bc.cls.PARAMS), max_size=len(bc.cls.PARAMS)))
    check_frame(Request(sequence, body_of(bc, values)))
    resp = check_frame(Response(sequence, result, body_of(bc, values, reply)), bc.req_func)
    assert outcome(lambda: codec.decode_body(2, sequence, resp[12:], response_func=bc.req_func)) == outcome(
        lambda: codec.REFERENCE.decode_body(2, sequence, resp[12:], response_func=bc.req_func))
    body = body_of(bc, values, reply)
    assert codec.encode_response_body(result, body) == codec.REFERENCE.encode_response_body(result, body)


@SETTINGS
@given(words=st.tuples(*[st.one_of(u32, st.just(0))] * 8), var=st.binary(max_size=24), low=st.sampled_from([0, 12, 27, 29, 2]),
       high=st.sampled_from([0, 0, 0x100, 0x10000]), param4=st.one_of(u32, st.none()))
def test_one_record_events_equal_the_reference(words: tuple, var: bytes, low: int, high: int, param4: int | None) -> None:
    """Any one-record EVENTS frame (Msg low byte of a view with other high bytes too, shapes near the
    view's rule - Param4 the data size or not, padding zero or not): the one-step reader and the
    construct path agree."""
    size = len(var)
    var += bytes(-len(var) % 4)
    msg = low | high
    slots = (*words[:3], msg, *words[3:7], size if param4 is None else param4)
    rec = AsyncEventMsg(**dict(zip(RECORD_SLOTS, slots)), vardata=var)
    data = codec.construct_encode(Events((rec,)))
    assert outcome(lambda: codec.decode(data)) == outcome(lambda: codec.construct_decode(data))


def test_the_counter_sees_a_disabled_one_step_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the one-step tables emptied every frame reaches the general path and decodes the same."""
    frame = Request(1, body_of(FIXED[0], [1] * len(FIXED[0].cls.PARAMS)))
    data = codec.encode(frame)
    counted = Counted(monkeypatch)
    monkeypatch.setattr(codec.FAST, "request_readers", {})
    assert codec.decode(data) == frame and counted.calls == 1


# --- sync Get* classes: the general codec and the one-step one agree on shapes and refusals -------------


def test_reply_classes_are_the_sync_get_functions() -> None:
    assert all(bc.cls.REPLY_FIELD is not None for bc in REPLY)
    assert all(type(b) is BodyCodec for b in codec.REFERENCE.by_func.values())
    assert not isinstance(codec.FAST.raw, BodyCodec) and isinstance(codec.FAST.raw, RawCodec)


def test_a_too_large_reply_is_refused_as_the_reference_refuses_it() -> None:
    bc = REPLY[0]
    body = body_of(bc, [1] * len(bc.cls.PARAMS), bytes(MAX_FRAME_LENGTH))
    fast, ref = outcome(lambda: codec.encode(Response(1, 0, body))), outcome(lambda: codec.construct_encode(Response(1, 0, body)))
    assert fast == ref == ("LocalProtocolError", ErrorCode.FRAME_TOO_LARGE)


def test_bad_values_in_one_step_frames_are_refused_identically() -> None:
    bc = FIXED[0]
    for bad in (-1, 2**32, None, "7", 1.5):
        body = body_of(bc, [bad] + [0] * (len(bc.cls.PARAMS) - 1))
        for frame in (Request(1, body), Response(1, 0, body)):
            assert outcome(lambda: codec.encode(frame)) == outcome(lambda: codec.construct_encode(frame))
            assert outcome(lambda: codec.encode(frame))[0] == "LocalProtocolError"


# --- the encode memos, read in place --------------------------------------------------------------------


def test_generated_packers_read_the_adapters_memos(monkeypatch: pytest.MonkeyPatch) -> None:
    start = dt.datetime(2026, 12, 2, 3, 0, 7, tzinfo=dt.timezone.utc)
    info = structs.AgentSessionInfo(session_start_time=start, acd_call_rate=Decimal("1.5"))
    data = structs.encode_struct(info)
    assert data == structs.construct_encode_struct(info)
    assert start in adapters._OLE_MEMO and Decimal("1.5") in adapters._CY_MEMO  # noqa: SLF001 - the memo itself
    # the packer reads the memo, not the adapter: a (deliberately wrong) memo entry shows through
    monkeypatch.setitem(adapters._OLE_MEMO, start, 1.0)  # noqa: SLF001
    assert structs.encode_struct(info) != data
    monkeypatch.undo()
    assert structs.encode_struct(info) == data
    # a subclass of datetime, a non-UTC zone and a float are not read from the memo: the adapter decides
    other = dt.datetime(2026, 12, 2, 4, 0, 7, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert structs.encode_struct(attrs.evolve(info, session_start_time=other)) == data
    with pytest.raises(LocalProtocolError):
        structs.encode_struct(attrs.evolve(info, acd_call_rate=1.5))  # type: ignore[arg-type]  # == Decimal("1.5")
    assert structs.datetime_to_ole.memo == (dt.datetime, adapters._OLE_MEMO)  # type: ignore[attr-defined]  # noqa: SLF001


def test_the_memos_are_bounded() -> None:
    for i in range(adapters.MEMO_SIZE + 10):
        adapters.decimal_to_cy(Decimal(i))
    assert len(adapters._CY_MEMO) <= adapters.MEMO_SIZE  # noqa: SLF001


# --- LINECALLINFO & co.: generated codecs against construct ---------------------------------------------


def _var_values(cls: Any) -> st.SearchStrategy:
    text = st.none() | st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=6)
    return st.fixed_dictionaries({n: (text if k == "str" else st.none() | st.binary(min_size=1, max_size=7))
                                  for n, k in cls.VAR_FIELDS})


def _fixed_value(kind: str) -> st.SearchStrategy:
    if kind == "u32":
        return u32
    if kind == "guid":
        return st.uuids()
    return st.none() | st.datetimes(dt.datetime(1601, 1, 1), dt.datetime(9999, 1, 1)).map(
        lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000, tzinfo=dt.timezone.utc))


@SETTINGS
@given(data=st.data())
def test_call_structures_encode_and_decode_like_construct(data: st.DataObject) -> None:
    cls = data.draw(st.sampled_from(cs.CALL_STRUCT_CLASSES))
    version = data.draw(st.sampled_from([0x10004, 0x20000, 0x20002, 0x30001]))
    fixed = {n: data.draw(_fixed_value(k)) for n, k in cls.FIXED_FIELDS if n not in ("total_size", "needed_size", "used_size")}
    values = {**fixed, **data.draw(_var_values(cls))}
    obj = cls.build(cls.fixed_size_for(version) + data.draw(st.integers(0, 80)), version, **values)
    encoded = outcome(lambda: obj.to_bytes())
    assert encoded == outcome(lambda: cs.construct_encode(obj))
    if encoded[0] == "value":
        blob = encoded[1]
        assert outcome(lambda: cls.from_bytes(blob)) == outcome(lambda: cs.construct_decode(cls, blob))
        cut = data.draw(st.integers(0, len(blob)))
        assert outcome(lambda: cls.from_bytes(blob[:cut])) == outcome(lambda: cs.construct_decode(cls, blob[:cut]))
    # a bad DWORD: both paths refuse it alike (the sizes are computed by build; a GUID that is not a UUID
    # fails the reference's conversion outside its packer, with AttributeError)
    sized = ("total_size", "needed_size", "used_size")
    dwords = [n for n, k in cls.FIXED_FIELDS if n not in sized and k == "u32"]
    bad = attrs.evolve(obj, **{data.draw(st.sampled_from(dwords)): data.draw(
        st.sampled_from([-1, 2**32, "x", None, uuid.UUID(int=1)]))})
    assert outcome(lambda: bad.to_bytes()) == outcome(lambda: cs.construct_encode(bad))


# --- event views: generated from_generic, typed_*_record ------------------------------------------------


@SETTINGS
@given(words=st.tuples(*[st.sampled_from([0, 1, 2, 256, 2**32 - 1])] * 9), var=st.sampled_from([b"", b"\0\0\0\0", b"ab\0\0"]))
def test_generated_from_generic_is_the_shape_rule(words: tuple, var: bytes) -> None:
    for cls in (*AGENT_EVENT_CLASSES, *CALL_EVENT_CLASSES):
        g = AsyncEventMsg(**dict(zip(RECORD_SLOTS, (*words[:3], int(cls.MSG), *words[4:]))), vardata=var)
        expected = cls.from_wire(*(getattr(g, n) for n in RECORD_SLOTS), bytes(g.vardata))
        assert outcome(lambda: cls.from_generic(g)) == outcome(lambda: expected)
        typed = typed_agent_record if cls in AGENT_EVENT_CLASSES else typed_call_record
        assert outcome(lambda: typed(g)) == outcome(lambda: expected)
        if expected is not None:
            assert typed(expected) is expected


def test_views_declared_anywhere_are_packed_in_one_step() -> None:
    for cls in (*AGENT_EVENT_CLASSES, *CALL_EVENT_CLASSES, LineReply):
        assert cls in records.RECORD_PACKERS


# --- fastpath.constructor(envelope=...) -----------------------------------------------------------------


def test_enveloped_constructor_equals_the_two_constructors() -> None:
    import struct

    @attrs.frozen(slots=False)
    class Inner:
        a: int
        b: int = attrs.field(default=0, converter=int)

    @attrs.frozen(slots=False)
    class Outer:
        seq: int
        body: Any

    @attrs.frozen(slots=False)
    class Converting:
        seq: int = attrs.field(converter=int)
        body: Any = None

    pair = struct.Struct("<2I")
    data = b"\0\0\0\0" + pair.pack(5, 6)
    make = fastpath.constructor(Inner, ("a", "b"), unpack=pair, offset=4, envelope=(Outer, "body", ("seq",)))
    assert make.__code__.co_filename == "<string>"  # one generated function
    assert make(9, data) == Outer(9, Inner(5, 6))
    slow = fastpath.constructor(Inner, ("a", "b"), unpack=pair, offset=4, envelope=(Converting, "body", ("seq",)))
    assert slow(9, data) == Converting(9, Inner(5, 6))  # the outer converts: the two constructors in turn
    with pytest.raises(ValueError):
        fastpath.constructor(Inner, ("a", "b"), unpack=pair, envelope=(Outer, "body", ("a0",)))
