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
                                           # (the general path in parts, and the fast lane)
    python bench/server.py --workloads session   # only GetAgentSessionInfo (default: session,call,mixed)
    python bench/server.py --no-structural       # without the structural floors' rows (below)

With the ``session`` workload the run also measures, in the same rounds, two **structural floors**
(bench/_floors.py): trio servers of tsp's shape without its features - ``shape`` parses every frame with
the fast lane's struct, looks a prepared answer up and patches the sequence and a request ID into it;
``answer`` builds the answer's data from the model at that instant (``session_figures`` packed as tsp
packs it). They show how far any trio server of this shape can get against the echo floor; ``--pipeline``
also times their per-read work in-process.

Workloads (``--workloads``, each with the three loads): ``session`` GetAgentSessionInfo; ``call``
GetCallInfo (sync: the RESPONSE carries the LINECALLINFO) on a call the bench offers with EmuOfferCall,
which rings on line 0 for the whole run (manual clock: nobody answers it); ``mixed`` GetAgentSessionInfo,
GetQueueInfo and GetAgentInfo in turn. The floor of ``session`` answers with the canned frames below; the
floor of ``call`` and ``mixed`` answers each Req_Func with the bytes tsp answered it with at the start of
the run (one dict lookup per frame more).

Targets (issues "Performance", 14 and 18): GetAgentSessionInfo 64 in flight >= 50 % of the floor, sequential
>= 60 %, 50 connections >= 50 % (and no worse than the round 4 figures: 88-92 % and 90-92 %).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trio  # noqa: E402

