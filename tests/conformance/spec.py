"""The numbers of the wire contract that the conformance suite needs, transcribed from the spec.

Deliberately independent of ``protocol/``: the suite must check the bytes a server sends against
``shared/spec/wire-protocol.md`` and ``tapi-facts.md`` themselves, not against our own codec or
constants (``test_s0_suite.py`` cross-checks these numbers against ``protocol.constants``, so a typo on
either side shows up as a failing case instead of silently agreeing with a wrong server).

Section names used in markers and junit properties are the headings of the two spec files, e.g.
``wire-protocol §1`` or ``tapi-facts §2.1``.
"""

from __future__ import annotations

import datetime as _dt
import struct
import uuid

# ---------------------------------------------------------------- wire-protocol §1: frames
HELLO, REQUEST, RESPONSE, EVENTS, ERROR = 0, 1, 2, 3, 4
KIND_NAMES = {HELLO: "HELLO", REQUEST: "REQUEST", RESPONSE: "RESPONSE", EVENTS: "EVENTS", ERROR: "ERROR"}
ERR_MALFORMED, ERR_TOO_LARGE, ERR_VERSION, ERR_UNEXPECTED_KIND, ERR_IDLE = 1, 2, 3, 4, 5
MIN_LENGTH, MAX_LENGTH = 8, 0x50000
PROTOCOL_MAJOR, PROTOCOL_MINOR = 1, 0

# ---------------------------------------------------------------- tapi-facts §1.2/§1.3
TAPI32_MSG = struct.Struct("<II13I")  # Req_Func/Ack, Reserved1, 13 parameter DWORDs = 60 bytes
ASYNCEVENTMSG = struct.Struct("<10I")  # 40-byte record header
TAPI_NO_DATA = 0xFFFFFFFF
MAX_STRUCT_SIZE = 0x40000

# ---------------------------------------------------------------- Req_Func (wire-protocol §2, §3)
INITIALIZE = 47
NEGOTIATEAPIVERSION = 52
OPEN = 54
CLOSE = 9
SHUTDOWN = 86
CREATEAGENT = 146
CREATEAGENTSESSION = 147
GETAGENTINFO = 148
GETAGENTSESSIONINFO = 149
GETAGENTSESSIONLIST = 150
GETQUEUEINFO = 151
GETGROUPLIST = 152
GETQUEUELIST = 153  # wire-protocol §8.1
SETAGENTSESSIONSTATE = 155
EMU_ADVANCECLOCK = 1000
EMU_OFFERCALL = 1001
ASYNC_FUNCS = frozenset({146, 147, 148, 149, 150, 151, 152, 153, 155})

# ---------------------------------------------------------------- LINEERR_ (tapi-facts §3.1)
BADDEVICEID = 0x80000002
INCOMPATIBLEAPIVERSION = 0x8000000C
INVALADDRESSID = 0x80000011
INVALAPPHANDLE = 0x80000014
INVALLINEHANDLE = 0x8000002B
INVALPARAM = 0x80000032
OPERATIONFAILED = 0x80000048
OPERATIONUNAVAIL = 0x80000049
STRUCTURETOOSMALL = 0x8000004D
UNINITIALIZED = 0x80000050
INVALAGENTID = 0x80000057
INVALAGENTGROUP = 0x80000058
INVALPASSWORD = 0x80000059
INVALAGENTSTATE = 0x8000005A
LINEERR_NAMES = {
    BADDEVICEID: "BADDEVICEID",
    INCOMPATIBLEAPIVERSION: "INCOMPATIBLEAPIVERSION",
    INVALADDRESSID: "INVALADDRESSID",
    INVALAPPHANDLE: "INVALAPPHANDLE",
    INVALLINEHANDLE: "INVALLINEHANDLE",
    INVALPARAM: "INVALPARAM",
    OPERATIONFAILED: "OPERATIONFAILED",
    OPERATIONUNAVAIL: "OPERATIONUNAVAIL",
    STRUCTURETOOSMALL: "STRUCTURETOOSMALL",
    UNINITIALIZED: "UNINITIALIZED",
    INVALAGENTID: "INVALAGENTID",
    INVALAGENTGROUP: "INVALAGENTGROUP",
    INVALPASSWORD: "INVALPASSWORD",
    INVALAGENTSTATE: "INVALAGENTSTATE",
}


