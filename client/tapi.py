"""The application handle :class:`Tapi` (a connection after lineInitialize) and its event subscriptions.

``client.connect(host, port)`` gives a :class:`Tapi`. ``Tapi.open_line(n)`` negotiates the API version and
opens line device ``n``, giving a :class:`~client.line.Line` whose methods are the agent functions of the
table in :mod:`client.functions`. ``Tapi.events()`` and ``Tapi.agent_session_events()`` subscribe to events
(:class:`EventSubscription`); ``tapi.registry`` keeps one TAPI3 object per handle
(:class:`~client.objects.ObjectRegistry`).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import trio

from client import args as _args
from client.connection import ClientConnection
from client.control import Control
from client.errors import CLOSED_BY_CLIENT, ConnectionLostError, EventsOverflowError, TapiError, invalid_argument
from client.calls import CallRegistry
from client.line import Line
from client.events_acd import (
    ITACDGroupEvent,
    ITAgentEvent,
    ITAgentHandlerEvent,
    ITAgentSessionEvent,
    ITQueueEvent,
    agent_event_of,
    group_events_of,
    queue_events_of,
    view_of,
)
from client.objects import REQUEST_TIMEOUT, ITAgentSession, ITQueue, ObjectRegistry, session_events_of
from client.objects_acd import ITTAPICallCenter
from protocol.agent_events import AgentStatusEvent, AgentStatusExEvent, GroupStatusEvent, QueueStatusEvent
from protocol import messages as m
from protocol.call_events import typed_call_record
from protocol.constants import API_VERSION_AGENT, API_VERSION_MAX, AgentSessionEvent

T = TypeVar("T")

#: LINECALLPRIVILEGE_NONE: the client only monitors agents, it does not own calls.
LINECALLPRIVILEGE_NONE = 0x00000001
#: Default capacity of an event subscription's buffer.
EVENT_BUFFER = 10_000
#: Largest event subscription buffer accepted.
MAX_EVENT_BUFFER = 1 << 24
#: The dwCallbackInstance / InitContext the client sends with Initialize.
INIT_CONTEXT = 0x7A91


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
        #: hLineApp, number of line devices and API version from Initialize (0 until :meth:`initialize`).
        self.hline_app = 0
        self.num_devs = 0
        self.api_version = 0
        self.init_context = INIT_CONTEXT
        self._lines: dict[int, Line] = {}  # by hRemoteLine
        self._remote_ids = itertools.count(1)
        #: One ITAgent / ITAgentSession object per handle while the application holds it.
        self.registry = ObjectRegistry(self._spawn)
        #: The connection's calls (wire-protocol §9.4): one :class:`~client.calls.Call` per hCall.
        self.calls = CallRegistry(self._lines)
        self._call_items: list[Any] = []
        self._subscriptions: list[tuple[EventSubscription[Any], Callable[[Any], Any]]] = []
        #: The emulator's control extension: ``advance``, ``offer_call``, ``clock`` (see :mod:`client.control`).
        self.control = Control(self)
        self._call_center: ITTAPICallCenter | None = None
        conn.add_listener(self._on_record)
        conn.add_close_listener(self._on_close)

    @classmethod
    async def initialize(
        cls,
        conn: ClientConnection,
        nursery: trio.Nursery,
        app_name: str,
        *,
        request_timeout: float = REQUEST_TIMEOUT,
        cached: bool = False,
    ) -> Tapi:
        """lineInitialize on a HELLO'd connection: the :class:`Tapi` of its hLineApp (used by
        :func:`client.connect`; ``nursery`` runs the cached mode's background refreshes)."""
        tapi = cls(conn, nursery, request_timeout=request_timeout, cached=cached)
        response = await conn.call_sync(
            m.Initialize(
                init_context=tapi.init_context,
                friendly_name=app_name,
                module_name=app_name,
                api_version=API_VERSION_MAX,
            ),
            timeout=tapi.request_timeout,
        )
        tapi.hline_app = response.body.h_line_app
        tapi.num_devs = response.body.num_devs
        tapi.api_version = int(API_VERSION_MAX)
        return tapi

    @property
    def connection(self) -> ClientConnection:
        """The underlying :class:`ClientConnection` (pending counts, server HELLO, close reason)."""
        return self._conn

    @property
    def lines(self) -> list[Line]:
        """Lines currently open on this connection."""
        return list(self._lines.values())

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
        line = Line(self, device_id, opened.body.h_line, version, hremote, on_close=self._forget_line)
        self._lines[hremote] = line
        return line

    def _forget_line(self, line: Line) -> None:
        self._lines.pop(line.hremote_line, None)

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

    def call_events(self, *, buffer: int = EVENT_BUFFER) -> EventSubscription[Any]:
        """Subscribe to TAPI3's call events (wire-protocol §9.4): an :class:`~client.calls.ITCallNotificationEvent`
        (CNE_OWNER) for each new call, then an :class:`~client.calls.ITCallStateEvent` for each state; the
        call objects are the connection's (``tapi.calls``)."""
        return self._subscribe(buffer, lambda record: self._call_items or None)

    def line_call_events(self, *, buffer: int = EVENT_BUFFER) -> EventSubscription[Any]:
        """Subscribe to the Line API's call records: :class:`~protocol.call_events.AppNewCallEvent` and
        :class:`~protocol.call_events.CallStateEvent` (typed from the LINE_APPNEWCALL / LINE_CALLSTATE records)."""
        return self._subscribe(buffer, typed_call_record)

    def _session_pairs(self, record: Any) -> Any:
        if not isinstance(record, m.AgentSessionStatusEvent):
            return None
        line = self._lines.get(record.hdevice)
        if line is None:
            return None
        session = self.registry.session(line, record.hagent_session)
        return [(session, ev) for ev in session_events_of(record.status, record.state)]

    # -- the §8 events (wire-protocol §8; client/events_acd.py says how each TAPI3 event follows from the bits)

    def agent_status_ex_events(self, *, buffer: int = EVENT_BUFFER) -> EventSubscription[AgentStatusExEvent]:
        """Subscribe to LINE_AGENTSTATUSEX records (TAPI 2.2: hAgent, LINEAGENTSTATUSEX_ bits, new state)."""
        return self._subscribe(buffer, lambda record: view_of(record, AgentStatusExEvent))

    def queue_status_events(self, *, buffer: int = EVENT_BUFFER) -> EventSubscription[QueueStatusEvent]:
        """Subscribe to LINE_QUEUESTATUS records (TAPI 2.2: dwQueueID, LINEQUEUESTATUS_ bits)."""
        return self._subscribe(buffer, lambda record: view_of(record, QueueStatusEvent))

    def group_status_events(self, *, buffer: int = EVENT_BUFFER) -> EventSubscription[GroupStatusEvent]:
        """Subscribe to LINE_GROUPSTATUS records (TAPI 2.2: LINEGROUPSTATUS_ bits)."""
        return self._subscribe(buffer, lambda record: view_of(record, GroupStatusEvent))

    def agent_status_events(self, *, buffer: int = EVENT_BUFFER) -> EventSubscription[AgentStatusEvent]:
        """Subscribe to LINE_AGENTSTATUS records (TAPI 2.0: address ID, LINEAGENTSTATUS_ bits, new state);
        ``hdevice`` is the line's ``hremote_line``."""
        return self._subscribe(buffer, lambda record: view_of(record, AgentStatusEvent))

    def agent_events(self, *, buffer: int = EVENT_BUFFER) -> EventSubscription[ITAgentEvent]:
        """Subscribe to TAPI3's ITAgentEvent objects (TE_AGENT): an agent's new state."""
        return self._subscribe(buffer, self._agent_event)

    def queue_events(self, *, buffer: int = EVENT_BUFFER) -> EventSubscription[ITQueueEvent]:
        """Subscribe to TAPI3's ITQueueEvent objects (TE_QUEUE): a queue added or removed."""
        return self._subscribe(buffer, self._queue_events)

    def acd_group_events(self, *, buffer: int = EVENT_BUFFER) -> EventSubscription[ITACDGroupEvent]:
        """Subscribe to TAPI3's ITACDGroupEvent objects (TE_ACDGROUP): a group added or removed."""
        return self._subscribe(buffer, lambda record: [ITACDGroupEvent(None, ev) for ev in group_events_of(record)] or None)

    def agent_handler_events(self, *, buffer: int = EVENT_BUFFER) -> EventSubscription[ITAgentHandlerEvent]:
        """Subscribe to TAPI3's ITAgentHandlerEvent objects (TE_AGENTHANDLER). The emulator's one agent
        handler never appears or goes while connected, so none is delivered (the subscription still ends
        with the connection, like every other)."""
        return self._subscribe(buffer, lambda record: None)

    def agent_session_event_objects(self, *, buffer: int = EVENT_BUFFER) -> EventSubscription[ITAgentSessionEvent]:
        """:meth:`agent_session_events` as TAPI3's ITAgentSessionEvent objects (TE_AGENTSESSION)."""
        def objects(record: Any) -> Any:
            pairs = self._session_pairs(record)
            return [ITAgentSessionEvent(session, ev) for session, ev in pairs] if pairs else None
        return self._subscribe(buffer, objects)

    def call_center(self) -> ITTAPICallCenter:
        """TAPI3's ITTAPICallCenter of this connection (one object per Tapi)."""
        if self._call_center is None:
            self._call_center = ITTAPICallCenter(self)
        return self._call_center

    def _agent_event(self, record: Any) -> Any:
        event = agent_event_of(record)
        if event is None:
            return None
        view = view_of(record, AgentStatusExEvent)
        line = self._lines.get(view.hdevice)
        if line is None:
            return None
        agent = self.registry.known_agent(view.hagent) or self.registry.agent(line, view.hagent, "", None)
        return ITAgentEvent(agent, event)

    def _queue_events(self, record: Any) -> Any:
        events = queue_events_of(record)
        if not events:
            return None
        view = view_of(record, QueueStatusEvent)
        line = self._lines.get(view.hdevice)
        if line is None:
            return None
        return [ITQueueEvent(ITQueue(view.queue_id, "", line), ev) for ev in events]

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
            self.registry.session_status(record.hagent_session, record.status, record.state)
        self._call_items = self.calls.on_record(record)
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

    # -- background tasks (the cached mode's refreshes)

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


__all__ = [
    "EVENT_BUFFER",
    "EventSubscription",
    "INIT_CONTEXT",
    "LINECALLPRIVILEGE_NONE",
    "MAX_EVENT_BUFFER",
    "Tapi",
]
