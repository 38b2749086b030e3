"""The function table of the Line API: one row per asynchronous TAPI function of wire-protocol §2.

Every row is a :class:`~client.methods.LineFunction`: the public method name, the request message class
(its ``REQ_FUNC``), the reply structure, the arguments with their checks and the request fields each one
fills, and what the caller gets back. :class:`client.line.Line` gets two methods from each row
(:mod:`client.methods` makes them): ``line.<method>(...)`` waits for the LINE_REPLY, ``line.start_<method>(...)``
returns ``(request_id, pending)`` as soon as the RESPONSE has announced the request ID.

Adding a function (docs/extending.md, "Call it"): declare its message in :mod:`protocol`, then add one row
here; a TAPI3 getter, if any, calls the new method from :mod:`client.objects`.

Argument checks run in the order of the row's ``args``, before anything is sent; a refused argument is
``TapiError(E_INVALIDARG)`` naming it (:mod:`client.args`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Final

from client import args as _args
from client.args import handle, text, u32
from client.interfaces import LineLike
from client.functions_acd import ACD_FUNCTIONS
from client.call_functions import CALL_FUNCTIONS
from client.methods import Arg, LineFunction, no_result
from client.objects import ITAddress, ITAgent, ITAgentSession, as_group
from protocol import messages as m
from protocol.structs import AgentGroupList, AgentInfo, AgentSessionInfo, AgentSessionList, QueueInfo, QueueList


# --- argument checks: (value, argument name) -> the value the request carries ------------------------------
# handle (a nonzero u32 or a client object with one), u32 and text (a TAPI string) come from client.args.


def optional_text(value: Any, what: str) -> str | None:
    """A TAPI string argument that may be None."""
    return _args.text(value, what, optional=True)


def acd_group_id(value: Any, what: str) -> uuid.UUID:
    """An ACD group argument (an ITACDGroup, a UUID or a GUID string) as its GUID."""
    return as_group(value).group_id


# --- results: (line, arguments as given, as checked, the reply's data) -> what the method returns ------------


def agent_object(line: LineLike, given: Mapping[str, Any], checked: Mapping[str, Any], hagent: int) -> ITAgent:
    """CreateAgent's hAgent as the connection's one :class:`~client.objects.ITAgent` of that handle."""
    return line.tapi.registry.agent(line, hagent, checked["agent_id"], checked["pin"])


def session_object(
    line: LineLike, given: Mapping[str, Any], checked: Mapping[str, Any], hsession: int
) -> ITAgentSession:
    """CreateAgentSession's hAgentSession as the connection's one :class:`~client.objects.ITAgentSession`
    of that handle, knowing its agent, group and address."""
    registry = line.tapi.registry
    agent = given["agent"]
    owner = agent if isinstance(agent, ITAgent) else registry.known_agent(checked["agent"])
    return registry.session(
        line, hsession, agent=owner, group=as_group(given["group"], line),
        address=ITAddress(line.device_id, checked["address_id"]),
    )


# --- the table -------------------------------------------------------------------------------------------------

_SESSION = "ITAgentSession | int"
_AGENT = "ITAgent | int"

#: One row per function, in Req_Func order (the call functions of wire-protocol §9 come from
#: client/call_functions.py). ``h_line`` is the line's own handle.
_AGENT_FUNCTIONS: Final[tuple[LineFunction, ...]] = (
    LineFunction(
        method="create_agent",
        request=m.CreateAgent,
        args=(
            Arg("agent_id", text, ("agent_id",), annotation="str"),
            Arg("pin", optional_text, ("pin",), default=None, annotation="str | None"),
        ),
        summary="the agent with this ID (the scenario's, or a new one).",
        result=agent_object,
        returns="ITAgent",
    ),
    LineFunction(
        method="create_agent_session",
        request=m.CreateAgentSession,
        args=(
            Arg("agent", handle, ("h_agent", "h_agent_session_context"), annotation=_AGENT),
            Arg("group", acd_group_id, ("group_id",), annotation="ITACDGroup | uuid.UUID | str"),
            Arg("address_id", u32, ("working_address_id",), default=0, keyword_only=True, annotation="int"),
            Arg("pin", optional_text, ("pin",), default=None, keyword_only=True, annotation="str | None"),
        ),
        summary="a new NOTREADY session of ``agent`` in ``group`` on ``address_id``.",
        result=session_object,
        returns="ITAgentSession",
    ),
    LineFunction(
        method="get_agent_info",
        request=m.GetAgentInfo,
        args=(Arg("agent", handle, ("h_agent", "agent_info_context"), annotation=_AGENT),),
        summary="the agent's LINEAGENTINFO.",
        reply=AgentInfo,
        size_field="agent_info_size",
    ),
    LineFunction(
        method="get_agent_session_info",
        request=m.GetAgentSessionInfo,
        args=(Arg("hagent_session", handle, ("h_agent_session", "agent_session_info_context"),
                  annotation=_SESSION),),
        summary="the session's LINEAGENTSESSIONINFO.",
        reply=AgentSessionInfo,
        size_field="agent_session_info_size",
    ),
    LineFunction(
        method="get_agent_session_list",
        request=m.GetAgentSessionList,
        args=(Arg("agent", handle, ("h_agent", "session_list_context"), annotation=_AGENT),),
        summary="every session of the agent (the buffer grows until the list fits).",
        reply=AgentSessionList,
        size_field="session_list_size",
        grows=True,
    ),
    LineFunction(
        method="get_queue_info",
        request=m.GetQueueInfo,
        args=(Arg("queue_id", u32, ("queue_id", "queue_info_context"), annotation="int"),),
        summary="the queue's LINEQUEUEINFO.",
        reply=QueueInfo,
        size_field="queue_info_size",
    ),
    LineFunction(
        method="get_group_list",
        request=m.GetGroupList,
        args=(),
        summary="every ACD group of the switch (the buffer grows until the list fits).",
        reply=AgentGroupList,
        size_field="group_list_size",
        grows=True,
    ),
    LineFunction(
        method="get_queue_list",
        request=m.GetQueueList,
        args=(Arg("group", acd_group_id, ("group_id",), annotation="ITACDGroup | uuid.UUID | str"),),
        summary="the queues of the ACD group (the buffer grows until the list fits).",
        reply=QueueList,
        size_field="queue_list_size",
        grows=True,
    ),
    LineFunction(
        method="set_agent_session_state",
        request=m.SetAgentSessionState,
        args=(
            Arg("hagent_session", handle, ("h_agent_session",), annotation=_SESSION),
            Arg("state", u32, ("agent_session_state",), annotation="AgentSessionState | int"),
            Arg("next_state", u32, ("next_agent_session_state",), default=0, annotation="AgentSessionState | int"),
        ),
        summary="request ``state`` now and/or ``next_state`` after the call (0 = keep).",
        result=no_result,
        returns="None",
    ),
)


# wire-protocol §8 (client/functions_acd.py: the TAPI 2.0 family and the TAPI 2.2 setters) and §9
# (client/call_functions.py: the call functions), all in Req_Func order.
LINE_FUNCTIONS: Final[tuple[LineFunction, ...]] = tuple(
    sorted(_AGENT_FUNCTIONS + ACD_FUNCTIONS + CALL_FUNCTIONS, key=lambda row: row.req_func)
)


def by_method(name: str) -> LineFunction:
    """The row whose public method is ``name`` (or ``start_<name>``); KeyError naming the known ones."""
    for row in LINE_FUNCTIONS:
        if name in (row.method, row.start_method):
            return row
    raise KeyError(f"no Line function {name!r}; known: {', '.join(row.method for row in LINE_FUNCTIONS)}")


__all__ = [
    "LINE_FUNCTIONS",
    "acd_group_id",
    "agent_object",
    "by_method",
    "handle",
    "optional_text",
    "session_object",
    "text",
    "u32",
]
