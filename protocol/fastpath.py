"""The codec's fast path: ``struct.Struct`` twins of the construct schemas and positional constructors.

construct stays the single definition of every byte layout (:mod:`protocol.schemas`). Parsing with it
costs 5-30 us per structure, against well under 1 us for ``struct``; so at import this module *derives*,
from each fixed-size construct schema, a precompiled ``struct.Struct`` with the same field order, sizes
and formats (:func:`layout`), and checks on a sample that construct and the derived struct produce the
same bytes and read back the same values. A layout that construct cannot express as plain fixed fields
(``this.n``-sized bytes, anything conditional) is refused with TypeError, so the codec keeps construct
for it.

The other cost of decoding is building the frozen attrs objects: their keyword-only ``__init__`` spends
about 2 us on keyword arguments alone for a 17-field structure. :func:`constructor` generates a
positional constructor for such a class once (the same technique attrs uses for ``__init__``): it
applies the class's converters and defaults exactly as ``__init__`` does and stores the values directly
(in the slots, or in the instance dict of a ``slots=False`` class).

Both are plain functions of their input (no I/O, no global state besides an import-time cache keyed by
the schema object). The property tests in ``tests/unit/test_fastpath*.py`` prove that the fast path and
the construct path give identical bytes and identical objects.
"""

from __future__ import annotations

import struct
from typing import Any, Callable

import attrs
import construct as c

__all__ = ["FixedLayout", "layout", "constructor", "packer", "stores_in_dict", "NotFixedError"]


class NotFixedError(TypeError):
    """The construct schema has a part whose size or format is not fixed (keep construct for it)."""


def _unwrap(schema: Any) -> Any:
    """The interpreted schema behind a compiled one (``Compiled.defersubcon``) or a ``Renamed``."""
    while True:
        if isinstance(schema, c.Compiled):
            schema = schema.defersubcon
        elif isinstance(schema, c.Renamed):
            schema = schema.subcon
        else:
            return schema


def _field_format(sub: Any, what: str) -> list[str]:
    """struct format codes (one per value) of one fixed-size construct field."""
    sub = _unwrap(sub)
    if isinstance(sub, c.FormatField):
        fmt = sub.fmtstr
        if fmt[0] != "<" or len(fmt) != 2:
            raise NotFixedError(f"{what}: only little-endian single-value fields are supported, got {fmt!r}")
        return [fmt[1]]
    if isinstance(sub, c.Bytes):
        if not isinstance(sub.length, int):
            raise NotFixedError(f"{what}: Bytes of variable length")
        return [f"{sub.length}s"]
    if isinstance(sub, c.Array):
        if not isinstance(sub.count, int):
            raise NotFixedError(f"{what}: Array of variable count")
        return _field_format(sub.subcon, what) * sub.count
    raise NotFixedError(f"{what}: {type(sub).__name__} is not a fixed-size field")


class FixedLayout:
    """The ``struct`` twin of a construct ``Struct`` of fixed-size fields (optionally followed by one
    ``GreedyBytes`` field, the ``tail``).

    ``names``: one name per unpacked value, in byte order (an ``Array`` field ``params`` of 13 values
    becomes ``params[0]`` .. ``params[12]``); ``codes``: the struct code of each. ``struct``: the
    precompiled little-endian ``struct.Struct`` of the fixed part; ``size``: its byte count. ``tail``:
    the name of the trailing GreedyBytes field, or None.
    """

    __slots__ = ("name", "names", "codes", "tail", "format", "struct", "size")

    def __init__(self, name: str, names: tuple[str, ...], codes: tuple[str, ...], tail: str | None) -> None:
        self.name = name
        self.names = names
        self.codes = codes
        self.tail = tail
        self.format = "<" + "".join(codes)
        self.struct = precompiled(self.format)
        self.size = self.struct.size

    def __repr__(self) -> str:
        return f"FixedLayout({self.name!r}, {self.format!r}, tail={self.tail!r})"

    def index(self, name: str) -> int:
        """Position of field ``name`` in the unpacked tuple."""
        return self.names.index(name)

    def format_of(self, fields: dict[str, str]) -> str:
        """This layout's format with the codes of some fields replaced (e.g. ``{"reserved1": "4x"}``
        turns a reserved DWORD into padding: packed as zeros, skipped when unpacking)."""
        unknown = set(fields) - set(self.names)
        if unknown:
            raise KeyError(f"{self.name} has no field(s) {sorted(unknown)}")
        return "<" + "".join(fields.get(n, code) for n, code in zip(self.names, self.codes))

    def pack_dict(self, values: dict[str, Any]) -> bytes:
        """Bytes of ``values`` (a construct-style dict, tail included when there is one)."""
        data = self.struct.pack(*[values[n] for n in self.names])
        return data + bytes(values[self.tail]) if self.tail is not None else data

    def unpack_dict(self, data: bytes, offset: int = 0) -> dict[str, Any]:
        """construct-style dict of the fields at ``offset`` (tail = everything after the fixed part)."""
        values = dict(zip(self.names, self.struct.unpack_from(data, offset)))
        if self.tail is not None:
            values[self.tail] = bytes(data[offset + self.size :])
        return values


