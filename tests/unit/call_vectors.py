"""Golden vectors of the §9 call functions (wire-protocol §9.2), typed from the parameter offsets of
call-facts §1.1 - NOT produced by the code under test. ``params`` maps a fixed-part offset (8..56) to the
DWORD the spec puts there; every other DWORD of the 60-byte TAPI32_MSG is 0. :data:`CALL_VECTORS` is
appended to ``vectors.VECTORS`` (same tuple shape: name, frame, response Req_Func, bytes)."""

from __future__ import annotations

import struct

from protocol.call_messages import (
    Answer, BlindTransfer, DeallocateCall, Drop, GetAddressCaps, GetAddressStatus, GetCallInfo, GetCallStatus,
    GetDevCaps, GetLineDevStatus, Hold, MakeCall, Redirect, UnHold,
)
from protocol.messages import Request, Response

NONE = 0xFFFFFFFF


def frame(kind: int, seq: int, first: int, params: dict[int, int], var: bytes = b"") -> bytes:
    """Frame header (length, kind, flags 0, sequence), then Req_Func / Ack_ReturnValue, reserved, the 13 DWORDs."""
    words = [params.get(off, 0) for off in range(8, 60, 4)]
    body = struct.pack("<2I13I", first, 0, *words) + var
    return struct.pack("<IHHI", 8 + len(body), kind, 0, seq) + body


def req(seq: int, func: int, params: dict[int, int], var: bytes = b"") -> bytes:
    return frame(1, seq, func, params, var)


U200 = bytes.fromhex("32003000 30000000".replace(" ", ""))  # "200" UTF-16LE + NUL
U5551234 = "5551234".encode("utf-16-le") + b"\0\0"
#: LINECALLSTATUS (call-facts §3.3), 56 bytes: CONNECTED 0x100, mode ACTIVE 1, OWNER 4, features
#: DROP|HOLD|BLINDTRANSFER 0x888, tStateEntryTime 2026-12-01 (Tuesday = 2) 09:30:15.250 UTC.
CALL_STATUS_HEX = (
    "38000000 38000000 38000000 00010000 01000000 04000000 88080000 00000000 00000000 00000000"
    " ea070c00 02000100 09001e00 0f00fa00"
)

CALL_VECTORS: list[tuple[str, object, int | None, bytes]] = [
    ("request-answer", Request(7, Answer(h_call=0x77)), None, req(7, 7, {12: 0x77, 16: NONE})),
    ("request-blind-transfer", Request(8, BlindTransfer(h_call=0x77, dest_address="200")), None,
     req(8, 8, {12: 0x77, 16: 0}, U200)),
    ("request-deallocate-call", Request(12, DeallocateCall(h_call=0x77)), None, req(12, 12, {8: 0x77})),
    ("request-drop", Request(16, Drop(h_call=0x77)), None, req(16, 16, {12: 0x77, 16: NONE})),
    ("request-get-address-caps",
     Request(21, GetAddressCaps(h_line_app=1, device_id=2, api_version=0x20002, address_caps_size=0x400)), None,
     req(21, 21, {8: 1, 12: 2, 16: 0, 20: 0x20002, 24: 0, 28: 0x400})),
    ("request-get-address-status", Request(23, GetAddressStatus(h_line=3, address_status_size=64)), None,
     req(23, 23, {8: 3, 12: 0, 16: 64})),
    ("request-get-call-info", Request(30, GetCallInfo(h_call=0x77, call_info_size=0x400)), None,
     req(30, 30, {8: 0x77, 12: 0x400})),
    ("request-get-call-status", Request(31, GetCallStatus(h_call=0x77)), None, req(31, 31, {8: 0x77, 12: 56})),
    ("response-get-call-status",
     Response(31, 0, GetCallStatus(h_call=0x77, call_status_size=0, call_status=bytes.fromhex(CALL_STATUS_HEX.replace(" ", "")))),
     31, frame(2, 31, 0, {8: 0x77, 12: 0}, bytes.fromhex(CALL_STATUS_HEX.replace(" ", "")))),
    ("request-get-dev-caps",
     Request(34, GetDevCaps(h_line_app=1, device_id=2, api_version=0x20002, dev_caps_size=0x400)), None,
     req(34, 34, {8: 1, 12: 2, 16: 0x20002, 20: 0, 24: 0x400})),
    ("request-get-line-dev-status", Request(38, GetLineDevStatus(h_line=3)), None, req(38, 38, {8: 3, 12: 88})),
    ("request-hold", Request(46, Hold(h_call=0x77)), None, req(46, 46, {12: 0x77})),
    ("request-make-call",
     Request(48, MakeCall(context=0x11, h_line=3, h_call_context=0x22, dest_address="5551234")), None,
     req(48, 48, {12: 0x11, 16: 3, 20: 0x22, 24: 0, 28: 0, 32: NONE, 36: NONE}, U5551234)),
    ("request-redirect", Request(60, Redirect(h_call=0x77, dest_address="200")), None,
     req(60, 60, {12: 0x77, 16: 0}, U200)),
    ("request-unhold", Request(89, UnHold(h_call=0x77)), None, req(89, 89, {12: 0x77})),
]
