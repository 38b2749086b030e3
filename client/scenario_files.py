"""The scenario files shipped with the emulator, read as data: the client never imports the emulator.

The distribution installs the emulator's scenarios as package data: ``tsp/default_scenario.toml`` (the
built-in scenario, name ``default``) and ``tsp/scenarios/<name>.toml`` (``scripted``, ``faults``,
``conformance``). The wallboard and ``tapi clock`` take their roster (agent IDs, PINs, group -> queue IDs)
from one of them. This module finds the files with :func:`importlib.util.find_spec`, which locates the
``tsp`` package directory without running any of its code, and reads them as text; when the emulator's
package is not installed there are no built-in names and a scenario must be given as a file.

The naming rule is the emulator's (``python -m tsp --scenario NAME``): a name has no path separator and
no ``.toml`` suffix; anything else is a path.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

#: The package whose data files hold the shipped scenarios (located, never imported).
PACKAGE = "tsp"
#: The built-in scenario's name and file (it lives one level above the others, for compatibility).
DEFAULT_NAME = "default"
DEFAULT_FILE = "default_scenario.toml"
#: The folder of the other shipped scenarios, inside the package.
SCENARIO_DIR = "scenarios"


def _package_dirs() -> list[Path]:
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.submodule_search_locations:
        return []
    # Every directory of the package: an editable install can make a namespace package of it.
    return [Path(location) for location in spec.submodule_search_locations]


def builtin_files() -> dict[str, Path]:
    """The shipped scenario files by name (empty when the emulator's package is not installed)."""
    found: dict[str, Path] = {}
    for directory in _package_dirs():
        default = directory / DEFAULT_FILE
        if default.is_file():
            found.setdefault(DEFAULT_NAME, default)
        folder = directory / SCENARIO_DIR
        if folder.is_dir():
            for entry in sorted(folder.glob("*.toml")):
                if entry.is_file():
                    found.setdefault(entry.name[: -len(".toml")], entry)
    return found


def names() -> list[str]:
    """The names of the shipped scenarios, sorted."""
    return sorted(builtin_files())


def is_name(value: object) -> bool:
    """Whether ``value`` is spelled like a scenario name and one of the shipped scenarios has it."""
    if not isinstance(value, str) or "/" in value or "\\" in value or value.endswith(".toml"):
        return False
    return value in builtin_files()


def text(name: str) -> str:
    """The TOML text of a shipped scenario; KeyError naming the known names when there is none."""
    files = builtin_files()
    if name not in files:
        known = ", ".join(sorted(files)) or "none (the emulator's package is not installed)"
        raise KeyError(f"no built-in scenario {name!r}; built-in scenarios: {known}")
    return files[name].read_text(encoding="utf-8")


__all__ = ["DEFAULT_NAME", "builtin_files", "is_name", "names", "text"]