_STRUCTS: dict[str, struct.Struct] = {}
_LAYOUTS: dict[int, tuple[Any, FixedLayout]] = {}


def precompiled(fmt: str) -> struct.Struct:
    """A shared precompiled ``struct.Struct`` for ``fmt`` (e.g. one joining two derived layouts)."""
    s = _STRUCTS.get(fmt)
    if s is None:
        s = _STRUCTS[fmt] = struct.Struct(fmt)
    return s


def layout(schema: Any, name: str = "") -> FixedLayout:
    """Derive (once per schema object) the :class:`FixedLayout` of a construct ``Struct``.

    Raises NotFixedError when a field is not of fixed size and format, and AssertionError when the
    derived struct disagrees with construct on the check sample (which would be a bug here).
    """
    cached = _LAYOUTS.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    inner = _unwrap(schema)
    if not isinstance(inner, c.Struct):
        raise NotFixedError(f"{name or schema!r}: not a construct Struct")
    names: list[str] = []
    codes: list[str] = []
    tail = None
    subcons = list(inner.subcons)
    for i, sub in enumerate(subcons):
        field = sub.name
        if field is None:
            raise NotFixedError(f"{name}: unnamed field {i}")
        if _unwrap(sub) is c.GreedyBytes:
            if i != len(subcons) - 1:
                raise NotFixedError(f"{name}.{field}: GreedyBytes must be the last field")
            tail = field
            continue
        fmt = _field_format(sub, f"{name}.{field}")
        if len(fmt) == 1:
            names.append(field)
        else:
            names.extend(f"{field}[{k}]" for k in range(len(fmt)))
        codes.extend(fmt)
    result = FixedLayout(name or repr(inner), tuple(names), tuple(codes), tail)
    _check(schema, inner, result)
    _LAYOUTS[id(schema)] = (schema, result)
    return result


def _sample(code: str, i: int) -> Any:
    """A value for field code ``code`` at position ``i`` that is distinct per field and fits the code."""
    if code.endswith("s"):
        return bytes((i * 7 + k) & 0xFF for k in range(int(code[:-1])))
    if code in "fd":
        return i + 0.25
    bits = struct.calcsize("<" + code) * 8
    signed = code.islower()
    value = (0x9E3779B97F4A7C15 * (i + 1)) & ((1 << bits) - 1)
    if signed and value >= 1 << (bits - 1):
        value -= 1 << bits
    return value


def _check(schema: Any, inner: c.Struct, lay: FixedLayout) -> None:
    """construct and the derived struct must agree, both ways, on a sample with distinct field values."""
    flat = [_sample(code, i) for i, code in enumerate(lay.codes)]
    values: dict[str, Any] = {}
    pos = 0
    for sub in inner.subcons:
        if sub.name == lay.tail:
            values[sub.name] = b"TAIL"
            continue
        count = len(_field_format(sub, sub.name))
        values[sub.name] = flat[pos : pos + count] if isinstance(_unwrap(sub), c.Array) else flat[pos]
        pos += count
    by_construct = schema.build(values)
    by_struct = lay.struct.pack(*flat) + (b"TAIL" if lay.tail is not None else b"")
    assert by_construct == by_struct, f"{lay.name}: derived struct {lay.format!r} packs differently"
    parsed = schema.parse(by_struct)
    read_back: list[Any] = []
    for sub in inner.subcons:
        if sub.name != lay.tail:
            value = parsed[sub.name]
            read_back.extend(value) if isinstance(_unwrap(sub), c.Array) else read_back.append(value)
    assert read_back == list(lay.struct.unpack_from(by_struct)), f"{lay.name}: {lay.format!r} unpacks differently"


