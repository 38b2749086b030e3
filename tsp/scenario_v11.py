"""The scenario keys of version 1.1 (wire-protocol §7, §8.2, §9): parsing and cross-checks.

:mod:`tsp.scenario` calls these while it walks a file; each takes the :class:`~tsp.scenario_check.Checker`
(file name, line index, the groups so far) and raises its ScenarioErrors (file, key path, line).

Choices where the contract is silent (documented in docs/scenarios.md):

* numbers (``ani``, ``dnis``, ``extension``): at most 32 characters; ``ani`` is ``+`` then digits
  (a ``[[traffic]] ani`` may hold ``#``, each a random digit), ``dnis`` and ``extension`` are dialable
  (digits, ``*``, ``#``, an optional leading ``+``); ``uui`` is any text of at most 1024 characters;
* ``overflow_after`` and ``overflow_to`` come together; ``overflow_after = 0`` moves a call at once;
* a session's ``changes`` start no earlier than the session itself and nothing follows ``ENDED``;
* an ``activity`` of a change is an ``[[activities]]`` name or id;
* ``talk_sd`` only with ``lognormal``/``gamma`` (required there), ``patience_dist`` only with
  ``patience_mean``, ``repeat`` only with ``profile``.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from protocol.constants import AgentSessionState
from tsp.scenario_check import Checker
from tsp.scenario_types import U32_MAX, Activity, Group, PathT, SessionChange, SwitchSettings, Traffic, parse_guid
from tsp.traffic import PATIENCE_DISTS, TALK_DISTS

__all__ = [
    "AGENT_KEYS", "ANSWER_MODES", "CALL_KEYS", "CHANGE_STATES", "GROUP_KEYS", "MAX_NUMBER", "MAX_UUI", "SESSION_KEYS",
    "SWITCH_KEYS", "TRAFFIC_KEYS", "activities", "agent_answer", "agent_home", "call_extras", "group_extras",
    "link_overflow", "session_changes", "switch_extras", "traffic",
]

SWITCH_KEYS = ("ring_timeout", "measurement_period", "outbound_answer")
GROUP_KEYS = ("overflow_after", "overflow_to", "extension")
AGENT_KEYS = ("answer", "home")
SESSION_KEYS = ("changes",)
CALL_KEYS = ("patience", "ani", "dnis", "uui")
TRAFFIC_KEYS = (
    "group", "rate", "profile", "repeat", "talk_mean", "talk_dist", "talk_sd", "patience_mean", "patience_dist",
    "ani", "dnis", "uui",
)
#: ``[[agents]] answer`` (wire-protocol §9.3).
ANSWER_MODES = ("auto", "app", "never")
#: The states a scheduled change may request (as SetAgentSessionState may).
CHANGE_STATES = ("NOTREADY", "READY", "ENDED")
#: Longest ani / dnis / extension, and longest uui, in characters.
MAX_NUMBER = 32
MAX_UUI = 1024

_ANI = re.compile(r"\+?[0-9]+")
_ANI_TEMPLATE = re.compile(r"\+?[0-9#]+")
_DIALABLE = re.compile(r"\+?[0-9*#]+")
_ANI_WHAT = "'+' and digits, such as \"+4930123456\""
_ANI_TEMPLATE_WHAT = "'+', digits and '#' (each '#' a random digit), such as \"+4930######\""
_DIALABLE_WHAT = "a dialable number: digits, '*', '#' and an optional leading '+'"


# ---- [switch] ------------------------------------------------------------------------------------
def switch_extras(c: Checker, t: dict, p: PathT) -> dict[str, float]:
    """``ring_timeout``, ``measurement_period`` (0 = none) and ``outbound_answer``, as SwitchSettings
    keyword arguments."""
    d = SwitchSettings()
    return {
        "ring_timeout": c.number(t, p, "ring_timeout", 0.0, default=d.ring_timeout),
        "measurement_period": c.number(t, p, "measurement_period", 0.0, default=d.measurement_period),
        "outbound_answer": c.number(t, p, "outbound_answer", 0.0, default=d.outbound_answer),
    }


# ---- [[groups]] ----------------------------------------------------------------------------------
def group_extras(c: Checker, t: dict, p: PathT, extensions: dict[str, int]) -> dict[str, Any]:
    """``overflow_after``, ``extension`` (unique across groups; ``extensions`` maps the ones seen to
    their group index) as Group keyword arguments. ``overflow_to`` is resolved by :func:`link_overflow`
    once every group is known."""
    after = c.number(t, p, "overflow_after", 0.0, default=None)
    target = c.string(t, p, "overflow_to", None)
    if (after is None) != (target is None):
        have, need = ("overflow_after", "overflow_to") if target is None else ("overflow_to", "overflow_after")
        raise c.fail(p + (have,), f"needs {need} too (a call overflows after overflow_after seconds to group overflow_to)")
    ext = c.pattern(t, p, "extension", _DIALABLE, _DIALABLE_WHAT, MAX_NUMBER)
    if ext is not None:
        if ext in extensions:
            raise c.fail(p + ("extension",), f"duplicate group extension {ext!r} (also groups[{extensions[ext]}])")
        extensions[ext] = int(p[-1])
    return {"overflow_after": after, "extension": ext}


def link_overflow(c: Checker, groups: list[Group], raw: list[dict]) -> list[Group]:
    """The groups with ``overflow_to`` resolved (a name or GUID of another group); unknown targets,
    a group overflowing to itself and cycles of overflow rules are errors."""
    out: list[Group] = []
    for i, (g, t) in enumerate(zip(groups, raw)):
        ref = t.get("overflow_to")
        if ref is None:
            out.append(g)
            continue
        p: PathT = ("groups", i)
        gid = parse_guid(ref)
        target = next((x for x in groups if (gid is not None and x.id == gid) or x.name == ref), None)
        if target is None:
            known = ", ".join(x.name for x in groups)
            raise c.fail(p + ("overflow_to",), f"unknown group {ref!r} (groups: {known})")
        if target.id == g.id:
            raise c.fail(p + ("overflow_to",), f"group {g.name!r} cannot overflow to itself")
        out.append(Group(g.id, g.name, g.queue, g.overflow_after, target.id, g.extension))
    by_id = {g.id: (i, g) for i, g in enumerate(out)}
    for i, g in enumerate(out):
        chain = [g.id]
        nxt = g.overflow_to
        while nxt is not None:
            if nxt == g.id:
                names = " -> ".join(by_id[x][1].name for x in chain + [g.id])
                raise c.fail(("groups", i, "overflow_to"), f"overflow rules form a cycle: {names}")
            if nxt in chain:
                break  # a cycle that does not pass through g: reported at one of its own groups
            chain.append(nxt)
            nxt = by_id[nxt][1].overflow_to
    return out


# ---- [[activities]] ------------------------------------------------------------------------------
def activities(c: Checker, value: Any) -> tuple[Activity, ...]:
    """``[[activities]] { id, name }``, ids (0..2^32-1) and names unique."""
    out: list[Activity] = []
    ids: dict[int, int] = {}
    names: dict[str, int] = {}
    for p, t in c.items(value, ("activities",), ("id", "name")):
        i = int(p[-1])
        aid = c.integer(t, p, "id", 0, U32_MAX)
        name = c.string(t, p, "name")
        for key, val, seen in (("id", aid, ids), ("name", name, names)):
            if val in seen:
                raise c.fail(p + (key,), f"duplicate activity {key} {val!r} (also activities[{seen[val]}])")
            seen[val] = i  # type: ignore[index]
        out.append(Activity(aid, name))
    return tuple(out)


# ---- [[agents]] ----------------------------------------------------------------------------------
def agent_answer(c: Checker, t: dict, p: PathT) -> str:
    return c.choice(t, p, "answer", ANSWER_MODES, "auto")


def agent_home(c: Checker, t: dict, p: PathT, lines: int, homes: dict[tuple[int, int], int]) -> tuple[int, int] | None:
    """``home = { line, address }``: a station of this switch that no other agent calls home
    (``homes`` maps the ones seen to their agent index)."""
    if "home" not in t:
        return None
    hp = p + ("home",)
    h = c.table(t["home"], hp, ("line", "address"))
    home = (c.integer(h, hp, "line", 0, lines - 1), c.integer(h, hp, "address", 0, 0, 0))
    if home in homes:
        raise c.fail(hp, f"line {home[0]} address {home[1]} is already the home of agents[{homes[home]}]")
    homes[home] = int(p[-1])
    return home


def session_changes(
    c: Checker, t: dict, p: PathT, session_at: float, acts: tuple[Activity, ...]
) -> tuple[SessionChange, ...]:
    """``changes = [ { at, state, activity }, ... ]`` of one ``[[agents.sessions]]``: instants from the
    session's own ``at`` on, non-decreasing, nothing after ENDED; ``activity`` an [[activities]] name
    or id, stored as the id."""
    if "changes" not in t:
        return ()
    cp = p + ("changes",)
    out: list[SessionChange] = []
    last = session_at
    for ep, e in c.items(t["changes"], cp, ("at", "state", "activity")):
        if out and out[-1].state is AgentSessionState.ENDED:
            raise c.fail(ep, f"the session has ENDED at {out[-1].at:g} s (changes[{len(out) - 1}]); nothing can follow")
        at = c.number(e, ep, "at", 0.0)
        if at < last:
            what = "the session's own at" if not out else f"the previous change's at ({last:g})"
            raise c.fail(ep + ("at",), f"must not be before {what}: got {at:g}" + (f" < {last:g}" if not out else ""))
        last = at
        state = AgentSessionState[c.choice(e, ep, "state", CHANGE_STATES)]
        activity: int | None = None
        if "activity" in e:
            ref = e["activity"]
            found = next(
                (a for a in acts if (isinstance(ref, str) and a.name == ref)
                 or (isinstance(ref, int) and not isinstance(ref, bool) and a.id == ref)),
                None,
            )
            if found is None:
                known = ", ".join(a.name for a in acts) or "none defined"
                raise c.fail(ep + ("activity",), f"unknown activity {ref!r} (activities: {known})")
            activity = found.id
        out.append(SessionChange(at, state, activity))
    return tuple(out)


# ---- [[calls]] and [[traffic]] ------------------------------------------------------------------
def call_extras(c: Checker, t: dict, p: PathT) -> dict[str, Any]:
    """``patience`` (>= 0), ``ani``, ``dnis``, ``uui`` of a scripted call, as ScriptedCall keyword arguments."""
    return {
        "patience": c.number(t, p, "patience", 0.0, default=None),
        "ani": c.pattern(t, p, "ani", _ANI, _ANI_WHAT, MAX_NUMBER),
        "dnis": c.pattern(t, p, "dnis", _DIALABLE, _DIALABLE_WHAT, MAX_NUMBER),
        "uui": _uui(c, t, p),
    }


def _uui(c: Checker, t: dict, p: PathT) -> str | None:
    value = c.string(t, p, "uui", None, nonempty=False)
    if value is not None and len(value) > MAX_UUI:
        raise c.fail(p + ("uui",), f"must be at most {MAX_UUI} characters, got {len(value)}")
    return value


def traffic(c: Checker, p: PathT, t: dict, group: uuid.UUID) -> Traffic:
    """One ``[[traffic]]`` stream: exactly one of ``rate`` / ``profile``, the talk and patience
    distributions with their parameters, number templates."""
    if ("rate" in t) == ("profile" in t):
        if "rate" in t:
            raise c.fail(p + ("profile",), "give either rate or profile, not both")
        raise c.fail(p, "missing required key 'rate' (or 'profile')")
    rate = 0.0
    profile: tuple[tuple[float, float], ...] = ()
    repeat: float | None = None
    if "rate" in t:
        rate = c.number(t, p, "rate", 0.0)
        if "repeat" in t:
            raise c.fail(p + ("repeat",), "only applies with a profile")
    else:
        profile = _profile(c, t, p)
        repeat = c.number(t, p, "repeat", 0.0, default=None)
        if repeat is not None and repeat <= profile[-1][0]:
            raise c.fail(p + ("repeat",), f"must be greater than the last profile at ({profile[-1][0]:g}), got {repeat:g}")
    talk_dist = c.choice(t, p, "talk_dist", TALK_DISTS, "exponential")
    if talk_dist in ("lognormal", "gamma"):
        if "talk_sd" not in t:
            raise c.fail(p, f"missing required key 'talk_sd' (talk_dist = {talk_dist!r} needs the standard deviation)")
        talk_sd = c.number(t, p, "talk_sd", 0.0, lo_open=True)
    else:
        if "talk_sd" in t:
            raise c.fail(p + ("talk_sd",), f"only applies to talk_dist \"lognormal\" or \"gamma\" (this one is {talk_dist!r})")
        talk_sd = 0.0
    patience_mean = c.number(t, p, "patience_mean", 0.0, default=None, lo_open=True)
    patience_dist = c.choice(t, p, "patience_dist", PATIENCE_DISTS, "exponential")
    if "patience_dist" in t and patience_mean is None:
        raise c.fail(p + ("patience_dist",), "needs patience_mean (without it callers never hang up)")
    return Traffic(
        group=group,
        rate=rate,
        talk_mean=c.number(t, p, "talk_mean", 0.0, lo_open=True),
        profile=profile,
        repeat=repeat,
        talk_dist=talk_dist,
        talk_sd=talk_sd,
        patience_mean=patience_mean,
        patience_dist=patience_dist,
        ani=c.pattern(t, p, "ani", _ANI_TEMPLATE, _ANI_TEMPLATE_WHAT, MAX_NUMBER),
        dnis=c.pattern(t, p, "dnis", _DIALABLE, _DIALABLE_WHAT, MAX_NUMBER),
        uui=_uui(c, t, p),
    )


def _profile(c: Checker, t: dict, p: PathT) -> tuple[tuple[float, float], ...]:
    pp = p + ("profile",)
    if not isinstance(t["profile"], list) or not t["profile"]:
        raise c.fail(pp, "must be a non-empty array of tables such as [ { at = 0, rate = 30 }, { at = 3600, rate = 90 } ]")
    out: list[tuple[float, float]] = []
    for ep, e in c.items(t["profile"], pp, ("at", "rate")):
        at = c.number(e, ep, "at", 0.0)
        if not out and at != 0:
            raise c.fail(ep + ("at",), f"the first at must be 0 (the rate from the start), got {at:g}")
        if out and at <= out[-1][0]:
            raise c.fail(ep + ("at",), f"must be greater than the previous at ({out[-1][0]:g}), got {at:g}")
        out.append((at, c.number(e, ep, "rate", 0.0)))
    return tuple(out)
