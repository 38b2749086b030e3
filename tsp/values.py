"""The model's values: what :class:`tsp.model.Switch` reports, in domain terms.

Times are whole seconds (``int``, floors of exact microsecond sums), instants aware UTC ``datetime``,
call rates ``Decimal`` calls per hour with exactly 4 decimals, GUIDs ``uuid.UUID``, states the TAPI
enums of ``protocol.constants`` (the vocabulary, no wire layout). Nothing here knows a wire encoding:
``tsp/wire.py`` maps these values to the LINE... structures field by field.

The model's own integer forms (used where a request is answered without building these objects):

* an instant: microseconds since 1970-01-01 00:00 UTC (:data:`EPOCH`), ``int``;
* a call rate: ten-thousandths of a call per hour, ``int`` (:func:`rate_e4`; ``Decimal`` by
  :func:`rate_decimal`), rounded to nearest, ties to even.
"""

from __future__ import annotations

import datetime as _dt
import enum
import functools
import uuid
from decimal import Decimal
from typing import NamedTuple

import attrs

from protocol.constants import AgentSessionState, AgentSessionStatus, AgentStateEx, AgentStatusEx, QueueStatus

__all__ = [
    "EPOCH", "AgentEvent", "AgentInfo", "CallEnd", "CallEvent", "CallInfo", "CallOffer", "CallOutcome", "CallRecord", "CallState",
    "GroupEntry", "QueueEntry", "QueueEvent", "QueueInfo", "SessionEvent", "SessionListEntry", "SessionStats",
    "rate_decimal", "rate_e4",
]

#: t = 0 of the model's absolute microsecond counts (the POSIX epoch).
EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_US = 1_000_000


def rate_e4(calls: int, duration_us: int) -> int:
    """calls x 3600 / duration in ten-thousandths of a call per hour, rounded to nearest (ties to even);
    0 when there are no calls or no duration."""
    if duration_us <= 0 or calls == 0:
        return 0
    q, r = divmod(calls * 3600 * _US * 10_000, duration_us)
    if 2 * r > duration_us or (2 * r == duration_us and q % 2):
        q += 1
    return q


@functools.lru_cache(maxsize=4096)
def rate_decimal(e4: int) -> Decimal:
    """A :func:`rate_e4` value as the Decimal with exactly 4 decimals (52500 -> Decimal('5.2500')).

    Memoised (bounded LRU; Decimals are immutable): call rates repeat from poll to poll."""
    return Decimal(e4).scaleb(-4)


# --------------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------------


class SessionEvent(NamedTuple):
    """One LINE_AGENTSESSIONSTATUS: send to connections with ``line`` open (Param1..3 of wire §2)."""

    hagent_session: int
    line: int
    status: AgentSessionStatus
    state: AgentSessionState


class AgentEvent(NamedTuple):
    """One LINE_AGENTSTATUSEX (wire-protocol §8.1): to every connection with a line open."""

    hagent: int
    status: AgentStatusEx
    state: int  # the new LINEAGENTSTATEEX_ value when ``status`` has STATE, else 0


class QueueEvent(NamedTuple):
    """One LINE_QUEUESTATUS (wire-protocol §8.1): to every connection with a line open."""

    queue_id: int
    status: QueueStatus


class CallState(enum.Enum):
    """A call's state as the agent's line sees it (wire-protocol §9.1; tsp/wire.py maps each to its
    LINECALLSTATE_ value)."""

    OFFERING = "offering"  # ringing at the session's line (inbound)
    RINGBACK = "ringback"  # outbound call placed by MakeCall, far end not answered yet
    CONNECTED = "connected"
    ONHOLD = "onhold"
    DISCONNECTED = "disconnected"
    IDLE = "idle"


class CallEnd(enum.Enum):
    """Why a call left a line (the DISCONNECTED state's mode; tsp/wire.py maps to LINEDISCONNECTMODE_)."""

    NORMAL = "normal"  # a party hung up
    NOANSWER = "noanswer"  # ring timeout, or the agent rejected the offer (Drop from OFFERING)
    FORWARDED = "forwarded"  # Redirect / BlindTransfer: the call went elsewhere


class CallEvent(NamedTuple):
    """A call's state changed on one (line, address) (wire-protocol §9.1).

    ``new`` marks the first event of the call on that line: every connection with the line open then
    allocates its own hCall and sends LINE_APPNEWCALL before the LINE_CALLSTATE. ``end`` is set for
    DISCONNECTED. The call stays known to the model until IDLE has been emitted on every line it was on.
    """

    call_id: int
    line: int
    address: int
    state: CallState
    end: CallEnd | None = None
    new: bool = False
    related_call_id: int = 0


@attrs.frozen
class CallInfo:
    """A call on a line as the model sees it (wire-protocol §9.2 GetCallInfo / GetCallStatus; tsp/wire.py
    maps it to LINECALLINFO / LINECALLSTATUS). ``state_since``: microseconds since t = 0. ``called`` is
    the call's ``dnis``, else its group's extension (outbound: the destination). ``reason``: "direct",
    "transfer" or "redirect" (how it reached this line). ``group``: its ACD group (None: outbound)."""

    call_id: int
    line: int
    address: int
    state: CallState
    state_since: int
    hagent_session: int | None
    agent_id: str | None
    ani: str | None
    dnis: str | None
    called: str | None
    uui: str | None
    outbound: bool
    reason: str
    related_call_id: int
    group: uuid.UUID | None
    end: CallEnd | None


