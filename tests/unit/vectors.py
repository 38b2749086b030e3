"""Golden vectors: frames written out by hand as hex from wire-protocol.md / tapi-facts.md.

These bytes were typed from the spec's offset tables (frame header, TAPI32_MSG parameter offsets,
ASYNCEVENTMSG layout, LINEAGENTSESSIONINFO offsets), NOT produced by the code under test. Each line of
hex is one field or a group of fields, commented with its offset. Checked in both directions by
tests/unit/test_protocol_vectors.py: encode(frame) == bytes and decode(bytes) == frame.

Conventions the vectors pin down (our decisions, documented in docs/protocol.md):
* VarData items start at multiples of 4 in parameter order, zero-padded to a multiple of 4;
* ASYNCEVENTMSG TotalSize includes the record's padding; Param4 is the unpadded data size.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal

from protocol import (
    AgentGroupEntry,
    AgentGroupList,
    AgentInfo,
    AgentSessionEntry,
    AgentSessionInfo,
    AgentSessionList,
    AgentSessionStatusEvent,
    AsyncEventMsg,
    Close,
    CreateAgent,
    CreateAgentSession,
    EmuAdvanceClock,
    EmuOfferCall,
    Error,
    Events,
    GetAgentInfo,
    GetAgentSessionInfo,
    GetAgentSessionList,
    GetGroupList,
    GetQueueInfo,
    GetQueueList,
    QueueEntry,
    QueueList,
    Hello,
    Initialize,
    LineReply,
    NegotiateAPIVersion,
    Open,
    QueueInfo,
    RawRequest,
    Request,
    Response,
    SetAgentSessionState,
    ShutDown,
)


def h(text: str) -> bytes:
    """Hex with whitespace and ``# comments`` allowed."""
    return bytes.fromhex(re.sub(r"#[^\n]*", "", text).replace(" ", "").replace("\n", ""))


SALES = uuid.UUID("5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b")
#: SALES in [MS-DTYP] 2.3.4.2 order: Data1 LE, Data2 LE, Data3 LE, Data4 as is.
SALES_HEX = "1e7d0c5f 7a3b 554c 9a430c1d2e3f4a5b"
ZERO7 = "00000000 " * 7

#: The LINEAGENTSESSIONINFO of the diagram in docs/protocol.md.
SESSION_INFO = AgentSessionInfo(
    total_size=0x100,
    needed_size=76,
    used_size=76,
    state=2,
    next_state=0,
    session_start_time=dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.timezone.utc),
    session_duration=3600,
    number_of_calls=5,
    total_talk_time=600,
    average_talk_time=120,
    total_call_time=750,
    average_call_time=150,
    total_wrap_up_time=150,
    average_wrap_up_time=30,
    acd_call_rate=Decimal("12.5"),
    longest_time_to_answer=20,
    average_time_to_answer=7,
)
SESSION_INFO_HEX = """
00010000 4c000000 4c000000   # 0 dwTotalSize 256 (client's buffer), 4 dwNeededSize 76, 8 dwUsedSize 76
02000000 00000000            # 12 state READY, 16 next state 0
000000000ca2e640             # 20 DATE 46352.375 = 2026-11-26 09:00 UTC
100e0000 05000000            # 28 duration 3600, 32 calls 5
58020000 78000000            # 36 total talk 600, 40 average talk 120
ee020000 96000000            # 44 total call 750, 48 average call 150
96000000 1e000000            # 52 total wrap-up 150, 56 average wrap-up 30
48e8010000000000             # 60 CY 12.5 -> 125000
14000000 07000000            # 68 longest TTA 20, 72 average TTA 7
"""

GSI = GetAgentSessionInfo(
    request_id=0, context=0x11, h_line=0x22, h_agent_session=0x33, agent_session_info_context=0x44
)
GSI_PARAMS = """
00000000 11000000 22000000   # 8 dwRequestID 0 (server picks), 12 lpContext, 16 hLine
33000000 44000000 4c000000   # 20 hAgentSession, 24 lpAgentSessionInfoContext, 28 buffer size 76
""" + ZERO7

