"""Bytes <-> frames. Pure functions, driven by the tables in :mod:`protocol.messages`.

Rules applied here (wire-protocol §1):

* every length and every VarData offset is checked *before* anything is parsed;
* a problem with received bytes raises :class:`RemoteProtocolError` with the ERROR code to send back; the
  expected low-level decoding failures (construct errors, ``struct.error``, ``UnicodeDecodeError``)
  become MALFORMED, and any other exception is a bug and propagates unchanged;
* anything invalid we are asked to encode raises :class:`LocalProtocolError`.

Encoding canonical form: reserved DWORDs and ``flags`` are 0; VarData items are laid out in parameter
order, each starting at a multiple of 4 and zero-padded to a multiple of 4. Decoding is liberal where the
contract allows it: reserved DWORDs, ``flags`` and the ``sequence`` of HELLO/EVENTS/ERROR are ignored,
and VarData items may sit anywhere inside VarData.

One code path, two engines (:mod:`protocol.engines`): a :class:`Codec` is built from an engine and the
message declarations - one body codec per request class (:mod:`protocol.bodies`), one record codec
(:mod:`protocol.records`). :data:`FAST` (the struct layouts derived from the construct schemas, with the
per-class one-pack plans) backs the module-level functions; :data:`REFERENCE` runs the construct schemas
themselves and is what the property tests compare :data:`FAST` with, byte for byte and object for object
(:func:`construct_encode` / :func:`construct_decode` are its two frame functions). HELLO and ERROR bodies
have a variable layout and are always read and written by construct.
"""

from __future__ import annotations

from typing import Any

from protocol import fastpath as fp
from protocol import schemas as s
from protocol.bodies import FixedBodyCodec, RawCodec, body_codec
from protocol.constants import (
    ASYNCEVENTMSG_HEADER_SIZE,
    MAX_FRAME_LENGTH,
    MIN_FRAME_LENGTH,
    PROTOCOL_MAJOR,
    TAPI32_MSG_FIXED_SIZE,
    ErrorCode,
    FrameKind,
)
from protocol.engines import CONSTRUCT, DECODE_ERRORS, ENCODE_ERRORS, STRUCT, Engine
from protocol.errors import LocalProtocolError, RemoteProtocolError
from protocol.messages import REQUEST_TYPES, Error, Events, Hello, RawRequest, Request, Response
from protocol.records import FRAME_READERS, RECORD_PACKERS, RecordCodec, read_generic_frame

__all__ = [
    "Codec",
    "FAST",
    "REFERENCE",
    "encode",
    "decode",
    "decode_header",
    "decode_body",
    "check_length",
    "encode_request_body",
    "decode_request_body",
    "encode_response_body",
    "decode_response_body",
    "encode_event_record",
    "decode_event_records",
    "construct_encode",
    "construct_decode",
    "fixed_request_frame",
    "line_reply_frame",
]

_MAX_U16 = 0xFFFF
_KIND_REQUEST = int(FrameKind.REQUEST)
_KIND_RESPONSE = int(FrameKind.RESPONSE)
_KIND_EVENTS = int(FrameKind.EVENTS)
_KIND_HELLO = int(FrameKind.HELLO)
_KIND_ERROR = int(FrameKind.ERROR)
_HEADER_SIZE = s.FRAME_HEADER_SIZE
#: A frame's length field counts the header after it (kind, flags, sequence) and the body.
_HEADER_AFTER_LENGTH = _HEADER_SIZE - 4
_RECORD_HEADER = ASYNCEVENTMSG_HEADER_SIZE
#: The smallest whole REQUEST / RESPONSE frame (header + the TAPI32_MSG's fixed part).
_MIN_CALL_FRAME = _HEADER_SIZE + TAPI32_MSG_FIXED_SIZE
_MAX_FRAME_BYTES = MAX_FRAME_LENGTH + 4
#: Where the low byte of a one-record EVENTS frame's Msg is (frame header, TotalSize, three DWORDs).
_MSG_LOW_BYTE = _HEADER_SIZE + 16

_FRAME_CLASSES = (Request, Response, Events, Hello, Error)
_make_request = fp.constructor(Request)
_make_response = fp.constructor(Response)
_make_events = fp.constructor(Events)
_EVENTS_IN_DICT = fp.stores_in_dict(Events)


