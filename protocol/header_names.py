"""The TAPI names of what the protocol package declares, for the check against the Windows SDK headers.

tests/unit/test_headers.py generates a C file of ``_Static_assert`` s from the declarations and compiles
it against mingw-w64's tapi.h, tapi3if.h, tapi3cc.h (and winerror.h / tapi3err.h for the HRESULTs). It
finds the declarations itself (every int enum of every ``protocol`` module, every layout schema, every
structure class, every request class); this module only says how a declaration is spelled in C:

* an enum member ``Cls.NAME`` is ``PREFIXES[Cls] + "NAME"`` (``LineErr.INUSE`` -> ``LINEERR_INUSE``);
* a layout schema ``AGENT_SESSION_INFO`` is the struct ``LINEAGENTSESSIONINFO`` (or ``AGENTSESSIONINFO``:
  the name without underscores, with or without ``LINE``); its fields match the C members by name, the
  Hungarian prefix (dw, h, date, cy, t) and case ignored (``session_start_time`` ->
  ``dateSessionStartTime``), or as :data:`FIELD_NAMES` says;
* a structure class is its ``C_NAME`` or ``"LINE" + class name in capitals``; a list class's entries
  are ``C_NAME`` with ``LIST`` -> ``ENTRY``;
* a request class ``GetAgentCaps`` is the function ``lineGetAgentCaps`` or ``lineGetAgentCapsW`` (case
  ignored, so ``ShutDown`` -> ``lineShutdown``).

Whatever has no counterpart must be listed below with the reason; a declaration that is neither mapped
nor listed fails the test, so a new constant set, structure or function is checked without editing it.
"""

from __future__ import annotations

import enum

from protocol import call_constants as cc
from protocol import constants as k

#: Int enum class -> the prefix of its members' names in the headers.
PREFIXES: dict[type[enum.Enum], str] = {
    # tapi-facts §3
    k.LineErr: "LINEERR_",
    k.HResult: "",  # S_OK, E_NOTIMPL ... (winerror.h), TAPI_E_* (tapi3err.h): the members are the C names
    k.LineMsg: "LINE_",
    k.AgentSessionState: "LINEAGENTSESSIONSTATE_",
    k.AgentSessionStatus: "LINEAGENTSESSIONSTATUS_",
    k.AgentStatusEx: "LINEAGENTSTATUSEX_",
    k.AgentStateEx: "LINEAGENTSTATEEX_",
    k.AgentSessionStateASST: "ASST_",
    k.AgentSessionEvent: "ASE_",
    k.AgentState: "AS_",
    k.TapiEvent: "",  # the members are the C names (TE_AGENT ...)
    k.ProxyRequest: "LINEPROXYREQUEST_",
    k.ProxyStatus: "LINEPROXYSTATUS_",
    k.QueueStatus: "LINEQUEUESTATUS_",
    k.GroupStatus: "LINEGROUPSTATUS_",
    k.OpenOption: "LINEOPENOPTION_",
    # call-facts §3-§5 (protocol.call_constants)
    cc.LineCallState: "LINECALLSTATE_",
    cc.DisconnectMode: "LINEDISCONNECTMODE_",
    cc.CallOrigin: "LINECALLORIGIN_",
    cc.CallReason: "LINECALLREASON_",
    cc.CallPrivilege: "LINECALLPRIVILEGE_",
    cc.CallPartyId: "LINECALLPARTYID_",
    cc.CallInfoState: "LINECALLINFOSTATE_",
    cc.AddressState: "LINEADDRESSSTATE_",
    cc.DevState: "LINEDEVSTATE_",
    cc.MediaMode: "LINEMEDIAMODE_",
    cc.BearerMode: "LINEBEARERMODE_",
    cc.CallSelect: "LINECALLSELECT_",
    cc.CallFeature: "LINECALLFEATURE_",
    cc.CallFeature2: "LINECALLFEATURE2_",
    cc.BusyMode: "LINEBUSYMODE_",
    cc.DialToneMode: "LINEDIALTONEMODE_",
    cc.ConnectedMode: "LINECONNECTEDMODE_",
    cc.OfferingMode: "LINEOFFERINGMODE_",
    cc.SpecialInfo: "LINESPECIALINFO_",
    cc.TransferMode: "LINETRANSFERMODE_",
    cc.AnswerMode: "LINEANSWERMODE_",
    cc.StringFormat: "STRINGFORMAT_",
    cc.AddrFeature: "LINEADDRFEATURE_",
    cc.LineFeature: "LINEFEATURE_",
    cc.DevStatusFlags: "LINEDEVSTATUSFLAGS_",
    cc.AddressMode: "LINEADDRESSMODE_",
    cc.AddressType: "LINEADDRESSTYPE_",
    cc.CallParamFlags: "LINECALLPARAMFLAGS_",
    cc.LineAgentState: "LINEAGENTSTATE_",
    cc.AgentStatus: "LINEAGENTSTATUS_",
    cc.AgentFeature: "LINEAGENTFEATURE_",
    # call-facts §6 (TAPI3)
    cc.Tapi3CallState: "CS_",
    cc.CallStateEventCause: "CEC_",
    cc.CallNotificationEvent: "CNE_",
    cc.Tapi3CallPrivilege: "CP_",
    cc.DisconnectCode: "DC_",
    cc.FinishMode: "FM_",
    cc.CallInfoLong: "CIL_",
    cc.CallInfoString: "CIS_",
    cc.CallInfoBuffer: "CIB_",
    cc.AddressEvent: "AE_",
    cc.AgentEvent: "AE_",
    cc.AcdGroupEvent: "ACDGE_",
    cc.AcdQueueEvent: "ACDQE_",
    cc.AgentHandlerEvent: "AHE_",
}

