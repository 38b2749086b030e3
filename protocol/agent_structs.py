"""The TAPI 2.0 agent structures of wire-protocol §8.2 (tapi.h; call-facts §5, tapi-facts §2.4).

* :class:`AgentCaps` - LINEAGENTCAPS (72 bytes + the handler name and the extension-ID list);
* :class:`AgentStatus` - LINEAGENTSTATUS (56 bytes + LINEAGENTGROUPENTRY x n + the group names + the
  activity name);
(LINEAGENTACTIVITYLIST is a list declaration in :mod:`protocol.structs`, on the shared list codec.)

Conventions are :mod:`protocol.structs`' (that module registers these classes in ``STRUCT_CLASSES``):
the variable part follows the fixed part; every offset, an entry's dwNameOffset included, counts from
the start of the structure that contains it (the list, or the LINEAGENTSTATUS: call-facts §5, as JulMar
TSP++ reads them); strings are UTF-16LE with their NUL, sizes count the NUL; a size of 0 means absent
(offset 0). The size rule of wire-protocol §2 applies to the whole variable part: when it does not fit
in the client's dwTotalSize, dwNeededSize says how much is needed, the fixed part is filled and the
variable part is left out (every size 0) - never truncated.

Each class encodes through the engine it is given (``build(schema, values, what)`` /
``parse(schema, data, what, offset)``), so :func:`protocol.structs.construct_encode_struct` runs the
same code on construct as ``to_bytes`` does on the derived ``struct`` layout. This module imports
nothing from :mod:`protocol.structs` (which imports it), so its two string helpers follow
``structs.encode_utf16z`` / ``decode_utf16z`` here.
"""

from __future__ import annotations

import struct
import uuid
from typing import Any, Callable, ClassVar

import attrs
import construct as c

from protocol import fastpath as fp
from protocol import schemas as s
from protocol.constants import ErrorCode
from protocol.errors import LocalProtocolError, RemoteProtocolError

__all__ = [
    "AGENT_CAPS_SIZE", "AGENT_STATUS_SIZE", "AGENT_CAPS", "AGENT_STATUS",
    "AgentCaps", "AgentStatus", "AgentStatusGroup", "AGENT_STRUCT_CLASSES",
]

AGENT_CAPS_SIZE, AGENT_CAPS = s.AGENT_CAPS_SIZE, s.AGENT_CAPS
AGENT_STATUS_SIZE, AGENT_STATUS = s.AGENT_STATUS_SIZE, s.AGENT_STATUS

_GUID_SIZE = 16
_Build = Callable[[c.Construct, dict[str, Any], str], bytes]
_Parse = Callable[..., Any]


def _malformed(message: str) -> RemoteProtocolError:
    return RemoteProtocolError(ErrorCode.MALFORMED, message)


def _utf16z(text: str, what: str) -> bytes:
    if not isinstance(text, str):
        raise LocalProtocolError(f"{what} must be a str, got {text!r}")
    if "\x00" in text:
        raise LocalProtocolError(f"{what} {text!r} contains a NUL character")
    try:
        return text.encode("utf-16-le") + b"\x00\x00"
    except UnicodeEncodeError as exc:
        raise LocalProtocolError(f"{what} {text!r} is not encodable as UTF-16: {exc}") from None


def _read_text(data: bytes, size: int, offset: int, what: str) -> str:
    """The string of ``size`` bytes at ``offset`` (size 0 = ""), every bound and the NUL checked."""
    if size == 0:
        return ""
    if offset + size > len(data):
        raise _malformed(f"{what} at offset {offset} size {size} lies outside the {len(data)} bytes")
    raw = data[offset : offset + size]
    if size % 2 or raw[-2:] != b"\x00\x00":
        raise _malformed(f"{what}: {size} bytes are not a NUL-terminated UTF-16 string")
    try:
        text = raw[:-2].decode("utf-16-le")
    except UnicodeDecodeError as exc:
        raise _malformed(f"{what}: invalid UTF-16: {exc}") from None
    if "\x00" in text:
        raise _malformed(f"{what}: NUL inside the string")
    return text


