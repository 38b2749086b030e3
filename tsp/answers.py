"""The switch's data answers: the async handlers of the data-returning functions, ``(ctx, line, body, now)
-> bytes`` (the LINE_REPLY's data; ``ctx`` is the :class:`tsp.switch.SwitchService`, of which they use
only ``ctx.model``), as the dispatch table (:mod:`tsp.dispatch`) calls them. The mapping of model values
to the LINE... structures is :mod:`tsp.wire`'s (the one adapter); :func:`session_info_bytes` packs the
poll path's LINEAGENTSESSIONINFO (the server's fast lane reaches it through the dispatch row's handler,
:func:`session_info`, as the general path does). Refusals of the model (:class:`tsp.errors.SwitchError`)
pass through.
"""

from __future__ import annotations

from typing import Any

from protocol import messages as m
from protocol.structs import QueueList
from tsp import wire

__all__ = ["agent_info", "session_info", "session_info_bytes", "session_list", "queue_info", "group_list", "queue_list"]

#: The poll path: the model's figures packed straight into LINEAGENTSESSIONINFO (tsp/wire.py).
session_info_bytes = wire.session_info_bytes


def agent_info(ctx: Any, line: Any, body: m.GetAgentInfo, now: float) -> bytes:
    return wire.agent_info_bytes(ctx.model.agent_info(body.h_agent, now), body.buffer_size)


def session_info(ctx: Any, line: Any, body: m.GetAgentSessionInfo, now: float) -> bytes:
    return session_info_bytes(ctx.model, body.h_agent_session, body.agent_session_info_size, now)


def session_list(ctx: Any, line: Any, body: m.GetAgentSessionList, now: float) -> bytes:
    return wire.session_list_bytes(ctx.model.session_list(body.h_agent), body.buffer_size)


def queue_info(ctx: Any, line: Any, body: m.GetQueueInfo, now: float) -> bytes:
    return wire.queue_info_bytes(ctx.model.queue_info(body.queue_id, now), body.buffer_size)


def group_list(ctx: Any, line: Any, body: m.GetGroupList, now: float) -> bytes:
    return wire.group_list_bytes(ctx.model.group_list(), body.buffer_size)


def queue_list(ctx: Any, line: Any, body: m.GetQueueList, now: float) -> bytes:
    return wire.list_bytes(QueueList, ctx.model.queue_list(body.group_id), body.buffer_size)
