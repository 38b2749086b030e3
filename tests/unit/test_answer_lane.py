"""The client's answer lane (``protocol/answers.py``, ``Connection.take_answer``) against the general path.

A client feeds each received chunk either to ``take_answer`` (when it returns the two frames) or, when it
returns None, to ``receive_data`` and ``next_event`` as always. These tests drive two connections in the
same state with the same bytes - one that way, one through the general path only - and compare every
frame, every field with its type (``req_func`` and ``value`` too, which LineReply's equality ignores),
every refusal and the state left behind: for well-formed answers of every function with a reader (and
the lane must take those), for any single byte changed, cut or added, and for the cases the guard
declines. ``answers_taken`` counts what the lane took.
"""

from __future__ import annotations

import struct
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol import answers, codec
from protocol.connection import CLOSED, NEED_DATA, Connection, Role
from protocol.errors import ProtocolError
from protocol.messages import REQUEST_TYPES, CreateAgent, Error, Events, Hello, LineReply, Request, Response
from protocol.structs import encode_struct, wire_struct

u32 = st.integers(0, 2**32 - 1)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: The functions with an answer lane: GetAgentInfo, GetAgentSessionInfo, GetQueueInfo (asserted below).
LANE_FUNCS = sorted(f for f in REQUEST_TYPES if answers.reader_of(f) is not None)


def test_the_lane_covers_the_fixed_structure_getters() -> None:
    """Exactly the asynchronous all-DWORD functions whose LINE_REPLY is a fixed-size structure (today the
    three getters of issue 18's benchmarks); a handle, a list or a VarData request has no lane."""
    from protocol.bodies import FixedBodyCodec
    from protocol.messages import REPLY_STRUCTS

    def fixed(cls: type) -> bool:
        try:
            wire_struct(cls)
        except KeyError:
            return False
        return True

    want = sorted(f for f, (cls, _) in REQUEST_TYPES.items() if cls.ASYNC and f in REPLY_STRUCTS
                  and type(codec.FAST.by_func[f]) is FixedBodyCodec and fixed(REPLY_STRUCTS[f]))
    assert LANE_FUNCS == want
    assert {"GetAgentInfo", "GetAgentSessionInfo", "GetQueueInfo"} <= {REQUEST_TYPES[f][0].__name__ for f in want}
    assert answers.reader_of(int(CreateAgent.REQ_FUNC)) is None  # a handle, not a structure


def ready() -> Connection:
    conn = Connection(Role.CLIENT)
    conn.send(Hello(product="test"))
    conn.receive_data(codec.encode(Hello(product="server")))
    assert type(conn.next_event()) is Hello
    return conn


def deep(obj: Any) -> Any:
    """An object's type and every field's type and value (attrs equality ignores enum-vs-int, eq=False)."""
    if attrs.has(type(obj)):
        return (type(obj), tuple((f.name, deep(getattr(obj, f.name))) for f in attrs.fields(type(obj))))
    if isinstance(obj, tuple):
        return tuple(deep(v) for v in obj)
    return (type(obj), obj)


def state(conn: Connection) -> Any:
    return (conn.state, conn.input, conn.buffered, conn.pending_requests, conn.pending_replies)


def step(fn: Any) -> Any:
    try:
        return "frame", deep(fn())
    except ProtocolError as exc:
        return type(exc).__name__, exc.code, str(exc)


def general(conn: Connection, data: bytes) -> list[Any]:
    """receive_data and next_event until NEED_DATA / CLOSED / an error (at most three frames)."""
    conn.receive_data(data)
    out = []
    for _ in range(3):
        got = step(conn.next_event)
        out.append(got)
        if got[0] != "frame" or got[1] in (deep(NEED_DATA), deep(CLOSED)):
            break
    return out


def client_way(conn: Connection, data: bytes) -> tuple[list[Any], Any]:
    """What a client does: the lane's two frames, or the general path when it declines (the lane's
    answer, or None, second)."""
    before = state(conn), conn.answers_taken
    answer = conn.take_answer(data)
    if answer is None:
        assert (state(conn), conn.answers_taken) == before  # declined: nothing changed
        return general(conn, data), None
    assert conn.answers_taken == before[1] + 1
    frames = [("frame", deep(answer[0])), ("frame", deep(answer[1]))]
    return frames + [("frame", deep(conn.next_event()))], answer  # then NEED_DATA, as the general path


