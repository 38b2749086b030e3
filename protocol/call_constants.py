"""The call-control and TAPI 2.0 agent constant sets, and the TAPI3 call / ACD enums, as IntEnum/IntFlag.

Re-exported by :mod:`protocol.constants` (import them from there). Sources: ``shared/spec/call-facts.md``
§4 (LINECALL*, LINEDEV*, LINEADDRESS*, mode sets), §5 (LINEAGENTSTATE_, LINEAGENTSTATUS_,
LINEAGENTFEATURE_), §6 (TAPI3 enums of tapi3if.h / tapi3cc.h). A few sets the facts only name (the
LINEADDRFEATURE_ values of LINEADDRESSSTATUS.dwAddressFeatures, LINECALLFEATURE2_, LINEFEATURE_,
LINEADDRESSMODE_, LINEADDRESSTYPE_, LINECALLPARAMFLAGS_, the whole CALLINFO_LONG / _STRING / _BUFFER and
TAPI_EVENT enums) were taken from mingw-w64's tapi.h / tapi3if.h. Every member is compared with the
header by tests/unit/test_headers.py (the TAPI name of each class: :data:`protocol.header_names.PREFIXES`).

Bit sets are IntFlag: TAPI uses the same values both one at a time (a LINE_CALLSTATE's state) and as
masks (LINECALLINFO.dwCallStates), and ``LineCallState.OFFERING | LineCallState.CONNECTED`` is a valid
mask. Counted sets (STRINGFORMAT_, the TAPI3 enums) are IntEnum.
"""

from __future__ import annotations

import enum

class LineCallState(enum.IntFlag):
    """LINECALLSTATE_ (call-facts §4): one value in LINE_CALLSTATE Param1 and LINECALLSTATUS.dwCallState, a bit
    set in LINECALLINFO.dwCallStates / LINEADDRESSCAPS.dwCallStates.
    """

    IDLE = 0x1
    OFFERING = 0x2
    ACCEPTED = 0x4
    DIALTONE = 0x8
    DIALING = 0x10
    RINGBACK = 0x20
    BUSY = 0x40
    SPECIALINFO = 0x80
    CONNECTED = 0x100
    PROCEEDING = 0x200
    ONHOLD = 0x400
    CONFERENCED = 0x800
    ONHOLDPENDCONF = 0x1000
    ONHOLDPENDTRANSFER = 0x2000
    DISCONNECTED = 0x4000
    UNKNOWN = 0x8000


class DisconnectMode(enum.IntFlag):
    """LINEDISCONNECTMODE_ (call-facts §4): the state detail of a DISCONNECTED LINE_CALLSTATE (offset 8) and
    LINECALLSTATUS.dwCallStateMode.
    """

    NORMAL = 0x1
    UNKNOWN = 0x2
    REJECT = 0x4
    PICKUP = 0x8
    FORWARDED = 0x10
    BUSY = 0x20
    NOANSWER = 0x40
    BADADDRESS = 0x80
    UNREACHABLE = 0x100
    CONGESTION = 0x200
    INCOMPATIBLE = 0x400
    UNAVAIL = 0x800
    NODIALTONE = 0x1000
    NUMBERCHANGED = 0x2000
    OUTOFORDER = 0x4000
    TEMPFAILURE = 0x8000
    QOSUNAVAIL = 0x10000
    BLOCKED = 0x20000
    DONOTDISTURB = 0x40000
    CANCELLED = 0x80000


class CallOrigin(enum.IntFlag):
    """LINECALLORIGIN_ (call-facts §4; no 0x8): LINECALLINFO.dwOrigin."""

    OUTBOUND = 0x1
    INTERNAL = 0x2
    EXTERNAL = 0x4
    UNKNOWN = 0x10
    UNAVAIL = 0x20
    CONFERENCE = 0x40
    INBOUND = 0x80


