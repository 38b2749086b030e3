"""The switch model's mutable entities (slots: 10,000 agents must fit in < 4 KiB each).

Only :class:`tsp.model.Switch` (tsp/model/core.py, calls.py, stats.py) changes them; nothing outside the
model package sees them. Instants and durations are ``int`` microseconds since t = 0 (-1 = none).
"""

from __future__ import annotations

import uuid
from collections import deque
from typing import Callable

from protocol.constants import AgentSessionState, AgentStateEx, AgentStatusEx, QueueStatus
from tsp import lifecycle
from tsp.values import AgentEvent, CallEnd, CallState, QueueEvent

_new = tuple.__new__

__all__ = ["OFFER_FIELDS", "AgentRec", "CallRec", "GroupRec", "PeriodRec", "SessionRec", "TrafficRec"]


class PeriodRec:
    """A measurement period (§7.8): length ``p`` (us), the current interval's start and the counters'
    values at that start (subtracted when reporting). ``due`` = the next boundary (a heap event)."""

    __slots__ = ("p", "start", "base", "due")

    def __init__(self, p: int, start: int, base: tuple[int, ...]) -> None:
        self.p = p
        self.start = start
        self.base = base
        self.due = start + p


class GroupRec:
    __slots__ = (
        "id", "name", "queue_id", "waiting", "ready", "arrived", "left", "wait_sum", "wait_max", "abandoned",
        "flowed_in", "flowed_out", "overflow_after", "overflow_to", "extension", "period", "created", "event_t",
        "event_take", "update_event",
    )

    def __init__(self, gid: uuid.UUID, name: str, queue_id: int) -> None:
        self.id = gid
        self.name = name
        self.queue_id = queue_id
        self.waiting: deque[CallRec] = deque()  # calls waiting, by (arrival, id): FIFO by arrival
        #: routing candidates (ready_since, hAgentSession, ready_gen, the SessionRec), sorted by the first
        #: three (Switch._ready; hAgentSession and ready_gen make every entry unique, so the SessionRec is
        #: never compared); stale ones (another ready_gen, not READY, agent busy) are dropped when they
        #: reach the front
        self.ready: deque[tuple[int, int, int, SessionRec]] = deque()
        self.arrived = 0  # calls that entered the queue (arrivals, overflow and transfers in)
        self.left = 0  # calls that left the queue: offered, abandoned, flowed out
        self.wait_sum = 0  # their waits (us)
        self.wait_max = 0
        self.abandoned = 0
        self.flowed_in = 0
        self.flowed_out = 0
        self.overflow_after = -1  # us; -1 = no overflow
        self.overflow_to: GroupRec | None = None
        self.extension: str | None = None
        self.period: PeriodRec | None = None
        self.created = 0
        self.event_t = -1  # instant and take_events() count of its last QueueEvent (one per instant)
        self.event_take = -1
        #: its QueueEvent UPDATEINFO (an immutable value: built once, emitted every time)
        self.update_event = _new(QueueEvent, (queue_id, QueueStatus.UPDATEINFO))


class AgentRec:
    __slots__ = (
        "handle", "agent_id", "pin", "answer_delay", "wrapup", "created", "sessions", "answer", "home", "activity",
        "busy", "call", "state_ex", "outgoing", "period", "update_event", "busy_event", "ready_event",
    )

    def __init__(self, handle: int, agent_id: str, pin: str | None, answer_delay: int, wrapup: int, created: int):
        self.handle = handle
        self.agent_id = agent_id
        self.pin = pin
        self.answer_delay = answer_delay  # us
        self.wrapup = wrapup  # us
        self.created = created  # us
        self.sessions: list[SessionRec] = []
        self.answer = "auto"  # "auto" / "app" / "never" (§9.3)
        self.home: tuple[int, int] | None = None
        self.activity: int | None = None
        #: §7.1: a call rings to it, it talks, holds, wraps up, or has an outbound call
        self.busy = False
        self.call: CallRec | None = None  # its call (ringing, talking, held, or outbound), None in wrap-up
        self.state_ex = AgentStateEx.RELEASED  # LINEAGENTINFO.dwAgentState as last reported (AgentEvent)
        self.outgoing = 0  # MakeCall calls
        self.period: PeriodRec | None = None
        # its AgentEvents of every call (immutable values: built once, emitted every time): UPDATEINFO,
        # STATE BUSYACD, STATE READY
        self.update_event = _new(AgentEvent, (handle, AgentStatusEx.UPDATEINFO, 0))
        self.busy_event = _new(AgentEvent, (handle, AgentStatusEx.STATE, int(AgentStateEx.BUSYACD)))
        self.ready_event = _new(AgentEvent, (handle, AgentStatusEx.STATE, int(AgentStateEx.READY)))