def _guid(value: Any, what: str) -> bytes:
    if not isinstance(value, uuid.UUID):
        raise LocalProtocolError(f"{what} must be a uuid.UUID, got {value!r}")
    return value.bytes_le


def _check_u32(values: dict[str, Any], what: str) -> None:
    """Every int field in 0..0xFFFFFFFF (checked before either engine runs, so both refuse alike)."""
    for name, value in values.items():
        if isinstance(value, bytes):
            continue
        if type(value) is bool or not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
            raise LocalProtocolError(f"cannot encode {what}: {name} = {value!r} is not a u32")


def _need(data: bytes, size: int, what: str) -> None:
    if len(data) < size:
        raise _malformed(f"{what} needs at least {size} bytes, got {len(data)}")


def _fast_build(schema: c.Construct, values: dict[str, Any], what: str) -> bytes:
    try:
        return fp.layout(schema).pack_dict(values)
    except (struct.error, TypeError, ValueError, OverflowError, KeyError) as exc:
        raise LocalProtocolError(f"cannot encode {what}: {exc}") from None


def _fast_parse(schema: c.Construct, data: bytes, what: str, offset: int = 0) -> dict[str, Any]:
    try:
        return fp.layout(schema).unpack_dict(data, offset)
    except struct.error as exc:  # defensive: lengths are checked first
        raise _malformed(f"cannot decode {what}: {exc}") from None


def _sizes(total_size: int, fixed: int, full: int, what: str) -> tuple[int, bool]:
    """(dwUsedSize, whether the variable part goes in) for a client buffer of ``total_size``."""
    if type(total_size) is bool or not isinstance(total_size, int) or total_size < fixed:
        raise LocalProtocolError(
            f"{what}: buffer size {total_size!r} is below the fixed size {fixed} (answer LINEERR_STRUCTURETOOSMALL instead)"
        )
    return (full, True) if full <= total_size else (fixed, False)


class _Engines:
    """to_bytes / from_bytes through the derived ``struct`` layouts (the fast engine)."""

    __slots__ = ()

    def to_bytes(self) -> bytes:
        return self._encode(_fast_build)  # type: ignore[attr-defined, no-any-return]

    @classmethod
    def from_bytes(cls, data: bytes) -> Any:
        return cls._decode(bytes(data), _fast_parse)  # type: ignore[attr-defined]


# --- LINEAGENTCAPS -----------------------------------------------------------------------------------