class CallReason(enum.IntFlag):
    """LINECALLREASON_ (call-facts §4): LINECALLINFO.dwReason."""

    DIRECT = 0x1
    FWDBUSY = 0x2
    FWDNOANSWER = 0x4
    FWDUNCOND = 0x8
    PICKUP = 0x10
    UNPARK = 0x20
    REDIRECT = 0x40
    CALLCOMPLETION = 0x80
    TRANSFER = 0x100
    REMINDER = 0x200
    UNKNOWN = 0x400
    UNAVAIL = 0x800
    INTRUDE = 0x1000
    PARKED = 0x2000
    CAMPEDON = 0x4000
    ROUTEREQUEST = 0x8000


class CallPrivilege(enum.IntFlag):
    """LINECALLPRIVILEGE_ (call-facts §4): LINECALLSTATUS.dwCallPrivilege, Open/GetNewCalls privileges."""

    NONE = 0x1
    MONITOR = 0x2
    OWNER = 0x4


class CallPartyId(enum.IntFlag):
    """LINECALLPARTYID_ bits (call-facts §4): the ID Flags of LINECALLINFO's five party-ID blocks."""

    BLOCKED = 0x1
    OUTOFAREA = 0x2
    NAME = 0x4
    ADDRESS = 0x8
    PARTIAL = 0x10
    UNKNOWN = 0x20
    UNAVAIL = 0x40


class CallInfoState(enum.IntFlag):
    """LINECALLINFOSTATE_ bits (call-facts §4): Param1 of LINE_CALLINFO."""

    OTHER = 0x1
    DEVSPECIFIC = 0x2
    BEARERMODE = 0x4
    RATE = 0x8
    MEDIAMODE = 0x10
    APPSPECIFIC = 0x20
    CALLID = 0x40
    RELATEDCALLID = 0x80
    ORIGIN = 0x100
    REASON = 0x200
    COMPLETIONID = 0x400
    NUMOWNERINCR = 0x800
    NUMOWNERDECR = 0x1000
    NUMMONITORS = 0x2000
    TRUNK = 0x4000
    CALLERID = 0x8000
    CALLEDID = 0x10000
    CONNECTEDID = 0x20000
    REDIRECTIONID = 0x40000
    REDIRECTINGID = 0x80000
    DISPLAY = 0x100000
    USERUSERINFO = 0x200000
    HIGHLEVELCOMP = 0x400000
    LOWLEVELCOMP = 0x800000
    CHARGINGINFO = 0x1000000
    TERMINAL = 0x2000000
    DIALPARAMS = 0x4000000
    MONITORMODES = 0x8000000
    TREATMENT = 0x10000000
    QOS = 0x20000000
    CALLDATA = 0x40000000


class AddressState(enum.IntFlag):
    """LINEADDRESSSTATE_ bits (call-facts §4): Param2 of LINE_ADDRESSSTATE, SetStatusMessages."""

    OTHER = 0x1
    DEVSPECIFIC = 0x2
    INUSEZERO = 0x4
    INUSEONE = 0x8
    INUSEMANY = 0x10
    NUMCALLS = 0x20
    FORWARD = 0x40
    TERMINALS = 0x80
    CAPSCHANGE = 0x100


class DevState(enum.IntFlag):
    """LINEDEVSTATE_ bits (call-facts §4; TRANSLATECHANGE is header-only): Param1 of LINE_LINEDEVSTATE."""

    OTHER = 0x1
    RINGING = 0x2
    CONNECTED = 0x4
    DISCONNECTED = 0x8
    MSGWAITON = 0x10
    MSGWAITOFF = 0x20
    INSERVICE = 0x40
    OUTOFSERVICE = 0x80
    MAINTENANCE = 0x100
    OPEN = 0x200
    CLOSE = 0x400
    NUMCALLS = 0x800
    NUMCOMPLETIONS = 0x1000
    TERMINALS = 0x2000
    ROAMMODE = 0x4000
    BATTERY = 0x8000
    SIGNAL = 0x10000
    DEVSPECIFIC = 0x20000
    REINIT = 0x40000
    LOCK = 0x80000
    CAPSCHANGE = 0x100000
    CONFIGCHANGE = 0x200000
    TRANSLATECHANGE = 0x400000
    COMPLCANCEL = 0x800000
    REMOVED = 0x1000000


