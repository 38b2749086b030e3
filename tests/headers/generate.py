"""Generate the C file of ``_Static_assert`` s that checks the protocol package against the SDK headers.

Everything checked is found in the declarations (nothing is listed here): every member of every int
enum defined in a ``protocol`` module, every layout schema (upper-case construct ``Struct`` of a
``protocol`` module: its size, and each field's offset and size), every structure class (FIXED_SIZE,
ENTRY_SIZE) and every registered request class (its ``line*`` function exists). How each is spelled in
C is :mod:`protocol.header_names`; what has no counterpart there is returned as a *problem* (the test
fails on it) unless that module lists it with a reason.

Field names come from the headers themselves: the prelude is run through the preprocessor once
(``gcc -E -dD``) and the struct definitions and ``line*`` names are read from its output.

Usage: ``python tests/headers/generate.py [-o FILE] [--cc x86_64-w64-mingw32-gcc]`` writes the C file
(default: stdout) and prints the problems, if any, on stderr. Compile the result with ``CC -c``.
``--docs`` rewrites the constant tables of docs/protocol.md §14 instead (no compiler needed).
"""

from __future__ import annotations

import argparse
import enum
import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import attrs
import construct as c

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

import protocol  # noqa: E402
from protocol import header_names as names  # noqa: E402

CC = "x86_64-w64-mingw32-gcc"
#: What the generated file and the header index include: the three headers of the issue and tapi3err.h
#: (TAPI_E_*). Not tapi3.h: it repeats tapi3cc.h's enums, and the two cannot be included together. The
#: structures are pack(1) in tapi.h itself.
PRELUDE = """#include <windows.h>
#include <tapi.h>
#include <tapi3if.h>
#include <tapi3cc.h>
#include <tapi3err.h>
#include <stddef.h>
"""
#: Hungarian prefixes dropped when a Python field name is matched with a C member name.
_HUNGARIAN = re.compile(r"^(dw|h|date|cy|t|sz|lp|lpsz)(?=[A-Z])")


@attrs.frozen
class HeaderIndex:
    """What the preprocessed headers declare: struct name -> member names in order, and identifiers."""

    structs: dict[str, tuple[str, ...]]
    identifiers: frozenset[str]
    #: function name -> its parameter declarations (``("HLINE hLine", "LPLINEAGENTINFO lpAgentInfo")``)
    prototypes: dict[str, tuple[str, ...]] = attrs.field(factory=dict)
    #: struct name -> its members' members (``"DialParams.dwDialPause"``, ``"GroupID.dwGroupID1"``)
    nested: dict[str, tuple[str, ...]] = attrs.field(factory=dict)


@attrs.frozen
class Generated:
    source: str
    count: int  # number of _Static_asserts
    problems: tuple[str, ...]  # declarations with no header counterpart and no listed reason


def header_index(cc: str = CC) -> HeaderIndex:
    """Preprocess the prelude with ``cc -E -dD`` and index its structs and identifiers."""
    out = subprocess.run(
        [cc, "-E", "-P", "-dD", "-x", "c", "-"], input=PRELUDE, capture_output=True, text=True, check=True
    ).stdout
    structs: dict[str, tuple[str, ...]] = {}
    # member -> the struct type (or an inline struct's members) it has, to name nested members
    inner: dict[str, list[tuple[str, str | tuple[str, ...]]]] = {}
    for m in re.finditer(r"typedef\s+struct\s+\w*\s*\{", out):
        body, end = _braced(out, m.end() - 1)
        aliases = out[end : out.index(";", end)]
        decls = _top_level_decls(body)
        members = tuple(_member_name(decl) for decl in decls)
        kinds: list[tuple[str, str | tuple[str, ...]]] = []
        for decl, name in zip(decls, members):
            if decl.startswith("struct") and "{" in decl:
                inline = decl[decl.index("{") : decl.rindex("}") + 1]
                kinds.append((name, tuple(_member_name(d) for d in _top_level_decls(inline[1:-1]))))
            else:
                kinds.append((name, decl.split()[0]))
        for alias in aliases.split(","):
            alias = alias.strip()
            if re.fullmatch(r"[A-Za-z_]\w*", alias):
                structs.setdefault(alias, members)
                inner.setdefault(alias, kinds)
    nested = {
        alias: tuple(
            f"{name}.{sub}"
            for name, kind in kinds
            for sub in (kind if isinstance(kind, tuple) else structs.get(kind, ()))
            if name and sub
        )
        for alias, kinds in inner.items()
    }
    prototypes = {
        m.group(1): tuple(p.strip() for p in m.group(2).split(","))
        for m in re.finditer(r"\b(line\w+)\s*\(([^()]*)\)\s*;", out)
    }
    return HeaderIndex(structs, frozenset(re.findall(r"\b[A-Za-z_]\w*\b", out)), prototypes, nested)


