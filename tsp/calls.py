"""Calls on the agent's line (wire-protocol §9): the handlers of the call functions and the tables that
say what each call state means on the wire.

The tables (data, shared with the fan-out and the tests):

* :data:`WIRE_STATE`: the model's :class:`~tsp.values.CallState` -> LINECALLSTATE_ and its state mode
  (offset 8 of LINE_CALLSTATE, dwCallStateMode of LINECALLSTATUS); DISCONNECTED's mode comes from
  :data:`DISCONNECT_MODE` (the model's :class:`~tsp.values.CallEnd`);
* :data:`CALL_FEATURES`: LINECALLSTATE_ -> the LINECALLFEATURE_ bits GetCallStatus reports (§9.2), which
  are also the requests the state allows (the model refuses the others with LINEERR_INVALCALLSTATE).

Handlers follow tsp/dispatch.py's shapes: sync ``(ctx, conn, body, now) -> body`` (the Get* functions
answer with the structure in the body's reply field and its size DWORD set to 0, its offset in VarData),
async ``(ctx, line, body, now) -> bytes``. The line of a call function is its hCall's line (dispatch's
``admit`` finds it); every refusal is synchronous (the RESPONSE carries it) except what a fault rule does.
"""

from __future__ import annotations

import datetime as _dt
import struct
import uuid
from typing import Any

import attrs

from protocol import call_messages as cm
from protocol.call_constants import (
    AddrFeature,
    AddressMode,
    AnswerMode,
    BearerMode,
    CallFeature,
    CallOrigin,
    CallPartyId,
    CallPrivilege,
    CallReason,
    LineCallState,
    ConnectedMode,
    DevStatusFlags,
    DisconnectMode,
    LineFeature,
    MediaMode,
    OfferingMode,
    StringFormat,
)
from protocol.call_events import MakeCallReply
from protocol.call_structs import AddressCaps, AddressStatus, CallInfo, CallStatus, DevCaps, LineDevStatus
from protocol.constants import MAX_STRUCT_SIZE, TAPI_NO_DATA, LineErr
from tsp.errors import SwitchError
from tsp.registry import CallHandle, Conn, Line
from tsp.values import CallEnd, CallState

__all__ = [
    "WIRE_STATE", "DISCONNECT_MODE", "CALL_FEATURES", "CALL_STATES", "DISCONNECT_MODES", "ALL_CALL_FEATURES",
    "wire_state", "call_line", "any_line", "answer", "drop", "hold", "unhold", "blind_transfer", "redirect", "make_call", "make_call_reply",
    "deallocate_call", "get_call_info", "get_call_status", "get_dev_caps", "get_address_caps",
    "get_address_status", "get_line_dev_status", "PROVIDER_INFO",
]

# --- the tables ------------------------------------------------------------------------------------------

#: Model call state -> (LINECALLSTATE_, state mode; DISCONNECTED's mode is DISCONNECT_MODE[end]).
WIRE_STATE: dict[CallState, tuple[LineCallState, int]] = {
    CallState.OFFERING: (LineCallState.OFFERING, OfferingMode.ACTIVE),
    CallState.RINGBACK: (LineCallState.RINGBACK, 0),
    CallState.CONNECTED: (LineCallState.CONNECTED, ConnectedMode.ACTIVE),
    CallState.ONHOLD: (LineCallState.ONHOLD, 0),
    CallState.DISCONNECTED: (LineCallState.DISCONNECTED, DisconnectMode.NORMAL),
    CallState.IDLE: (LineCallState.IDLE, 0),
}
#: Why the call left the line -> LINEDISCONNECTMODE_ (§9.1: NORMAL hang-up, NOANSWER ring timeout or
#: rejected offer, FORWARDED Redirect / BlindTransfer).
DISCONNECT_MODE: dict[CallEnd, DisconnectMode] = {
    CallEnd.NORMAL: DisconnectMode.NORMAL,
    CallEnd.NOANSWER: DisconnectMode.NOANSWER,
    CallEnd.FORWARDED: DisconnectMode.FORWARDED,
}
#: LINECALLSTATE_ -> dwCallFeatures of LINECALLSTATUS (§9.2; RINGBACK: the caller may hang up).
CALL_FEATURES: dict[int, int] = {
    LineCallState.OFFERING: CallFeature.ANSWER | CallFeature.DROP | CallFeature.REDIRECT,
    LineCallState.RINGBACK: CallFeature.DROP,
    LineCallState.CONNECTED: CallFeature.DROP | CallFeature.HOLD | CallFeature.BLINDTRANSFER,
    LineCallState.ONHOLD: CallFeature.DROP | CallFeature.UNHOLD,
    LineCallState.DISCONNECTED: 0,
    LineCallState.IDLE: 0,
}
#: Every LINECALLSTATE_ a call of this switch can be in (LINECALLINFO.dwCallStates, LINEADDRESSCAPS).
CALL_STATES = sum(int(state) for state, _ in WIRE_STATE.values())
DISCONNECT_MODES = sum(int(mode) for mode in DISCONNECT_MODE.values())
ALL_CALL_FEATURES = 0
for _bits in CALL_FEATURES.values():
    ALL_CALL_FEATURES |= int(_bits)
