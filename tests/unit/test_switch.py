"""The pure protocol handler (tsp.switch.SwitchService): no trio, no bytes - requests in, frames out.

Checks wire-protocol §2 (handles, ownership, request IDs, sizes, LINE_REPLY, events), §3 (control) and
the fault modes of §5 as applied at the one decision point.
"""

from __future__ import annotations

import struct
import uuid
from typing import Any

import pytest

from protocol import messages as m
from protocol.constants import (
    AgentSessionState,
    AgentSessionStatus,
    ApiVersion,
    LineErr,
    LineMsg,
)
from tsp.clock import ManualClock, RealClock
from tsp.faults import FaultInjector
from tsp.model import Switch
from tsp.scenario import parse_scenario
from tsp.switch import Outcome, SwitchService

SALES = uuid.UUID("5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b")
SUPPORT = uuid.UUID("8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")

SCENARIO = f"""
[switch]
name = "unit"
lines = 3
start = "2026-11-26T09:00:00Z"
seed = 3

[[groups]]
id = "{SALES}"
name = "Sales"
queue = 1

[[groups]]
id = "{SUPPORT}"
name = "Support"
queue = 2

[[agents]]
id = "anna"
pin = "1111"
answer_delay = 2
wrapup = 10

[[agents]]
id = "ben"
"""

NOTREADY, READY, BUSYONCALL, BUSYWRAPUP, ENDED = (
    AgentSessionState.NOTREADY,
    AgentSessionState.READY,
    AgentSessionState.BUSYONCALL,
    AgentSessionState.BUSYWRAPUP,
    AgentSessionState.ENDED,
)


class Harness:
    """Drives a SwitchService the way the server does, keeping every frame per connection."""

    def __init__(self, *, control: bool = True, manual: bool = True, faults: list[dict] | None = None) -> None:
        self.clock = ManualClock() if manual else RealClock(time_source=lambda: 0.0)
        self.model = Switch(parse_scenario(SCENARIO))
        self.svc = SwitchService(self.model, self.clock, control=control,
                                 faults=FaultInjector(faults or [], seed=3))
        self.frames: dict[int, list[Any]] = {}
        self.seq = 0
        self.closed: set[int] = set()

    def connect(self) -> int:
        cid = self.svc.open_connection("unit")
        self.frames[cid] = []
        return cid

    def deliver(self, outgoing: Any) -> None:
        for out in outgoing:
            self.frames[out.conn_id].append(out.frame)

    def send(self, cid: int, body: Any) -> Outcome:
        self.seq += 1
        outcome = self.svc.handle(cid, m.Request(self.seq, body), self.clock.now())
        self.deliver(outcome.frames)
        if outcome.close:
            self.closed.add(cid)
        return outcome

    def response(self, cid: int, body: Any) -> m.Response:
        before = len(self.frames[cid])
        self.send(cid, body)
        responses = [f for f in self.frames[cid][before:] if isinstance(f, m.Response) and f.sequence == self.seq]
        assert len(responses) == 1, self.frames[cid][before:]
        return responses[0]

    def records(self, cid: int) -> list[Any]:
        return [r for f in self.frames[cid] if isinstance(f, m.Events) for r in f.records]

    def replies(self, cid: int, request_id: int | None = None) -> list[m.LineReply]:
        return [r for r in self.records(cid) if isinstance(r, m.LineReply)
                and (request_id is None or r.request_id == request_id)]

    def session_events(self, cid: int) -> list[m.AgentSessionStatusEvent]:
        return [r for r in self.records(cid) if isinstance(r, m.AgentSessionStatusEvent)]

    def advance(self, seconds: float) -> None:
        self.deliver(self.svc.advance_clock(seconds))

    # conveniences
    def init(self, cid: int, init_context: int = 0x51) -> int:
        r = self.response(cid, m.Initialize(init_context=init_context))
        assert r.result == 0
        return r.body.h_line_app

    def open(self, cid: int, happ: int, device: int = 0, *, version: int = ApiVersion.V3_0,
             open_context: int = 0x77, hremote: int = 0x900) -> int:
        r = self.response(cid, m.Open(h_line_app=happ, device_id=device, api_version=version,
                                      open_context=open_context, h_remote_line=hremote))
        assert r.result == 0, hex(r.result)
        return r.body.h_line

    def line(self, cid: int, device: int = 0, **kw: Any) -> int:
        return self.open(cid, self.init(cid), device, **kw)

    def async_ok(self, cid: int, body: Any) -> m.LineReply:
        r = self.response(cid, body)
        assert 1 <= r.result <= 0x7FFFFFFF, hex(r.result)
        (reply,) = self.replies(cid, r.result)
        return reply

    def agent(self, cid: int, hline: int, agent_id: str = "anna", pin: str | None = "1111") -> int:
        reply = self.async_ok(cid, m.CreateAgent(h_line=hline, agent_id=agent_id, pin=pin))
        assert reply.result == 0, hex(reply.result)
        return int.from_bytes(reply.data, "little")

    def session(self, cid: int, hline: int, hagent: int, group: uuid.UUID = SALES) -> int:
        reply = self.async_ok(cid, m.CreateAgentSession(h_line=hline, h_agent=hagent, group_id=group))
        assert reply.result == 0, hex(reply.result)
        return int.from_bytes(reply.data, "little")


