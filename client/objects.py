"""TAPI3-style call-centre objects: ITAgent, ITAgentSession, ITACDGroup, ITQueue, ITAddress.

Method names are tapi3cc.h's (``get_TotalTalkTime``, ``put_State``, ``CreateSessionWithPIN`` ...), so code
ported from TAPI3 reads the same; every method is a coroutine (the blocking facade in
:mod:`client.blocking` offers the same names without ``await``).

Timeout (tapi-facts §5.4): each statistic getter and ``put_State`` is one round trip — a
GetAgentSessionInfo / SetAgentSessionState request and its LINE_REPLY — that waits at most
:data:`REQUEST_TIMEOUT` (TAPI3's two minutes) and then raises :class:`~client.errors.TapiTimeoutError`
(``hresult == TAPI_E_TIMEOUT``). The deadline covers the whole call (RESPONSE and LINE_REPLY). The only way
to shorten it, e.g. for tests, is the documented ``request_timeout`` argument of :func:`client.connect`.
A reply that arrives after its deadline is dropped quietly and leaves no pending entry behind.

A LINEERR result raises :class:`~client.errors.LineError`, a :class:`~client.errors.TapiError` whose
``hresult`` is that LINEERR (``LINEERR_NOMEM`` becomes ``E_OUTOFMEMORY``), as TAPI3 documents.

Cached mode (``client.connect(..., cached=True)``): getters answer from the last LINEAGENTSESSIONINFO and a
new one is fetched in the background whenever a LINE_AGENTSESSIONSTATUS event (UPDATEINFO or STATE) says it
changed; a getter called while the cache is stale fetches it itself. The default is what the TAPI3
documentation describes: one round trip per call. Note that time-dependent statistics
(``get_SessionDuration``, talk time of a call in progress) change without an event, so a cached value can
lag by up to the time since the last event.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import uuid
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final, TypeVar

import attrs

from client.errors import TapiError, invalid_argument
from protocol.constants import (
    TAPI3_REQUEST_TIMEOUT,
    AgentSessionEvent,
    AgentSessionState,
    AgentSessionStateASST,
    AgentSessionStatus,
    AgentState,
    AgentStateEx,
    HResult,
)

from client.interfaces import LineLike, TapiLike

if TYPE_CHECKING:  # pragma: no cover
    from protocol.structs import AgentInfo, AgentSessionInfo, QueueInfo

#: How long a TAPI3 object call waits for its completion before TAPI_E_TIMEOUT: two minutes
#: (tapi-facts §5.4). Shorten it only through ``client.connect(..., request_timeout=...)``.
REQUEST_TIMEOUT: Final[float] = TAPI3_REQUEST_TIMEOUT

_T = TypeVar("_T")

# --- state mappings (tapi-facts §3.3, §4: by name) -----------------------------------------------------------

#: LINEAGENTSESSIONSTATE_ -> AGENT_SESSION_STATE. RELEASED has no ASST_ twin; it reads as SESSION_ENDED.
SESSION_STATE_TO_ASST: Final[dict[int, AgentSessionStateASST]] = {
    AgentSessionState.NOTREADY: AgentSessionStateASST.NOT_READY,
    AgentSessionState.READY: AgentSessionStateASST.READY,
    AgentSessionState.BUSYONCALL: AgentSessionStateASST.BUSY_ON_CALL,
    AgentSessionState.BUSYWRAPUP: AgentSessionStateASST.BUSY_WRAPUP,
    AgentSessionState.ENDED: AgentSessionStateASST.SESSION_ENDED,
    AgentSessionState.RELEASED: AgentSessionStateASST.SESSION_ENDED,
}

#: AGENT_SESSION_STATE -> LINEAGENTSESSIONSTATE_ for put_State.
ASST_TO_SESSION_STATE: Final[dict[int, AgentSessionState]] = {
    AgentSessionStateASST.NOT_READY: AgentSessionState.NOTREADY,
    AgentSessionStateASST.READY: AgentSessionState.READY,
    AgentSessionStateASST.BUSY_ON_CALL: AgentSessionState.BUSYONCALL,
    AgentSessionStateASST.BUSY_WRAPUP: AgentSessionState.BUSYWRAPUP,
    AgentSessionStateASST.SESSION_ENDED: AgentSessionState.ENDED,
}

#: New LINEAGENTSESSIONSTATE_ of a STATE event -> the AGENT_SESSION_EVENT TAPI3 reports.
SESSION_STATE_TO_EVENT: Final[dict[int, AgentSessionEvent]] = {
    AgentSessionState.NOTREADY: AgentSessionEvent.NOT_READY,
    AgentSessionState.READY: AgentSessionEvent.READY,
    AgentSessionState.BUSYONCALL: AgentSessionEvent.BUSY,
    AgentSessionState.BUSYWRAPUP: AgentSessionEvent.WRAPUP,
    AgentSessionState.ENDED: AgentSessionEvent.END,
    AgentSessionState.RELEASED: AgentSessionEvent.END,
}

#: LINEAGENTSTATEEX_ -> AGENT_STATE. RELEASED has no AS_ twin; it reads as UNKNOWN.
AGENT_STATE_TO_AS: Final[dict[int, AgentState]] = {
    AgentStateEx.NOTREADY: AgentState.NOT_READY,
    AgentStateEx.READY: AgentState.READY,
    AgentStateEx.BUSYACD: AgentState.BUSY_ACD,
    AgentStateEx.BUSYINCOMING: AgentState.BUSY_INCOMING,
    AgentStateEx.BUSYOUTGOING: AgentState.BUSY_OUTGOING,
    AgentStateEx.UNKNOWN: AgentState.UNKNOWN,
    AgentStateEx.RELEASED: AgentState.UNKNOWN,
}


#: AGENT_STATE -> LINEAGENTSTATEEX_ for ITAgent.put_State (the two states SetAgentStateEx accepts).
AS_TO_AGENT_STATE: Final[dict[int, int]] = {AgentState.READY: int(AgentStateEx.READY),
                                            AgentState.NOT_READY: int(AgentStateEx.NOTREADY)}


def asst_of(state: int) -> AgentSessionStateASST:
    """AGENT_SESSION_STATE for a LINEAGENTSESSIONSTATE_ value; an unknown value is E_UNEXPECTED."""
    try:
        return SESSION_STATE_TO_ASST[int(state)]
    except KeyError:
        raise TapiError(
            HResult.E_UNEXPECTED, f"server reported unknown LINEAGENTSESSIONSTATE_ value {int(state):#x}"
        ) from None


def session_events_of(status: int, state: int) -> list[AgentSessionEvent]:
    """The AGENT_SESSION_EVENTs one LINE_AGENTSESSIONSTATUS carries (UPDATEINFO alone carries none).

    NEWSESSION comes first, then the state change, as TAPI3 would report a session created in a state.
    """
    events: list[AgentSessionEvent] = []
    bits = AgentSessionStatus(int(status) & 0x7)
    if AgentSessionStatus.NEWSESSION in bits:
        events.append(AgentSessionEvent.NEW_SESSION)
    if AgentSessionStatus.STATE in bits and int(state) in SESSION_STATE_TO_EVENT:
        events.append(SESSION_STATE_TO_EVENT[int(state)])
    return events


async def _known(value: _T) -> _T:
    """An awaitable of a value already known (the cached getters)."""
    return value


# --- small value objects --------------------------------------------------------------------------------------


def _shown(value: object) -> str:
    """``repr(value)`` for an error message, cut after 48 characters when longer than 60."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:48]}..."


