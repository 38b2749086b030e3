"""Smoke test of the load run (bench/load.py --quick): it starts a standalone server, drives ten
connections for a second, and reports throughput, latency, lost/mismatched replies and server memory."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "load.py"


def test_load_quick_run_loses_and_mismatches_nothing() -> None:
    out = subprocess.run([sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout
    assert text.startswith("load: 10 connections x 1 in flight, 1 s")
    completed = int(re.search(r"requests completed\s+([\d,]+)", text).group(1).replace(",", ""))
    assert completed > 0
    assert re.search(r"lost / mismatched\s+0 / 0$", text, re.M)
    p50, p99 = (float(x) for x in re.search(r"p50 / p99\s+([\d.]+) ms / ([\d.]+) ms", text).groups())
    assert 0 < p50 <= p99
    memory = re.search(r"before ([\d.]+) MiB, with 10 connected ([\d.]+) MiB, peak \(VmHWM\) ([\d.]+) MiB, "
                       r"after closing ([\d.]+) MiB", text)
    assert memory is not None, text
    before, connected, peak, after = (float(x) for x in memory.groups())
    assert 0 < before <= peak and connected <= peak and after <= peak
    assert re.search(r"server exit status\s+0$", text, re.M)
    files = re.search(r"server open files\s+before (\d+), with 10 connected (\d+), after closing (\d+)"
                      r" \(within [\d.]+ s\)$", text, re.M)
    assert files is not None, text
    before_files, connected_files, after_files = (int(x) for x in files.groups())
    assert connected_files >= before_files + 10 and after_files == before_files