# --- connection basics -----------------------------------------------------------------------------------


def test_initialize_returns_handle_and_device_count() -> None:
    h = Harness()
    c = h.connect()
    r = h.response(c, m.Initialize(init_context=5))
    assert r.result == 0
    assert r.body.h_line_app != 0
    assert r.body.num_devs == 3


def test_request_before_initialize_is_uninitialized() -> None:
    h = Harness()
    c = h.connect()
    for body in (m.Open(h_line_app=1, device_id=0), m.GetGroupList(h_line=1), m.Close(h_line=1)):
        assert h.response(c, body).result == LineErr.UNINITIALIZED


def test_unknown_function_is_operationunavail_and_connection_stays() -> None:
    h = Harness()
    c = h.connect()
    h.init(c)
    assert h.response(c, m.RawRequest(req_func=999)).result == LineErr.OPERATIONUNAVAIL
    assert h.response(c, m.RawRequest(req_func=24)).result == LineErr.OPERATIONUNAVAIL
    assert h.line(c) != 0


def test_negotiate_api_version() -> None:
    h = Harness()
    c = h.connect()
    happ = h.init(c)
    r = h.response(c, m.NegotiateAPIVersion(h_line_app=happ, device_id=1, api_low_version=0x20000,
                                            api_high_version=0x30000))
    assert (r.result, r.body.api_version) == (0, 0x30000)
    r = h.response(c, m.NegotiateAPIVersion(h_line_app=happ, device_id=1, api_low_version=0x20000,
                                            api_high_version=0x40000))
    assert (r.result, r.body.api_version) == (0, 0x30001)
    r = h.response(c, m.NegotiateAPIVersion(h_line_app=happ, device_id=1, api_low_version=0x10003,
                                            api_high_version=0x10004))
    assert r.result == LineErr.INCOMPATIBLEAPIVERSION
    r = h.response(c, m.NegotiateAPIVersion(h_line_app=happ, device_id=3))
    assert r.result == LineErr.BADDEVICEID
    r = h.response(c, m.NegotiateAPIVersion(h_line_app=happ + 1000, device_id=0))
    assert r.result == LineErr.INVALAPPHANDLE


def test_open_checks_app_device_and_version() -> None:
    h = Harness()
    c = h.connect()
    happ = h.init(c)
    assert h.response(c, m.Open(h_line_app=happ, device_id=3)).result == LineErr.BADDEVICEID
    assert h.response(c, m.Open(h_line_app=happ + 99, device_id=0)).result == LineErr.INVALAPPHANDLE
    assert h.response(c, m.Open(h_line_app=happ, device_id=0, api_version=0x10004)).result == LineErr.INCOMPATIBLEAPIVERSION
    h1 = h.open(c, happ, 0)
    h2 = h.open(c, happ, 0)
    assert h1 != h2 and h1 != happ and h2 != happ


