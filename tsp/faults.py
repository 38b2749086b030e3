"""Fault injection (wire-protocol §5 ``[[faults]]``), decided at exactly one point: when a request arrives.

Rules are tried in file order; the first rule that *fires* wins. A rule fires for a request when

1. its ``function`` equals the request's Req_Func,
2. the rule has already seen at least ``after`` requests of that function (each rule counts every request
   of its function, whether or not an earlier rule took it; the count includes the current request, so
   ``after = 2`` lets the first two through and may fire from the third on), and
3. a draw from the fault random generator is below ``probability`` (no draw for probability 0 or 1, so
   adding a certain rule does not shift the draws of the others).

The generator is ``random.Random`` seeded from the scenario's seed (a separate stream from the switch's
traffic, so faults never change the traffic). What each mode does is applied by :mod:`tsp.switch`:

- ``drop``: an async function gets its RESPONSE (request ID) but the LINE_REPLY is never sent; a sync
  function gets no RESPONSE at all. Either way the request stays unanswered forever.
- ``delay``: the LINE_REPLY (async) or the RESPONSE (sync) is sent ``seconds`` later in switch time.
- ``error``: the LINE_REPLY carries ``error`` instead of data and the operation is not performed (a sync
  function's RESPONSE carries it).
- ``disconnect``: the connection is closed instead of sending the RESPONSE; the request is not performed.
"""

from __future__ import annotations

import enum
import math
import random
from typing import Any, Iterable

import attrs

from protocol.constants import LineErr

__all__ = ["FaultMode", "FaultRule", "FaultInjector", "FaultError", "parse_lineerr"]


class FaultError(ValueError):
    """A fault rule is invalid (the message names the field and the value)."""


class FaultMode(str, enum.Enum):
    """The four fault modes of wire-protocol §5."""

    DROP = "drop"
    DELAY = "delay"
    ERROR = "error"
    DISCONNECT = "disconnect"


def parse_lineerr(value: Any) -> LineErr:
    """Accept ``LineErr``, an int, ``"LINEERR_OPERATIONFAILED"`` or ``"OPERATIONFAILED"``."""
    if isinstance(value, LineErr):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return LineErr(value)
        except ValueError:
            raise FaultError(f"fault error {value:#x} is not a LINEERR_ value") from None
    if isinstance(value, str):
        name = value.strip().upper()
        if name.startswith("LINEERR_"):
            name = name[len("LINEERR_"):]
        try:
            return LineErr[name]
        except KeyError:
            raise FaultError(f"fault error {value!r} is not a LINEERR_ name (e.g. 'LINEERR_OPERATIONFAILED')") from None
    raise FaultError(f"fault error must be a LINEERR_ name or value, got {value!r}")


def _mode(value: Any) -> FaultMode:
    if isinstance(value, FaultMode):
        return value
    try:
        return FaultMode(str(getattr(value, "value", value)).lower())
    except ValueError:
        raise FaultError(f"fault mode must be one of drop, delay, error, disconnect; got {value!r}") from None


@attrs.frozen
class FaultRule:
    """One ``[[faults]]`` entry, validated."""

    function: int
    mode: FaultMode = attrs.field(converter=_mode)
    seconds: float = 0.0
    error: LineErr = LineErr.OPERATIONFAILED
    probability: float = 1.0
    after: int = 0

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.function, int) or isinstance(self.function, bool) or not 0 <= self.function <= 0xFFFFFFFF:
            raise FaultError(f"fault function must be a Req_Func number (u32), got {self.function!r}")
        if not (isinstance(self.seconds, (int, float)) and math.isfinite(self.seconds) and self.seconds >= 0):
            raise FaultError(f"fault seconds must be a finite number >= 0, got {self.seconds!r}")
        if not (isinstance(self.probability, (int, float)) and 0.0 <= self.probability <= 1.0):
            raise FaultError(f"fault probability must be between 0 and 1, got {self.probability!r}")
        if not isinstance(self.after, int) or self.after < 0:
            raise FaultError(f"fault after must be an integer >= 0, got {self.after!r}")

    @classmethod
    def coerce(cls, rule: Any) -> FaultRule:
        """Build from a FaultRule, a mapping with the §5 keys, or any object with those attributes
        (e.g. the scenario loader's fault records)."""
        if isinstance(rule, FaultRule):
            return rule
        if isinstance(rule, dict):
            get = rule.get
        else:
            def get(key: str, default: Any = None) -> Any:
                return getattr(rule, key, default)
        function = get("function")
        if function is None:
            raise FaultError(f"fault rule {rule!r} has no 'function'")
        error = get("error")
        seconds = get("seconds")
        probability = get("probability")
        after = get("after")
        return cls(
            function=int(function),
            mode=get("mode"),
            seconds=0.0 if seconds is None else float(seconds),
            error=LineErr.OPERATIONFAILED if error is None else parse_lineerr(error),
            probability=1.0 if probability is None else float(probability),
            after=0 if after is None else int(after),
        )


class FaultInjector:
    """Decides, for each arriving request, which fault (if any) applies. Deterministic from ``seed``."""

    def __init__(self, rules: Iterable[Any] = (), seed: int | None = 0) -> None:
        self._seed = seed
        self._random = random.Random(f"tsp-faults:{seed}")
        self._rules: tuple[FaultRule, ...] = ()
        self._seen: list[int] = []
        self.set_rules(rules)

    @property
    def rules(self) -> tuple[FaultRule, ...]:
        return self._rules

    def set_rules(self, rules: Iterable[Any]) -> None:
        """Replace the rules (counters start again from zero; the random stream continues)."""
        self._rules = tuple(FaultRule.coerce(r) for r in rules)
        self._seen = [0] * len(self._rules)

    def clear(self) -> None:
        """Remove every rule: from now on no request is faulted."""
        self.set_rules(())

    def decide(self, req_func: int) -> FaultRule | None:
        """Count this request against every rule of its function and return the first rule that fires."""
        chosen: FaultRule | None = None
        for index, rule in enumerate(self._rules):
            if rule.function != req_func:
                continue
            self._seen[index] += 1
            if chosen is not None or self._seen[index] <= rule.after:
                continue
            if rule.probability >= 1.0:
                chosen = rule
            elif rule.probability > 0.0 and self._random.random() < rule.probability:
                chosen = rule
        return chosen
