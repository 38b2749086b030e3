"""TAPI structures carried in LINE_REPLY records, and the value adapters they need.

Layouts are tapi-facts §2 (packed, little-endian). Python fields are snake_case versions of the C field
names without the Hungarian prefix. Conventions:

* ``encode_struct(obj)`` emits exactly ``dwUsedSize`` bytes (fixed part + variable part actually
  present); ``dwTotalSize`` is a field the caller sets to the *client's* buffer size. That byte string
  is what goes into LINE_REPLY VarData (Param4 = its length).
* ``decode_struct(cls, data)`` accepts any ``data`` at least the fixed size long and checks every internal
  offset before reading; any inconsistency raises :class:`RemoteProtocolError` (MALFORMED).
* Lists follow the size rule (wire-protocol §2): see :meth:`AgentSessionList.build`.

Adapters, exact by construction (integer arithmetic with correct rounding, no float accumulation):

* OLE DATE <-> aware UTC ``datetime``: :func:`datetime_to_ole`, :func:`ole_to_datetime`.
* CURRENCY <-> ``Decimal``: :func:`decimal_to_cy`, :func:`cy_to_decimal`.
* GUID <-> ``uuid.UUID``: [MS-DTYP] 2.3.4.2 layout = ``UUID.bytes_le``.

Two interchangeable paths produce the bytes (see :mod:`protocol.fastpath`): the ``struct`` fast path,
derived at import from the construct schemas, used by ``to_bytes``/``from_bytes``/``encode_struct``/
``decode_struct``; and the construct path itself, :func:`construct_encode_struct` /
:func:`construct_decode_struct`, kept as the reference the property tests compare the fast path with.
"""

from __future__ import annotations

import datetime as _dt
import enum
import functools
import math
import struct
import uuid
from decimal import Decimal
from typing import Any, Callable, ClassVar

import attrs
import construct as c

from protocol import fastpath as fp
from protocol import schemas as s
from protocol.constants import AgentSessionState, AgentStateEx, ErrorCode
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

    Plain ``datetime`` values in ``timezone.utc`` are memoised (bounded LRU): the server encodes every
    session's constant start time on every poll. (Equal UTC datetimes are the same instant - ``fold``
    means nothing in UTC - so the memo cannot confuse two instants.)
    """
    if type(value) is _dt.datetime and value.tzinfo is UTC:
        return _utc_datetime_to_ole(value)
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
_utc_datetime_to_ole = functools.lru_cache(maxsize=4096)(_exact_datetime_to_ole)


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

    Memoised for Decimals (bounded LRU of the successful conversions: equal Decimals, 1.5 and 1.50,
    have the same CURRENCY)."""
    if type(value) is Decimal:
        try:
            return _memo_decimal_to_cy(value)
        except TypeError:  # unhashable (a signalling NaN): the checks below word the error
            pass
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


_memo_decimal_to_cy = functools.lru_cache(maxsize=4096)(_exact_decimal_to_cy)


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


def _build(schema: c.Construct, values: dict[str, Any], what: str) -> bytes:
    """``schema.build`` with construct's range/type errors turned into LocalProtocolError."""
    try:
        return schema.build(values)
    except (c.ConstructError, struct.error, TypeError, ValueError, OverflowError) as exc:
        raise LocalProtocolError(f"cannot encode {what}: {exc}") from None


def _parse(schema: c.Construct, data: bytes, what: str, offset: int = 0) -> Any:
    """``schema.parse`` of the record at ``offset``, for input whose length the caller has already checked."""
    try:
        return schema.parse(data[offset : offset + schema.sizeof()] if offset else data)
    except (c.ConstructError, struct.error) as exc:  # defensive: lengths are pre-checked
        raise _malformed(f"cannot decode {what}: {exc}") from None


def _fast_build(schema: c.Construct, values: dict[str, Any], what: str) -> bytes:
    """:func:`_build` through the ``struct`` derived from ``schema`` (same bytes, same errors)."""
    try:
        return fp.layout(schema).pack_dict(values)
    except (struct.error, TypeError, ValueError, OverflowError, KeyError) as exc:
        raise LocalProtocolError(f"cannot encode {what}: {exc}") from None


