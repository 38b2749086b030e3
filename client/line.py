"""The Line API: one coroutine per function of wire-protocol §2, plus the connection-level :class:`Tapi`.

``client.connect(host, port)`` gives a :class:`Tapi` (HELLO + lineInitialize done). ``Tapi.open_line(n)``
negotiates the API version and opens line device ``n``, giving a :class:`Line` whose methods mirror
TAPI2's agent functions:

=========================  =====================  ==========================================
method                     Req_Func               result
=========================  =====================  ==========================================
get_agent_session_info     149 GetAgentSessionInfo :class:`~protocol.structs.AgentSessionInfo`
set_agent_session_state    155 SetAgentSessionState None
create_agent               146 CreateAgent         :class:`~client.objects.ITAgent`
create_agent_session       147 CreateAgentSession  :class:`~client.objects.ITAgentSession`
get_agent_info             148 GetAgentInfo        :class:`~protocol.structs.AgentInfo`
get_agent_session_list     150 GetAgentSessionList :class:`~protocol.structs.AgentSessionList`
get_queue_info             151 GetQueueInfo        :class:`~protocol.structs.QueueInfo`
get_group_list             152 GetGroupList        :class:`~protocol.structs.AgentGroupList`
=========================  =====================  ==========================================

TAPI's own model stays visible: every function also exists as ``start_<name>(...)``, which sends the
request and returns ``(request_id, pending)`` as soon as the RESPONSE announces the request ID;
``await pending`` waits for the LINE_REPLY. The plain form does both. A LINEERR, synchronous (in the
RESPONSE) or asynchronous (in the LINE_REPLY), raises :class:`~client.errors.LineError`.

Deadlines: like TAPI2 itself, the Line API waits as long as it takes unless given ``timeout=`` seconds
(then :class:`~client.errors.TapiTimeoutError`). The TAPI3 objects of :mod:`client.objects` always pass
the connection's ``request_timeout`` (two minutes by default).

Buffer sizes: data-returning functions send the structure's fixed size as the client's ``dwTotalSize``
unless ``buffer_size=`` says otherwise. The list functions (``get_agent_session_list``,
``get_group_list``) grow the buffer to the server's ``dwNeededSize`` and retry until the list fits; their
``start_`` forms do one round trip with the size given and hand back what the server said.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import uuid
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import trio

from client import args as _args
from client.connection import ClientConnection, PendingReply
from client.control import Control
from client.errors import (
    CLOSED_BY_CLIENT,
    ConnectionLostError,
    EventsOverflowError,
    LineError,
    TapiError,
    TapiTimeoutError,
    invalid_argument,
)
from client.objects import (
    REQUEST_TIMEOUT,
    ITACDGroup,
    ITAgent,
    ITAgentSession,
    _as_group,
    session_events_of,
)
from protocol import messages as m
from protocol.errors import ProtocolError
from protocol.constants import (
    API_VERSION_AGENT,
    API_VERSION_MAX,
    MAX_STRUCT_SIZE,
    AgentSessionEvent,
    AgentSessionState,
    HResult,
    LineErr,
    ReqFunc,
)
from protocol.structs import (
    AgentGroupList,
    AgentInfo,
    AgentSessionInfo,
    AgentSessionList,
    QueueInfo,
)
from protocol.messages import decode_reply_data

T = TypeVar("T")

#: LINECALLPRIVILEGE_NONE: the client only monitors agents, it does not own calls.
LINECALLPRIVILEGE_NONE = 0x00000001
#: Default capacity of an event subscription's buffer.
EVENT_BUFFER = 10_000
#: Largest event subscription buffer accepted.
MAX_EVENT_BUFFER = 1 << 24
#: Initial buffer for list functions: room for a few dozen entries before the first retry.
LIST_INITIAL_SIZE = 1024
#: How often a list function grows its buffer before giving up (the list keeps growing under it).
LIST_MAX_ATTEMPTS = 8


# --- event subscriptions ------------------------------------------------------------------------------------


class EventSubscription(Generic[T]):
    """A bounded, buffered stream of events: ``async for item in subscription``.

    The reader task pushes into it without ever blocking; a subscriber that falls more than ``capacity``
    events behind gets :class:`EventsOverflowError` after the buffered events (events were lost). When
    the connection is lost the iteration raises :class:`ConnectionLostError`; when the client closes the
    connection or the subscription (``aclose`` or leaving ``async with``) it simply ends.
    """

    def __init__(self, capacity: int, on_close: Callable[[EventSubscription[T]], None]) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= MAX_EVENT_BUFFER:
            raise invalid_argument(f"buffer must be an int from 1 to {MAX_EVENT_BUFFER}, got {_args.show(capacity)}")
        self.capacity = capacity
        self._send, self._recv = trio.open_memory_channel[T](capacity)
        self._on_close = on_close
        self._error: BaseException | None = None
        #: Events that did not fit in the buffer.
        self.dropped = 0

    def _push(self, item: T) -> None:
        try:
            self._send.send_nowait(item)
        except trio.WouldBlock:
            self.dropped += 1
        except trio.ClosedResourceError:
            pass

    def _end(self, error: BaseException | None) -> None:
        if self._error is None:
            self._error = error
        self._send.close()

    def __aiter__(self) -> EventSubscription[T]:
        return self

    async def __anext__(self) -> T:
        if self.dropped:
            try:
                return self._recv.receive_nowait()
            except (trio.WouldBlock, trio.EndOfChannel):
                raise EventsOverflowError(self.capacity, self.dropped) from None
        try:
            return await self._recv.receive()
        except (trio.EndOfChannel, trio.ClosedResourceError):
            if isinstance(self._error, ConnectionLostError) and self._error.reason != CLOSED_BY_CLIENT:
                raise self._error.copy() from None
            raise StopAsyncIteration from None

    async def next(self) -> T:
        """The next event (same as ``await anext(subscription)``)."""
        return await self.__anext__()

    async def aclose(self) -> None:
        """Stop receiving events."""
        self._on_close(self)
        self._end(None)

    async def __aenter__(self) -> EventSubscription[T]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


# --- the application handle --------------------------------------------------------------------------------


class Tapi:
    """A connection after lineInitialize: opens lines and delivers events.

    Create it with :func:`connect` (TCP) or :func:`connect_stream` (any trio stream). ``request_timeout``
    is the deadline of every TAPI3 object call (default :data:`~client.objects.REQUEST_TIMEOUT`, two
    minutes); ``cached`` turns on the cached mode of :class:`~client.objects.ITAgentSession`.
    """

    def __init__(
        self,
        conn: ClientConnection,
        nursery: trio.Nursery,
        *,
        request_timeout: float = REQUEST_TIMEOUT,
        cached: bool = False,
    ) -> None:
        request_timeout = _args.timeout(request_timeout, "request_timeout", optional=False)
        self._conn = conn
        self._nursery = nursery
        #: Deadline, in seconds, of every TAPI3 object call (TAPI_E_TIMEOUT after it).
        self.request_timeout = float(request_timeout)
        #: Cached mode of ITAgentSession getters (see :mod:`client.objects`).
        self.cached = cached
        self.hline_app = 0
        self.num_devs = 0
        self.api_version = 0
        self.init_context = 0x7A91
        self._lines: dict[int, Line] = {}  # by hRemoteLine
        self._remote_ids = itertools.count(1)
        self._sessions: weakref.WeakValueDictionary[int, ITAgentSession] = weakref.WeakValueDictionary()
        self._agents: weakref.WeakValueDictionary[int, ITAgent] = weakref.WeakValueDictionary()
        self._subscriptions: list[tuple[EventSubscription[Any], Callable[[Any], Any]]] = []
        #: The emulator's control extension: ``advance``, ``offer_call``, ``clock`` (see :mod:`client.control`).
        self.control = Control(self)
        conn.add_listener(self._on_record)
        conn.add_close_listener(self._on_close)

    @property
    def connection(self) -> ClientConnection:
        """The underlying :class:`ClientConnection` (pending counts, server HELLO, close reason)."""
        return self._conn

    @property
    def lines(self) -> list[Line]:
        """Lines currently open on this connection."""
        return list(self._lines.values())

    async def _initialize(self, app_name: str) -> None:
        response = await self._conn.call_sync(
            m.Initialize(
                init_context=self.init_context,
                friendly_name=app_name,
                module_name=app_name,
                api_version=API_VERSION_MAX,
            ),
            timeout=self.request_timeout,
        )
        self.hline_app = response.body.h_line_app
        self.num_devs = response.body.num_devs
        self.api_version = int(API_VERSION_MAX)

    async def open_line(self, device_id: int, *, api_version: int = API_VERSION_MAX) -> Line:
        """Negotiate the API version (agent functions need >= 2.2) and open line device ``device_id``."""
        device_id = _args.u32(device_id, "device_id")
        api_version = _args.u32(api_version, "api_version")
        neg = await self._conn.call_sync(
            m.NegotiateAPIVersion(
                h_line_app=self.hline_app,
                device_id=device_id,
                api_low_version=API_VERSION_AGENT,
                api_high_version=api_version,
            ),
            timeout=self.request_timeout,
        )
        version = neg.body.api_version
        hremote = next(self._remote_ids)
        opened = await self._conn.call_sync(
            m.Open(
                h_line_app=self.hline_app,
                device_id=device_id,
                api_version=version,
                open_context=hremote,
                privileges=LINECALLPRIVILEGE_NONE,
                h_remote_line=hremote,
            ),
            timeout=self.request_timeout,
        )
        line = Line(self, device_id, opened.body.h_line, version, hremote)
        self._lines[hremote] = line
        return line

    # -- events

    def events(self, *, buffer: int = EVENT_BUFFER) -> EventSubscription[Any]:
        """Subscribe to every event record (LINE_AGENTSESSIONSTATUS and any other), as the protocol decodes them."""
        return self._subscribe(buffer, lambda record: record)

    def agent_session_events(
        self, *, buffer: int = EVENT_BUFFER
    ) -> EventSubscription[tuple[ITAgentSession, AgentSessionEvent]]:
        """Subscribe to TAPI3's session events: ``(ITAgentSession, AgentSessionEvent)`` pairs.

        One LINE_AGENTSESSIONSTATUS gives NEW_SESSION and/or the state event (NOT_READY, READY, BUSY,
        WRAPUP, END); UPDATEINFO alone gives none (it only refreshes cached sessions). The session object is
        the same one :meth:`ITAgent.EnumerateAgentSessions` returns while you hold it.
        """
        return self._subscribe(buffer, self._session_pairs)

    def _session_pairs(self, record: Any) -> Any:
        if not isinstance(record, m.AgentSessionStatusEvent):
            return None
        line = self._lines.get(record.hdevice)
        if line is None:
            return None
        session = self._session_for(line, record.hagent_session)
        return [(session, ev) for ev in session_events_of(record.status, record.state)]

    def _subscribe(self, buffer: int, transform: Callable[[Any], Any]) -> EventSubscription[Any]:
        sub: EventSubscription[Any] = EventSubscription(buffer, self._unsubscribe)
        if self._conn.closed:
            sub._end(self._conn.close_reason)
        else:
            self._subscriptions.append((sub, transform))
        return sub

    def _unsubscribe(self, sub: EventSubscription[Any]) -> None:
        self._subscriptions = [(s, t) for s, t in self._subscriptions if s is not sub]

    def _on_record(self, record: Any) -> None:
        if isinstance(record, m.AgentSessionStatusEvent):
            session = self._sessions.get(record.hagent_session)
            if session is not None:
                session._on_status(record.status, record.state)
        for sub, transform in self._subscriptions:
            item = transform(record)
            if item is None:
                continue
            if isinstance(item, list):
                for each in item:
                    sub._push(each)
            else:
                sub._push(item)

    def _on_close(self, error: ConnectionLostError) -> None:
        for sub, _ in self._subscriptions:
            sub._end(error)
        self._subscriptions.clear()

    # -- object registries (one Python object per handle while it is referenced)

    def _session_for(
        self,
        line: Line,
        handle: int,
        *,
        agent: ITAgent | None = None,
        group: ITACDGroup | None = None,
        address: Any = None,
    ) -> ITAgentSession:
        session = self._sessions.get(handle)
        if session is None:
            session = ITAgentSession(line, handle, agent=agent, group=group, address=address)
            self._sessions[handle] = session
        else:  # fill in what an event-made object did not know
            if session.agent is None and agent is not None:
                session.agent = agent
            if session.group is None and group is not None:
                session.group = group
            if session.address is None and address is not None:
                session.address = address
        return session

    def _agent_for(self, line: Line, handle: int, agent_id: str, pin: str | None) -> ITAgent:
        agent = self._agents.get(handle)
        if agent is None:
            agent = ITAgent(line, handle, agent_id, pin)
            self._agents[handle] = agent
        elif pin is not None:
            agent.pin = pin
        return agent

    def _spawn(self, fn: Callable[[], Any]) -> None:
        if not self._conn.closed:
            self._nursery.start_soon(fn)

    # -- shutting down

    async def shutdown(self) -> None:
        """lineShutdown: close every line of this application (the connection stays up)."""
        await self._conn.call_sync(m.ShutDown(h_line_app=self.hline_app), timeout=self.request_timeout)
        self._lines.clear()

    async def aclose(self) -> None:
        """Shut down politely (best effort, 1 s) and close the connection."""
        if not self._conn.closed:
            with trio.move_on_after(1):
                with contextlib.suppress(TapiError):
                    await self.shutdown()
        await self._conn.aclose()


# --- the line ---------------------------------------------------------------------------------------------


def _handle_of(value: Any, what: str = "handle") -> int:
    handle = getattr(value, "handle", value)
    if isinstance(handle, bool) or not isinstance(handle, int) or not 0 < handle <= 0xFFFFFFFF:
        raise invalid_argument(
            f"{what} must be a nonzero u32 handle or a client object with one, got {_args.show(value)}"
        )
    return int(handle)


def _check_size(size: int, what: str) -> int:
    """Only the u32 range is checked here: a size below the structure's fixed size (or above 0x40000) is
    sent as given, so the caller gets the switch's own LINEERR_STRUCTURETOOSMALL / INVALPARAM, as in TAPI."""
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= 0xFFFFFFFF:
        raise invalid_argument(f"{what}: buffer_size must be a u32, got {_args.show(size)}")
    return int(size)


