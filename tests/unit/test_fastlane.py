"""The fast lane (tsp/serverconn.py) must write exactly the bytes of the general path (SwitchService.handle)
for every input, and must actually answer the plain requests: two services built the same way, one whose
connections have the fast lane on and one with it off, get the same byte stream (cut into the same chunks) and must answer with identical bytes -
for valid GetAgentSessionInfo requests and for every error case the general path knows."""

from __future__ import annotations

import logging
import struct
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol.codec import encode
from protocol.connection import NEED_DATA, Connection, Role
from protocol.constants import MAX_STRUCT_SIZE, AgentSessionState, ApiVersion, FrameKind, LineErr, ReqFunc
from protocol.messages import (
    CreateAgent,
    GetAgentInfo,
    GetAgentSessionInfo,
    GetAgentSessionList,
    GetQueueInfo,
    Hello,
    Initialize,
    Open,
    Request,
    SetAgentSessionState,
)
from tsp.clock import ManualClock
from tsp.faults import FaultInjector
from tsp.scenario import default_scenario
from tsp.model import Switch
from tsp.serverconn import FRAMES_PER_TURN, ServerConnection
from tsp.switch import SwitchService

GASI = int(ReqFunc.GETAGENTSESSIONINFO)


class Harness:
    """One switch service and its sans-I/O server connections (manual clock, no sockets, no trio): bytes
    in per connection, bytes out."""

    def __init__(self, fast: bool, rules: tuple[dict[str, Any], ...] = (), max_in_flight: int = 1000) -> None:
        self.clock = ManualClock()
        self.model = Switch(default_scenario())
        self.service = SwitchService(
            self.model, self.clock, faults=FaultInjector(rules, 7), max_in_flight=max_in_flight, slice_advance=True
        )
        self.fast = fast
        self.conns: list[ServerConnection] = []
        self.queued: list[bytes] = []
        self.turns = 0  # extra process() calls because a read held more than FRAMES_PER_TURN frames

    def connect(self) -> int:
        conn_id = self.service.open_connection("test")
        self.conns.append(ServerConnection(self.service, conn_id, fast_lane=self.fast))
        self.queued.append(b"")
        return len(self.conns) - 1

    def _index(self, conn_id: int) -> int:
        return next(i for i, c in enumerate(self.conns) if c.conn_id == conn_id)

    def deliver(self, frames: Any) -> None:
        """What the server does with frames for a connection (other connections' events, the clock
        advance): the target connection encodes them."""
        for item in frames:
            i = self._index(item.conn_id)
            self.queued[i] += self.conns[i].encode(item.frame)

    def feed(self, index: int, data: bytes) -> bytes:
        """Feed ``data`` to connection ``index``; what was queued for it afterwards (+ b"<end>" when the
        connection must end; other connections' bytes are appended after b"|other|")."""
        conn = self.conns[index]
        conn.receive_data(data)
        alive = conn.process(self.clock.now)
        while alive and conn.more:  # as the server does, after the other connections' turn
            self.turns += 1
            alive = conn.process(self.clock.now)
        data, others = conn.take_output()
        self.queued[index] += data
        self.deliver(others)
        out = self.take(index) + (b"" if alive else b"<end>")
        others = self.take_all(skip=index)
        return out + (b"|other|" + others if others else b"")

    def take(self, index: int) -> bytes:
        data, self.queued[index] = self.queued[index], b""
        return data

    def take_all(self, skip: int = -1) -> bytes:
        taken = [(i, self.take(i)) for i in range(len(self.conns)) if i != skip]
        return b"".join(b"%d:" % i + data for i, data in taken if data)

    def advance(self, seconds: float) -> bytes:
        self.deliver(self.service.advance(self.clock.advance(seconds)))
        return self.take_all()

    @property
    def lane_answers(self) -> int:
        return sum(c.lane_answers for c in self.conns)


class Client:
    """Builds the setup requests and reads their answers (handles are the same on both harnesses)."""

    def __init__(self) -> None:
        self.conn = Connection(Role.CLIENT)

    def request(self, body: Any) -> bytes:
        return self.conn.send(Request(self.conn.next_sequence(), body))

    def answers(self, data: bytes) -> list[Any]:
        self.conn.receive_data(data)
        out = []
        while (event := self.conn.next_event()) is not NEED_DATA:
            out.append(event)
        return out


