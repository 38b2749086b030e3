"""construct definitions of every byte layout, and nothing else.

Each layout is defined once as an interpreted ``construct`` schema (kept in :data:`INTERPRETED` so tests
can check that the compiled and interpreted forms agree) and compiled once at import. Only int keys and
``this`` expressions are used, so ``.compile()`` works.

The compiled parsers are lax on short input (they raise ``struct.error`` or return short fields), so the
codec checks every length and VarData offset *before* calling ``parse``; these schemas assume well-sized
input.

TAPI32_MSG layouts are described by a tuple of :class:`Param` (one per used parameter DWORD of the 60-byte
fixed part, tapi-facts §1.4 / wire-protocol §2-§3), derived from a request class's declaration
(:mod:`protocol.declare`); :func:`request_schema` turns such a tuple into a ``Struct`` naming every one of
the 13 parameter slots.
"""

from __future__ import annotations

import enum
import uuid

import attrs
import construct as c
from construct import this

from protocol.constants import TAPI32_MSG_FIXED_SIZE

u32 = c.Int32ul
u16 = c.Int16ul

#: name -> interpreted schema, for the compiled-vs-interpreted test.
INTERPRETED: dict[str, c.Construct] = {}


def _compiled(name: str, schema: c.Construct) -> c.Construct:
    INTERPRETED[name] = schema
    return schema.compile()


# --- framing (wire-protocol §1) -------------------------------------------------------------------------

#: 12-byte frame header: ``length`` counts the bytes after itself (header rest + body).
FRAME_HEADER_SIZE = 12
FRAME_HEADER = _compiled("FRAME_HEADER", c.Struct("length" / u32, "kind" / u16, "flags" / u16, "sequence" / u32))

#: HELLO body: u16 major, u16 minor, u16 n, n bytes UTF-8 product name.
HELLO_FIXED_SIZE = 6
HELLO_BODY = _compiled(
    "HELLO_BODY", c.Struct("major" / u16, "minor" / u16, "n" / u16, "product" / c.Bytes(this.n))
)

#: ERROR body: u32 code, u16 n, n bytes UTF-8 text.
ERROR_FIXED_SIZE = 6
ERROR_BODY = _compiled("ERROR_BODY", c.Struct("code" / u32, "n" / u16, "text" / c.Bytes(this.n)))

# --- TAPI32_MSG ([MS-TRP] 2.2.5.2) ---------------------------------------------------------------------

#: Number of parameter DWORDs in the fixed part (MAX_TAPI_FUNC_ARGS).
NUM_PARAMS = 13
PARAM_OFFSETS = tuple(range(8, TAPI32_MSG_FIXED_SIZE, 4))

#: Any TAPI32_MSG: what RawRequest and the connection's pre-checks use.
TAPI32_MSG = _compiled(
    "TAPI32_MSG",
    c.Struct("req_func" / u32, "reserved1" / u32, "params" / c.Array(NUM_PARAMS, u32), "vardata" / c.GreedyBytes),
)


class VarKind(enum.Enum):
    """How one parameter DWORD of a TAPI32_MSG is interpreted."""

    U32 = "u32"  # the value itself
    STR = "str"  # offset of a UTF-16LE NUL-terminated string in VarData (required)
    OPTSTR = "optstr"  # same, or 0xFFFFFFFF = absent (None)
    GUID = "guid"  # offset of a 16-byte GUID in VarData; size DWORD at size_offset (must be 16) or implied
    #: (out) buffer: offset + size DWORD (at size_offset) in VarData. Its content only matters in the
    #: RESPONSE, so a REQUEST whose offset/size do not fit the VarData is not malformed: it decodes as b"".
    OUTBUF = "outbuf"
    #: A TAPI structure in VarData (SetAgentGroup's LINEAGENTGROUPLIST): the DWORD is its offset, its
    #: length is its own dwTotalSize (its first DWORD); 0xFFFFFFFF = none (b"").
    INSTRUCT = "instruct"


#: What an in-parameter kept in VarData reads as in a RESPONSE (wire-protocol §10: a RESPONSE carries the
#: fixed part and only the VarData of out-parameters, so such an offset is 0xFFFFFFFF and its size 0).
RESPONSE_ABSENT: dict[VarKind, object] = {VarKind.STR: "", VarKind.OPTSTR: None, VarKind.GUID: uuid.UUID(int=0)}
RESPONSE_ABSENT[VarKind.INSTRUCT] = b""