@attrs.frozen
class ITAddress:
    """The address a session works on: line device ``device_id``, address ``address_id`` (always 0 here)."""

    device_id: int | None
    address_id: int

    async def get_AddressID(self) -> int:
        """The address ID on its line device."""
        return self.address_id


@attrs.define(eq=False)
class ITACDGroup:
    """An ACD group, identified by its GUID. ``get_Name`` asks the server (GetGroupList) once if needed."""

    group_id: uuid.UUID
    _line: LineLike | None = attrs.field(default=None, repr=False)
    name: str | None = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ITACDGroup) and other.group_id == self.group_id

    def __hash__(self) -> int:
        return hash(self.group_id)

    async def get_Name(self) -> str:
        """The group's name from the server's group list (E_UNEXPECTED if the group is not listed)."""
        if self.name is None:
            if self._line is None:
                raise TapiError(HResult.E_UNEXPECTED, f"no line to look up the name of group {self.group_id}")
            groups = await self._line.get_group_list(timeout=self._line.tapi.request_timeout)
            for entry in groups.entries:
                if entry.group_id == self.group_id:
                    self.name = entry.name
                    break
            else:
                raise TapiError(HResult.E_UNEXPECTED, f"group {self.group_id} is not in the server's group list")
        return self.name

    async def EnumerateQueues(self) -> list[ITQueue]:
        """The group's queues (GetQueueList; each queue is named after its group). E_UNEXPECTED without a
        line; an unknown group is ``LineError`` LINEERR_INVALAGENTGROUP."""
        if self._line is None:
            raise TapiError(HResult.E_UNEXPECTED, f"no line to list the queues of group {self.group_id}")
        lst = await self._line.get_queue_list(self, timeout=self._line.tapi.request_timeout)
        return [ITQueue(entry.queue_id, entry.name, self._line) for entry in lst.entries]

    async def get_Queues(self) -> list[ITQueue]:
        """Same as :meth:`EnumerateQueues` (TAPI3's collection form)."""
        return await self.EnumerateQueues()


