"""Checks of the suite itself: every case names its spec section, and the suite's own transcription of the
spec's numbers agrees with ``protocol.constants`` (two independent transcriptions: a mismatch means one of
them is wrong, and the case says which number)."""

from __future__ import annotations

import importlib
import inspect
import pathlib

import pytest

from . import spec

HERE = pathlib.Path(__file__).parent


@pytest.fixture(autouse=True)
def _not_with_tsp(request: pytest.FixtureRequest) -> None:
    """Meta tests of the suite itself: skipped with --tsp (they check the suite's own code, not the server)."""
    if request.config.getoption("--tsp"):
        pytest.skip("meta test of the conformance suite itself; not run with --tsp")


def test_every_case_names_its_spec_section():
    """Every conformance case carries a ``spec`` marker and names a section of wire-protocol.md or
    tapi-facts.md in its docstring, so the junit report can show what each case checks."""
    missing, seen = [], 0
    for path in sorted(HERE.glob("test_s[1-9]*.py")):
        module = importlib.import_module(f"{__package__}.{path.stem}")
        for name, func in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("test_") or func.__module__ != module.__name__:
                continue
            seen += 1
            marks = [m for m in getattr(func, "pytestmark", []) if m.name == "spec"]
            doc = inspect.getdoc(func) or ""
            if not marks or not any(s in doc for s in ("wire-protocol §", "tapi-facts §")):
                missing.append(f"{path.name}::{name}")
    assert seen > 50, f"only {seen} cases found"
    assert not missing, f"cases without a spec marker or section in the docstring: {missing}"


def test_numbers_agree_with_protocol_constants():
    """Req_Func, LINEERR_, message, state and size numbers of spec.py equal protocol.constants'."""
    c = pytest.importorskip("protocol.constants")
    pairs = {
        "ERR_MALFORMED": c.ErrorCode.MALFORMED, "ERR_TOO_LARGE": c.ErrorCode.FRAME_TOO_LARGE,
        "ERR_VERSION": c.ErrorCode.UNSUPPORTED_VERSION, "ERR_UNEXPECTED_KIND": c.ErrorCode.UNEXPECTED_KIND,
        "ERR_IDLE": c.ErrorCode.IDLE_TIMEOUT,
        "MIN_LENGTH": c.MIN_FRAME_LENGTH, "MAX_LENGTH": c.MAX_FRAME_LENGTH, "MAX_STRUCT_SIZE": c.MAX_STRUCT_SIZE,
        "HELLO": c.FrameKind.HELLO, "REQUEST": c.FrameKind.REQUEST, "RESPONSE": c.FrameKind.RESPONSE,
        "EVENTS": c.FrameKind.EVENTS, "ERROR": c.FrameKind.ERROR, "TAPI_NO_DATA": c.TAPI_NO_DATA, "API_MIN": c.API_VERSION_MIN, "API_MAX": c.API_VERSION_MAX,
        "API_AGENT": c.API_VERSION_AGENT, "LINE_REPLY": c.LineMsg.REPLY,
        "LINE_AGENTSESSIONSTATUS": c.LineMsg.AGENTSESSIONSTATUS,
        "STATUS_NEWSESSION": c.AgentSessionStatus.NEWSESSION, "STATUS_STATE": c.AgentSessionStatus.STATE,
        "STATUS_UPDATEINFO": c.AgentSessionStatus.UPDATEINFO,
    }
    for name in ("INITIALIZE", "NEGOTIATEAPIVERSION", "OPEN", "CLOSE", "SHUTDOWN", "CREATEAGENT",
                 "CREATEAGENTSESSION", "GETAGENTINFO", "GETAGENTSESSIONINFO", "GETAGENTSESSIONLIST",
                 "GETQUEUEINFO", "GETGROUPLIST", "GETQUEUELIST", "SETAGENTSESSIONSTATE"):
        pairs[name] = c.ReqFunc[name]
    pairs["EMU_ADVANCECLOCK"], pairs["EMU_OFFERCALL"] = c.ReqFunc.EMU_ADVANCECLOCK, c.ReqFunc.EMU_OFFERCALL
    for value, name in spec.LINEERR_NAMES.items():
        pairs[name] = c.LineErr[name]
    for value, name in spec.STATE_NAMES.items():
        pairs[name] = c.AgentSessionState[name]
    wrong = {k: (getattr(spec, k), int(v)) for k, v in pairs.items() if getattr(spec, k) != v}
    assert not wrong, f"spec.py vs protocol.constants (ours, theirs): {wrong}"
