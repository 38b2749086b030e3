"""A call alone on its connection reads its own answer (``ClientConnection._read_own``): no reader task is
woken between the answer and the caller. The path is counted (``caller_reads``), gives what the reader
task's path gives, and ends as that path does - on the deadline, on ``aclose`` and on the server's close -
with the events it reads delivered to the listeners."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import trio
import trio.testing

import client
from client.connection import ClientConnection
from protocol import AgentSessionStatusEvent
from protocol.constants import AgentSessionStatus, ReqFunc
from test_client_support import GROUP, Disconnect, Drop, FakeServer, Reply, fake_pair


class Env:
    def __init__(self, tapi: client.Tapi, fake: FakeServer, line: client.Line, session: Any) -> None:
        self.tapi, self.fake, self.line, self.session = tapi, fake, line, session
        self.conn: ClientConnection = tapi.connection


@pytest.fixture
async def env(nursery: trio.Nursery) -> AsyncIterator[Env]:
    stream, fake = fake_pair()
    nursery.start_soon(fake.run)
    async with client.connect_stream(stream) as tapi:
        line = await tapi.open_line(0)
        agent = await line.create_agent("1001", pin="1234")
        yield Env(tapi, fake, line, await agent.CreateSession(GROUP))


async def _talk_times(env: Env, n: int) -> list[int]:
    return [await env.session.get_TotalTalkTime() for _ in range(n)]


async def test_sequential_calls_read_their_own_answers(env: Env) -> None:
    before = env.conn.caller_reads
    got = await _talk_times(env, 50)
    assert got == [2 * env.session.handle] * 50
    # every call but the first one or two after the reader held the socket; the fake server writes the
    # RESPONSE and the LINE_REPLY separately, so a call reads once or twice
    assert env.conn.caller_reads - before >= 45
    assert env.conn.pending_requests == 0


async def test_without_the_path_the_reader_gives_the_same(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    async def never(self: ClientConnection, pending: Any, deadline: float) -> None:
        return None

    monkeypatch.setattr(ClientConnection, "_read_own", never)
    before = env.conn.caller_reads
    assert await _talk_times(env, 20) == [2 * env.session.handle] * 20
    assert env.conn.caller_reads == before  # the counter counts only that path


async def test_events_read_by_a_caller_reach_the_listeners(env: Env, autojump_clock: trio.testing.MockClock) -> None:
    await _talk_times(env, 3)  # now the caller reads
    seen: list[Any] = []
    env.conn.add_listener(seen.append)
    env.fake.script[ReqFunc.GETAGENTSESSIONINFO] = lambda body: Reply(delay=2.0)
    before = env.conn.caller_reads

    async def event_meanwhile() -> None:
        await trio.sleep(1.0)
        await env.fake.status_event(env.session.handle, AgentSessionStatus.STATE, 3)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(event_meanwhile)
        assert await env.session.get_TotalTalkTime() == 2 * env.session.handle
    assert env.conn.caller_reads - before >= 2  # the event and the answer, both read by the caller
    assert [type(r) for r in seen] == [AgentSessionStatusEvent]
    assert seen[0].hagent_session == env.session.handle


async def test_aclose_ends_a_caller_reading_its_own_answer(env: Env, autojump_clock: trio.testing.MockClock) -> None:
    start = trio.current_time()
    before = env.conn.caller_reads
    failed: list[BaseException] = []
    marks: list[int] = []

    async def getter() -> None:
        await _talk_times(env, 3)  # in the getter's task: its next call reads its own answer
        marks.append(env.conn.caller_reads)
        env.fake.script[ReqFunc.GETAGENTSESSIONINFO] = lambda body: Drop()
        try:
            await env.session.get_TotalTalkTime()
        except client.TapiError as exc:
            failed.append(exc)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(getter)
        await trio.sleep(5.0)
        assert env.conn.caller_reads > marks[0] >= before + 3  # the getter read its RESPONSE and reads on
        assert env.conn.pending_requests == 1
        await env.conn.aclose()
    assert [type(e) for e in failed] == [client.ConnectionLostError]
    assert trio.current_time() - start == pytest.approx(5.0)  # at once, not at the two-minute deadline


async def test_the_server_closing_ends_a_caller_reading_and_the_connection(
    env: Env, autojump_clock: trio.testing.MockClock
) -> None:
    await _talk_times(env, 3)
    env.fake.script[ReqFunc.GETAGENTSESSIONINFO] = lambda body: Disconnect()
    before = env.conn.caller_reads
    with pytest.raises(client.ConnectionLostError):
        await env.session.get_TotalTalkTime()
    assert env.conn.caller_reads > before
    with trio.fail_after(5):
        reason = await env.conn.wait_closed()  # the reader task ended the connection's tasks too
    assert "closed" in str(reason)


async def test_a_call_without_deadline_reading_its_answer_is_cancelled_by_its_caller(
    env: Env, autojump_clock: trio.testing.MockClock
) -> None:
    """The Line API's calls have no deadline by default: the caller reading its own answer has no scope of
    its own then, and its caller's cancel scope still ends the read, leaving nothing behind."""
    handle = env.session.handle
    info = await env.line.get_agent_session_info(handle)
    env.fake.script[ReqFunc.GETAGENTSESSIONINFO] = lambda body: Drop()
    before = env.conn.caller_reads
    start = trio.current_time()
    with trio.move_on_after(7.0) as scope:
        await env.line.get_agent_session_info(handle)
    assert scope.cancelled_caught and trio.current_time() - start == pytest.approx(7.0)
    assert env.conn.caller_reads > before  # it was reading (its RESPONSE at least)
    assert env.conn.pending_requests == 0
    del env.fake.script[ReqFunc.GETAGENTSESSIONINFO]
    assert await env.line.get_agent_session_info(handle) == info  # and the connection reads on
