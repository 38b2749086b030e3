"""The same client without ``await``: for applications that are not written with trio.

::

    import client
    with client.blocking.connect("127.0.0.1", 5038) as tapi:
        line = tapi.open_line(0)
        agent = line.create_agent("1001", pin="1234")
        for session in agent.EnumerateAgentSessions():
            print(session.handle, session.get_TotalTalkTime())
        for session, event in tapi.agent_session_events():   # blocks for each event
            print(session.handle, event.name)

How it works: :func:`connect` starts one background thread running a trio event loop that owns the
connection (the async client of :mod:`client.tapi` and :mod:`client.line`). Every method call is handed to that loop with
``trio.from_thread.run`` and the calling thread blocks until it finishes — at most the connection's
``request_timeout`` (TAPI3's two minutes) for the TAPI3 object calls, as a COM call would. Calls are safe
from any number of threads at once; they are multiplexed on the one connection like concurrent tasks.

The classes here (:class:`Tapi`, :class:`Line`, :class:`ITAgent`, :class:`ITAgentSession`,
:class:`ITACDGroup`, :class:`ITQueue`, :class:`ITAddress`, :class:`PendingReply`, :class:`EventSubscription`) are generated
from their async twins: same method names, same arguments, same results (wrapped again when they are
client objects), same exceptions. Plain attributes (``handle``, ``agent_id``, ``last_info`` ...) are read
straight from the async object. Each async object has exactly one blocking wrapper, so ``is`` comparisons
work (e.g. the session of an event is the session you enumerated).
"""

from __future__ import annotations

import functools
import inspect
import queue
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import trio

from client import connecting as _connecting
from client import connection as _connection
from client import control as _control
from client import line as _line
from client import tapi as _tapi
from client import objects as _objects
from client import events_acd as _events_acd
from client import objects_acd as _objects_acd
from client import calls as _calls
from client.errors import ConnectionLostError
from protocol.constants import DEFAULT_PORT


class _Portal:
    """A trio event loop in a background thread, and the bridge to call into it from other threads."""

    def __init__(self) -> None:
        self.token: trio.lowlevel.TrioToken | None = None
        self.thread: threading.Thread | None = None
        self._wrappers: weakref.WeakKeyDictionary[Any, _BlockingObject] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def run(self, afn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run coroutine function ``afn`` in the loop thread; block until it returns or raises."""
        try:
            return trio.from_thread.run(functools.partial(afn, *args, **kwargs), trio_token=self.token)
        except trio.RunFinishedError:
            raise ConnectionLostError("the blocking client is closed") from None

    def run_sync(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run plain function ``fn`` in the loop thread (for methods that touch the client's tables)."""
        try:
            return trio.from_thread.run_sync(functools.partial(fn, *args, **kwargs), trio_token=self.token)
        except trio.RunFinishedError:
            raise ConnectionLostError("the blocking client is closed") from None

    def wrap(self, value: Any) -> Any:
        """Wrap client objects (recursively inside lists and tuples) in their blocking classes."""
        if isinstance(value, list):
            return [self.wrap(v) for v in value]
        if isinstance(value, tuple) and not hasattr(value, "_fields"):
            return tuple(self.wrap(v) for v in value)
        cls = _BLOCKING_CLASSES.get(type(value))
        if cls is None:
            return value
        with self._lock:
            wrapper = self._wrappers.get(value)
            if wrapper is None:
                wrapper = cls(self, value)
                self._wrappers[value] = wrapper
        return wrapper


def _unwrap(value: Any) -> Any:
    if isinstance(value, _BlockingObject):
        return value._obj
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_unwrap(v) for v in value)
    return value


class _BlockingObject:
    """Base of the generated blocking classes: holds the portal and the async object."""

    __slots__ = ("_portal", "_obj", "__weakref__")

    def __init__(self, portal: _Portal, obj: Any) -> None:
        self._portal = portal
        self._obj = obj

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._portal.wrap(getattr(self._obj, name))

    def __repr__(self) -> str:
        return f"<blocking {self._obj!r}>"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _BlockingObject):
            return bool(self._obj == other._obj)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._obj)

    @property
    def async_object(self) -> Any:
        """The async object behind this wrapper (only usable from inside the client's trio thread)."""
        return self._obj


