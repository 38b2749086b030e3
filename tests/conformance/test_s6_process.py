"""wire-protocol §6: the standalone process (only for our own ``python -m tsp``: skipped with --tsp)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .process import REPO_ROOT, start_server
from .rawclient import RawConnection

S6 = pytest.mark.spec("wire-protocol §6")


@pytest.fixture
def own_process(request):
    if request.config.getoption("--tsp"):
        pytest.skip("checks the process `python -m tsp` itself; not applicable with --tsp")


@S6
def test_s6_sigterm_closes_connections_and_exits_0(own_process, tsp_timeout):
    """wire-protocol §6: `--port 0` prints `listening on HOST:PORT` first; on SIGTERM the server closes every
    connection and exits with status 0."""
    server = start_server()
    try:
        conn = RawConnection(server.address, tsp_timeout)
        conn.hello()
        status = server.stop(timeout=10)
        conn.expect_closed("SIGTERM to the server")
    finally:
        server.stop()
    assert status == 0, f"exit status {status} after SIGTERM\n{server.stderr()}"


@S6
def test_s6_bad_scenario_exits_2_with_one_clear_message(own_process, tmp_path):
    """wire-protocol §6 / §5: a bad scenario file (unknown key) -> one message on stderr naming the file, the
    key and the line, and exit status 2."""
    bad = tmp_path / "bad.toml"
    bad.write_text('[switch]\nname = "x"\nlines = 2\ncolour = "blue"\n')
    proc = subprocess.run([sys.executable, "-m", "tsp", "--port", "0", "--scenario", str(bad)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2, f"exit status {proc.returncode}, stderr: {proc.stderr!r}"
    err = proc.stderr.strip()
    assert "bad.toml" in err and "colour" in err and "4" in err, f"stderr does not name file, key and line: {err!r}"
    assert "Traceback" not in err, f"a traceback instead of one clear message: {err!r}"
