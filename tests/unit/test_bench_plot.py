"""bench/plot.py draws the three pictures of docs/performance.md from the JSON the bench scripts print: run
on the real (tiny) outputs of bench/client.py, bench/server.py --sweep and bench/switch_model.py --table, it
writes well-formed SVG carrying each measured share and value; input that is not such output is refused
with a message naming the file and what is missing."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120)


def _texts(path: Path) -> list[str]:
    root = ET.parse(path).getroot()
    return ["".join(el.itertext()) for el in root.iter("{http://www.w3.org/2000/svg}text")]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("plot")
    runs = {
        "client": [str(BENCH / "client.py"), "--quick", "--json"],
        "server": [str(BENCH / "server.py"), "--quick", "--sweep", "--workloads", "session", "--json",
                   "--no-structural", "--sweep-in-flight", "1,8", "--sweep-connections", "1,2",
                   "--sweep-agents", "20"],
        "model": [str(BENCH / "switch_model.py"), "--agents", "50", "--hours", "0.05", "--features", "1.1",
                  "--table", "50,100", "--no-memory", "--json"],
    }
    paths = {}
    for name, argv in runs.items():
        out = _run(*argv)
        assert out.returncode == 0, out.stderr
        paths[name] = tmp / f"{name}.json"
        paths[name].write_text(out.stdout)
    return paths


def test_plots_carry_the_measured_figures(outputs: dict[str, Path], tmp_path: Path) -> None:
    out = _run(str(BENCH / "plot.py"), "--client", str(outputs["client"]), "--server", str(outputs["server"]),
               "--model", str(outputs["model"]), "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    client = json.loads(outputs["client"].read_text())
    texts = " | ".join(_texts(tmp_path / "perf-client.svg"))
    for row in client.values():
        for name in ("tapi3", "line", "typed", "tasks", "floor"):
            assert f"{row['rate'][name] / row['rate']['raw']:.1%} ({row['rate'][name]:,.0f}/s)" in texts
        assert f"target {row['target']:.0%}" in texts
    sweep = json.loads(outputs["server"].read_text())["sweep"]
    texts = _texts(tmp_path / "perf-server.svg")
    assert len(sweep) == 5 and all(f"{row['tsp'] / row['floor']:.0%}" in texts for row in sweep)
    model = json.loads(outputs["model"].read_text().splitlines()[-1])
    texts = _texts(tmp_path / "perf-model.svg")
    for row in model["rows"]:
        assert f"{row['cpu_us_per_event']:.2f}" in texts and f"{row['floor_us_per_event']:.2f}" in texts
        assert f"{row['speedup_cpu']:,.0f}x real time" in texts


def test_input_that_is_not_a_bench_output_is_refused(outputs: dict[str, Path], tmp_path: Path) -> None:
    out = _run(str(BENCH / "plot.py"), "--server", str(outputs["client"]), "--out", str(tmp_path))
    assert out.returncode == 2 and "no 'sweep'" in out.stderr and str(outputs["client"]) in out.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("not json\n")
    out = _run(str(BENCH / "plot.py"), "--model", str(bad), "--out", str(tmp_path))
    assert out.returncode == 2 and "not the JSON output of a bench script" in out.stderr
    assert not (tmp_path / "perf-model.svg").exists()
    out = _run(str(BENCH / "plot.py"), "--out", str(tmp_path))
    assert out.returncode == 2 and "give at least one" in out.stderr
