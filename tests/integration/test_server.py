"""The trio server end to end over in-memory streams (and loopback TCP where it matters).

Most tests run under ``autojump_clock``: timeouts of 30 s or a 130 s fault delay take no real time, and
with the real (trio) switch clock an hour of traffic passes in a blink.
"""

from __future__ import annotations

import struct
import uuid

import pytest
import trio
import trio.testing

from protocol import codec
from protocol import messages as m
from protocol.connection import Connection, Role
from protocol.constants import AgentSessionState, AgentSessionStatus, ErrorCode, LineErr
from server_wire import Closed, WireClient, wire_client
from tsp.scenario import parse_scenario
from tsp.server import ServerConfig
from tsp.testing import open_emulator

SALES = uuid.UUID("5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b")
SUPPORT = uuid.UUID("8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
READY = AgentSessionState.READY

SCENARIO = parse_scenario(f"""
[switch]
lines = 3
seed = 5

[[groups]]
id = "{SALES}"
name = "Sales"
queue = 1

[[groups]]
id = "{SUPPORT}"
name = "Support"
queue = 2

[[agents]]
id = "anna"
pin = "1111"
answer_delay = 2
wrapup = 10

[[agents.sessions]]
group = "Sales"
line = 0
state = "READY"

[[agents]]
id = "ben"

[[agents.sessions]]
group = "Support"
line = 1
state = "READY"
""")


async def test_hello_exchange_names_the_product() -> None:
    async with open_emulator(SCENARIO, clock="manual", listen=False) as emu:
        async with wire_client(emu) as c:
            assert c.server_hello == m.Hello(1, 0, "tsp TAPI emulator")


async def test_tcp_loopback_round_trip() -> None:
    async with open_emulator(SCENARIO, clock="manual") as emu:
        assert emu.host == "127.0.0.1" and emu.port and emu.address == (emu.host, emu.port)
        async with wire_client(emu, tcp=True) as c:
            hline = await c.open_line(0)
            sessions = await c.value(m.GetAgentSessionList(h_line=hline, h_agent=await c.create_agent(hline, "anna", "1111")))
            assert len(sessions.entries) == 1


async def test_multiple_clients_see_the_same_events() -> None:
    async with open_emulator(SCENARIO, clock="manual", listen=False) as emu:
        async with wire_client(emu, "a") as a, wire_client(emu, "b") as b, wire_client(emu, "c") as c:
            la = await a.open_line(0)
            await b.open_line(0)
            await c.open_line(1)
            hagent = await a.create_agent(la, "anna", "1111")
            (entry,) = (await a.value(m.GetAgentSessionList(h_line=la, h_agent=hagent))).entries
            s = entry.hagent_session
            await a.offer_call(SALES, 20)  # anna rings, answers at 2, talks to 22, wraps up to 32
            await a.advance(40)
            expect = [
                (AgentSessionStatus.STATE, AgentSessionState.BUSYONCALL),
                (AgentSessionStatus.UPDATEINFO, 0),
                (AgentSessionStatus.STATE | AgentSessionStatus.UPDATEINFO, AgentSessionState.BUSYWRAPUP),
                (AgentSessionStatus.STATE | AgentSessionStatus.UPDATEINFO, READY),
            ]
            for client in (a, b):
                await client.wait_for(lambda: len(client.session_events(s)) >= 4 or None)
                assert [(e.status, e.state) for e in client.session_events(s)] == expect
            # c has only line 1 open: nothing about anna's session on line 0.
            await c.request(m.GetGroupList(h_line=await c.open_line(1)))
            assert c.session_events(s) == []


async def test_response_always_precedes_its_line_reply() -> None:
    async with open_emulator(SCENARIO, clock="manual", listen=False) as emu:
        async with wire_client(emu) as c:
            hline = await c.open_line(0)
            seqs = []
            for i in range(200):
                seq = c.proto.next_sequence()
                body = (m.GetGroupList(h_line=hline) if i % 2 else
                        m.GetAgentSessionInfo(h_line=hline, h_agent_session=3))
                await c.send(m.Request(seq, body))
                seqs.append(seq)
            await c.wait_for(lambda: all(c.response(s) for s in seqs) or None)
            for seq in seqs:
                rid = c.response(seq).result
                await c.wait_for(lambda: c.reply(rid))
                r_pos = c.position(lambda k, x: k == "response" and x.sequence == seq)
                l_pos = c.position(lambda k, x: k == "record" and isinstance(x, m.LineReply) and x.request_id == rid)
                assert r_pos < l_pos


async def test_state_change_by_one_client_reaches_the_others() -> None:
    async with open_emulator(SCENARIO, clock="manual", listen=False) as emu:
        async with wire_client(emu, "a") as a, wire_client(emu, "b") as b:
            la, lb = await a.open_line(2), await b.open_line(2)
            ag = await a.create_agent(la, "zoe")
            s = await a.create_session(la, ag, SUPPORT)
            await b.set_state(lb, s, READY)
            for client in (a, b):
                await client.wait_for(lambda: len(client.session_events(s)) >= 2 or None)
                assert [(e.status, e.state) for e in client.session_events(s)] == [
                    (AgentSessionStatus.NEWSESSION, 0), (AgentSessionStatus.STATE, READY)]
            info = await a.session_info(la, s)
            assert info.state == READY


async def test_handle_ownership_across_connections() -> None:
    async with open_emulator(SCENARIO, clock="manual", listen=False) as emu:
        async with wire_client(emu, "owner") as a, wire_client(emu, "other") as b:
            la = await a.open_line(0)
            await b.initialize()
            for body in (m.GetGroupList(h_line=la), m.GetAgentSessionInfo(h_line=la, h_agent_session=3),
                         m.SetAgentSessionState(h_line=la, h_agent_session=3, agent_session_state=READY),
                         m.Close(h_line=la)):
                assert (await b.request(body)).result == LineErr.INVALLINEHANDLE
            assert (await b.request(m.Open(h_line_app=a.happ, device_id=0))).result == LineErr.INVALAPPHANDLE
            # The owner still has its line; when it goes away, its handle is dead for everybody.
            assert (await a.value(m.GetGroupList(h_line=la))).entries
        async with wire_client(emu, "late") as c:
            await c.initialize()
            assert (await c.request(m.GetGroupList(h_line=la))).result == LineErr.INVALLINEHANDLE


# --- faults over the wire ---------------------------------------------------------------------------------


async def test_fault_drop_leaves_the_request_unanswered(autojump_clock: trio.testing.MockClock) -> None:
    async with open_emulator(SCENARIO, listen=False) as emu:
        emu.set_faults([{"function": 149, "mode": "drop"}])
        async with wire_client(emu) as c:
            hline = await c.open_line(0)
            resp = await c.request(m.GetAgentSessionInfo(h_line=hline, h_agent_session=3))
            assert 1 <= resp.result <= 0x7FFFFFFF
            await trio.sleep(3600)
            assert c.reply(resp.result) is None
            emu.clear_faults()
            info = await c.session_info(hline, 3)
            assert info.state == READY


async def test_fault_delay_is_in_switch_seconds(autojump_clock: trio.testing.MockClock) -> None:
    async with open_emulator(SCENARIO, listen=False, speed=10) as emu:
        emu.set_faults([{"function": 149, "mode": "delay", "seconds": 130}])
        async with wire_client(emu) as c:
            hline = await c.open_line(0)
            start = emu.now
            resp = await c.request(m.GetAgentSessionInfo(h_line=hline, h_agent_session=3))
            await trio.sleep(12.9)  # 129 switch seconds at speed 10
            assert c.reply(resp.result) is None
            reply = await c.wait_for(lambda: c.reply(resp.result))
            assert reply.result == 0
            assert emu.now - start == pytest.approx(130, abs=0.01)


async def test_fault_error_and_disconnect(autojump_clock: trio.testing.MockClock) -> None:
    async with open_emulator(SCENARIO, listen=False) as emu:
        emu.set_faults([
            {"function": 149, "mode": "error", "error": "LINEERR_OPERATIONFAILED"},
            {"function": 150, "mode": "disconnect"},
        ])
        async with wire_client(emu, "victim") as c, wire_client(emu, "bystander") as other:
            hline = await c.open_line(0)
            resp, reply = await c.call(m.GetAgentSessionInfo(h_line=hline, h_agent_session=3))
            assert (reply.result, reply.data) == (LineErr.OPERATIONFAILED, b"")
            await c.send(m.Request(c.proto.next_sequence(), m.GetAgentSessionList(h_line=hline, h_agent=1)))
            assert await c.wait_closed() is None  # closed without ERROR and without RESPONSE
            assert not any(k == "response" and isinstance(x.body, m.GetAgentSessionList) for k, x in c.log)
            # The other connection is unaffected.
            lo = await other.open_line(0)
            assert (await other.value(m.GetGroupList(h_line=lo))).entries


async def test_scenario_faults_apply_from_the_file() -> None:
    text = f"""
[switch]
lines = 1
[[groups]]
id = "{SALES}"
name = "Sales"
queue = 1
[[faults]]
function = 152
mode = "error"
error = "LINEERR_NOMEM"
after = 1
"""
    async with open_emulator(parse_scenario(text), clock="manual", listen=False) as emu:
        async with wire_client(emu) as c:
            hline = await c.open_line(0)
            first = await c.call(m.GetGroupList(h_line=hline))
            second = await c.call(m.GetGroupList(h_line=hline))
            assert (first[1].result, second[1].result) == (0, LineErr.NOMEM)


# --- robustness -------------------------------------------------------------------------------------------


async def test_malformed_frame_closes_only_that_connection() -> None:
    async with open_emulator(SCENARIO, clock="manual", listen=False) as emu:
        async with wire_client(emu, "bad") as bad, wire_client(emu, "good") as good:
            hline = await good.open_line(0)
            # A REQUEST whose TAPI32_MSG is shorter than 60 bytes.
            await bad.send_raw(struct.pack("<IHHI", 8 + 10, 1, 0, 1) + bytes(10))
            err = await bad.wait_closed()
            assert err is not None and err.code == ErrorCode.MALFORMED
            assert (await good.value(m.GetGroupList(h_line=hline))).entries
            assert emu.server.connection_count == 1


async def test_a_failure_inside_the_switch_is_answered_and_contained(monkeypatch: pytest.MonkeyPatch) -> None:
    async with open_emulator(SCENARIO, clock="manual", listen=False) as emu:
        async with wire_client(emu, "a") as a, wire_client(emu, "b") as b:
            la, lb = await a.open_line(0), await b.open_line(0)

            def broken(*args: object, **kwargs: object) -> None:
                raise RuntimeError("simulated bug in the model")

            monkeypatch.setattr(emu.switch, "group_list", broken)
            resp = await a.request(m.GetGroupList(h_line=la))
            assert resp.result == LineErr.OPERATIONFAILED
            monkeypatch.undo()
            assert (await a.value(m.GetGroupList(h_line=la))).entries
            assert (await b.value(m.GetGroupList(h_line=lb))).entries


async def test_an_unencodable_response_still_gets_an_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    async with open_emulator(SCENARIO, clock="manual", listen=False) as emu:
        async with wire_client(emu) as c:
            real_handle = emu.service.handle

            def handle(conn_id: int, request: m.Request, now: float):  # type: ignore[no-untyped-def]
                outcome = real_handle(conn_id, request, now)
                bad = m.Response(request.sequence, 0, m.Initialize(h_line_app=1 << 40))  # not a u32
                return type(outcome)((type(outcome.frames[0])(conn_id, bad),), False)

            monkeypatch.setattr(emu.service, "handle", handle)
            resp = await c.request(m.Initialize())
            assert resp.result == LineErr.OPERATIONFAILED
            assert not c.closed


@pytest.mark.parametrize(
    "raw, code",
    [
        (struct.pack("<IHHIHHH", 14, 0, 0, 0, 2, 0, 0), ErrorCode.UNSUPPORTED_VERSION),
        (struct.pack("<IHHI", 8 + 60, 1, 0, 1) + bytes(60), ErrorCode.UNEXPECTED_KIND),
        (struct.pack("<IHHI", 0x50001, 0, 0, 0), ErrorCode.FRAME_TOO_LARGE),
        (struct.pack("<IHHI", 8, 3, 0, 0), ErrorCode.UNEXPECTED_KIND),
    ],
    ids=["version", "request-before-hello", "too-large", "client-events"],
)
async def test_protocol_errors_get_an_error_frame_and_close(raw: bytes, code: ErrorCode) -> None:
    async with open_emulator(SCENARIO, clock="manual", listen=False) as emu:
        stream = await emu.connect_memory()
        client = WireClient(stream)
        async with trio.open_nursery() as nursery:
            await nursery.start(client.reader)
            await client.send_raw(raw)
            err = await client.wait_closed()
        assert err is not None and err.code == code
        await trio.testing.wait_all_tasks_blocked()
        assert emu.service.table_sizes()["connections"] == 0


async def test_read_timeout_before_hello_and_inside_a_frame(autojump_clock: trio.testing.MockClock) -> None:
    config = ServerConfig(control=True, read_timeout=30)
    async with open_emulator(SCENARIO, clock="manual", listen=False, config=config) as emu:
        silent = WireClient(await emu.connect_memory())
        partial = WireClient(await emu.connect_memory())
        async with trio.open_nursery() as nursery:
            await nursery.start(silent.reader)
            await nursery.start(partial.reader)
            await partial.hello()
            await partial.send_raw(struct.pack("<IHHI", 8 + 60, 1, 0, 1) + bytes(20))  # 40 bytes short
            t0 = trio.current_time()
            for client in (silent, partial):
                err = await client.wait_closed()
                assert err is not None and err.code == ErrorCode.IDLE_TIMEOUT
            assert trio.current_time() - t0 == pytest.approx(30)


async def test_idle_client_between_frames_is_never_cut_off(autojump_clock: trio.testing.MockClock) -> None:
    async with open_emulator(SCENARIO, clock="manual", listen=False) as emu:
        async with wire_client(emu) as c:
            hline = await c.open_line(0)
            await trio.sleep(5 * 3600)
            assert not c.closed
            assert (await c.value(m.GetGroupList(h_line=hline))).entries


async def test_a_client_that_stops_reading_is_cut_off(autojump_clock: trio.testing.MockClock) -> None:
    config = ServerConfig(control=True, max_queued_bytes=0x50004, overflow_grace=1.0)
    async with open_emulator(SCENARIO, clock="manual", listen=False, config=config) as emu:
        async with wire_client(emu, "good") as good:
            hline_good = await good.open_line(0)
            client_end, server_end = trio.testing.lockstep_stream_pair()
            emu.serve_stream(server_end, "lockstep")
            proto = Connection(Role.CLIENT)
            await client_end.send_all(proto.send(m.Hello()))
            # Never read: nothing the server answers can be delivered, so it queues up until the limit.
            try:
                for seq in range(1, 5000):
                    await client_end.send_all(codec.encode(m.Request(seq, m.Initialize(friendly_name="x" * 40))))
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                pass
            else:
                pytest.fail("the server kept taking requests from a client that never reads")
            await trio.testing.wait_all_tasks_blocked()
            assert emu.server.connection_count == 1  # only "good" is left
            assert (await good.value(m.GetGroupList(h_line=hline_good))).entries


async def test_max_connections(autojump_clock: trio.testing.MockClock) -> None:
    config = ServerConfig(control=True, max_connections=2)
    async with open_emulator(SCENARIO, clock="manual", listen=False, config=config) as emu:
        async with wire_client(emu, "1"), wire_client(emu, "2"):
            third = WireClient(await emu.connect_memory())
            async with trio.open_nursery() as nursery:
                await nursery.start(third.reader)
                err = await third.wait_closed()
            assert err is not None and "too many connections" in err.text
        async with wire_client(emu, "again") as again:  # room again once the others left
            assert again.server_hello is not None


async def test_resources_are_released_when_connections_drop() -> None:
    async with open_emulator(SCENARIO, clock="manual", listen=False) as emu:
        emu.set_faults([{"function": 152, "mode": "delay", "seconds": 100}])
        baseline = emu.service.table_sizes()
        for i in range(300):
            stream = await emu.connect_memory()
            c = WireClient(stream)
            async with trio.open_nursery() as nursery:
                await nursery.start(c.reader)
                await c.hello()
                hline = await c.open_line(i % 3)
                await c.request(m.GetGroupList(h_line=hline))  # leaves a delayed LINE_REPLY pending
                if i % 2:
                    await c.send_raw(struct.pack("<IHHI", 8 + 60, 1, 0, 9) + bytes(7))  # vanish mid-frame
                await stream.aclose()
                await c.wait_closed()
        await trio.testing.wait_all_tasks_blocked()
        assert emu.server.connection_count == 0
        assert emu.service.table_sizes() == baseline


# --- clocks and the embedded API ---------------------------------------------------------------------------


async def test_real_clock_runs_an_hour_of_traffic_under_autojump(autojump_clock: trio.testing.MockClock) -> None:
    async with open_emulator(None, listen=False, speed=60) as emu:  # the lively built-in scenario
        async with wire_client(emu) as c:
            hline = await c.open_line(0)
            await trio.sleep(60)  # one switch hour
            assert emu.now == pytest.approx(3600, abs=1)
            events = c.session_events()
            assert sum(1 for e in events if e.status & AgentSessionStatus.UPDATEINFO) > 10
            info = await c.session_info(hline, events[0].hagent_session)
            assert info.number_of_calls > 0 and info.session_duration >= 3599


async def test_embedded_advance_and_offer_call() -> None:
    async with open_emulator(SCENARIO, clock="manual", listen=False) as emu:
        assert emu.group_id("Sales") == SALES
        with pytest.raises(KeyError):
            emu.group_id("Nope")
        async with wire_client(emu) as c:
            hline = await c.open_line(1)
            call = emu.offer_call("Support", talk=50)  # ben answers at once (answer_delay 0)
            assert call >= 1
            await emu.advance(20.5)
            assert emu.now == 20.5
            (event,) = await c.wait_for(lambda: c.session_events() or None)
            assert (event.status, event.state) == (
                AgentSessionStatus.STATE | AgentSessionStatus.UPDATEINFO, AgentSessionState.BUSYONCALL)
            hsession = event.hagent_session
            stats = emu.session_info(hsession)
            assert (stats.number_of_calls, stats.total_talk_time) == (1, 20)
            wire = await c.session_info(hline, hsession)
            assert (wire.number_of_calls, wire.total_talk_time, wire.state) == (1, 20, AgentSessionState.BUSYONCALL)


async def test_embedded_advance_with_real_clock(autojump_clock: trio.testing.MockClock) -> None:
    async with open_emulator(SCENARIO, listen=False, speed=4) as emu:
        t0 = trio.current_time()
        await emu.advance(100)
        assert emu.now == pytest.approx(100)
        assert trio.current_time() - t0 == pytest.approx(25)


async def test_connect_needs_a_listener() -> None:
    async with open_emulator(SCENARIO, clock="manual", listen=False) as emu:
        assert emu.address is None and emu.port is None
        with pytest.raises(RuntimeError, match="listen"):
            await emu.connect()


async def test_stop_closes_every_connection() -> None:
    async with open_emulator(SCENARIO, clock="manual") as emu:
        async with wire_client(emu, tcp=True) as c:
            await c.open_line(0)
            emu.stop()
            with pytest.raises(Closed):
                await c.request(m.GetGroupList(h_line=1))


@pytest.mark.tapi_emulator(clock="manual")
async def test_pytest_fixture(tapi_emulator) -> None:  # type: ignore[no-untyped-def]
    assert tapi_emulator.clock.manual
    stream = await trio.open_tcp_stream(tapi_emulator.host, tapi_emulator.port)
    c = WireClient(stream)
    async with trio.open_nursery() as nursery:
        await nursery.start(c.reader)
        await c.hello()
        hline = await c.open_line(0)
        groups = await c.value(m.GetGroupList(h_line=hline))
        assert [g.name for g in groups.entries] == ["Sales", "Support", "Billing"]  # the built-in scenario
        nursery.cancel_scope.cancel()


async def test_logs_connections_request_errors_and_state_changes(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="tsp")
    async with open_emulator(SCENARIO, clock="manual", listen=False) as emu:
        async with wire_client(emu) as c:
            hline = await c.open_line(0)
            await c.request(m.GetAgentSessionInfo(h_line=hline, h_agent_session=3, agent_session_info_size=10))
            emu.offer_call("Sales", 5)
            await emu.advance(1)
    await trio.testing.wait_all_tasks_blocked()
    text = caplog.text
    assert "conn 1: connected from memory" in text
    assert "GETAGENTSESSIONINFO -> STRUCTURETOOSMALL: buffer size 10" in text
    assert "session 3 on line 0 -> BUSYONCALL" in text
    assert "conn 1: closed" in text
