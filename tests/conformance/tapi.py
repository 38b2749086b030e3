"""TAPI-level helpers on top of :mod:`rawclient`: the functions of wire-protocol §2/§3 as raw requests.

Every helper builds the TAPI32_MSG with the offsets of the §2 table, sends it, and returns what came
back without judging it; the cases do the judging. Structure parsers unpack the layouts of tapi-facts
§2 with ``struct``.
"""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass, field

from . import spec
from .rawclient import ConformanceFailure, RawConnection, Record, Response, VarData

_counter = itertools.count(1)


def fresh_u32(tag: int = 0xA) -> int:
    """A distinctive nonzero u32 with the high bit set (catches servers that treat contexts as signed)."""
    return ((0x8 | tag) << 28) | (next(_counter) * 0x10101) & 0x0FFFFFFF


@dataclass
class AsyncResult:
    """An asynchronous request: its RESPONSE and, when the RESPONSE announced a request ID, its LINE_REPLY."""

    response: Response
    reply: Record | None

    @property
    def sync_error(self) -> int | None:
        return self.response.ack if spec.is_lineerr(self.response.ack) else None

    @property
    def result(self) -> int:
        """The LINEERR of a synchronous failure, else the LINE_REPLY's Param2."""
        if self.reply is None:
            return self.response.ack
        return self.reply.param2

    @property
    def data(self) -> bytes:
        """The structure in the LINE_REPLY (Param4 bytes at offset 40)."""
        assert self.reply is not None
        return self.reply.data[: self.reply.param4]

    def expect_ok(self, what: str) -> "AsyncResult":
        if self.reply is None:
            raise ConformanceFailure(f"{what}: synchronous failure {spec.describe(self.response.ack)}")
        if self.reply.param2 != 0:
            raise ConformanceFailure(f"{what}: LINE_REPLY result {spec.describe(self.reply.param2)}")
        return self

    def handle(self, what: str) -> int:
        """The u32 handle at offset 40 of a CreateAgent/CreateAgentSession LINE_REPLY (wire-protocol §2)."""
        self.expect_ok(what)
        assert self.reply is not None
        if self.reply.param4 != 4 or len(self.reply.data) < 4:
            raise ConformanceFailure(f"{what}: LINE_REPLY Param4={self.reply.param4}, expected 4 (a u32 handle)")
        return struct.unpack_from("<I", self.reply.data, 0)[0]


@dataclass
class Line:
    device: int
    h_line: int
    open_context: int
    h_remote_line: int
    h_line_app: int
    init_context: int


