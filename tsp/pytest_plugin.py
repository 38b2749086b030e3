"""pytest plugin (entry point ``pytest11: tapi_emulator``): a running emulator in one fixture argument.

::

    import pytest
    import client

    @pytest.mark.trio                                   # or trio_mode = true in your pytest ini
    async def test_my_cti_app(tapi_emulator):           # manual clock: time moves only by advance()
        tapi_emulator.offer_call("Sales", talk=60)
        await tapi_emulator.advance(90)                 # instant: 90 s of switch time
        async with client.connect(tapi_emulator.host, tapi_emulator.port) as tapi:
            ...

The fixture is async: it needs pytest-trio (mark the test ``@pytest.mark.trio``, or set ``trio_mode =
true``). It yields a :class:`tsp.testing.Emulator` listening on a free port of 127.0.0.1 with the control
extension on, and stops it after the test.

**Clock.** By default the fixture's switch runs on a **manual** (virtual) clock: switch time stands still
until ``await emu.advance(seconds)`` (or EmuAdvanceClock), which makes everything due in that interval
happen at once - a test never waits for switch time. Choose ``clock="real"`` (a marker or the ini option
below) for a switch that runs on trio's clock by itself; then ``advance(90)`` sleeps 90 s of trio time,
which is instant only under pytest-trio's ``autojump_clock``.

Options, most specific first:

* a marker on the test (or class/module): ``@pytest.mark.tapi_emulator(scenario="scripted",
  clock="real", speed=..., listen=..., control=...)`` - any keyword of :func:`tsp.testing.run_emulator`;
  ``scenario`` is a built-in name (:mod:`tsp.scenarios`: default, scripted, faults, conformance) or a path;
* the ini options ``tapi_emulator_scenario`` (a built-in name, or a path relative to the ini file) and
  ``tapi_emulator_clock`` (``manual``, the default, or ``real``);
* otherwise the built-in scenario on the manual clock.

Importing this module is cheap: the emulator is imported when the fixture is first used.
"""

from __future__ import annotations

import os
from typing import Any, AsyncIterator

import pytest

#: The fixture's clock unless a marker or the ini option says otherwise: virtual, moved by advance().
DEFAULT_CLOCK = "manual"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("tapi_emulator_scenario", "scenario TOML file for the tapi_emulator fixture (default: built-in)",
                  type="string", default="")
    parser.addini("tapi_emulator_clock", "clock of the tapi_emulator fixture: manual or real (default manual)",
                  type="string", default=DEFAULT_CLOCK)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "tapi_emulator(**kwargs): options of the tapi_emulator fixture (scenario=, clock='manual' (default) "
        "or 'real', speed=, control=, listen=)",
    )


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    config = request.config
    options: dict[str, Any] = {}
    scenario = config.getini("tapi_emulator_scenario")
    if scenario:
        from tsp import scenarios

        if scenarios.is_name(scenario):
            options["scenario"] = scenario
        else:
            base = os.path.dirname(str(config.inipath)) if config.inipath else str(config.rootpath)
            options["scenario"] = os.path.join(base, scenario)
    clock = config.getini("tapi_emulator_clock") or DEFAULT_CLOCK
    if clock not in ("manual", "real"):
        raise pytest.UsageError(f"ini option tapi_emulator_clock must be 'manual' or 'real', got {clock!r}")
    options["clock"] = clock
    marker = request.node.get_closest_marker("tapi_emulator")
    if marker is not None:
        options.update(marker.kwargs)
    return options


@pytest.fixture
async def tapi_emulator(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """A running :class:`tsp.testing.Emulator` on a free loopback port, on a manual clock unless a
    ``tapi_emulator`` marker or the ``tapi_emulator_clock`` ini option says ``clock="real"`` (stopped
    after the test)."""
    from tsp.testing import open_emulator

    options = _options(request)
    scenario = options.pop("scenario", None)
    async with open_emulator(scenario, **options) as emu:
        yield emu
