"""The switch-model benchmark runs (tiny) and reports what it promises."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "switch_model.py"


def test_bench_runs_tiny(capsys):
    spec = importlib.util.spec_from_file_location("bench_switch_model", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(["--agents", "40", "--hours", "0.05", "--json"])
    assert json.loads(capsys.readouterr().out) == result
    assert result["agents"] == 40 and result["simulated_seconds"] == 180
    assert result["calls_answered"] > 0 and result["session_events"] >= result["calls_answered"]
    assert result["internal_events"] > 0 and result["speedup"] > 0
    assert 0 < result["peak_bytes_per_agent"] < 64 * 1024
