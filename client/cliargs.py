"""Argument types and the one-line-error parser shared by the ``tapi`` command and the wallboard.

Each type raises ``argparse.ArgumentTypeError`` naming the value, so a bad option ends with exit status 2
and one line on stderr (``tapi sessions: argument --line: must be >= 0, got '-1'``).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``tapi sessions: argument --line: must be >= 0, got '-1'`` (exit 2)."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def int_at_least(low: int, high: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f">= {low}"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {text!r}")
        return value

    return parse


def seconds(*, zero_ok: bool) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
        if not math.isfinite(value) or value < 0 or (value == 0 and not zero_ok) or value > MAX_SECONDS:
            raise argparse.ArgumentTypeError(f"must be {'>= 0' if zero_ok else '> 0'} seconds (and finite), got {text!r}")
        return value

    return parse


#: Largest number of seconds an option takes (EmuAdvanceClock carries seconds as a u32).
MAX_SECONDS = float(0xFFFFFFFF)

#: ``--port``: a TCP port a server can listen on.
port = int_at_least(1, 65535)