def setup(h: Harness, other_connection: bool = True) -> dict[str, int]:
    """HELLO, Initialize, a 2.2 line, a 2.0 line, an agent and its session on connection 0; connection 1
    opens a line of its own (a foreign hLine). Returns the handles."""
    c = Client()
    h.connect()
    c.answers((h.feed(0, c.conn.send(Hello()))))
    h_app = c.answers((h.feed(0, c.request(Initialize()))))[0].body.h_line_app
    line = c.answers((h.feed(0, c.request(Open(h_line_app=h_app, device_id=0)))))[0].body.h_line
    old = c.answers(
        (h.feed(0, c.request(Open(h_line_app=h_app, device_id=1, api_version=ApiVersion.V2_0))))
    )[0].body.h_line
    agent = c.answers((h.feed(0, c.request(CreateAgent(h_line=line, agent_id="1001", pin="1234")))))[1]
    h_agent = agent.records[0].value
    sessions = c.answers((h.feed(0, c.request(GetAgentSessionList(h_line=line, h_agent=h_agent)))))[1]
    h_session = sessions.records[0].value.entries[0].hagent_session
    handles = {"line": line, "old": old, "agent": h_agent, "session": h_session, "foreign": 0}
    if other_connection:
        c2 = Client()
        h.connect()
        c2.answers(h.feed(1, c2.conn.send(Hello())))
        h_app2 = c2.answers(h.feed(1, c2.request(Initialize())))[0].body.h_line_app
        handles["foreign"] = c2.answers(h.feed(1, c2.request(Open(h_line_app=h_app2, device_id=2))))[0].body.h_line
    return handles


def pair(**kwargs: Any) -> tuple[Harness, Harness, dict[str, int]]:
    fast, general = Harness(True, **kwargs), Harness(False, **kwargs)
    handles = setup(fast)
    assert setup(general) == handles
    return fast, general, handles


def gasi(sequence: int, **fields: int) -> bytes:
    return encode(Request(sequence, GetAgentSessionInfo(**fields)))


def same(fast: Harness, general: Harness, index: int, data: bytes, chunks: tuple[int, ...] = ()) -> bytes:
    """Feed ``data`` cut at ``chunks`` to both; require identical output; return it."""
    cuts = sorted({c % (len(data) + 1) for c in chunks} | {0, len(data)})
    a = b"".join(fast.feed(index, data[x:y]) for x, y in zip(cuts, cuts[1:]))
    b = b"".join(general.feed(index, data[x:y]) for x, y in zip(cuts, cuts[1:]))
    assert a == b
    return a


def test_valid_request_answers_response_and_line_reply_and_takes_the_lane() -> None:
    fast, general, h = pair()
    out = same(fast, general, 0, gasi(50, request_id=9, context=3, h_line=h["line"], h_agent_session=h["session"],
                                      agent_session_info_context=4, agent_session_info_size=100))
    assert (fast.lane_answers, general.lane_answers) == (1, 0)
    # The answer is a RESPONSE (result = request ID 9) followed by an EVENTS frame of 12 + 40 + 76 bytes.
    body = out
    assert struct.unpack_from("<LHHLL", body) == (len(body[4:72]), 2, 0, 50, 9)
    assert len(body) == 72 + 12 + 40 + 76


def test_the_lane_answers_every_plain_request_and_no_refused_one() -> None:
    # A wallboard's poll: many plain requests in one read, and refused ones in between. The lane must
    # answer exactly the plain ones (a lane that answers none, or also refusals, fails here).
    fast, general, h = pair()
    plain = dict(h_line=h["line"], h_agent_session=h["session"], agent_session_info_size=76)
    data = b"".join(gasi(s, request_id=s, **plain) for s in range(1, 21))
    data += gasi(21, request_id=21, h_line=h["foreign"], h_agent_session=h["session"])  # INVALLINEHANDLE
    data += gasi(22, request_id=22, h_line=h["old"], h_agent_session=h["session"])  # OPERATIONUNAVAIL
    data += gasi(23, request_id=23, h_line=h["line"], h_agent_session=h["session"], agent_session_info_size=75)
    data += b"".join(gasi(s, request_id=s, **plain) for s in range(24, 34))
    same(fast, general, 0, data, (100, 1000, 2000))
    assert fast.lane_answers == 30
    assert general.lane_answers == 0


