"""The session lifecycle table (tsp/lifecycle.py) drives the model and describes every event it emits."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.constants import AgentSessionState as S
from protocol.constants import AgentSessionStatus as St
from tsp import lifecycle
from tsp.lifecycle import NEW, PENDING, REQUESTABLE, TABLE, Trigger
from tsp.model import SessionEvent, Switch, plan_state_request

from model_ops import G, SCENARIO, apply, op
import attrs

# groups with extensions (Redirect's destination): built directly, the scenario keys are parsed elsewhere
SCENARIO_EXT = attrs.evolve(
    SCENARIO, groups=tuple(attrs.evolve(g, extension=str(100 * (i + 1))) for i, g in enumerate(SCENARIO.groups))
)


def rows_matching(previous, event):
    """The table rows that explain ``event`` of a session whose state was ``previous``."""
    return [
        key for key, (nxt, bits) in TABLE.items()
        if key[0] is previous and bits == event.status
        and (nxt is event.state or (nxt is PENDING and event.state in REQUESTABLE))
    ]


class Tracker:
    """Follows each session's state through the events alone and checks each event against TABLE."""

    def __init__(self) -> None:
        self.state: dict[int, S | None] = {}
        self.used: set = set()

    def feed(self, events) -> None:
        for e in events:
            if not isinstance(e, SessionEvent):
                continue  # agent, queue and call events: test_model_calls.py
            previous = self.state.get(e.hagent_session, NEW)
            found = rows_matching(previous, e)
            # Some rows give the same event (ANSWER and a next-state change while BUSYONCALL: UPDATEINFO;
            # RETURN and REDIRECT into NOTREADY): at least one row.
            assert found, f"{e} after {previous}: no row"
            self.used.update(found)
            self.state[e.hagent_session] = e.state


@settings(max_examples=150, deadline=None)
@given(st.lists(op, max_size=40))
def test_every_event_is_one_row_of_the_table(ops):
    sw = Switch(SCENARIO)
    tracker = Tracker()
    t = 0.0
    for item in ops:
        t, _ = apply(sw, item, t, sorted(tracker.state))
        tracker.feed(sw.advance(t))
        for h, state in tracker.state.items():  # the events tell the whole story
            assert sw.session_info(h, t).state is state


def run_every_row() -> Tracker:
    """One run that needs every row of the table (a READY scripted session, both offers, both hang-ups,
    a pending next state, every request)."""
    sw = Switch(SCENARIO)
    tracker = Tracker()
    slow, fast, mid = (sw.agent_handle(a) for a in ("slow", "fast", "mid"))
    tracker.feed(sw.advance(5))  # scripted READY session of "slow" at t = 4
    s_fast = sw.create_session(fast, None, 0, 0, G[1], 5)
    s_mid = sw.create_session(mid, None, 1, 0, G[1], 5)
    sw.set_session_state(s_fast, S.READY, 0, 5)
    sw.offer_call(G[1], 2, 6)  # fast: offered and answered at once, no wrap-up: hang-up to READY
    sw.set_session_state(s_fast, S.NOTREADY, 0, 9)
    sw.set_session_state(s_mid, S.READY, 0, 9)
    sw.offer_call(G[1], 2, 10)  # mid: offer, answer after 1.5, hang-up to wrap-up, ...
    sw.set_session_state(s_mid, 0, S.NOTREADY, 10.5)  # ... stored: wrap-up ends in NOTREADY
    tracker.feed(sw.advance(20))
    sw.set_session_state(s_mid, S.ENDED, 0, 20)  # NOTREADY -> ENDED
    scripted = next(h for h in tracker.state if h not in (s_fast, s_mid))
    sw.set_session_state(scripted, S.ENDED, 0, 21)  # READY -> ENDED
    tracker.feed(sw.advance(22))
    # 1.1 rows: next state alone while NOTREADY / READY / in wrap-up, reject (RETURN), Redirect
    s_slow = sw.create_session(slow, None, 0, 0, G[1], 22)
    sw.set_session_state(s_fast, 0, S.READY, 22)  # NOTREADY: next state alone
    sw.set_session_state(s_slow, S.READY, 0, 22)
    sw.set_session_state(s_slow, 0, S.NOTREADY, 22)  # READY: next state alone
    sw.offer_call(G[1], 1, 23)  # slow: rings (answer after 3)
    (call,) = sw.calls_on_line(0)
    sw.drop_call(call, 24)  # reject: back to the queue, slow NOTREADY
    tracker.feed(sw.advance(24))
    sw.set_session_state(s_fast, S.READY, 0, 24)  # fast takes it, talks 1 s
    tracker.feed(sw.advance(30))
    other = Switch(SCENARIO_EXT)
    h = other.create_session(other.agent_handle("slow"), None, 0, 0, G[0], 0)
    other.set_session_state(h, S.READY, 0, 0)
    other.offer_call(G[0], 5, 1)
    other.redirect(other.calls_on_line(0)[0], "200", 2)
    other.offer_call(G[0], 5, 3)
    other.set_session_state(h, 0, S.READY, 12)  # in wrap-up (11..18): next state alone
    for e in other.advance(40):
        if isinstance(e, SessionEvent):
            e = SessionEvent(e.hagent_session + 1000, *e[1:])  # a separate switch: its own handles
        tracker.feed([e])
    return tracker


