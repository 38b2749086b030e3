"""Calls on the agent's line through the protocol handler (tsp.switch.SwitchService), no trio, no bytes:
wire-protocol §9.1 (hCalls per connection, LINE_APPNEWCALL + LINE_CALLSTATE), §9.2 (each function, each
LINEERR), §9.3 (answer modes) and the fault rules on a call function."""

from __future__ import annotations

import datetime as dt
import struct
import uuid
from typing import Any

import pytest

from protocol import messages as m
from protocol.call_events import AppNewCallEvent, CallStateEvent, MakeCallReply, typed_call_record
from protocol.call_messages import (
    Answer, BlindTransfer, DeallocateCall, Drop, GetAddressCaps, GetAddressStatus, GetCallInfo, GetCallStatus,
    GetDevCaps, GetLineDevStatus, Hold, MakeCall, Redirect, UnHold,
)
from protocol.call_structs import AddressCaps, AddressStatus, CallInfo, CallStatus, DevCaps, LineDevStatus
from protocol.constants import AgentSessionState, ApiVersion, CallFeature, DisconnectMode, LineCallState, LineErr
from test_switch import Harness
from tsp.clock import ManualClock
from tsp.faults import FaultInjector
from tsp.model import Switch
from tsp.scenario import parse_scenario
from tsp.switch import SwitchService

