"""The §8 events for applications: the TAPI 2.x records as typed views and the TAPI3 event objects
(tapi3cc.h ITAgentEvent, ITQueueEvent, ITACDGroupEvent, ITAgentHandlerEvent, ITAgentSessionEvent).

:class:`client.tapi.Tapi` subscribes with these transforms (``tapi.agent_status_ex_events()`` ...,
``tapi.agent_events()`` ...; docs/client.md, "Events"). How TAPI3's events follow from the 2.2 bits
(call-facts §6, by name):

* ITAgentEvent: a LINE_AGENTSTATUSEX with STATE -> AGENT_EVENT of the new LINEAGENTSTATEEX_ (READY ->
  AE_READY, BUSYACD -> AE_BUSY_ACD ...; RELEASED -> AE_UNKNOWN); UPDATEINFO alone gives none;
* ITQueueEvent: LINE_QUEUESTATUS NEWQUEUE -> ACDQE_NEW_QUEUE, QUEUEREMOVED -> ACDQE_QUEUE_REMOVED
  (UPDATEINFO has no TAPI3 event);
* ITACDGroupEvent: LINE_GROUPSTATUS NEWGROUP / GROUPREMOVED -> ACDGE_NEW_GROUP / ACDGE_GROUP_REMOVED;
* ITAgentHandlerEvent: an agent handler appearing / going (LINE_PROXYSTATUS): the emulator's one handler
  is always there, so none is ever delivered;
* ITAgentSessionEvent: a LINE_AGENTSESSIONSTATUS -> NEW_SESSION and/or the state's event.

Getters are coroutines like every TAPI3 method here, but answer from the event itself (no request, no
timeout).
"""

from __future__ import annotations

from typing import Any

import attrs

from protocol.agent_events import AgentStatusEvent, AgentStatusExEvent, GroupStatusEvent, QueueStatusEvent, typed_agent_record
from protocol.constants import (
    AcdGroupEvent,
    AcdQueueEvent,
    AgentEvent,
    AgentHandlerEvent,
    AgentSessionEvent,
    AgentStatusEx,
    GroupStatus,
    QueueStatus,
)

__all__ = [
    "ITAgentEvent", "ITQueueEvent", "ITACDGroupEvent", "ITAgentHandlerEvent", "ITAgentSessionEvent",
    "AGENT_EVENT_OF_STATE", "view_of", "agent_event_of", "queue_events_of", "group_events_of",
]

#: LINEAGENTSTATEEX_ -> AGENT_EVENT (RELEASED has no AE_ twin: AE_UNKNOWN).
AGENT_EVENT_OF_STATE: dict[int, AgentEvent] = {0x01: AgentEvent.NOT_READY, 0x02: AgentEvent.READY, 0x04: AgentEvent.BUSY_ACD,
                                               0x08: AgentEvent.BUSY_INCOMING, 0x10: AgentEvent.BUSY_OUTGOING,
                                               0x20: AgentEvent.UNKNOWN, 0x40: AgentEvent.UNKNOWN}


@attrs.frozen
class ITAgentEvent:
    """tapi3cc.h ITAgentEvent: an agent's state changed."""

    agent: Any
    event: AgentEvent

    async def get_Agent(self) -> Any:
        """The ITAgent (the connection's object for that hAgent)."""
        return self.agent

    async def get_Event(self) -> AgentEvent:
        """The AGENT_EVENT."""
        return self.event


@attrs.frozen
class ITQueueEvent:
    """tapi3cc.h ITQueueEvent: a queue was added or removed."""

    queue: Any
    event: AcdQueueEvent

    async def get_Queue(self) -> Any:
        """The ITQueue."""
        return self.queue

    async def get_Event(self) -> AcdQueueEvent:
        """The ACDQUEUE_EVENT."""
        return self.event


@attrs.frozen
class ITACDGroupEvent:
    """tapi3cc.h ITACDGroupEvent: a group was added or removed (LINE_GROUPSTATUS names no group: None)."""

    group: Any
    event: AcdGroupEvent

    async def get_Group(self) -> Any:
        """The ITACDGroup, or None (the 2.2 event does not say which group; re-read with GetGroupList)."""
        return self.group

    async def get_Event(self) -> AcdGroupEvent:
        """The ACDGROUP_EVENT."""
        return self.event


@attrs.frozen
class ITAgentHandlerEvent:
    """tapi3cc.h ITAgentHandlerEvent: an agent handler appeared or went (never sent by the emulator)."""

    agent_handler: Any
    event: AgentHandlerEvent

    async def get_AgentHandler(self) -> Any:
        """The ITAgentHandler."""
        return self.agent_handler

    async def get_Event(self) -> AgentHandlerEvent:
        """The AGENTHANDLER_EVENT."""
        return self.event


@attrs.frozen
class ITAgentSessionEvent:
    """tapi3cc.h ITAgentSessionEvent: a session was created or changed state."""

    session: Any
    event: AgentSessionEvent

    async def get_Session(self) -> Any:
        """The ITAgentSession (the connection's object for that hAgentSession)."""
        return self.session

    async def get_Event(self) -> AgentSessionEvent:
        """The AGENT_SESSION_EVENT."""
        return self.event


def view_of(record: Any, cls: type) -> Any:
    """The record as the §8 view ``cls`` (AgentStatusExEvent ...), or None when it is another record."""
    view = typed_agent_record(record)
    return view if isinstance(view, cls) else None


def agent_event_of(record: Any) -> AgentEvent | None:
    """The AGENT_EVENT a LINE_AGENTSTATUSEX carries (STATE only), else None."""
    view = view_of(record, AgentStatusExEvent)
    if view is None or not int(view.status) & AgentStatusEx.STATE:
        return None
    return AGENT_EVENT_OF_STATE.get(int(view.state), AgentEvent.UNKNOWN)


def queue_events_of(record: Any) -> list[AcdQueueEvent]:
    """The ACDQUEUE_EVENTs of a LINE_QUEUESTATUS (none for UPDATEINFO alone)."""
    view = view_of(record, QueueStatusEvent)
    if view is None:
        return []
    bits = int(view.status)
    return [ev for bit, ev in ((QueueStatus.NEWQUEUE, AcdQueueEvent.NEW_QUEUE),
                               (QueueStatus.QUEUEREMOVED, AcdQueueEvent.QUEUE_REMOVED)) if bits & bit]


def group_events_of(record: Any) -> list[AcdGroupEvent]:
    """The ACDGROUP_EVENTs of a LINE_GROUPSTATUS."""
    view = view_of(record, GroupStatusEvent)
    if view is None:
        return []
    bits = int(view.status)
    return [ev for bit, ev in ((GroupStatus.NEWGROUP, AcdGroupEvent.NEW_GROUP),
                               (GroupStatus.GROUPREMOVED, AcdGroupEvent.GROUP_REMOVED)) if bits & bit]


#: For the docs and tests: the four 2.x record views an application can subscribe to.
RECORD_VIEWS = (AgentStatusExEvent, QueueStatusEvent, GroupStatusEvent, AgentStatusEvent)
