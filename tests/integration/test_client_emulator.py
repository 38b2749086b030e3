"""The client library against the real emulator (embedded, over memory streams or loopback TCP).

Covers the issue's "Done when": a drop fault on 149 makes get_TotalTalkTime() raise TAPI_E_TIMEOUT after
exactly 120 s of mock-clock time and the next call succeeds once the fault is gone; with a scripted
scenario every ITAgentSession getter returns the wire-protocol §4 value (computed by hand below).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
import trio
import trio.testing

import client
from client import TAPI_E_TIMEOUT, AgentSessionEvent, AgentSessionStateASST, HResult, LineErr
from tsp.scenario import parse_scenario
from tsp.testing import Emulator, open_emulator

SALES = uuid.UUID("5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b")
SUPPORT = uuid.UUID("8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")

#: Agent 1001 (answer after 2 s, 30 s wrap-up) is READY in Sales from 0. Agent 1002 sits NOTREADY in
#: Support. Calls: 10 s (talk 120) and 20 s (talk 60).
#:   10  call 1 offered to 1001 (BUSYONCALL), answered at 12 (waited 2 s); talk 12..132
#:   20  call 2 queues (nobody READY)
#:  132  wrap-up 132..162; 162 READY, takes call 2 at once; answered at 164 (waited 144 s); talk 164..224
#:  224  wrap-up 224..254; 254 READY
SCENARIO = """
[switch]
name = "Client test ACD"
lines = 2
start = "2026-11-26T09:00:00Z"
seed = 3

[[groups]]
id = "5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b"
name = "Sales"
queue = 1

[[groups]]
id = "8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
name = "Support"
queue = 2

[[agents]]
id = "1001"
pin = "1234"
answer_delay = 2
wrapup = 30

[[agents.sessions]]
group = "Sales"
line = 0
state = "READY"

[[agents]]
id = "1002"

[[agents.sessions]]
group = "Support"
line = 1

[[calls]]
at = 10
group = "Sales"
talk = 120

