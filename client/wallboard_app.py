"""The live wallboard: reads the switch through the client library and shows :mod:`client.wallboard`.

``python -m client.wallboard_app --host H --port P`` (or ``tapi wallboard``) connects, opens every line
(LINE_AGENTSESSIONSTATUS only reaches connections that have the session's line open), reads the group
list, creates the roster's agents (CreateAgent returns a scenario agent's handle) and lists their sessions
(GetAgentSessionList). Then it refreshes

* at a steady rate (``--refresh``, default 1 s): every live session's info and every mapped queue's info;
* on events: a LINE_AGENTSESSIONSTATUS shows the new state at once and re-reads that session (and the
  queues); an unknown session makes it re-read the agents' session lists; a LINE_QUEUESTATUS (a call
  entered, left, abandoned or flowed, wire-protocol §8.1) re-reads the queues at once.

When the connection drops (the emulator restarts, say) it keeps the last frame on screen marked
"reconnecting", retries with exponential backoff (0.5 s doubling up to 10 s) and starts a fresh model once
connected again (handles from a previous emulator run mean nothing to the new one). Ctrl-C (SIGINT) or
SIGTERM ends it cleanly with exit status 0.

The picture docs/wallboard.svg is made on the emulator's side, ``python -m tsp.wallboard_export FILE.svg``
(:mod:`tsp.wallboard_export`): it runs the embedded emulator, which this client never imports. It drives
:class:`WallboardClient` and saves the frame with :func:`save_svg`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import signal
import sys
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import trio
from rich.console import Console
from rich.live import Live

import client
from client import cliargs, scenario_files
from client.errors import ConnectionLostError, LineError, TapiError
from client.wallboard import (
    DEFAULT_SL_THRESHOLD,
    Board,
    Roster,
    RosterAgent,
    WallboardModel,
    render_board,
)
from protocol.agent_events import QueueStatusEvent, typed_agent_record
from protocol.constants import DEFAULT_PORT
from protocol.messages import AgentSessionStatusEvent

#: Steady refresh period in seconds (real time).
DEFAULT_REFRESH = 1.0
#: Reconnect backoff: first delay, factor, cap (seconds).
BACKOFF_FIRST = 0.5
BACKOFF_FACTOR = 2.0
BACKOFF_MAX = 10.0
#: Re-read every roster agent's session list this often (seconds), besides when an event asks for it.
RELIST_EVERY = 10.0
#: Deadline of one wallboard request: the board must never hang on a request the switch drops.
REQUEST_TIMEOUT = 5.0

ShowFn = Callable[[Board], None]
Connector = Callable[[], AbstractAsyncContextManager[Any]]


class Backoff:
    """Exponential reconnect delays: first, first*factor, ... capped at ``maximum``; :meth:`reset` on success."""

    def __init__(self, first: float = BACKOFF_FIRST, factor: float = BACKOFF_FACTOR,
                 maximum: float = BACKOFF_MAX) -> None:
        if not (0 < first <= maximum and factor >= 1):
            raise ValueError(f"backoff needs 0 < first <= maximum and factor >= 1, got {first}, {factor}, {maximum}")
        self.first, self.factor, self.maximum = first, factor, maximum
        self.attempt = 0

    def next(self) -> float:
        """The delay before the next attempt (and count the attempt)."""
        delay = min(self.maximum, self.first * self.factor ** self.attempt)
        self.attempt += 1
        return delay

    def reset(self) -> None:
        """Connected again: start over from ``first``."""
        self.attempt = 0


def default_roster() -> Roster:
    """The roster of the emulator's built-in scenario (its agents, PINs and group -> queue map)."""
    return Roster.from_scenario_text(scenario_files.text(scenario_files.DEFAULT_NAME),
                                     "tsp/default_scenario.toml")


def scenario_roster(scenario: str | Path) -> Roster:
    """The roster of a scenario given as a file or as the name of one shipped with the emulator
    (``scripted``, ``faults``, ``conformance``, ``default``; a name has no ``/`` and no ``.toml``).

    The shipped scenarios are read as data files (:mod:`client.scenario_files`), not through the emulator."""
    text_name = str(scenario)
    if "/" not in text_name and "\\" not in text_name and not text_name.endswith(".toml") and not Path(text_name).exists():
        known = scenario_files.names()
        if text_name in known:
            return Roster.from_scenario_text(scenario_files.text(text_name), f"<built-in scenario {text_name}>")
        if known:
            raise ValueError(f"--scenario {text_name!r}: no such file, and no built-in scenario has that name "
                             f"({', '.join(known)})")
    return Roster.from_scenario_text(Path(scenario).read_text(encoding="utf-8"), text_name)


