"""Issue 12: server-side global bounds (Must 3: ``max_queued_total``, ``max_lines_total``), slowloris (Must 4:
a frame must be whole within the read timeout of its first byte; an hLineApp within the read timeout of
HELLO) and close reasons in words (item 8). Memory streams and ``autojump_clock``; the CLI flags at the end.
"""

from __future__ import annotations

import logging
import struct

import pytest
import trio
import trio.testing

from protocol import codec
from protocol import messages as m
from protocol.connection import Connection, Role
from protocol.constants import ErrorCode, FrameKind, LineErr
from scenarios import one_agent
from server_wire import WireClient, wire_client
from tsp.__main__ import build_parser, main
from tsp.scenario import parse_scenario
from tsp.server import ServerConfig
from tsp.testing import open_emulator

SCENARIO = parse_scenario(one_agent(lines=2, seed=1))


def split_frames(data: bytes) -> list[tuple[int, bytes]]:
    """(kind, body after the 12-byte header) of every whole frame in ``data``."""
    frames = []
    at = 0
    while at + 12 <= len(data):
        length, kind = struct.unpack_from("<IH", data, at)
        frames.append((kind, data[at + 12:at + 4 + length]))
        at += 4 + length
    return frames


def error_of(frames: list[tuple[int, bytes]]) -> tuple[int, str] | None:
    for kind, body in frames:
        if kind == FrameKind.ERROR:
            code, n = struct.unpack_from("<IH", body)
            return code, body[6:6 + n].decode()
    return None


async def read_all(stream: trio.abc.Stream) -> bytes:
    out = bytearray()
    while True:
        try:
            chunk = await stream.receive_some(65536)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            return bytes(out)
        if not chunk:
            return bytes(out)
        out += chunk


def failing_requests(first_seq: int, count: int) -> bytes:
    """``count`` REQUESTs each answered at once with a small LINEERR RESPONSE (no such hLine)."""
    return b"".join(codec.encode(m.Request(seq, m.GetGroupList(h_line=0x7777)))
                    for seq in range(first_seq, first_seq + count))


# --- max_queued_total ---------------------------------------------------------------------------------------


async def test_past_the_total_the_connection_holding_the_most_is_cut_off_first(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="tsp")
    config = ServerConfig(max_queued_bytes=900_000, max_queued_total=1_000_000)
    async with open_emulator(SCENARIO, clock="manual", listen=False, config=config) as emu:
        ends = {}
        for name in ("A", "B", "C"):  # none of them reads (lockstep: nothing leaves until the peer reads)
            client_end, server_end = trio.testing.lockstep_stream_pair()
            emu.serve_stream(server_end, name)
            await client_end.send_all(Connection(Role.CLIENT).send(m.Hello()))
            ends[name] = client_end
        counts = {"A": 6000, "B": 3000, "C": 6000}
        size = len(codec.encode(m.Response(1, int(LineErr.INVALLINEHANDLE), m.GetGroupList(h_line=0x7777))))
        assert size * (counts["A"] + counts["B"]) < 1_000_000 < size * sum(counts.values())
        for name in ("A", "B", "C"):  # C pushes the total over the limit, but A holds the most
            await ends[name].send_all(failing_requests(1, counts[name]))
            await trio.testing.wait_all_tasks_blocked()
        assert emu.server.connection_count == 3  # A is closing (its ERROR waits for A to read)
        received = {}
        async with trio.open_nursery() as nursery:
            async def drain(name: str) -> None:
                received[name] = split_frames(await read_all(ends[name]))
            for name in ("A", "B", "C"):
                nursery.start_soon(drain, name)
            await trio.testing.wait_all_tasks_blocked()
            # B and C got every RESPONSE and are still connected; A got ERROR 5 naming the total.
            emu.stop()
        a_error = error_of(received["A"])
        assert a_error is not None and a_error[0] == ErrorCode.IDLE_TIMEOUT, received["A"][-1:]
        assert "1000000 bytes for all clients together" in a_error[1]
        for name in ("B", "C"):
            responses = [f for f in received[name] if f[0] == FrameKind.RESPONSE]
            assert len(responses) == counts[name] and error_of(received[name]) is None
    cut = [r.getMessage() for r in caplog.records if "--max-queued-total" in r.getMessage()]
    assert len(cut) == 1 and cut[0].startswith("conn 1: cut off"), cut


