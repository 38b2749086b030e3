"""tsp/traffic.py: talk and patience samplers, arrivals of a rate profile (wire-protocol §7.6), caller numbers.

Statistical checks use a fixed seed (so they are reproducible) and tolerances derived from the sample size:
a mean within 5 standard errors, a standard deviation within 5 standard errors of the sample sd
(SE(s) ~ sigma * sqrt((kurtosis - 1) / 4n)), a chi-square statistic below the 0.999 quantile. The
quantiles come from the NIST/SEMATECH e-Handbook of Statistical Methods, §1.3.6.7.4 "Critical Values of
the Chi-Square Distribution" (upper tail, alpha = 0.001), and are cross-checked here against the
regularized incomplete gamma function computed by its power series.
"""

from __future__ import annotations

import math
import random
import statistics

import pytest

from tsp.traffic import Arrivals, fill_digits, patience_sampler, talk_sampler

N = 20_000
#: chi-square upper critical values at alpha = 0.001 (NIST/SEMATECH e-Handbook §1.3.6.7.4), by df.
CHI2_999 = {9: 27.877, 20: 45.315}


def lower_gamma_regularized(a: float, x: float) -> float:
    """P(a, x) = gamma(a, x) / Gamma(a), by the series sum x^n / (a (a+1) ... (a+n))."""
    if x <= 0:
        return 0.0
    term = total = 1.0 / a
    n = 0
    while term > total * 1e-17:
        n += 1
        term *= x / (a + n)
        total += term
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def chi2_sf(stat: float, df: int) -> float:
    return 1.0 - lower_gamma_regularized(df / 2, stat / 2)


@pytest.mark.parametrize("df", sorted(CHI2_999))
def test_chi_square_table_values_match_the_series(df: int) -> None:
    assert chi2_sf(CHI2_999[df], df) == pytest.approx(0.001, rel=1e-3)


def check_mean_sd(xs: list[float], mean: float, sd: float, kurtosis: float) -> None:
    n = len(xs)
    m = statistics.fmean(xs)
    s = statistics.stdev(xs)
    assert abs(m - mean) <= 5 * sd / math.sqrt(n), (m, mean)
    assert abs(s - sd) <= 5 * sd * math.sqrt((kurtosis - 1) / (4 * n)), (s, sd)


def draw(sampler, seed: int = 1, n: int = N) -> list[float]:
    rng = random.Random(seed)
    return [sampler(rng) for _ in range(n)]


def test_exponential_talk_has_its_mean_and_sd() -> None:
    xs = draw(talk_sampler("exponential", 180.0, 0.0))
    assert min(xs) >= 0
    check_mean_sd(xs, 180.0, 180.0, 9.0)


def test_exponential_talk_draws_like_1_0() -> None:
    """Same numbers as 1.0's ``expovariate(1.0) * talk_mean``: old seeds give the same calls."""
    a, b = random.Random(5), random.Random(5)
    sampler = talk_sampler("exponential", 75.0, 0.0)
    assert [sampler(a) for _ in range(50)] == [b.expovariate(1.0) * 75.0 for _ in range(50)]


def test_lognormal_talk_has_the_mean_and_sd_of_the_time_itself() -> None:
    mean, sd = 180.0, 120.0
    xs = draw(talk_sampler("lognormal", mean, sd))
    sigma2 = math.log1p((sd / mean) ** 2)
    kurt = math.exp(4 * sigma2) + 2 * math.exp(3 * sigma2) + 3 * math.exp(2 * sigma2) - 3
    assert min(xs) > 0
    check_mean_sd(xs, mean, sd, kurt)
    # The shape, not only two moments: the median of a lognormal is exp(mu) = mean / sqrt(1 + cv^2);
    # SE(median) = 1 / (2 f(median) sqrt(n)) with f(median) = 1 / (median sigma sqrt(2 pi)).
    median = mean / math.sqrt(1 + (sd / mean) ** 2)
    se = median * math.sqrt(sigma2) * math.sqrt(2 * math.pi) / (2 * math.sqrt(N))
    assert abs(statistics.median(xs) - median) <= 5 * se


