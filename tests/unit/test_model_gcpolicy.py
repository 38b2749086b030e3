"""tsp.gcpolicy.tune_gc: what it sets, that it leaves an application's own setting alone, and that
``python -m tsp`` and the embedded API both run with it (bench/switch_model.py --gc reports both)."""

from __future__ import annotations

import gc
import importlib.util
from pathlib import Path

import pytest
import trio

from tsp import gcpolicy

ROOT = Path(__file__).resolve().parents[2]


def load_bench(name: str):
    """bench/switch_model.py as a fresh module called ``name`` (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / "switch_model.py")
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


@pytest.fixture
def default_gc():
    before = gc.get_threshold()
    gc.set_threshold(gcpolicy.DEFAULT_YOUNG, *before[1:])
    yield before
    gc.set_threshold(*before)


def test_tune_gc_raises_the_young_threshold_only(default_gc):
    old = gc.get_threshold()
    assert gcpolicy.tune_gc() == old
    assert gc.get_threshold() == (gcpolicy.YOUNG_THRESHOLD, *old[1:])
    assert gcpolicy.tune_gc() is None  # idempotent: already tuned


def test_tune_gc_keeps_an_applications_choice(default_gc):
    gc.set_threshold(1234, 5, 6)
    assert gcpolicy.tune_gc() is None
    assert gc.get_threshold() == (1234, 5, 6)


def test_main_tunes_gc_at_start_up(default_gc, monkeypatch, tmp_path, capsys):
    import tsp.__main__ as main_module

    calls = []
    monkeypatch.setattr(main_module, "tune_gc", lambda: calls.append(1))
    bad = tmp_path / "bad.toml"
    bad.write_text("[switch]\nlines = -1\n")
    assert main_module.main(["--scenario", str(bad)]) == 2  # a bad scenario: start-up ran up to loading it
    assert calls == [1]


def test_embedded_api_leaves_the_process_setting_alone(default_gc):
    """The embedded API runs inside someone else's process (a test run, an application): it does not change
    that process's collector; ``python -m tsp`` is the process that does (docs/server.md)."""
    from tsp.testing import open_emulator

    async def main():
        async with open_emulator(None, clock="manual", listen=False):
            return gc.get_threshold()[0]

    assert trio.run(main) == gcpolicy.DEFAULT_YOUNG


def test_bench_reports_both(tmp_path):
    m = load_bench("bench_switch_model_gc")
    before = gc.get_threshold()
    result = m.main(["--agents", "40", "--groups", "2", "--hours", "0.02", "--features", "1.1", "--gc", "both",
                     "--no-memory", "--json"])
    assert gc.get_threshold() == before  # the bench undoes its setting
    assert result["gc default"]["gc_threshold"] == gcpolicy.DEFAULT_YOUNG
    assert result["gc tuned"]["gc_threshold"] == gcpolicy.YOUNG_THRESHOLD
    assert result["gc default"]["internal_events"] == result["gc tuned"]["internal_events"] > 0
    rows = m.main(["--table", "20,40", "--hours", "0.02", "--features", "1.1", "--no-memory", "--json"])["rows"]
    assert [r["agents"] for r in rows] == [20, 40] and all(r["cpu_us_per_event"] > 0 for r in rows)


def test_bench_old_tree_driver_times_a_tree_like_measure():
    """--old-tree runs another tree's model with the same timing; pointed at this tree (1.0 configuration)
    it must see the very run measure() sees."""
    root, m = ROOT, load_bench("bench_switch_model_old")
    old = m.old_tree(str(root), 30, 1, 0.02, 1.0)
    new = m.measure(30, 1, 72.0, 1.0, False, "1.0")
    assert (old["internal_events"], old["session_events"]) == (new["internal_events"], new["session_events"])
    assert old["cpu_seconds"] > 0 and old["speedup_cpu"] > 0


def test_bench_old_tree_gc_setting_is_the_trees_own(tmp_path):
    """--old-gc tuned runs the other tree under its own tsp.gcpolicy (so two trees that have it compare under
    one setting); default leaves the interpreter's thresholds; a failing tree is named, not a traceback."""
    root, m = ROOT, load_bench("bench_switch_model_old_gc")
    tuned = m.old_tree(str(root), 30, 1, 0.02, 1.0, "1.1", "tuned")
    default = m.old_tree(str(root), 30, 1, 0.02, 1.0, "1.1")
    assert tuned["gc_threshold"] == gcpolicy.YOUNG_THRESHOLD and tuned["gc_mode"] == "tuned"
    assert default["gc_threshold"] == gcpolicy.DEFAULT_YOUNG and default["gc_mode"] == "default"
    assert tuned["internal_events"] == default["internal_events"] > 0
    with pytest.raises(SystemExit, match="not a tree of this project"):
        m.old_tree(str(root / "no-such-tree-here"), 30, 1, 0.02, 1.0)
    (tmp_path / "tsp").mkdir()  # a tree whose model cannot run (no bench script, no model)
    with pytest.raises(SystemExit, match="did not run .exit 1.: ModuleNotFoundError"):
        m.old_tree(str(tmp_path), 30, 1, 0.02, 1.0)
