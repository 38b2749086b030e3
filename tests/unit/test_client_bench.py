"""bench/client.py runs (tiny) and reports the library (TAPI3 and Line API), the raw client against the same
server and the floor, sequentially and with 64 in flight, with the ratios."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "client.py"


def test_client_bench_quick() -> None:
    out = subprocess.run([sys.executable, str(BENCH), "--quick", "--json"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert set(result) == {"sequential", "64 in flight"}
    for label, row in result.items():
        assert set(row["rate"]) == {"tapi3", "line", "raw", "floor"}
        assert all(rate > 0 for rate in row["rate"].values()), row
        assert all(cpu > 0 for cpu in row["cpu_us"].values()), row
        assert row["of_raw"] == row["rate"]["tapi3"] / row["rate"]["raw"]
        assert row["target"] == {"sequential": 0.85, "64 in flight": 0.60}[label]


def test_client_bench_table() -> None:
    out = subprocess.run([sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[1].split() == ["mode", "client", "calls", "/s", "cpu", "us/call", "runs", "/s"]
    clients = [line.split()[-4] for line in lines[2:10]]
    assert clients == ["tapi3", "line", "raw", "floor"] * 2
    assert lines[10].split() == ["mode", "library/raw", "target", "line/raw", "tapi3/line", "raw/floor"]
    assert [line.split("  ")[0] for line in lines[11:13]] == ["sequential", "64 in flight"]
