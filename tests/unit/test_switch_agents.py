"""wire-protocol §8 (all but GetQueueList, which test_switch_queue_list.py covers) through
SwitchService.handle: each function's answer, each of its LINEERRs, a fault rule; the §8 events
(coalescing, who gets them); and the 2.0/2.2 consistency: a change made through either family is visible
through both, with both families' events."""

from __future__ import annotations

import struct
import uuid
from typing import Any

import pytest

from protocol import agent_messages as am
from protocol import messages as m
from protocol.agent_events import AgentStatusEvent, AgentStatusExEvent, QueueStatusEvent
from protocol.agent_structs import AgentCaps, AgentStatus
from protocol.constants import (
    AgentSessionState,
    AgentStateEx,
    AgentStatus as Bits,
    AgentStatusEx,
    ApiVersion,
    LineAgentState,
    LineErr,
    QueueStatus,
)
from protocol.structs import AgentActivityList, AgentGroupEntry, AgentGroupList, AgentInfo, QueueInfo, decode_struct
from test_switch import SALES, SUPPORT, Harness
from tsp.clock import ManualClock
from tsp.faults import FaultInjector
from tsp.model import Switch
from tsp.scenario import parse_scenario
from tsp.switch import SwitchService

SCENARIO = f"""
[switch]
name = "agents"
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

[[activities]]
id = 1
name = "Break"

[[activities]]
id = 7
name = "Training"

[[agents]]
id = "anna"
pin = "1111"
answer_delay = 2
wrapup = 10

[[agents]]
id = "ben"
home = {{ line = 2, address = 0 }}
"""

S = AgentSessionState
L = LineAgentState


class AgentHarness(Harness):
    """test_switch's harness on a scenario with activities and a home agent (ben at line 2)."""

    def __init__(self, *, faults: list[dict] | None = None) -> None:
        self.clock = ManualClock()
        self.model = Switch(parse_scenario(SCENARIO))
        self.svc = SwitchService(self.model, self.clock, control=True, faults=FaultInjector(faults or [], seed=3))
        self.frames = {}
        self.seq = 0
        self.closed = set()

    def of(self, cid: int, cls: type) -> list[Any]:
        return [r for r in self.records(cid) if isinstance(r, cls)]

    def status(self, cid: int, hline: int, **kw: Any) -> AgentStatus:
        reply = self.async_ok(cid, am.GetAgentStatus(h_line=hline, **kw))
        assert reply.result == 0, hex(reply.result)
        return decode_struct(AgentStatus, reply.data)

    def info(self, cid: int, hline: int, hagent: int) -> AgentInfo:
        return decode_struct(AgentInfo, self.async_ok(cid, m.GetAgentInfo(h_line=hline, h_agent=hagent)).data)

    def result(self, cid: int, body: Any) -> int:
        """The LINEERR of a request: the RESPONSE's, else the LINE_REPLY's (0 = success)."""
        r = self.response(cid, body)
        if not 1 <= r.result <= 0x7FFFFFFF:
            return r.result
        (reply,) = self.replies(cid, r.result)
        return reply.result


def group_list(*groups: uuid.UUID) -> bytes:
    entries = [AgentGroupEntry(g, "") for g in groups]
    return AgentGroupList.build(entries, AgentGroupList.full_size(entries)).to_bytes()


# --- TAPI 2.0 data functions ------------------------------------------------------------------------------


def test_get_agent_caps_is_keyed_by_line_app_and_device() -> None:
    h = AgentHarness()
    c = h.connect()
    happ = h.init(c)
    h.open(c, happ, 1, hremote=0x901)
    r = h.response(c, am.GetAgentCaps(h_line_app=happ, device_id=1, agent_caps_context=0x55, context=0x66))
    (reply,) = h.replies(c, r.result)
    assert (reply.result, reply.struct_context, reply.context, reply.hdevice) == (0, 0x55, 0x66, 0x901)
    caps = decode_struct(AgentCaps, reply.data)
    assert caps.features == 0x37 and caps.states == caps.next_states == int(L.LOGGEDOFF | L.NOTREADY | L.READY)
    assert caps.max_num_group_entries == 2 and caps.agent_handler_info == "tsp ACD emulator"
    assert caps.caps_version == ApiVersion.V2_2 and caps.used_size == caps.needed_size == 72 + 34
    small = decode_struct(AgentCaps, h.async_ok(c, am.GetAgentCaps(h_line_app=happ, device_id=1, agent_caps_size=72)).data)
    assert (small.needed_size, small.used_size, small.agent_handler_info) == (106, 72, "")
    assert h.response(c, am.GetAgentCaps(h_line_app=happ, device_id=1, agent_caps_size=71)).result == LineErr.STRUCTURETOOSMALL
    assert h.response(c, am.GetAgentCaps(h_line_app=happ + 99, device_id=1)).result == LineErr.INVALAPPHANDLE
    assert h.response(c, am.GetAgentCaps(h_line_app=happ, device_id=9)).result == LineErr.BADDEVICEID
    assert h.response(c, am.GetAgentCaps(h_line_app=happ, device_id=0)).result == LineErr.INVALLINEHANDLE
    assert h.result(c, am.GetAgentCaps(h_line_app=happ, device_id=1, address_id=1)) == LineErr.INVALADDRESSID


