"""The call and line structures of wire-protocol §9.2 (call-facts §3): LINECALLINFO, LINECALLSTATUS,
LINEDEVCAPS, LINEADDRESSCAPS, LINEADDRESSSTATUS, LINEDEVSTATUS.

Each structure is declared once, as a field list in C order (:data:`FIELDS`): ``(name, kind)`` with kind
``u32``, ``systemtime`` (16-byte SYSTEMTIME <-> aware UTC datetime or None) or ``guid`` (16 bytes <->
uuid.UUID), and the variable parts it carries (``(name, kind)``: ``str`` = UTF-16LE with its NUL,
``bytes`` = opaque), each stored through the fixed part's ``<name>_size`` / ``<name>_offset`` DWORDs
(offsets from the start of the structure, call-facts §3.2). From that list come the construct schema
(the definition of the fixed part's bytes), the attrs class (every fixed field except the size/offset
pairs of the variable parts, then the variable parts themselves) and both codecs: the ``struct`` fast path
(:meth:`_VarStruct.to_bytes` / :meth:`_VarStruct.from_bytes`) and the construct reference
(:func:`construct_encode` / :func:`construct_decode`), which the property tests compare.

Version-gated fixed sizes (call-facts §3.1): :meth:`_VarStruct.fixed_size_for` gives the fixed size the
negotiated version sees; a structure encoded for an older version stops there (its variable part follows
at that size) and decodes with the missing tail as 0. Size rule, as for the lists of wire-protocol §2:
when the variable part does not fit the client's dwTotalSize, dwNeededSize says how much is needed,
dwUsedSize = the fixed size and no variable part is sent (:meth:`_VarStruct.build`).
"""

from __future__ import annotations

import datetime as _dt
import struct
import uuid
from typing import Any, ClassVar

import attrs
import construct as c

from protocol import fastpath as fp
from protocol.constants import ErrorCode
from protocol.errors import LocalProtocolError, RemoteProtocolError

__all__ = [
    "CallInfo", "CallStatus", "DevCaps", "AddressCaps", "AddressStatus", "LineDevStatus", "CALL_STRUCT_CLASSES",
    "construct_encode", "construct_decode", "systemtime_to_datetime", "datetime_to_systemtime",
]

UTC = _dt.timezone.utc


def _malformed(message: str) -> RemoteProtocolError:
    return RemoteProtocolError(ErrorCode.MALFORMED, message)


# --- SYSTEMTIME ----------------------------------------------------------------------------------------

_SYSTEMTIME = struct.Struct("<8H")


