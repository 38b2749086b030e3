"""The console's ASGI application, by hand (no framework): a dozen routes do not need one, and every
byte that goes out is visible here.

Routes (docs/web.md): ``GET /`` the page, ``GET /static/NAME`` its files, ``GET /api/state`` one JSON
snapshot, ``GET /api/events`` a server-sent-events stream of snapshots; with ``--control`` also
``POST /api/advance``, ``POST /api/offer``, ``POST /api/session-state``, ``POST /api/faults`` and
``DELETE /api/faults``. Nothing changes through GET.

Rules every request goes through:

* the Host header must name this machine when the console listens on a loopback address (so a web page
  elsewhere cannot reach it by DNS rebinding);
* a control action must be ``application/json`` (so a plain HTML form or a cross-site "simple" request
  cannot make one) with a body of at most :data:`MAX_BODY` bytes, and an ``Origin`` header, when sent,
  must be this console's own;
* without ``--control`` every control action is refused: 403 with a JSON reason;
* every answer carries a Content-Security-Policy that allows only the console's own files.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import urllib.parse
from importlib import resources
from typing import Any, Awaitable, Callable

import trio

from tsp.web.hub import ActionError, Hub, TooManyViewers

__all__ = ["ConsoleApp", "MAX_BODY", "HEARTBEAT_SECONDS", "STATIC_FILES"]

log = logging.getLogger("tsp.web")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

#: Largest request body a control action may have.
MAX_BODY = 4096
#: A comment line on an idle event stream this often (wall clock), so proxies and browsers keep it.
HEARTBEAT_SECONDS = 15.0
#: The page's files: name -> content type. Nothing else is served from the package.
STATIC_FILES = {
    "index.html": "text/html; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
}
_SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
     b"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
_CONTROL_ROUTES = {("POST", "/api/advance"), ("POST", "/api/offer"), ("POST", "/api/session-state"),
                   ("POST", "/api/faults"), ("DELETE", "/api/faults")}
_ALLOWED = {"/": "GET", "/api/state": "GET", "/api/events": "GET", "/api/advance": "POST", "/api/offer": "POST",
            "/api/session-state": "POST", "/api/faults": "POST, DELETE"}


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_name(header: str) -> str:
    """The host part of a Host header (``127.0.0.1:8080`` -> ``127.0.0.1``, ``[::1]:80`` -> ``::1``)."""
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class ConsoleApp:
    """``ConsoleApp(hub, bind_host)``: an ASGI 3 application (``await app(scope, receive, send)``)."""

    def __init__(self, hub: Hub, bind_host: str = "127.0.0.1") -> None:
        self.hub = hub
        self.loopback_only = _is_loopback(bind_host)
        self._static = resources.files("tsp.web") / "static"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)
        # websocket: not served (the connection is refused by returning)

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    # --- routing -------------------------------------------------------------------------------------

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        path = scope["path"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
        if self.loopback_only and not _is_loopback(_host_name(headers.get("host", ""))):
            await _json(send, 421, {"error": "this console answers only requests addressed to this machine "
                                             f"(Host {headers.get('host', '')!r} is not a loopback name)"})
            return
        if path == "/" or path == "/index.html":
            if method not in ("GET", "HEAD"):
                await _not_allowed(send, method, path, "GET")
                return
            await self._file(send, "index.html", method)
            return
        if path.startswith("/static/"):
            name = path[len("/static/"):]
            if name not in STATIC_FILES:
                await _json(send, 404, {"error": f"no such file: {path}"})
            elif method not in ("GET", "HEAD"):
                await _not_allowed(send, method, path, "GET")
            else:
                await self._file(send, name, method)
            return
        if (method, path) in _CONTROL_ROUTES:
            await self._control(scope, receive, send, headers)
            return
        if path == "/api/state" and method in ("GET", "HEAD"):
            await _json_bytes(send, 200, self.hub.cached_state_bytes())
            return
        if path == "/api/events" and method == "GET":
            await self._events(receive, send)
            return
        if path in _ALLOWED:
            await _not_allowed(send, method, path, _ALLOWED[path])
            return
        await _json(send, 404, {"error": f"no such resource: {path}"})

    async def _file(self, send: Send, name: str, method: str) -> None:
        body = (self._static / name).read_bytes()
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", STATIC_FILES[name].encode()), (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-cache"), *_SECURITY_HEADERS]})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})

    # --- live stream ---------------------------------------------------------------------------------

    async def _events(self, receive: Receive, send: Send) -> None:
        try:
            viewer = self.hub.subscribe()
        except TooManyViewers as err:
            await _json(send, 503, {"error": str(err)})
            return
        with viewer:
            await send({"type": "http.response.start", "status": 200, "headers": [
                (b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-store"),
                (b"x-accel-buffering", b"no"), *_SECURITY_HEADERS]})
            async with trio.open_nursery() as nursery:
                async def watch_disconnect() -> None:
                    while (await receive())["type"] != "http.disconnect":
                        pass
                    nursery.cancel_scope.cancel()

                nursery.start_soon(watch_disconnect)
                await send({"type": "http.response.body", "body": _event(self.hub.state_bytes()), "more_body": True})
                while True:
                    with trio.move_on_after(HEARTBEAT_SECONDS) as idle:
                        try:
                            data = await viewer.receive()
                        except trio.EndOfChannel:
                            break
                    if idle.cancelled_caught:
                        await send({"type": "http.response.body", "body": b": still here\n\n", "more_body": True})
                        continue
                    await send({"type": "http.response.body", "body": _event(data), "more_body": True})
                if viewer.dropped:  # one last word, if the socket takes it at once
                    with trio.move_on_after(0.05):
                        await send({"type": "http.response.body", "more_body": False, "body": (
                            f"event: dropped\ndata: {json.dumps({'reason': viewer.reason})}\n\n").encode()})
                else:
                    with trio.move_on_after(1.0):
                        await send({"type": "http.response.body", "body": b"", "more_body": False})
                nursery.cancel_scope.cancel()

    # --- control -------------------------------------------------------------------------------------

    async def _control(self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]) -> None:
        method, path = scope["method"], scope["path"]
        try:
            if not self.hub.control:
                raise ActionError(403, "control actions need the emulator started with --control")
            origin = headers.get("origin")
            if origin is not None and urllib.parse.urlsplit(origin).netloc != headers.get("host", ""):
                raise ActionError(403, f"a control action from another origin ({origin!r}) is refused")
            body = await _read_body(receive)
            if method == "DELETE":
                query = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"))
                function = query.get("function", [None])[0]
                if function is not None and not function.isdigit():
                    raise ActionError(400, f"function must be a Req_Func number, got {function!r}")
                result = self.hub.delete_faults(int(function) if function is not None else None)
            else:
                if headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
                    raise ActionError(415, "a control action needs Content-Type: application/json, got "
                                           f"{headers.get('content-type')!r}")
                args = _json_object(body)
                result = await self._action(path, args)
        except ActionError as err:
            await _json(send, err.status, {"error": err.message})
            return
        log.info("web console: %s %s done", method, path)
        await _json(send, 200, result)

    async def _action(self, path: str, args: dict[str, Any]) -> dict[str, Any]:
        hub = self.hub
        if path == "/api/faults":
            return hub.add_fault(args)
        expected = {"/api/advance": {"seconds"}, "/api/offer": {"group", "talk", "patience", "ani", "dnis", "uui"},
                    "/api/session-state": {"session", "state", "next_state"}}[path]
        unknown = set(args) - expected
        if unknown:
            raise ActionError(400, f"unknown keys for {path}: {', '.join(sorted(unknown))} "
                                   f"(it takes {', '.join(sorted(expected))})")
        if path == "/api/advance":
            return await hub.advance(args.get("seconds"))
        if path == "/api/offer":
            return hub.offer(args.get("group"), args.get("talk"), args.get("patience"), args.get("ani"),
                             args.get("dnis"), args.get("uui"))
        return hub.set_session_state(args.get("session"), args.get("state"), args.get("next_state"))


async def _read_body(receive: Receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ActionError(400, "the client went away before sending the whole body")
        body += message.get("body", b"")
        if len(body) > MAX_BODY:
            raise ActionError(413, f"a control action's body is at most {MAX_BODY} bytes")
        if not message.get("more_body", False):
            return body


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ActionError(400, f"the body is not JSON: {err}") from None
    if not isinstance(value, dict):
        raise ActionError(400, f"the body must be a JSON object, got {type(value).__name__}")
    return value


def _event(data: bytes) -> bytes:
    return b"event: state\ndata: " + data + b"\n\n"


async def _json(send: Send, status: int, value: Any, extra: list[tuple[bytes, bytes]] = ()) -> None:  # type: ignore[assignment]
    await _json_bytes(send, status, json.dumps(value, separators=(",", ":")).encode(), extra)


async def _json_bytes(send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] = ()) -> None:  # type: ignore[assignment]
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"), *_SECURITY_HEADERS, *extra]})
    await send({"type": "http.response.body", "body": body})


async def _not_allowed(send: Send, method: str, path: str, allow: str) -> None:
    await _json(send, 405, {"error": f"{method} is not allowed on {path} (allowed: {allow})"},
                [(b"allow", allow.encode())])