#: LINEDEVCAPS ProviderInfo.
PROVIDER_INFO = "TAPI ACD emulator (tsp)"
_ACTIVE = (LineCallState.OFFERING, LineCallState.RINGBACK, LineCallState.CONNECTED)
_PARTY_ADDRESS = int(CallPartyId.ADDRESS)
_PARTY_UNKNOWN = int(CallPartyId.UNKNOWN)
_PHONENUMBER = 1  # LINEADDRESSTYPE_PHONENUMBER
_SHARING_PRIVATE = 1  # LINEADDRESSSHARING_PRIVATE (tapi.h)


def wire_state(state: CallState, end: CallEnd | None) -> tuple[int, int]:
    """(LINECALLSTATE_, state mode) of a model call state."""
    line_state, mode = WIRE_STATE[state]
    if state is CallState.DISCONNECTED:
        mode = DISCONNECT_MODE[end if end is not None else CallEnd.NORMAL]
    return int(line_state), int(mode)


# --- helpers ---------------------------------------------------------------------------------------------


def _conn(ctx: Any, line: Line) -> Conn:
    return ctx.registry.conns[line.conn_id]  # type: ignore[no-any-return]


def _call(ctx: Any, line: Line, hcall: int) -> CallHandle:
    """The hCall of the request's connection, with a call still on this line (else INVALCALLSTATE)."""
    handle: CallHandle = ctx.registry.call(_conn(ctx, line), hcall)
    if handle.state == LineCallState.IDLE:
        raise SwitchError(LineErr.INVALCALLSTATE, f"hCall {hcall} is IDLE (dwCallID {handle.call_id} left this line)")
    try:
        info = ctx.model.call_info(handle.call_id)
    except SwitchError as err:
        if err.lineerr is LineErr.INVALCALLHANDLE:
            raise SwitchError(LineErr.INVALCALLSTATE, f"hCall {hcall}: dwCallID {handle.call_id} has ended") from None
        raise
    if info.line != line.device_id:
        raise SwitchError(LineErr.INVALCALLSTATE,
                          f"hCall {hcall}: dwCallID {handle.call_id} is no longer on line {line.device_id}")
    return handle


def call_line(ctx: Any, conn: Conn, body: Any) -> Line:
    """The line a call function runs on (its dispatch row's ``line_of``): its hCall's (INVALCALLHANDLE for
    an hCall of another connection or deallocated)."""
    return ctx.registry.call(conn, body.h_call).line  # type: ignore[no-any-return]


def any_line(ctx: Any, conn: Conn, body: Any) -> Line:
    """MakeCall's line (its row's ``line_of``): the body's hLine open on this connection, any API version
    (not only the agent functions' 2.2)."""
    return ctx.registry.line(conn, body.h_line, agent_func=False)  # type: ignore[no-any-return]


def _no_uui(body: Any, what: str) -> None:
    if body.user_user_info_offset != TAPI_NO_DATA and body.user_user_info_size:
        raise SwitchError(LineErr.USERUSERINFOTOOBIG,
                          f"{what} with {body.user_user_info_size} bytes of UUI: this switch accepts none"
                          " (LINEDEVCAPS dwUUI*Size = 0)")


def _size(body: Any, fixed: int, what: str) -> int:
    size = body.buffer_size
    if size < fixed:
        raise SwitchError(LineErr.STRUCTURETOOSMALL, f"buffer size {size} is below the {fixed} bytes of {what}")
    if size > MAX_STRUCT_SIZE:
        raise SwitchError(LineErr.INVALPARAM, f"buffer size {size:#x} is above {MAX_STRUCT_SIZE:#x}")
    return size  # type: ignore[no-any-return]


