"""Connections and the handles they own: hLineApps, hLines, hCalls, and which lines watch which device.

Pure bookkeeping for :class:`tsp.switch.SwitchService` (no wire, no model): handles are allocated here
(hLineApp and hLine share one never-reused space), looked up with the LINEERR a wrong one gets
(:class:`tsp.errors.SwitchError`), capped per connection (``max_apps``, ``max_lines``) and across all
connections (``max_lines_total``), and forgotten when a line is closed, an hLineApp shut down or a
connection ends.

hCalls (wire-protocol §9.1): every line watching a call's device gets its own hCall for it (a
:class:`CallHandle`, from the same never-reused handle space), valid only on that line's connection,
until DeallocateCall, or the line's Close / ShutDown / the connection's end. The handle remembers the
call's last state on that line, so GetCallStatus still answers IDLE after the switch forgot the call.
"""

from __future__ import annotations

import itertools
import logging
from typing import Iterable

import attrs

from protocol.constants import API_VERSION_AGENT, LineErr
from tsp.errors import SwitchError

__all__ = ["App", "Line", "Conn", "Registry", "CallHandle"]

log = logging.getLogger("tsp.switch")


@attrs.define(slots=True, eq=False)
class App:
    """One initialized hLineApp."""

    handle: int
    conn_id: int
    init_context: int
    lines: set[int] = attrs.field(factory=set)


@attrs.define(slots=True, eq=False)
class Line:
    """One open hLine (its app's init context and its own open context go into every event for it)."""

    handle: int
    conn_id: int
    app: App
    device_id: int
    api_version: int
    open_context: int
    hremote_line: int
    #: dwCallID -> this line's hCall for that call (wire-protocol §9.1).
    calls: dict[int, CallHandle] = attrs.field(factory=dict)


@attrs.define(slots=True, eq=False)
class CallHandle:
    """One hCall: a connection's handle of one call on one of its lines, and what it last saw of it."""

    handle: int
    line: Line
    call_id: int
    address_id: int
    related_call_id: int = 0
    #: The call's last LINECALLSTATE_ / state mode on this line and the switch time (s) it entered it.
    state: int = 0
    state_mode: int = 0
    state_since: float = 0.0
    #: The call was CONNECTED on this line at some point (LINECALLINFO ConnectedID).
    answered: bool = False
    #: The call's last values.CallInfo read from the model (kept for GetCallInfo after it went IDLE).
    info: object = None


@attrs.define(slots=True, eq=False)
class Conn:
    """One connection and the handles it holds."""

    conn_id: int
    peer: str
    apps: dict[int, App] = attrs.field(factory=dict)
    lines: dict[int, Line] = attrs.field(factory=dict)
    calls: dict[int, CallHandle] = attrs.field(factory=dict)


