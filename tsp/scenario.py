"""Scenario files: TOML -> a frozen, fully validated :class:`Scenario` (wire-protocol §5, §7, §9).

A scenario is the emulator's whole input: the switch (lines, clock start, random seed, ring timeout,
measurement period), the ACD groups with their queues (overflow, extension), the agent activities, the
agents (PINs, answer delay and mode, wrap-up, home station, sessions that exist from the start and their
scheduled changes), scripted calls, random traffic (a rate or a profile, talk and patience
distributions, caller numbers) and fault-injection rules. Everything is checked here, once, so the
switch model can trust its input: unknown keys, wrong types, out-of-range values, bad GUIDs, dangling
references, cycles of overflow rules and duplicate IDs are all :class:`ScenarioError`\\ s whose message
names the file, the key path (``agents[1].sessions[0].group``) and the line number.

The pieces: :mod:`tsp.scenario_types` (the frozen values, re-exported here), :mod:`tsp.scenario_check`
(line numbers and typed checks), :mod:`tsp.scenario_v11` (the 1.1 keys); docs/scenarios.md lists
every key.
"""

from __future__ import annotations

import datetime as _dt
import re
import tomllib
import uuid
from importlib import resources
from pathlib import Path
from typing import Any

from protocol.constants import AgentSessionState, LineErr
from tsp import scenario_v11 as v11
from tsp.scenario_check import Checker, LineIndex, describe, format_path
from tsp.scenario_types import (
    DEFAULT_START,
    FAULT_MODES,
    MAX_LINES,
    U32_MAX,
    Activity,
    Agent,
    Fault,
    Group,
    PathT,
    Scenario,
    ScenarioError,
    ScriptedCall,
    SessionChange,
    SessionSpec,
    SwitchSettings,
    Traffic,
    parse_guid,
)

__all__ = [
    "DEFAULT_START",
    "FAULT_MODES",
    "MAX_LINES",
    "Activity",
    "Agent",
    "Fault",
    "Group",
    "Scenario",
    "ScenarioError",
    "ScriptedCall",
    "SessionChange",
    "SessionSpec",
    "SwitchSettings",
    "Traffic",
    "default_scenario",
    "load_scenario",
    "parse_scenario",
]

# --------------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------------


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario: a shipped one by name (``"scripted"``, see :mod:`tsp.scenarios`) or
    the file at ``path``. Unreadable files are ScenarioErrors too."""
    from tsp import scenarios

    name = str(path)
    if isinstance(path, str) and scenarios.is_name(path):
        return parse_scenario(scenarios.text(path), filename=f"<built-in scenario {path}>")
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        hint = ""
        if isinstance(path, str) and "/" not in path and "\\" not in path and not path.endswith(".toml"):
            hint = f" (and no built-in scenario has that name: {', '.join(scenarios.names())})"
        raise ScenarioError(name, "", None, f"cannot read the scenario file: {exc.strerror or exc}{hint}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(name, "", line, "the file is not valid UTF-8") from None
    return parse_scenario(text, filename=name)


def parse_scenario(text: str, filename: str = "<string>") -> Scenario:
    """Validate TOML ``text`` as a scenario; ``filename`` only appears in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column \d+\)", msg)
        line = int(m.group(1)) if m else (max(text.count("\n"), 1) if "end of document" in msg else None)
        raise ScenarioError(filename, "", line, f"TOML syntax error: {msg}") from None
    return _Builder(filename, LineIndex(text)).build(data)


def default_scenario() -> Scenario:
    """The built-in scenario (``tsp/default_scenario.toml``): 3 groups, 20 agents, READY at once, some patience and a break."""
    text = resources.files("tsp").joinpath("default_scenario.toml").read_text(encoding="utf-8")
    return parse_scenario(text, filename="<built-in default_scenario.toml>")


# --------------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------------

_TOP_KEYS = ("switch", "groups", "activities", "agents", "calls", "traffic", "faults")
_FAULT_KEYS = ("function", "mode", "seconds", "error", "probability", "after")