IT_GROUPS = AgentGroupList(
    total_size=0x1000, needed_size=54, used_size=54, entries=(AgentGroupEntry(SALES, "IT"),)
)

#: (name, frame, response_func, bytes)
VECTORS: list[tuple[str, object, int | None, bytes]] = [
    (
        "hello",
        Hello(1, 0, "tsp"),
        None,
        h("11000000 0000 0000 00000000   0100 0000 0300 747370"),
    ),
    ("hello-empty-product", Hello(), None, h("0e000000 0000 0000 00000000  0100 0000 0000")),
    (
        "error",
        Error(3, "major 2"),
        None,
        h("15000000 0400 0000 00000000   03000000 0700 6d616a6f722032"),
    ),
    (
        "request-get-agent-session-info",
        Request(1, GSI),
        None,
        h("44000000 0100 0000 01000000   95000000 00000000" + GSI_PARAMS),
    ),
    (
        "response-get-agent-session-info",
        Response(1, 0x2A, GSI),
        149,
        h("44000000 0200 0000 01000000   2a000000 00000000" + GSI_PARAMS),
    ),
    (
        "response-sync-lineerr",
        Response(1, 0x8000004D, GSI),
        149,
        h("44000000 0200 0000 01000000   4d000080 00000000" + GSI_PARAMS),
    ),
    (
        "events-line-reply-session-info",
        Events(
            [
                LineReply(
                    init_context=0x0101,
                    context=0x11,
                    hdevice=0x0202,
                    open_context=0x0303,
                    request_id=0x2A,
                    result=0,
                    struct_context=0x44,
                    data=h(SESSION_INFO_HEX),
                )
            ]
        ),
        None,
        h(
            """
            7c000000 0300 0000 00000000
            74000000 01010000 11000000 02020000   # TotalSize 116, InitContext, PostProcessProcContext, hDevice
            0c000000 03030000                     # Msg LINE_REPLY, OpenContext
            2a000000 00000000 44000000 4c000000   # request ID, result 0, struct context, data size 76
            """
            + SESSION_INFO_HEX
        ),
    ),
    (
        "events-line-reply-failure",
        Events([LineReply(init_context=1, context=2, hdevice=3, open_context=4, request_id=5, result=0x80000048, struct_context=6)]),
        None,
        h(
            """
            30000000 0300 0000 00000000
            28000000 01000000 02000000 03000000 0c000000 04000000
            05000000 48000080 06000000 00000000
            """
        ),
    ),
    (
        "events-line-reply-handle",
        Events([LineReply(init_context=1, context=0x11, hdevice=3, open_context=4, request_id=9, struct_context=0x55, data=h("34120000"))]),
        None,
        h(
            """
            34000000 0300 0000 00000000
            2c000000 01000000 11000000 03000000 0c000000 04000000
            09000000 00000000 55000000 04000000
            34120000                              # the new hAgent 0x1234
            """
        ),
    ),
    (
        "events-line-reply-group-list-padded",
        Events([LineReply(request_id=9, struct_context=0x66, data=IT_GROUPS.to_bytes())]),
        None,
        h(
            """
            68000000 0300 0000 00000000
            60000000 00000000 00000000 00000000 0c000000 00000000   # TotalSize 96 = 40 + 54 + 2 padding
            09000000 00000000 66000000 36000000                     # Param4 = 54, unpadded
            00100000 36000000 36000000 01000000 18000000 18000000   # list header: 4096, 54, 54, 1 entry, 24 B at 24
            """
            + SALES_HEX
            + """
            06000000 30000000                     # name size 6, name offset 48
            49005400 0000                         # "IT" NUL
            0000                                  # record padding
            """
        ),
    ),
    (
        "events-two-records",
        Events(
            [
                AgentSessionStatusEvent(init_context=0x0101, hdevice=0x0202, open_context=0x0303, hagent_session=0x33, status=6, state=2),
                AsyncEventMsg(msg=3, hdevice=0x0202, param1=1, vardata=h("aabbccdd")),
            ]
        ),
        None,
        h(
            """
            5c000000 0300 0000 00000000   # 8 + 40 + 44
            28000000 01010000 00000000 02020000 1b000000 03030000   # LINE_AGENTSESSIONSTATUS
            33000000 06000000 02000000 00000000                     # hAgentSession, STATE|UPDATEINFO, READY
            2c000000 00000000 00000000 02020000 03000000 00000000   # LINE_CLOSE, generic
            01000000 00000000 00000000 00000000 aabbccdd
            """
        ),
    ),
    (
        "request-initialize",
        Request(5, Initialize(init_context=0x0101, friendly_name="App", module_name="m", api_version=0x00030001)),
        None,
        h(
            """
            50000000 0100 0000 05000000
            2f000000 00000000
            00000000 00000000 01010000   # 8 hLineApp (out), 12 hInstance, 16 InitContext
            00000000 00000000 08000000   # 20 friendly name @0, 24 dwNumDevs (out), 28 module name @8
            01000300                     # 32 dwAPIVersion 3.1
            00000000 00000000 00000000 00000000 00000000 00000000
            41007000 70000000            # "App" NUL
            6d000000                     # "m" NUL
            """
        ),
    ),
    (
        "response-initialize",
        # wire-protocol §10: the fixed part and only out-parameters' VarData - the two name strings are
        # in-parameters, so their offsets are 0xFFFFFFFF and the VarData is empty.
        Response(5, 0, Initialize(h_line_app=0x0A, init_context=0x0101, num_devs=4, api_version=0x00030001)),
        47,
        h(
            """
            44000000 0200 0000 05000000
            00000000 00000000
            0a000000 00000000 01010000 ffffffff 04000000 ffffffff 01000300
            00000000 00000000 00000000 00000000 00000000 00000000
            """
        ),
    ),
    (
        "request-negotiate",
        Request(6, NegotiateAPIVersion(h_line_app=0x0A, device_id=0)),
        None,
        h(
            """
            54000000 0100 0000 06000000
            34000000 00000000
            0a000000 00000000 00000200 01000300   # hLineApp, device, low 2.0, high 3.1
            00000000 00000000 10000000            # 24 negotiated (out), 28 ExtensionID @0, 32 size 16
            00000000 00000000 00000000 00000000 00000000 00000000
            00000000000000000000000000000000
            """
        ),
    ),
    (
        "response-negotiate",
        Response(6, 0, NegotiateAPIVersion(h_line_app=0x0A, device_id=0, api_version=0x00030001)),
        52,
        h(
            """
            54000000 0200 0000 06000000
            00000000 00000000
            0a000000 00000000 00000200 01000300 01000300 00000000 10000000
            00000000 00000000 00000000 00000000 00000000 00000000
            00000000000000000000000000000000
            """
        ),
    ),
    (
        "request-open",
        Request(7, Open(h_line_app=0x0A, device_id=1, api_version=0x00020002, open_context=0x0303, h_remote_line=0x0202)),
        None,
        h(
            """
            44000000 0100 0000 07000000
            36000000 00000000
            0a000000 01000000 00000000 02000200   # hLineApp, device 1, hLine (out), version 2.2
            00000000 03030000 00000000 00000000   # ext version, OpenContext, privileges, media modes
            ffffffff 00000000 00000000 02020000   # pCallParams none, code page, pGetCallParams, hRemoteLine
            00000000
            """
        ),
    ),
    (
        "response-open",
        Response(7, 0, Open(h_line_app=0x0A, device_id=1, h_line=0x22, api_version=0x00020002, open_context=0x0303, h_remote_line=0x0202)),
        54,
        h(
            """
            44000000 0200 0000 07000000
            00000000 00000000
            0a000000 01000000 22000000 02000200 00000000 03030000 00000000 00000000
            ffffffff 00000000 00000000 02020000 00000000
            """
        ),
    ),
    (
        "request-close",
        Request(8, Close(h_line=0x22)),
        None,
        h("44000000 0100 0000 08000000  09000000 00000000  22000000" + "00000000 " * 12),
    ),
    (
        "request-shutdown",
        Request(9, ShutDown(h_line_app=0x0A)),
        None,
        h("44000000 0100 0000 09000000  56000000 00000000  0a000000" + "00000000 " * 12),
    ),
    (
        "request-create-agent",
        Request(2, CreateAgent(context=0x11, h_line=0x22, agent_id="1001", pin="1234", h_agent_context=0x55)),
        None,
        h(
            """
            5c000000 0100 0000 02000000
            92000000 00000000
            00000000 11000000 22000000   # 8 dwRequestID, 12 lpContext, 16 hLine
            00000000 0c000000 55000000   # 20 agent ID @0, 24 PIN @12, 28 lphAgentContext
            """
            + ZERO7
            + """
            31003000 30003100 00000000   # "1001" NUL + 2 bytes padding
            31003200 33003400 00000000   # "1234" NUL + padding
            """
        ),
    ),
    (
        "request-create-agent-no-pin",
        Request(2, CreateAgent(context=0x11, h_line=0x22, agent_id="1001", pin=None, h_agent_context=0x55)),
        None,
        h(
            """
            50000000 0100 0000 02000000
            92000000 00000000
            00000000 11000000 22000000 00000000 ffffffff 55000000
            """
            + ZERO7
            + "31003000 30003100 00000000"
        ),
    ),
    (
        "request-create-agent-session",
        Request(3, CreateAgentSession(request_id=7, context=0x11, h_line=0x22, h_agent=0x66, group_id=SALES, h_agent_session_context=0x77)),
        None,
        h(
            """
            54000000 0100 0000 03000000
            93000000 00000000
            07000000 11000000 22000000 66000000   # 8 dwRequestID 7, 12 lpContext, 16 hLine, 20 hAgent
            ffffffff 00000000 00000000 10000000   # 24 no PIN, 28 address 0, 32 GroupID @0, 36 size 16
            77000000                              # 40 lphAgentSessionContext
            00000000 00000000 00000000 00000000
            """
            + SALES_HEX
        ),
    ),
    (
        "request-get-agent-info",
        Request(10, GetAgentInfo(context=0x11, h_line=0x22, h_agent=0x66, agent_info_context=0x44)),
        None,
        h("44000000 0100 0000 0a000000  94000000 00000000  00000000 11000000 22000000 66000000 44000000 38000000" + ZERO7),
    ),
    (
        "request-get-agent-session-list",
        Request(11, GetAgentSessionList(context=0x11, h_line=0x22, h_agent=0x66, session_list_context=0x44, session_list_size=0x200)),
        None,
        h("44000000 0100 0000 0b000000  96000000 00000000  00000000 11000000 22000000 66000000 44000000 00020000" + ZERO7),
    ),
    (
        "request-get-queue-info",
        Request(12, GetQueueInfo(context=0x11, h_line=0x22, queue_id=1, queue_info_context=0x44)),
        None,
        h("44000000 0100 0000 0c000000  97000000 00000000  00000000 11000000 22000000 01000000 44000000 34000000" + ZERO7),
    ),
    (
        "request-get-group-list",
        Request(13, GetGroupList(context=0x11, h_line=0x22, group_list_context=0x44, group_list_size=0x1000)),
        None,
        h("44000000 0100 0000 0d000000  98000000 00000000  00000000 11000000 22000000 44000000 00100000" + "00000000 " * 8),
    ),
    (
        "request-get-queue-list",
        Request(17, GetQueueList(context=0x11, h_line=0x22, group_id=SALES, queue_list_context=0x44, queue_list_size=0x1000)),
        None,
        h(
            """
            54000000 0100 0000 11000000
            99000000 00000000
            00000000 11000000 22000000 00000000   # 8 dwRequestID 0, 12 lpContext, 16 hLine, 20 GroupID @0
            10000000 44000000 00100000            # 24 its size 16, 28 lpQueueListContext, 32 dwTotalSize
            00000000 00000000 00000000 00000000 00000000 00000000
            """
            + SALES_HEX
        ),
    ),
    (
        "request-set-agent-session-state",
        Request(4, SetAgentSessionState(h_line=0x22, h_agent_session=0x33, agent_session_state=2)),
        None,
        h("44000000 0100 0000 04000000  9b000000 00000000  00000000 22000000 33000000 02000000 00000000" + "00000000 " * 8),
    ),
    (
        "request-emu-advance-clock",
        Request(14, EmuAdvanceClock(seconds=90, milliseconds=500)),
        None,
        h("44000000 0100 0000 0e000000  e8030000 00000000  5a000000 f4010000" + "00000000 " * 11),
    ),
    (
        "response-emu-offer-call",
        Response(15, 0, EmuOfferCall(group_id=uuid.UUID(int=0), talk_seconds=120, call_id=9)),
        1001,
        h(
            """
            44000000 0200 0000 0f000000
            00000000 00000000
            ffffffff 78000000 09000000   # 8 GroupID: an in-parameter, not sent back; 16 call ID (out) 9
            """
            + "00000000 " * 10
        ),
    ),
    (
        "request-unknown-function",
        Request(16, RawRequest(4242, (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13), h("0102"))),
        None,
        h(
            """
            46000000 0100 0000 10000000
            92100000 00000000
            01000000 02000000 03000000 04000000 05000000 06000000 07000000
            08000000 09000000 0a000000 0b000000 0c000000 0d000000
            0102
            """
        ),
    ),
]

