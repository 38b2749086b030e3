"""Checking scenario TOML: line numbers of keys and the typed value checks every section uses.

``tomllib`` reports no line numbers for values, so :class:`LineIndex` scans the text itself and
remembers the line of every table header (``[switch]``, the n-th ``[[agents]]``, the m-th
``[[agents.sessions]]`` inside it), of every ``key =`` line in it and of every inline table that is an
element of an array value (``profile = [ { at = 0, rate = 30 }, ... ]`` written one element per line
gives each element its own line). Keys inside an inline table fall back to the line of that table,
which is good enough to find the mistake.

:class:`Checker` holds the file name and the index and turns each wrong value into a
:class:`~tsp.scenario_types.ScenarioError` naming file, key path (``agents[1].sessions[0].group``) and
line.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import uuid
from typing import Any, Iterable

from tsp.scenario_types import Group, PathT, ScenarioError, parse_guid

__all__ = ["MISSING", "Checker", "LineIndex", "describe", "format_path"]

_HEADER_RE = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*(\]\]?)\s*(#.*)?$")
_KEY_RE = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")
_TRIPLE_QUOTES = ('"' * 3, "'" * 3)


def _split_dotted(key: str) -> tuple[str, ...]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", key)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


class _ArrayScan:
    """Follows an array value over its lines and records the line of each inline-table element
    (``path + (i,)``). Strings and comments are skipped; elements of nested arrays are not indexed."""

    def __init__(self, path: PathT) -> None:
        self.path = path
        self.depth = 0  # [ ] nesting
        self.braces = 0  # { } nesting
        self.elements = 0

    def feed(self, text: str, lineno: int, lines: dict[PathT, int]) -> bool:
        """Scan one line's text; True when the array has closed on it."""
        i, n = 0, len(text)
        while i < n:
            ch = text[i]
            if ch == "#":
                break
            if ch in "\"'":
                end = i + 1
                while end < n and text[end] != ch:
                    end += 2 if ch == '"' and text[end] == "\\" else 1
                i = end + 1
                continue
            if ch == "[":
                self.depth += 1
            elif ch == "]":
                self.depth -= 1
                if self.depth <= 0:
                    return True
            elif ch == "{":
                if self.depth == 1 and self.braces == 0:
                    lines.setdefault(self.path + (self.elements,), lineno)
                    self.elements += 1
                self.braces += 1
            elif ch == "}":
                self.braces -= 1
            i += 1
        return False


class LineIndex:
    """Line number of each table and key, addressed by a resolved path like ("agents", 2, "pin")."""

    def __init__(self, text: str) -> None:
        self._lines: dict[PathT, int] = {}
        counts: dict[PathT, int] = {}
        current: PathT = ()
        in_multiline: str | None = None
        array: _ArrayScan | None = None  # an array value still open from an earlier line
        for lineno, line in enumerate(text.splitlines(), start=1):
            if in_multiline is not None:
                if line.count(in_multiline) % 2 == 1:
                    in_multiline = None
                continue
            if array is not None:
                if array.feed(line, lineno, self._lines):
                    array = None
                continue
            header = _HEADER_RE.match(line)
            if header and len(header.group(1)) == len(header.group(3)):
                parts = _split_dotted(header.group(2))
                if header.group(1) == "[[":
                    table_array = self._resolve(parts[:-1], counts) + (parts[-1],)
                    index = counts.get(table_array, 0)
                    counts[table_array] = index + 1
                    current = table_array + (index,)
                    self._lines.setdefault(table_array, lineno)
                else:
                    current = self._resolve(parts, counts)
                self._lines.setdefault(current, lineno)
                continue
            key = _KEY_RE.match(line)
            if key:
                path = current + _split_dotted(key.group(1))
                self._lines.setdefault(path, lineno)
                rest = line[key.end():]
                for quote in _TRIPLE_QUOTES:
                    if rest.count(quote) % 2 == 1:
                        in_multiline = quote
                        break
                else:
                    if rest.lstrip().startswith("["):
                        scan = _ArrayScan(path)
                        if not scan.feed(rest, lineno, self._lines):
                            array = scan

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


