"""Argument checks of the public client API: a bad argument is ``TapiError(E_INVALIDARG)`` naming it.

Every check runs before anything is sent, so a refused call leaves the connection as it was. The messages
say which argument was wrong and with which value (long values are shortened), e.g.
``agent_id must not contain a NUL character, got 'a\\x00b'``.
"""

from __future__ import annotations

import math
from typing import Any

from client.errors import invalid_argument

#: Strings longer than this (in characters) are refused before encoding: a TAPI string of more than
#: 64 Ki UTF-16 code units cannot fit a request's variable part anyway.
MAX_TEXT_CHARS = 0x7FFF

#: Longest deadline accepted, in seconds (a year): larger values are almost certainly a unit mistake, and
#: trio refuses deadlines that do not fit a float comfortably.
MAX_TIMEOUT = 365 * 24 * 3600.0


def show(value: Any, limit: int = 60) -> str:
    """``repr(value)`` shortened to about ``limit`` characters (a 1 MB string does not fill a log)."""
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a hostile __repr__ must not replace the argument error
        text = f"<{type(value).__name__} object>"
    if len(text) > limit:
        text = f"{text[: limit - 12]}...({len(text)} chars)"
    return text


def u32(value: Any, what: str, *, nonzero: bool = False) -> int:
    """An unsigned 32-bit integer (an IntEnum is fine, a bool, float or str is not)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_argument(f"{what} must be an int, got {show(value)}")
    low = 1 if nonzero else 0
    if not low <= value <= 0xFFFFFFFF:
        raise invalid_argument(f"{what} must be between {low} and 4294967295, got {show(value)}")
    return int(value)


def text(value: Any, what: str, *, optional: bool = False) -> str | None:
    """A TAPI string: a str without NUL characters, at most :data:`MAX_TEXT_CHARS` long (None if optional)."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        kind = "a str or None" if optional else "a str"
        raise invalid_argument(f"{what} must be {kind}, got {show(value)}")
    if "\x00" in value:
        raise invalid_argument(f"{what} must not contain a NUL character, got {show(value)}")
    if len(value) > MAX_TEXT_CHARS:
        raise invalid_argument(f"{what} is {len(value)} characters long, more than {MAX_TEXT_CHARS}")
    try:
        value.encode("utf-16-le")
    except UnicodeEncodeError:
        raise invalid_argument(f"{what} is not encodable as UTF-16 (a lone surrogate?), got {show(value)}") from None
    return value


def timeout(value: Any, what: str = "timeout", *, optional: bool = True) -> float | None:
    """A deadline in seconds: a positive, finite int or float (None = no deadline, where allowed)."""
    if value is None and optional:
        return None
    if type(value) is float and 0.0 < value <= MAX_TIMEOUT:  # the usual case (NaN fails the comparison)
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid_argument(f"{what} must be a number of seconds{' or None' if optional else ''}, got {show(value)}")
    seconds = float(value)
    if math.isnan(seconds) or not 0 < seconds <= MAX_TIMEOUT:
        raise invalid_argument(f"{what} must be > 0 and <= {MAX_TIMEOUT:g} seconds, got {show(value)}")
    return seconds


def duration(value: Any, what: str) -> float:
    """A duration that may be 0 (e.g. how long to advance the clock): finite, >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid_argument(f"{what} must be a number of seconds, got {show(value)}")
    seconds = float(value)
    if math.isnan(seconds) or not 0 <= seconds <= MAX_TIMEOUT:
        raise invalid_argument(f"{what} must be >= 0 and <= {MAX_TIMEOUT:g} seconds, got {show(value)}")
    return seconds


def port(value: Any) -> int:
    """A TCP port, 1..65535."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise invalid_argument(f"port must be an int between 1 and 65535, got {show(value)}")
    return int(value)


def host(value: Any) -> str:
    """A host name or address: a non-empty str without NULs."""
    if not isinstance(value, str) or not value or "\x00" in value or len(value) > 1024:
        raise invalid_argument(f"host must be a non-empty host name or address, got {show(value)}")
    return value


def handle(value: Any, what: str) -> int:
    """A TAPI handle (hAgent, hAgentSession ...): a nonzero u32, or a client object with a ``handle``."""
    number = getattr(value, "handle", value)
    if isinstance(number, bool) or not isinstance(number, int) or not 0 < number <= 0xFFFFFFFF:
        raise invalid_argument(f"{what} must be a nonzero u32 handle or a client object with one, got {show(value)}")
    return int(number)


def buffer_size(value: Any, what: str) -> int:
    """A client buffer size (``dwTotalSize``); ``what`` names the request.

    Only the u32 range is checked: a size below the structure's fixed size (or above 0x40000) is sent as
    given, so the caller gets the switch's own LINEERR_STRUCTURETOOSMALL / INVALPARAM, as in TAPI."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
        raise invalid_argument(f"{what}: buffer_size must be a u32, got {show(value)}")
    return int(value)
