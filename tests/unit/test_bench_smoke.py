"""The performance benches run with tiny sizes and report what they promise (no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def run(script: str, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, str(BENCH / script), *args], capture_output=True, text=True, timeout=180
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_server_bench_rows_and_sweep() -> None:
    result = json.loads(
        run("server.py", "--quick", "--json", "--sweep", "--sweep-in-flight", "4",
            "--sweep-connections", "3", "--sweep-agents", "30")
    )
    rows = {(row["workload"], row["load"]): row for row in result["rows"]}
    loads = ("sequential", "64 in flight", "50 connections")
    assert set(rows) == {(w, load) for w in ("session", "call", "mixed") for load in loads}
    for (workload, _), row in rows.items():
        assert row["tsp"] > 0 and row["floor"] > 0
        assert row["ratio"] == row["tsp"] / row["floor"]
        assert (0 < row["target"] < 1) if workload == "session" else row["target"] is None
    sweep = {(row["axis"], row["connections"], row["in_flight"], row.get("agents")) for row in result["sweep"]}
    assert sweep == {("in flight", 1, 4, None), ("connections", 3, 1, None), ("agents", 1, 64, 30)}
    assert all(row["tsp"] > 0 and row["floor"] > 0 for row in result["sweep"])
    structural = {row["load"]: row for row in result["structural"]}  # the proof rows, every server answered
    assert set(structural) == set(loads)
    assert all(row[name] > 0 for row in structural.values() for name in ("tsp", "echo", "shape", "answer"))


def test_server_bench_table() -> None:
    lines = run("server.py", "--quick").strip().splitlines()
    assert lines[1].split() == ["request", "load", "tsp", "/s", "echo", "floor", "/s", "of", "floor", "target"]
    rows = [(line[:22].strip(), line[22:38].strip()) for line in lines[2:11]]
    loads = ["sequential", "64 in flight", "50 connections"]
    assert rows == [(request, load) for request in ("GetAgentSessionInfo", "GetCallInfo", "mixed") for load in loads]
    for line in lines[2:5]:
        assert line.split()[-1] in ("ok", "MISSED") and "%" in line
    for line in lines[5:11]:
        assert line.split()[-1] == "-" and "%" in line


def test_codec_bench_totals_and_reference_table() -> None:
    lines = run("codec.py", "--quick").strip().splitlines()
    total = next(line for line in lines if line.startswith("full exchange (rows 1-6)"))
    assert total.endswith("(target <= 3x)")
    mine, floor = (float(v) for v in total.split()[4:6])
    assert mine > 0 and floor > 0
    start = lines.index(next(line for line in lines if line.startswith("construct reference path")))
    end = lines.index("", start)  # the reference table ends at a blank line (the other exchanges follow)
    reference = lines[start + 1 : end]
    assert [line[:30].strip() for line in reference] == [
        "REQUEST encode", "REQUEST decode", "RESPONSE encode", "RESPONSE decode",
        "LINE_REPLY encode", "LINE_REPLY decode", "full exchange",
    ]
    assert all(line.endswith("times") for line in reference)
    summary = lines[lines.index(next(line for line in lines if line.startswith("exchange (encode + decode)"))) + 1 :]
    assert [line.split()[0] for line in summary] == [
        "GetAgentSessionInfo", "GetCallInfo", "LINE_AGENTSTATUSEX", "LINE_QUEUESTATUS", "LINE_CALLSTATE",
    ]


def test_server_pipeline_breakdown() -> None:
    cost = json.loads(run("server.py", "--pipeline", "--quick", "--json"))
    assert set(cost) == {"whole", "decode", "handle", "model", "send", "lane", "lane_mixed", "floor_shape", "floor_answer"}
    assert all(value > 0 for value in cost.values())


def test_structural_floors_answer_what_tsp_answers() -> None:
    """Both structural floors of bench/server.py answer each GetAgentSessionInfo of a read with a RESPONSE
    (its sequence, a request ID) and a LINE_REPLY of that ID a client decodes; the answer floor's data is
    the session's LINEAGENTSESSIONINFO as tsp's model has it."""
    sys.path.insert(0, str(BENCH.parent))
    from bench._floors import StructuralFloor
    from protocol import (
        NEED_DATA, AgentSessionInfo, Connection, GetAgentSessionInfo, Hello, LineReply, Request, Response, Role, encode,
    )
    from protocol.structs import decode_struct

    for kind in ("shape", "answer"):
        floor = StructuralFloor(kind)
        client = Connection(Role.CLIENT)
        client.send(Hello())
        client.receive_data(encode(Hello()))
        client.next_event()
        frames = bytearray(b"".join(client.send(Request(seq, GetAgentSessionInfo(h_line=1, h_agent_session=1)))
                                    for seq in (5, 6, 7)))
        out, used = floor.answer(frames + b"\x10\x00")  # and the start of a fourth frame
        assert used == len(frames)
        client.receive_data(bytes(out))
        responses, replies = [], []
        while (event := client.next_event()) is not NEED_DATA:
            if isinstance(event, Response):
                responses.append(event)
            else:
                replies += [r for r in event.records if isinstance(r, LineReply)]
        assert [r.sequence for r in responses] == [5, 6, 7]
        assert [r.request_id for r in replies] == [r.result for r in responses]
        assert len(set(r.request_id for r in replies)) == 3
        infos = [decode_struct(AgentSessionInfo, r.data) for r in replies]
        if kind == "answer":
            stats = floor.model.session_info(floor.session, 0.0)
            assert (infos[0].state, infos[0].session_start_time) == (stats.state, stats.session_start_time)
        else:
            assert infos[0] == AgentSessionInfo()  # the canned answer