[[calls]]
at = 20
group = "Sales"
talk = 60
"""

START = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.timezone.utc)

#: Hand-computed §4 values of agent 1001's session at chosen instants (seconds after start).
EXPECTED = {
    200: dict(  # call 2 in talk since 164
        get_State=AgentSessionStateASST.BUSY_ON_CALL,
        get_SessionStartTime=START,
        get_SessionDuration=200,
        get_NumberOfCalls=2,
        get_TotalTalkTime=120 + 36,
        get_AverageTalkTime=78,
        get_TotalCallTime=156 + 30,
        get_AverageCallTime=93,
        get_TotalWrapUpTime=30,
        get_AverageWrapUpTime=15,
        get_ACDCallRate=Decimal("36.0000"),  # 2 x 3600 / 200
        get_LongestTimeToAnswer=144,
        get_AverageTimeToAnswer=73,  # floor((2 + 144) / 2)
    ),
    240: dict(  # call 2 in wrap-up since 224
        get_State=AgentSessionStateASST.BUSY_WRAPUP,
        get_SessionStartTime=START,
        get_SessionDuration=240,
        get_NumberOfCalls=2,
        get_TotalTalkTime=180,
        get_AverageTalkTime=90,
        get_TotalCallTime=180 + 46,
        get_AverageCallTime=113,
        get_TotalWrapUpTime=46,
        get_AverageWrapUpTime=23,
        get_ACDCallRate=Decimal("30.0000"),
        get_LongestTimeToAnswer=144,
        get_AverageTimeToAnswer=73,
    ),
    700: dict(  # all done since 254
        get_State=AgentSessionStateASST.READY,
        get_SessionStartTime=START,
        get_SessionDuration=700,
        get_NumberOfCalls=2,
        get_TotalTalkTime=180,
        get_AverageTalkTime=90,
        get_TotalCallTime=240,
        get_AverageCallTime=120,
        get_TotalWrapUpTime=60,
        get_AverageWrapUpTime=30,
        get_ACDCallRate=Decimal("10.2857"),  # 7200 / 700 = 10.285714...
        get_LongestTimeToAnswer=144,
        get_AverageTimeToAnswer=73,
    ),
}


@pytest.fixture
def scenario():  # type: ignore[no-untyped-def]
    return parse_scenario(SCENARIO, "client-test.toml")


@pytest.fixture
async def manual_emu(scenario) -> AsyncIterator[Emulator]:  # type: ignore[no-untyped-def]
    async with open_emulator(scenario, clock="manual", listen=False) as emu:
        yield emu


async def _session(tapi: client.Tapi, agent_id: str = "1001", pin: str | None = "1234") -> client.ITAgentSession:
    line = await tapi.open_line(0)
    agent = await line.create_agent(agent_id, pin=pin)
    sessions = await agent.EnumerateAgentSessions()
    assert len(sessions) == 1
    return sessions[0]


async def _all_getters(session: client.ITAgentSession) -> dict[str, object]:
    return {name: await getattr(session, name)() for name in EXPECTED[200]}


# --- Done when: every getter returns the §4 value ---------------------------------------------------------


async def test_every_session_getter_returns_the_section_4_value(manual_emu: Emulator) -> None:
    async with client.connect_stream(await manual_emu.connect_memory()) as tapi:
        session = await _session(tapi)
        now = 0
        for instant, expected in EXPECTED.items():
            await manual_emu.advance(instant - now)
            now = instant
            assert await _all_getters(session) == expected, f"at {instant} s"
        assert (await session.get_ACDGroup()).group_id == SALES
        assert (await session.get_Agent()).agent_id == "1001"


async def test_session_without_calls_and_ended_duration(manual_emu: Emulator) -> None:
    async with client.connect_stream(await manual_emu.connect_memory()) as tapi:
        session = await _session(tapi, "1002", None)
        await manual_emu.advance(50)
        assert await session.get_State() == AgentSessionStateASST.NOT_READY
        assert await session.get_SessionDuration() == 50
        for name in ("get_NumberOfCalls", "get_AverageTalkTime", "get_AverageTimeToAnswer"):
            assert await getattr(session, name)() == 0
        assert await session.get_ACDCallRate() == Decimal(0)
        await session.put_State(AgentSessionStateASST.SESSION_ENDED)
        await manual_emu.advance(100)
        assert await session.get_State() == AgentSessionStateASST.SESSION_ENDED
        assert await session.get_SessionDuration() == 50  # frozen when the session ended


# --- Done when: the drop fault and TAPI_E_TIMEOUT ---------------------------------------------------------


async def test_drop_fault_times_out_after_exactly_120_s_then_recovers(
    manual_emu: Emulator, autojump_clock: trio.testing.MockClock
) -> None:
    async with client.connect_stream(await manual_emu.connect_memory()) as tapi:
        session = await _session(tapi)
        await manual_emu.advance(200)
        manual_emu.set_faults([{"function": 149, "mode": "drop"}])
        start = trio.current_time()
        with pytest.raises(client.TapiError) as info:
            await session.get_TotalTalkTime()
        assert info.value.hresult == TAPI_E_TIMEOUT
        assert trio.current_time() - start == pytest.approx(120.0)
        assert tapi.connection.pending_requests == 0
        manual_emu.clear_faults()
        assert await session.get_TotalTalkTime() == 156


async def test_delay_fault_just_inside_the_deadline_succeeds(
    scenario, autojump_clock: trio.testing.MockClock  # type: ignore[no-untyped-def]
) -> None:
    async with open_emulator(scenario, clock="real", listen=False) as emu:
        async with client.connect_stream(await emu.connect_memory()) as tapi:
            session = await _session(tapi)
            emu.set_faults([{"function": 149, "mode": "delay", "seconds": 119.9}])
            start = trio.current_time()
            assert await session.get_NumberOfCalls() >= 0
            assert trio.current_time() - start == pytest.approx(119.9)


async def test_delay_fault_past_the_deadline_then_late_reply_is_harmless(
    scenario, autojump_clock: trio.testing.MockClock  # type: ignore[no-untyped-def]
) -> None:
    async with open_emulator(scenario, clock="real", listen=False) as emu:
        async with client.connect_stream(await emu.connect_memory()) as tapi:
            session = await _session(tapi)
            emu.set_faults([{"function": 149, "mode": "delay", "seconds": 130}])
            with pytest.raises(client.TapiTimeoutError):
                await session.get_TotalWrapUpTime()
            emu.clear_faults()
            await trio.sleep(15)  # the LINE_REPLY comes at 130 s and finds nobody waiting
            assert tapi.connection.late_frames == 1
            assert tapi.connection.pending_requests == 0
            assert not tapi.connection.closed
            info = emu.session_info(session.handle)
            assert await session.get_NumberOfCalls() == info.number_of_calls


async def test_error_fault_raises_its_lineerr(manual_emu: Emulator) -> None:
    async with client.connect_stream(await manual_emu.connect_memory()) as tapi:
        session = await _session(tapi)
        manual_emu.set_faults([{"function": 149, "mode": "error", "error": "LINEERR_NOMEM"}])
        with pytest.raises(client.LineError) as info:
            await session.get_TotalTalkTime()
        assert info.value.lineerr == LineErr.NOMEM
        assert info.value.hresult == HResult.E_OUTOFMEMORY


async def test_disconnect_fault_fails_the_call_and_later_ones(manual_emu: Emulator) -> None:
    async with client.connect_stream(await manual_emu.connect_memory()) as tapi:
        session = await _session(tapi)
        manual_emu.set_faults([{"function": 149, "mode": "disconnect"}])
        with pytest.raises(client.ConnectionLostError):
            await session.get_TotalTalkTime()
        with pytest.raises(client.ConnectionLostError):
            await session.get_NumberOfCalls()
        assert tapi.connection.pending_requests == 0


# --- LINEERRs from the real switch ------------------------------------------------------------------------


async def test_switch_lineerrs_reach_the_caller(manual_emu: Emulator) -> None:
    async with client.connect_stream(await manual_emu.connect_memory()) as tapi:
        line = await tapi.open_line(0)
        with pytest.raises(client.LineError) as info:
            await line.create_agent("1001", pin="0000")
        assert info.value.lineerr == LineErr.INVALPASSWORD
        agent = await line.create_agent("1001", pin="1234")
        with pytest.raises(client.LineError) as info:
            await agent.CreateSession(uuid.UUID(int=7))
        assert info.value.lineerr == LineErr.INVALAGENTGROUP
        session = (await agent.EnumerateAgentSessions())[0]
        with pytest.raises(client.LineError) as info:
            await session.put_State(AgentSessionStateASST.BUSY_ON_CALL)
        assert info.value.lineerr == info.value.hresult == LineErr.INVALAGENTSTATE
        with pytest.raises(client.LineError) as info:
            await line.get_agent_session_info(session, buffer_size=75)
        assert info.value.lineerr == LineErr.STRUCTURETOOSMALL
        with pytest.raises(client.LineError) as info:
            await line.get_queue_info(1, buffer_size=0x40001)
        assert info.value.lineerr == LineErr.INVALPARAM


# --- objects, events, cached mode -------------------------------------------------------------------------


async def test_create_session_events_and_put_state(manual_emu: Emulator) -> None:
    async with client.connect_stream(await manual_emu.connect_memory()) as tapi:
        line = await tapi.open_line(1)
        agent = await line.create_agent("1002")
        async with tapi.agent_session_events() as events:
            session = await agent.CreateSession(SALES)
            assert await session.get_State() == AgentSessionStateASST.NOT_READY
            await session.put_State(AgentSessionStateASST.READY)
            got = []
            while len(got) < 2 or got[-1][1] != AgentSessionEvent.READY:
                got.append(await events.next())
        assert got[0] == (session, AgentSessionEvent.NEW_SESSION)
        assert got[-1] == (session, AgentSessionEvent.READY)
        assert all(s is session for s, _ in got)
        assert session in await agent.EnumerateAgentSessions()


async def test_cached_mode_refreshes_on_updateinfo(manual_emu: Emulator) -> None:
    async with client.connect_stream(await manual_emu.connect_memory(), cached=True) as tapi:
        session = await _session(tapi)
        assert await session.get_NumberOfCalls() == 0
        await manual_emu.advance(13)  # call 1 answered at 12: UPDATEINFO
        await trio.testing.wait_all_tasks_blocked()
        assert await session.get_NumberOfCalls() == 1
        assert await session.get_State() == AgentSessionStateASST.BUSY_ON_CALL


async def test_1000_concurrent_getters_on_one_connection(manual_emu: Emulator) -> None:
    async with client.connect_stream(await manual_emu.connect_memory()) as tapi:
        line = await tapi.open_line(0)
        sessions = []
        for i in range(20):  # sessions created one second apart: distinct start times and durations
            # one live session per agent and group (wire-protocol §7.1): 20 agents, one Sales session each
            agent = await line.create_agent("1002" if i == 0 else f"getter-{i}")
            sessions.append(await agent.CreateSession(SALES))
            await manual_emu.advance(1)
        results: dict[int, list[int]] = {s.handle: [] for s in sessions}

        async def ask(s: client.ITAgentSession) -> None:
            results[s.handle].append(await s.get_SessionDuration())

        async with trio.open_nursery() as nursery:
            for i in range(1000):
                nursery.start_soon(ask, sessions[i % 20])
        for i, s in enumerate(sessions):
            assert results[s.handle] == [20 - i] * 50
        assert tapi.connection.pending_requests == 0


# --- TCP, the blocking facade and the CLI ----------------------------------------------------------------


@pytest.fixture
async def tcp_emu(scenario) -> AsyncIterator[Emulator]:  # type: ignore[no-untyped-def]
    async with open_emulator(scenario, clock="manual", port=0) as emu:
        yield emu


async def test_async_connect_over_tcp(tcp_emu: Emulator) -> None:
    async with client.connect(tcp_emu.host, tcp_emu.port) as tapi:
        session = await _session(tapi)
        assert await session.get_SessionStartTime() == START


async def test_sequential_getters_over_tcp_read_their_own_answers(tcp_emu: Emulator) -> None:
    """On a real loopback socket against the real server, a getter alone on its connection reads its own
    answer (ClientConnection.caller_reads counts those receives), with the same values as the reader
    task's path gives to concurrent getters."""
    async with client.connect(tcp_emu.host, tcp_emu.port) as tapi:
        session = await _session(tapi)
        conn = tapi.connection
        before, lane = conn.caller_reads, conn.answers_taken
        alone = [await session.get_SessionStartTime() for _ in range(30)]
        assert conn.caller_reads - before >= 25  # each call reads its answer at least once itself
        assert conn.answers_taken - lane >= 25  # ... and as one chunk, through the answer lane
        together: list[dt.datetime] = []

        async def ask() -> None:
            together.append(await session.get_SessionStartTime())

        async with trio.open_nursery() as nursery:
            for _ in range(30):
                nursery.start_soon(ask)
        assert alone == together == [START] * 30


