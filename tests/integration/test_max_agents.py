"""``--max-agents`` (issue 12 Must 3): agents CreateAgent creates over the wire are capped; one more gets
LINEERR_RESOURCEUNAVAIL in its RESPONSE (no LINE_REPLY), scenario agents do not count, and the log says
the count. The flag's default, its validation (exit 2) and a real process with a cap of 1."""

from __future__ import annotations

import signal

import pytest

from processes import first_line, parse_listening, run_tsp, start_tsp, stop
from protocol import messages as m
from protocol.constants import ApiVersion, LineErr
from test_cli_process import Client
from tsp.__main__ import build_parser
from tsp.scenario import default_scenario
from tsp.server import ServerConfig


def test_max_agents_default_and_validation() -> None:
    assert build_parser().parse_args([]).max_agents == ServerConfig().max_agents == 10_000
    assert build_parser().parse_args(["--max-agents", "0"]).max_agents == 0
    for bad in ("-1", "many"):
        done = run_tsp("--max-agents", bad)
        assert done.returncode == 2
        assert "--max-agents" in done.stderr.strip().splitlines()[-1]
    with pytest.raises(ValueError, match="max_agents"):
        ServerConfig(max_agents=-1)


def test_a_process_with_max_agents_1_refuses_the_second_new_agent_and_logs_the_count() -> None:
    known = default_scenario().agents[0]
    proc = start_tsp("--port", "0", "--max-agents", "1")
    try:
        client = Client(*parse_listening(first_line(proc)))
        client.hello()
        happ = client.request(m.Initialize()).body.h_line_app
        hline = client.request(m.Open(h_line_app=happ, device_id=0, api_version=ApiVersion.V3_0)).body.h_line
        first = client.request(m.CreateAgent(h_line=hline, agent_id="new-1"))
        assert 1 <= first.result <= 0x7FFFFFFF  # a request ID: created
        second = client.request(m.CreateAgent(h_line=hline, agent_id="new-2"))
        assert second.result == LineErr.RESOURCEUNAVAIL
        again = client.request(m.CreateAgent(h_line=hline, agent_id="new-1"))
        scenario_agent = client.request(m.CreateAgent(h_line=hline, agent_id=known.id, pin=known.pin))
        assert 1 <= again.result <= 0x7FFFFFFF and 1 <= scenario_agent.result <= 0x7FFFFFFF
        code, err = stop(proc, signal.SIGTERM)
        client.close()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, err
    assert "1 agents created over the wire: the limit (--max-agents) is reached" in err
    assert "1 agents created over the wire already (max 1, --max-agents)" in err  # the refusal, with the count
