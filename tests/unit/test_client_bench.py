"""bench/client.py runs (tiny) and reports both rows next to the trio floor."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "client.py"


def test_client_bench_quick() -> None:
    out = subprocess.run([sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[1].split() == ["mode", "client+tsp", "/s", "trio", "floor", "/s", "of", "floor"]
    rows = {line.split("  ")[0].strip(): line.split() for line in lines[2:]}
    assert set(rows) == {"sequential", "64 in flight"}
    for fields in rows.values():
        mine, base = (float(f.replace(",", "")) for f in fields[-3:-1])
        assert mine > 0 and base > 0
        assert fields[-1].endswith("%")
