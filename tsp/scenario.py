"""Scenario files: TOML -> a frozen, fully validated :class:`Scenario` (wire-protocol.md §5).

A scenario is the emulator's whole input: the switch (lines, clock start, random seed), the ACD groups
with their queues, the agents (PINs, answer delay, wrap-up, sessions that exist from the start), scripted
calls, random Poisson traffic and fault-injection rules. Everything is checked here, once, so the switch
model can trust its input: unknown keys, wrong types, out-of-range values, bad GUIDs, dangling group
references and duplicate IDs are all :class:`ScenarioError`\\ s whose message names the file, the key
path (``agents[1].sessions[0].group``) and the line number.

``tomllib`` reports no line numbers for values, so :class:`_LineIndex` scans the text itself and
remembers the line of every table header (``[switch]``, the n-th ``[[agents]]``, the m-th
``[[agents.sessions]]`` inside it) and of every ``key =`` line in it. Keys inside inline tables or
multi-line arrays fall back to the line of the nearest enclosing key or table, which is good enough to
find the mistake.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import tomllib
import uuid
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import attrs

from protocol.constants import AgentSessionState, LineErr

__all__ = [
    "FAULT_MODES",
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

#: The fault modes of wire-protocol §5.
FAULT_MODES = ("drop", "delay", "error", "disconnect")
#: Clock start when ``[switch] start`` is absent.
DEFAULT_START = _dt.datetime(2026, 1, 1, 9, 0, 0, tzinfo=_dt.timezone.utc)
#: Upper bound for ``[switch] lines`` (a sanity limit, not a protocol one).
MAX_LINES = 100_000
_U32_MAX = 0xFFFFFFFF
_GUID_RE = re.compile(
    r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$"
)

PathT = tuple[str | int, ...]


class ScenarioError(ValueError):
    """A scenario file is unusable. ``str(err)`` is one line: ``FILE:LINE: KEY: what is wrong``.

    Attributes: ``filename``, ``key`` (dotted path such as ``agents[0].pin``, "" for the whole file),
    ``line`` (1-based, or None when unknown) and ``reason``.
    """

    def __init__(self, filename: str, key: str, line: int | None, reason: str) -> None:
        self.filename = filename
        self.key = key
        self.line = line
        self.reason = reason
        where = filename if line is None else f"{filename}:{line}"
        super().__init__(f"{where}: {key}: {reason}" if key else f"{where}: {reason}")


# --------------------------------------------------------------------------------------------------
# The frozen result
# --------------------------------------------------------------------------------------------------


@attrs.frozen
class SwitchSettings:
    """``[switch]``: name, number of line devices (one address, ID 0, each), clock start, random seed."""

    name: str = "TAPI emulator"
    lines: int = 4
    start: _dt.datetime = DEFAULT_START
    seed: int = 0
    #: 1.1 (wire-protocol §7.4): seconds a call may ring at a session before it goes back to its queue;
    #: 0 = no limit (1.0).
    ring_timeout: float = 0.0
    #: 1.1 (§7.8): default measurement period P in seconds for every agent and queue; 0 = none (1.0:
    #: dwMeasurementPeriod is the time since the agent or queue came into being).
    measurement_period: float = 0.0
    #: 1.1 (§9.2 MakeCall): seconds until the far end of an outbound call answers.
    outbound_answer: float = 5.0


@attrs.frozen
class Group:
    """``[[groups]]``: an ACD group and its one FIFO queue (``queue`` = dwQueueID)."""

    id: uuid.UUID
    name: str
    queue: int
    #: 1.1 (§7.5): a call that has waited ``overflow_after`` seconds in this queue moves to the queue of
    #: group ``overflow_to`` (both None = no overflow).
    overflow_after: float | None = None
    overflow_to: uuid.UUID | None = None
    #: 1.1 (§9.2): the dialable number of the group (BlindTransfer / Redirect destination, CalledID).
    extension: str | None = None


@attrs.frozen
class SessionSpec:
    """``[[agents.sessions]]``: a session the switch creates by itself ``at`` seconds after start."""

    group: uuid.UUID
    line: int = 0
    address: int = 0
    state: AgentSessionState = AgentSessionState.NOTREADY
    at: float = 0.0
    #: 1.1 (§7.7): scheduled state changes, in time order, applied as SetAgentSessionState would be.
    changes: tuple[SessionChange, ...] = ()


@attrs.frozen
class SessionChange:
    """One entry of ``[[agents.sessions]] changes``: at ``at`` seconds after start, request ``state``
    (NOTREADY, READY or ENDED) and, with ``activity``, set the agent's current activity (its ID)."""

    at: float
    state: AgentSessionState
    activity: int | None = None


