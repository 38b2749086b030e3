"""The parts of the switch service, one job each (tsp/registry.py, tsp/dispatch.py, tsp/held.py,
tsp/fanout.py), and the one switch-side error type (tsp/errors.py)."""

from __future__ import annotations

from typing import Any

import pytest

import tsp.errors
import tsp.model
import tsp.switch
from protocol import messages as m
from protocol.constants import LineErr, ReqFunc
from tsp.batch import Batch
from tsp.dispatch import FUNCTIONS, TABLE, Kind
from tsp.errors import SwitchError
from tsp.faults import FaultInjector, FaultRule
from tsp.held import HeldAnswers
from tsp.model import Switch
from tsp.registry import Registry
from tsp.scenario import default_scenario
from tsp.switch import SwitchService


def test_one_switch_error_type() -> None:
    assert tsp.model.SwitchError is tsp.errors.SwitchError is tsp.switch.SwitchError
    err = SwitchError(LineErr.INVALAGENTID, "agent 7 is unknown")
    assert (err.lineerr, err.message, str(err)) == (LineErr.INVALAGENTID, "agent 7 is unknown", "INVALAGENTID: agent 7 is unknown")


def test_the_dispatch_table_has_one_row_per_request_and_its_kind_is_the_declarations() -> None:
    assert sorted(FUNCTIONS) == sorted(m.REQUEST_TYPES)
    assert len(TABLE) == len(FUNCTIONS)
    for row in TABLE:
        assert row.body is m.REQUEST_TYPES[row.req_func][0]
        assert (row.kind is Kind.ASYNC) == bool(row.body.ASYNC), row.body.__name__
        assert (row.handler is None) == (row.kind is Kind.ADVANCE), row.body.__name__
        if row.kind is not Kind.ASYNC:
            assert not row.sync_errors


# --- registry ----------------------------------------------------------------------------------------


def test_registry_handles_are_never_reused_and_the_caps_refuse_with_resourceunavail() -> None:
    reg = Registry(4, max_apps=2, max_lines=2, max_lines_total=3)
    a, b = reg.conn(reg.open_connection("a")), reg.conn(reg.open_connection("b"))
    app = reg.add_app(a, 5)
    lines = [reg.add_line(a, app, d, 0x20002, 0, 0) for d in (0, 1)]
    with pytest.raises(SwitchError) as per_conn:
        reg.add_line(a, app, 2, 0x20002, 0, 0)
    assert per_conn.value.lineerr is LineErr.RESOURCEUNAVAIL and "max 2" in per_conn.value.message
    app_b = reg.add_app(b, 6)
    reg.add_line(b, app_b, 0, 0x20002, 0, 0)
    with pytest.raises(SwitchError) as total:
        reg.add_line(b, app_b, 1, 0x20002, 0, 0)
    assert total.value.lineerr is LineErr.RESOURCEUNAVAIL and "across all connections (max 3)" in total.value.message
    assert [ln.conn_id for ln in reg.watchers(0)] == [a.conn_id, b.conn_id]
    reg.drop_line(lines[0])
    again = reg.add_line(b, app_b, 1, 0x20002, 0, 0)  # a place is free again; a new handle
    handles = [app.handle, app_b.handle, *(ln.handle for ln in lines), again.handle]
    assert len(set(handles)) == len(handles)
    with pytest.raises(SwitchError) as foreign:
        reg.line(a, again.handle)
    assert foreign.value.lineerr is LineErr.INVALLINEHANDLE and "another connection" in foreign.value.message
    assert reg.close_connection(a.conn_id) and reg.close_connection(b.conn_id)
    assert reg.sizes() == {"connections": 0, "apps": 0, "lines": 0, "calls": 0, "devices_watched": 0}


# --- faults, held answers, the in-flight cap ------------------------------------------------------------


