"""What an attack of the campaign reports (:class:`Row`), the table it prints, and the :class:`Context`
shared by the attacks (options, the server's own options, the scenario file)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import attrs

from fuzz.process import REPO, ServerProcess

__all__ = ["Row", "Context", "format_table", "MIB"]

MIB = 1024 * 1024


@attrs.define
class Row:
    """One line of the table. Every count is a number of events seen, 0 is the good value:

    * ``crashes``: the server process died;
    * ``hangs``: the server neither answered nor closed in time (a connection, a request, or SIGTERM);
    * ``wrong``: an answer the protocol or the limit does not allow (a missing or extra RESPONSE, a wrong
      ERROR code, a long ID accepted, an Open past the total line cap ...);
    * ``healthy``: round trips of the healthy poller that failed, came late or were wrong;
    * ``over``: a bound broken that is seen in the process, not on the wire (memory held above the
      total queue bound, connections living past the read timeout, a newcomer refused).
    """

    attack: str
    tried: int = 0
    unit: str = ""
    crashes: int = 0
    hangs: int = 0
    wrong: int = 0
    healthy: int = 0
    over: int = 0
    peak_rss_kib: int = 0
    rss_after_kib: int = 0
    rss_before_kib: int = 0
    healthy_polls: int = 0
    healthy_p99_ms: float = float("nan")
    seconds: float = 0.0
    notes: list[str] = attrs.field(factory=list)

    @property
    def clean(self) -> bool:
        return not (self.crashes or self.hangs or self.wrong or self.healthy or self.over)

    def note(self, text: str) -> None:
        """A detail (the first 8 are kept; a kind of failure seen again adds nothing)."""
        if len(self.notes) < 8 and text not in self.notes:
            self.notes.append(text)

    def summary(self, text: str) -> None:
        """What the attack saw in all (always kept)."""
        self.notes.append(text)

    def as_dict(self) -> dict[str, Any]:
        out = attrs.asdict(self)
        out["clean"] = self.clean
        if math.isnan(out["healthy_p99_ms"]):
            out["healthy_p99_ms"] = None
        return out


def _mib(kib: int) -> str:
    return f"{kib / 1024:.0f}"


def format_table(rows: list[Row]) -> str:
    """The campaign table (Markdown, so it can be pasted into docs/security.md as it is)."""
    head = ("attack", "tried", "crashes", "hangs", "wrong answers", "healthy-conn failures", "over bound",
            "peak RSS MiB", "RSS after MiB", "healthy p99 ms", "s")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        p99 = "-" if math.isnan(r.healthy_p99_ms) else f"{r.healthy_p99_ms:.0f}"
        cells = (r.attack, f"{r.tried:,} {r.unit}".strip(), r.crashes, r.hangs, r.wrong, r.healthy, r.over,
                 f"{_mib(r.peak_rss_kib)} (from {_mib(r.rss_before_kib)})", _mib(r.rss_after_kib), p99,
                 f"{r.seconds:.0f}")
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    notes = [f"* {r.attack}: " + "; ".join(r.notes) for r in rows if r.notes]
    return "\n".join(lines + ([""] + notes if notes else []))


@attrs.define
class Context:
    """What every attack needs: the parsed options, the long options the server's ``--help`` lists,
    and the fuzz scenario file (two lines, one READY session, no random traffic)."""

    opts: argparse.Namespace
    supported: frozenset[str]
    scenario: Path

    def limit(self, option: str, value: object) -> list[str]:
        """``[option, value]`` if the server has that option, else ``[]`` (the campaign then still checks
        the bound the option would set, and reports it broken)."""
        return [option, str(value)] if option in self.supported else []

    def start(self, *args: str, fuzz_scenario: bool = True, read_stderr: bool = True,
              name: str = "server") -> ServerProcess:
        scenario = ["--scenario", str(self.scenario)] if fuzz_scenario else []
        log_dir = getattr(self.opts, "server_logs", None)
        log_path = Path(log_dir) / f"{name}.stderr" if log_dir else None
        if log_path is not None:
            log_path.parent.mkdir(parents=True, exist_ok=True)
        return ServerProcess([*scenario, *args], read_stderr=read_stderr, log_path=log_path,
                             cwd=Path(getattr(self.opts, "server_dir", None) or REPO))
