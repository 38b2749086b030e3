"""How one row of the function table (:mod:`client.functions`) becomes two :class:`~client.line.Line` methods.

A row (:class:`LineFunction`) names the TAPI function, its request message class, the reply structure,
the public method name and the arguments (:class:`Arg`: name, check, request fields it fills, default).
:func:`call_method` and :func:`start_method` turn it into

* ``line.<method>(...)``: check every argument (before anything is sent), build the request, send it and
  wait for the LINE_REPLY; the result is the reply's structure (or what the row's ``result`` makes of it);
* ``line.start_<method>(...)``: the same up to the RESPONSE; ``(request_id, pending)``, ``await pending``
  gives what the plain form returns.

List functions (``grows=True``) grow their buffer to the server's ``dwNeededSize`` and retry in the plain
form (:func:`grow`); their ``start_`` form does one round trip with the size given.

The generated methods are ordinary ``async def``s written from the row at import (:func:`request_builder`,
``_method``): Python binds their arguments and raises its own TypeErrors for a wrong call; they carry the
row's :class:`inspect.Signature` and a docstring made from the row, so ``help(line.get_queue_info)``, the
blocking facade and the hostile-argument test see ordinary methods.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from client import args as _args
from client.deadline import deadline_after, remaining
from client.errors import LineError, TapiError, TapiTimeoutError
from client.interfaces import LineLike
from protocol.constants import MAX_STRUCT_SIZE, HResult, LineErr, ReqFunc
from protocol.errors import ProtocolError
from protocol.messages import decode_reply_data

#: Marks an :class:`Arg` without a default (the caller must give it).
REQUIRED = inspect.Parameter.empty
#: Initial buffer for list functions: room for a few dozen entries before the first retry.
LIST_INITIAL_SIZE = 1024
#: How often a list function grows its buffer before giving up (the list keeps growing under it).
LIST_MAX_ATTEMPTS = 8

#: ``result(line, given, checked, data)``: what the caller gets from the reply's typed ``data`` (a structure
#: or a handle), knowing the arguments as given and as checked (both by argument name).
ResultMaker = Callable[["LineLike", Mapping[str, Any], Mapping[str, Any], Any], Any]


@attrs.frozen
class Arg:
    """One argument of a Line function.

    ``check(value, name)`` validates the caller's value (raising ``TapiError(E_INVALIDARG)`` that names the
    argument) and returns the value the request carries in each of ``fields`` (often two: the handle and
    the structure context). ``keyword_only`` arguments come after ``*`` in the method's signature.
    """

    name: str
    check: Callable[[Any, str], Any]
    fields: tuple[str, ...]
    default: Any = REQUIRED
    keyword_only: bool = False
    annotation: Any = Any


@attrs.frozen
class LineFunction:
    """One row of the function table: everything the client knows about one asynchronous TAPI function.

    ``request`` is the protocol message class (its ``REQ_FUNC`` is the Req_Func); ``reply`` the structure
    the LINE_REPLY carries (None for a handle or no data); ``size_field`` the request field that carries the
    client's buffer size (``dwTotalSize``), then the method has ``buffer_size=`` defaulting to the
    structure's fixed size; ``fixed`` request fields with constant values; ``result`` turns the reply's data
    into what the method returns (None: the data as decoded; :func:`no_result`: None); ``grows`` makes the
    plain form a grow-and-retry list function.
    """

    method: str
    request: type
    args: tuple[Arg, ...]
    summary: str
    reply: type | None = None
    size_field: str | None = None
    fixed: Mapping[str, Any] = attrs.field(factory=dict)
    result: ResultMaker | None = None
    returns: str = ""
    grows: bool = False
    #: A synchronous function (the RESPONSE carries the structure, wire-protocol §9.2): only the plain
    #: method; a structure whose variable part did not fit is asked for again with dwNeededSize.
    sync: bool = False
    #: Request fields filled from the line before the arguments (e.g. ``h_line_app``, ``device_id``: GetAgentCaps and the
    #: line-device Get* functions are keyed by hLineApp and dwDeviceID, not by an hLine).
    from_line: Mapping[str, Callable[[Any], Any]] = attrs.field(factory=dict)

    @property
    def req_func(self) -> int:
        """The Req_Func of the request message."""
        return int(self.request.REQ_FUNC)  # type: ignore[attr-defined]

    @property
    def tapi_name(self) -> str:
        """The TAPI2 function name, e.g. ``lineGetQueueInfo``."""
        return f"line{self.request.__name__}"

    @property
    def start_method(self) -> str:
        """The name of the method that stops at the RESPONSE: ``start_<method>``."""
        return f"start_{self.method}"

    @property
    def methods(self) -> tuple[str, ...]:
        """The Line methods the row gives: the plain one, and ``start_`` for an asynchronous function."""
        return (self.method,) if self.sync else (self.method, self.start_method)

    def default_size(self, start: bool) -> int | None:
        """The ``buffer_size`` default: the structure's fixed size (lists: None = grow, or one initial size;
        sync functions: the request's own default)."""
        if self.sync:
            return int(attrs.fields_dict(self.request)[self.size_field].default)  # type: ignore[index]
        if self.grows:
            return LIST_INITIAL_SIZE if start else None
        return int(self.reply.FIXED_SIZE)  # type: ignore[union-attr]


