"""The one declaration of every message: attrs fields that carry their wire placement as metadata.

A request body is an ordinary attrs class whose fields are made with the helpers below; each helper
records, in the field's metadata, *where* the value sits in the 60-byte TAPI32_MSG fixed part (the byte
offset of its parameter DWORD) and *what kind* of value it is (a plain DWORD, a handle, the struct
context or buffer size of a data-returning function, an (out) value, a string / GUID / buffer in VarData
with its offset - and size DWORD - in the fixed part). :func:`request` turns the class into a frozen
attrs class and derives from those fields everything the rest of the protocol package needs:

* ``REQ_FUNC``, ``ASYNC``, ``PARAMS`` (the :class:`~protocol.schemas.Param` tuple in declaration order),
  from which :func:`protocol.schemas.request_schema` builds the construct schema and the codec derives
  its struct layout and per-class fast plan;
* ``STRUCT`` (data-returning functions: the structure the LINE_REPLY carries), ``RETURNS_HANDLE``
  (CreateAgent / CreateAgentSession: the LINE_REPLY carries a new handle), ``CONTEXT_FIELD`` /
  ``SIZE_FIELD`` and the uniform ``struct_context`` / ``buffer_size`` properties.

ASYNCEVENTMSG views are declared the same way with :func:`slot` / :func:`record_data` fields and the
:func:`event` decorator, which generates ``to_wire`` / ``from_wire`` (and ``to_generic`` /
``from_generic``) from the slot of each field - the one statement of a view's shape rule. See
docs/extending.md for a worked example.
"""

from __future__ import annotations

import enum
import re
from typing import Any, Callable

import attrs

from protocol.schemas import PARAM_OFFSETS, Param, ParamRole, VarKind

__all__ = [
    "PARAM",
    "RECORD_SLOT",
    "dword",
    "handle",
    "request_id",
    "struct_context",
    "buffer_size",
    "string",
    "optional_string",
    "guid",
    "out_buffer",
    "in_struct",
    "reply_struct",
    "REPLY",
    "request",
    "RequestBody",
    "HANDLE",
    "RECORD_SLOTS",
    "slot",
    "record_data",
    "event",
]

#: attrs metadata key of a request field's placement: a dict of :class:`Param` keywords without ``name``.
PARAM = "protocol.param"
#: attrs metadata key of a sync function's returned structure (:func:`reply_struct`): the structure class.
REPLY = "protocol.reply"
#: attrs metadata key of an event record field's ASYNCEVENTMSG slot (``"param1"``, ..., ``"vardata"``).
RECORD_SLOT = "protocol.record_slot"


def _param(offset: int, default: Any, kind: VarKind = VarKind.U32, *, out: bool = False,
           role: ParamRole | None = None, size_offset: int | None = None, converter: Any = None) -> Any:
    if offset not in PARAM_OFFSETS:
        raise ValueError(f"parameter offset {offset} is not one of the 13 DWORDs 8..56 of the fixed part")
    meta = {PARAM: dict(offset=offset, kind=kind, size_offset=size_offset, out=out, role=role)}
    return attrs.field(default=default, converter=converter, metadata=meta)


def dword(offset: int, default: Any = attrs.NOTHING, *, out: bool = False, converter: Any = None) -> Any:
    """A plain DWORD parameter at ``offset`` (``out``: the server fills it in the RESPONSE)."""
    return _param(offset, default, out=out, converter=converter)


def handle(offset: int, default: Any = attrs.NOTHING, *, out: bool = False) -> Any:
    """A handle (hLineApp, hLine, hAgent, hAgentSession, ...) as a DWORD at ``offset``."""
    return _param(offset, default, out=out, role=ParamRole.HANDLE)


def request_id(offset: int = 8) -> Any:
    """The request ID DWORD of an asynchronous function (0 in a REQUEST; the RESPONSE returns it)."""
    return _param(offset, 0, role=ParamRole.REQUEST_ID)


def struct_context(offset: int, default: Any = 0) -> Any:
    """The DWORD the server echoes as Param3 of the LINE_REPLY (``body.struct_context``)."""
    return _param(offset, default, role=ParamRole.CONTEXT)


def buffer_size(offset: int, default: Any) -> Any:
    """The client's buffer size for the returned structure (``body.buffer_size``, its dwTotalSize)."""
    return _param(offset, default, role=ParamRole.SIZE)


def string(offset: int, default: Any = attrs.NOTHING) -> Any:
    """A required UTF-16LE string in VarData; ``offset`` holds its VarData offset."""
    return _param(offset, default, VarKind.STR)


