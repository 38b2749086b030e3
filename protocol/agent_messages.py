"""The request bodies of wire-protocol §8 other than GetQueueList: the TAPI 2.2 setters (154, 156, 157)
and the TAPI 2.0 address-based family (24-27, 66-68). Offsets: tapi-facts §1.4 ([MS-TRP] 2.2.4.1.3.x).

Declared like the bodies of :mod:`protocol.messages` (which lists them in ``REQUEST_CLASSES``); this
module imports nothing from it. Field names are the MS-TRP parameter names in snake_case.

Notes on the placement:

* SetAgentMeasurementPeriod / SetQueueMeasurementPeriod / SetAgentStateEx and the three 2.0 setters
  have no lpContext: 8 dwRequestID, 12 hLine, then their parameters (as SetAgentSessionState).
* GetAgentCaps is keyed by hLineApp + dwDeviceID + dwAddressID, not by an hLine (16 hLineApp, 20
  dwDeviceID, 24 dwAddressID, 28 dwAppAPIVersion, 32 ctx, 36 size).
* SetAgentGroup's LINEAGENTGROUPLIST travels in VarData (offset at 20; its length is its dwTotalSize).
"""

from __future__ import annotations

from protocol.agent_structs import AgentCaps, AgentStatus
from protocol.constants import API_VERSION_AGENT, ReqFunc
from protocol.declare import RequestBody, buffer_size, dword, handle, in_struct, request, request_id, struct_context
from protocol.structs import AgentActivityList, AgentGroupList

__all__ = [
    "SetAgentMeasurementPeriod", "SetQueueMeasurementPeriod", "SetAgentStateEx", "GetAgentActivityList",
    "GetAgentCaps", "GetAgentGroupList", "GetAgentStatus", "SetAgentActivity", "SetAgentGroup", "SetAgentState",
    "AGENT_REQUEST_CLASSES", "AGENT_LIST_BUFFER_SIZE",
]

#: Default buffer size offered for the variable-size 2.0 structures.
AGENT_LIST_BUFFER_SIZE = 0x1000


@request(ReqFunc.SETAGENTMEASUREMENTPERIOD, asynchronous=True)
class SetAgentMeasurementPeriod(RequestBody):
    """lineSetAgentMeasurementPeriod (154, async, 2.2.4.1.3.59): the agent's period in seconds (> 0)."""

    request_id: int = request_id(8)
    h_line: int = handle(12)
    h_agent: int = handle(16)
    measurement_period: int = dword(20)


@request(ReqFunc.SETQUEUEMEASUREMENTPERIOD, asynchronous=True)
class SetQueueMeasurementPeriod(RequestBody):
    """lineSetQueueMeasurementPeriod (156, async, 2.2.4.1.3.74): the queue's period in seconds (> 0)."""

    request_id: int = request_id(8)
    h_line: int = handle(12)
    queue_id: int = dword(16)
    measurement_period: int = dword(20)


@request(ReqFunc.SETAGENTSTATEEX, asynchronous=True)
class SetAgentStateEx(RequestBody):
    """lineSetAgentStateEx (157, async, 2.2.4.1.3.62): LINEAGENTSTATEEX_ state and next state (0 = keep)."""

    request_id: int = request_id(8)
    h_line: int = handle(12)
    h_agent: int = handle(16)
    agent_state: int = dword(20, 0)
    next_agent_state: int = dword(24, 0)


@request(ReqFunc.GETAGENTACTIVITYLIST, asynchronous=True, returns=AgentActivityList)
class GetAgentActivityList(RequestBody):
    """lineGetAgentActivityList (24, async, 2.2.4.1.3.22) -> LINEAGENTACTIVITYLIST."""

    request_id: int = request_id(8)
    context: int = dword(12, 0)
    h_line: int = handle(16)
    address_id: int = dword(20, 0)
    activity_list_context: int = struct_context(24)
    activity_list_size: int = buffer_size(28, AGENT_LIST_BUFFER_SIZE)


@request(ReqFunc.GETAGENTCAPS, asynchronous=True, returns=AgentCaps)
class GetAgentCaps(RequestBody):
    """lineGetAgentCaps (25, async, 2.2.4.1.3.23) -> LINEAGENTCAPS; keyed by hLineApp and dwDeviceID."""

    request_id: int = request_id(8)
    context: int = dword(12, 0)
    h_line_app: int = handle(16)
    device_id: int = dword(20)
    address_id: int = dword(24, 0)
    app_api_version: int = dword(28, API_VERSION_AGENT)
    agent_caps_context: int = struct_context(32)
    agent_caps_size: int = buffer_size(36, AGENT_LIST_BUFFER_SIZE)


@request(ReqFunc.GETAGENTGROUPLIST, asynchronous=True, returns=AgentGroupList)
class GetAgentGroupList(RequestBody):
    """lineGetAgentGroupList (26, async, 2.2.4.1.3.24) -> LINEAGENTGROUPLIST (the groups the address's agent
    may log into)."""

    request_id: int = request_id(8)
    context: int = dword(12, 0)
    h_line: int = handle(16)
    address_id: int = dword(20, 0)
    group_list_context: int = struct_context(24)
    group_list_size: int = buffer_size(28, AGENT_LIST_BUFFER_SIZE)


@request(ReqFunc.GETAGENTSTATUS, asynchronous=True, returns=AgentStatus)
class GetAgentStatus(RequestBody):
    """lineGetAgentStatus (27, async, 2.2.4.1.3.28) -> LINEAGENTSTATUS."""

    request_id: int = request_id(8)
    context: int = dword(12, 0)
    h_line: int = handle(16)
    address_id: int = dword(20, 0)
    agent_status_context: int = struct_context(24)
    agent_status_size: int = buffer_size(28, AGENT_LIST_BUFFER_SIZE)


@request(ReqFunc.SETAGENTACTIVITY, asynchronous=True)
class SetAgentActivity(RequestBody):
    """lineSetAgentActivity (66, async, 2.2.4.1.3.57): the address's agent's current activity ID."""

    request_id: int = request_id(8)
    h_line: int = handle(12)
    address_id: int = dword(16, 0)
    activity_id: int = dword(20)


@request(ReqFunc.SETAGENTGROUP, asynchronous=True)
class SetAgentGroup(RequestBody):
    """lineSetAgentGroup (67, async, 2.2.4.1.3.58): the groups to be logged into, a LINEAGENTGROUPLIST in
    VarData (``agent_group_list``: its bytes, offset at 20)."""

    request_id: int = request_id(8)
    h_line: int = handle(12)
    address_id: int = dword(16, 0)
    agent_group_list: bytes = in_struct(20)


@request(ReqFunc.SETAGENTSTATE, asynchronous=True)
class SetAgentState(RequestBody):
    """lineSetAgentState (68, async, 2.2.4.1.3.61): LINEAGENTSTATE_ state and next state (0 = keep)."""

    request_id: int = request_id(8)
    h_line: int = handle(12)
    address_id: int = dword(16, 0)
    agent_state: int = dword(20, 0)
    next_agent_state: int = dword(24, 0)


#: Registered in :data:`protocol.messages.REQUEST_CLASSES` (Req_Func order within §8).
AGENT_REQUEST_CLASSES: tuple[type, ...] = (
    GetAgentActivityList, GetAgentCaps, GetAgentGroupList, GetAgentStatus, SetAgentActivity, SetAgentGroup,
    SetAgentState, SetAgentMeasurementPeriod, SetQueueMeasurementPeriod, SetAgentStateEx,
)
