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
    rows = [line for line in lines[1:] if line.endswith("x")]
    assert len(rows) == 8
    assert {r.split("  ")[0].strip() for r in rows} >= {"LINE_REPLY encode", "LINE_REPLY decode"}
