"""The switch's data answers: one function per data-returning function, ``(model, body, now) -> bytes``
(the LINE_REPLY's data), used by the dispatch table (:mod:`tsp.dispatch`). The mapping of model values
to the LINE... structures is :mod:`tsp.wire`'s (the one adapter); :func:`session_info_bytes` is also the
fast lane's (:mod:`tsp.serverconn`). Refusals of the model (:class:`tsp.errors.SwitchError`) pass through.
"""

from __future__ import annotations

from protocol import messages as m
from protocol.structs import QueueList
from tsp import wire
from tsp.model import Switch

__all__ = ["agent_info", "session_info", "session_info_bytes", "session_list", "queue_info", "group_list", "queue_list"]

#: The poll path: the model's figures packed straight into LINEAGENTSESSIONINFO (tsp/wire.py).
session_info_bytes = wire.session_info_bytes


def agent_info(model: Switch, body: m.GetAgentInfo, now: float) -> bytes:
    return wire.agent_info_bytes(model.agent_info(body.h_agent, now), body.buffer_size)


def session_info(model: Switch, body: m.GetAgentSessionInfo, now: float) -> bytes:
    return session_info_bytes(model, body.h_agent_session, body.agent_session_info_size, now)


def session_list(model: Switch, body: m.GetAgentSessionList, now: float) -> bytes:
    return wire.session_list_bytes(model.session_list(body.h_agent), body.buffer_size)


def queue_info(model: Switch, body: m.GetQueueInfo, now: float) -> bytes:
    return wire.queue_info_bytes(model.queue_info(body.queue_id, now), body.buffer_size)


def group_list(model: Switch, body: m.GetGroupList, now: float) -> bytes:
    return wire.group_list_bytes(model.group_list(), body.buffer_size)


def queue_list(model: Switch, body: m.GetQueueList, now: float) -> bytes:
    return wire.list_bytes(QueueList, model.queue_list(body.group_id), body.buffer_size)