def is_lineerr(value: int) -> bool:
    """True for a LINEERR_ value as it travels (u32 0x800000xx)."""
    return 0x80000000 <= value <= 0x800000FF


def describe(value: int) -> str:
    """A readable name for a return value: ``0``, ``request ID 7``, ``LINEERR_INVALPARAM (0x80000032)``."""
    if value == 0:
        return "0 (success)"
    if is_lineerr(value):
        return f"LINEERR_{LINEERR_NAMES.get(value, '?')} (0x{value:08X})"
    if value < 0x80000000:
        return f"{value} (a request ID)"
    return f"0x{value:08X}"


# ---------------------------------------------------------------- LINE_ messages (tapi-facts §3.4)
LINE_REPLY = 12
LINE_AGENTSESSIONSTATUS = 27

# ---------------------------------------------------------------- states and bits (tapi-facts §3.3)
NOTREADY, READY, BUSYONCALL, BUSYWRAPUP, ENDED, RELEASED = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
STATE_NAMES = {1: "NOTREADY", 2: "READY", 4: "BUSYONCALL", 8: "BUSYWRAPUP", 0x10: "ENDED", 0x20: "RELEASED"}
STATUS_NEWSESSION, STATUS_STATE, STATUS_UPDATEINFO = 0x1, 0x2, 0x4

# ---------------------------------------------------------------- API versions (wire-protocol §2)
API_MIN, API_AGENT, API_MAX = 0x00020000, 0x00020002, 0x00030001

# ---------------------------------------------------------------- structures (tapi-facts §2)
AGENTSESSIONINFO = struct.Struct("<5Id8Iq2I")  # 76 bytes, packed
AGENTSESSIONINFO_FIELDS = (
    "dwTotalSize", "dwNeededSize", "dwUsedSize", "dwAgentSessionState", "dwNextAgentSessionState",
    "dateSessionStartTime", "dwSessionDuration", "dwNumberOfCalls", "dwTotalTalkTime",
    "dwAverageTalkTime", "dwTotalCallTime", "dwAverageCallTime", "dwTotalWrapUpTime",
    "dwAverageWrapUpTime", "cyACDCallRate", "dwLongestTimeToAnswer", "dwAverageTimeToAnswer",
)
AGENTINFO = struct.Struct("<6Iq6I")  # 56 bytes
AGENTINFO_FIELDS = (
    "dwTotalSize", "dwNeededSize", "dwUsedSize", "dwAgentState", "dwNextAgentState",
    "dwMeasurementPeriod", "cyOverallCallRate", "dwNumberOfACDCalls", "dwNumberOfIncomingCalls",
    "dwNumberOfOutgoingCalls", "dwTotalACDTalkTime", "dwTotalACDCallTime", "dwTotalACDWrapUpTime",
)
QUEUEINFO = struct.Struct("<13I")  # 52 bytes
QUEUEINFO_FIELDS = (
    "dwTotalSize", "dwNeededSize", "dwUsedSize", "dwMeasurementPeriod", "dwTotalCallsQueued",
    "dwCurrentCallsQueued", "dwTotalCallsAbandoned", "dwTotalCallsFlowedIn", "dwTotalCallsFlowedOut",
    "dwLongestEverWaitTime", "dwCurrentLongestWaitTime", "dwAverageWaitTime", "dwFinalDisposition",
)
LIST_HEADER = struct.Struct("<6I")  # total, needed, used, numEntries, listSize, listOffset (24)
SESSION_ENTRY = struct.Struct("<II16sI")  # hAgentSession, hAgent, GroupID, dwWorkingAddressID (28)
GROUP_ENTRY = struct.Struct("<16sII")  # GroupID, dwNameSize, dwNameOffset (24)
QUEUE_ENTRY = struct.Struct("<3I")  # dwQueueID, dwNameSize, dwNameOffset (12; tapi-facts §2.4)

# ---------------------------------------------------------------- GUIDs ([MS-DTYP] 2.3.4.2)


def guid_bytes(value: str | uuid.UUID) -> bytes:
    """A GUID as it travels: Data1 u32 LE, Data2 u16 LE, Data3 u16 LE, Data4 8 bytes as written."""
    u = value if isinstance(value, uuid.UUID) else uuid.UUID(value)
    return struct.pack("<IHH", u.time_low, u.time_mid, u.time_hi_version) + u.bytes[8:]


