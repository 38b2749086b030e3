"""Bytes <-> messages. Pure functions, driven by the tables in :mod:`protocol.messages`.

Rules applied here (wire-protocol §1):

* every length and every VarData offset is checked *before* a compiled schema parses anything;
* any problem with received bytes raises :class:`RemoteProtocolError` with the ERROR code to send back, and
  nothing else escapes (a final ``except Exception`` converts surprises into MALFORMED);
* anything invalid we are asked to encode raises :class:`LocalProtocolError`.

Encoding canonical form: reserved DWORDs and ``flags`` are 0; VarData items are laid out in parameter
order, each starting at a multiple of 4 and zero-padded to a multiple of 4. Decoding is liberal where the
contract allows it: reserved DWORDs, ``flags`` and the ``sequence`` of HELLO/EVENTS/ERROR are ignored,
and VarData items may sit anywhere inside VarData.

Two paths, one result (see :mod:`protocol.fastpath`): the public functions use ``struct.Struct`` layouts
derived at import from the construct schemas - specialised plans for the frequent shapes (a TAPI32_MSG
without VarData, LINE_REPLY and LINE_AGENTSESSIONSTATUS records), the derived layouts for the rest - and
construct itself only for the variable HELLO/ERROR bodies. :func:`construct_encode` and
:func:`construct_decode` run everything through construct: they are the reference the property tests
compare the fast path with, byte for byte and object for object.
"""

from __future__ import annotations

import operator
import struct
from typing import Any, Callable

from protocol import fastpath as fp
from protocol import schemas as s
from protocol.constants import (
    ASYNCEVENTMSG_HEADER_SIZE,
    MAX_FRAME_LENGTH,
    MIN_FRAME_LENGTH,
    PROTOCOL_MAJOR,
    TAPI32_MSG_FIXED_SIZE,
    TAPI_NO_DATA,
    ErrorCode,
    FrameKind,
)
from protocol.errors import LocalProtocolError, RemoteProtocolError
from protocol.messages import (
    EVENT_TYPES,
    REQUEST_TYPES,
    AgentSessionStatusEvent,
    AsyncEventMsg,
    Error,
    Events,
    Hello,
    LineReply,
    RawRequest,
    Request,
    Response,
    pad4,
)
from protocol.schemas import VarKind
from protocol.structs import bytes_to_guid, decode_utf16z, encode_utf16z, guid_to_bytes

__all__ = [
    "encode",
    "decode",
    "decode_header",
    "decode_body",
    "encode_request_body",
    "decode_request_body",
    "encode_response_body",
    "decode_response_body",
    "encode_event_record",
    "decode_event_records",
    "construct_encode",
    "construct_decode",
]

_MAX_U16 = 0xFFFF


def _malformed(message: str) -> RemoteProtocolError:
    return RemoteProtocolError(ErrorCode.MALFORMED, message)


def _build(schema: Any, values: Any, what: str) -> bytes:
    try:
        return schema.build(values)
    except Exception as exc:  # construct range/type errors, struct.error
        raise LocalProtocolError(f"cannot encode {what}: {exc}") from None


#: Errors ``struct.pack`` raises for values it cannot encode (construct's FormatField wraps the same).
_PACK_ERRORS = (struct.error, TypeError, ValueError, OverflowError)


def _fast_build(schema: Any, values: Any, what: str) -> bytes:
    """:func:`_build` through the struct layout derived from ``schema``."""
    try:
        return fp.layout(schema).pack_dict(values)
    except (*_PACK_ERRORS, KeyError) as exc:
        raise LocalProtocolError(f"cannot encode {what}: {exc}") from None


def _fast_parse(schema: Any, data: bytes) -> dict[str, Any]:
    return fp.layout(schema).unpack_dict(data)


class _Engine:
    """How fixed-size records become bytes and back: ``build(schema, values, what)`` and
    ``parse(schema, data)`` (a mapping of field name -> value). Two instances: construct and struct."""

    __slots__ = ("build", "parse")

    def __init__(self, build: Callable[[Any, Any, str], bytes], parse: Callable[[Any, bytes], Any]) -> None:
        self.build = build
        self.parse = parse


_CONSTRUCT = _Engine(_build, lambda schema, data: schema.parse(data))
_STRUCT = _Engine(_fast_build, _fast_parse)


def _u32(data: bytes, offset: int) -> int:
    return int.from_bytes(data[offset : offset + 4], "little")


# --- frames ----------------------------------------------------------------------------------------------


def encode(frame: Any) -> bytes:
    """The whole frame, length header included."""
    t = type(frame)
    if t is Request or t is Response:
        body = frame.body
        plan = _PLANS_BY_CLASS.get(type(body))
        if plan is not None and plan.frame is not None:  # no VarData: header and body in one pack
            try:
                if t is Request:
                    return plan.frame.pack(plan.length, _KIND_REQUEST, 0, frame.sequence, plan.req_func, *plan.get(body))
                return plan.frame.pack(plan.length, _KIND_RESPONSE, 0, frame.sequence, frame.result, *plan.get(body))
            except _PACK_ERRORS as exc:
                raise LocalProtocolError(f"cannot encode {plan.cls.__name__}: {exc}") from None
    elif t is Events:
        records = frame.records
        if len(records) == 1:
            rec = records[0]
            packer = _RECORD_PACKERS.get(type(rec))
            if packer is not None:
                return packer(rec, True)
    return _encode_frame(frame, _STRUCT)


