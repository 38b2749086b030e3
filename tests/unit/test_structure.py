"""The layering rules of the code base, checked on the source (ast, nothing imported):

* no import cycle among the modules of protocol/, tsp/ and client/ (every import counts: at the top,
  inside functions and under ``if TYPE_CHECKING``);
* the layers: protocol/ imports neither tsp/ nor client/, client/ never imports tsp/;
* no module over 800 lines;
* no private name (``_x``) of one module used by another: neither ``from m import _x`` nor ``m._x``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("protocol", "tsp", "client")
MAX_LINES = 800
#: Modules over the limit when this test was written, each with the size it must not grow beyond; the
#: issue-14 branches split them (the entry goes when its module is under the limit).
KNOWN_OVER = {"tsp/model.py": 843, "protocol/codec.py": 817}
#: Breaches in protocol/ and client/ found when this test was written, which the parallel issue-14
#: branches for those packages remove (an entry goes with its breach; none may be added). tsp/ has none.
KNOWN_BREACHES = frozenset({
    "cycle: protocol.errors, protocol.messages, protocol.structs",
    # the same breach (protocol.errors -> protocol.messages), with the §9 modules messages imports in it
    "cycle: protocol.call_messages, protocol.call_structs, protocol.errors, protocol.messages, protocol.structs",
    # only through `if TYPE_CHECKING:` imports (annotations): no cycle at run time; still to be removed
    "cycle: client.control, client.functions, client.line, client.methods, client.objects, client.tapi",
    # the same TYPE_CHECKING breach with the §9 client modules in it (they import client.objects / methods)
    "cycle: client.call_functions, client.calls, client.control, client.functions, client.line, client.methods,"
    " client.objects, client.tapi",
    "client.wallboard_app:92 imports tsp",
    "client.wallboard_app:110 imports tsp.scenarios",
    "client.wallboard_app:315 imports tsp.testing",
    "client.line:59 from client.objects import _as_group",
})


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _resolve(module: str, node: ast.ImportFrom, name: str) -> str:
    if node.level:
        base = module.split(".")
        is_package = MODULES[module].name == "__init__.py"
        base = base[: len(base) - node.level + (1 if is_package else 0)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    candidate = f"{target}.{name}" if target else name
    return candidate if candidate in MODULES else target


def _imports(module: str) -> list[tuple[str, int, str]]:
    """(imported project module, line, the name imported from it or "") of every import in ``module``."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PACKAGES:
                    out.append((alias.name, node.lineno, ""))
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                target = _resolve(module, node, alias.name)
                if target.split(".")[0] in PACKAGES and target in MODULES:
                    out.append((target, node.lineno, "" if f"{target}" .endswith(f".{alias.name}") else alias.name))
    return out


def _graph() -> dict[str, set[str]]:
    return {mod: {t for t, _, _ in _imports(mod) if t != mod} for mod in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_checker_finds_a_cycle_and_a_private_import() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
    assert "tsp.switch" in _graph()["tsp.server"]  # the graph sees real imports
    assert ("tsp.errors", "SwitchError") in {(t, n) for t, _, n in _imports("tsp.model")}
    assert not any(b.startswith(("tsp.", "cycle: tsp.")) for b in KNOWN_BREACHES)  # tsp/ has no excuses


def test_no_import_cycle() -> None:
    found = {"cycle: " + ", ".join(c) for c in _cycles(_graph())}
    assert found - KNOWN_BREACHES == set()
    assert not any(c.startswith("cycle: tsp.") for c in found)


@pytest.mark.parametrize("package, forbidden", [("protocol", ("tsp", "client")), ("client", ("tsp",))])
def test_layers(package: str, forbidden: tuple[str, ...]) -> None:
    wrong = {
        f"{mod}:{line} imports {target}"
        for mod in MODULES if mod.split(".")[0] == package
        for target, line, _ in _imports(mod) if target.split(".")[0] in forbidden
    }
    assert wrong - KNOWN_BREACHES == set()


def test_no_module_over_800_lines() -> None:
    sizes = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines()) for p in MODULES.values()}
    over = {path: n for path, n in sizes.items() if n > KNOWN_OVER.get(path, MAX_LINES)}
    assert over == {}


def test_no_private_name_used_across_modules() -> None:
    wrong = []
    for mod, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases: dict[str, str] = {}  # local name -> project module
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in MODULES:
                        aliases[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    target = _resolve(mod, node, alias.name)
                    if target in MODULES and target.endswith(f".{alias.name}"):
                        aliases[alias.asname or alias.name] = target
                    elif target in MODULES and alias.name.startswith("_") and not alias.name.startswith("__"):
                        wrong.append(f"{mod}:{node.lineno} from {target} import {alias.name}")
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and aliases[node.value.id] != mod):
                wrong.append(f"{mod}:{node.lineno} {node.value.id}.{node.attr}")
    assert set(wrong) - KNOWN_BREACHES == set()
