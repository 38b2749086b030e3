"""The one adapter from the model's values (tsp/values.py) to the wire structures (protocol.structs).

The model (tsp/model.py) speaks domain values - ``datetime``, ``Decimal``, whole seconds, its own
microsecond and ten-thousandth ints - and imports nothing of the wire layer. This module says, once,
which model field fills which field of LINEAGENTSESSIONINFO, LINEAGENTINFO and LINEQUEUEINFO (the
``*_FIELDS`` tables: wire name -> model name) - a list's entries take the model fields of their own
names (:func:`list_bytes`: LINEAGENTSESSIONLIST, LINEAGENTGROUPLIST, LINEQUEUELIST) -, and
converts the model's own ints to the wire's DATE and CURRENCY on the path that answers every poll
(:func:`session_info_bytes`: no object, no datetime, no Decimal; the same bytes as
``encode_struct(session_info(model.session_info(...), size))``, which tests/unit/test_wire.py checks).
"""

from __future__ import annotations

import datetime as _dt
import functools
import operator
import struct
from typing import Any, Callable, Iterable

import attrs

from protocol.structs import (
    OLE_EPOCH,
    AgentGroupList,
    AgentInfo,
    AgentSessionInfo,
    AgentSessionList,
    QueueInfo,
    decimal_to_cy,
    encode_struct,
    ole_from_us,
    wire_packer,
)
from tsp import values
from tsp.model import Switch

__all__ = [
    "AGENT_INFO_FIELDS", "QUEUE_INFO_FIELDS", "SESSION_INFO_FIELDS",
    "agent_info", "agent_info_bytes", "group_list_bytes", "list_bytes", "queue_info", "queue_info_bytes", "session_info",
    "session_info_bytes", "session_list_bytes",
]

_SIZES = ("total_size", "needed_size", "used_size")

#: LINEAGENTSESSIONINFO field <- tsp.values.SessionStats field.
SESSION_INFO_FIELDS: dict[str, str] = {
    "state": "state",
    "next_state": "next_state",
    "session_start_time": "session_start_time",
    "session_duration": "session_duration",
    "number_of_calls": "number_of_calls",
    "total_talk_time": "total_talk_time",
    "average_talk_time": "average_talk_time",
    "total_call_time": "total_call_time",
    "average_call_time": "average_call_time",
    "total_wrap_up_time": "total_wrap_up_time",
    "average_wrap_up_time": "average_wrap_up_time",
    "acd_call_rate": "acd_call_rate",
    "longest_time_to_answer": "longest_time_to_answer",
    "average_time_to_answer": "average_time_to_answer",
}

#: LINEAGENTINFO field <- tsp.values.AgentInfo field.
AGENT_INFO_FIELDS: dict[str, str] = {
    "agent_state": "state",
    "next_agent_state": "next_state",
    "measurement_period": "measurement_period",
    "overall_call_rate": "overall_call_rate",
    "number_of_acd_calls": "number_of_acd_calls",
    "number_of_incoming_calls": "number_of_incoming_calls",
    "number_of_outgoing_calls": "number_of_outgoing_calls",
    "total_acd_talk_time": "total_acd_talk_time",
    "total_acd_call_time": "total_acd_call_time",
    "total_acd_wrap_up_time": "total_acd_wrap_up_time",
}

#: LINEQUEUEINFO field <- tsp.values.QueueInfo field.
QUEUE_INFO_FIELDS: dict[str, str] = {
    name: name
    for name in (
        "measurement_period", "total_calls_queued", "current_calls_queued", "total_calls_abandoned",
        "total_calls_flowed_in", "total_calls_flowed_out", "longest_ever_wait_time", "current_longest_wait_time",
        "average_wait_time", "final_disposition",
    )
}


def _check(wire_cls: type, model_cls: type, table: dict[str, str]) -> None:
    """Every wire field but the sizes is filled, from a model field that exists (a bad table is a bug
    that must show at import, not as a missing field on the wire)."""
    wire = [f.name for f in attrs.fields(wire_cls) if f.name not in _SIZES]
    model = {f.name for f in attrs.fields(model_cls)}
    if sorted(table) != sorted(wire) or not set(table.values()) <= model:
        raise TypeError(f"{wire_cls.__name__} <- {model_cls.__name__}: the field table does not match the classes")


_check(AgentSessionInfo, values.SessionStats, SESSION_INFO_FIELDS)
_check(AgentInfo, values.AgentInfo, AGENT_INFO_FIELDS)
_check(QueueInfo, values.QueueInfo, QUEUE_INFO_FIELDS)


def _mapper(table: dict[str, str]) -> Callable[[Any], dict[str, Any]]:
    getters = [(wire, operator.attrgetter(model)) for wire, model in table.items()]
    return lambda obj: {wire: get(obj) for wire, get in getters}


