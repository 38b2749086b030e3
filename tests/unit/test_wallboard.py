"""The wallboard model: what it shows for given group lists, queue infos, session infos and events.

No terminal, no trio: infos are simple stand-ins carrying the attribute names of protocol.structs.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from types import SimpleNamespace

import pytest
from rich.console import Console

from client.wallboard import (
    AnswerTracker,
    Roster,
    RosterAgent,
    WallboardModel,
    format_percent,
    format_seconds,
    render_board,
)
from protocol.constants import AgentSessionState as S
from protocol.constants import AgentSessionStatus as St

START = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.timezone.utc)
SALES = uuid.UUID("5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b")
SUPPORT = uuid.UUID("00000000-0000-4000-8000-000000000002")


def group(gid: uuid.UUID, name: str) -> SimpleNamespace:
    return SimpleNamespace(group_id=gid, name=name)


def entry(h: int, hagent: int, gid: uuid.UUID, address: int = 0) -> SimpleNamespace:
    return SimpleNamespace(hagent_session=h, hagent=hagent, group_id=gid, working_address_id=address)


def info(state: S = S.READY, *, at: int = 0, calls: int = 0, talk: int = 0, wrap: int = 0,
         avg_tta: int = 0, longest_tta: int = 0, next_state: int = 0, started: int = 0) -> SimpleNamespace:
    """A LINEAGENTSESSIONINFO stand-in: the switch's now is START + at seconds."""
    return SimpleNamespace(
        state=state, next_state=next_state,
        session_start_time=START + dt.timedelta(seconds=started), session_duration=at - started,
        number_of_calls=calls, total_talk_time=talk, average_talk_time=talk // calls if calls else 0,
        total_wrap_up_time=wrap, average_wrap_up_time=wrap // calls if calls else 0,
        total_call_time=talk + wrap, average_call_time=(talk + wrap) // calls if calls else 0,
        longest_time_to_answer=longest_tta, average_time_to_answer=avg_tta)


def queue(waiting: int, longest: int) -> SimpleNamespace:
    return SimpleNamespace(current_calls_queued=waiting, current_longest_wait_time=longest,
                           total_calls_queued=0, average_wait_time=0)


def event(h: int, status: St, state: int = 0) -> SimpleNamespace:
    return SimpleNamespace(hagent_session=h, status=status, state=state)


ROSTER = Roster((RosterAgent("1001", "1234"), RosterAgent("1002")), {str(SALES): 1, "support": 2})


def two_group_model() -> WallboardModel:
    m = WallboardModel(ROSTER)
    m.set_groups([group(SALES, "Sales"), group(SUPPORT, "Support")])
    m.set_sessions("1001", [entry(11, 1, SALES)])
    m.set_sessions("1002", [entry(12, 2, SUPPORT), entry(13, 2, SALES)])
    return m


# ------------------------------------------------------------------------------------------- roster

SCENARIO = """
[switch]
name = "x"
[[groups]]
id = "5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b"
name = "Sales"
queue = 7
[[agents]]
id = "1001"
pin = "1234"
[[agents]]
id = "1002"
"""


def test_roster_from_scenario_reads_agents_pins_and_queues() -> None:
    r = Roster.from_scenario_text(SCENARIO)
    assert r.agents == (RosterAgent("1001", "1234"), RosterAgent("1002", None))
    assert r.queue_for(SALES, "whatever") == 7
    assert r.queue_for(uuid.uuid4(), "SALES") == 7  # by name, case-insensitive
    assert r.queue_for(uuid.uuid4(), "Support") is None


@pytest.mark.parametrize("text, word", [("[[agents]]\npin='1'\n", "agents[0]"),
                                        ("[[groups]]\nname='a'\n", "groups[0]"),
                                        ("[[groups]\n", "TOML")])
def test_roster_errors_name_the_entry(text: str, word: str) -> None:
    with pytest.raises(ValueError, match=word.replace("[", r"\[")) as exc:
        Roster.from_scenario_text(text, "f.toml")
    assert "f.toml" in str(exc.value)


def test_roster_merge_adds_agents_once_and_overrides_queues() -> None:
    a = Roster((RosterAgent("1"),), {"sales": 1})
    b = Roster((RosterAgent("1", "9"), RosterAgent("2")), {"sales": 5})
    m = a.merged(b)
    assert [x.agent_id for x in m.agents] == ["1", "2"]
    assert m.queue_for(SALES, "Sales") == 5


