"""Frozen message classes: frames, typed TAPI32_MSG bodies, ASYNCEVENTMSG records.

Everything here is plain data (``@attrs.frozen(slots=False)``: frozen, but with an instance ``__dict__``
rather than slots - attrs then fills a new object with plain dict stores, about half the cost of the
slot descriptors, and the codec builds one or more of these objects for every frame; see
docs/performance.md); bytes are produced and consumed by
:mod:`protocol.codec`, which is driven by the two explicit tables at the end of this module:

* :data:`REQUEST_TYPES`: Req_Func -> (body class, compiled TAPI32_MSG schema)
* :data:`EVENT_TYPES`: Msg -> (record class, compiled ASYNCEVENTMSG schema)

Request bodies are keyword-only. Field names are the MS-TRP parameter names in snake_case without the
``dw``/``lp``/``lpsz`` prefixes; (out) fields default to 0 and are filled by the server in the RESPONSE.
Each body class declares ``REQ_FUNC``, ``ASYNC`` (True: the RESPONSE carries a request ID and a LINE_REPLY
completes it) and ``PARAMS`` (which parameter DWORD of the 60-byte fixed part holds which field).
Data-returning bodies also expose ``struct_context`` and ``buffer_size`` under uniform names.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar, Union

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
from protocol.schemas import Param as P
from protocol.schemas import VarKind as K
from protocol.structs import (
    AgentGroupList,
    AgentInfo,
    AgentSessionInfo,
    AgentSessionList,
    QueueInfo,
    enum_or_int,
)

#: Default buffer size offered for variable-size lists (GetAgentSessionList, GetGroupList).
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


@attrs.frozen(slots=False)
class Error:
    """ERROR: the sender closes the connection after it. ``code`` is an ErrorCode when known."""

    code: int = attrs.field(converter=enum_or_int(ErrorCode))
    text: str = ""


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


class _DataRequest:
    """Mixin for functions returning a TAPI structure in their LINE_REPLY (wire-protocol §2)."""

    __slots__ = ()
    CONTEXT_FIELD: ClassVar[str]
    SIZE_FIELD: ClassVar[str]
    STRUCT: ClassVar[type]

    @property
    def struct_context(self) -> int:
        """The request's struct context, echoed as Param3 of the LINE_REPLY."""
        return getattr(self, self.CONTEXT_FIELD)

    @property
    def buffer_size(self) -> int:
        """The client's buffer size (becomes dwTotalSize of the returned structure)."""
        return getattr(self, self.SIZE_FIELD)


@attrs.frozen(kw_only=True, slots=False)
class Initialize:
    """lineInitialize (47, sync, [MS-TRP] 2.2.4.1.1.1)."""

    REQ_FUNC: ClassVar[int] = ReqFunc.INITIALIZE
    ASYNC: ClassVar[bool] = False
    PARAMS: ClassVar[tuple[P, ...]] = (
        P(8, "h_line_app"),
        P(12, "h_instance"),
        P(16, "init_context"),
        P(20, "friendly_name", K.STR),
        P(24, "num_devs"),
        P(28, "module_name", K.STR),
        P(32, "api_version"),
    )
    h_line_app: int = 0  # out
    h_instance: int = 0
    init_context: int = 0
    friendly_name: str = ""
    num_devs: int = 0  # out
    module_name: str = ""
    api_version: int = API_VERSION_MAX


@attrs.frozen(kw_only=True, slots=False)
class NegotiateAPIVersion:
    """lineNegotiateAPIVersion (52, sync, 2.2.4.1.1.2). ``extension_id`` (out) is the LINEEXTENSIONID
    buffer in VarData (offset at 28, size at 32); the client sends 16 zero bytes as room, the server
    fills them. Offset/size outside the VarData (e.g. no room sent) decode as b"" instead of MALFORMED
    because the field is an out-parameter."""

    REQ_FUNC: ClassVar[int] = ReqFunc.NEGOTIATEAPIVERSION
    ASYNC: ClassVar[bool] = False
    PARAMS: ClassVar[tuple[P, ...]] = (
        P(8, "h_line_app"),
        P(12, "device_id"),
        P(16, "api_low_version"),
        P(20, "api_high_version"),
        P(24, "api_version"),
        P(28, "extension_id", K.OUTBUF, size_offset=32),
    )
    h_line_app: int
    device_id: int
    api_low_version: int = API_VERSION_MIN
    api_high_version: int = API_VERSION_MAX
    api_version: int = 0  # out
    extension_id: bytes = bytes(16)  # out


