"""bench/switch_model.py with the 1.1 features (--features 1.1, --compare): tiny runs, what it reports."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "switch_model.py"


def load():
    spec = importlib.util.spec_from_file_location("bench_switch_model_features", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_features_11_scenario_has_what_it_says():
    m = load()
    sc = m.build_scenario(40, 4, features="1.1")
    assert sum(len(a.sessions) for a in sc.agents) == 60  # every other agent in a second group
    assert all(len({s.group for s in a.sessions}) == len(a.sessions) for a in sc.agents)
    assert all(t.patience_mean == m.PATIENCE_MEAN and len(t.profile) == 4 and t.rate == 0 for t in sc.traffic)
    base = m.build_scenario(40, 4)
    for t11, t10 in zip(sc.traffic, base.traffic):  # the profile keeps the mean rate
        assert sum(r for _, r in t11.profile) / 4 == __import__("pytest").approx(t10.rate)
        assert t10.patience_mean is None and not t10.profile


def test_compare_runs_both_and_reports_ratios(capsys):
    m = load()
    result = m.main(["--agents", "60", "--groups", "3", "--hours", "0.1", "--compare", "--json"])
    assert json.loads(capsys.readouterr().out) == result
    old, new = result["1.0"], result["1.1"]
    assert old["features"] == "1.0" and new["features"] == "1.1"
    assert old["calls_abandoned"] == 0 and new["calls_answered"] > 0
    assert new["sessions"] == 90 and old["sessions"] == 60
    assert result["speedup_ratio"] == round(new["speedup"] / old["speedup"], 3)
    assert result["speedup_cpu_ratio"] == round(new["speedup_cpu"] / old["speedup_cpu"], 3) and new["cpu_seconds"] > 0
    assert result["bytes_per_agent_ratio"] == round(new["peak_bytes_per_agent"] / old["peak_bytes_per_agent"], 3)