def test_one_run_uses_every_row():
    assert run_every_row().used == set(TABLE)


def test_the_model_takes_its_bits_and_states_from_the_table(monkeypatch):
    rows = lifecycle.rows(Trigger.ANSWER)
    monkeypatch.setitem(rows, S.BUSYONCALL, lifecycle.Transition(S.BUSYONCALL, St.UPDATEINFO | St.STATE))
    sw = Switch(SCENARIO)
    sw.advance(5)
    s = sw.create_session(sw.agent_handle("slow"), None, 0, 0, G[1], 5)
    sw.set_session_state(s, S.READY, 0, 5)
    sw.offer_call(G[1], 10, 5)
    assert [e.status for e in sw.advance(8) if isinstance(e, SessionEvent) and e.hagent_session == s][-1] \
        == St.UPDATEINFO | St.STATE
    monkeypatch.setitem(lifecycle.rows(Trigger.WRAPUP_END), S.BUSYWRAPUP, lifecycle.Transition(S.NOTREADY, St.STATE))
    assert [(e.status, e.state) for e in sw.advance(30) if isinstance(e, SessionEvent) and e.hagent_session == s][-1] \
        == (St.STATE, S.NOTREADY)


def test_a_change_the_table_lacks_is_a_bug(monkeypatch):
    monkeypatch.delitem(lifecycle.rows(Trigger.REQUEST_NOTREADY), S.READY)
    sw = Switch(SCENARIO)
    s = sw.create_session(sw.agent_handle("fast"), None, 0, 0, G[1], 0)
    sw.set_session_state(s, S.READY, 0, 0)
    with pytest.raises(KeyError, match="REQUEST_NOTREADY from READY"):
        sw.set_session_state(s, S.NOTREADY, 0, 1)


@pytest.mark.parametrize(
    ("agent", "trigger", "state"),
    [
        ("slow", Trigger.OFFER, S.READY), ("slow", Trigger.ANSWER, S.BUSYONCALL),
        ("slow", Trigger.HANGUP_TO_WRAPUP, S.BUSYONCALL), ("slow", Trigger.WRAPUP_END, S.BUSYWRAPUP),
        ("fast", Trigger.OFFER_ANSWERED, S.READY), ("fast", Trigger.HANGUP, S.BUSYONCALL),
    ],
)
def test_a_call_step_the_table_lacks_is_a_bug(monkeypatch, agent, trigger, state):
    monkeypatch.delitem(lifecycle.rows(trigger), state)
    sw = Switch(SCENARIO)
    s = sw.create_session(sw.agent_handle(agent), None, 0, 0, G[1], 0)
    sw.set_session_state(s, S.READY, 0, 0)
    with pytest.raises(KeyError, match=f"{trigger.name} from {state.name}"):
        sw.offer_call(G[1], 5, 1)
        sw.advance(30)


@pytest.mark.parametrize("current", [S.NOTREADY, S.READY])
@pytest.mark.parametrize("wanted", sorted(REQUESTABLE))
def test_every_request_that_enters_a_state_has_its_row(current, wanted):
    enter, _ = plan_state_request(current, wanted, 0, 0)
    if wanted is current:
        assert enter is None
    else:
        assert TABLE[(current, lifecycle.request_trigger(wanted))].next is enter is wanted


def test_docs_show_the_table():
    text = (Path(__file__).parents[2] / "docs" / "scenarios.md").read_text(encoding="utf-8")
    assert lifecycle.render_table() in text
    assert lifecycle.render_call_table() in text
