"""The generated Line methods bind their arguments like a hand-written ``def`` would.

The methods of :class:`client.Line` come from ``client.functions.LINE_FUNCTIONS`` through
``client.methods``; their binder is their own code (not ``inspect.Signature.bind``), so it is checked here:
every way a call can get its arguments wrong is a TypeError before anything is sent (``self`` is never
touched, so a bare ``None`` stands in for the line).
"""

from __future__ import annotations

import inspect
import uuid
from typing import Any

import attrs
import pytest
import trio

import client
from client.functions import LINE_FUNCTIONS, by_method
from client.methods import LIST_INITIAL_SIZE, build_request
from protocol import messages as m


def call(name: str, *args: Any, **kwargs: Any) -> None:
    async def main() -> None:
        await getattr(client.Line, name)(None, *args, **kwargs)

    trio.run(main)


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "words"),
    [  # Python's own words: the generated methods are real ``def``s with the row's parameters
        ("get_queue_info", (), {}, "missing 1 required positional argument: 'queue_id'"),
        ("get_queue_info", (1, 2), {}, "takes 2 positional arguments but 3 were given"),
        ("get_queue_info", (1,), {"queue": 1}, "unexpected keyword argument 'queue'"),
        ("get_queue_info", (1,), {"queue_id": 1}, "multiple values for argument 'queue_id'"),
        ("start_set_agent_session_state", (1,), {}, "missing 1 required positional argument: 'state'"),
        ("set_agent_session_state", (1, 2, 0, 9), {}, "takes from 3 to 4 positional arguments but 5 were given"),
        ("create_agent_session", (1, "g", 0), {}, "takes 3 positional arguments but 4 were given"),
        ("get_group_list", (1024,), {}, "takes 1 positional argument but 2 were given"),
    ],
)
def test_wrong_calls_are_type_errors_naming_the_argument(name: str, args: tuple, kwargs: dict, words: str) -> None:
    with pytest.raises(TypeError, match=words) as info:
        call(name, *args, **kwargs)
    assert f"Line.{name}()" in str(info.value)


def test_a_wrong_call_says_what_a_hand_written_def_says() -> None:
    """The generated method's TypeErrors are the interpreter's own for the same parameters and name."""
    class Line:
        async def set_agent_session_state(self, hagent_session, state, next_state=0, *, timeout=None):  # type: ignore[no-untyped-def]
            """The row's signature, written by hand."""

    for args, kwargs in [((), {}), ((1,), {}), ((1, 2, 0, 9), {}), ((1, 2), {"state": 3}), ((1, 2), {"x": 1}),
                         ((1, 2), {"timeout": 1, "next_state": 0, "nxt": 1})]:
        with pytest.raises(TypeError) as by_hand:
            Line().set_agent_session_state(*args, **kwargs)  # the TypeError comes before any coroutine exists
        with pytest.raises(TypeError) as generated:
            client.Line.set_agent_session_state(None, *args, **kwargs)
        assert str(generated.value) == str(by_hand.value).replace(".<locals>", "").replace(
            "test_a_wrong_call_says_what_a_hand_written_def_says.", "")


def test_signatures_follow_the_rows() -> None:
    sig = inspect.signature(client.Line.set_agent_session_state)
    assert list(sig.parameters) == ["self", "hagent_session", "state", "next_state", "timeout"]
    assert sig.parameters["next_state"].default == 0
    assert sig.parameters["timeout"].kind is inspect.Parameter.KEYWORD_ONLY
    plain, start = (inspect.signature(getattr(client.Line, n)) for n in ("get_group_list", "start_get_group_list"))
    assert plain.parameters["buffer_size"].default is None  # grow until the list fits
    assert start.parameters["buffer_size"].default == LIST_INITIAL_SIZE  # one round trip
    info = inspect.signature(client.Line.get_agent_session_info).parameters["buffer_size"].default
    assert info == by_method("get_agent_session_info").reply.FIXED_SIZE == 76
    method = client.Line.get_queue_info  # a generated def looks like one written in client.methods
    assert (method.__module__, method.__qualname__, method.__name__) == ("client.methods", "Line.get_queue_info", "get_queue_info")
    assert inspect.iscoroutinefunction(method) and method.__doc__.startswith("lineGetQueueInfo")


