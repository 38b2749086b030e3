"""The emulator's control extension (wire-protocol §3, Req_Func 1000+) as ``tapi.control``.

::

    async with client.connect(host, port) as tapi:      # server: python -m tsp --clock manual --control
        await tapi.control.advance(30)                   # 30 s of switch time pass; everything due happens
        call_id = await tapi.control.offer_call("Sales", talk=120)   # a call arrives at Sales' queue now
        now = await tapi.control.clock(["1001"])         # switch time, read from a live session

``advance`` is EmuAdvanceClock (1000) and ``offer_call`` EmuOfferCall (1001). A server that does not
serve them answers LINEERR_OPERATIONUNAVAIL; the client turns that into :class:`ControlRefusedError`
(a :class:`~client.errors.LineError`) whose ``reason`` says why: the server was started without
``--control`` (:data:`NO_CONTROL`), or its clock is not the manual one (:data:`NOT_MANUAL`, advance only).
The two cases answer the same code on the wire, so after a refused advance the client asks once more
with an EmuOfferCall for the nil GUID, which no group has: a control-serving server refuses that with
LINEERR_INVALAGENTGROUP (no call is offered), one without control with OPERATIONUNAVAIL again.

``clock`` reads the switch's time. The protocol has no function that returns it (the control extension
included), but every live session states it: ``dateSessionStartTime + dwSessionDuration`` of a session
that has not ended is the switch's "now", floored to the second (the wallboard reads it the same way). So
``clock`` needs the IDs (and PINs) of agents that have a live session; it raises a TapiError saying so
when none has. Like any CreateAgent, naming an agent the switch does not know creates it.
"""

from __future__ import annotations

import datetime as _dt
import uuid
from collections.abc import Iterable
from typing import Any

from client import args as _args
from client.errors import ControlRefusedError, LineError, TapiError, invalid_argument
from client.interfaces import TapiLike
from client.line import Line
from client.objects import ITACDGroup
from protocol import messages as m
from protocol.constants import AgentSessionState, HResult, LineErr, ReqFunc


#: ``ControlRefusedError.reason``: the server does not serve the control extension (no ``--control``).
NO_CONTROL = "no control"
#: ``ControlRefusedError.reason``: EmuAdvanceClock needs the manual clock (``--clock manual``).
NOT_MANUAL = "not a manual clock"

#: Longest single advance: EmuAdvanceClock carries the seconds as a u32.
MAX_ADVANCE = float(0xFFFFFFFF)

_ENDED = (AgentSessionState.ENDED, AgentSessionState.RELEASED)


