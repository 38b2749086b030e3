"""Against a server that does not run the conformance scenario (a plain ``python -m tsp --port 0``: the
built-in call centre, real clock, no control), the whole suite gives exactly one failure - the first case,
saying in one sentence what to start - and skips the rest without dumping GUIDs."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from .process import REPO_ROOT, start_server
from .scenario_check import START_COMMAND


def test_meta_wrong_scenario_fails_once_with_what_to_start(request, tmp_path):
    if request.config.getoption("--tsp"):
        pytest.skip("meta test of the conformance suite itself; not run with --tsp")
    server = start_server(scenario=None, control=False, clock="real")
    junit = tmp_path / "junit.xml"
    try:
        cmd = [sys.executable, "-m", "pytest", "tests/conformance", "--tsp", f"{server.host}:{server.port}",
               "--tsp-timeout", "2", "-p", "no:cacheprovider", "-q", "--junitxml", str(junit)]
        proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    finally:
        server.stop()
    assert junit.exists(), f"no report (status {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    cases = list(ET.parse(junit).getroot().iter("testcase"))
    failed = [c for c in cases if c.find("failure") is not None or c.find("error") is not None]
    passed = [c for c in cases if c.find("failure") is None and c.find("error") is None and c.find("skipped") is None]
    assert [c.get("name") for c in failed] == ["test_s0_server_runs_the_conformance_scenario"], (
        f"expected one failure, got {[c.get('name') for c in failed]}\n{proc.stdout[-3000:]}")
    message = (failed[0].find("failure") if failed[0].find("failure") is not None else failed[0].find("error")).get("message", "")
    assert START_COMMAND in message and "does not run the conformance scenario" in message, message
    assert "Billing" in message, f"the sentence should say what the server has instead: {message}"
    assert message.count(". ") == 0 and "\n" not in message.strip(), f"not one sentence: {message!r}"
    assert not passed, f"cases passed against the wrong scenario: {[c.get('name') for c in passed]}"
    assert len(cases) > 100, f"only {len(cases)} cases ran"
    assert "5f0c7d1e" not in proc.stdout and "c0ffee00" not in proc.stdout, "raw GUIDs in the output"
    assert proc.returncode == 1, proc.stdout[-2000:]
