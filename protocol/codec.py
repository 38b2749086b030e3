"""Bytes <-> messages. Pure functions, driven by the tables in :mod:`protocol.messages`.

Rules applied here (wire-protocol §1):

* every length and every VarData offset is checked *before* a compiled schema parses anything;
* any problem with received bytes raises :class:`ProtocolError` with the ERROR code to send back, and
  nothing else escapes (a final ``except Exception`` converts surprises into MALFORMED);
* anything invalid we are asked to encode raises :class:`LocalProtocolError`.

Encoding canonical form: reserved DWORDs and ``flags`` are 0; VarData items are laid out in parameter
order, each starting at a multiple of 4 and zero-padded to a multiple of 4. Decoding is liberal where the
contract allows it: reserved DWORDs, ``flags`` and the ``sequence`` of HELLO/EVENTS/ERROR are ignored,
and VarData items may sit anywhere inside VarData.
"""

from __future__ import annotations

from typing import Any

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
from protocol.errors import LocalProtocolError, ProtocolError
from protocol.messages import (
    EVENT_TYPES,
    REQUEST_TYPES,
    AsyncEventMsg,
    Error,
    Events,
    Hello,
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
]

_MAX_U16 = 0xFFFF


def _malformed(message: str) -> ProtocolError:
    return ProtocolError(ErrorCode.MALFORMED, message)


def _build(schema: Any, values: Any, what: str) -> bytes:
    try:
        return schema.build(values)
    except Exception as exc:  # construct range/type errors, struct.error
        raise LocalProtocolError(f"cannot encode {what}: {exc}") from None


def _u32(data: bytes, offset: int) -> int:
    return int.from_bytes(data[offset : offset + 4], "little")


# --- frames ----------------------------------------------------------------------------------------------


def encode(frame: Any) -> bytes:
    """The whole frame, length header included."""
    if isinstance(frame, Request):
        kind, seq, body = FrameKind.REQUEST, frame.sequence, encode_request_body(frame.body)
    elif isinstance(frame, Response):
        kind, seq, body = FrameKind.RESPONSE, frame.sequence, encode_response_body(frame.result, frame.body)
    elif isinstance(frame, Events):
        if not frame.records:
            raise LocalProtocolError("an EVENTS frame needs at least one record")
        kind, seq, body = FrameKind.EVENTS, 0, b"".join(encode_event_record(r) for r in frame.records)
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
    header = _build(s.FRAME_HEADER, dict(length=length, kind=kind, flags=0, sequence=seq), "frame header")
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
        raise ProtocolError(
            ErrorCode.FRAME_TOO_LARGE, f"frame length {length:#x} exceeds the maximum {MAX_FRAME_LENGTH:#x}"
        )


def decode_header(data: bytes) -> tuple[int, int, int, int]:
    """(length, kind, flags, sequence) of the 12-byte header at the start of ``data``; length checked."""
    if len(data) < s.FRAME_HEADER_SIZE:
        raise _malformed(f"a frame header needs {s.FRAME_HEADER_SIZE} bytes, got {len(data)}")
    length = _u32(data, 0)
    check_length(length)
    h = s.FRAME_HEADER.parse(data[: s.FRAME_HEADER_SIZE])
    return h.length, h.kind, h.flags, h.sequence


def decode(frame_bytes: bytes, *, response_func: int | None = None) -> Any:
    """Decode exactly one whole frame. A RESPONSE needs ``response_func`` (the Req_Func of its request).

    Raises only ProtocolError.
    """
    data = bytes(frame_bytes)
    if len(data) >= 4:
        check_length(_u32(data, 0))  # FRAME_TOO_LARGE wins over "short" for a huge length
    length, kind, _flags, sequence = decode_header(data)
    if len(data) != 4 + length:
        raise _malformed(f"frame length field says {length} bytes follow it, but {len(data) - 4} do")
    return decode_body(kind, sequence, data[s.FRAME_HEADER_SIZE :], response_func=response_func)


