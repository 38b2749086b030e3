"""Fixtures of the conformance suite: the server under test, raw connections, TAPI apps, the clock.

Without ``--tsp`` one ``python -m tsp --port 0 --clock manual --control --scenario conformance`` is
started for the whole session and stopped afterwards (SIGTERM, then kill). With ``--tsp HOST:PORT`` the
cases talk to that server, which must run the conformance scenario (``tsp/scenarios/conformance.toml``)
with a manual clock and the control extension. The first case checks that
(:mod:`.scenario_check`); when it fails, every other case that talks to the server is skipped.

Cases share one server, so every case that routes calls uses the Support group through the
:func:`support` fixture, which checks the group is idle first and ends the case's sessions afterwards.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Callable, Iterator

import pytest

from . import spec
from .process import ServerProcess, ServerStartError, start_server
from .rawclient import ConformanceFailure, RawConnection
from .scenario_check import ScenarioProbe, probe_scenario
from .tapi import App


@dataclass
class Target:
    """The server under test; ``process`` is set when this session started it."""

    address: tuple[str, int]
    process: ServerProcess | None


def parse_address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise pytest.UsageError(f"--tsp expects HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


def pytest_report_header(config: pytest.Config) -> str:
    target = config.getoption("--tsp")
    return f"conformance target: {target or 'python -m tsp (started by the suite)'}"


@pytest.fixture(scope="session")
def tsp_target(request: pytest.FixtureRequest) -> Iterator[Target]:
    option = request.config.getoption("--tsp")
    if option:
        yield Target(parse_address(option), None)
        return
    try:
        server = start_server()
    except ServerStartError as exc:
        pytest.fail(f"could not start the server under test: {exc}", pytrace=False)
    try:
        yield Target(server.address, server)
    finally:
        server.stop()


SCENARIO_CASE = "test_s0_server_runs_the_conformance_scenario"


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the scenario check first, so its one clear failure comes before anything else."""
    first = [item for item in items if item.name == SCENARIO_CASE]
    if first:
        items[:] = first + [item for item in items if item.name != SCENARIO_CASE]


@pytest.fixture(scope="session")
def scenario_probe(tsp_address: tuple[str, int], tsp_timeout: float) -> ScenarioProbe:
    """Once per session: does the server run the conformance scenario? (see :mod:`.scenario_check`)"""
    return probe_scenario(tsp_address, tsp_timeout)


@pytest.fixture(autouse=True)
def _scenario_gate(request: pytest.FixtureRequest) -> None:
    """Skip every case that talks to the server when the scenario check found the wrong scenario."""
    if request.node.name == SCENARIO_CASE or "tsp_address" not in request.fixturenames:
        return
    probe = request.getfixturevalue("scenario_probe")
    if probe.problem:
        pytest.skip(f"not run: the server does not run the conformance scenario (see {SCENARIO_CASE})")


@pytest.fixture(scope="session")
def tsp_address(tsp_target: Target) -> tuple[str, int]:
    return tsp_target.address


@pytest.fixture(scope="session")
def tsp_timeout(request: pytest.FixtureRequest) -> float:
    return request.config.getoption("--tsp-timeout")


@pytest.fixture
def connect(tsp_address: tuple[str, int], tsp_timeout: float) -> Iterator[Callable[..., RawConnection]]:
    """Factory: a new connection (HELLO exchanged unless ``hello=False``), closed after the case."""
    conns: list[RawConnection] = []

    def make(hello: bool = True) -> RawConnection:
        conn = RawConnection(tsp_address, tsp_timeout)
        conns.append(conn)
        if hello:
            conn.hello()
        return conn

    yield make
    for conn in conns:
        conn.close()


@pytest.fixture
def make_app(connect: Callable[..., RawConnection]) -> Callable[..., App]:
    """Factory: an App on a new connection, initialized, with lines ``devices`` open (default line 0)."""

    def make(*devices: int, initialize: bool = True) -> App:
        app = App(connect())
        if initialize:
            resp = app.initialize()
            assert resp.ack == 0, f"Initialize failed: {spec.describe(resp.ack)}"
            for device in devices or (0,):
                resp = app.open(device)
                assert resp.ack == 0, f"Open({device}) failed: {spec.describe(resp.ack)}"
        return app

    return make


@pytest.fixture
def app(make_app: Callable[..., App]) -> App:
    return make_app()


