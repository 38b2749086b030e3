"""The console's live side: one watcher task per switch, bounded viewers, and the control actions.

* :class:`Hub` registers :meth:`Ledger.on_event` with ``SwitchService.event_observers`` and runs a
  watcher task (:meth:`Hub.run`, in the same nursery and event loop as the switch) that wakes when the
  switch changes - a model event, a control action, the next instant something is due - and, on a real
  clock, every :data:`TICK_SECONDS` of wall time so the clock and the times in state move. It
  publishes a new snapshot when it differs from the last one, at most every :data:`MIN_PUSH_SECONDS`.
* Each viewer (``GET /api/events``) gets a bounded queue of :data:`VIEWER_BUFFER` snapshots. A viewer
  whose queue is full when a new snapshot comes is dropped - its stream ends - like a TAPI client that
  does not read. At most ``max_viewers`` at once; one more is refused (HTTP 503).
* The control actions (``POST /api/...``, only with ``--control``) use the same public entry points as
  the embedded API (:class:`tsp.testing.Emulator`): ``SwitchService.offer_call``/``advance_clock``/
  ``advance``, ``Switch.set_session_state``, the fault injector's ``set_rules``.
"""

from __future__ import annotations

import json
import logging
import math
import time
import uuid
from typing import TYPE_CHECKING, Any

import trio

from protocol.constants import AgentSessionState
from tsp.faults import FaultError, FaultRule
from tsp.model import SwitchError
from tsp.web.ledger import DEFAULT_THRESHOLD, Ledger

if TYPE_CHECKING:  # pragma: no cover
    from tsp.server import EmulatorServer

__all__ = ["Hub", "Viewer", "ActionError", "TooManyViewers", "TICK_SECONDS", "MIN_PUSH_SECONDS", "VIEWER_BUFFER",
           "DEFAULT_MAX_VIEWERS", "MAX_ADVANCE_SECONDS", "MAX_FAULT_RULES"]

#: Longest caller / called number or UUI a control action may give (characters).
MAX_NUMBER_CHARS = 128

log = logging.getLogger("tsp.web")

#: Wall-clock seconds between two snapshots on a real clock when nothing else happens.
TICK_SECONDS = 1.0
#: At most one snapshot per viewer this often (wall clock): changes in between are merged. A switch so big
#: that a snapshot takes longer than 1/20 of this gets them 20 snapshot-times apart instead.
MIN_PUSH_SECONDS = 0.2
#: Snapshots queued for one viewer; one more and the viewer is dropped as not reading.
VIEWER_BUFFER = 4
DEFAULT_MAX_VIEWERS = 16
#: One POST /api/advance moves the manual clock by at most this much (30 days).
MAX_ADVANCE_SECONDS = 30 * 86400.0
#: Fault rules the console keeps at most.
MAX_FAULT_RULES = 64
#: Due instants the console's advance runs through before it lets other tasks run.
_ADVANCE_STEPS_PER_YIELD = 256
_REQUESTABLE = {"NOTREADY": AgentSessionState.NOTREADY, "READY": AgentSessionState.READY,
                "ENDED": AgentSessionState.ENDED}