def optional_string(offset: int, default: Any = None) -> Any:
    """Like :func:`string`, or 0xFFFFFFFF in the fixed part = absent (None)."""
    return _param(offset, default, VarKind.OPTSTR)


def guid(offset: int, default: Any = attrs.NOTHING, *, size_offset: int | None = None) -> Any:
    """A 16-byte GUID in VarData (``uuid.UUID``); ``size_offset``: its size DWORD (must be 16), if any."""
    return _param(offset, default, VarKind.GUID, size_offset=size_offset)


def out_buffer(offset: int, size_offset: int, default: Any) -> Any:
    """An (out) buffer in VarData: offset at ``offset``, size DWORD at ``size_offset``."""
    return _param(offset, default, VarKind.OUTBUF, size_offset=size_offset, out=True)


def in_struct(offset: int) -> Any:
    """A TAPI structure sent in VarData (bytes; its length is its dwTotalSize); b"" = none (0xFFFFFFFF)."""
    return _param(offset, b"", VarKind.INSTRUCT, converter=bytes)
def _pad4(value: bytes) -> bytes:
    data = bytes(value)
    return data + bytes(-len(data) & 3)


def reply_struct(struct_cls: type) -> Any:
    """The structure a *synchronous* Get* function returns in its RESPONSE (wire-protocol §9.2): not a
    parameter DWORD but the RESPONSE's VarData from offset 0 (call-facts §1.1), zero-padded to 4 bytes.
    Empty in a REQUEST (and never sent in one). The class gets ``REPLY_FIELD`` (this field's name) and
    ``REPLY_STRUCT`` (``struct_cls``); it may have no other VarData parameter, so the structure is at
    VarData + 0."""
    return attrs.field(default=b"", converter=_pad4, metadata={REPLY: struct_cls})


class _Handle(enum.Enum):
    HANDLE = "handle"


#: ``request(returns=HANDLE)``: the LINE_REPLY of the function carries a new handle (a u32).
HANDLE = _Handle.HANDLE


class RequestBody:
    """Uniform names for the two role fields of a request body (when it declares them)."""

    __slots__ = ()
    CONTEXT_FIELD: str | None = None
    SIZE_FIELD: str | None = None
    REPLY_FIELD: str | None = None
    REPLY_STRUCT: type | None = None

    @property
    def struct_context(self) -> int:
        """The request's struct context, echoed as Param3 of the LINE_REPLY (0 when it has none)."""
        name = self.CONTEXT_FIELD
        return getattr(self, name) if name is not None else 0

    @property
    def buffer_size(self) -> int:
        """The client's buffer size (becomes dwTotalSize of the returned structure)."""
        name = self.SIZE_FIELD
        if name is None:
            raise AttributeError(f"{type(self).__name__} returns no structure: it has no buffer size")
        return getattr(self, name)  # type: ignore[no-any-return]


def request(req_func: int, *, asynchronous: bool, returns: Any = None) -> Callable[[type], type]:
    """Class decorator: a frozen, keyword-only attrs request body whose table entries derive from its fields.

    ``returns``: None (no LINE_REPLY data), :data:`HANDLE`, or the structure class returned in the
    LINE_REPLY (then the class must declare a :func:`struct_context` and a :func:`buffer_size` field)."""

    def wrap(cls: type) -> type:
        if not issubclass(cls, RequestBody):
            raise TypeError(f"{cls.__name__}: a request body subclasses protocol.declare.RequestBody")
        cls = attrs.frozen(kw_only=True, slots=False)(cls)
        params = []
        roles: dict[ParamRole, str] = {}
        reply_field = reply_cls = None
        for f in attrs.fields(cls):
            if REPLY in f.metadata:
                if reply_field is not None:
                    raise TypeError(f"{cls.__name__}: two reply_struct fields")
                reply_field, reply_cls = f.name, f.metadata[REPLY]
                continue
            spec = f.metadata.get(PARAM)
            if spec is None:
                raise TypeError(f"{cls.__name__}.{f.name}: every field of a request body needs a placement")
            params.append(Param(name=f.name, **spec))
            if spec["role"] is not None:
                if spec["role"] in roles and spec["role"] is not ParamRole.HANDLE:
                    raise TypeError(f"{cls.__name__}: two {spec['role'].name} fields")
                roles.setdefault(spec["role"], f.name)
        used = [p.offset for p in params] + [p.size_offset for p in params if p.size_offset is not None]
        if len(used) != len(set(used)):
            raise TypeError(f"{cls.__name__}: two fields share a parameter DWORD ({sorted(used)})")
        if reply_field is not None:
            if asynchronous:
                raise TypeError(f"{cls.__name__}: reply_struct is for synchronous functions (async ones use returns=)")
            if any(p.kind is not VarKind.U32 for p in params):
                raise TypeError(f"{cls.__name__}: a reply_struct class has no other VarData parameter")
        cls.REPLY_FIELD = reply_field  # type: ignore[attr-defined]
        cls.REPLY_STRUCT = reply_cls  # type: ignore[attr-defined]
        cls.REQ_FUNC = req_func  # type: ignore[attr-defined]
        cls.ASYNC = asynchronous  # type: ignore[attr-defined]
        cls.PARAMS = tuple(params)  # type: ignore[attr-defined]
        cls.RETURNS_HANDLE = returns is HANDLE  # type: ignore[attr-defined]
        cls.CONTEXT_FIELD = roles.get(ParamRole.CONTEXT)  # type: ignore[attr-defined]
        cls.SIZE_FIELD = roles.get(ParamRole.SIZE)  # type: ignore[attr-defined]
        if returns is not None and returns is not HANDLE:
            if cls.CONTEXT_FIELD is None or cls.SIZE_FIELD is None:  # type: ignore[attr-defined]
                raise TypeError(f"{cls.__name__} returns {returns.__name__}: declare struct_context and buffer_size")
            cls.STRUCT = returns  # type: ignore[attr-defined]
        return cls

    return wrap


