"""Hypothesis round trips: decode(encode(m)) == m for every frame, body, record and structure class."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from protocol import (
    REQUEST_CLASSES,
    AgentGroupEntry,
    AgentGroupList,
    AgentInfo,
    AgentSessionEntry,
    AgentSessionInfo,
    AgentSessionList,
    AgentSessionStatusEvent,
    AsyncEventMsg,
    Error,
    Events,
    Hello,
    LineReply,
    Open,
    QueueInfo,
    RawRequest,
    Request,
    Response,
    decode,
    decode_struct,
    encode,
    encode_struct,
    response_body,
)
from protocol.schemas import VarKind
from protocol.structs import STRUCT_CLASSES, EntryKind, ListStruct

u32 = st.integers(0, 2**32 - 1)
u16 = st.integers(0, 2**16 - 1)
text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=20)
guids = st.uuids()
utc_datetimes = st.datetimes(
    min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2079, 1, 1), timezones=st.just(dt.timezone.utc)
)
cy = st.integers(-(2**63), 2**63 - 1).map(lambda v: Decimal(v).scaleb(-4))


def body_strategy(cls: type) -> st.SearchStrategy:
    """Every field of a request class from its PARAMS declaration."""
    fields = {}
    for p in cls.PARAMS:
        if p.kind is VarKind.U32:
            fields[p.name] = u32
        elif p.kind is VarKind.STR:
            fields[p.name] = text
        elif p.kind is VarKind.OPTSTR:
            fields[p.name] = st.none() | text
        elif p.kind is VarKind.GUID:
            fields[p.name] = guids
        elif p.kind is VarKind.OUTBUF:
            fields[p.name] = st.binary(max_size=24)
    return st.fixed_dictionaries(fields).map(lambda kw: cls(**kw))


bodies = st.one_of(
    *(body_strategy(cls) for cls in REQUEST_CLASSES),
    st.builds(
        RawRequest,
        st.integers(2000, 2**32 - 1),
        st.tuples(*[u32] * 13),
        st.binary(max_size=32),
    ),
)

records = st.one_of(
    st.builds(
        AsyncEventMsg,
        init_context=u32,
        context=u32,
        hdevice=u32,
        msg=st.sampled_from([0, 2, 3, 22, 29]),
        open_context=u32,
        param1=u32,
        param2=u32,
        param3=u32,
        param4=u32,
        vardata=st.binary(max_size=16).map(lambda b: b + bytes(-len(b) % 4)),
    ),
    st.builds(
        LineReply,
        init_context=u32,
        context=u32,
        hdevice=u32,
        open_context=u32,
        request_id=u32,
        result=u32,
        struct_context=u32,
        data=st.binary(max_size=90),
    ),
    st.builds(
        AgentSessionStatusEvent,
        init_context=u32,
        hdevice=u32,
        open_context=u32,
        hagent_session=u32,
        status=st.integers(0, 7),
        state=st.sampled_from([0, 1, 2, 4, 8, 16, 32]),
    ),
)


@settings(max_examples=300, deadline=None)
@given(seq=u32, body=bodies)
def test_request_roundtrip(seq: int, body: object) -> None:
    assert decode(encode(Request(seq, body))) == Request(seq, body)


@settings(max_examples=300, deadline=None)
@given(seq=u32, result=u32, body=bodies)
def test_response_roundtrip(seq: int, result: int, body: object) -> None:
    """A RESPONSE carries the fixed part and only out-parameters' VarData (wire-protocol §10): what comes
    back is ``response_body(body)``, and the frame is never larger than the REQUEST's."""
    func = body.req_func if isinstance(body, RawRequest) else body.REQ_FUNC
    data = encode(Response(seq, result, body))
    assert decode(data, response_func=func) == Response(seq, result, response_body(body))
    assert len(data) <= len(encode(Request(seq, body)))


@settings(max_examples=200, deadline=None)
@given(st.lists(records, min_size=1, max_size=4))
def test_events_roundtrip(recs: list) -> None:
    assert decode(encode(Events(recs))) == Events(recs)


@settings(max_examples=100, deadline=None)
@given(st.builds(Hello, u16, u16, text) | st.builds(Error, u32, text))
def test_hello_error_roundtrip(frame: object) -> None:
    if isinstance(frame, Hello) and frame.major != 1:
        frame = Hello(1, frame.minor, frame.product)
    assert decode(encode(frame)) == frame


session_infos = st.builds(
    AgentSessionInfo,
    total_size=u32,
    needed_size=u32,
    used_size=u32,
    state=u32,
    next_state=u32,
    session_start_time=utc_datetimes,
    session_duration=u32,
    number_of_calls=u32,
    total_talk_time=u32,
    average_talk_time=u32,
    total_call_time=u32,
    average_call_time=u32,
    total_wrap_up_time=u32,
    average_wrap_up_time=u32,
    acd_call_rate=cy,
    longest_time_to_answer=u32,
    average_time_to_answer=u32,
)
agent_infos = st.builds(
    AgentInfo,
    total_size=u32,
    agent_state=u32,
    next_agent_state=u32,
    measurement_period=u32,
    overall_call_rate=cy,
    number_of_acd_calls=u32,
    total_acd_wrap_up_time=u32,
)
queue_infos = st.builds(QueueInfo, total_size=u32, total_calls_queued=u32, final_disposition=u32)
session_lists = st.builds(
    AgentSessionList.build,
    st.lists(st.builds(AgentSessionEntry, u32, u32, guids, u32), max_size=5),
    st.integers(24, 200),
)
group_lists = st.builds(
    AgentGroupList.build, st.lists(st.builds(AgentGroupEntry, guids, text), max_size=5), st.integers(24, 400)
)


#: Every other list structure, from its derived entry fields (a new list is round-tripped without a line here).
_KINDS = {EntryKind.U32: u32, EntryKind.GUID: guids, EntryKind.STRING: text}
other_lists = st.one_of(*(
    st.builds(cls.build, st.lists(st.fixed_dictionaries({n: _KINDS[k] for n, k in cls.entry_fields()})
                                  .map(lambda kw, cls=cls: cls.ENTRY(**kw)), max_size=5), st.integers(24, 400))
    for cls in STRUCT_CLASSES if issubclass(cls, ListStruct) and cls not in (AgentSessionList, AgentGroupList)
))


@settings(max_examples=300, deadline=None)
@given(session_infos | agent_infos | queue_infos | session_lists | group_lists | other_lists)
def test_struct_roundtrip(obj: object) -> None:
    data = encode_struct(obj)
    assert len(data) == obj.used_size or type(obj) in (AgentSessionInfo, AgentInfo, QueueInfo)
    assert decode_struct(type(obj), data) == obj


def test_open_without_call_params_uses_no_data_marker() -> None:
    raw = encode(Request(1, Open(h_line_app=1, device_id=2)))
    assert raw[12 + 40 : 12 + 44] == b"\xff\xff\xff\xff"
    assert decode(raw).body.call_params_offset == 0xFFFFFFFF