class _Builder(Checker):
    """Walks the parsed TOML section by section, building the frozen scenario."""

    def build(self, data: dict[str, Any]) -> Scenario:
        self.table(data, (), _TOP_KEYS)
        switch = self.build_switch(data.get("switch", {}))
        self.build_groups(data.get("groups", []))
        activities = v11.activities(self, data.get("activities", []))
        agents = self.build_agents(data.get("agents", []), switch, activities)
        calls = tuple(
            ScriptedCall(
                at=self.number(t, p, "at", 0.0), group=self.group_ref(t, p), talk=self.number(t, p, "talk", 0.0),
                **v11.call_extras(self, t, p),
            )
            for p, t in self.items(data.get("calls", []), ("calls",), ("at", "group", "talk") + v11.CALL_KEYS)
        )
        traffic = tuple(
            v11.traffic(self, p, t, self.group_ref(t, p))
            for p, t in self.items(data.get("traffic", []), ("traffic",), v11.TRAFFIC_KEYS)
        )
        faults = tuple(self.build_fault(p, t) for p, t in self.items(data.get("faults", []), ("faults",), _FAULT_KEYS))
        return Scenario(
            switch=switch, groups=tuple(self.groups), agents=agents, calls=calls, traffic=traffic,
            faults=faults, filename=self.filename, activities=activities,
        )

    def build_switch(self, value: Any) -> SwitchSettings:
        p: PathT = ("switch",)
        t = self.table(value, p, ("name", "lines", "start", "seed") + v11.SWITCH_KEYS)
        d = SwitchSettings()
        start = t.get("start", d.start)
        if isinstance(start, str):
            try:
                start = _dt.datetime.fromisoformat(start)
            except ValueError:
                raise self.fail(p + ("start",), f"not an ISO 8601 date-time: {start!r}") from None
        if not isinstance(start, _dt.datetime):
            raise self.fail(p + ("start",), f"must be a date-time such as \"2026-11-26T09:00:00Z\", not {describe(start)}")
        if start.tzinfo is None:
            raise self.fail(p + ("start",), f"needs a UTC offset such as Z: {start.isoformat()}")
        return SwitchSettings(
            name=self.string(t, p, "name", d.name),
            lines=self.integer(t, p, "lines", 1, MAX_LINES, d.lines),
            start=start.astimezone(_dt.timezone.utc),
            seed=self.integer(t, p, "seed", -(2**63), 2**63 - 1, d.seed),
            **v11.switch_extras(self, t, p),
        )

    def build_groups(self, value: Any) -> None:
        seen_ids: dict[Any, int] = {}
        seen_names: dict[Any, int] = {}
        seen_queues: dict[Any, int] = {}
        extensions: dict[str, int] = {}
        raw: list[dict] = []
        for p, t in self.items(value, ("groups",), ("id", "name", "queue") + v11.GROUP_KEYS):
            i = int(p[-1])
            raw_id = self.string(t, p, "id")
            gid = parse_guid(raw_id)
            if gid is None:
                raise self.fail(p + ("id",), f"not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx): {raw_id!r}")
            name = self.string(t, p, "name")
            queue = self.integer(t, p, "queue", 0, U32_MAX, i + 1)
            for key, val, seen in (("id", gid, seen_ids), ("name", name, seen_names), ("queue", queue, seen_queues)):
                if val in seen:
                    raise self.fail(p + (key,), f"duplicate group {key} {val!s} (also groups[{seen[val]}])")
                seen[val] = i
            self.groups.append(Group(id=gid, name=name, queue=queue, **v11.group_extras(self, t, p, extensions)))
            raw.append(t)
        self.groups = v11.link_overflow(self, self.groups, raw)

    def build_agents(self, value: Any, switch: SwitchSettings, activities: tuple[Activity, ...]) -> tuple[Agent, ...]:
        agents: list[Agent] = []
        seen: dict[str, int] = {}
        homes: dict[tuple[int, int], int] = {}
        keys = ("id", "pin", "answer_delay", "wrapup", "sessions") + v11.AGENT_KEYS
        session_keys = ("group", "line", "address", "state", "at") + v11.SESSION_KEYS
        for p, t in self.items(value, ("agents",), keys):
            agent_id = self.string(t, p, "id")
            if agent_id in seen:
                raise self.fail(p + ("id",), f"duplicate agent id {agent_id!r} (also agents[{seen[agent_id]}])")
            seen[agent_id] = int(p[-1])
            sessions = tuple(
                self.build_session(sp, st, switch, activities)
                for sp, st in self.items(t.get("sessions", []), p + ("sessions",), session_keys)
            )
            self.check_one_session_per_group(p, agent_id, sessions)
            agents.append(
                Agent(
                    id=agent_id,
                    pin=self.string(t, p, "pin", None, nonempty=False),
                    answer_delay=self.number(t, p, "answer_delay", 0.0, default=0.0),
                    wrapup=self.number(t, p, "wrapup", 0.0, default=0.0),
                    sessions=sessions,
                    answer=v11.agent_answer(self, t, p),
                    home=v11.agent_home(self, t, p, switch.lines, homes),
                )
            )
        return tuple(agents)

    def check_one_session_per_group(self, p: PathT, agent_id: str, sessions: tuple[SessionSpec, ...]) -> None:
        """wire-protocol §7.1: one not-ENDED session per agent and group. A scheduled ENDED may be deferred
        by a call (it becomes the next state), so a scenario gets one session per agent and group."""
        first: dict[uuid.UUID, int] = {}
        for j, spec in enumerate(sessions):
            if spec.group in first:
                raise self.fail(
                    p + ("sessions", j, "group"),
                    f"agent {agent_id!r} already has a session in this group ({format_path(p)}.sessions"
                    f"[{first[spec.group]}]): one session per agent and group (wire-protocol §7.1)",
                )
            first[spec.group] = j

    def build_session(
        self, p: PathT, t: dict, switch: SwitchSettings, activities: tuple[Activity, ...]
    ) -> SessionSpec:
        state_name = self.string(t, p, "state", "NOTREADY")
        if state_name not in ("NOTREADY", "READY"):
            raise self.fail(p + ("state",), f"must be \"NOTREADY\" or \"READY\", got {state_name!r}")
        at = self.number(t, p, "at", 0.0, default=0.0)
        return SessionSpec(
            group=self.group_ref(t, p),
            line=self.integer(t, p, "line", 0, switch.lines - 1, 0),
            address=self.integer(t, p, "address", 0, 0, 0),
            state=AgentSessionState[state_name],
            at=at,
            changes=v11.session_changes(self, t, p, at, activities),
        )

    def build_fault(self, p: PathT, t: dict) -> Fault:
        function = self.integer(t, p, "function", 0, U32_MAX)
        mode = self.string(t, p, "mode")
        if mode not in FAULT_MODES:
            raise self.fail(p + ("mode",), f"must be one of {', '.join(FAULT_MODES)}; got {mode!r}")
        if "seconds" in t and mode != "delay":
            raise self.fail(p + ("seconds",), f"only applies to mode = \"delay\" (this rule is {mode!r})")
        if "error" in t and mode != "error":
            raise self.fail(p + ("error",), f"only applies to mode = \"error\" (this rule is {mode!r})")
        seconds = self.number(t, p, "seconds", 0.0) if mode == "delay" else 0.0
        error: LineErr | None = None
        if mode == "error":
            name = self.string(t, p, "error")
            member = LineErr.__members__.get(name.removeprefix("LINEERR_")) if name.startswith("LINEERR_") else None
            if member is None:
                raise self.fail(p + ("error",), f"not a LINEERR_ name such as \"LINEERR_OPERATIONFAILED\": {name!r}")
            error = member
        return Fault(
            function=function,
            mode=mode,
            seconds=seconds,
            error=error,
            probability=self.number(t, p, "probability", 0.0, 1.0, default=1.0),
            after=self.integer(t, p, "after", 0, None, 0),
        )