def datetime_to_systemtime(value: _dt.datetime | None) -> bytes:
    """Aware datetime -> SYSTEMTIME (UTC; wYear, wMonth, wDayOfWeek (0 = Sunday), wDay, wHour, wMinute,
    wSecond, wMilliseconds); None -> 16 zero bytes."""
    if value is None:
        return bytes(16)
    if not isinstance(value, _dt.datetime) or value.utcoffset() is None:
        raise LocalProtocolError(f"SYSTEMTIME needs an aware datetime, got {value!r}")
    v = value.astimezone(UTC)
    return _SYSTEMTIME.pack(v.year, v.month, (v.weekday() + 1) % 7, v.day, v.hour, v.minute, v.second,
                            v.microsecond // 1000)


def systemtime_to_datetime(data: bytes) -> _dt.datetime | None:
    """SYSTEMTIME -> aware UTC datetime (None for all zeros); MALFORMED when it is not a valid date."""
    year, month, _dow, day, hour, minute, second, ms = _SYSTEMTIME.unpack(bytes(data))
    if not any((year, month, day, hour, minute, second, ms)):
        return None
    try:
        return _dt.datetime(year, month, day, hour, minute, second, ms * 1000, tzinfo=UTC)
    except ValueError as exc:
        raise _malformed(f"SYSTEMTIME {year}-{month}-{day} {hour}:{minute}:{second}.{ms} is not a date: {exc}") from None


def _part_bytes(c_name: str, name: str, kind: str, value: Any) -> bytes:
    """A present variable part's bytes: ``str`` as UTF-16LE with its NUL, ``bytes`` as they are."""
    if kind == "str":
        if not isinstance(value, str) or "\x00" in value:
            raise LocalProtocolError(f"{c_name}.{name} must be a str without NUL, got {value!r}")
        try:
            return value.encode("utf-16-le") + b"\0\0"
        except UnicodeEncodeError as exc:
            raise LocalProtocolError(f"{c_name}.{name} {value!r} is not UTF-16: {exc}") from None
    return bytes(value)


# --- the declarations ---------------------------------------------------------------------------------

def _id_block(prefix: str) -> list[tuple[str, str]]:
    """A party ID block of LINECALLINFO: Flags, Size, Offset, NameSize, NameOffset."""
    return [(f"{prefix}_flags", "u32"), (f"{prefix}_size", "u32"), (f"{prefix}_offset", "u32"),
            (f"{prefix}_name_size", "u32"), (f"{prefix}_name_offset", "u32")]


def _pairs(*names: str) -> list[tuple[str, str]]:
    out = []
    for n in names:
        out += [(f"{n}_size", "u32"), (f"{n}_offset", "u32")]
    return out


def _dial(prefix: str) -> list[tuple[str, str]]:
    return [(f"{prefix}_dial_pause", "u32"), (f"{prefix}_dial_speed", "u32"),
            (f"{prefix}_digit_duration", "u32"), (f"{prefix}_wait_for_dialtone", "u32")]


_TRIPLE = [("total_size", "u32"), ("needed_size", "u32"), ("used_size", "u32")]

#: C name -> (fixed fields in order, variable parts, fixed size by negotiated version: ((min version, size), ...)).
FIELDS: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]], tuple[tuple[int, int], ...]]] = {
    "LINECALLINFO": (
        [*_TRIPLE, ("h_line", "u32"), ("line_device_id", "u32"), ("address_id", "u32"), ("bearer_mode", "u32"),
         ("rate", "u32"), ("media_mode", "u32"), ("app_specific", "u32"), ("call_id", "u32"),
         ("related_call_id", "u32"), ("call_param_flags", "u32"), ("call_states", "u32"),
         ("monitor_digit_modes", "u32"), ("monitor_media_modes", "u32"), *_dial("dp"), ("origin", "u32"),
         ("reason", "u32"), ("completion_id", "u32"), ("num_owners", "u32"), ("num_monitors", "u32"),
         ("country_code", "u32"), ("trunk", "u32"), *_id_block("caller_id"), *_id_block("called_id"),
         *_id_block("connected_id"), *_id_block("redirection_id"), *_id_block("redirecting_id"),
         *_pairs("app_name", "displayable_address", "called_party", "comment", "display", "user_user_info",
                 "high_level_comp", "low_level_comp", "charging_info", "terminal_modes", "dev_specific"),
         ("call_treatment", "u32"), *_pairs("call_data", "sending_flowspec", "receiving_flowspec"),
         ("caller_id_address_type", "u32"), ("called_id_address_type", "u32"),
         ("connected_id_address_type", "u32"), ("redirection_id_address_type", "u32"),
         ("redirecting_id_address_type", "u32")],
        [("caller_id", "str"), ("caller_id_name", "str"), ("called_id", "str"), ("called_id_name", "str"),
         ("connected_id", "str"), ("connected_id_name", "str"), ("redirection_id", "str"),
         ("redirecting_id", "str"), ("app_name", "str"), ("displayable_address", "str"),
         ("called_party", "str"), ("comment", "str"), ("display", "bytes"), ("user_user_info", "bytes")],
        ((0, 296), (0x00020000, 324), (0x00030000, 344)),
    ),
    "LINECALLSTATUS": (
        [*_TRIPLE, ("call_state", "u32"), ("call_state_mode", "u32"), ("call_privilege", "u32"),
         ("call_features", "u32"), *_pairs("dev_specific"), ("call_features2", "u32"),
         ("state_entry_time", "systemtime")],
        [("dev_specific", "bytes")],
        ((0, 36), (0x00020000, 56)),
    ),
    "LINEDEVCAPS": (
        [*_TRIPLE, *_pairs("provider_info", "switch_info"), ("permanent_line_id", "u32"), *_pairs("line_name"),
         ("string_format", "u32"), ("address_modes", "u32"), ("num_addresses", "u32"), ("bearer_modes", "u32"),
         ("max_rate", "u32"), ("media_modes", "u32"), ("generate_tone_modes", "u32"),
         ("generate_tone_max_num_freq", "u32"), ("generate_digit_modes", "u32"),
         ("monitor_tone_max_num_freq", "u32"), ("monitor_tone_max_num_entries", "u32"),
         ("monitor_digit_modes", "u32"), ("gather_digits_min_timeout", "u32"),
         ("gather_digits_max_timeout", "u32"), ("med_ctl_digit_max_list_size", "u32"),
         ("med_ctl_media_max_list_size", "u32"), ("med_ctl_tone_max_list_size", "u32"),
         ("med_ctl_call_state_max_list_size", "u32"), ("dev_cap_flags", "u32"), ("max_num_active_calls", "u32"),
         ("answer_mode", "u32"), ("ring_modes", "u32"), ("line_states", "u32"), ("uui_accept_size", "u32"),
         ("uui_answer_size", "u32"), ("uui_make_call_size", "u32"), ("uui_drop_size", "u32"),
         ("uui_send_user_user_info_size", "u32"), ("uui_call_info_size", "u32"), *_dial("min"), *_dial("max"),
         *_dial("default"), ("num_terminals", "u32"), *_pairs("terminal_caps"),
         ("terminal_text_entry_size", "u32"), *_pairs("terminal_text", "dev_specific"), ("line_features", "u32"),
         ("settable_dev_status", "u32"), *_pairs("device_classes"), ("permanent_line_guid", "guid"),
         ("address_types", "u32"), ("protocol_guid", "guid"), ("available_tracking", "u32")],
        [("provider_info", "str"), ("switch_info", "str"), ("line_name", "str")],
        ((0, 252), (0x00020002, 268), (0x00030000, 292)),
    ),
    "LINEADDRESSCAPS": (
        [*_TRIPLE, ("line_device_id", "u32"), *_pairs("address", "dev_specific"), ("address_sharing", "u32"),
         ("address_states", "u32"), ("call_info_states", "u32"), ("caller_id_flags", "u32"),
         ("called_id_flags", "u32"), ("connected_id_flags", "u32"), ("redirection_id_flags", "u32"),
         ("redirecting_id_flags", "u32"), ("call_states", "u32"), ("dial_tone_modes", "u32"),
         ("busy_modes", "u32"), ("special_info", "u32"), ("disconnect_modes", "u32"),
         ("max_num_active_calls", "u32"), ("max_num_on_hold_calls", "u32"),
         ("max_num_on_hold_pending_calls", "u32"), ("max_num_conference", "u32"), ("max_num_trans_conf", "u32"),
         ("addr_cap_flags", "u32"), ("call_features", "u32"), ("remove_from_conf_caps", "u32"),
         ("remove_from_conf_state", "u32"), ("transfer_modes", "u32"), ("park_modes", "u32"),
         ("forward_modes", "u32"), ("max_forward_entries", "u32"), ("max_specific_entries", "u32"),
         ("min_fwd_num_rings", "u32"), ("max_fwd_num_rings", "u32"), ("max_call_completions", "u32"),
         ("call_completion_conds", "u32"), ("call_completion_modes", "u32"),
         ("num_completion_messages", "u32"), ("completion_msg_text_entry_size", "u32"),
         *_pairs("completion_msg_text"), ("address_features", "u32"), ("predictive_auto_transfer_states", "u32"),
         ("num_call_treatments", "u32"), *_pairs("call_treatment_list", "device_classes"),
         ("max_call_data_size", "u32"), ("call_features2", "u32"), ("max_no_answer_timeout", "u32"),
         ("connected_modes", "u32"), ("offering_modes", "u32"), ("available_media_modes", "u32")],
        [("address", "str")],
        ((0, 180), (0x00020000, 228)),
    ),
    "LINEADDRESSSTATUS": (
        [*_TRIPLE, ("num_in_use", "u32"), ("num_active_calls", "u32"), ("num_on_hold_calls", "u32"),
         ("num_on_hold_pend_calls", "u32"), ("address_features", "u32"), ("num_rings_no_answer", "u32"),
         ("forward_num_entries", "u32"), *_pairs("forward", "terminal_modes", "dev_specific")],
        [],
        ((0, 64),),
    ),
    "LINEDEVSTATUS": (
        [*_TRIPLE, ("num_opens", "u32"), ("open_media_modes", "u32"), ("num_active_calls", "u32"),
         ("num_on_hold_calls", "u32"), ("num_on_hold_pend_calls", "u32"), ("line_features", "u32"),
         ("num_call_completions", "u32"), ("ring_mode", "u32"), ("signal_level", "u32"),
         ("battery_level", "u32"), ("roam_mode", "u32"), ("dev_status_flags", "u32"),
         *_pairs("terminal_modes", "dev_specific"), ("available_media_modes", "u32"), *_pairs("app_info")],
        [],
        ((0, 76), (0x00020000, 88)),
    ),
}

