"""The switch clocks: real, accelerated and manual (tsp.clock)."""

from __future__ import annotations

import math

import pytest
import trio

from tsp.clock import Clock, ClockError, ManualClock, RealClock, make_clock


class FakeSource:
    """A settable time source standing in for trio.current_time()."""

    def __init__(self, t: float = 100.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_real_clock_counts_from_start() -> None:
    src = FakeSource(100.0)
    clock = RealClock(time_source=src)
    clock.start()
    assert clock.now() == 0.0
    src.t = 112.5
    assert clock.now() == 12.5
    assert clock.deadline(20.0) == 120.0


@pytest.mark.parametrize("speed", [2.0, 60.0, 0.5])
def test_accelerated_clock_scales_time_and_deadlines(speed: float) -> None:
    src = FakeSource(10.0)
    clock = RealClock(speed, time_source=src)
    clock.start()
    src.t = 13.0
    assert clock.now() == pytest.approx(3.0 * speed)
    # The deadline of a switch instant maps back to the source time at which it is reached.
    target = 3.0 * speed + 30.0
    assert clock.deadline(target) == pytest.approx(10.0 + target / speed)
    src.t = clock.deadline(target)
    assert clock.now() == pytest.approx(target)


def test_real_clock_never_goes_backwards() -> None:
    src = FakeSource(5.0)
    clock = RealClock(3.0, time_source=src)
    clock.start()
    src.t = 6.0
    first = clock.now()
    src.t = 5.5  # a misbehaving source
    assert clock.now() == first


def test_real_clock_offset_and_refusals() -> None:
    src = FakeSource(0.0)
    clock = RealClock(time_source=src, offset=50.0)
    clock.start()
    src.t = 1.0
    assert clock.now() == 51.0
    assert clock.deadline(60.0) == 10.0
    assert clock.deadline(math.inf) == math.inf
    assert not clock.manual
    with pytest.raises(ClockError, match="manual"):
        clock.advance(1)


@pytest.mark.parametrize("speed", [0, -1, math.inf, math.nan])
def test_bad_speed_is_refused(speed: float) -> None:
    with pytest.raises(ClockError, match="speed"):
        RealClock(speed)


def test_manual_clock_moves_only_by_advance() -> None:
    clock = ManualClock()
    clock.start()
    assert clock.manual
    assert clock.now() == 0.0
    assert clock.deadline(1.0) == math.inf
    assert clock.advance(2.5) == 2.5
    assert clock.advance(0) == 2.5
    assert clock.now() == 2.5
    for bad in (-1, math.inf, math.nan):
        with pytest.raises(ClockError):
            clock.advance(bad)
    assert clock.now() == 2.5


def test_make_clock() -> None:
    assert isinstance(make_clock("manual"), ManualClock)
    real = make_clock("real", 4.0)
    assert isinstance(real, RealClock) and real.speed == 4.0
    assert isinstance(make_clock(None), RealClock)
    mine = ManualClock(3.0)
    assert make_clock(mine) is mine
    assert isinstance(mine, Clock)
    with pytest.raises(ClockError):
        make_clock("sundial")
    with pytest.raises(ClockError, match="speed"):
        make_clock("manual", 2.0)


async def test_real_clock_follows_trio_clock(autojump_clock: trio.testing.MockClock) -> None:
    clock = RealClock(10.0)
    clock.start()
    await trio.sleep(3600)
    assert clock.now() == pytest.approx(36000.0)
    assert clock.deadline(36010.0) == pytest.approx(trio.current_time() + 1.0)