def test_held_answers_count_per_connection_and_a_closed_line_forgets_its_replies() -> None:
    held = HeldAnswers(FaultInjector(), max_in_flight=3)
    delay = FaultRule(function=152, mode="delay", seconds=5)
    batch = Batch()
    record = m.LineReply(request_id=1)
    held.reply(1, 10, record, delay, 0.0, batch)
    held.reply(1, 11, record, delay, 1.0, batch)
    held.respond(1, m.Response(7, 0, m.Initialize()), delay, 2.0, batch)
    held.reply(2, 20, record, delay, 0.0, batch)
    assert batch.frames() == ()
    assert (held.in_flight(1), held.in_flight(2), held.at_cap(1), held.at_cap(2)) == (3, 1, True, False)
    held.forget(1, 10)  # line 10 closed: its reply will never be sent and no longer counts
    assert (held.in_flight(1), len(held)) == (2, 3)
    assert held.pop_due(4.9) is None
    item = held.pop_due(5.0)
    assert item is not None and (item.conn_id, item.hline) == (2, 20)
    held.forget(1)  # the connection ended
    assert (held.in_flight(1), len(held), held.next_due()) == (0, 0, None)


def _service(**kwargs: Any) -> tuple[SwitchService, int, int]:
    svc = SwitchService(Switch(default_scenario()), **kwargs)
    conn = svc.open_connection("t")
    frames = svc.handle(conn, m.Request(1, m.Initialize()), 0.0).frames
    happ = frames[0].frame.body.h_line_app
    hline = svc.handle(conn, m.Request(2, m.Open(h_line_app=happ, device_id=0)), 0.0).frames[0].frame.body.h_line
    return svc, conn, hline


def _response(outcome: Any) -> m.Response:
    return next(o.frame for o in outcome.frames if isinstance(o.frame, m.Response))


def test_the_in_flight_cap_is_the_services_and_close_is_always_served() -> None:
    faults = FaultInjector([{"function": int(ReqFunc.GETGROUPLIST), "mode": "delay", "seconds": 50}])
    svc, conn, hline = _service(faults=faults, max_in_flight=2)
    results = [_response(svc.handle(conn, m.Request(s, m.GetGroupList(h_line=hline)), 1.0)).result
               for s in (10, 11, 12)]
    assert results[:2] == [1, 2] and results[2] == LineErr.RESOURCEUNAVAIL
    assert svc.in_flight(conn) == 2
    assert _response(svc.handle(conn, m.Request(13, m.Close(h_line=hline)), 1.0)).result == 0
    assert (svc.in_flight(conn), svc.table_sizes()["delayed"]) == (0, 0)


def test_create_agent_over_the_quota_is_refused_in_the_response() -> None:
    svc, conn, hline = _service(max_agents=0)
    out = svc.handle(conn, m.Request(5, m.CreateAgent(h_line=hline, agent_id="new-one", pin="1")), 0.0)
    assert [type(o.frame) for o in out.frames] == [m.Response]  # no request ID used, no LINE_REPLY
    assert out.frames[0].frame.result == LineErr.RESOURCEUNAVAIL


def test_fan_out_reaches_every_line_watching_and_the_observers() -> None:
    svc, conn, hline = _service(control=True)
    seen: list[Any] = []
    svc.event_observers.append(seen.append)
    other = svc.open_connection("o")
    happ = svc.handle(other, m.Request(1, m.Initialize()), 0.0).frames[0].frame.body.h_line_app
    svc.handle(other, m.Request(2, m.Open(h_line_app=happ, device_id=0)), 0.0)
    agent = svc.handle(conn, m.Request(3, m.CreateAgent(h_line=hline, agent_id="fan", pin="1")), 0.0)
    h_agent = int.from_bytes(agent.frames[1].frame.records[0].data, "little")
    group = svc.model.scenario.groups[0].id
    out = svc.handle(conn, m.Request(4, m.CreateAgentSession(h_line=hline, h_agent=h_agent, group_id=group)), 0.0)
    status = [(o.conn_id, type(r).__name__) for o in out.frames if isinstance(o.frame, m.Events)
              for r in o.frame.records if isinstance(r, m.AgentSessionStatusEvent)]
    assert {c for c, _ in status} == {conn, other}
    assert seen and all(isinstance(ev, tsp.model.SessionEvent) for ev in seen)