def test_get_agent_status_of_an_address_without_agent_is_logged_off() -> None:
    h = AgentHarness()
    c = h.connect()
    hline = h.line(c)
    st = h.status(c, hline)
    assert (st.state, st.next_state, st.groups, st.activity_id, st.valid_states) == (L.LOGGEDOFF, 0, (), 0, 0)
    assert h.result(c, am.GetAgentStatus(h_line=hline, address_id=1)) == LineErr.INVALADDRESSID
    assert h.response(c, am.GetAgentStatus(h_line=hline, agent_status_size=55)).result == LineErr.STRUCTURETOOSMALL
    assert h.response(c, am.GetAgentStatus(h_line=hline + 50)).result == LineErr.INVALLINEHANDLE


def test_get_agent_status_maps_the_sessions() -> None:
    h = AgentHarness()
    c = h.connect()
    hline = h.line(c)
    anna = h.agent(c, hline)
    s1 = h.session(c, hline, anna, SALES)
    h.session(c, hline, anna, SUPPORT)
    st = h.status(c, hline)
    assert st.state == L.NOTREADY and [g.name for g in st.groups] == ["Sales", "Support"]
    # group entries at 56, names list-relative to the LINEAGENTSTATUS
    data = h.async_ok(c, am.GetAgentStatus(h_line=hline)).data
    n, size, off = struct.unpack_from("<3I", data, 12)
    name_size, name_off = struct.unpack_from("<2I", data, off + 16)
    assert (n, size, off) == (2, 48, 56) and data[name_off:name_off + name_size] == "Sales\0".encode("utf-16-le")
    h.async_ok(c, m.SetAgentSessionState(h_line=hline, h_agent_session=s1, agent_session_state=S.READY))
    assert h.status(c, hline).state == L.READY
    h.response(c, m.EmuOfferCall(group_id=SALES, talk_seconds=5))
    assert h.status(c, hline).state == L.BUSYACD  # ringing (answer_delay 2)
    h.advance(3)
    assert h.status(c, hline).state == L.BUSYACD
    h.advance(5)
    st = h.status(c, hline)
    assert st.state == L.WORKINGAFTERCALL
    h.async_ok(c, am.SetAgentState(h_line=hline, next_agent_state=L.NOTREADY))
    assert h.status(c, hline).next_state == L.NOTREADY
    h.advance(20)
    st = h.status(c, hline)
    assert (st.state, st.next_state) == (L.NOTREADY, 0)


def test_group_and_activity_lists() -> None:
    h = AgentHarness()
    c = h.connect()
    hline = h.line(c)
    acts = decode_struct(AgentActivityList, h.async_ok(c, am.GetAgentActivityList(h_line=hline, activity_list_context=3)).data)
    assert [(e.id, e.name) for e in acts.entries] == [(1, "Break"), (7, "Training")]
    groups = decode_struct(AgentGroupList, h.async_ok(c, am.GetAgentGroupList(h_line=hline)).data)
    assert [(e.group_id, e.name) for e in groups.entries] == [(SALES, "Sales"), (SUPPORT, "Support")]
    assert h.result(c, am.GetAgentGroupList(h_line=hline, address_id=3)) == LineErr.INVALADDRESSID
    assert h.result(c, am.GetAgentActivityList(h_line=hline, address_id=3)) == LineErr.INVALADDRESSID


def test_the_2_0_family_needs_api_2_0_and_the_2_2_setters_need_2_2() -> None:
    h = AgentHarness()
    c = h.connect()
    happ = h.init(c)
    old = h.open(c, happ, 0, version=ApiVersion.V2_0)
    assert h.status(c, old).state == L.LOGGEDOFF  # 2.0 is enough for the 2.0 family
    assert h.response(c, am.SetAgentStateEx(h_line=old, h_agent=1, agent_state=2)).result == LineErr.OPERATIONUNAVAIL