def _fast_parse(schema: c.Construct, data: bytes, what: str, offset: int = 0) -> dict[str, Any]:
    """:func:`_parse` through the ``struct`` derived from ``schema`` (a dict instead of a Container)."""
    try:
        return fp.layout(schema).unpack_dict(data, offset)
    except struct.error as exc:  # defensive, as in _parse
        raise _malformed(f"cannot decode {what}: {exc}") from None


#: The two ways to build / parse one fixed-size record: construct (reference) and the derived struct.
_Build = Callable[[c.Construct, dict[str, Any], str], bytes]
_Parse = Callable[..., Any]


def _need(data: bytes, size: int, what: str) -> None:
    if len(data) < size:
        raise _malformed(f"{what} needs at least {size} bytes, got {len(data)}")


# --- fixed-size structures -------------------------------------------------------------------------------


class _FixedStruct:
    """to_bytes/from_bytes of a fixed-size structure, through its precompiled codec in ``_FIXED``."""

    __slots__ = ()

    def to_bytes(self) -> bytes:
        return _FIXED[type(self)].pack(self)

    @classmethod
    def from_bytes(cls, data: bytes) -> Any:
        return _FIXED[cls].unpack(data)


@attrs.frozen(kw_only=True, slots=False)
class AgentSessionInfo(_FixedStruct):
    """LINEAGENTSESSIONINFO (76 bytes, ``<5Id8Iq2I``). No variable part: needed = used = 76."""

    FIXED_SIZE: ClassVar[int] = s.AGENT_SESSION_INFO_SIZE

    total_size: int = s.AGENT_SESSION_INFO_SIZE
    needed_size: int = s.AGENT_SESSION_INFO_SIZE
    used_size: int = s.AGENT_SESSION_INFO_SIZE
    state: int = attrs.field(default=AgentSessionState.NOTREADY, converter=enum_or_int(AgentSessionState))
    next_state: int = attrs.field(default=0, converter=enum_or_int(AgentSessionState))
    session_start_time: _dt.datetime = OLE_EPOCH
    session_duration: int = 0
    number_of_calls: int = 0
    total_talk_time: int = 0
    average_talk_time: int = 0
    total_call_time: int = 0
    average_call_time: int = 0
    total_wrap_up_time: int = 0
    average_wrap_up_time: int = 0
    acd_call_rate: Decimal = Decimal(0)
    longest_time_to_answer: int = 0
    average_time_to_answer: int = 0


@attrs.frozen(kw_only=True, slots=False)
class AgentInfo(_FixedStruct):
    """LINEAGENTINFO (56 bytes). ``overall_call_rate`` is CURRENCY."""

    FIXED_SIZE: ClassVar[int] = s.AGENT_INFO_SIZE

    total_size: int = s.AGENT_INFO_SIZE
    needed_size: int = s.AGENT_INFO_SIZE
    used_size: int = s.AGENT_INFO_SIZE
    agent_state: int = attrs.field(default=AgentStateEx.NOTREADY, converter=enum_or_int(AgentStateEx))
    next_agent_state: int = attrs.field(default=0, converter=enum_or_int(AgentStateEx))
    measurement_period: int = 0
    overall_call_rate: Decimal = Decimal(0)
    number_of_acd_calls: int = 0
    number_of_incoming_calls: int = 0
    number_of_outgoing_calls: int = 0
    total_acd_talk_time: int = 0
    total_acd_call_time: int = 0
    total_acd_wrap_up_time: int = 0


@attrs.frozen(kw_only=True, slots=False)
class QueueInfo(_FixedStruct):
    """LINEQUEUEINFO (52 bytes, 13 DWORDs)."""

    FIXED_SIZE: ClassVar[int] = s.QUEUE_INFO_SIZE

    total_size: int = s.QUEUE_INFO_SIZE
    needed_size: int = s.QUEUE_INFO_SIZE
    used_size: int = s.QUEUE_INFO_SIZE
    measurement_period: int = 0
    total_calls_queued: int = 0
    current_calls_queued: int = 0
    total_calls_abandoned: int = 0
    total_calls_flowed_in: int = 0
    total_calls_flowed_out: int = 0
    longest_ever_wait_time: int = 0
    current_longest_wait_time: int = 0
    average_wait_time: int = 0
    final_disposition: int = 0