def _is_connection_failure(exc: BaseException) -> bool:
    # Any TapiError (connection lost, a deadline missed, a LINEERR while attaching) is the switch's side:
    # show it and retry. Anything else is a bug and propagates.
    return isinstance(exc, (TapiError, OSError, trio.BrokenResourceError, trio.ClosedResourceError))


def _connection_failure(exc: BaseException) -> BaseException | None:
    """The connection error inside ``exc`` (possibly an exception group) if that is all it holds."""
    if isinstance(exc, BaseExceptionGroup):
        leaves = list(_leaves(exc))
        failures = [e for e in leaves if _is_connection_failure(e)]
        if failures and all(_is_connection_failure(e) or isinstance(e, trio.Cancelled) for e in leaves):
            return failures[0]
        return None
    return exc if _is_connection_failure(exc) else None


def _leaves(group: BaseExceptionGroup) -> Iterable[BaseException]:
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            yield from _leaves(exc)
        else:
            yield exc


class WallboardClient:
    """Drives one :class:`WallboardModel` over one connected ``client.Tapi``.

    Separated from the reconnect loop so tests and the SVG export (:mod:`tsp.wallboard_export`) can drive it
    step by step
    (:meth:`attach`, then :meth:`poll` whenever they like).
    """

    def __init__(self, tapi: Any, model: WallboardModel, *, request_timeout: float = REQUEST_TIMEOUT) -> None:
        self.tapi = tapi
        self.model = model
        self.request_timeout = request_timeout
        self.line: Any = None
        self.agents: dict[str, Any] = {}  # agent ID -> hAgent
        self.notes: list[str] = []
        #: LINE_QUEUESTATUS records seen (each re-reads the queues at once).
        self.queue_events = 0
        self._last_relist = -math.inf
        self._wake = trio.Event()

    async def attach(self) -> None:
        """Open every line, read the group list, create the roster's agents, list their sessions."""
        self.tapi.connection.add_listener(self.on_record)
        count = max(1, int(self.tapi.num_devs))
        lines = [await self.tapi.open_line(i) for i in range(count)]
        self.line = lines[0]
        groups = await self.line.get_group_list(timeout=self.request_timeout)
        self.model.set_groups(groups.entries)
        for agent in self.model.roster.agents:
            try:
                ag = await self.line.create_agent(agent.agent_id, agent.pin, timeout=self.request_timeout)
            except LineError as exc:
                self.notes.append(f"agent {agent.agent_id}: {exc}")
                continue
            self.agents[agent.agent_id] = ag.handle
        await self.relist()

    async def relist(self) -> None:
        """Re-read every roster agent's session list (new sessions appear, ENDED ones stay)."""
        self.model.needs_session_lists = False
        self._last_relist = trio.current_time()
        for agent_id, hagent in self.agents.items():
            try:
                lst = await self.line.get_agent_session_list(hagent, timeout=self.request_timeout)
            except LineError as exc:
                note = f"agent {agent_id}: {exc}"
                if note not in self.notes:
                    self.notes.append(note)
                continue
            self.model.set_sessions(agent_id, lst.entries)

    async def poll(self, *, full: bool = True) -> None:
        """Fetch what is needed now: stale sessions (all live ones when ``full``) and the queues."""
        if self.model.needs_session_lists or trio.current_time() - self._last_relist >= RELIST_EVERY:
            await self.relist()
        wanted = set(self.model.stale_sessions())
        if full:
            wanted.update(self.model.live_sessions())
        async with trio.open_nursery() as nursery:
            for h in wanted:
                nursery.start_soon(self._fetch_session, h)
        # The queues right after the sessions: a LINEQUEUEINFO carries no time, the model dates it by the
        # session infos just read (client.service_level).
        async with trio.open_nursery() as nursery:
            for q in self.model.queue_ids():
                nursery.start_soon(self._fetch_queue, q)

    async def _fetch_session(self, h: int) -> None:
        try:
            info = await self.line.get_agent_session_info(h, timeout=self.request_timeout)
        except TapiError as exc:
            if isinstance(exc, ConnectionLostError):
                raise
            return  # a timed-out or refused read leaves the session stale: the next poll retries it
        self.model.update_session(h, info)

    async def _fetch_queue(self, q: int) -> None:
        try:
            info = await self.line.get_queue_info(q, timeout=self.request_timeout)
        except TapiError as exc:
            if isinstance(exc, ConnectionLostError):
                raise
            return
        self.model.update_queue(q, info)

    def on_record(self, record: Any) -> None:
        """Connection listener: feed one event record to the model and wake the refresher.

        Called synchronously by the client's reader task, so an event is in the model before any
        RESPONSE that the server sent after it is seen; it must not block or raise.
        """
        if isinstance(record, AgentSessionStatusEvent):
            self.model.apply_event(record)
            self._wake.set()
        elif isinstance(typed_agent_record(record), QueueStatusEvent):
            # LINE_QUEUESTATUS (wire-protocol §8.1): a call entered, left, abandoned or flowed - the queues
            # are read at once instead of at the next steady refresh (no session may have changed)
            self.queue_events += 1
            self._wake.set()

    def board(self, status: str = "live") -> Board:
        """The current frame, with notes (e.g. an agent whose PIN was refused) appended to the status."""
        if self.notes:
            status = status + " | " + "; ".join(self.notes)
        return self.model.board(status=status)

    async def serve(self, show: ShowFn, refresh: float = DEFAULT_REFRESH) -> None:
        """Refresh on events and every ``refresh`` seconds until the connection ends (then raise)."""
        conn = self.tapi.connection
        conn.add_close_listener(lambda _error: self._wake.set())
        last_full = -math.inf
        while True:
            if conn.closed:
                raise conn.close_reason
            now = trio.current_time()
            full = now - last_full >= refresh
            if full:
                last_full = now
            self._wake = trio.Event()
            await self.poll(full=full)
            show(self.board())
            with trio.move_on_at(last_full + refresh):
                await self._wake.wait()
                # Let a burst of events arrive before reading again (at most 1/20 of the period).
                await trio.sleep(refresh / 20)