def construct_encode(frame: Any) -> bytes:
    """:func:`encode` done by the construct schemas alone (the reference of the fast path)."""
    return _encode_frame(frame, _CONSTRUCT)


def _encode_frame(frame: Any, eng: _Engine) -> bytes:
    if isinstance(frame, Request):
        kind, seq, body = FrameKind.REQUEST, frame.sequence, _encode_request_body(frame.body, eng)
    elif isinstance(frame, Response):
        kind, seq, body = FrameKind.RESPONSE, frame.sequence, _encode_response_body(frame.result, frame.body, eng)
    elif isinstance(frame, Events):
        if not frame.records:
            raise LocalProtocolError("an EVENTS frame needs at least one record")
        kind, seq, body = FrameKind.EVENTS, 0, b"".join(_encode_event_record(r, eng) for r in frame.records)
    elif isinstance(frame, Hello):
        product = _utf8(frame.product, "HELLO product name")
        values = dict(major=frame.major, minor=frame.minor, n=len(product), product=product)
        kind, seq, body = FrameKind.HELLO, 0, _build(s.HELLO_BODY, values, "HELLO")
    elif isinstance(frame, Error):
        text = _utf8(frame.text, "ERROR text")
        kind, seq, body = FrameKind.ERROR, 0, _build(s.ERROR_BODY, dict(code=frame.code, n=len(text), text=text), "ERROR")
    else:
        raise LocalProtocolError(f"not a frame: {frame!r}")
    length = s.FRAME_HEADER_SIZE - 4 + len(body)
    if length > MAX_FRAME_LENGTH:
        raise LocalProtocolError(
            f"frame length {length} exceeds the maximum {MAX_FRAME_LENGTH:#x}", ErrorCode.FRAME_TOO_LARGE
        )
    header = eng.build(s.FRAME_HEADER, dict(length=length, kind=kind, flags=0, sequence=seq), "frame header")
    return header + body


def _utf8(text: str, what: str) -> bytes:
    try:
        data = text.encode("utf-8")
    except (UnicodeEncodeError, AttributeError) as exc:
        raise LocalProtocolError(f"{what} {text!r} is not encodable as UTF-8: {exc}") from None
    if len(data) > _MAX_U16:
        raise LocalProtocolError(f"{what} is {len(data)} bytes of UTF-8, more than {_MAX_U16}")
    return data


def check_length(length: int) -> None:
    """Validate a frame's ``length`` field (raise as soon as the header is seen)."""
    if length < MIN_FRAME_LENGTH:
        raise _malformed(f"frame length {length} is below the minimum {MIN_FRAME_LENGTH}")
    if length > MAX_FRAME_LENGTH:
        raise RemoteProtocolError(            ErrorCode.FRAME_TOO_LARGE, f"frame length {length:#x} exceeds the maximum {MAX_FRAME_LENGTH:#x}"
        )


def decode_header(data: bytes) -> tuple[int, int, int, int]:
    """(length, kind, flags, sequence) of the 12-byte header at the start of ``data``; length checked."""
    if len(data) < s.FRAME_HEADER_SIZE:
        raise _malformed(f"a frame header needs {s.FRAME_HEADER_SIZE} bytes, got {len(data)}")
    header = _HEADER.unpack_from(data)
    check_length(header[0])
    return header


def _construct_decode_header(data: bytes) -> tuple[int, int, int, int]:
    if len(data) < s.FRAME_HEADER_SIZE:
        raise _malformed(f"a frame header needs {s.FRAME_HEADER_SIZE} bytes, got {len(data)}")
    check_length(_u32(data, 0))
    h = s.FRAME_HEADER.parse(data[: s.FRAME_HEADER_SIZE])
    return h.length, h.kind, h.flags, h.sequence


def decode(frame_bytes: bytes, *, response_func: int | None = None) -> Any:
    """Decode exactly one whole frame. A RESPONSE needs ``response_func`` (the Req_Func of its request).
    Raises only RemoteProtocolError.
    """
    data = bytes(frame_bytes)
    if len(data) < s.FRAME_HEADER_SIZE:  # short: the reference path words the error
        return _decode_frame(data, response_func, decode_header, _STRUCT)
    length, kind, _flags, sequence = _HEADER.unpack_from(data)
    if not MIN_FRAME_LENGTH <= length <= MAX_FRAME_LENGTH:
        check_length(length)
    if len(data) != 4 + length:
        raise _malformed(f"frame length field says {length} bytes follow it, but {len(data) - 4} do")
    frame = _decode_frequent(kind, sequence, data, s.FRAME_HEADER_SIZE, length - _HEADER_AFTER_LENGTH, response_func)
    if frame is not None:
        return frame
    return _decode_body(kind, sequence, data[s.FRAME_HEADER_SIZE :], response_func, _STRUCT)