# --- positional constructors -----------------------------------------------------------------------------


def constructor(
    cls: type,
    order: tuple[str, ...] | list[str] | None = None,
    adapters: dict[str, Callable[[Any], Any]] | None = None,
    unpack: struct.Struct | None = None,
    short: Callable[[int], BaseException] | None = None,
    offset: int = 0,
    envelope: tuple[type, str, tuple[str, ...]] | None = None,
) -> Callable[..., Any]:
    """A function ``make(*values)`` returning ``cls(**dict(zip(order, values)))`` without the keyword cost.

    ``order`` (default: every attrs field in definition order) names the positional parameters; fields not
    in it get their default (``attrs.Factory`` defaults are called). Converters run exactly as in the
    attrs ``__init__``. ``adapters`` maps some names in ``order`` to a function applied to the value
    first (a wire value -> the field's type: ``cls(**{name: adapter(value)})``). With ``unpack`` (a
    struct giving exactly ``len(order)`` values) the function takes the bytes instead: ``make(data)`` =
    ``make(*unpack.unpack_from(data))``, in one call; the caller checks the length, or passes ``short``:
    then data shorter than ``unpack.size`` raises ``short(len(data))`` instead of ``struct.error``.
    ``offset``: where in ``data`` the values start (``unpack.unpack_from(data, offset)``).
    ``envelope = (outer, field, lead)``: the function returns ``outer(**dict(zip(lead, leading)), field=obj)``
    built around the object in the same call, the values of ``lead`` as its first parameters
    (``make(sequence, data)`` -> ``Request(sequence, body)``).

    Needs an attrs class without validators, ``__attrs_pre_init__`` / ``__attrs_post_init__`` or hash
    caching, either slotted (values stored through the slot descriptors) or with an instance ``__dict__``
    and no slots of its own (values stored in the dict, as attrs' own ``__init__`` does for frozen dict
    classes); for anything else the returned function simply calls ``cls`` with keywords (correct, not
    faster).
    """
    if envelope is not None:
        return _enveloped(cls, order, adapters, unpack, short, offset, envelope)
    fields = attrs.fields(cls)
    order = tuple(f.name for f in fields) if order is None else tuple(order)
    by_name = {f.name: f for f in fields}
    unknown = set(order) - {name for name, f in by_name.items() if f.init}
    if unknown:
        raise ValueError(f"{cls.__name__} has no init field(s) {sorted(unknown)}")

    adapters = dict(adapters or {})
    if set(adapters) - set(order):
        raise ValueError(f"adapters for names not in order: {sorted(set(adapters) - set(order))}")

    if unpack is not None and len(unpack.unpack_from(bytes(offset + unpack.size), offset)) != len(order):
        raise ValueError(f"{unpack.format!r} does not give the {len(order)} values of {order}")

    def by_values(*values: Any) -> Any:
        return cls(**{n: adapters[n](v) if n in adapters else v for n, v in zip(order, values)})

    if unpack is None:
        by_keywords = by_values
    else:

        def by_keywords(data: bytes) -> Any:  # type: ignore[misc]
            if short is not None and len(data) < unpack.size:  # type: ignore[union-attr]
                raise short(len(data))
            return by_values(*unpack.unpack_from(data, offset))  # type: ignore[union-attr]

    slots = {name for klass in cls.__mro__ for name in getattr(klass, "__slots__", ())} - {"__weakref__"}
    in_dict = "__dict__" in dir(cls) and not slots  # a dict class (mixins with empty __slots__ allowed)
    if (
        not (slots or in_dict)
        or hasattr(cls, "__attrs_post_init__")
        or hasattr(cls, "__attrs_pre_init__")
        or any(f.validator is not None for f in fields)
        or not slots <= {f.name for f in fields}
        or "_attrs_cached_hash" in getattr(getattr(cls.__init__, "__code__", None), "co_consts", ())
    ):
        return by_keywords
    env: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    params = [f"a{i}" for i in range(len(order))]
    if unpack is None:
        lines = [f"def make({', '.join(params)}):", "    self = _new(_cls)"]
    else:
        env["_unpack_from"] = unpack.unpack_from
        lines = ["def make(data):", f"    {', '.join(params)}, = _unpack_from(data, {int(offset)})", "    self = _new(_cls)"]
        if short is not None:  # unpack_from refuses short data: the check costs nothing until then
            env.update(_short=short, _struct_error=struct.error)
            lines[1:2] = ["    try:", "    " + lines[1], "    except _struct_error:", "        raise _short(len(data)) from None"]
    if in_dict:
        lines.append("    d = self.__dict__")
    for f in fields:
        if f.name in order:
            expr = params[order.index(f.name)]
            if f.name in adapters:
                env[f"_adapt_{f.name}"] = adapters[f.name]
                expr = f"_adapt_{f.name}({expr})"
        else:
            default = f.default
            if default is attrs.NOTHING:
                return by_keywords  # a required field missing from ``order``: let __init__ complain
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                if default.takes_self:
                    return by_keywords
                env[f"_factory_{f.name}"] = default.factory
                expr = f"_factory_{f.name}()"
            else:
                env[f"_default_{f.name}"] = default
                expr = f"_default_{f.name}"
        conv = f.converter
        if conv is not None:  # attrs converts defaults and init=False fields too
            if isinstance(conv, attrs.Converter):
                if conv.takes_self or conv.takes_field:
                    return by_keywords
                conv = conv.converter
            env[f"_conv_{f.name}"] = conv
            expr = f"_conv_{f.name}({expr})"
        if in_dict:
            lines.append(f"    d[{f.name!r}] = {expr}")
        else:
            env[f"_set_{f.name}"] = getattr(cls, f.name).__set__
            lines.append(f"    _set_{f.name}(self, {expr})")
    lines.append("    return self")
    source = "\n".join(lines)
    exec(source, env)  # noqa: S102 - generated from attrs metadata only, like attrs' own __init__
    make = env["make"]
    make.__doc__ = f"Positional constructor of {cls.__name__}: ({', '.join(order)})."
    make.__source__ = source  # type: ignore[attr-defined]
    return make