# --- TAPI 2.0 setters ---------------------------------------------------------------------------------------


def test_set_agent_group_creates_and_ends_sessions_of_the_home_agent() -> None:
    h = AgentHarness()
    c = h.connect()
    hline = h.line(c, 2)
    ben = h.model.agent_handle("ben")
    h.async_ok(c, am.SetAgentGroup(h_line=hline, agent_group_list=group_list(SALES, SUPPORT)))
    sessions = h.model.session_list(ben)
    assert [(e.group_id, e.working_address_id) for e in sessions] == [(SALES, 0), (SUPPORT, 0)]
    assert all(h.model.session_line(e.hagent_session) == 2 for e in sessions)
    assert [g.name for g in h.status(c, hline).groups] == ["Sales", "Support"]
    h.async_ok(c, am.SetAgentGroup(h_line=hline, agent_group_list=group_list(SUPPORT)))
    states = [h.model.session_info(e.hagent_session, h.model.now).state for e in h.model.session_list(ben)]
    assert states == [S.ENDED, S.NOTREADY]
    h.async_ok(c, am.SetAgentGroup(h_line=hline, agent_group_list=group_list()))
    assert h.status(c, hline).state == L.LOGGEDOFF


def test_set_agent_group_refusals_change_nothing() -> None:
    h = AgentHarness()
    c = h.connect()
    hline = h.line(c, 2)
    other = h.line(c, 1)
    assert h.result(c, am.SetAgentGroup(h_line=hline, agent_group_list=group_list(SALES, uuid.UUID(int=9)))) == (
        LineErr.INVALAGENTGROUP)
    assert h.model.session_list(h.model.agent_handle("ben")) == []
    assert h.result(c, am.SetAgentGroup(h_line=other, agent_group_list=group_list(SALES))) == LineErr.INVALAGENTID
    assert h.result(c, am.SetAgentGroup(h_line=hline, address_id=2, agent_group_list=group_list(SALES))) == (
        LineErr.INVALADDRESSID)
    assert h.result(c, am.SetAgentGroup(h_line=hline)) == LineErr.INVALPOINTER
    bad = bytearray(group_list(SALES))
    bad[16:20] = (999).to_bytes(4, "little")  # dwListSize disagrees with dwNumEntries
    assert h.result(c, am.SetAgentGroup(h_line=hline, agent_group_list=bytes(bad))) == LineErr.INVALPARAM


def test_set_agent_state_applies_to_every_session_with_the_busy_rules() -> None:
    h = AgentHarness()
    c = h.connect()
    hline = h.line(c)
    anna = h.agent(c, hline)
    s1, s2 = h.session(c, hline, anna, SALES), h.session(c, hline, anna, SUPPORT)
    h.async_ok(c, am.SetAgentState(h_line=hline, agent_state=L.READY))
    assert [h.model.session_info(s, h.model.now).state for s in (s1, s2)] == [S.READY, S.READY]
    h.response(c, m.EmuOfferCall(group_id=SALES, talk_seconds=5))
    h.advance(3)  # answered: s1 BUSYONCALL
    assert h.result(c, am.SetAgentState(h_line=hline, agent_state=L.NOTREADY, next_agent_state=L.READY)) == (
        LineErr.INVALPARAM)
    assert h.result(c, am.SetAgentState(h_line=hline, agent_state=L.BUSYACD)) == LineErr.INVALAGENTSTATE
    assert h.response(c, am.SetAgentState(h_line=hline)).result == LineErr.INVALPARAM  # both 0
    h.async_ok(c, am.SetAgentState(h_line=hline, agent_state=L.NOTREADY))
    assert h.model.session_info(s1, h.model.now).next_state == S.NOTREADY  # busy: stored
    assert h.model.session_info(s2, h.model.now).state == S.NOTREADY
    assert h.result(c, am.SetAgentState(h_line=h.line(c, 1), agent_state=L.READY)) == LineErr.INVALAGENTID


