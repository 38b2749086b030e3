"""Connecting: TCP (or TLS), HELLO and lineInitialize under one deadline, then a :class:`~client.tapi.Tapi`.

``connect_timeout`` (default 10 s) bounds everything before the ``Tapi`` is handed over: the TCP connect, the
TLS handshake, the server's HELLO and the answer to Initialize. Past it :class:`ConnectTimeoutError` (a
:class:`~client.errors.TapiTimeoutError`, ``hresult == TAPI_E_TIMEOUT``) says where and which step was
still outstanding, so a wrong port, a stuck server or some other TCP service never makes a client hang.
``connect_timeout=None`` waits as long as it takes (not recommended).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import AsyncIterator
from typing import Any

import trio

from client import args as _args
from client.connection import ClientConnection, describe_io_error
from client.deadline import deadline_after
from client.errors import ConnectionLostError, ConnectTimeoutError, invalid_argument
from client.tapi import Tapi
from client.objects import REQUEST_TIMEOUT
from protocol.constants import DEFAULT_PORT

#: Default of ``connect_timeout``: seconds for TCP connect, TLS, HELLO and Initialize together.
CONNECT_TIMEOUT = 10.0

_STEP_TCP, _STEP_TLS, _STEP_HELLO, _STEP_INIT = "TCP connection", "TLS handshake", "server's HELLO", "answer to Initialize"


@contextlib.asynccontextmanager
async def connect_stream(
    stream: trio.abc.Stream,
    *,
    request_timeout: float = REQUEST_TIMEOUT,
    cached: bool = False,
    app_name: str = "tapi-emulator client",
    connect_timeout: float | None = CONNECT_TIMEOUT,
) -> AsyncIterator[Tapi]:
    """HELLO and lineInitialize over an already open trio stream (e.g. a memory stream in tests).

    ``connect_timeout`` bounds the HELLO and Initialize together (:class:`ConnectTimeoutError` after it).
    Exceptions leave the ``async with`` block as themselves, not wrapped in an ExceptionGroup by the
    nursery that runs the reader task.
    """
    seconds = _args.timeout(connect_timeout, "connect_timeout")
    async with _session(
        stream, deadline_after(seconds), seconds, ("the stream", None),
        request_timeout=request_timeout, cached=cached, app_name=app_name,
    ) as tapi:
        yield tapi


@contextlib.asynccontextmanager
async def connect(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    *,
    request_timeout: float = REQUEST_TIMEOUT,
    cached: bool = False,
    app_name: str = "tapi-emulator client",
    ssl_context: Any = None,
    connect_timeout: float | None = CONNECT_TIMEOUT,
) -> AsyncIterator[Tapi]:
    """Connect over TCP (TLS with ``ssl_context``), HELLO and lineInitialize; yields a :class:`Tapi`.

    ``request_timeout`` is the TAPI3 deadline (two minutes); pass a smaller value only to speed up tests.
    ``connect_timeout`` bounds the whole of connecting (:class:`ConnectTimeoutError` after it). A server
    that is not there raises :class:`ConnectionLostError` naming host and port.
    """
    host = _args.host(host)
    port = _args.port(port)
    seconds = _args.timeout(connect_timeout, "connect_timeout")
    _check_session_args(request_timeout, app_name)
    if ssl_context is not None and not hasattr(ssl_context, "wrap_socket"):
        raise invalid_argument(f"ssl_context must be an ssl.SSLContext or None, got {_args.show(ssl_context)}")
    deadline = deadline_after(seconds)
    step = _STEP_TCP
    stream: trio.abc.Stream | None = None
    try:
        with trio.move_on_at(deadline):
            tcp = await trio.open_tcp_stream(host, port)
            stream = tcp
            if ssl_context is not None:
                step = _STEP_TLS
                tls = trio.SSLStream(tcp, ssl_context, server_hostname=host, https_compatible=False)
                stream = tls
                await tls.do_handshake()
            step = ""
    except OSError as exc:
        raise ConnectionLostError(f"cannot connect to {host}:{port}: {_os_reason(exc)}") from exc
    except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
        if stream is not None:
            await trio.aclose_forcefully(stream)
        raise ConnectionLostError(f"{step} with {host}:{port} failed: {describe_io_error(exc)}") from None
    if step:  # the deadline passed
        if stream is not None:
            await trio.aclose_forcefully(stream)
        raise ConnectTimeoutError(host, port, step, seconds if seconds is not None else math.inf)
    assert stream is not None
    async with _session(
        stream, deadline, seconds, (host, port), request_timeout=request_timeout, cached=cached, app_name=app_name
    ) as tapi:
        yield tapi


def _check_session_args(request_timeout: Any, app_name: Any) -> None:
    _args.timeout(request_timeout, "request_timeout", optional=False)
    _args.text(app_name, "app_name")


@contextlib.asynccontextmanager
async def _session(
    stream: trio.abc.Stream,
    deadline: float,
    seconds: float | None,
    where: tuple[str, int | None],
    *,
    request_timeout: float,
    cached: bool,
    app_name: str,
) -> AsyncIterator[Tapi]:
    """HELLO and Initialize on ``stream`` by ``deadline``; then the Tapi until the block ends."""
    _check_session_args(request_timeout, app_name)
    with _unwrap_single_exception():
        async with trio.open_nursery() as nursery:
            step = _STEP_HELLO
            tapi: Tapi | None = None
            with trio.move_on_at(deadline) as scope:
                conn = await ClientConnection.open(nursery, stream, product=app_name)
                step = _STEP_INIT
                tapi = await Tapi.initialize(
                    conn, nursery, app_name, request_timeout=request_timeout, cached=bool(cached)
                )
            if scope.cancelled_caught:
                nursery.cancel_scope.cancel()  # the reader task closes the stream on its way out
                raise ConnectTimeoutError(where[0], where[1], step, seconds if seconds is not None else math.inf)
            assert tapi is not None
            try:
                yield tapi
            finally:
                with trio.CancelScope(shield=True):
                    await tapi.aclose()
                nursery.cancel_scope.cancel()


@contextlib.contextmanager
def _unwrap_single_exception() -> Any:
    """Re-raise a group that holds exactly one exception as that exception (trio's strict groups)."""
    try:
        yield
    except BaseExceptionGroup as group:
        leaves = _leaves(group)
        if len(leaves) == 1:
            raise leaves[0] from None
        raise


def _leaves(group: BaseExceptionGroup) -> list[BaseException]:
    out: list[BaseException] = []
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            out.extend(_leaves(exc))
        else:
            out.append(exc)
    return out


def _os_reason(exc: BaseException) -> str:
    """The most specific reason inside a connect failure (trio wraps each attempt's error)."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 10:
        if isinstance(current, BaseExceptionGroup) and current.exceptions:
            current = current.exceptions[0]
        elif isinstance(current, OSError) and current.strerror:
            return str(current.strerror)
        elif current.__cause__ is not None:
            current = current.__cause__
        else:
            break
        seen += 1
    return str(current)


__all__ = ["CONNECT_TIMEOUT", "connect", "connect_stream"]
