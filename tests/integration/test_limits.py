"""Limits and exposure of the server (issue 8 §4): the in-flight cap, frames at the size limit, TCP
keepalive on accepted sockets, the loopback default, the control extension refused without ``--control``,
and the CLI flags that set them.

The read timeout, max-conn and the slow-reader cut-off are in test_server.py; the thousands-of-connections
leak check is in test_limits_connections.py.
"""

from __future__ import annotations

import socket
import struct

import pytest
import trio
import trio.testing

import tsp.server
from protocol import codec
from protocol import messages as m
from protocol.connection import NEED_DATA, Connection, Role
from protocol.constants import MAX_FRAME_LENGTH, ApiVersion, ErrorCode, FrameKind, LineErr
from server_wire import wire_client
from tsp.__main__ import build_parser, main
from scenarios import SALES, one_agent
from tsp.scenario import parse_scenario
from tsp.server import KEEPALIVE, ServerConfig, set_keepalive
from tsp.testing import open_emulator

SCENARIO = parse_scenario(one_agent(lines=2, seed=1))

GROUP_LIST = 152
INITIALIZE = 47


# --- in-flight cap ----------------------------------------------------------------------------------------


async def test_in_flight_cap_refuses_once_the_held_answers_reach_it() -> None:
    config = ServerConfig(control=True, max_in_flight=3)
    async with open_emulator(SCENARIO, clock="manual", listen=False, config=config) as emu:
        emu.set_faults([{"function": GROUP_LIST, "mode": "delay", "seconds": 100}])
        async with wire_client(emu, "holder") as c, wire_client(emu, "other") as other:
            hline = await c.open_line(0)
            ids = [(await c.request(m.GetGroupList(h_line=hline))).result for _ in range(3)]
            assert all(1 <= rid <= 0x7FFFFFFF for rid in ids)  # accepted: request IDs, replies held
            refused = await c.request(m.GetGroupList(h_line=hline))
            assert refused.result == LineErr.RESOURCEUNAVAIL
            # Other requests of the same connection are refused too (the cap counts the connection) ...
            assert (await c.request(m.Initialize())).result == LineErr.RESOURCEUNAVAIL
            # ... but another connection is not affected.
            other_line = await other.open_line(0)
            assert 1 <= (await other.request(m.GetGroupList(h_line=other_line))).result <= 0x7FFFFFFF
            # The held LINE_REPLYs go out: room again.
            await emu.advance(100)
            for rid in ids:
                assert (await c.wait_for(lambda rid=rid: c.reply(rid))).result == 0
            assert c.reply(refused.result) is None
            emu.clear_faults()
            assert (await c.value(m.GetGroupList(h_line=hline))).entries


async def test_in_flight_cap_counts_held_responses_of_sync_functions() -> None:
    config = ServerConfig(control=True, max_in_flight=2)
    async with open_emulator(SCENARIO, clock="manual", listen=False, config=config) as emu:
        async with wire_client(emu) as c:
            await c.initialize()
            emu.set_faults([{"function": INITIALIZE, "mode": "delay", "seconds": 10}])
            seqs = []
            for _ in range(2):
                seq = c.proto.next_sequence()
                await c.send(m.Request(seq, m.Initialize()))
                seqs.append(seq)
            assert (await c.request(m.Initialize())).result == LineErr.RESOURCEUNAVAIL
            assert all(c.response(s) is None for s in seqs)
            await emu.advance(10)
            for seq in seqs:
                assert (await c.wait_for(lambda seq=seq: c.response(seq))).result == 0
            emu.clear_faults()
            assert (await c.request(m.Initialize())).result == 0