class ActionError(Exception):
    """A control action refused: ``status`` is the HTTP status, the message says what and which value."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class TooManyViewers(Exception):
    """``max_viewers`` viewers are connected already."""


class Viewer:
    """One live stream's queue. Iterate :meth:`receive` for snapshots (JSON bytes); it ends when the viewer
    is dropped or the console stops."""

    def __init__(self, hub: Hub, buffer: int) -> None:
        self._hub = hub
        self._send, self._receive = trio.open_memory_channel[bytes](buffer)
        self.dropped = False
        self.reason = ""

    def offer(self, data: bytes) -> bool:
        """Queue ``data``; False (and the viewer is closed) when its queue is full."""
        try:
            self._send.send_nowait(data)
        except trio.WouldBlock:
            self.close("not reading: snapshots queued past the viewer's buffer")
            return False
        except trio.ClosedResourceError:
            return False
        return True

    def close(self, reason: str = "") -> None:
        if not self.dropped and reason:
            self.reason = reason
        self.dropped = bool(reason) or self.dropped
        self._send.close()

    async def receive(self) -> bytes:
        """The next snapshot; raises ``trio.EndOfChannel`` once dropped or stopped."""
        return await self._receive.receive()

    def __enter__(self) -> Viewer:
        return self

    def __exit__(self, *exc: object) -> None:
        self._hub.unsubscribe(self)


class Hub:
    """Snapshots and control actions of one :class:`EmulatorServer`."""

    def __init__(self, server: EmulatorServer, *, control: bool = False, max_viewers: int = DEFAULT_MAX_VIEWERS,
                 viewer_buffer: int = VIEWER_BUFFER, threshold: float = DEFAULT_THRESHOLD) -> None:
        if max_viewers < 1 or viewer_buffer < 1:
            raise ValueError(f"max_viewers and viewer_buffer must be >= 1, got {max_viewers} and {viewer_buffer}")
        self.server = server
        self.control = control
        self.max_viewers = max_viewers
        self.viewer_buffer = viewer_buffer
        self.ledger = Ledger(server, threshold)
        self.viewers: list[Viewer] = []
        self.dropped_viewers = 0
        self._poke = trio.Event()
        self._last: bytes | None = None
        self._changes = 0
        self._cached: tuple[float, int, bytes] | None = None
        self._advance_lock = trio.Lock()
        server.service.event_observers.append(self._on_event)
        self._flush()

    # --- snapshots ----------------------------------------------------------------------------------

    def _on_event(self, event: Any) -> None:
        self.ledger.on_event(event)
        self._changes += 1
        self._poke.set()

    def poke(self) -> None:
        """Something changed: the watcher looks at once."""
        self._changes += 1
        self._poke.set()

    def cached_state_bytes(self) -> bytes:
        """GET /api/state: the snapshot, built at most every :data:`MIN_PUSH_SECONDS` while nothing was
        poked (so a client asking in a loop cannot make the switch's loop do nothing but snapshots)."""
        now = trio.current_time()
        cached = self._cached
        if cached is not None and cached[1] == self._changes and now - cached[0] < MIN_PUSH_SECONDS:
            return cached[2]
        return self.state_bytes()

    def state(self) -> dict[str, Any]:
        """The snapshot (GET /api/state): the ledger's figures, the control flag and the fault rules."""
        self._catch_up()
        self.ledger.sync()
        self._flush()
        snap = self.ledger.snapshot()
        snap["control"] = self.control
        snap["faults"] = [_rule_json(r) for r in self.server.service.faults.rules]
        snap["viewers"] = len(self.viewers)
        return snap

    def state_bytes(self) -> bytes:
        changes = self._changes
        data = json.dumps(self.state(), separators=(",", ":"), ensure_ascii=True).encode()
        if changes == self._changes:
            self._cached = (trio.current_time(), changes, data)
        return data

    def _catch_up(self) -> None:
        """On a real clock, bring the switch to the clock's instant first (what the server's driver and
        every GetAgentSessionInfo do), so times shown are not as old as the last event."""
        server = self.server
        if server.clock.manual:
            return
        now = server.now()
        if now > server.model.now:
            server.deliver(server.service.advance(now))
            server.wake()

    def _flush(self) -> None:
        """Send on what a reading made happen: the ledger reads at the switch's own instant, which runs
        what was due at exactly that instant and had not run yet (the scenario's t = 0, before anything
        moved the switch); its events go to the TAPI clients - and the ledger - now, not at the next move."""
        server = self.server
        if server.model.has_events():
            server.deliver(server.service.advance(server.model.now))
            server.wake()

    def publish(self) -> bool:
        """Send the current snapshot to every viewer if it changed; whether it did."""
        data = self.state_bytes()
        if data == self._last:
            return False
        self._last = data
        for viewer in list(self.viewers):
            if not viewer.offer(data):
                self.dropped_viewers += 1
                log.warning("web viewer dropped: %s", viewer.reason or "closed")
                self.unsubscribe(viewer)
        return True

    def subscribe(self) -> Viewer:
        """A new viewer (use as a context manager); TooManyViewers past ``max_viewers``."""
        if len(self.viewers) >= self.max_viewers:
            raise TooManyViewers(f"{self.max_viewers} viewers are connected already (the console's cap)")
        viewer = Viewer(self, self.viewer_buffer)
        self.viewers.append(viewer)
        return viewer

    def unsubscribe(self, viewer: Viewer) -> None:
        if viewer in self.viewers:
            self.viewers.remove(viewer)
        viewer.close()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """The watcher: until the server stops, publish a snapshot whenever the switch changed."""
        server = self.server
        task_status.started()
        last_push = -math.inf
        gap = MIN_PUSH_SECONDS
        dirty = True
        async with trio.open_nursery() as nursery:
            async def stop_when_stopped() -> None:
                await server.wait_stopped()
                nursery.cancel_scope.cancel()
            nursery.start_soon(stop_when_stopped)
            try:
                while True:
                    now = trio.current_time()
                    if dirty and now >= last_push + gap:
                        began = time.perf_counter()
                        self.publish()
                        # at most ~5 % of the loop for snapshots, however big the switch
                        gap = max(MIN_PUSH_SECONDS, 20 * (time.perf_counter() - began))
                        last_push, dirty = trio.current_time(), False
                    due = server.service.next_due()
                    deadline = server.clock.deadline(due) if due is not None else math.inf
                    if not server.clock.manual:
                        deadline = min(deadline, now + TICK_SECONDS)
                    if dirty:
                        deadline = min(deadline, last_push + gap)
                    with trio.move_on_at(deadline):
                        await self._poke.wait()
                    self._poke = trio.Event()
                    self._catch_up()
                    self.ledger.sync()  # a call that queued without an event is dated now
                    self._flush()
                    dirty = True
            finally:
                for viewer in list(self.viewers):
                    self.unsubscribe(viewer)

    # --- control actions ------------------------------------------------------------------------------

    def _require_control(self) -> None:
        if not self.control:
            raise ActionError(403, "control actions need the emulator started with --control")

    async def advance(self, seconds: Any) -> dict[str, Any]:
        """Move the manual clock ``seconds`` forward, one due instant at a time (other tasks run every
        few hundred instants), everything due happening; returns the new switch time."""
        self._require_control()
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) \
                or not 0 < seconds <= MAX_ADVANCE_SECONDS:
            raise ActionError(400, f"seconds must be a number > 0 and <= {MAX_ADVANCE_SECONDS:g}, got {seconds!r}")
        server = self.server
        if not server.clock.manual:
            raise ActionError(409, "only a manual clock can be advanced (start with --clock manual)")
        async with self._advance_lock:
            target = server.clock.now() + float(seconds)
            steps = 0
            while True:
                now = server.clock.now()
                due = server.service.next_due()
                stop = due if due is not None and due < target else target
                server.deliver(server.service.advance_clock(max(stop - now, 0.0)))
                self.ledger.sync()
                if stop >= target:
                    break
                steps += 1
                if steps % _ADVANCE_STEPS_PER_YIELD == 0:
                    server.wake()
                    await trio.sleep(0)
            server.wake()
            self.poke()
            return {"now": server.now()}

    def offer(self, group: Any, talk: Any, patience: Any = None, ani: Any = None, dnis: Any = None,
              uui: Any = None) -> dict[str, Any]:
        """A call arrives now at ``group`` (name or GUID) and talks ``talk`` seconds once answered;
        optional ``patience`` (seconds in the queue before the caller hangs up; null = forever) and the
        caller's number ``ani``, the called number ``dnis`` and ``uui`` (strings)."""
        self._require_control()
        server = self.server
        if not isinstance(group, str) or not group:
            raise ActionError(400, f"group must be a group name or GUID (a string), got {group!r}")
        found = server.scenario.group(_guid_or_name(group))
        if found is None:
            raise ActionError(404, f"the scenario has no group {group!r}")
        if isinstance(talk, bool) or not isinstance(talk, (int, float)) or not math.isfinite(talk) or talk < 0:
            raise ActionError(400, f"talk must be a number of seconds >= 0, got {talk!r}")
        if patience is not None and (isinstance(patience, bool) or not isinstance(patience, (int, float))
                                     or not math.isfinite(patience) or patience < 0):
            raise ActionError(400, f"patience must be a number of seconds >= 0 or null, got {patience!r}")
        for name, value in (("ani", ani), ("dnis", dnis), ("uui", uui)):
            if value is not None and (not isinstance(value, str) or len(value) > MAX_NUMBER_CHARS):
                raise ActionError(400, f"{name} must be a string of at most {MAX_NUMBER_CHARS} characters or null, "
                                       f"got {value!r:.80}")
        try:
            call_id, frames = server.service.offer_call(
                found.id, float(talk), server.now(), patience=None if patience is None else float(patience),
                ani=ani or None, dnis=dnis or None, uui=uui or None)
        except SwitchError as err:
            raise ActionError(400, err.message) from None
        server.deliver(frames)
        server.wake()
        self.ledger.sync()
        self.poke()
        return {"call": call_id, "group": found.name, "now": server.now()}

    def set_session_state(self, session: Any, state: Any, next_state: Any = None) -> dict[str, Any]:
        """SetAgentSessionState: ``state`` (and ``next_state``) NOTREADY, READY or ENDED, by name."""
        self._require_control()
        server = self.server
        if isinstance(session, bool) or not isinstance(session, int):
            raise ActionError(400, f"session must be an hAgentSession number, got {session!r}")
        values = []
        for label, value in (("state", state), ("next_state", next_state)):
            if value is None or value == "":
                values.append(0)
            elif isinstance(value, str) and value.upper() in _REQUESTABLE:
                values.append(int(_REQUESTABLE[value.upper()]))
            else:
                raise ActionError(400, f"{label} must be one of NOTREADY, READY, ENDED; got {value!r}")
        try:
            server.model.set_session_state(session, values[0], values[1], server.now())
        except SwitchError as err:
            raise ActionError(400, f"{err.lineerr.name}: {err.message}") from None
        server.deliver(server.service.advance(server.now()))  # fan its events out now
        server.wake()
        self.poke()
        return {"session": session, "now": server.now()}

    def add_fault(self, rule: Any) -> dict[str, Any]:
        """Add one fault rule (wire-protocol §5 keys: function, mode, seconds, error, probability, after)."""
        self._require_control()
        if not isinstance(rule, dict):
            raise ActionError(400, f"a fault rule is a JSON object, got {rule!r}")
        unknown = set(rule) - {"function", "mode", "seconds", "error", "probability", "after"}
        if unknown:
            raise ActionError(400, f"unknown fault rule keys: {', '.join(sorted(unknown))}")
        if isinstance(rule.get("function"), bool) or not isinstance(rule.get("function"), int):
            raise ActionError(400, f"function must be a Req_Func number, got {rule.get('function')!r}")
        faults = self.server.service.faults
        if len(faults.rules) >= MAX_FAULT_RULES:
            raise ActionError(409, f"{MAX_FAULT_RULES} fault rules are set already; delete some first")
        try:
            new = FaultRule.coerce(rule)
        except (FaultError, TypeError, ValueError) as err:
            raise ActionError(400, str(err)) from None
        faults.set_rules([*faults.rules, new])
        self.poke()
        return {"faults": [_rule_json(r) for r in faults.rules]}

    def delete_faults(self, function: int | None = None) -> dict[str, Any]:
        """Remove the rules for ``function`` (every rule when None)."""
        self._require_control()
        faults = self.server.service.faults
        if function is None:
            faults.clear()
        else:
            faults.set_rules([r for r in faults.rules if r.function != function])
        self.poke()
        return {"faults": [_rule_json(r) for r in faults.rules]}


def _guid_or_name(text: str) -> str | uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        return text


def _rule_json(rule: FaultRule) -> dict[str, Any]:
    return {"function": rule.function, "mode": rule.mode.value, "seconds": rule.seconds,
            "error": f"LINEERR_{rule.error.name}", "probability": rule.probability, "after": rule.after}