def test_handles_are_never_reused() -> None:
    h = Harness()
    c = h.connect()
    seen = set()
    for _ in range(5):
        happ = h.init(c)
        hline = h.open(c, happ, 1)
        assert h.response(c, m.Close(h_line=hline)).result == 0
        assert h.response(c, m.ShutDown(h_line_app=happ)).result == 0
        assert happ not in seen and hline not in seen
        seen |= {happ, hline}


def test_close_and_shutdown() -> None:
    h = Harness()
    c = h.connect()
    happ = h.init(c)
    hline = h.open(c, happ, 0)
    other = h.open(c, happ, 1)
    assert h.response(c, m.Close(h_line=hline)).result == 0
    assert h.response(c, m.Close(h_line=hline)).result == LineErr.INVALLINEHANDLE
    assert h.response(c, m.GetGroupList(h_line=hline)).result == LineErr.INVALLINEHANDLE
    assert h.response(c, m.ShutDown(h_line_app=happ)).result == 0
    # ShutDown closed the other line too, and the connection is uninitialized again.
    assert h.response(c, m.GetGroupList(h_line=other)).result == LineErr.UNINITIALIZED
    assert h.response(c, m.ShutDown(h_line_app=happ)).result == LineErr.UNINITIALIZED
    assert h.svc.table_sizes() == {"connections": 1, "apps": 0, "lines": 0, "calls": 0, "devices_watched": 0, "delayed": 0}


def test_apps_and_lines_per_connection_are_capped_and_freed_by_shutdown_and_close() -> None:
    h = Harness()
    h.svc.max_apps, h.svc.max_lines = 2, 3
    cid, other = h.connect(), h.connect()
    apps = [h.init(cid), h.init(cid)]
    refused = h.response(cid, m.Initialize(init_context=9))
    assert refused.result == LineErr.RESOURCEUNAVAIL
    assert h.init(other)  # the cap is per connection
    lines = [h.open(cid, apps[0], 0), h.open(cid, apps[1], 1), h.open(cid, apps[1], 0)]
    over = h.response(cid, m.Open(h_line_app=apps[0], device_id=1, api_version=ApiVersion.V3_0))
    assert over.result == LineErr.RESOURCEUNAVAIL
    assert h.response(cid, m.Close(h_line=lines[0])).result == 0
    h.open(cid, apps[0], 1)  # a closed line frees its place
    assert h.response(cid, m.ShutDown(h_line_app=apps[1])).result == 0  # closes its two lines too
    h.init(cid)
    h.open(cid, apps[0], 0)
    h.open(cid, apps[0], 0)
    assert h.response(cid, m.Open(h_line_app=apps[0], device_id=0, api_version=ApiVersion.V3_0)).result == (
        LineErr.RESOURCEUNAVAIL
    )


def test_line_belongs_to_its_connection() -> None:
    h = Harness()
    a, b = h.connect(), h.connect()
    happ_a = h.init(a)
    hline = h.open(a, happ_a)
    h.init(b)
    for body in (
        m.GetGroupList(h_line=hline),
        m.CreateAgent(h_line=hline, agent_id="anna", pin="1111"),
        m.GetAgentSessionInfo(h_line=hline, h_agent_session=1),
        m.SetAgentSessionState(h_line=hline, h_agent_session=1, agent_session_state=READY),
        m.Close(h_line=hline),
    ):
        assert h.response(b, body).result == LineErr.INVALLINEHANDLE, body
    assert h.response(b, m.Open(h_line_app=happ_a, device_id=0)).result == LineErr.INVALAPPHANDLE
    assert h.response(b, m.ShutDown(h_line_app=happ_a)).result == LineErr.INVALAPPHANDLE
    # Still usable by its owner.
    assert 1 <= h.response(a, m.GetGroupList(h_line=hline)).result <= 0x7FFFFFFF