async def test_without_the_answer_lane_the_getters_give_the_same(tcp_emu: Emulator,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The answer lane switched off (every chunk through receive_data and next_event): the same values of
    every session getter that reads a LINEAGENTSESSIONINFO, and nothing counted."""
    from protocol.connection import Connection

    async with client.connect(tcp_emu.host, tcp_emu.port) as tapi:
        session = await _session(tapi)
        getters = [getattr(session, name) for name in dir(session) if name.startswith("get_")]
        start = tapi.connection.answers_taken
        with_lane = [await getter() for getter in getters]
        assert len(getters) >= 12 and tapi.connection.answers_taken - start >= 10  # (a few ask nothing)
        monkeypatch.setattr(Connection, "take_answer", lambda self, data: None)
        before = tapi.connection.answers_taken
        assert [await getter() for getter in getters] == with_lane
        assert tapi.connection.answers_taken == before


async def test_blocking_facade_from_several_threads(tcp_emu: Emulator) -> None:
    await tcp_emu.advance(200)

    def work() -> dict[str, list[object]]:
        with client.blocking.connect(tcp_emu.host, tcp_emu.port) as tapi:
            line = tapi.open_line(0)
            agent = line.create_agent("1001", pin="1234")
            session = agent.EnumerateAgentSessions()[0]
            assert isinstance(session, client.blocking.ITAgentSession)
            assert agent.EnumerateAgentSessions()[0] is session
            results: dict[str, list[object]] = {name: [] for name in EXPECTED[200]}
            errors: list[BaseException] = []

            def hammer() -> None:
                try:
                    for _ in range(5):
                        for name in EXPECTED[200]:
                            results[name].append(getattr(session, name)())
                except BaseException as exc:  # noqa: BLE001
                    errors.append(exc)

            import threading

            threads = [threading.Thread(target=hammer) for _ in range(6)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert not errors
            with pytest.raises(client.LineError) as info:
                line.create_agent("1001", pin="bad")
            assert info.value.lineerr == LineErr.INVALPASSWORD
            return results

    results = await trio.to_thread.run_sync(work)
    for name, values in results.items():
        assert values == [EXPECTED[200][name]] * 30, name


async def test_blocking_events_and_start_form(tcp_emu: Emulator) -> None:
    def work() -> list[tuple[object, object]]:
        with client.blocking.connect(tcp_emu.host, tcp_emu.port) as tapi:
            line = tapi.open_line(1)
            agent = line.create_agent("1002")
            session = agent.EnumerateAgentSessions()[0]
            request_id, pending = line.start_get_agent_session_info(session)
            assert request_id > 0
            assert pending.wait(timeout=5).state == client.AgentSessionState.NOTREADY
            got = []
            with tapi.agent_session_events() as events:
                session.put_State(AgentSessionStateASST.READY)
                for pair in events:
                    got.append(pair)
                    if pair[1] == AgentSessionEvent.READY:
                        break
            assert all(s is session for s, _ in got)
            return [(s.handle, e) for s, e in got]

    got = await trio.to_thread.run_sync(work)
    assert got[-1][1] == AgentSessionEvent.READY


async def test_blocking_connect_to_nothing_raises_clearly() -> None:
    with trio.socket.socket() as sock:
        await sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: nobody answers

    def attempt() -> BaseException:
        with pytest.raises(client.ConnectionLostError) as info:
            client.blocking.connect("127.0.0.1", port)
        return info.value

    err = await trio.to_thread.run_sync(attempt)
    assert f"127.0.0.1:{port}" in str(err)


async def test_cli_sessions_prints_the_statistics(tcp_emu: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    from client.cli import main

    await tcp_emu.advance(200)
    code = await trio.to_thread.run_sync(
        main, ["sessions", "--agent", "1001", "--pin", "1234", "--host", tcp_emu.host, "--port", str(tcp_emu.port)]
    )
    out = capsys.readouterr().out
    assert code == 0
    lines = {line.split()[1]: line for line in out.splitlines() if line.startswith("│ get_")}
    assert "BUSY_ON_CALL" in lines["get_State"]
    for name, value in EXPECTED[200].items():
        if name in ("get_State", "get_SessionStartTime"):
            continue
        shown = f"{value:.4f}" if isinstance(value, Decimal) else str(value)
        assert lines[name].split("│")[2].strip() == shown, name
    assert "2026-11-26 09:00:00 UTC" in lines["get_SessionStartTime"]


async def test_cli_sessions_with_a_wrong_pin_fails_clearly(
    tcp_emu: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    from client.cli import main

    code = await trio.to_thread.run_sync(
        main, ["sessions", "--agent", "1001", "--pin", "9", "--host", tcp_emu.host, "--port", str(tcp_emu.port)]
    )
    assert code == 1
    assert "LINEERR_INVALPASSWORD" in capsys.readouterr().err


async def test_cli_watch_prints_events(tcp_emu: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    from client.cli import main

    async def keep_the_switch_busy() -> None:
        while True:  # a call every 5 s of switch time: events keep coming whenever watch is ready
            tcp_emu.offer_call("Sales", talk=2)
            await tcp_emu.advance(5)
            await trio.sleep(0.02)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(keep_the_switch_busy)
        code = await trio.to_thread.run_sync(
            main, ["watch", "--count", "12", "--host", tcp_emu.host, "--port", str(tcp_emu.port)]
        )
        nursery.cancel_scope.cancel()
    out = capsys.readouterr().out
    assert code == 0
    # twelve events, whichever come first: the sessions' (§2), the routed calls' on the agents' lines
    # (§9.1) and the §8 ones (LINE_QUEUESTATUS ...); each printed as one line naming its line device
    events = [ln for ln in out.splitlines() if "  LINE_" in ln]
    assert len(events) == 12, out
    assert all(" line " in ln for ln in events), out
    assert "LINE_AGENTSESSIONSTATUS" in out and "hAgentSession" in out


@pytest.mark.parametrize("command", [["sessions", "--agent", "1001"], ["watch"]])
async def test_cli_exits_non_zero_when_the_emulator_is_not_there(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from client.cli import main

    with trio.socket.socket() as sock:
        await sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code = await trio.to_thread.run_sync(main, [*command, "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 1
    assert "the emulator is not there" in err and str(port) in err
