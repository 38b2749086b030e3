"""The event queue runs entries due at one instant in the order they were pushed (round 8: its entries
carry no push count; the open bucket is sorted by instant only, a stable sort, and a push due in the
open bucket goes after every entry due at or before its instant). Every bucket width: the entries at
one instant land in the open bucket (inserted) or in a later one (sorted when it opens)."""

from __future__ import annotations

import pytest

import tsp.model.core as core
from tsp.scenario import Agent
from tsp.values import CallEvent, CallState

from model11 import A, ready, switch


@pytest.mark.parametrize("shift", [None, 14, 17, 20, 26])
def test_answers_due_at_one_instant_run_in_offer_order(monkeypatch, shift):
    if shift is not None:
        monkeypatch.setattr(core, "bucket_shift", lambda sessions: shift)
    agents = tuple(Agent(f"a{i}", answer_delay=0.5, sessions=(ready(A, line=i % 4),)) for i in range(7))
    sw = switch(*agents)
    first = sw.offer_call(A, 30, 9.4)  # its answer (9.9 s) is in the bucket that 9.5 s opens at 2**20 us
    sw.advance(9.5)
    ids = [sw.offer_call(A, 30, 9.5) for _ in range(6)]  # offered in this order, all answered at 10.0 s
    events = sw.advance(10.0)
    connected = [e.call_id for e in events if type(e) is CallEvent and e.state is CallState.CONNECTED]
    assert connected == [first, *ids]


@pytest.mark.parametrize("shift", [None, 14, 26])
def test_hang_ups_and_wrap_up_ends_at_one_instant_keep_their_order(monkeypatch, shift):
    if shift is not None:
        monkeypatch.setattr(core, "bucket_shift", lambda sessions: shift)
    agents = tuple(Agent(f"a{i}", answer_delay=0.0, wrapup=2.0, sessions=(ready(A, line=i % 4),)) for i in range(5))
    sw = switch(*agents)
    # talk times that make the first three hang up at 20 s, the last two at 20 s as well but offered later
    ids = [sw.offer_call(A, 20 - at, at) for at in (0.0, 0.0, 1.5, 3.0, 3.0)]
    events = sw.advance(20.0)
    ended = [e.call_id for e in events if type(e) is CallEvent and e.state is CallState.DISCONNECTED]
    assert ended == ids