async def test_dropped_answers_and_answers_of_closed_lines_do_not_count() -> None:
    config = ServerConfig(control=True, max_in_flight=2)
    async with open_emulator(SCENARIO, clock="manual", listen=False, config=config) as emu:
        async with wire_client(emu) as c:
            hline = await c.open_line(0)
            # drop: nothing is held, however many.
            emu.set_faults([{"function": GROUP_LIST, "mode": "drop"}])
            for _ in range(5):
                assert 1 <= (await c.request(m.GetGroupList(h_line=hline))).result <= 0x7FFFFFFF
            # delay on a line that is then closed: the switch drops those replies, so they stop counting.
            emu.set_faults([{"function": GROUP_LIST, "mode": "delay", "seconds": 50}])
            for _ in range(2):
                await c.request(m.GetGroupList(h_line=hline))
            assert (await c.request(m.GetGroupList(h_line=hline))).result == LineErr.RESOURCEUNAVAIL
            assert (await c.request(m.Close(h_line=hline))).result == 0
            emu.clear_faults()
            second = await c.open_line(1)
            assert (await c.value(m.GetGroupList(h_line=second))).entries


# --- frames at the size limit -------------------------------------------------------------------------------


def _initialize_of_frame_length(length: int) -> tuple[bytes, str]:
    """An Initialize REQUEST (sequence 1) whose frame length field is exactly ``length``, and its
    friendly name (long enough to fill the frame)."""
    base = len(codec.encode(m.Request(1, m.Initialize(friendly_name="", module_name=""))))
    # Each extra character is 2 bytes of UTF-16; VarData items are padded to 4.
    name = "n" * ((length + 4 - base) // 2)
    frame = codec.encode(m.Request(1, m.Initialize(friendly_name=name, module_name="")))
    while len(frame) - 4 > length:
        name = name[:-1]
        frame = codec.encode(m.Request(1, m.Initialize(friendly_name=name, module_name="")))
    assert len(frame) - 4 == length, (len(frame) - 4, length)
    return frame, name


async def _read_frame(stream: trio.SocketStream, proto: Connection) -> object:
    with trio.fail_after(10):
        while True:
            event = proto.next_event()
            if event is not NEED_DATA:
                return event
            proto.receive_data(await stream.receive_some(65536))


async def _read_raw_frame(stream: trio.SocketStream) -> bytes:
    """One whole frame's bytes (the client state machine did not send these requests, so decode by hand)."""
    raw = b""
    with trio.fail_after(10):
        while len(raw) < 4 or len(raw) < 4 + int.from_bytes(raw[:4], "little"):
            data = await stream.receive_some(65536)
            assert data, f"the server closed the connection after {len(raw)} bytes of a frame"
            raw += data
    return raw


async def test_a_request_frame_of_exactly_the_limit_is_served_and_one_byte_more_is_error_2() -> None:
    frame, name = _initialize_of_frame_length(MAX_FRAME_LENGTH)
    async with open_emulator(SCENARIO, clock="manual") as emu:
        stream = await emu.connect()
        proto = Connection(Role.CLIENT)
        await stream.send_all(proto.send(m.Hello()))
        assert isinstance(await _read_frame(stream, proto), m.Hello)
        await stream.send_all(frame)
        raw = await _read_raw_frame(stream)
        length, kind, _, sequence = struct.unpack_from("<IHHI", raw)
        assert (kind, sequence) == (FrameKind.RESPONSE, 1)
        # The RESPONSE carries the fixed part only: the name is an in-parameter, not echoed (§10).
        assert length == 8 + 60
        response = codec.decode(raw, response_func=INITIALIZE)
        assert response.result == 0 and response.body.h_line_app > 0
        assert response.body.friendly_name == ""
        # The same connection still works.
        await stream.send_all(codec.encode(m.Request(2, m.Initialize(friendly_name="small"))))
        assert codec.decode(await _read_raw_frame(stream), response_func=INITIALIZE).result == 0
        # One byte over the limit: ERROR 2 from the length field alone, then the server closes.
        await stream.send_all(struct.pack("<IHHI", MAX_FRAME_LENGTH + 1, FrameKind.REQUEST, 0, 3))
        raw = b""
        with trio.fail_after(10):
            while True:
                data = await stream.receive_some(65536)
                if not data:
                    break
                raw += data
        error = codec.decode(raw)
        assert isinstance(error, m.Error) and error.code == ErrorCode.FRAME_TOO_LARGE
        await stream.aclose()
        await trio.testing.wait_all_tasks_blocked()
        assert emu.server.connection_count == 0


# --- exposure -----------------------------------------------------------------------------------------------


def test_set_keepalive_sets_the_documented_timing() -> None:
    with socket.socket() as sock:
        set_keepalive(sock)
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        if hasattr(socket, "TCP_KEEPIDLE"):
            got = tuple(sock.getsockopt(socket.IPPROTO_TCP, opt)
                        for opt in (socket.TCP_KEEPIDLE, socket.TCP_KEEPINTVL, socket.TCP_KEEPCNT))
            assert got == KEEPALIVE


async def test_every_accepted_socket_gets_keepalive(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real = tsp.server.set_keepalive

    def spy(sock: socket.socket) -> None:
        real(sock)
        seen.append(sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE))

    monkeypatch.setattr(tsp.server, "set_keepalive", spy)
    async with open_emulator(SCENARIO, clock="manual") as emu:
        async with wire_client(emu, "a", tcp=True), wire_client(emu, "b", tcp=True):
            pass
    assert seen == [1, 1]


async def test_listens_on_loopback_unless_told_otherwise() -> None:
    assert build_parser().parse_args([]).host == "127.0.0.1"
    async with open_emulator(SCENARIO, clock="manual") as emu:
        assert emu.address is not None and emu.address[0] == "127.0.0.1"


async def test_control_extension_refused_without_control_over_tcp() -> None:
    async with open_emulator(SCENARIO, clock="manual", control=False) as emu:
        async with wire_client(emu, tcp=True) as c:
            await c.initialize()
            for body in (m.EmuAdvanceClock(seconds=10), m.EmuOfferCall(group_id=SALES, talk_seconds=10)):
                assert (await c.request(body)).result == LineErr.OPERATIONUNAVAIL
            assert emu.now == 0  # the clock did not move
            assert emu.switch.queue_info(1, emu.now).total_calls_queued == 0  # no call was offered


async def test_apps_and_lines_per_connection_are_capped_through_the_server() -> None:
    config = ServerConfig(max_apps_per_connection=1, max_lines_per_connection=1)
    async with open_emulator(SCENARIO, clock="manual", listen=False, config=config) as emu:
        async with wire_client(emu, "greedy") as c:
            await c.open_line(0)
            assert (await c.request(m.Initialize())).result == LineErr.RESOURCEUNAVAIL
            over = await c.request(m.Open(h_line_app=c.happ, device_id=1, api_version=ApiVersion.V3_0))
            assert over.result == LineErr.RESOURCEUNAVAIL


def test_cli_limit_flags_and_their_errors(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(
        ["--max-in-flight", "7", "--max-conn", "3", "--read-timeout", "2.5", "--max-apps", "4", "--max-lines", "9"]
    )
    assert (args.max_in_flight, args.max_conn, args.read_timeout) == (7, 3, 2.5)
    assert (args.max_apps, args.max_lines) == (4, 9)
    defaults = build_parser().parse_args([])
    assert defaults.max_in_flight == ServerConfig().max_in_flight
    assert (defaults.max_apps, defaults.max_lines) == (64, 1024) == (
        ServerConfig().max_apps_per_connection, ServerConfig().max_lines_per_connection
    )
    assert defaults.tls_cert is None and defaults.tls_key is None and defaults.control is False
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["--max-in-flight", "0"])
    assert exit_info.value.code == 2
    assert main(["--tls-cert", "/nonexistent/cert.pem", "--port", "0"]) == 2
    assert "/nonexistent/cert.pem" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--tls-key", "key.pem"])
    assert "--tls-key needs --tls-cert" in capsys.readouterr().err


def test_server_config_rejects_a_zero_in_flight_cap() -> None:
    with pytest.raises(ValueError, match="max_in_flight"):
        ServerConfig(max_in_flight=0)
    with pytest.raises(ValueError, match="max_apps_per_connection"):
        ServerConfig(max_apps_per_connection=0)
    with pytest.raises(ValueError, match="max_lines_per_connection"):
        ServerConfig(max_lines_per_connection=0)
