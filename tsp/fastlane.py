"""The server's fast lane: GetAgentSessionInfo, the request pollers and wallboards send most, answered
from the bytes without building message objects.

Why: at 64 requests in flight a request costs the server ~14 us of Python on the general path (decode
into a ``Request``, :meth:`SwitchService.handle`, ``Response`` / ``LineReply`` / ``Events`` objects, encode),
which keeps it far from the trio echo floor (docs/performance.md). Here one ``unpack_from`` reads the
parameters straight from the receive buffer, :meth:`SwitchService.session_info_fast` does the switch's
part, and two precompiled packs (the RESPONSE frame, the EVENTS frame with the LINE_REPLY) write the
answer - the same structs the codec uses for those frames.

The general path (``EmulatorServer._handle_request`` -> :meth:`SwitchService.handle`) is the reference:
whenever anything is not the plain case - not yet established, a frame of another size or function, a
held-back answer on the connection, a fault rule for the function, debug logging, an unknown or foreign
hLine, a bad request ID or buffer size - the lane builds the ``Request`` the decoder would have built and
hands it to the general path, so every RESPONSE carrying a LINEERR comes from there.
``tests/unit/test_fastlane.py`` runs both paths on the same inputs and requires identical bytes.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from protocol import codec, fastpath
from protocol import messages as m
from protocol.constants import FrameKind, LineErr, ReqFunc

if TYPE_CHECKING:  # pragma: no cover
    from tsp.server import EmulatorServer, _Peer

__all__ = ["try_session_info", "ENABLED_BY_DEFAULT"]

log = logging.getLogger("tsp.server")

#: EmulatorServer.fast_lane's default (tests switch it off to get the general path's bytes).
ENABLED_BY_DEFAULT = True

_FUNC = int(ReqFunc.GETAGENTSESSIONINFO)
_FRAME, _LENGTH = codec.fixed_request_frame(_FUNC)
_RESPONSE = int(FrameKind.RESPONSE)
_request = fastpath.constructor(m.Request)
_body = fastpath.constructor(m.GetAgentSessionInfo, tuple(p.name for p in m.GetAgentSessionInfo.PARAMS))
_pack_response = _FRAME.pack
_line_reply_frame = codec.line_reply_frame


def try_session_info(server: EmulatorServer, peer: _Peer) -> bool | None:
    """If the next buffered frame of ``peer`` is a complete GetAgentSessionInfo REQUEST (fixed size) on an
    established connection, handle it and return what ``_handle_request`` would (False: the connection
    must end); None when there is no such frame (nothing consumed)."""
    values = peer.proto.take_fixed_request(_FRAME, _LENGTH, _FUNC)
    if values is None:
        return None
    sequence = values[3]
    params = values[5:]
    out = None
    if not peer.held_count:
        try:
            out = server.service.session_info_fast(peer.conn_id, sequence, params, server.clock.now())
        except Exception:  # a bug must not take the connection (or the server) down
            body = _body(*params)
            log.exception("conn %d: internal error handling %r", peer.conn_id, body)
            server._send(peer, m.Response(sequence, int(LineErr.OPERATIONFAILED), body))
            return True
    if out is None:  # not the plain case: the general path decides (and answers any LINEERR)
        return server._handle_request(peer, _request(sequence, _body(*params)))
    frames, (request_id, result, data, init_context, hdevice, open_context) = out
    if frames:
        server.deliver(frames)
    # One queue entry for both frames: on overflow the queue is replaced by the ERROR either way.
    server._queue(
        peer,
        _pack_response(_LENGTH, _RESPONSE, 0, sequence, request_id, *params)
        + _line_reply_frame(init_context, params[1], hdevice, open_context, request_id, result, params[4], data),
    )
    due = server.service.next_due()
    if due is not None and due < server._driver_due:
        server.wake()
    return True
