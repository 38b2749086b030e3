"""Sans-I/O protocol state machine for one connection (h11 style): bytes in, frames out; frames in,
bytes out. No sockets, no trio, no clock - servers and clients move the bytes.

Usage::

    conn = Connection(Role.CLIENT)
    sock.send(conn.send(Hello(product="me")))
    conn.receive_data(sock.recv())          # b"" means EOF
    while (ev := conn.next_event()) is not NEED_DATA and ev is not CLOSED:
        ...

Rules enforced (wire-protocol §1): the client sends HELLO first; the server answers it; a received HELLO
with major != 1 is RemoteProtocolError(UNSUPPORTED_VERSION); any frame other than HELLO/ERROR before the peer's
HELLO, a second HELLO, or a kind the peer's role may not send is RemoteProtocolError(UNEXPECTED_KIND); frame
length < 8 is MALFORMED and > 0x50000 is FRAME_TOO_LARGE, raised as soon as the length field arrives.
After a RemoteProtocolError the only thing left to do is ``send(err.to_frame())``; after an ERROR frame is sent
or received the connection is closed (``next_event()`` returns CLOSED, ``send`` raises).

The states are data (:mod:`protocol.states`): ``conn.state`` (START, HELLO_SENT / HELLO_RECEIVED, READY,
BROKEN after a peer violation, CLOSED after an ERROR) moves only through the ``TRANSITIONS`` table, and
what may be sent / received in each state is ``SEND_ALLOWED`` / ``RECEIVE_ALLOWED``; ``conn.input``
(OPEN, EOF, DONE) is the peer's byte stream. ``closed`` is ``state is CLOSED``; a peer that finished
sending (``input`` DONE) makes ``next_event()`` return CLOSED but leaves sending allowed.

Client role extras: it remembers the Req_Func of every REQUEST sent (to decode its RESPONSE; a RESPONSE
whose sequence is not outstanding is MALFORMED) and, when the RESPONSE of an asynchronous function carries
a request ID (1..0x7FFFFFFF), the Req_Func behind that ID. The LINE_REPLY for a known ID is returned with
``req_func`` set and, on success, ``value`` = the decoded structure (AgentSessionInfo, ...) or the new
handle (int) of CreateAgent/CreateAgentSession; the ID is then forgotten. LINE_REPLYs for unknown IDs
are passed through untyped (``req_func`` None). :meth:`Connection.forget_request` drops an ID whose
LINE_REPLY will never be awaited (e.g. after a client-side timeout).
"""

from __future__ import annotations

import struct
from typing import Any


from protocol import answers, codec, fastpath
from protocol.call_events import MakeCallReply
from protocol.constants import MAX_FRAME_LENGTH, MIN_FRAME_LENGTH, PROTOCOL_MAJOR, ErrorCode, FrameKind
from protocol.errors import LocalProtocolError, RemoteProtocolError
from protocol.messages import (
    REQUEST_TYPES,
    Error,
    Events,
    Hello,
    LineReply,
    RawRequest,
    Request,
    Response,
    decode_reply_data,
)
from protocol.schemas import FRAME_HEADER, FRAME_HEADER_SIZE, TAPI32_MSG

_REPLY = 12  # LINE_REPLY
_MAKECALL = 48  # ReqFunc.MAKECALL: its completion has a layout of its own (call-facts §1.2)
from protocol.states import (
    RECEIVE_ALLOWED,
    SEND_ALLOWED,
    SENDABLE,
    TRANSITIONS,
    Event,
    Input,
    InputEvent,
    INPUT_TRANSITIONS,
    Role,
    State,
)

__all__ = ["Role", "State", "Input", "Connection", "NEED_DATA", "CLOSED", "SENDABLE"]

_MAX_REQUEST_ID = 0x7FFFFFFF
_U32 = 1 << 32


class _Sentinel:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


#: ``next_event()``: no complete frame buffered; feed more bytes with ``receive_data``.
NEED_DATA = _Sentinel("NEED_DATA")
#: ``next_event()``: the peer closed the stream (EOF at a frame boundary) or an ERROR was exchanged.
CLOSED = _Sentinel("CLOSED")

_KIND_OF = {Hello: FrameKind.HELLO, Request: FrameKind.REQUEST, Response: FrameKind.RESPONSE,
            Events: FrameKind.EVENTS, Error: FrameKind.ERROR}
