"""Event fan-out: every model event goes to each connection that has the event's line device open, as
records per open hLine, and then to the observers (the embedded API and tests). Pure: records go into a
:class:`tsp.batch.Batch`.

* :class:`~tsp.values.SessionEvent` -> LINE_AGENTSESSIONSTATUS (wire-protocol §2);
* :class:`~tsp.values.CallEvent` -> the call events of wire-protocol §9.1 (:meth:`EventFanOut.call_event`):
  a line (negotiated >= 2.0) without an hCall for the call gets one (tsp/registry.py) and a
  LINE_APPNEWCALL, immediately followed by the LINE_CALLSTATE, in MS-TRP's placement (state mode at
  offset 8, hDevice = the hCall, Param1 state, Param2 OWNER, Param3 INTERACTIVEVOICE, Param4 hRemoteLine).
  A DISCONNECTED or IDLE call a line has no hCall for is not announced to it;
* the §8 agent and queue events go to ``acd`` (tsp/agent_events.py), which sends them after each fan-out.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Iterable

from protocol import fastpath
from protocol import messages as m
from protocol.call_constants import CallPrivilege, MediaMode
from protocol.call_events import AppNewCallEvent, CallStateEvent
from protocol.constants import AgentSessionStatus
from tsp.batch import Batch
from tsp.calls import wire_state
from tsp.errors import SwitchError
from tsp.model import SessionEvent
from tsp.registry import Registry
from tsp.values import CallEvent, CallState

__all__ = ["EventFanOut"]

log = logging.getLogger("tsp.switch")

_session_status = fastpath.constructor(
    m.AgentSessionStatusEvent, ("init_context", "hdevice", "open_context", "hagent_session", "status", "state")
)
_STATE = int(AgentSessionStatus.STATE)


class EventFanOut:
    """Sends model events to the lines watching their device (``registry``) and to ``observers``."""

    def __init__(self, registry: Registry, model: Any = None) -> None:
        self.registry = registry
        #: The switch (for a call's info and the time); None: call events get no time and no info cache.
        self.model = model
        #: Called with every model event (after fan-out); the embedded API and tests may observe them.
        self.observers: list[Callable[[SessionEvent], None]] = []
        #: The §8 events (tsp/agent_events.py): every model event goes there too, flushed after each fan-out.
        self.acd: Any = None

    def fan_out(self, events: Iterable[SessionEvent], batch: Batch) -> None:
        watchers = self.registry.watchers
        acd = self.acd
        take = acd.event if acd is not None else None
        info = log.isEnabledFor(logging.INFO)
        for ev in events:
            if take is not None:
                take(ev)
            if type(ev) is not SessionEvent:
                if type(ev) is CallEvent:
                    self.call_event(ev, batch)
                continue  # AgentEvent / QueueEvent: sent by acd (tsp/agent_events.py, §8.1); observers see session events
            changed = int(ev.status) & _STATE  # int(): an IntFlag's own & is Python code
            if info:
                if changed:
                    log.info("session %d on line %d -> %s", ev.hagent_session, ev.line, ev.state.name)
                else:
                    log.debug("session %d on line %d: %s", ev.hagent_session, ev.line, ev.status)
            state = int(ev.state) if changed else 0
            for line in watchers(ev.line):
                batch.record(
                    line.conn_id,
                    _session_status(
                        line.app.init_context, line.hremote_line, line.open_context, ev.hagent_session, ev.status, state
                    ),
                )
            for observer in self.observers:
                observer(ev)
        if acd is not None:
            acd.flush(batch)

    def call_event(self, ev: CallEvent, batch: Batch) -> None:
        """One call's new state on one line, to every line watching it (wire-protocol §9.1)."""
        if log.isEnabledFor(logging.INFO):
            log.info("call %d on line %d/%d -> %s", ev.call_id, ev.line, ev.address, ev.state.name)
        lines = [line for line in self.registry.watchers(ev.line) if line.api_version >= _CALL_VERSION]
        if not lines:  # nobody sees this line's calls: no info to fetch
            return
        state, mode = wire_state(ev.state, ev.end)
        model = self.model
        now = model.now if model is not None else 0.0
        info = None
        if model is not None and ev.state is not CallState.IDLE:
            try:
                info = model.call_info(ev.call_id)
            except SwitchError:
                info = None
        for line in lines:
            handle = line.calls.get(ev.call_id)
            if handle is None:
                if ev.state in (CallState.DISCONNECTED, CallState.IDLE):
                    continue
                handle = self.registry.add_call(line, ev.call_id, ev.address, ev.related_call_id)
                batch.record(line.conn_id, AppNewCallEvent(
                    init_context=line.app.init_context, hdevice=line.hremote_line, open_context=line.open_context,
                    address_id=ev.address, h_call=handle.handle, call_id=ev.call_id,
                    related_call_id=ev.related_call_id,
                ))
            handle.state, handle.state_mode, handle.state_since = state, mode, now
            if ev.state is CallState.CONNECTED:
                handle.answered = True
            if info is not None:
                handle.info = info
            batch.record(line.conn_id, CallStateEvent(
                init_context=line.app.init_context, state_mode=mode, h_call=handle.handle,
                open_context=line.open_context, state=state, privilege=_OWNER, media_mode=_VOICE,
                hremote_line=line.hremote_line,
            ))


#: Lines negotiated below this see no calls (MS-TRP: LINE_APPNEWCALL needs 2.0).
_CALL_VERSION = 0x00020000
_OWNER = int(CallPrivilege.OWNER)
_VOICE = int(MediaMode.INTERACTIVEVOICE)
