"""client.service_level: the pieces of the wallboard's service level (the whole is checked against the model
in tests/integration/test_wallboard_service_level.py)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from client.service_level import GroupServiceLevel, read_time


def test_read_time_narrowed_by_the_call_rate() -> None:
    # 3 calls in an exact duration of 1234.5678 s: the rate is 8.7479 (4 decimals) and pins "now".
    exact = 1234.5678
    rate = Decimal(round(3 * 3600 / exact, 4)).quantize(Decimal("0.0001"))
    when = read_time(1000.0, 1234, 3, rate)
    assert when.lo <= 1000.0 + exact <= when.hi
    assert when.hi - when.lo < 0.05  # about 14 ms with 3 calls in 20 minutes
    plain = read_time(1000.0, 1234, 0, Decimal(0))
    assert (plain.lo, plain.hi) == (2234.0, 2235.0)


def queue(total: int, waiting: int, longest: int) -> SimpleNamespace:
    return SimpleNamespace(total_calls_queued=total, current_calls_queued=waiting, current_longest_wait_time=longest)


def bracket(t: float):  # an exactly known instant
    return read_time(t, 0, 0, 0).__class__(t, t)


def test_call_classified_from_arrival_and_answer_times() -> None:
    sl = GroupServiceLevel(threshold=20)
    sl.queue_read(queue(0, 0, 0), bracket(100))
    sl.queue_read(queue(1, 1, 0), bracket(101))  # call 1 arrived in (100, 101]
    index = sl.offer()
    # answered in (140, 141]: time to answer in (39, 41): beyond, exactly, whatever the counters allow
    sl.answered(index, 0.0, 1e9, 140.0, 141.0, None)
    assert (sl.within, sl.beyond, sl.estimated) == (0, 1, 0)


def test_call_straddling_the_limit_counts_by_its_share() -> None:
    sl = GroupServiceLevel(threshold=20)
    sl.queue_read(queue(0, 0, 0), bracket(100))
    index = sl.offer()  # offered at once (events come before the queue read)
    sl.queue_read(queue(1, 0, 0), bracket(101))
    sl.answered(index, 0.0, 1e9, 120.0, 121.0, None)
    assert (sl.within, sl.beyond, sl.estimated) == (1.0, 0.0, 0)  # (19, 21) lies below 21: exact
    index = sl.offer()
    sl.queue_read(queue(2, 0, 0), bracket(102))
    sl.answered(index, 0.0, 1e9, 122.0, 123.0, None)  # (20, 22) straddles 21: half within
    assert sl.estimated == 1 and sl.within == 1.5


def test_exact_verdict_and_waiting_for_the_queue_read() -> None:
    sl = GroupServiceLevel(threshold=20)
    sl.queue_read(queue(0, 0, 0), bracket(0))
    first = sl.offer()  # arrives and is offered after this read
    sl.answered(first, 0.0, 1e9, 5.0, 6.0, None)  # its arrival is not known yet: waits
    assert sl.classified == 0
    sl.queue_read(queue(1, 0, 0), bracket(6))
    assert (sl.within, sl.estimated) == (1, 0)
    second = sl.offer()
    sl.answered(second, 0.0, 1e9, 50.0, 51.0, True)  # the counters decide (longest <= T)
    assert sl.within == 2


def test_arrivals_of_unwatched_calls_do_not_pile_up() -> None:
    """Calls answered by sessions the wallboard does not watch leave arrival times behind; a long run keeps
    a bounded number of them."""
    sl = GroupServiceLevel(threshold=20)
    for t in range(30_000):
        sl.queue_read(queue(t, 0, 0), bracket(float(t)))  # one call a second, each offered elsewhere
    assert sl.tracked_arrivals <= 10_000