@dataclass
class App:
    """A TAPI application on one connection: HELLO done, usually initialized, with lines open."""

    conn: RawConnection
    h_line_app: int = 0
    init_context: int = 0
    num_devs: int = 0
    lines: list[Line] = field(default_factory=list)

    @property
    def line(self) -> Line:
        if not self.lines:
            raise ConformanceFailure("this case needs an open line")
        return self.lines[0]

    # ------------------------------------------------------------------ §2 sync functions
    def initialize(self, init_context: int | None = None, friendly: str = "conformance suite",
                   module: str = "conformance.py", version: int = spec.API_MAX) -> Response:
        """Initialize (47); on success remembers hLineApp, InitContext and dwNumDevs."""
        ctx = fresh_u32(0xC) if init_context is None else init_context
        vd = VarData()
        f_off = vd.string(friendly)
        m_off = vd.string(module)
        resp = self.conn.call(spec.INITIALIZE, {12: 0, 16: ctx, 20: f_off, 28: m_off, 32: version}, bytes(vd))
        if resp.ack == 0:
            if not self.h_line_app:
                self.h_line_app, self.init_context, self.num_devs = resp.u32(8), ctx, resp.u32(24)
        return resp

    def open(self, device: int, h_line_app: int | None = None, version: int = spec.API_MAX,
             open_context: int | None = None, h_remote_line: int | None = None,
             init_context: int | None = None) -> Response:
        """Open (54); on success appends a :class:`Line`."""
        app = self.h_line_app if h_line_app is None else h_line_app
        octx = fresh_u32(0xD) if open_context is None else open_context
        remote = fresh_u32(0xE) if h_remote_line is None else h_remote_line
        resp = self.conn.call(spec.OPEN, {
            8: app, 12: device, 16: 0, 20: version, 24: 0, 28: octx, 32: 0x1, 36: 0,
            40: spec.TAPI_NO_DATA, 44: 0, 48: spec.TAPI_NO_DATA, 52: remote,
        })
        if resp.ack == 0:
            ictx = self.init_context if init_context is None else init_context
            self.lines.append(Line(device, resp.u32(16), octx, remote, app, ictx))
        return resp

    def negotiate(self, device: int, low: int, high: int, h_line_app: int | None = None) -> Response:
        app = self.h_line_app if h_line_app is None else h_line_app
        vd = VarData()
        ext_off = vd.raw(bytes(16))  # room for the LINEEXTENSIONID the server fills (out, 16 bytes)
        return self.conn.call(spec.NEGOTIATEAPIVERSION, {8: app, 12: device, 16: low, 20: high, 24: 0,
                                                         28: ext_off, 32: 16}, bytes(vd))

    def close_line(self, h_line: int) -> Response:
        return self.conn.call(spec.CLOSE, {8: h_line})

    def shutdown(self, h_line_app: int) -> Response:
        return self.conn.call(spec.SHUTDOWN, {8: h_line_app})

    # ------------------------------------------------------------------ §2 async functions
    def async_call(self, func: int, params: dict[int, int], vardata: bytes = b"") -> AsyncResult:
        resp = self.conn.call(func, params, vardata)
        if spec.is_lineerr(resp.ack):
            return AsyncResult(resp, None)
        if resp.ack == 0 or resp.ack > 0x7FFFFFFF:
            raise ConformanceFailure(
                f"RESPONSE to async Req_Func {func} carries {spec.describe(resp.ack)}: "
                "must be a positive request ID or a LINEERR (wire-protocol §1)"
            )
        return AsyncResult(resp, self.conn.wait_reply(resp.ack))

    def create_agent(self, agent_id: str, pin: str | None = None, line: Line | None = None,
                     request_id: int = 0, context: int = 0, handle_context: int = 0) -> AsyncResult:
        vd = VarData()
        id_off = vd.string(agent_id)
        pin_off = spec.TAPI_NO_DATA if pin is None else vd.string(pin)
        h_line = (line or self.line).h_line
        return self.async_call(spec.CREATEAGENT, {
            8: request_id, 12: context, 16: h_line, 20: id_off, 24: pin_off, 28: handle_context}, bytes(vd))

    def agent(self, agent_id: str, pin: str | None = None, line: Line | None = None) -> int:
        return self.create_agent(agent_id, pin, line).handle(f"CreateAgent({agent_id!r})")

    def create_session(self, h_agent: int, group: str, address: int = 0, pin: str | None = None,
                       line: Line | None = None, request_id: int = 0, context: int = 0,
                       handle_context: int = 0, guid_size: int = 16) -> AsyncResult:
        vd = VarData()
        pin_off = spec.TAPI_NO_DATA if pin is None else vd.string(pin)
        g_off = vd.guid(group)
        h_line = (line or self.line).h_line
        return self.async_call(spec.CREATEAGENTSESSION, {
            8: request_id, 12: context, 16: h_line, 20: h_agent, 24: pin_off, 28: address, 32: g_off,
            36: guid_size, 40: handle_context}, bytes(vd))

    def session(self, h_agent: int, group: str, line: Line | None = None, pin: str | None = None) -> int:
        return self.create_session(h_agent, group, line=line, pin=pin).handle("CreateAgentSession")

    def get_session_info(self, h_session: int, size: int = 76, line: Line | None = None,
                         request_id: int = 0, context: int = 0, struct_context: int = 0) -> AsyncResult:
        return self.async_call(spec.GETAGENTSESSIONINFO, {
            8: request_id, 12: context, 16: (line or self.line).h_line, 20: h_session,
            24: struct_context, 28: size})

    def session_info(self, h_session: int, line: Line | None = None) -> dict[str, float | int]:
        res = self.get_session_info(h_session, line=line).expect_ok(f"GetAgentSessionInfo({h_session})")
        return parse_session_info(res.data)

    def get_agent_info(self, h_agent: int, size: int = 56, line: Line | None = None,
                       context: int = 0, struct_context: int = 0) -> AsyncResult:
        return self.async_call(spec.GETAGENTINFO, {
            12: context, 16: (line or self.line).h_line, 20: h_agent, 24: struct_context, 28: size})

    def get_session_list(self, h_agent: int, size: int = 1024, line: Line | None = None,
                         context: int = 0, struct_context: int = 0) -> AsyncResult:
        return self.async_call(spec.GETAGENTSESSIONLIST, {
            12: context, 16: (line or self.line).h_line, 20: h_agent, 24: struct_context, 28: size})

    def get_queue_info(self, queue_id: int, size: int = 52, line: Line | None = None,
                       context: int = 0, struct_context: int = 0) -> AsyncResult:
        return self.async_call(spec.GETQUEUEINFO, {
            12: context, 16: (line or self.line).h_line, 20: queue_id, 24: struct_context, 28: size})

    def queue_info(self, queue_id: int) -> dict[str, int]:
        return parse_queue_info(self.get_queue_info(queue_id).expect_ok(f"GetQueueInfo({queue_id})").data)

    def get_group_list(self, size: int = 1024, line: Line | None = None, context: int = 0,
                       struct_context: int = 0) -> AsyncResult:
        return self.async_call(spec.GETGROUPLIST, {
            12: context, 16: (line or self.line).h_line, 20: struct_context, 24: size})

    def set_state(self, h_session: int, state: int, next_state: int = 0, line: Line | None = None,
                  request_id: int = 0) -> AsyncResult:
        return self.async_call(spec.SETAGENTSESSIONSTATE, {
            8: request_id, 12: (line or self.line).h_line, 16: h_session, 20: state, 24: next_state})

    # ------------------------------------------------------------------ §3 control extension
    def advance(self, seconds: float) -> Response:
        """EmuAdvanceClock (1000): 8 seconds, 12 milliseconds."""
        ms_total = round(seconds * 1000)
        resp = self.conn.call(spec.EMU_ADVANCECLOCK, {8: ms_total // 1000, 12: ms_total % 1000})
        if resp.ack != 0:
            raise ConformanceFailure(f"EmuAdvanceClock({seconds}) returned {spec.describe(resp.ack)}")
        return resp

    def offer_call(self, group: str, talk: int) -> int:
        """EmuOfferCall (1001): returns the call ID (out at 16)."""
        vd = VarData()
        g_off = vd.guid(group)
        resp = self.conn.call(spec.EMU_OFFERCALL, {8: g_off, 12: talk}, bytes(vd))
        if resp.ack != 0:
            raise ConformanceFailure(f"EmuOfferCall({group}, talk={talk}) returned {spec.describe(resp.ack)}")
        return resp.u32(16)


# ---------------------------------------------------------------------- structure parsers


def parse_session_info(data: bytes) -> dict[str, float | int]:
    """LINEAGENTSESSIONINFO, 76 bytes packed (tapi-facts §2.1)."""
    if len(data) < spec.AGENTSESSIONINFO.size:
        raise ConformanceFailure(f"LINEAGENTSESSIONINFO data is {len(data)} bytes, the structure is 76")
    return dict(zip(spec.AGENTSESSIONINFO_FIELDS, spec.AGENTSESSIONINFO.unpack_from(data, 0)))


def parse_agent_info(data: bytes) -> dict[str, int]:
    if len(data) < spec.AGENTINFO.size:
        raise ConformanceFailure(f"LINEAGENTINFO data is {len(data)} bytes, the structure is 56")
    return dict(zip(spec.AGENTINFO_FIELDS, spec.AGENTINFO.unpack_from(data, 0)))


def parse_queue_info(data: bytes) -> dict[str, int]:
    if len(data) < spec.QUEUEINFO.size:
        raise ConformanceFailure(f"LINEQUEUEINFO data is {len(data)} bytes, the structure is 52")
    return dict(zip(spec.QUEUEINFO_FIELDS, spec.QUEUEINFO.unpack_from(data, 0)))


@dataclass(frozen=True)
class ListHeader:
    total: int
    needed: int
    used: int
    num_entries: int
    list_size: int
    list_offset: int


def parse_list_header(data: bytes) -> ListHeader:
    if len(data) < 24:
        raise ConformanceFailure(f"list structure data is {len(data)} bytes, the fixed part is 24")
    return ListHeader(*spec.LIST_HEADER.unpack_from(data, 0))


def parse_session_list(data: bytes) -> tuple[ListHeader, list[tuple[int, int, bytes, int]]]:
    """LINEAGENTSESSIONLIST + entries (tapi-facts §2.2); entries are read from dwListOffset."""
    head = parse_list_header(data)
    entries = []
    for i in range(head.num_entries):
        off = head.list_offset + 28 * i
        if off + 28 > len(data):
            raise ConformanceFailure(f"session entry {i} at {off} lies beyond the {len(data)} data bytes")
        entries.append(spec.SESSION_ENTRY.unpack_from(data, off))
    return head, entries


def parse_group_list(data: bytes) -> tuple[ListHeader, list[tuple[bytes, str, int, int]]]:
    """LINEAGENTGROUPLIST + entries (tapi-facts §2.4): (GroupID bytes, name, dwNameSize, dwNameOffset)."""
    head = parse_list_header(data)
    entries = []
    for i in range(head.num_entries):
        off = head.list_offset + 24 * i
        if off + 24 > len(data):
            raise ConformanceFailure(f"group entry {i} at {off} lies beyond the {len(data)} data bytes")
        gid, name_size, name_off = spec.GROUP_ENTRY.unpack_from(data, off)
        if name_off + name_size > len(data):
            raise ConformanceFailure(f"group entry {i}: name at {name_off}+{name_size} beyond the data")
        raw = data[name_off : name_off + name_size]
        entries.append((gid, raw.decode("utf-16-le").rstrip("\0"), name_size, name_off))
    return head, entries