def _blocking_method(name: str, fn: Callable[..., Any], is_coroutine: bool) -> Callable[..., Any]:
    @functools.wraps(fn)
    def method(self: _BlockingObject, *args: Any, **kwargs: Any) -> Any:
        bound = getattr(self._obj, name)
        args = tuple(_unwrap(a) for a in args)
        kwargs = {k: _unwrap(v) for k, v in kwargs.items()}
        if is_coroutine:
            result = self._portal.run(bound, *args, **kwargs)
        else:
            result = self._portal.run_sync(bound, *args, **kwargs)
        return self._portal.wrap(result)

    return method


#: Plain (non-coroutine) public methods that are safe and useful to offer, run in the loop thread.
_SYNC_METHODS = {"events", "agent_session_events", "forget", "with_transform",
                 # wire-protocol §8 (client/tapi.py, client/events_acd.py, client/objects_acd.py)
                 "agent_status_ex_events", "queue_status_events", "group_status_events", "agent_status_events",
                 "agent_events", "queue_events", "acd_group_events", "agent_handler_events",
                 "agent_session_event_objects", "call_center",
                 # wire-protocol §9 (client/calls.py)
                 "call_events", "line_call_events"}
#: Coroutine methods not offered directly (protocol plumbing with a better blocking form below).
_SKIP = {"next", "aclose"}


def _make_class(async_cls: type, extra: dict[str, Any] | None = None) -> type:
    ns: dict[str, Any] = {"__slots__": (), "__doc__": f"Blocking twin of :class:`{async_cls.__module__}.{async_cls.__qualname__}`."
                          + ("\n\n" + inspect.cleandoc(async_cls.__doc__) if async_cls.__doc__ else "")}
    for name, fn in inspect.getmembers(async_cls, inspect.isfunction):
        if name.startswith("_") or name in _SKIP:
            continue
        if inspect.iscoroutinefunction(fn):
            ns[name] = _blocking_method(name, fn, True)
        elif name in _SYNC_METHODS:
            ns[name] = _blocking_method(name, fn, False)
    ns.update(extra or {})
    cls = type(async_cls.__name__, (_BlockingObject,), ns)
    cls.__module__ = __name__
    cls.__qualname__ = async_cls.__name__
    return cls


def _sub_iter(self: _BlockingObject) -> Iterator[Any]:
    return self  # type: ignore[return-value]


def _sub_next(self: _BlockingObject) -> Any:
    try:
        return self._portal.wrap(self._portal.run(self._obj.__anext__))
    except StopAsyncIteration:
        raise StopIteration from None


def _sub_close(self: _BlockingObject) -> None:
    """Stop receiving events."""
    try:
        self._portal.run(self._obj.aclose)
    except ConnectionLostError:
        pass


def _sub_enter(self: _BlockingObject) -> Any:
    return self


def _sub_exit(self: _BlockingObject, *exc: object) -> None:
    _sub_close(self)


EventSubscription = _make_class(
    _tapi.EventSubscription,
    {"__iter__": _sub_iter, "__next__": _sub_next, "close": _sub_close, "__enter__": _sub_enter, "__exit__": _sub_exit},
)
PendingReply = _make_class(_connection.PendingReply)
Line = _make_class(_line.Line)
ITAgent = _make_class(_objects.ITAgent)
ITAgentSession = _make_class(_objects.ITAgentSession)
ITACDGroup = _make_class(_objects.ITACDGroup)
ITQueue = _make_class(_objects.ITQueue)
ITAddress = _make_class(_objects.ITAddress)
Control = _make_class(_control.Control)
ITTAPICallCenter = _make_class(_objects_acd.ITTAPICallCenter)
ITAgentHandler = _make_class(_objects_acd.ITAgentHandler)
ITAgentEvent = _make_class(_events_acd.ITAgentEvent)
ITQueueEvent = _make_class(_events_acd.ITQueueEvent)
ITACDGroupEvent = _make_class(_events_acd.ITACDGroupEvent)
ITAgentHandlerEvent = _make_class(_events_acd.ITAgentHandlerEvent)
ITAgentSessionEvent = _make_class(_events_acd.ITAgentSessionEvent)
Call = _make_class(_calls.Call)
ITCallStateEvent = _make_class(_calls.ITCallStateEvent)
ITCallNotificationEvent = _make_class(_calls.ITCallNotificationEvent)


