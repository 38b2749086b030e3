"""wire-protocol §5 [[faults]]: fault injection of our emulator, on a second server of its own (faults
would break the other cases). Skipped with --tsp: a foreign server has no scenario file."""

from __future__ import annotations

import pytest

from . import spec
from .process import start_server
from .rawclient import RawConnection, ServerClosed
from .tapi import App

S5 = pytest.mark.spec("wire-protocol §5 faults")

FAULT_SCENARIO = f"""
[switch]
name = "Faults"
lines = 2
start = "2026-11-26T09:00:00Z"
seed = 3

[[groups]]
id = "{spec.SALES}"
name = "Sales"
queue = 1

[[agents]]
id = "3001"

[[agents.sessions]]
group = "Sales"
line = 0

[[faults]]
function = 151
mode = "error"
error = "LINEERR_OPERATIONFAILED"

[[faults]]
function = 150
mode = "drop"

[[faults]]
function = 149
mode = "delay"
seconds = 130

[[faults]]
function = 148
mode = "disconnect"
after = 1
"""


@pytest.fixture(scope="module")
def fault_server(request, tmp_path_factory):
    if request.config.getoption("--tsp"):
        pytest.skip("needs our emulator with a fault scenario; not applicable with --tsp")
    path = tmp_path_factory.mktemp("faults") / "faults.toml"
    path.write_text(FAULT_SCENARIO)
    server = start_server(scenario=path)
    yield server
    server.stop()


@pytest.fixture
def fapp(fault_server, tsp_timeout):
    conn = RawConnection(fault_server.address, tsp_timeout)
    conn.hello()
    app = App(conn)
    assert app.initialize().ack == 0 and app.open(0).ack == 0
    yield app
    conn.close()


@S5
def test_s5_fault_error(fapp):
    """wire-protocol §5 mode "error": the LINE_REPLY carries the configured LINEERR (OPERATIONFAILED) instead
    of data (Param4 0)."""
    res = fapp.get_queue_info(1)
    assert res.reply is not None, f"RESPONSE {spec.describe(res.response.ack)}"
    assert res.reply.param2 == spec.OPERATIONFAILED and res.reply.param4 == 0, repr(res.reply)


@S5
def test_s5_fault_drop(fapp):
    """wire-protocol §5 mode "drop": the RESPONSE is sent, the LINE_REPLY never is (later requests still are
    completed)."""
    h_agent = fapp.agent(spec.AGENT_PLAIN_ID)
    seq = fapp.conn.send_request(spec.GETAGENTSESSIONLIST, {16: fapp.line.h_line, 20: h_agent, 28: 1024})
    rid = fapp.conn.wait_response(seq).ack
    assert 0 < rid <= 0x7FFFFFFF
    assert fapp.get_group_list().result == 0
    fapp.advance(600)
    fapp.conn.drain(0.2)
    assert not [r for r in fapp.conn.all_records if r.msg == spec.LINE_REPLY and r.param1 == rid]


@S5
def test_s5_fault_delay(fapp):
    """wire-protocol §5 mode "delay": the LINE_REPLY comes `seconds` (130) late on the switch clock: not after
    129 s, after 130 s."""
    # agent 3001 already has the scenario's live Sales session (one per agent and group, §7.1): a new agent
    h_session = fapp.session(fapp.agent("3002"), spec.SALES)
    seq = fapp.conn.send_request(spec.GETAGENTSESSIONINFO, {16: fapp.line.h_line, 20: h_session, 28: 76})
    rid = fapp.conn.wait_response(seq).ack
    fapp.advance(129)
    fapp.conn.drain(0.2)
    assert not [r for r in fapp.conn.all_records if r.msg == spec.LINE_REPLY and r.param1 == rid], "reply too early"
    fapp.advance(1)
    rec = fapp.conn.wait_reply(rid)
    assert rec.param2 == 0 and rec.param4 == 76


@S5
def test_s5_fault_disconnect_after(fapp):
    """wire-protocol §5 mode "disconnect" with after = 1: the first GetAgentInfo is served; on the second the
    connection is closed instead of the RESPONSE."""
    h_agent = fapp.agent(spec.AGENT_PLAIN_ID)
    assert fapp.get_agent_info(h_agent).result == 0
    seq = fapp.conn.send_request(spec.GETAGENTINFO, {16: fapp.line.h_line, 20: h_agent, 28: 56})
    with pytest.raises(ServerClosed):
        fapp.conn.wait_response(seq)