def format_path(path: PathT) -> str:
    """``("agents", 1, "sessions", 0, "group")`` -> ``agents[1].sessions[0].group``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


#: Marks an absent key (``default=MISSING``: the key is required).
MISSING = object()


class Checker:
    """Typed access to the parsed TOML: each method returns a checked value or raises the
    ScenarioError (file, key path, line) for it. ``groups`` are the groups built so far (for
    :meth:`group_ref`)."""

    def __init__(self, filename: str, index: LineIndex) -> None:
        self.filename = filename
        self.index = index
        self.groups: list[Group] = []

    # -- error helpers -----------------------------------------------------------------------------
    def fail(self, path: PathT, reason: str) -> ScenarioError:
        return ScenarioError(self.filename, format_path(path), self.index.line_of(path), reason)

    def table(self, value: Any, path: PathT, allowed: Iterable[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"must be a table, not {describe(value)}")
        allowed = tuple(allowed)
        for key in value:
            if key not in allowed:
                raise self.fail(path + (key,), f"unknown key {key!r} (allowed here: {', '.join(allowed)})")
        return value

    def array_of_tables(self, value: Any, path: PathT) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(path, f"must be an array of tables ([[{format_path(path)}]]), not {describe(value)}")
        return value

    def items(self, value: Any, path: PathT, allowed: tuple[str, ...]) -> Iterable[tuple[PathT, dict]]:
        """The tables of an array of tables (or of inline tables), each checked against ``allowed``."""
        for i, item in enumerate(self.array_of_tables(value, path)):
            p = path + (i,)
            yield p, self.table(item, p, allowed)

    def string(self, t: dict, path: PathT, key: str, default: Any = MISSING, nonempty: bool = True) -> Any:
        value = t.get(key, MISSING)
        if value is MISSING:
            if default is MISSING:
                raise self.fail(path, f"missing required key {key!r}")
            return default
        if not isinstance(value, str):
            raise self.fail(path + (key,), f"must be a string, not {describe(value)}")
        if nonempty and not value:
            raise self.fail(path + (key,), "must not be empty")
        return value

    def choice(self, t: dict, path: PathT, key: str, choices: tuple[str, ...], default: Any = MISSING) -> Any:
        """A string that must be one of ``choices``."""
        value = self.string(t, path, key, default)
        if key in t and value not in choices:
            raise self.fail(path + (key,), f"must be one of {', '.join(repr(c) for c in choices)}; got {value!r}")
        return value

    def pattern(self, t: dict, path: PathT, key: str, regex: re.Pattern[str], what: str, max_len: int) -> str | None:
        """An optional string matching ``regex`` (``what`` says in words what it must be), at most
        ``max_len`` characters; None when absent."""
        value = self.string(t, path, key, None)
        if value is None:
            return None
        if len(value) > max_len:
            raise self.fail(path + (key,), f"must be at most {max_len} characters, got {len(value)}")
        if not regex.fullmatch(value):
            raise self.fail(path + (key,), f"must be {what}, got {value!r}")
        return value

    def integer(self, t: dict, path: PathT, key: str, lo: int, hi: int | None, default: Any = MISSING) -> Any:
        value = t.get(key, MISSING)
        if value is MISSING:
            if default is MISSING:
                raise self.fail(path, f"missing required key {key!r}")
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path + (key,), f"must be an integer, not {describe(value)}")
        if value < lo or (hi is not None and value > hi):
            bound = f">= {lo}" if hi is None else f"in {lo}..{hi}"
            raise self.fail(path + (key,), f"must be {bound}, got {value}")
        return value

    def number(
        self, t: dict, path: PathT, key: str, lo: float, hi: float | None = None,
        default: Any = MISSING, lo_open: bool = False,
    ) -> Any:
        value = t.get(key, MISSING)
        if value is MISSING:
            if default is MISSING:
                raise self.fail(path, f"missing required key {key!r}")
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(path + (key,), f"must be a number, not {describe(value)}")
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
        gid = parse_guid(ref)
        for g in self.groups:
            if (gid is not None and g.id == gid) or g.name == ref:
                return g.id
        known = ", ".join(g.name for g in self.groups) or "none defined"
        raise self.fail(path + (key,), f"unknown group {ref!r} (groups: {known})")


def describe(value: Any) -> str:
    """A value's TOML type in words, with the value when short: ``an integer (5)``."""
    kind = {
        bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array",
        dict: "a table", _dt.datetime: "a date-time", _dt.date: "a date", _dt.time: "a time",
    }.get(type(value), type(value).__name__)
    return f"{kind} ({value!r})" if not isinstance(value, (list, dict)) else kind
