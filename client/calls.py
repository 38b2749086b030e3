"""Calls on the agent's line, client side (wire-protocol §9.4): TAPI3's call objects and call events.

* :class:`Call` - one hCall of this connection. It is both TAPI3 interfaces a call object has:
  :class:`ITCallInfo` (``get_CallState``, ``get_CallInfoLong``, ``get_CallInfoString``,
  ``get_CallInfoBuffer``, ``get_Privilege``, ``get_Address``) and :class:`ITBasicCallControl` (``Answer``,
  ``Disconnect``, ``Hold``, ``BlindTransfer``, ``Connect`` for a call made with :func:`create_call`).
  Each control method is one Line API call (``line.answer`` ...), with TAPI3's two-minute timeout.
* :class:`ITCallNotificationEvent` (CNE_OWNER: a new call this application owns) and
  :class:`ITCallStateEvent` (CALL_STATE, CALL_STATE_EVENT_CAUSE), what ``Tapi.call_events()`` yields.
* :class:`CallRegistry` - the connection's one :class:`Call` per hCall, kept in step with the
  LINE_APPNEWCALL / LINE_CALLSTATE records.

LINECALLSTATE_ -> CALL_STATE (:data:`CALL_STATE_OF`) and LINEDISCONNECTMODE_ -> CALL_STATE_EVENT_CAUSE
(:data:`CAUSE_OF`) are **an inference**: no Microsoft page documents the mapping (call-facts §6); this
one follows the names, and an IDLE line state is CS_DISCONNECTED (TAPI3: a call never goes back to
CS_IDLE).
"""

from __future__ import annotations

import weakref
from typing import Any

import attrs

from client.errors import TapiError, invalid_argument
from client.objects import ITAddress
from protocol.call_events import AppNewCallEvent, CallStateEvent, typed_call_record
from protocol.constants import (
    CallInfoBuffer,
    CallInfoLong,
    CallInfoString,
    CallNotificationEvent,
    CallStateEventCause,
    DisconnectCode,
    DisconnectMode,
    HResult,
    LineCallState,
    Tapi3CallPrivilege,
    Tapi3CallState,
)

__all__ = [
    "CALL_STATE_OF", "CAUSE_OF", "Call", "CallRegistry", "ITBasicCallControl", "ITCallInfo",
    "ITCallNotificationEvent", "ITCallStateEvent", "create_call", "tapi3_state",
]

#: LINECALLSTATE_ -> TAPI3 CALL_STATE (call-facts §6's inference; not from a Microsoft source).
CALL_STATE_OF: dict[int, Tapi3CallState] = {
    LineCallState.OFFERING: Tapi3CallState.OFFERING,
    LineCallState.ACCEPTED: Tapi3CallState.OFFERING,
    LineCallState.DIALTONE: Tapi3CallState.INPROGRESS,
    LineCallState.DIALING: Tapi3CallState.INPROGRESS,
    LineCallState.RINGBACK: Tapi3CallState.INPROGRESS,
    LineCallState.PROCEEDING: Tapi3CallState.INPROGRESS,
    LineCallState.CONNECTED: Tapi3CallState.CONNECTED,
    LineCallState.CONFERENCED: Tapi3CallState.CONNECTED,
    LineCallState.ONHOLD: Tapi3CallState.HOLD,
    LineCallState.ONHOLDPENDCONF: Tapi3CallState.HOLD,
    LineCallState.ONHOLDPENDTRANSFER: Tapi3CallState.HOLD,
    LineCallState.DISCONNECTED: Tapi3CallState.DISCONNECTED,
    LineCallState.IDLE: Tapi3CallState.DISCONNECTED,
}
#: LINEDISCONNECTMODE_ -> CALL_STATE_EVENT_CAUSE by name (call-facts §6; other modes -> FAILED).
CAUSE_OF: dict[int, CallStateEventCause] = {
    DisconnectMode.NORMAL: CallStateEventCause.DISCONNECT_NORMAL,
    DisconnectMode.BUSY: CallStateEventCause.DISCONNECT_BUSY,
    DisconnectMode.BADADDRESS: CallStateEventCause.DISCONNECT_BADADDRESS,
    DisconnectMode.NOANSWER: CallStateEventCause.DISCONNECT_NOANSWER,
    DisconnectMode.REJECT: CallStateEventCause.DISCONNECT_REJECTED,
    DisconnectMode.CANCELLED: CallStateEventCause.DISCONNECT_CANCELLED,
    DisconnectMode.BLOCKED: CallStateEventCause.DISCONNECT_BLOCKED,
}