class CallOutcome(enum.Enum):
    """How a call left the switch (a CDR's ``outcome``, wire-protocol §9.5)."""

    ANSWERED = "answered"  # talked with an agent (and ended there)
    ABANDONED = "abandoned"  # caller hung up while waiting in a queue
    TRANSFERRED = "transferred"  # left an agent for another group's queue and ended there (see groups)
    OUTBOUND = "outbound"  # placed by MakeCall
    UNANSWERED = "unanswered"  # still waiting or ringing when the switch stopped (written at close)


@attrs.frozen
class CallOffer:
    """One ring of a call at a session (a CDR entry). Instants in microseconds since t = 0."""

    hagent_session: int
    hagent: int
    agent_id: str
    ring_start: int
    ring_end: int  # answer, ring timeout, reject or redirect
    answered: bool


@attrs.frozen
class CallRecord:
    """A call detail record (wire-protocol §9.5), emitted when the call leaves the switch. Instants are
    microseconds since t = 0 (``None`` = did not happen); tsp/cdr.py writes it as JSON with ISO 8601
    UTC instants and seconds since start. ``groups`` lists every queue it was in, in order (overflow and
    transfers add entries; ``flows`` says how each entry after the first was reached: "overflow" or
    "transfer")."""

    call_id: int
    groups: tuple[uuid.UUID, ...]
    flows: tuple[str, ...]
    arrival: int
    queue_entries: tuple[int, ...]  # instant it entered each queue of ``groups``
    offers: tuple[CallOffer, ...]
    answer: int | None
    hangup: int | None
    wrapup_end: int | None
    outcome: CallOutcome
    ani: str | None
    dnis: str | None
    uui: str | None = None


@attrs.frozen
class SessionStats:
    """LINEAGENTSESSIONINFO contents at one instant, computed per wire-protocol §4."""

    state: AgentSessionState
    next_state: int  # a LINEAGENTSESSIONSTATE_ value, 0 when nothing is pending
    session_start_time: _dt.datetime  # aware, UTC
    session_duration: int
    number_of_calls: int
    total_talk_time: int
    average_talk_time: int
    total_call_time: int
    average_call_time: int
    total_wrap_up_time: int
    average_wrap_up_time: int
    acd_call_rate: Decimal  # calls per hour, exactly 4 decimals (see rate_e4)
    longest_time_to_answer: int
    average_time_to_answer: int



@attrs.frozen
class AgentInfo:
    """LINEAGENTINFO contents (tapi-facts §2.3). Totals are over all the agent's sessions.

    ``state`` derives from the sessions: any BUSYONCALL or BUSYWRAPUP -> BUSYACD, else any READY ->
    READY, else any NOTREADY -> NOTREADY, else (no live session) RELEASED. ``next_state`` is 0 (the
    switch has no agent-level next state). The measurement period is the time since the agent was
    created (t = 0 for scenario agents); ``overall_call_rate`` = ACD calls x 3600 / that period.
    """

    state: AgentStateEx
    next_state: int
    measurement_period: int
    overall_call_rate: Decimal
    number_of_acd_calls: int
    number_of_incoming_calls: int
    number_of_outgoing_calls: int
    total_acd_talk_time: int
    total_acd_call_time: int
    total_acd_wrap_up_time: int


@attrs.frozen
class QueueInfo:
    """LINEQUEUEINFO contents (tapi-facts §2.4) of one group's queue. Times in whole seconds.

    * measurement_period: seconds since the switch started (queues exist from t = 0).
    * total_calls_queued: every call that arrived at the queue, routed at once or not.
    * current_calls_queued: calls waiting now, not yet offered to a session.
    * total_calls_abandoned / flowed_in / flowed_out: 0 (callers never hang up in the queue; no overflow).
    * wait = time from arrival at the queue to the offer to a session.
    * longest_ever_wait_time: floor(max wait of every call so far, those still waiting included).
    * current_longest_wait_time: floor(wait so far of the oldest waiting call); 0 if none waits.
    * average_wait_time: floor(sum of waits of offered calls / their number); 0 if none.
    * final_disposition: 0 (calls never leave the queue other than to an agent).
    """

    measurement_period: int
    total_calls_queued: int
    current_calls_queued: int
    total_calls_abandoned: int
    total_calls_flowed_in: int
    total_calls_flowed_out: int
    longest_ever_wait_time: int
    current_longest_wait_time: int
    average_wait_time: int
    final_disposition: int


@attrs.frozen
class SessionListEntry:
    """LINEAGENTSESSIONENTRY."""

    hagent_session: int
    hagent: int
    group_id: uuid.UUID
    working_address_id: int


@attrs.frozen
class GroupEntry:
    """LINEAGENTGROUPENTRY plus the group's queue ID."""

    group_id: uuid.UUID
    name: str
    queue_id: int


@attrs.frozen
class QueueEntry:
    """LINEQUEUEENTRY: a queue is named after its group."""

    queue_id: int
    name: str
