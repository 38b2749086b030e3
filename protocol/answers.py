"""The client's answer lane: one whole answer - a RESPONSE and the EVENTS frame with its LINE_REPLY - read
in one step.

A sequential client receives every answer as one chunk: the RESPONSE of its request (the request ID)
and the EVENTS frame whose one LINE_REPLY completes it. For an asynchronous function whose parameters are
all plain DWORDs and whose LINE_REPLY carries a fixed-size structure (GetAgentSessionInfo, GetAgentInfo,
GetQueueInfo), :func:`reader_of` gives a reader of exactly that chunk, derived from the declarations:

- the RESPONSE through the codec's own one-step reader of that function (the same function
  :func:`protocol.codec.decode` calls for it, so the same ``Response`` and body);
- the EVENTS frame header, the ASYNCEVENTMSG header and the structure in one ``unpack`` of the struct
  formats the codec derives from the construct schemas (frame header, record header,
  :func:`protocol.structs.wire_struct` of the structure);
- the ``LineReply`` built with ``req_func`` and ``value`` already set (what
  :class:`protocol.connection.Connection` fills in on the general path), ``value`` built by the
  structure's positional constructor with its decode adapters and converters (the ones its ``unpack``
  uses).

The reader returns None for anything else - another length, kind or Msg, a LINE_REPLY of another
request ID, a LINEERR (its data is empty), a data size other than the structure's - and the connection
then takes the general path. :meth:`protocol.connection.Connection.take_answer` is the guard;
``tests/unit/test_answer_lane.py`` proves the lane's frames and state equal the general path's.
"""

from __future__ import annotations

from typing import Any, Callable

import attrs

from protocol import codec, fastpath as fp
from protocol import schemas as s
from protocol.bodies import FixedBodyCodec
from protocol.constants import ASYNCEVENTMSG_HEADER_SIZE, FrameKind, LineMsg
from protocol.messages import LINE_REPLY_FIELDS, REPLY_STRUCTS, REQUEST_TYPES, Events, LineReply
from protocol.structs import wire_adapters, wire_struct

__all__ = ["reader_of", "READERS"]

Reader = Callable[[bytes, int, int, int], Any]

_KIND_EVENTS = int(FrameKind.EVENTS)
_LINE_REPLY = int(LineMsg.REPLY)
#: Events(records) without the converter's tuple() call, for a tuple built here.
_make_events = fp.constructor(Events)
#: LineReply with its two client-side fields (not on the wire) as the last two positional values.
_make_reply = fp.constructor(LineReply, (*LINE_REPLY_FIELDS, "req_func", "value"))
#: The frame header's and the record header's fields, in the order one unpack gives them.
_HEADERS = (*fp.layout(s.FRAME_HEADER).names, *fp.layout(s.ASYNCEVENTMSG).names)

#: Req_Func -> its reader, or None when the function has none (filled on first use: a structure may be
#: registered by a module imported after this one).
READERS: dict[int, Reader | None] = {}


def reader_of(func: int) -> Reader | None:
    """``read(data, length, sequence, request_id)`` -> ``(Response, Events)`` for Req_Func ``func``, or
    None if ``func`` has no answer lane (see the module docstring)."""
    try:
        return READERS[func]
    except KeyError:
        pass
    read = None
    entry = REQUEST_TYPES.get(func)
    cls = REPLY_STRUCTS.get(func)
    if entry is not None and cls is not None and entry[0].ASYNC:
        body_codec = codec.FAST.by_func[func]
        try:
            struct_ = wire_struct(cls)
        except KeyError:  # a list, or another structure without a fixed size
            struct_ = None
        if type(body_codec) is FixedBodyCodec and struct_ is not None and not struct_.size % 4:
            read = _reader(func, cls, body_codec, struct_)
    READERS[func] = read
    return read


def _reader(func: int, cls: type, body_codec: FixedBodyCodec, struct_: Any) -> Reader:
    """The reader of one function (``reader_of`` has checked that it can have one)."""
    response_length = body_codec.length
    read_response = body_codec.response_reader
    names = tuple(f.name for f in attrs.fields(cls))
    make_value = fp.constructor(cls, names, {name: dec for name, (_, dec) in wire_adapters(cls).items()})
    unpack_from = fp.precompiled(fp.layout(s.FRAME_HEADER).format + fp.layout(s.ASYNCEVENTMSG).format[1:]
                                 + struct_.format.lstrip("<=")).unpack_from
    at = response_length + 4  # where the EVENTS frame starts
    size = struct_.size
    record_total = ASYNCEVENTMSG_HEADER_SIZE + size
    events_length = s.FRAME_HEADER_SIZE - 4 + record_total
    whole = at + 4 + events_length  # the answer's bytes
    data_at = at + s.FRAME_HEADER_SIZE + ASYNCEVENTMSG_HEADER_SIZE
    first = len(_HEADERS)  # the structure's values follow the two headers
    (length_, kind, total, msg, param1, param2, param4, ic, cx, hd, oc, p3) = (_HEADERS.index(name) for name in (
        "length", "kind", "total_size", "msg", "param1", "param2", "param4",
        "init_context", "context", "hdevice", "open_context", "param3"))

    def read(data: bytes, length: int, sequence: int, request_id: int) -> Any:
        if length != response_length or len(data) != whole:
            return None
        v = unpack_from(data, at)
        if (v[length_] != events_length or v[kind] != _KIND_EVENTS or v[total] != record_total
                or v[msg] != _LINE_REPLY or v[param1] != request_id or v[param2] or v[param4] != size):
            return None  # param2: the result (a LINEERR has no data); param4: the data's size
        reply = _make_reply(v[ic], v[cx], v[hd], v[oc], request_id, 0, v[p3], data[data_at:], func,
                            make_value(*v[first:]))
        return read_response(sequence, request_id, data), _make_events((reply,))

    return read