def _malformed(message: str) -> RemoteProtocolError:
    return RemoteProtocolError(ErrorCode.MALFORMED, message)


def check_length(length: int) -> None:
    """Validate a frame's ``length`` field (raise as soon as the header is seen)."""
    if length < MIN_FRAME_LENGTH:
        raise _malformed(f"frame length {length} is below the minimum {MIN_FRAME_LENGTH}")
    if length > MAX_FRAME_LENGTH:
        raise RemoteProtocolError(
            ErrorCode.FRAME_TOO_LARGE, f"frame length {length:#x} exceeds the maximum {MAX_FRAME_LENGTH:#x}"
        )


def _utf8(text: str, what: str) -> bytes:
    try:
        data = text.encode("utf-8")
    except (UnicodeEncodeError, AttributeError) as exc:
        raise LocalProtocolError(f"{what} {text!r} is not encodable as UTF-8: {exc}") from None
    if len(data) > _MAX_U16:
        raise LocalProtocolError(f"{what} is {len(data)} bytes of UTF-8, more than {_MAX_U16}")
    return data


def _build(schema: Any, values: Any, what: str) -> bytes:
    try:
        return schema.build(values)  # type: ignore[no-any-return]
    except ENCODE_ERRORS as exc:
        raise LocalProtocolError(f"cannot encode {what}: {exc}") from None


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


