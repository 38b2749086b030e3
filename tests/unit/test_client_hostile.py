"""Every public method of the client raises nothing but TapiError, whatever its arguments.

A hypothesis property test: for each public method of the Line API (:class:`client.Tapi`,
:class:`client.Line`, :class:`client.PendingReply`, :class:`client.EventSubscription`), the TAPI3 objects
(:class:`client.ITAgent`, :class:`client.ITAgentSession`, :class:`client.ITACDGroup`,
:class:`client.ITAddress`) and their blocking twins, call it with hostile arguments (NULs, huge strings,
negative and huge ints, floats, wrong types) against an in-process emulator and check that the call
returns or raises a :class:`client.TapiError` - and that a refused argument is ``E_INVALIDARG``.
"""

from __future__ import annotations

import inspect
import math
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import trio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import client
from client.errors import TapiError
from tsp.scenario import parse_scenario
from tsp.testing import open_emulator

SALES = uuid.UUID("5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b")

#: A quiet floor (no random traffic): a hostile ``control.advance(4e9)`` is then a clock jump, not years
#: of simulated calls.
QUIET = parse_scenario(f"""
[switch]
lines = 2
seed = 1

[[groups]]
id = "{SALES}"
name = "Sales"
queue = 1

[[agents]]
id = "1001"
pin = "1234"

[[agents.sessions]]
group = "Sales"
line = 0
state = "READY"
""")


class Opaque:
    """An object of no expected type, with a repr that says so."""

    def __repr__(self) -> str:
        return "<Opaque>"


HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([-1, 0, 1, 2, 3, 4, 5, 0xFFFFFFFF, 2**32, 2**63, -(2**31), 0x7FFFFFFF]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.5, 1e-9, 1e300, math.inf, math.nan]),
    st.text(max_size=12),
    st.sampled_from(["a\x00b", "\x00", "\ud800", "x" * 70_000, "é" * 40_000, "", "1001", str(SALES)]),
    st.binary(max_size=8),
    st.uuids(),
    st.just(SALES),
    st.just(Opaque()),
    st.lists(st.integers(), max_size=2),
    st.sampled_from([[("1001", "1234")], ["1001"], [("1001", None, 3)]]),  # agent lists for control.clock
)

#: Ordinary values by parameter name, mixed in half of the time so that a hostile value in one argument is
#: also tried next to valid ones in the others (a check behind a valid first argument gets reached).
VALID: dict[str, list[Any]] = {
    "agents": [[("1001", "1234")]], "agent_id": ["1001"], "pin": ["1234", None], "group": [SALES, "Sales"],
    "acd_group": [SALES], "address": [0], "address_id": [0], "seconds": [1, 0.5], "talk": [1],
    "timeout": [5, None], "buffer_size": [1024, 76], "buffer": [10], "device_id": [0], "queue_id": [1],
    "state": [1, 2], "next_state": [0], "transform": [repr], "line": [None],
}

#: Methods left out, and why: none take arguments a caller chooses, or they end the test's connection in
#: a way later calls would only report as ConnectionLostError (still a TapiError, but nothing learnt).
SKIP = {"__init__", "next"}  # next(): waits for an event by design (no arguments to abuse)


def public_methods(cls: type) -> list[str]:
    out = []
    for name, fn in inspect.getmembers(cls, inspect.isfunction):
        if name.startswith("_") or name in SKIP:
            continue
        out.append(name)
    return sorted(out)


TARGETS = ("tapi", "line", "agent", "session", "group", "address", "pending", "subscription", "control")
CLASSES = {
    "tapi": client.Tapi,
    "line": client.Line,
    "agent": client.ITAgent,
    "session": client.ITAgentSession,
    "group": client.ITACDGroup,
    "address": client.ITAddress,
    "pending": client.PendingReply,
    "subscription": client.EventSubscription,
    "control": client.Control,
}
CALLS = [(target, name) for target in TARGETS for name in public_methods(CLASSES[target])]


def test_the_method_list_is_not_empty() -> None:
    """Guard: the property below really covers the API (a renamed class would silently shrink it)."""
    names = {name for _, name in CALLS}
    assert {"create_agent", "get_agent_session_info", "open_line", "put_State", "CreateSessionWithPIN",
            "get_TotalTalkTime", "get_Name", "wait", "advance", "offer_call", "clock"} <= names
    assert len(CALLS) > 60


def hostile_kwargs(data: st.DataObject, target: str, name: str) -> dict[str, Any]:
    """Arguments for ``CLASSES[target].name``: each parameter hostile or ordinary, defaults sometimes kept."""
    params = list(inspect.signature(getattr(CLASSES[target], name)).parameters.values())[1:]
    kwargs: dict[str, Any] = {}
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.default is not p.empty and data.draw(st.booleans()):
            continue  # leave the default
        kwargs[p.name] = data.draw(argument(p.name), label=p.name)
    return kwargs