class ParamRole(enum.Enum):
    """What a DWORD parameter means to the server (beyond being a number)."""

    HANDLE = "handle"  # hLineApp, hLine, hAgent, hAgentSession ...
    REQUEST_ID = "request_id"  # the request ID slot of an asynchronous function
    CONTEXT = "context"  # echoed as Param3 of the LINE_REPLY
    SIZE = "size"  # the client's buffer size for the returned structure


@attrs.frozen
class Param:
    """One used parameter of a TAPI32_MSG: byte ``offset`` in the fixed part, Python field ``name``.

    Made from a request class's field declarations (:mod:`protocol.declare`), never written by hand."""

    offset: int
    name: str
    kind: VarKind = VarKind.U32
    #: For GUID/OUTBUF: the fixed-part offset of the DWORD holding the size in bytes (None: implied 16).
    size_offset: int | None = None
    #: True for an (out) parameter: the server fills it in the RESPONSE.
    out: bool = False
    role: ParamRole | None = None

    @property
    def slot_name(self) -> str:
        """Name of this parameter's DWORD in the construct schema."""
        return self.name if self.kind is VarKind.U32 else f"{self.name}_offset"


def slot_names(params: tuple[Param, ...]) -> dict[int, str]:
    """Fixed-part offset -> schema field name for all 13 slots (unused ones are ``reservedNN``)."""
    names = {off: f"reserved{off}" for off in PARAM_OFFSETS}
    for p in params:
        names[p.offset] = p.slot_name
        if p.size_offset is not None:
            names[p.size_offset] = f"{p.name}_size"
    return names


def request_schema(name: str, params: tuple[Param, ...]) -> c.Construct:
    """Compiled TAPI32_MSG schema with every parameter slot named after ``params``."""
    names = slot_names(params)
    fields = [
        "req_func" / u32,  # Ack_ReturnValue in a RESPONSE
        "reserved1" / u32,
        *(names[off] / u32 for off in PARAM_OFFSETS),
        "vardata" / c.GreedyBytes,
    ]
    return _compiled(name, c.Struct(*fields))


# --- ASYNCEVENTMSG ([MS-TRP] 2.2.5.1) --------------------------------------------------------------------

#: One record, already cut to its TotalSize by the codec; ``vardata`` includes the padding.
ASYNCEVENTMSG = _compiled(
    "ASYNCEVENTMSG",
    c.Struct(
        "total_size" / u32,
        "init_context" / u32,
        "context" / u32,  # PostProcessProcContext
        "hdevice" / u32,
        "msg" / u32,
        "open_context" / u32,
        "param1" / u32,
        "param2" / u32,
        "param3" / u32,
        "param4" / u32,
        "vardata" / c.GreedyBytes,
    ),
)

# --- TAPI structures (tapi-facts §2) ---------------------------------------------------------------------

_SIZE_TRIPLE = ("total_size" / u32, "needed_size" / u32, "used_size" / u32)

#: LINEAGENTSESSIONINFO, 76 bytes = struct '<5Id8Iq2I'. DATE is a raw float64, CY a raw int64 here.
AGENT_SESSION_INFO_SIZE = 76
AGENT_SESSION_INFO = _compiled(
    "AGENT_SESSION_INFO",
    c.Struct(
        *_SIZE_TRIPLE,
        "state" / u32,
        "next_state" / u32,
        "session_start_time" / c.Float64l,
        "session_duration" / u32,
        "number_of_calls" / u32,
        "total_talk_time" / u32,
        "average_talk_time" / u32,
        "total_call_time" / u32,
        "average_call_time" / u32,
        "total_wrap_up_time" / u32,
        "average_wrap_up_time" / u32,
        "acd_call_rate" / c.Int64sl,
        "longest_time_to_answer" / u32,
        "average_time_to_answer" / u32,
    ),
)

#: LINEAGENTINFO, 56 bytes.
AGENT_INFO_SIZE = 56
AGENT_INFO = _compiled(
    "AGENT_INFO",
    c.Struct(
        *_SIZE_TRIPLE,
        "agent_state" / u32,
        "next_agent_state" / u32,
        "measurement_period" / u32,
        "overall_call_rate" / c.Int64sl,
        "number_of_acd_calls" / u32,
        "number_of_incoming_calls" / u32,
        "number_of_outgoing_calls" / u32,
        "total_acd_talk_time" / u32,
        "total_acd_call_time" / u32,
        "total_acd_wrap_up_time" / u32,
    ),
)