def no_result(line: LineLike, given: Mapping[str, Any], checked: Mapping[str, Any], data: Any) -> None:
    """The result of a function that returns nothing to the caller (its LINE_REPLY only says success)."""
    return None


# --- what a generated method does ---------------------------------------------------------------------------


def signature(row: LineFunction, *, start: bool) -> inspect.Signature:
    """The Python signature of ``row``'s method (``start=True``: of its ``start_`` form)."""
    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    keyword = inspect.Parameter.KEYWORD_ONLY
    params = [inspect.Parameter("self", positional)]
    for arg in row.args:
        params.append(inspect.Parameter(arg.name, keyword if arg.keyword_only else positional,
                                        default=arg.default, annotation=arg.annotation))
    if row.size_field is not None:
        size = row.default_size(start)
        params.append(inspect.Parameter("buffer_size", keyword, default=size,
                                        annotation="int" if size is not None else "int | None"))
    params.append(inspect.Parameter("timeout", keyword, default=None, annotation="float | None"))
    return inspect.Signature(params)


def build_request(line: LineLike, row: LineFunction, given: Mapping[str, Any], size: int | None) -> tuple[Any, dict[str, Any]]:
    """Check every argument of ``given`` (in table order) and build ``row``'s request message for ``line``.

    Returns the message and the checked values by argument name."""
    return plan_of(row).build(line, given, size)


#: id(row) -> (row, its plan): a plan compiles its row's builder, so each row gets one. The row is kept
#: with its plan, so it stays alive and no other object can take its id.
_PLANS: dict[int, tuple[LineFunction, RequestPlan]] = {}


def plan_of(row: LineFunction) -> RequestPlan:
    """``row``'s :class:`RequestPlan`, made once."""
    known = _PLANS.get(id(row))
    if known is None:
        known = _PLANS[id(row)] = (row, RequestPlan(row))
    return known[1]


class RequestPlan:
    """What :func:`build_request` does for one row, with the row's facts looked up once: its ``builder``
    (:func:`request_builder`), the one function every generated method builds its request with."""

    __slots__ = ("names", "sized", "builder", "plain", "decode")

    def __init__(self, row: LineFunction) -> None:
        self.names = tuple(arg.name for arg in row.args)
        self.sized = row.size_field is not None
        self.builder = request_builder(row)
        #: The reply's data is the result as it is: nobody needs the checked values (or a closure).
        self.plain = row.result is None
        self.decode = functools.partial(reply_data, row.req_func)

    def build(self, line: LineLike, given: Mapping[str, Any], size: int | None) -> tuple[Any, dict[str, Any]]:
        values = [given[name] for name in self.names]
        if self.sized:
            values.append(size)
        body, checked = self.builder(line, *values)
        return body, dict(zip(self.names, checked))


