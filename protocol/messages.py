"""Frozen message classes: frames, typed TAPI32_MSG bodies, ASYNCEVENTMSG records.

Everything here is plain data (``@attrs.frozen(slots=False)``: frozen, but with an instance ``__dict__``
rather than slots - attrs then fills a new object with plain dict stores, about half the cost of the
slot descriptors, and the codec builds one or more of these objects for every frame; see
docs/performance.md); bytes are produced and consumed by
:mod:`protocol.codec`, which is driven by the tables at the end of this module - all derived from the
class declarations:

* :data:`REQUEST_TYPES`: Req_Func -> (body class, compiled TAPI32_MSG schema)
* :data:`EVENT_TYPES`: Msg -> record view class
* :data:`REPLY_STRUCTS` / :data:`REPLY_HANDLE_FUNCS`: what each function's LINE_REPLY carries

Each message is declared once (:mod:`protocol.declare`): a request body is a class decorated with
``@request(Req_Func, asynchronous=..., returns=...)`` whose fields say where they sit in the 60-byte
fixed part and what kind they are (``handle(16)``, ``string(20)``, ``struct_context(24)``, ...); the
decorator derives ``REQ_FUNC``, ``ASYNC``, ``PARAMS``, ``STRUCT``, ``RETURNS_HANDLE`` and the uniform
``struct_context`` / ``buffer_size`` properties. Request bodies are keyword-only. Field names are the
MS-TRP parameter names in snake_case without the ``dw``/``lp``/``lpsz`` prefixes; (out) fields default
to 0 and are filled by the server in the RESPONSE. Event views are declared with ``@event(Msg)`` and
``slot(...)`` fields in the same way.
"""

from __future__ import annotations

import uuid
from typing import Any, Callable, ClassVar, Union

import attrs

from protocol import schemas as s
from protocol.constants import (
    API_VERSION_AGENT,
    API_VERSION_MAX,
    API_VERSION_MIN,
    PROTOCOL_MAJOR,
    PROTOCOL_MINOR,
    TAPI_NO_DATA,
    AgentSessionState,
    AgentSessionStatus,
    ErrorCode,
    LineMsg,
    ReqFunc,
)
from protocol.declare import (
    HANDLE,
    RECORD_SLOTS,
    RequestBody,
    buffer_size,
    dword,
    event,
    guid,
    handle,
    optional_string,
    out_buffer,
    record_data,
    request,
    request_id,
    slot,
    string,
    struct_context,
)
from protocol.agent_messages import AGENT_REQUEST_CLASSES
from protocol.call_messages import CALL_REQUEST_CLASSES
from protocol.errors import Error, RemoteProtocolError
from protocol.structs import (
    AgentGroupList,
    AgentInfo,
    AgentSessionInfo,
    AgentSessionList,
    QueueInfo,
    QueueList,
    enum_or_int,
)

#: Default buffer size offered for variable-size lists (GetAgentSessionList, GetGroupList, GetQueueList).
DEFAULT_LIST_BUFFER_SIZE = 0x1000

# --- frames ----------------------------------------------------------------------------------------------


@attrs.frozen(slots=False)
class Hello:
    """HELLO: first frame in each direction. ``major`` must be 1 for this protocol version."""

    major: int = PROTOCOL_MAJOR
    minor: int = PROTOCOL_MINOR
    product: str = ""


@attrs.frozen(slots=False)
class Request:
    """REQUEST: one TAPI32_MSG. ``body`` is a typed request class or :class:`RawRequest`."""

    sequence: int
    body: Any


@attrs.frozen(slots=False)
class Response:
    """RESPONSE: the request's TAPI32_MSG with offset 0 = ``result`` (Ack_ReturnValue: 0, a positive
    request ID, or a LINEERR as u32) and the (out) fields of ``body`` filled. On the wire it carries the
    fixed part and only the VarData of out-parameters (wire-protocol §10): in-parameters kept in VarData
    (strings, GUIDs) are not sent back and decode as ``schemas.RESPONSE_ABSENT`` says ("", None, the nil
    GUID); a RawRequest's VarData is not sent back either. So a RESPONSE is never larger than its REQUEST."""

    sequence: int
    result: int
    body: Any


@attrs.frozen(slots=False)
class Events:
    """EVENTS: one or more ASYNCEVENTMSG records (typed views or :class:`AsyncEventMsg`)."""

    records: tuple[Any, ...] = attrs.field(converter=tuple)


Frame = Union[Hello, Request, Response, Events, Error]