SALES = uuid.UUID("5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b")
SUPPORT = uuid.UUID("8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
S = LineCallState

SCENARIO = f"""
[switch]
name = "calls"
lines = 3
start = "2026-11-26T09:00:00Z"
seed = 3
outbound_answer = 4

[[groups]]
id = "{SALES}"
name = "Sales"
queue = 1
extension = "200"

[[groups]]
id = "{SUPPORT}"
name = "Support"
queue = 2
extension = "300"

[[agents]]
id = "anna"
answer = "app"
wrapup = 10

[[agents]]
id = "ben"
answer_delay = 2
wrapup = 5

[[calls]]
at = 1
group = "Sales"
talk = 60
ani = "+15551234"
dnis = "8005550100"
uui = "order 42"
"""


class CallHarness(Harness):
    def __init__(self, faults: list[dict] | None = None) -> None:
        self.clock = ManualClock()
        self.model = Switch(parse_scenario(SCENARIO))
        self.svc = SwitchService(self.model, self.clock, control=True, faults=FaultInjector(faults or [], seed=3))
        self.frames: dict[int, list[Any]] = {}
        self.seq = 0
        self.closed: set[int] = set()

    def calls(self, cid: int) -> list[Any]:
        return [typed_call_record(r) for r in self.records(cid) if typed_call_record(r) is not None]

    def states(self, cid: int) -> list[tuple[int, int]]:
        return [(int(r.state), int(r.state_mode)) for r in self.calls(cid) if isinstance(r, CallStateEvent)]

    def ready_agent(self, cid: int, hline: int, agent: str = "anna", group: uuid.UUID = SALES) -> int:
        hsession = self.session(cid, hline, self.agent(cid, hline, agent, None), group)
        self.async_ok(cid, m.SetAgentSessionState(h_line=hline, h_agent_session=hsession,
                                                  agent_session_state=AgentSessionState.READY))
        return hsession

    def sync(self, cid: int, body: Any) -> Any:
        r = self.response(cid, body)
        assert r.result == 0, hex(r.result)
        return r.body

    def status(self, cid: int, hcall: int) -> Any:
        return CallStatus.from_bytes(self.sync(cid, GetCallStatus(h_call=hcall)).call_status)

    def info(self, cid: int, hcall: int) -> Any:
        return CallInfo.from_bytes(self.sync(cid, GetCallInfo(h_call=hcall)).call_info)

    def error(self, cid: int, body: Any) -> int:
        return self.response(cid, body).result


def ringing() -> tuple[CallHarness, int, int, int, int]:
    """anna (answer = "app") READY on line 0; the scripted call rings at t = 1. (h, cid, hline, hsession, hcall)"""
    h = CallHarness()
    c = h.connect()
    hline = h.line(c)
    hsession = h.ready_agent(c, hline)
    h.advance(1)
    new = [r for r in h.calls(c) if isinstance(r, AppNewCallEvent)]
    assert len(new) == 1
    return h, c, hline, hsession, new[0].h_call


def test_an_offer_is_appnewcall_then_offering_in_one_frame_on_every_watching_connection() -> None:
    h = CallHarness()
    c, other, elsewhere = h.connect(), h.connect(), h.connect()
    hline = h.line(c, hremote=0x901)
    h.line(other, hremote=0x902)
    h.line(elsewhere, device=1)
    h.ready_agent(c, hline)
    h.advance(1)
    handles = []
    for cid, hremote in ((c, 0x901), (other, 0x902)):
        frames = [f for f in h.frames[cid] if isinstance(f, m.Events)
                  and any(typed_call_record(r) is not None for r in f.records)]
        records = [typed_call_record(r) or r for r in frames[0].records]
        i = next(i for i, r in enumerate(records) if isinstance(r, AppNewCallEvent))
        new, state = records[i], records[i + 1]  # immediately followed, same EVENTS frame
        assert isinstance(state, CallStateEvent)
        assert (new.hdevice, new.address_id, new.related_call_id) == (hremote, 0, 0)
        assert (state.h_call, state.state, state.state_mode, state.privilege, state.media_mode, state.hremote_line) == (
            new.h_call, S.OFFERING, 1, 4, 4, hremote)
        assert state.open_context == 0x77 and new.init_context == 0x51
        handles.append((new.h_call, new.call_id))
    assert handles[0][1] == handles[1][1] != 0  # one dwCallID ...
    assert handles[0][0] != handles[1][0]  # ... an hCall per connection
    assert h.calls(elsewhere) == []  # not watching line 0
    # an hCall of another connection is INVALCALLHANDLE
    assert h.error(other, GetCallStatus(h_call=handles[0][0])) == LineErr.INVALCALLHANDLE
    assert h.error(other, Answer(h_call=handles[0][0])) == LineErr.INVALCALLHANDLE


def test_answer_hold_unhold_drop_with_status_and_info_at_each_step() -> None:
    h, c, hline, hsession, hcall = ringing()
    st = h.status(c, hcall)
    assert (st.call_state, st.call_state_mode, st.call_privilege) == (S.OFFERING, 1, 4)
    assert st.call_features == CallFeature.ANSWER | CallFeature.DROP | CallFeature.REDIRECT
    assert st.state_entry_time == dt.datetime(2026, 11, 26, 9, 0, 1, tzinfo=dt.timezone.utc)
    info = h.info(c, hcall)
    assert (info.caller_id, info.called_id, info.connected_id, info.user_user_info) == (
        "+15551234", "8005550100", None, b"order 42")
    assert (info.h_line, info.line_device_id, info.address_id, info.bearer_mode, info.media_mode) == (hline, 0, 0, 1, 4)
    assert (info.origin, info.reason, info.caller_id_flags, info.connected_id_flags, info.trunk) == (
        4, 1, 8, 0x20, 0xFFFFFFFF)
    h.advance(2)
    assert h.async_ok(c, Answer(h_call=hcall)).result == 0
    assert h.states(c)[-1] == (S.CONNECTED, 1)
    st = h.status(c, hcall)
    assert st.call_features == CallFeature.DROP | CallFeature.HOLD | CallFeature.BLINDTRANSFER
    assert st.state_entry_time == dt.datetime(2026, 11, 26, 9, 0, 3, tzinfo=dt.timezone.utc)
    assert h.info(c, hcall).connected_id == "anna"
    assert h.model.session_info(hsession, h.clock.now()).state == AgentSessionState.BUSYONCALL
    assert h.async_ok(c, Hold(h_call=hcall)).result == 0
    assert h.states(c)[-1] == (S.ONHOLD, 0)
    assert h.status(c, hcall).call_features == CallFeature.DROP | CallFeature.UNHOLD
    assert h.async_ok(c, UnHold(h_call=hcall)).result == 0
    assert h.states(c)[-1] == (S.CONNECTED, 1)
    h.advance(5)
    assert h.async_ok(c, Drop(h_call=hcall)).result == 0
    assert h.states(c)[-2:] == [(S.DISCONNECTED, DisconnectMode.NORMAL), (S.IDLE, 0)]
    st = h.status(c, hcall)  # the hCall is still valid: IDLE, no features
    assert (st.call_state, st.call_features) == (S.IDLE, 0)
    assert h.info(c, hcall).call_id == h.calls(c)[0].call_id  # what the handle last knew
    stats = h.model.session_info(hsession, h.clock.now())
    assert (stats.state, stats.number_of_calls, stats.total_talk_time, stats.longest_time_to_answer) == (
        AgentSessionState.BUSYWRAPUP, 1, 5, 2)
    assert h.sync(c, DeallocateCall(h_call=hcall)) == DeallocateCall(h_call=hcall)
    assert h.error(c, GetCallStatus(h_call=hcall)) == LineErr.INVALCALLHANDLE


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (lambda hc: Hold(h_call=hc), LineErr.INVALCALLSTATE),  # OFFERING
        (lambda hc: UnHold(h_call=hc), LineErr.INVALCALLSTATE),
        (lambda hc: BlindTransfer(h_call=hc, dest_address="300"), LineErr.INVALCALLSTATE),  # not CONNECTED
        (lambda hc: Redirect(h_call=hc, dest_address="999"), LineErr.INVALADDRESS),
        (lambda hc: Answer(h_call=hc, user_user_info_offset=0, user_user_info_size=4), LineErr.USERUSERINFOTOOBIG),
        (lambda hc: DeallocateCall(h_call=hc), LineErr.INVALCALLSTATE),  # sole owner, not IDLE
        (lambda hc: GetCallInfo(h_call=hc, call_info_size=100), LineErr.STRUCTURETOOSMALL),
        (lambda hc: GetCallStatus(h_call=hc, call_status_size=0x40001), LineErr.INVALPARAM),
        (lambda hc: Answer(h_call=hc + 1000), LineErr.INVALCALLHANDLE),
        (lambda hc: Drop(h_call=0), LineErr.INVALCALLHANDLE),
    ],
    ids=["hold-offering", "unhold-offering", "transfer-offering", "redirect-unknown", "answer-uui",
         "dealloc-owner", "info-small", "status-big", "answer-unknown", "drop-zero"],
)
def test_each_lineerr_is_in_the_response_and_nothing_changes(body: Any, expected: LineErr) -> None:
    h, c, _, _, hcall = ringing()
    before = h.states(c)
    assert h.error(c, body(hcall)) == expected
    assert h.states(c) == before and h.status(c, hcall).call_state == S.OFFERING


