"""Erlang C (M/M/N queue) formulas, written out for the switch model's realism check.

An ACD group with ``n`` agents, Poisson arrivals of rate ``lam`` (calls per second), exponential talk of
mean ``1/mu`` seconds, no wrap-up, no answer delay and a FIFO queue is an M/M/n queue. With offered
load ``a = lam / mu`` erlangs (< n for stability):

* Erlang B by the stable recurrence B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1));
* Erlang C, the probability that a call waits: C = n B / (n - a (1 - B));
* mean wait (arrival to answer) W = C / (n mu - lam);
* service level P(wait <= t) = 1 - C exp(-(n mu - lam) t).
"""

from __future__ import annotations

import math


def erlang_b(n: int, a: float) -> float:
    """Blocking probability of n servers offered a erlangs."""
    if n < 0 or a < 0:
        raise ValueError(f"need n >= 0 and a >= 0, got n={n}, a={a}")
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(n: int, a: float) -> float:
    """Probability that an arriving call has to wait (n agents, a erlangs, a < n)."""
    if not 0 <= a < n:
        raise ValueError(f"the queue is unstable unless 0 <= a < n (a={a}, n={n})")
    b = erlang_b(n, a)
    return n * b / (n - a * (1 - b))


def mean_wait(n: int, lam: float, mu: float) -> float:
    """Mean time to answer in seconds (waiting calls and immediately answered ones together)."""
    return erlang_c(n, lam / mu) / (n * mu - lam)


def service_level(n: int, lam: float, mu: float, t: float) -> float:
    """Share of calls answered within t seconds of arrival."""
    return 1.0 - erlang_c(n, lam / mu) * math.exp(-(n * mu - lam) * t)