# --- max_lines_total ----------------------------------------------------------------------------------------


async def test_lines_are_capped_across_all_connections(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="tsp")
    config = ServerConfig(control=True, max_lines_total=3)
    async with open_emulator(SCENARIO, clock="manual", listen=False, config=config) as emu:
        async with wire_client(emu, "a") as a, wire_client(emu, "b") as b:
            first = await a.open_line(0)
            await a.open_line(1)
            await b.open_line(0)
            await b.initialize()
            refused = await b.request(m.Open(h_line_app=b.happ, device_id=1, api_version=0x00030000))
            assert refused.result == LineErr.RESOURCEUNAVAIL
            assert "3 lines open across all connections (max 3, --max-lines-total)" in caplog.text
            assert (await a.request(m.Close(h_line=first))).result == 0  # a place is free again
            assert await b.open_line(1)
        assert emu.service.table_sizes()["lines"] == 0


# --- slowloris ----------------------------------------------------------------------------------------------


async def trickle(c: WireClient, data: bytes, pause: float) -> None:
    """Send ``data`` one byte every ``pause`` seconds (until the connection is gone)."""
    for byte in data:
        try:
            await c.send_raw(bytes([byte]))
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            return
        await trio.sleep(pause)


def request_bytes(c: WireClient, body: object) -> bytes:
    """A REQUEST frame from ``c``'s own protocol state (so its RESPONSE is expected)."""
    return c.proto.send(m.Request(c.proto.next_sequence(), body))


async def test_a_trickled_frame_is_cut_off_by_the_time_of_its_first_byte(autojump_clock: trio.testing.MockClock) -> None:
    config = ServerConfig(read_timeout=30)
    async with open_emulator(SCENARIO, clock="manual", listen=False, config=config) as emu:
        c = WireClient(await emu.connect_memory(), "trickle")
        async with trio.open_nursery() as nursery:
            await nursery.start(c.reader)
            await c.hello()
            await c.initialize()
            t0 = trio.current_time()
            # One byte every 20 s: the old timeout restarted with every read and never fired.
            nursery.start_soon(trickle, c, request_bytes(c, m.GetGroupList(h_line=0x7777)), 20)
            err = await c.wait_closed(timeout=300)
            assert err is not None and err.code == ErrorCode.IDLE_TIMEOUT
            assert "did not come within 30 s of its first byte" in err.text
            assert trio.current_time() - t0 == pytest.approx(30)
            nursery.cancel_scope.cancel()


async def test_frames_each_whole_within_the_timeout_are_never_cut_off(autojump_clock: trio.testing.MockClock) -> None:
    config = ServerConfig(read_timeout=30)
    async with open_emulator(SCENARIO, clock="manual", listen=False, config=config) as emu:
        async with wire_client(emu, "slow") as c:
            await c.initialize()
            frames = [request_bytes(c, m.GetGroupList(h_line=0x7777)) for _ in range(6)]
            half = len(frames[0]) // 2
            # Each read ends one frame and starts the next: every frame takes 20 s, the stream never rests
            # between frames for 100 s - still fine, as each frame is whole 20 s after its first byte.
            await c.send_raw(frames[0][:half])
            for i in range(5):
                await trio.sleep(20)
                await c.send_raw(frames[i][half:] + frames[i + 1][:half])
            await trio.sleep(20)
            await c.send_raw(frames[5][half:])
            for frame in frames:
                seq = struct.unpack_from("<I", frame, 8)[0]
                assert (await c.wait_for(lambda seq=seq: c.response(seq))).result == LineErr.INVALLINEHANDLE
            assert not c.closed


async def test_a_trickled_hello_is_cut_off_by_the_time_of_the_connect(autojump_clock: trio.testing.MockClock) -> None:
    config = ServerConfig(read_timeout=30)
    async with open_emulator(SCENARIO, clock="manual", listen=False, config=config) as emu:
        c = WireClient(await emu.connect_memory(), "slow-hello")
        hello = c.proto.send(m.Hello())
        async with trio.open_nursery() as nursery:
            await nursery.start(c.reader)
            t0 = trio.current_time()
            nursery.start_soon(trickle, c, hello, 10)
            err = await c.wait_closed(timeout=300)
            assert err is not None and err.code == ErrorCode.IDLE_TIMEOUT and "no HELLO within 30 s" in err.text
            assert trio.current_time() - t0 == pytest.approx(30)
            nursery.cancel_scope.cancel()


