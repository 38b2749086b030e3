"""tsp/outbox.py: one connection's queue limit and the budget all queues share (bytes queued and being
written count until written; a closed queue leaves the budget)."""

from __future__ import annotations

from tsp.outbox import Outbox, QueueBudget


def test_budget_counts_queued_and_in_send_bytes_until_written() -> None:
    budget = QueueBudget(100)
    a, b = Outbox(80, budget), Outbox(80, budget)
    assert a.put(b"x" * 40) and b.put(b"y" * 30)
    assert budget.total == 70
    data = a.take()  # handed to a write: still held
    assert (a.queued, a.in_send, a.held, budget.total) == (0, 40, 40, 70)
    a.sent(25)
    a.give_back(data[25:])  # the unwritten rest goes back in front
    assert (a.queued, a.in_send, budget.total) == (15, 0, 45)
    assert a.take() == b"x" * 15
    a.sent(15)
    assert budget.total == 30


def test_the_budget_refuses_without_marking_the_queue_overflowed() -> None:
    budget = QueueBudget(100)
    a, b = Outbox(80, budget), Outbox(80, budget)
    assert a.put(b"x" * 70)
    assert not b.put(b"y" * 40) and not b.overflowed  # the total, not b's own limit
    assert not b.put(b"y" * 81) and b.overflowed  # b's own limit
    assert budget.total == 70


def test_a_closed_or_replaced_queue_leaves_the_budget() -> None:
    budget = QueueBudget(1000)
    a, b = Outbox(800, budget), Outbox(800, budget)
    a.put(b"x" * 300)
    a.take()
    a.put(b"x" * 100)
    b.put(b"y" * 200)
    assert budget.total == 600
    a.replace_with(b"ERROR")  # cut off: its 400 bytes no longer count, nor does the ERROR
    assert budget.total == 200 and a.closed and a.queued == 5
    a.sent(300)  # the write that was under way finishes later: nothing counted twice
    assert budget.total == 200
    b.close()
    b.close()
    assert budget.total == 0
    assert not b.put(b"z")
