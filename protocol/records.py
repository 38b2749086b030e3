"""ASYNCEVENTMSG records ([MS-TRP] 2.2.5.1) through one engine: the body of an EVENTS frame.

A record is 40 bytes of header - TotalSize, then the nine DWORDs of
:data:`protocol.declare.RECORD_SLOTS` - and VarData; TotalSize includes the VarData and its zero padding
to a multiple of 4. Typed views (:data:`protocol.messages.EVENT_TYPES`) are built by the view's generated
``from_wire``, the one statement of its shape rule; a record without the shape stays a generic
:class:`~protocol.messages.AsyncEventMsg`, losing nothing.
"""

from __future__ import annotations

from typing import Any

import attrs

from protocol import fastpath as fp
from protocol import schemas as s
from protocol.constants import ASYNCEVENTMSG_HEADER_SIZE, MAX_FRAME_LENGTH, ErrorCode, FrameKind
from protocol.declare import RECORD_SLOTS, VIEW_PACKERS
from protocol.engines import ENCODE_ERRORS, Engine
from protocol.errors import LocalProtocolError, RemoteProtocolError
from protocol.messages import EVENT_CLASSES, EVENT_TYPES, AsyncEventMsg, Events, LineReply

__all__ = ["RecordCodec"]

_HEADER = ASYNCEVENTMSG_HEADER_SIZE
_MAX_FRAME_BYTES = MAX_FRAME_LENGTH + 4  # the length field and what it counts
_KIND_EVENTS = int(FrameKind.EVENTS)
_PAD = (b"", b"\0", b"\0\0", b"\0\0\0")
_make_generic = fp.constructor(
    AsyncEventMsg,
    ("init_context", "context", "hdevice", "msg", "open_context", "param1", "param2", "param3", "param4", "vardata"),
)


def _malformed(message: str) -> RemoteProtocolError:
    return RemoteProtocolError(ErrorCode.MALFORMED, message)


def _too_large(length: int) -> LocalProtocolError:
    return LocalProtocolError(f"frame length {length} exceeds the maximum {MAX_FRAME_LENGTH:#x}", ErrorCode.FRAME_TOO_LARGE)


def _pack_wire(rec: Any) -> tuple[Any, Any]:
    """(the record's ``pack_wire``, the record it applies to) - a duck-typed record goes through ``to_generic``."""
    pack_wire = getattr(type(rec), "pack_wire", None)
    if pack_wire is None:
        if not hasattr(rec, "to_generic"):
            raise LocalProtocolError(f"not an event record: {rec!r}")
        rec = rec.to_generic()
        pack_wire = type(rec).pack_wire
    return pack_wire, rec


#: Record class -> its ``pack_wire`` (the others go through :func:`_pack_wire`): the generic record and
#: every declared view - the declarations' own table, so views declared in other modules are in it too.
_PACK_WIRE = VIEW_PACKERS
_PACK_WIRE[AsyncEventMsg] = AsyncEventMsg.pack_wire
assert all(cls in _PACK_WIRE for cls in EVENT_CLASSES)


class RecordCodec:
    """Records <-> bytes through ``eng``."""

    def __init__(self, eng: Engine) -> None:
        self._unpack = eng.unpacker(s.ASYNCEVENTMSG)
        self._pack = eng.packer(s.ASYNCEVENTMSG)
        #: a frame header and one record header in one pack (a one-record EVENTS frame)
        self._frame_pack = eng.joined_packer(s.FRAME_HEADER, s.ASYNCEVENTMSG)
        #: the one-record frame's packer, for the codec's one-step encode
        self.frame_pack = self._frame_pack

    def encode(self, rec: Any) -> bytes:
        """One record: TotalSize = 40 + VarData padded to 4."""
        pack_wire, rec = _pack_wire(rec)
        try:
            return pack_wire(rec, self._pack, 0)  # type: ignore[no-any-return]
        except ENCODE_ERRORS as exc:
            raise LocalProtocolError(f"cannot encode {type(rec).__name__}: {exc}") from None

    def frame(self, rec: Any) -> bytes:
        """The EVENTS frame holding just ``rec`` (a bad value is reported before the frame's size)."""
        pack_wire = _PACK_WIRE.get(type(rec))
        if pack_wire is None:
            pack_wire, rec = _pack_wire(rec)
        try:
            data = pack_wire(rec, self._frame_pack, _KIND_EVENTS)
        except ENCODE_ERRORS as exc:
            raise LocalProtocolError(f"cannot encode {type(rec).__name__}: {exc}") from None
        if len(data) > _MAX_FRAME_BYTES:
            raise _too_large(len(data) - 4)
        return data  # type: ignore[no-any-return]

    def line_reply_frame(
        self, init_context: int, context: int, hdevice: int, open_context: int, request_id: int, result: int,
        struct_context: int, data: bytes,
    ) -> bytes:
        """``encode(Events((LineReply(...),)))`` from the values alone (the server's most frequent frame)."""
        n = len(data)
        total = _HEADER + n + (-n & 3)
        try:
            frame = self._frame_pack(
                total + 8, _KIND_EVENTS, 0, 0, total, init_context, context, hdevice, _MSG_LINE_REPLY, open_context,
                request_id, result, struct_context, n,
            ) + (data + _PAD[-n & 3] if n & 3 else data)
        except ENCODE_ERRORS as exc:
            raise LocalProtocolError(f"cannot encode LineReply: {exc}") from None
        if total + 8 > MAX_FRAME_LENGTH:
            raise _too_large(total + 8)
        return frame

    def decode(self, data: bytes, offset: int = 0) -> tuple[Any, ...]:
        """Back-to-back records from ``offset`` to the end of ``data`` -> typed views where the Msg has one
        (and the record has its shape), else generic records."""
        size = len(data)
        if offset >= size:
            raise _malformed("EVENTS frame carries no record")
        unpack = self._unpack
        records: list[Any] | None = None
        pos = offset
        while True:
            left = size - pos
            if left < _HEADER:
                raise _malformed(f"{left} bytes left at offset {pos - offset}, less than a 40-byte ASYNCEVENTMSG header")
            h = unpack(data, pos)
            total = h[0]
            if total < _HEADER or total % 4 or total > left:
                raise _malformed(
                    f"ASYNCEVENTMSG at offset {pos - offset}: TotalSize {total} must be >= 40, a multiple of 4"
                    f" and at most the {left} bytes left"
                )
            var = data[pos + _HEADER : pos + total]
            view = _VIEWS.get(h[4])
            rec = view(h, var) if view is not None else None
            if rec is None:  # no view for this Msg, or the record does not have the view's shape
                rec = _make_generic(*h[1:], var)
            pos += total
            if pos == size:
                if records is None:  # the frequent case: one record
                    return (rec,)
                records.append(rec)
                return tuple(records)
            if records is None:
                records = [rec]
            else:
                records.append(rec)