# --- generated code: one function per row, made from the row ------------------------------------------------
#
# A method written by hand for one row would take its arguments by name (Python binds them and raises the
# TypeErrors of a wrong call), check each one and call the request class with the fields; what follows
# writes exactly that function from the row, once, at import (as protocol/codec.py generates its packers
# from the construct declarations). Names the generated code uses are prefixed ``_m_``, so that no
# argument name of a row can shadow them.


def _compile(name: str, qualname: str, source: str, env: dict[str, Any]) -> Any:
    """The function ``name`` that ``source`` defines, its globals ``env``; ``qualname`` is what Python's own
    TypeErrors for a wrong call name it by (``Line.get_queue_info() missing 1 required ...``)."""
    namespace = dict(env, __name__=__name__)  # the function's __module__: this module, as a def here would have
    exec(compile(source, f"<generated {qualname}>", "exec"), namespace)  # noqa: S102 - source made here from a row
    fn = namespace[name]
    fn.__code__ = fn.__code__.replace(co_qualname=qualname)
    return fn


def request_builder(row: LineFunction) -> Callable[..., tuple[Any, tuple[Any, ...]]]:
    """``build(line, <each argument in row order>[, size]) -> (request, checked values in row order)``:
    ``h_line`` from the line (if the request has one) and the row's ``from_line`` fields, then every
    argument's check in row order (the first bad one raises, naming itself), then ``buffer_size`` checked
    into the size field, then the fixed fields; a field filled twice keeps the later value."""
    env: dict[str, Any] = {"_m_request": row.request, "_m_buffer_size": _args.buffer_size}
    params = ["_m_line"] + [f"_m_a{i}" for i in range(len(row.args))]
    body: list[str] = []
    fields: dict[str, str] = {}
    if "h_line" in attrs.fields_dict(row.request):
        body.append("_m_hline = _m_line.hline")
        fields["h_line"] = "_m_hline"
    for j, (field, get) in enumerate(row.from_line.items()):
        env[f"_m_get{j}"] = get
        body.append(f"_m_l{j} = _m_get{j}(_m_line)")
        fields[field] = f"_m_l{j}"
    for i, arg in enumerate(row.args):
        env[f"_m_check{i}"] = arg.check
        body.append(f"_m_v{i} = _m_check{i}(_m_a{i}, {arg.name!r})")
        for field in arg.fields:
            fields[field] = f"_m_v{i}"
    if row.size_field is not None:
        params.append("_m_size")
        body.append(f"_m_s = _m_buffer_size(_m_size, {row.request.__name__!r})")
        fields[row.size_field] = "_m_s"
    for j, (field, value) in enumerate(row.fixed.items()):
        env[f"_m_fixed{j}"] = value
        fields[field] = f"_m_fixed{j}"
    checked = "".join(f"_m_v{i}, " for i in range(len(row.args)))
    call = ", ".join(f"{field}={expr}" for field, expr in fields.items())
    body.append(f"return _m_request({call}), ({checked})")
    source = f"def build({', '.join(params)}):\n" + "".join(f"    {line}\n" for line in body)
    return _compile("build", f"build_{row.method}", source, env)  # type: ignore[no-any-return]


def _parameters(sig: inspect.Signature) -> tuple[str, str]:
    """(the ``def``'s parameter list after ``self``, with defaults as ``_m_d<i>`` globals; the dict
    literal of every parameter by name, in order - what the generic helpers take as ``given``)."""
    parts, given = [], []
    star = False
    for i, param in enumerate(list(sig.parameters.values())[1:]):
        if param.name.startswith("_m_"):  # pragma: no cover - a table row naming an argument like this is a bug
            raise RuntimeError(f"argument name {param.name!r} is reserved for generated code")
        if param.kind is inspect.Parameter.KEYWORD_ONLY and not star:
            parts.append("*")
            star = True
        parts.append(param.name if param.default is REQUIRED else f"{param.name}=_m_d{i}")
        given.append(f"{param.name!r}: {param.name}")
    return ", ".join(parts), "{" + ", ".join(given) + "}"


