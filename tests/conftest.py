"""Repository-wide pytest options. Registered here (not in tests/conformance/) so that they work from
the repository root as well as with ``pytest tests/conformance``.

- ``--tsp HOST:PORT``: run the conformance suite against that server instead of starting
  ``python -m tsp`` (see docs/conformance.md).
- ``--tsp-timeout SECONDS``: how long a conformance case waits for any one frame (default 5).
- ``--tsp-idle-timeout SECONDS``: the server's documented idle timeout; enables the ERROR 5 case.

The suite runs on every core (``-n auto`` in pyproject.toml, pytest-xdist), except with ``--tsp``: the
conformance cases then share one server whose state (agents, clock) they change, so they run one at a
time in one process.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tsp", "TAPI emulator conformance suite")
    group.addoption("--tsp", metavar="HOST:PORT", default=None,
                    help="run tests/conformance against this server instead of starting `python -m tsp`")
    group.addoption("--tsp-timeout", metavar="SECONDS", type=float, default=5.0,
                    help="conformance suite: seconds to wait for any one frame (default 5)")
    group.addoption("--tsp-idle-timeout", metavar="SECONDS", type=float, default=None,
                    help="conformance suite: the server's documented idle timeout; enables the ERROR 5 case "
                         "when at most 10 s")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto`` means no workers when the suite is pointed at a server with ``--tsp``."""
    return 0 if config.getoption("--tsp") else None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "spec(section): the section of wire-protocol.md / tapi-facts.md a conformance case checks")