_session_fields = _mapper(SESSION_INFO_FIELDS)
_agent_fields = _mapper(AGENT_INFO_FIELDS)
_queue_fields = _mapper(QUEUE_INFO_FIELDS)


#: The DWORD seconds and counts of LINEAGENTSESSIONINFO: the model's whole seconds have no bound, the wire's
#: saturate at 0xFFFFFFFF (reached only after 136 years of switch time, e.g. by EmuAdvanceClock).
DWORD_MAX = 0xFFFFFFFF
_SESSION_DWORDS = tuple(
    name for name in SESSION_INFO_FIELDS
    if name not in ("state", "next_state", "session_start_time", "acd_call_rate")
)


def _saturated(fields: dict[str, Any]) -> dict[str, Any]:
    for name in _SESSION_DWORDS:
        if fields[name] > DWORD_MAX:
            fields[name] = DWORD_MAX
    return fields


def session_info(stats: values.SessionStats, total_size: int) -> AgentSessionInfo:
    """LINEAGENTSESSIONINFO of a session's statistics, for a buffer of ``total_size`` bytes (the DWORD
    figures saturate at 0xFFFFFFFF)."""
    return AgentSessionInfo(total_size=total_size, **_saturated(_session_fields(stats)))


def agent_info(info: values.AgentInfo, total_size: int) -> AgentInfo:
    """LINEAGENTINFO of an agent's figures, for a buffer of ``total_size`` bytes."""
    return AgentInfo(total_size=total_size, **_agent_fields(info))


def queue_info(info: values.QueueInfo, total_size: int) -> QueueInfo:
    """LINEQUEUEINFO of a queue's figures, for a buffer of ``total_size`` bytes."""
    return QueueInfo(total_size=total_size, **_queue_fields(info))


def _wire_getter(wire_cls: type, table: dict[str, str]) -> Callable[[Any], tuple[Any, ...]]:
    """The model fields of ``table`` in the wire structure's field order (after the sizes)."""
    return operator.attrgetter(*(table[f.name] for f in attrs.fields(wire_cls) if f.name not in _SIZES))


_pack_agent = wire_packer(AgentInfo)
_agent_wire = _wire_getter(AgentInfo, AGENT_INFO_FIELDS)
_AGENT_RATE = [f.name for f in attrs.fields(AgentInfo) if f.name not in _SIZES].index("overall_call_rate")
_AI_SIZE = AgentInfo.FIXED_SIZE
_pack_queue = wire_packer(QueueInfo)
_queue_wire = _wire_getter(QueueInfo, QUEUE_INFO_FIELDS)
_QI_SIZE = QueueInfo.FIXED_SIZE


def agent_info_bytes(info: values.AgentInfo, total_size: int) -> bytes:
    """:func:`agent_info`, encoded: the model's figures packed in wire form (the CURRENCY rate by the
    codec's own adapter) without the structure object - the same bytes as ``encode_struct(agent_info(info,
    total_size))`` (tests/unit/test_wire.py), which also words the error when a value does not fit."""
    figures = list(_agent_wire(info))
    try:
        figures[_AGENT_RATE] = decimal_to_cy(figures[_AGENT_RATE])
        return _pack_agent(total_size, _AI_SIZE, _AI_SIZE, *figures)
    except (struct.error, TypeError, ValueError, ArithmeticError):
        return encode_struct(agent_info(info, total_size))


def queue_info_bytes(info: values.QueueInfo, total_size: int) -> bytes:
    """:func:`queue_info`, encoded: the model's figures packed as they are (all DWORDs) - the same bytes
    as ``encode_struct(queue_info(info, total_size))`` (tests/unit/test_wire.py), which also words the
    error when a value does not fit."""
    try:
        return _pack_queue(total_size, _QI_SIZE, _QI_SIZE, *_queue_wire(info))
    except (struct.error, TypeError):
        return encode_struct(queue_info(info, total_size))


@functools.lru_cache(maxsize=None)
def _entry_maker(list_cls: type, model_cls: type) -> Callable[[Any], Any]:
    """Model value -> the list's entry: each entry field from the model field of the same name (a model
    class without one of them is a bug, raised the first time the pair is used)."""
    names = [name for name, _ in list_cls.entry_fields()]
    missing = [n for n in names if n not in attrs.fields_dict(model_cls)]
    if missing:
        raise TypeError(f"{model_cls.__name__} has no field {missing} of {list_cls.ENTRY.__name__}")
    get = operator.attrgetter(*names)
    entry = list_cls.ENTRY
    if len(names) == 1:
        return lambda value: entry(get(value))
    return lambda value: entry(*get(value))


