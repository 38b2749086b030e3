"""One client connection to a TAPI server: HELLO, request/response pairing, LINE_REPLY matching, events.

The byte-level work is done by the sans-I/O :class:`protocol.connection.Connection` (client role); this
module moves bytes with trio and keeps the tables of who is waiting for what:

- ``sequence -> _Pending`` for RESPONSEs (every REQUEST gets exactly one RESPONSE with its sequence);
- ``request ID -> _Pending`` for LINE_REPLY completions of asynchronous functions. The slot is created by
  the reader task itself when it sees the RESPONSE that announces the request ID, so a LINE_REPLY that
  follows in the very next frame can never slip past it.

A reader task reads, except while a :meth:`ClientConnection.call` is alone on the connection and nobody
is receiving: that caller reads and dispatches until its own answer is in, then hands reading back, so no
reader task is woken between the answer and its caller (the same receive-and-dispatch code, the same ends).
On plain TCP a request made while no other request waits for its RESPONSE (the sequential case) is written
at once by the caller with one non-blocking write (no task switch). Requests made while others are
outstanding, what the socket does not take at once, TLS and memory streams go to the writer task, which
sends everything queued by the time it runs in one ``send_all``: the 64 requests that 64 callers make
after one batch of answers cost one system call, not 64. Either way the bytes go out in the order requests
were made.

Deadlines of requests are kept by one :class:`~client.deadline.DeadlineWatch` task per connection (no
cancel scope per request); when one passes, the watch removes the request's table entries and wakes its
caller, who raises :class:`~client.errors.TapiTimeoutError`. Except a caller reading its own answer: only a
cancel scope stops a ``receive_some``, so it reads under one with its call's deadline (if it has one).
Everything else is synchronous bookkeeping, so nothing here can block the reader: events go to
synchronous listeners that must not block (see :mod:`client.objects` for the buffered subscriptions).

When the connection ends for any reason (EOF, an ERROR frame, a malformed frame from the server, a send
failure, :meth:`ClientConnection.aclose`), every pending call fails at once with
:class:`~client.errors.ConnectionLostError`, and so does every later call. Nothing hangs.

A caller that gives up (cancellation or a deadline) removes its own table entry on the way out, so a
RESPONSE or LINE_REPLY that arrives afterwards finds nobody waiting and is dropped quietly (counted in
:attr:`ClientConnection.late_frames`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Generator
from typing import Any

import trio

from client import args as _args
from client.deadline import NO_DEADLINE, DeadlineWatch, deadline_after, wait_for
from client.errors import CLOSED_BY_CLIENT, ConnectionLostError, LineError, TapiError, TapiTimeoutError
from client.sockets import KEEPALIVE, describe_io_error, enable_keepalive
from protocol.connection import CLOSED, NEED_DATA, Connection, Role
from protocol.constants import ErrorCode, HResult
from protocol.errors import ProtocolError, RemoteProtocolError
from protocol.messages import Error, Events, Hello, LineReply, Request, Response

#: Product name the client announces in its HELLO.
PRODUCT = "tapi-emulator client"

#: :meth:`ClientConnection._receive`: the data answered the last outstanding request.
_ANSWERED_LAST = 2
#: :meth:`ClientConnection._read_own`'s scope for a call without a deadline.
_NO_SCOPE = contextlib.nullcontext()
#: Receive buffer size per ``receive_some`` call.
_RECEIVE_SIZE = 65536


def is_lineerr(result: int) -> bool:
    """True when an Ack_ReturnValue / LINE_REPLY result is a LINEERR (the high bit of the u32 is set)."""
    return bool(int(result) & 0x80000000)


def req_func_of(body: Any) -> int:
    """The Req_Func of a typed request body (``REQ_FUNC`` class variable, or ``req_func`` of RawRequest)."""
    func = getattr(body, "REQ_FUNC", None)
    if func is None:
        func = body.req_func
    return int(func)


class _Pending:
    """One waiter: a RESPONSE (by sequence) or a LINE_REPLY (by request ID).

    It is its own event (``is_set`` / ``wait`` / :meth:`wake`, what :func:`~client.deadline.wait_for` and
    the :class:`~client.deadline.DeadlineWatch` use), parking the waiting task directly: no
    :class:`trio.Event` per request. A LINE_REPLY slot of a :meth:`ClientConnection.call` has the call's
    RESPONSE pending as its ``waiter``: its outcome wakes the task waiting there (one wake-up per call)."""

    __slots__ = ("done", "tasks", "waiter", "value", "error", "is_async", "func", "reply", "chained", "timed_out")

    def __init__(self, func: int, is_async: bool = False, waiter: _Pending | None = None) -> None:
        #: The outcome (value or error) is here, or the waiter was woken (timed out).
        self.done = False
        #: Tasks parked in :meth:`wait` (almost always one; None until one waits).
        self.tasks: list[trio.lowlevel.Task] | None = None
        #: The pending whose outcome this one's wakes (None: itself - not a reference to itself, which would
        #: make every pending, and the frames it holds, garbage that only the cyclic collector frees).
        self.waiter = waiter
        self.value: Any = None
        self.error: BaseException | None = None
        self.is_async = is_async
        self.func = func
        #: For an async request: the LINE_REPLY slot the reader created with the RESPONSE.
        self.reply: _Pending | None = None
        #: :meth:`ClientConnection.call`: a successful RESPONSE does not wake the caller; its LINE_REPLY
        #: slot has this pending as its waiter, so the caller wakes once, for the LINE_REPLY (or a failure).
        self.chained = False
        #: Set by the connection's DeadlineWatch when the deadline passed first (the waiter is woken too).
        self.timed_out = False

    def is_set(self) -> bool:
        """True once the outcome is in (for a chained slot: once its waiter was woken)."""
        waiter = self.waiter
        return (self if waiter is None else waiter).done

    async def wait(self) -> None:
        """Until :meth:`is_set` (a checkpoint either way, like :meth:`trio.Event.wait`)."""
        waiter = self.waiter
        if waiter is None:
            waiter = self
        if waiter.done:
            await trio.lowlevel.checkpoint()
            return
        task = trio.lowlevel.current_task()
        if waiter.tasks is None:
            waiter.tasks = [task]
        else:
            waiter.tasks.append(task)

        def abort(_: Any) -> trio.lowlevel.Abort:
            if waiter.tasks is not None and task in waiter.tasks:
                waiter.tasks.remove(task)
            return trio.lowlevel.Abort.SUCCEEDED

        await trio.lowlevel.wait_task_rescheduled(abort)

    def wake(self) -> None:
        """Mark the outcome in (the value it has: :meth:`set` with it) and reschedule the task(s) waiting
        for it."""
        self.set(self.value)

    def set(self, value: Any) -> None:
        """Store the outcome, mark it in and reschedule the task(s) waiting for it (once per RESPONSE and
        LINE_REPLY; :meth:`wake` is this with the value kept)."""
        self.value = value
        self.done = True
        waiter = self.waiter
        if waiter is None:
            waiter = self
        waiter.done = True
        tasks = waiter.tasks
        if tasks:
            waiter.tasks = None
            for task in tasks:
                trio.lowlevel.reschedule(task)

    def fail(self, error: BaseException) -> None:
        if not self.is_set():
            self.error = error
            self.wake()

    def result(self) -> Any:
        if self.error is not None:
            if isinstance(self.error, ConnectionLostError):
                raise self.error.copy()
            raise self.error
        return self.value


class PendingReply:
    """The LINE_REPLY of a started asynchronous request, to be awaited (TAPI's request-ID model).

    ``await pending`` or ``await pending.wait(timeout=...)`` returns the :class:`LineReply` when its result
    is 0 and raises :class:`LineError` when it carries a LINEERR. Giving up (cancellation or the timeout)
    forgets the request: a reply arriving later is dropped quietly. :meth:`forget` does the same without
    waiting. The ``transform`` turns the LineReply into what the caller wants (e.g. the decoded struct).
    """

    def __init__(
        self,
        conn: ClientConnection,
        request_id: int,
        slot: _Pending,
        transform: Callable[[LineReply], Any] | None = None,
    ) -> None:
        self._conn = conn
        self.request_id = request_id
        self._slot = slot
        self._transform = transform
        self.func = slot.func

    def with_transform(self, transform: Callable[[LineReply], Any]) -> PendingReply:
        """The same pending reply, its result passed through ``transform`` (composes with an earlier one)."""
        if not callable(transform):
            raise TapiError(HResult.E_INVALIDARG, f"transform must be callable, got {_args.show(transform)}")
        previous = self._transform
        if previous is None:
            composed = transform
        else:
            composed = lambda reply: transform(previous(reply))  # noqa: E731
        return PendingReply(self._conn, self.request_id, self._slot, composed)

    @property
    def done(self) -> bool:
        """True once the LINE_REPLY (or the connection's end) has arrived."""
        return self._slot.is_set()

    def forget(self) -> None:
        """Stop waiting for this request: its LINE_REPLY, if it ever comes, is dropped quietly."""
        self._conn._forget_reply(self.request_id, self._slot)

    async def wait(self, timeout: float | None = None) -> Any:
        """Wait for the LINE_REPLY (at most ``timeout`` seconds; None = as long as it takes)."""
        timeout = _args.timeout(timeout)
        if not await wait_for(self._slot, deadline_after(timeout), self.forget):
            raise TapiTimeoutError(self.func, timeout if timeout is not None else 0.0, self.request_id)
        return _reply_outcome(self._slot, self.func, self.request_id, self._transform)

    def __await__(self) -> Generator[Any, None, Any]:
        return self.wait().__await__()


class ClientConnection:
    """A HELLO'd MS-TRP-over-TCP connection, client side, on any trio stream.

    Create it with :meth:`open` inside a nursery (it starts the reader and writer tasks there), or use
    :func:`client.connect`, which also does Initialize. ``listeners`` receive every event record except
    LINE_REPLYs; they are called synchronously from the task reading (the reader task, or a caller reading
    its own answer: :meth:`call` alone on the connection) and must not block or raise.
    """

    def __init__(self, stream: trio.abc.Stream, *, product: str = PRODUCT) -> None:
        self._stream = stream
        self._proto = Connection(Role.CLIENT)
        self._product = product
        self._responses: dict[int, _Pending] = {}
        self._replies: dict[int, _Pending] = {}
        #: Chunks for the writer task, in wire order; it takes them all each time it runs.
        self._out: list[bytes] = []
        #: The writer task while it is parked waiting for chunks (None while it runs or writes).
        self._writer_task: trio.lowlevel.Task | None = None
        #: The writer has taken chunks and not finished writing them: later requests queue behind them.
        self._writing = False
        #: No more chunks are accepted: the writer flushes what it has and ends.
        self._out_closed = False
        #: The deadlines of the requests waiting on this connection.
        self._deadlines = DeadlineWatch()
        #: trio's clock of this run, read directly for each request's deadline (what
        #: :func:`~client.deadline.deadline_after` reads through ``trio.current_time()``'s three calls).
        try:
            self._now: Callable[[], float] = trio.lowlevel.current_clock().current_time
        except RuntimeError:  # built outside trio.run (the deadlines then come from the run it is used in)
            self._now = trio.current_time
        #: The socket's descriptor for those direct writes (None: TLS or memory stream, writer only).
        self._fd: int | None = None
        if isinstance(stream, trio.SocketStream) and os.name == "posix":
            try:
                self._fd = stream.socket.fileno()
            except OSError:
                self._fd = None
        self._closed: ConnectionLostError | None = None
        #: A task is inside ``receive_some`` (the reader, or a caller reading its own answer).
        self._receiving = False
        #: A caller reads its own answer (:meth:`_read_own`; False: the reader task reads). A caller reading
        #: when the connection ends is woken by the stream's close (trio's ClosedResourceError).
        self._lead = False
        #: The reader task while it is parked because a caller reads (None while it runs or receives).
        self._reader_task: trio.lowlevel.Task | None = None
        #: Set by the server's HELLO (or by the connection's end before it).
        self._hello_seen = trio.Event()
        self._listeners: list[Callable[[Any], None]] = []
        self._close_listeners: list[Callable[[ConnectionLostError], None]] = []
        self._cancel = trio.CancelScope()
        self._finished = trio.Event()
        #: The server's HELLO (product name and version), once the handshake is done.
        self.server_hello: Hello | None = None
        #: RESPONSEs and LINE_REPLYs that arrived when nobody was waiting any more (late, after a timeout).
        self.late_frames = 0
        #: Requests the caller wrote itself (sequential path), writes of the writer task, and the chunks
        #: (requests, the HELLO, an ERROR) those writes carried: what tells coalescing is happening.
        self.direct_writes = 0
        self.writer_writes = 0
        self.writer_chunks = 0
        #: Receives done by a caller for its own answer (:meth:`call` alone on the connection).
        self.caller_reads = 0

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    async def open(
        cls, nursery: trio.Nursery, stream: trio.abc.Stream, *, product: str = PRODUCT
    ) -> ClientConnection:
        """Send HELLO, start the reader/writer tasks in ``nursery`` and wait for the server's HELLO."""
        conn = cls(stream, product=product)
        enable_keepalive(stream)
        try:
            hello = conn._proto.send(Hello(product=product))
        except ProtocolError as exc:  # e.g. a product name with a NUL: nothing was sent
            raise TapiError(HResult.E_INVALIDARG, f"cannot send HELLO with product {product!r}: {exc}") from None
        conn._queue(hello)
        nursery.start_soon(conn._run)
        await conn._hello_seen.wait()
        if conn._closed is not None:
            raise conn._closed.copy()
        return conn

    @property
    def closed(self) -> bool:
        """True once the connection has ended (for whatever reason)."""
        return self._closed is not None

    @property
    def close_reason(self) -> ConnectionLostError | None:
        """Why the connection ended, or None while it is up."""
        return self._closed

    @property
    def deadlines(self) -> DeadlineWatch:
        """The deadlines of the requests waiting on this connection (for tests and diagnostics)."""
        return self._deadlines

    @property
    def pending_requests(self) -> int:
        """Requests waiting for a RESPONSE plus request IDs waiting for a LINE_REPLY (0 when idle)."""
        return len(self._responses) + len(self._replies)

    @property
    def answers_taken(self) -> int:
        """Answers read in one step by the protocol's answer lane (:meth:`Connection.take_answer`)."""
        return self._proto.answers_taken

    def add_listener(self, callback: Callable[[Any], None]) -> Callable[[], None]:
        """Call ``callback(record)`` for every non-LINE_REPLY event record; returns a remover."""
        self._listeners.append(callback)

        def remove() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return remove

    def add_close_listener(self, callback: Callable[[ConnectionLostError], None]) -> None:
        """Call ``callback(error)`` once when the connection ends (immediately if it already has)."""
        if self._closed is not None:
            callback(self._closed)
        else:
            self._close_listeners.append(callback)

    async def aclose(self) -> None:
        """Close the connection; pending calls fail with ConnectionLostError(CLOSED_BY_CLIENT)."""
        self._shutdown(ConnectionLostError(CLOSED_BY_CLIENT))
        self._cancel.cancel()
        await self._finished.wait()

    async def wait_closed(self) -> ConnectionLostError:
        """Wait until the connection has ended and return why."""
        await self._finished.wait()
        assert self._closed is not None
        return self._closed

    # ------------------------------------------------------------------ requests

    def _submit(self, body: Any, is_async: bool) -> tuple[int, _Pending]:
        if self._closed is not None:
            raise self._closed.copy()
        func = getattr(body, "REQ_FUNC", None)  # = req_func_of(body), inline
        func = int(body.req_func if func is None else func)
        sequence = self._proto.next_sequence()
        try:
            data = self._proto.send(Request(sequence, body))
        except ProtocolError as exc:  # LocalProtocolError or an encoding problem: nothing was sent
            raise TapiError(HResult.E_INVALIDARG, f"cannot send {type(body).__name__}: {exc.message}") from None
        pending = _Pending(func, is_async)
        alone = not self._responses
        self._responses[sequence] = pending
        if alone and self._fd is not None and not self._out and not self._writing:
            # No other request outstanding and nothing waits for the writer: write at once without blocking
            # (no task switch on the sequential path); the writer task gets what the socket does not take.
            try:
                sent = os.write(self._fd, data)
            except OSError:  # full (BlockingIOError) or broken: the writer sends it or reports the error
                sent = 0
            if sent == len(data):
                self.direct_writes += 1
                return sequence, pending
            data = data[sent:]
        self._queue(data)
        return sequence, pending

    def _queue(self, data: bytes) -> None:
        """Hand ``data`` to the writer task (after everything handed to it before); wake it if parked."""
        if self._out_closed:
            raise trio.ClosedResourceError("the connection is closing")
        self._out.append(data)
        self._unpark("_writer_task")

    def _close_outbox(self) -> None:
        """Accept no more chunks; the writer flushes what is queued and ends."""
        self._out_closed = True
        self._unpark("_writer_task")

    async def request(self, body: Any, *, timeout: float | None = None) -> Response:
        """Send one REQUEST and return its RESPONSE (whatever its result; no LINE_REPLY wait).

        For asynchronous functions prefer :meth:`start`, which also arranges the LINE_REPLY.
        """
        timeout = _args.timeout(timeout)
        deadline = deadline_after(timeout)
        sequence, pending = self._submit(body, is_async=False)
        return await self._await_response(sequence, pending, deadline, timeout)

    async def _await_response(
        self, sequence: int, pending: _Pending, deadline: float, timeout: float | None
    ) -> Response:
        if deadline != NO_DEADLINE:
            self._deadlines.add(deadline, pending, self._expire, self._drop_response, sequence, pending)
        await wait_for(pending, NO_DEADLINE, self._abandon, self._drop_response, sequence, pending)
        if pending.timed_out:
            raise TapiTimeoutError(pending.func, timeout if timeout is not None else 0.0)
        return pending.result()

    def _drop_response(self, sequence: int, pending: _Pending) -> None:
        """Gave up on a RESPONSE: one arriving later is dropped, and so is any LINE_REPLY it announces."""
        if self._responses.get(sequence) is pending:
            del self._responses[sequence]

    @staticmethod
    def _abandon(drop: Callable[[int, _Pending], None], sequence: int, pending: _Pending) -> None:
        """The caller gave up (cancelled): drop the entries and mark the wait finished for the deadline watch."""
        drop(sequence, pending)
        pending.done = True

    @staticmethod
    def _expire(drop: Callable[[int, _Pending], None], sequence: int, pending: _Pending) -> None:
        """The deadline of ``pending`` passed (DeadlineWatch): drop its entries, wake its caller timed out."""
        drop(sequence, pending)
        pending.timed_out = True
        pending.wake()

    async def start(
        self, body: Any, *, timeout: float | None = None, transform: Callable[[LineReply], Any] | None = None
    ) -> PendingReply:
        """Send an asynchronous request; return its request ID and LINE_REPLY as a :class:`PendingReply`.

        A synchronous failure (LINEERR in the RESPONSE) raises :class:`LineError` at once.
        """
        timeout = _args.timeout(timeout)
        pending_reply, _ = await self._start_until(body, deadline_after(timeout), timeout, transform)
        return pending_reply

    async def _start_until(
        self,
        body: Any,
        deadline: float,
        timeout: float | None,
        transform: Callable[[LineReply], Any] | None,
    ) -> tuple[PendingReply, Response]:
        sequence, pending = self._submit(body, is_async=True)
        response = await self._await_response(sequence, pending, deadline, timeout)
        if pending.reply is None:
            raise _response_failure(pending, response)
        return PendingReply(self, int(response.result), pending.reply, transform), response

    async def call(
        self, body: Any, *, timeout: float | None = None, transform: Callable[[LineReply], Any] | None = None
    ) -> Any:
        """Start an asynchronous request and wait for its LINE_REPLY; ``timeout`` bounds the whole call.

        Returns the LINE_REPLY (through ``transform`` if given). Raises :class:`LineError` for a LINEERR
        in the RESPONSE or the LINE_REPLY, :class:`TapiTimeoutError` when the deadline passes, and
        :class:`ConnectionLostError` when the connection ends first.
        """
        timeout = _args.timeout(timeout)
        deadline = NO_DEADLINE if timeout is None else self._now() + timeout  # = deadline_after(timeout)
        sequence, pending = self._submit(body, is_async=True)
        pending.chained = True  # one wake-up per call: for the LINE_REPLY, or for a failure before it
        if deadline != NO_DEADLINE:
            self._deadlines.add(deadline, pending, self._expire, self._drop_call, sequence, pending)
        try:  # = wait_for(pending, NO_DEADLINE, self._abandon, ...) without its coroutine frame (every getter)
            if not self._lead and not self._receiving and len(self._responses) == 1 and not self._replies:
                await self._read_own(pending, deadline)  # alone: read the answer here, no reader task between
            if not pending.is_set():
                await pending.wait()
        finally:
            if not pending.done:
                self._abandon(self._drop_call, sequence, pending)
            # The LINE_REPLY slot points back at pending (its waiter): drop this side, so that the pair and
            # the frames they hold are freed by reference counting, not left for the cyclic collector.
            slot, pending.reply = pending.reply, None
        done = not pending.timed_out
        seconds = timeout if timeout is not None else 0.0
        if slot is None:  # woken by the RESPONSE: a failure (or the connection's end before it)
            if not done:
                raise TapiTimeoutError(pending.func, seconds)
            raise _response_failure(pending, pending.result())
        request_id = int(pending.value.result)
        if not done:
            raise TapiTimeoutError(pending.func, seconds, request_id)
        reply = slot.value
        if slot.error is not None or reply.result & 0x80000000:  # the connection's end, or a LINEERR
            return _reply_outcome(slot, pending.func, request_id, transform)
        return transform(reply) if transform is not None else reply  # = _reply_outcome's success, inline

    def _drop_call(self, sequence: int, pending: _Pending) -> None:
        """Gave up on a :meth:`call`: drop whatever is still expected (its RESPONSE or its LINE_REPLY)."""
        if pending.reply is None:
            self._drop_response(sequence, pending)
        else:
            self._forget_reply(int(pending.value.result), pending.reply)

    async def call_sync(self, body: Any, *, timeout: float | None = None) -> Response:
        """Send a synchronous request; return its RESPONSE, raising :class:`LineError` for a LINEERR."""
        response = await self.request(body, timeout=timeout)
        if is_lineerr(response.result):
            raise LineError(response.result, req_func_of(body), "in the RESPONSE")
        return response

    def _forget_reply(self, request_id: int, slot: _Pending) -> None:
        if self._replies.get(request_id) is slot:
            del self._replies[request_id]
        forget = getattr(self._proto, "forget_request", None)
        if forget is not None:
            forget(request_id)

    # ------------------------------------------------------------------ tasks

    async def _run(self) -> None:
        try:
            with self._cancel:
                async with trio.open_nursery() as nursery:
                    writer_done = trio.Event()
                    nursery.start_soon(self._writer, writer_done)
                    nursery.start_soon(self._deadlines.run)
                    await self._reader()
                    # The reader is done (EOF, ERROR, protocol violation): let the writer flush what is
                    # queued - e.g. our ERROR frame - for a moment, then stop it.
                    self._close_outbox()
                    with trio.move_on_after(1):
                        await writer_done.wait()
                    nursery.cancel_scope.cancel()
        finally:
            self._shutdown(ConnectionLostError("connection closed"))
            self._hello_seen.set()
            with trio.CancelScope(shield=True):
                with trio.move_on_after(1):
                    try:
                        await self._stream.aclose()
                    except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
                        pass
            self._finished.set()

    async def _writer(self, done: trio.Event) -> None:
        try:
            while True:
                chunks = self._out
                if not chunks:
                    if self._out_closed:
                        return
                    await self._park("_writer_task")
                    continue
                self._out = []
                self._writing = True
                await self._stream.send_all(b"".join(chunks) if len(chunks) > 1 else chunks[0])
                self._writing = False
                self.writer_writes += 1
                self.writer_chunks += len(chunks)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            self._shutdown(ConnectionLostError(f"sending failed: {describe_io_error(exc)}"))
            self._cancel.cancel()
        finally:
            done.set()

    async def _park(self, slot: str) -> None:
        """Sleep in attribute ``slot`` (``_writer_task``: until :meth:`_queue` or :meth:`_close_outbox`;
        ``_reader_task``: until :meth:`_read_own` hands reading back) or until cancelled."""
        setattr(self, slot, trio.lowlevel.current_task())

        def abort(_: Any) -> trio.lowlevel.Abort:
            setattr(self, slot, None)
            return trio.lowlevel.Abort.SUCCEEDED

        await trio.lowlevel.wait_task_rescheduled(abort)

    def _unpark(self, slot: str) -> None:
        """Wake the task sleeping in attribute ``slot`` (:meth:`_park`), if one is."""
        task = getattr(self, slot)
        if task is not None:
            setattr(self, slot, None)
            trio.lowlevel.reschedule(task)

    async def _reader(self) -> None:
        while True:
            if self._lead:  # a caller reads its own answer: sleep until it hands back
                await self._park("_reader_task")
                continue
            if self._closed is not None:  # ended while a caller read
                return
            got = await self._receive()
            if not got:
                return
            if got == _ANSWERED_LAST:
                # The last outstanding call was answered: let its caller run first, so that its next call
                # (if it makes one at once) finds nobody receiving and reads its own answer. The caller was
                # rescheduled before this first checkpoint, so both run in the next batch, in either order;
                # the second ends after the caller's step in that batch, whatever the order.
                await trio.lowlevel.checkpoint()
                await trio.lowlevel.checkpoint()

    async def _receive(self) -> int:
        """One ``receive_some`` and every whole frame it completes, dispatched: 0 once the connection has
        ended (EOF, a receive error, ERROR, a protocol violation), :data:`_ANSWERED_LAST` when the data
        answered the last outstanding request, else 1. The reader task's and :meth:`_read_own`'s one path."""
        self._receiving = True
        try:
            data = await self._stream.receive_some(_RECEIVE_SIZE)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            self._shutdown(ConnectionLostError(f"receiving failed: {describe_io_error(exc)}"))
            return 0
        finally:
            self._receiving = False
        busy = bool(self._responses or self._replies)
        proto = self._proto
        try:
            answer = proto.take_answer(data)  # None unless nothing is buffered and data is one whole answer
            if answer is not None:  # one request's whole answer, both frames in one step (protocol.answers)
                self._dispatch(answer[0])
                self._dispatch(answer[1])
            else:
                proto.receive_data(data)
            while answer is None:
                frame = proto.next_event()
                if frame is NEED_DATA:
                    break
                if frame is CLOSED:
                    self._shutdown(ConnectionLostError("the server closed the connection"))
                    return 0
                self._dispatch(frame)
                if self._closed is not None:
                    return 0
                if not proto.buffered:  # nothing left: spare next_event's NEED_DATA (the next feed compacts)
                    break
        except RemoteProtocolError as exc:
            self._protocol_violation(exc)
            return 0
        if not data:
            self._shutdown(ConnectionLostError("the server closed the connection"))
            return 0
        return _ANSWERED_LAST if busy and not self._responses and not self._replies else 1

    async def _read_own(self, pending: _Pending, deadline: float) -> None:
        """The caller of the only outstanding call receives and dispatches until its answer is in (or its
        deadline passes, or the connection ends), then hands reading back to the reader task."""
        # no deadline: no cancel scope (~7 us each on this machine); the caller's own scopes still apply
        scope = trio.CancelScope(deadline=deadline) if deadline != NO_DEADLINE else _NO_SCOPE
        self._lead = True
        try:
            with scope:
                while not pending.is_set():
                    self.caller_reads += 1
                    if not await self._receive():
                        break
        finally:
            self._lead = False
            self._unpark("_reader_task")

    def _protocol_violation(self, exc: RemoteProtocolError) -> None:
        """The server broke the protocol: queue ERROR(code) for the writer to flush, then end."""
        if self._closed is None:
            try:
                self._queue(self._proto.send(exc.to_frame()))
            except Exception:  # noqa: BLE001 - best effort; the connection is ending anyway
                pass
        self._shutdown(ConnectionLostError(f"the server sent something invalid: {exc}", exc.code))

    def _dispatch(self, frame: Any) -> None:
        if isinstance(frame, Events):  # the most frequent frame: (one) LINE_REPLY
            replies = self._replies
            for record in frame.records:
                if isinstance(record, LineReply):
                    slot = replies.pop(record.request_id, None)
                    if slot is None:
                        self.late_frames += 1
                    else:
                        slot.set(record)
                else:
                    for listener in list(self._listeners):
                        listener(record)
        elif isinstance(frame, Response):
            pending = self._responses.pop(frame.sequence, None)
            if pending is None:
                self.late_frames += 1
                forget = getattr(self._proto, "forget_request", None)
                if forget is not None and not is_lineerr(frame.result) and frame.result:
                    forget(int(frame.result))
                return
            result = frame.result
            if pending.is_async and result and not result & 0x80000000:  # a request ID, not a LINEERR
                if pending.chained:  # the caller sleeps on until the LINE_REPLY sets the shared event
                    slot = _Pending(pending.func, waiter=pending)
                    self._replies[result] = slot
                    pending.reply = slot
                    pending.value = frame
                    return
                slot = _Pending(pending.func)
                self._replies[result] = slot
                pending.reply = slot
            pending.set(frame)
        elif isinstance(frame, Hello):
            self.server_hello = frame
            self._hello_seen.set()
        elif isinstance(frame, Error):
            try:
                name = ErrorCode(frame.code).name
            except ValueError:
                name = str(frame.code)
            self._shutdown(
                ConnectionLostError(f"the server sent ERROR {frame.code} ({name}): {frame.text}", frame.code)
            )
        else:  # pragma: no cover - the sans-I/O layer only yields the kinds above to a client
            self._shutdown(
                ConnectionLostError(f"unexpected frame from the server: {frame!r}", ErrorCode.UNEXPECTED_KIND)
            )

    def _shutdown(self, error: ConnectionLostError) -> None:
        """Record why the connection ended (first reason wins) and fail every waiter at once."""
        if self._closed is None:
            self._closed = error
            self._close_outbox()  # no new requests; the writer flushes what is queued and ends
            for callback in self._close_listeners:
                callback(error)
            self._close_listeners.clear()
        error = self._closed
        responses, self._responses = self._responses, {}
        replies, self._replies = self._replies, {}
        for pending in responses.values():
            pending.fail(error)
        for pending in replies.values():
            pending.fail(error)


def _response_failure(pending: _Pending, response: Response) -> TapiError:
    """The error of an asynchronous request whose RESPONSE carries no request ID."""
    if is_lineerr(response.result):
        return LineError(response.result, pending.func, "in the RESPONSE")
    return TapiError(
        HResult.E_UNEXPECTED,
        f"server answered asynchronous {pending.func} with {response.result:#x}, not a request ID",
    )


def _reply_outcome(
    slot: _Pending, func: int, request_id: int, transform: Callable[[LineReply], Any] | None
) -> Any:
    """What waiting for a LINE_REPLY gives once ``slot`` is set: the reply (through ``transform``), or
    LineError for a LINEERR, or the connection's end."""
    reply: LineReply = slot.result()
    if is_lineerr(reply.result):
        raise LineError(reply.result, func, f"LINE_REPLY for request ID {request_id}")
    return transform(reply) if transform is not None else reply


__all__ = [
    "KEEPALIVE",
    "ClientConnection",
    "PendingReply",
    "describe_io_error",
    "enable_keepalive",
    "is_lineerr",
    "req_func_of",
]