def test_agent_functions_need_api_2_2() -> None:
    h = Harness()
    c = h.connect()
    old = h.line(c, version=ApiVersion.V2_1)
    assert h.response(c, m.GetGroupList(h_line=old)).result == LineErr.OPERATIONUNAVAIL
    assert h.response(c, m.Close(h_line=old)).result == 0


# --- async completion -----------------------------------------------------------------------------------


def test_line_reply_record_fields_and_order() -> None:
    h = Harness()
    c = h.connect()
    hline = h.line(c, open_context=0xABC, hremote=0x4242)
    before = len(h.frames[c])
    r = h.response(c, m.GetAgentSessionList(h_line=hline, h_agent=1, context=0xC0FFEE,
                                            session_list_context=0xDEAD, session_list_size=100))
    frames = h.frames[c][before:]
    assert isinstance(frames[0], m.Response) and frames[0].result == r.result
    assert isinstance(frames[1], m.Events)
    (reply,) = frames[1].records
    assert reply == m.LineReply(
        init_context=0x51, context=0xC0FFEE, hdevice=0x4242, open_context=0xABC, request_id=r.result,
        result=0, struct_context=0xDEAD, data=reply.data,
    )
    # LINEAGENTSESSIONLIST of agent 1 (anna, no sessions): total = client's 100, needed = used = 24.
    assert struct.unpack_from("<6I", reply.data) == (100, 24, 24, 0, 0, 0)


def test_create_agent_reply_carries_handle_and_context() -> None:
    h = Harness()
    c = h.connect()
    hline = h.line(c)
    reply = h.async_ok(c, m.CreateAgent(h_line=hline, agent_id="anna", pin="1111", context=7, h_agent_context=99))
    assert (reply.result, reply.context, reply.struct_context, len(reply.data)) == (0, 7, 99, 4)
    again = h.async_ok(c, m.CreateAgent(h_line=hline, agent_id="anna", pin="1111"))
    assert again.data == reply.data
    bad = h.async_ok(c, m.CreateAgent(h_line=hline, agent_id="anna", pin="0000"))
    assert (bad.result, bad.data) == (LineErr.INVALPASSWORD, b"")
    new = h.async_ok(c, m.CreateAgent(h_line=hline, agent_id="newbie"))
    assert new.result == 0 and new.data != reply.data


def test_create_session_errors_come_in_the_line_reply() -> None:
    h = Harness()
    c = h.connect()
    hline = h.line(c)
    anna = h.agent(c, hline)
    cases = [
        (m.CreateAgentSession(h_line=hline, h_agent=anna + 1000, group_id=SALES), LineErr.INVALAGENTID),
        (m.CreateAgentSession(h_line=hline, h_agent=anna, group_id=uuid.uuid4()), LineErr.INVALAGENTGROUP),
        (m.CreateAgentSession(h_line=hline, h_agent=anna, group_id=SALES, pin="2222"), LineErr.INVALPASSWORD),
        (m.CreateAgentSession(h_line=hline, h_agent=anna, group_id=SALES, working_address_id=1),
         LineErr.INVALADDRESSID),
    ]
    for body, err in cases:
        assert h.async_ok(c, body).result == err


def test_client_chosen_request_id_is_used_and_server_ids_are_unique() -> None:
    h = Harness()
    c = h.connect()
    hline = h.line(c)
    r = h.response(c, m.GetGroupList(h_line=hline, request_id=12345))
    assert r.result == 12345 and h.replies(c, 12345)
    ids = {h.response(c, m.GetGroupList(h_line=hline)).result for _ in range(20)}
    assert len(ids) == 20 and all(1 <= i <= 0x7FFFFFFF for i in ids)
    assert h.response(c, m.GetGroupList(h_line=hline, request_id=0x80000000)).result == LineErr.INVALPARAM


