"""Golden vectors of wire-protocol §8's requests and structures (hand-written from tapi-facts §1.4 and
call-facts §5; appended to tests/unit/vectors.py's tables). Not derived from the codec."""

from __future__ import annotations

import re
import uuid

from protocol import Request, Response
from protocol.agent_messages import (
    GetAgentActivityList,
    GetAgentCaps,
    GetAgentGroupList,
    GetAgentStatus,
    SetAgentActivity,
    SetAgentGroup,
    SetAgentMeasurementPeriod,
    SetAgentState,
    SetAgentStateEx,
    SetQueueMeasurementPeriod,
)
from protocol.agent_structs import AgentCaps, AgentStatus, AgentStatusGroup
from protocol.structs import AgentActivityEntry, AgentActivityList


def h(text: str) -> bytes:
    return bytes.fromhex(re.sub(r"#[^\n]*", "", text).replace(" ", "").replace("\n", ""))


G = uuid.UUID("00112233-4455-6677-8899-aabbccddeeff")
G_HEX = "33221100 5544 7766 8899aabbccddeeff"  # [MS-DTYP] 2.3.4.2: Data1..3 little-endian
Z = "00000000 "
#: LINEAGENTGROUPLIST with G "IT": 24 header + 24 entry + 6 name = 54 bytes (dwNameOffset 48, from the list).
GROUP_LIST = h(f"36000000 36000000 36000000 01000000 18000000 18000000 {G_HEX} 06000000 30000000 49005400 0000")

AGENT_VECTORS: list[tuple[str, object, int | None, bytes]] = [
    ("request-set-agent-measurement-period",
     Request(21, SetAgentMeasurementPeriod(h_line=0x22, h_agent=0x33, measurement_period=900)), None,
     h("44000000 0100 0000 15000000  9a000000 00000000  00000000 22000000 33000000 84030000" + Z * 9)),
    ("request-set-queue-measurement-period",
     Request(22, SetQueueMeasurementPeriod(h_line=0x22, queue_id=1, measurement_period=3600)), None,
     h("44000000 0100 0000 16000000  9c000000 00000000  00000000 22000000 01000000 100e0000" + Z * 9)),
    ("request-set-agent-state-ex",
     Request(23, SetAgentStateEx(h_line=0x22, h_agent=0x33, agent_state=2, next_agent_state=1)), None,
     h("44000000 0100 0000 17000000  9d000000 00000000  00000000 22000000 33000000 02000000 01000000" + Z * 8)),
    ("request-get-agent-activity-list",
     Request(24, GetAgentActivityList(context=0x11, h_line=0x22, activity_list_context=0x44)), None,
     h("44000000 0100 0000 18000000  18000000 00000000  00000000 11000000 22000000 00000000 44000000 00100000" + Z * 7)),
    ("request-get-agent-caps",
     Request(25, GetAgentCaps(context=0x11, h_line_app=0x55, device_id=3, agent_caps_context=0x44)), None,
     h("44000000 0100 0000 19000000  19000000 00000000  00000000 11000000 55000000 03000000 00000000 02000200"
       " 44000000 00100000" + Z * 5)),
    ("request-get-agent-group-list",
     Request(26, GetAgentGroupList(context=0x11, h_line=0x22, address_id=0, group_list_context=0x44)), None,
     h("44000000 0100 0000 1a000000  1a000000 00000000  00000000 11000000 22000000 00000000 44000000 00100000" + Z * 7)),
    ("request-get-agent-status",
     Request(27, GetAgentStatus(context=0x11, h_line=0x22, agent_status_context=0x44, agent_status_size=56)), None,
     h("44000000 0100 0000 1b000000  1b000000 00000000  00000000 11000000 22000000 00000000 44000000 38000000" + Z * 7)),
    ("request-set-agent-activity",
     Request(28, SetAgentActivity(h_line=0x22, activity_id=2)), None,
     h("44000000 0100 0000 1c000000  42000000 00000000  00000000 22000000 00000000 02000000" + Z * 9)),
    ("request-set-agent-group",  # the list in VarData at offset 0, padded to 56
     Request(29, SetAgentGroup(h_line=0x22, agent_group_list=GROUP_LIST)), None,
     h("7c000000 0100 0000 1d000000  43000000 00000000  00000000 22000000 00000000 00000000" + Z * 9)
     + GROUP_LIST + b"\0\0"),
    ("response-set-agent-group",  # an in-parameter in VarData: not sent back (0xFFFFFFFF)
     Response(29, 7, SetAgentGroup(h_line=0x22)), 67,
     h("44000000 0200 0000 1d000000  07000000 00000000  00000000 22000000 00000000 ffffffff" + Z * 9)),
    ("request-set-agent-state",
     Request(30, SetAgentState(h_line=0x22, agent_state=4, next_agent_state=2)), None,
     h("44000000 0100 0000 1e000000  44000000 00000000  00000000 22000000 00000000 04000000 02000000" + Z * 8)),
]

AGENT_STRUCT_VECTORS: list[tuple[str, object, bytes]] = [
    ("agent-activity-list",  # dwNameOffset 36 = 24 (header) + 12 (entry)
     AgentActivityList(total_size=0x1000, needed_size=42, used_size=42, entries=(AgentActivityEntry(1, "IT"),)),
     h("00100000 2a000000 2a000000 01000000 0c000000 18000000  01000000 06000000 24000000  49005400 0000")),
    ("agent-status",  # groups at 56, the group name at 80 (from the LINEAGENTSTATUS), the activity at 86
     AgentStatus(total_size=0x1000, needed_size=90, used_size=90, groups=(AgentStatusGroup(G, "IT"),), state=4,
                 activity_id=1, activity="B", agent_features=0x37, valid_states=6, valid_next_states=7),
     h("00100000 5a000000 5a000000 01000000 18000000 38000000 04000000 00000000 01000000 04000000 56000000"
       f" 37000000 06000000 07000000  {G_HEX} 06000000 50000000  49005400 0000 4200 0000")),
    ("agent-caps",  # the handler name at 72 (no extension IDs), ProxyGUID nil
     AgentCaps(total_size=0x1000, needed_size=80, used_size=80, agent_handler_info="tsp", caps_version=0x20002,
               features=0x37, states=6, next_states=7, max_num_group_entries=2, agent_status_messages=0x1FF),
     h("00100000 50000000 50000000 08000000 48000000 02000200 37000000 06000000 07000000 02000000 ff010000"
       " 00000000 00000000 00000000" + Z * 4 + "74007300 70000000")),
]