_KIND_SCHEMA = {"u32": c.Int32ul, "systemtime": c.Bytes(16), "guid": c.Bytes(16)}
_TO_WIRE = {"u32": lambda v: v, "systemtime": datetime_to_systemtime, "guid": lambda v: v.bytes_le}
_FROM_WIRE = {"u32": lambda v: v, "systemtime": systemtime_to_datetime, "guid": lambda v: uuid.UUID(bytes_le=bytes(v))}
_DEFAULTS = {"u32": 0, "systemtime": None, "guid": uuid.UUID(int=0)}


def _schema(cname: str) -> c.Construct:
    fields, _, _ = FIELDS[cname]
    return c.Struct(*(name / _KIND_SCHEMA[kind] for name, kind in fields)).compile()


class _VarStruct:
    """What every structure of this module shares (its class attributes come from :data:`FIELDS`)."""

    __slots__ = ()
    C_NAME: ClassVar[str]
    FIXED_SIZE: ClassVar[int]  # the largest (newest version's) fixed size
    MIN_SIZE: ClassVar[int]  # the oldest version's fixed size: less is not this structure
    SCHEMA: ClassVar[c.Construct]
    LAYOUT: ClassVar[Any]
    FIXED_FIELDS: ClassVar[tuple[tuple[str, str], ...]]  # attributes stored in the fixed part
    VAR_FIELDS: ClassVar[tuple[tuple[str, str], ...]]
    SIZES: ClassVar[tuple[tuple[int, int], ...]]
    total_size: int
    needed_size: int
    used_size: int

    @classmethod
    def fixed_size_for(cls, api_version: int) -> int:
        """The fixed size a client that negotiated ``api_version`` sees (call-facts §3.1)."""
        size = cls.SIZES[0][1]
        for version, fixed in cls.SIZES:
            if api_version >= version:
                size = fixed
        return size

    def variable_bytes(self) -> list[tuple[str, bytes]]:
        """(name, encoded bytes) of each variable part present (None / empty ones are absent)."""
        out = []
        for name, kind in self.VAR_FIELDS:
            value = getattr(self, name)
            if value is None or value == "" or value == b"":
                continue
            out.append((name, _part_bytes(self.C_NAME, name, kind, value)))
        return out

    @classmethod
    def build(cls, total_size: int, api_version: int = 0x00030001, **values: Any) -> Any:
        """The structure for a client buffer of ``total_size`` bytes: everything when it fits, else the
        fixed part only with dwNeededSize saying how much is needed (dwUsedSize = the fixed size)."""
        fixed = cls.fixed_size_for(api_version)
        if total_size < fixed:
            raise LocalProtocolError(f"{cls.C_NAME}: buffer size {total_size} is below the fixed size {fixed}"
                                     " (answer LINEERR_STRUCTURETOOSMALL instead)")
        obj = cls(total_size=total_size, needed_size=fixed, used_size=fixed, **values)  # type: ignore[call-arg]
        full = fixed + sum((len(d) + 3) & ~3 for _, d in obj.variable_bytes())
        if full <= total_size:
            return attrs.evolve(obj, needed_size=full, used_size=full)
        empty = {name: None for name, _ in cls.VAR_FIELDS}
        return attrs.evolve(obj, needed_size=full, used_size=fixed, **empty)

    def _values(self) -> tuple[dict[str, Any], bytes]:
        """The fixed part's wire values (variable parts placed after the fixed size = dwUsedSize minus
        the variable bytes) and the variable part's bytes."""
        parts = self.variable_bytes()
        fixed = self.used_size - sum((len(d) + 3) & ~3 for _, d in parts)
        if fixed not in {size for _, size in self.SIZES}:
            raise LocalProtocolError(f"{self.C_NAME}.used_size {self.used_size} does not match a fixed size"
                                     f" {sorted({s for _, s in self.SIZES})} plus the variable part")
        values = {name: _TO_WIRE[kind](getattr(self, name)) for name, kind in self.FIXED_FIELDS}
        for name, _ in self.VAR_FIELDS:
            values[f"{name}_size"] = values[f"{name}_offset"] = 0
        var = bytearray()
        for name, data in parts:
            values[f"{name}_size"] = len(data)
            values[f"{name}_offset"] = fixed + len(var)
            var += data + bytes(-len(data) & 3)
        return values, bytes(var)

    def _encode(self, pack: Any) -> bytes:
        values, var = self._values()
        fixed = self.used_size - len(var)
        return pack(values)[:fixed] + var

    def to_bytes(self) -> bytes:
        """The dwUsedSize bytes of the structure (struct fast path: :meth:`_encode`'s rule in the class's
        generated ``_TO_BYTES``, straight-line code with one attribute load per field)."""
        return self._TO_BYTES()  # type: ignore[no-any-return]

    @classmethod
    def _decode(cls, data: bytes, parse: Any) -> Any:
        data = bytes(data)
        if len(data) < cls.MIN_SIZE:
            raise _malformed(f"{cls.C_NAME} needs at least {cls.MIN_SIZE} bytes, got {len(data)}")
        head = parse(data[: cls.FIXED_SIZE] + bytes(max(0, cls.FIXED_SIZE - len(data))))
        v = parse(data[: cls.fixed_size_in(head, len(data))] + bytes(cls.FIXED_SIZE))  # the tail beyond: 0
        fields = {name: _FROM_WIRE[kind](v[name]) for name, kind in cls.FIXED_FIELDS}
        for name, kind in cls.VAR_FIELDS:
            size, off = v[f"{name}_size"], v[f"{name}_offset"]
            if size == 0:
                fields[name] = None
                continue
            fields[name] = _var_part(cls.C_NAME, name, kind, data, off, size)
        return cls(**fields)

    @classmethod
    def fixed_size_in(cls, head: Any, length: int) -> int:
        """The fixed size of an encoded structure: where its first variable part starts, else its
        dwUsedSize (both bounded by the data and the declared sizes); the largest declared size <= that."""
        starts = [head[f"{n}_offset"] for n, _ in cls.VAR_FIELDS if head[f"{n}_size"]]
        end = min(min(starts) if starts else head["used_size"], length)
        fitting = [size for _, size in cls.SIZES if size <= end]
        return max(fitting) if fitting else cls.MIN_SIZE

    @classmethod
    def from_bytes(cls, data: bytes) -> Any:
        """Decode (struct fast path: :meth:`_decode`'s rule on the unpacked tuple, the object built by a
        generated positional constructor); missing version-gated tail fields read as 0."""
        data = data if type(data) is bytes else bytes(data)
        n = len(data)
        if n < cls.MIN_SIZE:
            raise _malformed(f"{cls.C_NAME} needs at least {cls.MIN_SIZE} bytes, got {n}")
        unpack = cls.LAYOUT.struct.unpack_from
        full = cls.FIXED_SIZE
        v = unpack(data) if n >= full else unpack(data + bytes(full - n))
        # the fixed size in the data (fixed_size_in's rule): where the first variable part starts, else
        # dwUsedSize, bounded by the data; the largest declared size up to there
        end = v[2]  # used_size
        starts = [v[o] for z, o in cls._VAR_SLOTS if v[z]]
        if starts:
            end = min(starts)
        if n < end:
            end = n
        fixed = cls.MIN_SIZE
        for _, size in cls.SIZES:
            if fixed < size <= end:
                fixed = size
        if fixed < full:
            v = unpack(data[:fixed] + bytes(full))  # the tail beyond: 0
        adapted = [adapt(v[i]) for i, adapt in cls._ADAPTED]
        values = []
        for (name, kind), (z, o) in zip(cls.VAR_FIELDS, cls._VAR_SLOTS):
            size, off = v[z], v[o]
            if size == 0:
                values.append(None)
                continue
            values.append(_var_part(cls.C_NAME, name, kind, data, off, size))
        return cls._MAKE(v, adapted, values)