@attrs.frozen
class Activity:
    """``[[activities]]``: a TAPI 2.0 agent activity (LINEAGENTACTIVITYENTRY: ID and name)."""

    id: int
    name: str


@attrs.frozen
class Agent:
    """``[[agents]]``: agent ID for CreateAgent, optional PIN, answer delay and wrap-up in seconds."""

    id: str
    pin: str | None = None
    answer_delay: float = 0.0
    wrapup: float = 0.0
    sessions: tuple[SessionSpec, ...] = ()
    #: 1.1 (§9.3): "auto" (the switch answers after answer_delay), "app" (rings until an application
    #: answers on the line, or ring_timeout) or "never" (rings until ring_timeout).
    answer: str = "auto"
    #: 1.1 (§8.2): the station (line, address) where this agent works, for the TAPI 2.0 address view.
    home: tuple[int, int] | None = None


@attrs.frozen
class ScriptedCall:
    """``[[calls]]``: one call arriving at ``group``'s queue ``at`` seconds after start."""

    at: float
    group: uuid.UUID
    talk: float
    #: 1.1 (§7.3): seconds from arrival the caller waits in a queue before hanging up; None = forever.
    patience: float | None = None
    #: 1.1 (§9.2): caller number (CallerID), called number (CalledID; None = the group's extension),
    #: user-user information.
    ani: str | None = None
    dnis: str | None = None
    uui: str | None = None


@attrs.frozen
class Traffic:
    """``[[traffic]]``: Poisson arrivals, ``rate`` calls per hour, exponential talk of mean ``talk_mean``."""

    group: uuid.UUID
    rate: float  # calls per hour when ``profile`` is empty (1.0); 0 with a profile
    talk_mean: float
    #: 1.1 (§7.6): piecewise-constant rates ``(at seconds, calls per hour)``, first at = 0; repeated
    #: every ``repeat`` seconds when set.
    profile: tuple[tuple[float, float], ...] = ()
    repeat: float | None = None
    #: talk-time distribution: "exponential" (1.0), "lognormal", "gamma" (mean talk_mean, sd talk_sd),
    #: "fixed" (= talk_mean).
    talk_dist: str = "exponential"
    talk_sd: float = 0.0
    #: patience: None = callers never hang up (1.0); else mean seconds, "exponential" or "fixed".
    patience_mean: float | None = None
    patience_dist: str = "exponential"
    #: caller / called number templates (each ``#`` in ``ani`` is a random digit) and UUI of its calls.
    ani: str | None = None
    dnis: str | None = None
    uui: str | None = None


@attrs.frozen
class Fault:
    """``[[faults]]``: one fault-injection rule (applied by the server, first match in file order wins)."""

    function: int
    mode: str
    seconds: float = 0.0
    error: LineErr | None = None
    probability: float = 1.0
    after: int = 0


@attrs.frozen
class Scenario:
    """A whole, validated scenario. ``filename`` is where it came from (for messages only)."""

    switch: SwitchSettings = SwitchSettings()
    groups: tuple[Group, ...] = ()
    agents: tuple[Agent, ...] = ()
    calls: tuple[ScriptedCall, ...] = ()
    traffic: tuple[Traffic, ...] = ()
    faults: tuple[Fault, ...] = ()
    filename: str = "<string>"
    #: 1.1 (§7.7): the agent activities (TAPI 2.0 reason codes), in file order.
    activities: tuple[Activity, ...] = ()

    def group(self, ref: str | uuid.UUID) -> Group | None:
        """The group with this GUID (a UUID or GUID string) or, failing that, this name; None if none."""
        if isinstance(ref, uuid.UUID):
            gid: uuid.UUID | None = ref
        else:
            gid = _parse_guid(ref)
        for g in self.groups:
            if g.id == gid or (gid is None and g.name == ref):
                return g
        return None


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
    return _Builder(filename, _LineIndex(text)).build(data)


