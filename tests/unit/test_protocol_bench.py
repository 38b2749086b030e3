"""bench/codec.py runs (tiny) and reports every row; its self-checks assert byte equality with struct."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "codec.py"


def test_codec_bench_quick() -> None:
    out = subprocess.run([sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0].split() == ["operation", "protocol", "us", "struct", "us", "ratio"]
    blank = lines.index("")
    rows = [line for line in lines[1:blank] if line.endswith("x")]
    assert len(rows) == 8
    assert {r.split("  ")[0].strip() for r in rows} >= {"LINE_REPLY encode", "LINE_REPLY decode"}
    # the lower bound table: six rows and the full exchange, bound above the floor, codec above the bound
    bound = lines[blank + 1 : lines.index("", blank + 1)]
    assert bound[0].split()[:3] == ["objects", "the", "rows"] and len(bound) == 8
    last = bound[-1]
    assert last.startswith("full exchange") and "the least any codec" in last
    objects_us, bound_us, ratio = last.split()[2:5]
    assert 0 < float(objects_us) < float(bound_us) and float(ratio.rstrip("x")) > 1