def test_connected_refusals() -> None:
    h, c, _, _, hcall = ringing()
    h.async_ok(c, Answer(h_call=hcall))
    assert h.error(c, Answer(h_call=hcall)) == LineErr.INVALCALLSTATE
    assert h.error(c, UnHold(h_call=hcall)) == LineErr.INVALCALLSTATE
    assert h.error(c, Redirect(h_call=hcall, dest_address="300")) == LineErr.INVALCALLSTATE
    assert h.error(c, BlindTransfer(h_call=hcall, dest_address="12345")) == LineErr.INVALADDRESS
    h.async_ok(c, Drop(h_call=hcall))
    assert h.error(c, Drop(h_call=hcall)) == LineErr.INVALCALLSTATE  # IDLE on this line


def test_drop_while_offering_rejects_the_call() -> None:
    h, c, hline, hsession, hcall = ringing()
    h.async_ok(c, Drop(h_call=hcall))
    assert h.states(c)[-2:] == [(S.DISCONNECTED, DisconnectMode.NOANSWER), (S.IDLE, 0)]
    assert h.model.session_info(hsession, h.clock.now()).state == AgentSessionState.NOTREADY


def test_redirect_and_blind_transfer_forward_the_call_keeping_its_id() -> None:
    h, c, hline, _, hcall = ringing()
    call_id = h.calls(c)[0].call_id
    h.async_ok(c, Redirect(h_call=hcall, dest_address="300"))
    assert h.states(c)[-2:] == [(S.DISCONNECTED, DisconnectMode.FORWARDED), (S.IDLE, 0)]
    # ben READY in Support on line 1 gets it, same dwCallID, reason REDIRECT
    c2 = h.connect()
    hline2 = h.line(c2, device=1)
    h.ready_agent(c2, hline2, "ben", SUPPORT)
    (new,) = [r for r in h.calls(c2) if isinstance(r, AppNewCallEvent)]
    assert new.call_id == call_id
    info = h.info(c2, new.h_call)
    assert (info.reason, info.called_id) == (0x40, "8005550100")
    h.advance(2)  # ben answers by himself after answer_delay 2
    assert h.states(c2)[-1] == (S.CONNECTED, 1)
    h.async_ok(c2, BlindTransfer(h_call=new.h_call, dest_address="200"))
    assert h.states(c2)[-2:] == [(S.DISCONNECTED, DisconnectMode.FORWARDED), (S.IDLE, 0)]


