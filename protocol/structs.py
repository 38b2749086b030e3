"""TAPI structures carried in LINE_REPLY records.

Layouts are tapi-facts §2 (packed, little-endian). Python fields are snake_case versions of the C field
names without the Hungarian prefix. Conventions:

* ``encode_struct(obj)`` emits exactly ``dwUsedSize`` bytes (fixed part + variable part actually
  present); ``dwTotalSize`` is a field the caller sets to the *client's* buffer size. That byte string
  is what goes into LINE_REPLY VarData (Param4 = its length).
* ``decode_struct(cls, data)`` accepts any ``data`` at least the fixed size long and checks every internal
  offset before reading; any inconsistency raises :class:`RemoteProtocolError` (MALFORMED).
* Lists follow the size rule (wire-protocol §2): see :meth:`ListStruct.build`. A list is declared by its
  entry (an attrs class and its construct schema); its codec is derived from them (:class:`ListStruct`).

The value adapters (OLE DATE <-> ``datetime``, CURRENCY <-> ``Decimal``, GUID <-> ``uuid.UUID``,
``enum_or_int``) live in :mod:`protocol.adapters` and are re-exported here.

Two interchangeable paths produce the bytes (see :mod:`protocol.fastpath`): the ``struct`` fast path,
derived at import from the construct schemas, used by ``to_bytes``/``from_bytes``/``encode_struct``/
``decode_struct``; and the construct path itself, :func:`construct_encode_struct` /
:func:`construct_decode_struct`, kept as the reference the property tests compare the fast path with.
"""

from __future__ import annotations

import datetime as _dt
import enum
import struct
import uuid
from decimal import Decimal
from typing import Any, Callable, ClassVar

import attrs
import construct as c

from protocol import fastpath as fp
from protocol.agent_structs import AGENT_STRUCT_CLASSES
from protocol import schemas as s
from protocol.adapters import (
    CY_SCALE,
    OLE_EPOCH,
    OLE_EXACT_DAYS,
    UTC,
    bytes_to_guid,
    cy_to_decimal,
    datetime_to_ole,
    decimal_to_cy,
    enum_or_int,
    guid_to_bytes,
    ole_from_us,
    ole_to_datetime,
)
from protocol.constants import AgentSessionState, AgentStateEx, ErrorCode
from protocol.errors import LocalProtocolError, RemoteProtocolError

__all__ = [  # the adapters are re-exported: the structures' public API
    "CY_SCALE", "OLE_EPOCH", "OLE_EXACT_DAYS", "UTC", "bytes_to_guid", "cy_to_decimal", "datetime_to_ole",
    "decimal_to_cy", "enum_or_int", "guid_to_bytes", "ole_from_us", "ole_to_datetime",
    "STRUCT_CLASSES", "AgentSessionInfo", "AgentInfo", "QueueInfo", "ListStruct", "EntryKind",
    "AgentSessionEntry", "AgentSessionList", "AgentGroupEntry", "AgentGroupList", "QueueEntry", "QueueList",
    "encode_struct", "decode_struct", "construct_encode_struct", "construct_decode_struct", "encode_handle",
    "encode_utf16z", "decode_utf16z", "wire_adapters", "wire_packer", "wire_struct", "register_fixed", "FixedStruct",
]


def _malformed(message: str) -> RemoteProtocolError:
    return RemoteProtocolError(ErrorCode.MALFORMED, message)

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


class FixedStruct:
    """to_bytes/from_bytes of a fixed-size structure, through its precompiled codec in ``_FIXED``."""

    __slots__ = ()

    def to_bytes(self) -> bytes:
        return _FIXED[type(self)].pack(self)

    @classmethod
    def from_bytes(cls, data: bytes) -> Any:
        return _FIXED[cls].unpack(data)


