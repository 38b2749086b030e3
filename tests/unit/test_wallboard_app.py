"""The wallboard app's pure helpers: backoff, roster from the command line, failure classification."""

from __future__ import annotations

import argparse
import uuid

import pytest

from client.errors import ConnectionLostError, LineError
from client.wallboard import RosterAgent
from client.wallboard_app import Backoff, _connection_failure, add_arguments, default_roster, roster_from_args
from protocol.constants import LineErr, ReqFunc

SALES = uuid.UUID("5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b")


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_backoff_doubles_up_to_the_cap_and_resets() -> None:
    b = Backoff(first=0.5, factor=2, maximum=3)
    assert [b.next() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert b.attempt == 5
    b.reset()
    assert b.next() == 0.5


@pytest.mark.parametrize("args", [(0, 2, 1), (2, 2, 1), (1, 0.5, 4)])
def test_backoff_rejects_nonsense(args: tuple[float, float, float]) -> None:
    with pytest.raises(ValueError):
        Backoff(*args)


def test_default_roster_is_the_built_in_scenario() -> None:
    r = default_roster()
    ids = [a.agent_id for a in r.agents]
    assert len(ids) == len(set(ids)) > 0
    assert RosterAgent("1001", "1234") in r.agents
    assert r.queue_for(SALES, "Sales") == 1


def test_roster_without_options_is_the_default() -> None:
    assert roster_from_args(parse()) == default_roster()


def test_roster_from_agent_and_queue_options_only() -> None:
    r = roster_from_args(parse("--agent", "7:99", "--agent", "8", "--queue", "Sales=4"))
    assert r.agents == (RosterAgent("7", "99"), RosterAgent("8", None))
    assert r.queue_for(uuid.uuid4(), "sales") == 4


def test_roster_from_scenario_file_plus_options(tmp_path) -> None:
    f = tmp_path / "s.toml"
    f.write_text('[[groups]]\nid = "%s"\nname = "Sales"\nqueue = 9\n[[agents]]\nid = "1"\n' % SALES)
    r = roster_from_args(parse("--scenario", str(f), "--agent", "2", "--queue", f"{SALES}=5"))
    assert [a.agent_id for a in r.agents] == ["1", "2"]
    assert r.queue_for(SALES, "Sales") == 5


@pytest.mark.parametrize("argv, word", [(("--agent", ":1"), "empty"), (("--queue", "Sales"), "GROUP=QUEUEID"),
                                        (("--queue", "Sales=x"), "numeric")])
def test_bad_options_say_what_is_wrong(argv: tuple[str, ...], word: str) -> None:
    with pytest.raises(ValueError, match=word):
        roster_from_args(parse(*argv))


def test_connection_failures_are_recognised_even_in_groups() -> None:
    lost = ConnectionLostError("server closed the connection")
    assert _connection_failure(lost) is lost
    assert _connection_failure(OSError("refused")) is not None
    assert _connection_failure(BaseExceptionGroup("g", [lost, ConnectionLostError("again")])) is lost
    assert _connection_failure(ValueError("bug")) is None
    assert _connection_failure(BaseExceptionGroup("g", [KeyboardInterrupt()])) is None
    assert _connection_failure(BaseExceptionGroup("g", [lost, ValueError("bug")])) is None
    refused = LineError(LineErr.OPERATIONUNAVAIL, ReqFunc.GETGROUPLIST, "x")
    assert _connection_failure(refused) is refused  # the switch's side: shown, then retried


def test_shipped_scenarios_read_as_data_are_the_emulators() -> None:
    """client.scenario_files finds the same files by the same names as the emulator's tsp.scenarios
    (the client reads them as data; only this test imports both sides)."""
    from client import scenario_files
    from tsp import scenarios

    assert scenario_files.names() == scenarios.names() and "default" in scenario_files.names()
    for name in scenarios.names():
        assert scenario_files.is_name(name) and scenario_files.text(name) == scenarios.text(name)
    assert not scenario_files.is_name("default.toml") and not scenario_files.is_name("x/default")
    with pytest.raises(KeyError, match="scripted"):
        scenario_files.text("no-such-scenario")


def test_a_built_in_name_gives_its_roster_and_an_unknown_name_says_which_exist() -> None:
    from client.wallboard_app import scenario_roster
    from tsp import scenarios

    assert [a.agent_id for a in scenario_roster("scripted").agents] == ["anna", "ben", "cleo"]
    with pytest.raises(ValueError, match=", ".join(scenarios.names())):  # every shipped name, sorted
        scenario_roster("nosuchname")
