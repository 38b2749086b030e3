"""GetCallInfo's remembered structures (tsp/calls.py AnswerMemo): at every step of a call's life, and for
every buffer size, API version and owner count, the RESPONSE taken from the memo is the same bytes as the
one built afresh with the memo off - and the memo is used (its hits are counted)."""

from __future__ import annotations

from typing import Any

import attrs

from protocol import codec
from protocol import messages as m
from protocol.call_messages import Answer, Drop, GetCallInfo, Hold, UnHold
from protocol.call_events import AppNewCallEvent
from protocol.constants import ApiVersion, LineErr
from test_calls import CallHarness, ringing
from tsp.calls import AnswerMemo


def _bytes(h: CallHarness, cid: int, body: Any) -> bytes:
    response = h.response(cid, body)
    return codec.encode(m.Response(1, response.result, response.body))


def _same_with_and_without(h: CallHarness, cid: int, hcall: int, sizes: tuple[int, ...] = (1024, 344, 400, 4096)) -> int:
    """GetCallInfo(hcall) for each size (344: the 3.0 fixed part only, dwNeededSize says more): memo on
    (twice: built, then remembered) == memo off; the hits."""
    memo = h.svc.call_info_memo
    before = memo.hits
    for size in sizes:
        body = GetCallInfo(h_call=hcall, call_info_size=size)
        memo.enabled = False
        fresh = _bytes(h, cid, body)
        memo.enabled = True
        first, second = _bytes(h, cid, body), _bytes(h, cid, body)
        assert first == second == fresh, size
        assert h.response(cid, body).result == 0
    return memo.hits - before


def test_every_step_of_a_call_is_the_same_bytes_from_the_memo() -> None:
    h, c, hline, _, hcall = ringing()
    hits = _same_with_and_without(h, c, hcall)  # OFFERING
    h.advance(2)
    assert h.async_ok(c, Answer(h_call=hcall)).result == 0
    hits += _same_with_and_without(h, c, hcall)  # CONNECTED: connected ID, new state
    assert h.async_ok(c, Hold(h_call=hcall)).result == 0
    hits += _same_with_and_without(h, c, hcall)
    assert h.async_ok(c, UnHold(h_call=hcall)).result == 0
    hits += _same_with_and_without(h, c, hcall)
    other = h.connect()  # a second owner: dwNumOwners changes
    happ = h.init(other)
    h.open(other, happ, 0, hremote=0x906)
    assert h.async_ok(c, Hold(h_call=hcall)).result == 0  # the other line learns the call
    (theirs,) = [r for r in h.calls(other) if isinstance(r, AppNewCallEvent)]
    hits += _same_with_and_without(h, c, hcall)
    hits += _same_with_and_without(h, other, theirs.h_call)
    h.advance(5)
    assert h.async_ok(c, Drop(h_call=hcall)).result == 0
    hits += _same_with_and_without(h, c, hcall)  # IDLE: what the handle last knew
    assert hits >= 7 * 4  # at least every second request of each pair came from the memo


def test_the_changed_call_is_never_answered_from_the_memo() -> None:
    h, c, _, _, hcall = ringing()
    offering = _bytes(h, c, GetCallInfo(h_call=hcall))
    h.advance(2)
    h.async_ok(c, Answer(h_call=hcall))
    connected = _bytes(h, c, GetCallInfo(h_call=hcall))
    assert connected != offering
    h.svc.call_info_memo.enabled = False
    assert _bytes(h, c, GetCallInfo(h_call=hcall)) == connected


def test_versions_and_refusals() -> None:
    h = CallHarness()
    c = h.connect()
    happ = h.init(c)
    v22 = h.open(c, happ, 0, version=ApiVersion.V2_2, hremote=0x907)
    h.open(c, happ, 0, version=ApiVersion.V3_0, hremote=0x908)
    h.ready_agent(c, v22)
    h.advance(1)
    news = [r for r in h.calls(c) if isinstance(r, AppNewCallEvent)]
    assert len(news) == 2  # one hCall per line: 2.2 and 3.0 structures differ, both remembered apart
    answers = []
    for new in news:
        assert _same_with_and_without(h, c, new.h_call, sizes=(1024, 2048)) == 4  # 2 of 3 per size
        answers.append(_bytes(h, c, GetCallInfo(h_call=new.h_call)))
    assert answers[0] != answers[1]
    # a refusal is never remembered: the same size is refused every time
    for _ in range(2):
        assert h.error(c, GetCallInfo(h_call=new.h_call, call_info_size=100)) == LineErr.STRUCTURETOOSMALL


def test_the_memo_is_bounded() -> None:
    memo = AnswerMemo(size=3)
    for i in range(10):
        memo.put(i, bytes([i]))
    assert len(memo) == 3
    assert memo.get(9) == b"\x09" and memo.get(0) is None and memo.hits == 1
    memo.enabled = False
    assert memo.get(9) is None and memo.hits == 1


def test_a_changed_model_value_is_built_afresh() -> None:
    """The key holds the model's whole CallInfo value: any field the switch changes (here the caller ID,
    as a redirect or transfer changes the reason and the agent) gives new bytes, never the remembered."""
    h, c, _, _, hcall = ringing()
    before = _bytes(h, c, GetCallInfo(h_call=hcall))
    real = h.model.call_info
    h.model.call_info = lambda call_id: attrs.evolve(real(call_id), ani="+4930123", reason="redirect")  # type: ignore[method-assign]
    changed = _bytes(h, c, GetCallInfo(h_call=hcall))
    assert changed != before
    h.svc.call_info_memo.enabled = False
    assert _bytes(h, c, GetCallInfo(h_call=hcall)) == changed
