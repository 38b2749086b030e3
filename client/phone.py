"""``tapi phone --agent ID``: a terminal agent desktop on the public client API (wire-protocol §9).

It logs the agent's line in (CreateAgent, the agent's sessions), shows the session states and today's
figures (LINEAGENTSESSIONINFO of each session, LINEAGENTINFO), and the call on the line with the caller's
number (CIS_CALLERIDNUMBER) and the DNIS (CIS_CALLEDIDNUMBER) as TAPI3's events announce it. Keys:

====  ==========================================================================
a     answer the ringing call (ITBasicCallControl::Answer)
h     hang up (Disconnect; while ringing: reject, the call goes back to its queue)
o     hold / take back (Hold(True) / Hold(False))
t     blind transfer: type the extension, Enter (BlindTransfer); Esc cancels
r     ready (every session of the agent READY)
n     not ready (NOT_READY; during a call it applies when the call and wrap-up end)
q     quit
====  ==========================================================================

:class:`PhoneModel` is the screen's state (pure), :func:`render_phone` draws it with rich,
:class:`Phone` keeps it in step with the switch and turns keys into requests. ``python -m
tsp.phone_export FILE.svg`` makes the README picture on the embedded emulator (the client never imports
the emulator). Options: ``--host``, ``--port``, ``--agent ID[:PIN]`` (required), ``--line`` (the agent's
line device, default 0), ``--refresh`` (seconds between figure refreshes, default 1).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import io
import os
import sys
from pathlib import Path
from typing import Any

import attrs
import trio
from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

import client
from client import cliargs
from client.calls import Call, ITCallNotificationEvent, ITCallStateEvent
from client.errors import TapiError
from client.objects import asst_of
from protocol.constants import DEFAULT_PORT, AgentSessionStateASST, CallInfoString, LineCallState, Tapi3CallState

__all__ = ["KEYS", "Phone", "PhoneCall", "PhoneModel", "add_arguments", "main", "render_phone", "run_from_args",
           "save_svg"]

#: Key -> what it does (the help line shows them in this order).
KEYS: dict[str, str] = {"a": "answer", "h": "hang up", "o": "hold", "t": "transfer", "r": "ready",
                        "n": "not ready", "q": "quit"}
#: LINECALLSTATE_ -> the word the phone shows.
STATE_WORDS = {LineCallState.OFFERING: "RINGING", LineCallState.RINGBACK: "DIALLING",
               LineCallState.CONNECTED: "CONNECTED", LineCallState.ONHOLD: "ON HOLD",
               LineCallState.DISCONNECTED: "ENDED", LineCallState.IDLE: "IDLE"}
#: Figures of each session (LINEAGENTSESSIONINFO field, label).
FIGURES = (("number_of_calls", "calls"), ("total_talk_time", "talk s"), ("average_talk_time", "avg talk s"),
           ("total_wrap_up_time", "wrap-up s"), ("average_time_to_answer", "avg answer s"),
           ("longest_time_to_answer", "longest answer s"))
REFRESH = 1.0


@attrs.define
class PhoneCall:
    """The call on the line as the phone shows it."""

    call: Call
    line_state: int = 0
    caller: str = ""
    dnis: str = ""
    call_id: int = 0


@attrs.define
class PhoneModel:
    """What the screen shows; changed only by :class:`Phone`."""

    agent_id: str
    line: int = 0
    #: (group name, state name, {figure: value}) per session, oldest first.
    sessions: list[tuple[str, str, dict[str, int]]] = attrs.field(factory=list)
    outgoing_calls: int = 0
    call: PhoneCall | None = None
    typing: str | None = None  # the extension being typed after "t"
    status: str = ""
    log: collections.deque[str] = attrs.field(factory=lambda: collections.deque(maxlen=6))

    def note(self, text: str) -> None:
        self.log.append(text)
        self.status = text


def render_phone(model: PhoneModel) -> Panel:
    """The phone's frame: the call, the sessions with today's figures, the keys and the last messages."""
    call = model.call
    if call is None:
        head = Text("no call", style="dim")
    else:
        word = STATE_WORDS.get(call.line_state, f"state {call.line_state:#x}")
        style = {"RINGING": "bold black on yellow", "CONNECTED": "bold white on green",
                 "ON HOLD": "bold white on blue"}.get(word, "bold")
        head = Text.assemble((f" {word} ", style), "  from ", (call.caller or "unknown", "bold"),
                             "  to ", (call.dnis or "-", "bold"), f"   dwCallID {call.call_id}")
    table = Table(expand=True, title="today", title_justify="left")
    table.add_column("group")
    table.add_column("state")
    for _, label in FIGURES:
        table.add_column(label, justify="right")
    for group, state, figures in model.sessions:
        table.add_row(group, state, *(str(figures.get(name, 0)) for name, _ in FIGURES))
    keys = Text("  ".join(f"[{k}] {v}" for k, v in KEYS.items()), style="cyan")
    parts: list[Any] = [head, table, Text(f"outgoing calls: {model.outgoing_calls}"), keys]
    if model.typing is not None:
        parts.append(Text(f"transfer to extension: {model.typing}_", style="bold"))
    parts.extend(Text(line, style="dim") for line in model.log)
    return Panel(Group(*parts), title=f"agent {model.agent_id} - line {model.line}", title_align="left")


def save_svg(model: PhoneModel, path: str | Path, *, width: int = 100) -> None:
    """One frame as SVG (rich's own export), as the wallboard's picture is made."""
    console = Console(record=True, width=width, file=io.StringIO(), force_terminal=True, color_system="truecolor")
    console.print(render_phone(model))
    console.save_svg(str(path), title=f"tapi phone --agent {model.agent_id}")


class Phone:
    """Keeps a :class:`PhoneModel` in step with the switch for one agent on one line."""

    def __init__(self, tapi: Any, agent_id: str, pin: str | None = None, *, line: int = 0) -> None:
        self.tapi = tapi
        self.model = PhoneModel(agent_id, line)
        self.pin = pin
        self.line: Any = None
        self.agent: Any = None
        self.sessions: list[Any] = []
        self.group_names: dict[Any, str] = {}

    async def attach(self) -> None:
        """Open the line, find the agent and its sessions, read the figures."""
        self.line = await self.tapi.open_line(self.model.line)
        self.agent = await self.line.create_agent(self.model.agent_id, self.pin)
        self.group_names = {g.group_id: g.name for g in await self.line.acd_groups()}
        await self.refresh()
        for call in self.tapi.calls.calls():
            if call.line is self.line:
                await self.adopt(call)

    async def refresh(self) -> None:
        """Sessions (not ENDED) with their state and figures; the agent's outgoing calls."""
        sessions = await self.agent.EnumerateAgentSessions()
        rows = []
        kept = []
        for session in sessions:
            info = await session.refresh()
            state = asst_of(info.state).name
            if state == "SESSION_ENDED":
                continue
            kept.append(session)
            group = self.group_names.get(session.group.group_id, str(session.group.group_id)[:8])
            rows.append((group, state, {name: int(getattr(info, name)) for name, _ in FIGURES}))
        self.sessions = kept
        self.model.sessions = rows
        for call in self.tapi.calls.idle_calls():  # ended calls: free their hCalls
            if call.line is self.line:
                with contextlib.suppress(TapiError):
                    await self.line.deallocate_call(call)
        self.model.outgoing_calls = int((await self.line.get_agent_info(self.agent)).number_of_outgoing_calls)

    async def adopt(self, call: Call) -> None:
        """Show ``call`` with its caller number and DNIS (GetCallInfo via ITCallInfo)."""
        shown = PhoneCall(call, call.line_state, call_id=call.call_id)
        self.model.call = shown
        with contextlib.suppress(TapiError):
            shown.caller = await call.get_CallInfoString(CallInfoString.CALLERIDNUMBER)
            shown.dnis = await call.get_CallInfoString(CallInfoString.CALLEDIDNUMBER)

    async def on_event(self, event: Any) -> None:
        """One TAPI3 call event of the connection."""
        call = await event.get_Call()
        if call.line is not self.line:
            return
        if isinstance(event, ITCallNotificationEvent):
            await self.adopt(call)
            self.model.note(f"new call {call.call_id} (hCall {call.handle})")
        elif isinstance(event, ITCallStateEvent):
            shown = self.model.call
            if shown is None or shown.call is not call:
                if event.state is Tapi3CallState.DISCONNECTED:
                    return
                await self.adopt(call)
                shown = self.model.call
            assert shown is not None
            shown.line_state = event.line_state
            if event.state is Tapi3CallState.DISCONNECTED:
                self.model.note(f"call {call.call_id} ended ({event.cause.name.lower()})")
                self.model.call = None
            else:
                self.model.note(f"call {call.call_id}: {STATE_WORDS.get(event.line_state, event.line_state)}")

    async def key(self, key: str) -> bool:
        """Do what ``key`` means (see :data:`KEYS`); False for quit. A refusal is shown, not raised."""
        model = self.model
        if model.typing is not None:
            if key in ("\r", "\n"):
                extension, model.typing = model.typing, None
                return await self._do("transfer", lambda c: c.BlindTransfer(extension))
            if key == "\x1b":
                model.typing = None
            elif key in ("\x7f", "\b"):
                model.typing = model.typing[:-1]
            elif key.isprintable():
                model.typing += key
            return True
        if key == "q":
            return False
        if key == "a":
            return await self._do("answer", lambda c: c.Answer())
        if key == "h":
            return await self._do("hang up", lambda c: c.Disconnect())
        if key == "o":
            held = model.call is not None and model.call.line_state == LineCallState.ONHOLD
            return await self._do("take back" if held else "hold", lambda c: c.Hold(not held))
        if key == "t":
            if model.call is None:
                model.note("transfer: no call")
            else:
                model.typing = ""
            return True
        if key in ("r", "n"):
            state = AgentSessionStateASST.READY if key == "r" else AgentSessionStateASST.NOT_READY
            try:
                for session in self.sessions:
                    await session.put_State(state)
                model.note(f"{state.name} requested")
            except TapiError as exc:
                model.note(f"{state.name}: {exc}")
            await self.refresh()
        return True

    async def _do(self, what: str, action: Any) -> bool:
        shown = self.model.call
        if shown is None:
            self.model.note(f"{what}: no call")
            return True
        try:
            await action(shown.call)
            self.model.note(f"{what}: done")
        except TapiError as exc:
            self.model.note(f"{what}: {exc}")
        return True

    async def run_events(self, changed: Any) -> None:
        """Follow the call events until the connection ends; ``changed()`` after each."""
        async with self.tapi.call_events() as events:
            async for event in events:
                await self.on_event(event)
                changed()


# --- the terminal -----------------------------------------------------------------------------------------


async def _keys(send: Any) -> None:
    """Keys from stdin (one at a time on a terminal, in cbreak mode) into the ``send`` channel."""
    fd = sys.stdin.fileno()
    restore = None
    if os.isatty(fd):
        import termios
        import tty

        restore = termios.tcgetattr(fd)
        tty.setcbreak(fd)
    try:
        stream = trio.lowlevel.FdStream(os.dup(fd))
        async with stream:
            while True:
                data = await stream.receive_some(64)
                if not data:
                    await send.send("q")
                    return
                for char in data.decode("utf-8", "replace"):
                    await send.send(char)
    finally:
        if restore is not None:
            import termios

            termios.tcsetattr(fd, termios.TCSADRAIN, restore)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``tapi phone``'s options."""
    parser.add_argument("--host", default="127.0.0.1", help="emulator host (default 127.0.0.1)")
    parser.add_argument("--port", type=cliargs.port, default=DEFAULT_PORT,
                        help=f"emulator port, 1..65535 (default {DEFAULT_PORT})")
    parser.add_argument("--agent", required=True, metavar="ID[:PIN]", help="the agent whose phone this is")
    parser.add_argument("--line", type=cliargs.int_at_least(0, 0xFFFFFFFF), default=0,
                        help="the agent's line device (default 0)")
    parser.add_argument("--refresh", type=cliargs.seconds(zero_ok=False), default=REFRESH,
                        help=f"seconds between figure refreshes (default {REFRESH:g})")


def run_from_args(args: argparse.Namespace) -> int:
    """Run the phone until ``q``, end of input or the connection's end; the exit status."""
    agent_id, sep, pin = args.agent.partition(":")
    if not agent_id:
        print(f"tapi phone: --agent {args.agent!r}: the agent ID is empty", file=sys.stderr)
        return 2
    console = Console()

    async def main() -> int:
        async with client.connect(args.host, args.port) as tapi:
            phone = Phone(tapi, agent_id, pin if sep else None, line=args.line)
            await phone.attach()
            with Live(render_phone(phone.model), console=console, auto_refresh=False, transient=False) as live:
                def changed() -> None:
                    live.update(render_phone(phone.model), refresh=True)

                send, receive = trio.open_memory_channel[str](64)
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(phone.run_events, changed)
                    nursery.start_soon(_keys, send)

                    async def tick() -> None:
                        while True:
                            await trio.sleep(args.refresh)
                            with contextlib.suppress(TapiError):
                                await phone.refresh()
                            changed()

                    nursery.start_soon(tick)
                    async for key in receive:
                        if not await phone.key(key):
                            break
                        changed()
                    nursery.cancel_scope.cancel()
        return 0

    try:
        with contextlib.suppress(KeyboardInterrupt):
            return trio.run(main)
    except TapiError as exc:
        print(f"tapi phone: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m client.phone``."""
    parser = cliargs.Parser(prog="python -m client.phone", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    return run_from_args(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
