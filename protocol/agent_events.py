"""The agent and ACD events of wire-protocol §8 as typed views (tapi-facts §1.5, call-facts §5):

* :class:`AgentStatusExEvent` - LINE_AGENTSTATUSEX (Msg 29): Param1 hAgent, Param2 LINEAGENTSTATUSEX_ bits,
  Param3 the new LINEAGENTSTATEEX_ when STATE is set, else 0;
* :class:`QueueStatusEvent` - LINE_QUEUESTATUS (Msg 28): Param1 dwQueueID, Param2 LINEQUEUESTATUS_ bits;
* :class:`GroupStatusEvent` - LINE_GROUPSTATUS (Msg 30): Param2 LINEGROUPSTATUS_ bits;
* :class:`AgentStatusEvent` - LINE_AGENTSTATUS (Msg 22): Param1 the address ID, Param2 LINEAGENTSTATUS_
  bits, Param3 the new LINEAGENTSTATE_ when STATE is set, else 0.

hDevice is the receiving line's hRemoteLine, as for LINE_AGENTSESSIONSTATUS; no VarData. The codec keeps
these records generic (:class:`protocol.messages.AsyncEventMsg`, nothing lost); the server builds the
views and the client reads them with :func:`typed_agent_record`.
"""

from __future__ import annotations

from typing import Any

from protocol.constants import LineMsg
from protocol.declare import event, slot
from protocol.messages import AsyncEventMsg, EventView

__all__ = [
    "AgentStatusExEvent", "QueueStatusEvent", "GroupStatusEvent", "AgentStatusEvent", "AGENT_EVENT_CLASSES",
    "typed_agent_record",
]


AgentView = EventView  # the one view base (protocol/messages.py)


@event(LineMsg.AGENTSTATUSEX)
class AgentStatusExEvent(AgentView):
    """LINE_AGENTSTATUSEX (Msg 29)."""

    init_context: int = slot("init_context", 0)
    hdevice: int = slot("hdevice", 0)
    open_context: int = slot("open_context", 0)
    hagent: int = slot("param1")
    status: int = slot("param2")
    state: int = slot("param3", 0)


@event(LineMsg.QUEUESTATUS)
class QueueStatusEvent(AgentView):
    """LINE_QUEUESTATUS (Msg 28)."""

    init_context: int = slot("init_context", 0)
    hdevice: int = slot("hdevice", 0)
    open_context: int = slot("open_context", 0)
    queue_id: int = slot("param1")
    status: int = slot("param2")


@event(LineMsg.GROUPSTATUS)
class GroupStatusEvent(AgentView):
    """LINE_GROUPSTATUS (Msg 30)."""

    init_context: int = slot("init_context", 0)
    hdevice: int = slot("hdevice", 0)
    open_context: int = slot("open_context", 0)
    status: int = slot("param2")


@event(LineMsg.AGENTSTATUS)
class AgentStatusEvent(AgentView):
    """LINE_AGENTSTATUS (Msg 22)."""

    init_context: int = slot("init_context", 0)
    hdevice: int = slot("hdevice", 0)
    open_context: int = slot("open_context", 0)
    address_id: int = slot("param1")
    status: int = slot("param2")
    state: int = slot("param3", 0)


AGENT_EVENT_CLASSES: tuple[type, ...] = (AgentStatusExEvent, QueueStatusEvent, GroupStatusEvent, AgentStatusEvent)
_BY_MSG = {int(cls.MSG): cls for cls in AGENT_EVENT_CLASSES}  # type: ignore[attr-defined]


def typed_agent_record(rec: Any) -> Any:
    """The §8 view of a record (generic or already typed), or None when it is not one of them (or has
    not the view's shape)."""
    if type(rec) is AsyncEventMsg:  # what the codec hands out (the same answer as below, sooner)
        view = _BY_MSG.get(rec.msg)
        return view.from_generic(rec) if view is not None else None
    if isinstance(rec, AGENT_EVENT_CLASSES):
        return rec
    cls = _BY_MSG.get(getattr(rec, "msg", None))  # type: ignore[arg-type]
    return cls.from_generic(rec) if cls is not None and isinstance(rec, AsyncEventMsg) else None
