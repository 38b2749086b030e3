"""tsp/cdr.py and tsp/cdr_recompute.py: the JSON of a call detail record, the non-blocking writer (drops
counted and marked when the disk does not keep up, a write error stops writing), the reader, and the
statistics recomputed from hand-made records whose figures are worked out in the comments."""

from __future__ import annotations

import io
import json
import logging
import random
import threading
import uuid
from pathlib import Path

import pytest

from tsp.cdr import CdrError, CdrWriter, from_json, read_cdr, to_json
from tsp.cdr_recompute import QUEUE_FIELDS, SESSION_FIELDS, recompute
from tsp.scenario import parse_scenario
from tsp.values import CallOffer, CallOutcome, CallRecord, rate_e4

US = 1_000_000
SALES = uuid.UUID("5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b")
SUPPORT = uuid.UUID("8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
SCENARIO = parse_scenario(f"""
[switch]
start = "2026-11-26T09:00:00Z"
[[groups]]
id = "{SALES}"
name = "Sales"
queue = 1
[[groups]]
id = "{SUPPORT}"
name = "Support"
queue = 2
""")
START = SCENARIO.switch.start


def s(seconds: float) -> int:
    return round(seconds * US)


def offer(h: int, agent: str, start: float, end: float, answered: bool) -> CallOffer:
    return CallOffer(h, 100 + h, agent, s(start), s(end), answered)


def rec(call_id, groups, flows, arrival, entries, offers, answer, hangup, wrapup_end, outcome, ani=None, dnis=None, uui=None):
    return CallRecord(
        call_id=call_id, groups=tuple(groups), flows=tuple(flows), arrival=s(arrival),
        queue_entries=tuple(s(e) for e in entries), offers=tuple(offers),
        answer=None if answer is None else s(answer), hangup=None if hangup is None else s(hangup),
        wrapup_end=None if wrapup_end is None else s(wrapup_end), outcome=outcome, ani=ani, dnis=dnis, uui=uui,
    )


# Agents 1001 (sessions 5), 1002 (6, no wrap-up), 1003 (7, 5 s wrap-up); agent 1001 has 10 s wrap-up.
WRAPUP = {"1001": 10, "1002": 0, "1003": 5}
NOW = s(300)
RECORDS = [
    # A: answered at once-ish: waits 2 s (offer at 12), answer 14 (tta 4), talk 60, wrap-up 10.
    rec(1, [SALES], [], 10, [10], [offer(5, "1001", 12, 14, True)], 14, 74, 84, CallOutcome.ANSWERED,
        ani="+4930123", dnis="2001", uui="order 7"),
    # B: rings at 5 from 20 to 40 (ring timeout), back to the queue, offered to 6 at 50 (waits 0 and 30),
    #    answered 52 (tta 32), talk 100, no wrap-up.
    rec(2, [SALES], [], 20, [20], [offer(5, "1001", 20, 40, False), offer(6, "1002", 50, 52, True)], 52, 152, None,
        CallOutcome.ANSWERED),
    # C: waits in Sales from 30, overflows at 90 (wait 60) to Support keeping its arrival, abandons at 130
    #    (wait 100).
    rec(3, [SALES, SUPPORT], ["overflow"], 30, [30, 90], [], None, 130, None, CallOutcome.ABANDONED),
    # D: Support at 100, offered to 7 at once (wait 0), answered 101 (tta 1), blind transfer at 161 to Sales
    #    (talk 60, then 1003's 5 s wrap-up), a new arrival there: offered to 5 at 170 (wait 9), answered 171
    #    (tta 10), talk 29, wrap-up to 210 (10).
    rec(4, [SUPPORT, SALES], ["transfer"], 100, [100, 161],
        [offer(7, "1003", 100, 101, True), offer(5, "1001", 170, 171, True)], 101, 200, 210, CallOutcome.TRANSFERRED),
    # E (open at 300): waiting in Sales since 250.
    rec(5, [SALES], [], 250, [250], [], None, None, None, CallOutcome.UNANSWERED),
    # F (open at 300): Support at 260, offered to 6 at 280 (wait 20), answered 281 (tta 21), talking (19 s).
    rec(6, [SUPPORT], [], 260, [260], [offer(6, "1002", 280, 300, True)], 281, None, None, CallOutcome.UNANSWERED),
    # G: outbound, in no statistic.
    rec(7, [], [], 5, [], [], 10, 20, None, CallOutcome.OUTBOUND, dnis="0301234"),
]
# F's offer as open_records gives it: an answered ring ends at its answer.
RECORDS[5] = rec(6, [SUPPORT], [], 260, [260], [offer(6, "1002", 280, 281, True)], 281, None, None, CallOutcome.UNANSWERED)


def test_recompute_sessions() -> None:
    out = recompute(RECORDS, NOW, wrapup=WRAPUP)
    s5, s6, s7 = out.sessions[5], out.sessions[6], out.sessions[7]
    assert (s5.number_of_calls, s5.total_talk_time, s5.total_wrap_up_time, s5.total_call_time) == (2, 89, 20, 109)
    assert (s5.average_talk_time, s5.average_wrap_up_time, s5.average_call_time) == (44, 10, 54)
    assert (s5.longest_time_to_answer, s5.average_time_to_answer) == (10, 7)
    assert (s6.number_of_calls, s6.total_talk_time, s6.total_wrap_up_time, s6.longest_time_to_answer,
            s6.average_time_to_answer) == (2, 119, 0, 32, 26)
    assert (s7.number_of_calls, s7.total_talk_time, s7.total_wrap_up_time, s7.longest_time_to_answer) == (1, 60, 5, 1)
    assert set(out.sessions) == {5, 6, 7}
    for name in SESSION_FIELDS:
        assert isinstance(getattr(s5, name), int)


def test_recompute_queues() -> None:
    out = recompute(RECORDS, NOW, wrapup=WRAPUP)
    sales, support = out.queues[SALES], out.queues[SUPPORT]
    # Sales: entries A, B, C, D (transfer), E; waits 2, 0, 30, 60 (C's overflow), 9 -> 101 / 5.
    assert [getattr(sales, f) for f in QUEUE_FIELDS] == [5, 1, 0, 1, 1, 60, 50, 20]
    # Support: entries C (overflow), D, F; waits 100 (C abandons), 0, 20 -> 120 / 3.
    assert [getattr(support, f) for f in QUEUE_FIELDS] == [3, 0, 1, 1, 1, 100, 0, 40]


def test_recompute_wrapup_running_at_now_and_session_times() -> None:
    # A at now = 80: talked 60, in wrap-up for 6 s of its 10 (its open record has no wrap-up end).
    a = rec(1, [SALES], [], 10, [10], [offer(5, "1001", 12, 14, True)], 14, 74, None, CallOutcome.ANSWERED)
    out = recompute([a], s(80), wrapup=WRAPUP, sessions={5: (s(0), None), 9: (s(5), s(65))})
    assert (out.sessions[5].total_wrap_up_time, out.sessions[5].total_call_time) == (6, 66)
    assert out.sessions[5].session_duration(s(80)) == 80
    assert out.sessions[5].acd_call_rate_e4(s(80)) == rate_e4(1, s(80)) == 450_000
    assert out.sessions[9].number_of_calls == 0 and out.sessions[9].session_duration(s(80)) == 60


def test_recompute_since_restarts_queue_counters() -> None:
    out = recompute(RECORDS, NOW, wrapup=WRAPUP, since={SALES: s(100)})
    sales = out.queues[SALES]
    # From 100 on: entries D (161) and E (250); flowed in D; D's wait 9; E waits now.
    assert (sales.total_calls_queued, sales.total_calls_flowed_in, sales.total_calls_flowed_out) == (2, 1, 0)
    assert (sales.average_wait_time, sales.longest_ever_wait_time, sales.current_calls_queued) == (9, 50, 1)
    assert out.queues[SUPPORT].total_calls_queued == 3  # other queues: from 0


def test_redirect_at_the_offer_instant_belongs_to_the_first_segment() -> None:
    # Offered to 5 at 40 and redirected at once (40) to Support, where 6 takes it at 40 too.
    r = rec(8, [SALES, SUPPORT], ["transfer"], 30, [30, 40],
            [offer(5, "1001", 40, 40, False), offer(6, "1002", 40, 41, True)], 41, 100, None, CallOutcome.TRANSFERRED)
    out = recompute([r], NOW)
    assert out.queues[SALES].wait_sum_us == s(10) and out.queues[SUPPORT].wait_sum_us == 0
    assert out.sessions[6].tta_sum_us == s(1)


def test_json_of_a_record() -> None:
    obj = to_json(RECORDS[3], START, {g.id: g for g in SCENARIO.groups})
    assert obj["dwCallID"] == 4 and obj["outcome"] == "transferred"
    assert obj["arrival"] == {"utc": "2026-11-26T09:01:40.000000Z", "t": 100.0}
    assert [(g["name"], g["queue"], g["via"], g["entered"]["t"]) for g in obj["groups"]] == [
        ("Support", 2, "arrival", 100.0), ("Sales", 1, "transfer", 161.0),
    ]
    assert obj["offers"][1] == {
        "hAgentSession": 5, "hAgent": 105, "agent": "1001",
        "ring_start": {"utc": "2026-11-26T09:02:50.000000Z", "t": 170.0},
        "ring_end": {"utc": "2026-11-26T09:02:51.000000Z", "t": 171.0}, "answered": True,
    }
    assert obj["hangup"]["t"] == 200.0 and obj["wrapup_end"]["utc"] == "2026-11-26T09:03:30.000000Z"
    assert json.loads(json.dumps(obj)) == obj
    assert to_json(RECORDS[4], START)["answer"] is None
    assert "name" not in to_json(RECORDS[4], START)["groups"][0]


def test_json_round_trips_to_the_microsecond() -> None:
    rng = random.Random(3)
    for _ in range(300):
        us = rng.randrange(0, 10**15)  # up to ~31 years of switch time
        r = rec(1, [SALES], [], 0, [0], [], None, None, None, CallOutcome.ANSWERED)
        r = CallRecord(1, (SALES,), (), us, (us,), (CallOffer(1, 2, "a", us, us + 1, True),), us + 1, us + 7, None,
                       CallOutcome.ANSWERED, "+49", None, None)
        assert from_json(json.loads(json.dumps(to_json(r, START)))) == r
    far = CallRecord(1, (SALES,), (), 400_000 * 365 * 86400 * US, (0,), (), None, None, None, CallOutcome.ABANDONED,
                     None, None)
    assert to_json(far, START)["arrival"]["utc"] is None  # past the year 9999: seconds only


def test_every_record_round_trips() -> None:
    for r in RECORDS:
        assert from_json(json.loads(json.dumps(to_json(r, START)))) == r


def test_from_json_refuses_what_is_not_a_record() -> None:
    with pytest.raises(CdrError, match="no dwCallID"):
        from_json({"call": 1})
    bad = to_json(RECORDS[0], START)
    bad["outcome"] = "lost"
    with pytest.raises(CdrError, match="call 1: malformed record"):
        from_json(bad)
    bad = to_json(RECORDS[0], START)
    bad["answer"] = "soon"
    with pytest.raises(CdrError, match="call 1 answer: not an instant"):
        from_json(bad)


def test_writer_writes_every_record_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    w = CdrWriter(path, SCENARIO)
    assert w.put(RECORDS[:3]) == 0
    assert w.put(RECORDS[3:]) == 0
    assert w.close() is True
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(RECORDS) and json.loads(lines[0])["groups"][0]["name"] == "Sales"
    back = read_cdr(path)
    assert back.records == tuple(RECORDS) and back.dropped == 0
    assert w.written == w.accepted == len(RECORDS) and w.dropped == 0


def test_unwritable_path_fails_at_once(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        CdrWriter(tmp_path / "no" / "such" / "dir.jsonl", SCENARIO)
    with pytest.raises(OSError):
        CdrWriter(tmp_path, SCENARIO)  # a directory


class StalledStream(io.StringIO):
    """A file whose writes wait until ``go`` is set (a disk that does not keep up)."""

    def __init__(self) -> None:
        super().__init__()
        self.go = threading.Event()
        self.entered = threading.Event()

    def write(self, text: str) -> int:
        self.entered.set()
        assert self.go.wait(10)
        return super().write(text)

    def close(self) -> None:  # keep the text readable after the writer closes it
        self.final = self.getvalue()


def test_a_stalled_disk_drops_and_counts_never_blocks(caplog: pytest.LogCaptureFixture) -> None:
    stream = StalledStream()
    w = CdrWriter("stalled.jsonl", SCENARIO, capacity=3, stream=stream)
    assert w.put(RECORDS[:1]) == 0
    assert stream.entered.wait(5)  # the writer thread is stuck writing record 1
    assert w.put(RECORDS[1:4]) == 0  # 3 fit in the queue
    assert w.put(RECORDS[4:]) == 3  # the rest are dropped at once, counted
    assert w.dropped == 3
    stream.go.set()
    with caplog.at_level(logging.WARNING, logger="tsp.cdr"):
        assert w.close() is False
    assert "3 call records were dropped" in caplog.text
    lines = [json.loads(x) for x in stream.final.splitlines()]
    assert [x.get("dwCallID", x.get("dropped")) for x in lines] == [1, 3, 2, 3, 4]  # the gap marked, then the rest
    assert {"dropped": 3} in lines


class BrokenStream(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError(28, "No space left on device")


def test_a_write_error_stops_writing_and_counts(caplog: pytest.LogCaptureFixture) -> None:
    w = CdrWriter("full.jsonl", SCENARIO, stream=BrokenStream())
    with caplog.at_level(logging.WARNING, logger="tsp.cdr"):
        w.put(RECORDS[:2])
        w.close()
        assert w.put(RECORDS[2:]) == 5
    assert w.dropped == 7 and w.written == 0
    assert "No space left on device" in caplog.text


def test_read_cdr_counts_gaps_and_names_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(to_json(RECORDS[0], START)) + "\n" + '{"dropped": 4}\n\n'
                    + json.dumps(to_json(RECORDS[1], START)) + "\n", encoding="utf-8")
    log = read_cdr(path)
    assert log.dropped == 4 and [r.call_id for r in log.records] == [1, 2]
    path.write_text(json.dumps(to_json(RECORDS[0], START)) + "\nnot json\n", encoding="utf-8")
    with pytest.raises(CdrError, match=r"c.jsonl:2: "):
        read_cdr(path)