async def run_wallboard(host: str, port: int, show: ShowFn, *, roster: Roster | None = None,
                        threshold: float = DEFAULT_SL_THRESHOLD, refresh: float = DEFAULT_REFRESH,
                        backoff: Backoff | None = None, request_timeout: float = REQUEST_TIMEOUT,
                        title: str | None = None, connector: Connector | None = None) -> None:
    """Show the wallboard of the switch at host:port forever, reconnecting with backoff; cancel to stop.

    ``show(board)`` is called with every new frame. ``connector()`` (default: ``client.connect(host,
    port)``) is an async context manager giving a connected ``client.Tapi``; tests pass one that serves
    the embedded emulator over memory streams.
    """
    roster = roster if roster is not None else default_roster()
    backoff = backoff or Backoff()
    title = title or f"TAPI wallboard  {host}:{port}"
    model = WallboardModel(roster, threshold=threshold, title=title)
    show(model.board(status=f"connecting to {host}:{port}"))
    while True:
        try:
            if connector is not None:
                connection = connector()
            else:
                connection = client.connect(host, port, connect_timeout=max(request_timeout, 1.0),
                                            request_timeout=request_timeout)
            async with connection as tapi:
                model = WallboardModel(roster, threshold=threshold, title=title)
                wb = WallboardClient(tapi, model, request_timeout=request_timeout)
                await wb.attach()
                backoff.reset()
                await wb.serve(show, refresh)
        except BaseException as exc:  # noqa: BLE001 - classified just below, everything else re-raised
            failure = _connection_failure(exc)
            if failure is None:
                raise
            delay = backoff.next()
            reason = failure.reason if isinstance(failure, ConnectionLostError) else str(failure)
            show(model.board(status=f"reconnecting to {host}:{port} in {delay:.1f} s "
                                    f"(attempt {backoff.attempt}): {reason}"))
            await trio.sleep(delay)


# ------------------------------------------------------------------------------------------ export


