"""A small scriptable fake TAPI server over trio memory streams, for the client's unit tests.

It speaks the real protocol (``protocol.Connection(Role.SERVER)``) but decides every answer from a
script, so tests can put a LINE_REPLY at exactly 119.9 s, drop one, fail one with any LINEERR, or cut the
connection in the middle of a call. The tests in this module check the fake itself.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import trio
import trio.testing

import client
from protocol import (
    AgentSessionInfo,
    AgentSessionStatusEvent,
    AgentSessionList,
    AgentSessionEntry,
    AgentGroupEntry,
    AgentGroupList,
    AgentInfo,
    QueueInfo,
    Connection,
    Events,
    Hello,
    LineReply,
    NEED_DATA,
    CLOSED,
    Request,
    Response,
    Role,
    encode_handle,
    encode_struct,
)
from protocol.constants import AgentSessionState, ReqFunc
from protocol.errors import RemoteProtocolError

GROUP = uuid.UUID("5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b")
START = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.timezone.utc)


@attrs.frozen
class Reply:
    """Answer an async request: LINE_REPLY after ``delay`` seconds with ``error`` or the data."""

    delay: float = 0.0
    error: int = 0
    data: bytes | None = None  # None: the fake's default data for the request


@attrs.frozen
class SyncError:
    """Answer with a LINEERR in the RESPONSE."""

    error: int


@attrs.frozen
class Drop:
    """Send the RESPONSE with a request ID, never the LINE_REPLY."""


@attrs.frozen
class Disconnect:
    """Close the connection instead of answering."""


@attrs.frozen
class NoResponse:
    """Never send the RESPONSE (nor the LINE_REPLY)."""


def session_info(handle: int, **overrides: Any) -> AgentSessionInfo:
    """A distinctive LINEAGENTSESSIONINFO for session ``handle`` (every field derived from it)."""
    fields: dict[str, Any] = dict(
        state=AgentSessionState.READY,
        next_state=0,
        session_start_time=START + dt.timedelta(seconds=handle),
        session_duration=1000 + handle,
        number_of_calls=handle % 50,
        total_talk_time=2 * handle,
        average_talk_time=3 * handle,
        total_call_time=4 * handle,
        average_call_time=5 * handle,
        total_wrap_up_time=6 * handle,
        average_wrap_up_time=7 * handle,
        acd_call_rate=Decimal(handle).scaleb(-4) + Decimal("1.5000"),
        longest_time_to_answer=8 * handle,
        average_time_to_answer=9 * handle,
    )
    fields.update(overrides)
    return AgentSessionInfo(**fields)


class FakeServer:
    """Answers requests from ``self.script[req_func]`` (a callable body -> action), or by default.

    Defaults: Initialize/Negotiate/Open succeed; CreateAgent gives hAgent 500 + n, CreateAgentSession
    gives hAgentSession 1000 + n; GetAgentSessionInfo gives :func:`session_info` of the handle;
    GetAgentSessionList lists ``self.sessions`` of the agent; every async reply comes at once.
    """

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self.proto = Connection(Role.SERVER)
        self.script: dict[int, Callable[[Any], Any]] = {}
        self.requests: list[Any] = []
        self.sessions: dict[int, list[int]] = {}  # hAgent -> [hAgentSession]
        self.infos: dict[int, AgentSessionInfo] = {}
        self.groups = [AgentGroupEntry(GROUP, "Sales")]
        self._ids = itertools.count(1)
        self._handles = itertools.count(1)
        self._send_lock = trio.Lock()
        self.closed = trio.Event()
        self.remote_line = 0
        self.init_context = 0

    async def _send(self, frame: Any) -> None:
        async with self._send_lock:
            if self.proto.closed:
                return
            try:
                await self.stream.send_all(self.proto.send(frame))
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                pass

    async def send_event(self, record: Any) -> None:
        await self._send(Events((record,)))

    async def status_event(self, handle: int, status: int, state: int = 0) -> None:
        await self.send_event(
            AgentSessionStatusEvent(
                init_context=self.init_context, hdevice=self.remote_line, hagent_session=handle,
                status=status, state=state,
            )
        )

    async def close(self) -> None:
        await self.stream.aclose()
        self.closed.set()

    async def run(self) -> None:
        async with trio.open_nursery() as nursery:
            try:
                while True:
                    data = await self.stream.receive_some(65536)
                    self.proto.receive_data(data)
                    while True:
                        frame = self.proto.next_event()
                        if frame is NEED_DATA:
                            break
                        if frame is CLOSED:
                            return
                        if isinstance(frame, Hello):
                            await self._send(Hello(product="fake"))
                        elif isinstance(frame, Request):
                            await self._request(frame, nursery)
                    if not data:
                        return
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                return
            except RemoteProtocolError as exc:
                await self._send(exc.to_frame())
                return
            finally:
                nursery.cancel_scope.cancel()
                with trio.CancelScope(shield=True):
                    await self.stream.aclose()
                self.closed.set()

    def _default(self, body: Any) -> Any:
        return Reply()

    def _sync_answer(self, body: Any) -> Any:
        func = int(body.REQ_FUNC)
        if func == ReqFunc.INITIALIZE:
            self.init_context = body.init_context
            return attrs.evolve(body, h_line_app=77, num_devs=4)
        if func == ReqFunc.NEGOTIATEAPIVERSION:
            return attrs.evolve(body, api_version=body.api_high_version)
        if func == ReqFunc.OPEN:
            self.remote_line = body.h_remote_line
            return attrs.evolve(body, h_line=300 + body.device_id)
        return body

    def _data(self, body: Any) -> bytes:
        func = int(body.REQ_FUNC)
        if func == ReqFunc.CREATEAGENT:
            return encode_handle(500 + next(self._handles))
        if func == ReqFunc.CREATEAGENTSESSION:
            handle = 1000 + next(self._handles)
            self.sessions.setdefault(body.h_agent, []).append(handle)
            return encode_handle(handle)
        if func == ReqFunc.GETAGENTSESSIONINFO:
            info = self.infos.get(body.h_agent_session) or session_info(body.h_agent_session)
            return encode_struct(attrs.evolve(info, total_size=body.agent_session_info_size))
        if func == ReqFunc.GETAGENTSESSIONLIST:
            entries = [AgentSessionEntry(h, body.h_agent, GROUP, 0) for h in self.sessions.get(body.h_agent, [])]
            return encode_struct(AgentSessionList.build(entries, body.session_list_size))
        if func == ReqFunc.GETGROUPLIST:
            return encode_struct(AgentGroupList.build(self.groups, body.group_list_size))
        if func == ReqFunc.GETAGENTINFO:
            return encode_struct(AgentInfo(total_size=body.agent_info_size, number_of_acd_calls=body.h_agent,
                                           overall_call_rate=Decimal("12.5000")))
        if func == ReqFunc.GETQUEUEINFO:
            return encode_struct(QueueInfo(total_size=body.queue_info_size, current_calls_queued=body.queue_id))
        return b""

    async def _request(self, frame: Request, nursery: trio.Nursery) -> None:
        body = frame.body
        self.requests.append(body)
        func = int(body.REQ_FUNC)
        action = self.script.get(func, self._default)(body)
        if isinstance(action, Disconnect):
            await self.close()
            return
        if isinstance(action, NoResponse):
            return
        if isinstance(action, SyncError):
            await self._send(Response(frame.sequence, action.error, body))
            return
        if not body.ASYNC:
            await self._send(Response(frame.sequence, 0, self._sync_answer(body)))
            return
        request_id = next(self._ids)
        await self._send(Response(frame.sequence, request_id, body))
        if isinstance(action, Drop):
            return
        assert isinstance(action, Reply)
        data = b"" if action.error else (action.data if action.data is not None else self._data(body))
        reply = LineReply(
            init_context=self.init_context,
            context=getattr(body, "context", 0),
            hdevice=self.remote_line,
            request_id=request_id,
            result=action.error,
            struct_context=getattr(body, "struct_context", 0),
            data=data,
        )
        if action.delay:
            async def later() -> None:
                await trio.sleep(action.delay)
                await self.send_event(reply)

            nursery.start_soon(later)
        else:
            await self.send_event(reply)


def fake_pair() -> tuple[trio.abc.Stream, FakeServer]:
    """A client-side stream and a FakeServer on the other end of an in-memory stream pair."""
    client_stream, server_stream = trio.testing.memory_stream_pair()
    return client_stream, FakeServer(server_stream)


async def test_fake_server_answers_hello_and_initialize(nursery: trio.Nursery) -> None:
    stream, fake = fake_pair()
    nursery.start_soon(fake.run)
    async with client.connect_stream(stream) as tapi:
        assert tapi.hline_app == 77
        assert tapi.num_devs == 4
        line = await tapi.open_line(2)
        assert line.hline == 302
        assert tapi.connection.server_hello == Hello(product="fake")
    assert [type(b).__name__ for b in fake.requests][:3] == ["Initialize", "NegotiateAPIVersion", "Open"]