def _answer(body: Any, cls: Any, api_version: int, **values: Any) -> Any:
    """``body`` echoed with the structure at VarData + 0 and its size DWORD = that offset (0)."""
    size = _size(body, cls.fixed_size_for(api_version), cls.C_NAME)
    data = cls.build(size, api_version, **values).to_bytes()
    return attrs.evolve(body, **{body.SIZE_FIELD: 0, body.REPLY_FIELD: data})


# --- call control (async) ----------------------------------------------------------------------------------


def answer(ctx: Any, line: Line, body: cm.Answer, now: float) -> bytes:
    _no_uui(body, "Answer")
    ctx.model.answer_call(_call(ctx, line, body.h_call).call_id, now)
    return b""


def drop(ctx: Any, line: Line, body: cm.Drop, now: float) -> bytes:
    _no_uui(body, "Drop")
    ctx.model.drop_call(_call(ctx, line, body.h_call).call_id, now)
    return b""


def hold(ctx: Any, line: Line, body: cm.Hold, now: float) -> bytes:
    ctx.model.hold_call(_call(ctx, line, body.h_call).call_id, now)
    return b""


def unhold(ctx: Any, line: Line, body: cm.UnHold, now: float) -> bytes:
    ctx.model.unhold_call(_call(ctx, line, body.h_call).call_id, now)
    return b""


def blind_transfer(ctx: Any, line: Line, body: cm.BlindTransfer, now: float) -> bytes:
    ctx.model.blind_transfer(_call(ctx, line, body.h_call).call_id, body.dest_address, now)
    return b""


def redirect(ctx: Any, line: Line, body: cm.Redirect, now: float) -> bytes:
    ctx.model.redirect(_call(ctx, line, body.h_call).call_id, body.dest_address, now)
    return b""


_IDS = struct.Struct("<4I")


def make_call(ctx: Any, line: Line, body: cm.MakeCall, now: float) -> bytes:
    """An outbound call from the line's address 0: this line's hCall exists before the call's first
    LINE_CALLSTATE (so the caller gets no LINE_APPNEWCALL: the completion carries it)."""
    if body.dest_address is None or not body.dest_address.strip():
        raise SwitchError(LineErr.INVALADDRESS, "MakeCall needs a destination address")
    address = 0
    call_id = ctx.model.make_call(line.device_id, address, body.dest_address, now)
    handle = ctx.registry.add_call(line, call_id, address)
    return _IDS.pack(handle.handle, address, call_id, 0)


def make_call_reply(line: Line, body: cm.MakeCall, request_id: int, result: int, data: bytes) -> MakeCallReply:
    """The MakeCall completion record of call-facts §1.2 (zeros after the result when it failed)."""
    hcall, address, call_id, related = _IDS.unpack(data) if result == 0 and data else (0, 0, 0, 0)
    return MakeCallReply(
        init_context=line.app.init_context, context=body.context, hdevice=line.hremote_line,
        open_context=line.open_context, request_id=request_id, result=result, h_call=hcall,
        call_context=body.h_call_context, address_id=address, call_id=call_id, related_call_id=related,
    )


# --- sync functions --------------------------------------------------------------------------------------


def _owners(ctx: Any, handle: CallHandle) -> int:
    return sum(1 for watcher in ctx.registry.watchers(handle.line.device_id) if handle.call_id in watcher.calls)


def deallocate_call(ctx: Any, conn: Conn, body: cm.DeallocateCall, now: float) -> Any:
    handle = ctx.registry.call(conn, body.h_call)
    if handle.state != LineCallState.IDLE and _owners(ctx, handle) <= 1:
        raise SwitchError(LineErr.INVALCALLSTATE,
                          f"hCall {body.h_call} is the only owner of dwCallID {handle.call_id}, which is not IDLE")
    ctx.registry.drop_call(handle)
    return body


def _info(ctx: Any, handle: CallHandle) -> Any:
    try:
        info = ctx.model.call_info(handle.call_id)
    except SwitchError as err:
        if err.lineerr is not LineErr.INVALCALLHANDLE or handle.info is None:
            raise
        return handle.info  # the call left the switch: what this handle last knew
    handle.info = info
    return info


def _party(value: str | None) -> tuple[int, str | None]:
    return (_PARTY_ADDRESS, value) if value else (_PARTY_UNKNOWN, None)


