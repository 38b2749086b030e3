"""bench/switch_model.py's memory floor (floor_run, the --table floor columns): it runs the same workload
shape as the model (about as many queue events on the same floor), and the table reports it."""

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "switch_model.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_switch_model_floor", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_floor_does_the_models_events():
    m = _bench()
    from tsp.model import Switch

    seconds = 1800.0
    produced, internal = m.floor_run(200, 2, seconds)
    switch = Switch(m.build_scenario(200, 2, features="1.0"), records=False)
    _, model_internal = m.run(switch, seconds)
    # the same calls at the same rates, four queue events each (the model has a few more: patience etc.)
    assert 0.85 * model_internal <= internal <= 1.1 * model_internal, (internal, model_internal)
    assert produced >= internal  # one event tuple per queue event at least (an offer adds one)


def test_table_reports_the_floor_per_row():
    m = _bench()
    result = m.main(["--features", "1.1", "--gc", "tuned", "--table", "50,100", "--hours", "0.05",
                     "--memory-hours", "0.02", "--count-calls", "0.02", "--json"])
    rows = result["rows"]
    assert [r["agents"] for r in rows] == [50, 100]
    assert rows[0]["growth"] == rows[0]["floor_growth"] == rows[0]["over_floor"] == 1.0
    for r in rows:
        assert r["floor_us_per_event"] > 0 and r["floor_peak_bytes_per_agent"] > 0
        assert r["over_floor"] == round(r["growth"] / r["floor_growth"], 3)
        assert r["added_us"] == round(r["cpu_us_per_event"] - rows[0]["cpu_us_per_event"], 3)
        assert r["bound_speedup"] > 0
        assert r["calls_per_event"] > 3  # each internal event is a few function calls at least
    no_floor = m.main(["--features", "1.1", "--table", "50", "--hours", "0.02", "--no-memory", "--no-floor", "--json"])
    assert no_floor["rows"][0]["floor_us_per_event"] is None
    assert no_floor["rows"][0]["calls_per_event"] is None