class MediaMode(enum.IntFlag):
    """LINEMEDIAMODE_ bits (call-facts §4): LINE_CALLSTATE Param3, LINECALLINFO.dwMediaMode."""

    UNKNOWN = 0x2
    INTERACTIVEVOICE = 0x4
    AUTOMATEDVOICE = 0x8
    DATAMODEM = 0x10
    G3FAX = 0x20
    TDD = 0x40
    G4FAX = 0x80
    DIGITALDATA = 0x100
    TELETEX = 0x200
    VIDEOTEX = 0x400
    TELEX = 0x800
    MIXED = 0x1000
    ADSI = 0x2000
    VOICEVIEW = 0x4000
    VIDEO = 0x8000


class BearerMode(enum.IntFlag):
    """LINEBEARERMODE_ bits (call-facts §4): LINECALLINFO.dwBearerMode, LINECALLPARAMS.dwBearerMode."""

    VOICE = 0x1
    SPEECH = 0x2
    MULTIUSE = 0x4
    DATA = 0x8
    ALTSPEECHDATA = 0x10
    NONCALLSIGNALING = 0x20
    PASSTHROUGH = 0x40
    RESTRICTEDDATA = 0x80


class CallSelect(enum.IntFlag):
    """LINECALLSELECT_ (call-facts §4): dwSelect of GetNewCalls and GetID."""

    LINE = 0x1
    ADDRESS = 0x2
    CALL = 0x4
    DEVICEID = 0x8
    CALLID = 0x10


class CallFeature(enum.IntFlag):
    """LINECALLFEATURE_ bits (call-facts §4): LINECALLSTATUS.dwCallFeatures, LINEADDRESSCAPS.dwCallFeatures.
    """

    ACCEPT = 0x1
    ADDTOCONF = 0x2
    ANSWER = 0x4
    BLINDTRANSFER = 0x8
    COMPLETECALL = 0x10
    COMPLETETRANSF = 0x20
    DIAL = 0x40
    DROP = 0x80
    GATHERDIGITS = 0x100
    GENERATEDIGITS = 0x200
    GENERATETONE = 0x400
    HOLD = 0x800
    MONITORDIGITS = 0x1000
    MONITORMEDIA = 0x2000
    MONITORTONES = 0x4000
    PARK = 0x8000
    PREPAREADDCONF = 0x10000
    REDIRECT = 0x20000
    REMOVEFROMCONF = 0x40000
    SECURECALL = 0x80000
    SENDUSERUSER = 0x100000
    SETCALLPARAMS = 0x200000
    SETMEDIACONTROL = 0x400000
    SETTERMINAL = 0x800000
    SETUPCONF = 0x1000000
    SETUPTRANSFER = 0x2000000
    SWAPHOLD = 0x4000000
    UNHOLD = 0x8000000
    RELEASEUSERUSERINFO = 0x10000000
    SETTREATMENT = 0x20000000
    SETQOS = 0x40000000
    SETCALLDATA = 0x80000000


class BusyMode(enum.IntFlag):
    """LINEBUSYMODE_ (call-facts §4): the detail of a BUSY LINE_CALLSTATE."""

    STATION = 0x1
    TRUNK = 0x2
    UNKNOWN = 0x4
    UNAVAIL = 0x8


class DialToneMode(enum.IntFlag):
    """LINEDIALTONEMODE_ (call-facts §4): the detail of a DIALTONE LINE_CALLSTATE."""

    NORMAL = 0x1
    SPECIAL = 0x2
    INTERNAL = 0x4
    EXTERNAL = 0x8
    UNKNOWN = 0x10
    UNAVAIL = 0x20


class ConnectedMode(enum.IntFlag):
    """LINECONNECTEDMODE_ (call-facts §4): the detail of a CONNECTED LINE_CALLSTATE."""

    ACTIVE = 0x1
    INACTIVE = 0x2
    ACTIVEHELD = 0x4
    INACTIVEHELD = 0x8
    CONFIRMED = 0x10


class OfferingMode(enum.IntFlag):
    """LINEOFFERINGMODE_ (call-facts §4): the detail of an OFFERING LINE_CALLSTATE."""

    ACTIVE = 0x1
    INACTIVE = 0x2