class SessionRec:
    __slots__ = (
        "handle", "agent", "group", "line", "address", "state", "next_state", "created", "ended",
        "ready_since", "ready_gen", "calls", "talk_sum", "wrap_sum", "tta_sum", "tta_max", "call",
        "talk_start", "wrap_start", "wrap_call",
    )

    def __init__(self, handle: int, agent: AgentRec, group: GroupRec, line: int, address: int, created: int):
        self.handle = handle
        self.agent = agent
        self.group = group
        self.line = line
        self.address = address
        self.state: AgentSessionState | None = lifecycle.NEW  # until its first lifecycle row
        self.next_state = 0
        self.created = created
        self.ended: int | None = None
        self.ready_since = 0
        self.ready_gen = 0
        self.calls = 0
        self.talk_sum = 0  # completed talk, us
        self.wrap_sum = 0  # completed wrap-up, us
        self.tta_sum = 0
        self.tta_max = 0
        self.call: CallRec | None = None  # ringing or talking here
        self.talk_start = -1  # answer time of the call in progress, -1 if not talking
        self.wrap_start = -1  # start of the wrap-up in progress, -1 if none
        self.wrap_call: CallRec | None = None  # the call whose wrap-up this is, if it ended here


class CallRec:
    """A call in the switch: waiting in a queue (``where``), ringing / talking at ``session``, or an
    outbound call of ``agent``. ``*_due`` are the instants of its pending heap events (-1 = none): a
    heap event whose instant is no longer its due is stale and ignored."""

    __slots__ = (
        "id", "arrival", "talk", "patience_due", "overflow_due", "where", "group", "session", "agent", "state",
        "state_since", "line", "address", "answer_due", "hangup_due", "ring_due", "ani", "dnis", "uui",
        "outbound", "reason", "related", "end", "first_arrival", "hops", "flows", "offers",
        "answer_at", "hangup_at", "wrap_end", "outcome", "transferred", "patience", "patience_set",
    )

    def __init__(self, call_id: int, arrival: int, talk: int) -> None:
        self.id = call_id
        self.arrival = arrival  # FIFO key: arrival at the switch (after a transfer: at the transfer)
        self.first_arrival = arrival
        self.talk = talk
        self.patience = -1  # us from (re)arrival; -1 = waits forever
        self.patience_due = -1
        self.patience_set = False  # a heap event for patience_due exists
        self.overflow_due = -1
        self.where: GroupRec | None = None  # the queue it waits in
        self.group: GroupRec | None = None  # the group it belongs to now (queue or the session's)
        self.session: SessionRec | None = None
        self.agent: AgentRec | None = None
        self.state: CallState | None = None  # on a line; None while waiting
        self.state_since = arrival
        self.line = -1
        self.address = 0
        self.answer_due = -1
        self.hangup_due = -1
        self.ring_due = -1
        self.ani: str | None = None
        self.dnis: str | None = None
        self.uui: str | None = None
        self.outbound = False
        self.reason = "direct"
        self.related = 0
        self.end: CallEnd | None = None
        self.transferred = False
        # CDR (§9.5), kept flat so that a call allocates no list, nor one object per queue entry and offer
        # (fewer objects for the garbage collector on the per-call path)
        # (tuples of ints and strings only: the garbage collector untracks them after one young collection)
        self.hops: tuple = ()  # queue ID, queue entry (us), for each queue the call entered: flat pairs
        self.flows: tuple[str, ...] = ()  # how it reached hops 2, 3, ...: "overflow" / "transfer"
        #: flat, OFFER_FIELDS per offer: hagent_session, hagent, agent_id, ring_start, ring_end (-1: still
        #: ringing), answered
        self.offers: tuple = ()
        self.answer_at = -1
        self.hangup_at = -1
        self.wrap_end = -1
        self.outcome = None


OFFER_FIELDS = 6  # the stride of CallRec.offers


class TrafficRec:
    """One ``[[traffic]]`` stream: constant rate (1.0: exponential gaps inline) or ``next_after`` (a
    profile, tsp.traffic.Arrivals); talk and patience samplers."""

    __slots__ = (
        "group", "mean_gap", "talk_mean", "talk", "patience", "next_after", "ani", "dnis", "uui", "fill",
    )

    def __init__(self, group: GroupRec, rate_per_hour: float, talk_mean: float) -> None:
        self.group = group
        self.mean_gap = 3600.0 / rate_per_hour if rate_per_hour > 0 else 0.0  # seconds
        self.talk_mean = talk_mean
        self.talk: Callable | None = None  # None: exponential of talk_mean (1.0, inline)
        self.patience: Callable | None = None  # None: no abandonment
        self.next_after: Callable | None = None  # None: constant rate
        self.ani: str | None = None
        self.dnis: str | None = None
        self.uui: str | None = None
        self.fill: Callable | None = None