def stores_in_dict(cls: type) -> bool:
    """Whether instances of attrs class ``cls`` keep every field in their ``__dict__`` (a dict class with no
    slots of its own and no field shadowed by a class attribute that is a descriptor)."""
    slots = {name for klass in cls.__mro__ for name in getattr(klass, "__slots__", ())} - {"__weakref__"}
    return (
        attrs.has(cls) and "__dict__" in dir(cls) and not slots
        and not any(hasattr(type(getattr(cls, f.name, None)), "__get__") for f in attrs.fields(cls))
    )


def _plain(cls: type, names: tuple[str, ...]) -> bool:
    """An attrs dict class whose init fields are exactly ``names``, stored as they are given."""
    fields = attrs.fields(cls)
    slots = {name for klass in cls.__mro__ for name in getattr(klass, "__slots__", ())} - {"__weakref__"}
    return (
        "__dict__" in dir(cls) and not slots and {f.name for f in fields} == set(names) and len(fields) == len(names)
        and all(f.init and f.converter is None and f.validator is None for f in fields)
        and not hasattr(cls, "__attrs_post_init__") and not hasattr(cls, "__attrs_pre_init__")
        and "_attrs_cached_hash" not in getattr(getattr(cls.__init__, "__code__", None), "co_consts", ())
    )


def _enveloped(cls: type, order: Any, adapters: Any, unpack: Any, short: Any, offset: int,
               envelope: tuple[type, str, tuple[str, ...]]) -> Callable[..., Any]:
    """:func:`constructor` with ``envelope``: the inner constructor's code and the outer object's stores in
    one generated function when both classes allow it, else the two constructors called in turn."""
    outer, field, lead = envelope
    inner = constructor(cls, order, adapters, unpack, short, offset)
    for name in lead:
        if not name.isidentifier() or name in ("data", "self", "outer", "d") or name.startswith(("a", "_")):
            raise ValueError(f"not a usable leading name: {name!r}")
    code = getattr(inner, "__code__", None)
    if not _plain(outer, (*lead, field)) or code is None or code.co_filename != "<string>" or unpack is None:
        make_outer = constructor(outer, (*lead, field))

        def wrapped(*values: Any) -> Any:
            return make_outer(*values[:-1], inner(values[-1]))

        return wrapped
    # the inner constructor's generated source, given the leading parameters, ending in the outer's stores
    source = inner.__source__  # type: ignore[attr-defined]
    head, rest = source.split("\n", 1)
    assert head == "def make(data):" and rest.endswith("    return self")
    outer_names = [f.name for f in attrs.fields(outer)]
    stores = ["    outer = _new(_outer)", "    d = outer.__dict__"]
    stores += [f"    d[{n!r}] = {'self' if n == field else n}" for n in outer_names]
    lines = [f"def make({', '.join((*lead, 'data'))}):", rest[: -len("    return self")].rstrip("\n"), *stores, "    return outer"]
    env = dict(inner.__globals__)
    env["_outer"] = outer
    exec("\n".join(lines), env)  # noqa: S102 - generated from attrs metadata only
    make = env["make"]
    make.__doc__ = f"{outer.__name__}({', '.join(lead)}, {field}={cls.__name__} from the bytes)."
    return make  # type: ignore[no-any-return]