class SpecialInfo(enum.IntFlag):
    """LINESPECIALINFO_ (call-facts §4): the detail of a SPECIALINFO LINE_CALLSTATE."""

    NOCIRCUIT = 0x1
    CUSTIRREG = 0x2
    REORDER = 0x4
    UNKNOWN = 0x8
    UNAVAIL = 0x10


class TransferMode(enum.IntFlag):
    """LINETRANSFERMODE_ (call-facts §4): CompleteTransfer's dwTransferMode."""

    TRANSFER = 0x1
    CONFERENCE = 0x2


class AnswerMode(enum.IntFlag):
    """LINEANSWERMODE_ (call-facts §4): LINEDEVCAPS.dwAnswerMode."""

    NONE = 0x1
    DROP = 0x2
    HOLD = 0x4


class StringFormat(enum.IntEnum):
    """STRINGFORMAT_ (call-facts §3.3): VARSTRING.dwStringFormat, LINEDEVCAPS.dwStringFormat."""

    ASCII = 1
    DBCS = 2
    UNICODE = 3
    BINARY = 4


class CallFeature2(enum.IntFlag):
    """LINECALLFEATURE2_ bits (tapi.h): LINECALLSTATUS.dwCallFeatures2."""

    NOHOLDCONFERENCE = 0x1
    ONESTEPTRANSFER = 0x2
    COMPLCAMPON = 0x4
    COMPLCALLBACK = 0x8
    COMPLINTRUDE = 0x10
    COMPLMESSAGE = 0x20
    TRANSFERNORM = 0x40
    TRANSFERCONF = 0x80
    PARKDIRECT = 0x100
    PARKNONDIRECT = 0x200


class AddrFeature(enum.IntFlag):
    """LINEADDRFEATURE_ bits (tapi.h): LINEADDRESSSTATUS.dwAddressFeatures, LINEADDRESSCAPS.dwAddressFeatures."""

    FORWARD = 0x1
    MAKECALL = 0x2
    PICKUP = 0x4
    SETMEDIACONTROL = 0x8
    SETTERMINAL = 0x10
    SETUPCONF = 0x20
    UNCOMPLETECALL = 0x40
    UNPARK = 0x80
    PICKUPHELD = 0x100
    PICKUPGROUP = 0x200
    PICKUPDIRECT = 0x400
    PICKUPWAITING = 0x800
    FORWARDFWD = 0x1000
    FORWARDDND = 0x2000


class LineFeature(enum.IntFlag):
    """LINEFEATURE_ bits (tapi.h): LINEDEVSTATUS.dwLineFeatures, LINEDEVCAPS.dwLineFeatures."""

    DEVSPECIFIC = 0x1
    DEVSPECIFICFEAT = 0x2
    FORWARD = 0x4
    MAKECALL = 0x8
    SETMEDIACONTROL = 0x10
    SETTERMINAL = 0x20
    SETDEVSTATUS = 0x40
    FORWARDFWD = 0x80
    FORWARDDND = 0x100


class DevStatusFlags(enum.IntFlag):
    """LINEDEVSTATUSFLAGS_ bits (call-facts §3.3): LINEDEVSTATUS.dwDevStatusFlags."""

    CONNECTED = 0x1
    MSGWAIT = 0x2
    INSERVICE = 0x4
    LOCKED = 0x8


class AddressMode(enum.IntEnum):
    """LINEADDRESSMODE_ (tapi.h): GetAddressID's dwAddressMode must be DIALABLEADDR (call-facts §1.1)."""

    ADDRESSID = 0x1
    DIALABLEADDR = 0x2


class AddressType(enum.IntFlag):
    """LINEADDRESSTYPE_ bits (tapi.h): LINECALLPARAMS.dwAddressType, LINECALLINFO's *AddressType (3.0+)."""

    PHONENUMBER = 0x1
    SDP = 0x2
    EMAILNAME = 0x4
    DOMAINNAME = 0x8
    IPADDRESS = 0x10


