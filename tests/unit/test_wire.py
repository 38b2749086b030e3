"""tsp/wire.py, the one adapter from the model's values to the wire structures; and the model's layering."""

from __future__ import annotations

import ast
import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.structs import (
    QueueEntry,
    QueueList,
    AgentGroupList,
    AgentInfo,
    AgentSessionInfo,
    AgentSessionList,
    QueueInfo,
    decode_struct,
    encode_struct,
)
from tsp import values, wire
from tsp.model import Switch, SwitchError
from tsp.scenario import parse_scenario

ROOT = Path(__file__).parents[2]
G = uuid.UUID(int=7)


def scenario(start: str = "2026-11-26T09:00:00Z"):
    return parse_scenario(
        f'[switch]\nstart = "{start}"\n[[groups]]\nid = "{G}"\nname = "Sales"\nqueue = 3\n'
        '[[agents]]\nid = "a"\nanswer_delay = 1.25\nwrapup = 4.5\n'
        '[[agents.sessions]]\ngroup = "Sales"\nstate = "READY"\nat = 0.5\n'
    )


def busy_switch(start: str = "2026-11-26T09:00:00Z") -> tuple[Switch, int, int]:
    sw = Switch(scenario(start))
    for k in range(5):
        sw.offer_call(G, 7.3 + k, 1.0 + 3 * k)
    agent = sw.agent_handles()[0]
    return sw, agent, sw.session_list(agent)[0].hagent_session


@pytest.mark.parametrize("start", ["2026-11-26T09:00:00.123457Z", "1850-01-01T05:00:00Z", "1899-12-29T18:00:00Z"])
@pytest.mark.parametrize("now", [13.0, 14.000001, 40.123457, 1000.000001])
def test_the_poll_path_gives_the_bytes_of_the_object(start, now):
    sw, _, h = busy_switch(start)
    data = wire.session_info_bytes(sw, h, 300, now)
    assert data == encode_struct(wire.session_info(sw.session_info(h, now), 300))
    got = decode_struct(AgentSessionInfo, data)
    info = sw.session_info(h, now)
    assert got.session_start_time == info.session_start_time
    assert got.acd_call_rate == info.acd_call_rate and got.total_size == 300


@pytest.mark.parametrize("start", ["2026-11-26T09:00:00.123457Z", "1850-01-01T05:00:00Z"])
def test_the_picked_poll_path_gives_the_same_bytes(start):
    # the path taken when SessionStats' order differs from the wire's: the same bytes
    sw, _, h = busy_switch(start)
    for now in (41, 99.5):
        assert wire._session_info_picked(sw, h, 120, now) == wire._session_info_direct(sw, h, 120, now)


def test_dword_figures_saturate_on_every_path_after_136_years():
    """The model's seconds have no bound; LINEAGENTSESSIONINFO's DWORDs stop at 0xFFFFFFFF (after 2**32 s of
    switch time, e.g. EmuAdvanceClock), on the object path and both byte paths, with the same bytes."""
    sw, _, h = busy_switch()
    now = 2.0**32 + 50
    assert sw.session_info(h, now).session_duration > wire.DWORD_MAX  # the model itself does not saturate
    data = wire.session_info_bytes(sw, h, 300, now)
    assert data == encode_struct(wire.session_info(sw.session_info(h, now), 300))
    assert data == wire._session_info_picked(sw, h, 300, now)
    got = decode_struct(AgentSessionInfo, data)
    assert got.session_duration == wire.DWORD_MAX
    assert got.number_of_calls == 5 and got.total_talk_time < wire.DWORD_MAX  # only what overflows is capped


def test_the_figures_are_the_models_own_ints():
    sw, _, h = busy_switch()
    figures = sw.session_figures(h, 50)
    assert all(isinstance(v, int) for v in figures) and len(figures) == len(attrs.fields(values.SessionStats))
    info = sw.session_info(h, 50)
    assert values.EPOCH + dt.timedelta(microseconds=figures[2]) == info.session_start_time
    assert values.rate_decimal(figures[11]) == info.acd_call_rate
    assert info.session_start_time == dt.datetime(2026, 11, 26, 9, 0, 0, 500000, tzinfo=dt.timezone.utc)


def test_rates_round_to_nearest_ten_thousandth_ties_to_even():
    assert values.rate_e4(1, 3600 * 10**6) == 10_000
    assert values.rate_e4(0, 5) == values.rate_e4(3, 0) == 0
    # 1 call in 7 s = 514.285714... calls/h -> 5142857.14 -> 5142857
    assert values.rate_e4(1, 7 * 10**6) == 5_142_857
    # exact ties: 1 call in 2,880,000,000,000 us = 0.00125 calls/h = 12.5 e-4 -> 12; 37.5 -> 38
    assert values.rate_e4(1, 2_880_000 * 10**6) == 12
    assert values.rate_e4(3, 2_880_000 * 10**6) == 38
    assert str(values.rate_decimal(52_500)) == "5.2500" and values.rate_decimal(0) == Decimal(0)