@attrs.define(eq=False)
class ITQueue:
    """An ACD queue (tapi3cc.h ITQueue) from :meth:`ITACDGroup.EnumerateQueues`: ``queue_id`` (dwQueueID)
    and ``name``. Each statistic getter is one GetQueueInfo round trip (two-minute deadline)."""

    queue_id: int
    name: str
    _line: LineLike = attrs.field(repr=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ITQueue) and other.queue_id == self.queue_id

    def __hash__(self) -> int:
        return hash(self.queue_id)

    async def get_Name(self) -> str:
        """The queue's name, as the queue list gave it."""
        return self.name

    def _info(self) -> Awaitable[QueueInfo]:
        # The line method's coroutine itself (not a coroutine of its own: one frame less per getter call).
        return self._line.get_queue_info(self.queue_id, timeout=self._line.tapi.request_timeout)

    async def put_MeasurementPeriod(self, period: int) -> None:
        """The queue's measurement period in seconds: one SetQueueMeasurementPeriod (156) round trip
        (two-minute deadline). The switch starts a new interval now, so the queue's totals restart
        (wire-protocol §7.8; TAPI3's ITQueue page does not say, ITAgent's does). 0 or less is
        E_INVALIDARG (nothing sent)."""
        if type(period) is bool or not isinstance(period, int) or not 0 < period <= 0x7FFFFFFF:
            raise invalid_argument(f"put_MeasurementPeriod: {period!r} is not a period of 1..0x7FFFFFFF seconds")
        await self._line.set_queue_measurement_period(self.queue_id, period, timeout=self._line.tapi.request_timeout)

    async def get_MeasurementPeriod(self) -> int:
        """Seconds the statistics cover (dwMeasurementPeriod)."""
        return (await self._info()).measurement_period

    async def get_TotalCallsQueued(self) -> int:
        """Calls that entered the queue (dwTotalCallsQueued)."""
        return (await self._info()).total_calls_queued

    async def get_CurrentCallsQueued(self) -> int:
        """Calls waiting now (dwCurrentCallsQueued)."""
        return (await self._info()).current_calls_queued

    async def get_TotalCallsAbandoned(self) -> int:
        """Calls that hung up while waiting (dwTotalCallsAbandoned)."""
        return (await self._info()).total_calls_abandoned

    async def get_TotalCallsFlowedIn(self) -> int:
        """Calls that overflowed into this queue (dwTotalCallsFlowedIn)."""
        return (await self._info()).total_calls_flowed_in

    async def get_TotalCallsFlowedOut(self) -> int:
        """Calls that overflowed out of this queue (dwTotalCallsFlowedOut)."""
        return (await self._info()).total_calls_flowed_out

    async def get_LongestEverWaitTime(self) -> int:
        """Longest wait, in seconds, of any call (dwLongestEverWaitTime)."""
        return (await self._info()).longest_ever_wait_time

    async def get_CurrentLongestWaitTime(self) -> int:
        """Wait, in seconds, of the call waiting longest now (dwCurrentLongestWaitTime)."""
        return (await self._info()).current_longest_wait_time

    async def get_AverageWaitTime(self) -> int:
        """Average wait in seconds (dwAverageWaitTime)."""
        return (await self._info()).average_wait_time

    async def get_FinalDisposition(self) -> int:
        """Calls that reached their final disposition (dwFinalDisposition)."""
        return (await self._info()).final_disposition