class CallParamFlags(enum.IntFlag):
    """LINECALLPARAMFLAGS_ bits (tapi.h): LINECALLPARAMS.dwCallParamFlags, LINECALLINFO.dwCallParamFlags."""

    SECURE = 0x1
    IDLE = 0x2
    BLOCKID = 0x4
    ORIGOFFHOOK = 0x8
    DESTOFFHOOK = 0x10
    NOHOLDCONFERENCE = 0x20
    PREDICTIVEDIAL = 0x40
    ONESTEPTRANSFER = 0x80


# --- TAPI 2.0 agent sets (call-facts §5) ------------------------------------------------------------------


class LineAgentState(enum.IntFlag):
    """LINEAGENTSTATE_ (TAPI 2.0; call-facts §5): LINEAGENTSTATUS.dwState / dwNextState / dwValidStates,
    SetAgentState. Not the LINEAGENTSTATEEX_ set (:class:`protocol.constants.AgentStateEx`); dwState = 0 also
    means UNAVAIL."""

    LOGGEDOFF = 0x1
    NOTREADY = 0x2
    READY = 0x4
    BUSYACD = 0x8
    BUSYINCOMING = 0x10
    BUSYOUTBOUND = 0x20
    BUSYOTHER = 0x40
    WORKINGAFTERCALL = 0x80
    UNKNOWN = 0x100
    UNAVAIL = 0x200


class AgentStatus(enum.IntFlag):
    """LINEAGENTSTATUS_ bits (call-facts §5): Param2 of LINE_AGENTSTATUS (Param1 = address ID)."""

    GROUP = 0x1
    STATE = 0x2
    NEXTSTATE = 0x4
    ACTIVITY = 0x8
    ACTIVITYLIST = 0x10
    GROUPLIST = 0x20
    CAPSCHANGE = 0x40
    VALIDSTATES = 0x80
    VALIDNEXTSTATES = 0x100


class AgentFeature(enum.IntFlag):
    """LINEAGENTFEATURE_ bits (call-facts §5): LINEAGENTCAPS.dwFeatures, LINEAGENTSTATUS.dwAgentFeatures."""

    SETAGENTGROUP = 0x1
    SETAGENTSTATE = 0x2
    SETAGENTACTIVITY = 0x4
    AGENTSPECIFIC = 0x8
    GETAGENTACTIVITYLIST = 0x10
    GETAGENTGROUP = 0x20


# --- TAPI3 (tapi3if.h / tapi3cc.h; call-facts §6) ---------------------------------------------------------


class Tapi3CallState(enum.IntEnum):
    """CALL_STATE (CS_; ITCallInfo::get_CallState, ITCallStateEvent::get_State). CS_LASTITEM = QUEUED."""

    IDLE = 0
    INPROGRESS = 1
    CONNECTED = 2
    DISCONNECTED = 3
    OFFERING = 4
    HOLD = 5
    QUEUED = 6


class CallStateEventCause(enum.IntEnum):
    """CALL_STATE_EVENT_CAUSE (CEC_; ITCallStateEvent::get_Cause)."""

    NONE = 0
    DISCONNECT_NORMAL = 1
    DISCONNECT_BUSY = 2
    DISCONNECT_BADADDRESS = 3
    DISCONNECT_NOANSWER = 4
    DISCONNECT_CANCELLED = 5
    DISCONNECT_REJECTED = 6
    DISCONNECT_FAILED = 7
    DISCONNECT_BLOCKED = 8


class CallNotificationEvent(enum.IntEnum):
    """CALL_NOTIFICATION_EVENT (CNE_; ITCallNotificationEvent::get_Event)."""

    OWNER = 0
    MONITOR = 1


class Tapi3CallPrivilege(enum.IntEnum):
    """CALL_PRIVILEGE (CP_; ITCallInfo::get_Privilege)."""

    OWNER = 0
    MONITOR = 1


class DisconnectCode(enum.IntEnum):
    """DISCONNECT_CODE (DC_; ITBasicCallControl::Disconnect)."""

    NORMAL = 0
    NOANSWER = 1
    REJECTED = 2


class FinishMode(enum.IntEnum):
    """FINISH_MODE (FM_; ITBasicCallControl::Finish)."""

    ASTRANSFER = 0
    ASCONFERENCE = 1