def list_bytes(list_cls: type, items: Iterable[Any], buffer_size: int) -> bytes:
    """A list structure (:class:`protocol.structs.ListStruct`: LINEAGENTSESSIONLIST, LINEAGENTGROUPLIST,
    LINEQUEUELIST ...) of the model's values, encoded for a buffer of ``buffer_size``; each entry field
    comes from the model value's field of the same name (so a new list needs no code here)."""
    entries = []
    for item in items:
        entries.append(_entry_maker(list_cls, type(item))(item))
    return encode_struct(list_cls.build(entries, buffer_size))


def session_list_bytes(entries: Iterable[values.SessionListEntry], buffer_size: int) -> bytes:
    """LINEAGENTSESSIONLIST of the model's session entries, encoded for a buffer of ``buffer_size``."""
    return list_bytes(AgentSessionList, entries, buffer_size)


def group_list_bytes(entries: Iterable[values.GroupEntry], buffer_size: int) -> bytes:
    """LINEAGENTGROUPLIST of the model's groups, encoded for a buffer of ``buffer_size``."""
    return list_bytes(AgentGroupList, entries, buffer_size)


# --- the poll path: Switch.session_figures straight into the packed struct ----------------------------------

_pack_session = wire_packer(AgentSessionInfo)
_ASI_SIZE = AgentSessionInfo.FIXED_SIZE
#: The model's instants count from 1970 (tsp.values.EPOCH), OLE DATEs from 1899-12-30: the offset in us.
_EPOCH_TO_OLE_US = (values.EPOCH - OLE_EPOCH) // _dt.timedelta(microseconds=1)
_STATS_ORDER = [f.name for f in attrs.fields(values.SessionStats)]
_WIRE_ORDER = [f.name for f in attrs.fields(AgentSessionInfo) if f.name not in _SIZES]
#: Position in session_figures (SessionStats order) of each wire field after the sizes, in wire order.
_PICK = tuple(_STATS_ORDER.index(SESSION_INFO_FIELDS[name]) for name in _WIRE_ORDER)
_START = _STATS_ORDER.index(SESSION_INFO_FIELDS["session_start_time"])
# In the usual case (the same order, the start third) the figures are packed as they come; otherwise
# picked into wire order first (slower by one itemgetter call, the same bytes).
_DIRECT = _PICK == tuple(range(len(_PICK))) and _START == 2
_pick = operator.itemgetter(*_PICK)
_DWORD_POSITIONS = tuple(_STATS_ORDER.index(SESSION_INFO_FIELDS[name]) for name in _SESSION_DWORDS)


_US_PER_DAY = 86_400 * 1_000_000


def _session_info_direct(model: Switch, hsession: int, total_size: int, now: float) -> bytes:
    # The figures unpacked into locals and passed one by one: cheaper than a slice and a star (this runs
    # for every poll of every wallboard).
    state, nxt, start, dur, calls, talk, atalk, call, acall, wrap, awrap, rate, tta_max, tta_avg = (
        model.session_figures(hsession, now)
    )
    if dur > DWORD_MAX or tta_max > DWORD_MAX:  # 136 years of switch time: the DWORDs saturate (rare path)
        return _session_info_picked(model, hsession, total_size, now)
    start += _EPOCH_TO_OLE_US  # us since the OLE epoch: the DATE is its days (ole_from_us, inlined if >= 0)
    return _pack_session(
        total_size, _ASI_SIZE, _ASI_SIZE, state, nxt, start / _US_PER_DAY if start >= 0 else ole_from_us(start),
        dur, calls, talk, atalk, call, acall, wrap, awrap, rate, tta_max, tta_avg,
    )


def _session_info_picked(model: Switch, hsession: int, total_size: int, now: float) -> bytes:
    fig = list(model.session_figures(hsession, now))
    fig[_START] = ole_from_us(fig[_START] + _EPOCH_TO_OLE_US)
    for i in _DWORD_POSITIONS:
        if fig[i] > DWORD_MAX:
            fig[i] = DWORD_MAX
    return _pack_session(total_size, _ASI_SIZE, _ASI_SIZE, *_pick(fig))


#: session_info_bytes(model, hsession, total_size, now) = ``encode_struct(session_info(model.session_info(
#: hsession, now), total_size))`` without building an object: :meth:`Switch.session_figures` packed, the
#: start converted to the OLE DATE (the rate's ten-thousandths are the CURRENCY int as they are); raises
#: what the model raises. In the usual case (the same order, the start third) the figures are packed as
#: they come; otherwise picked into wire order first (one list and one itemgetter more, the same bytes).
session_info_bytes: Callable[[Switch, int, int, float], bytes] = (
    _session_info_direct if _DIRECT else _session_info_picked
)