def test_gamma_talk_has_its_mean_sd_and_shape() -> None:
    mean, sd = 120.0, 60.0
    k = (mean / sd) ** 2
    xs = draw(talk_sampler("gamma", mean, sd))
    assert min(xs) > 0
    check_mean_sd(xs, mean, sd, 3 + 6 / k)
    # P(X <= mean) for gamma(k, theta) is P(k, k): compare the share below the mean (binomial SE).
    p = lower_gamma_regularized(k, k)
    share = sum(x <= mean for x in xs) / N
    assert abs(share - p) <= 5 * math.sqrt(p * (1 - p) / N)


def test_fixed_talk_is_the_mean_and_draws_nothing() -> None:
    rng = random.Random(3)
    state = rng.getstate()
    assert talk_sampler("fixed", 42.5, 0.0)(rng) == 42.5
    assert rng.getstate() == state


@pytest.mark.parametrize(
    ("dist", "mean", "sd", "match"),
    [
        ("normal", 10.0, 1.0, "unknown talk distribution 'normal'"),
        ("lognormal", 10.0, 0.0, "must be > 0"),
        ("gamma", 10.0, -1.0, ">= 0"),
        ("gamma", 0.0, 3.0, "mean of gamma must be > 0"),
        ("exponential", math.inf, 0.0, "finite"),
    ],
)
def test_talk_sampler_refuses_bad_parameters(dist: str, mean: float, sd: float, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        talk_sampler(dist, mean, sd)


def test_patience_samplers() -> None:
    assert patience_sampler("exponential", None) is None
    assert patience_sampler("fixed", None) is None
    check_mean_sd(draw(patience_sampler("exponential", 90.0)), 90.0, 90.0, 9.0)
    assert draw(patience_sampler("fixed", 30.0), n=3) == [30.0, 30.0, 30.0]
    with pytest.raises(ValueError, match="unknown patience distribution 'gamma'"):
        patience_sampler("gamma", 10.0)
    with pytest.raises(ValueError, match="must be > 0"):
        patience_sampler("exponential", 0.0)


# ---- arrivals ------------------------------------------------------------------------------------


def arrivals_until(arr: Arrivals, end: float, rng: random.Random) -> list[float]:
    out: list[float] = []
    t = 0.0
    while True:
        nxt = arr.next_after(t, rng)
        if nxt is None or nxt >= end:
            return out
        assert nxt > t
        out.append(nxt)
        t = nxt


def test_constant_rate_draws_like_1_0_and_has_the_rate() -> None:
    a, b = random.Random(9), random.Random(9)
    arr = Arrivals(300.0)
    t = 0.0
    for _ in range(100):
        expected = t + b.expovariate(1.0) * 3600 / 300.0
        t = arr.next_after(t, a)
        assert t == pytest.approx(expected, rel=1e-12)
    times = arrivals_until(Arrivals(300.0), 3600 * 60, random.Random(2))
    expected_count = 300 * 60
    assert abs(len(times) - expected_count) <= 5 * math.sqrt(expected_count)
    gaps = [y - x for x, y in zip([0.0] + times, times)]
    check_mean_sd(gaps, 12.0, 12.0, 9.0)


def test_profile_arrivals_per_interval_match_the_rates_chi_square() -> None:
    """Five repeated periods of a profile with a rate-0 interval: each nonzero interval of each period is
    a cell (expected count = rate x length / 3600, Poisson); the rate-0 cells get no call at all."""
    profile = ((0.0, 1200.0), (900.0, 3600.0), (1800.0, 0.0), (2400.0, 600.0), (3000.0, 2400.0))
    period, periods = 3600.0, 5
    arr = Arrivals(0.0, profile, repeat=period)
    times = arrivals_until(arr, period * periods, random.Random(11))
    edges = [at for at, _ in profile] + [period]
    stat, cells = 0.0, 0
    for k in range(periods):
        for (start, rate), end in zip(profile, edges[1:]):
            lo, hi = k * period + start, k * period + end
            observed = sum(lo <= x < hi for x in times)
            expected = rate * (end - start) / 3600
            if expected == 0:
                assert observed == 0, (k, start)
                continue
            stat += (observed - expected) ** 2 / expected
            cells += 1
    assert cells == 20
    assert stat < CHI2_999[20], stat
    assert chi2_sf(stat, cells) > 0.001


def test_profile_without_repeat_keeps_its_last_rate() -> None:
    arr = Arrivals(0.0, ((0.0, 0.0), (3600.0, 1800.0)))
    times = arrivals_until(arr, 3600.0 * 11, random.Random(4))
    assert times[0] > 3600.0  # rate 0 stretches the first wait over the whole first hour
    assert abs(len(times) - 18000) <= 5 * math.sqrt(18000)
    assert arr.rate_at(10.0) == 0.0 and arr.rate_at(1e9) == 1800.0


def test_rate_zero_stretches_across_repeats() -> None:
    arr = Arrivals(0.0, ((0.0, 0.0), (3000.0, 3600.0)), repeat=3600.0)
    times = arrivals_until(arr, 3600.0 * 20, random.Random(6))
    assert times and all(math.fmod(x, 3600.0) >= 3000.0 for x in times)
    assert abs(len(times) - 20 * 600) <= 5 * math.sqrt(20 * 600)
    # A far-future start lands in the same phase of the period.
    later = arr.next_after(3600.0 * 1000 + 10.0, random.Random(1))
    assert later is not None and math.fmod(later, 3600.0) >= 3000.0 and later > 3600.0 * 1000 + 3000.0


def test_repeat_repeats_the_profile() -> None:
    """Sparse calls (a short burst, then nothing for 99 % of the period): many periods are skipped in
    one draw and the phase of every arrival is still inside the burst."""
    arr = Arrivals(0.0, ((0.0, 36.0), (100.0, 0.0)), repeat=10_000.0)  # 1 call per 10,000 s on average
    times = arrivals_until(arr, 10_000.0 * 2000, random.Random(8))
    assert all(math.fmod(x, 10_000.0) < 100.0 for x in times)
    assert abs(len(times) - 2000) <= 5 * math.sqrt(2000)


def test_no_arrivals_ever() -> None:
    rng = random.Random(1)
    state = rng.getstate()
    assert Arrivals(0.0).next_after(0.0, rng) is None
    assert Arrivals(0.0, ((0.0, 0.0), (60.0, 0.0)), repeat=120.0).next_after(5.0, rng) is None
    assert Arrivals(0.0, ((0.0, 100.0), (60.0, 0.0))).next_after(60.0, rng) is None
    assert rng.getstate() == state  # nothing drawn when nothing can arrive
    # A profile that ends at rate 0: a Poisson number of calls (mean 10), then None for good.
    counts = []
    for seed in range(400):
        counts.append(len(arrivals_until(Arrivals(0.0, ((0.0, 3600.0), (10.0, 0.0))), math.inf, random.Random(seed))))
    assert abs(statistics.fmean(counts) - 10) <= 5 * math.sqrt(10 / 400)


def test_arrivals_are_reproducible_from_the_seed() -> None:
    arr = Arrivals(0.0, ((0.0, 600.0), (1800.0, 60.0)), repeat=7200.0)
    one = arrivals_until(arr, 36_000.0, random.Random(123))
    two = arrivals_until(arr, 36_000.0, random.Random(123))
    other = arrivals_until(arr, 36_000.0, random.Random(124))
    assert one == two and one != other


@pytest.mark.parametrize(
    ("rate", "profile", "repeat", "match"),
    [
        (0.0, ((5.0, 10.0),), None, r"profile\[0\].at must be 0"),
        (0.0, ((0.0, 10.0), (0.0, 5.0)), None, "greater than the previous"),
        (0.0, ((0.0, -1.0),), None, r"profile\[0\].rate must be a finite number >= 0"),
        (0.0, ((0.0, 1.0), (60.0, 2.0)), 60.0, "repeat must be greater than the last profile at"),
        (10.0, (), 60.0, "repeat needs a profile"),
        (-5.0, (), None, "rate must be"),
    ],
)
def test_arrivals_refuse_bad_profiles(rate, profile, repeat, match) -> None:
    with pytest.raises(ValueError, match=match):
        Arrivals(rate, profile, repeat)


def test_fill_digits() -> None:
    rng = random.Random(2)
    state = rng.getstate()
    assert fill_digits(None, rng) is None
    assert fill_digits("+4930123", rng) == "+4930123"
    assert rng.getstate() == state
    numbers = [fill_digits("+4930####", rng) for _ in range(2000)]
    assert all(n is not None and len(n) == 9 and n.startswith("+4930") and n[5:].isdigit() for n in numbers)
    digits = "".join(n[5:] for n in numbers if n)
    expected = len(digits) / 10
    stat = sum((digits.count(str(d)) - expected) ** 2 / expected for d in range(10))
    assert stat < CHI2_999[9]
    assert fill_digits("0###", random.Random(7)) == fill_digits("0###", random.Random(7))