@pytest.mark.parametrize(
    "make, fixed",
    [
        (lambda hl, n: m.GetAgentSessionInfo(h_line=hl, h_agent_session=1, agent_session_info_size=n), 76),
        (lambda hl, n: m.GetAgentInfo(h_line=hl, h_agent=1, agent_info_size=n), 56),
        (lambda hl, n: m.GetQueueInfo(h_line=hl, queue_id=1, queue_info_size=n), 52),
        (lambda hl, n: m.GetAgentSessionList(h_line=hl, h_agent=1, session_list_size=n), 24),
        (lambda hl, n: m.GetGroupList(h_line=hl, group_list_size=n), 24),
    ],
)
def test_size_rules(make: Any, fixed: int) -> None:
    h = Harness()
    c = h.connect()
    hline = h.line(c)
    assert h.response(c, make(hline, fixed - 1)).result == LineErr.STRUCTURETOOSMALL
    assert h.response(c, make(hline, 0x40001)).result == LineErr.INVALPARAM
    for size in (fixed, 0x40000):
        r = h.response(c, make(hline, size))
        assert 1 <= r.result <= 0x7FFFFFFF
        (reply,) = h.replies(c, r.result)
        if reply.result == 0:
            assert int.from_bytes(reply.data[:4], "little") == size  # dwTotalSize = the client's size


def test_group_list_that_does_not_fit_has_needed_size_and_no_entries() -> None:
    h = Harness()
    c = h.connect()
    hline = h.line(c)
    full = h.async_ok(c, m.GetGroupList(h_line=hline, group_list_size=4096))
    # 2 entries x 24 + "Sales\0" (12) + "Support\0" (16) = 76 after the 24-byte header.
    assert struct.unpack_from("<4I", full.data) == (4096, 24 + 48 + 28, 24 + 48 + 28, 2)
    small = h.async_ok(c, m.GetGroupList(h_line=hline, group_list_size=99))
    assert small.result == 0
    assert struct.unpack_from("<6I", small.data) == (99, 100, 24, 0, 0, 0)
    assert h.async_ok(c, m.GetGroupList(h_line=hline, group_list_size=100)).data == full.data.replace(
        (4096).to_bytes(4, "little"), (100).to_bytes(4, "little"), 1)


def test_unknown_session_and_queue_fail_in_the_line_reply() -> None:
    h = Harness()
    c = h.connect()
    hline = h.line(c)
    assert h.async_ok(c, m.GetAgentSessionInfo(h_line=hline, h_agent_session=4711)).result == LineErr.INVALPARAM
    assert h.async_ok(c, m.GetQueueInfo(h_line=hline, queue_id=9)).result == LineErr.INVALPARAM
    assert h.async_ok(c, m.GetAgentInfo(h_line=hline, h_agent=4711)).result == LineErr.INVALAGENTID
    failed = h.async_ok(c, m.GetAgentSessionList(h_line=hline, h_agent=4711))
    assert (failed.result, failed.data) == (LineErr.INVALAGENTID, b"")


# --- SetAgentSessionState -------------------------------------------------------------------------------