async def test_a_connection_without_an_hlineapp_is_closed_after_the_timeout(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="tsp")
    config = ServerConfig(read_timeout=30, max_apps_per_connection=1)
    async with open_emulator(SCENARIO, clock="manual", listen=False, config=config) as emu:
        async with wire_client(emu, "idle") as idle, wire_client(emu, "working") as working, \
                wire_client(emu, "done") as done:
            t0 = trio.current_time()
            await working.initialize()
            await done.initialize()  # then shuts down: it did initialize once, so it may stay
            assert (await done.request(m.ShutDown(h_line_app=done.happ))).result == 0
            # Requests that do not initialize an hLineApp do not count (here a failing one every 10 s).

            async def busy() -> None:
                for _ in range(10):
                    await idle.send_raw(request_bytes(idle, m.GetGroupList(h_line=0x7777)))
                    await trio.sleep(10)

            async with trio.open_nursery() as nursery:
                nursery.start_soon(busy)
                err = await idle.wait_closed(timeout=300)
                nursery.cancel_scope.cancel()
            assert err is not None and err.code == ErrorCode.IDLE_TIMEOUT
            assert "no hLineApp initialized within 30 s of HELLO" in err.text
            assert trio.current_time() - t0 == pytest.approx(30)
            await trio.sleep(3600)
            assert not working.closed and not done.closed
    assert "closed (timed out: no hLineApp initialized within 30 s of HELLO)" in caplog.text


async def test_a_refused_initialize_does_not_count(autojump_clock: trio.testing.MockClock) -> None:
    config = ServerConfig(read_timeout=30)
    async with open_emulator(SCENARIO, clock="manual", listen=False, config=config) as emu:
        emu.set_faults([{"function": 47, "mode": "error", "error": "RESOURCEUNAVAIL"}])
        async with wire_client(emu, "refused") as c:
            assert (await c.request(m.Initialize())).result == LineErr.RESOURCEUNAVAIL
            err = await c.wait_closed(timeout=31)
            assert err is not None and "no hLineApp" in err.text


# --- close reasons ------------------------------------------------------------------------------------------


async def test_close_reasons_are_words(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="tsp")
    async with open_emulator(SCENARIO, clock="manual", listen=False) as emu:
        async with wire_client(emu, "leaves") as leaving:
            await leaving.initialize()
        stays = WireClient(await emu.connect_memory(), "stays")
        async with trio.open_nursery() as nursery:
            await nursery.start(stays.reader)
            await stays.hello()
            await trio.testing.wait_all_tasks_blocked()
            emu.stop()
            await stays.wait_closed()
    text = caplog.text
    assert "conn 1: closed (closed by the client)" in text or "conn 1: closed (cancelled" in text
    assert "conn 2: closed (server stopping)" in text
    assert "closed (closed)" not in text


# --- CLI ----------------------------------------------------------------------------------------------------


def test_cli_flags_for_the_global_bounds() -> None:
    args = build_parser().parse_args(["--max-lines-total", "7", "--max-queued-total", "400000"])
    assert (args.max_lines_total, args.max_queued_total) == (7, 400000)
    defaults = build_parser().parse_args([])
    assert (defaults.max_lines_total, defaults.max_queued_total) == (10000, 256 * 1024 * 1024) == (
        ServerConfig().max_lines_total, ServerConfig().max_queued_total)
    for bad in (["--max-lines-total", "0"], ["--max-queued-total", "x"], ["--max-queued-total", "1000"]):
        with pytest.raises(SystemExit) as exc:
            main(bad)
        assert exc.value.code == 2
    with pytest.raises(ValueError, match="max_queued_total"):
        ServerConfig(max_queued_total=1000)
    with pytest.raises(ValueError, match="max_lines_total"):
        ServerConfig(max_lines_total=0)