def construct_decode(frame_bytes: bytes, *, response_func: int | None = None) -> Any:
    """:func:`decode` done by the construct schemas alone (the reference of the fast path)."""
    return _decode_frame(frame_bytes, response_func, _construct_decode_header, _CONSTRUCT)


def _decode_frame(frame_bytes: bytes, response_func: int | None, header: Callable[[bytes], Any], eng: _Engine) -> Any:
    data = bytes(frame_bytes)
    if len(data) >= 4:
        check_length(_u32(data, 0))  # FRAME_TOO_LARGE wins over "short" for a huge length
    length, kind, _flags, sequence = header(data)
    if len(data) != 4 + length:
        raise _malformed(f"frame length field says {length} bytes follow it, but {len(data) - 4} do")
    return _decode_body(kind, sequence, data[s.FRAME_HEADER_SIZE :], response_func, eng)


def decode_body(kind: int, sequence: int, body: bytes, *, response_func: int | None = None) -> Any:
    """Decode a frame body of ``kind`` (header already parsed). Raises only RemoteProtocolError."""
    body = bytes(body)
    frame = _decode_frequent(kind, sequence, body, 0, len(body), response_func)
    if frame is not None:
        return frame
    return _decode_body(kind, sequence, body, response_func, _STRUCT)


def _decode_frequent(kind: int, sequence: int, data: bytes, offset: int, size: int, response_func: int | None) -> Any:
    """The frequent shapes read in one step from the ``size``-byte body at ``offset`` of ``data``, with
    the same plans and objects as the general ``_decode_body``: a TAPI32_MSG of a function without
    VarData, and an EVENTS body that is one LINE_REPLY. None for anything else (nothing decided)."""
    try:
        if kind == _KIND_REQUEST:
            if size >= TAPI32_MSG_FIXED_SIZE:
                plan = _PLANS_BY_FUNC.get(_FIRST.unpack_from(data, offset)[0])
                if plan is not None and plan.length == size + _HEADER_AFTER_LENGTH:
                    return _make_request(sequence, plan.make(*plan.unpack_params(data, offset)))
        elif kind == _KIND_RESPONSE:
            plan = _PLANS_BY_FUNC.get(response_func)  # type: ignore[arg-type]
            if plan is not None and plan.length == size + _HEADER_AFTER_LENGTH:
                body = plan.make(*plan.unpack_params(data, offset))
                return _make_response(sequence, _FIRST.unpack_from(data, offset)[0], body)
        elif kind == _KIND_EVENTS and size >= ASYNCEVENTMSG_HEADER_SIZE:
            h = _RECORD.unpack_from(data, offset)
            if h[0] == size and h[4] == _MSG_LINE_REPLY and not size & 3:
                var = data[offset + ASYNCEVENTMSG_HEADER_SIZE : offset + size]
                rec = _line_reply_view(h[1:4], h[5:9], h[9], var)
                if rec is not None:
                    return _make_events((rec,))
    except RemoteProtocolError:
        raise
    except Exception as exc:  # as in _decode_body: nothing but RemoteProtocolError escapes
        raise _malformed(f"undecodable kind-{kind} frame body: {exc!r}") from None
    return None


def _decode_body(kind: int, sequence: int, body: bytes, response_func: int | None, eng: _Engine) -> Any:
    try:
        if kind == FrameKind.REQUEST:
            return _make_request(sequence, _decode_request_body(body, eng))
        if kind == FrameKind.RESPONSE:
            if response_func is None:
                raise _malformed(f"RESPONSE with sequence {sequence} matches no outstanding REQUEST")
            result, rbody = _decode_response_body(body, response_func, eng)
            return _make_response(sequence, result, rbody)
        if kind == FrameKind.EVENTS:
            return _make_events(_decode_event_records(body, eng))
        if kind == FrameKind.HELLO:
            return _decode_hello(body)
        if kind == FrameKind.ERROR:
            return _decode_error(body)
        raise RemoteProtocolError(ErrorCode.UNEXPECTED_KIND, f"unknown frame kind {kind}")
    except RemoteProtocolError:
        raise
    except Exception as exc:  # a bug or an odd value: never let it escape as anything else
        raise _malformed(f"undecodable kind-{kind} frame body: {exc!r}") from None