from bench._floors import FLOORS, StructuralFloor, canned_answer, serve_structural_floor  # noqa: E402
from bench._common import (  # noqa: E402
    FRAME_HEADER,
    RECORD_MSG,
    ServerFailed,
    count_replies,
    exchange,
    reply_value,
    run_floor,
    start_process,
    stop_process,
)
from protocol import (  # noqa: E402
    CLOSED,
    NEED_DATA,
    AgentSessionInfo,
    AgentSessionList,
    Connection,
    CreateAgent,
    EmuOfferCall,
    Events,
    GetAgentInfo,
    GetAgentSessionInfo,
    GetCallInfo,
    GetQueueInfo,
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

TARGETS = {"sequential": 0.60, "64 in flight": 0.50, "50 connections": 0.50}


# --- the floor: a minimal trio server answering the same frame sizes (bench/_common.py) ---------------


# --- the load client -------------------------------------------------------------------------------------


#: The request kinds measured (``--workloads``): the label and the Req_Funcs of the requests sent, in turn.
WORKLOADS: dict[str, str] = {
    "session": "GetAgentSessionInfo",
    "call": "GetCallInfo",
    "mixed": "mixed: GetAgentSessionInfo, GetQueueInfo, GetAgentInfo in turn",
}
#: The group of :func:`call_scenario_file`, where every call of the ``call`` workload rings.
CALL_GROUP = uuid.UUID(int=0xCA11)
#: Agents of :func:`call_scenario_file`: each ring (one per measured run) keeps one of them busy.
CALL_AGENTS = 200


class Setup:
    """One load connection after its setup: the stream, and (tsp only) its protocol state and handles."""

    def __init__(self, stream: trio.SocketStream, conn: Connection | None = None) -> None:
        self.stream = stream
        self.conn = conn
        self.h_line = self.h_agent = self.h_session = self.h_call = 1


async def open_load_connection(host: str, port: int, raw: bool) -> Setup:
    """Connect: ``raw`` (the floor) HELLO only; otherwise the full setup through ``protocol.Connection`` -
    Initialize, Open line 0, CreateAgent 1001, GetAgentSessionList."""
    stream = await trio.open_tcp_stream(host, port)
    conn = Connection(Role.CLIENT)
    await exchange(stream, conn, Hello(product="bench/server.py"))
    if raw:
        return Setup(stream)
    setup = Setup(stream, conn)
    seq = conn.next_sequence
    init = (await exchange(stream, conn, Request(seq(), Initialize(friendly_name="bench", module_name="bench"))))[-1]
    line = (await exchange(stream, conn, Request(seq(), Open(h_line_app=init.body.h_line_app, device_id=0))))[-1]
    setup.h_line = line.body.h_line
    frames = await exchange(stream, conn, Request(seq(), CreateAgent(h_line=setup.h_line, agent_id="1001", pin="1234")))
    setup.h_agent = reply_value(frames)
    frames = await exchange(stream, conn, Request(seq(), GetAgentSessionList(h_line=setup.h_line, h_agent=setup.h_agent)))
    sessions: AgentSessionList = reply_value(frames)
    setup.h_session = sessions.entries[0].hagent_session
    return setup


async def ring(setups: list[Setup]) -> None:
    """The ``call`` workload's call: EmuOfferCall (from the first connection) to the group of
    :func:`call_scenario_file`, whose agents all work on line 0, which every connection has open; each
    connection takes its hCall from its LINE_APPNEWCALL. With the manual clock nobody answers it: it stays
    OFFERING for the whole run (and its agent busy)."""
    waiting = list(setups)
    for _ in range(3):
        first = setups[0]
        assert first.conn is not None
        await exchange(first.stream, first.conn, Request(first.conn.next_sequence(), EmuOfferCall(group_id=CALL_GROUP)))
        for setup in list(waiting):
            with trio.move_on_after(0.5):
                setup.h_call = await _new_call(setup)
                waiting.remove(setup)
        if not waiting:
            return
    raise ServerFailed(f"no LINE_APPNEWCALL on line 0 for {len(waiting)} connection(s)")


async def _new_call(setup: Setup) -> int:
    assert setup.conn is not None
    conn = setup.conn
    while True:
        event = conn.next_event()
        if event is NEED_DATA:
            conn.receive_data(await setup.stream.receive_some(65536))
            continue
        if event is CLOSED:
            raise ServerFailed("connection closed while waiting for LINE_APPNEWCALL")
        if isinstance(event, Events):
            for rec in event.records:
                if getattr(rec, "msg", None) == LineMsg.APPNEWCALL:  # param2: the new hCall
                    return int(rec.param2)


def workload_bodies(workload: str, setup: Setup) -> list[Any]:
    """The request bodies a connection sends in turn."""
    if workload == "session":
        return [GetAgentSessionInfo(h_line=setup.h_line, h_agent_session=setup.h_session)]
    if workload == "call":
        return [GetCallInfo(h_call=setup.h_call)]
    return [
        GetAgentSessionInfo(h_line=setup.h_line, h_agent_session=setup.h_session),
        GetQueueInfo(h_line=setup.h_line, queue_id=1),
        GetAgentInfo(h_line=setup.h_line, h_agent=setup.h_agent),
    ]


async def checked_requests(setup: Setup, workload: str) -> list[bytes]:
    """The REQUEST frames to repeat; against tsp each is first sent once through ``protocol.Connection``
    and its answer checked (a RESPONSE 0 with the structure, or a LINE_REPLY 0 with it)."""
    conn = setup.conn
    if conn is None:
        return [encode(Request(1, body)) for body in workload_bodies(workload, setup)]
    frames = []
    for body in workload_bodies(workload, setup):
        seq = conn.next_sequence()
        got = await exchange(setup.stream, conn, Request(seq, body))
        if getattr(body, "ASYNC", False):
            value = reply_value(got)
            if not isinstance(value, body.STRUCT):
                raise ServerFailed(f"{type(body).__name__} answered {value!r}")
        elif got[-1].result != 0:
            raise ServerFailed(f"{type(body).__name__}: RESPONSE {got[-1].result:#x}")
        frames.append(encode(Request(conn.next_sequence(), body)))
    return frames


async def record_answers(host: str, port: int, calls: tuple[str, int] | None = None) -> dict[int, bytes]:
    """What tsp answers each request of the ``mixed`` workload (server ``host:port``) and of the ``call``
    workload (server ``calls``) with, as bytes (the RESPONSE, and for an async request the EVENTS frame
    with its LINE_REPLY): the floor answers with them."""
    answers: dict[int, bytes] = {}
    for workload, address in (("mixed", (host, port)), ("call", calls)):
        if address is None:
            continue
        setup = await open_load_connection(*address, False)
        try:
            if workload == "call":
                await ring([setup])
            for body in workload_bodies(workload, setup):
                await setup.stream.send_all(encode(Request(1, body)))
                answers[int(body.REQ_FUNC)] = await _raw_answer(setup.stream, bool(getattr(body, "ASYNC", False)))
        finally:
            await trio.aclose_forcefully(setup.stream)
    return answers


async def _raw_answer(stream: trio.SocketStream, asynchronous: bool) -> bytes:
    buf = bytearray()
    out = bytearray()
    while True:
        buf += await stream.receive_some(65536)
        while len(buf) >= 12:
            length, kind, _flags, _seq = FRAME_HEADER.unpack_from(buf, 0)
            if len(buf) < 4 + length:
                break
            frame, buf = bytes(buf[: 4 + length]), buf[4 + length :]
            if kind == FrameKind.RESPONSE:
                out += frame
                if not asynchronous:
                    return bytes(out)
            elif kind == FrameKind.EVENTS and out:
                total, _i, _c, _h, msg = RECORD_MSG.unpack_from(frame, 12)
                if msg == LineMsg.REPLY:
                    return bytes(out + frame)


class Counter:
    """Round trips completed (LINE_REPLY records received) by all connections of one load."""

    def __init__(self) -> None:
        self.done = 0


async def drive(
    stream: trio.SocketStream, requests: list[bytes], window: int, stop: trio.Event, counter: Counter,
    by_response: bool = False,
) -> None:
    """Keep ``window`` requests outstanding until ``stop`` (``requests`` in turn); count the answers:
    LINE_REPLY records, or with ``by_response`` (sync requests) RESPONSE frames."""
    buf = bytearray()
    if len(requests) == 1:
        request = requests[0]
        batch: Any = request.__mul__
    else:  # in turn: slices of the cycle repeated (all REQUEST frames of a workload have one size)
        size = len(requests[0])
        assert all(len(r) == size for r in requests)
        cycle = b"".join(requests)
        ring_ = cycle * (2 + (window + 256) // len(requests))
        period = len(requests)
        at = [0]

        def batch(n: int) -> bytes:
            i = at[0]
            at[0] = (i + n) % period
            return ring_[i * size : (i + n) * size]

    await stream.send_all(batch(window))
    while not stop.is_set():
        data = await stream.receive_some(65536)
        if not data:
            raise ServerFailed("the server closed the connection")
        buf += data
        replies, pos = count_replies(buf, by_response)
        del buf[:pos]
        counter.done += replies
        if replies and not stop.is_set():
            await stream.send_all(batch(replies))


async def measure(
    host: str, port: int, raw: bool, connections: int, window: int, seconds: float, workload: str = "session"
) -> float:
    """Round trips per second over ``connections`` connections with ``window`` in flight on each."""
    setups: list[Setup] = []
    try:
        for _ in range(connections):
            setups.append(await open_load_connection(host, port, raw))
        if workload == "call" and not raw:
            await ring(setups)
        streams = [(s.stream, await checked_requests(s, workload)) for s in setups]
        counter = Counter()
        stop = trio.Event()
        warmup = min(0.5, seconds / 5)
        by_response = workload == "call"
        async with trio.open_nursery() as nursery:
            for stream, requests in streams:
                nursery.start_soon(drive, stream, requests, window, stop, counter, by_response)
            await trio.sleep(warmup)
            start, before = time.perf_counter(), counter.done
            await trio.sleep(seconds)
            elapsed, done = time.perf_counter() - start, counter.done - before
            stop.set()
            nursery.cancel_scope.cancel()
    finally:
        for setup in setups:
            await trio.aclose_forcefully(setup.stream)
    return done / elapsed


# --- the server's request path without sockets ------------------------------------------------------------


def pipeline_cost(requests: int = 20_000) -> dict[str, float]:
    """Microseconds per GetAgentSessionInfo spent by what ``tsp.server`` runs for one REQUEST, in-process
    and without I/O: ``Connection.next_event`` (frame -> Request), ``SwitchService.handle`` (of which the
    model's ``session_info``) and ``Connection.send`` of the RESPONSE and the EVENTS frame; and what the
    server really runs for them, the fast lane (``ServerConnection.process``), for GetAgentSessionInfo
    alone and for the mixed workload. Frames arrive 64 at a time, as with 64 in flight. Best of five
    runs, in CPU time of the thread (``time.thread_time``: load from other processes does not count)."""
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
    h_agent = reply_value(call(CreateAgent(h_line=h_line, agent_id="1001", pin="1234")))
    sessions = reply_value(call(GetAgentSessionList(h_line=h_line, h_agent=h_agent)))
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

    # The fast lane: what the server's reader calls for one read of 64 pipelined requests.
    from tsp.serverconn import ServerConnection

    lane_conn = ServerConnection(service, cid)
    lane_conn.proto = server  # the established connection (HELLO exchanged) of the loops above
    clock = (0.0).__float__

    def lane(n: int) -> None:
        for _ in range(n // 64):
            lane_conn.receive_data(batch)
            lane_conn.process(clock)
            lane_conn.take_output()

    mixed_bodies = (body, GetQueueInfo(h_line=h_line, queue_id=1), GetAgentInfo(h_line=h_line, h_agent=h_agent))
    mixed_batch = b"".join(encode(Request(1, mixed_bodies[i % 3])) for i in range(64))

    def lane_mixed(n: int) -> None:
        for _ in range(n // 64):
            lane_conn.receive_data(mixed_batch)
            lane_conn.process(clock)
            lane_conn.take_output()

    floors = {kind: StructuralFloor(kind) for kind in FLOORS}

    def floor_of(kind: str) -> Any:
        answer = floors[kind].answer
        raw = bytearray(batch)

        def run_floor(n: int) -> None:
            for _ in range(n // 64):
                answer(raw)

        return run_floor

    floor_runs = {kind: floor_of(kind) for kind in FLOORS}

    def best(fn: Any) -> float:
        fn(requests // 10)
        runs = []
        for _ in range(5):  # CPU time of this thread: other processes on the machine do not count
            t0 = time.thread_time()
            fn(requests)
            runs.append(time.thread_time() - t0)
        per_read = fn in (whole, decode, lane, lane_mixed, *floor_runs.values())
        return min(runs) / (requests // 64 * 64 if per_read else requests) * 1e6

    cost = {"whole": best(whole), "decode": best(decode), "handle": best(handle), "model": best(model), "send": best(send)}
    for kind, run in floor_runs.items():
        cost[f"floor_{kind}"] = best(run)
    answered = lane_conn.lane_answers
    cost["lane"] = best(lane)
    cost["lane_mixed"] = best(lane_mixed)
    if lane_conn.lane_answers == answered:
        raise RuntimeError("the fast lane answered nothing")
    return cost


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


def call_scenario_file(directory: Path) -> Path:
    """The ``call`` workload's switch: :data:`CALL_AGENTS` agents (the first 1001 with PIN 1234), each with
    one READY session in one group on line 0, so every offered call rings on line 0."""
    lines = ["[switch]", 'name = "bench calls"', "lines = 4", 'start = "2026-11-26T09:00:00Z"', "seed = 1", ""]
    lines += ["[[groups]]", f'id = "{CALL_GROUP}"', 'name = "Calls"', "queue = 1", ""]
    for i in range(CALL_AGENTS):
        lines += ["[[agents]]", f'id = "{1001 + i}"', "answer_delay = 3600", "wrapup = 10"]
        lines += ['pin = "1234"'] if i == 0 else []
        lines += ["[[agents.sessions]]", 'group = "Calls"', "line = 0", 'state = "READY"', ""]
    path = directory / "calls.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


LOADS = (("sequential", 1, 1), ("64 in flight", 1, 64), ("50 connections", 50, 1))
#: The agents axis runs the real clock this many times faster, so the floor's traffic keeps the switch busy.
AGENTS_SPEED = 60


def run_pair(
    tsp: tuple[str, int], floor: tuple[str, int], connections: int, window: int, seconds: float, rounds: int = 1,
    workload: str = "session",
) -> tuple[float, float]:
    """(tsp rate, floor rate) for one load: ``rounds`` alternating runs of ``seconds / rounds``, best of each."""
    mine = base = 0.0
    for _ in range(rounds):
        base = max(base, trio.run(measure, *floor, True, connections, window, seconds / rounds, workload))
        mine = max(mine, trio.run(measure, *tsp, False, connections, window, seconds / rounds, workload))
    return mine, base


def run_floors(
    servers: dict[str, tuple[str, int]], connections: int, window: int, seconds: float, rounds: int = 1,
) -> dict[str, float]:
    """The rate of each of ``servers`` (name -> address; "tsp" is set up through the protocol, the
    floors raw) for one GetAgentSessionInfo load: ``rounds`` runs in turn, best of each."""
    best = dict.fromkeys(servers, 0.0)
    for _ in range(rounds):
        for name, address in servers.items():
            rate = trio.run(measure, *address, name != "tsp", connections, window, seconds / rounds, "session")
            best[name] = max(best[name], rate)
    return best


def _workloads(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = set(names) - set(WORKLOADS)
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"workloads are {', '.join(WORKLOADS)} (got {text!r})")
    return names


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny run (a fraction of a second per row)")
    ap.add_argument("--seconds", type=float, default=3.0, help="seconds per row and server (default 3)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating runs per row; the best counts (default 3)")
    ap.add_argument("--workloads", type=_workloads, default=tuple(WORKLOADS), metavar="W,W..",
                    help="request kinds, each with the three loads: session (GetAgentSessionInfo), call "
                         "(GetCallInfo on a ringing call), mixed (GetAgentSessionInfo, GetQueueInfo, GetAgentInfo); "
                         "default all three")
    ap.add_argument("--sweep", action="store_true", help="also measure cost vs in flight, connections, agents")
    ap.add_argument("--sweep-in-flight", type=_ints, default=(1, 8, 64, 256), metavar="N,N..", help="default 1,8,64,256")
    ap.add_argument("--sweep-connections", type=_ints, default=(1, 10, 50, 200), metavar="N,N..", help="default 1,10,50,200")
    ap.add_argument("--sweep-agents", type=_ints, default=(20, 1_000, 10_000), metavar="N,N..", help="default 20,1000,10000")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--pipeline", action="store_true", help="only the server's CPU per request, without I/O")
    ap.add_argument("--no-structural", action="store_true",
                    help="skip the structural floors (the shape and answer floors next to the echo floor and tsp)")
    ap.add_argument("--serve-floor", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--floor", choices=FLOORS, help=argparse.SUPPRESS)  # with --serve-floor: a structural floor
    ap.add_argument("--answers", help=argparse.SUPPRESS)  # with --serve-floor: a JSON file {req_func: hex answer}
    args = ap.parse_args(argv)
    if args.serve_floor:
        if args.floor:
            try:
                trio.run(serve_structural_floor, args.floor)
            except KeyboardInterrupt:
                pass
        elif args.answers:
            recorded = json.loads(Path(args.answers).read_text(encoding="utf-8"))
            run_floor({int(func): bytes.fromhex(data) for func, data in recorded.items()})
        else:
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
        print(f"the fast lane (ServerConnection.process, 64 frames per read): {cost['lane']:.1f} us per request;"
              f" mixed (GetAgentSessionInfo, GetQueueInfo, GetAgentInfo in turn) {cost['lane_mixed']:.1f} us")
        print(f"the structural floors' per-read work (64 frames per read): shape {cost['floor_shape']:.2f} us,"
              f" answer {cost['floor_answer']:.2f} us per request")
        return cost
    seconds = 0.2 if args.quick else args.seconds
    rounds = 1 if args.quick else max(1, args.rounds)
    result: dict[str, Any] = {"seconds_per_row": seconds, "rounds": rounds, "rows": [], "sweep": []}
    tsp_proc, *tsp = start_process(tsp_args())
    procs = [tsp_proc]
    try:
        floors: dict[str, Any] = {"session": None, "recorded": None}
        servers = {"session": tuple(tsp), "mixed": tuple(tsp)}
        floor_proc, *floor = start_process([str(Path(__file__).resolve()), "--serve-floor"])
        procs.append(floor_proc)
        floors["session"] = tuple(floor)
        with tempfile.TemporaryDirectory() as tmp:
            if "call" in args.workloads:  # a switch whose calls all ring on line 0
                proc, *addr = start_process(tsp_args(call_scenario_file(Path(tmp))))
                procs.append(proc)
                servers["call"] = tuple(addr)
            if set(args.workloads) - {"session"}:
                # The floor of the other workloads answers each Req_Func with what tsp answered it.
                recorded = trio.run(record_answers, *tsp, servers.get("call"))
                path = Path(tmp) / "answers.json"
                path.write_text(json.dumps({str(k): v.hex() for k, v in recorded.items()}), encoding="utf-8")
                proc, *addr = start_process([str(Path(__file__).resolve()), "--serve-floor", "--answers", str(path)])
                procs.append(proc)
                floors["recorded"] = tuple(addr)
            for workload in args.workloads:
                base_addr = floors["session" if workload == "session" else "recorded"]
                for label, connections, window in LOADS:
                    mine, base = run_pair(servers[workload], base_addr, connections, window, seconds, rounds, workload)
                    target = TARGETS[label] if workload == "session" else None
                    result["rows"].append(dict(workload=workload, load=label, tsp=mine, floor=base,
                                               ratio=mine / base, target=target))
        floor = list(floors["session"])
        if "session" in args.workloads and not args.no_structural:
            # The proof rows: tsp, the echo floor and the structural floors in turn, the same loads.
            servers = {"tsp": tuple(tsp), "echo": tuple(floor)}
            for kind in FLOORS:
                proc, *addr = start_process([str(Path(__file__).resolve()), "--serve-floor", "--floor", kind])
                procs.append(proc)
                servers[kind] = tuple(addr)
            result["structural"] = []
            for label, connections, window in LOADS:
                rates = run_floors(servers, connections, window, seconds, rounds)
                result["structural"].append(dict(load=label, **rates))
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
    print(f"round trips per second on loopback, best of {rounds} x {seconds / rounds:g} s per row")
    print(f"{'request':<22}{'load':<16}{'tsp /s':>12}{'echo floor /s':>15}{'of floor':>10}{'target':>8}")
    for row in result["rows"]:
        target = row["target"]
        ok = "" if target is None else "ok" if row["ratio"] >= target else "MISSED"
        shown = "-" if target is None else f"{target:.0%}"
        print(f"{WORKLOADS[row['workload']].split(':')[0]:<22}{row['load']:<16}{row['tsp']:>12,.0f}"
              f"{row['floor']:>15,.0f}{row['ratio']:>9.1%}{shown:>8}  {ok}")
    if result.get("structural"):
        print()
        print("GetAgentSessionInfo against the structural floors (trio servers of tsp's shape; see FLOORS), same rounds:")
        print(f"{'load':<16}{'tsp /s':>10}{'echo /s':>10}{'shape /s':>10}{'answer /s':>10}"
              f"{'tsp':>8}{'shape':>8}{'answer':>8}  (of the echo floor)")
        for row in result["structural"]:
            echo = row["echo"]
            print(f"{row['load']:<16}{row['tsp']:>10,.0f}{echo:>10,.0f}{row['shape']:>10,.0f}{row['answer']:>10,.0f}"
                  f"{row['tsp'] / echo:>8.1%}{row['shape'] / echo:>8.1%}{row['answer'] / echo:>8.1%}")
    if result["sweep"]:
        print()
        print(f"{'axis':<12}{'conns':>6}{'in flight':>10}{'agents':>8}{'tsp /s':>10}{'floor /s':>10}{'of floor':>10}{'us/req':>8}")
        for row in result["sweep"]:
            cost = f"{1e6 / row['tsp']:.1f}" if row["tsp"] else "none"  # no reply completed in the row's time
            print(
                f"{row['axis']:<12}{row['connections']:>6}{row['in_flight']:>10}{row.get('agents', 20):>8}"
                f"{row['tsp']:>10,.0f}{row['floor']:>10,.0f}{row['tsp'] / row['floor']:>9.1%}{cost:>8}"
            )
    return result


if __name__ == "__main__":
    main()
    sys.exit(0)