#: Msg -> the view's ``from_record`` (EVENT_TYPES, one attribute lookup less per record).
_VIEWS = {msg: cls.from_record for msg, cls in EVENT_TYPES.items()}  # type: ignore[attr-defined]
def _frame_reader(cls: Any) -> Any:
    """``read(data)`` -> ``Events((view,))`` of a whole EVENTS frame holding one record of Msg ``cls.MSG``
    (the caller has checked the frame's length, kind and TotalSize), or None when the record is not of
    that Msg or has not the view's shape: the view's SHAPE_RULE over one unpack of the record header,
    the Events object built in the same call."""
    checks, args = cls.SHAPE_RULE
    env: dict[str, Any] = {"_unpack": fp.layout(s.ASYNCEVENTMSG).struct.unpack_from, "_make": cls.MAKE,
                           "_MSG": int(cls.MSG), "_new": object.__new__, "_Events": Events, "_at": _FRAME_AT}
    lines = ["def read(data):", f"    _total, {', '.join(RECORD_SLOTS)} = _unpack(data, _at)",
             "    if msg != _MSG: return None", f"    var = data[_at + {_HEADER}:]", *checks, f"    rec = _make({args})"]
    if _EVENTS_PLAIN:
        lines += ["    events = _new(_Events)", "    events.__dict__['records'] = (rec,)", "    return events"]
    else:
        env["_make_events"] = fp.constructor(Events)
        lines.append("    return _make_events((rec,))")
    exec("\n".join(lines), env)  # noqa: S102 - generated from the view's declaration
    return env["read"]


def _generic_frame_reader() -> Any:
    """``read(data)`` -> ``Events((AsyncEventMsg(...),))`` of a whole one-record EVENTS frame (checked by
    the caller) whose Msg has no view or whose record has not the view's shape."""
    env: dict[str, Any] = {"_unpack": fp.layout(s.ASYNCEVENTMSG).struct.unpack_from, "_make": _make_generic,
                           "_new": object.__new__, "_Events": Events, "_at": _FRAME_AT}
    lines = ["def read(data):", f"    _total, {', '.join(RECORD_SLOTS)} = _unpack(data, _at)",
             f"    rec = _make({', '.join(RECORD_SLOTS)}, data[_at + {_HEADER}:])"]
    if _EVENTS_PLAIN:
        lines += ["    events = _new(_Events)", "    events.__dict__['records'] = (rec,)", "    return events"]
    else:
        env["_make_events"] = fp.constructor(Events)
        lines.append("    return _make_events((rec,))")
    exec("\n".join(lines), env)  # noqa: S102 - generated from the record layout
    return env["read"]


_FRAME_AT = s.FRAME_HEADER_SIZE
#: Events is a dict class whose one field ``records`` converts with ``tuple`` (the identity on a tuple)
_EVENTS_PLAIN = (
    [(f.name, f.converter) for f in attrs.fields(Events)] == [("records", tuple)] and "__dict__" in dir(Events)
    and not getattr(Events, "__slots__", ()) and not hasattr(Events, "__attrs_post_init__")
)
#: The low byte of Msg -> the one-step reader of a one-record EVENTS frame with a view (each checks the
#: whole Msg itself): :meth:`protocol.codec.Codec.decode`.
FRAME_READERS = {int(cls.MSG) & 0xFF: _frame_reader(cls) for cls in EVENT_TYPES.values()}
assert len(FRAME_READERS) == len(EVENT_TYPES)  # no two views share a low byte: a miss means no view
#: The one-step reader of a one-record EVENTS frame kept generic (no view for its Msg, or not its shape).
read_generic_frame = _generic_frame_reader()

#: The table of :meth:`RecordCodec.frame`, for the codec's one-step encode (:meth:`protocol.codec.Codec.encode`
#: uses it inline, with the same rules).
RECORD_PACKERS = _PACK_WIRE
_MSG_LINE_REPLY = int(LineReply.MSG)