def _decode_hello(body: bytes) -> Hello:
    if len(body) >= 2 and int.from_bytes(body[:2], "little") != PROTOCOL_MAJOR:
        # Another major version may lay out the rest differently: report the version, not MALFORMED.
        minor = int.from_bytes(body[2:4], "little") if len(body) >= 4 else 0
        return Hello(int.from_bytes(body[:2], "little"), minor, "")
    if len(body) < s.HELLO_FIXED_SIZE:
        raise _malformed(f"HELLO body needs at least {s.HELLO_FIXED_SIZE} bytes, got {len(body)}")
    n = int.from_bytes(body[4:6], "little")
    if len(body) != s.HELLO_FIXED_SIZE + n:
        raise _malformed(f"HELLO body is {len(body)} bytes but its product name length says {s.HELLO_FIXED_SIZE + n}")
    v = s.HELLO_BODY.parse(body)
    try:
        product = v.product.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _malformed(f"HELLO product name is not UTF-8: {exc}") from None
    return Hello(v.major, v.minor, product)


def _decode_error(body: bytes) -> Error:
    if len(body) < s.ERROR_FIXED_SIZE:
        raise _malformed(f"ERROR body needs at least {s.ERROR_FIXED_SIZE} bytes, got {len(body)}")
    n = int.from_bytes(body[4:6], "little")
    if len(body) != s.ERROR_FIXED_SIZE + n:
        raise _malformed(f"ERROR body is {len(body)} bytes but its text length says {s.ERROR_FIXED_SIZE + n}")
    v = s.ERROR_BODY.parse(body)
    # Bad UTF-8 in the peer's last words should not hide its error code.
    return Error(v.code, v.text.decode("utf-8", "replace"))


# --- TAPI32_MSG bodies -----------------------------------------------------------------------------------


def encode_request_body(body: Any) -> bytes:
    """TAPI32_MSG of a REQUEST: offset 0 = Req_Func."""
    return _encode_request_body(body, _STRUCT)


def _encode_request_body(body: Any, eng: _Engine) -> bytes:
    if isinstance(body, RawRequest):
        return _encode_raw(body.req_func, body, eng)
    return _encode_tapi32(getattr(body, "REQ_FUNC", None), body, eng)


def encode_response_body(result: int, body: Any) -> bytes:
    """RESPONSE TAPI32_MSG: offset 0 = ``result``, the fixed part, VarData only of out-parameters (§10)."""
    return _encode_response_body(result, body, _STRUCT)


def _encode_response_body(result: int, body: Any, eng: _Engine) -> bytes:
    if isinstance(body, RawRequest):  # unknown function, no known out-parameters: no VarData
        return _encode_raw(result, RawRequest(body.req_func, body.params), eng)
    return _encode_tapi32(result, body, eng, True)


def _encode_raw(first: int, body: RawRequest, eng: _Engine) -> bytes:
    if len(body.params) != s.NUM_PARAMS:
        raise LocalProtocolError(f"RawRequest needs {s.NUM_PARAMS} params, got {len(body.params)}")
    if eng is _STRUCT:
        try:
            return _TAPI32.pack(first, 0, *body.params) + bytes(body.vardata)
        except _PACK_ERRORS as exc:
            raise LocalProtocolError(f"cannot encode TAPI32_MSG {body.req_func}: {exc}") from None
    values = dict(req_func=first, reserved1=0, params=list(body.params), vardata=bytes(body.vardata))
    return _build(s.TAPI32_MSG, values, f"TAPI32_MSG {body.req_func}")


def _encode_tapi32(first: Any, body: Any, eng: _Engine, response: bool = False) -> bytes:
    """Typed body -> TAPI32_MSG with ``first`` (Req_Func or Ack_ReturnValue) at offset 0."""
    entry = REQUEST_TYPES.get(getattr(body, "REQ_FUNC", None))  # type: ignore[arg-type]
    if entry is None or type(body) is not entry[0]:
        raise LocalProtocolError(f"not a request body: {body!r}")
    cls, schema = entry
    values: dict[str, Any] = {name: 0 for name in s.slot_names(cls.PARAMS).values()}
    values["req_func"] = first
    values["reserved1"] = 0
    var = bytearray()

    def put(item: bytes) -> int:
        off = len(var)
        var.extend(item)
        var.extend(bytes(pad4(len(item)) - len(item)))
        return off

    for p in cls.PARAMS:
        if response and p.kind in s.RESPONSE_ABSENT:  # an in-parameter in VarData: not sent back
            values[p.slot_name] = TAPI_NO_DATA
            continue
        value = getattr(body, p.name)
        what = f"{cls.__name__}.{p.name}"
        if p.kind is VarKind.U32:
            values[p.slot_name] = value
        elif p.kind in (VarKind.STR, VarKind.OPTSTR):
            if value is None:
                if p.kind is VarKind.STR:
                    raise LocalProtocolError(f"{what} is required, got None")
                values[p.slot_name] = TAPI_NO_DATA
            elif not isinstance(value, str):
                raise LocalProtocolError(f"{what} must be a str, got {value!r}")
            else:
                values[p.slot_name] = put(encode_utf16z(value, what))
        elif p.kind is VarKind.GUID:
            values[p.slot_name] = put(guid_to_bytes(value))
            if p.size_offset is not None:
                values[f"{p.name}_size"] = 16
        elif p.kind is VarKind.OUTBUF:
            data = bytes(value)
            values[p.slot_name] = put(data)
            values[f"{p.name}_size"] = len(data)
    values["vardata"] = bytes(var)
    return eng.build(schema, values, cls.__name__)


