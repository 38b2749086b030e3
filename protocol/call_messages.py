"""Request bodies of the call functions of wire-protocol §9.2 (parameters: call-facts §1.1).

Declared like every request (:mod:`protocol.declare`), listed in :data:`CALL_REQUEST_CLASSES`, which
:mod:`protocol.messages` appends to its ``REQUEST_CLASSES`` (one registration line): the codecs, the
dispatch-table checks and the client rows derive from these declarations.

Choices where call-facts says UNVERIFIED (documented in docs/protocol.md, tested):

* The synchronous Get* functions return their structure in the RESPONSE's VarData at offset 0
  (:func:`~protocol.declare.reply_struct`), and the size DWORD of the RESPONSE is overwritten with that
  offset, 0 (as MS-TRP says for GetAddressCaps / GetAddressStatus). A REQUEST need not carry room.
* Answer and Drop: the UUI offset / size DWORDs are plain DWORDs; this switch accepts no UUI (LINEDEVCAPS
  dwUUIAnswerSize = dwUUIDropSize = 0), so an offset other than 0xFFFFFFFF with a nonzero size gets
  LINEERR_USERUSERINFOTOOBIG.
* MakeCall: lpCallParams is carried as an uninterpreted DWORD (0xFFFFFFFF = none), as Open's is.
"""

from __future__ import annotations

from protocol.call_structs import AddressCaps, AddressStatus, CallInfo, CallStatus, DevCaps, LineDevStatus
from protocol.constants import API_VERSION_MAX, TAPI_NO_DATA, ReqFunc
from protocol.declare import (
    RequestBody,
    buffer_size,
    dword,
    handle,
    optional_string,
    reply_struct,
    request,
    request_id,
    string,
    struct_context,
)

__all__ = [
    "Answer", "BlindTransfer", "DeallocateCall", "Drop", "GetAddressCaps", "GetAddressStatus", "GetCallInfo",
    "GetCallStatus", "GetDevCaps", "GetLineDevStatus", "Hold", "MakeCall", "Redirect", "UnHold",
    "CALL_REQUEST_CLASSES", "CALL_INFO_BUFFER",
]

#: Default buffer for LINECALLINFO: the 3.x fixed part and room for the party IDs and UUI.
CALL_INFO_BUFFER = 1024
#: Default buffer for LINEDEVCAPS / LINEADDRESSCAPS (fixed part and their names).
CAPS_BUFFER = 1024


@request(ReqFunc.ANSWER, asynchronous=True)
class Answer(RequestBody):
    """lineAnswer (7, async, [MS-TRP] 2.2.4.1.3.4); no lpContext."""

    request_id: int = request_id(8)
    h_call: int = handle(12)
    user_user_info_offset: int = dword(16, TAPI_NO_DATA)
    user_user_info_size: int = dword(20, 0)


@request(ReqFunc.BLINDTRANSFER, asynchronous=True)
class BlindTransfer(RequestBody):
    """lineBlindTransfer (8, async, 2.2.4.1.3.5): destination = a group's extension."""

    request_id: int = request_id(8)
    h_call: int = handle(12)
    dest_address: str = string(16)
    country_code: int = dword(20, 0)


@request(ReqFunc.DEALLOCATECALL, asynchronous=False)
class DeallocateCall(RequestBody):
    """lineDeallocateCall (12, sync, 2.2.4.1.3.6)."""

    h_call: int = handle(8)


@request(ReqFunc.DROP, asynchronous=True)
class Drop(RequestBody):
    """lineDrop (16, async, 2.2.4.1.3.15); no lpContext."""

    request_id: int = request_id(8)
    h_call: int = handle(12)
    user_user_info_offset: int = dword(16, TAPI_NO_DATA)
    user_user_info_size: int = dword(20, 0)


@request(ReqFunc.GETADDRESSCAPS, asynchronous=False)
class GetAddressCaps(RequestBody):
    """lineGetAddressCaps (21, sync, 2.2.4.1.1.4) -> LINEADDRESSCAPS in the RESPONSE."""

    h_line_app: int = handle(8)
    device_id: int = dword(12)
    address_id: int = dword(16, 0)
    api_version: int = dword(20, API_VERSION_MAX)
    ext_version: int = dword(24, 0)
    address_caps_size: int = buffer_size(28, CAPS_BUFFER)
    address_caps: bytes = reply_struct(AddressCaps)


