"""The call events of wire-protocol §9.1 and the MakeCall completion of call-facts §1.2, as typed views.

* :class:`AppNewCallEvent` - LINE_APPNEWCALL (Msg 23): hDevice = hRemoteLine, Param1 address ID,
  Param2 the new hCall, Param3 dwCallID, Param4 dwRelatedCallID ([MS-TRP] 2.2.4.2.1.6);
* :class:`CallStateEvent` - LINE_CALLSTATE (Msg 2) with MS-TRP's placement (2.2.4.2.1.8, call-facts §2
  and §7.1): offset 8 (PostProcessProcContext) = the state detail (LINEOFFERINGMODE_,
  LINECONNECTEDMODE_, LINEDISCONNECTMODE_, else 0), hDevice = the hCall, Param1 the LINECALLSTATE_,
  Param2 the privilege (LINECALLPRIVILEGE_OWNER), Param3 the media mode, Param4 hRemoteLine;
* :class:`MakeCallReply` - the LINE_REPLY that completes MakeCall (52 bytes: 8 lpContext, 24 request ID,
  28 result, 32 hCall, 36 lphCallContext, 40 dwAddressID, 44 dwCallID, 48 dwRelatedCallID). It has not
  the shape of an ordinary LINE_REPLY (Param4 is not a data size), so the codec keeps it generic and the
  client connection reads it with :meth:`MakeCallReply.from_generic` for a pending MakeCall.

These views are not in ``messages.EVENT_TYPES`` (the codec keeps call events as generic records, losing
nothing); the server builds them and the client reads them with ``from_generic``. Unsolicited call
events have no VarData (TotalSize 40; call-facts §2, UNVERIFIED).
"""

from __future__ import annotations

import struct
from typing import Any, ClassVar

import attrs

from protocol.call_constants import LineCallState
from protocol.constants import LineMsg
from protocol.declare import event, slot
from protocol.messages import AsyncEventMsg, EventView
from protocol.structs import enum_or_int

__all__ = ["AppNewCallEvent", "CallStateEvent", "MakeCallReply", "MakeCallResult", "CALL_EVENT_CLASSES", "typed_call_record"]


CallView = EventView  # the one view base (protocol/messages.py)


@event(LineMsg.APPNEWCALL)
class AppNewCallEvent(CallView):
    """LINE_APPNEWCALL (Msg 23)."""

    init_context: int = slot("init_context", 0)
    hdevice: int = slot("hdevice", 0)  # the line's hRemoteLine
    open_context: int = slot("open_context", 0)
    address_id: int = slot("param1", 0)
    h_call: int = slot("param2")
    call_id: int = slot("param3", 0)
    related_call_id: int = slot("param4", 0)


@event(LineMsg.CALLSTATE)
class CallStateEvent(CallView):
    """LINE_CALLSTATE (Msg 2), MS-TRP placement."""

    init_context: int = slot("init_context", 0)
    state_mode: int = slot("context", 0)  # offset 8: the state detail
    h_call: int = slot("hdevice")
    open_context: int = slot("open_context", 0)
    state: int = slot("param1", converter=enum_or_int(LineCallState))
    privilege: int = slot("param2", 0)
    media_mode: int = slot("param3", 0)
    hremote_line: int = slot("param4", 0)


@attrs.frozen(slots=False)
class MakeCallResult:
    """What a successful MakeCall gives: the new hCall and the completion's IDs."""

    h_call: int
    call_context: int
    address_id: int
    call_id: int
    related_call_id: int


_IDS = struct.Struct("<3I")


@attrs.frozen(kw_only=True, slots=False)
class MakeCallReply:
    """The MakeCall completion (call-facts §1.2): a LINE_REPLY record of 52 bytes."""

    MSG: ClassVar[int] = int(LineMsg.REPLY)

    init_context: int = 0
    context: int = 0
    hdevice: int = 0
    open_context: int = 0
    request_id: int
    result: int = 0
    h_call: int = 0
    call_context: int = 0
    address_id: int = 0
    call_id: int = 0
    related_call_id: int = 0

    def to_generic(self) -> AsyncEventMsg:
        return AsyncEventMsg(
            init_context=self.init_context, context=self.context, hdevice=self.hdevice, msg=LineMsg.REPLY,
            open_context=self.open_context, param1=self.request_id, param2=self.result, param3=self.h_call,
            param4=self.call_context, vardata=_IDS.pack(self.address_id, self.call_id, self.related_call_id),
        )

    @classmethod
    def from_generic(cls, g: Any) -> MakeCallReply | None:
        """The completion, or None when ``g`` is not a LINE_REPLY with the three IDs after the header."""
        var = bytes(g.vardata)
        if g.msg != LineMsg.REPLY or len(var) != _IDS.size:
            return None
        address_id, call_id, related = _IDS.unpack(var)
        return cls(init_context=g.init_context, context=g.context, hdevice=g.hdevice, open_context=g.open_context,
                   request_id=g.param1, result=g.param2, h_call=g.param3, call_context=g.param4,
                   address_id=address_id, call_id=call_id, related_call_id=related)

    def result_value(self) -> MakeCallResult:
        return MakeCallResult(self.h_call, self.call_context, self.address_id, self.call_id, self.related_call_id)


CALL_EVENT_CLASSES: tuple[type, ...] = (AppNewCallEvent, CallStateEvent)
_BY_MSG = {int(cls.MSG): cls for cls in CALL_EVENT_CLASSES}  # type: ignore[attr-defined]


def typed_call_record(rec: Any) -> Any:
    """``rec`` as an :class:`AppNewCallEvent` / :class:`CallStateEvent` when it has that shape, else None."""
    if type(rec) is AsyncEventMsg:  # what the codec hands out (the same answer as below, sooner)
        view = _BY_MSG.get(rec.msg)
        return view.from_generic(rec) if view is not None else None  # type: ignore[attr-defined]
    for cls in CALL_EVENT_CLASSES:
        if getattr(rec, "msg", None) == cls.MSG:  # type: ignore[attr-defined]
            if isinstance(rec, cls):
                return rec
            return cls.from_generic(rec)  # type: ignore[attr-defined]
    if isinstance(rec, CALL_EVENT_CLASSES):
        return rec
    return None
