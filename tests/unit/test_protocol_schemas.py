"""Compiled construct schemas behave exactly like their interpreted definitions."""

from __future__ import annotations

import struct

import construct
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol import schemas
from protocol.messages import REQUEST_TYPES

NAMES = sorted(schemas.INTERPRETED)
REQUEST_SCHEMAS = {cls.__name__: sch for cls, sch in REQUEST_TYPES.values()}
#: Schemas ending in GreedyBytes: any input at least this long.
GREEDY_MIN = {"TAPI32_MSG": 60, "ASYNCEVENTMSG": 40, **{name: 60 for name in REQUEST_SCHEMAS}}


def compiled_schema(name: str) -> construct.Construct:
    return REQUEST_SCHEMAS[name] if name in REQUEST_SCHEMAS else getattr(schemas, name)


def test_every_schema_is_compiled_and_registered() -> None:
    assert set(REQUEST_SCHEMAS) <= set(NAMES)
    for name in NAMES:
        assert isinstance(compiled_schema(name), construct.Compiled), name


def well_sized(name: str, data: bytes) -> bytes:
    """Input of the size the codec would have checked before parsing."""
    if name in ("HELLO_BODY", "ERROR_BODY"):
        n = data[0] if data else 0
        return (b"\x01\x00\x02\x00" + struct.pack("<H", n) + data * 300)[: 6 + n]
    if name in GREEDY_MIN:
        return data.ljust(GREEDY_MIN[name], b"\x5a")
    size = schemas.INTERPRETED[name].sizeof()
    return (data + bytes(size))[:size]


def normalized(container: dict) -> dict:
    """Floats as their bytes, so that NaN compares equal to itself."""
    return {
        k: struct.pack("<d", v) if isinstance(v, float) else v for k, v in container.items() if not k.startswith("_")
    }


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=120))
def test_compiled_equals_interpreted(name: str, data: bytes) -> None:
    interp, comp = schemas.INTERPRETED[name], compiled_schema(name)
    raw = well_sized(name, data)
    a, b = interp.parse(raw), comp.parse(raw)
    assert normalized(a) == normalized(b)
    values = {k: v for k, v in a.items() if not k.startswith("_")}
    assert interp.build(values) == comp.build(values) == raw