# --- ITAgentSession -------------------------------------------------------------------------------------------


class ITAgentSession:
    """One agent session (tapi3cc.h ITAgentSession) on the line it was created or enumerated on.

    ``handle`` is the hAgentSession. ``agent``, ``group`` and ``address`` are known when the session was
    created or enumerated through an :class:`ITAgent`; a session first seen in an event from another
    application's agent has ``agent`` None (and its group/address None) until it is enumerated.
    """

    def __init__(
        self,
        line: LineLike,
        handle: int,
        *,
        agent: ITAgent | None = None,
        group: ITACDGroup | None = None,
        address: ITAddress | None = None,
    ) -> None:
        self._line = line
        self.handle = int(handle)
        self.agent = agent
        self.group = group
        self.address = address
        #: The last LINEAGENTSESSIONINFO fetched for this session (any mode), or None.
        self.last_info: AgentSessionInfo | None = None
        self._stale = True
        self._generation = 0
        self._refreshing = False

    def __repr__(self) -> str:
        agent = self.agent.agent_id if self.agent is not None else "?"
        return f"<ITAgentSession hAgentSession={self.handle} agent={agent!r}>"

    @property
    def tapi(self) -> TapiLike:
        """The connection-level object this session belongs to."""
        return self._line.tapi

    @property
    def line(self) -> LineLike:
        """The line this session's requests go through."""
        return self._line

    @property
    def cached(self) -> bool:
        """True when getters answer from the cached info (``client.connect(..., cached=True)``)."""
        return self._line.tapi.cached

    # -- info plumbing

    def _info(self) -> Awaitable[AgentSessionInfo]:
        """The session's info: the cached one (cached mode, not stale) or one GetAgentSessionInfo round trip.

        Neither this nor the round trip's part here is a coroutine of its own (one frame less per getter
        call): a getter reads ``self._generation`` before awaiting this and passes the info through
        :meth:`_kept`, which is what :meth:`refresh` does."""
        if self.last_info is not None and not self._stale and self._line.tapi.cached:
            return _known(self.last_info)
        return self._line.get_agent_session_info(self.handle, timeout=self._line.tapi.request_timeout)

    def _kept(self, generation: int, info: AgentSessionInfo) -> AgentSessionInfo:
        """Store ``info`` (asked for at ``generation``) as :attr:`last_info`; fresh unless a status event
        arrived meanwhile."""
        self.last_info = info
        if generation == self._generation:
            self._stale = False
        return info

    async def refresh(self) -> AgentSessionInfo:
        """One GetAgentSessionInfo round trip (two-minute deadline); stores and returns the result."""
        generation = self._generation
        return self._kept(generation, await self._line.get_agent_session_info(
            self.handle, timeout=self._line.tapi.request_timeout))

    def _on_status(self, status: int, state: int) -> None:
        """A LINE_AGENTSESSIONSTATUS for this session arrived (called from the reader task)."""
        if int(status) & (AgentSessionStatus.STATE | AgentSessionStatus.UPDATEINFO):
            self._generation += 1
            self._stale = True
            if self.cached and not self._refreshing:
                self._refreshing = True
                self._line.tapi.registry.start_background(self._background_refresh)

    async def _background_refresh(self) -> None:
        try:
            while self._stale:
                try:
                    await self.refresh()
                except TapiError:
                    return  # the next getter retries with its own round trip
        finally:
            self._refreshing = False

    # -- tapi3cc.h methods, in header order

    async def get_Agent(self) -> ITAgent:
        """The agent that owns the session (object state, no round trip)."""
        if self.agent is None:
            raise TapiError(HResult.E_UNEXPECTED, f"agent of session {self.handle} is not known to this client")
        return self.agent

    async def get_Address(self) -> ITAddress:
        """The address the session works on (object state, no round trip)."""
        if self.address is None:
            raise TapiError(HResult.E_UNEXPECTED, f"address of session {self.handle} is not known to this client")
        return self.address

    async def get_ACDGroup(self) -> ITACDGroup:
        """The ACD group of the session (object state: LINEAGENTSESSIONINFO has no group field)."""
        if self.group is None:
            raise TapiError(HResult.E_UNEXPECTED, f"group of session {self.handle} is not known to this client")
        return self.group

    async def put_State(self, state: AgentSessionStateASST | int) -> None:
        """Request a new state (NOT_READY, READY or SESSION_ENDED): one SetAgentSessionState round trip.

        An AGENT_SESSION_STATE value that does not exist raises E_INVALIDARG without a request; a state the
        switch refuses (e.g. BUSY_ON_CALL) raises LineError(LINEERR_INVALAGENTSTATE). During a call the
        switch stores the request and applies it when the call and wrap-up are over (wire-protocol §4).
        """
        line_state = None
        if isinstance(state, int) and not isinstance(state, bool):
            line_state = ASST_TO_SESSION_STATE.get(int(state))
        if line_state is None:
            raise invalid_argument(f"put_State: state must be an AGENT_SESSION_STATE value (0..4), got {_shown(state)}")
        await self._line.set_agent_session_state(
            self.handle, line_state, 0, timeout=self._line.tapi.request_timeout
        )
        self._generation += 1
        self._stale = True

    async def get_State(self) -> AgentSessionStateASST:
        """The session's AGENT_SESSION_STATE.

        One GetAgentSessionInfo round trip (cached mode: from the cache). TAPI3 answers this from object
        state; this client cannot count on seeing every state event (a session's events only reach
        connections that have its line open), so it asks, which is always right.
        """
        generation = self._generation
        return asst_of(self._kept(generation, await self._info()).state)

    async def get_SessionStartTime(self) -> _dt.datetime:
        """When the session was created, as an aware UTC datetime (DATE dateSessionStartTime)."""
        generation = self._generation
        return self._kept(generation, await self._info()).session_start_time

    async def get_SessionDuration(self) -> int:
        """Seconds since creation, frozen when the session ended (dwSessionDuration)."""
        generation = self._generation
        return self._kept(generation, await self._info()).session_duration

    async def get_NumberOfCalls(self) -> int:
        """ACD calls answered in this session (dwNumberOfCalls)."""
        generation = self._generation
        return self._kept(generation, await self._info()).number_of_calls

    async def get_TotalTalkTime(self) -> int:
        """Seconds of talk, the call in progress counted up to now (dwTotalTalkTime)."""
        generation = self._generation
        return self._kept(generation, await self._info()).total_talk_time

    async def get_AverageTalkTime(self) -> int:
        """Talk seconds per ACD call (dwAverageTalkTime)."""
        generation = self._generation
        return self._kept(generation, await self._info()).average_talk_time

    async def get_TotalCallTime(self) -> int:
        """Seconds of talk plus wrap-up (dwTotalCallTime)."""
        generation = self._generation
        return self._kept(generation, await self._info()).total_call_time

    async def get_AverageCallTime(self) -> int:
        """Talk plus wrap-up seconds per ACD call (dwAverageCallTime)."""
        generation = self._generation
        return self._kept(generation, await self._info()).average_call_time

    async def get_TotalWrapUpTime(self) -> int:
        """Seconds of wrap-up, the wrap-up in progress counted up to now (dwTotalWrapUpTime)."""
        generation = self._generation
        return self._kept(generation, await self._info()).total_wrap_up_time

    async def get_AverageWrapUpTime(self) -> int:
        """Wrap-up seconds per ACD call (dwAverageWrapUpTime)."""
        generation = self._generation
        return self._kept(generation, await self._info()).average_wrap_up_time

    async def get_ACDCallRate(self) -> decimal.Decimal:
        """ACD calls per hour as a Decimal with four places (CURRENCY cyACDCallRate)."""
        generation = self._generation
        return self._kept(generation, await self._info()).acd_call_rate

    async def get_LongestTimeToAnswer(self) -> int:
        """Longest wait, in seconds, of a call this session answered (dwLongestTimeToAnswer)."""
        generation = self._generation
        return self._kept(generation, await self._info()).longest_time_to_answer

    async def get_AverageTimeToAnswer(self) -> int:
        """Average wait, in seconds, of the calls this session answered (dwAverageTimeToAnswer)."""
        generation = self._generation
        return self._kept(generation, await self._info()).average_time_to_answer


