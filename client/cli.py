"""The ``tapi`` command: look at an emulated switch from the command line.

- ``tapi sessions --agent ID [--pin PIN]``: every session of the agent with all twelve ITAgentSession
  statistics, as a table (one column per session, one row per TAPI3 getter).
- ``tapi watch``: opens every line and prints each event as it comes (Ctrl-C to stop).
- ``tapi phone --agent ID``: a terminal agent desktop (:mod:`client.phone`).
- ``tapi wallboard``: the live wallboard (:mod:`client.wallboard_app`), when installed.
- ``tapi clock``: the switch's time (read from live sessions of the scenario's agents, see
  :meth:`client.control.Control.clock`).
- ``tapi advance SECONDS`` / ``tapi offer GROUP --talk S``: the control extension (EmuAdvanceClock,
  EmuOfferCall); the server must run with ``--control`` (and ``--clock manual`` for ``advance``).

``--host/--port`` say where the emulator is (default 127.0.0.1:5038); ``--timeout`` bounds connecting
(TCP, HELLO, Initialize) and every request. Exit status: 0 on success, 1 when the emulator is not there,
does not answer in time, the connection is lost, the switch refuses a request or there is nothing to show
(with a one-line message on stderr naming what failed), 2 for bad arguments (one line on stderr).
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
from client.cliargs import Parser, int_at_least, port, seconds
from client.connecting import CONNECT_TIMEOUT
from client.control import NO_CONTROL
from client.errors import ConnectionLostError, ConnectTimeoutError, ControlRefusedError, TapiError
from client.objects import REQUEST_TIMEOUT, SESSION_STATISTICS, SESSION_STATE_TO_ASST
from protocol import AgentSessionStatusEvent, LineReply
from protocol.agent_events import typed_agent_record
from protocol.call_events import AppNewCallEvent, CallStateEvent, typed_call_record
from protocol.constants import DEFAULT_PORT, AgentSessionState, AgentSessionStatus, LineCallState, LineMsg
from protocol.version import __version__

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
    parser.add_argument("--port", type=port, default=DEFAULT_PORT,
                        help=f"emulator port, 1..65535 (default {DEFAULT_PORT})")
    parser.add_argument(
        "--timeout", type=seconds(zero_ok=False), default=None, metavar="SECONDS",
        help="give up on connecting (TCP, HELLO, Initialize) and on each request after this long "
             f"(default {CONNECT_TIMEOUT:g} for connecting, {REQUEST_TIMEOUT:g} - TAPI3's two minutes - per request)",
    )


def _connect(args: argparse.Namespace, **kwargs: Any) -> Any:
    """``client.connect`` with the connection options: ``--timeout`` bounds connecting and each request."""
    return client.connect(
        args.host, args.port,
        request_timeout=REQUEST_TIMEOUT if args.timeout is None else args.timeout,
        connect_timeout=CONNECT_TIMEOUT if args.timeout is None else args.timeout,
        app_name=f"tapi {args.command}", **kwargs,
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``tapi`` argument parser (sessions, watch, clock, advance, offer and, if available, wallboard)."""
    parser = Parser(prog="tapi", description="Look at a TAPI emulator through the client library.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sessions = sub.add_parser("sessions", help="print every session of an agent with its statistics")
    _add_connection_args(sessions)
    sessions.add_argument("--agent", required=True, metavar="ID", help="agent ID (as in the scenario)")
    sessions.add_argument("--pin", default=None, help="the agent's PIN, if it has one")
    sessions.add_argument("--line", type=int_at_least(0, 0xFFFFFFFF), default=0,
                          help="line device to ask through (default 0)")
    sessions.set_defaults(run=_run_sessions)

    watch = sub.add_parser("watch", help="print events as they come (opens every line)")
    _add_connection_args(watch)
    watch.add_argument("--count", type=int_at_least(1), default=None, metavar="N",
                       help="stop after N events (N >= 1; default: until Ctrl-C)")
    watch.set_defaults(run=_run_watch)

    clock = sub.add_parser("clock", help="print the switch's time (read from live agent sessions)")
    _add_connection_args(clock)
    clock.add_argument("--agent", action="append", default=[], metavar="ID[:PIN]",
                       help="read the time from this agent's live sessions (repeatable; default: the agents of "
                            "--scenario, else of the emulator's built-in scenario)")
    clock.add_argument("--scenario", metavar="FILE", help="scenario file to take agent IDs and PINs from")
    clock.set_defaults(run=_run_control)

    advance = sub.add_parser("advance", help="advance the manual switch clock (needs --clock manual --control)")
    _add_connection_args(advance)
    advance.add_argument("seconds", type=seconds(zero_ok=True), metavar="SECONDS",
                         help="switch seconds to let pass (>= 0, millisecond resolution)")
    advance.set_defaults(run=_run_control)

    offer = sub.add_parser("offer", help="offer a call to an ACD group's queue now (needs --control)")
    _add_connection_args(offer)
    offer.add_argument("group", metavar="GROUP", help="the group's name (as in the group list) or GUID")
    offer.add_argument("--talk", type=int_at_least(0, 0xFFFFFFFF), default=60, metavar="S",
                       help="whole seconds the call talks once answered (default 60)")
    offer.set_defaults(run=_run_control)

    from client import phone

    phone_parser = sub.add_parser("phone", help="terminal agent desktop: the agent's calls and figures, keys to answer, hold, transfer")
    phone.add_arguments(phone_parser)
    phone_parser.set_defaults(run=lambda args, console: phone.run_from_args(args))
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


def switch_time_note(switch_now: dt.datetime | None) -> str:
    """The line under the sessions table: its times are switch time, and the switch's "now" if known."""
    now = f"switch time now {_fmt(switch_now)}" if switch_now is not None else "no live session states the switch time"
    return f"times above are switch time (UTC), not this machine's clock; {now}"


def sessions_table(agent_id: str, rows: list[tuple[client.ITAgentSession, dict[str, Any]]]) -> Table:
    """The table ``tapi sessions`` prints: one column per session, one row per ITAgentSession getter.

    Every time in it is switch time (UTC); :func:`switch_time_note` says so under the table."""
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
    async with _connect(args, cached=True) as tapi:
        line = await tapi.open_line(args.line)
        agent = await line.create_agent(args.agent, args.pin)
        sessions = await agent.EnumerateAgentSessions()
        if not sessions:
            _fail(f"agent {args.agent!r} has no sessions on {args.host}:{args.port} (is the agent ID right? "
                  "CreateAgent accepts any ID: one the switch does not know is a new agent without sessions)")
            return 1
        rows = []
        switch_now: dt.datetime | None = None
        for session in sessions:
            info = await session.refresh()  # one round trip; the getters below answer from it (cached mode)
            values: dict[str, Any] = {"state": int(info.state)}
            for method, _field in SESSION_STATISTICS:
                values[method] = await getattr(session, method)()
            rows.append((session, values))
            if int(info.state) not in (AgentSessionState.ENDED, AgentSessionState.RELEASED):
                now = info.session_start_time + dt.timedelta(seconds=info.session_duration)
                switch_now = now if switch_now is None else max(switch_now, now)
        console.print(sessions_table(args.agent, rows))
        console.print(switch_time_note(switch_now), highlight=False)
    return 0


def _run_sessions(args: argparse.Namespace, console: Console) -> int:
    return trio.run(_sessions, args, console)


# --- watch ----------------------------------------------------------------------------------------------


def describe_event(record: Any, device_of: Callable[[int], int | None]) -> Text:
    """One event as a line of text: when it arrived (this machine's local time, labelled ``local``: events
    carry no switch time), line, what happened."""
    stamp = dt.datetime.now().strftime("%H:%M:%S.%f")[:-3] + " local"
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
    acd = typed_agent_record(record)
    if acd is not None:  # wire-protocol §8: name the object and the bits
        msg_name = f"LINE_{LineMsg(acd.MSG).name}"
        device = device_of(acd.hdevice)
        what = {"hagent": "hAgent", "queue_id": "queue", "address_id": "address"}
        subject = next((f"{label} {getattr(acd, field)}" for field, label in what.items() if hasattr(acd, field)), "")
        state = f"  -> {int(acd.state):#x}" if getattr(acd, "state", 0) else ""
        return Text(f"{stamp}  line {device}  {msg_name}  {subject}  bits {int(acd.status):#x}{state}".replace("    ", "  "))
    call = typed_call_record(record)
    if isinstance(call, AppNewCallEvent):
        return Text(f"{stamp}  line {device_of(call.hdevice)}  LINE_APPNEWCALL  hCall {call.h_call}"
                    f"  dwCallID {call.call_id}  address {call.address_id}")
    if isinstance(call, CallStateEvent):
        try:
            state = LineCallState(int(call.state)).name
        except ValueError:
            state = hex(int(call.state))
        return Text(f"{stamp}  line {device_of(call.hremote_line)}  LINE_CALLSTATE  hCall {call.h_call}  {state}"
                    f"  mode {int(call.state_mode):#x}")
    msg = getattr(record, "msg", None)
    try:
        name = f"LINE_{LineMsg(msg).name}" if msg is not None else type(record).__name__
    except ValueError:
        name = f"Msg {msg}"
    params = ", ".join(f"{p}={getattr(record, p)}" for p in ("param1", "param2", "param3", "param4") if hasattr(record, p))
    return Text(f"{stamp}  {name}  {params}")


async def _watch(args: argparse.Namespace, console: Console) -> int:
    async with _connect(args) as tapi:
        events = tapi.events()
        lines = [await tapi.open_line(n) for n in range(max(1, tapi.num_devs))]
        by_remote = {ln.hremote_line: ln.device_id for ln in lines}
        product = tapi.connection.server_hello.product if tapi.connection.server_hello else "?"
        console.print(
            f"watching {len(lines)} line(s) of {product!r} at {args.host}:{args.port} (Ctrl-C to stop); "
            "times are when each event arrived, on this machine's local clock (events carry no switch time)",
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


# --- control: clock, advance, offer --------------------------------------------------------------------


def _clock_agents(args: argparse.Namespace) -> list[tuple[str, str | None]]:
    if args.agent:
        out = []
        for spec in args.agent:
            agent_id, sep, pin = spec.partition(":")
            if not agent_id:
                raise _UsageError(f"argument --agent: the agent ID is empty in {spec!r}")
            out.append((agent_id, pin if sep else None))
        return out
    from client import wallboard_app  # the scenario readers live with the wallboard

    try:
        if args.scenario:
            roster = wallboard_app.Roster.from_scenario_text(
                _read_text(args.scenario), args.scenario
            )
        else:
            roster = wallboard_app.default_roster()
    except ValueError as exc:
        raise _UsageError(f"argument --scenario: {exc}") from None
    if not roster.agents:
        raise _UsageError("no agents to read the switch time from: give --agent ID or a --scenario with agents")
    return [(a.agent_id, a.pin) for a in roster.agents]


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as exc:
        raise _UsageError(f"argument --scenario: cannot read {path}: {exc.strerror}") from None


class _UsageError(Exception):
    """A bad argument found after parsing (exit 2, one line)."""


async def _control(args: argparse.Namespace, console: Console) -> int:
    agents = _clock_agents(args) if args.command == "clock" else []
    async with _connect(args) as tapi:
        if args.command == "clock":
            now = await tapi.control.clock(agents)
            console.print(f"switch time {_fmt(now)}", highlight=False)
        elif args.command == "advance":
            await tapi.control.advance(args.seconds)
            console.print(f"advanced the switch clock by {args.seconds:g} s", highlight=False)
        else:
            call_id = await tapi.control.offer_call(args.group, talk=args.talk)
            console.print(f"offered call {call_id} to {args.group} (talk {args.talk} s)", highlight=False)
    return 0


def _run_control(args: argparse.Namespace, console: Console) -> int:
    return trio.run(_control, args, console)


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
    except _UsageError as usage:
        print(f"tapi {args.command}: {usage} (see tapi {args.command} --help)", file=sys.stderr)
        return 2
    except (TapiError, BaseExceptionGroup) as raised:
        exc = _tapi_error_in(raised)
        if exc is None:
            raise
    if isinstance(exc, ConnectTimeoutError):
        _fail(f"no TAPI server answering at {where}: still waiting for the {exc.waiting_for} after "
              f"{exc.seconds:g} s (--timeout); is that the emulator's port?")
    elif isinstance(exc, ControlRefusedError):
        if exc.reason == NO_CONTROL:
            _fail(f"{where} refuses control: the server was not started with --control")
        else:
            _fail(f"{where} refuses to advance its clock: it is not a manual clock (start it with --clock manual --control)")
    elif isinstance(exc, ConnectionLostError):
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
