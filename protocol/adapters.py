"""The value adapters of the TAPI structures, exact by construction (integer arithmetic with correct
rounding, no float accumulation):

* OLE DATE <-> aware UTC ``datetime``: :func:`datetime_to_ole`, :func:`ole_to_datetime`.
* CURRENCY <-> ``Decimal``: :func:`decimal_to_cy`, :func:`cy_to_decimal`.
* GUID <-> ``uuid.UUID``: [MS-DTYP] 2.3.4.2 layout = ``UUID.bytes_le``.
* :func:`enum_or_int`: the attrs converter of enum-valued fields.

:mod:`protocol.structs` re-exports every name here (the structures' public API is unchanged).
"""

from __future__ import annotations

import datetime as _dt
import enum
import functools
import math
import uuid
from decimal import Decimal
from typing import Any

from protocol.constants import ErrorCode
from protocol.errors import LocalProtocolError, RemoteProtocolError

UTC = _dt.timezone.utc
#: Day 0 of an OLE Automation DATE ([MS-OAUT] 2.2.25), taken as UTC (wire-protocol §4).
OLE_EPOCH = _dt.datetime(1899, 12, 30, tzinfo=UTC)
_US_PER_DAY = 86_400 * 1_000_000
#: |DATE| below this many days round-trips datetimes to the microsecond: one ulp of a double < 2**16 is
#: 2**-37 day = 0.63 us, so the nearest microsecond is always recovered. 1720-07-28 .. 2079-06-06.
OLE_EXACT_DAYS = 2**16
#: CURRENCY scale ([MS-OAUT] 2.2.24): int64 = value x 10,000.
CY_SCALE = 10_000
_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1


def _malformed(message: str) -> RemoteProtocolError:
    return RemoteProtocolError(ErrorCode.MALFORMED, message)


# --- adapters --------------------------------------------------------------------------------------------