def _var_part(c_name: str, name: str, kind: str, data: bytes, off: int, size: int) -> Any:
    """One variable part (``size`` > 0 bytes at ``off``) as its value: a NUL-terminated UTF-16 string
    (``kind == "str"``) or the bytes; malformed when outside ``data`` or not such a string. Both decoders
    (the construct oracle and the struct fast path) read the parts through this one rule."""
    if off + size > len(data):
        raise _malformed(f"{c_name}.{name}: {size} bytes at offset {off} lie outside the {len(data)} bytes")
    raw = data[off : off + size]
    if kind != "str":
        return raw
    if size % 2 or raw[-2:] != b"\0\0":
        raise _malformed(f"{c_name}.{name}: {size} bytes are not a NUL-terminated UTF-16 string")
    try:
        text = raw[:-2].decode("utf-16-le")
    except UnicodeDecodeError as exc:
        raise _malformed(f"{c_name}.{name}: invalid UTF-16: {exc}") from None
    if "\x00" in text:
        raise _malformed(f"{c_name}.{name}: NUL inside the string")
    return text


def _make(pyname: str, cname: str, doc: str) -> type:
    fields, var, sizes = FIELDS[cname]
    var_storage = {f"{n}_{p}" for n, _ in var for p in ("size", "offset")}
    fixed_fields = tuple((n, k) for n, k in fields if n not in var_storage)
    schema = _schema(cname)
    full = schema.sizeof()
    if full != sizes[-1][1]:
        raise AssertionError(f"{cname}: schema is {full} bytes, the declared size is {sizes[-1][1]}")
    attributes = {n: attrs.field(default=_DEFAULTS[k]) for n, k in fixed_fields}
    attributes.update({n: attrs.field(default=None) for n, _ in var})
    cls = attrs.make_class(pyname, attributes, bases=(_VarStruct,), frozen=True, kw_only=True, slots=False)
    cls.__doc__ = doc
    cls.__module__ = __name__
    cls.C_NAME = cname
    cls.FIXED_SIZE = full
    cls.MIN_SIZE = sizes[0][1]
    cls.SCHEMA = schema
    cls.LAYOUT = fp.layout(schema, cname)
    cls.FIXED_FIELDS = fixed_fields
    cls.VAR_FIELDS = tuple(var)
    cls.SIZES = sizes
    _derive_fast_codec(cls)
    return cls


