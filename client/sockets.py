"""Socket-level helpers of the client connection: TCP keepalive and the words for a failed send or receive."""

from __future__ import annotations

import socket
import ssl

import trio

__all__ = ["KEEPALIVE", "describe_io_error", "enable_keepalive"]


def describe_io_error(exc: BaseException) -> str:
    """The most specific reason behind a failed send or receive, for the ConnectionLostError message.

    trio wraps TLS and socket errors in ``BrokenResourceError`` whose own text is empty; the cause says
    what happened (``[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: ...``, ``Connection
    reset by peer``)."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 5:
        if isinstance(current, ssl.SSLError):
            return f"TLS error: {current}"
        if isinstance(current, OSError) and current.strerror:
            return current.strerror
        current = current.__cause__ or current.__context__
        seen += 1
    return str(exc) or type(exc).__name__


#: TCP keepalive of client sockets: (idle seconds before the first probe, seconds between probes,
#: unanswered probes). A client that only listens for events learns within about two minutes that the
#: server's machine vanished without closing the connection.
KEEPALIVE = (60, 10, 6)


def enable_keepalive(stream: trio.abc.Stream) -> bool:
    """Turn on TCP keepalive for the socket under ``stream`` (a SocketStream, or an SSLStream over one);
    False if there is no socket (memory streams) or the platform refuses."""
    while isinstance(stream, trio.SSLStream):
        stream = stream.transport_stream
    if not isinstance(stream, trio.SocketStream):
        return False
    try:
        stream.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for name, value in zip(("TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT"), KEEPALIVE):
            option = getattr(socket, name, None)
            if option is not None:
                stream.setsockopt(socket.IPPROTO_TCP, option, value)
    except OSError:
        return False
    return True