def test_set_agent_activity() -> None:
    h = AgentHarness()
    c = h.connect()
    hline = h.line(c, 2)
    h.async_ok(c, am.SetAgentActivity(h_line=hline, activity_id=7))
    st = h.status(c, hline)
    assert (st.activity_id, st.activity) == (7, "Training")
    assert h.result(c, am.SetAgentActivity(h_line=hline, activity_id=2)) == LineErr.INVALAGENTACTIVITY
    assert h.result(c, am.SetAgentActivity(h_line=h.line(c, 0), activity_id=1)) == LineErr.INVALAGENTID


# --- TAPI 2.2 setters ---------------------------------------------------------------------------------------


def test_set_agent_state_ex() -> None:
    h = AgentHarness()
    c = h.connect()
    hline = h.line(c)
    anna = h.agent(c, hline)
    s1 = h.session(c, hline, anna, SALES)
    h.async_ok(c, am.SetAgentStateEx(h_line=hline, h_agent=anna, agent_state=AgentStateEx.READY))
    assert h.model.session_info(s1, h.model.now).state == S.READY and h.info(c, hline, anna).agent_state == AgentStateEx.READY
    assert h.result(c, am.SetAgentStateEx(h_line=hline, h_agent=anna, agent_state=AgentStateEx.BUSYACD)) == (
        LineErr.INVALAGENTSTATE)
    assert h.result(c, am.SetAgentStateEx(h_line=hline, h_agent=999, agent_state=AgentStateEx.READY)) == LineErr.INVALAGENTID
    assert h.response(c, am.SetAgentStateEx(h_line=hline, h_agent=anna)).result == LineErr.INVALPARAM


def test_measurement_periods() -> None:
    h = AgentHarness()
    c = h.connect()
    hline = h.line(c)
    anna = h.agent(c, hline)
    h.async_ok(c, am.SetAgentMeasurementPeriod(h_line=hline, h_agent=anna, measurement_period=600))
    assert h.info(c, hline, anna).measurement_period == 600
    h.async_ok(c, am.SetQueueMeasurementPeriod(h_line=hline, queue_id=2, measurement_period=900))
    q = decode_struct(QueueInfo, h.async_ok(c, m.GetQueueInfo(h_line=hline, queue_id=2)).data)
    assert q.measurement_period == 900
    assert h.result(c, am.SetAgentMeasurementPeriod(h_line=hline, h_agent=anna, measurement_period=0)) == LineErr.INVALPARAM
    assert h.result(c, am.SetAgentMeasurementPeriod(h_line=hline, h_agent=777, measurement_period=5)) == LineErr.INVALAGENTID
    assert h.result(c, am.SetQueueMeasurementPeriod(h_line=hline, queue_id=77, measurement_period=5)) == LineErr.INVALPARAM
    assert h.result(c, am.SetQueueMeasurementPeriod(h_line=hline, queue_id=1, measurement_period=0)) == LineErr.INVALPARAM


@pytest.mark.parametrize(("func", "body"), [
    (27, lambda hl, happ: am.GetAgentStatus(h_line=hl)),
    (25, lambda hl, happ: am.GetAgentCaps(h_line_app=happ, device_id=0)),
    (67, lambda hl, happ: am.SetAgentGroup(h_line=hl, agent_group_list=group_list(SALES))),
    (157, lambda hl, happ: am.SetAgentStateEx(h_line=hl, h_agent=1, agent_state=2)),
    (154, lambda hl, happ: am.SetAgentMeasurementPeriod(h_line=hl, h_agent=1, measurement_period=5)),
])
def test_a_fault_rule_applies(func: int, body: Any) -> None:
    h = AgentHarness(faults=[{"function": func, "mode": "error", "error": "LINEERR_RESOURCEUNAVAIL"}])
    c = h.connect()
    happ = h.init(c)
    hline = h.open(c, happ, 0)
    reply = h.async_ok(c, body(hline, happ))
    assert (reply.result, reply.data) == (LineErr.RESOURCEUNAVAIL, b"")


# --- events and the 2.0 / 2.2 consistency ----------------------------------------------------------------


def test_a_2_2_change_is_seen_by_2_0_applications_with_both_events() -> None:
    h = AgentHarness()
    a, b = h.connect(), h.connect()
    hline = h.line(a)
    watcher = h.line(b, 0, hremote=0x333, open_context=0x44)
    anna = h.agent(a, hline)
    s1 = h.session(a, hline, anna, SALES)
    h.async_ok(a, m.SetAgentSessionState(h_line=hline, h_agent_session=s1, agent_session_state=S.READY))
    ev = h.of(b, AgentStatusEvent)
    # the session appeared (GROUP, STATE LOGGEDOFF -> NOTREADY), then READY: one record per request
    assert [(e.address_id, e.status & Bits.STATE, e.state) for e in ev] == [(0, Bits.STATE, L.NOTREADY), (0, Bits.STATE, L.READY)]
    assert ev[0].status & Bits.GROUP and (ev[0].hdevice, ev[0].open_context) == (0x333, 0x44)
    ex = [e for e in h.of(b, AgentStatusExEvent) if e.status & AgentStatusEx.STATE]
    assert ex[-1].hagent == anna and ex[-1].state == AgentStateEx.READY
    assert h.status(b, watcher).state == L.READY