@pytest.fixture(scope="session")
def control_skip_reason(tsp_address: tuple[str, int], tsp_timeout: float) -> str | None:
    """Probe the control extension with EmuAdvanceClock(0, 0): None if served, else why not."""
    conn = RawConnection(tsp_address, tsp_timeout)
    try:
        conn.hello()
        probe = App(conn)
        resp = probe.initialize()
        assert resp.ack == 0, f"Initialize failed: {spec.describe(resp.ack)}"
        resp = conn.call(spec.EMU_ADVANCECLOCK, {8: 0, 12: 0})
    finally:
        conn.close()
    if resp.ack == 0:
        return None
    if resp.ack == spec.OPERATIONUNAVAIL:
        return ("server answers EmuAdvanceClock (Req_Func 1000) with LINEERR_OPERATIONUNAVAIL: no control "
                "extension or no manual clock (wire-protocol §3); start it with --clock manual --control")
    pytest.fail(f"EmuAdvanceClock(0, 0) returned {spec.describe(resp.ack)}; wire-protocol §3 allows only 0 "
                "or LINEERR_OPERATIONUNAVAIL", pytrace=False)


@pytest.fixture
def control(control_skip_reason: str | None, make_app: Callable[..., App]) -> App:
    """An App with every line open, used to drive the manual clock; skips the case without the control
    extension."""
    if control_skip_reason:
        pytest.skip(control_skip_reason)
    return make_app(*range(spec.SCENARIO_LINES))


class SupportDesk:
    """Cases that route calls do so in the Support group, one case at a time, and clean up after."""

    def __init__(self, clock: App) -> None:
        self.clock = clock
        self.sessions: list[tuple[App, int]] = []

    def fresh_agent(self, app: App) -> int:
        """A new agent (answer_delay 0, wrapup 0): an agent ID nobody used before."""
        return app.agent(f"cf-{uuid.uuid4().hex[:12]}")

    def new_session(self, app: App, h_agent: int | None = None, line=None) -> int:
        h_agent = self.fresh_agent(app) if h_agent is None else h_agent
        h_session = app.session(h_agent, spec.SUPPORT, line=line)
        self.sessions.append((app, h_session))
        return h_session

    def waiting_calls(self) -> int:
        return self.clock.queue_info(spec.SUPPORT_QUEUE)["dwCurrentCallsQueued"]

    def drain(self) -> None:
        """Leave Support idle: end this case's sessions, end any READY session found there (a case
        interrupted by a failure may leak one), and serve every call still waiting in the queue."""
        for app, h_session in self.sessions:
            try:
                app.set_state(h_session, spec.ENDED)  # INVALAGENTSTATE if already ENDED: fine
            except ConformanceFailure:
                self.clock.set_state(h_session, spec.ENDED)
        self.sessions.clear()
        self.clock.advance(3600)
        for _ in range(5):
            strays = self._probe()
            if not strays:
                break
            for h_session in strays:
                self.clock.set_state(h_session, spec.ENDED)
            self.clock.advance(3600)
        else:
            raise AssertionError("Support keeps taking calls after its sessions were ended")
        sweeper = self.new_session(self.clock)  # takes the probe call and anything else waiting
        self.clock.set_state(sweeper, spec.READY).expect_ok("SetAgentSessionState(READY) of a sweeper")
        self.clock.advance(3600)
        self.clock.set_state(sweeper, spec.ENDED)
        self.sessions.clear()
        self.clock.advance(3600)
        assert self.waiting_calls() == 0, "calls keep waiting in the Support queue after clean-up"

    def _probe(self) -> list[int]:
        """Offer a 1-second call; [] if it waits in the queue, else the sessions that went BUSYONCALL for
        it (the clock app has every line open, so it sees every session's events)."""
        before = self.waiting_calls()
        mark = len(self.clock.conn.all_records)
        self.clock.offer_call(spec.SUPPORT, 1)
        if self.waiting_calls() == before + 1:
            return []
        rec = self.clock.conn.wait_seen(
            lambda r: r.msg == spec.LINE_AGENTSESSIONSTATUS and r.param2 & spec.STATUS_STATE
            and r.param3 == spec.BUSYONCALL, "the stray Support session that took the probe call", since=mark)
        return [rec.param1]


@pytest.fixture
def support(control: App) -> Iterator[SupportDesk]:
    desk = SupportDesk(control)
    desk.drain()  # leftovers of an earlier, interrupted case
    yield desk
    desk.drain()


@pytest.fixture(autouse=True)
def _spec_section(request: pytest.FixtureRequest) -> None:
    """Put the case's spec section into the junit report as a ``spec`` property (what ``record_property``
    does, without its xunit2 warning: pytest writes user properties for every junit family)."""
    marker = request.node.get_closest_marker("spec")
    if marker:
        request.node.user_properties.append(("spec", marker.args[0]))
