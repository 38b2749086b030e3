"""The switch model: state table, routing, golden §4 statistics at chosen instants, errors, determinism."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from protocol.constants import AgentSessionState as S
from protocol.constants import AgentSessionStatus as St
from protocol.constants import AgentStateEx, LineErr
from tsp.model import QueueInfo, SessionEvent, Switch, SwitchError
from tsp.scenario import default_scenario, parse_scenario

SALES = uuid.UUID("5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b")
SUPPORT = uuid.UUID("8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
START = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.timezone.utc)
HEAD = f'''
[switch]
lines = 2
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
'''


class SessionView(Switch):
    """The switch with only its session events (LINE_AGENTSESSIONSTATUS): what these 1.0 tests check.
    The 1.1 agent, queue and call events are checked in test_model_calls.py and test_model_acd.py."""

    def take_events(self) -> list:
        return [e for e in super().take_events() if isinstance(e, SessionEvent)]


def make(body: str = "") -> Switch:
    return SessionView(parse_scenario(HEAD + body, "test.toml"))


def agent(agent_id: str, delay: float = 0, wrapup: float = 0, pin: str | None = None, sessions: str = "") -> str:
    pin_line = f'pin = "{pin}"\n' if pin is not None else ""
    return f'[[agents]]\nid = "{agent_id}"\n{pin_line}answer_delay = {delay}\nwrapup = {wrapup}\n{sessions}'


def session(group: str = "Sales", line: int = 0, state: str = "READY", at: float = 0) -> str:
    return f'[[agents.sessions]]\ngroup = "{group}"\nline = {line}\nstate = "{state}"\nat = {at}\n'


def call(at: float, talk: float, group: str = "Sales") -> str:
    return f'[[calls]]\nat = {at}\ngroup = "{group}"\ntalk = {talk}\n'


def only_session(sw: Switch, agent_id: str, now: float = 0) -> int:
    (entry,) = sw.session_list(sw.agent_handle(agent_id), now)
    return entry.hagent_session


def ev(h: int, line: int, status: St, state: S) -> SessionEvent:
    return SessionEvent(h, line, status, state)


# --------------------------------------------------------------------------------------------------
# State table: every state x every requested state
# --------------------------------------------------------------------------------------------------

ABBR = {"NR": S.NOTREADY, "R": S.READY, "B": S.BUSYONCALL, "W": S.BUSYWRAPUP, "E": S.ENDED, "-": 0}
REQUESTS = [0, S.NOTREADY, S.READY, S.BUSYONCALL, S.BUSYWRAPUP, S.ENDED, S.RELEASED, 0x40, S.READY | S.NOTREADY]
# Cell = "state-after/next-state-after" or an error: PARAM = INVALPARAM, STATE = INVALAGENTSTATE.
# Table 1: dwAgentSessionState = column, dwNextAgentSessionState = 0.
TABLE_STATE = """
             0      NOTREADY  READY  BUSYONCALL  BUSYWRAPUP  ENDED  RELEASED  0x40   0x03
NOTREADY     PARAM  NR/-      R/-    STATE       STATE       E/-    STATE     STATE  STATE
READY        PARAM  NR/-      R/-    STATE       STATE       E/-    STATE     STATE  STATE
BUSYONCALL   PARAM  B/NR      B/R    STATE       STATE       B/E    STATE     STATE  STATE
BUSYWRAPUP   PARAM  W/NR      W/R    STATE       STATE       W/E    STATE     STATE  STATE
ENDED        PARAM  STATE     STATE  STATE       STATE       STATE  STATE     STATE  STATE
"""
# Table 2: dwAgentSessionState = 0, dwNextAgentSessionState = column.
TABLE_NEXT = """
             0      NOTREADY  READY  BUSYONCALL  BUSYWRAPUP  ENDED  RELEASED  0x40   0x03
