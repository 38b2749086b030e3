"""ClientConnection edge cases with a hand-driven server end: handshake failures, garbage from the server,
malformed LINE_REPLY data, closing with calls pending, subscriptions ending."""

from __future__ import annotations

import struct
from typing import Any

import pytest
import trio
import trio.testing

import client
from client.connection import ClientConnection
from protocol import Connection, Error, Events, Hello, LineReply, Request, Response, Role, encode
from protocol.constants import ErrorCode, LineErr
from test_client_support import Drop, fake_pair


class RawServer:
    """The server end of a memory stream, driven step by step by the test."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self.proto = Connection(Role.SERVER)

    async def frames(self, n: int = 1) -> list[object]:
        out: list[object] = []
        while len(out) < n:
            from protocol import NEED_DATA

            frame = self.proto.next_event()
            if frame is NEED_DATA:
                self.proto.receive_data(await self.stream.receive_some(65536))
                continue
            out.append(frame)
        return out

    async def send(self, frame: object) -> None:
        await self.stream.send_all(self.proto.send(frame))

    async def handshake(self) -> None:
        await self.frames(1)
        await self.send(Hello(product="raw"))


async def open_raw(nursery: trio.Nursery) -> tuple[ClientConnection, RawServer]:
    """A ClientConnection whose server end the test drives by hand (HELLOs exchanged)."""
    c, s = trio.testing.memory_stream_pair()
    raw = RawServer(s)
    async with trio.open_nursery() as inner:
        inner.start_soon(raw.handshake)
        conn = await ClientConnection.open(nursery, c)
    return conn, raw


async def collect_error(call: Any, errors: list[BaseException]) -> None:
    """Await ``call()``; a TapiError it raises goes to ``errors``."""
    try:
        await call()
    except client.TapiError as exc:
        errors.append(exc)


async def test_server_speaking_another_major_version_is_refused(nursery: trio.Nursery) -> None:
    c, s = trio.testing.memory_stream_pair()

    async def server() -> None:
        await s.receive_some(65536)
        await s.send_all(encode(Hello(major=2, product="future")))

    nursery.start_soon(server)
    with pytest.raises(client.ConnectionLostError) as info:
        async with client.connect_stream(c):
            pass
    assert info.value.error_code == ErrorCode.UNSUPPORTED_VERSION


async def test_server_closing_before_hello(nursery: trio.Nursery) -> None:
    c, s = trio.testing.memory_stream_pair()

    async def server() -> None:
        await s.receive_some(65536)
        await s.aclose()

    nursery.start_soon(server)
    with pytest.raises(client.ConnectionLostError):
        async with client.connect_stream(c):
            pass


async def test_garbage_from_server_fails_pending_calls_and_is_answered_with_error(nursery: trio.Nursery) -> None:
    conn, raw = await open_raw(nursery)
    from protocol import Initialize

    result: list[BaseException] = []
    async with trio.open_nursery() as inner:
        inner.start_soon(collect_error, lambda: conn.request(Initialize()), result)
        await raw.frames(1)
        await raw.stream.send_all(struct.pack("<IHHI", 4, 2, 0, 1))  # length 4 < 8: malformed
        answer = await raw.stream.receive_some(65536)
    assert isinstance(result[0], client.ConnectionLostError)
    assert result[0].error_code == ErrorCode.MALFORMED
    assert answer[4:6] == struct.pack("<H", 4)  # the client answered with an ERROR frame
    assert conn.closed and conn.pending_requests == 0


async def test_malformed_line_reply_structure_closes_the_connection(nursery: trio.Nursery) -> None:
    conn, raw = await open_raw(nursery)
    from protocol import GetAgentSessionInfo

    result: list[BaseException] = []
    async with trio.open_nursery() as inner:
        inner.start_soon(collect_error, lambda: conn.call(GetAgentSessionInfo(h_line=1, h_agent_session=2)), result)
        (req,) = await raw.frames(1)
        assert isinstance(req, Request)
        await raw.send(Response(req.sequence, 9, req.body))
        await raw.send(Events((LineReply(request_id=9, data=b"\x01" * 12),)))  # 12 bytes, not 76
    assert isinstance(result[0], client.ConnectionLostError)
    assert result[0].error_code == ErrorCode.MALFORMED
    assert "LINEAGENTSESSIONINFO" in str(result[0])


async def test_async_call_answered_without_a_request_id_is_e_unexpected(nursery: trio.Nursery) -> None:
    conn, raw = await open_raw(nursery)
    from protocol import GetAgentSessionInfo

    result: list[BaseException] = []
    async with trio.open_nursery() as inner:
        inner.start_soon(collect_error, lambda: conn.call(GetAgentSessionInfo(h_line=1, h_agent_session=2)), result)
        (req,) = await raw.frames(1)
        await raw.send(Response(req.sequence, 0, req.body))  # 0: success, but no request ID
    assert result[0].hresult == client.HResult.E_UNEXPECTED
    assert "not a request ID" in str(result[0])
    assert conn.pending_requests == 0 and not conn.closed


async def test_aclose_fails_pending_calls_and_ends_subscriptions_quietly(nursery: trio.Nursery) -> None:
    stream, fake = fake_pair()
    nursery.start_soon(fake.run)
    from protocol.constants import ReqFunc

    errors: list[BaseException] = []
    async with client.connect_stream(stream) as tapi:
        line = await tapi.open_line(0)
        fake.script[ReqFunc.GETQUEUEINFO] = lambda body: Drop()
        events = tapi.events()

        async def call() -> None:
            try:
                await line.get_queue_info(1)
            except client.TapiError as exc:
                errors.append(exc)

        async with trio.open_nursery() as inner:
            inner.start_soon(call)
            await trio.testing.wait_all_tasks_blocked()
            await tapi.connection.aclose()
        assert [e async for e in events] == []
    assert isinstance(errors[0], client.ConnectionLostError)
    assert "closed by the client" in str(errors[0])


async def test_error_frame_text_and_code_reach_the_caller(nursery: trio.Nursery) -> None:
    conn, raw = await open_raw(nursery)
    await raw.send(Error(ErrorCode.FRAME_TOO_LARGE, "frame of 999999 bytes"))
    reason = await conn.wait_closed()
    assert reason.error_code == ErrorCode.FRAME_TOO_LARGE
    assert "999999" in str(reason)
    from protocol import Initialize

    with pytest.raises(client.ConnectionLostError):
        await conn.request(Initialize())


async def test_sync_lineerr_of_a_sync_function(nursery: trio.Nursery) -> None:
    stream, fake = fake_pair()
    nursery.start_soon(fake.run)
    from protocol.constants import ReqFunc
    from test_client_support import SyncError

    fake.script[ReqFunc.OPEN] = lambda body: SyncError(LineErr.BADDEVICEID)
    async with client.connect_stream(stream) as tapi:
        with pytest.raises(client.LineError) as info:
            await tapi.open_line(9)
        assert info.value.lineerr == LineErr.BADDEVICEID