def datetime_to_ole(value: _dt.datetime) -> float:
    """Aware ``datetime`` -> OLE DATE (days since 1899-12-30 00:00 UTC, fraction = part of the day).

    The double nearest to the exact microsecond count is returned (``int / int`` is correctly rounded in
    CPython, the same double ``float(Fraction(us, 86_400_000_000))`` gives). Before the epoch the OLE
    convention applies: the integer part counts days back, the fraction is still the time of day
    (1899-12-29 06:00 = -1.25). Raises LocalProtocolError for naive datetimes.

    Plain ``datetime`` values in ``timezone.utc`` are memoised (bounded dict): the server encodes every
    session's constant start time on every poll. (Equal UTC datetimes are the same instant - ``fold``
    means nothing in UTC - so the memo cannot confuse two instants.)
    """
    if type(value) is _dt.datetime and value.tzinfo is UTC:
        ole = _OLE_MEMO.get(value)
        if ole is None:
            ole = _remember(_OLE_MEMO, value, _exact_datetime_to_ole(value))
        return ole
    if not isinstance(value, _dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise LocalProtocolError(f"DATE needs an aware datetime (UTC), got {value!r}")
    return _exact_datetime_to_ole(value)


def _exact_datetime_to_ole(value: _dt.datetime) -> float:
    return ole_from_us((value - OLE_EPOCH) // _ONE_US)


def ole_from_us(us: int) -> float:
    """OLE DATE of the instant ``us`` microseconds after 1899-12-30 00:00 UTC: what
    :func:`datetime_to_ole` gives for ``OLE_EPOCH + timedelta(microseconds=us)``, without the datetime
    (the switch keeps its session start times as microsecond counts)."""
    if us >= 0:
        return us / _US_PER_DAY
    day, rem = divmod(us, _US_PER_DAY)
    return (day * _US_PER_DAY - rem) / _US_PER_DAY


_ONE_US = _dt.timedelta(microseconds=1)
#: Bound of each encode memo: emptied when full (the values a server encodes repeat within a poll cycle).
MEMO_SIZE = 4096
#: datetime_to_ole's memo: plain UTC datetime -> its DATE (only ever filled by datetime_to_ole itself).
_OLE_MEMO: dict[_dt.datetime, float] = {}


def _remember(memo: dict[Any, Any], key: Any, value: Any) -> Any:
    if len(memo) >= MEMO_SIZE:
        memo.clear()
    memo[key] = value
    return value


def _div_round_half_even(num: int, den: int) -> int:
    """``num / den`` (den > 0) rounded to the nearest integer, ties to even (as ``round(Fraction)``)."""
    q, r = divmod(num, den)
    twice = 2 * r
    if twice > den or (twice == den and q & 1):
        q += 1
    return q


@functools.lru_cache(maxsize=4096)
def ole_to_datetime(value: float) -> _dt.datetime:
    """OLE DATE -> aware UTC ``datetime``, rounded to the nearest microsecond (ties to even).

    Exact inverse of :func:`datetime_to_ole` while ``abs(value) < OLE_EXACT_DAYS``; beyond that the
    error is at most half an ulp of the double (about 20 us in year 9999). NaN, infinities and values
    outside datetime's range raise RemoteProtocolError (MALFORMED).

    Memoised (bounded LRU): the result depends on the value alone, and a client polling sessions decodes
    the same start times over and over (0.07 us instead of 0.6 us per hit).
    """
    if not math.isfinite(value):
        raise _malformed(f"DATE value {value!r} is not a finite number")
    num, den = value.as_integer_ratio()  # exact: den is a power of two
    if value >= 0:
        us = _div_round_half_even(num * _US_PER_DAY, den)
    else:
        days = math.trunc(value)  # toward zero: -1.25 -> -1 day ...
        us = days * _US_PER_DAY + _div_round_half_even((days * den - num) * _US_PER_DAY, den)  # ... + 0.25 day
    try:
        return OLE_EPOCH + _dt.timedelta(0, 0, us)  # positional: half the cost of microseconds=us
    except OverflowError:
        raise _malformed(f"DATE value {value!r} is outside the years 1..9999") from None


def decimal_to_cy(value: Decimal | int) -> int:
    """``Decimal`` -> CURRENCY int64 (value x 10,000). Must be exact: quantize to 4 places first.

    Memoised for Decimals (bounded dict of the successful conversions: equal Decimals, 1.5 and 1.50,
    have the same CURRENCY)."""
    if type(value) is Decimal:
        try:
            cy = _CY_MEMO.get(value)
        except TypeError:  # unhashable (a signalling NaN): the checks below word the error
            return _exact_decimal_to_cy(value)
        if cy is None:
            cy = _remember(_CY_MEMO, value, _exact_decimal_to_cy(value))
        return cy
    return _exact_decimal_to_cy(value)


def _exact_decimal_to_cy(value: Decimal | int) -> int:
    if type(value) is not Decimal:
        if not isinstance(value, (Decimal, int)):
            raise LocalProtocolError(f"CURRENCY needs a finite Decimal or int, got {value!r}")
        value = Decimal(value)
    if not value.is_finite():
        raise LocalProtocolError(f"CURRENCY needs a finite Decimal or int, got {value!r}")
    # Exact integer arithmetic on the digits, independent of the decimal context (so a memoised result
    # holds in any context), with the magnitude bounded before any number is formed.
    sign, digits, exponent = value.as_tuple()
    if not any(digits):
        return 0
    if value.adjusted() > 18:
        raise LocalProtocolError(f"CURRENCY {value!r} is outside the int64 range")
    n = len(digits)
    while digits[n - 1] == 0:  # trailing zeros of the coefficient move into the exponent (exactly)
        n -= 1
    exponent += len(digits) - n  # type: ignore[operator]
    # The coefficient now ends in a nonzero digit, so value x 10^4 is whole only if exponent + 4 >= 0;
    # then the adjusted() bound leaves it at most 23 digits.
    if exponent + 4 < 0:
        raise LocalProtocolError(f"CURRENCY {value!r} has more than 4 decimal places; quantize it first")
    cy = int("".join(map(str, digits[:n]))) * 10 ** (exponent + 4)
    if sign:
        cy = -cy
    if not _I64_MIN <= cy <= _I64_MAX:
        raise LocalProtocolError(f"CURRENCY {value!r} is outside the int64 range")
    return cy


#: decimal_to_cy's memo: Decimal -> its CURRENCY (only ever filled by decimal_to_cy itself).
_CY_MEMO: dict[Decimal, int] = {}

#: What a generated packer (:func:`protocol.fastpath.packer`) may read instead of calling the adapter:
#: ``(type, memo)`` - for a value of exactly ``type``, ``memo.get(value)``, when not None, is what the
#: adapter returns for it (equal keys are the same instant / the same amount, so the same result).
datetime_to_ole.memo = (_dt.datetime, _OLE_MEMO)  # type: ignore[attr-defined]
decimal_to_cy.memo = (Decimal, _CY_MEMO)  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=4096)
def cy_to_decimal(value: int) -> Decimal:
    """CURRENCY int64 -> ``Decimal`` with exactly 4 decimal places (52500 -> Decimal('5.2500')).

    Memoised (bounded LRU; Decimals are immutable): call rates repeat from poll to poll."""
    return Decimal(value).scaleb(-4)


def guid_to_bytes(value: uuid.UUID) -> bytes:
    """GUID in [MS-DTYP] 2.3.4.2 layout (Data1 u32 LE, Data2/Data3 u16 LE, Data4 8 bytes)."""
    if not isinstance(value, uuid.UUID):
        raise LocalProtocolError(f"GUID must be a uuid.UUID, got {value!r}")
    return value.bytes_le


def bytes_to_guid(data: bytes) -> uuid.UUID:
    """Inverse of :func:`guid_to_bytes`; ``data`` must be exactly 16 bytes."""
    if len(data) != 16:
        raise _malformed(f"GUID must be 16 bytes, got {len(data)}")
    return uuid.UUID(bytes_le=bytes(data))


def enum_or_int(enum_cls: type) -> Any:
    """attrs converter (shared with messages.py): the enum member when the value is known, else the plain int (never fails).

    Same result as ``enum_cls(value)`` with ValueError -> ``value``, but a known value costs one dict
    lookup and an unknown plain int no exception (the converter runs for every decoded field).
    """
    members = enum_cls._value2member_map_  # type: ignore[attr-defined]
    plain = not issubclass(enum_cls, enum.Flag) and getattr(enum_cls._missing_, "__func__", None) is getattr(  # type: ignore[attr-defined]
        enum.Enum._missing_, "__func__", None
    )

    def convert(value: int) -> int:
        try:
            return members[value]
        except (KeyError, TypeError):
            pass
        if plain and type(value) is int:  # Enum.__new__ would end in _missing_ -> ValueError
            return value
        try:
            return enum_cls(value)
        except ValueError:
            return value

    return convert


__all__ = [
    "CY_SCALE", "OLE_EPOCH", "OLE_EXACT_DAYS", "UTC", "bytes_to_guid", "cy_to_decimal", "datetime_to_ole",
    "decimal_to_cy", "enum_or_int", "guid_to_bytes", "ole_from_us", "ole_to_datetime",
]