class Registry:
    """Every connection of one switch with its hLineApps and hLines. ``devices``: line devices 0..n-1."""

    def __init__(self, devices: int, *, max_apps: int = 64, max_lines: int = 1024, max_lines_total: int | None = None) -> None:
        self.devices = devices
        #: Per connection: hLineApps initialized and lines open at once; one more gets RESOURCEUNAVAIL.
        self.max_apps = max_apps
        self.max_lines = max_lines
        #: Lines all connections together may have open (None: no limit); one more Open gets RESOURCEUNAVAIL.
        self.max_lines_total = max_lines_total
        self.conns: dict[int, Conn] = {}
        self._apps: dict[int, App] = {}
        self._lines: dict[int, Line] = {}
        self._by_device: dict[int, dict[int, Line]] = {}
        self._conn_ids = itertools.count(1)
        self._handles = itertools.count(1)

    # --- connections -------------------------------------------------------------------------------

    def open_connection(self, peer: str = "") -> int:
        conn_id = next(self._conn_ids)
        self.conns[conn_id] = Conn(conn_id, peer)
        return conn_id

    def close_connection(self, conn_id: int) -> bool:
        """Forget a connection, its apps and lines; False if it was not registered."""
        conn = self.conns.pop(conn_id, None)
        if conn is None:
            return False
        for line in list(conn.lines.values()):
            self.drop_line(line)
        for app in conn.apps.values():
            self._apps.pop(app.handle, None)
        return True

    def conn(self, conn_id: int) -> Conn:
        return self.conns[conn_id]

    def sizes(self) -> dict[str, int]:
        return {
            "connections": len(self.conns),
            "apps": len(self._apps),
            "lines": len(self._lines),
            "calls": sum(len(c.calls) for c in self.conns.values()),
            "devices_watched": sum(1 for d in self._by_device.values() if d),
        }

    def lines_of(self, conn_id: int) -> dict[int, int]:
        conn = self.conns.get(conn_id)
        return {h: ln.device_id for h, ln in conn.lines.items()} if conn else {}

    def watchers(self, device_id: int) -> Iterable[Line]:
        """The open lines on ``device_id`` (every connection that gets its events)."""
        watching = self._by_device.get(device_id)
        return watching.values() if watching else ()

    # --- hLineApps ---------------------------------------------------------------------------------

    def add_app(self, conn: Conn, init_context: int) -> App:
        if len(conn.apps) >= self.max_apps:
            raise SwitchError(
                LineErr.RESOURCEUNAVAIL,
                f"this connection already has {len(conn.apps)} hLineApps initialized (max {self.max_apps});"
                " ShutDown one first",
            )
        app = App(next(self._handles), conn.conn_id, init_context)
        conn.apps[app.handle] = app
        self._apps[app.handle] = app
        return app

    def app(self, conn: Conn, happ: int) -> App:
        app = conn.apps.get(happ)
        if app is None:
            raise SwitchError(LineErr.INVALAPPHANDLE, f"hLineApp {happ} is not initialized on this connection")
        return app

    def drop_app(self, conn: Conn, app: App) -> list[Line]:
        """ShutDown: the app and its lines go; the lines dropped."""
        lines = [self._lines[h] for h in list(app.lines)]
        for line in lines:
            self.drop_line(line)
        del conn.apps[app.handle]
        self._apps.pop(app.handle, None)
        return lines

    # --- lines -------------------------------------------------------------------------------------

    def check_device(self, device_id: int) -> None:
        if not 0 <= device_id < self.devices:
            raise SwitchError(LineErr.BADDEVICEID, f"device ID {device_id} does not exist (0..{self.devices - 1})")

    def add_line(self, conn: Conn, app: App, device_id: int, api_version: int, open_context: int, hremote_line: int) -> Line:
        if len(conn.lines) >= self.max_lines:
            raise SwitchError(
                LineErr.RESOURCEUNAVAIL,
                f"this connection already has {len(conn.lines)} lines open (max {self.max_lines}); Close one first",
            )
        total = self.max_lines_total
        if total is not None and len(self._lines) >= total:
            log.warning(
                "conn %d: %d lines open across all connections (max %d, --max-lines-total); Open refused "
                "with RESOURCEUNAVAIL", conn.conn_id, len(self._lines), total,
            )
            raise SwitchError(
                LineErr.RESOURCEUNAVAIL, f"{len(self._lines)} lines open across all connections (max {total})"
            )
        line = Line(next(self._handles), conn.conn_id, app, device_id, api_version, open_context, hremote_line)
        conn.lines[line.handle] = line
        app.lines.add(line.handle)
        self._lines[line.handle] = line
        self._by_device.setdefault(device_id, {})[line.handle] = line
        log.debug("conn %d: line %d opened on device %d", conn.conn_id, line.handle, device_id)
        return line

    def line(self, conn: Conn, hline: int, agent_func: bool = True) -> Line:
        """The line ``hline`` of ``conn``; agent functions also need API >= 2.2 on it."""
        line = conn.lines.get(hline)
        if line is None:
            other = " (it belongs to another connection)" if hline in self._lines else ""
            raise SwitchError(LineErr.INVALLINEHANDLE, f"hLine {hline} is not open on this connection{other}")
        if agent_func and line.api_version < API_VERSION_AGENT:
            raise SwitchError(
                LineErr.OPERATIONUNAVAIL,
                f"hLine {hline} was opened with API version {line.api_version:#010x}; agent functions need >= 0x00020002",
            )
        return line

    # --- hCalls ------------------------------------------------------------------------------------

    def add_call(self, line: Line, call_id: int, address_id: int, related_call_id: int = 0) -> CallHandle:
        """This line's hCall for the call ``call_id`` (a new one the first time; the same one after)."""
        known = line.calls.get(call_id)
        if known is not None:
            return known
        call = CallHandle(next(self._handles), line, call_id, address_id, related_call_id)
        line.calls[call_id] = call
        conn = self.conns.get(line.conn_id)
        if conn is not None:
            conn.calls[call.handle] = call
        return call

    def call(self, conn: Conn, hcall: int) -> CallHandle:
        """The hCall ``hcall`` of ``conn``; LINEERR_INVALCALLHANDLE when it is not one of this connection's."""
        call = conn.calls.get(hcall)
        if call is None:
            raise SwitchError(
                LineErr.INVALCALLHANDLE,
                f"hCall {hcall} is not a call handle of this connection (never given, deallocated, its line"
                " closed, or another connection's)",
            )
        return call

    def drop_call(self, call: CallHandle) -> None:
        """DeallocateCall: the handle is invalid afterwards (its line gets a new one if the call comes back)."""
        conn = self.conns.get(call.line.conn_id)
        if conn is not None:
            conn.calls.pop(call.handle, None)
        if call.line.calls.get(call.call_id) is call:
            del call.line.calls[call.call_id]

    def drop_line(self, line: Line) -> None:
        conn = self.conns.get(line.conn_id)
        for call in list(line.calls.values()):
            self.drop_call(call)
        if conn is not None:
            conn.lines.pop(line.handle, None)
        line.app.lines.discard(line.handle)
        self._lines.pop(line.handle, None)
        watchers = self._by_device.get(line.device_id)
        if watchers is not None:
            watchers.pop(line.handle, None)
            if not watchers:
                del self._by_device[line.device_id]