# --- the fixed-size structures' two paths ----------------------------------------------------------------

#: Per class: (construct schema, C name, {field: (encode adapter, decode adapter)}) - the one table both
#: paths follow. Fields not listed go to the wire as they are.
_FIXED_SPECS: dict[type, tuple[c.Construct, str, dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]]]] = {
    AgentSessionInfo: (
        s.AGENT_SESSION_INFO,
        "LINEAGENTSESSIONINFO",
        {"session_start_time": (datetime_to_ole, ole_to_datetime), "acd_call_rate": (decimal_to_cy, cy_to_decimal)},
    ),
    AgentInfo: (s.AGENT_INFO, "LINEAGENTINFO", {"overall_call_rate": (decimal_to_cy, cy_to_decimal)}),
    QueueInfo: (s.QUEUE_INFO, "LINEQUEUEINFO", {}),
}


def _construct_encode_fixed(obj: Any) -> bytes:
    schema, what, adapters = _FIXED_SPECS[type(obj)]
    values = attrs.asdict(obj, recurse=False)
    for name, (encode, _) in adapters.items():
        values[name] = encode(values[name])
    return _build(schema, values, what)


def _construct_decode_fixed(cls: type, data: bytes) -> Any:
    schema, what, adapters = _FIXED_SPECS[cls]
    _need(data, cls.FIXED_SIZE, what)  # type: ignore[attr-defined]
    v = _parse(schema, data[: cls.FIXED_SIZE], what)  # type: ignore[attr-defined]
    fields = {name: v[name] for name in attrs.fields_dict(cls)}
    for name, (_, decode) in adapters.items():
        fields[name] = decode(fields[name])
    return cls(**fields)


class _FixedCodec:
    """The struct fast path of one fixed-size structure: one ``pack`` / ``unpack_from`` of the struct
    derived from its construct schema. Objects are read by a generated packer (one attribute load per
    field, encode adapters inline) and built by a generated positional constructor (decode adapters and
    the class's converters inline); adapters in field order, as on the construct path."""

    __slots__ = ("what", "size", "struct", "pack_object", "make_from_wire")

    def __init__(self, cls: type) -> None:
        schema, what, adapters = _FIXED_SPECS[cls]
        lay = fp.layout(schema, what)
        names = tuple(f.name for f in attrs.fields(cls))
        if lay.names != names or lay.tail is not None:
            raise TypeError(f"{cls.__name__}: fields {names} do not match the {what} schema {lay.names}")
        self.what = what
        self.size = lay.size
        self.struct = lay.struct
        self.pack_object = fp.packer(lay.struct.pack, names, {n: enc for n, (enc, _) in adapters.items()})
        self.make_from_wire = fp.constructor(cls, names, {n: dec for n, (_, dec) in adapters.items()}, lay.struct)

    def pack(self, obj: Any) -> bytes:
        try:
            return self.pack_object(obj)  # type: ignore[no-any-return]
        except (struct.error, TypeError, ValueError, OverflowError) as exc:
            raise LocalProtocolError(f"cannot encode {self.what}: {exc}") from None

    def unpack(self, data: bytes) -> Any:
        if len(data) < self.size:
            raise _malformed(f"{self.what} needs at least {self.size} bytes, got {len(data)}")
        return self.make_from_wire(data)


_FIXED: dict[type, _FixedCodec] = {cls: _FixedCodec(cls) for cls in _FIXED_SPECS}


def wire_adapters(cls: type) -> dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]]:
    """For a fixed-size structure class: field -> (encode adapter, decode adapter) of the fields whose
    Python value is not the wire value (DATE <-> datetime, CURRENCY <-> Decimal); a copy."""
    return dict(_FIXED_SPECS[cls][2])


