"""The values of a validated scenario (wire-protocol §5, §7, §9): frozen attrs classes and ScenarioError.

:mod:`tsp.scenario` builds them from TOML (and re-exports everything here); the switch model reads them.
"""

from __future__ import annotations

import datetime as _dt
import re
import uuid

import attrs

from protocol.constants import AgentSessionState, LineErr

__all__ = [
    "DEFAULT_START",
    "FAULT_MODES",
    "MAX_LINES",
    "U32_MAX",
    "Activity",
    "Agent",
    "Fault",
    "Group",
    "PathT",
    "Scenario",
    "ScenarioError",
    "ScriptedCall",
    "SessionChange",
    "SessionSpec",
    "SwitchSettings",
    "Traffic",
    "parse_guid",
]

#: The fault modes of wire-protocol §5.
FAULT_MODES = ("drop", "delay", "error", "disconnect")
#: Clock start when ``[switch] start`` is absent.
DEFAULT_START = _dt.datetime(2026, 1, 1, 9, 0, 0, tzinfo=_dt.timezone.utc)
#: Upper bound for ``[switch] lines`` (a sanity limit, not a protocol one).
MAX_LINES = 100_000
U32_MAX = 0xFFFFFFFF
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
    """``[[traffic]]``: Poisson arrivals of ``rate`` calls per hour (or of a rate ``profile``), talk times
    of mean ``talk_mean`` (exponential unless ``talk_dist`` says otherwise); tsp/traffic.py draws them."""

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
            gid = parse_guid(ref)
        for g in self.groups:
            if g.id == gid or (gid is None and g.name == ref):
                return g
        return None



def parse_guid(text: str) -> uuid.UUID | None:
    """The UUID of a GUID string (with or without braces); None if ``text`` is not one."""
    if not isinstance(text, str) or not _GUID_RE.match(text.strip()):
        return None
    return uuid.UUID(text.strip().strip("{}"))
