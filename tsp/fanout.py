"""Event fan-out: every model event (a LINE_AGENTSESSIONSTATUS) goes to each connection that has the
session's line device open, as one record per open hLine, and then to the observers (the embedded API
and tests). Pure: records go into a :class:`tsp.batch.Batch`.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Iterable

from protocol import fastpath
from protocol import messages as m
from protocol.constants import AgentSessionStatus
from tsp.batch import Batch
from tsp.model import SessionEvent
from tsp.registry import Registry

__all__ = ["EventFanOut"]

log = logging.getLogger("tsp.switch")

_session_status = fastpath.constructor(
    m.AgentSessionStatusEvent, ("init_context", "hdevice", "open_context", "hagent_session", "status", "state")
)
_STATE = AgentSessionStatus.STATE


class EventFanOut:
    """Sends model events to the lines watching their device (``registry``) and to ``observers``."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        #: Called with every model event (after fan-out); the embedded API and tests may observe them.
        self.observers: list[Callable[[SessionEvent], None]] = []
        #: The §8 events (tsp/agent_events.py): every model event goes there too, flushed after each fan-out.
        self.acd: Any = None

    def fan_out(self, events: Iterable[SessionEvent], batch: Batch) -> None:
        watchers = self.registry.watchers
        acd = self.acd
        for ev in events:
            if acd is not None:
                acd.event(ev)
            if type(ev) is not SessionEvent:
                continue  # the §8 events are acd's (CallEvent: wire-protocol §9.1, not sent from here)
            if ev.status & _STATE:
                log.info("session %d on line %d -> %s", ev.hagent_session, ev.line, ev.state.name)
            else:
                log.debug("session %d on line %d: %s", ev.hagent_session, ev.line, ev.status)
            state = int(ev.state) if ev.status & _STATE else 0
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