def decode_request_body(data: bytes) -> Any:
    """A REQUEST's TAPI32_MSG -> typed body (or RawRequest for a Req_Func without a class)."""
    return _decode_request_body(data, _STRUCT)


def _decode_request_body(data: bytes, eng: _Engine) -> Any:
    data = bytes(data)
    _check_fixed(data)
    req_func = _FIRST.unpack_from(data)[0]
    if eng is _STRUCT:
        plan = _PLANS_BY_FUNC.get(req_func)
        if plan is not None and plan.frame is not None:
            return plan.make(*plan.unpack_params(data))
    return _decode_tapi32(data, req_func, eng)


def decode_response_body(data: bytes, req_func: int) -> tuple[int, Any]:
    """A RESPONSE's TAPI32_MSG -> (result, body decoded as ``req_func``'s class)."""
    return _decode_response_body(data, req_func, _STRUCT)


def _decode_response_body(data: bytes, req_func: int, eng: _Engine) -> tuple[int, Any]:
    data = bytes(data)
    _check_fixed(data)
    return _u32(data, 0), _decode_tapi32(data, req_func, eng, True)


def _check_fixed(data: bytes) -> None:
    if len(data) < TAPI32_MSG_FIXED_SIZE:
        raise _malformed(f"TAPI32_MSG is {len(data)} bytes, shorter than its {TAPI32_MSG_FIXED_SIZE}-byte fixed part")


def _decode_tapi32(data: bytes, req_func: int, eng: _Engine, response: bool = False) -> Any:
    if eng is _STRUCT:
        plan = _PLANS_BY_FUNC.get(req_func)
        if plan is not None and plan.frame is not None:
            return plan.make(*plan.unpack_params(data))
    entry = REQUEST_TYPES.get(req_func)
    if entry is None:
        if eng is _STRUCT:
            v = _TAPI32.unpack_from(data)
            return RawRequest(req_func, v[2:], data[TAPI32_MSG_FIXED_SIZE:])
        v = s.TAPI32_MSG.parse(data)
        return RawRequest(req_func, tuple(v.params), v.vardata)
    cls, schema = entry
    v = eng.parse(schema, data)
    var = v["vardata"]
    fields: dict[str, Any] = {}
    for p in cls.PARAMS:
        raw = v[p.slot_name]
        what = f"{cls.__name__}.{p.name}"
        if p.kind is VarKind.U32:
            fields[p.name] = raw
        elif response and p.kind in s.RESPONSE_ABSENT:  # not read, whatever a peer put there
            fields[p.name] = s.RESPONSE_ABSENT[p.kind]
        elif p.kind is VarKind.STR or p.kind is VarKind.OPTSTR:
            if raw == TAPI_NO_DATA and p.kind is VarKind.OPTSTR:
                fields[p.name] = None
            else:
                fields[p.name] = _read_string(var, raw, what)
        elif p.kind is VarKind.GUID:
            size = v[f"{p.name}_size"] if p.size_offset is not None else 16
            if size != 16:
                raise _malformed(f"{what}: GUID size is {size}, must be 16")
            fields[p.name] = bytes_to_guid(_read_bytes(var, raw, 16, what))
        elif p.kind is VarKind.OUTBUF:
            size = v[f"{p.name}_size"]
            fields[p.name] = var[raw : raw + size] if raw + size <= len(var) else b""
    return cls(**fields)


def _read_bytes(var: bytes, offset: int, size: int, what: str) -> bytes:
    if offset + size > len(var):
        raise _malformed(f"{what}: {size} bytes at VarData offset {offset:#x} lie outside the {len(var)}-byte VarData")
    return var[offset : offset + size]


def _read_string(var: bytes, offset: int, what: str) -> str:
    """UTF-16LE NUL-terminated string at a 2-byte-aligned VarData offset."""
    if offset >= len(var):
        raise _malformed(f"{what}: string offset {offset:#x} is outside the {len(var)}-byte VarData")
    if offset % 2:
        raise _malformed(f"{what}: string offset {offset:#x} is not 2-byte aligned")
    end = offset
    while True:  # the first NUL code unit, i.e. a 00 00 pair at an even distance from the start
        end = var.find(b"\x00\x00", end)
        if end < 0:
            raise _malformed(f"{what}: string at VarData offset {offset:#x} has no NUL terminator")
        if (end - offset) % 2 == 0:
            return decode_utf16z(var[offset : end + 2], f"{what} at VarData offset {offset:#x}")
        end += 1


# --- ASYNCEVENTMSG records -------------------------------------------------------------------------------


def encode_event_record(rec: Any) -> bytes:
    """One record: TotalSize = 40 + VarData padded to 4 (TotalSize includes the padding)."""
    packer = _RECORD_PACKERS.get(type(rec))
    if packer is not None:
        return packer(rec, False)
    return _encode_event_record(rec, _STRUCT)


