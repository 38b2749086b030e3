"""The README's pytest example runs as written, from an empty folder, against an installed copy.

A fresh venv with pip would take too long, so the "install" is done the way an install does it, minus
the download: setuptools' own ``build_py`` (packages plus the declared package data - what a wheel holds)
and ``egg_info`` (the metadata with the ``pytest11`` entry point) into a directory, and a ``--without-pip``
venv whose only path additions are that directory and this interpreter's site-packages (pytest, trio ...).
Then the README's code block - taken from README.md by this test - is saved alone in an empty folder and
run with ``python -m pytest`` there: no conftest, no ini, no PYTHONPATH, the repository not importable.
"""

from __future__ import annotations

import os
import re
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def readme_test_block() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "def test_" in b]
    assert len(blocks) == 1, f"expected one pytest example in README.md, found {len(blocks)}"
    return blocks[0]


def install_copy(tmp: Path) -> Path:
    """The package as an install lays it out, in ``tmp/site``; returns the python of a venv seeing it."""
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    for package in ("tsp", "client", "protocol"):
        shutil.copytree(REPO / package, src / package, ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp / "site"
    build = subprocess.run(
        [sys.executable, "-c", "import setuptools; setuptools.setup()", "-q",
         "build_py", "--build-lib", str(target), "egg_info", "--egg-base", str(target)],
        cwd=src, capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr[-3000:]
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp / "venv")], check=True, timeout=60)
    python = tmp / "venv" / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (Path(purelib) / "tapi_readme_test.pth").write_text("\n".join([str(target), *deps]) + "\n")
    return python


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYTEST"))}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("readme")
    return install_copy(tmp), tmp / "site"


def test_readme_example_runs_from_an_empty_folder(installed: tuple[Path, Path], tmp_path: Path) -> None:
    python, site_dir = installed
    block = readme_test_block()
    for needed in ("import client", "@pytest.mark.trio", "tapi_emulator"):
        assert needed in block, f"the README example lacks {needed!r}"
    assert "examples/" not in block, "the README example uses a path that only exists in a checkout"
    work = tmp_path / "work"
    work.mkdir()
    (work / "test_cti.py").write_text(block, encoding="utf-8")

    where = subprocess.run(
        [str(python), "-c", "import sys, tsp, tsp.scenarios; print(tsp.__file__); print('\\n'.join(sys.path))"],
        cwd=work, env=clean_env(), capture_output=True, text=True, timeout=60)
    assert where.returncode == 0, where.stderr
    tsp_file, *path = where.stdout.splitlines()
    assert Path(tsp_file).is_relative_to(site_dir), f"tsp imported from {tsp_file}, not the installed copy"
    assert str(REPO) not in path and "" not in path[1:], f"the repository is importable: {path}"

    run = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                         cwd=work, env=clean_env(), capture_output=True, text=True, timeout=90)
    assert run.returncode == 0, f"README example failed:\n{run.stdout[-4000:]}\n{run.stderr[-2000:]}"
    assert re.search(r"\b2 passed\b", run.stdout), run.stdout[-2000:]
    assert sorted(p.name for p in work.iterdir() if not p.name.startswith((".", "__"))) == ["test_cti.py"]


def test_docs_client_pytest_example_runs_from_an_empty_folder(installed: tuple[Path, Path], tmp_path: Path) -> None:
    """docs/client.md's "Testing an application" block, saved alone in an empty folder, passes as written."""
    python, _ = installed
    text = (REPO / "docs" / "client.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "def test_" in b]
    assert len(blocks) == 1, f"expected one pytest example in docs/client.md, found {len(blocks)}"
    work = tmp_path / "work"
    work.mkdir()
    (work / "test_app.py").write_text(blocks[0], encoding="utf-8")
    run = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                         cwd=work, env=clean_env(), capture_output=True, text=True, timeout=90)
    assert run.returncode == 0, f"docs/client.md example failed:\n{run.stdout[-4000:]}\n{run.stderr[-2000:]}"
    assert re.search(r"\b1 passed\b", run.stdout), run.stdout[-2000:]


def test_installed_copy_ships_every_scenario(installed: tuple[Path, Path]) -> None:
    """Every scenario file of the source tree is package data (the README and docs name them)."""
    _, site_dir = installed
    shipped = sorted(p.name for p in (site_dir / "tsp" / "scenarios").glob("*.toml"))
    assert shipped == sorted(p.name for p in (REPO / "tsp" / "scenarios").glob("*.toml"))
    assert (site_dir / "tsp" / "default_scenario.toml").is_file()


def test_readme_library_example_runs_against_the_emulator(tmp_path: Path) -> None:
    """The "Use it from your code" block, as written, against ``python -m tsp`` (its port put in for 5038)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "trio.run(main)" in b]
    server = subprocess.Popen([sys.executable, "-m", "tsp", "--port", "0"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, cwd=tmp_path)
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        port = re.fullmatch(r"listening on 127\.0\.0\.1:(\d+)\n", first)
        assert port, first
        run = subprocess.run([sys.executable, "-c", block.replace("5038", port.group(1))], cwd=tmp_path,
                             capture_output=True, text=True, timeout=60)
    finally:
        server.terminate()
        server.wait(10)
    assert run.returncode == 0, run.stderr[-3000:]
    assert [line.isdigit() for line in run.stdout.split()] == [True, True], run.stdout
