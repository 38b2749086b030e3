"""The switch's clocks: real time, accelerated real time and a manual clock, behind one small interface.

Switch time is a float number of seconds since the scenario's start (t = 0). The server asks a clock two
things: ``now()`` (what time is it on the switch) and ``deadline(t)`` (at which *trio* time will the switch
reach ``t``, so the driver task can sleep until then). A manual clock never reaches anything by itself
(``deadline`` is infinite): it moves only through ``advance()``, i.e. EmuAdvanceClock or the embedded API.

The real clock reads its time source lazily; by default that is :func:`trio.current_time`, so an
emulator embedded in a test under ``autojump_clock`` runs hours of switch time in milliseconds. Unit tests
inject any ``Callable[[], float]`` instead. Nothing here starts tasks or sleeps.
"""

from __future__ import annotations

import math
from typing import Callable, Protocol, runtime_checkable

__all__ = ["Clock", "ClockError", "ManualClock", "RealClock", "make_clock"]


class ClockError(ValueError):
    """A clock was asked for something it cannot do (negative advance, advancing a real clock, bad speed)."""


@runtime_checkable
class Clock(Protocol):
    """What the server needs from a clock."""

    #: True when time moves only through :meth:`advance` (EmuAdvanceClock is served only then).
    manual: bool

    def start(self) -> None:
        """Bind switch time 0 to "now" of the time source. Called once by the server when it starts."""

    def now(self) -> float:
        """Current switch time in seconds since the scenario start (never decreases)."""

    def deadline(self, switch_time: float) -> float:
        """The time-source instant at which the switch reaches ``switch_time`` (``math.inf``: never by itself)."""

    def advance(self, seconds: float) -> float:
        """Move a manual clock forward by ``seconds``; returns the new switch time. Real clocks refuse."""


def _trio_time() -> float:
    import trio  # imported here so the module is usable (and testable) without a running trio loop

    return trio.current_time()


class RealClock:
    """Switch time = (source time - source time at start) x ``speed``, plus ``offset``.

    ``speed`` 1 is real time, 60 makes a switch minute pass in one real second. ``offset`` lets a restarted
    server continue at a given switch time. The reading never goes backwards even if float rounding of the
    scaling would make it wobble.
    """

    manual = False

    def __init__(
        self,
        speed: float = 1.0,
        *,
        time_source: Callable[[], float] | None = None,
        offset: float = 0.0,
    ) -> None:
        if not (isinstance(speed, (int, float)) and math.isfinite(speed) and speed > 0):
            raise ClockError(f"clock speed must be a positive finite number, got {speed!r}")
        self.speed = float(speed)
        self._source = time_source or _trio_time
        self._offset = float(offset)
        self._origin: float | None = None
        self._last = float(offset)

    def start(self) -> None:
        if self._origin is None:
            self._origin = self._source()

    def _origin_or_start(self) -> float:
        if self._origin is None:
            self.start()
        assert self._origin is not None
        return self._origin

    def now(self) -> float:
        origin = self._origin_or_start()
        value = self._offset + (self._source() - origin) * self.speed
        if value > self._last:
            self._last = value
        return self._last

    def deadline(self, switch_time: float) -> float:
        if not math.isfinite(switch_time):
            return math.inf
        origin = self._origin_or_start()
        return origin + (switch_time - self._offset) / self.speed

    def advance(self, seconds: float) -> float:
        raise ClockError("a real-time clock cannot be advanced by hand; start the emulator with the manual clock")

    def __repr__(self) -> str:
        return f"RealClock(speed={self.speed!r})"


class ManualClock:
    """A clock that stands still until :meth:`advance` is called. Pure: no time source at all."""

    manual = True

    def __init__(self, start_at: float = 0.0) -> None:
        if not (math.isfinite(start_at) and start_at >= 0):
            raise ClockError(f"manual clock start must be a finite number >= 0, got {start_at!r}")
        self._now = float(start_at)

    def start(self) -> None:
        """Nothing to bind: manual time does not depend on any source."""

    def now(self) -> float:
        return self._now

    def deadline(self, switch_time: float) -> float:
        return math.inf

    def advance(self, seconds: float) -> float:
        if not (isinstance(seconds, (int, float)) and math.isfinite(seconds) and seconds >= 0):
            raise ClockError(f"the manual clock only moves forward by a finite amount, got {seconds!r}")
        self._now += float(seconds)
        return self._now

    def __repr__(self) -> str:
        return f"ManualClock(now={self._now!r})"


def make_clock(kind: str | Clock | None = "real", speed: float = 1.0) -> Clock:
    """Build a clock from the CLI / embedded-API spelling: ``"real"`` (with ``speed``), ``"manual"``,
    an existing :class:`Clock` (returned as is) or None (= real)."""
    if kind is None:
        kind = "real"
    if not isinstance(kind, str):
        if isinstance(kind, Clock):
            return kind
        raise ClockError(f"clock must be 'real', 'manual' or a Clock object, got {kind!r}")
    if kind == "real":
        return RealClock(speed)
    if kind == "manual":
        if speed != 1.0:
            raise ClockError("--speed applies to the real clock only; the manual clock moves by EmuAdvanceClock")
        return ManualClock()
    raise ClockError(f"clock must be 'real' or 'manual', got {kind!r}")
