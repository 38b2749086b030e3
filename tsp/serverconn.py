"""The server side of one connection, sans I/O: bytes in, frames and bytes out.

:class:`ServerConnection` owns the connection's :class:`protocol.Connection` and turns what it decodes
into calls of the :class:`tsp.switch.SwitchService`: HELLO is answered, each REQUEST handled, a protocol
violation answered with its ERROR frame (and the connection ends). The trio server
(:mod:`tsp.server`) only feeds it the bytes it reads, encodes the frames it returns through the
target connection's :meth:`ServerConnection.encode` and writes them; it keeps no state of the switch.

**One request path.** Every REQUEST goes through :meth:`SwitchService.handle`, except one shortcut for
the requests pollers and wallboards send most (:data:`tsp.switch.LANE_FUNCS`: GetAgentSessionInfo,
GetQueueInfo, GetAgentInfo), which are answered from the bytes (*the fast lane*): one ``unpack_from``
reads a plain request's parameters straight from the receive buffer (the three share one frame layout,
:meth:`protocol.Connection.take_fixed_request_of`), :meth:`SwitchService.answer_direct` (as
``direct_answerer``, bound once per run of lane requests) does the switch's part behind the same guard
the general path applies (:func:`tsp.dispatch.admit`) with the function's own dispatch handler, and one
precompiled pack writes the RESPONSE frame and the EVENTS frame's and LINE_REPLY's headers in front of
the data - the codec's layouts for those frames, joined (data that needs padding goes through the
codec's ``line_reply_frame``). When the guard does not let it through (any LINEERR the RESPONSE carries,
a fault rule, held answers at the cap, debug logging), the general path answers it.
:attr:`ServerConnection.lane_answers` counts the requests the lane answered;
``tests/unit/test_fastlane.py`` requires it to answer, and identical bytes from both.

**The one internal-error handler.** An exception that is not a protocol error or a refusal
(:class:`tsp.errors.SwitchError`, handled by the switch) is a bug: it is logged with its traceback
here and the request answered with LINEERR_OPERATIONFAILED, so the connection and the server go on.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from protocol import codec, fastpath, schemas
from protocol import messages as m
from protocol.connection import CLOSED, NEED_DATA, Connection, Role
from protocol.constants import ASYNCEVENTMSG_HEADER_SIZE, MAX_FRAME_LENGTH, FrameKind, LineErr
from protocol.errors import LocalProtocolError, RemoteProtocolError
from tsp.batch import Outgoing
from tsp.dispatch import FUNCTIONS
from tsp.switch import LANE_FUNCS, PendingAdvance, SwitchService

__all__ = ["ServerConnection", "PRODUCT", "FRAMES_PER_TURN"]

#: Frames one connection has handled before the others get a turn: one 64 KiB read may carry ~1,000
#: pipelined requests, and answering them all at once kept a healthy connection waiting for seconds
#: while 40 flooding ones took their turns (fuzz campaign, attack ``slow``, full preset).
FRAMES_PER_TURN = 128

log = logging.getLogger("tsp.server")

PRODUCT = "tsp TAPI emulator"

_RESPONSE = int(FrameKind.RESPONSE)
_EVENTS = int(FrameKind.EVENTS)
_LINE_REPLY_MSG = int(m.LineReply.MSG)
_request = fastpath.constructor(m.Request)
_line_reply_frame = codec.line_reply_frame


#: The one REQUEST frame layout (the codec's struct) and length field of the lane's functions: one unpack
#: takes any of them (checked in _lane).
_FRAME, _LENGTH = codec.fixed_request_frame(LANE_FUNCS[0])


def _lane(req_func: int) -> tuple[Callable[..., Any], Any]:
    """What the lane needs of one of its functions: (the body's positional constructor, its dispatch row).

    Checks what ServerConnection._lanes relies on: the lane's one frame layout - five header values, then
    six DWORD parameters, the context second and the structure's context fifth (the lane unpacks the
    frame into locals)."""
    frame, length = codec.fixed_request_frame(req_func)
    row = FUNCTIONS[req_func]
    names = tuple(p.name for p in row.body.PARAMS)
    if frame is not _FRAME or length != _LENGTH:
        raise TypeError("the fast lane's functions must share one REQUEST frame layout")
    if len(names) != 6 or len(frame.unpack(bytes(frame.size))) != 11 or (
        names.index("context"), names.index(row.body.CONTEXT_FIELD)) != (1, 4):
        raise TypeError("the fast lane's functions must have six parameters, their contexts second and fifth")
    return fastpath.constructor(row.body, names), row


#: One entry per function the fast lane answers (tsp.switch.LANE_FUNCS), by Req_Func.
_LANES: dict[int, tuple[Callable[..., Any], Any]] = {func: _lane(func) for func in LANE_FUNCS}
#: The lane's answer in one pack: its RESPONSE frame (the REQUEST's layout), then the EVENTS frame's header
#: and the LINE_REPLY's ASYNCEVENTMSG header - the codec's three layouts joined (protocol.fastpath derives
#: each from its construct schema), followed by the data. The codec's ``line_reply_frame`` packs the
#: same EVENTS frame from the same two layouts; it still does when the data needs padding or is too large
#: for one frame (its error).
_ANSWER_PACK = fastpath.precompiled(
    _FRAME.format + fastpath.layout(schemas.FRAME_HEADER).format[1:] + fastpath.layout(schemas.ASYNCEVENTMSG).format[1:]
).pack
_RECORD = ASYNCEVENTMSG_HEADER_SIZE  # the LINE_REPLY record without its data
_JOINED_MAX = MAX_FRAME_LENGTH - _RECORD - 8  # the most data one EVENTS frame of one record carries


class ServerConnection:
    """One connection of ``service`` (registered as ``conn_id``), without I/O.

    Feed it with :meth:`receive_data`, then call :meth:`process`; take what it produced with
    :meth:`take_output`: the bytes for this connection (each frame encoded at once, in write order: the
    protocol state it is encoded in is the one it was produced in) and :class:`tsp.batch.Outgoing`
    frames for other connections (event fan-out; their own connection encodes them).
    """

    def __init__(self, service: SwitchService, conn_id: int, product: str = PRODUCT, *, fast_lane: bool = True) -> None:
        self.service = service
        self.conn_id = conn_id
        self.product = product
        #: Answer plain REQUESTs of the lane's functions from the bytes (same bytes as the general path,
        #: which tests compare by switching this off).
        self.fast_lane = fast_lane
        self.proto = Connection(Role.SERVER)
        #: Requests the fast lane answered (the rest went through SwitchService.handle).
        self.lane_answers = 0
        #: Frames taken from the stream so far (tells a new partial frame from the continuing one).
        self.frames_in = 0
        #: HELLOs answered so far.
        self.hellos = 0
        #: True once a successful Initialize RESPONSE was encoded for this connection.
        self.initialized = False
        #: Why the connection must end, in words (None while nothing has ended it).
        self.reason: str | None = None
        #: The EmuAdvanceClock this connection sent, which the server runs in slices (tsp/advance.py)
        #: before it calls :meth:`process` again.
        self.advance: PendingAdvance | None = None
        #: True when :meth:`process` stopped after :data:`FRAMES_PER_TURN` frames with more complete ones
        #: buffered: the server lets the other connections run, then calls it again (fairness).
        self.more = False
        #: The REQUEST being handled (a fallback body if its RESPONSE cannot be encoded).
        self.current_request: m.Request | None = None
        self._own: list[bytes] = []  # encoded for this connection, in write order
        self._others: list[Outgoing] = []  # frames for other connections (event fan-out)
        #: The request being handled: a Request, or the fast lane's unpacked frame (for the error handler).
        self._handling: Any = None

    def receive_data(self, data: bytes) -> None:
        """Bytes read from the peer (b"" once it closed its side)."""
        self.proto.receive_data(data)

    def take_output(self) -> tuple[bytes, list[Outgoing]]:
        """What :meth:`process` produced since the last call: the bytes for this connection (joined, in
        write order) and the frames for other connections."""
        own, others = self._own, self._others
        self._own, self._others = [], []
        return (b"".join(own) if len(own) != 1 else own[0]) if own else b"", others

    def process(self, now: Callable[[], float]) -> bool:
        """Handle every complete frame buffered (``now()``: the switch time for a request); False when
        the connection must end (:attr:`reason` says why). Stops early while :attr:`advance` is set, and
        after :data:`FRAMES_PER_TURN` frames (then :attr:`more` is True).

        The one internal-error handler is here: an exception while a request is handled is a bug; it is
        logged with its traceback, the request answered with LINEERR_OPERATIONFAILED, and the next frame
        handled. An exception outside a request propagates."""
        while True:
            try:
                return self._frames(now)
            except RemoteProtocolError as err:
                log.info("conn %d: protocol error: %s", self.conn_id, err)
                self.reason = f"protocol error {err.code.name}: {err}"
                self._emit_own(err.to_frame())
                return False
            except Exception:  # a bug must not take the connection (or the server) down
                request = self._handling
                if request is None:
                    raise
                self._handling = None
                if not isinstance(request, m.Request):  # the fast lane's frame: its unpacked values
                    request = _request(request[3], _LANES[request[4]][0](*request[5:]))
                log.exception("conn %d: internal error handling %r", self.conn_id, request.body)
                self._emit_own(m.Response(request.sequence, int(LineErr.OPERATIONFAILED), request.body))

    def _frames(self, now: Callable[[], float]) -> bool:
        proto = self.proto
        self.more = False
        last = self.frames_in + FRAMES_PER_TURN
        take = proto.take_fixed_request_of if self.fast_lane else None
        while True:
            if self.frames_in >= last:  # this turn's share: the rest waits for the next one
                self.more = True
                self._handling = None
                return True
            if take is not None:
                values = take(_FRAME, _LENGTH, _LANES)
                if values is not None:
                    if not self._lanes(values, now, last):
                        return False
                    continue
            self._handling = None
            event = proto.next_event()
            if event is NEED_DATA:
                return True
            if event is CLOSED:
                if self.reason is None:
                    self.reason = "closed by the client"
                return False
            self.frames_in += 1
            if isinstance(event, m.Request):
                self._handling = event
                if not self._general(event, now()):
                    return False
                if self.advance is not None:  # the server runs it before the next frame
                    self._handling = None
                    return True
            elif isinstance(event, m.Hello):
                log.debug("conn %d: HELLO %d.%d %r", self.conn_id, event.major, event.minor, event.product)
                self.hellos += 1
                self._emit_own(m.Hello(product=self.product))
            elif isinstance(event, m.Error):
                self.reason = f"the client sent ERROR {event.code}: {event.text}"
                return False

    def _general(self, request: m.Request, now: float) -> bool:
        self.current_request = request
        outcome = self.service.handle(self.conn_id, request, now)
        self._emit(outcome.frames)
        self.advance = outcome.advance
        if outcome.close:
            self.reason = "disconnect fault (a fault rule closes it instead of answering)"
            return False
        return True

    def _lanes(self, values: tuple[int, ...], now: Callable[[], float], last: int) -> bool:
        """The fast lane for ``values`` (a lane REQUEST taken from the buffer) and each lane REQUEST
        directly behind it, up to frame ``last`` of this turn; False when the connection must end. Each
        request gets its own ``now()`` and the switch's guard (``answer_direct``); one it does not let
        through is answered by the general path.

        The frame is unpacked into locals once per request (its parameters are the same six DWORDs for
        every lane function, checked at import): cheaper than indexing the tuple for each use. The request
        being handled is set for the internal-error handler only when something raises (a try costs
        nothing until then), not stored for every request."""
        take = self.proto.take_fixed_request_of
        direct = self.service.direct_answerer(self.conn_id)
        own = self._own.append  # the list take_output swaps only between calls of process
        lanes = _LANES
        frames_in = self.frames_in
        answered = 0
        try:
            while True:
                frames_in += 1
                _, _, _, sequence, req_func, p0, context, p2, p3, struct_context, p5 = values
                make, row = lanes[req_func]
                body = make(p0, context, p2, p3, struct_context, p5)
                at = now()
                answer = direct(row, body, at)
                if answer is None:  # not the plain case: the general path decides (and answers any LINEERR)
                    self.frames_in = frames_in
                    if not self._general(_request(sequence, body), at):
                        return False
                else:
                    before, after, request_id, result, data, init_context, hdevice, open_context = answer
                    if before:
                        self._emit(before)
                    # One entry for both frames: on overflow the queue is replaced by the ERROR either way.
                    n = len(data)
                    if n & 3 or n > _JOINED_MAX:  # padding, or too large (the codec's error)
                        own(
                            _FRAME.pack(_LENGTH, _RESPONSE, 0, sequence, request_id, p0, context, p2, p3,
                                        struct_context, p5)
                            + _line_reply_frame(init_context, context, hdevice, open_context, request_id,
                                                result, struct_context, data)
                        )
                    else:
                        own(
                            _ANSWER_PACK(_LENGTH, _RESPONSE, 0, sequence, request_id, p0, context, p2, p3,
                                         struct_context, p5, _RECORD + 8 + n, _EVENTS, 0, 0, _RECORD + n,
                                         init_context, context, hdevice, _LINE_REPLY_MSG, open_context,
                                         request_id, result, struct_context, n)
                            + data
                        )
                    if after:
                        self._emit(after)
                    answered += 1
                if frames_in >= last:
                    return True
                values = take(_FRAME, _LENGTH, lanes)
                if values is None:
                    return True
        except Exception:  # for the one internal-error handler (process): the request being handled
            self._handling = values
            raise
        finally:
            self.frames_in = frames_in
            self.lane_answers += answered

    def _emit(self, frames: Any) -> None:
        conn_id = self.conn_id
        for item in frames:
            if item.conn_id == conn_id:
                self._emit_own(item.frame)
            else:
                self._others.append(item)

    def _emit_own(self, frame: Any) -> None:
        try:
            self._own.append(self.encode(frame))
        except LocalProtocolError:
            log.exception("conn %d: cannot encode %s; not sent", self.conn_id, type(frame).__name__)

    def encode(self, frame: Any) -> bytes:
        """The bytes of a frame for this connection. A RESPONSE whose body cannot be encoded still gets
        an answer: the request's own body echoed (it was decodable, so it encodes), with
        LINEERR_OPERATIONFAILED. Raises LocalProtocolError for anything else that cannot be sent."""
        try:
            data = self.proto.send(frame)
        except LocalProtocolError as exc:
            if not isinstance(frame, m.Response) or self.proto.closed:
                raise
            log.error("conn %d: cannot encode the RESPONSE (%s); answering OPERATIONFAILED", self.conn_id, exc)
            current = self.current_request
            if current is not None and current.sequence == frame.sequence:
                body = current.body
            else:
                req_func = frame.body.req_func if isinstance(frame.body, m.RawRequest) else int(frame.body.REQ_FUNC)
                body = m.RawRequest(req_func)
            return self.proto.send(m.Response(frame.sequence, int(LineErr.OPERATIONFAILED), body))
        if not self.initialized and type(frame) is m.Response and frame.result == 0 and type(frame.body) is m.Initialize:
            self.initialized = True
        return data