# ---------------------------------------------------------------------------------- service level


def test_tracker_exact_when_longest_within_threshold() -> None:
    t = AnswerTracker(20)
    t.update(calls=3, average=5, longest=20)
    t.update(calls=5, average=8, longest=20)
    assert (t.within, t.beyond, t.estimated) == (5, 0, 0)


def test_tracker_new_longest_beyond_threshold_is_exact() -> None:
    t = AnswerTracker(20)
    t.update(calls=1, average=3, longest=3)
    t.update(calls=2, average=13, longest=24)  # the new call took 24 s
    assert (t.within, t.beyond, t.estimated) == (1, 1, 0)


@pytest.mark.parametrize("new_tta, within", [(2, True), (19, True), (20, True), (21, False), (30, False)])
def test_tracker_estimates_from_the_average_when_longest_unchanged(new_tta: int, within: bool) -> None:
    # Two calls so far: 40 s and 2 s (sum 42, average 21, longest 40); then one more with new_tta
    # (integer times, so the floors below are exact and the midpoint estimate is within 1 s).
    t = AnswerTracker(20)
    t.update(calls=2, average=21, longest=40)
    assert (t.within, t.beyond, t.estimated) == (1, 1, 1)
    total = 42 + new_tta
    t.update(calls=3, average=total // 3, longest=40)
    assert (t.within, t.beyond) == ((2, 1) if within else (1, 2))
    assert t.estimated == 2


def test_tracker_first_snapshot_with_history() -> None:
    t = AnswerTracker(20)
    t.update(calls=4, average=10, longest=31)  # one call took 31 s; the other three average ~3 s
    assert (t.within, t.beyond, t.estimated) == (3, 1, 3)


def test_tracker_counters_going_backwards_restart() -> None:
    t = AnswerTracker(20)
    t.update(calls=4, average=1, longest=2)
    t.update(calls=1, average=1, longest=1)
    assert (t.calls, t.within, t.beyond) == (1, 1, 0)


def test_threshold_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="-1"):
        WallboardModel(threshold=-1)


# ---------------------------------------------------------------------------------------- groups


def test_group_figures_from_queues_and_sessions() -> None:
    m = two_group_model()
    assert m.queue_ids() == [1, 2]
    m.update_queue(1, queue(waiting=3, longest=42))
    m.update_session(11, info(S.BUSYONCALL, at=600, calls=4, avg_tta=6, longest_tta=12, talk=400))
    m.update_session(13, info(S.READY, at=600, calls=2, avg_tta=30, longest_tta=35, talk=100))
    m.update_session(12, info(S.NOTREADY, at=600))
    b = m.board()
    sales, support = b.group("Sales"), b.group("Support")
    assert (sales.calls_waiting, sales.longest_wait, sales.queue_id) == (3, 42, 1)
    assert sales.answered == 6
    # 4 calls within (longest 12 <= 20); session 13: one call of 35 s beyond, the other estimated
    # at (30.5*2 - 35.5) = 25.5 s -> beyond.
    assert sales.within_threshold == 4
    assert sales.service_level == pytest.approx(4 / 6)
    assert sales.service_level_estimated == 1
    assert sales.average_time_to_answer == pytest.approx((6 * 4 + 30 * 2) / 6)
    assert (sales.ready, sales.on_call, sales.wrap_up, sales.not_ready) == (1, 1, 0, 0)
    # Support: queue 2 mapped by name but never read -> unknown, not zero; no calls -> no SL.
    assert (support.calls_waiting, support.longest_wait) == (None, None)
    assert (support.answered, support.service_level, support.average_time_to_answer) == (0, None, None)
    assert support.not_ready == 1


def test_group_order_follows_group_list_and_unknown_groups_appear() -> None:
    m = WallboardModel()
    other = uuid.UUID(int=99)
    m.set_groups([group(SUPPORT, "Support"), group(SALES, "Sales")])
    m.set_sessions("1", [entry(1, 1, other)])
    assert [g.name for g in m.board().groups] == ["Support", "Sales", str(other)]
    assert m.board().group("Support").queue_id is None


