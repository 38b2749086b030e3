"""The Line API rows of wire-protocol §8 (all but GetQueueList): appended to
:data:`client.functions.LINE_FUNCTIONS`, so :class:`client.line.Line` gets ``line.<method>(...)`` and
``line.start_<method>(...)`` for each, like every other row (docs/client.md, "The Line API").

* TAPI 2.0, address-based (the line's own device; ``address_id`` 0, the only address of a line):
  ``get_agent_activity_list``, ``get_agent_caps``, ``get_agent_group_list``, ``get_agent_status``,
  ``set_agent_activity``, ``set_agent_group``, ``set_agent_state``;
* TAPI 2.2: ``set_agent_measurement_period``, ``set_queue_measurement_period``, ``set_agent_state_ex``.

The variable-size 2.0 structures (LINEAGENTCAPS, LINEAGENTSTATUS and the two lists) grow their buffer to
the server's dwNeededSize and retry, as the list functions do.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from client.args import handle, u32
from client.errors import invalid_argument
from client.methods import Arg, LineFunction, no_result
from client.objects import as_group
from protocol import agent_messages as am
from protocol.agent_structs import AgentCaps, AgentStatus
from protocol.constants import API_VERSION_AGENT
from protocol.errors import LocalProtocolError
from protocol.structs import AgentActivityList, AgentGroupEntry, AgentGroupList

__all__ = ["ACD_FUNCTIONS", "group_list_bytes", "queue_id", "CAPS_FIELDS"]


def group_list_bytes(value: Any, what: str) -> bytes:
    """SetAgentGroup's groups (an iterable of ITACDGroup, UUID or GUID string; may be empty) as the
    LINEAGENTGROUPLIST the request carries (names are not sent)."""
    if isinstance(value, (str, bytes, uuid.UUID)) or not hasattr(value, "__iter__"):
        raise invalid_argument(f"{what} must be an iterable of ACD groups, got {value!r}")
    entries = [AgentGroupEntry(as_group(g).group_id, "") for g in value]
    try:
        full = AgentGroupList.full_size(entries)
        return AgentGroupList.build(entries, full).to_bytes()
    except LocalProtocolError as exc:
        raise invalid_argument(f"{what}: {exc.message}") from None


def queue_id(value: Any, what: str) -> int:
    """A queue argument: an ITQueue (its ``queue_id``) or the dwQueueID."""
    return u32(getattr(value, "queue_id", value), what)


#: GetAgentCaps is keyed by hLineApp and dwDeviceID, not by the hLine: the line's app and device.
CAPS_FIELDS: dict[str, Any] = {"h_line_app": lambda line: line.tapi.hline_app, "device_id": lambda line: line.device_id}


_ADDRESS = Arg("address_id", u32, ("address_id",), default=0, keyword_only=True, annotation="int")
_AGENT = "ITAgent | int"

#: The §8 rows (GetQueueList is in client.functions), in Req_Func order.
ACD_FUNCTIONS: Final[tuple[LineFunction, ...]] = (
    LineFunction(
        method="get_agent_activity_list",
        request=am.GetAgentActivityList,
        args=(_ADDRESS,),
        summary="the activities the address's agent may report (the buffer grows until the list fits).",
        reply=AgentActivityList,
        size_field="activity_list_size",
        grows=True,
    ),
    LineFunction(
        method="get_agent_caps",
        request=am.GetAgentCaps,
        args=(_ADDRESS, Arg("app_api_version", u32, ("app_api_version",), default=int(API_VERSION_AGENT),
                            keyword_only=True, annotation="int")),
        summary="the agent handler's LINEAGENTCAPS for this line's device (the buffer grows until it fits).",
        reply=AgentCaps,
        size_field="agent_caps_size",
        grows=True,
        from_line=CAPS_FIELDS,
    ),
    LineFunction(
        method="get_agent_group_list",
        request=am.GetAgentGroupList,
        args=(_ADDRESS,),
        summary="the groups the address's agent may log into (the buffer grows until the list fits).",
        reply=AgentGroupList,
        size_field="group_list_size",
        grows=True,
    ),
    LineFunction(
        method="get_agent_status",
        request=am.GetAgentStatus,
        args=(_ADDRESS,),
        summary="the address's LINEAGENTSTATUS: groups, state, next state, activity (the buffer grows until it fits).",
        reply=AgentStatus,
        size_field="agent_status_size",
        grows=True,
    ),
    LineFunction(
        method="set_agent_activity",
        request=am.SetAgentActivity,
        args=(Arg("activity_id", u32, ("activity_id",), annotation="int"), _ADDRESS),
        summary="set the address's agent's current activity (an ID of get_agent_activity_list).",
        result=no_result,
        returns="None",
    ),
    LineFunction(
        method="set_agent_group",
        request=am.SetAgentGroup,
        args=(Arg("groups", group_list_bytes, ("agent_group_list",), annotation="Iterable[ITACDGroup | uuid.UUID | str]"),
              _ADDRESS),
        summary="log the address's agent into exactly these groups (an empty list logs it out).",
        result=no_result,
        returns="None",
    ),
    LineFunction(
        method="set_agent_state",
        request=am.SetAgentState,
        args=(Arg("state", u32, ("agent_state",), annotation="LineAgentState | int"),
              Arg("next_state", u32, ("next_agent_state",), default=0, annotation="LineAgentState | int"), _ADDRESS),
        summary="LINEAGENTSTATE_ ``state`` now and/or ``next_state`` after the call (0 = keep) for the address's agent.",
        result=no_result,
        returns="None",
    ),
    LineFunction(
        method="set_agent_measurement_period",
        request=am.SetAgentMeasurementPeriod,
        args=(Arg("agent", handle, ("h_agent",), annotation=_AGENT),
              Arg("seconds", u32, ("measurement_period",), annotation="int")),
        summary="the agent's statistics restart every ``seconds`` from now (LINEAGENTINFO).",
        result=no_result,
        returns="None",
    ),
    LineFunction(
        method="set_queue_measurement_period",
        request=am.SetQueueMeasurementPeriod,
        args=(Arg("queue", queue_id, ("queue_id",), annotation="ITQueue | int"),
              Arg("seconds", u32, ("measurement_period",), annotation="int")),
        summary="the queue's statistics restart every ``seconds`` from now (LINEQUEUEINFO).",
        result=no_result,
        returns="None",
    ),
    LineFunction(
        method="set_agent_state_ex",
        request=am.SetAgentStateEx,
        args=(Arg("agent", handle, ("h_agent",), annotation=_AGENT),
              Arg("state", u32, ("agent_state",), annotation="AgentStateEx | int"),
              Arg("next_state", u32, ("next_agent_state",), default=0, annotation="AgentStateEx | int")),
        summary="LINEAGENTSTATEEX_ READY/NOTREADY for every session of the agent (0 = keep).",
        result=no_result,
        returns="None",
    ),
)