class Codec:
    """Every frame-, body- and record-level encode/decode, through one engine."""

    def __init__(self, eng: Engine) -> None:
        self.engine = eng
        self._header_pack = eng.packer(s.FRAME_HEADER)
        self._header_unpack = eng.unpacker(s.FRAME_HEADER)
        self._first = eng.unpacker(s.TAPI32_MSG)  # [0] = Req_Func / Ack_ReturnValue
        #: the one-step paths of the struct engine: the frame header and the body's first DWORD in one
        #: unpack (Req_Func / Ack_ReturnValue / a record's TotalSize); None for the construct engine
        self._quick = None
        if eng.fast:
            self._first = fp.precompiled("<" + fp.layout(s.TAPI32_MSG).codes[0]).unpack_from
            self._quick = fp.precompiled(fp.layout(s.FRAME_HEADER).format + fp.layout(s.TAPI32_MSG).codes[0]).unpack_from
        self.records = RecordCodec(eng)
        self._events_pack = self.records.frame_pack
        self.raw = RawCodec(eng, self.frame_of)
        self.by_func = {func: body_codec(cls, schema, eng, self.frame_of) for func, (cls, schema) in REQUEST_TYPES.items()}
        self.by_class: dict[type, Any] = {bc.cls: bc for bc in self.by_func.values()}
        self.by_class[RawRequest] = self.raw
        #: The one-step frame functions of the body codecs that have them (struct engine, DWORD parameters):
        #: Req_Func -> request_reader / response_reader, body class -> request_packer / response_packer.
        self.request_readers = {f: bc.request_reader for f, bc in self.by_func.items() if bc.request_reader is not None}
        self.response_readers = {f: bc.response_reader for f, bc in self.by_func.items() if bc.response_reader is not None}
        self.request_packers = {bc.cls: bc.request_packer for bc in self.by_func.values() if bc.request_packer is not None}
        self.response_packers = {bc.cls: bc.response_packer for bc in self.by_func.values() if bc.response_packer is not None}

    def __repr__(self) -> str:
        return f"Codec({self.engine!r})"

    # --- frames --------------------------------------------------------------------------------------

    def frame_of(self, kind: int, sequence: int, body: bytes) -> bytes:
        """The whole frame of ``kind`` around ``body`` (LocalProtocolError FRAME_TOO_LARGE past the maximum)."""
        length = _HEADER_AFTER_LENGTH + len(body)
        if length > MAX_FRAME_LENGTH:
            raise LocalProtocolError(
                f"frame length {length} exceeds the maximum {MAX_FRAME_LENGTH:#x}", ErrorCode.FRAME_TOO_LARGE
            )
        try:
            return self._header_pack(length, kind, 0, sequence) + body
        except ENCODE_ERRORS as exc:
            raise LocalProtocolError(f"cannot encode frame header: {exc}") from None

    def _body_codec(self, body: Any) -> Any:
        bc = self.by_class.get(type(body))
        if bc is None:
            if isinstance(body, RawRequest):
                return self.raw
            raise LocalProtocolError(f"not a request body: {body!r}")
        return bc

    def encode(self, frame: Any) -> bytes:
        """The whole frame, length header included."""
        t = type(frame)
        if t is Events:  # the server's most frequent frame: one LINE_REPLY or event record
            records = frame.__dict__["records"] if _EVENTS_IN_DICT else frame.records
            if len(records) == 1:
                rec = records[0]
                pack_wire = RECORD_PACKERS.get(type(rec))
                if pack_wire is None:  # a view declared elsewhere, a subclass, a duck-typed record
                    return self.records.frame(rec)
                try:
                    data = pack_wire(rec, self._events_pack, _KIND_EVENTS)
                except ENCODE_ERRORS:
                    return self.records.frame(rec)  # raises, worded as the record codec words it
                if len(data) <= _MAX_FRAME_BYTES:
                    return data  # type: ignore[no-any-return]
                return self.records.frame(rec)  # raises FRAME_TOO_LARGE
        elif t is Response:
            body = frame.body
            pack = self.response_packers.get(type(body))
            if pack is not None:  # all-DWORD class: header and body in one generated pack
                return pack(frame.sequence, frame.result, body)  # type: ignore[no-any-return]
            bc = self.by_class.get(type(body)) or self._body_codec(body)
            return bc.frame(_KIND_RESPONSE, frame.sequence, frame.result, body, True)  # type: ignore[no-any-return]
        elif t is Request:
            body = frame.body
            pack = self.request_packers.get(type(body))
            if pack is not None:
                return pack(frame.sequence, body)  # type: ignore[no-any-return]
            bc = self.by_class.get(type(body)) or self._body_codec(body)
            first = bc.req_func if bc.req_func is not None else body.req_func
            return bc.frame(_KIND_REQUEST, frame.sequence, first, body, False)  # type: ignore[no-any-return]
        elif t not in _FRAME_CLASSES:  # a subclass of a frame class encodes as that class
            t = next((cls for cls in _FRAME_CLASSES if isinstance(frame, cls)), None)  # type: ignore[assignment]
            if t is None:
                raise LocalProtocolError(f"not a frame: {frame!r}")
            if t is not Hello and t is not Error:
                return self.encode(t(**{a.name: getattr(frame, a.name) for a in t.__attrs_attrs__}))  # type: ignore[union-attr]
        if t is Events:
            records = frame.records
            if not records:
                raise LocalProtocolError("an EVENTS frame needs at least one record")
            return self.frame_of(_KIND_EVENTS, 0, b"".join(map(self.records.encode, records)))
        if t is Hello:
            product = _utf8(frame.product, "HELLO product name")
            values = dict(major=frame.major, minor=frame.minor, n=len(product), product=product)
            return self.frame_of(_KIND_HELLO, 0, _build(s.HELLO_BODY, values, "HELLO"))
        text = _utf8(frame.text, "ERROR text")
        return self.frame_of(_KIND_ERROR, 0, _build(s.ERROR_BODY, dict(code=frame.code, n=len(text), text=text), "ERROR"))

    def decode_header(self, data: bytes) -> tuple[int, int, int, int]:
        """(length, kind, flags, sequence) of the 12-byte header at the start of ``data``; length checked."""
        if len(data) < _HEADER_SIZE:
            if len(data) >= 4:
                check_length(int.from_bytes(data[:4], "little"))  # FRAME_TOO_LARGE wins over "short"
            raise _malformed(f"a frame header needs {_HEADER_SIZE} bytes, got {len(data)}")
        header = self._header_unpack(data, 0)
        length = header[0]
        if not MIN_FRAME_LENGTH <= length <= MAX_FRAME_LENGTH:
            check_length(length)
        return header  # type: ignore[no-any-return]

    def decode(self, frame_bytes: bytes, *, response_func: int | None = None) -> Any:
        """Decode exactly one whole frame. A RESPONSE needs ``response_func`` (the Req_Func of its request).
        Raises RemoteProtocolError for anything wrong with the bytes."""
        data = frame_bytes if type(frame_bytes) is bytes else bytes(frame_bytes)
        size = len(data)
        quick = self._quick
        if quick is not None and size >= _HEADER_SIZE + 4:
            # One step for the frequent shapes (a whole, well-formed frame only; anything else, and every
            # refusal, takes the general path below): the same plans and objects as _body.
            try:
                length, kind, _flags, sequence, first = quick(data)
                if size == length + 4 and length <= MAX_FRAME_LENGTH:
                    if kind == _KIND_EVENTS:
                        if first == size - _HEADER_SIZE and first >= _RECORD_HEADER and not first & 3:  # one record
                            read = FRAME_READERS.get(data[_MSG_LOW_BYTE])
                            if read is not None:  # a view's Msg has this low byte: the view checks the rest
                                events = read(data)
                                if events is not None:
                                    return events
                            # no view for this Msg (no other view shares the low byte), or not its shape
                            return read_generic_frame(data)
                    elif size >= _MIN_CALL_FRAME:
                        if kind == _KIND_REQUEST:
                            read = self.request_readers.get(first)
                            if read is not None:
                                return read(sequence, data)
                        elif kind == _KIND_RESPONSE and response_func is not None:
                            read = self.response_readers.get(response_func)
                            if read is not None:
                                return read(sequence, first, data)
            except DECODE_ERRORS as exc:  # as in _body (nothing here is expected to raise them)
                raise _malformed(f"undecodable kind-{kind} frame body: {exc!r}") from None
        if size < _HEADER_SIZE:
            self.decode_header(data)  # raises
        length, kind, _flags, sequence = self._header_unpack(data, 0)
        if not MIN_FRAME_LENGTH <= length <= MAX_FRAME_LENGTH:
            check_length(length)
        if len(data) != 4 + length:
            raise _malformed(f"frame length field says {length} bytes follow it, but {len(data) - 4} do")
        return self._body(kind, sequence, data, _HEADER_SIZE, response_func)

    def decode_body(self, kind: int, sequence: int, body: bytes, *, response_func: int | None = None) -> Any:
        """Decode a frame body of ``kind`` (header already parsed). Raises RemoteProtocolError for bad bytes."""
        return self._body(kind, sequence, bytes(body), 0, response_func)

    def _body(self, kind: int, sequence: int, data: bytes, offset: int, response_func: int | None) -> Any:
        try:
            if kind == _KIND_REQUEST:
                if len(data) - offset < TAPI32_MSG_FIXED_SIZE:
                    self._check_fixed(data, offset)  # raises
                func = self._first(data, offset)[0]
                bc = self.by_func.get(func, self.raw)
                plan = bc.plan
                if plan is not None:
                    return _make_request(sequence, plan[4](*plan[3](data, offset)))
                return _make_request(sequence, bc.decode(data, offset, func, False))
            if kind == _KIND_RESPONSE:
                if response_func is None:
                    raise _malformed(f"RESPONSE with sequence {sequence} matches no outstanding REQUEST")
                if len(data) - offset < TAPI32_MSG_FIXED_SIZE:
                    self._check_fixed(data, offset)  # raises
                bc = self.by_func.get(response_func, self.raw)
                plan = bc.plan
                if plan is not None:
                    return _make_response(sequence, self._first(data, offset)[0], plan[4](*plan[3](data, offset)))
                body = bc.decode(data, offset, response_func, True)
                return _make_response(sequence, self._first(data, offset)[0], body)
            if kind == _KIND_EVENTS:
                return _make_events(self.records.decode(data, offset))
            if kind == _KIND_HELLO:
                return _decode_hello(data[offset:])
            if kind == _KIND_ERROR:
                return _decode_error(data[offset:])
        except DECODE_ERRORS as exc:  # the expected low-level failures only: anything else is a bug
            raise _malformed(f"undecodable kind-{kind} frame body: {exc!r}") from None
        raise RemoteProtocolError(ErrorCode.UNEXPECTED_KIND, f"unknown frame kind {kind}")

    # --- TAPI32_MSG bodies ---------------------------------------------------------------------------

    def _check_fixed(self, data: bytes, offset: int) -> None:
        if len(data) - offset < TAPI32_MSG_FIXED_SIZE:
            raise _malformed(
                f"TAPI32_MSG is {len(data) - offset} bytes, shorter than its {TAPI32_MSG_FIXED_SIZE}-byte fixed part"
            )

    def _request(self, data: bytes, offset: int) -> Any:
        self._check_fixed(data, offset)
        func = self._first(data, offset)[0]
        return self.by_func.get(func, self.raw).decode(data, offset, func, False)

    def _response(self, data: bytes, offset: int, func: int) -> tuple[int, Any]:
        self._check_fixed(data, offset)
        return self._first(data, offset)[0], self.by_func.get(func, self.raw).decode(data, offset, func, True)

    def encode_request_body(self, body: Any) -> bytes:
        """TAPI32_MSG of a REQUEST: offset 0 = Req_Func."""
        bc = self._body_codec(body)
        return bc.encode(bc.req_func if bc.req_func is not None else body.req_func, body, False)  # type: ignore[no-any-return]

    def encode_response_body(self, result: int, body: Any) -> bytes:
        """RESPONSE TAPI32_MSG: offset 0 = ``result``, the fixed part, VarData only of out-parameters (§10)."""
        return self._body_codec(body).encode(result, body, True)  # type: ignore[no-any-return]

    def decode_request_body(self, data: bytes) -> Any:
        """A REQUEST's TAPI32_MSG -> typed body (or RawRequest for a Req_Func without a class)."""
        try:
            return self._request(bytes(data), 0)
        except DECODE_ERRORS as exc:
            raise _malformed(f"undecodable TAPI32_MSG: {exc!r}") from None

    def decode_response_body(self, data: bytes, req_func: int) -> tuple[int, Any]:
        """A RESPONSE's TAPI32_MSG -> (result, body decoded as ``req_func``'s class)."""
        try:
            return self._response(bytes(data), 0, req_func)
        except DECODE_ERRORS as exc:
            raise _malformed(f"undecodable TAPI32_MSG: {exc!r}") from None

    # --- ASYNCEVENTMSG records -----------------------------------------------------------------------

    def encode_event_record(self, rec: Any) -> bytes:
        """One record: TotalSize = 40 + VarData padded to 4 (TotalSize includes the padding)."""
        return self.records.encode(rec)

    def decode_event_records(self, data: bytes) -> tuple[Any, ...]:
        """Back-to-back records -> typed views where the Msg has one (and the record fits it), else generic."""
        try:
            return self.records.decode(bytes(data))
        except DECODE_ERRORS as exc:
            raise _malformed(f"undecodable ASYNCEVENTMSG: {exc!r}") from None