def _method(row: LineFunction, start: bool, plan: RequestPlan) -> Any:
    """The generated ``async def`` of ``row``'s plain method (``start``: of its ``start_`` form)."""
    sig = signature(row, start=start)
    name = row.start_method if start else row.method
    env: dict[str, Any] = {f"_m_d{i}": p.default for i, p in enumerate(list(sig.parameters.values())[1:])}
    env.update(_m_row=row, _m_plan=plan, _m_build=plan.builder, _m_decode=plan.decode, _m_sync_call=sync_call,
               _m_grow=grow, _m_reply_decoder=reply_decoder)
    params, given = _parameters(sig)
    args = "".join(f", {arg.name}" for arg in row.args) + (", buffer_size" if plan.sized else "")
    build = f"_m_body, _m_checked = _m_build(self{args})"
    transform = ("_m_decode" if plan.plain else
                 f"_m_reply_decoder(self, _m_row, {given}, dict(zip(_m_plan.names, _m_checked)))")
    if row.sync:
        lines = [f"return await _m_sync_call(self, _m_row, _m_plan, {given})"]
    elif row.grows and not start:
        lines = [f"return await _m_grow(self, _m_row, {given}, buffer_size, timeout)"]
    elif start:
        lines = [build, f"_m_pending = await self.connection.start(_m_body, timeout=timeout, transform={transform})",
                 "return _m_pending.request_id, _m_pending"]
    else:
        lines = [build, f"return await self.connection.call(_m_body, timeout=timeout, transform={transform})"]
    source = f"async def {name}(self, {params}):\n" + "".join(f"    {line}\n" for line in lines)
    fn = _compile(name, f"Line.{name}", source, env)
    _document(fn, row, start, sig)
    return fn


def reply_data(func: int, reply: Any) -> Any:
    """The typed data of a successful LINE_REPLY of ``func`` (structure, handle or None).

    A malformed reply is the server's fault: ``TapiError(E_UNEXPECTED)`` naming the function."""
    if reply.req_func is not None and reply.value is not None:
        return reply.value
    try:
        return decode_reply_data(func, reply.data)
    except ProtocolError as exc:
        raise TapiError(
            HResult.E_UNEXPECTED, f"the server's LINE_REPLY for {ReqFunc(func).name} is malformed: {exc}"
        ) from None


def reply_decoder(line: LineLike, row: LineFunction, given: Mapping[str, Any], checked: Mapping[str, Any]) -> Callable[[Any], Any]:
    """The ``transform`` that turns the LINE_REPLY of one call into the method's result."""
    func = row.req_func
    make = row.result
    if make is None:
        return functools.partial(reply_data, func)
    return lambda reply: make(line, given, checked, reply_data(func, reply))


async def grow(line: LineLike, row: LineFunction, given: Mapping[str, Any], buffer_size: int | None,
               timeout: float | None) -> Any:
    """The plain form of a list function: grow the buffer to ``dwNeededSize`` and retry until the list fits.

    One deadline covers every attempt (a TapiTimeoutError names the whole ``timeout``)."""
    timeout = _args.timeout(timeout)
    if buffer_size is not None:
        _args.buffer_size(buffer_size, "list request")
    deadline = deadline_after(timeout)
    size = LIST_INITIAL_SIZE if buffer_size is None else buffer_size
    result = None
    conn = line.connection
    plan = plan_of(row)
    for _ in range(LIST_MAX_ATTEMPTS):
        body, checked = plan.build(line, given, size)
        try:
            result = await conn.call(body, timeout=remaining(deadline),
                                     transform=reply_decoder(line, row, given, checked))
        except TapiTimeoutError as exc:
            raise TapiTimeoutError(exc.function, timeout or 0.0, exc.request_id) from None
        if result.needed_size <= result.total_size or len(getattr(result, "entries", ())) > 0:
            return result
        if result.needed_size > MAX_STRUCT_SIZE:
            raise LineError(
                LineErr.NOMEM, row.req_func,
                f"the list needs {result.needed_size} bytes, more than the {MAX_STRUCT_SIZE} a request may ask",
            )
        size = result.needed_size
    raise TapiError(
        HResult.E_FAIL, f"the list kept growing: still {result.needed_size} bytes needed after"
        f" {LIST_MAX_ATTEMPTS} attempts",
    )