def test_a_2_0_change_is_seen_by_2_2_applications_with_both_events() -> None:
    h = AgentHarness()
    a, b = h.connect(), h.connect()
    hline = h.line(a, 2)
    h.line(b, 1)  # another line: 2.2 events reach every connection, LINE_AGENTSTATUS only line 2's
    ben = h.model.agent_handle("ben")
    h.async_ok(a, am.SetAgentGroup(h_line=hline, agent_group_list=group_list(SALES)))
    h.async_ok(a, am.SetAgentState(h_line=hline, agent_state=L.READY))
    (hs,) = [e.hagent_session for e in h.model.session_list(ben)]
    assert h.model.session_info(hs, h.model.now).state == S.READY
    assert [e.state for e in h.of(b, m.AgentSessionStatusEvent)] == []  # sessions on line 2 only
    ex = [(e.hagent, e.state) for e in h.of(b, AgentStatusExEvent) if e.status & AgentStatusEx.STATE]
    assert ex[-1] == (ben, AgentStateEx.READY)
    assert h.of(b, AgentStatusEvent) == []
    assert [e.state for e in h.of(a, AgentStatusEvent) if e.status & Bits.STATE] == [L.NOTREADY, L.READY]
    h.async_ok(a, am.SetAgentActivity(h_line=hline, activity_id=1))
    last = h.of(a, AgentStatusEvent)[-1]
    assert (last.status, last.state) == (Bits.ACTIVITY, 0)


def test_2_2_events_are_coalesced_per_object_and_sent_once_per_connection() -> None:
    h = AgentHarness()
    a = h.connect()
    happ = h.init(a)
    first = h.open(a, happ, 0, hremote=0x10)
    h.open(a, happ, 1, hremote=0x11)
    anna = h.agent(a, first)
    s1 = h.session(a, first, anna, SALES)
    h.async_ok(a, m.SetAgentSessionState(h_line=first, h_agent_session=s1, agent_session_state=S.READY))
    before = len(h.records(a))
    h.response(a, m.EmuOfferCall(group_id=SALES, talk_seconds=5))  # queue in and out, agent rung: one instant
    new = h.records(a)[before:]
    queue = [r for r in new if isinstance(r, QueueStatusEvent)]
    assert [(q.queue_id, q.status, q.hdevice) for q in queue] == [(1, QueueStatus.UPDATEINFO, 0x10)]
    agents = [r for r in new if isinstance(r, AgentStatusExEvent)]
    assert len(agents) == 1 and agents[0].hagent == anna and agents[0].hdevice == 0x10


def test_acd_events_or_the_bits_of_one_object_and_keep_the_last_state() -> None:
    from tsp.batch import Batch
    from tsp.values import AgentEvent, QueueEvent

    h = AgentHarness()
    c = h.connect()
    h.line(c, hremote=0x70)
    batch = Batch()
    anna, ben = h.model.agent_handle("anna"), h.model.agent_handle("ben")
    h.svc.acd.take([AgentEvent(anna, AgentStatusEx.STATE, AgentStateEx.READY), QueueEvent(1, QueueStatus.UPDATEINFO),
                    AgentEvent(anna, AgentStatusEx.UPDATEINFO, 0), AgentEvent(ben, AgentStatusEx.NEWAGENT, 0),
                    AgentEvent(anna, AgentStatusEx.STATE, AgentStateEx.BUSYACD), QueueEvent(1, QueueStatus.UPDATEINFO)], batch)
    h.deliver(batch.frames())
    got = [(type(r).__name__, getattr(r, "hagent", getattr(r, "queue_id", None)), int(r.status), int(getattr(r, "state", 0)))
           for r in h.records(c)[-3:]]
    assert got == [("AgentStatusExEvent", anna, 6, AgentStateEx.BUSYACD), ("AgentStatusExEvent", ben, 1, 0),
                   ("QueueStatusEvent", 1, 1, 0)]