@attrs.frozen(kw_only=True, slots=False)
class Open:
    """lineOpen (54, sync, 2.2.4.1.1.5). The contract does not use LINECALLPARAMS, so the pCallParams
    offset (40) is carried as a plain, uninterpreted DWORD (``call_params_offset``, default 0xFFFFFFFF =
    none), like the other parameters wire-protocol §2 does not list."""

    REQ_FUNC: ClassVar[int] = ReqFunc.OPEN
    ASYNC: ClassVar[bool] = False
    PARAMS: ClassVar[tuple[P, ...]] = (
        P(8, "h_line_app"),
        P(12, "device_id"),
        P(16, "h_line"),
        P(20, "api_version"),
        P(24, "ext_version"),
        P(28, "open_context"),
        P(32, "privileges"),
        P(36, "media_modes"),
        P(40, "call_params_offset"),
        P(44, "ascii_call_params_code_page"),
        P(48, "get_call_params"),
        P(52, "h_remote_line"),
    )
    h_line_app: int
    device_id: int
    h_line: int = 0  # out
    api_version: int = API_VERSION_AGENT
    ext_version: int = 0
    open_context: int = 0
    privileges: int = 0
    media_modes: int = 0
    call_params_offset: int = TAPI_NO_DATA
    ascii_call_params_code_page: int = 0
    get_call_params: int = 0
    h_remote_line: int = 0


@attrs.frozen(kw_only=True, slots=False)
class Close:
    """lineClose (9, sync, 2.2.4.1.2.1)."""

    REQ_FUNC: ClassVar[int] = ReqFunc.CLOSE
    ASYNC: ClassVar[bool] = False
    PARAMS: ClassVar[tuple[P, ...]] = (P(8, "h_line"),)
    h_line: int


@attrs.frozen(kw_only=True, slots=False)
class ShutDown:
    """lineShutdown (86, sync, 2.2.4.1.2.2): closes the app's lines; the connection stays up."""

    REQ_FUNC: ClassVar[int] = ReqFunc.SHUTDOWN
    ASYNC: ClassVar[bool] = False
    PARAMS: ClassVar[tuple[P, ...]] = (P(8, "h_line_app"),)
    h_line_app: int


@attrs.frozen(kw_only=True, slots=False)
class CreateAgent:
    """lineCreateAgent (146, async, 2.2.4.1.3.10). LINE_REPLY data = the hAgent (u32)."""

    REQ_FUNC: ClassVar[int] = ReqFunc.CREATEAGENT
    ASYNC: ClassVar[bool] = True
    PARAMS: ClassVar[tuple[P, ...]] = (
        P(8, "request_id"),
        P(12, "context"),
        P(16, "h_line"),
        P(20, "agent_id", K.STR),
        P(24, "pin", K.OPTSTR),
        P(28, "h_agent_context"),
    )
    request_id: int = 0
    context: int = 0
    h_line: int
    agent_id: str
    pin: str | None = None
    h_agent_context: int = 0

    @property
    def struct_context(self) -> int:
        """Param3 of the LINE_REPLY."""
        return self.h_agent_context


