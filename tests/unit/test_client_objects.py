"""ITAgent / ITAgentSession against the scripted fake server: the two-minute timeout, late replies,
disconnects, 1,000 concurrent getters, every LINEERR path, put_State, cached mode and session events."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import attrs
import pytest
import trio

import client
from client import TAPI_E_TIMEOUT, HResult, LineErr
from client.objects import REQUEST_TIMEOUT, SESSION_STATISTICS
from protocol.constants import (
    TAPI3_REQUEST_TIMEOUT,
    AgentSessionEvent,
    AgentSessionState,
    AgentSessionStateASST,
    AgentSessionStatus,
    ReqFunc,
)
from test_client_support import GROUP, Disconnect, Drop, FakeServer, Reply, SyncError, fake_pair, session_info


@attrs.define
class Env:
    tapi: client.Tapi
    fake: FakeServer
    line: client.Line
    agent: client.ITAgent
    session: client.ITAgentSession


async def _env(nursery: trio.Nursery, **connect_kw: object) -> AsyncIterator[Env]:
    stream, fake = fake_pair()
    nursery.start_soon(fake.run)
    async with client.connect_stream(stream, **connect_kw) as tapi:  # type: ignore[arg-type]
        line = await tapi.open_line(0)
        agent = await line.create_agent("1001", pin="1234")
        session = await agent.CreateSession(GROUP)
        yield Env(tapi, fake, line, agent, session)


@pytest.fixture
async def env(nursery: trio.Nursery) -> AsyncIterator[Env]:
    async for e in _env(nursery):
        yield e


@pytest.fixture
async def cached_env(nursery: trio.Nursery) -> AsyncIterator[Env]:
    async for e in _env(nursery, cached=True):
        yield e


def test_timeout_constant_is_tapi3s_two_minutes() -> None:
    assert REQUEST_TIMEOUT == TAPI3_REQUEST_TIMEOUT == 120.0
    assert client.TAPI_E_TIMEOUT == 0x80040044


# --- the 120 s deadline ---------------------------------------------------------------------------------


async def test_getter_times_out_at_exactly_120_s(env: Env, autojump_clock: trio.testing.MockClock) -> None:
    env.fake.script[ReqFunc.GETAGENTSESSIONINFO] = lambda body: Drop()
    start = trio.current_time()
    with pytest.raises(client.TapiError) as info:
        await env.session.get_TotalTalkTime()
    assert info.value.hresult == TAPI_E_TIMEOUT
    assert isinstance(info.value, client.TapiTimeoutError)
    assert trio.current_time() - start == pytest.approx(120.0)
    assert env.tapi.connection.pending_requests == 0


async def test_reply_at_119_9_s_succeeds(env: Env, autojump_clock: trio.testing.MockClock) -> None:
    env.fake.script[ReqFunc.GETAGENTSESSIONINFO] = lambda body: Reply(delay=119.9)
    start = trio.current_time()
    assert await env.session.get_TotalTalkTime() == 2 * env.session.handle
    assert trio.current_time() - start == pytest.approx(119.9)


async def test_put_state_times_out_too(env: Env, autojump_clock: trio.testing.MockClock) -> None:
    env.fake.script[ReqFunc.SETAGENTSESSIONSTATE] = lambda body: Reply(delay=500)
    start = trio.current_time()
    with pytest.raises(client.TapiTimeoutError) as info:
        await env.session.put_State(AgentSessionStateASST.READY)
    assert info.value.hresult == TAPI_E_TIMEOUT
    assert trio.current_time() - start == pytest.approx(120.0)


async def test_deadline_covers_a_slow_response_as_well(env: Env, autojump_clock: trio.testing.MockClock) -> None:
    from test_client_support import NoResponse

    env.fake.script[ReqFunc.GETAGENTSESSIONINFO] = lambda body: NoResponse()
    start = trio.current_time()
    with pytest.raises(client.TapiTimeoutError):
        await env.session.get_NumberOfCalls()
    assert trio.current_time() - start == pytest.approx(120.0)
    assert env.tapi.connection.pending_requests == 0


async def test_late_reply_is_dropped_quietly(env: Env, autojump_clock: trio.testing.MockClock) -> None:
    late = session_info(env.session.handle, total_talk_time=99999)
    env.fake.script[ReqFunc.GETAGENTSESSIONINFO] = lambda body: Reply(delay=130, data=late.to_bytes())
    with pytest.raises(client.TapiTimeoutError):
        await env.session.get_TotalTalkTime()
    assert env.tapi.connection.pending_requests == 0
    await trio.sleep(20)  # the late LINE_REPLY arrives at 130 s
    assert env.tapi.connection.late_frames == 1
    assert env.tapi.connection.pending_requests == 0
    assert not env.tapi.connection.closed
    del env.fake.script[ReqFunc.GETAGENTSESSIONINFO]
    assert await env.session.get_TotalTalkTime() == 2 * env.session.handle  # its own answer, not the late one


async def test_shorter_deadline_only_through_connect_parameter(
    nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    async for e in _env(nursery, request_timeout=5):
        e.fake.script[ReqFunc.GETAGENTSESSIONINFO] = lambda body: Drop()
        start = trio.current_time()
        with pytest.raises(client.TapiTimeoutError) as info:
            await e.session.get_SessionDuration()
        assert trio.current_time() - start == pytest.approx(5.0)
        assert info.value.seconds == 5


async def test_request_timeout_must_be_positive(nursery: trio.Nursery) -> None:
    with pytest.raises(client.TapiError) as info:
        async for _ in _env(nursery, request_timeout=0):
            pass
    assert info.value.hresult == HResult.E_INVALIDARG


# --- disconnects ------------------------------------------------------------------------------------------


async def test_disconnect_mid_call_fails_every_pending_call_at_once(
    env: Env, autojump_clock: trio.testing.MockClock
) -> None:
    env.fake.script[ReqFunc.GETAGENTSESSIONINFO] = lambda body: Drop()
    errors: list[BaseException] = []
    sessions = [client.ITAgentSession(env.line, 2000 + i) for i in range(10)]

    async def call(s: client.ITAgentSession) -> None:
        try:
            await s.get_TotalTalkTime()
        except client.TapiError as exc:
            errors.append(exc)

    async with trio.open_nursery() as n:
        for s in sessions:
            n.start_soon(call, s)
        await trio.sleep(1)
        assert env.tapi.connection.pending_requests == 10
        start = trio.current_time()
        await env.fake.close()
    assert trio.current_time() - start == pytest.approx(0.0)
    assert len(errors) == 10
    assert all(isinstance(e, client.ConnectionLostError) for e in errors)
    assert env.tapi.connection.pending_requests == 0
    with pytest.raises(client.ConnectionLostError):
        await env.session.get_TotalTalkTime()


async def test_server_closing_instead_of_responding(env: Env) -> None:
    env.fake.script[ReqFunc.GETAGENTSESSIONINFO] = lambda body: Disconnect()
    with pytest.raises(client.ConnectionLostError) as info:
        await env.session.get_AverageTalkTime()
    assert "closed" in str(info.value)
    assert info.value.hresult == HResult.E_UNEXPECTED


async def test_error_frame_from_server_ends_the_connection(env: Env) -> None:
    from protocol import Error
    from protocol.constants import ErrorCode

    env.fake.script[ReqFunc.GETAGENTSESSIONINFO] = lambda body: Drop()
    async with trio.open_nursery() as n:
        result: list[BaseException] = []

        async def call() -> None:
            try:
                await env.session.get_TotalTalkTime()
            except client.TapiError as exc:
                result.append(exc)

        n.start_soon(call)
        await trio.testing.wait_all_tasks_blocked()
        await env.fake._send(Error(ErrorCode.IDLE_TIMEOUT, "idle too long"))
    assert isinstance(result[0], client.ConnectionLostError)
    assert result[0].error_code == ErrorCode.IDLE_TIMEOUT
    assert "idle too long" in str(result[0])


# --- concurrency ------------------------------------------------------------------------------------------


async def test_1000_concurrent_getters_each_get_their_own_answer(
    env: Env, autojump_clock: trio.testing.MockClock
) -> None:
    rng = random.Random(4)
    env.fake.script[ReqFunc.GETAGENTSESSIONINFO] = lambda body: Reply(delay=rng.random() * 10)
    sessions = [client.ITAgentSession(env.line, 10_000 + i) for i in range(1000)]
    answers: dict[int, tuple[int, int]] = {}

    async def ask(s: client.ITAgentSession) -> None:
        answers[s.handle] = (await s.get_TotalTalkTime(), await s.get_AverageTimeToAnswer())

    async with trio.open_nursery() as n:
        for s in sessions:
            n.start_soon(ask, s)
    assert answers == {s.handle: (2 * s.handle, 9 * s.handle) for s in sessions}
    assert env.tapi.connection.pending_requests == 0


# --- every getter maps its field --------------------------------------------------------------------------


async def test_every_session_getter_returns_its_field(env: Env) -> None:
    expected = session_info(env.session.handle)
    for method, field in SESSION_STATISTICS:
        assert await getattr(env.session, method)() == getattr(expected, field), method
    assert (await env.session.get_SessionStartTime()).tzinfo is not None
    assert str(await env.session.get_ACDCallRate()) == str(expected.acd_call_rate)
    assert await env.session.get_State() == AgentSessionStateASST.READY
    assert await env.session.get_Agent() is env.agent
    assert (await env.session.get_ACDGroup()).group_id == GROUP
    assert await (await env.session.get_ACDGroup()).get_Name() == "Sales"
    assert (await env.session.get_Address()).address_id == 0


@pytest.mark.parametrize(
    ("line_state", "asst"),
    [
        (AgentSessionState.NOTREADY, AgentSessionStateASST.NOT_READY),
        (AgentSessionState.READY, AgentSessionStateASST.READY),
        (AgentSessionState.BUSYONCALL, AgentSessionStateASST.BUSY_ON_CALL),
        (AgentSessionState.BUSYWRAPUP, AgentSessionStateASST.BUSY_WRAPUP),
        (AgentSessionState.ENDED, AgentSessionStateASST.SESSION_ENDED),
    ],
)
async def test_get_state_maps_line_states(env: Env, line_state: int, asst: int) -> None:
    env.fake.infos[env.session.handle] = session_info(env.session.handle, state=line_state)
    assert await env.session.get_State() == asst


async def test_unknown_state_value_is_e_unexpected(env: Env) -> None:
    env.fake.infos[env.session.handle] = session_info(env.session.handle, state=0x400)
    with pytest.raises(client.TapiError) as info:
        await env.session.get_State()
    assert info.value.hresult == HResult.E_UNEXPECTED


async def test_agent_statistics(env: Env) -> None:
    assert await env.agent.get_NumberOfACDCalls() == env.agent.handle
    assert str(await env.agent.get_OverallCallRate()) == "12.5000"
    assert await env.agent.get_ID() == "1001"


# --- put_State --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asst", "line_state"),
    [
        (AgentSessionStateASST.NOT_READY, AgentSessionState.NOTREADY),
        (AgentSessionStateASST.READY, AgentSessionState.READY),
        (AgentSessionStateASST.SESSION_ENDED, AgentSessionState.ENDED),
    ],
)
async def test_put_state_sends_the_line_state(env: Env, asst: int, line_state: int) -> None:
    await env.session.put_State(asst)
    body = env.fake.requests[-1]
    assert body.REQ_FUNC == ReqFunc.SETAGENTSESSIONSTATE
    assert (body.h_agent_session, body.agent_session_state, body.next_agent_session_state) == (
        env.session.handle, line_state, 0,
    )


@pytest.mark.parametrize("bad", [-1, 5, 99, "READY", None])
async def test_put_state_rejects_non_asst_values_without_a_request(env: Env, bad: object) -> None:
    before = len(env.fake.requests)
    with pytest.raises(client.TapiError) as info:
        await env.session.put_State(bad)  # type: ignore[arg-type]
    assert info.value.hresult == HResult.E_INVALIDARG
    assert len(env.fake.requests) == before


# --- LINEERR paths ----------------------------------------------------------------------------------------


def _expected_hresult(err: LineErr) -> int:
    return HResult.E_OUTOFMEMORY if err == LineErr.NOMEM else int(err)


async def test_every_lineerr_in_the_line_reply_raises_with_that_hresult(env: Env) -> None:
    for err in LineErr:
        env.fake.script[ReqFunc.GETAGENTSESSIONINFO] = lambda body, err=err: Reply(error=err)
        with pytest.raises(client.LineError) as info:
            await env.session.get_TotalCallTime()
        assert isinstance(info.value, client.TapiError)
        assert info.value.lineerr == err
        assert info.value.hresult == _expected_hresult(err)
        assert info.value.function == ReqFunc.GETAGENTSESSIONINFO
    assert env.tapi.connection.pending_requests == 0


async def test_every_lineerr_in_the_response_raises_with_that_hresult(env: Env) -> None:
    for err in LineErr:
        env.fake.script[ReqFunc.SETAGENTSESSIONSTATE] = lambda body, err=err: SyncError(err)
        with pytest.raises(client.LineError) as info:
            await env.session.put_State(AgentSessionStateASST.READY)
        assert info.value.lineerr == err
        assert info.value.hresult == _expected_hresult(err)
    assert env.tapi.connection.pending_requests == 0


async def test_unknown_lineerr_reads_as_operationfailed_keeping_the_raw_value(env: Env) -> None:
    env.fake.script[ReqFunc.GETAGENTSESSIONINFO] = lambda body: Reply(error=0x800000FE)
    with pytest.raises(client.LineError) as info:
        await env.session.get_TotalTalkTime()
    assert info.value.lineerr == LineErr.OPERATIONFAILED
    assert info.value.raw == info.value.hresult == 0x800000FE
    assert "0x800000FE" in str(info.value)


LINE_CALLS = {
    ReqFunc.GETAGENTSESSIONINFO: lambda e: e.line.get_agent_session_info(e.session),
    ReqFunc.SETAGENTSESSIONSTATE: lambda e: e.line.set_agent_session_state(e.session, AgentSessionState.READY),
    ReqFunc.CREATEAGENT: lambda e: e.line.create_agent("1002"),
    ReqFunc.CREATEAGENTSESSION: lambda e: e.line.create_agent_session(e.agent, GROUP),
    ReqFunc.GETAGENTINFO: lambda e: e.line.get_agent_info(e.agent),
    ReqFunc.GETAGENTSESSIONLIST: lambda e: e.line.get_agent_session_list(e.agent),
    ReqFunc.GETQUEUEINFO: lambda e: e.line.get_queue_info(1),
    ReqFunc.GETGROUPLIST: lambda e: e.line.get_group_list(),
    ReqFunc.GETQUEUELIST: lambda e: e.line.get_queue_list(GROUP),
}
OBJECT_CALLS = {
    ReqFunc.CREATEAGENTSESSION: lambda e: e.agent.CreateSessionWithPIN(GROUP, 0, "1234"),
    ReqFunc.GETAGENTINFO: lambda e: e.agent.get_TotalACDTalkTime(),
    ReqFunc.GETAGENTSESSIONLIST: lambda e: e.agent.EnumerateAgentSessions(),
    ReqFunc.GETGROUPLIST: lambda e: client.ITACDGroup(GROUP, e.line).get_Name(),
    ReqFunc.GETQUEUELIST: lambda e: client.ITACDGroup(GROUP, e.line).EnumerateQueues(),
}


@pytest.mark.parametrize("mode", ["response", "line_reply"])
@pytest.mark.parametrize("func", list(LINE_CALLS))
async def test_line_api_lineerr_paths(env: Env, func: ReqFunc, mode: str) -> None:
    err = LineErr.INVALAGENTSTATE if func == ReqFunc.SETAGENTSESSIONSTATE else LineErr.RESOURCEUNAVAIL
    env.fake.script[func] = (lambda body: SyncError(err)) if mode == "response" else (lambda body: Reply(error=err))
    with pytest.raises(client.LineError) as info:
        await LINE_CALLS[func](env)
    assert (info.value.lineerr, info.value.function, info.value.hresult) == (err, func, err)


@pytest.mark.parametrize("func", list(OBJECT_CALLS))
async def test_object_lineerr_paths_including_nomem(env: Env, func: ReqFunc) -> None:
    env.fake.script[func] = lambda body: Reply(error=LineErr.NOMEM)
    with pytest.raises(client.TapiError) as info:
        await OBJECT_CALLS[func](env)
    assert info.value.hresult == HResult.E_OUTOFMEMORY
    assert info.value.lineerr == LineErr.NOMEM  # type: ignore[attr-defined]


# --- start_ forms: TAPI's request-ID model ----------------------------------------------------------------


async def test_start_form_hands_back_request_id_then_the_struct(env: Env, autojump_clock: trio.testing.MockClock) -> None:
    env.fake.script[ReqFunc.GETAGENTSESSIONINFO] = lambda body: Reply(delay=1)
    request_id, pending = await env.line.start_get_agent_session_info(env.session.handle)
    assert request_id > 0 and pending.request_id == request_id
    assert not pending.done
    info = await pending
    assert info == session_info(env.session.handle)
    assert info.total_size == info.needed_size == info.used_size == 76


async def test_start_form_sync_error_raises_at_start(env: Env) -> None:
    env.fake.script[ReqFunc.GETQUEUEINFO] = lambda body: SyncError(LineErr.STRUCTURETOOSMALL)
    with pytest.raises(client.LineError) as info:
        await env.line.start_get_queue_info(1, buffer_size=10)
    assert info.value.lineerr == LineErr.STRUCTURETOOSMALL
    assert env.fake.requests[-1].queue_info_size == 10


async def test_forgotten_pending_reply_leaves_nothing_behind(env: Env, autojump_clock: trio.testing.MockClock) -> None:
    env.fake.script[ReqFunc.GETAGENTINFO] = lambda body: Reply(delay=5)
    _, pending = await env.line.start_get_agent_info(env.agent)
    assert env.tapi.connection.pending_requests == 1
    pending.forget()
    assert env.tapi.connection.pending_requests == 0
    await trio.sleep(10)
    assert env.tapi.connection.late_frames == 1


# --- lists grow their buffer ------------------------------------------------------------------------------


async def test_list_grows_to_needed_size_and_retries(env: Env) -> None:
    env.fake.sessions[env.agent.handle] = list(range(5000, 5100))
    sessions = await env.agent.EnumerateAgentSessions()
    assert [s.handle for s in sessions] == list(range(5000, 5100))
    sizes = [b.session_list_size for b in env.fake.requests if b.REQ_FUNC == ReqFunc.GETAGENTSESSIONLIST]
    assert sizes == [1024, 24 + 28 * 100]
    assert all(s.agent is env.agent and s.group is not None and s.group.group_id == GROUP for s in sessions)


async def test_start_list_form_does_not_retry(env: Env) -> None:
    env.fake.sessions[env.agent.handle] = list(range(5000, 5100))
    _, pending = await env.line.start_get_agent_session_list(env.agent, buffer_size=100)
    lst = await pending
    assert (lst.total_size, lst.needed_size, lst.entries) == (100, 24 + 28 * 100, ())


async def test_group_list_and_acd_groups(env: Env) -> None:
    groups = await env.line.acd_groups()
    assert [(g.group_id, g.name) for g in groups] == [(GROUP, "Sales")]


# --- the same object per handle; session events -----------------------------------------------------------


async def test_enumerate_returns_the_created_session_object(env: Env) -> None:
    sessions = await env.agent.EnumerateAgentSessions()
    assert sessions == [env.session]
    assert sessions[0] is env.session
    again = await env.line.create_agent("1001", pin="1234")
    assert isinstance(again, client.ITAgent)


async def test_agent_session_events_are_session_event_pairs(env: Env) -> None:
    async with env.tapi.agent_session_events() as events:
        await env.fake.status_event(
            env.session.handle, AgentSessionStatus.NEWSESSION | AgentSessionStatus.STATE, AgentSessionState.NOTREADY
        )
        await env.fake.status_event(env.session.handle, AgentSessionStatus.UPDATEINFO)
        await env.fake.status_event(env.session.handle, AgentSessionStatus.STATE, AgentSessionState.BUSYONCALL)
        await env.fake.status_event(4242, AgentSessionStatus.STATE, AgentSessionState.ENDED)
        got = [await events.next() for _ in range(4)]
    assert got[:3] == [
        (env.session, AgentSessionEvent.NEW_SESSION),
        (env.session, AgentSessionEvent.NOT_READY),
        (env.session, AgentSessionEvent.BUSY),
    ]
    assert got[0][0] is env.session
    other, event = got[3]
    assert (other.handle, other.agent, event) == (4242, None, AgentSessionEvent.END)


async def test_raw_events_iterator_and_connection_loss(env: Env) -> None:
    from protocol import AgentSessionStatusEvent

    events = env.tapi.events()
    await env.fake.status_event(env.session.handle, AgentSessionStatus.UPDATEINFO)
    record = await events.next()
    assert isinstance(record, AgentSessionStatusEvent)
    assert record.hagent_session == env.session.handle
    await env.fake.close()
    with pytest.raises(client.ConnectionLostError):
        async for _ in events:
            pass


async def test_event_overflow_is_reported_after_the_buffered_events(env: Env) -> None:
    events = env.tapi.events(buffer=3)
    for _ in range(5):
        await env.fake.status_event(env.session.handle, AgentSessionStatus.UPDATEINFO)
    await trio.testing.wait_all_tasks_blocked()
    got = [await events.next() for _ in range(3)]
    assert len(got) == 3
    with pytest.raises(client.EventsOverflowError) as info:
        await events.next()
    assert info.value.dropped == 2


# --- cached mode ------------------------------------------------------------------------------------------


def _info_requests(fake: FakeServer) -> int:
    return sum(1 for b in fake.requests if b.REQ_FUNC == ReqFunc.GETAGENTSESSIONINFO)


async def test_default_mode_is_one_round_trip_per_getter(env: Env) -> None:
    for _ in range(3):
        await env.session.get_TotalTalkTime()
    assert _info_requests(env.fake) == 3


async def test_cached_mode_answers_from_cache_and_refreshes_on_updateinfo(cached_env: Env) -> None:
    e = cached_env
    h = e.session.handle
    assert await e.session.get_TotalTalkTime() == 2 * h
    assert await e.session.get_NumberOfCalls() == h % 50
    assert _info_requests(e.fake) == 1
    e.fake.infos[h] = session_info(h, total_talk_time=777)
    assert await e.session.get_TotalTalkTime() == 2 * h  # no event yet: still the cache
    await e.fake.status_event(h, AgentSessionStatus.UPDATEINFO)
    await trio.testing.wait_all_tasks_blocked()
    assert _info_requests(e.fake) == 2  # refreshed in the background
    assert await e.session.get_TotalTalkTime() == 777
    assert _info_requests(e.fake) == 2


async def test_cached_getter_fetches_itself_when_stale(cached_env: Env) -> None:
    e = cached_env
    h = e.session.handle
    await e.session.get_TotalTalkTime()
    e.fake.script[ReqFunc.GETAGENTSESSIONINFO] = lambda body: SyncError(LineErr.RESOURCEUNAVAIL)
    await e.fake.status_event(h, AgentSessionStatus.STATE, AgentSessionState.READY)
    await trio.testing.wait_all_tasks_blocked()  # the background refresh failed
    del e.fake.script[ReqFunc.GETAGENTSESSIONINFO]
    e.fake.infos[h] = session_info(h, total_talk_time=55)
    assert await e.session.get_TotalTalkTime() == 55


async def test_cached_info_asked_for_before_a_status_event_stays_stale(
    cached_env: Env, autojump_clock: trio.testing.MockClock
) -> None:
    """A getter's answer that was asked for before a LINE_AGENTSESSIONSTATUS arrived does not make the cache
    fresh: the next getter asks again (the generation a getter read before its round trip is compared)."""
    e = cached_env
    h = e.session.handle
    answers = [Reply(delay=10, data=session_info(h, total_talk_time=111).to_bytes()),
               SyncError(LineErr.RESOURCEUNAVAIL)]  # the background refresh the event starts fails
    e.fake.script[ReqFunc.GETAGENTSESSIONINFO] = lambda body: answers.pop(0)
    got: list[int] = []
    async with trio.open_nursery() as nursery:
        async def first() -> None:
            got.append(await e.session.get_TotalTalkTime())
        nursery.start_soon(first)
        await trio.sleep(1)
        await e.fake.status_event(h, AgentSessionStatus.UPDATEINFO)
    assert got == [111] and not answers
    del e.fake.script[ReqFunc.GETAGENTSESSIONINFO]
    e.fake.infos[h] = session_info(h, total_talk_time=222)
    assert await e.session.get_TotalTalkTime() == 222  # asked again, not the 111 of before the event
    assert _info_requests(e.fake) == 3


# --- exceptions are not wrapped in groups -----------------------------------------------------------------


async def test_errors_leave_connect_unwrapped(nursery: trio.Nursery) -> None:
    stream, fake = fake_pair()
    nursery.start_soon(fake.run)
    with pytest.raises(client.LineError):
        async with client.connect_stream(stream) as tapi:
            line = await tapi.open_line(0)
            fake.script[ReqFunc.GETQUEUEINFO] = lambda body: SyncError(LineErr.INVALPARAM)
            await line.get_queue_info(3)