def test_agent_info_fields_follow_the_table():
    sw, agent, _ = busy_switch()
    info = sw.agent_info(agent, 45)
    got = decode_struct(AgentInfo, wire.agent_info_bytes(info, 200))
    assert got.total_size == 200
    for wire_name, model_name in wire.AGENT_INFO_FIELDS.items():
        assert getattr(got, wire_name) == getattr(info, model_name), wire_name
    assert got.agent_state == info.state and got.number_of_acd_calls == 4 and got.overall_call_rate > 0
    # and the table itself is right (by name, with distinct values)
    assert (got.total_acd_talk_time, got.total_acd_call_time, got.total_acd_wrap_up_time) == (25, 39, 13)
    assert (info.total_acd_talk_time, info.total_acd_call_time, info.total_acd_wrap_up_time) == (25, 39, 13)
    assert got.measurement_period == info.measurement_period == 45


def test_queue_info_fields_follow_the_table():
    sw, _, _ = busy_switch()
    sw.offer_call(G, 30, 41)
    sw.offer_call(G, 30, 42)
    info = sw.queue_info(3, 44)
    got = decode_struct(QueueInfo, wire.queue_info_bytes(info, 100))
    assert got.total_size == 100
    for wire_name, model_name in wire.QUEUE_INFO_FIELDS.items():
        assert getattr(got, wire_name) == getattr(info, model_name), wire_name
    assert got.total_calls_queued == 7 and got.current_calls_queued == 3 and got.longest_ever_wait_time > 0


def test_lists():
    sw, agent, h = busy_switch()
    sessions = decode_struct(AgentSessionList, wire.session_list_bytes(sw.session_list(agent), 1000))
    assert [(e.hagent_session, e.hagent, e.group_id) for e in sessions.entries] == [(h, agent, G)]
    groups = decode_struct(AgentGroupList, wire.group_list_bytes(sw.group_list(), 1000))
    assert [(e.group_id, e.name) for e in groups.entries] == [(G, "Sales")]


def test_list_bytes_takes_each_entry_field_from_the_model_field_of_its_name():
    sw, _, _ = busy_switch()
    queues = decode_struct(QueueList, wire.list_bytes(QueueList, sw.queue_list(G), 1000))
    (q,) = sw.queue_list(G)
    assert queues.entries == (QueueEntry(q.queue_id, "Sales"),)
    # any model value with the entry's field names will do: GroupEntry has queue_id and name too
    assert decode_struct(QueueList, wire.list_bytes(QueueList, sw.group_list(), 1000)).entries == queues.entries

    @attrs.frozen
    class NoName:
        queue_id: int

    with pytest.raises(TypeError, match="NoName has no field"):
        wire.list_bytes(QueueList, [NoName(1)], 1000)


def test_errors_pass_through():
    sw, _, _ = busy_switch()
    with pytest.raises(SwitchError):
        wire.session_info_bytes(sw, 999, 100, 50)


def test_the_field_tables_fill_every_wire_field():
    for cls, table in ((AgentSessionInfo, wire.SESSION_INFO_FIELDS), (AgentInfo, wire.AGENT_INFO_FIELDS),
                       (QueueInfo, wire.QUEUE_INFO_FIELDS)):
        names = {f.name for f in attrs.fields(cls)} - {"total_size", "needed_size", "used_size"}
        assert set(table) == names


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


@pytest.mark.parametrize(
    "module",
    sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tsp" / "model").glob("*.py")) + ["tsp/values.py", "tsp/lifecycle.py"],
)
def test_the_model_imports_no_wire_layer(module):
    imported = _imports(ROOT / module)
    # protocol.constants is the TAPI vocabulary (enum names and numbers); nothing else of protocol/
    assert {m for m in imported if m == "protocol" or m.startswith("protocol.")} <= {"protocol.constants"}
    assert "tsp.wire" not in imported and "tsp.switch" not in imported


_dword = st.one_of(st.integers(0, 0xFFFFFFFF), st.sampled_from([-1, 0x100000000, 2**70]))


@settings(max_examples=300, deadline=None)
@given(
    state=st.sampled_from([1, 2, 4, 8, 0x20, 0x40, 3, 0]), nxt=st.sampled_from([0, 2, 8, 7]), period=_dword,
    rate=st.one_of(st.decimals(min_value=-10**9, max_value=10**9, places=4, allow_nan=False),
                   st.sampled_from([Decimal("1e20"), Decimal("0.00001"), Decimal("NaN")])),
    counts=st.lists(_dword, min_size=6, max_size=6), size=st.sampled_from([56, 100, 0x40000]),
)
def test_agent_info_bytes_are_the_objects_bytes(state, nxt, period, rate, counts, size):
    """The packed poll path of LINEAGENTINFO == encode_struct of the object, or the same error."""
    info = values.AgentInfo(state, nxt, period, rate, *counts)
    _same_or_same_error(lambda: wire.agent_info_bytes(info, size), lambda: encode_struct(wire.agent_info(info, size)))


@settings(max_examples=300, deadline=None)
@given(figures=st.lists(_dword, min_size=10, max_size=10), size=st.sampled_from([52, 60, 0x40000]))
def test_queue_info_bytes_are_the_objects_bytes(figures, size):
    info = values.QueueInfo(*figures)
    _same_or_same_error(lambda: wire.queue_info_bytes(info, size), lambda: encode_struct(wire.queue_info(info, size)))


def _same_or_same_error(fast, oracle):
    try:
        expected = oracle()
    except Exception as exc:  # noqa: BLE001 - the path under test must fail the same way
        with pytest.raises(type(exc)):
            fast()
        return
    assert fast() == expected