def test_make_call_completion_and_outbound_states() -> None:
    h = CallHarness()
    c, other = h.connect(), h.connect()
    hline = h.line(c)
    h.line(other)
    h.session(c, hline, h.agent(c, hline, "anna", None))  # the address's agent (NOTREADY: no ACD call)
    r = h.response(c, MakeCall(h_line=hline, context=0x11, h_call_context=0x22, dest_address="5550000"))
    assert 1 <= r.result <= 0x7FFFFFFF
    (done,) = [x for x in h.records(c) if isinstance(x, MakeCallReply)]
    assert (done.request_id, done.result, done.context, done.call_context, done.address_id) == (r.result, 0, 0x11, 0x22, 0)
    assert done.h_call and done.call_id
    assert not [x for x in h.calls(c) if isinstance(x, AppNewCallEvent)]  # the completion carried the hCall
    assert h.states(c) == [(S.RINGBACK, 0)]
    (new,) = [x for x in h.calls(other) if isinstance(x, AppNewCallEvent)]
    assert new.call_id == done.call_id
    info = h.info(c, done.h_call)
    assert (info.origin, info.called_id) == (1, "5550000")
    h.advance(4)
    assert h.states(c)[-1] == (S.CONNECTED, 1)
    h.async_ok(c, Drop(h_call=done.h_call))
    assert h.states(c)[-2:] == [(S.DISCONNECTED, DisconnectMode.NORMAL), (S.IDLE, 0)]
    assert h.model.agent_info(h.model.agent_handle("anna"), h.clock.now()).number_of_outgoing_calls == 1
    assert h.error(c, MakeCall(h_line=hline, dest_address=" ")) == LineErr.INVALADDRESS


def test_a_dropped_answer_reply_still_answers_the_call() -> None:
    """Fault rules reach call functions: `drop` on Answer (7) - the RESPONSE announces the request ID, the
    LINE_REPLY never comes, the call is CONNECTED (what a desktop's lost-reply handling must cope with)."""
    h = CallHarness(faults=[{"function": 7, "mode": "drop"}])
    c = h.connect()
    hline = h.line(c)
    h.ready_agent(c, hline)
    h.advance(1)
    (new,) = [r for r in h.calls(c) if isinstance(r, AppNewCallEvent)]
    r = h.response(c, Answer(h_call=new.h_call))
    assert 1 <= r.result <= 0x7FFFFFFF
    assert h.replies(c, r.result) == []
    assert h.states(c)[-1] == (S.CONNECTED, 1)


def test_error_fault_on_make_call_completes_with_the_lineerr() -> None:
    h = CallHarness(faults=[{"function": 48, "mode": "error", "error": "RESOURCEUNAVAIL"}])
    c = h.connect()
    hline = h.line(c)
    r = h.response(c, MakeCall(h_line=hline, dest_address="5550000"))
    (done,) = [x for x in h.records(c) if isinstance(x, MakeCallReply)]
    assert (done.request_id, done.result, done.h_call) == (r.result, LineErr.RESOURCEUNAVAIL, 0)


def test_close_and_connection_end_free_the_hcalls() -> None:
    h, c, hline, _, hcall = ringing()
    assert h.svc.table_sizes()["calls"] == 1
    h.sync(c, m.Close(h_line=hline))
    assert h.svc.table_sizes()["calls"] == 0
    assert h.error(c, GetCallStatus(h_call=hcall)) == LineErr.INVALCALLHANDLE
    h2, c2, _, _, _ = ringing()
    h2.svc.close_connection(c2)
    assert h2.svc.table_sizes()["calls"] == 0


