"""Erlang A (M/M/n+M, "Palm's queue") formulas, written out for the switch model's abandonment check.

An ACD group with ``n`` agents answering at once, no wrap-up, Poisson arrivals of rate ``lam``,
exponential talk of rate ``mu`` and exponential patience of rate ``theta`` (mean patience 1/theta; a
caller still waiting when its patience runs out hangs up) is the Erlang A queue. It is stable at any
load. Two independent computations are here:

1. **The closed form** of Mandelbaum & Zeltyn, "The Palm/Erlang-A Queue, with Applications to Call
   Centers" (Technion, 2005; also Garnett, Mandelbaum & Reiman, "Designing a Call Center with
   Impatient Customers", MSOM 4(3), 2002, appendix), in terms of Erlang B and the incomplete gamma
   function. With x = n mu / theta, y = lam / theta, rho = lam / (n mu) and E = ErlangB(n, lam/mu):

       A(x, y)      = x e^y y^-x gamma(x, y),   gamma(x, y) = int_0^y t^(x-1) e^-t dt
       P(W > 0)     = A E / (1 + (A - 1) E)
       P(Ab | W>0)  = 1 / (rho A) + 1 - 1 / rho
       P(Ab)        = P(Ab | W>0) P(W > 0)
       E[W]         = P(Ab) / theta            (all callers, served and abandoned: Little's law on
                                                the queue, lam P(Ab) = theta E[Q])

   ``gamma`` is computed here by quadrature (no series), see :func:`big_a`.

2. **The birth-death chain** (state k = callers present; up lam, down min(k, n) mu + max(k - n, 0)
   theta), truncated where the tail is below 1e-15 and solved numerically, plus a tagged-caller
   analysis for the waits: an arrival that finds j callers ahead in the queue (PASTA: with the
   stationary probability of k = n + j) moves up one place at rate n mu + j' theta and hangs up at
   rate theta, so stage i (i callers ahead) lasts Exp(n mu + (i + 1) theta) whatever ends it. That
   gives P(Ab), E[W] (all callers) and E[W | served] (the ASA: the mean time to answer of the calls
   that were answered, which is what dwAverageTimeToAnswer measures) as finite sums, with no special
   function.

The two agree to 1e-9 (test_model_erlang_a.py); E[W] from the chain's path sums equals P(Ab)/theta
from Little's law; theta -> 0 gives Erlang C (tests/unit/erlang.py) and theta = mu makes the number
present Poisson(lam/mu) (every caller leaves at rate mu whether served or not, an M/M/inf queue).
"""

from __future__ import annotations

import math
from typing import NamedTuple

from erlang import erlang_b


class ErlangA(NamedTuple):
    p_wait: float  # P(W > 0): the arrival finds every agent busy
    p_abandon: float  # P(Ab): share of callers who hang up before an answer
    mean_wait: float  # E[W], all callers (until answer or hang-up), seconds
    mean_wait_served: float  # E[W | answered] (ASA), seconds; nan from the closed form


def _simpson(f, a: float, b: float, panels: int) -> float:
    panels += panels % 2
    h = (b - a) / panels
    total = f(a) + f(b)
    for i in range(1, panels):
        total += (4 if i % 2 else 2) * f(a + i * h)
    return total * h / 3


def big_a(x: float, y: float) -> float:
    """A(x, y) = x e^y y^-x gamma(x, y), by quadrature of the incomplete gamma integral.

    With t = y s it is x int_0^1 s^(x-1) e^(y (1 - s)) ds (smooth for x >= 1; the integrand peaks
    at s = 1 with width about 1/x, so the panel count follows x); for x < 1, s = v^(1/x) removes the
    singularity at 0: int_0^1 exp(y (1 - v^(1/x))) dv.
    """
    if x <= 0 or y < 0:
        raise ValueError(f"need x > 0 and y >= 0, got x={x}, y={y}")
    if x >= 1:
        # exponent g(s) = (x - 1) ln s + y (1 - s), shifted by its maximum on (0, 1] against overflow
        peak = min(1.0, (x - 1) / y) if y else 1.0
        top = (x - 1) * math.log(peak) + y * (1 - peak) if peak > 0 else 0.0
        panels = int(min(200_000, max(20_000, 50 * (x + y))))

        def f(s: float) -> float:
            if s > 0:
                return math.exp((x - 1) * math.log(s) + y * (1 - s) - top)
            return math.exp(y - top) if x == 1 else 0.0

        return x * math.exp(top) * _simpson(f, 0.0, 1.0, panels)
    return _simpson(lambda v: math.exp(y * (1 - v ** (1 / x))), 0.0, 1.0, 20_000)