@attrs.frozen(kw_only=True, slots=False)
class CreateAgentSession:
    """lineCreateAgentSession (147, async, 2.2.4.1.3.11). GroupID: GUID in VarData, size DWORD = 16.
    LINE_REPLY data = the hAgentSession (u32)."""

    REQ_FUNC: ClassVar[int] = ReqFunc.CREATEAGENTSESSION
    ASYNC: ClassVar[bool] = True
    PARAMS: ClassVar[tuple[P, ...]] = (
        P(8, "request_id"),
        P(12, "context"),
        P(16, "h_line"),
        P(20, "h_agent"),
        P(24, "pin", K.OPTSTR),
        P(28, "working_address_id"),
        P(32, "group_id", K.GUID, size_offset=36),
        P(40, "h_agent_session_context"),
    )
    request_id: int = 0
    context: int = 0
    h_line: int
    h_agent: int
    pin: str | None = None
    working_address_id: int = 0
    group_id: uuid.UUID
    h_agent_session_context: int = 0

    @property
    def struct_context(self) -> int:
        """Param3 of the LINE_REPLY."""
        return self.h_agent_session_context


@attrs.frozen(kw_only=True, slots=False)
class GetAgentInfo(_DataRequest):
    """lineGetAgentInfo (148, async, 2.2.4.1.3.25) -> LINEAGENTINFO."""

    REQ_FUNC: ClassVar[int] = ReqFunc.GETAGENTINFO
    ASYNC: ClassVar[bool] = True
    STRUCT: ClassVar[type] = AgentInfo
    CONTEXT_FIELD: ClassVar[str] = "agent_info_context"
    SIZE_FIELD: ClassVar[str] = "agent_info_size"
    PARAMS: ClassVar[tuple[P, ...]] = (
        P(8, "request_id"),
        P(12, "context"),
        P(16, "h_line"),
        P(20, "h_agent"),
        P(24, "agent_info_context"),
        P(28, "agent_info_size"),
    )
    request_id: int = 0
    context: int = 0
    h_line: int
    h_agent: int
    agent_info_context: int = 0
    agent_info_size: int = AgentInfo.FIXED_SIZE


@attrs.frozen(kw_only=True, slots=False)
class GetAgentSessionInfo(_DataRequest):
    """lineGetAgentSessionInfo (149, async, 2.2.4.1.3.26) -> LINEAGENTSESSIONINFO."""

    REQ_FUNC: ClassVar[int] = ReqFunc.GETAGENTSESSIONINFO
    ASYNC: ClassVar[bool] = True
    STRUCT: ClassVar[type] = AgentSessionInfo
    CONTEXT_FIELD: ClassVar[str] = "agent_session_info_context"
    SIZE_FIELD: ClassVar[str] = "agent_session_info_size"
    PARAMS: ClassVar[tuple[P, ...]] = (
        P(8, "request_id"),
        P(12, "context"),
        P(16, "h_line"),
        P(20, "h_agent_session"),
        P(24, "agent_session_info_context"),
        P(28, "agent_session_info_size"),
    )
    request_id: int = 0
    context: int = 0
    h_line: int
    h_agent_session: int
    agent_session_info_context: int = 0
    agent_session_info_size: int = AgentSessionInfo.FIXED_SIZE


@attrs.frozen(kw_only=True, slots=False)
class GetAgentSessionList(_DataRequest):
    """lineGetAgentSessionList (150, async, 2.2.4.1.3.27) -> LINEAGENTSESSIONLIST."""

    REQ_FUNC: ClassVar[int] = ReqFunc.GETAGENTSESSIONLIST
    ASYNC: ClassVar[bool] = True
    STRUCT: ClassVar[type] = AgentSessionList
    CONTEXT_FIELD: ClassVar[str] = "session_list_context"
    SIZE_FIELD: ClassVar[str] = "session_list_size"
    PARAMS: ClassVar[tuple[P, ...]] = (
        P(8, "request_id"),
        P(12, "context"),
        P(16, "h_line"),
        P(20, "h_agent"),
        P(24, "session_list_context"),
        P(28, "session_list_size"),
    )
    request_id: int = 0
    context: int = 0
    h_line: int
    h_agent: int
    session_list_context: int = 0
    session_list_size: int = DEFAULT_LIST_BUFFER_SIZE