ERROR_CASES = {
    "request ID above 0x7FFFFFFF": dict(request_id=0x80000000),
    "buffer below LINEAGENTSESSIONINFO": dict(agent_session_info_size=75),
    "buffer size zero": dict(agent_session_info_size=0),
    "buffer above the maximum": dict(agent_session_info_size=MAX_STRUCT_SIZE + 1),
    "buffer at the maximum": dict(agent_session_info_size=MAX_STRUCT_SIZE),
    "unknown hLine": dict(h_line=999_999),
    "hLine of another connection": dict(h_line="foreign"),
    "hLine opened with API 2.0": dict(h_line="old"),
    "unknown session handle": dict(h_agent_session=123_456),
    "request ID 0 (the switch picks one)": dict(request_id=0),
}


def test_every_error_case_gives_the_general_paths_bytes() -> None:
    fast, general, h = pair()
    for seq, (name, change) in enumerate(ERROR_CASES.items(), start=100):
        fields = dict(request_id=seq, context=1, h_line=h["line"], h_agent_session=h["session"],
                      agent_session_info_context=2, agent_session_info_size=76)
        fields.update({k: h[v] if isinstance(v, str) else v for k, v in change.items()})
        out = same(fast, general, 0, gasi(seq, **fields))
        assert out, name


def test_uninitialized_connection_and_request_before_hello() -> None:
    fast, general, h = pair()
    for harness in (fast, general):
        harness.connect()  # connection 2: no HELLO yet
    early = gasi(1, h_line=h["line"], h_agent_session=h["session"])
    assert b"<end>" in same(fast, general, 2, early)  # protocol error: REQUEST before HELLO
    for harness in (fast, general):
        harness.connect()  # connection 3: HELLO but no Initialize
    same(fast, general, 3, Connection(Role.CLIENT).send(Hello()))
    out = same(fast, general, 3, early)
    assert struct.pack("<L", LineErr.UNINITIALIZED) in out


def test_trailing_vardata_fault_rules_and_debug_logging(caplog: Any) -> None:
    fast, general, h = pair()
    frame = bytearray(gasi(7, request_id=7, h_line=h["line"], h_agent_session=h["session"]) + b"\0\0\0\0")
    frame[0:4] = struct.pack("<L", len(frame) - 4)  # a longer TAPI32_MSG: not the fixed frame
    same(fast, general, 0, bytes(frame))
    with caplog.at_level(logging.DEBUG, logger="tsp.switch"):
        same(fast, general, 0, gasi(8, request_id=8, h_line=h["line"], h_agent_session=h["session"]))
    for mode in ("error", "drop", "delay"):
        fast, general, h = pair(rules=({"function": GASI, "mode": mode, "seconds": 1.0, "probability": 0.5},))
        data = b"".join(gasi(s, request_id=s, h_line=h["line"], h_agent_session=h["session"]) for s in range(1, 30))
        same(fast, general, 0, data)
        assert fast.advance(2.0) == general.advance(2.0)


@pytest.mark.parametrize("kind", ["session", "queue", "agent", "unknown queue", "unknown agent"])
def test_events_of_the_clock_advance_go_out_before_the_answer(kind: str) -> None:
    # READY session, a call offered, then time passes without the driver: the request itself advances the
    # model (the call is answered, talked, hung up), and those events precede the RESPONSE, as in handle() -
    # for each lane function, also when its handler refuses (unknown queue / agent: the model advanced first).
    fast, general, h = pair()
    group = fast.model.scenario.groups[0].id
    ready = encode(Request(50, SetAgentSessionState(
        request_id=50, h_line=h["line"], h_agent_session=h["session"], agent_session_state=AgentSessionState.READY)))
    same(fast, general, 0, ready)
    for harness in (fast, general):
        harness.deliver(harness.service.offer_call(group, 10.0, harness.clock.now())[1])
        harness.clock.advance(30.0)
    assert fast.take_all() == general.take_all()
    if kind == "session":
        request = gasi(51, request_id=51, h_line=h["line"], h_agent_session=h["session"])
    else:
        target = {"queue": 1, "agent": h["agent"], "unknown queue": 99, "unknown agent": 123_456}[kind]
        request = other(kind.split()[-1], 51, target=target, request_id=51, h_line=h["line"])
    out = same(fast, general, 0, request)
    assert fast.lane_answers == 1
    response = struct.pack("<LHHL", 68, FrameKind.RESPONSE, 0, 51)
    assert response in out and out.index(response) > 0  # status events first