def erlang_a_formula(n: int, lam: float, mu: float, theta: float) -> ErlangA:
    """Mandelbaum & Zeltyn's closed form (no E[W | served]: that one is in :func:`erlang_a_chain`)."""
    if n < 1 or lam <= 0 or mu <= 0 or theta <= 0:
        raise ValueError(f"need n >= 1 and positive rates, got n={n}, lam={lam}, mu={mu}, theta={theta}")
    e = erlang_b(n, lam / mu)
    a = big_a(n * mu / theta, lam / theta)
    rho = lam / (n * mu)
    p_wait = a * e / (1 + (a - 1) * e)
    p_ab = (1 / (rho * a) + 1 - 1 / rho) * p_wait
    return ErlangA(p_wait, p_ab, p_ab / theta, math.nan)


def stationary(n: int, lam: float, mu: float, theta: float, eps: float = 1e-15) -> list[float]:
    """Stationary distribution of the number present, truncated where the terms fall below ``eps``.

    Solved from the cut equations pi_k lam = pi_(k+1) d_(k+1) in log space (no overflow at large n),
    then normalised; it stops where the ratios pi_(k+1) / pi_k = lam / d_(k+1) (which only fall in the
    queue) bound the rest of the tail below ``eps`` times the largest term.
    """
    logs = [0.0]
    k = 0
    while True:
        k += 1
        d = min(k, n) * mu + max(k - n, 0) * theta
        logs.append(logs[-1] + math.log(lam / d))
        ratio = lam / d  # the later ratios are smaller: the tail is below pi_k ratio / (1 - ratio)
        if k > n and ratio < 1 and logs[-1] - max(logs) + math.log(ratio / (1 - ratio)) < math.log(eps):
            break
        if k > 1_000_000:
            raise ValueError("the chain does not settle (theta too small for this load)")
    top = max(logs)
    weights = [math.exp(v - top) for v in logs]
    total = sum(weights)
    return [w / total for w in weights]


def erlang_a_chain(n: int, lam: float, mu: float, theta: float) -> ErlangA:
    """Exact figures from the truncated chain and the tagged-caller path sums."""
    pi = stationary(n, lam, mu, theta)
    p_wait = sum(pi[n:])
    p_ab = w_served = w_abandoned = 0.0
    for j, p in enumerate(pi[n:]):  # j callers ahead in the queue
        survive = 1.0  # P(the tagged caller is still waiting on reaching stage i)
        elapsed = 0.0  # mean time spent in the stages up to and including i
        for i in range(j, -1, -1):  # i callers ahead now
            rate = n * mu + (i + 1) * theta
            elapsed += 1 / rate
            hang_up = survive * theta / rate
            p_ab += p * hang_up
            w_abandoned += p * hang_up * elapsed
            survive *= (n * mu + i * theta) / rate
        w_served += p * survive * elapsed  # answered at the end of stage 0
    mean_wait = w_served + w_abandoned
    return ErlangA(p_wait, p_ab, mean_wait, w_served / (1 - p_ab))


def generator_solve(n: int, lam: float, mu: float, theta: float, states: int) -> list[float]:
    """pi Q = 0, sum pi = 1 on states 0..states-1 by Gaussian elimination of the dense generator.

    Slow (cubic) and only for small checks: it solves the global balance equations with no use of
    the birth-death structure, so it checks :func:`stationary` independently.
    """
    m = states
    q = [[0.0] * m for _ in range(m)]
    for k in range(m):
        if k + 1 < m:
            q[k][k + 1] = lam
        if k:
            q[k][k - 1] = min(k, n) * mu + max(k - n, 0) * theta
        q[k][k] = -sum(q[k])
    # rows of the system: columns of Q (pi Q = 0), the last one replaced by sum pi = 1
    rows = [[q[i][j] for i in range(m)] + [0.0] for j in range(m - 1)] + [[1.0] * m + [1.0]]
    for c in range(m):
        pivot = max(range(c, m), key=lambda r: abs(rows[r][c]))
        rows[c], rows[pivot] = rows[pivot], rows[c]
        for r in range(m):
            if r != c and rows[r][c]:
                f = rows[r][c] / rows[c][c]
                rows[r] = [a - f * b for a, b in zip(rows[r], rows[c])]
    return [rows[i][m] / rows[i][i] for i in range(m)]