@attrs.frozen(kw_only=True, slots=False)
class AgentSessionInfo(FixedStruct):
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
class AgentInfo(FixedStruct):
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
class QueueInfo(FixedStruct):
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
    field, encode adapters inline, their memos read in place) and built by a generated positional
    constructor (decode adapters and the class's converters inline); adapters in field order, as on the
    construct path. ``pack`` / ``unpack`` are those generated functions themselves, the refusals
    (LocalProtocolError for a bad value, MALFORMED for short data) raised from inside them."""

    __slots__ = ("what", "size", "struct", "pack", "unpack")

    def __init__(self, cls: type) -> None:
        schema, what, adapters = _FIXED_SPECS[cls]
        lay = fp.layout(schema, what)
        names = tuple(f.name for f in attrs.fields(cls))
        if lay.names != names or lay.tail is not None:
            raise TypeError(f"{cls.__name__}: fields {names} do not match the {what} schema {lay.names}")
        self.what = what
        self.size = lay.size
        self.struct = lay.struct
        self.pack = fp.packer(lay.struct.pack, names, {n: enc for n, (enc, _) in adapters.items()},
                              (struct.error, TypeError, ValueError, OverflowError), self._cannot_encode,
                              from_dict=fp.stores_in_dict(cls))
        self.unpack = fp.constructor(cls, names, {n: dec for n, (_, dec) in adapters.items()}, lay.struct, self._short)

    def _cannot_encode(self, exc: BaseException) -> BaseException:
        if isinstance(exc, LocalProtocolError):  # an adapter's own refusal passes through unchanged
            return exc
        return LocalProtocolError(f"cannot encode {self.what}: {exc}")

    def _short(self, length: int) -> BaseException:
        return _malformed(f"{self.what} needs at least {self.size} bytes, got {length}")


_FIXED: dict[type, _FixedCodec] = {cls: _FixedCodec(cls) for cls in _FIXED_SPECS}


def wire_adapters(cls: type) -> dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]]:
    """For a fixed-size structure class: field -> (encode adapter, decode adapter) of the fields whose
    Python value is not the wire value (DATE <-> datetime, CURRENCY <-> Decimal); a copy."""
    return dict(_FIXED_SPECS[cls][2])


def wire_struct(cls: type) -> struct.Struct:
    """For a fixed-size structure class: the ``struct`` both its pack and unpack use (derived from its
    construct schema; field order = the class's fields). KeyError for any other class."""
    return _FIXED[cls].struct


def wire_packer(cls: type) -> Callable[..., bytes]:
    """For a fixed-size structure class: ``pack(*wire_values)`` -> its bytes, where the values are already
    in wire form (DATE as the float, CURRENCY as the int64 of value x 10,000) in field order: the struct
    derived from the schema, with no adapter and no conversion. ``pack(*wire)`` equals
    ``encode_struct(obj)`` when ``wire`` is ``obj``'s fields passed through the encode adapters (the
    server's fast lane gets wire values straight from the switch). Raises ``struct.error`` on a bad value."""
    return _FIXED[cls].struct.pack


# --- lists -----------------------------------------------------------------------------------------------


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


class EntryKind(enum.Enum):
    """How one field of a list entry class is carried (derived from the entry's construct schema)."""

    U32 = "u32"  # a DWORD of the entry, as it is
    GUID = "guid"  # 16 bytes of the entry ([MS-DTYP] 2.3.4.2), a uuid.UUID in Python
    STRING = "string"  # <name>_size / <name>_offset DWORDs of the entry; the UTF-16LE text after the entries


class _EntryCodec:
    """One list entry's codec, derived from its attrs class and its construct schema: every attrs field is
    a schema field of the same name (a DWORD, or 16 bytes = a GUID) or a ``<name>_size`` / ``<name>_offset``
    pair (a NUL-terminated UTF-16LE string in the list's variable part, offset from the start of the list);
    every schema field is used once. Anything else raises TypeError at import."""

    __slots__ = ("cls", "schema", "what", "size", "fields")

    def __init__(self, cls: type, schema: c.Construct, what: str) -> None:
        lay = fp.layout(schema, what)
        codes = dict(zip(lay.names, lay.codes))
        fields: list[tuple[str, EntryKind]] = []
        used: list[str] = []
        for f in attrs.fields(cls):
            if codes.get(f.name) == "16s":
                fields.append((f.name, EntryKind.GUID))
                used.append(f.name)
            elif codes.get(f.name) == "L":
                fields.append((f.name, EntryKind.U32))
                used.append(f.name)
            elif codes.get(f"{f.name}_size") == "L" and codes.get(f"{f.name}_offset") == "L":
                fields.append((f.name, EntryKind.STRING))
                used += [f"{f.name}_size", f"{f.name}_offset"]
            else:
                raise TypeError(f"{cls.__name__}.{f.name} has no DWORD, GUID or size/offset pair in the {what} schema")
        if sorted(used) != sorted(lay.names) or lay.tail is not None:
            raise TypeError(f"{cls.__name__}: fields {[n for n, _ in fields]} do not cover the {what} schema {lay.names}")
        self.cls = cls
        self.schema = schema
        self.what = what
        self.size = lay.size
        self.fields = tuple(fields)

    def strings(self, entry: Any) -> list[bytes]:
        """The encoded strings of one entry, in field order."""
        return [encode_utf16z(getattr(entry, n), f"{self.what}.{n}") for n, k in self.fields if k is EntryKind.STRING]

    def encode(self, entry: Any, strings: list[bytes], var_offset: int, build: _Build) -> bytes:
        """The entry's bytes, its strings placed from ``var_offset`` on (offsets from the start of the list)."""
        values: dict[str, Any] = {}
        texts = iter(strings)
        for name, kind in self.fields:
            if kind is EntryKind.U32:
                values[name] = getattr(entry, name)
            elif kind is EntryKind.GUID:
                values[name] = guid_to_bytes(getattr(entry, name))
            else:
                text = next(texts)
                values[f"{name}_size"] = len(text)
                values[f"{name}_offset"] = var_offset
                var_offset += len(text)
        return build(self.schema, values, self.what)

    def decode(self, data: bytes, offset: int, index: int, list_what: str, parse: _Parse) -> Any:
        v = parse(self.schema, data, self.what, offset)
        values: dict[str, Any] = {}
        for name, kind in self.fields:
            if kind is EntryKind.U32:
                values[name] = v[name]
            elif kind is EntryKind.GUID:
                values[name] = bytes_to_guid(v[name])
            else:
                size, off = v[f"{name}_size"], v[f"{name}_offset"]
                if size == 0:
                    values[name] = ""
                elif off + size > len(data):
                    raise _malformed(
                        f"{list_what}: entry {index} {name} at offset {off} size {size} lies outside the {len(data)} bytes"
                    )
                else:
                    values[name] = decode_utf16z(data[off : off + size], f"{list_what} entry {index} {name}")
        return self.cls(**values)


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


class ListStruct:
    """A TAPI list (tapi-facts §2): the 24-byte header (size triple, dwNumEntries, dwListSize,
    dwListOffset), the entries right after it, then the entries' strings in entry order. A list is
    declared by its class variables alone - ``C_NAME``, ``ENTRY`` (the attrs entry class), ``ENTRY_SCHEMA``
    (its construct schema) and ``ENTRY_C_NAME`` - and an ``entries`` field; the codec (one for both
    engines: ``_encode`` / ``_decode`` take the engine, so the construct reference path runs the same
    code), ``ENTRY_SIZE``, :meth:`full_size`, the size rule (:meth:`build`) and :meth:`entry_fields` are
    derived from them when the subclass is created."""

    __slots__ = ()
    FIXED_SIZE: ClassVar[int] = s.LIST_HEADER_SIZE
    C_NAME: ClassVar[str]
    ENTRY: ClassVar[type]
    ENTRY_SCHEMA: ClassVar[c.Construct]
    ENTRY_C_NAME: ClassVar[str]
    ENTRY_SIZE: ClassVar[int]
    _ENTRY_CODEC: ClassVar[_EntryCodec]
    total_size: int
    needed_size: int
    used_size: int
    entries: tuple[Any, ...]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        codec = _EntryCodec(cls.ENTRY, cls.ENTRY_SCHEMA, cls.ENTRY_C_NAME)
        cls._ENTRY_CODEC = codec
        cls.ENTRY_SIZE = codec.size

    @classmethod
    def entry_fields(cls) -> tuple[tuple[str, EntryKind], ...]:
        """(field name, how it is carried) of the entry class, in order (what the codec was derived from)."""
        return cls._ENTRY_CODEC.fields

    @classmethod
    def full_size(cls, entries: Any) -> int:
        """Bytes needed to return every entry with its strings."""
        codec = cls._ENTRY_CODEC
        return cls.FIXED_SIZE + sum(codec.size + sum(map(len, codec.strings(e))) for e in entries)

    @classmethod
    def build(cls, entries: Any, total_size: int) -> Any:
        """The size rule (wire-protocol §2) for a client buffer of ``total_size`` bytes (>= 24): every
        entry if it fits, else no entries and dwNeededSize = the full size."""
        entries = tuple(entries)
        if total_size < cls.FIXED_SIZE:
            raise LocalProtocolError(
                f"{cls.__name__}: buffer size {total_size} is below the fixed size {cls.FIXED_SIZE}"
                " (answer LINEERR_STRUCTURETOOSMALL instead)"
            )
        full = cls.full_size(entries)
        if full <= total_size:
            return cls(total_size=total_size, needed_size=full, used_size=full, entries=entries)  # type: ignore[call-arg]
        return cls(total_size=total_size, needed_size=full, used_size=cls.FIXED_SIZE, entries=())  # type: ignore[call-arg]

    def to_bytes(self) -> bytes:
        return self._encode(_fast_build)

    @classmethod
    def from_bytes(cls, data: bytes) -> Any:
        return cls._decode(data, _fast_parse)

    def _encode(self, build: _Build) -> bytes:
        codec = self._ENTRY_CODEC
        n = len(self.entries)
        strings = [codec.strings(e) for e in self.entries]
        var_offset = self.FIXED_SIZE + n * codec.size
        used = var_offset + sum(len(t) for row in strings for t in row)
        if self.used_size != used:
            raise LocalProtocolError(f"{type(self).__name__}.used_size {self.used_size} != {used} for {n} entries")
        header = dict(
            total_size=self.total_size,
            needed_size=self.needed_size,
            used_size=self.used_size,
            num_entries=n,
            list_size=n * codec.size,
            list_offset=self.FIXED_SIZE if n else 0,
        )
        parts = [build(s.LIST_HEADER, header, self.C_NAME)]
        for e, row in zip(self.entries, strings):
            parts.append(codec.encode(e, row, var_offset, build))
            var_offset += sum(map(len, row))
        parts.extend(t for row in strings for t in row)
        return b"".join(parts)

    @classmethod
    def _decode(cls, data: bytes, parse: _Parse) -> Any:
        codec = cls._ENTRY_CODEC
        _need(data, cls.FIXED_SIZE, cls.C_NAME)
        h = parse(s.LIST_HEADER, data, cls.C_NAME)
        off, n = _list_entries_region(h, data, codec.size, cls.C_NAME)
        entries = [codec.decode(data, off + i * codec.size, i, cls.C_NAME, parse) for i in range(n)]
        return cls(total_size=h["total_size"], needed_size=h["needed_size"], used_size=h["used_size"], entries=entries)  # type: ignore[call-arg]


@attrs.frozen(slots=False)
class AgentSessionEntry:
    """LINEAGENTSESSIONENTRY (28 bytes)."""

    hagent_session: int
    hagent: int
    group_id: uuid.UUID
    working_address_id: int = 0


@attrs.frozen(kw_only=True, slots=False)
class AgentSessionList(ListStruct):
    """LINEAGENTSESSIONLIST (24-byte header) + LINEAGENTSESSIONENTRY x n, entries right after the header."""

    C_NAME: ClassVar[str] = "LINEAGENTSESSIONLIST"
    ENTRY: ClassVar[type] = AgentSessionEntry
    ENTRY_SCHEMA: ClassVar[c.Construct] = s.AGENT_SESSION_ENTRY
    ENTRY_C_NAME: ClassVar[str] = "LINEAGENTSESSIONENTRY"

    total_size: int
    needed_size: int
    used_size: int
    entries: tuple[AgentSessionEntry, ...] = attrs.field(default=(), converter=tuple)


@attrs.frozen(slots=False)
class AgentGroupEntry:
    """LINEAGENTGROUPENTRY (24 bytes) plus its name from the list's variable part."""

    group_id: uuid.UUID
    name: str


@attrs.frozen(kw_only=True, slots=False)
class AgentGroupList(ListStruct):
    """LINEAGENTGROUPLIST (24-byte header) + LINEAGENTGROUPENTRY x n + the UTF-16LE names after them.

    Encoded layout: header, entries from offset 24, then each name (NUL-terminated) in entry order;
    dwNameOffset is relative to the start of the list. A name of size 0 decodes as "".
    """

    C_NAME: ClassVar[str] = "LINEAGENTGROUPLIST"
    ENTRY: ClassVar[type] = AgentGroupEntry
    ENTRY_SCHEMA: ClassVar[c.Construct] = s.AGENT_GROUP_ENTRY
    ENTRY_C_NAME: ClassVar[str] = "LINEAGENTGROUPENTRY"

    total_size: int
    needed_size: int
    used_size: int
    entries: tuple[AgentGroupEntry, ...] = attrs.field(default=(), converter=tuple)


@attrs.frozen(slots=False)
class QueueEntry:
    """LINEQUEUEENTRY (12 bytes) plus its name from the list's variable part."""

    queue_id: int
    name: str


@attrs.frozen(kw_only=True, slots=False)
class QueueList(ListStruct):
    """LINEQUEUELIST (24-byte header) + LINEQUEUEENTRY x n + the UTF-16LE names after them; dwNameOffset
    is relative to the start of the list (as in LINEAGENTGROUPLIST)."""

    C_NAME: ClassVar[str] = "LINEQUEUELIST"
    ENTRY: ClassVar[type] = QueueEntry
    ENTRY_SCHEMA: ClassVar[c.Construct] = s.QUEUE_ENTRY
    ENTRY_C_NAME: ClassVar[str] = "LINEQUEUEENTRY"

    total_size: int
    needed_size: int
    used_size: int
    entries: tuple[QueueEntry, ...] = attrs.field(default=(), converter=tuple)


@attrs.frozen(slots=False)
class AgentActivityEntry:
    """LINEAGENTACTIVITYENTRY (12 bytes) plus its name from the list's variable part (wire-protocol §8.2)."""

    id: int
    name: str


@attrs.frozen(kw_only=True, slots=False)
class AgentActivityList(ListStruct):
    """LINEAGENTACTIVITYLIST (GetAgentActivityList, 24): header + LINEAGENTACTIVITYENTRY x n + the names;
    dwNameOffset is relative to the start of the list (as in LINEAGENTGROUPLIST)."""

    C_NAME: ClassVar[str] = "LINEAGENTACTIVITYLIST"
    ENTRY: ClassVar[type] = AgentActivityEntry
    ENTRY_SCHEMA: ClassVar[c.Construct] = s.AGENT_ACTIVITY_ENTRY
    ENTRY_C_NAME: ClassVar[str] = "LINEAGENTACTIVITYENTRY"

    total_size: int
    needed_size: int
    used_size: int
    entries: tuple[AgentActivityEntry, ...] = attrs.field(default=(), converter=tuple)


# --- generic entry points ---------------------------------------------------

Struct = AgentSessionInfo | AgentInfo | QueueInfo | AgentSessionList | AgentGroupList | QueueList
STRUCT_CLASSES: tuple[type, ...] = (AgentSessionInfo, AgentInfo, QueueInfo, AgentSessionList, AgentGroupList, QueueList)
STRUCT_CLASSES += (AgentActivityList, *AGENT_STRUCT_CLASSES)  # wire-protocol §8.2 (+ protocol/agent_structs.py)

def encode_struct(obj: Any) -> bytes:
    """The dwUsedSize bytes of a TAPI structure (LocalProtocolError for bad values)."""
    encode = _ENCODERS.get(type(obj))
    if encode is not None:
        return encode(obj)
    if _registered(type(obj)) or isinstance(obj, (FixedStruct, ListStruct)):
        return obj.to_bytes()  # type: ignore[no-any-return]  # a list declared elsewhere, or a subclass
    raise LocalProtocolError(f"not a TAPI structure: {obj!r}")


def decode_struct(cls: type, data: bytes) -> Any:
    """Decode ``data`` as TAPI structure ``cls`` (RemoteProtocolError MALFORMED if inconsistent)."""
    decode = _DECODERS.get(cls)
    if decode is None:
        if not _registered(cls):
            raise TypeError(f"not a TAPI structure class: {cls!r}")
        decode = _DECODERS[cls]
    return decode(data if type(data) is bytes else bytes(data))


#: Class -> its encoder / decoder (the fixed-size codecs directly: one call less on the hot path).
_ENCODERS: dict[type, Callable[[Any], bytes]] = {cls: _FIXED[cls].pack if cls in _FIXED else cls.to_bytes for cls in STRUCT_CLASSES}
_DECODERS: dict[type, Callable[[bytes], Any]] = {cls: _FIXED[cls].unpack if cls in _FIXED else cls.from_bytes for cls in STRUCT_CLASSES}


def _registered(cls: Any) -> bool:
    """Whether ``cls`` is a structure class; a list declared in another module (a ``ListStruct``
    subclass, attrs-decorated) is registered on first sight - its codec was derived when it was made."""
    if cls in _DECODERS:
        return True
    if isinstance(cls, type) and issubclass(cls, ListStruct) and cls is not ListStruct and attrs.has(cls):
        _ENCODERS[cls], _DECODERS[cls] = cls.to_bytes, cls.from_bytes
        return True
    return False


def register_fixed(cls: type, schema: c.Construct, c_name: str,
                   adapters: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] | None = None) -> type:
    """Make a fixed-size structure declared in another module (an attrs class deriving from
    ``FixedStruct`` whose fields follow ``schema``) known to both codecs, as a row of ``_FIXED_SPECS``
    would: ``register_fixed(LineAgentCaps, s.AGENT_CAPS, "LINEAGENTCAPS")``. Returns ``cls``."""
    if not (isinstance(cls, type) and issubclass(cls, FixedStruct) and attrs.has(cls)):
        raise TypeError(f"{cls!r} is not an attrs class deriving from FixedStruct")
    _FIXED_SPECS[cls] = (schema, c_name, dict(adapters or {}))
    _FIXED[cls] = _FixedCodec(cls)
    _ENCODERS[cls], _DECODERS[cls] = _FIXED[cls].pack, _FIXED[cls].unpack
    return cls


def construct_encode_struct(obj: Any) -> bytes:
    """:func:`encode_struct` done by the construct schemas themselves: the reference of the fast path."""
    if not (_registered(type(obj)) or isinstance(obj, STRUCT_CLASSES)):
        raise LocalProtocolError(f"not a TAPI structure: {obj!r}")
    if type(obj) in _FIXED_SPECS:
        return _construct_encode_fixed(obj)
    return obj._encode(_build)  # type: ignore[no-any-return]


def construct_decode_struct(cls: type, data: bytes) -> Any:
    """:func:`decode_struct` done by the construct schemas themselves: the reference of the fast path."""
    if not _registered(cls):
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
