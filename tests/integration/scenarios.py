"""Scenario texts shared by the integration tests (one place instead of a copy per test file)."""

from __future__ import annotations

import uuid

#: The group every small test scenario has (queue 1).
SALES = uuid.UUID("5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b")


def one_agent(lines: int = 2, seed: int = 1) -> str:
    """TOML of a small floor: ``lines`` lines, the group Sales (queue 1) and one agent, anna, whose
    session in Sales on line 0 is READY from the start."""
    return f"""
[switch]
lines = {lines}
seed = {seed}

[[groups]]
id = "{SALES}"
name = "Sales"
queue = 1

[[agents]]
id = "anna"

[[agents.sessions]]
group = "Sales"
line = 0
state = "READY"
"""
