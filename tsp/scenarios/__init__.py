"""The scenarios shipped inside the package, by name.

``python -m tsp --scenario scripted``, ``open_emulator("scripted")`` and the ``tapi_emulator`` fixture's
``scenario="scripted"`` all resolve these names, so a test suite needs no copy of its own:

* ``default``: the built-in lively call centre (``tsp/default_scenario.toml``, what runs without
  ``--scenario``);
* ``scripted``: no random traffic, a timeline in its header comment (agents anna/1111, ben, cleo/3333);
* ``faults``: a small help desk with delayed, failing and dropped replies;
* ``day``: a working day (08:00-18:00) of a small call centre with the 1.1 model: morning and afternoon
  peaks (traffic profiles), shifts and breaks (session changes, activities), abandonment, ring
  timeouts, overflow, agents shared by two groups, caller numbers;
* ``conformance``: what a server under the conformance suite must run (with ``--clock manual --control``).

A scenario argument is a **name** when it has no path separator and no ``.toml`` suffix and one of the
names above matches; anything else is a file path. :func:`path` gives the file of a name, e.g. to read
its roster or copy it as a starting point.
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable

__all__ = ["names", "is_name", "path", "text"]

#: The built-in scenario that runs without ``--scenario`` lives one level up, for compatibility.
_DEFAULT = "default"


def _files() -> dict[str, Traversable]:
    found: dict[str, Traversable] = {_DEFAULT: resources.files("tsp").joinpath("default_scenario.toml")}
    for entry in resources.files(__name__).iterdir():
        if entry.name.endswith(".toml") and entry.is_file():
            found[entry.name[: -len(".toml")]] = entry
    return found


def names() -> list[str]:
    """The names of the shipped scenarios, sorted."""
    return sorted(_files())


def is_name(value: object) -> bool:
    """Whether ``value`` is (spelled like, and is) the name of a shipped scenario."""
    if not isinstance(value, str) or "/" in value or "\\" in value or value.endswith(".toml"):
        return False
    return value in _files()


def path(name: str) -> Traversable:
    """The packaged file of a shipped scenario (a ``pathlib.Path`` in an ordinary install).

    KeyError naming the known names when there is no such scenario."""
    files = _files()
    if name not in files:
        raise KeyError(f"no built-in scenario {name!r}; built-in scenarios are {', '.join(sorted(files))}")
    return files[name]


def text(name: str) -> str:
    """The TOML text of a shipped scenario."""
    return path(name).read_text(encoding="utf-8")