def _encode_event_record(rec: Any, eng: _Engine) -> bytes:
    if not hasattr(rec, "to_generic"):
        raise LocalProtocolError(f"not an event record: {rec!r}")
    g = rec.to_generic()
    var = bytes(g.vardata)
    var += bytes(pad4(len(var)) - len(var))
    values = dict(
        total_size=ASYNCEVENTMSG_HEADER_SIZE + len(var),
        init_context=g.init_context,
        context=g.context,
        hdevice=g.hdevice,
        msg=g.msg,
        open_context=g.open_context,
        param1=g.param1,
        param2=g.param2,
        param3=g.param3,
        param4=g.param4,
        vardata=var,
    )
    return eng.build(s.ASYNCEVENTMSG, values, type(rec).__name__)


def decode_event_records(data: bytes) -> tuple[Any, ...]:
    """Back-to-back records -> typed views where the Msg has one (and the record fits it), else generic."""
    return _decode_event_records(data, _STRUCT)


def _decode_event_records(data: bytes, eng: _Engine) -> tuple[Any, ...]:
    if eng is _STRUCT:
        return _unpack_records(bytes(data))
    data = bytes(data)
    if not data:
        raise _malformed("EVENTS frame carries no record")
    records = []
    pos = 0
    while pos < len(data):
        left = len(data) - pos
        if left < ASYNCEVENTMSG_HEADER_SIZE:
            raise _malformed(f"{left} bytes left at offset {pos}, less than a 40-byte ASYNCEVENTMSG header")
        total = _u32(data, pos)
        if total < ASYNCEVENTMSG_HEADER_SIZE or total % 4 or total > left:
            raise _malformed(
                f"ASYNCEVENTMSG at offset {pos}: TotalSize {total} must be >= 40, a multiple of 4"
                f" and at most the {left} bytes left"
            )
        msg = _u32(data, pos + 16)
        cls, schema = EVENT_TYPES.get(msg, (None, s.ASYNCEVENTMSG))
        records.append(_record_via_schema(cls, schema, data[pos : pos + total], eng))
        pos += total
    return tuple(records)


def _record_via_schema(cls: type | None, schema: Any, chunk: bytes, eng: _Engine) -> Any:
    """One record (``chunk`` = exactly TotalSize bytes) parsed with ``schema``, as a generic AsyncEventMsg
    turned into ``cls``'s view when ``cls.from_generic`` accepts it."""
    v = eng.parse(schema, chunk)
    g = AsyncEventMsg(
        init_context=v["init_context"],
        context=v["context"],
        hdevice=v["hdevice"],
        msg=v["msg"],
        open_context=v["open_context"],
        param1=v["param1"],
        param2=v["param2"],
        param3=v["param3"],
        param4=v["param4"],
        vardata=v["vardata"],
    )
    typed = cls.from_generic(g) if cls is not None else None
    return typed if typed is not None else g


# --- the fast path's plans (built once, at import, from the construct schemas) -------------------------

_HEADER_LAYOUT = fp.layout(s.FRAME_HEADER, "frame header")
_HEADER = _HEADER_LAYOUT.struct
_TAPI32 = fp.layout(s.TAPI32_MSG, "TAPI32_MSG").struct
_FIRST = fp.precompiled("<" + fp.layout(s.TAPI32_MSG).codes[0])  # Req_Func / Ack_ReturnValue
_RECORD_LAYOUT = fp.layout(s.ASYNCEVENTMSG, "ASYNCEVENTMSG")
_RECORD = _RECORD_LAYOUT.struct
#: A frame header and one ASYNCEVENTMSG header in one pack (a one-record EVENTS frame).
_EVENTS_FRAME = fp.precompiled(_HEADER_LAYOUT.format + _RECORD_LAYOUT.format[1:])
_ZERO_PAD = (b"", b"\0", b"\0\0", b"\0\0\0")

_make_request = fp.constructor(Request)
_make_response = fp.constructor(Response)
_make_events = fp.constructor(Events)


