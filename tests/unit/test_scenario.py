"""Scenario files: the example of wire-protocol §5 loads; every bad file names key and line."""

from __future__ import annotations

import datetime as dt
import textwrap
import uuid
from pathlib import Path

import pytest

from protocol.constants import AgentSessionState, LineErr
from tsp.scenario import (
    Fault,
    ScenarioError,
    Traffic,
    default_scenario,
    load_scenario,
    parse_scenario,
)

SALES = uuid.UUID("5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b")
REPO = Path(__file__).resolve().parents[2]

# The example of wire-protocol.md §5, verbatim apart from a second group.
SPEC_EXAMPLE = '''\
[switch]
name = "Demo ACD"
lines = 4                          # line devices 0..lines-1, one address (ID 0) each
start = "2026-11-26T09:00:00Z"     # clock start, UTC
seed = 7                           # random traffic is reproducible from this

[[groups]]
id = "5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b"   # GUID
name = "Sales"
queue = 1                          # dwQueueID

[[groups]]
id = "{11111111-2222-3333-4444-555555555555}"
name = "Support"
queue = 2

[[agents]]
id = "1001"                        # agent ID string used by CreateAgent
pin = "1234"                       # optional; CreateAgent/CreateAgentSession check it
answer_delay = 2                   # seconds from offer to answer (default 0)
wrapup = 30                        # seconds of wrap-up after each ACD call (default 0)

[[agents.sessions]]                # sessions that exist from the start
group = "Sales"                    # by name or GUID
line = 0
address = 0
state = "READY"                    # NOTREADY (default) or READY
at = 0                             # seconds after start (default 0)

[[agents.sessions]]
group = "11111111-2222-3333-4444-555555555555"
line = 3

[[agents]]
id = "1002"

[[calls]]                          # scripted calls
at = 10                            # arrival at the queue, seconds after start
group = "Sales"
talk = 120                         # talk seconds once answered

[[traffic]]                        # random Poisson traffic
group = "Sales"
rate = 30                          # calls per hour
talk_mean = 180                    # exponential talk time, seconds

[[faults]]                         # fault injection, applied in file order, first match wins
function = 149                     # Req_Func it applies to
mode = "delay"
seconds = 130                      # for "delay"
probability = 1.0                  # 0..1, drawn from the scenario's seed
after = 0                          # skip the first N matching requests

[[faults]]
function = 155
mode = "error"
error = "LINEERR_OPERATIONFAILED"  # for "error"
probability = 0.5
after = 2
'''


def test_spec_example_loads_with_every_value():
    sc = parse_scenario(SPEC_EXAMPLE, "spec.toml")
    assert sc.switch.name == "Demo ACD"
    assert sc.switch.lines == 4
    assert sc.switch.start == dt.datetime(2026, 11, 26, 9, tzinfo=dt.timezone.utc)
    assert sc.switch.seed == 7
    assert [(g.id, g.name, g.queue) for g in sc.groups] == [
        (SALES, "Sales", 1),
        (uuid.UUID("11111111-2222-3333-4444-555555555555"), "Support", 2),
    ]
    a, b = sc.agents
    assert (a.id, a.pin, a.answer_delay, a.wrapup) == ("1001", "1234", 2.0, 30.0)
    assert (b.id, b.pin, b.answer_delay, b.wrapup, b.sessions) == ("1002", None, 0.0, 0.0, ())
    s0, s1 = a.sessions
    assert (s0.group, s0.line, s0.address, s0.state, s0.at) == (SALES, 0, 0, AgentSessionState.READY, 0.0)
    assert (s1.group, s1.line, s1.state) == (sc.groups[1].id, 3, AgentSessionState.NOTREADY)
    assert [(c.at, c.group, c.talk) for c in sc.calls] == [(10.0, SALES, 120.0)]
    assert sc.traffic == (Traffic(group=SALES, rate=30.0, talk_mean=180.0),)
    assert sc.faults == (
        Fault(function=149, mode="delay", seconds=130.0, probability=1.0, after=0),
        Fault(function=155, mode="error", error=LineErr.OPERATIONFAILED, probability=0.5, after=2),
    )
    assert sc.group("Support") is sc.groups[1]
    assert sc.group(SALES) is sc.groups[0]
    assert sc.group("5F0C7D1E-3B7A-4C55-9A43-0C1D2E3F4A5B") is sc.groups[0]
    assert sc.group("Nobody") is None


def test_empty_file_gives_defaults():
    sc = parse_scenario("")
    assert sc.switch.lines == 4 and sc.switch.seed == 0 and sc.switch.start.tzinfo is not None
    assert sc.groups == sc.agents == sc.calls == sc.traffic == sc.faults == ()


def test_start_accepts_toml_datetime_and_offsets():
    sc = parse_scenario("[switch]\nstart = 2026-11-26T10:30:00+01:00\n")
    assert sc.switch.start == dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.timezone.utc)


def test_default_group_queue_is_position():
    text = '[[groups]]\nid = "%s"\nname = "A"\n[[groups]]\nid = "%s"\nname = "B"\n' % (uuid.uuid4(), uuid.uuid4())
    assert [g.queue for g in parse_scenario(text).groups] == [1, 2]