@attrs.frozen(kw_only=True, slots=False)
class AgentCaps(_Engines):
    """LINEAGENTCAPS (GetAgentCaps, 25). Variable part: the extension IDs (16 bytes each, from offset 72),
    then the agent handler's name. ``extension_ids`` are LINEEXTENSIONIDs as raw 16-byte values."""

    FIXED_SIZE: ClassVar[int] = AGENT_CAPS_SIZE
    C_NAME: ClassVar[str] = "LINEAGENTCAPS"

    total_size: int
    needed_size: int
    used_size: int
    agent_handler_info: str = ""
    caps_version: int = 0
    features: int = 0
    states: int = 0
    next_states: int = 0
    max_num_group_entries: int = 0
    agent_status_messages: int = 0
    extension_ids: tuple[bytes, ...] = attrs.field(default=(), converter=tuple)
    proxy_guid: uuid.UUID = uuid.UUID(int=0)

    @classmethod
    def build(cls, total_size: int, **fields: Any) -> AgentCaps:
        """The size rule for a client buffer of ``total_size`` bytes (>= 72): everything, or no variable part."""
        probe = cls(total_size=total_size, needed_size=0, used_size=0, **fields)
        full = cls.FIXED_SIZE + _GUID_SIZE * len(probe.extension_ids) + len(_utf16z(probe.agent_handler_info, "agent handler name"))
        used, fits = _sizes(total_size, cls.FIXED_SIZE, full, cls.C_NAME)
        if fits:
            return attrs.evolve(probe, needed_size=full, used_size=used)
        return attrs.evolve(probe, needed_size=full, used_size=used, agent_handler_info="", extension_ids=())

    def _encode(self, build: _Build) -> bytes:
        name = _utf16z(self.agent_handler_info, "agent handler name") if self.agent_handler_info else b""
        ids = []
        for i, ext in enumerate(self.extension_ids):
            if not isinstance(ext, bytes) or len(ext) != _GUID_SIZE:
                raise LocalProtocolError(f"cannot encode {self.C_NAME}: extension ID {i} must be 16 bytes, got {ext!r}")
            ids.append(ext)
        n = len(ids)
        used = self.FIXED_SIZE + _GUID_SIZE * n + len(name)
        if self.used_size != used:
            raise LocalProtocolError(f"{self.C_NAME}.used_size {self.used_size} != {used} for its variable part")
        values = dict(
            total_size=self.total_size, needed_size=self.needed_size, used_size=self.used_size,
            agent_handler_info_size=len(name),
            agent_handler_info_offset=self.FIXED_SIZE + _GUID_SIZE * n if name else 0,
            caps_version=self.caps_version, features=self.features, states=self.states,
            next_states=self.next_states, max_num_group_entries=self.max_num_group_entries,
            agent_status_messages=self.agent_status_messages, num_agent_extension_ids=n,
            agent_extension_id_list_size=_GUID_SIZE * n, agent_extension_id_list_offset=self.FIXED_SIZE if n else 0,
        )
        _check_u32(values, self.C_NAME)
        values["proxy_guid"] = _guid(self.proxy_guid, f"{self.C_NAME}.proxy_guid")
        return build(AGENT_CAPS, values, self.C_NAME) + b"".join(ids) + name

    @classmethod
    def _decode(cls, data: bytes, parse: _Parse) -> AgentCaps:
        what = cls.C_NAME
        _need(data, cls.FIXED_SIZE, what)
        v = parse(AGENT_CAPS, data, what)
        n, size, off = v["num_agent_extension_ids"], v["agent_extension_id_list_size"], v["agent_extension_id_list_offset"]
        if size != n * _GUID_SIZE:
            raise _malformed(f"{what}: dwAgentExtensionIDListSize {size} != dwNumAgentExtensionIDs {n} x 16")
        if n and (off < cls.FIXED_SIZE or off + size > len(data)):
            raise _malformed(f"{what}: extension IDs at offset {off} size {size} lie outside the {len(data)} bytes")
        ids = tuple(bytes(data[off + 16 * i : off + 16 * (i + 1)]) for i in range(n))
        name = _read_text(data, v["agent_handler_info_size"], v["agent_handler_info_offset"], f"{what} agent handler name")
        return cls(
            total_size=v["total_size"], needed_size=v["needed_size"], used_size=v["used_size"],
            agent_handler_info=name, caps_version=v["caps_version"], features=v["features"], states=v["states"],
            next_states=v["next_states"], max_num_group_entries=v["max_num_group_entries"],
            agent_status_messages=v["agent_status_messages"], extension_ids=ids,
            proxy_guid=uuid.UUID(bytes_le=bytes(v["proxy_guid"])),
        )


# --- LINEAGENTSTATUS ---------------------------------------------------------------------------------


@attrs.frozen(slots=False)
class AgentStatusGroup:
    """One LINEAGENTGROUPENTRY of a LINEAGENTSTATUS (a group the address's agent is logged into)."""

    group_id: uuid.UUID
    name: str