def wire_packer(cls: type) -> Callable[..., bytes]:
    """For a fixed-size structure class: ``pack(*wire_values)`` -> its bytes, where the values are already
    in wire form (DATE as the float, CURRENCY as the int64 of value x 10,000) in field order: the struct
    derived from the schema, with no adapter and no conversion. ``pack(*wire)`` equals
    ``encode_struct(obj)`` when ``wire`` is ``obj``'s fields passed through the encode adapters (the
    server's fast lane gets wire values straight from the switch). Raises ``struct.error`` on a bad value."""
    return _FIXED[cls].struct.pack


# --- lists -----------------------------------------------------------------------------------------------


@attrs.frozen(slots=False)
class AgentSessionEntry:
    """LINEAGENTSESSIONENTRY (28 bytes)."""

    hagent_session: int
    hagent: int
    group_id: uuid.UUID
    working_address_id: int = 0


@attrs.frozen(slots=False)
class AgentGroupEntry:
    """LINEAGENTGROUPENTRY (24 bytes) plus its name from the list's variable part."""

    group_id: uuid.UUID
    name: str


def _sized_list(cls: type, entries: tuple, total_size: int, full_size: int) -> Any:
    """The size rule: everything if it fits in ``total_size``, else no entries and needed = full size."""
    if total_size < cls.FIXED_SIZE:
        raise LocalProtocolError(
            f"{cls.__name__}: buffer size {total_size} is below the fixed size {cls.FIXED_SIZE}"
            " (answer LINEERR_STRUCTURETOOSMALL instead)"
        )
    if full_size <= total_size:
        return cls(total_size=total_size, needed_size=full_size, used_size=full_size, entries=entries)
    return cls(total_size=total_size, needed_size=full_size, used_size=cls.FIXED_SIZE, entries=())


def _list_entries_region(header: Any, data: bytes, entry_size: int, what: str) -> tuple[int, int]:
    """Check num_entries/list_size/list_offset of a list header against ``data``; return (offset, count)."""
    n = header["num_entries"]
    size = header["list_size"]
    if size != n * entry_size:
        raise _malformed(f"{what}: dwListSize {size} != dwNumEntries {n} x {entry_size}")
    if n == 0:
        return 0, 0
    off = header["list_offset"]
    if off < s.LIST_HEADER_SIZE or off + size > len(data):
        raise _malformed(f"{what}: entries at offset {off} size {size} lie outside the {len(data)} bytes")
    return off, n


class _ListStruct:
    """What LINEAGENTSESSIONLIST and LINEAGENTGROUPLIST share: the 24-byte list header (tapi-facts §2),
    the size rule, and the to_bytes/from_bytes entry points of the fast path (``_encode`` / ``_decode``
    take the engine, so the construct reference path runs the same code)."""

    __slots__ = ()
    FIXED_SIZE: ClassVar[int] = s.LIST_HEADER_SIZE
    ENTRY_SIZE: ClassVar[int]
    C_NAME: ClassVar[str]
    total_size: int
    needed_size: int
    used_size: int
    entries: tuple[Any, ...]

    @classmethod
    def full_size(cls, entries: Any) -> int:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    @classmethod
    def build(cls, entries: Any, total_size: int) -> Any:
        """Apply the size rule for a client buffer of ``total_size`` bytes (>= 24)."""
        entries = tuple(entries)
        return _sized_list(cls, entries, total_size, cls.full_size(entries))

    def to_bytes(self) -> bytes:
        return self._encode(_fast_build)  # type: ignore[attr-defined, no-any-return]

    @classmethod
    def from_bytes(cls, data: bytes) -> Any:
        return cls._decode(data, _fast_parse)  # type: ignore[attr-defined]

    def _header(self, build: _Build, used: int) -> bytes:
        """The list header's bytes, after checking ``used_size`` against the ``used`` bytes encoded."""
        n = len(self.entries)
        if self.used_size != used:
            raise LocalProtocolError(f"{type(self).__name__}.used_size {self.used_size} != {used} for {n} entries")
        header = dict(
            total_size=self.total_size,
            needed_size=self.needed_size,
            used_size=self.used_size,
            num_entries=n,
            list_size=n * self.ENTRY_SIZE,
            list_offset=self.FIXED_SIZE if n else 0,
        )
        return build(s.LIST_HEADER, header, self.C_NAME)

    @classmethod
    def _read_header(cls, data: bytes, parse: _Parse) -> tuple[Any, int, int]:
        """(header, offset of the entries, number of entries), every bound checked."""
        _need(data, cls.FIXED_SIZE, cls.C_NAME)
        h = parse(s.LIST_HEADER, data, cls.C_NAME)
        off, n = _list_entries_region(h, data, cls.ENTRY_SIZE, cls.C_NAME)
        return h, off, n

    @classmethod
    def _from_header(cls, h: Any, entries: list[Any]) -> Any:
        return cls(total_size=h["total_size"], needed_size=h["needed_size"], used_size=h["used_size"], entries=entries)  # type: ignore[call-arg]