class AnswerMemo:
    """The structures a Get* function built, keyed by everything they are built from (a pure function's
    results remembered, not a second implementation): GetCallInfo's LINECALLINFO of a call that has not
    changed is the same bytes, and building its 72 fields costs ~50 us. At most ``size`` entries (the
    oldest go first); ``enabled`` False builds every answer and remembers none (tests compare both);
    ``hits`` counts the answers taken from it."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self.enabled = True
        self.hits = 0
        self._items: dict[Any, bytes] = {}

    def get(self, key: Any) -> bytes | None:
        data = self._items.get(key) if self.enabled else None
        if data is not None:
            self.hits += 1
        return data

    def put(self, key: Any, data: bytes) -> None:
        if not self.enabled:
            return
        items = self._items
        if len(items) >= self.size:
            del items[next(iter(items))]
        items[key] = data

    def __len__(self) -> int:
        return len(self._items)


def get_call_info(ctx: Any, conn: Conn, body: cm.GetCallInfo, now: float) -> Any:
    handle = ctx.registry.call(conn, body.h_call)
    line = handle.line
    info = _info(ctx, handle)
    owners = max(1, _owners(ctx, handle))
    # Everything the structure is built from: the same key is the same bytes (_call_info_bytes is pure).
    key = (info, body.buffer_size, line.api_version, line.handle, line.device_id, handle.address_id,
           handle.answered, owners)
    memo: AnswerMemo = ctx.call_info_memo
    data = memo.get(key)
    if data is None:
        data = _call_info_bytes(body, info, line, handle, owners)
        memo.put(key, data)
    return attrs.evolve(body, **{body.SIZE_FIELD: 0, body.REPLY_FIELD: data})


def _call_info_bytes(body: cm.GetCallInfo, info: Any, line: Line, handle: CallHandle, owners: int) -> bytes:
    """LINECALLINFO of ``info`` on ``line`` for the body's buffer size (raises what _answer raises)."""
    answered = info.agent_id is not None and (handle.answered or info.state in (CallState.CONNECTED, CallState.ONHOLD))
    caller_flags, caller = _party(info.ani)
    called_flags, called = _party(info.called)
    connected_flags, connected = _party(info.agent_id if answered else None)
    reason = {"transfer": CallReason.TRANSFER, "redirect": CallReason.REDIRECT}.get(info.reason, CallReason.DIRECT)
    v3 = line.api_version >= 0x00030000
    answer = _answer(
        body, CallInfo, line.api_version,
        h_line=line.handle, line_device_id=line.device_id, address_id=handle.address_id,
        bearer_mode=int(BearerMode.VOICE), media_mode=int(MediaMode.INTERACTIVEVOICE),
        call_id=info.call_id, related_call_id=info.related_call_id or 0, call_states=CALL_STATES,
        origin=int(CallOrigin.OUTBOUND if info.outbound else CallOrigin.EXTERNAL), reason=int(reason),
        num_owners=owners, trunk=TAPI_NO_DATA,
        caller_id_flags=caller_flags, caller_id=caller, called_id_flags=called_flags, called_id=called,
        connected_id_flags=connected_flags, connected_id=connected,
        redirection_id_flags=int(CallPartyId.UNAVAIL), redirecting_id_flags=int(CallPartyId.UNAVAIL),
        user_user_info=info.uui.encode("utf-8") if info.uui else None,
        caller_id_address_type=_PHONENUMBER if v3 and caller else 0,
        called_id_address_type=_PHONENUMBER if v3 and called else 0,
        connected_id_address_type=_PHONENUMBER if v3 and connected else 0,
    )
    return getattr(answer, body.REPLY_FIELD)  # type: ignore[no-any-return]


def _state_time(ctx: Any, seconds: float) -> _dt.datetime:
    return ctx.model.start + _dt.timedelta(microseconds=round(seconds * 1_000_000))  # type: ignore[no-any-return]


def get_call_status(ctx: Any, conn: Conn, body: cm.GetCallStatus, now: float) -> Any:
    handle = ctx.registry.call(conn, body.h_call)
    state, mode, since = handle.state, handle.state_mode, handle.state_since
    if state != LineCallState.IDLE:
        try:
            info = ctx.model.call_info(handle.call_id)
        except SwitchError as err:
            if err.lineerr is not LineErr.INVALCALLHANDLE:
                raise
        else:
            if info.line == handle.line.device_id:
                state, mode = wire_state(info.state, info.end)
                since = info.state_since / 1_000_000
    return _answer(
        body, CallStatus, handle.line.api_version,
        call_state=state, call_state_mode=mode, call_privilege=int(CallPrivilege.OWNER),
        call_features=CALL_FEATURES.get(state, 0), state_entry_time=_state_time(ctx, since),
    )