# --- ASYNCEVENTMSG views -----------------------------------------------------------------------------------

#: The nine DWORDs after TotalSize, then VarData: the positional form ``from_wire`` takes and ``to_wire`` gives.
RECORD_SLOTS = ("init_context", "context", "hdevice", "msg", "open_context", "param1", "param2", "param3", "param4")

#: Every :func:`event` view class -> its generated ``pack_wire``, filled as the views are declared (in any
#: module): the record codec's table of the classes it packs without a lookup on the class (it adds
#: the generic AsyncEventMsg to it).
VIEW_PACKERS: dict[type, Callable[..., bytes]] = {}


def slot(name: str, default: Any = attrs.NOTHING, *, converter: Any = None) -> Any:
    """An event view field stored in the ASYNCEVENTMSG DWORD ``name`` (one of :data:`RECORD_SLOTS` but msg)."""
    if name not in RECORD_SLOTS or name == "msg":
        raise ValueError(f"not an ASYNCEVENTMSG slot: {name!r}")
    return attrs.field(default=default, converter=converter, metadata={RECORD_SLOT: name})


def record_data(size_slot: str = "param4") -> Any:
    """The view's VarData: ``size_slot`` holds its length, the VarData is it plus zero padding to 4."""
    return attrs.field(default=b"", metadata={RECORD_SLOT: "vardata", PARAM: size_slot})