@attrs.frozen(kw_only=True, slots=False)
class AgentSessionList(_ListStruct):
    """LINEAGENTSESSIONLIST (24-byte header) + LINEAGENTSESSIONENTRY x n, entries right after the header."""

    ENTRY_SIZE: ClassVar[int] = s.AGENT_SESSION_ENTRY_SIZE
    C_NAME: ClassVar[str] = "LINEAGENTSESSIONLIST"

    total_size: int
    needed_size: int
    used_size: int
    entries: tuple[AgentSessionEntry, ...] = attrs.field(default=(), converter=tuple)

    @classmethod
    def full_size(cls, entries: tuple[AgentSessionEntry, ...] | list[AgentSessionEntry]) -> int:
        """Bytes needed to return every entry."""
        return cls.FIXED_SIZE + cls.ENTRY_SIZE * len(entries)

    def _encode(self, build: _Build) -> bytes:
        parts = [self._header(build, self.full_size(self.entries))]
        for e in self.entries:
            values = attrs.asdict(e, recurse=False)
            values["group_id"] = guid_to_bytes(e.group_id)
            parts.append(build(s.AGENT_SESSION_ENTRY, values, "LINEAGENTSESSIONENTRY"))
        return b"".join(parts)

    @classmethod
    def _decode(cls, data: bytes, parse: _Parse) -> AgentSessionList:
        h, off, n = cls._read_header(data, parse)
        entries = []
        for i in range(n):
            v = parse(s.AGENT_SESSION_ENTRY, data, "LINEAGENTSESSIONENTRY", off + i * cls.ENTRY_SIZE)
            entries.append(
                AgentSessionEntry(v["hagent_session"], v["hagent"], bytes_to_guid(v["group_id"]), v["working_address_id"])
            )
        return cls._from_header(h, entries)  # type: ignore[no-any-return]


def encode_utf16z(text: str, what: str) -> bytes:
    """UTF-16LE + NUL terminator; LocalProtocolError for embedded NULs or lone surrogates."""
    if "\x00" in text:
        raise LocalProtocolError(f"{what} {text!r} contains a NUL character")
    try:
        return text.encode("utf-16-le") + b"\x00\x00"
    except UnicodeEncodeError as exc:
        raise LocalProtocolError(f"{what} {text!r} is not encodable as UTF-16: {exc}") from None


def decode_utf16z(data: bytes, what: str) -> str:
    """Decode a UTF-16LE string whose last code unit is its NUL terminator (RemoteProtocolError otherwise)."""
    if len(data) % 2 or len(data) < 2 or data[-2:] != b"\x00\x00":
        raise _malformed(f"{what}: {len(data)} bytes are not a NUL-terminated UTF-16 string")
    try:
        text = data[:-2].decode("utf-16-le")
    except UnicodeDecodeError as exc:
        raise _malformed(f"{what}: invalid UTF-16: {exc}") from None
    if "\x00" in text:
        raise _malformed(f"{what}: NUL inside the string")
    return text


