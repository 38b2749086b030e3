"""The suite runs on every core (pyproject's ``-n auto``) except against a server given with ``--tsp``."""

from __future__ import annotations

import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import pytest_xdist_auto_num_workers

ROOT = Path(__file__).resolve().parents[2]


def config_with(tsp: str | None) -> pytest.Config:
    return SimpleNamespace(getoption=lambda name: {"--tsp": tsp}[name])  # type: ignore[return-value]


def test_auto_means_one_process_against_a_given_server() -> None:
    assert pytest_xdist_auto_num_workers(config_with("127.0.0.1:5039")) == 0
    assert pytest_xdist_auto_num_workers(config_with(None)) is None  # xdist's own choice: one per core


def test_the_suite_asks_for_every_core_and_installs_xdist() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "-n auto" in project["tool"]["pytest"]["ini_options"]["addopts"]
    assert any(dep.startswith("pytest-xdist") for dep in project["project"]["optional-dependencies"]["test"])
