"""The first case: the server under test runs the conformance scenario (the conftest runs it first)."""

from __future__ import annotations

import pytest

from .scenario_check import ScenarioProbe


@pytest.mark.spec("wire-protocol §5")
def test_s0_server_runs_the_conformance_scenario(scenario_probe: ScenarioProbe) -> None:
    """wire-protocol §5, §6: the suite's cases assume tsp/scenarios/conformance.toml (4 lines, Sales and
    Support, agent 1001); a server running anything else fails here once, saying what to start."""
    if scenario_probe.problem:
        pytest.fail(scenario_probe.problem, pytrace=False)
    if scenario_probe.inconclusive:
        pytest.fail(f"could not check the scenario: {scenario_probe.inconclusive}", pytrace=False)