def _braced(text: str, start: int) -> tuple[str, int]:
    """The text inside the brace at ``start`` and the index after its closing brace."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i], i + 1
    raise ValueError("unbalanced braces in the preprocessed headers")


def _top_level_decls(body: str) -> list[str]:
    decls, depth, current = [], 0, []
    for ch in body:
        depth += ch == "{"
        depth -= ch == "}"
        if ch == ";" and depth == 0:
            decls.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    return [d for d in decls if d]


def _member_name(decl: str) -> str:
    """``DWORD dwFoo`` -> dwFoo; ``struct { ... } GroupID`` -> GroupID; ``WCHAR sz[10]`` -> sz; an
    anonymous union -> ""."""
    tail = decl[decl.rfind("}") + 1 :] if "}" in decl else decl
    names = re.findall(r"[A-Za-z_]\w*", re.sub(r"\[.*|:.*", "", tail))
    return names[-1] if names else ""


# --- what the protocol package declares -------------------------------------------------------------------


def protocol_modules() -> list[Any]:
    mods = [protocol]
    for info in pkgutil.walk_packages(protocol.__path__, "protocol."):
        mods.append(importlib.import_module(info.name))
    return mods


def int_enums() -> list[type[enum.Enum]]:
    """Every int-valued enum class defined in a protocol module, in definition order."""
    found: dict[type, None] = {}
    for mod in protocol_modules():
        for value in vars(mod).values():
            if (
                isinstance(value, enum.EnumMeta)
                and value.__module__ == mod.__name__
                and issubclass(value, int)
            ):
                found[value] = None
    return list(found)


def layouts() -> dict[str, c.Struct]:
    """Upper-case name -> interpreted construct Struct, from protocol.schemas.INTERPRETED and every
    module's globals (a compiled schema counts through its ``defersubcon``)."""
    found: dict[str, c.Struct] = {}
    for name, schema in protocol.schemas.INTERPRETED.items():
        if name.isupper() and isinstance(schema, c.Struct):
            found[name] = schema
    for mod in protocol_modules():
        for name, value in vars(mod).items():
            if isinstance(value, c.Compiled):
                value = value.defersubcon
            if name.isupper() and isinstance(value, c.Struct):
                found.setdefault(name, value)
    return found


def struct_classes() -> list[type]:
    """The structure classes: protocol.structs.STRUCT_CLASSES and any other protocol class with both
    FIXED_SIZE and C_NAME."""
    found: dict[type, None] = dict.fromkeys(protocol.structs.STRUCT_CLASSES)
    for mod in protocol_modules():
        for value in vars(mod).values():
            if isinstance(value, type) and value.__module__ == mod.__name__:
                fixed, c_name = getattr(value, "FIXED_SIZE", None), getattr(value, "C_NAME", None)
                if isinstance(fixed, int) and isinstance(c_name, str):
                    found[value] = None
    return list(found)


def request_classes() -> list[type]:
    return [cls for cls, _schema in protocol.messages.REQUEST_TYPES.values()]


# --- the assertions ---------------------------------------------------------------------------------------


def _norm(name: str) -> str:
    return name.replace("_", "").lower()


def _c_struct(name: str, index: HeaderIndex) -> str | None:
    bare = name.replace("_", "")
    for candidate in (bare, "LINE" + bare):
        if candidate in index.structs:
            return candidate
    return None


def _c_member(py_field: str, members: tuple[str, ...], nested: tuple[str, ...] = ()) -> str | None:
    """The C member ``py_field`` names: the one member equal to it (Hungarian prefix and case ignored),
    else the one nested member ``Outer.sub`` it spells as ``<abbreviation of Outer>_<sub>``
    (``dp_dial_pause`` or ``min_dial_pause`` -> ``DialParams.dwDialPause`` / ``MinDialParams...``, the
    abbreviation being Outer itself, a start of it or its initials)."""
    want = _norm(py_field)
    hits = [m for m in members if _plain(m) == want or m.lower() == want]
    if hits:
        return hits[0] if len(hits) == 1 else None
    nested_hits = []
    for name in nested:
        outer, _, sub = name.partition(".")
        tail = _plain(sub)
        prefix = want[: -len(tail)] if want.endswith(tail) else ""
        initials = "".join(re.findall(r"[A-Z]", outer)).lower()
        if prefix and (outer.lower().startswith(prefix) or prefix == initials):
            nested_hits.append(name)
    return nested_hits[0] if len(nested_hits) == 1 else None