def tapi3_state(line_state: int, mode: int = 0) -> tuple[Tapi3CallState, CallStateEventCause]:
    """(CALL_STATE, CALL_STATE_EVENT_CAUSE) of a LINE_CALLSTATE's state and state mode (the inference above).
    The cause is NONE except for DISCONNECTED; an IDLE after a DISCONNECTED keeps CS_DISCONNECTED, cause NONE."""
    state = CALL_STATE_OF.get(line_state)
    if state is None:
        raise TapiError(HResult.E_UNEXPECTED, f"LINECALLSTATE_ {line_state:#x} has no CALL_STATE here")
    cause = CallStateEventCause.NONE
    if line_state == LineCallState.DISCONNECTED:
        cause = CAUSE_OF.get(mode, CallStateEventCause.DISCONNECT_FAILED)
    return state, cause


# --- the call object ---------------------------------------------------------------------------------------

#: CIS_ -> the LINECALLINFO string attribute it reads.
_STRINGS = {
    CallInfoString.CALLERIDNUMBER: "caller_id", CallInfoString.CALLERIDNAME: "caller_id_name",
    CallInfoString.CALLEDIDNUMBER: "called_id", CallInfoString.CALLEDIDNAME: "called_id_name",
    CallInfoString.CONNECTEDIDNUMBER: "connected_id", CallInfoString.CONNECTEDIDNAME: "connected_id_name",
    CallInfoString.REDIRECTIONIDNUMBER: "redirection_id", CallInfoString.REDIRECTINGIDNUMBER: "redirecting_id",
    CallInfoString.CALLEDPARTYFRIENDLYNAME: "called_party", CallInfoString.COMMENT: "comment",
    CallInfoString.DISPLAYABLEADDRESS: "displayable_address",
}
#: CIL_ -> the LINECALLINFO DWORD it reads.
_LONGS = {
    CallInfoLong.BEARERMODE: "bearer_mode", CallInfoLong.ORIGIN: "origin", CallInfoLong.REASON: "reason",
    CallInfoLong.APPSPECIFIC: "app_specific", CallInfoLong.CALLPARAMSFLAGS: "call_param_flags",
    CallInfoLong.CALLTREATMENT: "call_treatment", CallInfoLong.COUNTRYCODE: "country_code",
    CallInfoLong.CALLID: "call_id", CallInfoLong.RELATEDCALLID: "related_call_id",
    CallInfoLong.COMPLETIONID: "completion_id", CallInfoLong.NUMBEROFOWNERS: "num_owners",
    CallInfoLong.NUMBEROFMONITORS: "num_monitors", CallInfoLong.TRUNK: "trunk", CallInfoLong.RATE: "rate",
    CallInfoLong.MEDIATYPESAVAILABLE: "media_mode", CallInfoLong.CALLERIDADDRESSTYPE: "caller_id_address_type",
    CallInfoLong.CALLEDIDADDRESSTYPE: "called_id_address_type",
    CallInfoLong.CONNECTEDIDADDRESSTYPE: "connected_id_address_type",
    CallInfoLong.MONITORDIGITMODES: "monitor_digit_modes", CallInfoLong.MONITORMEDIAMODES: "monitor_media_modes",
}


class ITCallInfo:
    """TAPI3 ITCallInfo of a :class:`Call` (tapi3if.h names). The state is the last LINE_CALLSTATE seen;
    the info getters ask the server (GetCallInfo) each time."""

    line: Any
    handle: int
    address_id: int
    line_state: int
    state_mode: int

    async def get_CallState(self) -> Tapi3CallState:
        """CALL_STATE of the last LINE_CALLSTATE (CS_IDLE before the first)."""
        if not self.line_state:
            return Tapi3CallState.IDLE
        return tapi3_state(self.line_state, self.state_mode)[0]

    async def get_Privilege(self) -> Tapi3CallPrivilege:
        """CP_OWNER: this switch gives every application with the line open owner privilege (§9.1)."""
        return Tapi3CallPrivilege.OWNER

    async def get_Address(self) -> ITAddress:
        return ITAddress(self.line.device_id, self.address_id)

    async def _info(self) -> Any:
        if not self.handle:
            raise TapiError(HResult.E_UNEXPECTED, "the call has no hCall yet: Connect it first")
        return await self.line.get_call_info(self.handle, timeout=self.line.tapi.request_timeout)

    async def get_CallInfoLong(self, which: CallInfoLong | int) -> int:
        """A LINECALLINFO DWORD by its CALLINFO_LONG (CIL_CALLID = dwCallID, CIL_TRUNK = dwTrunk, ...)."""
        name = _LONGS.get(which)  # type: ignore[call-overload]
        if name is None:
            raise invalid_argument(f"CALLINFO_LONG {which!r} is not one this call offers")
        return int(getattr(await self._info(), name))

    async def get_CallInfoString(self, which: CallInfoString | int) -> str:
        """A LINECALLINFO string by its CALLINFO_STRING (CIS_CALLERIDNUMBER = CallerID, ...); "" if absent."""
        name = _STRINGS.get(which)  # type: ignore[call-overload]
        if name is None:
            raise invalid_argument(f"CALLINFO_STRING {which!r} is not one this call offers")
        return getattr(await self._info(), name) or ""

    async def get_CallInfoBuffer(self, which: CallInfoBuffer | int) -> bytes:
        """CIB_USERUSERINFO: the call's UUI bytes (b"" if none)."""
        if which != CallInfoBuffer.USERUSERINFO:
            raise invalid_argument(f"CALLINFO_BUFFER {which!r} is not one this call offers")
        return (await self._info()).user_user_info or b""