def save_svg(board: Board, path: str | Path, *, width: int = 120) -> None:
    """Render one frame with rich and save it as SVG (rich's own export)."""
    console = Console(record=True, width=width, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor")
    console.print(render_board(board))
    console.save_svg(str(path), title=board.title)


# --------------------------------------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The wallboard's options (shared by ``python -m client.wallboard_app`` and ``tapi wallboard``)."""
    parser.add_argument("--host", default="127.0.0.1", help="emulator host (default 127.0.0.1)")
    parser.add_argument("--port", type=cliargs.port, default=DEFAULT_PORT, help=f"emulator port, 1..65535 (default {DEFAULT_PORT})")
    parser.add_argument("--scenario", metavar="FILE",
                        help="scenario file (or built-in scenario name) to take agent IDs, PINs and queue IDs from "
                             "(default: the emulator's built-in scenario, unless --agent is given)")
    parser.add_argument("--agent", action="append", default=[], metavar="ID[:PIN]",
                        help="watch this agent (repeatable)")
    parser.add_argument("--queue", action="append", default=[], metavar="GROUP=QUEUEID",
                        help="queue ID of a group, by name or GUID (repeatable)")
    parser.add_argument("--threshold", type=cliargs.seconds(zero_ok=True), default=DEFAULT_SL_THRESHOLD,
                        help="service-level threshold in seconds (default 20)")
    parser.add_argument("--refresh", type=cliargs.seconds(zero_ok=False), default=DEFAULT_REFRESH,
                        help="steady refresh period in seconds (default 1)")
    parser.add_argument("--show-ended", action="store_true", help="also list ENDED sessions")
    parser.add_argument("--export", type=_export_moved, help=argparse.SUPPRESS)


#: Where the picture export went: it runs the emulator, and the client never imports the emulator.
EXPORT_COMMAND = "python -m tsp.wallboard_export FILE.svg"


def _export_moved(text: str) -> str:
    raise argparse.ArgumentTypeError(f"the picture export is on the emulator's side now: {EXPORT_COMMAND}")


def roster_from_args(args: argparse.Namespace) -> Roster:
    """Build the roster from --scenario / --agent / --queue (see :func:`add_arguments`)."""
    if args.scenario:
        roster = scenario_roster(args.scenario)
    elif args.agent:
        roster = Roster()
    else:
        roster = default_roster()
    agents = []
    for spec in args.agent:
        agent_id, sep, pin = spec.partition(":")
        if not agent_id:
            raise ValueError(f"--agent {spec!r}: the agent ID is empty")
        agents.append(RosterAgent(agent_id, pin if sep else None))
    queues = {}
    for spec in args.queue:
        group, sep, qid = spec.partition("=")
        if not sep or not group or not qid.strip().isdigit():
            raise ValueError(f"--queue {spec!r}: expected GROUP=QUEUEID with a numeric queue ID")
        queues[group.strip().lower()] = int(qid)
    return roster.merged(Roster(tuple(agents), queues))


def run_from_args(args: argparse.Namespace) -> int:
    """Run the wallboard for parsed arguments; returns the exit status."""
    if args.threshold < 0 or args.refresh <= 0:
        print(f"tapi wallboard: need --threshold >= 0 and --refresh > 0 (got {args.threshold}, {args.refresh})",
              file=sys.stderr)
        return 2
    try:
        roster = roster_from_args(args)
    except (OSError, ValueError) as exc:
        print(f"tapi wallboard: {exc}", file=sys.stderr)
        return 2
    console = Console()

    async def main() -> None:
        with Live(console=console, auto_refresh=False, screen=False, transient=False) as live:
            def show(board: Board) -> None:
                live.update(render_board(board, show_ended=args.show_ended), refresh=True)

            async with trio.open_nursery() as nursery:
                async def stop_on_signal() -> None:
                    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                        async for _ in signals:
                            nursery.cancel_scope.cancel()
                            return

                nursery.start_soon(stop_on_signal)
                await run_wallboard(args.host, args.port, show, roster=roster, threshold=args.threshold,
                                    refresh=args.refresh)

    with contextlib.suppress(KeyboardInterrupt):
        trio.run(main)
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m client.wallboard_app``: the live wallboard."""
    parser = cliargs.Parser(prog="python -m client.wallboard_app", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    return run_from_args(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
