"""The ``tapi_emulator`` fixture's clock: manual (virtual) by default, a marker chooses the real one."""

from __future__ import annotations

import pytest
import trio


async def test_fixture_defaults_to_a_manual_clock(tapi_emulator) -> None:  # type: ignore[no-untyped-def]
    assert tapi_emulator.clock.manual, "the fixture's default clock must be the manual (virtual) one"
    before = trio.current_time()
    await tapi_emulator.advance(90)
    assert tapi_emulator.now == 90.0
    assert trio.current_time() - before < 30, "advance() on the manual clock must not wait for the time"


@pytest.mark.tapi_emulator(clock="real", scenario="scripted")
async def test_marker_chooses_the_real_clock_and_a_builtin_scenario(tapi_emulator, autojump_clock) -> None:  # type: ignore[no-untyped-def]
    assert not tapi_emulator.clock.manual
    assert tapi_emulator.scenario.switch.name == "Scripted ACD"
    before = trio.current_time()
    await tapi_emulator.advance(60)
    assert trio.current_time() - before == pytest.approx(60)