class ITBasicCallControl:
    """TAPI3 ITBasicCallControl of a :class:`Call`: each method is one Line API request."""

    line: Any
    handle: int
    destination: str | None

    def _timeout(self) -> float:
        return self.line.tapi.request_timeout  # type: ignore[no-any-return]

    async def Answer(self) -> None:
        """lineAnswer: OFFERING -> CONNECTED."""
        await self.line.answer(self, timeout=self._timeout())

    async def Disconnect(self, code: DisconnectCode | int = DisconnectCode.NORMAL) -> None:
        """lineDrop (any DISCONNECT_CODE: the switch hangs up; from OFFERING it is a rejection)."""
        if code not in set(DisconnectCode):
            raise invalid_argument(f"code must be a DISCONNECT_CODE, got {code!r}")
        await self.line.drop(self, timeout=self._timeout())

    async def Hold(self, hold: bool) -> None:
        """lineHold (True) / lineUnhold (False)."""
        if not isinstance(hold, bool):
            raise invalid_argument(f"hold must be a bool (VARIANT_BOOL), got {hold!r}")
        if hold:
            await self.line.hold(self, timeout=self._timeout())
        else:
            await self.line.unhold(self, timeout=self._timeout())

    async def BlindTransfer(self, destination: str) -> None:
        """lineBlindTransfer to ``destination`` (another group's extension)."""
        await self.line.blind_transfer(self, destination, timeout=self._timeout())

    async def Connect(self, sync: bool = True) -> None:
        """lineMakeCall to the destination given to :func:`create_call`; the hCall comes with the completion."""
        if self.handle:
            raise TapiError(HResult.E_UNEXPECTED, f"the call is connected already (hCall {self.handle})")
        if self.destination is None:
            raise TapiError(HResult.E_UNEXPECTED, "an incoming call cannot be Connected (use Answer)")
        registry = self.line.tapi.calls
        registry.expect(self)  # its first LINE_CALLSTATE may come before make_call returns
        try:
            made = await self.line.make_call(self.destination, timeout=self._timeout())
        finally:
            registry.unexpect(self)
        registry.bind(self, made)  # this object is the connection's Call of the hCall


@attrs.define(eq=False)
class Call(ITCallInfo, ITBasicCallControl):
    """One call of this connection (an hCall on one of its lines): ITCallInfo and ITBasicCallControl."""

    line: Any = attrs.field(repr=False)
    handle: int  # the hCall (0 until Connect for a call made with create_call)
    call_id: int = 0
    address_id: int = 0
    related_call_id: int = 0
    line_state: int = 0  # the last LINECALLSTATE_ seen (0: none yet)
    state_mode: int = 0
    destination: str | None = None


def create_call(line: Any, destination: str) -> Call:
    """TAPI3 ITAddress::CreateCall: an unconnected outbound call; ``Connect()`` places it (MakeCall)."""
    if not isinstance(destination, str) or not destination.strip() or "\x00" in destination:
        raise invalid_argument(f"destination must be a non-empty string without NUL, got {destination!r}")
    return Call(line, 0, destination=destination)


# --- events ----------------------------------------------------------------------------------------------


@attrs.frozen
class ITCallNotificationEvent:
    """TE_CALLNOTIFICATION: a new call this application owns (CNE_OWNER)."""

    call: Call
    event: CallNotificationEvent = CallNotificationEvent.OWNER
    callback_instance: int = 0

    async def get_Call(self) -> Call:
        return self.call

    async def get_Event(self) -> CallNotificationEvent:
        return self.event

    async def get_CallbackInstance(self) -> int:
        return self.callback_instance


