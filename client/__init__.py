"""Client library for the TAPI emulator: TAPI2's Line API and TAPI3's call-centre objects over MS-TRP.

::

    import client
    async with client.connect(host, port) as tapi:              # HELLO + lineInitialize
        line = await tapi.open_line(0)                          # NegotiateAPIVersion + Open
        agent = await line.create_agent("1001", pin="1234")     # -> client.ITAgent
        sessions = await agent.EnumerateAgentSessions()         # -> list[client.ITAgentSession]
        seconds = await sessions[0].get_TotalTalkTime()         # TAPI_E_TIMEOUT after 120 s
        await tapi.control.advance(30)                          # emulator control (python -m tsp --control)
    with client.blocking.connect(host, port) as tapi:           # same objects and names, no await
        ...

``connect_timeout`` (10 s) bounds TCP, TLS, HELLO and Initialize together (:class:`ConnectTimeoutError`).

Errors: :class:`TapiError` (``.hresult``), :class:`LineError` (``.lineerr``, also a TapiError),
:class:`TapiTimeoutError` (``hresult == TAPI_E_TIMEOUT``), :class:`ConnectionLostError`; every public
method raises only these (a bad argument is ``TapiError`` with ``E_INVALIDARG``).
See docs/client.md.
"""

from __future__ import annotations

from client import blocking
from client.connection import ClientConnection, PendingReply
from client.control import Control
from client.errors import (
    TAPI_E_TIMEOUT,
    ConnectTimeoutError,
    ConnectionLostError,
    ControlRefusedError,
    EventsOverflowError,
    LineError,
    TapiError,
    TapiTimeoutError,
)
from client.connecting import CONNECT_TIMEOUT, connect, connect_stream
from client.line import Line
from client.tapi import EventSubscription, Tapi
from client.objects import REQUEST_TIMEOUT, ITACDGroup, ITAddress, ITAgent, ITAgentSession, ITQueue
from client.calls import (
    Call,
    ITBasicCallControl,
    ITCallInfo,
    ITCallNotificationEvent,
    ITCallStateEvent,
    create_call,
)
from protocol.version import __version__
from protocol.constants import (
    AgentSessionEvent,
    AgentSessionState,
    AgentSessionStateASST,
    AgentState,
    HResult,
    LineErr,
)

__all__ = [
    "Call",
    "ITBasicCallControl",
    "ITCallInfo",
    "ITCallNotificationEvent",
    "ITCallStateEvent",
    "create_call",
    "__version__",
    "CONNECT_TIMEOUT",
    "REQUEST_TIMEOUT",
    "TAPI_E_TIMEOUT",
    "AgentSessionEvent",
    "AgentSessionState",
    "AgentSessionStateASST",
    "AgentState",
    "ClientConnection",
    "ConnectTimeoutError",
    "ConnectionLostError",
    "Control",
    "ControlRefusedError",
    "EventSubscription",
    "EventsOverflowError",
    "HResult",
    "ITACDGroup",
    "ITAddress",
    "ITAgent",
    "ITAgentSession",
    "ITQueue",
    "Line",
    "LineErr",
    "LineError",
    "PendingReply",
    "Tapi",
    "TapiError",
    "TapiTimeoutError",
    "blocking",
    "connect",
    "connect_stream",
]
