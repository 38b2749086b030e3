"""TAPI32_MSG bodies: one codec object per request class and engine, generated from the class declaration.

:func:`body_codec` turns a request class (its ``PARAMS``, derived from the field declarations in
:mod:`protocol.messages`) and its construct schema into the object that encodes and decodes exactly that
class through one :mod:`engine <protocol.engines>`:

* :class:`BodyCodec` - the general form, for any class and either engine: the 60-byte fixed part as a
  flat tuple, each VarData parameter (string, GUID, (out) buffer) laid out / checked per its kind;
* :class:`FixedBodyCodec` - with the struct engine, for a class whose parameters are all plain DWORDs: a
  whole REQUEST/RESPONSE frame in one ``pack`` (reserved and unused slots as ``4x`` padding: zeros out,
  ignored in) and one ``unpack_from`` + positional constructor back;
* :class:`ReplyBodyCodec` - the same for a sync Get* class (plain DWORDs and the returned structure as
  the RESPONSE's VarData): the REQUEST as above, the RESPONSE that frame grown by the structure's bytes;
* :class:`RawCodec` - :class:`~protocol.messages.RawRequest`, any Req_Func without a class.

Rules (wire-protocol §1-§3, §10): VarData items are laid out in parameter order, each at a multiple of 4
and zero-padded to a multiple of 4; a RESPONSE carries only the VarData of out-parameters (in-parameters
kept in VarData decode as ``schemas.RESPONSE_ABSENT`` says). Received offsets are checked before use;
problems raise RemoteProtocolError(MALFORMED), values that cannot be encoded LocalProtocolError.
"""

from __future__ import annotations

import operator
from typing import Any, Callable

from protocol import fastpath as fp
from protocol import schemas as s
from protocol.constants import MAX_FRAME_LENGTH, TAPI32_MSG_FIXED_SIZE, TAPI_NO_DATA, ErrorCode, FrameKind
from protocol.engines import ENCODE_ERRORS, Engine
from protocol.errors import LocalProtocolError, RemoteProtocolError
from protocol.messages import RawRequest, Request, Response, pad4
from protocol.schemas import VarKind
from protocol.structs import bytes_to_guid, decode_utf16z, encode_utf16z, guid_to_bytes

__all__ = ["BodyCodec", "FixedBodyCodec", "ReplyBodyCodec", "RawCodec", "body_codec", "FRAME_PREFIX", "read_string"]

#: The frame header's layout, joined in front of a fixed body by :class:`FixedBodyCodec`.
FRAME_PREFIX = fp.layout(s.FRAME_HEADER, "frame header")
_FIXED = TAPI32_MSG_FIXED_SIZE
_KIND_REQUEST = int(FrameKind.REQUEST)
_KIND_RESPONSE = int(FrameKind.RESPONSE)


def _malformed(message: str) -> RemoteProtocolError:
    return RemoteProtocolError(ErrorCode.MALFORMED, message)


#: ``frame_of(kind, sequence, body_bytes)`` -> the whole frame (given by the codec that owns the body codecs).
FrameOf = Callable[[int, int, bytes], bytes]