@attrs.frozen
class ITCallStateEvent:
    """TE_CALLSTATE: the call's CALL_STATE and why (CALL_STATE_EVENT_CAUSE), with the LINE_CALLSTATE it
    came from (``line_state``, ``state_mode``)."""

    call: Call
    state: Tapi3CallState
    cause: CallStateEventCause
    line_state: int
    state_mode: int
    callback_instance: int = 0

    async def get_Call(self) -> Call:
        return self.call

    async def get_State(self) -> Tapi3CallState:
        return self.state

    async def get_Cause(self) -> CallStateEventCause:
        return self.cause

    async def get_CallbackInstance(self) -> int:
        return self.callback_instance


class CallRegistry:
    """The connection's :class:`Call` per hCall (weakly held once the call is IDLE), updated from the call
    records as they arrive; ``lines`` maps an event's hRemoteLine to its Line."""

    def __init__(self, lines: Any) -> None:
        self._lines = lines  # hRemoteLine -> Line (the Tapi's own mapping)
        self._calls: dict[int, Call] = {}
        self._idle: weakref.WeakValueDictionary[int, Call] = weakref.WeakValueDictionary()
        self._expected: list[Call] = []  # outbound calls being Connected, oldest first

    def expect(self, call: Call) -> None:
        """``call`` is being placed (Connect): the first unknown hCall of its line in RINGBACK is it."""
        self._expected.append(call)

    def unexpect(self, call: Call) -> None:
        if call in self._expected:
            self._expected.remove(call)

    def get(self, hcall: int) -> Call | None:
        """The call of ``hcall``, if this connection has seen it."""
        return self._calls.get(hcall) or self._idle.get(hcall)

    def calls(self) -> list[Call]:
        """The calls not yet IDLE, oldest hCall first."""
        return [self._calls[h] for h in sorted(self._calls)]

    def bind(self, call: Call, made: Any) -> None:
        """A MakeCall completion gave ``call`` its hCall (``made``: a :class:`~protocol.call_events.MakeCallResult`
        or the :class:`Call` the Line API returned for it)."""
        hcall = made.handle if isinstance(made, Call) else made.h_call
        call.handle, call.call_id, call.address_id = hcall, made.call_id, made.address_id
        call.related_call_id = made.related_call_id
        known = self.get(hcall)
        if known is not None and known is not call:  # its first LINE_CALLSTATE came before: keep its state
            call.line_state, call.state_mode = known.line_state, known.state_mode
        self._calls[hcall] = call

    def made(self, line: Any, given: Any, checked: Any, made: Any) -> Call:
        """The Line API's make_call result: the :class:`Call` of the new hCall."""
        call = self.get(made.h_call) or Call(line, made.h_call, destination=checked["destination"])
        self.bind(call, made)
        return call

    def on_record(self, record: Any) -> list[Any]:
        """Update the calls from one event record; the TAPI3 events it gives (none for other records)."""
        rec = typed_call_record(record)
        if rec is None:
            return []
        if isinstance(rec, AppNewCallEvent):
            line = self._lines.get(rec.hdevice)
            if line is None:
                return []
            call = self.get(rec.h_call)
            if call is None:
                call = Call(line, rec.h_call, rec.call_id, rec.address_id, rec.related_call_id)
                self._calls[rec.h_call] = call
            return [ITCallNotificationEvent(call)]
        assert isinstance(rec, CallStateEvent)
        call = self.get(rec.h_call)
        if call is None:  # a MakeCall's first state before its completion was read, or a pre-2.0 style call
            line = self._lines.get(rec.hremote_line)
            if line is None:
                return []
            waiting = [c for c in self._expected if c.line is line]
            if waiting and rec.state == LineCallState.RINGBACK:
                call = waiting[0]
                self._expected.remove(call)
                call.handle = rec.h_call
            else:
                call = Call(line, rec.h_call)
            self._calls[rec.h_call] = call
        was = call.line_state
        call.line_state, call.state_mode = int(rec.state), int(rec.state_mode)
        if rec.state == LineCallState.IDLE:
            self._calls.pop(rec.h_call, None)
            self._idle[rec.h_call] = call
            if was == LineCallState.DISCONNECTED:
                return []  # CS_DISCONNECTED is TAPI3's last state: IDLE after it is no new event
        try:
            state, cause = tapi3_state(int(rec.state), int(rec.state_mode))
        except TapiError:
            return []
        return [ITCallStateEvent(call, state, cause, int(rec.state), int(rec.state_mode))]

    def idle_calls(self) -> list[Call]:
        """The IDLE calls whose hCall this connection still holds (DeallocateCall frees them)."""
        return [self._idle[h] for h in sorted(self._idle)]

    def forget(self, hcall: int) -> None:
        """DeallocateCall: the handle is gone."""
        self._calls.pop(hcall, None)
        self._idle.pop(hcall, None)
