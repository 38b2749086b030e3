"""MS-TRP packets over the project's TCP framing: sans-I/O, bytes in, messages out.

Public API (see docs/protocol.md):

* frames: :class:`Hello`, :class:`Request`, :class:`Response`, :class:`Events`, :class:`Error`
* request bodies: one class per function (``Initialize`` ... ``EmuOfferCall``) and :class:`RawRequest`
* event records: :class:`AsyncEventMsg`, :class:`LineReply`, :class:`AgentSessionStatusEvent`
* structures: :class:`AgentSessionInfo`, :class:`AgentSessionList`, :class:`AgentInfo`,
  :class:`QueueInfo`, :class:`AgentGroupList`, :class:`QueueList` (+ entries), ``encode_struct``/``decode_struct``
* codec: ``encode``/``decode`` and the body-level functions
* :class:`Connection` (sans-I/O state machine; its :class:`State` / :class:`Input` tables are in
  :mod:`protocol.states`), :class:`Role`, ``NEED_DATA``, ``CLOSED``
* errors (as in h11): :class:`ProtocolError` (base, carries the ERROR code), :class:`RemoteProtocolError`
  (the peer's fault) and :class:`LocalProtocolError` (ours: nothing was sent)
"""

from protocol.constants import *  # noqa: F401,F403
from protocol.codec import (
    decode,
    decode_event_records,
    decode_request_body,
    decode_response_body,
    encode,
    encode_event_record,
    encode_request_body,
    encode_response_body,
)
from protocol.connection import CLOSED, NEED_DATA, Connection, Role
from protocol.states import Input, State
from protocol.errors import LocalProtocolError, ProtocolError, RemoteProtocolError, WireError
from protocol.version import __version__
from protocol.messages import (
    EVENT_TYPES,
    LINE_REPLY_FIELDS,
    REPLY_HANDLE_FUNCS,
    REPLY_STRUCTS,
    REQUEST_CLASSES,
    REQUEST_TYPES,
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
    Hello,
    Initialize,
    LineReply,
    NegotiateAPIVersion,
    Open,
    RawRequest,
    Request,
    Response,
    SetAgentSessionState,
    ShutDown,
    decode_reply_data,
    response_body,
)
from protocol.structs import (
    OLE_EPOCH,
    STRUCT_CLASSES,
    AgentGroupEntry,
    AgentGroupList,
    AgentInfo,
    AgentSessionEntry,
    AgentSessionInfo,
    AgentSessionList,
    QueueInfo,
    bytes_to_guid,
    cy_to_decimal,
    datetime_to_ole,
    decimal_to_cy,
    decode_struct,
    encode_handle,
    encode_struct,
    guid_to_bytes,
    ole_to_datetime,
)

# Every declared request body, structure and list entry is importable from the package, derived from the
# tables (a new declaration needs no line here).
for _cls in (*REQUEST_CLASSES, *STRUCT_CLASSES, *(c.ENTRY for c in STRUCT_CLASSES if hasattr(c, "ENTRY"))):
    globals()[_cls.__name__] = _cls
del _cls