#: Int enum classes no header defines, with the reason.
NOT_IN_HEADERS: dict[type[enum.Enum], str] = {
    k.FrameKind: "the emulator's TCP framing (wire-protocol §1), not TAPI",
    k.ErrorCode: "the emulator's ERROR frame codes (wire-protocol §1), not TAPI",
    k.ReqFunc: "MS-TRP's Req_Func numbers (tapisrv's RPC protocol) and the emulator's control extension: "
    "no SDK header has them",
    k.ApiVersion: "MS-TRP 1.7 version numbers; tapi.h names only TAPI_CURRENT_VERSION (checked: EXPRESSIONS)",
}

#: Members of a class in PREFIXES that the headers lack, as ``"Class.NAME"``, with the reason.
MEMBER_EXCEPTIONS: dict[str, str] = {}

#: Other values checked against a C expression: ``"module.NAME"`` -> C expression.
EXPRESSIONS: dict[str, str] = {
    "protocol.constants.API_VERSION_MAX": "TAPI_CURRENT_VERSION",
}

#: Layout schemas (upper-case names) with no struct in the headers, with the reason.
LAYOUTS_NOT_IN_HEADERS: dict[str, str] = {
    "FRAME_HEADER": "the emulator's TCP framing (wire-protocol §1)",
    "HELLO_BODY": "the emulator's TCP framing (wire-protocol §1)",
    "ERROR_BODY": "the emulator's TCP framing (wire-protocol §1)",
    "TAPI32_MSG": "MS-TRP's request buffer (tapisrv-internal; tapi-facts §1.2): no SDK type",
    "ASYNCEVENTMSG": "MS-TRP's event record (tapisrv-internal; tapi-facts §1.3): no SDK type",
    "LIST_HEADER": "the 24-byte header the list structures share: checked against each list class's C_NAME",
}

#: Layout fields whose C member the name rule cannot find: ``"LAYOUT.field"`` -> C member name.
FIELD_NAMES: dict[str, str] = {
    "AGENT_SESSION_INFO.state": "dwAgentSessionState",
    "AGENT_SESSION_INFO.next_state": "dwNextAgentSessionState",
}

#: Request classes with no ``line*`` function in tapi.h, with the reason.
FUNCTIONS_NOT_IN_HEADERS: dict[str, str] = {
    "EmuAdvanceClock": "the emulator's control extension (wire-protocol §3)",
    "EmuOfferCall": "the emulator's control extension (wire-protocol §3)",
    "GetCallIDs": "MS-TRP-only packet (call-facts §1.3): tapi.h has no lineGetCallIDs",
}