def decode_body(kind: int, sequence: int, body: bytes, *, response_func: int | None = None) -> Any:
    """Decode a frame body of ``kind`` (header already parsed). Raises only ProtocolError."""
    try:
        if kind == FrameKind.REQUEST:
            return Request(sequence, decode_request_body(body))
        if kind == FrameKind.RESPONSE:
            if response_func is None:
                raise _malformed(f"RESPONSE with sequence {sequence} matches no outstanding REQUEST")
            result, rbody = decode_response_body(body, response_func)
            return Response(sequence, result, rbody)
        if kind == FrameKind.EVENTS:
            return Events(decode_event_records(body))
        if kind == FrameKind.HELLO:
            return _decode_hello(body)
        if kind == FrameKind.ERROR:
            return _decode_error(body)
        raise ProtocolError(ErrorCode.UNEXPECTED_KIND, f"unknown frame kind {kind}")
    except ProtocolError:
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
    if isinstance(body, RawRequest):
        return _encode_raw(body.req_func, body)
    return _encode_tapi32(getattr(body, "REQ_FUNC", None), body)


def encode_response_body(result: int, body: Any) -> bytes:
    """TAPI32_MSG of a RESPONSE: the request's message with offset 0 = ``result`` (Ack_ReturnValue)."""
    if isinstance(body, RawRequest):
        return _encode_raw(result, body)
    return _encode_tapi32(result, body)


def _encode_raw(first: int, body: RawRequest) -> bytes:
    if len(body.params) != s.NUM_PARAMS:
        raise LocalProtocolError(f"RawRequest needs {s.NUM_PARAMS} params, got {len(body.params)}")
    values = dict(req_func=first, reserved1=0, params=list(body.params), vardata=bytes(body.vardata))
    return _build(s.TAPI32_MSG, values, f"TAPI32_MSG {body.req_func}")


def _encode_tapi32(first: Any, body: Any) -> bytes:
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
    return _build(schema, values, cls.__name__)


def decode_request_body(data: bytes) -> Any:
    """A REQUEST's TAPI32_MSG -> typed body (or RawRequest for a Req_Func without a class)."""
    data = bytes(data)
    _check_fixed(data)
    return _decode_tapi32(data, _u32(data, 0))


def decode_response_body(data: bytes, req_func: int) -> tuple[int, Any]:
    """A RESPONSE's TAPI32_MSG -> (result, body decoded as ``req_func``'s class)."""
    data = bytes(data)
    _check_fixed(data)
    return _u32(data, 0), _decode_tapi32(data, req_func)


def _check_fixed(data: bytes) -> None:
    if len(data) < TAPI32_MSG_FIXED_SIZE:
        raise _malformed(f"TAPI32_MSG is {len(data)} bytes, shorter than its {TAPI32_MSG_FIXED_SIZE}-byte fixed part")


def _decode_tapi32(data: bytes, req_func: int) -> Any:
    entry = REQUEST_TYPES.get(req_func)
    if entry is None:
        v = s.TAPI32_MSG.parse(data)
        return RawRequest(req_func, tuple(v.params), v.vardata)
    cls, schema = entry
    v = schema.parse(data)
    var = v.vardata
    fields: dict[str, Any] = {}
    for p in cls.PARAMS:
        raw = v[p.slot_name]
        what = f"{cls.__name__}.{p.name}"
        if p.kind is VarKind.U32:
            fields[p.name] = raw
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
    return _build(s.ASYNCEVENTMSG, values, type(rec).__name__)


def decode_event_records(data: bytes) -> tuple[Any, ...]:
    """Back-to-back records -> typed views where the Msg has one (and the record fits it), else generic."""
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
        v = schema.parse(data[pos : pos + total])
        g = AsyncEventMsg(
            init_context=v.init_context,
            context=v.context,
            hdevice=v.hdevice,
            msg=v.msg,
            open_context=v.open_context,
            param1=v.param1,
            param2=v.param2,
            param3=v.param3,
            param4=v.param4,
            vardata=v.vardata,
        )
        typed = cls.from_generic(g) if cls is not None else None
        records.append(typed if typed is not None else g)
        pos += total
    return tuple(records)
