"""Fault rules and the injector's decisions (tsp.faults; wire-protocol §5 [[faults]])."""

from __future__ import annotations

import types

import pytest

from protocol.constants import LineErr
from tsp.faults import FaultError, FaultInjector, FaultMode, FaultRule, parse_lineerr


def test_rule_from_mapping_and_object() -> None:
    rule = FaultRule.coerce({"function": 149, "mode": "error", "error": "LINEERR_RESOURCEUNAVAIL"})
    assert rule == FaultRule(149, FaultMode.ERROR, error=LineErr.RESOURCEUNAVAIL)
    obj = types.SimpleNamespace(function=155, mode="delay", seconds=130, error=None, probability=0.5, after=2)
    rule = FaultRule.coerce(obj)
    assert (rule.function, rule.mode, rule.seconds, rule.probability, rule.after) == (155, FaultMode.DELAY, 130.0, 0.5, 2)
    assert rule.error is LineErr.OPERATIONFAILED


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"function": 149, "mode": "explode"}, "mode"),
        ({"function": 149, "mode": "delay", "seconds": -1}, "seconds"),
        ({"function": 149, "mode": "drop", "probability": 1.5}, "probability"),
        ({"function": 149, "mode": "drop", "after": -1}, "after"),
        ({"function": 149, "mode": "error", "error": "LINEERR_NOSUCHTHING"}, "LINEERR_"),
        ({"mode": "drop"}, "function"),
    ],
)
def test_bad_rules_name_the_field(fields: dict, message: str) -> None:
    with pytest.raises(FaultError, match=message):
        FaultRule.coerce(fields)


def test_parse_lineerr_spellings() -> None:
    assert parse_lineerr("LINEERR_OPERATIONFAILED") is LineErr.OPERATIONFAILED
    assert parse_lineerr("nomem") is LineErr.NOMEM
    assert parse_lineerr(0x80000048) is LineErr.OPERATIONFAILED
    with pytest.raises(FaultError):
        parse_lineerr(5)


def test_first_matching_rule_wins_and_other_functions_pass() -> None:
    inj = FaultInjector([{"function": 149, "mode": "drop"}, {"function": 149, "mode": "error"}])
    assert inj.decide(148) is None
    assert inj.decide(149).mode is FaultMode.DROP


def test_after_skips_the_first_n_matching_requests() -> None:
    inj = FaultInjector([{"function": 149, "mode": "drop", "after": 2}, {"function": 149, "mode": "error"}])
    modes = [inj.decide(149).mode for _ in range(4)]
    assert modes == [FaultMode.ERROR, FaultMode.ERROR, FaultMode.DROP, FaultMode.DROP]
    # Other functions do not count towards `after`.
    inj = FaultInjector([{"function": 149, "mode": "drop", "after": 1}])
    assert inj.decide(150) is None and inj.decide(149) is None
    assert inj.decide(149) is not None


def test_probability_is_reproducible_from_the_seed_and_roughly_right() -> None:
    rules = [{"function": 149, "mode": "drop", "probability": 0.3}]
    inj1, inj2, inj3 = FaultInjector(rules, seed=7), FaultInjector(rules, seed=7), FaultInjector(rules, seed=8)
    s1 = [inj1.decide(149) is not None for _ in range(2000)]
    s2 = [inj2.decide(149) is not None for _ in range(2000)]
    s3 = [inj3.decide(149) is not None for _ in range(2000)]
    assert s1 == s2
    assert s1 != s3
    assert 0.25 < sum(s1) / len(s1) < 0.35


def test_probability_zero_never_fires_and_set_clear() -> None:
    inj = FaultInjector([{"function": 149, "mode": "drop", "probability": 0.0}])
    assert all(inj.decide(149) is None for _ in range(100))
    inj.set_rules([FaultRule(149, "disconnect")])
    assert inj.decide(149).mode is FaultMode.DISCONNECT
    inj.clear()
    assert inj.decide(149) is None and inj.rules == ()
