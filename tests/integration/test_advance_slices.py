"""EmuAdvanceClock runs in slices (contract §10, issue 12 Must 5): the server keeps serving while a long
advance runs, a listener that reads gets every event of it (not cut off as "not reading"), one that does
not read is still cut off, the RESPONSE comes once the whole interval has happened, and SIGTERM during
an advance stops the process at once.

The built-in scenario makes ~57,000 events a day on its 4 lines (2.3 MB of EVENTS for a listener on all
of them); one simulated day takes about half a second of work.
"""

from __future__ import annotations

import signal
import socket
import struct
import time

import trio
import trio.testing

from protocol import codec
from protocol import messages as m
from protocol.constants import FrameKind
from processes import START_TIMEOUT, open_tsp
from server_wire import WireClient, wire_client
from tsp.server import ServerConfig
from tsp.testing import open_emulator

DAY = 86400


async def _listen_everywhere(client: WireClient, lines: int) -> None:
    for device in range(lines):
        await client.open_line(device)


async def test_other_connections_are_served_while_a_day_passes_and_see_an_instant_inside_it() -> None:
    async with open_emulator(None, clock="manual", listen=False) as emu:
        observed: list[object] = []
        emu.service.event_observers.append(observed.append)
        async with wire_client(emu, "advancer") as adv, wire_client(emu, "poller") as poller:
            await _listen_everywhere(adv, emu.switch.lines)
            hline = await poller.open_line(0)
            observed.clear()  # the scenario's start (sessions at t = 0) came while the lines were opened
            seq = adv.proto.next_sequence()
            await adv.send(m.Request(seq, m.EmuAdvanceClock(seconds=DAY)))
            # The advancer's later request waits for the advance (its frames are handled in order).
            later = adv.proto.next_sequence()
            await adv.send(m.Request(later, m.Initialize(friendly_name="later")))
            answered_inside: list[float] = []
            with trio.fail_after(60):
                while adv.response(seq) is None:
                    await poller.value(m.GetGroupList(h_line=hline))
                    if adv.response(seq) is None:
                        answered_inside.append(emu.now)
            # (The last one may already see the end: the advancer's RESPONSE can be on its way.)
            inside = [t for t in answered_inside if 0 < t < DAY]
            assert len(inside) >= 2, f"requests of another connection answered during the advance: {answered_inside}"
            assert adv.response(seq).result == 0 and emu.now == DAY
            # Every event of the day reached the advancer, all before its RESPONSE; the later request after it.
            await adv.wait_for(lambda: adv.response(later))
            at = adv.position(lambda k, x: k == "response" and x.sequence == seq)
            records = [x for k, x in adv.log[:at] if k == "record" and isinstance(x, m.AgentSessionStatusEvent)]
            assert len(records) == len(observed) > 10_000
            assert adv.position(lambda k, x: k == "response" and x.sequence == later) > at


async def test_the_sliced_advance_makes_the_same_day_as_the_one_shot_embedded_advance() -> None:
    counts = []
    for sliced in (True, False):
        async with open_emulator(None, clock="manual", listen=False) as emu:
            observed: list[object] = []
            emu.service.event_observers.append(observed.append)
            if sliced:
                async with wire_client(emu) as c:
                    await c.advance(DAY // 4)
            else:
                await emu.advance(DAY // 4)
            counts.append([(e.hagent_session, e.status, e.state) for e in observed])
    assert counts[0] == counts[1] and len(counts[0]) > 1000


class SlowReader(trio.abc.Stream):
    """A client end that reads slowly (16 KiB every 2 ms, ~8 MB/s at best; the advance makes ~5 MB/s of
    events, and decoding them costs this process too), on a lockstep pair: the server's writer waits for
    every byte, no kernel buffer hides the pace."""

    def __init__(self, inner: trio.abc.Stream) -> None:
        self.inner = inner

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        await self.inner.send_all(data)

    async def wait_send_all_might_not_block(self) -> None:
        await self.inner.wait_send_all_might_not_block()

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        await trio.sleep(0.002)
        return await self.inner.receive_some(16384)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _lockstep(emu: object, name: str) -> trio.abc.Stream:
    theirs, ours = trio.testing.lockstep_stream_pair()
    emu.serve_stream(ours, name)  # type: ignore[attr-defined]
    return theirs


async def test_a_reading_listener_gets_every_event_and_a_non_reader_is_cut_off() -> None:
    """Small queues (the minimum, 0x50004 bytes): a day of events is 7 times that. The slow listener that
    reads gets all of them (the advance waits for it); the one that stops reading is cut off as before."""
    config = ServerConfig(control=True, max_queued_bytes=0x50004, read_timeout=1.0, overflow_grace=0.5)
    async with open_emulator(None, clock="manual", listen=False, config=config) as emu:
        observed: list[object] = []
        emu.service.event_observers.append(observed.append)
        lines = emu.switch.lines
        stalled = WireClient(_lockstep(emu, "non-reader"), "non-reader")
        reader = WireClient(SlowReader(_lockstep(emu, "slow reader")), "slow reader")
        async with trio.open_nursery() as nursery:
            reading = trio.CancelScope()

            async def read_until_cancelled() -> None:
                with reading:
                    await stalled.reader()

            nursery.start_soon(read_until_cancelled)
            await stalled.hello()
            await _listen_everywhere(stalled, lines)
            reading.cancel()  # from now on it takes no byte
            await nursery.start(reader.reader)
            await reader.hello()
            await _listen_everywhere(reader, lines)
            observed.clear()
            seq = reader.proto.next_sequence()
            await reader.send(m.Request(seq, m.EmuAdvanceClock(seconds=DAY)))
            await reader.wait_for(lambda: reader.response(seq), timeout=30)
            assert reader.error is None and not reader.closed
            records = [x for k, x in reader.log if k == "record" and isinstance(x, m.AgentSessionStatusEvent)]
            assert len(records) == len(observed)
            assert len(records) * 40 > 5 * config.max_queued_bytes
            with trio.fail_after(10):  # the non-reader is cut off (queue overflow, then the grace)
                while emu.server.connection_count > 1:
                    await trio.sleep(0.05)
            nursery.cancel_scope.cancel()


async def test_sigterm_during_a_long_advance_stops_the_process_at_once() -> None:
    """A year of the built-in scenario would take minutes; SIGTERM ends the process within a slice.
    (Before slicing, the loop was frozen until the advance ended.)"""
    proc, host, port = await open_tsp("--clock", "manual", "--control", "--port", "0", "-q")
    try:
        with socket.create_connection((host, port)) as sock:
            sock.sendall(codec.encode(m.Hello()))
            sock.sendall(codec.encode(m.Request(1, m.EmuAdvanceClock(seconds=365 * DAY))))
            await trio.sleep(0.5)  # well inside the advance
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            with trio.fail_after(START_TIMEOUT):
                status = await proc.wait()
            took = time.monotonic() - started
            data = b""
            sock.settimeout(5)
            while chunk := sock.recv(65536):
                data += chunk
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert status == 0
    assert took < START_TIMEOUT / 2, f"SIGTERM took {took:.1f} s"
    # The server's HELLO came, but no RESPONSE: the year had not passed.
    kinds = []
    while len(data) >= 12:
        length, kind, _, _ = struct.unpack_from("<IHHI", data)
        kinds.append(kind)
        data = data[4 + length :]
    assert kinds[0] == FrameKind.HELLO and FrameKind.RESPONSE not in kinds
