"""The model hands out prebuilt AgentEvents and QueueEvents (AgentRec / GroupRec: built once, emitted every
time, as they are immutable values): each equals the event that would be built in its place."""

from __future__ import annotations

import uuid

from protocol.constants import AgentStateEx, AgentStatusEx, QueueStatus
from tsp.model.core import _state_event
from tsp.model.records import AgentRec, GroupRec
from tsp.values import AgentEvent, QueueEvent


def test_agent_state_events_equal_the_event_built_for_each_state() -> None:
    agent = AgentRec(7, "1001", None, 0, 0, 0)
    for state in AgentStateEx:
        assert _state_event(agent, state) == AgentEvent(7, AgentStatusEx.STATE, int(state)), state
    assert agent.update_event == AgentEvent(7, AgentStatusEx.UPDATEINFO, 0)


def test_queue_update_event_equals_the_event_built() -> None:
    group = GroupRec(uuid.uuid4(), "Sales", 3)
    assert group.update_event == QueueEvent(3, QueueStatus.UPDATEINFO)