def test_ended_sessions_count_in_their_group() -> None:
    m = two_group_model()
    m.update_session(11, info(S.ENDED, at=300, calls=3, avg_tta=4, longest_tta=9))
    m.update_session(13, info(S.READY, at=900, calls=1, avg_tta=2, longest_tta=2))
    b = m.board()
    assert b.group("Sales").answered == 4
    assert b.group("Sales").service_level == 1.0
    # The ENDED session's start + duration is its end, not now: the switch time is the live one.
    assert b.switch_now == START + dt.timedelta(seconds=900)


# -------------------------------------------------------------------------------------- sessions


def test_session_row_figures() -> None:
    m = two_group_model()
    m.update_session(11, info(S.BUSYWRAPUP, at=700, calls=4, talk=1000, wrap=90, next_state=S.NOTREADY))
    row = m.board().session(11)
    assert (row.agent_id, row.group_name, row.state, row.next_state) == ("1001", "Sales", S.BUSYWRAPUP,
                                                                       S.NOTREADY)
    assert (row.calls, row.total_talk, row.average_talk, row.total_wrap_up, row.average_wrap_up) == (
        4, 1000, 250, 90, 22)
    assert row.has_info
    assert not m.board().session(12).has_info


def test_time_in_state_from_observed_change() -> None:
    m = two_group_model()
    m.update_session(11, info(S.READY, at=100))
    assert m.board().session(11).time_in_state == 0
    assert m.board().session(11).time_in_state_is_lower_bound
    m.update_session(11, info(S.READY, at=130))
    assert m.board().session(11).time_in_state == 30  # still a lower bound: READY before we looked
    m.update_session(11, info(S.BUSYONCALL, at=150, calls=1))
    m.update_session(11, info(S.BUSYONCALL, at=175, calls=1))
    row = m.board().session(11)
    assert (row.time_in_state, row.time_in_state_is_lower_bound) == (25, False)


def test_switch_now_is_the_latest_live_session_time_and_monotonic() -> None:
    m = two_group_model()
    m.update_session(11, info(S.READY, at=100))
    m.update_session(13, info(S.READY, at=160))
    m.update_session(11, info(S.READY, at=120))  # an older answer arriving late does not go back
    assert m.switch_now == START + dt.timedelta(seconds=160)
    assert m.board().session(11).time_in_state == 60


def test_state_event_shows_new_state_at_once_and_marks_stale() -> None:
    m = two_group_model()
    for h in (11, 12, 13):
        m.update_session(h, info(S.READY, at=50))
    assert m.stale_sessions() == []
    m.apply_event(event(11, St.STATE | St.UPDATEINFO, S.BUSYONCALL))
    m.apply_event(event(13, St.UPDATEINFO))
    assert m.stale_sessions() == [11, 13]
    row = m.board().session(11)
    assert (row.state, row.time_in_state, row.time_in_state_is_lower_bound) == (S.BUSYONCALL, 0, False)
    assert m.board().group("Sales").on_call == 1
    m.update_session(12, info(S.READY, at=53))
    assert m.board().session(11).time_in_state == 3  # dated at the switch time known at the event
    m.update_session(11, info(S.BUSYONCALL, at=58, calls=1))
    assert m.board().session(11).time_in_state == 0  # the first info after the event dates it
    m.update_session(11, info(S.BUSYONCALL, at=65, calls=1))
    assert m.board().session(11).time_in_state == 7
    assert m.stale_sessions() == [13]


def test_event_for_unknown_session_asks_for_session_lists() -> None:
    m = two_group_model()
    m.needs_session_lists = False
    m.apply_event(event(99, St.NEWSESSION | St.STATE, S.NOTREADY))
    assert m.needs_session_lists
    assert m.set_sessions("1001", [entry(11, 1, SALES), entry(99, 1, SALES)]) == [99]
    assert 99 in m.stale_sessions() and 11 in m.stale_sessions()  # 11 never read yet


def test_live_sessions_exclude_ended() -> None:
    m = two_group_model()
    m.update_session(12, info(S.ENDED, at=10))
    assert m.live_sessions() == [11, 13]


def test_info_for_unknown_session_is_ignored() -> None:
    m = two_group_model()
    m.update_session(77, info(S.READY, at=5))
    assert 77 not in m.known_sessions()


# ------------------------------------------------------------------------------------- rendering


@pytest.mark.parametrize("seconds, text", [(None, "-"), (0, "0:00"), (59.9, "0:59"), (61, "1:01"),
                                           (3600, "1:00:00"), (3725, "1:02:05")])
