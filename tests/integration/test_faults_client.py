"""The client survives the server (issue 8 §3): a server process killed mid-request, a server that stops
in the middle of a frame, one that goes silent. Every pending call ends with a clear error (no hang),
later calls fail at once, and a new connection works once a server is back.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import trio
import trio.testing

import client
from client import ConnectionLostError, TapiTimeoutError
from client.connection import KEEPALIVE
from processes import open_tsp
from protocol import codec
from protocol import messages as m
from protocol.connection import NEED_DATA, Connection, Role
from scenarios import one_agent
from tsp.scenario import parse_scenario
from tsp.testing import open_emulator

SCENARIO = one_agent(lines=2, seed=2)
# GetGroupList's LINE_REPLY is held for an hour: the request stays in flight until the server dies.
HELD = SCENARIO + """
[[faults]]
function = 152
mode = "delay"
seconds = 3600
"""


async def start_server(scenario: Path, port: int = 0) -> tuple[trio.Process, str, int]:
    return await open_tsp("--scenario", str(scenario), "--port", str(port), "--quiet")


async def kill(proc: trio.Process) -> None:
    if proc.returncode is None:
        proc.kill()
    await proc.wait()


async def test_server_killed_mid_request_then_reconnect(tmp_path: Path) -> None:
    scenario = tmp_path / "held.toml"
    scenario.write_text(HELD)
    proc, host, port = await start_server(scenario)
    try:
        async with client.connect(host, port) as tapi:
            line = await tapi.open_line(0)
            outcomes: list[BaseException | object] = []

            async def call() -> None:
                try:
                    outcomes.append(await line.get_group_list())
                except ConnectionLostError as exc:
                    outcomes.append(exc)

            with trio.fail_after(20):  # no hang: well below the client's 120 s request deadline
                async with trio.open_nursery() as nursery:
                    for _ in range(3):
                        nursery.start_soon(call)
                    while tapi.connection.pending_requests < 3:  # three request IDs wait for LINE_REPLYs
                        await trio.sleep(0.01)
                    proc.kill()  # SIGKILL: the process dies in the middle of the three requests
            assert len(outcomes) == 3 and all(isinstance(o, ConnectionLostError) for o in outcomes), outcomes
            assert "closed the connection" in str(outcomes[0]) or "receiving failed" in str(outcomes[0])
            assert tapi.connection.closed and tapi.connection.pending_requests == 0
            with pytest.raises(ConnectionLostError):  # later calls fail at once
                await line.get_group_list()
        await proc.wait()
        # Nobody listens on the port now: a clear error naming it.
        with pytest.raises(ConnectionLostError, match=f"{host}:{port}"):
            async with client.connect(host, port):
                pass
        # A server is back on the same port: a new connection works.
        scenario.write_text(SCENARIO)
        proc, _, again = await start_server(scenario, port)
        assert again == port
        with trio.fail_after(20):
            async with client.connect(host, port) as tapi:
                groups = await (await tapi.open_line(1)).get_group_list()
                assert [g.name for g in groups.entries] == ["Sales"]
    finally:
        await kill(proc)


async def fake_server(stream: trio.abc.Stream, answer_first: int, then: str) -> None:
    """Answer HELLO and the first ``answer_first`` requests (Initialize, Negotiate, Open...) as a real
    server would (by echoing them with result 0 and handles filled), then either send half of the next
    RESPONSE and close (``then == "half"``), read and never answer (``"silent"``) or never read again
    (``"deaf"``)."""
    proto = Connection(Role.SERVER)
    answered = 0
    while True:
        if then == "deaf" and answered >= answer_first:
            await trio.sleep_forever()
        data = await stream.receive_some(65536)
        if not data:
            return
        proto.receive_data(data)
        while (event := proto.next_event()) is not NEED_DATA:
            if isinstance(event, m.Hello):
                await stream.send_all(proto.send(m.Hello(product="fake")))
            elif isinstance(event, m.Request):
                body = event.body
                if answered < answer_first:
                    answered += 1
                    if isinstance(body, m.Initialize):
                        body = m.Initialize(h_line_app=1, num_devs=2, init_context=body.init_context)
                    elif isinstance(body, m.NegotiateAPIVersion):
                        body = m.NegotiateAPIVersion(h_line_app=1, device_id=body.device_id,
                                                     api_low_version=body.api_low_version,
                                                     api_high_version=body.api_high_version,
                                                     api_version=body.api_high_version)
                    elif isinstance(body, m.Open):
                        body = m.Open(h_line_app=1, device_id=body.device_id, api_version=body.api_version,
                                      h_line=7, open_context=body.open_context, h_remote_line=body.h_remote_line)
                    await stream.send_all(proto.send(m.Response(event.sequence, 0, body)))
                elif then == "half":
                    whole = codec.encode(m.Response(event.sequence, 5, body))
                    await stream.send_all(whole[: len(whole) // 2])
                    await stream.aclose()
                    return


async def test_server_stopping_in_the_middle_of_a_response(autojump_clock: trio.testing.MockClock) -> None:
    client_end, server_end = trio.testing.memory_stream_pair()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(fake_server, server_end, 3, "half")
        with trio.fail_after(10):
            async with client.connect_stream(client_end) as tapi:
                line = await tapi.open_line(0)
                with pytest.raises(ConnectionLostError) as info:
                    await line.get_group_list()
                assert "invalid" in str(info.value) and "MALFORMED" in str(info.value)
                assert tapi.connection.pending_requests == 0
                with pytest.raises(ConnectionLostError):
                    await line.get_group_list()


async def test_a_silent_server_is_a_timeout_not_a_hang(autojump_clock: trio.testing.MockClock) -> None:
    client_end, server_end = trio.testing.memory_stream_pair()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(fake_server, server_end, 3, "silent")
        async with client.connect_stream(client_end, request_timeout=120) as tapi:
            line = await tapi.open_line(0)
            start = trio.current_time()
            with pytest.raises(TapiTimeoutError):
                await line.get_group_list(timeout=120)
            assert trio.current_time() - start == pytest.approx(120)
            assert tapi.connection.pending_requests == 0 and not tapi.connection.closed
        nursery.cancel_scope.cancel()


async def test_a_server_that_stops_reading_times_out_every_waiting_call(
        autojump_clock: trio.testing.MockClock) -> None:
    """A peer that stops reading (a lockstep stream: a write blocks until the peer reads): the writer task
    is stuck in its write, yet each of 64 concurrent calls ends with TAPI_E_TIMEOUT at its own deadline,
    and closing the connection does not wait for the peer."""
    client_end, server_end = trio.testing.lockstep_stream_pair()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(fake_server, server_end, 3, "deaf")
        with trio.fail_after(60):
            async with client.connect_stream(client_end, request_timeout=120) as tapi:
                line = await tapi.open_line(0)
                start = trio.current_time()
                outcomes: list[BaseException] = []

                async def one(timeout: float) -> None:
                    try:
                        await line.get_group_list(timeout=timeout)
                    except TapiTimeoutError as exc:
                        outcomes.append(exc)
                        assert trio.current_time() - start == pytest.approx(timeout)

                async with trio.open_nursery() as calls:
                    for i in range(64):
                        calls.start_soon(one, 5 + i % 4)
                assert len(outcomes) == 64
                assert tapi.connection.pending_requests == 0
        nursery.cancel_scope.cancel()


async def test_embedded_server_stopping_fails_pending_calls_and_a_new_one_serves() -> None:
    scenario = parse_scenario(SCENARIO)
    async with open_emulator(scenario, clock="manual") as emu:
        emu.set_faults([{"function": 152, "mode": "delay", "seconds": 100}])
        with trio.fail_after(20):
            async with client.connect(emu.host, emu.port) as tapi:
                line = await tapi.open_line(0)
                pending = await line.start_get_group_list()
                emu.stop()
                with pytest.raises(ConnectionLostError):
                    await pending[1]
    async with open_emulator(scenario, clock="manual") as emu:
        with trio.fail_after(20):
            async with client.connect(emu.host, emu.port) as tapi:
                assert (await (await tapi.open_line(0)).get_group_list()).entries


async def test_client_sockets_get_tcp_keepalive() -> None:
    # A listener-only client must learn that a vanished server is gone: keepalive on its socket too.
    async with open_emulator(parse_scenario(SCENARIO), clock="manual") as emu:
        async with client.connect(emu.host, emu.port) as tapi:
            sock = tapi.connection._stream.socket  # type: ignore[attr-defined]
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
            if hasattr(socket, "TCP_KEEPIDLE"):
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == KEEPALIVE[0]
