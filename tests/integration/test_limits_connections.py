"""Everything a connection holds is released when it closes (issue 8 §5): thousands of TCP connections
open lines (event subscriptions), leave held replies behind (delay faults) and end every way a
connection can end; afterwards the server's tables, its task count and the process's open file
descriptors are back where they started.
"""

from __future__ import annotations

import gc
import os
import socket
import struct

import trio
import trio.testing

from protocol import messages as m
from protocol.constants import ErrorCode
from server_wire import WireClient
from scenarios import one_agent
from tsp.scenario import parse_scenario
from tsp.server import ServerConfig
from tsp.testing import open_emulator

SCENARIO = parse_scenario(one_agent(lines=4, seed=9))

CONNECTIONS = 2000
AT_ONCE = 250


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


class Wave:
    """Holds a wave's connections open until all of them are set up (so the tables are at their peak)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.ready = 0
        self.all_ready = trio.Event()

    async def arrive(self) -> None:
        self.ready += 1
        if self.ready == self.size:
            self.all_ready.set()
        await self.all_ready.wait()


async def one_connection(emu: object, i: int, wave: Wave, done: list[str]) -> None:
    """Open, subscribe, leave work behind, wait for the wave, then end in one of five ways (by ``i``)."""
    stream = await emu.connect()  # type: ignore[attr-defined]
    c = WireClient(stream, f"c{i}")
    how = ("eof", "reset", "mid-frame", "protocol-error", "shutdown")[i % 5]
    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(c.reader)
            await c.hello()
            hline = await c.open_line(i % 4)
            if i % 3 == 0:  # a second app with a line of its own
                await c.request(m.Initialize(friendly_name="second"))
            await c.request(m.GetGroupList(h_line=hline))  # its LINE_REPLY is held by the delay fault
            await wave.arrive()
            if how == "reset":
                # RST instead of FIN: the server's next read or write fails.
                stream.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif how == "mid-frame":
                await c.send_raw(struct.pack("<IHHI", 8 + 60, 1, 0, 77) + bytes(11))
            elif how == "protocol-error":
                await c.send_raw(struct.pack("<IHHI", 8, 3, 0, 0))  # a client may not send EVENTS
                err = await c.wait_closed(timeout=20)
                assert err is not None and err.code == ErrorCode.UNEXPECTED_KIND
            elif how == "shutdown":
                assert (await c.request(m.ShutDown(h_line_app=c.happ))).result == 0
            nursery.cancel_scope.cancel()
    finally:
        with trio.CancelScope(shield=True):
            await trio.aclose_forcefully(stream)
    done.append(how)


async def test_thousands_of_connections_leave_nothing_behind() -> None:
    config = ServerConfig(control=True, max_connections=AT_ONCE + 10)
    async with open_emulator(SCENARIO, clock="manual", config=config) as emu:
        emu.set_faults([{"function": 152, "mode": "delay", "seconds": 3600}])
        await trio.testing.wait_all_tasks_blocked()
        gc.collect()  # sockets of earlier tests still in reference cycles close now, not during the count
        tables, tasks, fds = emu.service.table_sizes(), trio.lowlevel.current_statistics().tasks_living, open_fds()
        done: list[str] = []
        peaks = []
        with trio.fail_after(120):
            for start in range(0, CONNECTIONS, AT_ONCE):
                wave = Wave(AT_ONCE)
                async with trio.open_nursery() as nursery:
                    for i in range(start, start + AT_ONCE):
                        nursery.start_soon(one_connection, emu, i, wave, done)
                    await wave.all_ready.wait()
                    peaks.append(emu.service.table_sizes())
            while emu.server.connection_count:
                await trio.sleep(0.01)
        await trio.testing.wait_all_tasks_blocked()
        assert len(done) == CONNECTIONS and {d: done.count(d) for d in set(done)} == {
            how: CONNECTIONS // 5 for how in ("eof", "reset", "mid-frame", "protocol-error", "shutdown")}
        for peak in peaks:  # every wave really held connections, lines and held replies at once
            assert peak["connections"] >= AT_ONCE and peak["lines"] >= AT_ONCE and peak["delayed"] >= AT_ONCE
        assert emu.service.table_sizes() == tables
        assert trio.lowlevel.current_statistics().tasks_living == tasks
        assert open_fds() == fds
        # ... and the server still serves.
        c = WireClient(await emu.connect(), "after")
        async with trio.open_nursery() as nursery:
            await nursery.start(c.reader)
            await c.hello()
            emu.clear_faults()
            assert (await c.value(m.GetGroupList(h_line=await c.open_line(0)))).entries
            nursery.cancel_scope.cancel()
        await c.stream.aclose()
