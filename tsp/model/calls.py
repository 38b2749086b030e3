"""The calls of the switch model (wire-protocol §7.1-§7.5, §9.1-§9.3, §9.5): arrival, queueing,
routing's offer, answer, hang-up, wrap-up, ring timeout, rejection, abandonment, overflow, call control
(answer, drop, hold, transfer, redirect, make_call) and the call detail records.

A mixin of :class:`tsp.model.Switch` (tsp/model/core.py holds the state it uses). Every call state change
is a row of :data:`tsp.lifecycle.CALL_TABLE`; a request the table lacks is refused with
LINEERR_INVALCALLSTATE.
"""

from __future__ import annotations

import math
import uuid

from protocol.constants import AgentSessionState, AgentStateEx, LineErr
from tsp.errors import SwitchError
from tsp.lifecycle import CallTrigger, call_step
from tsp.model.records import OFFER_FIELDS, AgentRec, CallRec, GroupRec, SessionRec, TrafficRec
from tsp.model.rules import US, R, no_row, to_us
from tsp.scenario import ScriptedCall
from tsp.values import (
    CallEnd, CallEvent, CallInfo, CallOffer, CallOutcome, CallRecord, CallState, SessionEvent,
)

__all__ = ["K", "CallsMixin", "bucket_shift"]

READY = AgentSessionState.READY
OFFERING = CallState.OFFERING
RINGBACK = CallState.RINGBACK
CONNECTED = CallState.CONNECTED
ONHOLD = CallState.ONHOLD
DISCONNECTED = CallState.DISCONNECTED
IDLE = CallState.IDLE
_new = tuple.__new__
_NORMAL = CallEnd.NORMAL
_BUSYACD = AgentStateEx.BUSYACD


class K:
    """Heap event kinds."""

    SESSION, CALL, TRAFFIC, ANSWER, HANGUP, WRAPEND, RING, PATIENCE, OVERFLOW, FARANSWER, CHANGE, APERIOD, \
        QPERIOD = range(13)


_K_HANGUP = K.HANGUP
_K_WRAPEND = K.WRAPEND
_K_ANSWER = K.ANSWER
#: The event queue's widest bucket: 2**20 us (1.05 s of switch time; see Switch._push), for floors of up
#: to SHIFT_SESSIONS sessions; each doubling of the sessions beyond halves the width (bucket_shift).
SHIFT = 20
SHIFT_SESSIONS = 16_384
#: The narrowest bucket: 2**14 us (16 ms).
SHIFT_MIN = 14


def bucket_shift(sessions: int) -> int:
    """The event queue's bucket width (a shift of the instant in us) for a floor of ``sessions``: about as
    many entries per bucket at any floor size (the open bucket is a heap: at 100,000 agents a 1-second
    bucket held ~1,700 entries and every pop walked a heap ten times the 10,000-agent one's)."""
    shift = SHIFT
    while shift > SHIFT_MIN and sessions > SHIFT_SESSIONS << (SHIFT - shift):
        shift -= 1
    return shift