# --- request bodies --------------------------------------------------------------------------------------


@attrs.frozen(slots=False)
class RawRequest:
    """Any TAPI32_MSG without a typed class: Req_Func, the 13 parameter DWORDs, the VarData.

    A well-framed unknown function is not a protocol error: the server answers LINEERR_OPERATIONUNAVAIL.
    """

    req_func: int
    params: tuple[int, ...] = attrs.field(default=(0,) * s.NUM_PARAMS, converter=tuple)
    vardata: bytes = b""

    REQ_FUNC: ClassVar[None] = None
    ASYNC: ClassVar[bool] = False


@request(ReqFunc.INITIALIZE, asynchronous=False)
class Initialize(RequestBody):
    """lineInitialize (47, sync, [MS-TRP] 2.2.4.1.1.1)."""

    h_line_app: int = handle(8, 0, out=True)
    h_instance: int = dword(12, 0)
    init_context: int = dword(16, 0)
    friendly_name: str = string(20, "")
    num_devs: int = dword(24, 0, out=True)
    module_name: str = string(28, "")
    api_version: int = dword(32, API_VERSION_MAX)


@request(ReqFunc.NEGOTIATEAPIVERSION, asynchronous=False)
class NegotiateAPIVersion(RequestBody):
    """lineNegotiateAPIVersion (52, sync, 2.2.4.1.1.2). ``extension_id`` (out) is the LINEEXTENSIONID
    buffer in VarData (offset at 28, size at 32); the client sends 16 zero bytes as room, the server
    fills them. Offset/size outside the VarData (e.g. no room sent) decode as b"" instead of MALFORMED
    because the field is an out-parameter."""

    h_line_app: int = handle(8)
    device_id: int = dword(12)
    api_low_version: int = dword(16, API_VERSION_MIN)
    api_high_version: int = dword(20, API_VERSION_MAX)
    api_version: int = dword(24, 0, out=True)
    extension_id: bytes = out_buffer(28, 32, bytes(16))


@request(ReqFunc.OPEN, asynchronous=False)
class Open(RequestBody):
    """lineOpen (54, sync, 2.2.4.1.1.5). The contract does not use LINECALLPARAMS, so the pCallParams
    offset (40) is carried as a plain, uninterpreted DWORD (``call_params_offset``, default 0xFFFFFFFF =
    none), like the other parameters wire-protocol §2 does not list."""

    h_line_app: int = handle(8)
    device_id: int = dword(12)
    h_line: int = handle(16, 0, out=True)
    api_version: int = dword(20, API_VERSION_AGENT)
    ext_version: int = dword(24, 0)
    open_context: int = dword(28, 0)
    privileges: int = dword(32, 0)
    media_modes: int = dword(36, 0)
    call_params_offset: int = dword(40, TAPI_NO_DATA)
    ascii_call_params_code_page: int = dword(44, 0)
    get_call_params: int = dword(48, 0)
    h_remote_line: int = dword(52, 0)


@request(ReqFunc.CLOSE, asynchronous=False)
class Close(RequestBody):
    """lineClose (9, sync, 2.2.4.1.2.1)."""

    h_line: int = handle(8)


@request(ReqFunc.SHUTDOWN, asynchronous=False)
class ShutDown(RequestBody):
    """lineShutdown (86, sync, 2.2.4.1.2.2): closes the app's lines; the connection stays up."""

    h_line_app: int = handle(8)


@request(ReqFunc.CREATEAGENT, asynchronous=True, returns=HANDLE)
class CreateAgent(RequestBody):
    """lineCreateAgent (146, async, 2.2.4.1.3.10). LINE_REPLY data = the hAgent (u32)."""

    request_id: int = request_id(8)
    context: int = dword(12, 0)
    h_line: int = handle(16)
    agent_id: str = string(20)
    pin: str | None = optional_string(24)
    h_agent_context: int = struct_context(28)


@request(ReqFunc.CREATEAGENTSESSION, asynchronous=True, returns=HANDLE)
class CreateAgentSession(RequestBody):
    """lineCreateAgentSession (147, async, 2.2.4.1.3.11). GroupID: GUID in VarData, size DWORD = 16.
    LINE_REPLY data = the hAgentSession (u32)."""

    request_id: int = request_id(8)
    context: int = dword(12, 0)
    h_line: int = handle(16)
    h_agent: int = handle(20)
    pin: str | None = optional_string(24)
    working_address_id: int = dword(28, 0)
    group_id: uuid.UUID = guid(32, size_offset=36)
    h_agent_session_context: int = struct_context(40)