@st.composite
def answers_of(draw: Any, func: int) -> tuple[Request, bytes]:
    """A REQUEST of ``func`` and its whole answer: RESPONSE with a request ID and the successful LINE_REPLY
    with the structure (wire values drawn; DATE in and around its valid range)."""
    cls = REQUEST_TYPES[func][0]
    body = cls(**{f.name: draw(u32) for f in attrs.fields(cls)})
    sequence, request_id = draw(st.integers(1, 2**32 - 1)), draw(st.integers(1, 0x7FFFFFFF))
    layout = wire_struct(cls.STRUCT)
    values = []
    for code in layout.format.lstrip("<"):
        if code == "L":
            values.append(draw(u32))
        elif code == "d":
            values.append(draw(st.one_of(st.floats(-700_000, 3_000_000), st.floats(allow_nan=True))))
        else:
            values.append(draw(st.integers(-2**63, 2**63 - 1)))
    reply = LineReply(init_context=draw(u32), context=draw(u32), hdevice=draw(u32), open_context=draw(u32),
                      request_id=request_id, struct_context=draw(u32), data=layout.pack(*values))
    data = codec.encode(Response(sequence, request_id, body)) + codec.encode(Events((reply,)))
    return Request(sequence, body), data


def pair(request: Request) -> tuple[Connection, Connection]:
    a, b = ready(), ready()
    a.send(request)
    b.send(request)
    return a, b


@pytest.mark.parametrize("func", LANE_FUNCS)
@SETTINGS
@given(data=st.data())
def test_a_whole_answer_gives_the_general_paths_frames_and_state(func: int, data: Any) -> None:
    request, answer = data.draw(answers_of(func))
    lane, plain = pair(request)
    got, taken = client_way(lane, answer)
    want = general(plain, answer)
    assert got == want
    assert state(lane) == state(plain)
    if all(kind == "frame" for kind, *_ in want):  # a valid answer: the lane took it
        assert taken is not None and lane.answers_taken == 1
        reply = taken[1].records[0]
        assert reply.req_func == func and type(reply.value) is request.body.STRUCT


@pytest.mark.parametrize("func", LANE_FUNCS)
@SETTINGS
@given(data=st.data())
def test_any_byte_changed_cut_or_added_gives_the_general_paths_outcome(func: int, data: Any) -> None:
    request, answer = data.draw(answers_of(func))
    how = data.draw(st.sampled_from(["change", "cut", "add", "second answer"]))
    if how == "change":
        at = data.draw(st.integers(0, len(answer) - 1))
        answer = answer[:at] + bytes([data.draw(st.integers(0, 255))]) + answer[at + 1:]
    elif how == "cut":
        answer = answer[:data.draw(st.integers(0, len(answer) - 1))]
    elif how == "add":
        answer += data.draw(st.binary(min_size=1, max_size=80))
    else:
        answer += answer
    lane, plain = pair(request)
    got, _ = client_way(lane, answer)
    assert got == general(plain, answer)
    assert state(lane) == state(plain)


def _valid(func: int = LANE_FUNCS[1]) -> tuple[Request, bytes]:
    cls = REQUEST_TYPES[func][0]
    body = cls(**{f.name: 3 for f in attrs.fields(cls)})
    reply = LineReply(request_id=77, struct_context=5, data=encode_struct(cls.STRUCT()))
    return Request(9, body), codec.encode(Response(9, 77, body)) + codec.encode(Events((reply,)))