class CallsMixin:
    """Call steps and call control of :class:`tsp.model.Switch`."""

    # ---- arrivals ----------------------------------------------------------------------------------
    def offer_call(
        self, group_id: uuid.UUID, talk: float, now: float, *, patience: float | None = None,
        ani: str | None = None, dnis: str | None = None, uui: str | None = None,
    ) -> int:
        """A call arrives at the group's queue now and talks ``talk`` seconds once answered; its ID.
        ``patience``: seconds it waits in a queue before hanging up (None = forever, §7.3)."""
        t = self._advance(now)
        group = self._group(group_id)
        for what, value in (("talk time", talk), ("patience", patience)):
            if value is None and what == "patience":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or value < 0:
                raise SwitchError(LineErr.INVALPARAM, f"{what} must be a finite number >= 0 seconds, got {value!r}")
        call = CallRec(next(self._call_ids), t, to_us(talk))
        if patience is not None:
            call.patience = to_us(patience)
        call.ani, call.dnis, call.uui = ani, dnis, uui
        self._arrive(group, call, t)
        self._settle(t)
        return call.id

    def _first_arrival(self, stream: TrafficRec) -> int | None:
        rng = self._rng
        if stream.next_after is None:
            return to_us(rng.expovariate(1.0) * stream.mean_gap)
        first = stream.next_after(0.0, rng)
        return None if first is None else to_us(first)

    def _traffic(self, stream: TrafficRec, t: int) -> None:
        rng = self._rng
        if stream.talk is None:
            talk = round(rng.expovariate(1.0) * stream.talk_mean * US)
        else:
            talk = round(stream.talk(rng) * US)
        call = CallRec(next(self._call_ids), t, talk)
        if stream.patience is not None:
            call.patience = round(stream.patience(rng) * US)
        if stream.fill is not None:
            call.ani = stream.fill(stream.ani, rng)
            call.dnis = stream.fill(stream.dnis, rng)
        call.uui = stream.uui
        self._arrive(stream.group, call, t)
        if stream.next_after is None:
            self._push(t + round(rng.expovariate(1.0) * stream.mean_gap * US), K.TRAFFIC, stream)
        else:
            nxt = stream.next_after(t / US, rng)
            if nxt is not None:  # a finite float (tsp.traffic.Arrivals): to_us without its checks
                self._push(max(t + 1, round(nxt * US)), K.TRAFFIC, stream)

    def _scripted_call(self, spec: ScriptedCall, t: int) -> None:
        call = CallRec(next(self._call_ids), t, to_us(spec.talk))
        if spec.patience is not None:
            call.patience = to_us(spec.patience)
        call.ani, call.dnis, call.uui = spec.ani, spec.dnis, spec.uui
        self._arrive(self._groups[spec.group], call, t)

    def _arrive(self, group: GroupRec, call: CallRec, t: int) -> None:
        """A call enters the switch (or, after a transfer, a new group) at ``group``'s queue."""
        if call.patience >= 0:  # its heap event only if it still waits after routing (Switch._route)
            call.patience_due = t + call.patience
            call.patience_set = False
            self._fresh.append(call)
        call.hops += (group.queue_id, t)
        self._enqueue(group, call, t)

    def _enqueue(self, group: GroupRec, call: CallRec, t: int) -> None:
        group.arrived += 1
        if group.overflow_after >= 0:
            call.overflow_due = t + group.overflow_after
            self._push(call.overflow_due, K.OVERFLOW, call)
        else:
            call.overflow_due = -1
        self._insert(group, call)
        if group.event_t != t or group.event_take != self._takes:
            group.event_t, group.event_take = t, self._takes
            self._events.append(group.update_event)

    def _insert(self, group: GroupRec, call: CallRec) -> None:
        """Into the queue in arrival order (FIFO by arrival at the switch, then call ID)."""
        call.where = call.group = group
        waiting = group.waiting
        if not waiting or (waiting[-1].arrival, waiting[-1].id) < (call.arrival, call.id):
            waiting.append(call)
        else:
            i = len(waiting)
            while i and (waiting[i - 1].arrival, waiting[i - 1].id) > (call.arrival, call.id):
                i -= 1
            waiting.insert(i, call)
        self._dirty.add(group)

    def _leave_queue(self, call: CallRec, group: GroupRec, t: int) -> None:
        """The call left ``group``'s queue (offered, abandoned or flowed out; already off the deque)."""
        wait = t - call.arrival
        group.left += 1
        group.wait_sum += wait
        if wait > group.wait_max:
            group.wait_max = wait
        call.where = None
        if group.event_t != t or group.event_take != self._takes:  # one per queue and instant (§8.1 coalesces)
            group.event_t, group.event_take = t, self._takes
            self._events.append(group.update_event)

    def _requeue(self, group: GroupRec, call: CallRec, t: int) -> None:
        """Back to its queue after a ring (§7.4): in arrival order; a caller whose patience ran out
        while it rang hangs up now, a call due to overflow flows now."""
        self._insert(group, call)
        self._queue_update(group)
        if 0 <= call.patience_due <= t:
            self._abandon(call, t)
            return
        if call.patience_due > t and not call.patience_set:
            call.patience_set = True
            self._push(call.patience_due, K.PATIENCE, call)
        if 0 <= call.overflow_due <= t and group.overflow_to is not None:
            self._overflow(call, t)

    def _abandon(self, call: CallRec, t: int) -> None:
        """§7.3: the caller hangs up while waiting."""
        group = call.where
        assert group is not None
        group.waiting.remove(call)
        group.abandoned += 1
        self._leave_queue(call, group, t)
        call.patience_due = call.overflow_due = -1
        call.hangup_at = t
        self._finish(call, CallOutcome.ABANDONED)

    def _overflow(self, call: CallRec, t: int) -> None:
        """§7.5: the call moves to the overflow group's queue, keeping its arrival time."""
        src = call.where
        assert src is not None and src.overflow_to is not None
        target = src.overflow_to
        src.waiting.remove(call)
        src.flowed_out += 1
        self._leave_queue(call, src, t)
        target.flowed_in += 1
        call.overflow_due = -1
        call.flows += ("overflow",)
        call.hops += (target.queue_id, t)
        self._enqueue(target, call, t)

    # ---- offer, answer, hang-up, wrap-up -----------------------------------------------------------
    def _offer(self, session: SessionRec, call: CallRec, t: int) -> None:
        """Routing offers ``call`` to ``session``: it rings on the session's line (§9.1)."""
        agent = session.agent
        agent.busy = True
        agent.call = call
        session.call = call
        call.session = session
        call.agent = agent
        call.group = session.group
        line = call.line = session.line
        address = call.address = session.address
        call.state = OFFERING
        call.state_since = t
        cid = call.id
        self._calls[cid] = call
        self._on_line[line][cid] = None
        call.offers += (session.handle, agent.handle, agent.agent_id, t, -1, False)
        emit = self._events.append
        emit(_new(CallEvent, (cid, line, address, OFFERING, None, True, call.related)))
        if self._ring_timeout:
            call.ring_due = t + self._ring_timeout
            self._push(call.ring_due, K.RING, call)
        delay = agent.answer_delay
        if agent.answer == "auto" and not delay:
            self._answer(call, t, R.OFFER_ANSWERED)
        else:
            rows = R.OFFER
            try:  # the lifecycle row, inlined (the per-call path)
                state, bits = rows[session.state]
            except KeyError:
                raise no_row(session.state, rows) from None
            session.state = state
            emit(_new(SessionEvent, (session.handle, line, bits, state)))
            if agent.answer == "auto":
                call.answer_due = t + delay
                self._push(call.answer_due, _K_ANSWER, call)
        if agent.state_ex is not _BUSYACD:  # LINEAGENTINFO.dwAgentState (the per-call path of _agent_touch)
            agent.state_ex = _BUSYACD
            emit(agent.busy_event)

    def _answer(self, call: CallRec, t: int, rows: dict = R.ANSWER) -> None:
        session = call.session
        assert session is not None
        call.answer_due = call.ring_due = -1
        tta = t - call.arrival
        session.calls += 1
        session.tta_sum += tta
        if tta > session.tta_max:
            session.tta_max = tta
        session.talk_start = t
        try:
            state, bits = rows[session.state]
        except KeyError:
            raise no_row(session.state, rows) from None
        session.state = state
        emit = self._events.append
        emit(_new(SessionEvent, (session.handle, session.line, bits, state)))
        call.state = CONNECTED
        call.state_since = t
        if call.answer_at < 0:
            call.answer_at = t
        call.offers = call.offers[:-2] + (t, True)  # ring end, answered
        emit(_new(CallEvent, (call.id, call.line, call.address, CONNECTED, None, False, call.related)))
        call.hangup_due = t + call.talk
        self._push(call.hangup_due, _K_HANGUP, call)
        emit(session.agent.update_event)

    def _line_end(self, call: CallRec, end: CallEnd, t: int) -> None:
        """DISCONNECTED (``end``) then IDLE on the call's line; the call leaves the line (§9.1)."""
        line = call.line
        cid = call.id
        address = call.address
        related = call.related
        emit = self._events.append
        emit(_new(CallEvent, (cid, line, address, DISCONNECTED, end, False, related)))
        emit(_new(CallEvent, (cid, line, address, IDLE, None, False, related)))
        del self._calls[cid]
        del self._on_line[line][cid]
        call.state = None
        call.end = end
        call.line = -1
        call.state_since = t

    def _talk_ends(self, call: CallRec, end: CallEnd, t: int, ends_here: bool) -> None:
        """Talk ends (hang-up, Drop, BlindTransfer): the session wraps up or goes on (§4)."""
        session = call.session
        assert session is not None
        agent = session.agent
        call.hangup_due = -1
        session.talk_sum += t - session.talk_start
        session.talk_start = -1
        session.call = None
        call.session = None
        if ends_here:
            call.hangup_at = t
        self._line_end(call, end, t)
        agent.call = None
        wrapup = agent.wrapup
        if wrapup:
            session.wrap_start = t
            session.wrap_call = call if ends_here else None
            rows = R.HANGUP_TO_WRAPUP
            try:
                state, bits = rows[session.state]
            except KeyError:
                raise no_row(session.state, rows) from None
            session.state = state
            self._events.append(_new(SessionEvent, (session.handle, session.line, bits, state)))
            self._push(t + wrapup, _K_WRAPEND, session)
        else:
            if ends_here:
                self._finish(call, CallOutcome.TRANSFERRED if call.transferred else CallOutcome.ANSWERED)
            self._go(session, R.HANGUP, t)
            self._free(agent, t)

    def _hangup(self, call: CallRec, t: int) -> None:
        """The caller hangs up: its talk time is over."""
        self._talk_ends(call, _NORMAL, t, True)

    def _wrapend(self, session: SessionRec, t: int) -> None:
        session.wrap_sum += t - session.wrap_start
        session.wrap_start = -1
        call = session.wrap_call
        if call is not None:
            session.wrap_call = None
            call.wrap_end = t
            self._finish(call, CallOutcome.TRANSFERRED if call.transferred else CallOutcome.ANSWERED)
        self._go(session, R.WRAPUP_END, t)
        self._free(session.agent, t)

    def _unring(self, call: CallRec, end: CallEnd, rows: dict, t: int) -> SessionRec:
        """The ringing call leaves the session unanswered (ring timeout, reject, redirect)."""
        session = call.session
        assert session is not None
        call.ring_due = call.answer_due = -1
        call.offers = call.offers[:-2] + (t, call.offers[-1])  # ring end
        session.call = None
        call.session = None
        self._line_end(call, end, t)
        self._go(session, rows, t)
        self._free(session.agent, t)
        return session

    def _ring_timeout_of(self, call: CallRec, t: int) -> None:
        """§7.4: not answered within ring_timeout: back to the queue, the session NOTREADY."""
        session = self._unring(call, CallEnd.NOANSWER, R.RETURN, t)
        self._requeue(session.group, call, t)

    # ---- call control (§9.2) -------------------------------------------------------------------------
    def _call(self, call_id: int) -> CallRec:
        call = self._calls.get(call_id)
        if call is None:
            raise SwitchError(LineErr.INVALCALLHANDLE, f"no call with ID {call_id} is on a line")
        return call

    def _check(self, call: CallRec, trigger: CallTrigger, what: str) -> None:
        if call_step(call.state, trigger) is None:
            raise SwitchError(
                LineErr.INVALCALLSTATE, f"{what}: call {call.id} is {call.state.name if call.state else 'not on a line'}"
            )

    def answer_call(self, call_id: int, now: float) -> None:
        """Answer (§9.2): OFFERING -> CONNECTED, talk starts now."""
        t = self._advance(now)
        call = self._call(call_id)
        self._check(call, CallTrigger.ANSWER, "Answer")
        self._answer(call, t)
        self._settle(t)

    def drop_call(self, call_id: int, now: float) -> None:
        """Drop (§9.2): the agent hangs up (talk ends now); from OFFERING it rejects the call (back to the
        queue in arrival order, the session NOTREADY); an outbound call ends."""
        t = self._advance(now)
        call = self._call(call_id)
        if call.state is OFFERING:
            session = self._unring(call, CallEnd.NOANSWER, R.RETURN, t)
            self._requeue(session.group, call, t)
        else:
            self._check(call, CallTrigger.DROP, "Drop")
            if call.outbound:
                self._end_outbound(call, t)
            else:
                self._talk_ends(call, _NORMAL, t, True)
        self._settle(t)

    def hold_call(self, call_id: int, now: float) -> None:
        """Hold: CONNECTED -> ONHOLD (hold time is talk time)."""
        self._hold(call_id, now, CallTrigger.HOLD, ONHOLD)

    def unhold_call(self, call_id: int, now: float) -> None:
        """UnHold: ONHOLD -> CONNECTED."""
        self._hold(call_id, now, CallTrigger.UNHOLD, CONNECTED)

    def _hold(self, call_id: int, now: float, trigger: CallTrigger, state: CallState) -> None:
        t = self._advance(now)
        call = self._call(call_id)
        self._check(call, trigger, trigger.name.capitalize())
        call.state = state
        call.state_since = t
        self._events.append(_new(CallEvent, (call.id, call.line, call.address, state, None, False, call.related)))

    def _target(self, call: CallRec, extension: str, what: str) -> GroupRec:
        target = self._extensions.get(extension) if isinstance(extension, str) else None
        if target is None or target is call.group:
            known = ", ".join(sorted(e for e, g in self._extensions.items() if g is not call.group)) or "none"
            raise SwitchError(
                LineErr.INVALADDRESS, f"{what}: {extension!r} is not another group's extension (known: {known})"
            )
        return target

    def blind_transfer(self, call_id: int, extension: str, now: float) -> None:
        """BlindTransfer (§9.2): CONNECTED; the call leaves the agent (talk ends, wrap-up follows) and joins
        the group of ``extension``'s queue as a new arrival there, keeping its call ID."""
        t = self._advance(now)
        call = self._call(call_id)
        self._check(call, CallTrigger.TRANSFER, "BlindTransfer")
        if call.outbound:
            raise SwitchError(LineErr.INVALCALLSTATE, f"BlindTransfer: call {call.id} is an outbound call")
        target = self._target(call, extension, "BlindTransfer")
        src = call.group
        self._talk_ends(call, CallEnd.FORWARDED, t, False)
        self._move(call, src, target, "transfer", t)
        self._settle(t)

    def redirect(self, call_id: int, extension: str, now: float) -> None:
        """Redirect (§9.2): OFFERING; as BlindTransfer, from ringing (the session: its next state, else
        READY; no wrap-up: it had no call)."""
        t = self._advance(now)
        call = self._call(call_id)
        self._check(call, CallTrigger.REDIRECT, "Redirect")
        target = self._target(call, extension, "Redirect")
        src = call.group
        self._unring(call, CallEnd.FORWARDED, R.REDIRECT, t)
        self._move(call, src, target, "redirect", t)
        self._settle(t)

    def _move(self, call: CallRec, src: GroupRec | None, target: GroupRec, reason: str, t: int) -> None:
        if src is not None:
            src.flowed_out += 1
            self._queue_update(src)
        target.flowed_in += 1
        call.reason = reason
        call.transferred = True
        call.arrival = t  # a new arrival there (FIFO and time to answer from now; patience restarts)
        call.flows += ("transfer",)
        self._arrive(target, call, t)

    def make_call(self, line: int, address: int, destination: str, now: float) -> int:
        """MakeCall (§9.2): an outbound call from (line, address): RINGBACK, CONNECTED after
        ``[switch] outbound_answer`` seconds, until Drop. The address's agent (§8.2) is BUSYOUTGOING
        meanwhile and counts it in dwNumberOfOutgoingCalls. A call already on the address, or a busy agent
        -> CALLUNAVAIL; an empty destination -> INVALADDRESS."""
        t = self._advance(now)
        if not 0 <= line < self._lines:
            raise SwitchError(LineErr.BADDEVICEID, f"line {line} does not exist (lines 0..{self._lines - 1})")
        if address != 0:
            raise SwitchError(LineErr.INVALADDRESSID, f"address ID {address} does not exist (each line has address 0)")
        if not isinstance(destination, str) or not destination.strip():
            raise SwitchError(LineErr.INVALADDRESS, f"MakeCall: destination {destination!r} is empty")
        if self._on_line[line]:
            busy_with = next(iter(self._on_line[line]))
            raise SwitchError(LineErr.CALLUNAVAIL, f"MakeCall: line {line} already has call {busy_with}")
        agent = self.address_agent(line, address)
        if agent is not None and agent.busy:
            raise SwitchError(LineErr.CALLUNAVAIL, f"MakeCall: agent {agent.agent_id!r} is busy")
        call = CallRec(next(self._call_ids), t, 0)
        call.outbound = True
        call.dnis = destination
        call.agent = agent
        call.line = line
        call.address = address
        call.state = RINGBACK
        self._calls[call.id] = call
        self._on_line[line][call.id] = None
        self._events.append(_new(CallEvent, (call.id, line, address, RINGBACK, None, True, 0)))
        if agent is not None:
            agent.busy = True
            agent.call = call
            agent.outgoing += 1
            self._agent_update(agent)
            self._agent_touch(agent)
        call.answer_due = t + self._outbound_answer
        if self._outbound_answer:
            self._push(call.answer_due, K.FARANSWER, call)
        else:
            self._far_answer(call, t)
        return call.id

    def _far_answer(self, call: CallRec, t: int) -> None:
        call.answer_due = -1
        call.state = CONNECTED
        call.state_since = t
        call.answer_at = t
        self._events.append(_new(CallEvent, (call.id, call.line, call.address, CONNECTED, None, False, 0)))

    def _end_outbound(self, call: CallRec, t: int) -> None:
        call.answer_due = -1
        call.hangup_at = t
        self._line_end(call, _NORMAL, t)
        self._finish(call, CallOutcome.OUTBOUND)
        if call.agent is not None:
            self._free(call.agent, t)

    def address_agent(self, line: int, address: int) -> AgentRec | None:
        """§8.2: the agent whose ``home`` is (line, address), else the agent of the oldest not-ENDED
        session there, else None."""
        agent = self._by_home.get((line, address))
        if agent is not None:
            return agent
        for h in self._by_line[line] if 0 <= line < self._lines else ():
            s = self._sessions[h]
            if s.address == address and s.state is not AgentSessionState.ENDED:
                return s.agent
        return None

    # ---- what the line sees ----------------------------------------------------------------------
    def call_info(self, call_id: int) -> CallInfo:
        """The call on a line (INVALCALLHANDLE once it has left every line)."""
        call = self._call(call_id)
        session = call.session
        group = call.group
        called = call.dnis if call.dnis is not None else (group.extension if group is not None else None)
        return CallInfo(
            call_id=call.id, line=call.line, address=call.address, state=call.state,  # type: ignore[arg-type]
            state_since=call.state_since, hagent_session=session.handle if session else None,
            agent_id=call.agent.agent_id if call.agent is not None else None, ani=call.ani, dnis=call.dnis,
            called=called, uui=call.uui, outbound=call.outbound, reason=call.reason,
            related_call_id=call.related, group=group.id if group is not None and not call.outbound else None,
            end=call.end,
        )

    def calls_on_line(self, line: int) -> list[int]:
        """IDs of the calls on ``line`` now, oldest first."""
        return list(self._on_line[line]) if 0 <= line < self._lines else []

    # ---- call detail records (§9.5) -------------------------------------------------------------------
    def _finish(self, call: CallRec, outcome: CallOutcome) -> None:
        call.outcome = outcome
        if self._keep_records:
            records = self._records
            if len(records) == records.maxlen:
                self.records_dropped += 1
            records.append(call)

    def take_records(self) -> list[CallRecord]:
        """CDRs of the calls that left the switch since the last take, in the order they left."""
        calls = list(self._records)
        self._records.clear()
        queues = self._queues
        return [_record(c, c.outcome, -1, queues) for c in calls]

    def open_records(self, now: float) -> list[CallRecord]:
        """CDRs of the calls still in the switch (outcome UNANSWERED; a call in its wrap-up: its outcome,
        no wrap-up end), oldest first: for a final flush."""
        t = self._advance(now)
        found: dict[int, tuple[CallRec, CallOutcome]] = {
            c.id: (c, CallOutcome.UNANSWERED) for c in self._calls.values()
        }
        for g in self._groups.values():
            for c in g.waiting:
                found[c.id] = (c, CallOutcome.UNANSWERED)
        for s in self._sessions.values():
            c = s.wrap_call
            if c is not None:
                found[c.id] = (c, CallOutcome.TRANSFERRED if c.transferred else CallOutcome.ANSWERED)
        queues = self._queues
        return [_record(c, outcome, t, queues) for c, outcome in (found[cid] for cid in sorted(found))]


def _record(c: CallRec, outcome: CallOutcome, now: int, queues: dict[int, GroupRec]) -> CallRecord:
    return CallRecord(
        call_id=c.id, groups=tuple(queues[q].id for q in c.hops[0::2]), flows=c.flows, arrival=c.first_arrival,
        queue_entries=c.hops[1::2],
        offers=tuple(
            CallOffer(o[i], o[i + 1], o[i + 2], o[i + 3], o[i + 4] if o[i + 4] >= 0 else now, o[i + 5])
            for o in (c.offers,) for i in range(0, len(o), OFFER_FIELDS)
        ),
        answer=c.answer_at if c.answer_at >= 0 else None, hangup=c.hangup_at if c.hangup_at >= 0 else None,
        wrapup_end=c.wrap_end if c.wrap_end >= 0 else None, outcome=outcome, ani=c.ani, dnis=c.dnis, uui=c.uui,
    )

