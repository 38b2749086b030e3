"""A tiny wire-level test client for the server tests (built on the sans-I/O protocol.Connection).

It records everything the server sends, in arrival order, in ``log``: ``("response", Response)`` and
``("record", record)`` entries, so tests can assert ordering (RESPONSE before its LINE_REPLY) as well as
content. Not a product API: the client library lives in ``client/``.
"""

from __future__ import annotations

import uuid
from typing import Any, Callable

import trio

from protocol import messages as m
from protocol.connection import CLOSED, NEED_DATA, Connection, Role
from protocol.constants import ApiVersion, LineMsg
from protocol.errors import RemoteProtocolError


class Closed(Exception):
    """The server closed the connection (``error`` is the ERROR frame if one came)."""


class WireClient:
    def __init__(self, stream: trio.abc.Stream, name: str = "test") -> None:
        self.stream = stream
        self.name = name
        self.proto = Connection(Role.CLIENT)
        self.log: list[tuple[str, Any]] = []
        self.error: m.Error | None = None
        self.closed = False
        self.server_hello: m.Hello | None = None
        self._changed = trio.Event()
        self.init_context = 0x11
        self.happ = 0

    # --- plumbing ------------------------------------------------------------------------------------

    async def send_raw(self, data: bytes) -> None:
        await self.stream.send_all(data)

    async def send(self, frame: Any) -> None:
        await self.stream.send_all(self.proto.send(frame))

    async def reader(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        try:
            while True:
                try:
                    data = await self.stream.receive_some(65536)
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    data = b""
                self.proto.receive_data(data)
                while True:
                    ev = self.proto.next_event()
                    if ev is NEED_DATA:
                        break
                    if ev is CLOSED:
                        return
                    if isinstance(ev, m.Hello):
                        self.server_hello = ev
                    elif isinstance(ev, m.Response):
                        self.log.append(("response", ev))
                    elif isinstance(ev, m.Events):
                        self.log.extend(("record", r) for r in ev.records)
                    elif isinstance(ev, m.Error):
                        self.error = ev
                    self._notify()
        except RemoteProtocolError as exc:  # the test client should never see one
            self.log.append(("protocol-error", exc))
        finally:
            self.closed = True
            self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = trio.Event()

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until ``predicate()`` returns something other than None (Closed if the server hangs up,
        trio.TooSlowError after ``timeout`` seconds of trio time so that a broken server fails the test
        instead of hanging it)."""
        with trio.fail_after(timeout):
            while True:
                changed = self._changed
                value = predicate()
                if value is not None:
                    return value
                if self.closed:
                    raise Closed(self.error)
                await changed.wait()

    async def wait_closed(self, timeout: float = 60.0) -> m.Error | None:
        await self.wait_for(lambda: True if self.closed else None, timeout)
        return self.error

    # --- requests ------------------------------------------------------------------------------------

    async def hello(self) -> m.Hello:
        await self.send(m.Hello(product=self.name))
        return await self.wait_for(lambda: self.server_hello)

    async def request(self, body: Any) -> m.Response:
        seq = self.proto.next_sequence()
        await self.send(m.Request(seq, body))
        return await self.wait_for(lambda: self.response(seq))

    def response(self, seq: int) -> m.Response | None:
        for kind, item in self.log:
            if kind == "response" and item.sequence == seq:
                return item
        return None

    def reply(self, request_id: int) -> m.LineReply | None:
        for kind, item in self.log:
            if kind == "record" and isinstance(item, m.LineReply) and item.request_id == request_id:
                return item
        return None

    def position(self, predicate: Callable[[str, Any], bool]) -> int:
        return next(i for i, (k, x) in enumerate(self.log) if predicate(k, x))

    async def call(self, body: Any) -> tuple[m.Response, m.LineReply | None]:
        """An async request: its RESPONSE and (if the RESPONSE carries a request ID) its LINE_REPLY."""
        resp = await self.request(body)
        if not 1 <= resp.result <= 0x7FFFFFFF:
            return resp, None
        reply = await self.wait_for(lambda: self.reply(resp.result))
        return resp, reply

    async def value(self, body: Any) -> Any:
        """An async request that must succeed: the decoded LINE_REPLY value."""
        resp, reply = await self.call(body)
        assert reply is not None, f"{type(body).__name__} failed synchronously: {resp.result:#x}"
        assert reply.result == 0, f"{type(body).__name__} failed: {reply.result:#x}"
        return reply.value

    def session_events(self, hsession: int | None = None) -> list[m.AgentSessionStatusEvent]:
        return [
            x for k, x in self.log
            if k == "record" and isinstance(x, m.AgentSessionStatusEvent)
            and (hsession is None or x.hagent_session == hsession)
        ]

    # --- conveniences ----------------------------------------------------------------------------------

    async def initialize(self) -> int:
        resp = await self.request(m.Initialize(init_context=self.init_context, friendly_name=self.name))
        assert resp.result == 0, hex(resp.result)
        self.happ = resp.body.h_line_app
        return self.happ

    async def open_line(self, device: int = 0, *, hremote: int | None = None, open_context: int = 0x22,
                        version: int = ApiVersion.V3_0) -> int:
        if not self.happ:
            await self.initialize()
        resp = await self.request(m.Open(h_line_app=self.happ, device_id=device, api_version=version,
                                         open_context=open_context,
                                         h_remote_line=hremote if hremote is not None else 0x1000 + device))
        assert resp.result == 0, hex(resp.result)
        return resp.body.h_line

    async def create_agent(self, hline: int, agent_id: str, pin: str | None = None) -> int:
        return await self.value(m.CreateAgent(h_line=hline, agent_id=agent_id, pin=pin))

    async def create_session(self, hline: int, hagent: int, group: uuid.UUID, pin: str | None = None) -> int:
        return await self.value(m.CreateAgentSession(h_line=hline, h_agent=hagent, group_id=group, pin=pin))

    async def set_state(self, hline: int, hsession: int, state: int, next_state: int = 0) -> m.Response:
        resp, reply = await self.call(m.SetAgentSessionState(
            h_line=hline, h_agent_session=hsession, agent_session_state=state, next_agent_session_state=next_state))
        if reply is not None:
            assert reply.result == 0, hex(reply.result)
        return resp

    async def session_info(self, hline: int, hsession: int, size: int = 76) -> Any:
        return await self.value(m.GetAgentSessionInfo(h_line=hline, h_agent_session=hsession,
                                                       agent_session_info_size=size))

    async def advance(self, seconds: int, milliseconds: int = 0) -> m.Response:
        resp = await self.request(m.EmuAdvanceClock(seconds=seconds, milliseconds=milliseconds))
        assert resp.result == 0, hex(resp.result)
        return resp

    async def offer_call(self, group: uuid.UUID, talk: int) -> int:
        resp = await self.request(m.EmuOfferCall(group_id=group, talk_seconds=talk))
        assert resp.result == 0, hex(resp.result)
        return resp.body.call_id


def is_reply(x: Any) -> bool:
    return isinstance(x, m.LineReply) or getattr(x, "msg", None) == LineMsg.REPLY


from contextlib import asynccontextmanager  # noqa: E402
from typing import AsyncIterator  # noqa: E402


@asynccontextmanager
async def wire_client(emu: Any, name: str = "test", *, tcp: bool = False) -> AsyncIterator[WireClient]:
    """A connected, HELLO'd WireClient on an embedded emulator (memory stream unless ``tcp``)."""
    stream = await (emu.connect() if tcp else emu.connect_memory())
    client = WireClient(stream, name)
    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(client.reader)
            await client.hello()
            try:
                yield client
            finally:
                # Only cancel here: an await in this finally would raise Cancelled and hide the
                # test's own exception.
                nursery.cancel_scope.cancel()
    finally:
        with trio.CancelScope(shield=True):
            await trio.aclose_forcefully(stream)
