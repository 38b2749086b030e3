"""The Line API rows of the call functions (wire-protocol §9.2), merged into
:data:`client.functions.LINE_FUNCTIONS` in Req_Func order.

Asynchronous rows get ``line.<method>`` and ``line.start_<method>``; synchronous ones (DeallocateCall and
the Get* functions, whose RESPONSE carries the structure) only ``line.<method>``. A call argument is a
:class:`client.calls.Call` or its hCall (a nonzero u32).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from client.args import handle, text, u32
from client.methods import Arg, LineFunction, no_result
from protocol import call_messages as cm
from protocol.call_structs import AddressCaps, AddressStatus, CallInfo, CallStatus, DevCaps, LineDevStatus

__all__ = ["CALL_FUNCTIONS"]

_CALL = "Call | int"


def made_call(line: Any, given: Mapping[str, Any], checked: Mapping[str, Any], made: Any) -> Any:
    """MakeCall's completion as the connection's :class:`~client.calls.Call` of the new hCall."""
    return line.tapi.calls.made(line, given, checked, made)


def deallocated(line: Any, given: Mapping[str, Any], checked: Mapping[str, Any], data: Any) -> None:
    """DeallocateCall done: the connection forgets the call object's hCall."""
    line.tapi.calls.forget(checked["call"])


def _call_row(method: str, request: type, summary: str, *extra: Arg) -> LineFunction:
    return LineFunction(
        method=method, request=request, args=(Arg("call", handle, ("h_call",), annotation=_CALL), *extra),
        summary=summary, result=no_result, returns="None",
    )


_DEST = Arg("destination", text, ("dest_address",), annotation="str")
_APP = {"h_line_app": lambda line: line.tapi.hline_app, "device_id": lambda line: line.device_id,
        "api_version": lambda line: line.api_version}

CALL_FUNCTIONS: Final[tuple[LineFunction, ...]] = (
    _call_row("answer", cm.Answer, "answer an OFFERING call (-> CONNECTED)."),
    _call_row("blind_transfer", cm.BlindTransfer, "send a CONNECTED call to another group's extension.", _DEST),
    LineFunction(
        method="deallocate_call", request=cm.DeallocateCall,
        args=(Arg("call", handle, ("h_call",), annotation=_CALL),),
        summary="free this connection's hCall (not while it is the only owner of a call that is not IDLE).",
        result=deallocated, returns="None", sync=True,
    ),
    _call_row("drop", cm.Drop, "hang up (from OFFERING: reject the call, it goes back to its queue)."),
    LineFunction(
        method="get_address_caps", request=cm.GetAddressCaps,
        args=(Arg("address_id", u32, ("address_id",), default=0, annotation="int"),),
        summary="the LINEADDRESSCAPS of this line's address.", reply=AddressCaps, size_field="address_caps_size",
        from_line=_APP, sync=True,
    ),
    LineFunction(
        method="get_address_status", request=cm.GetAddressStatus,
        args=(Arg("address_id", u32, ("address_id",), default=0, annotation="int"),),
        summary="the LINEADDRESSSTATUS of this line's address (calls in progress).", reply=AddressStatus,
        size_field="address_status_size", sync=True,
    ),
    LineFunction(
        method="get_call_info", request=cm.GetCallInfo, args=(Arg("call", handle, ("h_call",), annotation=_CALL),),
        summary="the call's LINECALLINFO (caller, called and connected IDs, UUI, dwCallID).", reply=CallInfo,
        size_field="call_info_size", sync=True,
    ),
    LineFunction(
        method="get_call_status", request=cm.GetCallStatus, args=(Arg("call", handle, ("h_call",), annotation=_CALL),),
        summary="the call's LINECALLSTATUS (state, mode, features, state entry time).", reply=CallStatus,
        size_field="call_status_size", sync=True,
    ),
    LineFunction(
        method="get_dev_caps", request=cm.GetDevCaps, args=(), summary="the LINEDEVCAPS of this line's device.",
        reply=DevCaps, size_field="dev_caps_size",
        from_line={k: v for k, v in _APP.items()}, sync=True,
    ),
    LineFunction(
        method="get_line_dev_status", request=cm.GetLineDevStatus, args=(),
        summary="the LINEDEVSTATUS of this line (opens, calls in progress).", reply=LineDevStatus,
        size_field="line_dev_status_size", sync=True,
    ),
    _call_row("hold", cm.Hold, "put a CONNECTED call on hold (-> ONHOLD)."),
    LineFunction(
        method="make_call", request=cm.MakeCall, args=(_DEST,),
        summary="an outbound call from this line's address (RINGBACK, then CONNECTED).", result=made_call,
        returns="Call",
    ),
    _call_row("redirect", cm.Redirect, "send an OFFERING call to another group's extension.", _DEST),
    _call_row("unhold", cm.UnHold, "take an ONHOLD call back (-> CONNECTED)."),
)