def default_scenario() -> Scenario:
    """The built-in scenario (``tsp/default_scenario.toml``): 3 groups, 20 agents, READY at once."""
    text = resources.files("tsp").joinpath("default_scenario.toml").read_text(encoding="utf-8")
    return parse_scenario(text, filename="<built-in default_scenario.toml>")


# --------------------------------------------------------------------------------------------------
# Line numbers
# --------------------------------------------------------------------------------------------------

_HEADER_RE = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*(\]\]?)\s*(#.*)?$")
_KEY_RE = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")


def _split_dotted(key: str) -> tuple[str, ...]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", key)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


class _LineIndex:
    """Line number of each table and key, addressed by a resolved path like ("agents", 2, "pin")."""

    def __init__(self, text: str) -> None:
        self._lines: dict[PathT, int] = {}
        counts: dict[PathT, int] = {}
        current: PathT = ()
        in_multiline: str | None = None
        for lineno, line in enumerate(text.splitlines(), start=1):
            if in_multiline is not None:
                if line.count(in_multiline) % 2 == 1:
                    in_multiline = None
                continue
            header = _HEADER_RE.match(line)
            if header and len(header.group(1)) == len(header.group(3)):
                parts = _split_dotted(header.group(2))
                if header.group(1) == "[[":
                    array = self._resolve(parts[:-1], counts) + (parts[-1],)
                    index = counts.get(array, 0)
                    counts[array] = index + 1
                    current = array + (index,)
                    self._lines.setdefault(array, lineno)
                else:
                    current = self._resolve(parts, counts)
                self._lines.setdefault(current, lineno)
                continue
            key = _KEY_RE.match(line)
            if key:
                self._lines.setdefault(current + _split_dotted(key.group(1)), lineno)
                rest = line[key.end():]
                for quote in ('"""', "'''"):
                    if rest.count(quote) % 2 == 1:
                        in_multiline = quote
                        break

    @staticmethod
    def _resolve(parts: Iterable[str], counts: dict[PathT, int]) -> PathT:
        path: PathT = ()
        for part in parts:
            path += (part,)
            if path in counts:  # an array of tables: a plain reference means its latest element
                path += (counts[path] - 1,)
        return path

    def line_of(self, path: PathT) -> int | None:
        """The line of ``path`` or of its nearest ancestor that has one; None if nothing matches."""
        for end in range(len(path), 0, -1):
            line = self._lines.get(path[:end])
            if line is not None:
                return line
        return None


def _format_path(path: PathT) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def _parse_guid(text: str) -> uuid.UUID | None:
    if not isinstance(text, str) or not _GUID_RE.match(text.strip()):
        return None
    return uuid.UUID(text.strip().strip("{}"))


# --------------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------------

_MISSING = object()


class _Builder:
    """Walks the parsed TOML, checking every value and building the frozen scenario."""

    def __init__(self, filename: str, index: _LineIndex) -> None:
        self.filename = filename
        self.index = index
        self.groups: list[Group] = []

    # -- error helpers -----------------------------------------------------------------------------
    def fail(self, path: PathT, reason: str) -> ScenarioError:
        return ScenarioError(self.filename, _format_path(path), self.index.line_of(path), reason)

    def table(self, value: Any, path: PathT, allowed: Iterable[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"must be a table, not {_describe(value)}")
        allowed = tuple(allowed)
        for key in value:
            if key not in allowed:
                raise self.fail(path + (key,), f"unknown key {key!r} (allowed here: {', '.join(allowed)})")
        return value

    def array_of_tables(self, value: Any, path: PathT) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(path, f"must be an array of tables ([[{_format_path(path)}]]), not {_describe(value)}")
        return value

    def string(self, t: dict, path: PathT, key: str, default: Any = _MISSING, nonempty: bool = True) -> Any:
        value = t.get(key, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                raise self.fail(path, f"missing required key {key!r}")
            return default
        if not isinstance(value, str):
            raise self.fail(path + (key,), f"must be a string, not {_describe(value)}")
        if nonempty and not value:
            raise self.fail(path + (key,), "must not be empty")
        return value

    def integer(self, t: dict, path: PathT, key: str, lo: int, hi: int | None, default: Any = _MISSING) -> Any:
        value = t.get(key, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                raise self.fail(path, f"missing required key {key!r}")
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path + (key,), f"must be an integer, not {_describe(value)}")
        if value < lo or (hi is not None and value > hi):
            bound = f">= {lo}" if hi is None else f"in {lo}..{hi}"
            raise self.fail(path + (key,), f"must be {bound}, got {value}")
        return value

    def number(
        self, t: dict, path: PathT, key: str, lo: float, hi: float | None = None,
        default: Any = _MISSING, lo_open: bool = False,
    ) -> Any:
        value = t.get(key, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                raise self.fail(path, f"missing required key {key!r}")
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(path + (key,), f"must be a number, not {_describe(value)}")
        if not math.isfinite(value):
            raise self.fail(path + (key,), f"must be a finite number, got {value}")
        if value < lo or (lo_open and value == lo) or (hi is not None and value > hi):
            if hi is not None:
                bound = f"in {lo:g}..{hi:g}"
            else:
                bound = f"> {lo:g}" if lo_open else f">= {lo:g}"
            raise self.fail(path + (key,), f"must be {bound}, got {value}")
        return float(value)

    def group_ref(self, t: dict, path: PathT, key: str = "group") -> uuid.UUID:
        ref = self.string(t, path, key)
        gid = _parse_guid(ref)
        for g in self.groups:
            if (gid is not None and g.id == gid) or g.name == ref:
                return g.id
        known = ", ".join(g.name for g in self.groups) or "none defined"
        raise self.fail(path + (key,), f"unknown group {ref!r} (groups: {known})")

    # -- sections ----------------------------------------------------------------------------------
    def build(self, data: dict[str, Any]) -> Scenario:
        self.table(data, (), ("switch", "groups", "agents", "calls", "traffic", "faults"))
        switch = self.build_switch(data.get("switch", {}))
        self.build_groups(data.get("groups", []))
        agents = self.build_agents(data.get("agents", []), switch)
        calls = tuple(
            ScriptedCall(
                at=self.number(t, p, "at", 0.0), group=self.group_ref(t, p), talk=self.number(t, p, "talk", 0.0)
            )
            for p, t in self.items(data.get("calls", []), ("calls",), ("at", "group", "talk"))
        )
        traffic = tuple(
            Traffic(
                group=self.group_ref(t, p),
                rate=self.number(t, p, "rate", 0.0),
                talk_mean=self.number(t, p, "talk_mean", 0.0, lo_open=True),
            )
            for p, t in self.items(data.get("traffic", []), ("traffic",), ("group", "rate", "talk_mean"))
        )
        faults = tuple(
            self.build_fault(p, t)
            for p, t in self.items(
                data.get("faults", []), ("faults",), ("function", "mode", "seconds", "error", "probability", "after")
            )
        )
        return Scenario(
            switch=switch, groups=tuple(self.groups), agents=agents, calls=calls, traffic=traffic,
            faults=faults, filename=self.filename,
        )

    def items(self, value: Any, path: PathT, allowed: tuple[str, ...]) -> Iterable[tuple[PathT, dict]]:
        for i, item in enumerate(self.array_of_tables(value, path)):
            p = path + (i,)
            yield p, self.table(item, p, allowed)

    def build_switch(self, value: Any) -> SwitchSettings:
        p: PathT = ("switch",)
        t = self.table(value, p, ("name", "lines", "start", "seed"))
        d = SwitchSettings()
        start = t.get("start", d.start)
        if isinstance(start, str):
            try:
                start = _dt.datetime.fromisoformat(start)
            except ValueError:
                raise self.fail(p + ("start",), f"not an ISO 8601 date-time: {start!r}") from None
        if not isinstance(start, _dt.datetime):
            raise self.fail(p + ("start",), f"must be a date-time such as \"2026-11-26T09:00:00Z\", not {_describe(start)}")
        if start.tzinfo is None:
            raise self.fail(p + ("start",), f"needs a UTC offset such as Z: {start.isoformat()}")
        return SwitchSettings(
            name=self.string(t, p, "name", d.name),
            lines=self.integer(t, p, "lines", 1, MAX_LINES, d.lines),
            start=start.astimezone(_dt.timezone.utc),
            seed=self.integer(t, p, "seed", -(2**63), 2**63 - 1, d.seed),
        )

    def build_groups(self, value: Any) -> None:
        seen_ids: dict[uuid.UUID, int] = {}
        seen_names: dict[str, int] = {}
        seen_queues: dict[int, int] = {}
        for p, t in self.items(value, ("groups",), ("id", "name", "queue")):
            i = p[-1]
            raw_id = self.string(t, p, "id")
            gid = _parse_guid(raw_id)
            if gid is None:
                raise self.fail(p + ("id",), f"not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx): {raw_id!r}")
            name = self.string(t, p, "name")
            queue = self.integer(t, p, "queue", 0, _U32_MAX, i + 1)
            for key, val, seen in (("id", gid, seen_ids), ("name", name, seen_names), ("queue", queue, seen_queues)):
                if val in seen:
                    raise self.fail(p + (key,), f"duplicate group {key} {val!s} (also groups[{seen[val]}])")
                seen[val] = i
            self.groups.append(Group(id=gid, name=name, queue=queue))

    def build_agents(self, value: Any, switch: SwitchSettings) -> tuple[Agent, ...]:
        agents: list[Agent] = []
        seen: dict[str, int] = {}
        keys = ("id", "pin", "answer_delay", "wrapup", "sessions")
        for p, t in self.items(value, ("agents",), keys):
            agent_id = self.string(t, p, "id")
            if agent_id in seen:
                raise self.fail(p + ("id",), f"duplicate agent id {agent_id!r} (also agents[{seen[agent_id]}])")
            seen[agent_id] = p[-1]
            sessions = tuple(
                self.build_session(sp, st, switch)
                for sp, st in self.items(t.get("sessions", []), p + ("sessions",), ("group", "line", "address", "state", "at"))
            )
            agents.append(
                Agent(
                    id=agent_id,
                    pin=self.string(t, p, "pin", None, nonempty=False),
                    answer_delay=self.number(t, p, "answer_delay", 0.0, default=0.0),
                    wrapup=self.number(t, p, "wrapup", 0.0, default=0.0),
                    sessions=sessions,
                )
            )
        return tuple(agents)

    def build_session(self, p: PathT, t: dict, switch: SwitchSettings) -> SessionSpec:
        state_name = self.string(t, p, "state", "NOTREADY")
        if state_name not in ("NOTREADY", "READY"):
            raise self.fail(p + ("state",), f"must be \"NOTREADY\" or \"READY\", got {state_name!r}")
        return SessionSpec(
            group=self.group_ref(t, p),
            line=self.integer(t, p, "line", 0, switch.lines - 1, 0),
            address=self.integer(t, p, "address", 0, 0, 0),
            state=AgentSessionState[state_name],
            at=self.number(t, p, "at", 0.0, default=0.0),
        )

    def build_fault(self, p: PathT, t: dict) -> Fault:
        function = self.integer(t, p, "function", 0, _U32_MAX)
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


def _describe(value: Any) -> str:
    kind = {
        bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array",
        dict: "a table", _dt.datetime: "a date-time", _dt.date: "a date", _dt.time: "a time",
    }.get(type(value), type(value).__name__)
    return f"{kind} ({value!r})" if not isinstance(value, (list, dict)) else kind