def test_held_answers_and_the_in_flight_cap() -> None:
    # GetAgentInfo answers are held back (delay); with answers held, GetAgentSessionInfo is refused at the cap.
    rules = ({"function": int(ReqFunc.GETAGENTINFO), "mode": "delay", "seconds": 5.0},)
    fast, general, h = pair(rules=rules, max_in_flight=2)
    held = b"".join(encode(Request(s, GetAgentInfo(request_id=s, h_line=h["line"], h_agent=h["agent"])))
                    for s in (1, 2))
    same(fast, general, 0, held)
    out = same(fast, general, 0, gasi(3, request_id=3, h_line=h["line"], h_agent_session=h["session"]))
    assert struct.pack("<L", LineErr.RESOURCEUNAVAIL) in out
    assert fast.advance(6.0) == general.advance(6.0)
    same(fast, general, 0, gasi(4, request_id=4, h_line=h["line"], h_agent_session=h["session"]))


_step = st.one_of(
    st.tuples(
        st.just("gasi"),
        st.sampled_from([0, 1, 77, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]),
        st.sampled_from(["line", "old", "foreign", 0, 424242]),
        st.sampled_from(["session", 0, 99]),
        st.sampled_from([0, 75, 76, 200, MAX_STRUCT_SIZE, MAX_STRUCT_SIZE + 1, 0xFFFFFFFF]),
        st.integers(0, 0xFFFFFFFF),
    ),
    st.tuples(st.just("state"), st.sampled_from([1, 2, 4, 8, 16, 32])),
    st.tuples(
        st.sampled_from(["queue", "agent"]),
        st.sampled_from([0, 5, 0x80000000]),
        st.sampled_from(["line", "old", "foreign", 0]),
        st.sampled_from([0, 1, 2, 3, 99, "agent"]),  # queue IDs; "agent": the agent handle
        st.sampled_from([0, 40, 83, 84, 100, 200, MAX_STRUCT_SIZE + 1]),
        st.integers(0, 0xFFFFFFFF),
    ),
    st.tuples(st.just("advance"), st.floats(0, 120)),
    st.tuples(st.just("clock"), st.floats(0, 120)),  # time passes unseen: the next request advances the model
    st.tuples(st.just("offer"), st.floats(1, 60)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(_step, min_size=1, max_size=25), chunks=st.lists(st.integers(0, 10_000), max_size=6))
def test_random_streams_give_identical_bytes(steps: list[tuple[Any, ...]], chunks: list[int]) -> None:  # noqa: C901
    fast, general, h = pair()
    group = fast.model.scenario.groups[0].id
    pending = b""
    seq = 1000

    def flush() -> None:
        nonlocal pending
        if pending:
            same(fast, general, 0, pending, tuple(chunks))
            pending = b""

    for step in steps:
        seq += 1
        if step[0] == "gasi":
            _, rid, line, session, size, ctx = step
            pending += gasi(
                seq, request_id=rid, context=ctx, h_line=h[line] if isinstance(line, str) else line,
                h_agent_session=h[session] if isinstance(session, str) else session,
                agent_session_info_context=ctx ^ 0xFFFF, agent_session_info_size=size,
            )
        elif step[0] in ("queue", "agent"):
            _, rid, line, target, size, ctx = step
            pending += other(step[0], seq, request_id=rid, context=ctx, h_line=h[line] if isinstance(line, str) else line,
                             target=h[target] if isinstance(target, str) else target, struct_context=ctx ^ 0xFF, size=size)
        elif step[0] == "state":
            pending += encode(Request(seq, SetAgentSessionState(
                request_id=seq, h_line=h["line"], h_agent_session=h["session"], agent_session_state=step[1])))
        else:
            flush()
            if step[0] == "advance":
                assert fast.advance(step[1]) == general.advance(step[1])
            elif step[0] == "clock":
                for harness in (fast, general):
                    harness.clock.advance(step[1])
            else:
                for harness in (fast, general):
                    now = harness.clock.now()
                    harness.deliver(harness.service.offer_call(group, step[1], now)[1])
                assert fast.take_all() == general.take_all()
    flush()


def test_a_bug_on_the_lane_meets_the_one_internal_error_handler(monkeypatch: Any, caplog: Any) -> None:
    fast, _general, h = pair()

    def broken(*args: Any) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(fast.service, "direct_answerer", lambda conn_id: broken)  # what the lane calls per request
    out = fast.feed(0, gasi(60, request_id=60, h_line=h["line"], h_agent_session=h["session"]))
    assert b"<end>" not in out  # the connection goes on
    assert struct.unpack_from("<LHHLL", out)[1:] == (FrameKind.RESPONSE, 0, 60, LineErr.OPERATIONFAILED)
    assert "internal error handling GetAgentSessionInfo" in caplog.text and "simulated bug" in caplog.text
    monkeypatch.undo()
    fast.feed(0, gasi(61, request_id=61, h_line=h["line"], h_agent_session=h["session"]))
    assert fast.lane_answers == 1


def test_a_long_read_is_handled_in_turns_with_the_same_bytes() -> None:
    """One read with 2.5 turns' worth of pipelined requests: process() stops after FRAMES_PER_TURN frames
    with ``more`` set (the server lets the other connections run in between), and the answers are the
    same bytes whether the lane or the general path gives them."""
    fast, general, h = pair()
    n = FRAMES_PER_TURN * 5 // 2
    data = b"".join(gasi(100 + i, request_id=1 + i, h_line=h["line"], h_agent_session=h["session"],
                         agent_session_info_size=100) for i in range(n))
    conn = fast.conns[0]
    before = conn.frames_in
    conn.receive_data(data)
    assert conn.process(fast.clock.now) and conn.more
    assert conn.frames_in - before == FRAMES_PER_TURN
    conn.take_output()
    fast2, general2, _ = pair()
    out = same(fast2, general2, 0, data)
    assert (fast2.turns, general2.turns) == (2, 2)
    assert out.count(struct.pack("<HH", 2, 0)) >= n  # a RESPONSE per request (and the LINE_REPLYs)


def other(kind: str, sequence: int, *, target: int, struct_context: int = 0, size: int | None = None, **fields: int) -> bytes:
    """A GetQueueInfo (``kind`` "queue", ``target`` the queue ID) or GetAgentInfo ("agent", the hAgent)."""
    if kind == "queue":
        body: Any = GetQueueInfo(queue_id=target, queue_info_context=struct_context, **fields,
                                 **({} if size is None else {"queue_info_size": size}))
    else:
        body = GetAgentInfo(h_agent=target, agent_info_context=struct_context, **fields,
                            **({} if size is None else {"agent_info_size": size}))
    return encode(Request(sequence, body))


def test_queue_and_agent_info_take_the_lane_with_the_general_paths_bytes() -> None:
    """GetQueueInfo and GetAgentInfo are lane functions too (tsp.switch.LANE_FUNCS): the plain ones are
    answered by the lane - counted - with the general path's bytes, mixed with GetAgentSessionInfo."""
    fast, general, h = pair()
    data = b""
    for s in range(1, 31):
        data += other("queue", 3 * s, target=1 + s % 3, request_id=3 * s, context=s, h_line=h["line"], struct_context=7)
        data += other("agent", 3 * s + 1, target=h["agent"], request_id=3 * s + 1, context=s, h_line=h["line"])
        data += gasi(3 * s + 2, request_id=3 * s + 2, h_line=h["line"], h_agent_session=h["session"])
    out = same(fast, general, 0, data, (500, 5000))
    assert (fast.lane_answers, general.lane_answers) == (90, 0)
    assert len(out) > 90 * 72


def test_queue_and_agent_info_refusals_give_the_general_paths_bytes() -> None:
    fast, general, h = pair()
    cases = [
        ("queue", dict(target=99)),  # no such queue: LINE_REPLY with the LINEERR (the handler's)
        ("queue", dict(target=0)),
        ("queue", dict(target=1, size=0)),
        ("queue", dict(target=1, size=MAX_STRUCT_SIZE + 1)),
        ("queue", dict(target=1, h_line=h["foreign"])),
        ("queue", dict(target=1, h_line=h["old"])),
        ("queue", dict(target=1, request_id=0x80000000)),
        ("queue", dict(target=1, request_id=0)),
        ("agent", dict(target=123_456)),  # unknown hAgent
        ("agent", dict(target=h["agent"], size=1)),
        ("agent", dict(target=h["agent"], h_line=999)),
        ("agent", dict(target=h["agent"], request_id=0)),
    ]
    for seq, (kind, change) in enumerate(cases, start=200):
        fields: dict[str, Any] = dict(request_id=seq, context=5, h_line=h["line"])
        fields.update(change)
        assert same(fast, general, 0, other(kind, seq, **fields)), (kind, change)
    # the lane: unknown queue 99, queue 0, hAgent 123456 (LINE_REPLY errors) and the two request IDs 0
    assert fast.lane_answers == 5


def test_faults_on_queue_info_leave_it_to_the_general_path() -> None:
    rules = ({"function": int(ReqFunc.GETQUEUEINFO), "mode": "error", "error": "RESOURCEUNAVAIL", "probability": 0.5},)
    fast, general, h = pair(rules=rules)
    data = b"".join(other("queue", s, target=1, request_id=s, h_line=h["line"]) for s in range(1, 21))
    data += b"".join(other("agent", s, target=h["agent"], request_id=s, h_line=h["line"]) for s in range(21, 31))
    same(fast, general, 0, data)
    assert fast.lane_answers == 10  # only GetAgentInfo: the rule's function always goes the general way


def test_the_lanes_one_pack_and_its_padded_case_give_the_general_paths_bytes(monkeypatch: Any) -> None:
    """The lane packs RESPONSE + EVENTS header + LINE_REPLY header in one go when the data needs no padding,
    and leaves padded data to the codec's ``line_reply_frame``: both give the general path's bytes, for
    data of every length modulo 4 (the handler's data stretched; both harnesses share it)."""
    import tsp.answers

    real = tsp.answers.session_info_bytes
    for extra in (b"", b"\x01", b"\x01\x02", b"\x01\x02\x03", b"\x01\x02\x03\x04", b"\x05" * 9):
        monkeypatch.setattr(tsp.answers, "session_info_bytes", lambda *a, _x=extra: real(*a) + _x)
        fast, general, h = pair()
        data = b"".join(gasi(s, request_id=s, context=s, h_line=h["line"], h_agent_session=h["session"],
                             agent_session_info_context=s + 1) for s in range(1, 6))
        out = same(fast, general, 0, data)
        assert fast.lane_answers == 5 and len(out) == 5 * (72 + 12 + 40 + 76 + len(extra) + (-len(extra) & 3))


def test_with_debug_logging_on_the_general_path_answers_and_logs_each_request(caplog: Any) -> None:
    """The lane's guard refuses every request while tsp.switch logs at DEBUG (the general path logs each
    one); the lane reads the level once per run of requests, so turning it on between reads takes effect
    at the next read."""
    fast, general, h = pair()
    request = gasi(70, request_id=70, h_line=h["line"], h_agent_session=h["session"])
    answers = fast.lane_answers
    with caplog.at_level(logging.DEBUG, logger="tsp.switch"):
        assert same(fast, general, 0, request * 3)
    assert fast.lane_answers == answers
    assert caplog.text.count("GetAgentSessionInfo") >= 6  # both harnesses' general paths logged each request
    same(fast, general, 0, request)
    assert fast.lane_answers == answers + 1
