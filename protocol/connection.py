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

Client role extras: it remembers the Req_Func of every REQUEST sent (to decode its RESPONSE; a RESPONSE
whose sequence is not outstanding is MALFORMED) and, when the RESPONSE of an asynchronous function carries
a request ID (1..0x7FFFFFFF), the Req_Func behind that ID. The LINE_REPLY for a known ID is returned with
``req_func`` set and, on success, ``value`` = the decoded structure (AgentSessionInfo, ...) or the new
handle (int) of CreateAgent/CreateAgentSession; the ID is then forgotten. LINE_REPLYs for unknown IDs
are passed through untyped (``req_func`` None). :meth:`Connection.forget_request` drops an ID whose
LINE_REPLY will never be awaited (e.g. after a client-side timeout).
"""

from __future__ import annotations

import enum
import operator
import struct
from typing import Any


from protocol import codec, fastpath
from protocol.constants import PROTOCOL_MAJOR, ErrorCode, FrameKind
from protocol.errors import LocalProtocolError, RemoteProtocolError
from protocol.messages import (
    LINE_REPLY_FIELDS,
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
from protocol.schemas import FRAME_HEADER_SIZE

__all__ = ["Role", "Connection", "NEED_DATA", "CLOSED"]

_MAX_REQUEST_ID = 0x7FFFFFFF
_U32 = 1 << 32


class Role(enum.Enum):
    """Which end of the connection this state machine is."""

    CLIENT = "client"
    SERVER = "server"


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

#: Frame kinds each role may *send*; the peer receiving anything else answers UNEXPECTED_KIND.
SENDABLE = {
    Role.CLIENT: frozenset({FrameKind.HELLO, FrameKind.REQUEST, FrameKind.ERROR}),
    Role.SERVER: frozenset({FrameKind.HELLO, FrameKind.RESPONSE, FrameKind.EVENTS, FrameKind.ERROR}),
}
_KIND_OF = {Hello: FrameKind.HELLO, Request: FrameKind.REQUEST, Response: FrameKind.RESPONSE,
            Events: FrameKind.EVENTS, Error: FrameKind.ERROR}
#: Kinds a role sends with no state check once both HELLOs are exchanged (and no protocol error occurred).
_FREE_AFTER_HELLO = {
    Role.CLIENT: frozenset(),  # REQUEST: its sequence must not be outstanding
    Role.SERVER: frozenset({FrameKind.RESPONSE, FrameKind.EVENTS}),
}
#: Kinds the peer may send once its HELLO has arrived (ERROR is always allowed, HELLO never again).
_AFTER_HELLO = {role: kinds - {FrameKind.HELLO} for role, kinds in SENDABLE.items()}
_LENGTH = struct.Struct("<L")
_LENGTH_KIND = struct.Struct("<LH")
_SEQUENCE = struct.Struct("<L")
#: A LINE_REPLY with the two client-side fields filled: (*LINE_REPLY_FIELDS, req_func, value).
_typed_line_reply = fastpath.constructor(LineReply, (*LINE_REPLY_FIELDS, "req_func", "value"))
_line_reply_values = operator.attrgetter(*LINE_REPLY_FIELDS)
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
        self._eof = False
        self._peer_done = False  # EOF reached at a frame boundary: nothing more to receive
        self._closed = False  # an ERROR was sent or received: nothing more either way
        self._error: RemoteProtocolError | None = None
        self._pending: dict[int, int] = {}  # client: sequence -> Req_Func of outstanding REQUESTs
        self._async: dict[int, int] = {}  # client: request ID -> Req_Func awaiting its LINE_REPLY
        self._next_seq = 1
        self._free_kinds: frozenset[int] = frozenset()  # see _FREE_AFTER_HELLO; set when both HELLOs are done

    # --- state ---------------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once an ERROR frame was sent or received (``send`` then refuses everything).

        The peer's EOF alone only ends receiving (``next_event()`` returns CLOSED); sending stays allowed
        so that responses already being written are not turned into errors."""
        return self._closed

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
        """Server fast lane (``tsp/fastlane.py``): if the connection is established and error-free and the
        next buffered frame is a complete REQUEST of exactly ``length`` (its length field) for
        ``req_func``, consume it and return ``frame.unpack_from`` of it (see
        :func:`protocol.codec.fixed_request_frame`); otherwise None and nothing changes (``next_event``
        then returns that frame or whatever comes first, as always)."""
        if self._closed or self._peer_done or self._error is not None or FrameKind.RESPONSE not in self._free_kinds:
            return None
        buf = self._buf
        pos = self._pos
        if len(buf) - pos < 4 + length:
            return None
        values = frame.unpack_from(buf, pos)
        if values[0] != length or values[1] != FrameKind.REQUEST or values[4] != req_func:
            return None
        self._pos = pos + 4 + length
        return values

    def receive_data(self, data: bytes) -> None:
        """Feed bytes from the peer; ``b""`` signals EOF."""
        if self._eof:
            if data:
                raise LocalProtocolError("receive_data() after EOF", ErrorCode.UNEXPECTED_KIND)
            return
        if data:
            if self._pos and self._pos == len(self._buf):
                self._buf.clear()
                self._pos = 0
            self._buf += data
        else:
            self._eof = True

    def next_event(self) -> Any:
        """The next complete frame, NEED_DATA or CLOSED. Raises RemoteProtocolError for a peer violation (the
        same error again on later calls)."""
        if self._closed or self._peer_done:
            return CLOSED
        if self._error is not None:
            raise self._error
        try:
            return self._next_event()
        except RemoteProtocolError as exc:
            self._error = exc
            raise

    def _next_event(self) -> Any:
        buf = self._buf
        pos = self._pos
        avail = len(buf) - pos
        length = 0
        if avail >= 6:
            length, kind = _LENGTH_KIND.unpack_from(buf, pos)
            codec.check_length(length)
            if not (kind in _AFTER_HELLO[self.peer_role] and self.their_hello is not None):
                self._check_kind(kind)
        elif avail >= 4:
            length = _LENGTH.unpack_from(buf, pos)[0]
            codec.check_length(length)
        if avail < FRAME_HEADER_SIZE or avail < 4 + length:
            if pos >= _COMPACT_AT or (pos and pos == len(buf)):
                del buf[:pos]
                self._pos = 0
            if not self._eof:
                return NEED_DATA
            if avail:
                raise RemoteProtocolError(ErrorCode.MALFORMED, f"stream ended inside a frame ({avail} bytes buffered)")
            self._peer_done = True
            return CLOSED
        sequence = _SEQUENCE.unpack_from(buf, pos + 8)[0]
        end = pos + 4 + length
        body = bytes(buf[pos + FRAME_HEADER_SIZE : end])
        self._pos = end
        response_func = None
        if kind == FrameKind.RESPONSE:
            response_func = self._pending.get(sequence)
        frame = codec.decode_body(kind, sequence, body, response_func=response_func)
        if type(frame) is Request:  # nothing to remember about a REQUEST
            return frame
        return self._received(frame)

    def _check_kind(self, kind: int) -> None:
        """Reject a frame kind the peer may not send now, as soon as its header arrives."""
        if kind not in SENDABLE[self.peer_role]:
            name = FrameKind(kind).name if kind in FrameKind._value2member_map_ else str(kind)
            raise RemoteProtocolError(ErrorCode.UNEXPECTED_KIND, f"a {self.peer_role.value} may not send {name} frames")
        if kind == FrameKind.ERROR:
            return
        if self.their_hello is None and kind != FrameKind.HELLO:
            raise RemoteProtocolError(ErrorCode.UNEXPECTED_KIND, f"{FrameKind(kind).name} before HELLO")
        if kind == FrameKind.HELLO:
            if self.their_hello is not None:
                raise RemoteProtocolError(ErrorCode.UNEXPECTED_KIND, "a second HELLO")
            if self.role is Role.CLIENT and self.our_hello is None:
                raise RemoteProtocolError(ErrorCode.UNEXPECTED_KIND, "server HELLO before the client's HELLO")

    def _received(self, frame: Any) -> Any:
        if isinstance(frame, Error):
            self._closed = True
        elif isinstance(frame, Hello):
            if frame.major != PROTOCOL_MAJOR:
                raise RemoteProtocolError(
                    ErrorCode.UNSUPPORTED_VERSION,
                    f"peer speaks protocol {frame.major}.{frame.minor}, we speak {PROTOCOL_MAJOR}.x",
                )
            self.their_hello = frame
            self._handshake_done()
        elif isinstance(frame, Response):
            func = self._pending.pop(frame.sequence)
            cls = REQUEST_TYPES.get(func, (RawRequest,))[0]
            if cls.ASYNC and 1 <= frame.result <= _MAX_REQUEST_ID:
                self._async[frame.result] = func
        elif isinstance(frame, Events) and self._async:
            frame = Events(tuple(self._typed_reply(r) for r in frame.records))
        return frame

    def _typed_reply(self, rec: Any) -> Any:
        if not isinstance(rec, LineReply) or rec.request_id not in self._async:
            return rec
        func = self._async.pop(rec.request_id)
        value = decode_reply_data(func, rec.data) if rec.result == 0 else None
        # = attrs.evolve(rec, req_func=func, value=value), without evolve's per-call field introspection
        return _typed_line_reply(*_line_reply_values(rec), func, value)

    # --- sending -------------------------------------------------------------------------------------

    def send(self, frame: Any) -> bytes:
        """Bytes to write for ``frame``; LocalProtocolError if it may not be sent now (nothing changes)."""
        kind = _KIND_OF.get(type(frame))
        if kind is None:
            raise LocalProtocolError(f"not a frame: {frame!r}")
        if self._closed:
            raise LocalProtocolError("the connection is closed (an ERROR was exchanged)", ErrorCode.UNEXPECTED_KIND)
        if kind in self._free_kinds and self._error is None:
            return codec.encode(frame)  # the established state: nothing to check, nothing to remember
        if kind != FrameKind.ERROR:
            self._check_send(kind, frame)
        data = codec.encode(frame)
        if kind == FrameKind.ERROR:
            self._closed = True
            self._free_kinds = frozenset()
        elif kind == FrameKind.HELLO:
            self.our_hello = frame
            self._handshake_done()
        elif kind == FrameKind.REQUEST and self.role is Role.CLIENT:
            body = frame.body
            self._pending[frame.sequence] = body.req_func if isinstance(body, RawRequest) else int(body.REQ_FUNC)
        return data

    def _handshake_done(self) -> None:
        if self.our_hello is not None and self.their_hello is not None:
            self._free_kinds = _FREE_AFTER_HELLO[self.role]

    def _check_send(self, kind: FrameKind, frame: Any) -> None:
        def refuse(why: str) -> None:
            raise LocalProtocolError(f"{self.role.value} may not send {kind.name}: {why}", ErrorCode.UNEXPECTED_KIND)

        if self._error is not None:
            refuse("after a protocol error only an ERROR frame may be sent")
        if kind not in SENDABLE[self.role]:
            refuse("not a kind this role sends")
        if kind == FrameKind.HELLO:
            if self.our_hello is not None:
                refuse("HELLO was already sent")
            if self.role is Role.SERVER and self.their_hello is None:
                refuse("the server answers the client's HELLO, which has not arrived")
            return
        if self.our_hello is None:
            refuse("HELLO must be sent first")
        if self.their_hello is None:
            refuse("the peer's HELLO has not arrived yet")
        if kind == FrameKind.REQUEST and frame.sequence in self._pending:
            refuse(f"sequence {frame.sequence} is already outstanding")
