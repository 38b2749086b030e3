"""Scenario keys of 1.1 (wire-protocol §7, §8.2, §9): every key parses into its field, every bad value is
a ScenarioError naming the file, the key path and the line (the line marked ``# <-`` in each case)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from protocol.constants import AgentSessionState
from tsp import scenario_v11
from tsp.scenario import ScenarioError, parse_scenario

SALES = uuid.UUID("5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b")
SUPPORT = uuid.UUID("8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
REPO = Path(__file__).resolve().parents[2]

BASE = """\
[switch]
lines = 4
{switch}

[[groups]]
id = "5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b"
name = "Sales"
{sales}

[[groups]]
id = "8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
name = "Support"
{support}

[[activities]]
id = 1
name = "Break"
{activity}

[[agents]]
id = "1001"
{agent}

[[agents.sessions]]
group = "Sales"
at = 60
{session}

{tail}
"""
PARTS = ("switch", "sales", "support", "activity", "agent", "session", "tail")


def text(**parts: str) -> str:
    return BASE.format(**{k: parts.get(k, "") for k in PARTS})


def test_every_1_1_key_parses_into_its_field() -> None:
    sc = parse_scenario(
        text(
            switch="ring_timeout = 20\nmeasurement_period = 900\noutbound_answer = 3.5",
            sales='overflow_after = 45\noverflow_to = "8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"\nextension = "2001"',
            support='extension = "*2002#"',
            activity='[[activities]]\nid = 7\nname = "Lunch"',
            agent='answer = "app"\nhome = { line = 2, address = 0 }',
            session="""changes = [
  { at = 3600, state = "NOTREADY", activity = "Break" },
  { at = 4500, state = "READY" },
  { at = 5000, state = "NOTREADY", activity = 7 },
  { at = 28800, state = "ENDED" },
]""",
            tail="""
[[agents]]
id = "1002"
answer = "never"

[[calls]]
at = 5
group = "Sales"
talk = 60
patience = 30
ani = "+4930123456"
dnis = "08001234"
uui = "order 4711"

[[traffic]]
group = "Support"
profile = [ { at = 0, rate = 20 }, { at = 7200, rate = 0 }, { at = 9000, rate = 60.5 } ]
repeat = 86400
talk_mean = 180
talk_dist = "lognormal"
talk_sd = 120
patience_mean = 90
patience_dist = "fixed"
ani = "+4930######"
dnis = "2002"
uui = "web"

