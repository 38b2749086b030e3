"""Embedded emulator for test suites: run a switch inside your own trio nursery.

::

    async with open_emulator("my_scenario.toml", clock="manual") as emu:
        client = await connect(emu.host, emu.port)        # any client, over real loopback TCP
        emu.offer_call("Sales", talk=120)                 # a call arrives now
        await emu.advance(30)                             # 30 s of switch time, everything due happens
        emu.set_faults([{"function": 149, "mode": "drop"}])
        ...
        emu.clear_faults()

or ``emu = await nursery.start(run_emulator, scenario, ...)`` and ``emu.stop()`` when done.

``scenario``: None (the built-in lively call centre), the name of a scenario shipped in the package
(``"scripted"``, ``"faults"``, ``"conformance"``, ``"default"``; see :mod:`tsp.scenarios`), a path to a
TOML file, or a :class:`tsp.scenario.Scenario`. ``clock``: ``"real"`` (default; trio's clock, times ``speed``) or
``"manual"`` (stands still until :meth:`Emulator.advance` or EmuAdvanceClock), or a
:class:`tsp.clock.Clock`. With ``"real"`` under pytest-trio's ``autojump_clock`` hours of switch time
pass in milliseconds whenever every task is waiting. ``control`` (default True here) serves the control
extension over the wire. ``port=0`` picks a free port; ``listen=False`` opens no socket at all - use
:meth:`Emulator.connect_memory` for in-memory streams. ``cdr``: write call detail records (one JSON
object per call, docs/cdr.md) to this file, or to a :class:`tsp.cdr.CdrWriter` of your own; read them
back with :func:`tsp.cdr.read_cdr` once the emulator has stopped.
"""

from __future__ import annotations

import os
import uuid
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Iterable

import trio
import trio.testing

from tsp.cdr import CdrWriter
from tsp.clock import Clock, make_clock
from tsp.faults import FaultRule
from tsp.model import SessionStats, Switch
from tsp.scenario import Scenario, default_scenario, load_scenario
from tsp.server import EmulatorServer, ServerConfig
from tsp.switch import SwitchService
from tsp.web import WebConsole, parse_web_address, serve_web

__all__ = ["Emulator", "open_emulator", "run_emulator", "resolve_scenario"]


def resolve_scenario(scenario: Scenario | str | os.PathLike[str] | None) -> Scenario:
    """None -> the built-in scenario; a shipped scenario's name (``"scripted"``) -> that one; a path -> that
    file, loaded and validated; a Scenario -> itself."""
    if scenario is None:
        return default_scenario()
    if isinstance(scenario, Scenario):
        return scenario
    return load_scenario(scenario)


class Emulator:
    """A running embedded emulator (what :func:`open_emulator` yields)."""

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        #: The web console (``web=`` of :func:`run_emulator`), or None; ``emu.web.url`` is its address.
        self.web: WebConsole | None = None
        self._memory_nursery: trio.Nursery | None = None

    # --- where it is -------------------------------------------------------------------------------

    @property
    def address(self) -> tuple[str, int] | None:
        """``(host, port)`` of the TCP listener, or None with ``listen=False``."""
        return self.server.address

    @property
    def host(self) -> str | None:
        return self.address[0] if self.address else None

    @property
    def port(self) -> int | None:
        return self.address[1] if self.address else None

    # --- what it is --------------------------------------------------------------------------------

    @property
    def switch(self) -> Switch:
        """The pure ACD model, for assertions (``emu.switch.session_info(h, emu.now)``...)."""
        return self.server.model

    @property
    def service(self) -> SwitchService:
        """The protocol layer (connections, handles, faults)."""
        return self.server.service

    @property
    def scenario(self) -> Scenario:
        return self.server.scenario

    @property
    def clock(self) -> Clock:
        return self.server.clock

    @property
    def cdr(self) -> CdrWriter | None:
        """The call detail record writer (``cdr=`` of :func:`run_emulator`), or None."""
        return self.server.cdr

    @property
    def now(self) -> float:
        """Switch time in seconds since the scenario start."""
        return self.server.now()

    def session_info(self, hagent_session: int) -> SessionStats:
        """The model's statistics of a session right now (what GetAgentSessionInfo would return)."""
        return self.switch.session_info(hagent_session, self.now)

    def group_id(self, group: str | uuid.UUID) -> uuid.UUID:
        """The GUID of a scenario group given by name or GUID (KeyError if there is none)."""
        found = self.scenario.group(group)
        if found is None:
            raise KeyError(f"the scenario has no group {group!r}")
        return found.id

    # --- driving it ----------------------------------------------------------------------------------

    async def advance(self, seconds: float) -> None:
        """Let ``seconds`` of switch time pass; everything due happens, in time order, and its events are
        queued to the clients before this returns.

        Manual clock: moves the clock at once. Real clock: sleeps ``seconds / speed`` on trio's clock
        (instant under ``autojump_clock``)."""
        if self.clock.manual:
            self.server.deliver(self.service.advance_clock(seconds))
        else:
            target = self.now + seconds
            await trio.sleep_until(self.clock.deadline(target))
            self.server.deliver(self.service.advance(max(target, self.clock.now())))
        self.server.wake()
        await trio.sleep(0)

    def offer_call(
        self, group: str | uuid.UUID, talk: float, *, patience: float | None = None,
        ani: str | None = None, dnis: str | None = None, uui: str | None = None,
    ) -> int:
        """A call arrives now at ``group``'s queue (name or GUID) and talks ``talk`` s once answered;
        ``patience``: seconds it waits in a queue before hanging up (None = forever); ``ani`` / ``dnis`` /
        ``uui``: caller number, called number, user-user information (as the scenario's ``[[calls]]``)."""
        call_id, frames = self.service.offer_call(
            group, talk, self.now, patience=patience, ani=ani, dnis=dnis, uui=uui)
        self.server.deliver(frames)
        self.server.wake()
        return call_id

    def set_faults(self, rules: Iterable[FaultRule | dict[str, Any] | Any]) -> None:
        """Replace the fault rules (wire-protocol §5 keys: function, mode, seconds, error, probability,
        after). E.g. ``emu.set_faults([{"function": 149, "mode": "drop"}])``."""
        self.service.faults.set_rules(rules)

    def clear_faults(self) -> None:
        """No more faults: every later request is answered normally."""
        self.service.faults.clear()

    # --- connecting ----------------------------------------------------------------------------------

    async def connect(self) -> trio.SocketStream:
        """A TCP stream to the emulator (needs ``listen=True``)."""
        if self.address is None:
            raise RuntimeError("this emulator does not listen on TCP (listen=False); use connect_memory()")
        return await trio.open_tcp_stream(*self.address)

    async def connect_memory(self) -> trio.abc.Stream:
        """An in-memory stream served by this emulator (no socket; ideal with ``autojump_clock``)."""
        client, server = trio.testing.memory_stream_pair()
        self.serve_stream(server, "memory")
        await trio.sleep(0)
        return client

    def serve_stream(self, stream: trio.abc.Stream, name: str = "stream") -> None:
        """Serve any trio stream (e.g. one end of ``trio.testing.lockstep_stream_pair()``) as a connection,
        in the emulator's own nursery; it is closed when the emulator stops."""
        if self._memory_nursery is None:
            raise RuntimeError("the emulator is not running")
        self._memory_nursery.start_soon(self.server.serve_stream, stream, name)

    def stop(self) -> None:
        """Close every connection and stop (idempotent)."""
        self.server.stop()