#: LINEQUEUEINFO, 52 bytes.
QUEUE_INFO_SIZE = 52
QUEUE_INFO = _compiled(
    "QUEUE_INFO",
    c.Struct(
        *_SIZE_TRIPLE,
        "measurement_period" / u32,
        "total_calls_queued" / u32,
        "current_calls_queued" / u32,
        "total_calls_abandoned" / u32,
        "total_calls_flowed_in" / u32,
        "total_calls_flowed_out" / u32,
        "longest_ever_wait_time" / u32,
        "current_longest_wait_time" / u32,
        "average_wait_time" / u32,
        "final_disposition" / u32,
    ),
)

#: Header shared by LINEAGENTSESSIONLIST, LINEAGENTGROUPLIST and LINEQUEUELIST, 24 bytes.
LIST_HEADER_SIZE = 24
LIST_HEADER = _compiled(
    "LIST_HEADER",
    c.Struct(*_SIZE_TRIPLE, "num_entries" / u32, "list_size" / u32, "list_offset" / u32),
)

#: LINEAGENTSESSIONENTRY, 28 bytes; the GUID is raw [MS-DTYP] 2.3.4.2 bytes (uuid.UUID.bytes_le).
AGENT_SESSION_ENTRY_SIZE = 28
AGENT_SESSION_ENTRY = _compiled(
    "AGENT_SESSION_ENTRY",
    c.Struct("hagent_session" / u32, "hagent" / u32, "group_id" / c.Bytes(16), "working_address_id" / u32),
)

#: LINEAGENTGROUPENTRY, 24 bytes; name offset is relative to the start of the list structure.
AGENT_GROUP_ENTRY_SIZE = 24
AGENT_GROUP_ENTRY = _compiled(
    "AGENT_GROUP_ENTRY",
    c.Struct("group_id" / c.Bytes(16), "name_size" / u32, "name_offset" / u32),
)

#: LINEQUEUEENTRY, 12 bytes; name offset is relative to the start of the list structure (as for
#: LINEAGENTGROUPENTRY).
QUEUE_ENTRY_SIZE = 12
QUEUE_ENTRY = _compiled(
    "QUEUE_ENTRY",
    c.Struct("queue_id" / u32, "name_size" / u32, "name_offset" / u32),
)

# --- wire-protocol §8.2: the TAPI 2.0 agent structures (protocol/agent_structs.py; call-facts §5) -------

#: LINEAGENTCAPS, 72 bytes (56 below API 2.2: ProxyGUID is the 2.2 tail).
AGENT_CAPS_SIZE = 72
AGENT_CAPS = _compiled(
    "AGENT_CAPS",
    c.Struct(
        *_SIZE_TRIPLE,
        "agent_handler_info_size" / u32, "agent_handler_info_offset" / u32,
        "caps_version" / u32, "features" / u32, "states" / u32, "next_states" / u32,
        "max_num_group_entries" / u32, "agent_status_messages" / u32,
        "num_agent_extension_ids" / u32, "agent_extension_id_list_size" / u32, "agent_extension_id_list_offset" / u32,
        "proxy_guid" / c.Bytes(16),
    ),
)

#: LINEAGENTSTATUS, 56 bytes (14 DWORDs, tapi.h order).
AGENT_STATUS_SIZE = 56
AGENT_STATUS = _compiled(
    "AGENT_STATUS",
    c.Struct(
        *_SIZE_TRIPLE,
        "num_entries" / u32, "group_list_size" / u32, "group_list_offset" / u32,
        "state" / u32, "next_state" / u32,
        "activity_id" / u32, "activity_size" / u32, "activity_offset" / u32,
        "agent_features" / u32, "valid_states" / u32, "valid_next_states" / u32,
    ),
)

#: LINEAGENTACTIVITYENTRY, 12 bytes; name offset relative to the start of the list.
AGENT_ACTIVITY_ENTRY_SIZE = 12
AGENT_ACTIVITY_ENTRY = _compiled("AGENT_ACTIVITY_ENTRY", c.Struct("id" / u32, "name_size" / u32, "name_offset" / u32))