def test_default_scenario_is_lively():
    sc = default_scenario()
    assert len(sc.groups) == 3
    assert 15 <= len(sc.agents) <= 25
    assert all(s.state is AgentSessionState.READY and s.at == 0 for a in sc.agents for s in a.sessions)
    assert {t.group for t in sc.traffic} == {g.id for g in sc.groups}
    assert all(a.wrapup <= 30 for a in sc.agents)


@pytest.mark.parametrize("name", sorted(p.name for p in (REPO / "examples").glob("*.toml")))
def test_examples_load(name):
    sc = load_scenario(REPO / "examples" / name)
    assert sc.groups and sc.agents


def test_load_scenario_names_the_file(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("[switch]\nlines = 0\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    assert str(info.value).startswith(f"{p}:2: switch.lines: ")
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "missing.toml")
    p.write_bytes(b"[switch]\nname = \"\xff\"\n")
    with pytest.raises(ScenarioError, match="UTF-8") as info:
        load_scenario(p)
    assert info.value.line == 2


# --------------------------------------------------------------------------------------------------
# Bad files: each row is (name, text, key, line, part of the reason)
# --------------------------------------------------------------------------------------------------

G1 = '[[groups]]\nid = "5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b"\nname = "Sales"\nqueue = 1\n'  # lines 1-4
A1 = '[[agents]]\nid = "1001"\n'  # two lines

BAD = [
    ("syntax", "[switch]\nname = \n", "", 2, "TOML syntax error"),
    ("unknown top-level", "[swtich]\nname = 'x'\n", "swtich", 1, "unknown key 'swtich'"),
    ("unknown switch key", "[switch]\nname = 'x'\nlinez = 3\n", "switch.linez", 3, "unknown key"),
    ("switch not a table", "switch = 3\n", "switch", 1, "must be a table"),
    ("lines zero", "[switch]\nlines = 0\n", "switch.lines", 2, "must be in 1..100000, got 0"),
    ("lines float", "[switch]\nlines = 2.5\n", "switch.lines", 2, "must be an integer"),
    ("lines bool", "[switch]\nlines = true\n", "switch.lines", 2, "must be an integer, not a boolean"),
    ("seed string", "[switch]\n\nseed = '7'\n", "switch.seed", 3, "must be an integer"),
    ("start garbage", "[switch]\nstart = 'tomorrow'\n", "switch.start", 2, "not an ISO 8601"),
    ("start naive", "[switch]\nstart = '2026-11-26T09:00:00'\n", "switch.start", 2, "UTC offset"),
    ("start int", "[switch]\nstart = 5\n", "switch.start", 2, "must be a date-time"),
    ("groups table", "[groups]\nid = 'x'\n", "groups", 1, "array of tables"),
    ("group bad guid", G1.replace("-3b7a-", "-3b7x-"), "groups[0].id", 2, "not a GUID"),
    ("group missing name", '[[groups]]\nid = "5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b"\n', "groups[0]", 1,
     "missing required key 'name'"),
    ("group empty name", G1.replace('"Sales"', '""'), "groups[0].name", 3, "must not be empty"),
    ("group unknown key", G1 + "colour = 'red'\n", "groups[0].colour", 5, "unknown key"),
    ("duplicate group id", G1 + G1.replace("Sales", "Other").replace("1\n", "2\n"), "groups[1].id", 6,
     "duplicate group id"),
    ("duplicate group name", G1 + G1.replace("3b7a", "3b7b").replace("queue = 1", "queue = 2"),
     "groups[1].name", 7, "duplicate group name"),
    ("duplicate queue", G1 + G1.replace("3b7a", "3b7b").replace("Sales", "Other"), "groups[1].queue", 8,
     "duplicate group queue 1"),
    ("queue negative", G1.replace("queue = 1", "queue = -1"), "groups[0].queue", 4, "in 0..4294967295"),
    ("agent id missing", G1 + "[[agents]]\npin = '1'\n", "agents[0]", 5, "missing required key 'id'"),
    ("agent id int", G1 + "[[agents]]\nid = 1001\n", "agents[0].id", 6, "must be a string"),
    ("duplicate agent", G1 + A1 + A1, "agents[1].id", 8, "duplicate agent id '1001'"),
    ("agent pin int", G1 + A1 + "pin = 1234\n", "agents[0].pin", 7, "must be a string"),
    ("negative wrapup", G1 + A1 + "wrapup = -1\n", "agents[0].wrapup", 7, "must be >= 0, got -1"),
    ("nan answer delay", G1 + A1 + "answer_delay = nan\n", "agents[0].answer_delay", 7, "finite"),
    ("agent unknown key", G1 + A1 + "wrap_up = 3\n", "agents[0].wrap_up", 7, "unknown key 'wrap_up'"),
    ("session unknown group", G1 + A1 + A1.replace("1001", "1002") + "[[agents.sessions]]\ngroup = 'Sails'\n",
     "agents[1].sessions[0].group", 10, "unknown group 'Sails' (groups: Sales)"),
    ("session line out of range", G1 + "[switch]\nlines = 2\n" + A1 + "[[agents.sessions]]\ngroup = 'Sales'\nline = 2\n",
     "agents[0].sessions[0].line", 11, "must be in 0..1, got 2"),
    ("session address", G1 + A1 + "[[agents.sessions]]\ngroup = 'Sales'\naddress = 1\n",
     "agents[0].sessions[0].address", 9, "must be in 0..0"),
    ("session state", G1 + A1 + "[[agents.sessions]]\ngroup = 'Sales'\nstate = 'BUSYONCALL'\n",
     "agents[0].sessions[0].state", 9, "NOTREADY\" or \"READY"),
    ("session negative at", G1 + A1 + "[[agents.sessions]]\ngroup = 'Sales'\n\n\nat = -5\n",
     "agents[0].sessions[0].at", 11, "must be >= 0"),
    ("session missing group", G1 + A1 + "[[agents.sessions]]\nline = 0\n", "agents[0].sessions[0]", 7,
     "missing required key 'group'"),
    ("inline session unknown key", G1 + A1 + "sessions = [{group = 'Sales', lin = 0}]\n",
     "agents[0].sessions[0].lin", 7, "unknown key 'lin'"),
    ("call missing talk", G1 + "[[calls]]\nat = 1\ngroup = 'Sales'\n", "calls[0]", 5, "missing required key 'talk'"),
    ("call unknown group guid", G1 + "[[calls]]\nat = 1\ntalk = 3\ngroup = '00000000-0000-0000-0000-000000000000'\n",
     "calls[0].group", 8, "unknown group"),
    ("traffic negative rate", G1 + "[[traffic]]\ngroup = 'Sales'\nrate = -3\ntalk_mean = 1\n", "traffic[0].rate", 7,
     "must be >= 0"),
    ("traffic zero talk", G1 + "[[traffic]]\ngroup = 'Sales'\nrate = 3\ntalk_mean = 0\n", "traffic[0].talk_mean", 8,
     "must be > 0"),
    ("fault function string", "[[faults]]\nfunction = '149'\nmode = 'drop'\n", "faults[0].function", 2,
     "must be an integer"),
    ("fault mode", "[[faults]]\nfunction = 149\nmode = 'explode'\n", "faults[0].mode", 3,
     "one of drop, delay, error, disconnect"),
    ("fault error name", "[[faults]]\nfunction = 149\nmode = 'error'\nerror = 'OPERATIONFAILED'\n",
     "faults[0].error", 4, "not a LINEERR_ name"),
    ("fault error unknown", "[[faults]]\nfunction = 149\nmode = 'error'\nerror = 'LINEERR_NOPE'\n",
     "faults[0].error", 4, "not a LINEERR_ name"),
    ("fault error missing", "[[faults]]\nfunction = 149\nmode = 'error'\n", "faults[0]", 1,
     "missing required key 'error'"),
    ("fault delay missing seconds", "[[faults]]\nfunction = 149\nmode = 'delay'\n", "faults[0]", 1,
     "missing required key 'seconds'"),
    ("fault seconds on drop", "[[faults]]\nfunction = 149\nmode = 'drop'\nseconds = 3\n", "faults[0].seconds", 4,
     "only applies to mode = \"delay\""),
    ("fault probability", "[[faults]]\nfunction = 1\nmode = 'drop'\nprobability = 1.5\n", "faults[0].probability", 4,
     "must be in 0..1, got 1.5"),
    ("fault after negative", "[[faults]]\nfunction = 1\nmode = 'drop'\n\nafter = -1\n", "faults[0].after", 5,
     "must be >= 0"),
    ("second fault unknown key", "[[faults]]\nfunction = 1\nmode = 'drop'\n[[faults]]\nfunction = 2\nmode = 'drop'\nwhen = 3\n",
     "faults[1].when", 7, "unknown key 'when'"),
]


@pytest.mark.parametrize("name,text,key,line,reason", BAD, ids=[row[0] for row in BAD])
def test_bad_scenario_names_key_and_line(name, text, key, line, reason):
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "bad.toml")
    err = info.value
    assert (err.filename, err.key, err.line) == ("bad.toml", key, line), str(err)
    assert reason in err.reason, str(err)
    prefix = f"bad.toml:{line}: {key}: " if key else f"bad.toml:{line}: "
    assert str(err).startswith(prefix)


def test_line_index_survives_multiline_strings_and_nested_tables():
    text = textwrap.dedent('''\
        [switch]
        name = """
        [[agents]]
        id = "fake"
        """
        [[groups]]
        id = "5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b"
        name = "Sales"
        [[agents]]
        id = "a"
        [[agents.sessions]]
        group = "Sales"
        [[agents]]
        id = "b"
        [[agents.sessions]]
        group = "Sales"
        [[agents.sessions]]
        group = "Sales"
        line = 9
        ''')
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text)
    assert (info.value.key, info.value.line) == ("agents[1].sessions[1].line", 19)