async def run_emulator(
    scenario: Scenario | str | os.PathLike[str] | None = None,
    *,
    clock: str | Clock | None = "real",
    speed: float = 1.0,
    host: str = "127.0.0.1",
    port: int = 0,
    listen: bool = True,
    control: bool = True,
    config: ServerConfig | None = None,
    web: str | tuple[str, int] | None = None,
    cdr: str | os.PathLike[str] | CdrWriter | None = None,
    task_status: trio.TaskStatus[Emulator] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run an emulator until its ``stop()``; ``await nursery.start(run_emulator, ...)`` returns the
    :class:`Emulator` once it serves (listening already when ``listen``).

    ``web``: also serve the web console (docs/web.md) on ``"HOST:PORT"`` or ``(host, port)`` (port 0 picks a
    free one; ``emu.web.url``), with its control panel when ``control``. ``cdr``: a file to write the
    call detail records to (truncated; OSError at once if it cannot be opened; complete when this
    returns), or a CdrWriter the caller closes."""
    if config is None:
        config = ServerConfig(control=control)
    resolved = resolve_scenario(scenario)
    own_cdr = cdr is not None and not isinstance(cdr, CdrWriter)
    writer = CdrWriter(cdr, resolved) if own_cdr else cdr  # type: ignore[arg-type]
    server = EmulatorServer(resolved, make_clock(clock, speed), config, cdr=writer)  # type: ignore[arg-type]
    emu = Emulator(server)
    try:
        async with trio.open_nursery() as nursery:
            emu._memory_nursery = nursery
            if listen:
                await nursery.start(server.serve_tcp, host, port)
            else:
                await nursery.start(server.run)
            if web is not None:
                web_host, web_port = parse_web_address(web) if isinstance(web, str) else web
                emu.web = await nursery.start(lambda task_status: serve_web(
                    server, web_host, web_port, control=config.control, task_status=task_status))
            task_status.started(emu)
            await server.wait_stopped()
            nursery.cancel_scope.cancel()
    finally:
        if own_cdr:  # the file is complete when run_emulator returns (written off the event loop)
            with trio.CancelScope(shield=True):
                await trio.to_thread.run_sync(writer.close)  # type: ignore[union-attr]


@asynccontextmanager
async def open_emulator(
    scenario: Scenario | str | os.PathLike[str] | None = None,
    **kwargs: Any,
) -> AsyncIterator[Emulator]:
    """``async with open_emulator(...) as emu:`` - same arguments as :func:`run_emulator`."""
    async with trio.open_nursery() as nursery:
        emu = await nursery.start(lambda task_status: run_emulator(scenario, task_status=task_status, **kwargs))
        try:
            yield emu
        finally:
            emu.stop()