@attrs.frozen(kw_only=True, slots=False)
class GetQueueInfo(_DataRequest):
    """lineGetQueueInfo (151, async, 2.2.4.1.3.40) -> LINEQUEUEINFO."""

    REQ_FUNC: ClassVar[int] = ReqFunc.GETQUEUEINFO
    ASYNC: ClassVar[bool] = True
    STRUCT: ClassVar[type] = QueueInfo
    CONTEXT_FIELD: ClassVar[str] = "queue_info_context"
    SIZE_FIELD: ClassVar[str] = "queue_info_size"
    PARAMS: ClassVar[tuple[P, ...]] = (
        P(8, "request_id"),
        P(12, "context"),
        P(16, "h_line"),
        P(20, "queue_id"),
        P(24, "queue_info_context"),
        P(28, "queue_info_size"),
    )
    request_id: int = 0
    context: int = 0
    h_line: int
    queue_id: int
    queue_info_context: int = 0
    queue_info_size: int = QueueInfo.FIXED_SIZE


@attrs.frozen(kw_only=True, slots=False)
class GetGroupList(_DataRequest):
    """lineGetGroupList (152, async, 2.2.4.1.3.34) -> LINEAGENTGROUPLIST."""

    REQ_FUNC: ClassVar[int] = ReqFunc.GETGROUPLIST
    ASYNC: ClassVar[bool] = True
    STRUCT: ClassVar[type] = AgentGroupList
    CONTEXT_FIELD: ClassVar[str] = "group_list_context"
    SIZE_FIELD: ClassVar[str] = "group_list_size"
    PARAMS: ClassVar[tuple[P, ...]] = (
        P(8, "request_id"),
        P(12, "context"),
        P(16, "h_line"),
        P(20, "group_list_context"),
        P(24, "group_list_size"),
    )
    request_id: int = 0
    context: int = 0
    h_line: int
    group_list_context: int = 0
    group_list_size: int = DEFAULT_LIST_BUFFER_SIZE


@attrs.frozen(kw_only=True, slots=False)
class SetAgentSessionState:
    """lineSetAgentSessionState (155, async, 2.2.4.1.3.60); no lpContext. 0 = keep."""

    REQ_FUNC: ClassVar[int] = ReqFunc.SETAGENTSESSIONSTATE
    ASYNC: ClassVar[bool] = True
    PARAMS: ClassVar[tuple[P, ...]] = (
        P(8, "request_id"),
        P(12, "h_line"),
        P(16, "h_agent_session"),
        P(20, "agent_session_state"),
        P(24, "next_agent_session_state"),
    )
    request_id: int = 0
    h_line: int
    h_agent_session: int
    agent_session_state: int = attrs.field(default=0, converter=enum_or_int(AgentSessionState))
    next_agent_session_state: int = attrs.field(default=0, converter=enum_or_int(AgentSessionState))


@attrs.frozen(kw_only=True, slots=False)
class EmuAdvanceClock:
    """Emulator control (1000, sync): advance the manual clock by seconds + milliseconds."""

    REQ_FUNC: ClassVar[int] = ReqFunc.EMU_ADVANCECLOCK
    ASYNC: ClassVar[bool] = False
    PARAMS: ClassVar[tuple[P, ...]] = (P(8, "seconds"), P(12, "milliseconds"))
    seconds: int = 0
    milliseconds: int = 0


@attrs.frozen(kw_only=True, slots=False)
class EmuOfferCall:
    """Emulator control (1001, sync): a call arrives at the group's queue now. GroupID: GUID at the
    VarData offset in 8 (16 bytes, no size DWORD); (out) 16 call ID."""

    REQ_FUNC: ClassVar[int] = ReqFunc.EMU_OFFERCALL
    ASYNC: ClassVar[bool] = False
    PARAMS: ClassVar[tuple[P, ...]] = (P(8, "group_id", K.GUID), P(12, "talk_seconds"), P(16, "call_id"))
    group_id: uuid.UUID
    talk_seconds: int = 0
    call_id: int = 0  # out


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
    SetAgentSessionState,
    EmuAdvanceClock,
    EmuOfferCall,
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