class BodyCodec:
    """Encode / decode one request class through one engine (the general form)."""

    def __init__(self, cls: type, schema: Any, eng: Engine, frame_of: FrameOf) -> None:
        lay = fp.layout(schema, cls.__name__)
        self.cls = cls
        self.what = cls.__name__
        self.req_func: int | None = int(cls.REQ_FUNC)  # type: ignore[attr-defined]
        self.frame_of = frame_of
        #: The one-step plan of a FixedBodyCodec (None here): decode_body and the body functions use it.
        self.frame_struct: Any = None
        self.plan: Any = None
        #: The one-step frame functions of the struct engine (None here), generated from the declaration:
        #: ``request_reader(sequence, data)`` -> the Request of a whole REQUEST frame, ``response_reader(
        #: sequence, result, data)`` -> the Response; ``request_packer(sequence, body)`` /
        #: ``response_packer(sequence, result, body)`` -> the whole frame's bytes.
        self.request_reader: Any = None
        self.response_reader: Any = None
        self.request_packer: Any = None
        self.response_packer: Any = None
        self._unpack = eng.unpacker(schema)
        self._pack = eng.packer(schema)
        self._slots = len(lay.names)
        index = {name: i for i, name in enumerate(lay.names)}
        #: A sync Get* function's returned structure (protocol.declare.reply_struct): RESPONSE VarData + 0.
        self.reply_field: str | None = getattr(cls, "REPLY_FIELD", None)
        #: per parameter: (Param, index of its DWORD, index of its size DWORD or None)
        self._params = [
            (p, index[p.slot_name], index[f"{p.name}_size"] if p.size_offset is not None else None)
            for p in cls.PARAMS  # type: ignore[attr-defined]
        ]

    def encode(self, first: int, body: Any, response: bool = False) -> bytes:
        """The TAPI32_MSG with ``first`` (Req_Func or Ack_ReturnValue) at offset 0."""
        values: list[Any] = [0] * self._slots
        values[0] = first
        var = bytearray()

        def put(item: bytes) -> int:
            off = len(var)
            var.extend(item)
            var.extend(bytes(pad4(len(item)) - len(item)))
            return off

        for p, i, size_i in self._params:
            if response and p.kind in s.RESPONSE_ABSENT:  # an in-parameter in VarData: not sent back
                values[i] = TAPI_NO_DATA
                continue
            value = getattr(body, p.name)
            what = f"{self.what}.{p.name}"
            if p.kind is VarKind.U32:
                values[i] = value
            elif p.kind is VarKind.STR or p.kind is VarKind.OPTSTR:
                if value is None:
                    if p.kind is VarKind.STR:
                        raise LocalProtocolError(f"{what} is required, got None")
                    values[i] = TAPI_NO_DATA
                elif not isinstance(value, str):
                    raise LocalProtocolError(f"{what} must be a str, got {value!r}")
                else:
                    values[i] = put(encode_utf16z(value, what))
            elif p.kind is VarKind.GUID:
                values[i] = put(guid_to_bytes(value))
                if size_i is not None:
                    values[size_i] = 16
            elif p.kind is VarKind.OUTBUF:
                data = bytes(value)
                values[i] = put(data)
                values[size_i] = len(data)  # type: ignore[index]
            elif p.kind is VarKind.INSTRUCT:
                values[i] = put(bytes(value)) if value else TAPI_NO_DATA
        if response and self.reply_field is not None:
            put(getattr(body, self.reply_field))
        try:
            return self._pack(*values) + bytes(var)
        except ENCODE_ERRORS as exc:
            raise LocalProtocolError(f"cannot encode {self.what}: {exc}") from None

    def frame(self, kind: int, sequence: int, first: int, body: Any, response: bool) -> bytes:
        """The whole REQUEST/RESPONSE frame."""
        return self.frame_of(kind, sequence, self.encode(first, body, response))

    def decode(self, data: bytes, offset: int, func: int, response: bool) -> Any:
        """The body whose TAPI32_MSG starts at ``offset`` (at least 60 bytes there, checked by the caller)."""
        v = self._unpack(data, offset)
        var = data[offset + _FIXED :]
        fields: dict[str, Any] = {}
        for p, i, size_i in self._params:
            raw = v[i]
            if p.kind is VarKind.U32:
                fields[p.name] = raw
                continue
            what = f"{self.what}.{p.name}"
            if response and p.kind in s.RESPONSE_ABSENT:  # not read, whatever a peer put there
                fields[p.name] = s.RESPONSE_ABSENT[p.kind]
            elif p.kind is VarKind.STR or p.kind is VarKind.OPTSTR:
                if raw == TAPI_NO_DATA and p.kind is VarKind.OPTSTR:
                    fields[p.name] = None
                else:
                    fields[p.name] = read_string(var, raw, what)
            elif p.kind is VarKind.GUID:
                size = v[size_i] if size_i is not None else 16
                if size != 16:
                    raise _malformed(f"{what}: GUID size is {size}, must be 16")
                fields[p.name] = bytes_to_guid(_read_bytes(var, raw, 16, what))
            elif p.kind is VarKind.OUTBUF:
                size = v[size_i]  # type: ignore[index]
                fields[p.name] = var[raw : raw + size] if raw + size <= len(var) else b""
            elif p.kind is VarKind.INSTRUCT:
                fields[p.name] = b"" if raw == TAPI_NO_DATA else read_struct(var, raw, what)
        if response and self.reply_field is not None:
            fields[self.reply_field] = var
        return self.cls(**fields)


