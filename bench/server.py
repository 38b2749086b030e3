"""Server round trips per second: GetAgentSessionInfo against ``python -m tsp``, next to a minimal trio
echo server answering the same frame sizes, measured in the same run, with the ratio.

A round trip is one REQUEST answered by its RESPONSE and the EVENTS frame with its LINE_REPLY (72 bytes
out, 72 + 128 bytes back). Three loads, each against both servers:

* sequential: one connection, one request at a time;
* 64 in flight: one connection, a window of 64 outstanding requests (a new one per LINE_REPLY);
* 50 connections: 50 connections, each sequential.

The floor is the cheapest server of this stack: a trio task per connection that splits the byte stream
into frames by their length field and answers each REQUEST with canned bytes of the sizes tsp sends - no
decoding, no objects, no switch. The load client is one trio process speaking raw frames built by
``protocol`` (setup - HELLO, Initialize, Open, CreateAgent, GetAgentSessionList - and the first answer go
through ``protocol.Connection`` and are checked; afterwards the client only splits frames and counts
LINE_REPLY records, the same work for both servers). Both servers run as separate processes; tsp runs
with ``--clock manual`` so no random traffic adds events (the request path is the same as with real time).
Each row alternates floor and tsp runs (``--rounds``, default 3) and keeps the best rate of each: other
processes on the machine only ever slow a run down.

    python bench/server.py                 # 3 s per row
    python bench/server.py --quick         # tiny run (used by the test suite)
    python bench/server.py --sweep         # also: cost vs requests in flight, connections and agents
                                           # (agents: a floor with traffic, clock x60, 64 in flight)
    python bench/server.py --json          # one JSON object instead of the table
    python bench/server.py --pipeline      # only the server's CPU per request without sockets or trio

Targets (issue "Performance"): 64 in flight >= 35 % of the floor, sequential >= 60 %, 50 connections >= 50 %.
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trio  # noqa: E402

from bench._common import run_floor, start_process, stop_process  # noqa: E402
from protocol import (  # noqa: E402
    CLOSED,
    NEED_DATA,
    AgentSessionInfo,
    AgentSessionList,
    Connection,
    CreateAgent,
    Events,
    GetAgentSessionInfo,
    GetAgentSessionList,
    Hello,
    Initialize,
    LineReply,
    Open,
    Request,
    Response,
    Role,
    encode,
    encode_struct,
)
from protocol.constants import FrameKind, LineMsg  # noqa: E402

TARGETS = {"sequential": 0.60, "64 in flight": 0.35, "50 connections": 0.50}
_FRAME_HEADER = struct.Struct("<LHHL")
_RECORD_MSG = struct.Struct("<LLLLL")  # TotalSize .. Msg of an ASYNCEVENTMSG


# --- the floor: a minimal trio server answering the same frame sizes (bench/_common.py) ---------------


def canned_answer() -> bytes:
    """RESPONSE + EVENTS(LINE_REPLY with a LINEAGENTSESSIONINFO) of one GetAgentSessionInfo, as tsp sends them
    (what the floor answers every request with)."""
    body = GetAgentSessionInfo(h_line=1, h_agent_session=1)
    info = encode_struct(AgentSessionInfo())
    return encode(Response(1, 1, body)) + encode(Events((LineReply(request_id=1, data=info),)))


# --- the load client -------------------------------------------------------------------------------------


class ServerFailed(RuntimeError):
    """The server closed the connection or sent an ERROR frame during the run."""


async def _exchange(stream: trio.SocketStream, conn: Connection, frame: Any) -> list[Any]:
    """Send one frame through ``conn`` and collect frames until its answer (and LINE_REPLY) arrived."""
    await stream.send_all(conn.send(frame))
    got: list[Any] = []
    want_reply = False
    while True:
        event = conn.next_event()
        if event is NEED_DATA:
            data = await stream.receive_some(65536)
            conn.receive_data(data)
            continue
        if event is CLOSED:
            raise ServerFailed("connection closed during setup")
        got.append(event)
        if isinstance(frame, Hello) and isinstance(event, Hello):
            return got
        if isinstance(event, Response):
            if not getattr(frame.body, "ASYNC", False) or not 0 < event.result <= 0x7FFFFFFF:
                return got
            want_reply = True
        if want_reply and isinstance(event, Events) and any(isinstance(r, LineReply) for r in event.records):
            return got


async def open_load_connection(host: str, port: int, raw: bool) -> tuple[trio.SocketStream, bytes]:
    """Connect and return (stream, the GetAgentSessionInfo REQUEST frame to repeat).

    ``raw`` (the floor): HELLO only. Otherwise the full setup through ``protocol.Connection`` - Initialize,
    Open line 0, CreateAgent 1001, GetAgentSessionList - and one checked GetAgentSessionInfo exchange.
    """
    stream = await trio.open_tcp_stream(host, port)
    conn = Connection(Role.CLIENT)
    await _exchange(stream, conn, Hello(product="bench/server.py"))
    if raw:
        return stream, encode(Request(1, GetAgentSessionInfo(h_line=1, h_agent_session=1)))
    seq = conn.next_sequence
    init = (await _exchange(stream, conn, Request(seq(), Initialize(friendly_name="bench", module_name="bench"))))[-1]
    line = (await _exchange(stream, conn, Request(seq(), Open(h_line_app=init.body.h_line_app, device_id=0))))[-1]
    h_line = line.body.h_line
    frames = await _exchange(stream, conn, Request(seq(), CreateAgent(h_line=h_line, agent_id="1001", pin="1234")))
    h_agent = _reply_value(frames)
    frames = await _exchange(stream, conn, Request(seq(), GetAgentSessionList(h_line=h_line, h_agent=h_agent)))
    sessions: AgentSessionList = _reply_value(frames)
    body = GetAgentSessionInfo(h_line=h_line, h_agent_session=sessions.entries[0].hagent_session)
    info = _reply_value(await _exchange(stream, conn, Request(seq(), body)))
    if not isinstance(info, AgentSessionInfo):
        raise ServerFailed(f"GetAgentSessionInfo answered {info!r}")
    return stream, encode(Request(seq(), body))


def _reply_value(frames: list[Any]) -> Any:
    for frame in frames:
        if isinstance(frame, Events):
            for rec in frame.records:
                if isinstance(rec, LineReply):
                    if rec.result:
                        raise ServerFailed(f"LINE_REPLY failed with {rec.result:#x}")
                    return rec.value
    raise ServerFailed(f"no LINE_REPLY in {frames!r}")


class Counter:
    """Round trips completed (LINE_REPLY records received) by all connections of one load."""

    def __init__(self) -> None:
        self.done = 0


async def drive(stream: trio.SocketStream, request: bytes, window: int, stop: trio.Event, counter: Counter) -> None:
    """Keep ``window`` GetAgentSessionInfo requests outstanding until ``stop``; count LINE_REPLYs."""
    buf = bytearray()
    await stream.send_all(request * window)
    while not stop.is_set():
        data = await stream.receive_some(65536)
        if not data:
            raise ServerFailed("the server closed the connection")
        buf += data
        replies = 0
        pos = 0
        end = len(buf)
        while end - pos >= 12:
            length, kind, _flags, _seq = _FRAME_HEADER.unpack_from(buf, pos)
            if end - pos < 4 + length:
                break
            if kind == FrameKind.EVENTS:
                rec = pos + 12
                while rec < pos + 4 + length:
                    total, _i, _c, _h, msg = _RECORD_MSG.unpack_from(buf, rec)
                    replies += msg == LineMsg.REPLY
                    rec += total or 4 + length
            elif kind == FrameKind.ERROR:
                raise ServerFailed(f"ERROR frame: {bytes(buf[pos + 12 : pos + 4 + length])!r}")
            pos += 4 + length
        del buf[:pos]
        counter.done += replies
        if replies and not stop.is_set():
            await stream.send_all(request * replies)


async def measure(host: str, port: int, raw: bool, connections: int, window: int, seconds: float) -> float:
    """Round trips per second over ``connections`` connections with ``window`` in flight on each."""
    streams: list[tuple[trio.SocketStream, bytes]] = []
    for _ in range(connections):
        streams.append(await open_load_connection(host, port, raw))
    counter = Counter()
    stop = trio.Event()
    warmup = min(0.5, seconds / 5)
    try:
        async with trio.open_nursery() as nursery:
            for stream, request in streams:
                nursery.start_soon(drive, stream, request, window, stop, counter)
            await trio.sleep(warmup)
            start, before = time.perf_counter(), counter.done
            await trio.sleep(seconds)
            elapsed, done = time.perf_counter() - start, counter.done - before
            stop.set()
            nursery.cancel_scope.cancel()
    finally:
        for stream, _ in streams:
            await trio.aclose_forcefully(stream)
    return done / elapsed


# --- the server's request path without sockets ------------------------------------------------------------


def pipeline_cost(requests: int = 20_000) -> dict[str, float]:
    """Microseconds per GetAgentSessionInfo spent by what ``tsp.server`` runs for one REQUEST, in-process
    and without I/O: ``Connection.next_event`` (frame -> Request), ``SwitchService.handle`` (of which the
    model's ``session_info``) and ``Connection.send`` of the RESPONSE and the EVENTS frame. Frames arrive
    64 at a time, as with 64 in flight. Best of five runs."""
    from tsp.model import Switch
    from tsp.scenario import default_scenario
    from tsp.switch import SwitchService

    service = SwitchService(Switch(default_scenario()))
    cid = service.open_connection("bench")
    server, client = Connection(Role.SERVER), Connection(Role.CLIENT)
    server.receive_data(client.send(Hello()))
    server.next_event()
    client.receive_data(server.send(Hello()))
    client.next_event()

    def call(body: Any) -> list[Any]:
        server.receive_data(client.send(Request(client.next_sequence(), body)))
        answer = []
        for out in service.handle(cid, server.next_event(), 0.0).frames:
            client.receive_data(server.send(out.frame))
            while (event := client.next_event()) is not NEED_DATA:
                answer.append(event)
        return answer

    h_app = call(Initialize())[0].body.h_line_app
    h_line = call(Open(h_line_app=h_app, device_id=0))[0].body.h_line
    h_agent = _reply_value(call(CreateAgent(h_line=h_line, agent_id="1001", pin="1234")))
    sessions = _reply_value(call(GetAgentSessionList(h_line=h_line, h_agent=h_agent)))
    body = GetAgentSessionInfo(h_line=h_line, h_agent_session=sessions.entries[0].hagent_session)
    batch = encode(Request(1, body)) * 64
    request = Request(1, body)

    def whole(n: int) -> None:
        for _ in range(n // 64):
            server.receive_data(batch)
            while (event := server.next_event()) is not NEED_DATA:
                for out in service.handle(cid, event, 0.0).frames:
                    server.send(out.frame)

    def decode(n: int) -> None:
        for _ in range(n // 64):
            server.receive_data(batch)
            while server.next_event() is not NEED_DATA:
                pass

    def handle(n: int) -> None:
        for _ in range(n):
            service.handle(cid, request, 0.0)

    frames = [out.frame for out in service.handle(cid, request, 0.0).frames]

    def send(n: int) -> None:
        for _ in range(n):
            for frame in frames:
                server.send(frame)

    def model(n: int) -> None:
        for _ in range(n):
            service.model.session_info(body.h_agent_session, 0.0)

    def best(fn: Any) -> float:
        fn(requests // 10)
        runs = []
        for _ in range(5):
            t0 = time.perf_counter()
            fn(requests)
            runs.append(time.perf_counter() - t0)
        return min(runs) / (requests // 64 * 64 if fn in (whole, decode) else requests) * 1e6

    return {"whole": best(whole), "decode": best(decode), "handle": best(handle), "model": best(model), "send": best(send)}


def tsp_args(scenario: Path | None = None, speed: float | None = None) -> list[str]:
    """``python -m tsp`` on a free port; manual clock, or the real clock ``speed`` times faster."""
    clock = ["--clock", "manual", "--control"] if speed is None else ["--clock", "real", "--speed", f"{speed:g}"]
    args = ["-m", "tsp", "--port", "0", *clock, "-q", "--max-conn", "5000"]
    return args + (["--scenario", str(scenario)] if scenario else [])


def scenario_file(agents: int, directory: Path) -> Path:
    """The floor of bench/switch_model.py as a scenario file: ``agents`` agents (the first is 1001 with PIN
    1234) in groups of 1,000, one READY session each, answer after 2 s, 20 s wrap-up, Poisson traffic for
    85 % occupancy with 180 s mean talk."""
    groups = max(1, agents // 1000)
    lines = ["[switch]", 'name = "bench floor"', "lines = 64", 'start = "2026-11-26T09:00:00Z"', "seed = 1", ""]
    for g in range(groups):
        lines += ["[[groups]]", f'id = "{uuid.UUID(int=g + 1)}"', f'name = "G{g}"', f"queue = {g + 1}", ""]
        members = len(range(g, agents, groups))
        lines += ["[[traffic]]", f'group = "G{g}"', f"rate = {0.85 * members * 3600 / 202:.3f}", "talk_mean = 180", ""]
    for i in range(agents):
        lines += ["[[agents]]", f'id = "{1001 + i}"', "answer_delay = 2", "wrapup = 20"]
        lines += ['pin = "1234"'] if i == 0 else []
        lines += ["[[agents.sessions]]", f'group = "G{i % groups}"', f"line = {i % 64}", 'state = "READY"', ""]
    path = directory / f"agents-{agents}.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


LOADS = (("sequential", 1, 1), ("64 in flight", 1, 64), ("50 connections", 50, 1))
#: The agents axis runs the real clock this many times faster, so the floor's traffic keeps the switch busy.
AGENTS_SPEED = 60


def run_pair(
    tsp: tuple[str, int], floor: tuple[str, int], connections: int, window: int, seconds: float, rounds: int = 1
) -> tuple[float, float]:
    """(tsp rate, floor rate) for one load: ``rounds`` alternating runs of ``seconds / rounds``, best of each."""
    mine = base = 0.0
    for _ in range(rounds):
        base = max(base, trio.run(measure, *floor, True, connections, window, seconds / rounds))
        mine = max(mine, trio.run(measure, *tsp, False, connections, window, seconds / rounds))
    return mine, base


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny run (a fraction of a second per row)")
    ap.add_argument("--seconds", type=float, default=3.0, help="seconds per row and server (default 3)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating runs per row; the best counts (default 3)")
    ap.add_argument("--sweep", action="store_true", help="also measure cost vs in flight, connections, agents")
    ap.add_argument("--sweep-in-flight", type=_ints, default=(1, 8, 64, 256), metavar="N,N..", help="default 1,8,64,256")
    ap.add_argument("--sweep-connections", type=_ints, default=(1, 10, 50, 200), metavar="N,N..", help="default 1,10,50,200")
    ap.add_argument("--sweep-agents", type=_ints, default=(20, 1_000, 10_000), metavar="N,N..", help="default 20,1000,10000")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--pipeline", action="store_true", help="only the server's CPU per request, without I/O")
    ap.add_argument("--serve-floor", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve_floor:
        run_floor(canned_answer())
        return {}
    if args.pipeline:
        cost = pipeline_cost(640 if args.quick else 20_000)
        if args.json:
            print(json.dumps(cost))
            return cost
        print("server CPU per GetAgentSessionInfo without sockets (us): "
              f"{cost['whole']:.1f} = decode {cost['decode']:.1f} + handle {cost['handle']:.1f}"
              f" (model.session_info {cost['model']:.1f}) + encode RESPONSE and EVENTS {cost['send']:.1f}")
        return cost
    seconds = 0.2 if args.quick else args.seconds
    rounds = 1 if args.quick else max(1, args.rounds)
    result: dict[str, Any] = {"seconds_per_row": seconds, "rounds": rounds, "rows": [], "sweep": []}
    floor_proc, *floor = start_process([str(Path(__file__).resolve()), "--serve-floor"])
    tsp_proc, *tsp = start_process(tsp_args())
    procs = [floor_proc, tsp_proc]
    try:
        for label, connections, window in LOADS:
            mine, base = run_pair(tuple(tsp), tuple(floor), connections, window, seconds, rounds)
            result["rows"].append(dict(load=label, tsp=mine, floor=base, ratio=mine / base, target=TARGETS[label]))
        if args.sweep:
            sweep = [("in flight", 1, w) for w in args.sweep_in_flight]
            sweep += [("connections", n, 1) for n in args.sweep_connections]
            for axis, connections, window in sweep:
                mine, base = run_pair(tuple(tsp), tuple(floor), connections, window, seconds, rounds)
                result["sweep"].append(dict(axis=axis, connections=connections, in_flight=window, tsp=mine, floor=base))
            with tempfile.TemporaryDirectory() as tmp:
                for agents in args.sweep_agents:
                    proc, *addr = start_process(tsp_args(scenario_file(agents, Path(tmp)), speed=AGENTS_SPEED))
                    procs.append(proc)
                    try:
                        mine, base = run_pair(tuple(addr), tuple(floor), 1, 64, seconds, rounds)
                    finally:
                        stop_process(proc)
                    result["sweep"].append(dict(axis="agents", agents=agents, connections=1, in_flight=64, tsp=mine, floor=base))
    finally:
        for proc in procs:
            if proc.poll() is None:
                stop_process(proc)

    if args.json:
        print(json.dumps(result))
        return result
    print(f"GetAgentSessionInfo round trips per second on loopback, best of {rounds} x {seconds / rounds:g} s per row")
    print(f"{'load':<16}{'tsp /s':>12}{'echo floor /s':>15}{'of floor':>10}{'target':>8}")
    for row in result["rows"]:
        ok = "ok" if row["ratio"] >= row["target"] else "MISSED"
        print(f"{row['load']:<16}{row['tsp']:>12,.0f}{row['floor']:>15,.0f}{row['ratio']:>9.1%}{row['target']:>8.0%}  {ok}")
    if result["sweep"]:
        print()
        print(f"{'axis':<12}{'conns':>6}{'in flight':>10}{'agents':>8}{'tsp /s':>10}{'floor /s':>10}{'of floor':>10}{'us/req':>8}")
        for row in result["sweep"]:
            print(
                f"{row['axis']:<12}{row['connections']:>6}{row['in_flight']:>10}{row.get('agents', 20):>8}"
                f"{row['tsp']:>10,.0f}{row['floor']:>10,.0f}{row['tsp'] / row['floor']:>9.1%}{1e6 / row['tsp']:>8.1f}"
            )
    return result


if __name__ == "__main__":
    main()
    sys.exit(0)