@request(ReqFunc.GETAGENTINFO, asynchronous=True, returns=AgentInfo)
class GetAgentInfo(RequestBody):
    """lineGetAgentInfo (148, async, 2.2.4.1.3.25) -> LINEAGENTINFO."""

    request_id: int = request_id(8)
    context: int = dword(12, 0)
    h_line: int = handle(16)
    h_agent: int = handle(20)
    agent_info_context: int = struct_context(24)
    agent_info_size: int = buffer_size(28, AgentInfo.FIXED_SIZE)


@request(ReqFunc.GETAGENTSESSIONINFO, asynchronous=True, returns=AgentSessionInfo)
class GetAgentSessionInfo(RequestBody):
    """lineGetAgentSessionInfo (149, async, 2.2.4.1.3.26) -> LINEAGENTSESSIONINFO."""

    request_id: int = request_id(8)
    context: int = dword(12, 0)
    h_line: int = handle(16)
    h_agent_session: int = handle(20)
    agent_session_info_context: int = struct_context(24)
    agent_session_info_size: int = buffer_size(28, AgentSessionInfo.FIXED_SIZE)


@request(ReqFunc.GETAGENTSESSIONLIST, asynchronous=True, returns=AgentSessionList)
class GetAgentSessionList(RequestBody):
    """lineGetAgentSessionList (150, async, 2.2.4.1.3.27) -> LINEAGENTSESSIONLIST."""

    request_id: int = request_id(8)
    context: int = dword(12, 0)
    h_line: int = handle(16)
    h_agent: int = handle(20)
    session_list_context: int = struct_context(24)
    session_list_size: int = buffer_size(28, DEFAULT_LIST_BUFFER_SIZE)


@request(ReqFunc.GETQUEUEINFO, asynchronous=True, returns=QueueInfo)
class GetQueueInfo(RequestBody):
    """lineGetQueueInfo (151, async, 2.2.4.1.3.40) -> LINEQUEUEINFO."""

    request_id: int = request_id(8)
    context: int = dword(12, 0)
    h_line: int = handle(16)
    queue_id: int = dword(20)
    queue_info_context: int = struct_context(24)
    queue_info_size: int = buffer_size(28, QueueInfo.FIXED_SIZE)


@request(ReqFunc.GETGROUPLIST, asynchronous=True, returns=AgentGroupList)
class GetGroupList(RequestBody):
    """lineGetGroupList (152, async, 2.2.4.1.3.34) -> LINEAGENTGROUPLIST."""

    request_id: int = request_id(8)
    context: int = dword(12, 0)
    h_line: int = handle(16)
    group_list_context: int = struct_context(20)
    group_list_size: int = buffer_size(24, DEFAULT_LIST_BUFFER_SIZE)


@request(ReqFunc.GETQUEUELIST, asynchronous=True, returns=QueueList)
class GetQueueList(RequestBody):
    """lineGetQueueList (153, async, 2.2.4.1.3.41) -> LINEQUEUELIST. GroupID: GUID in VarData (offset at
    20), its size DWORD at 24 (= 16)."""

    request_id: int = request_id(8)
    context: int = dword(12, 0)
    h_line: int = handle(16)
    group_id: uuid.UUID = guid(20, size_offset=24)
    queue_list_context: int = struct_context(28)
    queue_list_size: int = buffer_size(32, DEFAULT_LIST_BUFFER_SIZE)


@request(ReqFunc.SETAGENTSESSIONSTATE, asynchronous=True)
class SetAgentSessionState(RequestBody):
    """lineSetAgentSessionState (155, async, 2.2.4.1.3.60); no lpContext. 0 = keep."""

    request_id: int = request_id(8)
    h_line: int = handle(12)
    h_agent_session: int = handle(16)
    agent_session_state: int = dword(20, 0, converter=enum_or_int(AgentSessionState))
    next_agent_session_state: int = dword(24, 0, converter=enum_or_int(AgentSessionState))


@request(ReqFunc.EMU_ADVANCECLOCK, asynchronous=False)
class EmuAdvanceClock(RequestBody):
    """Emulator control (1000, sync): advance the manual clock by seconds + milliseconds."""

    seconds: int = dword(8, 0)
    milliseconds: int = dword(12, 0)