def test_format_seconds(seconds: float | None, text: str) -> None:
    assert format_seconds(seconds) == text


def test_format_percent() -> None:
    assert (format_percent(None), format_percent(0.8), format_percent(2 / 3)) == ("-", "80%", "67%")


def render_text(board, width: int = 140, **kw) -> str:
    console = Console(file=io.StringIO(), width=width, record=True, color_system=None)
    console.print(render_board(board, **kw))
    return console.export_text()


def test_rendered_frame_shows_the_key_figures() -> None:
    m = two_group_model()
    m.update_queue(1, queue(waiting=3, longest=75))
    m.update_session(11, info(S.BUSYONCALL, at=600, calls=4, avg_tta=6, longest_tta=12, talk=400, wrap=60))
    m.update_session(13, info(S.BUSYWRAPUP, at=600, calls=1, avg_tta=3, longest_tta=3, talk=130))
    m.update_session(12, info(S.ENDED, at=100))
    text = render_text(m.board(status="reconnecting (attempt 2)"))
    lines = text.splitlines()
    sales = next(line for line in lines if line.lstrip("│ ").startswith("Sales"))
    # waiting, longest wait 1:15, answered 5, SL 100%, average answer (6*4+3)/5 = 5.4 s -> 0:05
    for figure in ("3", "1:15", "5", "100%", "0:05"):
        assert f" {figure} " in sales, (figure, sales)
    agent = next(line for line in lines if line.lstrip("│ ").startswith("1001"))
    for figure in ("ON CALL", "4", "6:40", "1:40", "1:00", "0:15"):  # talk 400 s, avg 100, wrap 60, avg 15
        assert f" {figure} " in agent, (figure, agent)
    assert "WRAP-UP" in text and "SL 20s" in text
    assert "reconnecting (attempt 2)" in text
    assert "2026-11-26 09:10:00 UTC" in text
    assert "ENDED" not in text
    assert "ENDED" in render_text(m.board(), show_ended=True)


def test_rendered_next_state_and_estimate_markers() -> None:
    m = two_group_model()
    m.update_session(11, info(S.BUSYWRAPUP, at=60, calls=2, avg_tta=20, longest_tta=38,
                              next_state=S.NOTREADY))
    text = render_text(m.board())
    assert "WRAP-UP -> NOT READY" in text
    assert "~50%" in text  # one call beyond (38 s), one estimated within
    assert ">=0:00" in text


def test_empty_board_says_why_and_switch_time_is_labelled() -> None:
    """An emulator on another scenario: the built-in roster's agents have no sessions there, so the board
    says so and what to pass instead; the clock in the header is labelled as the switch's."""
    m = WallboardModel(Roster((RosterAgent("1001", "1234"), RosterAgent("1002"))))
    m.set_groups([SimpleNamespace(group_id=uuid.UUID(int=7), name="Helpdesk")])
    m.needs_session_lists = False  # the session lists were read: empty
    text = render_text(m.board())
    assert "no agent sessions" in text and "1001, 1002" in text and "--scenario" in text and "--agent" in text
    assert "queue ID unknown for Helpdesk" in text and "--queue" in text
    assert "switch time unknown" in text
    m2 = two_group_model()
    m2.update_session(11, info(S.READY, at=600))
    text2 = render_text(m2.board())
    assert "switch time 2026-11-26 09:10:00 UTC" in text2
    assert "no agent sessions" not in text2 and "no agents to watch" not in text2
    assert "no agents to watch" in render_text(WallboardModel(Roster()).board())


def test_abandoned_and_interval_per_group() -> None:
    m = two_group_model()
    q = queue(waiting=2, longest=30)
    q.total_calls_abandoned, q.measurement_period = 7, 1800
    m.update_queue(1, q)
    b = m.board()
    sales, support = b.group("Sales"), b.group("Support")
    assert (sales.abandoned, sales.interval) == (7, 1800)
    assert (support.abandoned, support.interval) == (None, None)  # never read: unknown, not zero
    text = render_text(b)
    line = next(row for row in text.splitlines() if row.lstrip("│ ").startswith("Sales"))
    assert " 7 " in line and " 30:00 " in line, line
    assert "Abandoned" in text and "Interval" in text
    other = next(row for row in text.splitlines() if row.lstrip("│ ").startswith("Support"))
    assert other.count(" - ") >= 4, other  # waiting, longest, abandoned, interval unknown