def test_set_state_success_reply_and_sync_refusals() -> None:
    h = Harness()
    c = h.connect()
    hline = h.line(c)
    s = h.session(c, hline, h.agent(c, hline))
    reply = h.async_ok(c, m.SetAgentSessionState(h_line=hline, h_agent_session=s, agent_session_state=READY))
    assert (reply.result, reply.context, reply.struct_context, reply.data) == (0, 0, 0, b"")
    refusals = [
        (0, 0, LineErr.INVALPARAM),
        (BUSYONCALL, 0, LineErr.INVALAGENTSTATE),
        (BUSYWRAPUP, 0, LineErr.INVALAGENTSTATE),
        (AgentSessionState.RELEASED, 0, LineErr.INVALAGENTSTATE),
        (0x40, 0, LineErr.INVALAGENTSTATE),
    ]
    for state, nxt, err in refusals:
        r = h.response(c, m.SetAgentSessionState(h_line=hline, h_agent_session=s, agent_session_state=state,
                                                 next_agent_session_state=nxt))
        assert r.result == err, (state, nxt)
    r = h.response(c, m.SetAgentSessionState(h_line=hline, h_agent_session=9999, agent_session_state=READY))
    assert r.result == LineErr.INVALPARAM
    h.async_ok(c, m.SetAgentSessionState(h_line=hline, h_agent_session=s, agent_session_state=ENDED))
    r = h.response(c, m.SetAgentSessionState(h_line=hline, h_agent_session=s, agent_session_state=READY))
    assert r.result == LineErr.INVALAGENTSTATE


# --- events ----------------------------------------------------------------------------------------------


def test_events_go_to_every_connection_with_the_line_open_and_only_them() -> None:
    h = Harness()
    a, b, other = h.connect(), h.connect(), h.connect()
    la = h.line(a, 0, hremote=0xA0)
    lb = h.line(b, 0, hremote=0xB0, open_context=0xB1)
    h.line(other, 1)
    s = h.session(a, la, h.agent(a, la))
    h.async_ok(b, m.SetAgentSessionState(h_line=lb, h_agent_session=s, agent_session_state=READY))
    expected = [(s, AgentSessionStatus.NEWSESSION, 0), (s, AgentSessionStatus.STATE, READY)]
    for cid, hremote in ((a, 0xA0), (b, 0xB0)):
        evs = h.session_events(cid)
        assert [(e.hagent_session, e.status, e.state) for e in evs] == expected
        assert {e.hdevice for e in evs} == {hremote}
    assert h.session_events(b)[0].open_context == 0xB1
    assert h.session_events(other) == []


def test_a_line_opened_twice_gets_each_event_once_per_line() -> None:
    h = Harness()
    c = h.connect()
    happ = h.init(c)
    l1 = h.open(c, happ, 0, hremote=1)
    h.open(c, happ, 0, hremote=2)
    h.session(c, l1, h.agent(c, l1))
    assert sorted(e.hdevice for e in h.session_events(c)) == [1, 2]


def test_state_events_through_a_call_with_manual_clock() -> None:
    h = Harness()
    c = h.connect()
    hline = h.line(c)
    s = h.session(c, hline, h.agent(c, hline))
    h.async_ok(c, m.SetAgentSessionState(h_line=hline, h_agent_session=s, agent_session_state=READY))
    r = h.response(c, m.EmuOfferCall(group_id=SALES, talk_seconds=30))
    assert r.result == 0 and r.body.call_id >= 1
    h.advance(100)
    trail = [(e.status, e.state) for e in h.session_events(c)][2:]
    S, U = AgentSessionStatus.STATE, AgentSessionStatus.UPDATEINFO
    assert trail == [
        (S, BUSYONCALL),  # offered at 0
        (U, 0),  # answered at 2 (anna's answer_delay)
        (S | U, BUSYWRAPUP),  # hung up at 32
        (S | U, READY),  # wrap-up over at 42
    ]


def test_closing_a_connection_releases_everything() -> None:
    h = Harness(faults=[{"function": 149, "mode": "delay", "seconds": 50}])
    empty = h.svc.table_sizes()
    for _ in range(3):
        c = h.connect()
        happ = h.init(c)
        hline = h.open(c, happ, 0)
        h.open(c, happ, 2)
        h.response(c, m.GetAgentSessionInfo(h_line=hline, h_agent_session=1))
        assert h.svc.table_sizes()["delayed"] == 1
        h.svc.close_connection(c)
    assert h.svc.table_sizes() == empty
    h.advance(60)  # nothing due for the closed connections is sent anywhere


# --- control extension ------------------------------------------------------------------------------------