def _line_calls(ctx: Any, device_id: int) -> list[int]:
    """LINECALLSTATE_ of each call on the line now."""
    states = []
    for call_id in ctx.model.calls_on_line(device_id):
        try:
            info = ctx.model.call_info(call_id)
        except SwitchError:
            continue
        states.append(wire_state(info.state, info.end)[0])
    return states


def _device(ctx: Any, conn: Conn, happ: int, device_id: int) -> None:
    ctx.registry.app(conn, happ)
    ctx.registry.check_device(device_id)


def get_dev_caps(ctx: Any, conn: Conn, body: cm.GetDevCaps, now: float) -> Any:
    _device(ctx, conn, body.h_line_app, body.device_id)
    return _answer(
        body, DevCaps, body.api_version,
        provider_info=PROVIDER_INFO, switch_info=ctx.model.scenario.switch.name or "switch",
        permanent_line_id=body.device_id, line_name=f"Agent line {body.device_id}",
        string_format=int(StringFormat.UNICODE), address_modes=int(AddressMode.ADDRESSID), num_addresses=1,
        bearer_modes=int(BearerMode.VOICE), media_modes=int(MediaMode.INTERACTIVEVOICE),
        max_num_active_calls=1, answer_mode=int(AnswerMode.NONE), ring_modes=1,
        line_features=int(LineFeature.MAKECALL),
        permanent_line_guid=uuid.uuid5(uuid.NAMESPACE_URL, f"tsp:line:{body.device_id}"),
        address_types=_PHONENUMBER if body.api_version >= 0x00030000 else 0,
    )


def get_address_caps(ctx: Any, conn: Conn, body: cm.GetAddressCaps, now: float) -> Any:
    _device(ctx, conn, body.h_line_app, body.device_id)
    if body.address_id != 0:
        raise SwitchError(LineErr.INVALADDRESSID, f"address ID {body.address_id}: each line has one address, ID 0")
    id_flags = _PARTY_ADDRESS | _PARTY_UNKNOWN
    return _answer(
        body, AddressCaps, body.api_version,
        line_device_id=body.device_id, address=str(body.device_id), address_sharing=_SHARING_PRIVATE,
        caller_id_flags=id_flags, called_id_flags=id_flags, connected_id_flags=id_flags,
        redirection_id_flags=int(CallPartyId.UNAVAIL), redirecting_id_flags=int(CallPartyId.UNAVAIL),
        call_states=CALL_STATES, disconnect_modes=DISCONNECT_MODES, max_num_active_calls=1,
        max_num_on_hold_calls=1, call_features=ALL_CALL_FEATURES, address_features=int(AddrFeature.MAKECALL),
        connected_modes=int(ConnectedMode.ACTIVE), offering_modes=int(OfferingMode.ACTIVE),
        available_media_modes=int(MediaMode.INTERACTIVEVOICE),
    )


def _counts(states: list[int]) -> tuple[int, int]:
    return sum(1 for s in states if s in _ACTIVE), sum(1 for s in states if s == LineCallState.ONHOLD)


def get_address_status(ctx: Any, conn: Conn, body: cm.GetAddressStatus, now: float) -> Any:
    line = ctx.registry.line(conn, body.h_line, agent_func=False)
    if body.address_id != 0:
        raise SwitchError(LineErr.INVALADDRESSID, f"address ID {body.address_id}: each line has one address, ID 0")
    states = _line_calls(ctx, line.device_id)
    active, held = _counts(states)
    return _answer(
        body, AddressStatus, line.api_version,
        num_in_use=1 if states else 0, num_active_calls=active, num_on_hold_calls=held,
        address_features=0 if states else int(AddrFeature.MAKECALL),
    )


def get_line_dev_status(ctx: Any, conn: Conn, body: cm.GetLineDevStatus, now: float) -> Any:
    line = ctx.registry.line(conn, body.h_line, agent_func=False)
    states = _line_calls(ctx, line.device_id)
    active, held = _counts(states)
    return _answer(
        body, LineDevStatus, line.api_version,
        num_opens=sum(1 for _ in ctx.registry.watchers(line.device_id)),
        open_media_modes=int(MediaMode.INTERACTIVEVOICE), num_active_calls=active, num_on_hold_calls=held,
        line_features=0 if states else int(LineFeature.MAKECALL), signal_level=0xFFFF, battery_level=0xFFFF,
        dev_status_flags=int(DevStatusFlags.CONNECTED | DevStatusFlags.INSERVICE),
        available_media_modes=int(MediaMode.INTERACTIVEVOICE),
    )