#: The public codec: struct layouts derived from the construct schemas, one-pack plans where possible.
FAST = Codec(STRUCT)
#: The construct schemas themselves: the oracle the property tests compare FAST with.
REFERENCE = Codec(CONSTRUCT)

encode = FAST.encode
decode = FAST.decode
decode_header = FAST.decode_header
decode_body = FAST.decode_body
encode_request_body = FAST.encode_request_body
decode_request_body = FAST.decode_request_body
encode_response_body = FAST.encode_response_body
decode_response_body = FAST.decode_response_body
encode_event_record = FAST.encode_event_record
decode_event_records = FAST.decode_event_records
construct_encode = REFERENCE.encode
construct_decode = REFERENCE.decode
line_reply_frame = FAST.records.line_reply_frame


def fixed_request_frame(req_func: int) -> tuple[Any, int]:
    """For a request class whose parameters are all plain DWORDs: the precompiled ``struct`` of its whole
    REQUEST/RESPONSE frame - (length, kind, reserved, sequence, Req_Func or Ack_ReturnValue, then the
    class's parameters in offset order; unused slots are zero padding) - and the value of its length
    field. The same struct :func:`encode` / :func:`decode` use for that class, so the bytes are the same."""
    bc = FAST.by_func[req_func]
    if not isinstance(bc, FixedBodyCodec):
        raise ValueError(f"Req_Func {req_func} has VarData parameters: no fixed frame")
    return bc.frame_struct, bc.length