def argument(name: str) -> st.SearchStrategy[Any]:
    valid = VALID.get(name)
    return st.one_of(HOSTILE, st.sampled_from(valid)) if valid else HOSTILE


async def objects(tapi: client.Tapi) -> dict[str, Any]:
    """One live object of each kind, made the ordinary way."""
    line = await tapi.open_line(0)
    agent = await line.create_agent("1001", pin="1234")
    sessions = await agent.EnumerateAgentSessions()
    groups = await line.acd_groups()
    assert sessions and groups
    _, pending = await line.start_get_group_list()
    return {
        "tapi": tapi, "line": line, "agent": agent, "session": sessions[0], "group": groups[0],
        "address": await sessions[0].get_Address(), "pending": pending, "subscription": tapi.events(),
        "control": tapi.control,
    }


def check_outcome(call: Callable[[], Any], what: str) -> None:
    try:
        call()
    except TapiError as exc:
        if exc.hresult == client.HResult.E_INVALIDARG:
            assert str(exc), what
    # anything else propagates and fails the property, with the drawn call in hypothesis' report


async def call_async(objs: dict[str, Any], target: str, name: str, kwargs: dict[str, Any]) -> None:
    method = getattr(objs[target], name)
    with trio.fail_after(10):  # a hang is a failure too
        result = method(**kwargs)
        if inspect.isawaitable(result):
            await result


SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)


@pytest.mark.parametrize(("target", "name"), CALLS, ids=[f"{t}.{n}" for t, n in CALLS])
@SETTINGS
@given(data=st.data())
def test_async_api_raises_only_tapi_errors(target: str, name: str, data: st.DataObject) -> None:
    kwargs = hostile_kwargs(data, target, name)

    async def main() -> None:
        async with open_emulator(QUIET, clock="manual", listen=False) as emu:
            async with client.connect_stream(await emu.connect_memory(), request_timeout=5) as tapi:
                objs = await objects(tapi)
                try:
                    await call_async(objs, target, name, kwargs)
                except TapiError:
                    pass

    trio.run(main)


def blocking_objects(tapi: Any) -> dict[str, Any]:
    line = tapi.open_line(0)
    agent = line.create_agent("1001", pin="1234")
    sessions = agent.EnumerateAgentSessions()
    _, pending = line.start_get_group_list()
    return {
        "tapi": tapi, "line": line, "agent": agent, "session": sessions[0], "group": line.acd_groups()[0],
        "address": sessions[0].get_Address(), "pending": pending, "subscription": tapi.events(),
        "control": tapi.control,
    }


BLOCKING_CALLS = [
    (target, name) for target, name in CALLS
    if target in ("tapi", "line", "agent", "session", "group", "control") and name not in ("aclose",)
]


@pytest.mark.parametrize(("target", "name"), BLOCKING_CALLS, ids=[f"{t}.{n}" for t, n in BLOCKING_CALLS])
@settings(max_examples=3, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_blocking_facade_raises_only_tapi_errors(target: str, name: str, data: st.DataObject) -> None:
    kwargs = hostile_kwargs(data, target, name)

    def use(host: str, port: int) -> None:  # in a worker thread, as a non-trio application would
        with client.blocking.connect(host, port, request_timeout=5, connect_timeout=5) as tapi:
            method = getattr(blocking_objects(tapi)[target], name)
            try:
                method(**kwargs)
            except TapiError:
                pass

    async def main() -> None:  # the emulator runs (and logs) in the test's own thread
        async with open_emulator(QUIET, clock="manual", host="127.0.0.1", port=0) as emu:
            with trio.fail_after(20):
                await trio.to_thread.run_sync(use, emu.host, emu.port)

    trio.run(main)


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda line: line.create_agent("a\x00b"), "NUL"),
        (lambda line: line.create_agent("1001", pin="x" * 70_000), "pin"),
        (lambda line: line.get_queue_info(-1), "queue_id"),
        (lambda line: line.get_queue_info(2**40), "queue_id"),
        (lambda line: line.get_agent_info("7"), "'7'"),
        (lambda line: line.set_agent_session_state(1, "READY"), "state"),
        (lambda line: line.create_agent_session(1, SALES, address_id=-3), "address_id"),
        (lambda line: line.get_group_list(timeout=-1), "timeout"),
    ],
)
async def test_bad_arguments_are_invalidarg_naming_the_argument(call: Any, needle: str) -> None:
    async with open_emulator(QUIET, clock="manual", listen=False) as emu:
        async with client.connect_stream(await emu.connect_memory()) as tapi:
            line = await tapi.open_line(0)
            with pytest.raises(TapiError) as info:
                await call(line)
            assert info.value.hresult == client.HResult.E_INVALIDARG, info.value
            assert needle in str(info.value), str(info.value)