def test_control_is_refused_without_control() -> None:
    h = Harness(control=False)
    c = h.connect()
    h.init(c)
    assert h.response(c, m.EmuAdvanceClock(seconds=1)).result == LineErr.OPERATIONUNAVAIL
    assert h.response(c, m.EmuOfferCall(group_id=SALES, talk_seconds=1)).result == LineErr.OPERATIONUNAVAIL
    assert h.clock.now() == 0


def test_advance_clock_needs_manual_clock_but_not_initialize() -> None:
    h = Harness(manual=False)
    c = h.connect()
    assert h.response(c, m.EmuAdvanceClock(seconds=1)).result == LineErr.OPERATIONUNAVAIL
    h2 = Harness()
    c2 = h2.connect()
    assert h2.response(c2, m.EmuAdvanceClock(seconds=2, milliseconds=500)).result == 0
    assert h2.clock.now() == 2.5 and h2.model.now == 2.5


def test_offer_call_unknown_group() -> None:
    h = Harness()
    c = h.connect()
    assert h.response(c, m.EmuOfferCall(group_id=uuid.uuid4(), talk_seconds=5)).result == LineErr.INVALAGENTGROUP


def test_advance_clock_sends_events_before_its_response_in_time_order() -> None:
    h = Harness(faults=[{"function": 148, "mode": "delay", "seconds": 5}])
    c = h.connect()
    hline = h.line(c)
    anna = h.agent(c, hline)
    s = h.session(c, hline, anna)
    h.async_ok(c, m.SetAgentSessionState(h_line=hline, h_agent_session=s, agent_session_state=READY))
    h.response(c, m.EmuOfferCall(group_id=SALES, talk_seconds=4))  # answer at 2, hang-up at 6
    r = h.response(c, m.GetAgentInfo(h_line=hline, h_agent=anna))  # its LINE_REPLY is due at 5
    before = len(h.frames[c])
    h.response(c, m.EmuAdvanceClock(seconds=20))
    tail = h.frames[c][before:]
    assert isinstance(tail[-1], m.Response) and tail[-1].body == m.EmuAdvanceClock(seconds=20)
    records = [rec for f in tail[:-1] for rec in f.records
               if isinstance(rec, (m.LineReply, m.AgentSessionStatusEvent))]  # not the §8 events nor LINE_CALLSTATE (§9)
    kinds = [("reply" if isinstance(x, m.LineReply) else x.status) for x in records]
    S, U = AgentSessionStatus.STATE, AgentSessionStatus.UPDATEINFO
    # answered at 2, delayed reply at 5, hung up at 6 (wrap-up to 16), READY at 16
    assert kinds == [U, "reply", S | U, S | U]
    assert records[1].request_id == r.result
    # The delayed LINEAGENTINFO was computed when the request arrived (t = 0): no calls yet.
    assert struct.unpack_from("<I", records[1].data, 32)[0] == 0


# --- faults -----------------------------------------------------------------------------------------------


def test_fault_drop_async_response_but_no_reply() -> None:
    h = Harness(faults=[{"function": 152, "mode": "drop"}])
    c = h.connect()
    hline = h.line(c)
    r = h.response(c, m.GetGroupList(h_line=hline))
    assert 1 <= r.result <= 0x7FFFFFFF
    h.advance(1000)
    assert h.replies(c) == []


def test_fault_drop_sync_means_no_response() -> None:
    h = Harness(faults=[{"function": 47, "mode": "drop", "after": 1}])
    c = h.connect()
    h.init(c)
    h.send(c, m.Initialize())
    assert [f for f in h.frames[c] if isinstance(f, m.Response) and f.sequence == h.seq] == []


def test_fault_delay_holds_the_line_reply_for_switch_seconds() -> None:
    h = Harness(faults=[{"function": 152, "mode": "delay", "seconds": 130}])
    c = h.connect()
    hline = h.line(c)
    r = h.response(c, m.GetGroupList(h_line=hline))
    assert h.svc.next_due() == 130
    h.advance(129.999)
    assert h.replies(c) == []
    h.advance(0.001)
    (reply,) = h.replies(c, r.result)
    assert reply.result == 0 and reply.data