@attrs.frozen(kw_only=True, slots=False)
class AgentStatus(_Engines):
    """LINEAGENTSTATUS (GetAgentStatus, 27). Variable part: the group entries (from offset 56), their
    names, then the current activity's name. ``state`` / ``next_state`` / ``valid_*`` are LINEAGENTSTATE_
    values, ``agent_features`` LINEAGENTFEATURE_ bits."""

    FIXED_SIZE: ClassVar[int] = AGENT_STATUS_SIZE
    C_NAME: ClassVar[str] = "LINEAGENTSTATUS"

    total_size: int
    needed_size: int
    used_size: int
    groups: tuple[AgentStatusGroup, ...] = attrs.field(default=(), converter=tuple)
    state: int = 0
    next_state: int = 0
    activity_id: int = 0
    activity: str = ""
    agent_features: int = 0
    valid_states: int = 0
    valid_next_states: int = 0

    def _var_size(self) -> int:
        names = sum(len(_utf16z(g.name, "group name")) for g in self.groups)
        act = len(_utf16z(self.activity, "activity name")) if self.activity else 0
        return s.AGENT_GROUP_ENTRY_SIZE * len(self.groups) + names + act

    @classmethod
    def build(cls, total_size: int, **fields: Any) -> AgentStatus:
        """The size rule for a client buffer of ``total_size`` bytes (>= 56): everything, or no variable part
        (no groups, no activity name; dwActivityID stays)."""
        probe = cls(total_size=total_size, needed_size=0, used_size=0, **fields)
        full = cls.FIXED_SIZE + probe._var_size()
        used, fits = _sizes(total_size, cls.FIXED_SIZE, full, cls.C_NAME)
        if fits:
            return attrs.evolve(probe, needed_size=full, used_size=used)
        return attrs.evolve(probe, needed_size=full, used_size=used, groups=(), activity="")

    def _encode(self, build: _Build) -> bytes:
        n = len(self.groups)
        names = [_utf16z(g.name, "group name") for g in self.groups]
        act = _utf16z(self.activity, "activity name") if self.activity else b""
        entries_end = self.FIXED_SIZE + s.AGENT_GROUP_ENTRY_SIZE * n
        used = entries_end + sum(map(len, names)) + len(act)
        if self.used_size != used:
            raise LocalProtocolError(f"{self.C_NAME}.used_size {self.used_size} != {used} for {n} groups")
        values = dict(
            total_size=self.total_size, needed_size=self.needed_size, used_size=self.used_size,
            num_entries=n, group_list_size=s.AGENT_GROUP_ENTRY_SIZE * n, group_list_offset=self.FIXED_SIZE if n else 0,
            state=self.state, next_state=self.next_state, activity_id=self.activity_id,
            activity_size=len(act), activity_offset=used - len(act) if act else 0,
            agent_features=self.agent_features, valid_states=self.valid_states, valid_next_states=self.valid_next_states,
        )
        _check_u32(values, self.C_NAME)
        parts = [build(AGENT_STATUS, values, self.C_NAME)]
        name_off = entries_end
        for i, (g, name) in enumerate(zip(self.groups, names)):
            entry = dict(group_id=_guid(g.group_id, f"{self.C_NAME} group {i}"), name_size=len(name), name_offset=name_off)
            parts.append(build(s.AGENT_GROUP_ENTRY, entry, "LINEAGENTGROUPENTRY"))
            name_off += len(name)
        parts.extend(names)
        parts.append(act)
        return b"".join(parts)

    @classmethod
    def _decode(cls, data: bytes, parse: _Parse) -> AgentStatus:
        what = cls.C_NAME
        _need(data, cls.FIXED_SIZE, what)
        v = parse(AGENT_STATUS, data, what)
        n, size, off = v["num_entries"], v["group_list_size"], v["group_list_offset"]
        if size != n * s.AGENT_GROUP_ENTRY_SIZE:
            raise _malformed(f"{what}: dwGroupListSize {size} != dwNumEntries {n} x {s.AGENT_GROUP_ENTRY_SIZE}")
        if n and (off < cls.FIXED_SIZE or off + size > len(data)):
            raise _malformed(f"{what}: group entries at offset {off} size {size} lie outside the {len(data)} bytes")
        groups = []
        for i in range(n):
            e = parse(s.AGENT_GROUP_ENTRY, data, "LINEAGENTGROUPENTRY", off + i * s.AGENT_GROUP_ENTRY_SIZE)
            name = _read_text(data, e["name_size"], e["name_offset"], f"{what} group {i} name")
            groups.append(AgentStatusGroup(uuid.UUID(bytes_le=bytes(e["group_id"])), name))
        activity = _read_text(data, v["activity_size"], v["activity_offset"], f"{what} activity name")
        return cls(
            total_size=v["total_size"], needed_size=v["needed_size"], used_size=v["used_size"], groups=groups,
            state=v["state"], next_state=v["next_state"], activity_id=v["activity_id"], activity=activity,
            agent_features=v["agent_features"], valid_states=v["valid_states"], valid_next_states=v["valid_next_states"],
        )


#: Registered in :data:`protocol.structs.STRUCT_CLASSES`.
AGENT_STRUCT_CLASSES: tuple[type, ...] = (AgentCaps, AgentStatus)