_ENCODE_ERRORS = (struct.error, TypeError, ValueError, OverflowError, KeyError, AttributeError)


def _derive_fast_codec(cls: Any) -> None:
    """The struct fast path's generated parts, from the class's declarations: ``_TO_BYTES(obj)`` encodes
    (the variable parts checked and laid out in VAR_FIELDS order, the fixed part's attributes through
    ``_TO_WIRE`` in the fixed fields' order, as :meth:`_VarStruct._values`); ``_MAKE(v, adapted, values)``
    builds the object from the unpacked tuple, the ``_FROM_WIRE``-adapted fields and the variable parts."""
    names = cls.LAYOUT.names
    var_index = {name: 2 * k for k, (name, _) in enumerate(cls.VAR_FIELDS)}
    slot_of = {}
    for name, k in var_index.items():
        slot_of[f"{name}_size"], slot_of[f"{name}_offset"] = k, k + 1
    kinds = dict(cls.FIXED_FIELDS)
    env: dict[str, Any] = {"_pack": cls.LAYOUT.struct.pack, "_part": _part_bytes, "_C_NAME": cls.C_NAME,
                           "_SIZES": frozenset(size for _, size in cls.SIZES), "_ERRORS": _ENCODE_ERRORS,
                           "_Local": LocalProtocolError, "_PAD": (b"", b"\0", b"\0\0", b"\0\0\0")}
    # the variable parts in VAR_FIELDS order (d = bytes, z = size, o = offset), then the fixed size, the
    # offsets, and one pack of the fixed part followed by the parts and their padding
    lines = ["def to_bytes(self):", "  try:"]
    for k, (name, kind) in enumerate(cls.VAR_FIELDS):
        lines += [f"    v = self.{name}", '    if v is None or v == "" or v == b"":', f"        d{k} = b''; z{k} = o{k} = 0",
                  "    else:", f"        d{k} = _part(_C_NAME, {name!r}, {kind!r}, v); z{k} = len(d{k})"]
    ks = range(len(cls.VAR_FIELDS))
    lines.append("    fixed = self.used_size" + "".join(f" - ((z{k} + 3) & ~3)" for k in ks))
    lines += ["    if fixed not in _SIZES:", "        self._values()  # raises, worded as the reference path words it", "    pos = fixed"]
    for k in ks:
        lines += [f"    if z{k}:", f"        o{k} = pos; pos += (z{k} + 3) & ~3"]
    args = []
    for name in names:
        if name in slot_of:
            args.append(("z" if slot_of[name] % 2 == 0 else "o") + str(slot_of[name] // 2))
        elif kinds[name] == "u32":
            args.append(f"self.{name}")
        else:
            env[f"_to_{name}"] = _TO_WIRE[kinds[name]]
            args.append(f"_to_{name}(self.{name})")
    parts = "".join(f", d{k}, _PAD[-z{k} & 3]" for k in ks)
    lines += [f"    return b''.join((_pack({', '.join(args)})[:fixed]{parts},))",
              "  except _ERRORS as exc:", "    raise _Local(f'cannot encode {_C_NAME}: {exc}') from None"]
    exec("\n".join(lines), env)  # noqa: S102 - generated from the declarations only
    cls._TO_BYTES = env["to_bytes"]
    position = {name: i for i, name in enumerate(names)}
    cls._VAR_SLOTS = tuple((position[f"{n}_size"], position[f"{n}_offset"]) for n, _ in cls.VAR_FIELDS)
    adapted = [(position[n], _FROM_WIRE[k]) for n, k in cls.FIXED_FIELDS if k != "u32"]
    cls._ADAPTED = tuple(adapted)
    adapted_names = [n for n, k in cls.FIXED_FIELDS if k != "u32"]
    order = [n for n, _ in cls.FIXED_FIELDS] + [n for n, _ in cls.VAR_FIELDS]
    values = [f"a[{adapted_names.index(n)}]" if n in adapted_names else f"v[{position[n]}]" for n, _ in cls.FIXED_FIELDS]
    values += [f"x[{k}]" for k in range(len(cls.VAR_FIELDS))]
    env = {"_make": fp.constructor(cls, order)}
    exec(f"def make(v, a, x):\n    return _make({', '.join(values)})", env)  # noqa: S102 - from declarations only
    cls._MAKE = staticmethod(env["make"])


CallInfo = _make("CallInfo", "LINECALLINFO", "LINECALLINFO (296 / 324 / 344 by version; call-facts §3.2).")
CallStatus = _make("CallStatus", "LINECALLSTATUS", "LINECALLSTATUS (36 below 2.0, else 56).")
DevCaps = _make("DevCaps", "LINEDEVCAPS", "LINEDEVCAPS (252 for 2.0/2.1, 268 for 2.2, 292 for 3.x).")
AddressCaps = _make("AddressCaps", "LINEADDRESSCAPS", "LINEADDRESSCAPS (180 below 2.0, else 228).")
AddressStatus = _make("AddressStatus", "LINEADDRESSSTATUS", "LINEADDRESSSTATUS (64).")
LineDevStatus = _make("LineDevStatus", "LINEDEVSTATUS", "LINEDEVSTATUS (76 below 2.0, else 88).")

CALL_STRUCT_CLASSES: tuple[type, ...] = (CallInfo, CallStatus, DevCaps, AddressCaps, AddressStatus, LineDevStatus)


def construct_encode(obj: Any) -> bytes:
    """:meth:`to_bytes` done by the construct schema: the reference the fast path is compared with."""
    def pack(values: dict[str, Any]) -> bytes:
        try:
            return obj.SCHEMA.build(values)  # type: ignore[no-any-return]
        except (c.ConstructError, struct.error, TypeError, ValueError, OverflowError) as exc:
            raise LocalProtocolError(f"cannot encode {obj.C_NAME}: {exc}") from None
    return obj._encode(pack)  # type: ignore[no-any-return]


def construct_decode(cls: Any, data: bytes) -> Any:
    """:meth:`from_bytes` done by the construct schema."""
    return cls._decode(data, cls.SCHEMA.parse)