def _tuple_getter(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """``operator.attrgetter`` that returns a tuple even for one name."""
    if len(names) == 1:
        one = operator.attrgetter(names[0])
        return lambda obj: (one(obj),)
    return operator.attrgetter(*names)


class FixedBodyCodec(BodyCodec):
    """A class whose parameters are all plain DWORDs, through the struct engine: no flat tuple, no dict.

    ``frame_struct`` packs (length, kind, reserved, sequence, Req_Func or Ack_ReturnValue, then the
    parameters in offset order) in one go; ``length`` is the frame's length field."""

    def __init__(self, cls: type, schema: Any, eng: Engine, frame_of: FrameOf) -> None:
        super().__init__(cls, schema, eng, frame_of)
        lay = fp.layout(schema, cls.__name__)
        params = sorted(cls.PARAMS, key=lambda p: p.offset)  # type: ignore[attr-defined]
        used = {p.slot_name for p in params}
        body_format = lay.format_of({n: "4x" for n in lay.names[1:] if n not in used})[1:]
        self.frame_struct = fp.precompiled(FRAME_PREFIX.format + body_format)
        self.length = s.FRAME_HEADER_SIZE - 4 + lay.size
        names = [p.name for p in params]
        self._get = _tuple_getter(names)
        self._body_pack = fp.precompiled("<" + body_format).pack
        self._unpack_params = fp.precompiled("<4x" + body_format[1:]).unpack_from  # after the first DWORD
        self._make = fp.constructor(cls, names)
        #: (length field, frame struct, parameter getter, parameters unpacker, positional constructor)
        self.plan = (self.length, self.frame_struct, self._get, self._unpack_params, self._make)
        #: the parameters after the first DWORD (at offset 12 of a frame)
        self.after_header = fp.precompiled("<4x" + body_format[1:])
        at = FRAME_PREFIX.size
        self.request_reader = fp.constructor(cls, names, unpack=self.after_header, offset=at,
                                             envelope=(Request, "body", ("sequence",)))
        self.response_reader = fp.constructor(cls, names, unpack=self.after_header, offset=at,
                                              envelope=(Response, "body", ("sequence", "result")))
        pack, fields, in_dict = self.frame_struct.pack, tuple(names), fp.stores_in_dict(cls)
        self.request_packer = fp.packer(pack, fields, {}, ENCODE_ERRORS, self._cannot_encode, lead=("sequence",),
                                        first=(self.length, _KIND_REQUEST, 0, "sequence", self.req_func), from_dict=in_dict)
        self.response_packer = fp.packer(pack, fields, {}, ENCODE_ERRORS, self._cannot_encode, lead=("sequence", "result"),
                                         first=(self.length, _KIND_RESPONSE, 0, "sequence", "result"), from_dict=in_dict)

    def _cannot_encode(self, exc: BaseException) -> LocalProtocolError:
        return LocalProtocolError(f"cannot encode {self.what}: {exc}")

    def encode(self, first: int, body: Any, response: bool = False) -> bytes:
        try:
            return self._body_pack(first, *self._get(body))
        except ENCODE_ERRORS as exc:
            raise LocalProtocolError(f"cannot encode {self.what}: {exc}") from None

    def frame(self, kind: int, sequence: int, first: int, body: Any, response: bool) -> bytes:
        try:
            return self.frame_struct.pack(self.length, kind, 0, sequence, first, *self._get(body))
        except ENCODE_ERRORS as exc:
            raise LocalProtocolError(f"cannot encode {self.what}: {exc}") from None

    def decode(self, data: bytes, offset: int, func: int, response: bool) -> Any:
        return self._make(*self._unpack_params(data, offset))


class ReplyBodyCodec(FixedBodyCodec):
    """A sync Get* class (:func:`protocol.declare.reply_struct`): plain DWORD parameters and the returned
    structure as the RESPONSE's VarData from offset 0 (zero-padded to 4). A REQUEST is the fixed frame of
    :class:`FixedBodyCodec` (the reply field is never sent in one); a RESPONSE is that frame with its
    length grown by the data, and the data appended; decoding a RESPONSE takes all VarData as the field."""

    def __init__(self, cls: type, schema: Any, eng: Engine, frame_of: FrameOf) -> None:
        super().__init__(cls, schema, eng, frame_of)
        reply = cls.REPLY_FIELD  # type: ignore[attr-defined]
        names = [p.name for p in sorted(cls.PARAMS, key=lambda p: p.offset)]  # type: ignore[attr-defined]
        self.plan = None  # _body takes decode() (the RESPONSE needs the VarData)
        self._get_reply = operator.attrgetter(reply)
        self._make_reply = fp.constructor(cls, [*names, reply])
        unpack, make, start = self.after_header.unpack_from, self._make_reply, FRAME_PREFIX.size + _FIXED
        make_response = fp.constructor(Response)

        def response_reader(sequence: int, result: int, data: bytes) -> Any:
            return make_response(sequence, result, make(*unpack(data, FRAME_PREFIX.size), data[start:]))

        self.response_reader = response_reader
        self._pack_sized = fp.packer(
            self.frame_struct.pack, tuple(names), {}, ENCODE_ERRORS, self._cannot_encode,
            lead=("length", "sequence", "result"), first=("length", _KIND_RESPONSE, 0, "sequence", "result"),
            from_dict=fp.stores_in_dict(cls),
        )
        self.response_packer = self._pack_with_reply

    def _pack_with_reply(self, sequence: int, result: int, body: Any) -> bytes:
        data = self._get_reply(body)
        pad = _PAD[-len(data) & 3]
        length = self.length + len(data) + len(pad)
        frame = self._pack_sized(length, sequence, result, body) + data + pad
        if length > MAX_FRAME_LENGTH:  # after the values, as frame_of after the body
            raise LocalProtocolError(f"frame length {length} exceeds the maximum {MAX_FRAME_LENGTH:#x}",
                                     ErrorCode.FRAME_TOO_LARGE)
        return frame  # type: ignore[no-any-return]

    def encode(self, first: int, body: Any, response: bool = False) -> bytes:
        fixed = super().encode(first, body, response)
        if not response:
            return fixed
        data = self._get_reply(body)
        return fixed + data + _PAD[-len(data) & 3]  # type: ignore[no-any-return]

    def frame(self, kind: int, sequence: int, first: int, body: Any, response: bool) -> bytes:
        return self.frame_of(kind, sequence, self.encode(first, body, response))

    def decode(self, data: bytes, offset: int, func: int, response: bool) -> Any:
        if not response:
            return self._make(*self._unpack_params(data, offset))
        return self._make_reply(*self._unpack_params(data, offset), data[offset + _FIXED :])


_PAD = (b"", b"\0", b"\0\0", b"\0\0\0")


class RawCodec:
    """:class:`RawRequest`: Req_Func, the 13 parameter DWORDs and the VarData, uninterpreted. A RESPONSE
    carries no VarData for it (no out-parameter is known)."""

    req_func = None
    plan = None
    request_reader = None
    response_reader = None
    request_packer = None
    response_packer = None

    def __init__(self, eng: Engine, frame_of: FrameOf) -> None:
        self._unpack = eng.unpacker(s.TAPI32_MSG)
        self._pack = eng.packer(s.TAPI32_MSG)
        self.frame_of = frame_of

    def encode(self, first: int, body: RawRequest, response: bool = False) -> bytes:
        if len(body.params) != s.NUM_PARAMS:
            raise LocalProtocolError(f"RawRequest needs {s.NUM_PARAMS} params, got {len(body.params)}")
        try:
            fixed = self._pack(first, 0, *body.params)
        except ENCODE_ERRORS as exc:
            raise LocalProtocolError(f"cannot encode TAPI32_MSG {body.req_func}: {exc}") from None
        return fixed if response else fixed + bytes(body.vardata)

    def frame(self, kind: int, sequence: int, first: int, body: RawRequest, response: bool) -> bytes:
        return self.frame_of(kind, sequence, self.encode(first, body, response))

    def decode(self, data: bytes, offset: int, func: int, response: bool) -> RawRequest:
        v = self._unpack(data, offset)
        return RawRequest(func, v[2:], data[offset + _FIXED :])


def body_codec(cls: type, schema: Any, eng: Engine, frame_of: FrameOf) -> BodyCodec:
    """The codec of one request class: the specialised plan where the engine allows it and the class has
    no VarData parameter, else the general form."""
    if eng.fast and all(p.kind is VarKind.U32 for p in cls.PARAMS):  # type: ignore[attr-defined]
        if getattr(cls, "REPLY_FIELD", None) is None:
            return FixedBodyCodec(cls, schema, eng, frame_of)
        return ReplyBodyCodec(cls, schema, eng, frame_of)
    return BodyCodec(cls, schema, eng, frame_of)


def _read_bytes(var: bytes, offset: int, size: int, what: str) -> bytes:
    if offset + size > len(var):
        raise _malformed(f"{what}: {size} bytes at VarData offset {offset:#x} lie outside the {len(var)}-byte VarData")
    return var[offset : offset + size]


def read_struct(var: bytes, offset: int, what: str) -> bytes:
    """The TAPI structure at a VarData offset: its first DWORD (dwTotalSize, >= 4) bytes, all inside the VarData."""
    head = _read_bytes(var, offset, 4, what)
    total = int.from_bytes(head, "little")
    if total < 4:
        raise _malformed(f"{what}: structure at VarData offset {offset:#x} has dwTotalSize {total} (< 4)")
    return bytes(_read_bytes(var, offset, total, what))


def read_string(var: bytes, offset: int, what: str) -> str:
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