NOTREADY     PARAM  NR/NR     NR/R   STATE       STATE       NR/E   STATE     STATE  STATE
READY        PARAM  R/NR      R/R    STATE       STATE       R/E    STATE     STATE  STATE
BUSYONCALL   PARAM  B/NR      B/R    STATE       STATE       B/E    STATE     STATE  STATE
BUSYWRAPUP   PARAM  W/NR      W/R    STATE       STATE       W/E    STATE     STATE  STATE
ENDED        PARAM  STATE     STATE  STATE       STATE       STATE  STATE     STATE  STATE
"""


def parse_table(text: str) -> list[tuple[S, int, str]]:
    rows = [line.split() for line in text.strip().splitlines()]
    header, body = rows[0], rows[1:]
    assert len(header) == len(REQUESTS)
    return [(S[row[0]], req, cell) for row in body for req, cell in zip(REQUESTS, row[1:], strict=True)]


def session_in(state: S) -> tuple[Switch, int, float]:
    """A switch with one session driven (through the public API only) into ``state``; returns the time."""
    sw = make(agent("x", delay=5, wrapup=10))
    h = sw.create_session(sw.create_agent("x", None, 0), None, 0, 0, SALES, 0)
    t = 0.0
    if state is not S.NOTREADY:
        t = 1.0
        sw.set_session_state(h, S.ENDED if state is S.ENDED else S.READY, 0, t)
    if state in (S.BUSYONCALL, S.BUSYWRAPUP):
        sw.offer_call(SALES, 100, 2)
        t = 10.0 if state is S.BUSYONCALL else 110.0  # answered at 7; hang-up at 107, wrap-up to 117
    assert sw.session_info(h, t).state is state
    sw.take_events()
    return sw, h, t


def check_request(current: S, state: int, next_state: int, cell: str) -> None:
    sw, h, t = session_in(current)
    before = sw.session_info(h, t)
    if cell in ("PARAM", "STATE"):
        with pytest.raises(SwitchError) as info:
            sw.set_session_state(h, state, next_state, t)
        assert info.value.lineerr is {"PARAM": LineErr.INVALPARAM, "STATE": LineErr.INVALAGENTSTATE}[cell]
        assert sw.session_info(h, t) == before
        assert sw.take_events() == []
        return
    want_state, want_next = (ABBR[x] for x in cell.split("/"))
    sw.set_session_state(h, state, next_state, t)
    after = sw.session_info(h, t)
    assert (after.state, after.next_state) == (want_state, want_next)
    events = sw.take_events()
    if want_state is current:
        # §7.2: a change of the next state alone is an UPDATEINFO (it is a LINEAGENTSESSIONINFO field)
        assert events == ([] if want_next == before.next_state else [ev(h, 0, St.UPDATEINFO, current)])
    else:
        assert events == [ev(h, 0, St.STATE, want_state)]


@pytest.mark.parametrize("current,requested,cell", parse_table(TABLE_STATE))
def test_state_table_requested_state(current, requested, cell):
    check_request(current, requested, 0, cell)


@pytest.mark.parametrize("current,requested,cell", parse_table(TABLE_NEXT))
def test_state_table_requested_next_state(current, requested, cell):
    check_request(current, 0, requested, cell)


@pytest.mark.parametrize(
    "current,state,next_state,cell",
    [
        (S.NOTREADY, S.READY, S.NOTREADY, "R/NR"),
        (S.READY, S.NOTREADY, S.ENDED, "NR/E"),
        (S.READY, S.ENDED, S.NOTREADY, "E/-"),  # an ENDED session has no next state
        (S.BUSYONCALL, S.NOTREADY, S.READY, "PARAM"),  # §7.2: both nonzero while busy (1.0 stored the state)
        (S.BUSYWRAPUP, S.ENDED, S.READY, "PARAM"),
        (S.BUSYONCALL, S.NOTREADY, 0, "B/NR"),  # while busy the requested state is what is stored
        (S.NOTREADY, S.READY, S.BUSYWRAPUP, "STATE"),
        (S.BUSYONCALL, S.BUSYONCALL, S.READY, "STATE"),
    ],
)
def test_state_table_both_fields(current, state, next_state, cell):
    check_request(current, state, next_state, cell)


def test_zero_next_state_keeps_the_pending_one():
    sw, h, t = session_in(S.READY)
    sw.set_session_state(h, 0, S.NOTREADY, t)
    sw.set_session_state(h, S.NOTREADY, 0, t)
    sw.set_session_state(h, S.READY, 0, t)
    assert sw.session_info(h, t).next_state == S.NOTREADY


# --------------------------------------------------------------------------------------------------
# Pending next state applied after the call and wrap-up
# --------------------------------------------------------------------------------------------------


def test_next_state_after_wrapup_leaves_queued_calls_waiting():
    sw = make(agent("a", delay=2, wrapup=10, sessions=session()) + call(10, 30) + call(20, 5))
    h = only_session(sw, "a")
    sw.set_session_state(h, S.NOTREADY, 0, 45)  # in wrap-up (hang-up at 42)
    assert sw.take_events() == [
        ev(h, 0, St.NEWSESSION | St.STATE, S.READY),
        ev(h, 0, St.STATE, S.BUSYONCALL),
        ev(h, 0, St.UPDATEINFO, S.BUSYONCALL),
        ev(h, 0, St.STATE | St.UPDATEINFO, S.BUSYWRAPUP),
        ev(h, 0, St.UPDATEINFO, S.BUSYWRAPUP),  # §7.2: the next state changed
    ]
    assert sw.session_info(h, 51.9).state is S.BUSYWRAPUP
    assert sw.advance(52) == [ev(h, 0, St.STATE | St.UPDATEINFO, S.NOTREADY)]
    info = sw.session_info(h, 60)
    assert (info.state, info.next_state, info.number_of_calls) == (S.NOTREADY, 0, 1)
    assert sw.queue_info(1, 60).current_calls_queued == 1
    sw.set_session_state(h, S.READY, 0, 61)  # takes the waiting call now
    assert sw.take_events() == [ev(h, 0, St.STATE, S.READY), ev(h, 0, St.STATE, S.BUSYONCALL)]
    assert sw.session_info(h, 63).longest_time_to_answer == 63 - 20


def test_next_state_ended_freezes_duration_at_wrapup_end():
    sw = make(agent("a", delay=0, wrapup=7, sessions=session()) + call(10, 30))
    h = only_session(sw, "a")
    sw.set_session_state(h, S.ENDED, 0, 20)
    assert sw.take_events()[-2:] == [
        ev(h, 0, St.STATE | St.UPDATEINFO, S.BUSYONCALL),  # answered at 10
        ev(h, 0, St.UPDATEINFO, S.BUSYONCALL),  # §7.2: the next state changed
    ]
    assert sw.advance(40) == [ev(h, 0, St.STATE | St.UPDATEINFO, S.BUSYWRAPUP)]
    assert sw.advance(47) == [ev(h, 0, St.STATE | St.UPDATEINFO, S.ENDED)]
    info = sw.session_info(h, 1000)
    assert (info.state, info.session_duration, info.total_wrap_up_time, info.total_call_time) == (S.ENDED, 47, 7, 37)
    assert info.acd_call_rate == Decimal(3600 / 47).quantize(Decimal("0.0001"))


def test_next_state_set_while_idle_applies_after_the_next_call_without_wrapup():
    sw = make(agent("a", sessions=session()))
    h = only_session(sw, "a")
    sw.set_session_state(h, 0, S.NOTREADY, 1)
    assert sw.session_info(h, 1).state is S.READY
    sw.offer_call(SALES, 4, 2)
    sw.take_events()
    assert sw.advance(6) == [ev(h, 0, St.STATE | St.UPDATEINFO, S.NOTREADY)]


# --------------------------------------------------------------------------------------------------
# Golden statistics on a scripted scenario
#   A: answer 2 s, wrap-up 10 s, line 0; B: answer 0, no wrap-up, line 1; both READY at 0 in Sales.
#   c1 10 s talk 30 -> A (tie, lower handle): answered 12, hang-up 42, wrap-up to 52
#   c2 10 s talk 20 -> B: answered 10, hang-up 30
#   c3 15 s talk 40 -> queued; B READY at 30 takes it: answered 30 (waited 15), hang-up 70
#   c4 16 s talk 5  -> queued; A READY at 52 takes it: answered 54 (waited 36 + 2 ringing), hang-up 59,
#                      wrap-up to 69
# --------------------------------------------------------------------------------------------------

GOLDEN = (
    agent("A", delay=2, wrapup=10, sessions=session(line=0))
    + agent("B", delay=0, wrapup=0, sessions=session(line=1))
    + call(10, 30) + call(10, 20) + call(15, 40) + call(16, 5)
)


def test_golden_event_sequence():
    sw = make(GOLDEN)
    assert sw.next_due() == 0
    first = sw.advance(0)
    a, b = only_session(sw, "A"), only_session(sw, "B")
    assert a < b
    busy, upd, both = St.STATE, St.UPDATEINFO, St.STATE | St.UPDATEINFO
    assert first == [ev(a, 0, St.NEWSESSION | St.STATE, S.READY), ev(b, 1, St.NEWSESSION | St.STATE, S.READY)]
    expected = {
        10: [ev(a, 0, busy, S.BUSYONCALL), ev(b, 1, both, S.BUSYONCALL)],
        12: [ev(a, 0, upd, S.BUSYONCALL)],
        15: [],
        16: [],
        30: [ev(b, 1, both, S.READY), ev(b, 1, both, S.BUSYONCALL)],
        42: [ev(a, 0, both, S.BUSYWRAPUP)],
        52: [ev(a, 0, both, S.READY), ev(a, 0, busy, S.BUSYONCALL)],
        54: [ev(a, 0, upd, S.BUSYONCALL)],
        59: [ev(a, 0, both, S.BUSYWRAPUP)],
        69: [ev(a, 0, both, S.READY)],
        70: [ev(b, 1, both, S.READY)],
    }
    seen = {}
    while (due := sw.next_due()) is not None:
        seen[due] = sw.advance(due)
    assert {t: e for t, e in seen.items() if e} == {t: e for t, e in expected.items() if e}
    assert set(seen) == set(expected)


@pytest.mark.parametrize(
    "who,now,want",
    [
        # state, next, duration, calls, talk, avg talk, call, avg call, wrap, avg wrap, rate, longest, avg tta
        ("A", 5, (S.READY, 0, 5, 0, 0, 0, 0, 0, 0, 0, "0.0000", 0, 0)),
        ("A", 11, (S.BUSYONCALL, 0, 11, 0, 0, 0, 0, 0, 0, 0, "0.0000", 0, 0)),  # ringing: nothing counted
        ("A", 20, (S.BUSYONCALL, 0, 20, 1, 8, 8, 8, 8, 0, 0, "180.0000", 2, 2)),  # talk in progress
        ("A", 47.5, (S.BUSYWRAPUP, 0, 47, 1, 30, 30, 35, 35, 5, 5, "75.7895", 2, 2)),  # wrap-up in progress
        ("A", 56.25, (S.BUSYONCALL, 0, 56, 2, 32, 16, 42, 21, 10, 5, "128.0000", 38, 20)),
        ("A", 100, (S.READY, 0, 100, 2, 35, 17, 55, 27, 20, 10, "72.0000", 38, 20)),
        ("B", 30, (S.BUSYONCALL, 0, 30, 2, 20, 10, 20, 10, 0, 0, "240.0000", 15, 7)),
        ("B", 70, (S.READY, 0, 70, 2, 60, 30, 60, 30, 0, 0, "102.8571", 15, 7)),
    ],
)
def test_golden_session_statistics(who, now, want):
    sw = make(GOLDEN)
    info = sw.session_info(only_session(sw, who), now)
    got = (
        info.state, info.next_state, info.session_duration, info.number_of_calls, info.total_talk_time,
        info.average_talk_time, info.total_call_time, info.average_call_time, info.total_wrap_up_time,
        info.average_wrap_up_time, info.acd_call_rate, info.longest_time_to_answer, info.average_time_to_answer,
    )
    assert got == want[:10] + (Decimal(want[10]),) + want[11:]
    assert str(info.acd_call_rate) == want[10]
    assert info.session_start_time == START


def test_golden_queue_and_agent_statistics():
    sw = make(GOLDEN)
    # at 20: c3 (waiting 5 s) and c4 (4 s) queued; c1, c2 were offered without waiting
    assert sw.queue_info(1, 20) == QueueInfo(20, 4, 2, 0, 0, 0, 5, 5, 0, 0)
    info = sw.agent_info(sw.agent_handle("A"), 56.25)
    assert info.state is AgentStateEx.BUSYACD
    assert (info.measurement_period, info.overall_call_rate, info.number_of_acd_calls) == (56, Decimal("128.0000"), 2)
    assert (info.number_of_incoming_calls, info.number_of_outgoing_calls, info.next_state) == (0, 0, 0)
    assert (info.total_acd_talk_time, info.total_acd_call_time, info.total_acd_wrap_up_time) == (32, 42, 10)
    # at 60: waits 0, 0, 15, 36 -> longest ever 36, average floor(51 / 4) = 12
    assert sw.queue_info(1, 60) == QueueInfo(60, 4, 0, 0, 0, 0, 36, 0, 12, 0)
    assert sw.queue_info(2, 60) == QueueInfo(60, 0, 0, 0, 0, 0, 0, 0, 0, 0)


def test_scripted_session_appears_at_its_time():
    sw = make(agent("late", sessions=session(state="NOTREADY", line=1, at=5.5)))
    hagent = sw.agent_handle("late")
    assert sw.advance(5) == [] and sw.session_list(hagent) == []
    assert sw.next_due() == 5.5
    (event,) = sw.advance(6)
    assert event.status == St.NEWSESSION and event.state is S.NOTREADY and event.line == 1
    info = sw.session_info(event.hagent_session, 6)
    assert info.session_start_time == START + dt.timedelta(seconds=5.5)
    assert sw.sessions_on_line(1) == [event.hagent_session] and sw.sessions_on_line(0) == []
    assert sw.session_line(event.hagent_session) == 1 and sw.session_agent(event.hagent_session) == hagent


# --------------------------------------------------------------------------------------------------
# Routing
# --------------------------------------------------------------------------------------------------


def two_sessions(group2: uuid.UUID = SALES) -> tuple[Switch, int, int]:
    sw = make(agent("p") + agent("q"))
    h1 = sw.create_session(sw.create_agent("p", None, 0), None, 0, 0, SALES, 0)
    h2 = sw.create_session(sw.create_agent("q", None, 0), None, 1, 0, group2, 0)
    assert h1 < h2
    return sw, h1, h2


def who_got_it(sw: Switch, now: float) -> list[int]:
    return [e.hagent_session for e in sw.take_events() if e.state is S.BUSYONCALL and e.status & St.STATE]


def test_ready_longest_wins_over_lower_handle():
    sw, h1, h2 = two_sessions()
    sw.set_session_state(h2, S.READY, 0, 1)
    sw.set_session_state(h1, S.READY, 0, 2)
    sw.take_events()
    sw.offer_call(SALES, 10, 3)
    assert who_got_it(sw, 3) == [h2]
    sw.offer_call(SALES, 10, 4)
    assert who_got_it(sw, 4) == [h1]


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_ties_go_to_the_lowest_handle(order):
    sw, h1, h2 = two_sessions()
    for i in order:
        sw.set_session_state((h1, h2)[i], S.READY, 0, 1)
    sw.take_events()
    sw.offer_call(SALES, 10, 1)
    assert who_got_it(sw, 1) == [h1]


def test_ready_since_restarts_after_notready():
    sw, h1, h2 = two_sessions()
    sw.set_session_state(h1, S.READY, 0, 1)
    sw.set_session_state(h2, S.READY, 0, 2)
    sw.set_session_state(h1, S.NOTREADY, 0, 3)
    sw.set_session_state(h1, S.READY, 0, 3)
    sw.take_events()
    sw.offer_call(SALES, 10, 4)
    assert who_got_it(sw, 4) == [h2]


def test_other_groups_notready_and_ended_sessions_get_no_calls():
    sw, h1, h2 = two_sessions(group2=SUPPORT)
    sw.set_session_state(h2, S.READY, 0, 1)  # Support
    sw.set_session_state(h1, S.READY, 0, 1)
    sw.set_session_state(h1, S.ENDED, 0, 2)
    sw.take_events()
    sw.offer_call(SALES, 10, 3)
    assert who_got_it(sw, 3) == []
    assert sw.queue_info(1, 3).current_calls_queued == 1
    h3 = sw.create_session(sw.agent_handle("q"), None, 1, 0, SALES, 4)  # NOTREADY: still queued
    assert who_got_it(sw, 4) == []
    sw.set_session_state(h3, S.READY, 0, 5)
    assert who_got_it(sw, 5) == [h3]
    assert sw.session_info(h3, 5).longest_time_to_answer == 2


def test_queue_is_fifo_and_a_session_becoming_ready_takes_the_oldest_call():
    sw = make(agent("a") + call(1, 11) + call(2, 22))
    h = sw.create_session(sw.agent_handle("a"), None, 0, 0, SALES, 0)
    sw.set_session_state(h, S.READY, 0, 5)
    info = sw.session_info(h, 16)  # first call (11 s) over at 16, the second answered at once
    assert (info.number_of_calls, info.longest_time_to_answer, info.average_time_to_answer) == (2, 14, 9)
    assert info.total_talk_time == 11


# --------------------------------------------------------------------------------------------------
# CURRENCY rounding of cyACDCallRate
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "now,rate",
    [
        (7, "514.2857"),  # 514.285714...: down
        (47.5, "75.7895"),  # 75.789473...: up
        (36.864, "97.6562"),  # exactly 97.65625: tie to even (down)
        (61.44, "58.5938"),  # exactly 58.59375: tie to even (up)
        (3600, "1.0000"),
        (0.5, "7200.0000"),
    ],
)
def test_call_rate_rounds_to_nearest_currency(now, rate):
    sw = make(agent("a", sessions=session()) + call(0, 0.25))
    info = sw.session_info(only_session(sw, "a"), now)
    assert info.number_of_calls == 1
    assert str(info.acd_call_rate) == rate


def test_call_rate_is_zero_at_zero_duration():
    sw = make(agent("a", sessions=session()) + call(0, 5))
    info = sw.session_info(only_session(sw, "a"), 0)
    assert (info.number_of_calls, info.acd_call_rate, info.session_duration) == (1, Decimal(0), 0)


# --------------------------------------------------------------------------------------------------
# Agents, handles, errors
# --------------------------------------------------------------------------------------------------


def test_create_agent_pins_and_handles():
    sw = make(agent("locked", pin="1234") + agent("open"))
    h = sw.create_agent("locked", "1234", 0)
    assert h and sw.create_agent("locked", "1234", 1) == h
    for bad in ("4321", None, ""):
        with pytest.raises(SwitchError) as info:
            sw.create_agent("locked", bad, 1)
        assert info.value.lineerr is LineErr.INVALPASSWORD
    assert sw.create_agent("open", None, 1) == sw.create_agent("open", "anything", 1)
    new = sw.create_agent("stranger", "9", 2)
    assert new not in (h, sw.agent_handle("open"))
    assert sw.create_agent("stranger", "9", 3) == new
    with pytest.raises(SwitchError):
        sw.create_agent("stranger", "8", 3)
    with pytest.raises(SwitchError) as info:
        sw.create_agent("", None, 3)
    assert info.value.lineerr is LineErr.INVALAGENTID
    # the new agent answers at once and has no wrap-up
    s = sw.create_session(new, "9", 1, 0, SALES, 4)
    sw.set_session_state(s, S.READY, 0, 4)
    sw.offer_call(SALES, 3, 4)
    assert sw.session_info(s, 7).state is S.READY
    assert sw.agent_info(new, 7).measurement_period == 5  # created at 2


def test_handles_are_nonzero_unique_and_never_reused():
    sw = make(agent("a", sessions=session() + session(group="Support")) + agent("b"))
    sw.advance(0)
    handles = sw.agent_handles()
    for _ in range(3):
        hs = sw.create_session(sw.agent_handle("b"), None, 0, 0, SALES, 1)
        sw.set_session_state(hs, S.ENDED, 0, 1)
        handles.append(hs)
    handles += [e.hagent_session for e in sw.session_list(sw.agent_handle("a"))]
    assert 0 not in handles and len(set(handles)) == len(handles)
    assert all(0 < h <= 0xFFFFFFFF for h in handles)
    with pytest.raises(SwitchError):
        sw.session_info(sw.agent_handle("a"), 1)  # an hAgent is not an hAgentSession
    entries = sw.session_list(sw.agent_handle("b"))
    assert [e.hagent_session for e in entries] == handles[2:5]  # oldest first, ENDED included
    assert all(e.hagent == sw.agent_handle("b") and e.group_id == SALES and e.working_address_id == 0 for e in entries)


ERRORS = [
    ("unknown agent", lambda sw, h: sw.create_session(h + 1000, None, 0, 0, SALES, 1), LineErr.INVALAGENTID),
    ("unknown group", lambda sw, h: sw.create_session(h, None, 0, 0, uuid.UUID(int=5), 1), LineErr.INVALAGENTGROUP),
    ("wrong session pin", lambda sw, h: sw.create_session(h, "0000", 0, 0, SALES, 1), LineErr.INVALPASSWORD),
    ("bad line", lambda sw, h: sw.create_session(h, "1234", 2, 0, SALES, 1), LineErr.BADDEVICEID),
    ("bad address", lambda sw, h: sw.create_session(h, None, 0, 1, SALES, 1), LineErr.INVALADDRESSID),
    ("agent info", lambda sw, h: sw.agent_info(h + 1000, 1), LineErr.INVALAGENTID),
    ("session list", lambda sw, h: sw.session_list(h + 1000), LineErr.INVALAGENTID),
    ("session info", lambda sw, h: sw.session_info(h + 1000, 1), LineErr.INVALPARAM),
    ("set state", lambda sw, h: sw.set_session_state(h + 1000, S.READY, 0, 1), LineErr.INVALPARAM),
    ("queue", lambda sw, h: sw.queue_info(99, 1), LineErr.INVALPARAM),
    ("queue list", lambda sw, h: sw.queue_list(uuid.UUID(int=5)), LineErr.INVALAGENTGROUP),
    ("offer unknown group", lambda sw, h: sw.offer_call(uuid.UUID(int=5), 3, 1), LineErr.INVALAGENTGROUP),
    ("offer negative talk", lambda sw, h: sw.offer_call(SALES, -1, 1), LineErr.INVALPARAM),
    ("offer nan talk", lambda sw, h: sw.offer_call(SALES, float("nan"), 1), LineErr.INVALPARAM),
]


@pytest.mark.parametrize("name,action,lineerr", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_carry_lineerr_and_say_what(name, action, lineerr):
    sw = make(agent("a", pin="1234"))
    h = sw.agent_handle("a")
    with pytest.raises(SwitchError) as info:
        action(sw, h)
    assert info.value.lineerr is lineerr
    assert info.value.message and lineerr.name in str(info.value)
    assert sw.take_events() == []


def test_session_pin_absent_is_accepted_and_right_pin_works():
    sw = make(agent("a", pin="1234"))
    h = sw.agent_handle("a")
    # two groups: one live session per agent and group (wire-protocol §7.1)
    assert sw.create_session(h, None, 0, 0, SALES, 0) != sw.create_session(h, "1234", 1, 0, SUPPORT, 0)


def test_agent_state_derives_from_sessions():
    sw = make(agent("a", delay=1, wrapup=2))
    h = sw.agent_handle("a")
    assert sw.agent_info(h, 0).state is AgentStateEx.RELEASED
    s1 = sw.create_session(h, None, 0, 0, SALES, 0)
    assert sw.agent_info(h, 0).state is AgentStateEx.NOTREADY
    s2 = sw.create_session(h, None, 1, 0, SUPPORT, 0)
    sw.set_session_state(s2, S.READY, 0, 1)
    assert sw.agent_info(h, 1).state is AgentStateEx.READY
    sw.offer_call(SUPPORT, 3, 2)
    assert sw.agent_info(h, 2.5).state is AgentStateEx.BUSYACD  # ringing
    assert sw.agent_info(h, 6.5).state is AgentStateEx.BUSYACD  # wrap-up (hang-up at 6)
    assert sw.agent_info(h, 8).state is AgentStateEx.READY
    sw.set_session_state(s2, S.ENDED, 0, 9)
    assert sw.agent_info(h, 9).state is AgentStateEx.NOTREADY
    sw.set_session_state(s1, S.ENDED, 0, 9)
    assert sw.agent_info(h, 9).state is AgentStateEx.RELEASED


def test_groups_and_queues_lookup():
    sw = make()
    assert [(g.group_id, g.name, g.queue_id) for g in sw.group_list()] == [(SALES, "Sales", 1), (SUPPORT, "Support", 2)]
    assert sw.group_by_name("Support").group_id == SUPPORT and sw.group_by_name("x") is None
    assert sw.group_by_id(SALES).name == "Sales" and sw.group_by_id(uuid.UUID(int=1)) is None
    assert [(q.queue_id, q.name) for q in sw.queue_list(SUPPORT)] == [(2, "Support")]


# --------------------------------------------------------------------------------------------------
# Time and determinism
# --------------------------------------------------------------------------------------------------


def test_time_cannot_go_backwards():
    sw = make()
    sw.advance(10)
    with pytest.raises(ValueError, match="backwards"):
        sw.advance(9.5)
    with pytest.raises(ValueError):
        sw.advance(float("inf"))
    assert sw.now == 10


def test_chunking_does_not_change_the_random_run():
    def run(steps: list[float]) -> list[tuple[float, list[SessionEvent]]]:
        sw = SessionView(default_scenario())
        out = []
        for t in steps:
            out.extend(sw.advance(t))
        return out, sw.queue_info(1, steps[-1]), sw.processed_events

    one = run([1800.0])
    many = run([i * 0.7 for i in range(1, 2572)] + [1800.0])
    assert one == many
    assert len(one[0]) > 200 and one[1].total_calls_queued > 50


def test_seed_changes_the_run_and_next_due_is_monotonic():
    a = SessionView(default_scenario())
    b = SessionView(parse_scenario(HEAD.replace("seed = 3", "seed = 4") + (
        '[[traffic]]\ngroup = "Sales"\nrate = 60\ntalk_mean = 30\n')))
    c = SessionView(parse_scenario(HEAD + '[[traffic]]\ngroup = "Sales"\nrate = 60\ntalk_mean = 30\n'))
    assert b.next_due() != c.next_due()
    last = 0.0
    for _ in range(200):
        due = a.next_due()
        assert due is not None and due >= last
        a.advance(due)
        last = due


def test_nothing_happens_without_advance():
    sw = make(GOLDEN)
    assert sw.take_events() == [] and sw.now == 0
    assert sw.next_due() == 0


def test_advancing_to_next_due_always_makes_progress_centuries_ahead() -> None:
    """Past 2**53 us (~285 years) a float of seconds cannot hold every microsecond: ``advance(next_due())``
    must still process the event next_due() named (it did not, and a sliced EmuAdvanceClock spun forever)."""
    sw = make(agent("anna", delay=1, wrapup=2, sessions=session()))
    now = 0.0
    for step in range(600):
        now += float(0xFFFFFFFF)
        sw.advance(now)
        sw.offer_call(SALES, 1, now)
        for _ in range(20):  # offer -> answer -> talk end -> wrap-up end: a handful of instants
            due = sw.next_due()
            if due is None or due > now + 100:
                break
            sw.advance(due)
            after = sw.next_due()
            assert after is None or after > due, f"step {step}: advance({due!r}) left the event due at {after!r}"
        else:
            pytest.fail(f"step {step}: the call's events never ran out at switch time {now!r}")
    assert now > 2**53 / 1e6


def test_asking_again_at_the_instant_just_reached_is_not_going_backwards_centuries_ahead() -> None:
    """Past 2**53 us an event processed by ``advance(next_due())`` may sit a few microseconds after what
    that float rounds to; asking the switch again at the very same float instant (as every request does)
    is not time going backwards (it was: the fuzz campaign's server answered every later request with
    OPERATIONFAILED once its manual clock had been moved ~160,000 years ahead)."""
    sw = make(agent("anna", delay=1, wrapup=2, sessions=session()))
    hagent = sw.agent_handles()[0]
    now = 5_070_373_417_069.438
    sw.advance(now)
    for _ in range(200):
        sw.offer_call(SALES, 12, now)
        for _ in range(8):
            due = sw.next_due()
            if due is None:
                break
            sw.advance(due)
            sw.agent_info(hagent, due)  # the same instant again: must not raise
            sw.session_list(hagent, due)
        now = sw.now + 0.3
        sw.advance(now)
    # (Without the model's same-instant rule this raised "time went backwards" within the first calls.)
    with pytest.raises(ValueError, match="backwards"):
        sw.advance(sw.now - 1.0)