def packer(
    struct_pack: Callable[..., bytes],
    names: tuple[str, ...],
    adapters: dict[str, Callable[[Any], Any]],
    errors: tuple[type[BaseException], ...] = (),
    fail: Callable[[BaseException], BaseException] | None = None,
    lead: tuple[str, ...] = (),
    first: tuple[Any, ...] = (),
    from_dict: bool = False,
) -> Callable[..., bytes]:
    """A function ``pack(obj)`` = ``struct_pack(*values)`` where the values are the attributes ``names`` of
    ``obj`` in order, each passed through ``adapters[name]`` when there is one (field -> wire value).
    Generated once, like :func:`constructor`: one attribute load per field, no intermediate list.

    An adapter with a ``memo`` attribute ``(type, dict)`` (see :mod:`protocol.adapters`) is read from its
    memo first: for a value of exactly that type found in the dict, the stored result; the adapter itself
    otherwise. With ``errors`` and ``fail``, an exception of those classes raised while packing becomes
    ``raise fail(exc) from None`` (the caller's wording, without another call level).

    ``lead`` names parameters before ``obj`` and ``first`` the values packed before the attributes, each
    one of those parameter names or a constant int: ``packer(p, ("a",), {}, lead=("kind", "seq"),
    first=(76, "kind", 0, "seq"))`` is ``pack(kind, seq, obj)`` = ``p(76, kind, 0, seq, obj.a)``.

    ``from_dict``: read the values from ``obj.__dict__`` (one dict subscript each, cheaper than an
    attribute load on CPython 3.11) - only for objects of an attrs dict class, whose fields live there."""
    env: dict[str, Any] = {"_pack": struct_pack, "_fail": fail, "_ERRORS": errors}
    body, args = [], []
    for name in (*lead, *names):
        if not name.isidentifier() or name in ("obj", "d", "exc") or name.startswith("_") or name.startswith("v_"):
            raise ValueError(f"not a usable name: {name!r}")
    for value in first:
        if not (value in lead if isinstance(value, str) else type(value) is int):
            raise ValueError(f"a leading value must be a parameter in lead or an int: {value!r}")
        args.append(value if isinstance(value, str) else repr(value))
    if from_dict:
        body.append("d = obj.__dict__")
    for name in names:
        read = f"d[{name!r}]" if from_dict else f"obj.{name}"
        if name not in adapters:
            args.append(read)
            continue
        env[f"_adapt_{name}"] = adapters[name]
        memo = getattr(adapters[name], "memo", None)
        if memo is None:
            args.append(f"_adapt_{name}({read})")
            continue
        env[f"_type_{name}"], env[f"_memo_{name}"] = memo
        v = f"v_{name}"
        body += [f"{v} = {read}", f"if type({v}) is _type_{name}:", "    try:", f"        {v} = _memo_{name}[{v}]",
                 "    except (KeyError, TypeError):", f"        {v} = _adapt_{name}({v})",
                 "else:", f"    {v} = _adapt_{name}({v})"]
        args.append(v)
    body.append("return _pack(" + ", ".join(args) + ")")
    if fail is not None:
        body = ["try:", *("    " + line for line in body), "except _ERRORS as exc:", "    raise _fail(exc) from None"]
    source = f"def pack({', '.join((*lead, 'obj'))}):\n" + "".join(f"    {line}\n" for line in body)
    exec(source, env)  # noqa: S102 - generated from field names only
    return env["pack"]  # type: ignore[no-any-return]