class CallInfoLong(enum.IntEnum):
    """CALLINFO_LONG (CIL_; ITCallInfo::get_CallInfoLong), the tapi3if.h enum in full."""

    MEDIATYPESAVAILABLE = 0
    BEARERMODE = 1
    CALLERIDADDRESSTYPE = 2
    CALLEDIDADDRESSTYPE = 3
    CONNECTEDIDADDRESSTYPE = 4
    REDIRECTIONIDADDRESSTYPE = 5
    REDIRECTINGIDADDRESSTYPE = 6
    ORIGIN = 7
    REASON = 8
    APPSPECIFIC = 9
    CALLPARAMSFLAGS = 10
    CALLTREATMENT = 11
    MINRATE = 12
    MAXRATE = 13
    COUNTRYCODE = 14
    CALLID = 15
    RELATEDCALLID = 16
    COMPLETIONID = 17
    NUMBEROFOWNERS = 18
    NUMBEROFMONITORS = 19
    TRUNK = 20
    RATE = 21
    GENERATEDIGITDURATION = 22
    MONITORDIGITMODES = 23
    MONITORMEDIAMODES = 24


class CallInfoString(enum.IntEnum):
    """CALLINFO_STRING (CIS_; ITCallInfo::get_CallInfoString), the tapi3if.h enum in full."""

    CALLERIDNAME = 0
    CALLERIDNUMBER = 1
    CALLEDIDNAME = 2
    CALLEDIDNUMBER = 3
    CONNECTEDIDNAME = 4
    CONNECTEDIDNUMBER = 5
    REDIRECTIONIDNAME = 6
    REDIRECTIONIDNUMBER = 7
    REDIRECTINGIDNAME = 8
    REDIRECTINGIDNUMBER = 9
    CALLEDPARTYFRIENDLYNAME = 10
    COMMENT = 11
    DISPLAYABLEADDRESS = 12
    CALLINGPARTYID = 13


class CallInfoBuffer(enum.IntEnum):
    """CALLINFO_BUFFER (CIB_; ITCallInfo::get_CallInfoBuffer), the tapi3if.h enum in full."""

    USERUSERINFO = 0
    DEVSPECIFICBUFFER = 1
    CALLDATABUFFER = 2
    CHARGINGINFOBUFFER = 3
    HIGHLEVELCOMPATIBILITYBUFFER = 4
    LOWLEVELCOMPATIBILITYBUFFER = 5


class AddressEvent(enum.IntEnum):
    """ADDRESS_EVENT (AE_ of tapi3if.h; not :class:`AgentEvent`, which reuses the prefix)."""

    STATE = 0
    CAPSCHANGE = 1
    RINGING = 2
    CONFIGCHANGE = 3
    FORWARD = 4
    NEWTERMINAL = 5
    REMOVETERMINAL = 6
    MSGWAITON = 7
    MSGWAITOFF = 8


class AgentEvent(enum.IntEnum):
    """AGENT_EVENT (AE_ of tapi3cc.h; ITAgentEvent::get_Event): the same numbers as AGENT_STATE."""

    NOT_READY = 0
    READY = 1
    BUSY_ACD = 2
    BUSY_INCOMING = 3
    BUSY_OUTGOING = 4
    UNKNOWN = 5


class AcdGroupEvent(enum.IntEnum):
    """ACDGROUP_EVENT (ACDGE_; ITACDGroupEvent::get_Event)."""

    NEW_GROUP = 0
    GROUP_REMOVED = 1


class AcdQueueEvent(enum.IntEnum):
    """ACDQUEUE_EVENT (ACDQE_; ITQueueEvent::get_Event)."""

    NEW_QUEUE = 0
    QUEUE_REMOVED = 1


class AgentHandlerEvent(enum.IntEnum):
    """AGENTHANDLER_EVENT (AHE_; ITAgentHandlerEvent::get_Event)."""

    NEW_AGENTHANDLER = 0
    AGENTHANDLER_REMOVED = 1


#: What ``from protocol.call_constants import *`` (and so :mod:`protocol.constants`) exports: every set above.
__all__ = sorted(name for name, value in list(globals().items()) if isinstance(value, enum.EnumMeta))