def test_a_reopened_line_gets_a_new_hcall_for_a_call_in_progress() -> None:
    h, c, hline, _, hcall = ringing()
    h.async_ok(c, Answer(h_call=hcall))
    happ = h.init(c)
    hline2 = h.open(c, happ, 0, hremote=0x905)
    h.async_ok(c, Hold(h_call=hcall))
    news = [r for r in h.calls(c) if isinstance(r, AppNewCallEvent)]
    assert len(news) == 2 and news[1].h_call not in (hcall, 0) and news[1].hdevice == 0x905
    assert h.states(c)[-2:] == [(S.ONHOLD, 0), (S.ONHOLD, 0)]
    assert hline2


def test_line_and_address_structures_are_truthful() -> None:
    h, c, hline, _, hcall = ringing()
    happ = h.init(c)
    caps = DevCaps.from_bytes(h.sync(c, GetDevCaps(h_line_app=happ, device_id=0, api_version=ApiVersion.V2_2)).dev_caps)
    assert caps.total_size == 1024 and 268 < caps.used_size == caps.needed_size  # 2.2 fixed part + names
    assert struct.unpack_from("<I", h.sync(c, GetDevCaps(h_line_app=happ, device_id=0)).dev_caps, 16)[0] == 292
    assert (caps.num_addresses, caps.max_num_active_calls, caps.media_modes, caps.line_features) == (1, 1, 4, 8)
    assert caps.line_name == "Agent line 0" and caps.switch_info == "calls" and caps.string_format == 3
    acaps = AddressCaps.from_bytes(h.sync(c, GetAddressCaps(h_line_app=happ, device_id=0)).address_caps)
    assert acaps.call_features == int(CallFeature.ANSWER | CallFeature.DROP | CallFeature.REDIRECT | CallFeature.HOLD
                                      | CallFeature.BLINDTRANSFER | CallFeature.UNHOLD)
    assert acaps.disconnect_modes == 0x51 and acaps.address == "0"
    assert h.error(c, GetAddressCaps(h_line_app=happ, device_id=0, address_id=1)) == LineErr.INVALADDRESSID
    assert h.error(c, GetDevCaps(h_line_app=happ, device_id=9)) == LineErr.BADDEVICEID
    status = AddressStatus.from_bytes(h.sync(c, GetAddressStatus(h_line=hline)).address_status)
    assert (status.num_in_use, status.num_active_calls, status.num_on_hold_calls, status.address_features) == (1, 1, 0, 0)
    dev = LineDevStatus.from_bytes(h.sync(c, GetLineDevStatus(h_line=hline)).line_dev_status)
    assert (dev.num_opens, dev.num_active_calls, dev.dev_status_flags, dev.line_features) == (1, 1, 5, 0)
    h.async_ok(c, Answer(h_call=hcall))
    h.async_ok(c, Hold(h_call=hcall))
    status = AddressStatus.from_bytes(h.sync(c, GetAddressStatus(h_line=hline)).address_status)
    assert (status.num_active_calls, status.num_on_hold_calls) == (0, 1)
    h.async_ok(c, Drop(h_call=hcall))
    status = AddressStatus.from_bytes(h.sync(c, GetAddressStatus(h_line=hline)).address_status)
    assert (status.num_in_use, status.address_features) == (0, 2)


def test_call_info_follows_the_negotiated_version() -> None:
    h = CallHarness()
    c = h.connect()
    hline = h.line(c, version=ApiVersion.V2_2)
    h.ready_agent(c, hline)
    h.advance(1)
    (new,) = [r for r in h.calls(c) if isinstance(r, AppNewCallEvent)]
    data = h.sync(c, GetCallInfo(h_call=new.h_call)).call_info
    assert struct.unpack_from("<I", data, 116)[0] == 324  # CallerID right after the 2.x fixed part
    assert h.error(c, GetCallInfo(h_call=new.h_call, call_info_size=323)) == LineErr.STRUCTURETOOSMALL
    assert h.sync(c, GetCallInfo(h_call=new.h_call, call_info_size=324)).call_info[4:12] == struct.pack(
        "<2I", 324 + 20 + 24 + 8, 324)  # needed: + caller, called and UUI; used: the fixed part
