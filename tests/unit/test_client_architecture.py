"""The client's shape, checked from its source (ast): layering, privacy, size, and the function table.

* no module under ``client/`` imports the emulator (``tsp``), not even inside a function;
* no client module uses a private name (``_name``) of another client module: neither ``from client.x
  import _name`` nor ``something._name`` where ``_name`` is not defined in the module itself (``self._x``
  and ``cls._x`` are the object's own business);
* no client module is over 800 lines;
* :class:`client.Line` has exactly the plain and ``start_`` method of every row of
  ``client.functions.LINE_FUNCTIONS``, and docs/client.md's Line API table lists every row with its
  Req_Func and its parameters as the generated signature has them.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

import client
from client.functions import LINE_FUNCTIONS

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "client"
MODULES = sorted(CLIENT.glob("*.py"))
MAX_LINES = 800


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def tsp_imports(tree: ast.Module) -> list[str]:
    """Every way the module imports ``tsp``: import statements and import_module/__import__ with a literal."""
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                names = [node.args[0].value]
        found += [f"line {node.lineno}: {name}" for name in names if name == "tsp" or name.startswith("tsp.")]
    return found


def defined_privates(tree: ast.Module) -> set[str]:
    """Private names a module defines: functions, classes, assigned names and attributes, class fields."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return {name for name in names if is_private(name)}


def foreign_private_uses(tree: ast.Module) -> list[str]:
    own = defined_privates(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("client"):
            found += [f"line {node.lineno}: from {node.module} import {a.name}" for a in node.names if is_private(a.name)]
        elif isinstance(node, ast.Attribute) and is_private(node.attr) and node.attr not in own:
            base = node.value
            if isinstance(base, ast.Name) and base.id in ("self", "cls"):
                continue
            found.append(f"line {node.lineno}: {ast.unparse(base)}.{node.attr}")
    return found


def test_the_client_package_is_all_here() -> None:
    """Guard: the checks below really read the client (a moved folder would make them vacuous)."""
    names = {path.stem for path in MODULES}
    assert {"__init__", "line", "functions", "methods", "tapi", "objects", "connection", "deadline"} <= names


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_no_client_module_imports_the_emulator(path: Path) -> None:
    assert tsp_imports(parse(path)) == [], f"{path.name} imports the emulator"


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_no_private_name_of_another_module_is_used(path: Path) -> None:
    assert foreign_private_uses(parse(path)) == [], f"{path.name} uses private names of other modules"


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_no_client_module_is_over_800_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.name} has {lines} lines"


def test_the_checks_see_what_they_must_refuse() -> None:
    """The ast checks themselves: each flags the thing it exists for."""
    tree = ast.parse("def f():\n    import tsp.testing\n    importlib.import_module('tsp')\nfrom tsp import x\n")
    assert len(tsp_imports(tree)) == 3
    tree = ast.parse("from client.objects import _as_group\n"
                     "class A:\n    def f(self, s):\n        s._on_status(1)\n        self._own = 1\n"
                     "        other._own\n        self.tapi._spawn()\n")
    assert foreign_private_uses(tree) == [
        "line 1: from client.objects import _as_group", "line 4: s._on_status", "line 7: self.tapi._spawn",
    ]


def test_every_table_row_gives_its_two_line_methods() -> None:
    generated = {name for row in LINE_FUNCTIONS for name in row.methods}  # sync rows: the plain one only
    coroutines = {name for name, fn in inspect.getmembers(client.Line, inspect.iscoroutinefunction)
                  if not name.startswith("_")}
    assert coroutines - generated == {"acd_groups", "close"}
    assert generated <= coroutines
    assert len({row.req_func for row in LINE_FUNCTIONS}) == len(LINE_FUNCTIONS)
    for row in LINE_FUNCTIONS:
        assert row.methods == ((row.method,) if row.sync else (row.method, row.start_method))
        for name in row.methods:
            method = getattr(client.Line, name)
            assert method.__name__ == name and f"Req_Func {row.req_func}" in method.__doc__
            assert row.tapi_name in method.__doc__


def doc_table() -> dict[str, tuple[str, int]]:
    """docs/client.md's Line API table: method -> (parameter text, Req_Func)."""
    text = (ROOT / "docs" / "client.md").read_text(encoding="utf-8")
    section = text.split("## The Line API", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for match in re.finditer(r"^\| `(\w+)\((.*?)\)` \| (\d+) \|", section, re.MULTILINE):
        rows[match.group(1)] = (match.group(2), int(match.group(3)))
    return rows


def plain_parameters(row_method: str) -> str:
    """The generated signature as the docs write it: names and defaults, no annotations, no self."""
    sig = inspect.signature(getattr(client.Line, row_method))
    parts, star = [], False
    for p in list(sig.parameters.values())[1:]:
        if p.kind is p.KEYWORD_ONLY and not star:
            parts.append("*")
            star = True
        parts.append(p.name if p.default is p.empty else f"{p.name}={p.default!r}")
    return ", ".join(parts)


def test_the_docs_table_lists_every_row_as_generated() -> None:
    rows = doc_table()
    assert set(rows) == {row.method for row in LINE_FUNCTIONS}
    for row in LINE_FUNCTIONS:
        params, req_func = rows[row.method]
        assert req_func == row.req_func, row.method
        assert params == plain_parameters(row.method), row.method