class Tapi(_make_class(_tapi.Tapi)):  # type: ignore[misc]
    """Blocking twin of :class:`client.tapi.Tapi`; also a context manager that closes the connection."""

    __slots__ = ("_stop", "_runner")

    def close(self) -> None:
        """Shut down, close the connection and stop the background thread (idempotent)."""
        stop: Callable[[], None] | None = getattr(self, "_stop", None)
        if stop is not None:
            self._stop = None
            stop()

    def __enter__(self) -> Tapi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_BLOCKING_CLASSES: dict[type, type] = {
    _tapi.Tapi: Tapi,
    _line.Line: Line,
    _tapi.EventSubscription: EventSubscription,
    _connection.PendingReply: PendingReply,
    _objects.ITAgent: ITAgent,
    _objects.ITAgentSession: ITAgentSession,
    _objects.ITACDGroup: ITACDGroup,
    _objects.ITQueue: ITQueue,
    _objects.ITAddress: ITAddress,
    _control.Control: Control,
    _objects_acd.ITTAPICallCenter: ITTAPICallCenter,
    _objects_acd.ITAgentHandler: ITAgentHandler,
    _events_acd.ITAgentEvent: ITAgentEvent,
    _events_acd.ITQueueEvent: ITQueueEvent,
    _events_acd.ITACDGroupEvent: ITACDGroupEvent,
    _events_acd.ITAgentHandlerEvent: ITAgentHandlerEvent,
    _events_acd.ITAgentSessionEvent: ITAgentSessionEvent,
    _calls.Call: Call,
    _calls.ITCallStateEvent: ITCallStateEvent,
    _calls.ITCallNotificationEvent: ITCallNotificationEvent,
}


def connect(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    **kwargs: Any,
) -> Tapi:
    """Connect like :func:`client.connect` (same keyword arguments) and return a blocking :class:`Tapi`.

    Use it as a context manager (``with client.blocking.connect(...) as tapi:``) or call ``tapi.close()``.
    Raises the same errors as the async form, e.g. :class:`ConnectionLostError` when nobody listens.
    """
    return _start(lambda: _connecting.connect(host, port, **kwargs))


def _start(open_cm: Callable[[], Any]) -> Tapi:
    """Run ``open_cm()`` (an async context manager yielding a line.Tapi) in a new loop thread."""
    portal = _Portal()
    handoff: queue.Queue[tuple[str, Any]] = queue.Queue()

    async def main() -> None:
        stop = trio.Event()
        try:
            async with open_cm() as tapi:
                portal.token = trio.lowlevel.current_trio_token()
                handoff.put(("ok", (tapi, stop)))
                await stop.wait()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            handoff.put(("error", exc))

    def thread_main() -> None:
        try:
            trio.run(main)
        except BaseException as exc:  # noqa: BLE001
            handoff.put(("error", exc))

    thread = threading.Thread(target=thread_main, name="tapi-client", daemon=True)
    portal.thread = thread
    thread.start()
    kind, value = handoff.get()
    if kind == "error":
        thread.join()
        raise value
    async_tapi, stop_event = value
    blocking = portal.wrap(async_tapi)

    def stop() -> None:
        try:
            trio.from_thread.run_sync(stop_event.set, trio_token=portal.token)
        except trio.RunFinishedError:
            pass
        thread.join()

    blocking._stop = stop
    return blocking  # type: ignore[no-any-return]


__all__ = [
    "Control",
    "EventSubscription",
    "ITACDGroup",
    "ITAddress",
    "Call",
    "ITAgent",
    "ITAgentSession",
    "ITQueue",
    "ITTAPICallCenter",
    "ITAgentHandler",
    "ITAgentEvent",
    "ITQueueEvent",
    "ITACDGroupEvent",
    "ITAgentHandlerEvent",
    "ITAgentSessionEvent",
    "ITCallNotificationEvent",
    "ITCallStateEvent",
    "Line",
    "PendingReply",
    "Tapi",
    "connect",
]