class Control:
    """``tapi.control``: drive an emulator started with ``--control`` (see the module docstring)."""

    def __init__(self, tapi: TapiLike) -> None:
        self._tapi = tapi

    def __repr__(self) -> str:
        return f"<Control of {self._tapi!r}>"

    async def advance(self, seconds: float, *, timeout: float | None = None) -> None:
        """EmuAdvanceClock: move the manual clock ``seconds`` forward (ms resolution); everything due in that
        interval happens, in time order, before this returns. ``timeout`` defaults to the connection's
        request timeout; a long advance on a busy switch may need more."""
        seconds = _args.duration(seconds, "seconds")
        if seconds > MAX_ADVANCE:
            raise invalid_argument(f"seconds must be at most {MAX_ADVANCE:g} per advance, got {seconds!r}")
        whole = int(seconds)
        millis = round((seconds - whole) * 1000)
        if millis == 1000:
            whole, millis = whole + 1, 0
        body = m.EmuAdvanceClock(seconds=whole, milliseconds=millis)
        try:
            await self._tapi.connection.call_sync(body, timeout=self._timeout(timeout))
        except LineError as exc:
            if exc.lineerr is not LineErr.OPERATIONUNAVAIL:
                raise
            reason = await self._why_refused()
            raise ControlRefusedError(ReqFunc.EMU_ADVANCECLOCK, reason) from None

    async def offer_call(
        self, group: ITACDGroup | uuid.UUID | str, *, talk: int = 0, timeout: float | None = None
    ) -> int:
        """EmuOfferCall: a call arrives at ``group``'s queue now and talks ``talk`` whole seconds once
        answered; returns its call ID. ``group``: an ITACDGroup, a GUID, or a group name as in the group
        list (looked up on line 0)."""
        talk = _args.u32(talk, "talk")
        group_id = await self._group_id(group)
        body = m.EmuOfferCall(group_id=group_id, talk_seconds=talk)
        try:
            response = await self._tapi.connection.call_sync(body, timeout=self._timeout(timeout))
        except LineError as exc:
            if exc.lineerr is LineErr.OPERATIONUNAVAIL:
                raise ControlRefusedError(ReqFunc.EMU_OFFERCALL, NO_CONTROL) from None
            raise
        return int(response.body.call_id)

    async def clock(
        self, agents: Iterable[str | tuple[str, str | None]], *, line: Line | None = None
    ) -> _dt.datetime:
        """The switch's time (aware UTC datetime, floored to the second), read from the live sessions of
        ``agents`` (agent IDs, or ``(agent ID, PIN)`` pairs) through ``line`` (default: line 0)."""
        wanted = _agent_list(agents)
        if line is None:
            line = await self._line0()
        elif not isinstance(line, Line):
            raise invalid_argument(f"line must be an open client.Line or None, got {_args.show(line)}")
        latest: _dt.datetime | None = None
        for agent_id, pin in wanted:
            agent = await line.create_agent(agent_id, pin)
            for session in (await line.get_agent_session_list(agent)).entries:
                info = await line.get_agent_session_info(session.hagent_session)
                if int(info.state) in _ENDED:
                    continue
                now = info.session_start_time + _dt.timedelta(seconds=info.session_duration)
                if latest is None or now > latest:
                    latest = now
        if latest is None:
            names = ", ".join(agent_id for agent_id, _ in wanted)
            raise TapiError(
                HResult.E_FAIL,
                f"cannot read the switch time: none of the agents {names} has a live session (the protocol"
                " states the switch's clock only through live sessions)",
            )
        return latest

    # -- helpers

    def _timeout(self, timeout: Any) -> float:
        checked = _args.timeout(timeout)
        return self._tapi.request_timeout if checked is None else checked

    async def _why_refused(self) -> str:
        probe = m.EmuOfferCall(group_id=uuid.UUID(int=0), talk_seconds=0)
        try:
            await self._tapi.connection.call_sync(probe, timeout=self._tapi.request_timeout)
        except LineError as exc:
            return NO_CONTROL if exc.lineerr is LineErr.OPERATIONUNAVAIL else NOT_MANUAL
        return NOT_MANUAL  # pragma: no cover - no group has the nil GUID

    async def _line0(self) -> Line:
        lines = self._tapi.lines
        return lines[0] if lines else await self._tapi.open_line(0)

    async def _group_id(self, group: Any) -> uuid.UUID:
        if isinstance(group, ITACDGroup):
            return group.group_id
        if isinstance(group, uuid.UUID):
            return group
        _args.text(group, "group")
        try:
            return uuid.UUID(group)
        except ValueError:
            pass
        groups = (await (await self._line0()).get_group_list()).entries
        for entry in groups:
            if entry.name.casefold() == group.casefold():
                return entry.group_id
        known = ", ".join(repr(entry.name) for entry in groups) or "none"
        raise invalid_argument(f"group {_args.show(group)} is neither a GUID nor a group name (groups: {known})")


def _agent_list(agents: Any) -> list[tuple[str, str | None]]:
    if isinstance(agents, (str, bytes)) or not isinstance(agents, Iterable):
        raise invalid_argument(f"agents must be a list of agent IDs or (ID, PIN) pairs, got {_args.show(agents)}")
    out: list[tuple[str, str | None]] = []
    for item in agents:
        if isinstance(item, tuple) and len(item) == 2:
            agent_id, pin = item
        else:
            agent_id, pin = item, None
        out.append((str(_args.text(agent_id, "agent ID")), _args.text(pin, "pin", optional=True)))
        if len(out) > 1000:
            raise invalid_argument("agents: more than 1000 agents")
    if not out:
        raise invalid_argument("agents must name at least one agent")
    return out


__all__ = ["MAX_ADVANCE", "NOT_MANUAL", "NO_CONTROL", "Control"]