#: The twelve statistic getters of ITAgentSession, in tapi3cc.h order, with the LINEAGENTSESSIONINFO field
#: each returns (used by the CLI and the tests).
SESSION_STATISTICS: Final[tuple[tuple[str, str], ...]] = (
    ("get_SessionStartTime", "session_start_time"),
    ("get_SessionDuration", "session_duration"),
    ("get_NumberOfCalls", "number_of_calls"),
    ("get_TotalTalkTime", "total_talk_time"),
    ("get_AverageTalkTime", "average_talk_time"),
    ("get_TotalCallTime", "total_call_time"),
    ("get_AverageCallTime", "average_call_time"),
    ("get_TotalWrapUpTime", "total_wrap_up_time"),
    ("get_AverageWrapUpTime", "average_wrap_up_time"),
    ("get_ACDCallRate", "acd_call_rate"),
    ("get_LongestTimeToAnswer", "longest_time_to_answer"),
    ("get_AverageTimeToAnswer", "average_time_to_answer"),
)


# --- ITAgent --------------------------------------------------------------------------------------------------


class ITAgent:
    """An agent (tapi3cc.h ITAgent) created with :meth:`client.line.Line.create_agent`.

    ``handle`` is the hAgent, ``agent_id`` the ID string, ``pin`` the PIN used to create it (also the
    default PIN of :meth:`CreateSession`). Statistics come from LINEAGENTINFO, one GetAgentInfo round trip
    per call with the same two-minute deadline as the session getters.
    """

    def __init__(self, line: LineLike, handle: int, agent_id: str, pin: str | None = None) -> None:
        self._line = line
        self.handle = int(handle)
        self.agent_id = agent_id
        self.pin = pin

    def __repr__(self) -> str:
        return f"<ITAgent {self.agent_id!r} hAgent={self.handle}>"

    @property
    def line(self) -> LineLike:
        """The line this agent's requests go through."""
        return self._line

    async def get_ID(self) -> str:
        """The agent ID string (object state)."""
        return self.agent_id

    async def CreateSession(
        self, acd_group: ITACDGroup | uuid.UUID | str, address: ITAddress | int = 0
    ) -> ITAgentSession:
        """Create a NOTREADY session in ``acd_group`` on ``address`` of this agent's line (PIN of the agent)."""
        return await self.CreateSessionWithPIN(acd_group, address, self.pin)

    async def CreateSessionWithPIN(
        self, acd_group: ITACDGroup | uuid.UUID | str, address: ITAddress | int, pin: str | None
    ) -> ITAgentSession:
        """Create a session with an explicit PIN: one CreateAgentSession round trip (two-minute deadline)."""
        group = as_group(acd_group, self._line)
        address_id = address.address_id if isinstance(address, ITAddress) else address
        return await self._line.create_agent_session(
            self, group, address_id=address_id, pin=pin, timeout=self._line.tapi.request_timeout
        )

    async def EnumerateAgentSessions(self) -> list[ITAgentSession]:
        """Every session of this agent, ended ones included, oldest first (GetAgentSessionList)."""
        lst = await self._line.get_agent_session_list(self.handle, timeout=self._line.tapi.request_timeout)
        return [
            self._line.tapi.registry.session(
                self._line,
                entry.hagent_session,
                agent=self,
                group=ITACDGroup(entry.group_id, self._line),
                address=ITAddress(None, entry.working_address_id),
            )
            for entry in lst.entries
        ]

    async def get_AgentSessions(self) -> list[ITAgentSession]:
        """Same as :meth:`EnumerateAgentSessions` (TAPI3's collection form)."""
        return await self.EnumerateAgentSessions()

    def _info(self) -> Awaitable[AgentInfo]:
        # The line method's coroutine itself (not a coroutine of its own: one frame less per getter call).
        return self._line.get_agent_info(self.handle, timeout=self._line.tapi.request_timeout)

    async def get_State(self) -> AgentState:
        """The agent's AGENT_STATE from LINEAGENTINFO.dwAgentState."""
        value = (await self._info()).agent_state
        try:
            return AGENT_STATE_TO_AS[int(value)]
        except KeyError:
            raise TapiError(HResult.E_UNEXPECTED, f"server reported unknown LINEAGENTSTATEEX_ {value:#x}") from None

    async def get_MeasurementPeriod(self) -> int:
        """Seconds over which the agent statistics are measured (dwMeasurementPeriod)."""
        return (await self._info()).measurement_period

    async def get_OverallCallRate(self) -> decimal.Decimal:
        """Calls per hour over all the agent's sessions (CURRENCY cyOverallCallRate)."""
        return (await self._info()).overall_call_rate

    async def get_NumberOfACDCalls(self) -> int:
        """ACD calls the agent answered (dwNumberOfACDCalls)."""
        return (await self._info()).number_of_acd_calls

    async def get_NumberOfIncomingCalls(self) -> int:
        """Incoming calls (dwNumberOfIncomingCalls)."""
        return (await self._info()).number_of_incoming_calls

    async def get_NumberOfOutgoingCalls(self) -> int:
        """Outgoing calls (dwNumberOfOutgoingCalls)."""
        return (await self._info()).number_of_outgoing_calls

    async def get_TotalACDTalkTime(self) -> int:
        """Seconds of ACD talk (dwTotalACDTalkTime)."""
        return (await self._info()).total_acd_talk_time

    async def get_TotalACDCallTime(self) -> int:
        """Seconds of ACD talk plus wrap-up (dwTotalACDCallTime)."""
        return (await self._info()).total_acd_call_time

    async def get_TotalWrapUpTime(self) -> int:
        """Seconds of ACD wrap-up (dwTotalACDWrapUpTime)."""
        return (await self._info()).total_acd_wrap_up_time

    async def get_User(self) -> str:
        """The agent's user: the emulator knows agents by ID only, so this is the agent ID (object state,
        no request, no timeout; ITAgentHandler.CreateAgent uses the process's user name as the ID)."""
        return self.agent_id

    async def put_State(self, state: AgentState | int) -> None:
        """AS_READY / AS_NOT_READY for every live session of the agent: one SetAgentStateEx (157) round
        trip (two-minute deadline); other AGENT_STATE values are E_INVALIDARG (nothing sent)."""
        wire = None
        if isinstance(state, int) and not isinstance(state, bool):
            wire = AS_TO_AGENT_STATE.get(int(state))
        if wire is None:
            raise invalid_argument(f"put_State: state must be AS_READY or AS_NOT_READY, got {_shown(state)}")
        await self._line.set_agent_state_ex(self.handle, wire, timeout=self._line.tapi.request_timeout)

    async def put_MeasurementPeriod(self, period: int) -> None:
        """The agent's measurement period in seconds: one SetAgentMeasurementPeriod (154) round trip
        (two-minute deadline). As TAPI3 documents, it also resets the agent's cumulative counters (the
        switch starts a new interval now, wire-protocol §7.8). 0 or less is E_INVALIDARG (nothing sent)."""
        if type(period) is bool or not isinstance(period, int) or not 0 < period <= 0x7FFFFFFF:
            raise invalid_argument(f"put_MeasurementPeriod: {period!r} is not a period of 1..0x7FFFFFFF seconds")
        await self._line.set_agent_measurement_period(self.handle, period, timeout=self._line.tapi.request_timeout)