#: Kinds sent in READY with no bookkeeping (a REQUEST's sequence must be checked and remembered).
_PLAIN = frozenset({FrameKind.RESPONSE, FrameKind.EVENTS})
_NOTHING: frozenset[FrameKind] = frozenset()
# Enum members read through the class cost ~0.1 us each on CPython 3.11: the hot paths use these.
_CLOSED, _OPEN, _DONE = State.CLOSED, Input.OPEN, Input.DONE
_KIND_RESPONSE, _KIND_REQUEST = int(FrameKind.RESPONSE), int(FrameKind.REQUEST)
_LENGTH = struct.Struct("<L")
_LENGTH_KIND = struct.Struct("<LH")
_SEQUENCE = struct.Struct("<L")
#: take_answer: the frame header and the RESPONSE's first DWORD (Ack_ReturnValue: the request ID).
_ANSWER_HEAD = fastpath.precompiled(fastpath.layout(FRAME_HEADER).format + fastpath.layout(TAPI32_MSG).codes[0])
_MIN_LENGTH, _MAX_LENGTH = MIN_FRAME_LENGTH, MAX_FRAME_LENGTH
#: Req_Func -> whether its RESPONSE announces a request ID (the class's ASYNC; RawRequest's False otherwise).
_ASYNC_FUNCS: dict[int, bool] = {func: bool(cls.ASYNC) for func, (cls, _schema) in REQUEST_TYPES.items()}
#: LineReply is a frozen attrs class keeping its fields in the instance __dict__ (no __slots__ of its own, no
#: __attrs_post_init__), so a record just decoded can get req_func and value stored in place (_typed_reply).
assert "__dict__" in dir(LineReply) and not getattr(LineReply, "__slots__", ()) and not hasattr(
    LineReply, "__attrs_post_init__"), "LineReply must keep its fields in the instance __dict__"
#: Events(records) without the converter's tuple() call, for a tuple built here.
_make_events = fastpath.constructor(Events)
#: Consumed bytes are dropped from the receive buffer once there are this many (or when it is empty).
_COMPACT_AT = 1 << 16