@attrs.frozen(kw_only=True, slots=False)
class AgentGroupList(_ListStruct):
    """LINEAGENTGROUPLIST (24-byte header) + LINEAGENTGROUPENTRY x n + the UTF-16LE names after them.

    Encoded layout: header, entries from offset 24, then each name (NUL-terminated) in entry order;
    dwNameOffset is relative to the start of the list. A name of size 0 decodes as "".
    """

    ENTRY_SIZE: ClassVar[int] = s.AGENT_GROUP_ENTRY_SIZE
    C_NAME: ClassVar[str] = "LINEAGENTGROUPLIST"

    total_size: int
    needed_size: int
    used_size: int
    entries: tuple[AgentGroupEntry, ...] = attrs.field(default=(), converter=tuple)

    @classmethod
    def full_size(cls, entries: Any) -> int:
        """Bytes needed to return every entry with its name."""
        return cls.FIXED_SIZE + sum(cls.ENTRY_SIZE + len(encode_utf16z(e.name, "group name")) for e in entries)

    def _encode(self, build: _Build) -> bytes:
        n = len(self.entries)
        names = [encode_utf16z(e.name, "group name") for e in self.entries]
        parts = [self._header(build, self.FIXED_SIZE + n * self.ENTRY_SIZE + sum(map(len, names)))]
        name_off = self.FIXED_SIZE + n * self.ENTRY_SIZE
        for e, name in zip(self.entries, names):
            values = dict(group_id=guid_to_bytes(e.group_id), name_size=len(name), name_offset=name_off)
            parts.append(build(s.AGENT_GROUP_ENTRY, values, "LINEAGENTGROUPENTRY"))
            name_off += len(name)
        parts.extend(names)
        return b"".join(parts)

    @classmethod
    def _decode(cls, data: bytes, parse: _Parse) -> AgentGroupList:
        what = cls.C_NAME
        h, off, n = cls._read_header(data, parse)
        entries = []
        for i in range(n):
            v = parse(s.AGENT_GROUP_ENTRY, data, "LINEAGENTGROUPENTRY", off + i * cls.ENTRY_SIZE)
            name_size, name_offset = v["name_size"], v["name_offset"]
            if name_size == 0:
                name = ""
            elif name_offset + name_size > len(data):
                raise _malformed(
                    f"{what}: entry {i} name at offset {name_offset} size {name_size} lies outside the {len(data)} bytes"
                )
            else:
                name = decode_utf16z(data[name_offset : name_offset + name_size], f"{what} entry {i} name")
            entries.append(AgentGroupEntry(bytes_to_guid(v["group_id"]), name))
        return cls._from_header(h, entries)  # type: ignore[no-any-return]


@attrs.frozen(slots=False)
class QueueEntry:
    """LINEQUEUEENTRY (12 bytes) plus its name from the list's variable part."""

    queue_id: int
    name: str


@attrs.frozen(kw_only=True, slots=False)
class QueueList(_ListStruct):
    """LINEQUEUELIST (24-byte header) + LINEQUEUEENTRY x n + the UTF-16LE names after them; dwNameOffset
    is relative to the start of the list (as in LINEAGENTGROUPLIST)."""

    ENTRY_SIZE: ClassVar[int] = s.QUEUE_ENTRY_SIZE
    C_NAME: ClassVar[str] = "LINEQUEUELIST"

    total_size: int
    needed_size: int
    used_size: int
    entries: tuple[QueueEntry, ...] = attrs.field(default=(), converter=tuple)

    @classmethod
    def full_size(cls, entries: Any) -> int:
        """Bytes needed to return every entry with its name."""
        return cls.FIXED_SIZE + sum(cls.ENTRY_SIZE + len(encode_utf16z(e.name, "queue name")) for e in entries)

    def _encode(self, build: _Build) -> bytes:
        n = len(self.entries)
        names = [encode_utf16z(e.name, "queue name") for e in self.entries]
        parts = [self._header(build, self.FIXED_SIZE + n * self.ENTRY_SIZE + sum(map(len, names)))]
        name_off = self.FIXED_SIZE + n * self.ENTRY_SIZE
        for e, name in zip(self.entries, names):
            values = dict(queue_id=e.queue_id, name_size=len(name), name_offset=name_off)
            parts.append(build(s.QUEUE_ENTRY, values, "LINEQUEUEENTRY"))
            name_off += len(name)
        parts.extend(names)
        return b"".join(parts)

    @classmethod
    def _decode(cls, data: bytes, parse: _Parse) -> QueueList:
        what = cls.C_NAME
        h, off, n = cls._read_header(data, parse)
        entries = []
        for i in range(n):
            v = parse(s.QUEUE_ENTRY, data, "LINEQUEUEENTRY", off + i * cls.ENTRY_SIZE)
            name_size, name_offset = v["name_size"], v["name_offset"]
            if name_size == 0:
                name = ""
            elif name_offset + name_size > len(data):
                raise _malformed(
                    f"{what}: entry {i} name at offset {name_offset} size {name_size} lies outside the {len(data)} bytes"
                )
            else:
                name = decode_utf16z(data[name_offset : name_offset + name_size], f"{what} entry {i} name")
            entries.append(QueueEntry(v["queue_id"], name))
        return cls._from_header(h, entries)  # type: ignore[no-any-return]


