"""Does the server under test run the conformance scenario? Checked once, before any other case.

Every case assumes the server runs ``tsp/scenarios/conformance.toml`` (shipped as the built-in scenario
``conformance``): 4 line devices, the groups Sales (queue 1) and Support (queue 2) with the GUIDs of
:mod:`spec`, agent 1001 with PIN 1234. Against a server running anything else most cases would fail with
unhelpful details (unknown GUIDs, wrong handles); instead the first case fails with one sentence saying
what to start, and every other case that talks to the server is skipped with a pointer to that failure.

Only a *definite* mismatch counts: if the probe itself runs into a protocol problem (a broken server, a
dropped reply) the cases run as usual and report that problem themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import spec
from .rawclient import ConformanceFailure, RawConnection
from .tapi import App, parse_group_list

#: What a server under test must be started with (wire-protocol §3, §6).
START_COMMAND = "python -m tsp --scenario conformance --clock manual --control"


@dataclass(frozen=True)
class ScenarioProbe:
    """The outcome: ``problem`` is the one-sentence failure (None when the scenario is right);
    ``inconclusive`` says why the probe could not tell (then ``problem`` is None)."""

    problem: str | None
    inconclusive: str | None = None


def _sentence(address: tuple[str, int], what: str) -> str:
    return (f"the server at {address[0]}:{address[1]} does not run the conformance scenario ({what}): "
            f"start it with `{START_COMMAND}` (the scenario file is tsp/scenarios/conformance.toml) "
            "and point --tsp at it")


def probe_scenario(address: tuple[str, int], timeout: float) -> ScenarioProbe:
    """Initialize, GetGroupList, GetQueueInfo(1, 2) and CreateAgent(1001, PIN 1234) on a new connection."""
    try:
        conn = RawConnection(address, timeout)
    except OSError as exc:
        return ScenarioProbe(None, f"cannot connect to {address[0]}:{address[1]}: {exc}")
    try:
        conn.hello()
        app = App(conn)
        resp = app.initialize()
        if resp.ack != 0:
            return ScenarioProbe(None, f"Initialize failed: {spec.describe(resp.ack)}")
        if app.num_devs != spec.SCENARIO_LINES:
            return ScenarioProbe(_sentence(address, f"it has {app.num_devs} line devices, the scenario has "
                                                    f"{spec.SCENARIO_LINES}"))
        resp = app.open(0)
        if resp.ack != 0:
            return ScenarioProbe(None, f"Open(0) failed: {spec.describe(resp.ack)}")
        _, entries = parse_group_list(app.get_group_list(size=4096).expect_ok("GetGroupList").data)
        groups = {gid: name for gid, name, _, _ in entries}
        wanted = {spec.guid_bytes(spec.SALES): spec.SALES_NAME, spec.guid_bytes(spec.SUPPORT): spec.SUPPORT_NAME}
        if any(groups.get(gid) != name for gid, name in wanted.items()):
            names = ", ".join(sorted(groups.values())) or "none"
            return ScenarioProbe(_sentence(address, f"its groups are {names}; the scenario's are "
                                                    f"{spec.SALES_NAME} and {spec.SUPPORT_NAME} with the GUIDs "
                                                    "of the scenario file"))
        for queue in (spec.SALES_QUEUE, spec.SUPPORT_QUEUE):
            result = app.get_queue_info(queue)
            if result.result != 0:
                return ScenarioProbe(_sentence(address, f"GetQueueInfo({queue}) answers "
                                                        f"{spec.describe(result.result)}"))
        result = app.create_agent(spec.AGENT_PIN_ID, spec.AGENT_PIN)
        if result.result != 0:
            return ScenarioProbe(_sentence(address, f"CreateAgent({spec.AGENT_PIN_ID!r}, PIN "
                                                    f"{spec.AGENT_PIN!r}) answers {spec.describe(result.result)}"))
        return ScenarioProbe(None)
    except (ConformanceFailure, OSError) as exc:
        return ScenarioProbe(None, f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()
