"""The protocol package against the real Windows SDK headers (mingw-w64's tapi.h, tapi3if.h, tapi3cc.h).

tests/headers/generate.py turns every declaration of the package into ``_Static_assert`` s: every member
of every int enum (its value), every layout schema (size, each field's offset and size), every structure
class (FIXED_SIZE, ENTRY_SIZE, the list header) and every request class (its ``line*`` function
exists). They are compiled with ``x86_64-w64-mingw32-gcc -c``. A declaration the generator cannot map to
a header name, and that protocol/header_names.py gives no reason for, fails here: nothing is listed in
this test, so what is declared later is checked as it is.
"""

from __future__ import annotations

import enum
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import construct as c
import pytest

import protocol.messages
import protocol.structs
from protocol import call_constants, header_names, schemas

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("header_generate", ROOT / "tests" / "headers" / "generate.py")
assert _spec is not None and _spec.loader is not None
gen = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = gen
_spec.loader.exec_module(gen)

if shutil.which(gen.CC) is None:
    pytest.skip(
        f"{gen.CC} not found: install gcc-mingw-w64-x86-64 (of Debian's mingw-w64; .ci/run does) to check the protocol "
        "package against tapi.h / tapi3if.h / tapi3cc.h",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def index() -> object:
    return gen.header_index()


def _compile(source: str, tmp_path: Path) -> tuple[int, list[str]]:
    """Compile ``source``; (return code, the messages of the failed assertions and other errors)."""
    path = tmp_path / "headers_check.c"
    path.write_text(source, encoding="utf-8")
    run = subprocess.run(
        [gen.CC, "-c", "-fmax-errors=0", "-o", str(tmp_path / "headers_check.o"), str(path)],
        capture_output=True,
        text=True,
    )
    failed = re.findall(r'static assertion failed: "(.*)"', run.stderr)
    errors = [line for line in run.stderr.splitlines() if "error:" in line and "static assertion" not in line]
    return run.returncode, failed + errors


def test_every_declaration_has_a_header_counterpart_or_a_reason(index: object) -> None:
    result = gen.generate(index)
    assert result.problems == ()
    assert gen.stale_entries(index) == []


def test_the_generated_assertions_hold_against_the_headers(index: object, tmp_path: Path) -> None:
    result = gen.generate(index)
    # Far more than the enums alone: sizes, offsets and functions are in (the count is in the file's head).
    assert result.count > 700
    code, failures = _compile(result.source, tmp_path)
    assert failures == [] and code == 0


def test_a_wrong_declaration_fails_to_compile(index: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Plant wrong declarations where later helpers would put theirs: an enum set with one wrong value,
    a layout with two fields swapped, a version's shorter layout with two nested members swapped; the
    generated file must fail on exactly those."""

    class Planted(enum.IntEnum):
        INUSE = 0x8000000F  # right
        INVALADDRESS = 0x80000011  # wrong: LINEERR_INVALADDRESS is 0x80000010

    Planted.__module__, Planted.__qualname__ = call_constants.__name__, "Planted"
    monkeypatch.setattr(call_constants, "Planted", Planted, raising=False)
    monkeypatch.setitem(header_names.PREFIXES, Planted, "LINEERR_")
    u32 = c.Int32ul
    swapped = c.Struct("dial_pause" / u32, "digit_duration" / u32, "dial_speed" / u32, "wait_for_dialtone" / u32)
    monkeypatch.setattr(schemas, "DIAL_PARAMS", swapped, raising=False)
    # A version's shorter fixed part (NAME_V..): its size must be where the next member begins.
    short = c.Struct("total_size" / u32, "bearer_mode" / u32, "min_rate" / u32)
    monkeypatch.setattr(schemas, "CALL_PARAMS_V10", short, raising=False)
    # Members of a member (LINECALLPARAMS.DialParams.dwDialPause), two of them swapped.
    head = ("total_size", "bearer_mode", "min_rate", "max_rate", "media_mode", "call_param_flags", "address_mode")
    dial = ("dp_dial_speed", "dp_dial_pause", "dp_digit_duration", "dp_wait_for_dialtone")
    nested = c.Struct(*(name / u32 for name in (*head, "address_id", *dial)))
    monkeypatch.setattr(schemas, "CALL_PARAMS_V11", nested, raising=False)

    result = gen.generate(index)
    assert result.problems == ()
    code, failures = _compile(result.source, tmp_path)
    assert code != 0
    assert sorted(failures) == [
        "CALL_PARAMS_V11.dp_dial_pause at 36: offsetof(LINECALLPARAMS, DialParams.dwDialPause) differs",
        "CALL_PARAMS_V11.dp_dial_speed at 32: offsetof(LINECALLPARAMS, DialParams.dwDialSpeed) differs",
        "DIAL_PARAMS.dial_speed at 8: offsetof(LINEDIALPARAMS, dwDialSpeed) differs",
        "DIAL_PARAMS.digit_duration at 4: offsetof(LINEDIALPARAMS, dwDigitDuration) differs",
        "Planted.INVALADDRESS = 0x80000011, LINEERR_INVALADDRESS differs",
    ]
    # ... and the versioned layout passed: its 12 bytes end where LINECALLPARAMS.dwMaxRate begins.
    assert "CALL_PARAMS_V10: 12 bytes, LINECALLPARAMS.dwMaxRate does not start there" in result.source


def test_an_unmapped_declaration_is_a_problem(index: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new enum set without a prefix, a layout without a struct, a field the rule cannot match, a
    prefixed member the headers lack and a function returning a structure its TAPI function does not take
    are each reported by name."""

    class Unmapped(enum.IntFlag):
        ONE = 1

    class Misspelt(enum.IntEnum):
        OFERING = 2  # LINECALLSTATE_OFFERING

    for cls in (Unmapped, Misspelt):
        cls.__module__, cls.__qualname__ = call_constants.__name__, cls.__name__
        monkeypatch.setattr(call_constants, cls.__name__, cls, raising=False)
    monkeypatch.setitem(header_names.PREFIXES, Misspelt, "LINECALLSTATE_")
    monkeypatch.setattr(schemas, "NO_SUCH_STRUCT", c.Struct("a" / c.Int32ul), raising=False)
    monkeypatch.setattr(schemas, "DIAL_PARAMS", c.Struct("dial_pause" / c.Int32ul, "pause" / c.Int32ul), raising=False)

    monkeypatch.setattr(protocol.messages.GetAgentInfo, "STRUCT", protocol.structs.QueueInfo)

    class NoSuchList:  # a structure class: FIXED_SIZE and C_NAME
        FIXED_SIZE = 24
        C_NAME = "LINENOSUCHLIST"

    NoSuchList.__module__ = call_constants.__name__
    monkeypatch.setattr(call_constants, "NoSuchList", NoSuchList, raising=False)

    problems = "\n".join(gen.generate(index).problems)
    assert "protocol.call_constants.Unmapped: no TAPI prefix" in problems
    assert "protocol.call_constants.Misspelt.OFERING: the headers have no LINECALLSTATE_OFERING" in problems
    assert "layout NO_SUCH_STRUCT: no struct" in problems
    assert "DIAL_PARAMS.pause: no member of LINEDIALPARAMS matches" in problems
    assert "request GetAgentInfo returns QueueInfo (LINEQUEUEINFO), but lineGetAgentInfo(" in problems
    assert "structure class NoSuchList: no struct LINENOSUCHLIST in the headers" in problems
    assert len(gen.generate(index).problems) == 6