def _plain(c_member: str) -> str:
    return _HUNGARIAN.sub("", c_member).lower()


def _fields(schema: c.Struct) -> Iterator[tuple[str | None, int, int]]:
    """(name, offset, size) of each leading fixed-size field."""
    offset = 0
    for sub in schema.subcons:
        try:
            size = sub.sizeof()
        except c.SizeofError:
            return
        yield sub.name, offset, size
        offset += size


def _q(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _function(name: str, functions: dict[str, str]) -> str | None:
    """``line<name>``, case ignored, or its Unicode form ``line<name>W`` (what an MS-TRP client calls;
    mingw's tapi.h lacks some of the A/W macros, e.g. lineCreateAgentSession)."""
    return functions.get(f"line{name}".lower()) or functions.get(f"line{name}w".lower())


def generate(index: HeaderIndex) -> Generated:
    lines: list[str] = []
    problems: list[str] = []

    def check(expr: str, message: str) -> None:
        lines.append(f'_Static_assert({expr}, "{_q(message)}");')

    # constants
    for cls in int_enums():
        where = f"{cls.__module__}.{cls.__qualname__}"
        if cls in names.NOT_IN_HEADERS:
            continue
        if cls not in names.PREFIXES:
            problems.append(
                f"{where}: no TAPI prefix in protocol.header_names.PREFIXES (or a reason in NOT_IN_HEADERS)"
            )
            continue
        lines.append(f"/* {where} */")
        prefix = names.PREFIXES[cls]
        for member_name, member in cls.__members__.items():
            key = f"{cls.__qualname__}.{member_name}"
            if key in names.MEMBER_EXCEPTIONS:
                continue
            c_name = prefix + member_name
            if c_name not in index.identifiers:
                problems.append(f"{where}.{member_name}: the headers have no {c_name}")
                continue
            value = int(member)
            check(f"(unsigned long long)(DWORD)({c_name}) == 0x{value:X}ull",
                  f"{key} = 0x{value:X}, {c_name} differs")
    for dotted, c_expr in names.EXPRESSIONS.items():
        module, _, attr = dotted.rpartition(".")
        value = int(getattr(importlib.import_module(module), attr))
        check(f"(unsigned long long)(DWORD)({c_expr}) == 0x{value:X}ull", f"{dotted} = 0x{value:X}, {c_expr} differs")

    def check_layout(label: str, schema: c.Construct, c_name: str, versioned: bool) -> dict[int, str]:
        """Each field's offset and size, and the size; returns offset -> C member of each field."""
        if isinstance(schema, c.Compiled):
            schema = schema.defersubcon
        lines.append(f"/* {label} = {c_name} */")
        members, nested = index.structs[c_name], index.nested.get(c_name, ())
        starts: dict[int, str] = {}
        last = None
        for field, offset, size in _fields(schema):
            if field is None:  # padding: its bytes count in the offsets and the size only
                continue
            member = names.FIELD_NAMES.get(f"{label}.{field}") or _c_member(field, members, nested)
            if member is None or member not in members + nested:
                problems.append(f"{label}.{field}: no member of {c_name} matches (members: "
                                f"{', '.join(members)}; or name it in protocol.header_names.FIELD_NAMES)")
                continue
            starts.setdefault(offset, member)
            last = member
            check(f"offsetof({c_name}, {member}) == {offset}",
                  f"{label}.{field} at {offset}: offsetof({c_name}, {member}) differs")
            check(f"sizeof((({c_name} *)0)->{member}) == {size}",
                  f"{label}.{field} is {size} bytes: {c_name}.{member} differs")
        try:
            total = schema.sizeof()
        except c.SizeofError:
            return starts
        if not versioned:
            check(f"sizeof({c_name}) == {total}", f"{label}: {total} bytes, sizeof({c_name}) differs")
        elif last is not None:
            top = last.partition(".")[0]
            following = members[members.index(top) + 1 :]
            if following:
                check(f"offsetof({c_name}, {following[0]}) == {total}",
                      f"{label}: {total} bytes, {c_name}.{following[0]} does not start there")
            else:
                check(f"sizeof({c_name}) == {total}", f"{label}: {total} bytes, sizeof({c_name}) differs")
        return starts

    # layouts: size, every field's offset and size
    for name, schema in layouts().items():
        if name in names.LAYOUTS_NOT_IN_HEADERS:
            continue
        # NAME_V20 (a version's shorter fixed part, e.g. LINEAGENTCAPS below 2.2): the struct NAME, and
        # the size is where the next member of the full struct begins.
        base, versioned = re.subn(r"_V\d+$", "", name)
        c_name = _c_struct(base, index)
        if c_name is None:
            bare = base.replace("_", "")
            problems.append(f"layout {name}: no struct {bare} or LINE{bare} in the headers "
                            "(or a reason in protocol.header_names.LAYOUTS_NOT_IN_HEADERS)")
            continue
        check_layout(name, schema, c_name, bool(versioned))
        size_const = getattr(protocol.schemas, f"{name}_SIZE", None)
        if isinstance(size_const, int) and not versioned:
            check(f"sizeof({c_name}) == {size_const}", f"schemas.{name}_SIZE = {size_const}: sizeof({c_name}) differs")

    # structure classes: FIXED_SIZE, their SCHEMA if they carry one, the sizes by version (SIZES,
    # MIN_SIZE: each must be where a member begins), a list's entry size and header
    for cls in struct_classes():
        c_name = getattr(cls, "C_NAME", None) or "LINE" + cls.__name__.upper()
        if c_name not in index.structs:
            problems.append(f"structure class {cls.__name__}: no struct {c_name} in the headers")
            continue
        check(f"sizeof({c_name}) == {cls.FIXED_SIZE}",
              f"{cls.__name__}.FIXED_SIZE = {cls.FIXED_SIZE}: sizeof({c_name}) differs")
        schema = getattr(cls, "SCHEMA", None)
        starts = check_layout(f"{cls.__name__}.SCHEMA", schema, c_name, False) if isinstance(schema, c.Construct) else {}
        gated = [size for _version, size in getattr(cls, "SIZES", ())] + [getattr(cls, "MIN_SIZE", cls.FIXED_SIZE)]
        for size in sorted(set(gated) - {cls.FIXED_SIZE}):
            if size not in starts:
                problems.append(f"{cls.__name__}: fixed size {size} (SIZES / MIN_SIZE) is not where a field of "
                                "its SCHEMA begins")
                continue
            check(f"offsetof({c_name}, {starts[size]}) == {size}",
                  f"{cls.__name__}: a fixed size of {size} ends where {c_name}.{starts[size]} begins: it does not")
        entry_size = getattr(cls, "ENTRY_SIZE", None)
        if isinstance(entry_size, int) and "LIST" in c_name:
            entry = c_name.replace("LIST", "ENTRY")
            if entry in index.structs:
                check(f"sizeof({entry}) == {entry_size}",
                      f"{cls.__name__}.ENTRY_SIZE = {entry_size}: sizeof({entry}) differs")
            if cls.FIXED_SIZE == protocol.schemas.LIST_HEADER_SIZE and schema is None:
                check_layout(f"{cls.__name__} LIST_HEADER", protocol.schemas.INTERPRETED["LIST_HEADER"], c_name, False)

    # request classes: the TAPI function exists (tapi.h spells some differently: ShutDown -> lineShutdown)
    functions = {ident.lower(): ident for ident in index.identifiers if ident.startswith("line")}
    for cls in request_classes():
        if cls.__name__ in names.FUNCTIONS_NOT_IN_HEADERS:
            continue
        ident = _function(cls.__name__, functions)
        if ident is None:
            problems.append(f"request {cls.__name__}: tapi.h declares no line{cls.__name__} "
                            "(or a reason in protocol.header_names.FUNCTIONS_NOT_IN_HEADERS)")
            continue
        check(f"sizeof(&{ident}) == sizeof(void (*)(void))", f"request {cls.__name__}: {ident} is not a function")
        # A data-returning function: the header's function takes a pointer to the structure it returns.
        struct = getattr(cls, "STRUCT", None)
        if struct is not None:
            c_struct = getattr(struct, "C_NAME", None) or "LINE" + struct.__name__.upper()
            params = index.prototypes.get(ident) or index.prototypes.get(ident + "W") or ()
            if not any(p.split()[0] == f"LP{c_struct}" for p in params if p):
                problems.append(f"request {cls.__name__} returns {struct.__name__} ({c_struct}), but "
                                f"{ident}({', '.join(params)}) takes no LP{c_struct}")

    count = sum(1 for line in lines if line.startswith("_Static_assert"))
    header = f"/* Generated by tests/headers/generate.py from the protocol package: {count} assertions. */\n"
    return Generated(header + PRELUDE + "\n".join(lines) + "\n", count, tuple(problems))


def stale_entries(index: HeaderIndex) -> list[str]:
    """Reasons in protocol.header_names for things the headers do have (the entry would hide a check)."""
    out = []
    for name in names.LAYOUTS_NOT_IN_HEADERS:
        if _c_struct(name, index) is not None:
            out.append(f"LAYOUTS_NOT_IN_HEADERS[{name!r}]: the headers have struct {_c_struct(name, index)}")
    functions = {ident.lower(): ident for ident in index.identifiers if ident.startswith("line")}
    for name in names.FUNCTIONS_NOT_IN_HEADERS:
        if _function(name, functions) is not None:
            out.append(f"FUNCTIONS_NOT_IN_HEADERS[{name!r}]: tapi.h declares line{name}")
    for key in names.MEMBER_EXCEPTIONS:
        cls_name, _, member = key.partition(".")
        cls = next((e for e in names.PREFIXES if e.__qualname__ == cls_name), None)
        if cls is None or member not in cls.__members__:
            out.append(f"MEMBER_EXCEPTIONS[{key!r}]: no such member of a class in PREFIXES")
        elif names.PREFIXES[cls] + member in index.identifiers:
            out.append(f"MEMBER_EXCEPTIONS[{key!r}]: the headers have {names.PREFIXES[cls] + member}")
    for cls in names.NOT_IN_HEADERS:
        if cls in names.PREFIXES:
            out.append(f"{cls.__qualname__} is in both PREFIXES and NOT_IN_HEADERS")
    for key, member in names.FIELD_NAMES.items():
        layout, _, field = key.partition(".")
        schema = layouts().get(layout)
        c_name = _c_struct(layout, index)
        if schema is None or field not in [f for f, _, _ in _fields(schema)]:
            out.append(f"FIELD_NAMES[{key!r}]: no such layout field")
        elif c_name is None or member not in index.structs[c_name]:
            out.append(f"FIELD_NAMES[{key!r}]: {c_name} has no member {member}")
    return out


DOCS = ROOT / "docs" / "protocol.md"
DOCS_BEGIN = "<!-- constant sets: generated by `python tests/headers/generate.py --docs`; do not edit -->"
DOCS_END = "<!-- end of the constant sets -->"


def _value(cls: type[enum.Enum], value: int) -> str:
    return f"0x{value:X}" if issubclass(cls, enum.IntFlag) or value > 0xFFFF else str(value)


def docs_table() -> str:
    """The constant-set tables of docs/protocol.md §14, from the enums and protocol.header_names."""
    rows = ["| Python (`protocol.constants`) | TAPI name | members |", "|---|---|---|"]
    for cls in int_enums():
        if cls in names.PREFIXES:
            prefix = names.PREFIXES[cls]
            members = ", ".join(f"{n} {_value(cls, int(m))}" for n, m in cls.__members__.items())
            rows.append(f"| `{cls.__qualname__}` | `{prefix or '(the member name)'}`* | {members} |")
    rows += ["", "| Python (`protocol.constants`) | not in the headers because |", "|---|---|"]
    for cls in int_enums():
        if cls not in names.PREFIXES:
            rows.append(f"| `{cls.__qualname__}` | {names.NOT_IN_HEADERS.get(cls, '(no reason given)')} |")
    return "\n".join([DOCS_BEGIN, *rows, DOCS_END])


def docs_block(text: str) -> str | None:
    """The generated block as it stands in ``text`` (docs/protocol.md), or None."""
    start, end = text.find(DOCS_BEGIN), text.find(DOCS_END)
    return text[start : end + len(DOCS_END)] if 0 <= start < end else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", type=Path, help="write the C file here (default: stdout)")
    parser.add_argument("--cc", default=CC, help=f"the mingw-w64 compiler (default {CC})")
    parser.add_argument("--docs", action="store_true", help="rewrite the constant tables of docs/protocol.md")
    args = parser.parse_args(argv)
    if args.docs:
        text = DOCS.read_text(encoding="utf-8")
        old = docs_block(text)
        if old is None:
            print(f"{DOCS}: no {DOCS_BEGIN} ... {DOCS_END} block", file=sys.stderr)
            return 1
        DOCS.write_text(text.replace(old, docs_table()), encoding="utf-8")
        return 0
    index = header_index(args.cc)
    result = generate(index)
    if args.output:
        args.output.write_text(result.source, encoding="utf-8")
    else:
        sys.stdout.write(result.source)
    for problem in result.problems + tuple(stale_entries(index)):
        print(f"problem: {problem}", file=sys.stderr)
    print(f"{result.count} assertions", file=sys.stderr)
    return 1 if result.problems or stale_entries(index) else 0


if __name__ == "__main__":
    raise SystemExit(main())
