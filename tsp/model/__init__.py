"""The pure ACD switch model: a discrete-event simulation driven only by explicit ``now``.

What it models (wire-protocol.md §2 "Agents and sessions" and §4 "ACD semantics"):

* agents (scenario agents exist from the start; unknown IDs are created on first CreateAgent),
* agent sessions (one agent, one group, one line/address) with the LINEAGENTSESSIONSTATE_ machine,
* ACD groups, each with one FIFO queue, routing each arriving call to the session READY longest,
* per-session statistics of §4, per-agent totals (LINEAGENTINFO) and per-queue statistics (LINEQUEUEINFO),
* 1.1 (§7, §9): one call per agent across groups, abandonment, ring timeout, overflow, traffic shapes,
  schedules and activities, measurement periods, calls on the agent's line (answer, drop, hold, transfer,
  redirect, make_call) and call detail records.

The package: :mod:`tsp.model.core` (time, heap, agents, sessions, routing, periods), :mod:`tsp.model.calls`
(the call steps and call control), :mod:`tsp.model.stats` (statistics and lookups), :mod:`tsp.model.rules`
(state-request rules), :mod:`tsp.model.records` (the mutable entities), :mod:`tsp.model.streams` (traffic).

Time. Seconds as ``float`` relative to the scenario start (``scenario.switch.start`` is t = 0). Inside,
every instant is an ``int`` number of microseconds, so the "exact sums" of §4 are exact integers and
the reported floors never suffer from float rounding; inputs are rounded to the nearest microsecond.
Nothing happens except through :meth:`Switch.advance` (or the implicit advance every public method
that takes ``now`` does first): one queue of due events (scripted and Poisson arrivals, answers,
hang-ups, wrap-up ends, ring timeouts, patience and overflow deadlines, scheduled session changes,
period boundaries), processed in time order; events due at the same instant run in the order they were
scheduled, and only then are waiting calls routed (§7.1). The queue is a calendar queue (buckets of
2**20 us; only the bucket being processed is a heap), in the same order as a single heap. No task or timer exists per call. Time may not go
backwards (``ValueError``): that would be a driver bug, not a user error.

Events. Every change a client could observe is recorded, in the order it happened: a
:class:`SessionEvent` (LINE_AGENTSESSIONSTATUS), :class:`AgentEvent` (LINE_AGENTSTATUSEX: STATE when
LINEAGENTINFO.dwAgentState changes, UPDATEINFO when a call is answered, an outbound call placed, the
next state changes or a measurement interval starts), :class:`QueueEvent` (LINE_QUEUESTATUS UPDATEINFO:
a call enters, leaves, abandons or flows; an interval starts) and :class:`CallEvent` (a call's state on
one line). Coalescing per object and instant is the fan-out's job. Events accumulate inside the switch whichever method caused them;
:meth:`Switch.advance` returns (and clears) everything accumulated so far, :meth:`Switch.take_events`
does the same without advancing. Every session state change, and the status bits of its event, is a
row of the lifecycle table :data:`tsp.lifecycle.TABLE` ((state, trigger) -> (next state, bits)): the
switch looks each change up there and makes no other.

Values. Results are the domain values of :mod:`tsp.values` (``datetime``, ``Decimal``, whole
seconds); :meth:`Switch.session_figures` gives a session's figures as plain ints (instants in
microseconds since 1970-01-01 UTC, call rates in ten-thousandths of a call per hour) for a caller that
answers without building objects. Nothing here knows the wire: ``tsp/wire.py`` maps these values to
the LINE... structures (``protocol.constants`` is used only for the TAPI names and numbers).

Errors are :class:`SwitchError` values carrying the LINEERR_ the server should send:

==============================================  ===========================
condition                                       LineErr
==============================================  ===========================
CreateAgent: empty agent ID                     INVALAGENTID
CreateAgent / CreateAgentSession: wrong PIN     INVALPASSWORD
unknown hAgent                                  INVALAGENTID
unknown group GUID                              INVALAGENTGROUP
line (device ID) not in 0..lines-1              BADDEVICEID
address ID other than 0                         INVALADDRESSID
unknown hAgentSession                           INVALPARAM
unknown queue ID                                INVALPARAM
SetAgentSessionState: both states 0             INVALPARAM
SetAgentSessionState: other invalid request     INVALAGENTSTATE
SetAgentSessionState: both nonzero while busy   INVALPARAM
CreateAgentSession: 2nd live session in group   INVALAGENTGROUP
offer_call: negative or non-finite talk time    INVALPARAM
measurement period <= 0                         INVALPARAM
unknown activity                                INVALAGENTACTIVITY
SetAgentStateEx: not READY / NOTREADY           INVALAGENTSTATE
call not on a line (unknown call ID)            INVALCALLHANDLE
call request its state does not allow           INVALCALLSTATE
transfer / redirect to no other group's ext.    INVALADDRESS
make_call: empty destination                    INVALADDRESS
make_call: a call on the address / busy agent   CALLUNAVAIL
==============================================  ===========================
"""

from __future__ import annotations

from tsp.errors import SwitchError
from tsp.model.core import Switch
from tsp.model.rules import US, plan_state_request
from tsp.values import (
    AgentEvent,
    AgentInfo,
    CallEvent,
    CallInfo,
    GroupEntry,
    QueueEntry,
    QueueEvent,
    QueueInfo,
    SessionEvent,
    SessionListEntry,
    SessionStats,
)

__all__ = [
    "US",
    "AgentEvent",
    "AgentInfo",
    "CallEvent",
    "CallInfo",
    "GroupEntry",
    "QueueEntry",
    "QueueEvent",
    "QueueInfo",
    "SessionEvent",
    "SessionListEntry",
    "SessionStats",
    "Switch",
    "SwitchError",
    "plan_state_request",
]