def event(msg: int) -> Callable[[type], type]:
    """Class decorator: a frozen, keyword-only attrs view of the ASYNCEVENTMSG records with Msg ``msg``.

    Fields are :func:`slot` fields, at most one :func:`record_data` field, and fields without a slot
    (``eq=False`` extras that are not on the wire). Generated from the slots, once:

    * ``from_wire(init_context, context, hdevice, msg, open_context, param1..param4, vardata)`` -> the
      view, or None when the record does not have the view's shape: every DWORD slot the view does not
      use is 0, and the VarData is empty - or, with a data field, exactly the data (its length in the
      size slot) plus zero padding to 4;
    * ``from_record(header, vardata)``: the same, ``header`` being the record's ten DWORDs (TotalSize first);
    * ``to_wire(rec)`` -> those nine DWORDs and the padded VarData; ``pack_wire(rec, pack, kind)`` ->
      ``pack(TotalSize, *nine DWORDs) + VarData``, or with ``kind`` != 0 the same behind a frame header
      ``(length, kind, 0, 0)`` (``pack`` is an engine's packer);
    * ``WIRE_FIELDS``: the view's on-wire field names, in declaration order;
    * ``SHAPE_RULE`` = (statements over the locals RECORD_SLOTS and ``var`` that ``return None`` when the
      record has not the view's shape, the arguments of ``MAKE`` - the positional constructor in
      WIRE_FIELDS order - that build it): the rule all of the above are generated from;
    * ``to_generic()`` / ``from_generic(g)`` in terms of :class:`protocol.messages.AsyncEventMsg`.
    """

    def wrap(cls: type) -> type:
        cls = attrs.frozen(kw_only=True, slots=False)(cls)
        by_slot: dict[str, str] = {}
        size_slot = None
        wire_fields = []
        for f in attrs.fields(cls):
            where = f.metadata.get(RECORD_SLOT)
            if where is None:
                continue
            wire_fields.append(f.name)
            by_slot[where] = f.name
            if where == "vardata":
                size_slot = f.metadata[PARAM]
                by_slot[size_slot] = f"len({f.name})"
        from protocol import fastpath  # the positional constructor generator (no import cycle)

        make = fastpath.constructor(cls, wire_fields)
        args = ", ".join((*RECORD_SLOTS, "var"))
        checks = [s for s in RECORD_SLOTS if s not in by_slot and s != "msg"]
        lines = [f"def from_wire({args}):"]
        if checks:
            lines.append(f"    if {' or '.join(checks)}: return None")
        data_expr = None
        if size_slot is not None:
            lines += [
                f"    n = {size_slot}",
                "    size = len(var)",
                "    if n > size or size != (n + 3) & ~3 or (n != size and any(var[n:])): return None",
            ]
            data_expr = "var[:n] if n != size else var"
        else:
            lines.append("    if var: return None")
        field_slot = {name: where for where, name in by_slot.items() if not name.startswith("len(")}
        values = [data_expr if field_slot[n] == "vardata" else field_slot[n] for n in wire_fields]
        # the shape rule once, for from_wire here and the record codec's one-step frame reader
        shape = (tuple(lines[1:]), ", ".join(values))
        lines.append(f"    return _make({shape[1]})")
        out = []
        for s in RECORD_SLOTS:
            if s == "msg":
                out.append("_MSG")
            elif s in by_slot:
                out.append("len(_data)" if by_slot[s].startswith("len(") else f"rec.{by_slot[s]}")
            else:
                out.append("0")
        wire = ["def to_wire(rec):"]
        if size_slot is not None:
            wire += [f"    _data = rec.{by_slot['vardata']}", "    if type(_data) is not bytes: _data = bytes(_data)",
                     "    var = _data + _PAD[-len(_data) & 3] if len(_data) & 3 else _data"]
        else:
            wire.append("    var = b''")
        wire.append(f"    return ({', '.join(out)}, var)")
        # pack_wire(rec, pack, kind): ``pack(flat, var)`` of the record (kind 0) or of a one-record frame
        # of ``kind`` (frame header first), without building the intermediate to_wire tuple.
        body = [*wire[1:-1], "    total = 40 + len(var)", "    if kind:",
                f"        return pack(total + 8, kind, 0, 0, total, {', '.join(out)}) + var",
                f"    return pack(total, {', '.join(out)}) + var"]
        wire += ["def pack_wire(rec, pack, kind):", *body]
        # the same reading the fields from the instance dict (for objects of exactly this class)
        wire += ["def pack_wire_dict(rec, pack, kind):", "    d = rec.__dict__",
                 *(re.sub(r"\brec\.(\w+)", r"d['\1']", line) for line in body)]
        env: dict[str, Any] = {"_make": make, "_MSG": int(msg), "_PAD": (b"", b"\0", b"\0\0", b"\0\0\0")}
        # from_record(h, var): the same rule for ``h`` = the unpacked 10-DWORD header (TotalSize first)
        record = ["def from_record(h, var):", f"    _total, {', '.join(RECORD_SLOTS)} = h", *lines[1:]]
        # from_generic(g): the same rule read from a generic record's attributes (EventView.from_generic)
        generic = ["def from_generic(g):", "    if g.msg != _MSG: return None", "    var = g.vardata",
                   "    if type(var) is not bytes: var = bytes(var)",
                   *(f"    {slot_name} = g.{slot_name}" for slot_name in RECORD_SLOTS if slot_name != "msg"), *lines[1:]]
        exec("\n".join((*lines, *wire, *record, *generic)), env)  # noqa: S102 - generated from field metadata only
        cls.MSG = msg  # type: ignore[attr-defined]
        cls.WIRE_FIELDS = tuple(wire_fields)  # type: ignore[attr-defined]
        cls.from_wire = staticmethod(env["from_wire"])  # type: ignore[attr-defined]
        cls.from_record = staticmethod(env["from_record"])  # type: ignore[attr-defined]
        cls.to_wire = staticmethod(env["to_wire"])  # type: ignore[attr-defined]
        cls.pack_wire = staticmethod(env["pack_wire"])  # type: ignore[attr-defined]
        cls.from_generic = staticmethod(env["from_generic"])  # type: ignore[attr-defined]
        cls.SHAPE_RULE = shape  # type: ignore[attr-defined]
        cls.MAKE = make  # type: ignore[attr-defined]
        VIEW_PACKERS[cls] = env["pack_wire_dict"] if fastpath.stores_in_dict(cls) else env["pack_wire"]
        return cls

    return wrap