def test_rows_are_found_by_either_method_name() -> None:
    assert by_method("start_get_queue_info") is by_method("get_queue_info")
    with pytest.raises(KeyError, match="get_queue_info"):
        by_method("get_queue_list_typo")
    assert [row.req_func for row in LINE_FUNCTIONS] == sorted(row.req_func for row in LINE_FUNCTIONS)


class FakeLine:
    hline = 7
    device_id = 0


SALES = uuid.UUID("5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b")


@pytest.mark.parametrize(
    ("method", "given", "size", "expected"),
    [
        ("get_agent_session_info", {"hagent_session": 21}, 76,
         m.GetAgentSessionInfo(h_line=7, h_agent_session=21, agent_session_info_context=21, agent_session_info_size=76)),
        ("set_agent_session_state", {"hagent_session": 21, "state": 2, "next_state": 0}, None,
         m.SetAgentSessionState(h_line=7, h_agent_session=21, agent_session_state=2, next_agent_session_state=0)),
        ("create_agent", {"agent_id": "1001", "pin": None}, None, m.CreateAgent(h_line=7, agent_id="1001", pin=None)),
        ("create_agent_session", {"agent": 3, "group": str(SALES), "address_id": 0, "pin": "1234"}, None,
         m.CreateAgentSession(h_line=7, h_agent=3, pin="1234", working_address_id=0, group_id=SALES,
                              h_agent_session_context=3)),
        ("get_agent_info", {"agent": 3}, 56, m.GetAgentInfo(h_line=7, h_agent=3, agent_info_context=3, agent_info_size=56)),
        ("get_agent_session_list", {"agent": 3}, 1024,
         m.GetAgentSessionList(h_line=7, h_agent=3, session_list_context=3, session_list_size=1024)),
        ("get_queue_info", {"queue_id": 5}, 52, m.GetQueueInfo(h_line=7, queue_id=5, queue_info_context=5, queue_info_size=52)),
        ("get_group_list", {}, 1024, m.GetGroupList(h_line=7, group_list_context=0, group_list_size=1024)),
    ],
)
def test_each_row_builds_the_request_the_hand_written_builders_did(method: str, given: dict, size: Any,
                                                                   expected: Any) -> None:
    """Every field, the struct contexts included (the client passes the queried handle as the context)."""
    body, _ = build_request(FakeLine(), by_method(method), given, size)  # type: ignore[arg-type]
    assert body == expected
    assert attrs.asdict(body) == attrs.asdict(expected)


def test_a_generated_builder_keeps_the_table_order_and_the_later_field() -> None:
    """The builder written from a row: h_line, then the line's fields, then each argument's check in row
    order (the first bad one raises), then the size, then the fixed fields; a field filled twice keeps the
    later value, as the dict of the generic plan did. No table row has fixed fields yet, so a made-up one."""
    from client import args as _args
    from client.methods import Arg, LineFunction, request_builder

    seen: list[str] = []

    def check(value: Any, name: str) -> int:
        seen.append(name)
        return _args.u32(value, name)

    row = LineFunction(
        method="get_agent_info_test", request=m.GetAgentInfo, summary="made up",
        args=(Arg("agent", check, ("h_agent", "agent_info_context")), Arg("other", check, ("h_agent",))),
        reply=None, size_field="agent_info_size", fixed={"agent_info_context": 99},
        from_line={"h_agent": lambda line: line.device_id},
    )
    build = request_builder(row)
    body, checked = build(FakeLine(), 3, 4, 56)
    assert seen == ["agent", "other"] and checked == (3, 4)
    assert body == m.GetAgentInfo(h_line=7, h_agent=4, agent_info_context=99, agent_info_size=56)
    seen.clear()
    with pytest.raises(client.TapiError, match="agent"):
        build(FakeLine(), -1, "x", 56)
    assert seen == ["agent"]  # the first bad argument raises; the second is never checked
    with pytest.raises(client.TapiError, match="buffer_size"):
        build(FakeLine(), 3, 4, -5)
