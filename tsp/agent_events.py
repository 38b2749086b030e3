"""The §8 events: the model's AgentEvent / QueueEvent as LINE_AGENTSTATUSEX / LINE_QUEUESTATUS, and
LINE_AGENTSTATUS from the TAPI 2.0 address view (wire-protocol §8.1, §8.2). Pure: records go into a
:class:`tsp.batch.Batch`; :class:`tsp.fanout.EventFanOut` hands it the events it does not send itself.

* Coalescing: the events of one fan-out (one request, or one instant of the clock) are merged per object
  - per hAgent, per queue, per address - with their bits OR-ed and the last state; one record each, in
  the order the objects first changed.
* LINE_AGENTSTATUSEX, LINE_QUEUESTATUS and LINE_GROUPSTATUS go to every connection that has a line open
  with API >= 2.2, once per connection, on its oldest such line (that line's contexts and hRemoteLine).
  The switch's groups and queues are the scenario's and never change while it runs, so NEWQUEUE,
  QUEUEREMOVED and LINE_GROUPSTATUS are never sent.
* LINE_AGENTSTATUS (Param1 = the address ID) goes to every line open with API >= 2.0 on the address's
  line. Its bits are the differences between the 2.0 view before and after (:func:`tsp.agent_view.status_bits`);
  the view of a line is compared whenever an event touches it: a session event on it, an event of an
  agent that works there (its sessions' lines, its home), or a 2.0 setter on it (:meth:`AcdEvents.touch`).
  So every change made through the 2.2 family reaches 2.0 applications and the other way round.
  Only the views of devices some 2.0 line watches are computed: a device nobody watches is not compared
  (its view is forgotten), and a line opening on such a device seeds its view first (:meth:`AcdEvents.watch`),
  so a watching line sees exactly the records it would see if every device's view were kept
  (:attr:`AcdEvents.every_view`, which ``tests/unit/test_agent_views.py`` compares byte for byte).
"""

from __future__ import annotations

import logging
from typing import Any, Iterable

from protocol.agent_events import AgentStatusEvent, AgentStatusExEvent, QueueStatusEvent
from protocol.constants import API_VERSION_AGENT, AgentStatus
from tsp import agent_view
from tsp.batch import Batch
from tsp.values import AgentEvent, QueueEvent, SessionEvent

__all__ = ["AcdEvents"]

log = logging.getLogger("tsp.switch")
_TAPI20 = 0x00020000
_STATE = int(AgentStatus.STATE)


