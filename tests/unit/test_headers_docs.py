"""docs/protocol.md §14 lists every constant set as the enums define it (no compiler needed)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("header_generate", ROOT / "tests" / "headers" / "generate.py")
assert _spec is not None and _spec.loader is not None
gen = sys.modules.get(_spec.name) or importlib.util.module_from_spec(_spec)
if _spec.name not in sys.modules:
    sys.modules[_spec.name] = gen
    _spec.loader.exec_module(gen)


def test_the_docs_list_every_constant_set_as_declared() -> None:
    block = gen.docs_block(gen.DOCS.read_text(encoding="utf-8"))
    assert block is not None, f"docs/protocol.md lost its {gen.DOCS_BEGIN} block"
    assert block == gen.docs_table(), "docs/protocol.md §14 is stale: run `python tests/headers/generate.py --docs`"