@request(ReqFunc.EMU_OFFERCALL, asynchronous=False)
class EmuOfferCall(RequestBody):
    """Emulator control (1001, sync): a call arrives at the group's queue now. GroupID: GUID at the
    VarData offset in 8 (16 bytes, no size DWORD); (out) 16 call ID."""

    group_id: uuid.UUID = guid(8)
    talk_seconds: int = dword(12, 0)
    call_id: int = dword(16, 0, out=True)


REQUEST_CLASSES: tuple[type, ...] = (
    Initialize,
    NegotiateAPIVersion,
    Open,
    Close,
    ShutDown,
    CreateAgent,
    CreateAgentSession,
    GetAgentInfo,
    GetAgentSessionInfo,
    GetAgentSessionList,
    GetQueueInfo,
    GetGroupList,
    GetQueueList,
    SetAgentSessionState,
    EmuAdvanceClock,
    EmuOfferCall,
    *AGENT_REQUEST_CLASSES,  # wire-protocol §8 (protocol/agent_messages.py)
    *CALL_REQUEST_CLASSES,  # wire-protocol §9.2 (protocol/call_messages.py)
)


def response_body(body: Any) -> Any:
    """``body`` as a RESPONSE carries it (wire-protocol §10): in-parameters kept in VarData reset to
    :data:`schemas.RESPONSE_ABSENT`, a RawRequest without its VarData - what decoding a RESPONSE gives."""
    if isinstance(body, RawRequest):
        return RawRequest(body.req_func, body.params)
    absent = {p.name: s.RESPONSE_ABSENT[p.kind] for p in body.PARAMS if p.kind in s.RESPONSE_ABSENT}
    return attrs.evolve(body, **absent) if absent else body

# --- ASYNCEVENTMSG records -------------------------------------------------------------------------------


def pad4(n: int) -> int:
    """``n`` rounded up to a multiple of 4 (records and VarData items are DWORD aligned)."""
    return (n + 3) & ~3


@attrs.frozen(kw_only=True, slots=False)
class AsyncEventMsg:
    """Any ASYNCEVENTMSG record ([MS-TRP] 2.2.5.1). ``context`` = PostProcessProcContext.

    ``vardata`` is everything after the 40-byte header up to TotalSize, padding included; the encoder
    pads it with zero bytes to a multiple of 4, so give it a multiple-of-4 length for exact round trips.
    """

    init_context: int = 0
    context: int = 0
    hdevice: int = 0
    msg: int = attrs.field(default=0, converter=enum_or_int(LineMsg))
    open_context: int = 0
    param1: int = 0
    param2: int = 0
    param3: int = 0
    param4: int = 0
    vardata: bytes = b""

    def to_generic(self) -> AsyncEventMsg:
        return self

    @staticmethod
    def to_wire(rec: AsyncEventMsg) -> tuple[Any, ...]:
        """The nine DWORDs after TotalSize and the VarData padded to 4 (as the views' ``to_wire``)."""
        var = bytes(rec.vardata)
        return (rec.init_context, rec.context, rec.hdevice, rec.msg, rec.open_context, rec.param1, rec.param2,
                rec.param3, rec.param4, var + bytes(-len(var) & 3))

    @staticmethod
    def pack_wire(rec: AsyncEventMsg, pack: Callable[..., bytes], kind: int) -> bytes:
        """The record (``kind`` 0) or a one-record frame of ``kind``, packed by ``pack`` (as the views' ``pack_wire``)."""
        *words, var = AsyncEventMsg.to_wire(rec)
        total = 40 + len(var)
        return (pack(total + 8, kind, 0, 0, total, *words) if kind else pack(total, *words)) + var


class EventView:
    """The generic-record side of every :func:`~protocol.declare.event` view (``to_wire`` / ``from_wire``
    are generated from the view's slot declarations): the views here and those of
    protocol/agent_events.py and protocol/call_events.py."""

    __slots__ = ()
    MSG: ClassVar[int]
    WIRE_FIELDS: ClassVar[tuple[str, ...]]
    from_wire: ClassVar[Callable[..., Any]]
    to_wire: ClassVar[Callable[[Any], tuple[Any, ...]]]

    def to_generic(self) -> AsyncEventMsg:
        *words, var = self.to_wire(self)
        return AsyncEventMsg(**dict(zip(RECORD_SLOTS, words)), vardata=var)

    @classmethod
    def from_generic(cls, g: AsyncEventMsg) -> Any:
        """The typed view, or None when the record is not of the view's Msg or has not its shape (then
        the codec keeps the generic record, losing nothing)."""
        if g.msg != cls.MSG:
            return None
        return cls.from_wire(g.init_context, g.context, g.hdevice, g.msg, g.open_context, g.param1, g.param2,
                             g.param3, g.param4, bytes(g.vardata))