# --- generic entry points ---------------------------------------------------

Struct = AgentSessionInfo | AgentInfo | QueueInfo | AgentSessionList | AgentGroupList | QueueList
STRUCT_CLASSES: tuple[type, ...] = (AgentSessionInfo, AgentInfo, QueueInfo, AgentSessionList, AgentGroupList, QueueList)

def encode_struct(obj: Any) -> bytes:
    """The dwUsedSize bytes of a TAPI structure (LocalProtocolError for bad values)."""
    encode = _ENCODERS.get(type(obj))
    if encode is not None:
        return encode(obj)
    if not isinstance(obj, STRUCT_CLASSES):
        raise LocalProtocolError(f"not a TAPI structure: {obj!r}")
    return obj.to_bytes()  # a subclass


def decode_struct(cls: type, data: bytes) -> Any:
    """Decode ``data`` as TAPI structure ``cls`` (RemoteProtocolError MALFORMED if inconsistent)."""
    decode = _DECODERS.get(cls)
    if decode is None:
        raise TypeError(f"not a TAPI structure class: {cls!r}")
    return decode(bytes(data))


#: Class -> its encoder / decoder (the fixed-size codecs directly: one call less on the hot path).
_ENCODERS: dict[type, Callable[[Any], bytes]] = {cls: _FIXED[cls].pack if cls in _FIXED else cls.to_bytes for cls in STRUCT_CLASSES}
_DECODERS: dict[type, Callable[[bytes], Any]] = {cls: _FIXED[cls].unpack if cls in _FIXED else cls.from_bytes for cls in STRUCT_CLASSES}


def construct_encode_struct(obj: Any) -> bytes:
    """:func:`encode_struct` done by the construct schemas themselves: the reference of the fast path."""
    if not isinstance(obj, STRUCT_CLASSES):
        raise LocalProtocolError(f"not a TAPI structure: {obj!r}")
    if type(obj) in _FIXED_SPECS:
        return _construct_encode_fixed(obj)
    return obj._encode(_build)


def construct_decode_struct(cls: type, data: bytes) -> Any:
    """:func:`decode_struct` done by the construct schemas themselves: the reference of the fast path."""
    if cls not in STRUCT_CLASSES:
        raise TypeError(f"not a TAPI structure class: {cls!r}")
    data = bytes(data)
    if cls in _FIXED_SPECS:
        return _construct_decode_fixed(cls, data)
    return cls._decode(data, _parse)  # type: ignore[attr-defined]


def encode_handle(handle: int) -> bytes:
    """LINE_REPLY data of CreateAgent / CreateAgentSession: the new handle as a u32."""
    try:
        return _U32.pack(handle)
    except (struct.error, TypeError) as exc:  # as construct's Int32ul, which packs with struct too
        raise LocalProtocolError(f"cannot encode handle: {exc}") from None


_U32 = fp.precompiled(c.Int32ul.fmtstr)  # the handle layout, as construct defines it