@attrs.frozen(kw_only=True, slots=False)
class LineReply:
    """LINE_REPLY (Msg 12): completion of an async request.

    ``data`` = the structure bytes (or the 4-byte handle for CreateAgent/CreateAgentSession), empty on
    failure; Param4 = len(data). Two fields are not on the wire and not compared: ``req_func`` and
    ``value``, filled by a client :class:`~protocol.connection.Connection` that knows which request the
    ID belongs to (``value`` = decoded structure / handle, None on failure or for data-less functions).
    """

    init_context: int = 0
    context: int = 0
    hdevice: int = 0
    open_context: int = 0
    request_id: int
    result: int = 0
    struct_context: int = 0
    data: bytes = b""
    req_func: int | None = attrs.field(default=None, eq=False)
    value: Any = attrs.field(default=None, eq=False)

    MSG: ClassVar[int] = LineMsg.REPLY

    def to_generic(self) -> AsyncEventMsg:
        data = bytes(self.data)
        return AsyncEventMsg(
            init_context=self.init_context,
            context=self.context,
            hdevice=self.hdevice,
            msg=self.MSG,
            open_context=self.open_context,
            param1=self.request_id,
            param2=self.result,
            param3=self.struct_context,
            param4=len(data),
            vardata=data + bytes(pad4(len(data)) - len(data)),
        )

    @classmethod
    def from_generic(cls, g: AsyncEventMsg) -> LineReply | None:
        """The typed view, or None when the record does not have LINE_REPLY's shape (then the codec
        keeps the generic record, losing nothing): Param4 must be the data size and the VarData exactly
        that data plus zero padding to 4."""
        n = g.param4
        if n > len(g.vardata) or len(g.vardata) != pad4(n) or any(g.vardata[n:]):
            return None
        return cls(
            init_context=g.init_context,
            context=g.context,
            hdevice=g.hdevice,
            open_context=g.open_context,
            request_id=g.param1,
            result=g.param2,
            struct_context=g.param3,
            data=g.vardata[:n],
        )


@attrs.frozen(kw_only=True, slots=False)
class AgentSessionStatusEvent:
    """LINE_AGENTSESSIONSTATUS (Msg 27): Param1 hAgentSession, Param2 status bits, Param3 the new
    LINEAGENTSESSIONSTATE_ when the STATE bit is set, else 0. PostProcessProcContext and Param4 are 0."""

    init_context: int = 0
    hdevice: int = 0
    open_context: int = 0
    hagent_session: int
    status: int = attrs.field(converter=AgentSessionStatus)
    state: int = attrs.field(default=0, converter=enum_or_int(AgentSessionState))

    MSG: ClassVar[int] = LineMsg.AGENTSESSIONSTATUS

    def to_generic(self) -> AsyncEventMsg:
        return AsyncEventMsg(
            init_context=self.init_context,
            hdevice=self.hdevice,
            msg=self.MSG,
            open_context=self.open_context,
            param1=self.hagent_session,
            param2=self.status,
            param3=self.state,
        )

    @classmethod
    def from_generic(cls, g: AsyncEventMsg) -> AgentSessionStatusEvent | None:
        """The typed view, or None (keep the generic record) if context, Param4 or VarData are not 0."""
        if g.context or g.param4 or g.vardata:
            return None
        return cls(
            init_context=g.init_context,
            hdevice=g.hdevice,
            open_context=g.open_context,
            hagent_session=g.param1,
            status=g.param2,
            state=g.param3,
        )


EventRecord = Union[AsyncEventMsg, LineReply, AgentSessionStatusEvent]

# --- the two tables --------------------------------------------------------------------------------------

#: Req_Func -> (typed body class, compiled TAPI32_MSG schema naming its parameters).
REQUEST_TYPES: dict[int, tuple[type, Any]] = {
    int(cls.REQ_FUNC): (cls, s.request_schema(cls.__name__, cls.PARAMS)) for cls in REQUEST_CLASSES
}

#: Msg -> (typed record class, compiled ASYNCEVENTMSG schema). Other Msg values stay AsyncEventMsg.
EVENT_TYPES: dict[int, tuple[type, Any]] = {
    int(LineMsg.REPLY): (LineReply, s.ASYNCEVENTMSG),
    int(LineMsg.AGENTSESSIONSTATUS): (AgentSessionStatusEvent, s.ASYNCEVENTMSG),
}
