"""The switch's handlers of wire-protocol §8 (all asynchronous: ``(ctx, line, body, now) -> bytes``, the
LINE_REPLY's data) and :func:`caps_line`, how GetAgentCaps (keyed by hLineApp + dwDeviceID) finds the
line its LINE_REPLY goes to. The TAPI 2.0 view is :mod:`tsp.agent_view`'s; refusals of the model or the
view (:class:`tsp.errors.SwitchError`) pass through.
"""

from __future__ import annotations

from typing import Any

from protocol.agent_messages import (
    GetAgentActivityList,
    GetAgentCaps,
    GetAgentGroupList,
    GetAgentStatus,
    SetAgentActivity,
    SetAgentGroup,
    SetAgentMeasurementPeriod,
    SetAgentState,
    SetAgentStateEx,
    SetQueueMeasurementPeriod,
)
from protocol.agent_structs import AgentCaps, AgentStatus, AgentStatusGroup
from protocol.constants import API_VERSION_MAX, LineErr
from protocol.errors import RemoteProtocolError
from protocol.structs import AgentActivityEntry, AgentActivityList, AgentGroupEntry, AgentGroupList
from tsp import agent_view as view
from tsp.errors import SwitchError

__all__ = [
    "TAPI20_VERSION", "caps_line", "get_agent_caps", "get_agent_status", "get_agent_group_list",
    "get_agent_activity_list", "set_agent_state", "set_agent_group", "set_agent_activity", "set_agent_state_ex",
    "set_agent_measurement_period", "set_queue_measurement_period",
]

#: The TAPI 2.0 family needs a line opened with API >= 2.0 (the 2.2 functions need 2.2, as before).
TAPI20_VERSION = 0x00020000


def _line_20(ctx: Any, conn: Any, hline: int) -> Any:
    line = ctx.registry.line(conn, hline, agent_func=False)
    if line.api_version < TAPI20_VERSION:
        raise SwitchError(
            LineErr.OPERATIONUNAVAIL,
            f"hLine {hline} was opened with API version {line.api_version:#010x}; the TAPI 2.0 agent functions need >= 0x00020000",
        )
    return line


def line_20(ctx: Any, conn: Any, body: Any) -> Any:
    """The request's hLine for a TAPI 2.0 function (open on this connection, API >= 2.0)."""
    return _line_20(ctx, conn, body.h_line)


def caps_line(ctx: Any, conn: Any, body: GetAgentCaps) -> Any:
    """GetAgentCaps' line: the hLineApp (INVALAPPHANDLE), the device (BADDEVICEID), then the app's oldest
    line open on that device (its contexts and hRemoteLine go into the LINE_REPLY); none ->
    LINEERR_INVALLINEHANDLE (the emulator reaches the agent handler through an open line)."""
    app = ctx.registry.app(conn, body.h_line_app)
    ctx.registry.check_device(body.device_id)
    for hline in sorted(app.lines):
        line = conn.lines.get(hline)
        if line is not None and line.device_id == body.device_id:
            return _line_20(ctx, conn, hline)
    raise SwitchError(LineErr.INVALLINEHANDLE, f"hLineApp {body.h_line_app} has no line open on device {body.device_id}")


# --- TAPI 2.0: data ------------------------------------------------------------------------------


def get_agent_caps(ctx: Any, line: Any, body: GetAgentCaps, now: float) -> bytes:
    view.check_address(ctx.model, body.device_id, body.address_id)
    caps = AgentCaps.build(
        body.agent_caps_size,
        agent_handler_info=view.HANDLER_NAME,
        caps_version=min(body.app_api_version, API_VERSION_MAX),
        features=view.FEATURES,
        states=view.VALID_STATES,
        next_states=view.VALID_STATES,
        max_num_group_entries=len(ctx.model.group_list()),
        agent_status_messages=view.STATUS_MESSAGES,
    )
    return caps.to_bytes()


def get_agent_status(ctx: Any, line: Any, body: GetAgentStatus, now: float) -> bytes:
    view.check_address(ctx.model, line.device_id, body.address_id)
    v = view.address_view(ctx.model, line.device_id, body.address_id, now)
    status = AgentStatus.build(
        body.agent_status_size,
        groups=[AgentStatusGroup(gid, name) for gid, name in v.groups],
        state=v.state, next_state=v.next_state, activity_id=v.activity_id, activity=v.activity,
        agent_features=view.FEATURES, valid_states=v.valid_states, valid_next_states=v.valid_next_states,
    )
    return status.to_bytes()


def get_agent_group_list(ctx: Any, line: Any, body: GetAgentGroupList, now: float) -> bytes:
    """Every group of the switch: each is one the address's agent may log into (joined ones included)."""
    view.check_address(ctx.model, line.device_id, body.address_id)
    entries = [AgentGroupEntry(g.group_id, g.name) for g in ctx.model.group_list()]
    return AgentGroupList.build(entries, body.group_list_size).to_bytes()


def get_agent_activity_list(ctx: Any, line: Any, body: GetAgentActivityList, now: float) -> bytes:
    view.check_address(ctx.model, line.device_id, body.address_id)
    entries = [AgentActivityEntry(i, name) for i, name in view.activity_entries(ctx.model)]
    return AgentActivityList.build(entries, body.activity_list_size).to_bytes()


# --- TAPI 2.0: setters ---------------------------------------------------------------------------


def set_agent_state(ctx: Any, line: Any, body: SetAgentState, now: float) -> bytes:
    view.set_agent_state(ctx.model, line.device_id, body.address_id, body.agent_state, body.next_agent_state, now)
    return b""


def set_agent_group(ctx: Any, line: Any, body: SetAgentGroup, now: float) -> bytes:
    if not body.agent_group_list:
        raise SwitchError(LineErr.INVALPOINTER, "SetAgentGroup carries no LINEAGENTGROUPLIST")
    try:
        groups = AgentGroupList.from_bytes(body.agent_group_list)
    except RemoteProtocolError as exc:
        raise SwitchError(LineErr.INVALPARAM, f"the LINEAGENTGROUPLIST is inconsistent: {exc.message}") from None
    view.set_agent_group(ctx.model, line.device_id, body.address_id, [e.group_id for e in groups.entries], now)
    return b""


def set_agent_activity(ctx: Any, line: Any, body: SetAgentActivity, now: float) -> bytes:
    view.set_agent_activity(ctx.model, line.device_id, body.address_id, body.activity_id, now)
    ctx.acd.touch(line.device_id)  # the activity is no model event: the 2.0 view of the line is compared
    return b""


# --- TAPI 2.2 setters ----------------------------------------------------------------------------


def set_agent_state_ex(ctx: Any, line: Any, body: SetAgentStateEx, now: float) -> bytes:
    view.set_agent_state_ex(ctx.model, body.h_agent, body.agent_state, body.next_agent_state, now)
    return b""


def _period(seconds: int) -> int:
    if seconds == 0 or seconds > 0x7FFFFFFF:
        raise SwitchError(LineErr.INVALPARAM, f"measurement period {seconds} s: it must be 1..0x7FFFFFFF seconds")
    return seconds


def set_agent_measurement_period(ctx: Any, line: Any, body: SetAgentMeasurementPeriod, now: float) -> bytes:
    seconds = _period(body.measurement_period)
    ctx.model.set_agent_measurement_period(body.h_agent, seconds, now)
    return b""


def set_queue_measurement_period(ctx: Any, line: Any, body: SetQueueMeasurementPeriod, now: float) -> bytes:
    seconds = _period(body.measurement_period)
    ctx.model.set_queue_measurement_period(body.queue_id, seconds, now)
    return b""
