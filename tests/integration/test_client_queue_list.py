"""GetQueueList (153) from the client against the embedded emulator: ``line.get_queue_list`` (growing its
buffer), ``ITACDGroup.EnumerateQueues`` / ``get_Queues`` and the ``ITQueue`` getters, an unknown group's
LINEERR_INVALAGENTGROUP, and the blocking facade's twins."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import trio

import client
from client import LineErr
from protocol.constants import ReqFunc
from protocol.structs import QueueEntry, QueueList
from tsp.scenario import parse_scenario
from tsp.testing import Emulator, open_emulator

SALES = uuid.UUID("5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b")
#: A long group name, so that the first 1 KiB buffer is too small and the list must grow.
LONG = "Kundendienst " * 60

SCENARIO = f"""
[switch]
name = "queue-list"
lines = 1
start = "2026-11-26T09:00:00Z"

[[groups]]
id = "{SALES}"
name = "Sales"
queue = 7

[[groups]]
id = "8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
name = "{LONG}"
queue = 9
"""


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with open_emulator(parse_scenario(SCENARIO, "queue-list.toml"), clock="manual", port=0) as emu:
        yield emu


async def test_line_api_and_tapi3_objects(emu: Emulator) -> None:
    emu.offer_call("Sales", talk=60)  # nobody is READY: the call waits in queue 7
    async with client.connect_stream(await emu.connect_memory()) as tapi:
        line = await tapi.open_line(0)
        lst = await line.get_queue_list(SALES)
        assert isinstance(lst, QueueList) and lst.entries == (QueueEntry(7, "Sales"),)
        long_group = next(g for g in await line.acd_groups() if g.name == LONG)
        grown = await line.get_queue_list(long_group)  # 24 + 12 + 1,562 bytes: grows past 1 KiB
        assert grown.entries == (QueueEntry(9, LONG),) and grown.total_size == grown.needed_size
        request_id, pending = await line.start_get_queue_list(str(SALES), buffer_size=40)
        assert request_id > 0 and (await pending).entries == ()  # the start_ form does not grow

        sales = client.ITACDGroup(SALES, line)
        (queue,) = await sales.EnumerateQueues()
        assert isinstance(queue, client.ITQueue) and (queue.queue_id, await queue.get_Name()) == (7, "Sales")
        assert await sales.get_Queues() == [queue]
        assert await queue.get_CurrentCallsQueued() == 1
        assert await queue.get_TotalCallsQueued() == 1

        with pytest.raises(client.LineError) as info:
            await client.ITACDGroup(uuid.UUID(int=5), line).EnumerateQueues()
        assert (info.value.lineerr, info.value.function) == (LineErr.INVALAGENTGROUP, ReqFunc.GETQUEUELIST)
        assert info.value.hresult == LineErr.INVALAGENTGROUP
        with pytest.raises(client.TapiError) as bad:
            await line.get_queue_list("not a GUID")
        assert bad.value.hresult == client.HResult.E_INVALIDARG


async def test_blocking_facade_enumerates_queues(emu: Emulator) -> None:
    def work() -> tuple[object, int, str]:
        with client.blocking.connect(emu.host, emu.port) as tapi:
            line = tapi.open_line(0)
            group = next(g for g in line.acd_groups() if g.group_id == SALES)
            (queue,) = group.EnumerateQueues()
            return queue, queue.get_CurrentCallsQueued(), queue.get_Name()

    queue, waiting, name = await trio.to_thread.run_sync(work)
    assert isinstance(queue, client.blocking.ITQueue) and (waiting, name) == (0, "Sales")