class Line:
    """An open line device: the agent functions of wire-protocol §2 (see the module docstring)."""

    def __init__(self, tapi: Tapi, device_id: int, hline: int, api_version: int, hremote_line: int) -> None:
        self.tapi = tapi
        self.device_id = device_id
        self.hline = hline
        self.api_version = api_version
        self.hremote_line = hremote_line

    def __repr__(self) -> str:
        return f"<Line device={self.device_id} hLine={self.hline}>"

    @property
    def _conn(self) -> ClientConnection:
        return self.tapi._conn

    async def _start(
        self, body: Any, transform: Callable[[Any], Any], timeout: float | None
    ) -> tuple[int, PendingReply]:
        """Send ``body`` without waiting for its LINE_REPLY: ``(request_id, pending)`` of the start_ methods."""
        pending = await self._conn.start(body, timeout=timeout, transform=_decoder(body, transform))
        return pending.request_id, pending

    async def _call(self, body: Any, transform: Callable[[Any], Any], timeout: float | None) -> Any:
        """Send ``body`` and wait for its LINE_REPLY: the reply's data, through ``transform``."""
        return await self._conn.call(body, timeout=timeout, transform=_decoder(body, transform))

    # -- GetAgentSessionInfo (149)

    def _gasi(self, hagent_session: Any, buffer_size: int) -> Any:
        handle = _handle_of(hagent_session, "hagent_session")
        return m.GetAgentSessionInfo(
            h_line=self.hline,
            h_agent_session=handle,
            agent_session_info_context=handle,
            agent_session_info_size=_check_size(buffer_size, "GetAgentSessionInfo"),
        )

    async def get_agent_session_info(
        self, hagent_session: ITAgentSession | int, *, buffer_size: int = AgentSessionInfo.FIXED_SIZE,
        timeout: float | None = None,
    ) -> AgentSessionInfo:
        """lineGetAgentSessionInfo: the session's LINEAGENTSESSIONINFO."""
        return await self._call(self._gasi(hagent_session, buffer_size), _same, timeout)

    async def start_get_agent_session_info(
        self, hagent_session: ITAgentSession | int, *, buffer_size: int = AgentSessionInfo.FIXED_SIZE,
        timeout: float | None = None,
    ) -> tuple[int, PendingReply]:
        """Start lineGetAgentSessionInfo: ``(request_id, pending)``; ``await pending`` -> AgentSessionInfo."""
        return await self._start(self._gasi(hagent_session, buffer_size), _same, timeout)

    # -- SetAgentSessionState (155)

    def _sass(self, hagent_session: Any, state: int, next_state: int) -> Any:
        return m.SetAgentSessionState(
            h_line=self.hline,
            h_agent_session=_handle_of(hagent_session, "hagent_session"),
            agent_session_state=_args.u32(state, "state"),
            next_agent_session_state=_args.u32(next_state, "next_state"),
        )

    async def set_agent_session_state(
        self, hagent_session: ITAgentSession | int, state: AgentSessionState | int,
        next_state: AgentSessionState | int = 0, *, timeout: float | None = None,
    ) -> None:
        """lineSetAgentSessionState: request ``state`` now and/or ``next_state`` after the call (0 = keep)."""
        await self._call(self._sass(hagent_session, state, next_state), _none, timeout)

    async def start_set_agent_session_state(
        self, hagent_session: ITAgentSession | int, state: AgentSessionState | int,
        next_state: AgentSessionState | int = 0, *, timeout: float | None = None,
    ) -> tuple[int, PendingReply]:
        """Start lineSetAgentSessionState: ``(request_id, pending)``; ``await pending`` -> None."""
        return await self._start(self._sass(hagent_session, state, next_state), _none, timeout)

    # -- CreateAgent (146)

    def _ca(self, agent_id: str, pin: str | None) -> tuple[Any, Callable[[Any], ITAgent]]:
        _args.text(agent_id, "agent_id")
        _args.text(pin, "pin", optional=True)
        body = m.CreateAgent(h_line=self.hline, agent_id=agent_id, pin=pin)
        return body, lambda handle: self.tapi._agent_for(self, handle, agent_id, pin)

    async def create_agent(
        self, agent_id: str, pin: str | None = None, *, timeout: float | None = None
    ) -> ITAgent:
        """lineCreateAgent: the agent with this ID (the scenario's, or a new one) as an :class:`ITAgent`."""
        body, make = self._ca(agent_id, pin)
        return await self._call(body, make, timeout)

    async def start_create_agent(
        self, agent_id: str, pin: str | None = None, *, timeout: float | None = None
    ) -> tuple[int, PendingReply]:
        """Start lineCreateAgent: ``(request_id, pending)``; ``await pending`` -> ITAgent."""
        body, make = self._ca(agent_id, pin)
        return await self._start(body, make, timeout)

    # -- CreateAgentSession (147)

    def _cas(
        self, agent: Any, group: Any, address_id: int, pin: str | None
    ) -> tuple[Any, Callable[[Any], ITAgentSession]]:
        hagent = _handle_of(agent, "agent")
        acd_group = _as_group(group, self)
        address_id = _args.u32(address_id, "address_id")
        _args.text(pin, "pin", optional=True)
        body = m.CreateAgentSession(
            h_line=self.hline,
            h_agent=hagent,
            pin=pin,
            working_address_id=address_id,
            group_id=acd_group.group_id,
            h_agent_session_context=hagent,
        )
        owner = agent if isinstance(agent, ITAgent) else self.tapi._agents.get(hagent)

        def make(handle: int) -> ITAgentSession:
            from client.objects import ITAddress

            return self.tapi._session_for(
                self, handle, agent=owner, group=acd_group, address=ITAddress(self.device_id, address_id)
            )

        return body, make

    async def create_agent_session(
        self, agent: ITAgent | int, group: ITACDGroup | uuid.UUID | str, *, address_id: int = 0,
        pin: str | None = None, timeout: float | None = None,
    ) -> ITAgentSession:
        """lineCreateAgentSession: a new NOTREADY session of ``agent`` in ``group`` on ``address_id``."""
        body, make = self._cas(agent, group, address_id, pin)
        return await self._call(body, make, timeout)

    async def start_create_agent_session(
        self, agent: ITAgent | int, group: ITACDGroup | uuid.UUID | str, *, address_id: int = 0,
        pin: str | None = None, timeout: float | None = None,
    ) -> tuple[int, PendingReply]:
        """Start lineCreateAgentSession: ``(request_id, pending)``; ``await pending`` -> ITAgentSession."""
        body, make = self._cas(agent, group, address_id, pin)
        return await self._start(body, make, timeout)

    # -- GetAgentInfo (148)

    def _gai(self, agent: Any, buffer_size: int) -> Any:
        hagent = _handle_of(agent, "agent")
        return m.GetAgentInfo(
            h_line=self.hline,
            h_agent=hagent,
            agent_info_context=hagent,
            agent_info_size=_check_size(buffer_size, "GetAgentInfo"),
        )

    async def get_agent_info(
        self, agent: ITAgent | int, *, buffer_size: int = AgentInfo.FIXED_SIZE, timeout: float | None = None
    ) -> AgentInfo:
        """lineGetAgentInfo: the agent's LINEAGENTINFO."""
        return await self._call(self._gai(agent, buffer_size), _same, timeout)

    async def start_get_agent_info(
        self, agent: ITAgent | int, *, buffer_size: int = AgentInfo.FIXED_SIZE, timeout: float | None = None
    ) -> tuple[int, PendingReply]:
        """Start lineGetAgentInfo: ``(request_id, pending)``; ``await pending`` -> AgentInfo."""
        return await self._start(self._gai(agent, buffer_size), _same, timeout)

    # -- GetQueueInfo (151)

    def _gqi(self, queue_id: int, buffer_size: int) -> Any:
        return m.GetQueueInfo(
            h_line=self.hline,
            queue_id=_args.u32(queue_id, "queue_id"),
            queue_info_context=_args.u32(queue_id, "queue_id"),
            queue_info_size=_check_size(buffer_size, "GetQueueInfo"),
        )

    async def get_queue_info(
        self, queue_id: int, *, buffer_size: int = QueueInfo.FIXED_SIZE, timeout: float | None = None
    ) -> QueueInfo:
        """lineGetQueueInfo: the queue's LINEQUEUEINFO."""
        return await self._call(self._gqi(queue_id, buffer_size), _same, timeout)

    async def start_get_queue_info(
        self, queue_id: int, *, buffer_size: int = QueueInfo.FIXED_SIZE, timeout: float | None = None
    ) -> tuple[int, PendingReply]:
        """Start lineGetQueueInfo: ``(request_id, pending)``; ``await pending`` -> QueueInfo."""
        return await self._start(self._gqi(queue_id, buffer_size), _same, timeout)

    # -- GetAgentSessionList (150) and GetGroupList (152): grow and retry

    def _gasl(self, agent: Any, buffer_size: int) -> Any:
        hagent = _handle_of(agent, "agent")
        return m.GetAgentSessionList(
            h_line=self.hline,
            h_agent=hagent,
            session_list_context=hagent,
            session_list_size=_check_size(buffer_size, "GetAgentSessionList"),
        )

    def _ggl(self, buffer_size: int) -> Any:
        return m.GetGroupList(
            h_line=self.hline,
            group_list_context=0,
            group_list_size=_check_size(buffer_size, "GetGroupList"),
        )

    async def _grow(self, make_body: Callable[[int], Any], buffer_size: int | None, timeout: float | None) -> Any:
        timeout = _args.timeout(timeout)
        if buffer_size is not None:
            _check_size(buffer_size, "list request")
        deadline = math.inf if timeout is None else trio.current_time() + timeout
        size = LIST_INITIAL_SIZE if buffer_size is None else buffer_size
        result = None
        for _ in range(LIST_MAX_ATTEMPTS):
            remaining = None if timeout is None else max(0.0, deadline - trio.current_time())
            body = make_body(size)
            try:
                result = await self._call(body, _same, remaining)
            except TapiTimeoutError as exc:
                raise TapiTimeoutError(exc.function, timeout or 0.0, exc.request_id) from None
            if result.needed_size <= result.total_size or len(result.entries) > 0:
                return result
            if result.needed_size > MAX_STRUCT_SIZE:
                raise LineError(
                    LineErr.NOMEM, int(body.REQ_FUNC),
                    f"the list needs {result.needed_size} bytes, more than the {MAX_STRUCT_SIZE} a request may ask",
                )
            size = result.needed_size
        raise TapiError(
            HResult.E_FAIL, f"the list kept growing: still {result.needed_size} bytes needed after"
            f" {LIST_MAX_ATTEMPTS} attempts",
        )

    async def get_agent_session_list(
        self, agent: ITAgent | int, *, buffer_size: int | None = None, timeout: float | None = None
    ) -> AgentSessionList:
        """lineGetAgentSessionList: every session of the agent (grows the buffer until the list fits)."""
        return await self._grow(lambda size: self._gasl(agent, size), buffer_size, timeout)

    async def start_get_agent_session_list(
        self, agent: ITAgent | int, *, buffer_size: int = LIST_INITIAL_SIZE, timeout: float | None = None
    ) -> tuple[int, PendingReply]:
        """Start one lineGetAgentSessionList with ``buffer_size`` (no retry: check ``needed_size``)."""
        return await self._start(self._gasl(agent, buffer_size), _same, timeout)

    async def get_group_list(
        self, *, buffer_size: int | None = None, timeout: float | None = None
    ) -> AgentGroupList:
        """lineGetGroupList: every ACD group of the switch (grows the buffer until the list fits)."""
        return await self._grow(self._ggl, buffer_size, timeout)

    async def start_get_group_list(
        self, *, buffer_size: int = LIST_INITIAL_SIZE, timeout: float | None = None
    ) -> tuple[int, PendingReply]:
        """Start one lineGetGroupList with ``buffer_size`` (no retry: check ``needed_size``)."""
        return await self._start(self._ggl(buffer_size), _same, timeout)

    async def acd_groups(self, *, timeout: float | None = None) -> list[ITACDGroup]:
        """The switch's ACD groups as :class:`ITACDGroup` objects (names filled in)."""
        groups = await self.get_group_list(timeout=timeout)
        return [ITACDGroup(entry.group_id, self, entry.name) for entry in groups.entries]

    # -- Close (9)

    async def close(self) -> None:
        """lineClose."""
        await self._conn.call_sync(m.Close(h_line=self.hline), timeout=self.tapi.request_timeout)
        self.tapi._lines.pop(self.hremote_line, None)


def _same(value: Any) -> Any:
    return value


def _none(_: Any) -> None:
    return None


def _decoder(body: Any, transform: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The LINE_REPLY decoder of a request: its typed data (see :func:`_decode_data`) through ``transform``."""
    func = int(body.REQ_FUNC)

    def decode(reply: Any) -> Any:
        return transform(_decode_data(func, reply))

    return decode


def _decode_data(func: int, reply: Any) -> Any:
    """The typed data of a successful LINE_REPLY (structure, handle or None)."""
    if reply.req_func is not None and reply.value is not None:
        return reply.value
    try:
        return decode_reply_data(func, reply.data)
    except ProtocolError as exc:
        raise TapiError(HResult.E_UNEXPECTED, f"the server's LINE_REPLY for {ReqFunc(func).name} is malformed: {exc}") from None


__all__ = [
    "EventSubscription",
    "Line",
    "Tapi",
]