[[traffic]]
group = "Sales"
rate = 40
talk_mean = 100
talk_dist = "gamma"
talk_sd = 50
""",
        )
    )
    sw = sc.switch
    assert (sw.ring_timeout, sw.measurement_period, sw.outbound_answer) == (20.0, 900.0, 3.5)
    sales, support = sc.groups
    assert (sales.overflow_after, sales.overflow_to, sales.extension) == (45.0, SUPPORT, "2001")
    assert (support.overflow_after, support.overflow_to, support.extension) == (None, None, "*2002#")
    assert [(a.id, a.name) for a in sc.activities] == [(1, "Break"), (7, "Lunch")]
    anna, bob = sc.agents
    assert (anna.answer, anna.home, bob.answer, bob.home) == ("app", (2, 0), "never", None)
    changes = anna.sessions[0].changes
    assert [(c.at, c.state, c.activity) for c in changes] == [
        (3600.0, AgentSessionState.NOTREADY, 1),
        (4500.0, AgentSessionState.READY, None),
        (5000.0, AgentSessionState.NOTREADY, 7),
        (28800.0, AgentSessionState.ENDED, None),
    ]
    (call,) = sc.calls
    assert (call.patience, call.ani, call.dnis, call.uui) == (30.0, "+4930123456", "08001234", "order 4711")
    profiled, flat = sc.traffic
    assert profiled.rate == 0.0 and profiled.profile == ((0.0, 20.0), (7200.0, 0.0), (9000.0, 60.5))
    assert (profiled.repeat, profiled.talk_dist, profiled.talk_sd) == (86400.0, "lognormal", 120.0)
    assert (profiled.patience_mean, profiled.patience_dist) == (90.0, "fixed")
    assert (profiled.ani, profiled.dnis, profiled.uui) == ("+4930######", "2002", "web")
    assert (flat.rate, flat.profile, flat.repeat, flat.talk_dist, flat.talk_sd) == (40.0, (), None, "gamma", 50.0)
    assert (flat.patience_mean, flat.ani, flat.dnis, flat.uui) == (None, None, None, None)


def test_1_0_defaults_when_the_keys_are_absent() -> None:
    sc = parse_scenario(text(tail='[[traffic]]\ngroup = "Sales"\nrate = 10\ntalk_mean = 60'))
    assert (sc.switch.ring_timeout, sc.switch.measurement_period, sc.switch.outbound_answer) == (0.0, 0.0, 5.0)
    assert all(g.overflow_to is None and g.overflow_after is None and g.extension is None for g in sc.groups)
    agent = sc.agents[0]
    assert (agent.answer, agent.home, agent.sessions[0].changes) == ("auto", None, ())
    (t,) = sc.traffic
    assert (t.profile, t.repeat, t.talk_dist, t.talk_sd, t.patience_mean, t.patience_dist) == (
        (), None, "exponential", 0.0, None, "exponential",
    )


def test_overflow_chain_without_a_cycle_is_fine() -> None:
    third = '[[groups]]\nid = "c0ffee00-1234-4abc-9def-0123456789ab"\nname = "Billing"\noverflow_after = 10\noverflow_to = "Sales"'
    sc = parse_scenario(
        text(sales='overflow_after = 60\noverflow_to = "Support"', tail=third)
    )
    assert [g.overflow_to for g in sc.groups] == [SUPPORT, None, SALES]


CASES = [
    # [switch]
    ("ring_timeout", dict(switch="ring_timeout = -1  # <-"), "switch.ring_timeout", "must be >= 0, got -1"),
    ("measurement_period", dict(switch='measurement_period = "60"  # <-'), "switch.measurement_period", "must be a number"),
    ("outbound_answer", dict(switch="outbound_answer = nan  # <-"), "switch.outbound_answer", "finite"),
    ("switch unknown", dict(switch="ring_timeot = 3  # <-"), "switch.ring_timeot", "unknown key 'ring_timeot'"),
    # [[groups]]
    ("overflow_after alone", dict(sales="overflow_after = 30  # <-"), "groups[0].overflow_after", "needs overflow_to"),
    ("overflow_to alone", dict(sales='overflow_to = "Support"  # <-'), "groups[0].overflow_to", "needs overflow_after"),
    ("overflow_after < 0", dict(sales='overflow_after = -5  # <-\noverflow_to = "Support"'), "groups[0].overflow_after", ">= 0"),
    ("overflow unknown", dict(sales='overflow_after = 30\noverflow_to = "Nowhere"  # <-'), "groups[0].overflow_to",
     "unknown group 'Nowhere' (groups: Sales, Support)"),
    ("overflow self", dict(sales='overflow_after = 30\noverflow_to = "5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b"  # <-'),
     "groups[0].overflow_to", "group 'Sales' cannot overflow to itself"),
    ("overflow cycle", dict(sales='overflow_after = 30\noverflow_to = "Support"  # <-',
                            support='overflow_after = 30\noverflow_to = "Sales"'),
     "groups[0].overflow_to", "overflow rules form a cycle: Sales -> Support -> Sales"),
    ("overflow cycle of three", dict(
        sales='overflow_after = 30\noverflow_to = "Billing"  # <-',
        support='overflow_after = 30\noverflow_to = "Sales"',
        tail='[[groups]]\nid = "c0ffee00-1234-4abc-9def-0123456789ab"\nname = "Billing"\n'
             'overflow_after = 5\noverflow_to = "Support"'),
     "groups[0].overflow_to", "cycle: Sales -> Billing -> Support -> Sales"),
    ("extension duplicate", dict(sales='extension = "2001"', support='extension = "2001"  # <-'),
     "groups[1].extension", "duplicate group extension '2001' (also groups[0])"),
    ("extension letters", dict(sales='extension = "20a1"  # <-'), "groups[0].extension", "dialable number"),
    ("extension integer", dict(sales="extension = 2001  # <-"), "groups[0].extension", "must be a string"),
    ("extension too long", dict(sales=f'extension = "{"1" * 33}"  # <-'), "groups[0].extension", "at most 32 characters"),
    # [[activities]]
    ("activity id duplicate", dict(activity='[[activities]]\nid = 1  # <-\nname = "Lunch"'), "activities[1].id",
     "duplicate activity id 1 (also activities[0])"),
    ("activity name duplicate", dict(activity='[[activities]]\nid = 2\nname = "Break"  # <-'), "activities[1].name",
     "duplicate activity name 'Break'"),
    ("activity id negative", dict(activity='[[activities]]\nid = -1  # <-\nname = "Lunch"'), "activities[1].id", "in 0..4294967295"),
    ("activity without name", dict(activity="[[activities]]  # <-\nid = 2"), "activities[1]", "missing required key 'name'"),
    # [[agents]]
    ("answer", dict(agent='answer = "sometimes"  # <-'), "agents[0].answer", "must be one of 'auto', 'app', 'never'"),
    ("home line", dict(agent="home = { line = 9, address = 0 }  # <-"), "agents[0].home.line", "must be in 0..3, got 9"),
    ("home address", dict(agent="home = { line = 1, address = 1 }  # <-"), "agents[0].home.address", "must be in 0..0"),
    ("home key", dict(agent="home = { line = 1, station = 2 }  # <-"), "agents[0].home.station", "unknown key 'station'"),
    ("home table", dict(agent="home = 3  # <-"), "agents[0].home", "must be a table"),
    ("home shared", dict(agent="home = { line = 1 }", tail='[[agents]]\nid = "1002"\nhome = { line = 1, address = 0 }  # <-'),
     "agents[1].home", "line 1 address 0 is already the home of agents[0]"),
    # [[agents.sessions]] changes
    ("changes decreasing", dict(session='changes = [\n  { at = 100, state = "NOTREADY" },\n  { at = 99, state = "READY" },  # <-\n]'),
     "agents[0].sessions[0].changes[1].at", "must not be before the previous change's at (100): got 99"),
    ("changes before session", dict(session='changes = [ { at = 30, state = "READY" } ]  # <-'),
     "agents[0].sessions[0].changes[0].at", "must not be before the session's own at: got 30 < 60"),
    ("changes state", dict(session='changes = [ { at = 70, state = "BUSYACD" } ]  # <-'),
     "agents[0].sessions[0].changes[0].state", "must be one of 'NOTREADY', 'READY', 'ENDED'"),
    ("changes no state", dict(session='changes = [\n  { at = 70, activity = "Break" },  # <-\n]'),
     "agents[0].sessions[0].changes[0]", "missing required key 'state'"),
    ("changes activity", dict(session='changes = [ { at = 70, state = "NOTREADY", activity = "Lunch" } ]  # <-'),
     "agents[0].sessions[0].changes[0].activity", "unknown activity 'Lunch' (activities: Break)"),
    ("changes activity id", dict(session='changes = [ { at = 70, state = "NOTREADY", activity = 9 } ]  # <-'),
     "agents[0].sessions[0].changes[0].activity", "unknown activity 9"),
    ("changes after ENDED", dict(session='changes = [\n { at = 70, state = "ENDED" },\n { at = 80, state = "READY" }, # <-\n]'),
     "agents[0].sessions[0].changes[1]", "the session has ENDED at 70 s (changes[0]); nothing can follow"),
    ("changes not an array", dict(session="changes = 5  # <-"), "agents[0].sessions[0].changes", "must be an array of tables"),
    ("changes key", dict(session='changes = [ { at = 70, state = "READY", reason = 3 } ]  # <-'),
     "agents[0].sessions[0].changes[0].reason", "unknown key 'reason'"),
    # [[calls]]
    ("patience", dict(tail='[[calls]]\nat = 1\ngroup = "Sales"\ntalk = 5\npatience = -1  # <-'), "calls[0].patience", ">= 0"),
    ("call ani", dict(tail='[[calls]]\nat = 1\ngroup = "Sales"\ntalk = 5\nani = "030-123"  # <-'), "calls[0].ani", "'+' and digits"),
    ("call ani template", dict(tail='[[calls]]\nat = 1\ngroup = "Sales"\ntalk = 5\nani = "+49##"  # <-'), "calls[0].ani",
     "'+' and digits"),
    ("call dnis", dict(tail='[[calls]]\nat = 1\ngroup = "Sales"\ntalk = 5\ndnis = "sales"  # <-'), "calls[0].dnis", "dialable"),
    ("call uui", dict(tail=f'[[calls]]\nat = 1\ngroup = "Sales"\ntalk = 5\nuui = "{"x" * 1025}"  # <-'), "calls[0].uui",
     "at most 1024 characters, got 1025"),
    # [[traffic]]
    ("rate and profile", dict(tail='[[traffic]]\ngroup = "Sales"\nrate = 5\nprofile = [ { at = 0, rate = 5 } ]  # <-\ntalk_mean = 60'),
     "traffic[0].profile", "either rate or profile, not both"),
    ("neither", dict(tail='[[traffic]]  # <-\ngroup = "Sales"\ntalk_mean = 60'), "traffic[0]", "missing required key 'rate' (or 'profile')"),
    ("profile start", dict(tail='[[traffic]]\ngroup = "Sales"\nprofile = [ { at = 10, rate = 5 } ]  # <-\ntalk_mean = 60'),
     "traffic[0].profile[0].at", "the first at must be 0"),
    ("profile order", dict(tail='[[traffic]]\ngroup = "Sales"\nprofile = [\n  { at = 0, rate = 5 },\n  { at = 600, rate = 9 },\n'
                                 '  { at = 600, rate = 1 },  # <-\n]\ntalk_mean = 60'),
     "traffic[0].profile[2].at", "must be greater than the previous at (600), got 600"),
    ("profile rate", dict(tail='[[traffic]]\ngroup = "Sales"\nprofile = [\n  { at = 0, rate = 5 },\n  { at = 60, rate = -1 },  # <-\n]\n'
                                'talk_mean = 60'),
     "traffic[0].profile[1].rate", ">= 0, got -1"),
    ("profile empty", dict(tail='[[traffic]]\ngroup = "Sales"\nprofile = []  # <-\ntalk_mean = 60'), "traffic[0].profile", "non-empty"),
    ("profile key", dict(tail='[[traffic]]\ngroup = "Sales"\nprofile = [ { at = 0, calls = 5 } ]  # <-\ntalk_mean = 60'),
     "traffic[0].profile[0].calls", "unknown key 'calls'"),
    ("repeat", dict(tail='[[traffic]]\ngroup = "Sales"\nprofile = [ { at = 0, rate = 5 }, { at = 3600, rate = 1 } ]\n'
                         'repeat = 3600  # <-\ntalk_mean = 60'),
     "traffic[0].repeat", "must be greater than the last profile at (3600), got 3600"),
    ("repeat with rate", dict(tail='[[traffic]]\ngroup = "Sales"\nrate = 5\nrepeat = 3600  # <-\ntalk_mean = 60'),
     "traffic[0].repeat", "only applies with a profile"),
    ("talk_dist", dict(tail='[[traffic]]\ngroup = "Sales"\nrate = 5\ntalk_mean = 60\ntalk_dist = "normal"  # <-'),
     "traffic[0].talk_dist", "must be one of 'exponential', 'lognormal', 'gamma', 'fixed'; got 'normal'"),
    ("talk_sd missing", dict(tail='[[traffic]]  # <-\ngroup = "Sales"\nrate = 5\ntalk_mean = 60\ntalk_dist = "lognormal"'),
     "traffic[0]", "missing required key 'talk_sd'"),
    ("talk_sd zero", dict(tail='[[traffic]]\ngroup = "Sales"\nrate = 5\ntalk_mean = 60\ntalk_dist = "gamma"\ntalk_sd = 0  # <-'),
     "traffic[0].talk_sd", "must be > 0, got 0"),
    ("talk_sd exponential", dict(tail='[[traffic]]\ngroup = "Sales"\nrate = 5\ntalk_mean = 60\ntalk_sd = 9  # <-'),
     "traffic[0].talk_sd", "only applies to talk_dist \"lognormal\" or \"gamma\" (this one is 'exponential')"),
    ("patience_mean", dict(tail='[[traffic]]\ngroup = "Sales"\nrate = 5\ntalk_mean = 60\npatience_mean = 0  # <-'),
     "traffic[0].patience_mean", "must be > 0"),
    ("patience_dist alone", dict(tail='[[traffic]]\ngroup = "Sales"\nrate = 5\ntalk_mean = 60\npatience_dist = "fixed"  # <-'),
     "traffic[0].patience_dist", "needs patience_mean"),
    ("patience_dist", dict(tail='[[traffic]]\ngroup = "Sales"\nrate = 5\ntalk_mean = 60\npatience_mean = 9\npatience_dist = "weibull"  # <-'),
     "traffic[0].patience_dist", "must be one of 'exponential', 'fixed'"),
    ("traffic ani", dict(tail='[[traffic]]\ngroup = "Sales"\nrate = 5\ntalk_mean = 60\nani = "+49 30 ####"  # <-'),
     "traffic[0].ani", "'+', digits and '#'"),
    ("traffic dnis", dict(tail='[[traffic]]\ngroup = "Sales"\nrate = 5\ntalk_mean = 60\ndnis = ""  # <-'),
     "traffic[0].dnis", "must not be empty"),
    ("traffic unknown", dict(tail='[[traffic]]\ngroup = "Sales"\nrate = 5\ntalk_mean = 60\npatience = 5  # <-'),
     "traffic[0].patience", "unknown key 'patience'"),
    ("two sessions in one group", dict(tail='[[agents.sessions]]\ngroup = "Sales"  # <-\nline = 1\nat = 120'),
     "agents[0].sessions[1].group",
     "agent '1001' already has a session in this group (agents[0].sessions[0]): one session per agent and group"),
    ("two sessions in one group, the first ENDED", dict(
        session='changes = [ { at = 90, state = "ENDED" } ]',
        tail='[[agents.sessions]]\ngroup = "5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b"  # <-\nat = 120'),
     "agents[0].sessions[1].group", "already has a session in this group"),
]


def test_sessions_of_one_agent_in_two_groups_are_fine() -> None:
    sc = parse_scenario(text(tail='[[agents.sessions]]\ngroup = "Support"\nline = 1'), filename="day.toml")
    assert [s.group for s in sc.agents[0].sessions] == [SALES, SUPPORT]


@pytest.mark.parametrize(("parts", "key", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_1_1_values_name_file_key_and_line(parts: dict, key: str, reason: str) -> None:
    src = text(**parts)
    marked = [i for i, line in enumerate(src.splitlines(), start=1) if "# <-" in line]
    assert len(marked) == 1
    with pytest.raises(ScenarioError) as info:
        parse_scenario(src, filename="day.toml")
    err = info.value
    assert err.filename == "day.toml"
    assert err.key == key
    assert reason in err.reason
    assert err.line == marked[0], (err.line, marked[0], str(err))
    assert str(err).startswith(f"day.toml:{marked[0]}: {key}: ")
    assert "\n" not in str(err)


def test_docs_list_every_1_1_key() -> None:
    doc = (REPO / "docs" / "scenarios.md").read_text(encoding="utf-8")
    keys = set(scenario_v11.SWITCH_KEYS + scenario_v11.GROUP_KEYS + scenario_v11.AGENT_KEYS + scenario_v11.SESSION_KEYS
               + scenario_v11.CALL_KEYS + scenario_v11.TRAFFIC_KEYS) | {"activities", "home.line", "home.address"}
    rows = set(re.findall(r"^\| `([^`]+)`", doc, flags=re.M))
    missing = sorted(k for k in keys if k not in rows)
    assert not missing, f"docs/scenarios.md has no table row for {missing}"
