"""The switch's data answers: the model's values packed into the LINE_REPLY structures
(LINEAGENTINFO, LINEAGENTSESSIONINFO, LINEAGENTSESSIONLIST, LINEQUEUEINFO, LINEAGENTGROUPLIST).

One function per data-returning function, ``(model, body, now) -> bytes`` (the LINE_REPLY's data), used
by the dispatch table (:mod:`tsp.dispatch`); :func:`session_info_bytes` is also the fast lane's
(:mod:`tsp.serverconn`). Refusals of the model (:class:`tsp.errors.SwitchError`) pass through.
"""

from __future__ import annotations

import attrs

from protocol import messages as m
from protocol.structs import (
    AgentGroupEntry,
    AgentGroupList,
    AgentInfo,
    AgentSessionEntry,
    AgentSessionInfo,
    AgentSessionList,
    QueueInfo,
    encode_struct,
    wire_packer,
)
from tsp.model import SessionStats, Switch

__all__ = ["agent_info", "session_info", "session_info_bytes", "session_list", "queue_info", "group_list"]


def agent_info(model: Switch, body: m.GetAgentInfo, now: float) -> bytes:
    info = model.agent_info(body.h_agent, now)
    return encode_struct(
        AgentInfo(
            total_size=body.buffer_size,
            agent_state=info.state,
            next_agent_state=info.next_state,
            measurement_period=info.measurement_period,
            overall_call_rate=info.overall_call_rate,
            number_of_acd_calls=info.number_of_acd_calls,
            number_of_incoming_calls=info.number_of_incoming_calls,
            number_of_outgoing_calls=info.number_of_outgoing_calls,
            total_acd_talk_time=info.total_acd_talk_time,
            total_acd_call_time=info.total_acd_call_time,
            total_acd_wrap_up_time=info.total_acd_wrap_up_time,
        )
    )


def session_info(model: Switch, body: m.GetAgentSessionInfo, now: float) -> bytes:
    return session_info_bytes(model, body.h_agent_session, body.agent_session_info_size, now)


def session_info_bytes(model: Switch, hsession: int, total_size: int, now: float) -> bytes:
    """= encode_struct(AgentSessionInfo(total_size=total_size, state=..., ...every statistic)) without
    building the object: the model's figures in wire form (the general path's and the fast lane's)."""
    return _pack_session_wire(total_size, _ASI_SIZE, _ASI_SIZE, *model.session_wire_values(hsession, now))


def session_list(model: Switch, body: m.GetAgentSessionList, now: float) -> bytes:
    entries = [
        AgentSessionEntry(e.hagent_session, e.hagent, e.group_id, e.working_address_id)
        for e in model.session_list(body.h_agent)
    ]
    return encode_struct(AgentSessionList.build(entries, body.buffer_size))


def queue_info(model: Switch, body: m.GetQueueInfo, now: float) -> bytes:
    q = model.queue_info(body.queue_id, now)
    return encode_struct(QueueInfo(total_size=body.buffer_size, **attrs.asdict(q, recurse=False)))


def group_list(model: Switch, body: m.GetGroupList, now: float) -> bytes:
    entries = [AgentGroupEntry(g.group_id, g.name) for g in model.group_list()]
    return encode_struct(AgentGroupList.build(entries, body.buffer_size))


_pack_session_wire = wire_packer(AgentSessionInfo)
_ASI_SIZE = AgentSessionInfo.FIXED_SIZE
# Switch.session_wire_values is packed as it comes: SessionStats' fields are LINEAGENTSESSIONINFO's.
assert tuple(f.name for f in attrs.fields(SessionStats)) == tuple(f.name for f in attrs.fields(AgentSessionInfo)[3:])