@request(ReqFunc.GETADDRESSSTATUS, asynchronous=False)
class GetAddressStatus(RequestBody):
    """lineGetAddressStatus (23, sync, 2.2.4.1.3.21) -> LINEADDRESSSTATUS in the RESPONSE."""

    h_line: int = handle(8)
    address_id: int = dword(12, 0)
    address_status_size: int = buffer_size(16, AddressStatus.FIXED_SIZE)
    address_status: bytes = reply_struct(AddressStatus)


@request(ReqFunc.GETCALLINFO, asynchronous=False)
class GetCallInfo(RequestBody):
    """lineGetCallInfo (30, sync, 2.2.4.1.3.31) -> LINECALLINFO in the RESPONSE."""

    h_call: int = handle(8)
    call_info_size: int = buffer_size(12, CALL_INFO_BUFFER)
    call_info: bytes = reply_struct(CallInfo)


@request(ReqFunc.GETCALLSTATUS, asynchronous=False)
class GetCallStatus(RequestBody):
    """lineGetCallStatus (31, sync, 2.2.4.1.3.32) -> LINECALLSTATUS in the RESPONSE."""

    h_call: int = handle(8)
    call_status_size: int = buffer_size(12, CallStatus.FIXED_SIZE)
    call_status: bytes = reply_struct(CallStatus)


@request(ReqFunc.GETDEVCAPS, asynchronous=False)
class GetDevCaps(RequestBody):
    """lineGetDevCaps (34, sync, 2.2.4.1.1.3) -> LINEDEVCAPS in the RESPONSE."""

    h_line_app: int = handle(8)
    device_id: int = dword(12)
    api_version: int = dword(16, API_VERSION_MAX)
    ext_version: int = dword(20, 0)
    dev_caps_size: int = buffer_size(24, CAPS_BUFFER)
    dev_caps: bytes = reply_struct(DevCaps)


@request(ReqFunc.GETLINEDEVSTATUS, asynchronous=False)
class GetLineDevStatus(RequestBody):
    """lineGetLineDevStatus (38, sync, 2.2.4.1.3.36) -> LINEDEVSTATUS in the RESPONSE."""

    h_line: int = handle(8)
    line_dev_status_size: int = buffer_size(12, LineDevStatus.FIXED_SIZE)
    line_dev_status: bytes = reply_struct(LineDevStatus)


@request(ReqFunc.HOLD, asynchronous=True)
class Hold(RequestBody):
    """lineHold (46, async, 2.2.4.1.3.42)."""

    request_id: int = request_id(8)
    h_call: int = handle(12)


@request(ReqFunc.MAKECALL, asynchronous=True)
class MakeCall(RequestBody):
    """lineMakeCall (48, async, 2.2.4.1.3.43). Its LINE_REPLY is the MakeCall completion of call-facts
    §1.2 (:class:`protocol.call_events.MakeCallReply`): Param3 the new hCall, Param4 lphCallContext."""

    request_id: int = request_id(8)
    context: int = dword(12, 0)
    h_line: int = handle(16)
    h_call_context: int = struct_context(20)
    dest_address: str | None = optional_string(24)
    country_code: int = dword(28, 0)
    call_params_offset: int = dword(32, TAPI_NO_DATA)
    call_params_code_page: int = dword(36, TAPI_NO_DATA)


@request(ReqFunc.REDIRECT, asynchronous=True)
class Redirect(RequestBody):
    """lineRedirect (60, async, 2.2.4.1.3.51): destination = a group's extension."""

    request_id: int = request_id(8)
    h_call: int = handle(12)
    dest_address: str = string(16)
    country_code: int = dword(20, 0)


@request(ReqFunc.UNHOLD, asynchronous=True)
class UnHold(RequestBody):
    """lineUnhold (89, async, 2.2.4.1.3.81)."""

    request_id: int = request_id(8)
    h_call: int = handle(12)


CALL_REQUEST_CLASSES: tuple[type, ...] = (
    Answer, BlindTransfer, DeallocateCall, Drop, GetAddressCaps, GetAddressStatus, GetCallInfo, GetCallStatus,
    GetDevCaps, GetLineDevStatus, Hold, MakeCall, Redirect, UnHold,
)