def test_the_guard_declines_and_changes_nothing() -> None:
    request, answer = _valid()
    conn = ready()
    conn.send(request)
    assert conn.take_answer(memoryview(answer)) is None  # neither bytes nor a bytearray
    conn.receive_data(answer[:5])  # something buffered: the answer's bytes are not a whole answer alone
    assert conn.take_answer(answer[5:]) is None
    conn = ready()
    assert conn.take_answer(answer) is None  # no such request outstanding
    conn = ready()
    conn.send(Request(8, request.body))
    conn.receive_data(codec.encode(Response(8, 77, request.body)))
    assert type(conn.next_event()) is Response  # request ID 77 is awaited: the server reuses it below
    conn.send(request)
    assert conn.take_answer(answer) is None
    before = Connection(Role.CLIENT)
    before.send(Hello(product="x"))
    assert before.take_answer(answer) is None  # the server's HELLO has not arrived
    conn = ready()
    conn.send(request)
    conn.receive_data(b"")  # EOF
    assert conn.take_answer(answer) is None
    conn = ready()
    conn.send(request)
    conn.receive_data(answer[:3])  # the start of a frame is buffered: the answer's bytes would follow it
    assert conn.take_answer(answer) is None
    for bad in (codec.encode(Response(1234, 1, request.body)), codec.encode(Error(1, "bye"))):
        conn = ready()
        conn.send(request)
        conn.receive_data(bad)  # a RESPONSE nobody asked for (BROKEN) or an ERROR (CLOSED), then nothing
        try:
            conn.next_event()
        except ProtocolError:
            pass
        assert conn.buffered == 0 and conn.pending_requests
        assert conn.take_answer(answer) is None
    for request_id in (0, 0x80000048):  # not a request ID (a LINEERR): no LINE_REPLY is awaited
        conn = ready()
        conn.send(request)
        odd = codec.encode(Response(9, request_id, request.body)) + codec.encode(
            Events((LineReply(request_id=request_id, struct_context=5, data=encode_struct(request.body.STRUCT())),)))
        assert conn.take_answer(odd) is None
        assert general(conn, odd)[1][0] == "frame"  # the general path: an untyped LINE_REPLY
    assert conn.answers_taken == 0
    conn = ready()
    conn.send(request)
    response, events = conn.take_answer(answer)  # the same bytes, now as a whole answer
    assert (response.result, events.records[0].request_id, conn.answers_taken) == (77, 77, 1)
    assert conn.pending_requests == {} and conn.pending_replies == {}


def test_a_lineerr_reply_and_a_request_without_a_reader_take_the_general_path() -> None:
    request, answer = _valid()
    failed = answer[:72] + codec.encode(Events((LineReply(request_id=77, result=0x80000048),)))
    conn = ready()
    conn.send(request)
    assert conn.take_answer(failed) is None
    body = CreateAgent(h_line=1, agent_id="1", pin="2")
    conn.send(Request(10, body))
    handle = codec.encode(Response(10, 78, body)) + codec.encode(Events((LineReply(request_id=78,
                                                                                  data=struct.pack("<L", 5)),)))
    assert conn.take_answer(handle) is None
    assert conn.answers_taken == 0


@pytest.mark.parametrize("func", LANE_FUNCS)
def test_each_byte_of_an_answer_changed_in_turn(func: int) -> None:
    """Every byte position of one valid answer, changed (+1 and 0xFF): each outcome is the general path's
    (a check the lane dropped would take the changed answer where the general path does something else)."""
    request, answer = _valid(func)
    taken = tried = 0
    for at in range(len(answer)):
        for new in {(answer[at] + 1) & 0xFF, 0xFF}:
            changed = answer[:at] + bytes([new]) + answer[at + 1:]
            lane, plain = pair(request)
            got, took = client_way(lane, changed)
            assert got == general(plain, changed), (at, new)
            assert state(lane) == state(plain), (at, new)
            taken += took is not None
            tried += 1
    assert 0 < taken < tried  # a value inside the structure changed is still a whole answer, a header's not


def test_a_bytearray_chunk_gives_bytes_in_the_frames_as_the_general_path() -> None:
    """trio's memory streams hand out bytearrays: the lane takes them, and the LINE_REPLY's data is bytes,
    as the general path's copies are."""
    request, answer = _valid()
    lane, plain = pair(request)
    got, took = client_way(lane, bytearray(answer))
    assert took is not None and type(took[1].records[0].data) is bytes
    assert got == general(plain, bytearray(answer))
    assert state(lane) == state(plain)