def test_fault_delay_of_a_sync_function_delays_its_response() -> None:
    h = Harness(faults=[{"function": 47, "mode": "delay", "seconds": 3}])
    c = h.connect()
    h.send(c, m.Initialize())
    assert h.frames[c] == []
    h.advance(3)
    assert [type(f) for f in h.frames[c]] == [m.Response]


def test_fault_delayed_reply_is_dropped_when_its_line_closes() -> None:
    h = Harness(faults=[{"function": 152, "mode": "delay", "seconds": 10}])
    c = h.connect()
    hline = h.line(c)
    h.response(c, m.GetGroupList(h_line=hline))
    h.response(c, m.Close(h_line=hline))
    h.advance(20)
    assert h.replies(c) == []


def test_fault_error_replaces_data_and_skips_the_operation() -> None:
    h = Harness(faults=[{"function": 147, "mode": "error", "error": "LINEERR_RESOURCEUNAVAIL"}])
    c = h.connect()
    hline = h.line(c)
    anna = h.agent(c, hline)
    reply = h.async_ok(c, m.CreateAgentSession(h_line=hline, h_agent=anna, group_id=SALES))
    assert (reply.result, reply.data) == (LineErr.RESOURCEUNAVAIL, b"")
    assert h.model.session_list(anna) == []
    assert h.session_events(c) == []


def test_fault_error_on_sync_function() -> None:
    h = Harness(faults=[{"function": 54, "mode": "error", "error": "LINEERR_NODEVICE"}])
    c = h.connect()
    happ = h.init(c)
    assert h.response(c, m.Open(h_line_app=happ, device_id=0)).result == LineErr.NODEVICE
    assert h.svc.table_sizes()["lines"] == 0


def test_fault_disconnect_closes_instead_of_responding() -> None:
    h = Harness(faults=[{"function": 146, "mode": "disconnect"}])
    c = h.connect()
    hline = h.line(c)
    n = len(h.frames[c])
    outcome = h.send(c, m.CreateAgent(h_line=hline, agent_id="zed"))
    assert outcome.close and outcome.frames == ()
    assert len(h.frames[c]) == n
    assert h.model.agent_handle("zed") is None


def test_fault_after_and_clear() -> None:
    h = Harness(faults=[{"function": 152, "mode": "drop", "after": 2}])
    c = h.connect()
    hline = h.line(c)
    ids = [h.response(c, m.GetGroupList(h_line=hline)).result for _ in range(4)]
    assert [bool(h.replies(c, i)) for i in ids] == [True, True, False, False]
    h.svc.faults.clear()
    assert h.replies(c, h.response(c, m.GetGroupList(h_line=hline)).result)


def test_faults_default_to_the_scenario_rules() -> None:
    text = SCENARIO + '\n[[faults]]\nfunction = 152\nmode = "error"\nerror = "LINEERR_NOMEM"\n'
    svc = SwitchService(Switch(parse_scenario(text)), ManualClock())
    assert [(r.function, r.mode.value, r.error) for r in svc.faults.rules] == [(152, "error", LineErr.NOMEM)]


def test_event_records_are_split_into_frames_below_the_frame_limit() -> None:
    from tsp import batch as sw

    batch = sw.Batch()
    rec = m.AgentSessionStatusEvent(hagent_session=1, status=AgentSessionStatus.UPDATEINFO)
    n = sw.EVENTS_BATCH_BYTES // 40 + 10
    for _ in range(n):
        batch.record(1, rec)
    frames = batch.frames()
    assert len(frames) == 2
    assert sum(len(f.frame.records) for f in frames) == n
    assert all(len(f.frame.records) * 40 <= sw.EVENTS_BATCH_BYTES for f in frames)
    assert LineMsg.AGENTSESSIONSTATUS == rec.MSG