class Connection:
    """Protocol state of one connection, seen from ``role``."""

    def __init__(self, role: Role) -> None:
        self.role = role
        self.peer_role = Role.SERVER if role is Role.CLIENT else Role.CLIENT
        #: The HELLO we sent / the peer's HELLO, once they happened.
        self.our_hello: Hello | None = None
        self.their_hello: Hello | None = None
        self._buf = bytearray()
        self._pos = 0  # bytes of ``_buf`` already consumed (dropped in bulk, not frame by frame)
        #: The protocol state and the input state (protocol/states.py has the tables that move them).
        self.state = State.START
        self.input = Input.OPEN
        self._transitions = TRANSITIONS[role]
        self._send_allowed = SEND_ALLOWED[role]
        self._receive_allowed = RECEIVE_ALLOWED[role]
        self._receivable = self._receive_allowed[State.START]  # of the current state
        self._plain = _NOTHING  # kinds sent in the current state without checks (RESPONSE/EVENTS in READY)
        self._error: RemoteProtocolError | None = None  # the error that made the state BROKEN
        self._pending: dict[int, int] = {}  # client: sequence -> Req_Func of outstanding REQUESTs
        self._async: dict[int, int] = {}  # client: request ID -> Req_Func awaiting its LINE_REPLY
        self._next_seq = 1
        #: Answers :meth:`take_answer` returned (the lane's count, for the tests that prove it runs).
        self.answers_taken = 0

    def _enter(self, event: Event) -> None:
        """Apply ``event`` to the protocol state (the table has every pair the checks let through)."""
        state = self.state = self._transitions[(self.state, event)]
        self._receivable = self._receive_allowed[state]
        self._plain = self._send_allowed[state] & _PLAIN

    # --- state ---------------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once an ERROR frame was sent or received (``send`` then refuses everything).

        The peer's EOF alone only ends receiving (``next_event()`` returns CLOSED); sending stays allowed
        so that responses already being written are not turned into errors."""
        return self.state is _CLOSED

    @property
    def buffered(self) -> int:
        """Received bytes not yet returned as frames: nonzero between frames means a frame is partial
        (what a server's mid-frame read timeout needs, without re-parsing the stream)."""
        return len(self._buf) - self._pos

    @property
    def ready(self) -> bool:
        """True once both HELLOs have been exchanged."""
        return self.our_hello is not None and self.their_hello is not None

    @property
    def pending_requests(self) -> dict[int, int]:
        """Client: outstanding REQUEST sequence -> Req_Func (a copy)."""
        return dict(self._pending)

    @property
    def pending_replies(self) -> dict[int, int]:
        """Client: request ID -> Req_Func of async requests whose LINE_REPLY has not arrived (a copy)."""
        return dict(self._async)

    def next_sequence(self) -> int:
        """A nonzero u32 sequence number not used by any outstanding REQUEST."""
        if len(self._pending) >= _U32 - 1:  # pragma: no cover - four billion requests in flight
            raise LocalProtocolError("no free sequence number")
        while True:
            seq = self._next_seq
            self._next_seq = seq + 1 if seq + 1 < _U32 else 1
            if seq not in self._pending:
                return seq

    def forget_request(self, request_id: int) -> None:
        """Client: stop expecting a LINE_REPLY for ``request_id`` (no error if unknown)."""
        self._async.pop(request_id, None)

    # --- receiving -----------------------------------------------------------------------------------

    def take_fixed_request(self, frame: struct.Struct, length: int, req_func: int) -> tuple[int, ...] | None:
        """Server fast lane (``tsp/serverconn.py``): if the connection is established and error-free and the
        next buffered frame is a complete REQUEST of exactly ``length`` (its length field) for
        ``req_func``, consume it and return ``frame.unpack_from`` of it (see
        :func:`protocol.codec.fixed_request_frame`); otherwise None and nothing changes (``next_event``
        then returns that frame or whatever comes first, as always)."""
        return self.take_fixed_request_of(frame, length, (req_func,))

    def take_fixed_request_of(self, frame: struct.Struct, length: int, req_funcs: Any) -> tuple[int, ...] | None:
        """:meth:`take_fixed_request` for several functions sharing one frame layout: the next buffered
        frame is taken if it is a complete REQUEST of exactly ``length`` whose Req_Func is in
        ``req_funcs`` (a set, or a dict keyed by Req_Func: one unpack, one lookup); otherwise None and
        nothing changes."""
        if _KIND_RESPONSE not in self._plain or self.input is _DONE:  # a server in READY only
            return None
        buf = self._buf
        pos = self._pos
        if len(buf) - pos < 4 + length:
            return None
        values = frame.unpack_from(buf, pos)
        if values[0] != length or values[1] != _KIND_REQUEST or values[4] not in req_funcs:
            return None
        self._pos = pos + 4 + length
        return values

    def take_answer(self, data: bytes) -> tuple[Response, Events] | None:
        """Client fast lane (``client/connection.py``): if nothing is buffered and ``data`` is exactly one
        whole answer - the RESPONSE of an outstanding request of a function :mod:`protocol.answers` has a
        reader for, announcing a request ID, and the EVENTS frame with that ID's successful LINE_REPLY
        alone - return the RESPONSE and the EVENTS frame ``receive_data(data)`` and two ``next_event()``
        would (the LINE_REPLY typed), leaving the same state; otherwise None and nothing changes (feed
        ``data`` then, as always: a value the general path refuses is refused there, after the RESPONSE it
        returns first). Counted in :attr:`answers_taken`."""
        if (self._pos != len(self._buf) or self.input is not _OPEN or _KIND_RESPONSE not in self._receivable
                or len(data) < _ANSWER_HEAD.size):  # a client in READY, nothing buffered
            return None
        if type(data) is not bytes:  # the frames' data must be bytes, as the general path's copies are
            if type(data) is not bytearray:  # (trio's memory streams give bytearrays)
                return None
            data = bytes(data)
        length, kind, _flags, sequence, result = _ANSWER_HEAD.unpack_from(data)
        func = self._pending.get(sequence)
        if kind != _KIND_RESPONSE or func is None or not 1 <= result <= _MAX_REQUEST_ID or result in self._async:
            return None
        read = answers.reader_of(func)
        try:
            answer = None if read is None else read(data, length, sequence, result)
        except RemoteProtocolError:  # a bad value (a DATE out of range): the general path raises it, in its order
            return None
        if answer is not None:
            del self._pending[sequence]
            self.answers_taken += 1
        return answer

    def receive_data(self, data: bytes) -> None:
        """Feed bytes from the peer; ``b""`` signals EOF."""
        if self.input is not _OPEN:
            if data:
                raise LocalProtocolError("receive_data() after EOF", ErrorCode.UNEXPECTED_KIND)
            return
        if data:
            if self._pos and self._pos == len(self._buf):
                self._buf.clear()
                self._pos = 0
            self._buf += data
        else:
            self.input = INPUT_TRANSITIONS[(self.input, InputEvent.EOF)]

    def next_event(self) -> Any:
        """The next complete frame, NEED_DATA or CLOSED. Raises RemoteProtocolError for a peer violation (the
        same error again on later calls)."""
        if self.state is _CLOSED or self.input is _DONE:
            return CLOSED
        if self._error is not None:
            raise self._error
        # One function for the per-frame path (a try costs nothing until something raises): the frame is
        # split here, decoded by codec.decode, and the two frames of every answered request - its RESPONSE
        # and the EVENTS frame with its LINE_REPLY - are finished here too (what _received and
        # _typed_events do for the rest).
        try:
            buf = self._buf
            pos = self._pos
            avail = len(buf) - pos
            length = 0
            if avail >= 6:
                length, kind = _LENGTH_KIND.unpack_from(buf, pos)
                if not _MIN_LENGTH <= length <= _MAX_LENGTH:
                    codec.check_length(length)
                if kind not in self._receivable:
                    self._refuse_kind(kind)
            elif avail >= 4:
                length = _LENGTH.unpack_from(buf, pos)[0]
                codec.check_length(length)
            if avail < FRAME_HEADER_SIZE or avail < 4 + length:
                if pos >= _COMPACT_AT or (pos and pos == len(buf)):
                    del buf[:pos]
                    self._pos = 0
                if self.input is _OPEN:
                    return NEED_DATA
                if avail:
                    raise RemoteProtocolError(ErrorCode.MALFORMED,
                                              f"stream ended inside a frame ({avail} bytes buffered)")
                self.input = INPUT_TRANSITIONS[(self.input, InputEvent.DRAINED)]
                return CLOSED
            end = pos + 4 + length
            self._pos = end
            if kind == _KIND_RESPONSE:
                pending = self._pending
                func = pending.get(_SEQUENCE.unpack_from(buf, pos + 8)[0])
                # The whole frame through codec.decode: its one-step readers (header and body in one unpack)
                # where the frame has one, else the same body decode as decode_body (length checked above).
                frame = codec.decode(bytes(buf[pos:end]), response_func=func)
                if type(frame) is Response:
                    del pending[frame.sequence]
                    if _ASYNC_FUNCS.get(func, False) and 1 <= frame.result <= _MAX_REQUEST_ID:
                        self._async[frame.result] = func
                    return frame
                return self._received(frame)
            frame = codec.decode(bytes(buf[pos:end]))
            t = type(frame)
            if t is Request:  # nothing to remember about a REQUEST
                return frame
            if t is Events:
                if not self._async:
                    return frame
                records = frame.records
                if len(records) == 1:  # the most frequent EVENTS frame: one LINE_REPLY
                    rec = records[0]
                    typed = self._typed_reply(rec)
                    return frame if typed is rec else _make_events((typed,))
                return self._typed_events(frame)
            return self._received(frame)
        except RemoteProtocolError as exc:
            self._error = exc
            self._enter(Event.REMOTE_ERROR)
            raise

    def _refuse_kind(self, kind: int) -> None:
        """Raise UNEXPECTED_KIND for a frame kind not in RECEIVE_ALLOWED for the current state, saying why."""
        name = FrameKind(kind).name if kind in FrameKind._value2member_map_ else str(kind)
        if kind not in SENDABLE[self.peer_role]:
            why = f"a {self.peer_role.value} may not send {name} frames"
        elif kind == FrameKind.HELLO and self.their_hello is not None:
            why = "a second HELLO"
        elif kind == FrameKind.HELLO:
            why = "server HELLO before the client's HELLO"
        elif self.their_hello is None:
            why = f"{name} before HELLO"
        else:  # pragma: no cover - every reachable refusal is one of the above
            why = f"{name} in state {self.state.value}"
        raise RemoteProtocolError(ErrorCode.UNEXPECTED_KIND, why)

    def _received(self, frame: Any) -> Any:
        """Every frame but a REQUEST, a RESPONSE and a (typed) EVENTS frame, which next_event finishes itself."""
        if isinstance(frame, Error):
            self._enter(Event.RECEIVE_ERROR)
        elif isinstance(frame, Hello):
            if frame.major != PROTOCOL_MAJOR:
                raise RemoteProtocolError(
                    ErrorCode.UNSUPPORTED_VERSION,
                    f"peer speaks protocol {frame.major}.{frame.minor}, we speak {PROTOCOL_MAJOR}.x",
                )
            self.their_hello = frame
            self._enter(Event.RECEIVE_HELLO)
        elif isinstance(frame, Events) and self._async:
            frame = self._typed_events(frame)
        return frame

    def _typed_events(self, frame: Events) -> Events:
        """Client: ``frame`` with the LINE_REPLYs of known request IDs typed (:meth:`_typed_reply`)."""
        records = frame.records
        if len(records) == 1:  # the most frequent EVENTS frame: one LINE_REPLY
            rec = records[0]
            typed = self._typed_reply(rec)
            return frame if typed is rec else _make_events((typed,))
        typed_records = tuple(self._typed_reply(r) for r in records)
        if all(typed is rec for typed, rec in zip(typed_records, records)):
            return frame
        return _make_events(typed_records)

    def _typed_reply(self, rec: Any) -> Any:
        if not isinstance(rec, LineReply):
            if getattr(rec, "msg", None) == _REPLY and self._async.get(getattr(rec, "param1", None)) == _MAKECALL:
                return self._make_call_reply(rec)
            return rec
        func = self._async.pop(rec.request_id, None)
        if func is None:  # not a request of ours that still waits: as it came
            return rec
        if func == _MAKECALL:  # a completion whose lphCallContext happened to equal 12 (its data size)
            return self._make_call_reply(rec.to_generic())
        value = decode_reply_data(func, rec.data) if rec.result == 0 else None
        # The record was built by the codec from this connection's bytes a moment ago and nobody else has
        # seen it: its two client-side fields (eq=False, not on the wire) are filled in place, the way attrs'
        # own __init__ stores the fields of a frozen dict class - no second LineReply (= attrs.evolve(rec,
        # req_func=func, value=value)), and the Events frame around it stays the same object.
        fields = rec.__dict__
        fields["req_func"] = func
        fields["value"] = value
        return rec

    def _make_call_reply(self, rec: Any) -> Any:
        """The MakeCall completion (call-facts §1.2) as a typed LINE_REPLY: ``struct_context`` = the new
        hCall, ``value`` = :class:`~protocol.call_events.MakeCallResult` on success; a record without the
        completion's shape is the server's error (MALFORMED)."""
        self._async.pop(rec.param1, None)
        done = MakeCallReply.from_generic(rec)
        if done is None:
            raise RemoteProtocolError(ErrorCode.MALFORMED, f"the MakeCall completion for request ID {rec.param1}"
                                      f" is not 52 bytes with the three IDs after the header: {rec!r}")
        return LineReply(init_context=done.init_context, context=done.context, hdevice=done.hdevice,
                         open_context=done.open_context, request_id=done.request_id, result=done.result,
                         struct_context=done.h_call, req_func=_MAKECALL,
                         value=done.result_value() if done.result == 0 else None)

    # --- sending -------------------------------------------------------------------------------------

    def send(self, frame: Any) -> bytes:
        """Bytes to write for ``frame``; LocalProtocolError if it may not be sent now (nothing changes)."""
        kind = _KIND_OF.get(type(frame))
        if kind is None:
            raise LocalProtocolError(f"not a frame: {frame!r}")
        if kind in self._plain:
            return codec.encode(frame)  # the established state: nothing to check, nothing to remember
        if kind not in self._send_allowed[self.state]:
            self._refuse_send(kind)
        if kind == _KIND_REQUEST and frame.sequence in self._pending:
            self._refuse_send(kind, f"sequence {frame.sequence} is already outstanding")
        data = codec.encode(frame)
        if kind == FrameKind.ERROR:
            self._enter(Event.SEND_ERROR)
        elif kind == FrameKind.HELLO:
            self.our_hello = frame
            self._enter(Event.SEND_HELLO)
        elif kind == FrameKind.REQUEST and self.role is Role.CLIENT:
            body = frame.body
            self._pending[frame.sequence] = body.req_func if isinstance(body, RawRequest) else int(body.REQ_FUNC)
        return data

    def _refuse_send(self, kind: FrameKind, why: str | None = None) -> None:
        """Raise LocalProtocolError(UNEXPECTED_KIND) for a kind SEND_ALLOWED does not have now, saying why."""
        if why is None:
            state = self.state
            if state is State.CLOSED:
                raise LocalProtocolError("the connection is closed (an ERROR was exchanged)", ErrorCode.UNEXPECTED_KIND)
            if state is State.BROKEN:
                why = "after a protocol error only an ERROR frame may be sent"
            elif kind not in SENDABLE[self.role]:
                why = "not a kind this role sends"
            elif kind == FrameKind.HELLO and self.our_hello is not None:
                why = "HELLO was already sent"
            elif kind == FrameKind.HELLO:
                why = "the server answers the client's HELLO, which has not arrived"
            elif self.our_hello is None:
                why = "HELLO must be sent first"
            else:
                why = "the peer's HELLO has not arrived yet"
        raise LocalProtocolError(f"{self.role.value} may not send {kind.name}: {why}", ErrorCode.UNEXPECTED_KIND)
