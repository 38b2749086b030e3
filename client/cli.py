"""The ``tapi`` command: look at an emulated switch from the command line.

- ``tapi sessions --agent ID [--pin PIN]``: every session of the agent with all twelve ITAgentSession
  statistics, as a table (one column per session, one row per TAPI3 getter).
- ``tapi watch``: opens every line and prints each event as it comes (Ctrl-C to stop).
- ``tapi wallboard``: the live wallboard (:mod:`client.wallboard_app`), when installed.

``--host/--port`` say where the emulator is (default 127.0.0.1:5038). Exit status: 0 on success, 1 when
the emulator is not there, the connection is lost or the switch refuses a request (with a one-line
message on stderr naming what failed), 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import signal
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import trio
from rich.console import Console
from rich.table import Table
from rich.text import Text

import client
from client.errors import ConnectionLostError, TapiError
from client.objects import REQUEST_TIMEOUT, SESSION_STATISTICS, SESSION_STATE_TO_ASST
from protocol import AgentSessionStatusEvent, LineReply
from protocol.constants import DEFAULT_PORT, AgentSessionState, AgentSessionStatus, LineMsg

#: Colours of the session states in tables and event lines.
STATE_STYLE = {
    AgentSessionState.NOTREADY: "magenta",
    AgentSessionState.READY: "green",
    AgentSessionState.BUSYONCALL: "red",
    AgentSessionState.BUSYWRAPUP: "yellow",
    AgentSessionState.ENDED: "dim",
    AgentSessionState.RELEASED: "dim",
}


def _console() -> Console:
    console = Console()
    if not console.is_terminal:  # piped or captured: do not squeeze the table into 80 columns
        console = Console(width=max(console.width, 200))
    return console


def _add_connection_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="emulator host (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"emulator port (default {DEFAULT_PORT})")
    parser.add_argument(
        "--timeout", type=float, default=REQUEST_TIMEOUT, metavar="SECONDS",
        help=f"give up on a request after this long (default {REQUEST_TIMEOUT:g}, TAPI3's two minutes)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``tapi`` argument parser (subcommands sessions, watch and, if available, wallboard)."""
    parser = argparse.ArgumentParser(prog="tapi", description="Look at a TAPI emulator through the client library.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sessions = sub.add_parser("sessions", help="print every session of an agent with its statistics")
    _add_connection_args(sessions)
    sessions.add_argument("--agent", required=True, metavar="ID", help="agent ID (as in the scenario)")
    sessions.add_argument("--pin", default=None, help="the agent's PIN, if it has one")
    sessions.add_argument("--line", type=int, default=0, help="line device to ask through (default 0)")
    sessions.set_defaults(run=_run_sessions)

    watch = sub.add_parser("watch", help="print events as they come (opens every line)")
    _add_connection_args(watch)
    watch.add_argument("--count", type=int, default=None, metavar="N", help="stop after N events")
    watch.set_defaults(run=_run_watch)

    try:
        from client import wallboard_app
    except ImportError:  # pragma: no cover - the wallboard is optional
        wallboard_app = None  # type: ignore[assignment]
    if wallboard_app is not None:
        wallboard = sub.add_parser("wallboard", help="live wallboard of groups and agent sessions")
        wallboard_app.add_arguments(wallboard)
        wallboard.set_defaults(run=lambda args, console: wallboard_app.run_from_args(args))
    return parser


# --- sessions -------------------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, Decimal):
        return f"{value:.4f}"
    return str(value)


def sessions_table(agent_id: str, rows: list[tuple[client.ITAgentSession, dict[str, Any]]]) -> Table:
    """The table ``tapi sessions`` prints: one column per session, one row per ITAgentSession getter."""
    table = Table(title=f"Agent {agent_id}: {len(rows)} session(s)", title_justify="left")
    table.add_column("ITAgentSession", style="bold")
    for session, _ in rows:
        table.add_column(f"hAgentSession {session.handle}", justify="right")
    state_cells = []
    for _, values in rows:
        state = values["state"]
        name = SESSION_STATE_TO_ASST[state].name if state in SESSION_STATE_TO_ASST else hex(state)
        state_cells.append(Text(name, style=STATE_STYLE.get(state, "")))
    table.add_row("get_State", *state_cells)
    for method, _field in SESSION_STATISTICS:
        table.add_row(method, *(_fmt(values[method]) for _, values in rows))
    return table


async def _sessions(args: argparse.Namespace, console: Console) -> int:
    async with client.connect(args.host, args.port, request_timeout=args.timeout, cached=True,
                              app_name="tapi sessions") as tapi:
        line = await tapi.open_line(args.line)
        agent = await line.create_agent(args.agent, args.pin)
        sessions = await agent.EnumerateAgentSessions()
        rows = []
        for session in sessions:
            info = await session.refresh()  # one round trip; the getters below answer from it (cached mode)
            values: dict[str, Any] = {"state": int(info.state)}
            for method, _field in SESSION_STATISTICS:
                values[method] = await getattr(session, method)()
            rows.append((session, values))
        console.print(sessions_table(args.agent, rows))
    return 0


def _run_sessions(args: argparse.Namespace, console: Console) -> int:
    return trio.run(_sessions, args, console)


# --- watch ----------------------------------------------------------------------------------------------


def describe_event(record: Any, device_of: Callable[[int], int | None]) -> Text:
    """One event as a line of text: wall time, line, what happened."""
    stamp = dt.datetime.now().strftime("%H:%M:%S.%f")[:-3]
    if isinstance(record, AgentSessionStatusEvent):
        device = device_of(record.hdevice)
        bits = AgentSessionStatus(int(record.status) & 0x7)
        names = "|".join(b.name for b in AgentSessionStatus if b in bits and b.name) or hex(int(record.status))
        text = Text(f"{stamp}  line {device}  LINE_AGENTSESSIONSTATUS  hAgentSession {record.hagent_session}  {names}")
        if AgentSessionStatus.STATE in bits:
            state = int(record.state)
            try:
                label = AgentSessionState(state).name
            except ValueError:
                label = hex(state)
            text.append("  -> ")
            text.append(label, style=STATE_STYLE.get(state, ""))
        return text
    msg = getattr(record, "msg", None)
    try:
        name = f"LINE_{LineMsg(msg).name}" if msg is not None else type(record).__name__
    except ValueError:
        name = f"Msg {msg}"
    params = ", ".join(f"{p}={getattr(record, p)}" for p in ("param1", "param2", "param3", "param4") if hasattr(record, p))
    return Text(f"{stamp}  {name}  {params}")


async def _watch(args: argparse.Namespace, console: Console) -> int:
    async with client.connect(args.host, args.port, request_timeout=args.timeout, app_name="tapi watch") as tapi:
        events = tapi.events()
        lines = [await tapi.open_line(n) for n in range(max(1, tapi.num_devs))]
        by_remote = {ln.hremote_line: ln.device_id for ln in lines}
        product = tapi.connection.server_hello.product if tapi.connection.server_hello else "?"
        console.print(
            f"watching {len(lines)} line(s) of {product!r} at {args.host}:{args.port} (Ctrl-C to stop)",
            style="dim",
        )
        seen = 0
        async with events:
            async for record in events:
                if isinstance(record, LineReply):
                    continue
                console.print(describe_event(record, by_remote.get))
                seen += 1
                if args.count is not None and seen >= args.count:
                    break
    return 0


def _run_watch(args: argparse.Namespace, console: Console) -> int:
    async def main() -> int:
        async with trio.open_nursery() as nursery:
            result = [0]

            async def stop_on_signal() -> None:
                with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                    async for _ in signals:
                        nursery.cancel_scope.cancel()
                        return

            async def run() -> None:
                result[0] = await _watch(args, console)
                nursery.cancel_scope.cancel()

            if _main_thread():
                nursery.start_soon(stop_on_signal)
            nursery.start_soon(run)
        return result[0]

    with contextlib.suppress(KeyboardInterrupt):
        return trio.run(main)
    return 0  # pragma: no cover


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


# --- entry point ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Console script ``tapi``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    console = _console()
    where = f"{getattr(args, 'host', '?')}:{getattr(args, 'port', '?')}"
    try:
        return int(args.run(args, console))
    except KeyboardInterrupt:
        return 130
    except (TapiError, BaseExceptionGroup) as raised:
        exc = _tapi_error_in(raised)
        if exc is None:
            raise
    if isinstance(exc, ConnectionLostError):
        if exc.reason.startswith("cannot connect"):
            _fail(f"the emulator is not there: {exc.reason} (start it with `python -m tsp --port {args.port}`)")
        else:
            _fail(f"lost the connection to {where}: {exc.reason}")
    else:
        _fail(str(exc))
    return 1


def _tapi_error_in(exc: BaseException) -> TapiError | None:
    """The TapiError itself, or the first one inside (nested) exception groups."""
    if isinstance(exc, TapiError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _tapi_error_in(inner)
            if found is not None:
                return found
    return None


def _fail(message: str) -> None:
    print(f"tapi: {message}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
