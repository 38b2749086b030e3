"""The Erlang A formulas of tests/unit/erlang_a.py checked against each other and against known limits.

No published Erlang A table could be reached from this machine to copy a value from, so the check is by
independent computations instead (each would have to be wrong in the same way for a bug to pass):
Mandelbaum & Zeltyn's closed form with the incomplete gamma function by quadrature, against the
truncated birth-death chain with tagged-caller path sums (no special function), whose stationary
distribution is itself checked against a dense Gaussian elimination of the generator; and the two
limits with textbook answers: patience -> infinity is Erlang C, patience mean = talk mean is the
M/M/inf queue (the number present is Poisson).
"""

from __future__ import annotations

import math

import pytest

from erlang import erlang_c, mean_wait
from erlang_a import big_a, erlang_a_chain, erlang_a_formula, generator_solve, stationary

# (agents, calls per second, talk rate, patience rate): the issue's reference group (10 agents, 85 %
# load, 180 s talk, 120 s patience), a large efficient one, an overloaded one (120 %), small ones
CASES = [
    (10, 0.85 * 10 / 180, 1 / 180, 1 / 120),
    (50, 48 / 60, 1 / 60, 1 / 120),
    (100, 1.2, 1 / 100, 1 / 60),
    (3, 1.0, 0.5, 5.0),
    (3, 1.0, 0.5, 0.01),
    (1, 0.1, 0.2, 0.05),
]


@pytest.mark.parametrize("n, lam, mu, theta", CASES)
def test_closed_form_agrees_with_the_chain(n, lam, mu, theta):
    f = erlang_a_formula(n, lam, mu, theta)
    c = erlang_a_chain(n, lam, mu, theta)
    assert f.p_wait == pytest.approx(c.p_wait, rel=1e-9)
    assert f.p_abandon == pytest.approx(c.p_abandon, rel=1e-9)
    # E[W] = P(Ab) / theta (Little) against the path sums of served and abandoned callers
    assert f.mean_wait == pytest.approx(c.mean_wait, rel=1e-9)
    assert 0 <= c.mean_wait_served
    assert 0 < c.p_abandon < c.p_wait < 1


def test_issue_reference_group():
    # 10 agents, 85 % load, 180 s talk, 120 s mean patience: the issue quotes 7.7 % abandoned and
    # 7.8 s to answer (instead of Erlang C's 63 s); the exact figures are 7.88 % and 8.01 s
    lam, mu = 0.85 * 10 / 180, 1 / 180
    c = erlang_a_chain(10, lam, mu, 1 / 120)
    assert c.p_abandon == pytest.approx(0.0788, abs=5e-5)
    assert c.mean_wait_served == pytest.approx(8.01, abs=0.005)
    assert mean_wait(10, lam, mu) == pytest.approx(63.58, abs=0.005)


def test_infinite_patience_is_erlang_c():
    n, lam, mu = 10, 0.85 * 10 / 180, 1 / 180
    f = erlang_a_formula(n, lam, mu, 1e-6)
    c = erlang_a_chain(n, lam, mu, 1e-6)
    assert f.p_wait == pytest.approx(erlang_c(n, lam / mu), rel=1e-3)
    # with hardly any abandonment every caller is served: both means are Erlang C's mean wait
    assert c.mean_wait == pytest.approx(mean_wait(n, lam, mu), rel=3e-3)
    assert c.mean_wait_served == pytest.approx(mean_wait(n, lam, mu), rel=3e-3)


def test_patience_equal_to_talk_is_the_infinite_server_queue():
    # theta = mu: every caller leaves at rate mu, served or not, so the number present is Poisson(a)
    # and P(Ab) = E[(N - n)+] theta / lam
    n, mu = 10, 1 / 180
    lam = 0.85 * n * mu
    a = lam / mu
    poisson = [math.exp(-a + k * math.log(a) - math.lgamma(k + 1)) for k in range(200)]
    excess = sum(max(k - n, 0) * p for k, p in enumerate(poisson))
    assert erlang_a_formula(n, lam, mu, mu).p_abandon == pytest.approx(excess / a, rel=1e-9)
    assert erlang_a_chain(n, lam, mu, mu).p_wait == pytest.approx(sum(poisson[n:]), rel=1e-9)


def test_stationary_distribution_against_the_dense_generator():
    pi = stationary(3, 1.0, 0.5, 0.2)
    dense = generator_solve(3, 1.0, 0.5, 0.2, len(pi))
    assert max(abs(a - b) for a, b in zip(pi, dense)) < 1e-12
    assert sum(pi) == pytest.approx(1.0, abs=1e-12)


def test_big_a_against_the_incomplete_gamma_of_integer_order():
    # gamma(x, y) for integer x: (x - 1)! (1 - e^-y sum_{k<x} y^k / k!)
    for x, y in [(1, 0.5), (3, 2.0), (7, 5.5), (40, 30.0)]:
        lower = math.factorial(x - 1) * (1 - math.exp(-y) * sum(y**k / math.factorial(k) for k in range(x)))
        assert big_a(x, y) == pytest.approx(x * math.exp(y) * y**-x * lower, rel=1e-9)
    # x < 1 (the substituted integral): gamma(1/2, y) = sqrt(pi) erf(sqrt(y))
    y = 2.0
    assert big_a(0.5, y) == pytest.approx(0.5 * math.exp(y) * y**-0.5 * math.sqrt(math.pi) * math.erf(math.sqrt(y)),
                                          rel=1e-7)


def test_refusals():
    with pytest.raises(ValueError, match="positive rates"):
        erlang_a_formula(10, 0.1, 0.01, 0.0)
    with pytest.raises(ValueError, match="x > 0"):
        big_a(0.0, 1.0)