#: (name, structure, bytes) for the TAPI structures.
STRUCT_VECTORS: list[tuple[str, object, bytes]] = [
    ("agent-session-info", SESSION_INFO, h(SESSION_INFO_HEX)),
    (
        "agent-session-list",
        AgentSessionList(
            total_size=0x200, needed_size=52, used_size=52, entries=(AgentSessionEntry(0x33, 0x66, SALES, 0),)
        ),
        h("00020000 34000000 34000000 01000000 1c000000 18000000  33000000 66000000" + SALES_HEX + "00000000"),
    ),
    (
        "agent-session-list-too-small",
        AgentSessionList(total_size=30, needed_size=52, used_size=24),
        h("1e000000 34000000 18000000 00000000 00000000 00000000"),
    ),
    (
        "agent-info",
        AgentInfo(total_size=56, agent_state=2, measurement_period=900, overall_call_rate=Decimal("3.25"),
                  number_of_acd_calls=5, total_acd_talk_time=600, total_acd_call_time=750, total_acd_wrap_up_time=150),
        h(
            """
            38000000 38000000 38000000 02000000 00000000 84030000
            f47e000000000000             # 24 CY 3.25 -> 32500
            05000000 00000000 00000000 58020000 ee020000 96000000
            """
        ),
    ),
    (
        "queue-info",
        QueueInfo(total_size=52, measurement_period=900, total_calls_queued=10, current_calls_queued=2,
                  longest_ever_wait_time=40, current_longest_wait_time=12, average_wait_time=9),
        h("34000000 34000000 34000000 84030000 0a000000 02000000 00000000 00000000 00000000 28000000 0c000000 09000000 00000000"),
    ),
    ("agent-group-list", IT_GROUPS, h(f"00100000 36000000 36000000 01000000 18000000 18000000 {SALES_HEX} 06000000 30000000 49005400 0000")),
    (  # dwNameOffset 36 = 24 (header) + 12 (entry): from the start of the list
        "queue-list",
        QueueList(total_size=0x1000, needed_size=42, used_size=42, entries=(QueueEntry(7, "IT"),)),
        h("00100000 2a000000 2a000000 01000000 0c000000 18000000  07000000 06000000 24000000  49005400 0000"),
    ),
]

# wire-protocol §8 (tests/unit/agent_vectors.py)
from agent_vectors import AGENT_STRUCT_VECTORS, AGENT_VECTORS  # noqa: E402

VECTORS += AGENT_VECTORS
STRUCT_VECTORS += AGENT_STRUCT_VECTORS
# wire-protocol §9.2 (typed from call-facts §1.1 in their own module)
from call_vectors import CALL_VECTORS  # noqa: E402

VECTORS += CALL_VECTORS