# ---------------------------------------------------------------- OLE DATE ([MS-OAUT] 2.2.25)
OLE_EPOCH = _dt.datetime(1899, 12, 30, tzinfo=_dt.timezone.utc)


def ole_date(moment: _dt.datetime) -> float:
    """Days since 1899-12-30 00:00 UTC, the fraction being the part of the day (wire-protocol §4)."""
    delta = moment - OLE_EPOCH
    return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400.0


# ---------------------------------------------------------------- the conformance scenario
# These mirror tsp/scenarios/conformance.toml (built-in name "conformance"); a server under test must run it.
SCENARIO_START = _dt.datetime(2026, 11, 26, 9, 0, 0, tzinfo=_dt.timezone.utc)
SCENARIO_LINES = 4
SALES = "5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b"
SALES_NAME, SALES_QUEUE = "Sales", 1
SUPPORT = "c0ffee00-1d2e-4f30-8a41-5b6c7d8e9f01"
SUPPORT_NAME, SUPPORT_QUEUE = "Support", 2
UNKNOWN_GROUP = "deadbeef-0000-4000-8000-000000000000"
#: agent with a PIN, an answer delay and wrap-up, and a READY session in Sales on line 0 from the start.
AGENT_PIN_ID, AGENT_PIN, AGENT_PIN_DELAY, AGENT_PIN_WRAPUP = "1001", "1234", 2, 30
#: agent without PIN used by the statistics cases (fresh sessions in Support).
AGENT_STATS_ID, AGENT_STATS_DELAY, AGENT_STATS_WRAPUP = "2001", 3, 10
#: agent with defaults (answer_delay 0, wrapup 0), no sessions at start.
AGENT_PLAIN_ID = "3001"

# ---------------------------------------------------------------- wire-protocol §8 (tapi-facts §1.4, §1.5, §3; call-facts §5)
GETAGENTACTIVITYLIST, GETAGENTCAPS, GETAGENTGROUPLIST, GETAGENTSTATUS = 24, 25, 26, 27
SETAGENTACTIVITY, SETAGENTGROUP, SETAGENTSTATE = 66, 67, 68
SETAGENTMEASUREMENTPERIOD, SETQUEUEMEASUREMENTPERIOD, SETAGENTSTATEEX = 154, 156, 157
LINE_AGENTSTATUS, LINE_QUEUESTATUS, LINE_AGENTSTATUSEX, LINE_GROUPSTATUS = 22, 28, 29, 30
INVALPOINTER, INVALAGENTACTIVITY = 0x80000035, 0x8000005B
AGENTSTATUS_GROUP, AGENTSTATUS_STATE = 0x1, 0x2  # LINEAGENTSTATUS_
AGENTSTATUSEX_STATE = 0x2  # LINEAGENTSTATUSEX_
QUEUESTATUS_UPDATEINFO = 0x1  # LINEQUEUESTATUS_
# LINEAGENTSTATE_ (TAPI 2.0) and LINEAGENTSTATEEX_ (2.2) values used by the cases
AS_LOGGEDOFF, AS_NOTREADY, AS_READY, AS_BUSYACD = 0x1, 0x2, 0x4, 0x8
ASX_NOTREADY, ASX_READY, ASX_BUSYACD = 0x1, 0x2, 0x4
AGENTCAPS = struct.Struct("<14I16s")  # LINEAGENTCAPS, 72 bytes (tapi-facts §2.4)
AGENTSTATUS = struct.Struct("<14I")  # LINEAGENTSTATUS, 56 bytes
AGENT_ACTIVITY_ENTRY = struct.Struct("<3I")  # LINEAGENTACTIVITYENTRY: dwID, dwNameSize, dwNameOffset
LINEERR_NAMES.update({INVALPOINTER: "INVALPOINTER", INVALAGENTACTIVITY: "INVALAGENTACTIVITY"})
ASYNC_FUNCS = ASYNC_FUNCS | {GETAGENTACTIVITYLIST, GETAGENTCAPS, GETAGENTGROUPLIST, GETAGENTSTATUS, SETAGENTACTIVITY,
                             SETAGENTGROUP, SETAGENTSTATE, SETAGENTMEASUREMENTPERIOD, SETQUEUEMEASUREMENTPERIOD,
                             SETAGENTSTATEEX}