@event(LineMsg.REPLY)
class LineReply(EventView):
    """LINE_REPLY (Msg 12): completion of an async request.

    ``data`` = the structure bytes (or the 4-byte handle for CreateAgent/CreateAgentSession), empty on
    failure; Param4 = len(data), the VarData is the data plus zero padding to 4 (a record of another
    shape stays a generic AsyncEventMsg). Two fields are not on the wire and not compared: ``req_func``
    and ``value``, filled by a client :class:`~protocol.connection.Connection` that knows which request
    the ID belongs to (``value`` = decoded structure / handle, None on failure or for data-less functions).
    """

    init_context: int = slot("init_context", 0)
    context: int = slot("context", 0)
    hdevice: int = slot("hdevice", 0)
    open_context: int = slot("open_context", 0)
    request_id: int = slot("param1")
    result: int = slot("param2", 0)
    struct_context: int = slot("param3", 0)
    data: bytes = record_data("param4")
    req_func: int | None = attrs.field(default=None, eq=False)
    value: Any = attrs.field(default=None, eq=False)


#: LineReply's on-wire fields in order (without ``req_func`` / ``value``): the positional order of
#: ``fastpath.constructor(LineReply, LINE_REPLY_FIELDS)`` wherever a LINE_REPLY is built in bulk.
LINE_REPLY_FIELDS: tuple[str, ...] = LineReply.WIRE_FIELDS


@event(LineMsg.AGENTSESSIONSTATUS)
class AgentSessionStatusEvent(EventView):
    """LINE_AGENTSESSIONSTATUS (Msg 27): Param1 hAgentSession, Param2 status bits, Param3 the new
    LINEAGENTSESSIONSTATE_ when the STATE bit is set, else 0. PostProcessProcContext, Param4 and the
    VarData are 0 / empty (a record with anything there stays a generic AsyncEventMsg)."""

    init_context: int = slot("init_context", 0)
    hdevice: int = slot("hdevice", 0)
    open_context: int = slot("open_context", 0)
    hagent_session: int = slot("param1")
    status: int = slot("param2", converter=AgentSessionStatus)
    state: int = slot("param3", 0, converter=enum_or_int(AgentSessionState))


EventRecord = Union[AsyncEventMsg, LineReply, AgentSessionStatusEvent]
EVENT_CLASSES: tuple[type, ...] = (LineReply, AgentSessionStatusEvent)

# --- the tables, all derived from the declarations above ------------------------------------------------

#: Req_Func -> (typed body class, compiled TAPI32_MSG schema naming its parameters).
REQUEST_TYPES: dict[int, tuple[type, Any]] = {
    int(cls.REQ_FUNC): (cls, s.request_schema(cls.__name__, cls.PARAMS)) for cls in REQUEST_CLASSES
}

#: Msg -> typed record class (its ``from_wire`` decides whether a record has its shape). Other Msg
#: values stay AsyncEventMsg.
EVENT_TYPES: dict[int, type] = {int(cls.MSG): cls for cls in EVENT_CLASSES}

#: Req_Func -> structure returned in its LINE_REPLY VarData (wire-protocol §2).
REPLY_STRUCTS: dict[int, type] = {
    int(cls.REQ_FUNC): cls.STRUCT for cls in REQUEST_CLASSES if getattr(cls, "STRUCT", None) is not None
}
#: Req_Funcs whose LINE_REPLY VarData is a 4-byte handle (CreateAgent, CreateAgentSession).
REPLY_HANDLE_FUNCS: frozenset[int] = frozenset(int(cls.REQ_FUNC) for cls in REQUEST_CLASSES if cls.RETURNS_HANDLE)


def decode_reply_data(req_func: int, data: bytes) -> Any:
    """Typed view of a successful LINE_REPLY's data for ``req_func``: a structure, an int handle, or None
    when the function returns no data (``data`` is then ignored)."""
    cls = REPLY_STRUCTS.get(req_func)
    if cls is not None:
        return cls.from_bytes(bytes(data))
    if req_func in REPLY_HANDLE_FUNCS:
        if len(data) != 4:
            raise RemoteProtocolError(
                ErrorCode.MALFORMED, f"LINE_REPLY of Req_Func {req_func} must carry a 4-byte handle, got {len(data)}"
            )
        return int.from_bytes(data, "little")
    return None
