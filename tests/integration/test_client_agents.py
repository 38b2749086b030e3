"""wire-protocol §8 from the client against the embedded emulator: the Line API rows of the TAPI 2.0
family and the 2.2 setters, the TAPI3 objects (ITAgent's put_State / put_MeasurementPeriod / get_User,
ITQueue.put_MeasurementPeriod, ITTAPICallCenter, ITAgentHandler) and the event subscriptions (2.x record
views and TAPI3 event objects), and the blocking facade's twins."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import trio

import client
from client import LineErr
from client.objects_acd import default_user
from protocol.agent_events import AgentStatusEvent, AgentStatusExEvent, QueueStatusEvent
from protocol.constants import AgentEvent, AgentSessionEvent, AgentState, AgentStateEx, LineAgentState
from tsp.scenario import parse_scenario
from tsp.testing import Emulator, open_emulator

SALES = uuid.UUID("5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b")
SUPPORT = uuid.UUID("8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")

SCENARIO = f"""
[switch]
name = "agents"
lines = 2
start = "2026-11-26T09:00:00Z"

[[groups]]
id = "{SALES}"
name = "Sales"
queue = 7

[[groups]]
id = "{SUPPORT}"
name = "Support"
queue = 9

[[activities]]
id = 3
name = "Lunch"

[[agents]]
id = "dora"
home = {{ line = 1, address = 0 }}
"""


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with open_emulator(parse_scenario(SCENARIO, "agents.toml"), clock="manual", port=0) as emu:
        yield emu


async def test_the_2_0_family_through_the_line_api(emu: Emulator) -> None:
    async with client.connect_stream(await emu.connect_memory()) as tapi:
        line = await tapi.open_line(1)  # dora's home
        caps = await line.get_agent_caps()
        assert caps.features == 0x37 and caps.agent_handler_info and caps.max_num_group_entries == 2
        assert (await line.get_agent_status()).state == LineAgentState.LOGGEDOFF
        groups = await line.acd_groups()
        await line.set_agent_group(groups)
        await line.set_agent_state(LineAgentState.READY)
        await line.set_agent_activity(3)
        status = await line.get_agent_status()
        assert status.state == LineAgentState.READY and [g.name for g in status.groups] == ["Sales", "Support"]
        assert (status.activity_id, status.activity) == (3, "Lunch")
        assert [(e.id, e.name) for e in (await line.get_agent_activity_list()).entries] == [(3, "Lunch")]
        assert len((await line.get_agent_group_list()).entries) == 2
        with pytest.raises(client.LineError) as info:
            await line.set_agent_activity(4)
        assert info.value.lineerr == LineErr.INVALAGENTACTIVITY
        with pytest.raises(client.TapiError):
            await line.set_agent_group("not a list of groups")
        await line.set_agent_group([])
        assert (await line.get_agent_status()).state == LineAgentState.LOGGEDOFF


async def test_tapi3_objects_and_event_objects(emu: Emulator) -> None:
    async with client.connect_stream(await emu.connect_memory()) as tapi:
        agents, queues, sessions = tapi.agent_events(), tapi.queue_status_events(), tapi.agent_session_event_objects()
        raw20 = tapi.agent_status_events()
        (handler,) = await tapi.call_center().EnumerateAgentHandlers()
        assert await handler.get_Name() == "tsp ACD emulator"
        assert [a.device_id for a in await handler.get_UsableAddresses()] == [0, 1]
        (sales, support) = await handler.EnumerateACDGroups()
        agent = await handler.CreateAgentWithID("eve", None)
        assert await agent.get_User() == "eve" == await agent.get_ID()
        session = await agent.CreateSession(sales)
        await agent.put_State(AgentState.READY)
        assert await agent.get_State() == AgentState.READY
        with pytest.raises(client.TapiError):
            await agent.put_State(AgentState.BUSY_ACD)
        for bad in (float("inf"), 1.0, True, "1", None):  # hypothesis once drew inf: an OverflowError leaked
            with pytest.raises(client.TapiError, match="AS_READY or AS_NOT_READY") as bad_info:
                await agent.put_State(bad)  # type: ignore[arg-type]
            assert bad_info.value.hresult == client.HResult.E_INVALIDARG
        await agent.put_MeasurementPeriod(600)
        assert await agent.get_MeasurementPeriod() == 600
        with pytest.raises(client.TapiError):
            await agent.put_MeasurementPeriod(0)
        (queue,) = await support.EnumerateQueues()
        await queue.put_MeasurementPeriod(1800)
        assert await queue.get_MeasurementPeriod() == 1800
        await tapi.control.offer_call(support, talk=10)
        with trio.fail_after(5):
            ev = await agents.next()
            while await ev.get_Event() != AgentEvent.READY:
                ev = await agents.next()
            assert await ev.get_Agent() is agent
            q = await queues.next()
            assert isinstance(q, QueueStatusEvent) and q.queue_id == 9
            s = await sessions.next()
            assert await s.get_Session() is session and await s.get_Event() == AgentSessionEvent.NEW_SESSION
            st = await raw20.next()  # line 0: eve's session is the address's
            assert isinstance(st, AgentStatusEvent) and st.address_id == 0
        me = await handler.CreateAgent()
        assert me.agent_id == default_user()
        await agents.aclose()


async def test_2_2_setters_and_raw_events(emu: Emulator) -> None:
    async with client.connect_stream(await emu.connect_memory()) as tapi:
        ex = tapi.agent_status_ex_events()
        line = await tapi.open_line(0)
        agent = await line.create_agent("fred")
        await line.create_agent_session(agent, SALES)
        await line.set_agent_state_ex(agent, AgentStateEx.READY)
        await line.set_agent_measurement_period(agent, 120)
        await line.set_queue_measurement_period(7, 300)
        assert (await line.get_queue_info(7)).measurement_period == 300
        with pytest.raises(client.LineError) as info:
            await line.set_agent_state_ex(agent, AgentStateEx.BUSYACD)
        assert info.value.lineerr == LineErr.INVALAGENTSTATE
        with trio.fail_after(5):
            rec = await ex.next()
            assert isinstance(rec, AgentStatusExEvent)


async def test_blocking_facade_has_the_new_methods(emu: Emulator) -> None:
    def work() -> tuple[int, int, str]:
        with client.blocking.connect(emu.host, emu.port) as tapi:
            line = tapi.open_line(1)
            line.set_agent_group([SALES])
            (handler,) = tapi.call_center().EnumerateAgentHandlers()
            return line.get_agent_caps().features, line.get_agent_status().state, handler.get_Name()

    features, state, name = await trio.to_thread.run_sync(work)
    assert (features, state, name) == (0x37, LineAgentState.NOTREADY, "tsp ACD emulator")
