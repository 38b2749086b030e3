"""Scenario builders for the model 1.1 tests (test_model_acd.py, test_model_calls.py): the 1.1 scenario
fields are set on the dataclasses directly (parsing them is tsp/scenario.py's business, tested there)."""

from __future__ import annotations

import uuid

from protocol.constants import AgentSessionState as S
from tsp.model import Switch
from tsp.scenario import Agent, Group, Scenario, SessionSpec, SwitchSettings
from tsp.values import AgentEvent, CallEvent, QueueEvent, SessionEvent

A = uuid.UUID(int=0xA)
B = uuid.UUID(int=0xB)
C = uuid.UUID(int=0xC)


def groups(**overrides: dict) -> tuple[Group, ...]:
    """Groups A (queue 1, extension 100), B (2, 200), C (3, 300); ``A=dict(overflow_after=..)`` etc."""
    base = {"A": (A, 1, "100"), "B": (B, 2, "200"), "C": (C, 3, "300")}
    return tuple(
        Group(gid, name, queue, extension=ext, **overrides.get(name, {})) for name, (gid, queue, ext) in base.items()
    )


def ready(group: uuid.UUID, line: int = 0, at: float = 0, **kw) -> SessionSpec:
    return SessionSpec(group=group, line=line, state=S.READY, at=at, **kw)


def switch(*agents: Agent, lines: int = 4, group_kw: dict | None = None, **settings) -> Switch:
    sc = Scenario(switch=SwitchSettings(lines=lines, **settings), groups=groups(**(group_kw or {})), agents=agents)
    return Switch(sc)


def session_of(sw: Switch, agent_id: str, group: uuid.UUID, now: float) -> int:
    return next(e.hagent_session for e in sw.session_list(sw.agent_handle(agent_id), now) if e.group_id == group)


def kinds(events: list) -> dict[type, list]:
    out: dict[type, list] = {SessionEvent: [], AgentEvent: [], QueueEvent: [], CallEvent: []}
    for e in events:
        out[type(e)].append(e)
    return out