async def sync_call(line: LineLike, row: LineFunction, plan: RequestPlan, given: Mapping[str, Any]) -> Any:
    """The plain form of a synchronous function: one RESPONSE; with a structure, decode it from the
    RESPONSE's VarData and ask once more with dwNeededSize when its variable part did not fit."""
    timeout = _args.timeout(given["timeout"])
    deadline = deadline_after(timeout)
    size = given.get("buffer_size")
    result: Any = None
    for _ in range(2):
        body, checked = plan.build(line, given, size)
        try:
            response = await line.connection.call_sync(body, timeout=remaining(deadline))
        except TapiTimeoutError as exc:
            raise TapiTimeoutError(exc.function, timeout or 0.0, exc.request_id) from None
        field = getattr(row.request, "REPLY_FIELD", None)
        if field is None or row.reply is None:
            result = None
        else:
            try:
                result = row.reply.from_bytes(getattr(response.body, field))  # type: ignore[attr-defined]
            except ProtocolError as exc:
                raise TapiError(HResult.E_UNEXPECTED,
                                f"the server's RESPONSE for {row.tapi_name} is malformed: {exc}") from None
            if result.needed_size > result.total_size and result.needed_size <= MAX_STRUCT_SIZE:
                size = result.needed_size
                continue
        break
    return row.result(line, given, checked, result) if row.result is not None else result


# --- the two methods of a row -------------------------------------------------------------------------------


def _document(fn: Callable[..., Any], row: LineFunction, start: bool, sig: inspect.Signature) -> None:
    name = row.start_method if start else row.method
    fn.__name__ = name
    fn.__qualname__ = f"Line.{name}"
    fn.__signature__ = sig  # type: ignore[attr-defined]
    returns = row.returns or (row.reply.__name__ if row.reply is not None else "None")
    if row.sync:
        fn.__doc__ = f"{row.tapi_name} (Req_Func {row.req_func}, synchronous): {row.summary} Returns {returns}."
    elif start:
        once = " One round trip with ``buffer_size`` (no retry: check ``needed_size``)." if row.grows else ""
        fn.__doc__ = (f"Start {row.tapi_name} (Req_Func {row.req_func}): ``(request_id, pending)``;"
                      f" ``await pending`` -> {returns}.{once}")
    else:
        fn.__doc__ = f"{row.tapi_name} (Req_Func {row.req_func}): {row.summary} Returns {returns}."


def call_method(row: LineFunction) -> Callable[..., Any]:
    """``line.<method>(...)``: check, send, wait for the LINE_REPLY, return the result."""
    return _method(row, False, plan_of(row))  # type: ignore[no-any-return]


def start_method(row: LineFunction) -> Callable[..., Any]:
    """``line.start_<method>(...)``: check, send, wait for the RESPONSE; ``(request_id, pending)``."""
    return _method(row, True, plan_of(row))  # type: ignore[no-any-return]


def install(cls: type, rows: tuple[LineFunction, ...]) -> None:
    """Give ``cls`` (:class:`~client.line.Line`) the two methods of every row; a name taken twice is a bug."""
    for row in rows:
        makers = ((row.method, call_method),) if row.sync else ((row.method, call_method), (row.start_method, start_method))
        for name, make in makers:
            if name in cls.__dict__:
                raise RuntimeError(f"{cls.__name__}.{name} is defined twice (table row {row.tapi_name})")
            setattr(cls, name, make(row))


__all__ = [
    "Arg",
    "LIST_INITIAL_SIZE",
    "LIST_MAX_ATTEMPTS",
    "LineFunction",
    "REQUIRED",
    "RequestPlan",
    "build_request",
    "call_method",
    "grow",
    "install",
    "no_result",
    "plan_of",
    "reply_data",
    "reply_decoder",
    "request_builder",
    "signature",
    "sync_call",
    "start_method",
]
