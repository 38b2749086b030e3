"""The two engines that turn the fixed part of a construct layout into bytes and back.

Every layout is defined once, as a construct schema (:mod:`protocol.schemas`). The codec reads and writes
fixed parts only through an engine, in *flat* form: one value per field in byte order (an ``Array``
field contributes one value per element, as in :class:`protocol.fastpath.FixedLayout`); the trailing
VarData (a ``GreedyBytes`` field) is never part of it - the caller appends / slices it.

* :data:`CONSTRUCT` runs the construct schemas themselves: the reference (test oracle).
* :data:`STRUCT` runs the ``struct.Struct`` twin derived from each schema at import
  (:func:`protocol.fastpath.layout`, checked against construct on a sample); it also lets the codec
  build specialised per-class plans (``fast``), see :mod:`protocol.bodies`.

Both raise only the exceptions in :data:`ENCODE_ERRORS` for values they cannot pack; the codec turns
those into LocalProtocolError. Unpacking is only ever asked of input whose length the codec has checked.
"""

from __future__ import annotations

import struct
from typing import Any, Callable

import construct as c

from protocol import fastpath as fp

__all__ = ["Engine", "CONSTRUCT", "STRUCT", "ENCODE_ERRORS", "DECODE_ERRORS"]

#: What packing a value that does not fit its field raises (construct's compiled FormatFields use struct).
ENCODE_ERRORS = (c.ConstructError, struct.error, TypeError, ValueError, OverflowError)
#: The decoding failures that mean "these bytes are malformed" (everything else is a bug and propagates).
DECODE_ERRORS = (c.ConstructError, struct.error, UnicodeDecodeError)

Unpacker = Callable[[bytes, int], tuple]
Packer = Callable[..., bytes]


class Engine:
    """``unpacker(schema)(data, offset)`` -> flat tuple of the fixed part at ``offset``;
    ``packer(schema)(*flat)`` -> the fixed part's bytes; ``joined_packer(first, second)(*flat)`` -> the
    fixed parts of two schemas back to back (a frame header and its body)."""

    name: str
    #: True when the codec may use per-class plans that bypass the flat form (the struct engine).
    fast: bool

    def unpacker(self, schema: Any) -> Unpacker:  # pragma: no cover - abstract
        raise NotImplementedError

    def packer(self, schema: Any) -> Packer:  # pragma: no cover - abstract
        raise NotImplementedError

    def joined_packer(self, first: Any, second: Any) -> Packer:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{self.name} engine>"


class _StructEngine(Engine):
    name = "struct"
    fast = True

    def unpacker(self, schema: Any) -> Unpacker:
        return fp.layout(schema).struct.unpack_from

    def packer(self, schema: Any) -> Packer:
        return fp.layout(schema).struct.pack

    def joined_packer(self, first: Any, second: Any) -> Packer:
        return fp.precompiled(fp.layout(first).format + fp.layout(second).format[1:]).pack


def _groups(schema: Any) -> tuple[list[tuple[str, int | None]], str | None, int]:
    """(field name, element count or None for a scalar) of each fixed field, the tail name, fixed size."""
    lay = fp.layout(schema)
    inner = schema
    while isinstance(inner, (c.Compiled, c.Renamed)):
        inner = inner.defersubcon if isinstance(inner, c.Compiled) else inner.subcon
    groups: list[tuple[str, int | None]] = []
    for sub in inner.subcons:
        if sub.name == lay.tail:
            continue
        core = sub
        while isinstance(core, (c.Compiled, c.Renamed)):
            core = core.defersubcon if isinstance(core, c.Compiled) else core.subcon
        groups.append((sub.name, core.count if isinstance(core, c.Array) else None))
    return groups, lay.tail, lay.size


class _ConstructEngine(Engine):
    name = "construct"
    fast = False

    def unpacker(self, schema: Any) -> Unpacker:
        groups, _tail, size = _groups(schema)

        def unpack(data: bytes, offset: int = 0) -> tuple:
            v = schema.parse(bytes(data[offset : offset + size]))
            flat: list[Any] = []
            for name, count in groups:
                flat.extend(v[name]) if count is not None else flat.append(v[name])
            return tuple(flat)

        return unpack

    def packer(self, schema: Any) -> Packer:
        groups, tail_name, _size = _groups(schema)

        def pack(*flat: Any) -> bytes:
            values: dict[str, Any] = {}
            pos = 0
            for name, count in groups:
                if count is None:
                    values[name] = flat[pos]
                    pos += 1
                else:
                    values[name] = list(flat[pos : pos + count])
                    pos += count
            if tail_name is not None:
                values[tail_name] = b""
            return schema.build(values)  # type: ignore[no-any-return]

        return pack

    def joined_packer(self, first: Any, second: Any) -> Packer:
        head, body = self.packer(first), self.packer(second)
        n = len(fp.layout(first).names)

        def pack(*flat: Any) -> bytes:
            return head(*flat[:n]) + body(*flat[n:])

        return pack


#: The construct schemas themselves: the reference the property tests compare the struct engine with.
CONSTRUCT: Engine = _ConstructEngine()
#: The derived ``struct.Struct`` layouts: what the public codec functions use.
STRUCT: Engine = _StructEngine()
