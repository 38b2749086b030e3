"""Every REQUEST gets exactly one RESPONSE, also at the frame limit (contract §10, issue 12 Must 2).

A RESPONSE carries the fixed part and only the VarData of out-parameters, so it is never larger than
its REQUEST: a REQUEST of exactly 0x50000 bytes, or one whose string offsets alias each other, still
gets its RESPONSE, and a LINE_REPLY never comes without its RESPONSE before it. The table sends every
function the server serves (control extension on) built by hand: at the limit with VarData filled by its
strings, and with every VarData offset at 0 (one long string read as all of them).
"""

from __future__ import annotations

import struct
from typing import Any

import pytest
import trio

from protocol import codec
from protocol import agent_messages as am
from protocol import call_messages as cm
from protocol import messages as m
from protocol.constants import MAX_FRAME_LENGTH, TAPI32_MSG_FIXED_SIZE, ApiVersion, FrameKind, LineErr
from protocol.schemas import VarKind
from scenarios import SALES, one_agent
from tsp.scenario import parse_scenario
from tsp.server import ServerConfig
from tsp.testing import open_emulator

SCENARIO = parse_scenario(one_agent(lines=2, seed=1))
#: VarData bytes of a REQUEST frame whose length field is exactly the limit.
VAR_AT_LIMIT = MAX_FRAME_LENGTH - 8 - TAPI32_MSG_FIXED_SIZE
_HEADER = struct.Struct("<IHHI")
_VAR_KINDS = (VarKind.STR, VarKind.OPTSTR, VarKind.GUID, VarKind.OUTBUF)