def _tuple_getter(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """``operator.attrgetter`` that returns a tuple even for one name."""
    if len(names) == 1:
        one = operator.attrgetter(names[0])
        return lambda obj: (one(obj),)
    return operator.attrgetter(*names)


class _BodyPlan:
    """The specialised path of one request class whose parameters are all plain DWORDs (no VarData):
    REQUEST/RESPONSE frame = one ``pack`` of header + fixed part (reserved and unused parameter slots
    as ``4x`` padding: zeros out, ignored in) and one ``unpack_from`` + positional constructor back.
    ``frame`` is None for classes with VarData parameters (they take the derived-layout path)."""

    __slots__ = ("cls", "req_func", "frame", "length", "get", "unpack_params", "make")

    def __init__(self, cls: type, schema: Any) -> None:
        lay = fp.layout(schema, cls.__name__)
        self.cls = cls
        self.req_func = int(cls.REQ_FUNC)  # type: ignore[attr-defined]
        self.frame: struct.Struct | None = None
        self.length: int | None = None  # the frame's length field, for the classes without VarData
        params = sorted(cls.PARAMS, key=lambda p: p.offset)  # type: ignore[attr-defined]
        if any(p.kind is not VarKind.U32 for p in params):
            return
        used = {p.slot_name for p in params}
        body_format = lay.format_of({n: "4x" for n in lay.names[1:] if n not in used})[1:]
        self.frame = fp.precompiled(_HEADER_LAYOUT.format + body_format)
        self.length = s.FRAME_HEADER_SIZE - 4 + lay.size
        names = [p.name for p in params]
        self.get = _tuple_getter(names)
        self.unpack_params = fp.precompiled("<4x" + body_format[1:]).unpack_from  # the params, not the first DWORD
        self.make = fp.constructor(cls, names)


_PLANS_BY_FUNC: dict[int, _BodyPlan] = {func: _BodyPlan(cls, schema) for func, (cls, schema) in REQUEST_TYPES.items()}
_PLANS_BY_CLASS: dict[type, _BodyPlan] = {plan.cls: plan for plan in _PLANS_BY_FUNC.values()}


def _packed_record(as_frame: bool, what: str, var: bytes, *fields: int) -> bytes:
    """One ASYNCEVENTMSG (``fields`` = the nine DWORDs after TotalSize, ``var`` already padded to 4), or
    a whole EVENTS frame holding just it."""
    total = ASYNCEVENTMSG_HEADER_SIZE + len(var)
    try:
        if as_frame and total + 8 <= MAX_FRAME_LENGTH:
            return _EVENTS_FRAME.pack(total + 8, FrameKind.EVENTS, 0, 0, total, *fields) + var
        record = _RECORD.pack(total, *fields) + var
    except _PACK_ERRORS as exc:
        raise LocalProtocolError(f"cannot encode {what}: {exc}") from None
    if as_frame:
        raise LocalProtocolError(
            f"frame length {total + 8} exceeds the maximum {MAX_FRAME_LENGTH:#x}", ErrorCode.FRAME_TOO_LARGE
        )
    return record


def _pack_line_reply(rec: LineReply, as_frame: bool) -> bytes:
    data = bytes(rec.data)
    if as_frame:
        return line_reply_frame(
            rec.init_context, rec.context, rec.hdevice, rec.open_context, rec.request_id, rec.result,
            rec.struct_context, data,
        )
    n = len(data)
    return _packed_record(
        as_frame, "LineReply", data + _ZERO_PAD[-n & 3], rec.init_context, rec.context, rec.hdevice, LineReply.MSG,
        rec.open_context, rec.request_id, rec.result, rec.struct_context, n,
    )


def _pack_session_status(rec: AgentSessionStatusEvent, as_frame: bool) -> bytes:
    return _packed_record(
        as_frame, "AgentSessionStatusEvent", b"", rec.init_context, 0, rec.hdevice, AgentSessionStatusEvent.MSG,
        rec.open_context, rec.hagent_session, rec.status, rec.state, 0,
    )


def _pack_generic(rec: AsyncEventMsg, as_frame: bool) -> bytes:
    var = bytes(rec.vardata)
    return _packed_record(
        as_frame, "AsyncEventMsg", var + _ZERO_PAD[-len(var) & 3], rec.init_context, rec.context, rec.hdevice,
        rec.msg, rec.open_context, rec.param1, rec.param2, rec.param3, rec.param4,
    )


#: Record class -> packer(record, as_frame); other classes go through ``to_generic`` and the layouts.
_RECORD_PACKERS: dict[type, Callable[[Any, bool], bytes]] = {
    LineReply: _pack_line_reply,
    AgentSessionStatusEvent: _pack_session_status,
    AsyncEventMsg: _pack_generic,
}

_make_line_reply = fp.constructor(
    LineReply, ("init_context", "context", "hdevice", "open_context", "request_id", "result", "struct_context", "data")
)
_make_session_status = fp.constructor(
    AgentSessionStatusEvent, ("init_context", "hdevice", "open_context", "hagent_session", "status", "state")
)
_make_generic = fp.constructor(
    AsyncEventMsg,
    ("init_context", "context", "hdevice", "msg", "open_context", "param1", "param2", "param3", "param4", "vardata"),
)


def _unpack_records(data: bytes) -> tuple[Any, ...]:
    """:func:`decode_event_records` with the derived layout: same checks, same objects. A record whose
    Msg has a view class gets it when the record has its shape (the rules of ``LineReply.from_generic``
    / ``AgentSessionStatusEvent.from_generic``, applied here without the generic step), else the
    generic AsyncEventMsg."""
    size = len(data)
    if not size:
        raise _malformed("EVENTS frame carries no record")
    records = []
    pos = 0
    while pos < size:
        left = size - pos
        if left < ASYNCEVENTMSG_HEADER_SIZE:
            raise _malformed(f"{left} bytes left at offset {pos}, less than a 40-byte ASYNCEVENTMSG header")
        h = _RECORD.unpack_from(data, pos)
        total = h[0]
        if total < ASYNCEVENTMSG_HEADER_SIZE or total % 4 or total > left:
            raise _malformed(
                f"ASYNCEVENTMSG at offset {pos}: TotalSize {total} must be >= 40, a multiple of 4"
                f" and at most the {left} bytes left"
            )
        var = data[pos + ASYNCEVENTMSG_HEADER_SIZE : pos + total]
        cls, schema = EVENT_TYPES.get(h[4], _NO_VIEW)
        rec = None
        if schema is not s.ASYNCEVENTMSG:  # a view registered with its own schema: parse with that
            rec = _record_via_schema(cls, schema, data[pos : pos + total], _STRUCT)
        elif cls is LineReply:
            rec = _line_reply_view(h[1:4], h[5:9], h[9], var)
        elif cls is AgentSessionStatusEvent:
            if not (h[2] or h[9] or var):
                rec = _make_session_status(h[1], h[3], h[5], h[6], h[7], h[8])
        elif cls is not None:  # a view class registered elsewhere: its own rule decides
            rec = cls.from_generic(_make_generic(*h[1:], var))
        if rec is None:  # no view, or the record does not have the view's shape
            rec = _make_generic(*h[1:], var)
        records.append(rec)
        pos += total
    return tuple(records)


_NO_VIEW: tuple[None, Any] = (None, s.ASYNCEVENTMSG)


def _line_reply_view(head: tuple[int, ...], tail: tuple[int, ...], n: int, var: bytes) -> LineReply | None:
    """The LineReply of a LINE_REPLY record - ``head`` = (init_context, context, hdevice), ``tail`` =
    (open_context, Param1..3), ``n`` = Param4, ``var`` = its VarData - or None when the record does not
    have the shape (``LineReply.from_generic``'s rule: VarData = Param4 bytes of data + zero padding to 4)."""
    if n > len(var) or len(var) != (n + 3) & ~3 or (n != len(var) and any(var[n:])):
        return None
    return _make_line_reply(*head, *tail, var[:n] if n != len(var) else var)


# decode()'s one-record path applies the LINE_REPLY view rule to records of the generic layout only.
if EVENT_TYPES.get(LineReply.MSG) != (LineReply, s.ASYNCEVENTMSG):  # pragma: no cover - a table edit
    raise ImportError("decode()'s LINE_REPLY path needs EVENT_TYPES[LINE_REPLY] = (LineReply, ASYNCEVENTMSG)")
#: A frame's length field counts the header after it (kind, flags, sequence) and the body.
_HEADER_AFTER_LENGTH = s.FRAME_HEADER_SIZE - 4


# --- bytes-level helpers for the server's fast lane (tsp/fastlane.py) -------------------------------------


def fixed_request_frame(req_func: int) -> tuple[struct.Struct, int]:
    """For a request class whose parameters are all plain DWORDs: the precompiled ``struct`` of its whole
    REQUEST/RESPONSE frame - (length, kind, reserved, sequence, Req_Func or Ack_ReturnValue, then the
    class's parameters in offset order; unused slots are zero padding) - and the value of its length
    field. The same struct :func:`encode` / :func:`decode` use for that class, so the bytes are the same."""
    plan = _PLANS_BY_FUNC[req_func]
    if plan.frame is None:
        raise ValueError(f"Req_Func {req_func} has VarData parameters: no fixed frame")
    return plan.frame, plan.length


def line_reply_frame(
    init_context: int, context: int, hdevice: int, open_context: int, request_id: int, result: int,
    struct_context: int, data: bytes,
) -> bytes:
    """The EVENTS frame holding one LINE_REPLY, as ``encode(Events((LineReply(...),)))`` gives it (that
    is how :func:`encode` writes one: the most frequent frame of the server, packed in one go)."""
    n = len(data)
    total = ASYNCEVENTMSG_HEADER_SIZE + n + (-n & 3)
    if total + 8 > MAX_FRAME_LENGTH:
        raise LocalProtocolError(
            f"frame length {total + 8} exceeds the maximum {MAX_FRAME_LENGTH:#x}", ErrorCode.FRAME_TOO_LARGE
        )
    try:
        head = _EVENTS_FRAME.pack(
            total + 8, _KIND_EVENTS, 0, 0, total, init_context, context, hdevice, _MSG_LINE_REPLY, open_context,
            request_id, result, struct_context, n,
        )
    except _PACK_ERRORS as exc:
        raise LocalProtocolError(f"cannot encode LineReply: {exc}") from None
    return head + (data + _ZERO_PAD[-n & 3] if n & 3 else data)


_KIND_EVENTS = int(FrameKind.EVENTS)
_KIND_REQUEST = int(FrameKind.REQUEST)
_KIND_RESPONSE = int(FrameKind.RESPONSE)
_MSG_LINE_REPLY = int(LineReply.MSG)
