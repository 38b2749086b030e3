"""Serving the console with hypercorn's trio worker, in the switch's own nursery and event loop.

Why hypercorn: it is an ASGI server with a native trio back end (``hypercorn.trio.serve``), so the
console runs as one more task next to the switch - no thread, no second event loop, and it reads the
switch directly instead of over a socket. It speaks HTTP/1.1 (and h2) properly, which matters for a
long-lived event stream, and it is a small pure-Python dependency (h11, h2, wsproto, priority).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import attrs
import trio

from tsp.web.app import ConsoleApp
from tsp.web.hub import DEFAULT_MAX_VIEWERS, Hub

if TYPE_CHECKING:  # pragma: no cover
    from tsp.server import EmulatorServer

__all__ = ["WebConsole", "serve_web", "parse_web_address", "DEFAULT_WEB_ADDRESS"]

log = logging.getLogger("tsp.web")

#: ``--web`` given without a value.
DEFAULT_WEB_ADDRESS = "127.0.0.1:8080"


@attrs.frozen
class WebConsole:
    """A running console: where it listens and its :class:`Hub` (snapshots, control actions)."""

    host: str
    port: int
    hub: Hub

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"


def _first_leaf(group: BaseException) -> BaseException:
    while isinstance(group, BaseExceptionGroup):
        group = group.exceptions[0]
    return group


def parse_web_address(text: str) -> tuple[str, int]:
    """``HOST:PORT``, ``[IPv6]:PORT`` or ``PORT`` (host 127.0.0.1) -> (host, port); ValueError otherwise."""
    text = text.strip()
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or not rest.startswith(":"):
            raise ValueError(f"expected [IPv6]:PORT, got {text!r}")
        port_text = rest[1:]
    elif ":" in text:
        host, _, port_text = text.rpartition(":")
        if ":" in host:
            raise ValueError(f"write an IPv6 address in brackets ([::1]:8080), got {text!r}")
    else:
        host, port_text = "127.0.0.1", text
    if not host:
        raise ValueError(f"no host in {text!r} (e.g. 127.0.0.1:8080)")
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"not a port number: {port_text!r} in {text!r}") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"port must be 0..65535, got {port} in {text!r}")
    return host, port


async def serve_web(
    server: EmulatorServer,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    control: bool = False,
    max_viewers: int = DEFAULT_MAX_VIEWERS,
    task_status: trio.TaskStatus[WebConsole] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve the console for ``server`` until ``server.stop()``; ``await nursery.start(serve_web, ...)``
    returns the :class:`WebConsole` once it listens (raises OSError when the address cannot be bound)."""
    from hypercorn.config import Config
    from hypercorn.trio import serve

    hub = Hub(server, control=control, max_viewers=max_viewers)
    app = ConsoleApp(hub, host)
    if not app.loopback_only:
        log.warning("the web console listens on %s, not a loopback address: whoever reaches it sees the switch%s",
                    host, " and, with --control, drives it" if control else "")
    config = Config()
    config.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    config.accesslog = None
    config.errorlog = logging.getLogger("tsp.web.http")
    config.graceful_timeout = 1.0
    config.include_server_header = False
    started = False
    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(hub.run)
            binds = await nursery.start(lambda task_status: serve(
                app, config, shutdown_trigger=server.wait_stopped, task_status=task_status))
            bound = binds[0].split("://", 1)[1]
            bound_host, _, bound_port = bound.rpartition(":")
            started = True
            task_status.started(WebConsole(bound_host.strip("[]"), int(bound_port), hub))
    except BaseExceptionGroup as group:  # hypercorn binds inside nurseries: a bind failure as the OSError
        matched, rest = group.split(OSError)
        if started or matched is None or rest is not None:
            raise
        raise _first_leaf(matched) from None
