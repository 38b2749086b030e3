"""``tapi.control``: advance, offer_call and clock against the embedded emulator, and the two refusals
(no control extension; control on a clock that is not manual) as ControlRefusedError with its reason."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import trio

import client
from client.control import NO_CONTROL, NOT_MANUAL
from protocol.constants import LineErr, ReqFunc
from tsp.scenario import parse_scenario
from tsp.testing import open_emulator

SALES = uuid.UUID("5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b")
START = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.timezone.utc)
FLOOR = parse_scenario(f"""
[switch]
lines = 1
seed = 1
start = "2026-11-26T09:00:00Z"

[[groups]]
id = "{SALES}"
name = "Sales"
queue = 1

[[agents]]
id = "1001"
pin = "1234"
answer_delay = 2

[[agents.sessions]]
group = "Sales"
line = 0
state = "READY"

[[agents]]
id = "idle"
""")


async def test_advance_moves_the_manual_clock_with_millisecond_resolution() -> None:
    async with open_emulator(FLOOR, clock="manual", listen=False) as emu:
        async with client.connect_stream(await emu.connect_memory()) as tapi:
            before = emu.now
            await tapi.control.advance(1.5)
            assert emu.now - before == pytest.approx(1.5)
            await tapi.control.advance(0)
            assert emu.now - before == pytest.approx(1.5)
            assert await tapi.control.clock([("1001", "1234")]) == START + dt.timedelta(seconds=1)  # floored to the second
            await tapi.control.advance(88.5)
            assert await tapi.control.clock([("1001", "1234")]) == START + dt.timedelta(seconds=90)


async def test_offer_call_by_name_guid_and_group_object_reaches_the_agent() -> None:
    async with open_emulator(FLOOR, clock="manual", listen=False) as emu:
        async with client.connect_stream(await emu.connect_memory()) as tapi:
            line = await tapi.open_line(0)
            first = await tapi.control.offer_call("sales", talk=30)  # names match case-insensitively
            await tapi.control.advance(5)
            session = (await (await line.create_agent("1001", pin="1234")).EnumerateAgentSessions())[0]
            assert await session.get_State() == client.AgentSessionStateASST.BUSY_ON_CALL
            second = await tapi.control.offer_call(SALES, talk=1)
            third = await tapi.control.offer_call((await line.acd_groups())[0])
            assert len({first, second, third}) == 3 and all(isinstance(c, int) for c in (first, second, third))
            with pytest.raises(client.TapiError) as info:
                await tapi.control.offer_call("Nowhere")
            assert info.value.hresult == client.HResult.E_INVALIDARG and "'Sales'" in str(info.value)


async def test_clock_without_a_live_session_says_so() -> None:
    async with open_emulator(FLOOR, clock="manual", listen=False) as emu:
        async with client.connect_stream(await emu.connect_memory()) as tapi:
            with pytest.raises(client.TapiError) as info:
                await tapi.control.clock(["idle"])
            assert "idle" in str(info.value) and "live session" in str(info.value)
            for bad in ([], "1001", [5], None):
                with pytest.raises(client.TapiError) as info:
                    await tapi.control.clock(bad)  # type: ignore[arg-type]
                assert info.value.hresult == client.HResult.E_INVALIDARG


async def test_a_server_without_control_refuses_both_with_reason_no_control() -> None:
    async with open_emulator(FLOOR, clock="manual", listen=False, control=False) as emu:
        async with client.connect_stream(await emu.connect_memory()) as tapi:
            for call, func in ((tapi.control.advance(5), ReqFunc.EMU_ADVANCECLOCK),
                               (tapi.control.offer_call(SALES), ReqFunc.EMU_OFFERCALL)):
                with pytest.raises(client.ControlRefusedError) as info:
                    await call
                err = info.value
                assert isinstance(err, client.LineError) and err.lineerr is LineErr.OPERATIONUNAVAIL
                assert (err.reason, err.function) == (NO_CONTROL, func)
                assert "--control" in str(err)
            assert await tapi.control.clock([("1001", "1234")]) == START  # reading the clock needs no control


async def test_advance_on_a_real_clock_is_refused_as_not_manual() -> None:
    async with open_emulator(FLOOR, clock="real", listen=False, control=True) as emu:
        async with client.connect_stream(await emu.connect_memory()) as tapi:
            with pytest.raises(client.ControlRefusedError) as info:
                await tapi.control.advance(5)
            assert info.value.reason == NOT_MANUAL and "--clock manual" in str(info.value)
            assert await tapi.control.offer_call(SALES) > 0  # offering works on any clock


def test_blocking_facade_offers_control_too() -> None:
    result: dict[str, object] = {}

    async def main() -> None:
        async with open_emulator(FLOOR, clock="manual", host="127.0.0.1", port=0) as emu:
            host, port = emu.host, emu.port

            def use() -> None:
                with client.blocking.connect(host, port) as tapi:
                    tapi.control.advance(60)
                    result["clock"] = tapi.control.clock([("1001", "1234")])
                    result["control"] = tapi.control

            await trio.to_thread.run_sync(use)

    trio.run(main)
    assert result["clock"] == START + dt.timedelta(seconds=60)
    assert type(result["control"]).__module__ == "client.blocking"
