"""pytest plugin (entry point ``pytest11: tapi_emulator``): a running emulator in one fixture argument.

::

    async def test_my_cti_app(tapi_emulator):
        app = await MyApp.connect(tapi_emulator.host, tapi_emulator.port)
        tapi_emulator.offer_call("Sales", talk=60)
        await tapi_emulator.advance(90)
        ...

The fixture is async (it needs pytest-trio; with ``trio_mode = true`` nothing else is needed, otherwise
mark the test ``@pytest.mark.trio``). It yields a :class:`tsp.testing.Emulator` listening on a free port of
127.0.0.1 with the control extension on, and stops it after the test.

Options, most specific first:

* a marker on the test (or class/module): ``@pytest.mark.tapi_emulator(scenario="x.toml",
  clock="manual", speed=..., listen=..., control=...)`` - any keyword of :func:`tsp.testing.run_emulator`;
* the ini option ``tapi_emulator_scenario`` (a path relative to the ini file) and
  ``tapi_emulator_clock`` (``real`` or ``manual``);
* otherwise the built-in scenario on a real (trio) clock - under ``autojump_clock`` it runs as fast as
  the test lets it.

Importing this module is cheap: the emulator is imported when the fixture is first used.
"""

from __future__ import annotations

import os
from typing import Any, AsyncIterator

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("tapi_emulator_scenario", "scenario TOML file for the tapi_emulator fixture (default: built-in)",
                  type="string", default="")
    parser.addini("tapi_emulator_clock", "clock of the tapi_emulator fixture: real or manual (default real)",
                  type="string", default="real")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "tapi_emulator(**kwargs): options of the tapi_emulator fixture (scenario=, clock=, speed=, control=, listen=)",
    )


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    config = request.config
    options: dict[str, Any] = {}
    scenario = config.getini("tapi_emulator_scenario")
    if scenario:
        base = os.path.dirname(str(config.inipath)) if config.inipath else str(config.rootpath)
        options["scenario"] = os.path.join(base, scenario)
    clock = config.getini("tapi_emulator_clock")
    if clock:
        options["clock"] = clock
    marker = request.node.get_closest_marker("tapi_emulator")
    if marker is not None:
        options.update(marker.kwargs)
    return options


@pytest.fixture
async def tapi_emulator(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """A running :class:`tsp.testing.Emulator` on a free loopback port (stopped after the test)."""
    from tsp.testing import open_emulator

    options = _options(request)
    scenario = options.pop("scenario", None)
    async with open_emulator(scenario, **options) as emu:
        yield emu