class AcdEvents:
    """Coalesces the §8 events of one fan-out and sends them (``registry``: who watches; ``model``: the view)."""

    def __init__(self, model: Any, registry: Any) -> None:
        self.model = model
        self.registry = registry
        #: Keep the view of every device, watched or not (the behaviour before views were kept only for
        #: watched devices; tests compare both): :meth:`keep_every_view`.
        self.every_view = False
        #: Views computed so far (tests count them).
        self.views_computed = 0
        #: The last 2.0 view sent (or the first one computed) per line device a 2.0 line watches.
        self._views: dict[int, agent_view.AddressView] = {}
        self._agents: dict[int, list[int]] = {}  # hAgent -> [bits, state]
        self._queues: dict[int, int] = {}  # queue ID -> bits
        self._touched: set[int] = set()
        self._touched_agents: set[int] = set()  # their lines are touched (agent_view.agent_lines) at the flush

    def baseline(self) -> None:
        """The 2.0 view of every line now (no events): what later changes are compared with (only
        :attr:`every_view` keeps them all; otherwise :meth:`watch` seeds a device's view)."""
        now = self.model.now
        for line in range(self.model.lines):
            self._views[line] = self._view(line, now)

    def keep_every_view(self) -> None:
        """Compute the view of every device at each change, watched or not, from now on (the views of all
        devices taken now): the reference the tests compare the watched-only views with."""
        self.every_view = True
        self.baseline()

    def watch(self, device: int) -> None:
        """A line is about to open on ``device``: if no 2.0 line watches it yet, its view is seeded now
        (what the next change is compared with), as if it had been kept all along."""
        if self.every_view:  # kept all along
            return
        if device not in self._views or not self._watching(device):
            self._views[device] = self._view(device, self.model.now)

    def touch(self, line: int) -> None:
        """Compare the 2.0 view of ``line`` at the next flush (a change that is no model event)."""
        self._touched.add(line)

    def _view(self, device: int, now: float) -> agent_view.AddressView:
        self.views_computed += 1
        return agent_view.address_view(self.model, device, 0, now)

    def _watching(self, device: int) -> list[Any]:
        return [line for line in self.registry.watchers(device) if line.api_version >= _TAPI20]

    def event(self, ev: Any) -> None:
        """Take one model event for the next :meth:`flush`."""
        if type(ev) is AgentEvent:
            entry = self._agents.setdefault(ev.hagent, [0, 0])
            status = int(ev.status)  # an IntFlag's own & and | are Python code
            entry[0] |= status
            if status & _STATE:
                entry[1] = int(ev.state)
            self._touched_agents.add(ev.hagent)
        elif type(ev) is QueueEvent:
            self._queues[ev.queue_id] = self._queues.get(ev.queue_id, 0) | int(ev.status)
        elif type(ev) is SessionEvent:
            self._touched.add(ev.line)
            self._touched_agents.add(self.model.session_agent(ev.hagent_session))

    def flush(self, batch: Batch) -> None:
        """Send what :meth:`event` and :meth:`touch` gathered since the last flush."""
        if self._agents or self._queues:
            targets = self._connection_lines()
            for hagent, (bits, state) in self._agents.items():
                for line in targets:
                    batch.record(line.conn_id, AgentStatusExEvent(
                        init_context=line.app.init_context, hdevice=line.hremote_line, open_context=line.open_context,
                        hagent=hagent, status=bits, state=state))
            for queue_id, bits in self._queues.items():
                for line in targets:
                    batch.record(line.conn_id, QueueStatusEvent(
                        init_context=line.app.init_context, hdevice=line.hremote_line, open_context=line.open_context,
                        queue_id=queue_id, status=bits))
            self._agents.clear()
            self._queues.clear()
        if self._touched_agents:
            agents, self._touched_agents = self._touched_agents, set()
            if self._views:  # some device is (or was) watched: the agents' lines may be among them
                model = self.model
                for hagent in agents:
                    self._touched.update(agent_view.agent_lines(model, hagent))
        if self._touched:
            touched, self._touched = sorted(self._touched), set()
            now = self.model.now
            views = self._views
            every = self.every_view
            for device in touched:
                watching = self._watching(device)
                if not watching and not every:  # nobody sees it: forget it (watch() seeds it again)
                    views.pop(device, None)
                    continue
                new = self._view(device, now)
                old = views.get(device)
                views[device] = new
                bits = agent_view.status_bits(old, new) if old is not None else 0
                if not bits:
                    continue
                log.debug("line %d address 0: LINE_AGENTSTATUS %#x", device, bits)
                state = new.state if bits & _STATE else 0
                for line in watching:
                    batch.record(line.conn_id, AgentStatusEvent(
                        init_context=line.app.init_context, hdevice=line.hremote_line,
                        open_context=line.open_context, address_id=0, status=bits, state=state))

    def _connection_lines(self) -> list[Any]:
        """Per connection, its oldest line open with API >= 2.2 (connections in ID order)."""
        out = []
        for conn_id in sorted(self.registry.conns):
            lines = [ln for h, ln in sorted(self.registry.conns[conn_id].lines.items()) if ln.api_version >= API_VERSION_AGENT]
            if lines:
                out.append(lines[0])
        return out

    def take(self, events: Iterable[Any], batch: Batch) -> None:
        """:meth:`event` for each of ``events``, then :meth:`flush`."""
        for ev in events:
            self.event(ev)
        self.flush(batch)