def as_group(value: ITACDGroup | uuid.UUID | str, line: LineLike | None = None) -> ITACDGroup:
    """An ACD group argument (an ITACDGroup, a UUID or a GUID string) as an :class:`ITACDGroup`.

    An ITACDGroup is returned as it is; otherwise a new one that looks its name up through ``line``.
    Anything else is ``TapiError(E_INVALIDARG)``."""
    if isinstance(value, ITACDGroup):
        return value
    if isinstance(value, uuid.UUID):
        return ITACDGroup(value, line)
    try:
        return ITACDGroup(uuid.UUID(str(value)), line)
    except ValueError:
        raise invalid_argument(f"{value!r} is not an ACD group (give an ITACDGroup, a UUID or a GUID string)") from None


# --- one Python object per handle -----------------------------------------------------------------------------


class ObjectRegistry:
    """The TAPI3 objects of one connection: one :class:`ITAgentSession` per hAgentSession and one
    :class:`ITAgent` per hAgent while the application holds them (weak references), so the session of an
    event is the very object :meth:`ITAgent.EnumerateAgentSessions` returned.

    ``start_background(fn)`` runs ``fn()`` as a task of the connection (the cached mode's refreshes); the
    :class:`~client.tapi.Tapi` that owns the registry provides it.
    """

    def __init__(self, start_background: Callable[[Callable[[], Awaitable[None]]], None]) -> None:
        self._sessions: weakref.WeakValueDictionary[int, ITAgentSession] = weakref.WeakValueDictionary()
        self._agents: weakref.WeakValueDictionary[int, ITAgent] = weakref.WeakValueDictionary()
        #: Runs a coroutine function as a background task of the connection (nothing once it is closed).
        self.start_background = start_background

    def session(
        self,
        line: LineLike,
        handle: int,
        *,
        agent: ITAgent | None = None,
        group: ITACDGroup | None = None,
        address: ITAddress | None = None,
    ) -> ITAgentSession:
        """The session object of ``handle`` (made on first sight); fills in what an earlier sighting,
        e.g. an event from another application's agent, did not know."""
        session = self._sessions.get(handle)
        if session is None:
            session = ITAgentSession(line, handle, agent=agent, group=group, address=address)
            self._sessions[handle] = session
        else:
            if session.agent is None and agent is not None:
                session.agent = agent
            if session.group is None and group is not None:
                session.group = group
            if session.address is None and address is not None:
                session.address = address
        return session

    def agent(self, line: LineLike, handle: int, agent_id: str, pin: str | None) -> ITAgent:
        """The agent object of ``handle`` (made on first sight; a PIN given now replaces the known one)."""
        agent = self._agents.get(handle)
        if agent is None:
            agent = ITAgent(line, handle, agent_id, pin)
            self._agents[handle] = agent
        elif pin is not None:
            agent.pin = pin
        return agent

    def known_agent(self, handle: int) -> ITAgent | None:
        """The agent object of ``handle`` if the application still holds one."""
        return self._agents.get(handle)

    def session_status(self, handle: int, status: int, state: int) -> None:
        """A LINE_AGENTSESSIONSTATUS for session ``handle``: a held session object marks its info stale
        (and, in cached mode, refreshes it in the background)."""
        session = self._sessions.get(handle)
        if session is not None:
            session._on_status(status, state)


__all__ = [
    "AGENT_STATE_TO_AS",
    "AS_TO_AGENT_STATE",
    "ASST_TO_SESSION_STATE",
    "ITACDGroup",
    "ITAddress",
    "ITAgent",
    "ITAgentSession",
    "ITQueue",
    "ObjectRegistry",
    "REQUEST_TIMEOUT",
    "SESSION_STATE_TO_ASST",
    "SESSION_STATE_TO_EVENT",
    "SESSION_STATISTICS",
    "as_group",
    "asst_of",
    "session_events_of",
]
