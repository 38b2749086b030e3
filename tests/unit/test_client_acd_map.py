"""docs/client.md's TAPI3 object map against the code and mingw-w64's tapi3cc.h: every call-centre
interface method (68) is listed once, exists on its Python class with the header's name, and - where the
header is installed - the table's methods are exactly the header's, in vtable order."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import client.events_acd as ev
import client.objects as ob
import client.objects_acd as oa

ROOT = Path(__file__).resolve().parents[2]
HEADER = Path("/usr/share/mingw-w64/include/tapi3cc.h")
CLASSES = {
    "ITAgent": ob.ITAgent, "ITAgentSession": ob.ITAgentSession, "ITACDGroup": ob.ITACDGroup, "ITQueue": ob.ITQueue,
    "ITAgentEvent": ev.ITAgentEvent, "ITAgentSessionEvent": ev.ITAgentSessionEvent, "ITACDGroupEvent": ev.ITACDGroupEvent,
    "ITQueueEvent": ev.ITQueueEvent, "ITAgentHandlerEvent": ev.ITAgentHandlerEvent,
    "ITTAPICallCenter": oa.ITTAPICallCenter, "ITAgentHandler": oa.ITAgentHandler,
}


def doc_map() -> list[tuple[str, str, str, str]]:
    text = (ROOT / "docs" / "client.md").read_text(encoding="utf-8")
    section = text.split("### The TAPI3 object map", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(\w+)` \| `(\w+)` \| (.*?) \| (.*?) \|$", section, re.MULTILINE)


def test_the_map_lists_68_methods_each_on_its_class_as_a_coroutine() -> None:
    rows = doc_map()
    assert len(rows) == 68 == len({(i, m) for i, m, _, _ in rows})
    for iface, method, wire, timeout in rows:
        fn = getattr(CLASSES[iface], method, None)
        assert fn is not None and inspect.iscoroutinefunction(fn), (iface, method)
        assert (timeout == "no") == wire.startswith("none"), (iface, method, wire, timeout)


@pytest.mark.skipif(not HEADER.exists(), reason="mingw-w64's tapi3cc.h is not installed (apt-get install mingw-w64-common)")
def test_the_map_is_the_headers_method_list() -> None:
    header = HEADER.read_text(encoding="utf-8", errors="replace")
    for iface in CLASSES:
        body = re.search(r"struct " + iface + r" : public IDispatch \{(.*?)\n  \};", header, re.S)
        assert body is not None, iface
        expected = re.findall(r"virtual HRESULT WINAPI (\w+)\(", body.group(1))
        assert [m for i, m, _, _ in doc_map() if i == iface] == expected, iface