def _long_string(nbytes: int) -> bytes:
    """A UTF-16LE NUL-terminated string of exactly ``nbytes`` bytes (even)."""
    assert nbytes % 2 == 0 and nbytes >= 2
    return "x".encode("utf-16-le") * (nbytes // 2 - 1) + b"\0\0"


def request_frame(sequence: int, body: Any, *, aliased: bool) -> bytes:
    """``body`` as a REQUEST frame of exactly ``MAX_FRAME_LENGTH`` bytes, built by hand.

    Not aliased: GUIDs first, then the strings, each at its own offset; the last string fills the
    VarData (an OUTBUF fills it when there is no string; zero filler when nothing lives in VarData).
    Aliased: every VarData offset is 0, one long string fills the VarData (a GUID reads its first 16
    bytes, an OUTBUF spans all of it)."""
    cls = type(body)
    slots = {off: 0 for off in range(8, TAPI32_MSG_FIXED_SIZE, 4)}
    var = bytearray()
    var_params = [p for p in cls.PARAMS if p.kind in _VAR_KINDS]
    for p in cls.PARAMS:
        if p.kind is VarKind.U32:
            slots[p.offset] = getattr(body, p.name)
        elif p.kind is VarKind.INSTRUCT:  # SetAgentGroup's list: at VarData 0, zero filler after it
            slots[p.offset] = len(var)
            var += getattr(body, p.name)
    if not var_params:
        var += bytes(VAR_AT_LIMIT - len(var))
    elif aliased:
        var = bytearray(_long_string(VAR_AT_LIMIT))
        for p in var_params:
            slots[p.offset] = 0
            if p.size_offset is not None:
                slots[p.size_offset] = VAR_AT_LIMIT if p.kind is VarKind.OUTBUF else 16
    else:
        strings = [p for p in var_params if p.kind in (VarKind.STR, VarKind.OPTSTR)]
        for p in var_params:
            if p.kind is VarKind.GUID:
                slots[p.offset] = len(var)
                var += getattr(body, p.name).bytes_le
                if p.size_offset is not None:
                    slots[p.size_offset] = 16
        for p in strings[:-1]:
            slots[p.offset] = len(var)
            var += ((getattr(body, p.name) or "") + "\0").encode("utf-16-le")
            var += bytes(-len(var) % 4)
        if strings:
            slots[strings[-1].offset] = len(var)
            var += _long_string(VAR_AT_LIMIT - len(var))
        for p in var_params:
            if p.kind is VarKind.OUTBUF:
                slots[p.offset] = len(var)
                slots[p.size_offset] = VAR_AT_LIMIT - len(var)
                var += bytes(VAR_AT_LIMIT - len(var))
    if len(var) < VAR_AT_LIMIT:
        var += bytes(VAR_AT_LIMIT - len(var))
    fixed = struct.pack("<15I", int(cls.REQ_FUNC), 0, *(slots[off] for off in sorted(slots)))
    frame = _HEADER.pack(8 + len(fixed) + len(var), FrameKind.REQUEST, 0, sequence) + fixed + bytes(var)
    assert len(frame) - 4 == MAX_FRAME_LENGTH
    return frame


class RawPeer:
    """Sends hand-built frames and logs whatever the server sends, in order: ("response", sequence,
    result, length, TAPI32_MSG) and ("reply", request_id, result) entries."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self.log: list[tuple[Any, ...]] = []
        self.sent: list[int] = []
        self._buf = b""
        self._seq = 0

    async def send(self, frame: bytes) -> int:
        """Send a REQUEST frame (its sequence is replaced by the next one); returns the sequence."""
        self._seq += 1
        self.sent.append(self._seq)
        await self.stream.send_all(frame[:8] + struct.pack("<I", self._seq) + frame[12:])
        return self._seq

    async def frame(self) -> tuple[int, int, bytes]:
        while True:
            if len(self._buf) >= 4:
                length = struct.unpack_from("<I", self._buf)[0]
                if len(self._buf) >= 4 + length:
                    data, self._buf = self._buf[: 4 + length], self._buf[4 + length :]
                    _, kind, _, sequence = _HEADER.unpack_from(data)
                    return kind, sequence, data
            chunk = await self.stream.receive_some(1 << 20)
            assert chunk, "the server closed the connection"
            self._buf += chunk

    async def until_response(self, sequence: int) -> tuple[Any, ...]:
        """Read (and log) frames until the RESPONSE with ``sequence``; returns its entry."""
        with trio.fail_after(20):
            while True:
                kind, seq, data = await self.frame()
                assert kind in (FrameKind.RESPONSE, FrameKind.EVENTS, FrameKind.HELLO), (kind, data[:64])
                if kind == FrameKind.RESPONSE:
                    assert len(data) - 4 <= MAX_FRAME_LENGTH
                    entry = ("response", seq, struct.unpack_from("<I", data, 12)[0], len(data) - 4, data[12:])
                    self.log.append(entry)
                    if seq == sequence:
                        return entry
                elif kind == FrameKind.EVENTS:
                    for rec in codec.decode_event_records(data[12:]):
                        if isinstance(rec, m.LineReply):
                            self.log.append(("reply", rec.request_id, rec.result))
                        elif getattr(rec, "msg", None) == 12:  # the MakeCall completion (call-facts §1.2)
                            self.log.append(("reply", rec.param1, rec.param2))

    async def answer_to(self, frame: bytes) -> tuple[Any, ...]:
        """Send ``frame`` and then a small Initialize; once that one's RESPONSE is here (the server answers
        one connection's requests in order), the RESPONSE of ``frame`` must be here too: its entry."""
        sequence = await self.send(frame)
        await self.request(m.Initialize(friendly_name="after"))
        found = [e for e in self.log if e[0] == "response" and e[1] == sequence]
        assert len(found) == 1, f"{len(found)} RESPONSEs to sequence {sequence}: {self.log}"
        return found[0]

    async def request(self, body: Any) -> tuple[Any, ...]:
        return await self.until_response(await self.send(codec.encode(m.Request(0, body))))

    async def until_reply(self, request_id: int) -> None:
        """Send small requests until the LINE_REPLY of ``request_id`` has come (fails after 5 s)."""
        with trio.fail_after(5):
            while not any(e[0] == "reply" and e[1] == request_id for e in self.log):
                await self.request(m.Initialize())

    def check(self) -> None:
        """Exactly one RESPONSE per sent REQUEST; every LINE_REPLY after the RESPONSE announcing it."""
        responses = [e[1] for e in self.log if e[0] == "response"]
        assert sorted(responses) == self.sent, (responses, self.sent)
        announced: set[int] = set()
        for entry in self.log:
            if entry[0] == "response":
                announced.add(entry[2])
            else:
                assert entry[1] in announced, f"LINE_REPLY {entry[1]} without its RESPONSE before it: {self.log}"


async def _open(emu: Any) -> tuple[RawPeer, dict[str, int]]:
    """A HELLO'd raw connection with an hLineApp, a line on device 0, anna's hAgent and a session."""
    stream = await emu.connect_memory()
    peer = RawPeer(stream)
    await stream.send_all(codec.encode(m.Hello()))
    kind, _, _ = await peer.frame()
    assert kind == FrameKind.HELLO
    initialized = await peer.request(m.Initialize(friendly_name="t"))
    assert initialized[2] == 0
    happ = struct.unpack_from("<I", initialized[4], 8)[0]
    opened = await peer.request(m.Open(h_line_app=happ, device_id=0, api_version=ApiVersion.V3_0))
    assert opened[2] == 0
    hline = struct.unpack_from("<I", opened[4], 16)[0]
    return peer, {"happ": happ, "hline": hline, "hagent": emu.switch.agent_handle("anna")}


def _bodies(h: dict[str, int]) -> dict[type, Any]:
    """One body per served function, on the handles of :func:`_open`."""
    hline = h["hline"]
    return {
        m.Initialize: m.Initialize(friendly_name="app", module_name="mod"),
        m.NegotiateAPIVersion: m.NegotiateAPIVersion(h_line_app=h["happ"], device_id=0),
        m.Open: m.Open(h_line_app=h["happ"], device_id=1),
        m.Close: m.Close(h_line=hline),
        m.ShutDown: m.ShutDown(h_line_app=h["happ"]),
        m.CreateAgent: m.CreateAgent(h_line=hline, agent_id="anna", pin="1234"),
        m.CreateAgentSession: m.CreateAgentSession(h_line=hline, h_agent=h["hagent"], group_id=SALES),
        m.GetAgentInfo: m.GetAgentInfo(h_line=hline, h_agent=h["hagent"]),
        m.GetAgentSessionInfo: m.GetAgentSessionInfo(h_line=hline, h_agent_session=1),
        m.GetAgentSessionList: m.GetAgentSessionList(h_line=hline, h_agent=h["hagent"]),
        m.GetQueueInfo: m.GetQueueInfo(h_line=hline, queue_id=1),
        m.GetGroupList: m.GetGroupList(h_line=hline),
        m.GetQueueList: m.GetQueueList(h_line=hline, group_id=SALES),
        m.SetAgentSessionState: m.SetAgentSessionState(h_line=hline, h_agent_session=1, agent_session_state=2),
        m.EmuAdvanceClock: m.EmuAdvanceClock(seconds=5),
        m.EmuOfferCall: m.EmuOfferCall(group_id=SALES, talk_seconds=10),
        # wire-protocol §9.2 (no call exists: the call functions are refused with INVALCALLHANDLE)
        cm.Answer: cm.Answer(h_call=1), cm.BlindTransfer: cm.BlindTransfer(h_call=1, dest_address="200"),
        cm.DeallocateCall: cm.DeallocateCall(h_call=1), cm.Drop: cm.Drop(h_call=1),
        cm.GetAddressCaps: cm.GetAddressCaps(h_line_app=h["happ"], device_id=0),
        cm.GetAddressStatus: cm.GetAddressStatus(h_line=hline), cm.GetCallInfo: cm.GetCallInfo(h_call=1),
        cm.GetCallStatus: cm.GetCallStatus(h_call=1), cm.GetDevCaps: cm.GetDevCaps(h_line_app=h["happ"], device_id=0),
        cm.GetLineDevStatus: cm.GetLineDevStatus(h_line=hline), cm.Hold: cm.Hold(h_call=1),
        cm.MakeCall: cm.MakeCall(h_line=hline, dest_address="5550000"),
        cm.Redirect: cm.Redirect(h_call=1, dest_address="200"), cm.UnHold: cm.UnHold(h_call=1),
        **_agent_bodies(h),
    }


def _agent_bodies(h: dict[str, int]) -> dict[type, Any]:
    """wire-protocol §8 (protocol/agent_messages.py)."""
    hline = h["hline"]
    return {
        am.GetAgentActivityList: am.GetAgentActivityList(h_line=hline),
        am.GetAgentCaps: am.GetAgentCaps(h_line_app=h["happ"], device_id=0),
        am.GetAgentGroupList: am.GetAgentGroupList(h_line=hline),
        am.GetAgentStatus: am.GetAgentStatus(h_line=hline),
        am.SetAgentActivity: am.SetAgentActivity(h_line=hline, activity_id=1),
        am.SetAgentGroup: am.SetAgentGroup(h_line=hline, agent_group_list=bytes([24] + [0] * 23)),
        am.SetAgentState: am.SetAgentState(h_line=hline, agent_state=4),
        am.SetAgentMeasurementPeriod: am.SetAgentMeasurementPeriod(h_line=hline, h_agent=h["hagent"], measurement_period=60),
        am.SetQueueMeasurementPeriod: am.SetQueueMeasurementPeriod(h_line=hline, queue_id=1, measurement_period=60),
        am.SetAgentStateEx: am.SetAgentStateEx(h_line=hline, h_agent=h["hagent"], agent_state=2),
    }


CASES = [(cls, False) for cls in m.REQUEST_CLASSES] + [
    (cls, True) for cls in m.REQUEST_CLASSES if any(p.kind in _VAR_KINDS for p in cls.PARAMS)
]


def test_the_table_covers_every_served_function() -> None:
    assert {cls for cls, _ in CASES} == set(m.REQUEST_CLASSES)
    assert {cls for cls, aliased in CASES if aliased} >= {m.Initialize, m.CreateAgent, m.CreateAgentSession}


IDS = [f"{cls.__name__}-{'aliased' if aliased else 'filled'}" for cls, aliased in CASES]


@pytest.mark.parametrize(("cls", "aliased"), CASES, ids=IDS)
async def test_a_request_at_the_frame_limit_gets_exactly_one_response(cls: type, aliased: bool) -> None:
    async with open_emulator(SCENARIO, clock="manual", listen=False, config=ServerConfig(control=True)) as emu:
        peer, handles = await _open(emu)
        body = _bodies(handles)[cls]
        _, _, result, length, _ = await peer.answer_to(request_frame(0, body, aliased=aliased))
        # Fixed part + out-parameters only (NegotiateAPIVersion's ExtensionID buffer is one), so never
        # larger than the REQUEST, which was at the limit.
        assert length <= MAX_FRAME_LENGTH
        if getattr(cls, "REPLY_FIELD", None) is not None:  # a sync Get* of §9.2: its structure in VarData
            assert length <= 8 + TAPI32_MSG_FIXED_SIZE + getattr(body, cls.SIZE_FIELD)
        elif cls is not m.NegotiateAPIVersion:
            assert length == 8 + TAPI32_MSG_FIXED_SIZE
        # What the request set off came after its RESPONSE.
        if cls.ASYNC and 1 <= result <= 0x7FFFFFFF:
            await peer.until_reply(result)
        peer.check()


async def test_initialize_of_exactly_the_limit_whose_module_name_fills_vardata() -> None:
    """Was: the RESPONSE re-encoded both names, padded: 4 bytes over the limit, so none was sent."""
    async with open_emulator(SCENARIO, clock="manual", listen=False) as emu:
        peer, _ = await _open(emu)
        frame = request_frame(0, m.Initialize(friendly_name="", module_name="m"), aliased=False)
        _, _, result, length, _ = await peer.answer_to(frame)
        assert result == 0 and length == 8 + TAPI32_MSG_FIXED_SIZE
        peer.check()


async def test_create_agent_with_both_offsets_at_0_and_a_192_kib_string() -> None:
    """Was: the RESPONSE echoed the string twice (384 KiB) and could not be sent while the agent was
    created and its LINE_REPLY went out alone. Now: one RESPONSE first; the ID is refused (> 255)."""
    async with open_emulator(SCENARIO, clock="manual", listen=False) as emu:
        peer, h = await _open(emu)
        var = _long_string(192 * 1024)
        fixed = struct.pack("<15I", int(m.CreateAgent.REQ_FUNC), 0, 0, 0, h["hline"], 0, 0, *[0] * 8)
        frame = _HEADER.pack(8 + len(fixed) + len(var), FrameKind.REQUEST, 0, 0) + fixed + var
        agents_before = len(emu.switch.agent_handles())
        _, _, request_id, length, _ = await peer.answer_to(frame)
        assert 1 <= request_id <= 0x7FFFFFFF and length == 8 + TAPI32_MSG_FIXED_SIZE
        await peer.until_reply(request_id)
        peer.check()
        assert next(e[2] for e in peer.log if e[0] == "reply") == LineErr.INVALAGENTID
        assert len(emu.switch.agent_handles()) == agents_before
