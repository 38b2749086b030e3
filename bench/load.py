"""Load run: N concurrent connections issue a mix of requests for a fixed time against a standalone
``python -m tsp`` that this script starts (and stops); reports requests per second, p50/p99 latency,
lost and mismatched replies (must be 0), the CPU used by the server and by this load generator, and the
server's memory before, at its peak and after (after each round with ``--rounds``).

    python bench/load.py                         # 200 connections, 20 s, built-in lively scenario
    python bench/load.py --connections 1000 --seconds 30
    python bench/load.py --quick                 # tiny run (the test suite's smoke test)

Each connection: HELLO, Initialize, Open (lines round robin), CreateAgent ``load-N``, CreateAgentSession
in a group; then, closed loop with ``--in-flight`` requests outstanding, a weighted mix of
GetAgentSessionInfo 30 %, GetAgentInfo 15 %, GetQueueInfo 15 %, GetGroupList 15 %, GetAgentSessionList 15 %,
SetAgentSessionState 10 % (READY / NOTREADY, which fans events out to every connection on that line).
Every request carries its own dwRequestID and lpContext; a reply is *mismatched* if its RESPONSE
sequence, request ID, context or data type is not the one sent, or it carries a LINEERR; a request is
*lost* if its LINE_REPLY has not arrived ``--drain`` seconds after the run. Latency is from sending the
REQUEST to receiving its LINE_REPLY.

Memory is read from ``/proc/PID/status`` of the server: VmRSS once it listens (before), VmHWM at the end
(peak resident set), and VmRSS after every connection has been closed (after). Exit status 1 if any
reply was lost or mismatched.

Open files: each connection is a socket in this process and one in the server (which inherits this
process's limits). The script raises its soft ``RLIMIT_NOFILE`` (``ulimit -n``) to what the run needs
(connections + 100) if the hard limit allows; if it does not, it stops before starting anything and says
what to do (raise the hard limit: ``ulimit -Hn N`` as root, or ``nofile`` in /etc/security/limits.conf).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trio  # noqa: E402

from protocol import messages as m  # noqa: E402
from protocol.connection import CLOSED, NEED_DATA, Connection, Role  # noqa: E402
from protocol.constants import AgentSessionState  # noqa: E402
from protocol.errors import RemoteProtocolError  # noqa: E402
from tsp.scenario import default_scenario, load_scenario  # noqa: E402

MIX = (
    ("session_info", 30),
    ("agent_info", 15),
    ("queue_info", 15),
    ("group_list", 15),
    ("session_list", 15),
    ("set_state", 10),
)
EXPECTED_VALUE = {
    "session_info": "AgentSessionInfo",
    "agent_info": "AgentInfo",
    "queue_info": "QueueInfo",
    "group_list": "AgentGroupList",
    "session_list": "AgentSessionList",
}


# --- the server process ------------------------------------------------------------------------------------


def raise_open_files(need: int) -> str:
    """Make the soft open-files limit at least ``need`` (the server started later inherits it); a line
    saying what the limit is. SystemExit with what to do when the hard limit is lower."""
    try:
        import resource
    except ImportError:  # not POSIX: nothing to check
        return "open files: no RLIMIT_NOFILE on this platform"
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    infinite = resource.RLIM_INFINITY
    if soft == infinite or soft >= need:
        return f"open files: soft limit {'unlimited' if soft == infinite else soft} (need {need})"
    if hard != infinite and hard < need:
        raise SystemExit(
            f"bench/load.py: {need} open files are needed (connections + 100) but the hard limit is {hard}"
            f" (soft {soft}); raise it (as root: `ulimit -Hn {need}`, or nofile in /etc/security/limits.conf)"
            f" or run fewer --connections"
        )
    resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    return f"open files: soft limit raised from {soft} to {need} (hard {'unlimited' if hard == infinite else hard})"


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in KiB (Linux /proc)."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def open_files(pid: int) -> int:
    """File descriptors the process holds (its listening and connected sockets among them)."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(args: argparse.Namespace) -> tuple[subprocess.Popen[str], str, int]:
    cmd = [sys.executable, "-m", "tsp", "--port", "0", "--quiet", "--max-conn", str(args.connections + 10)]
    if args.scenario:
        cmd += ["--scenario", args.scenario]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("listening on "):
        proc.kill()
        raise SystemExit(f"the server did not start: {line!r} {proc.communicate()[1]}")
    host, port = line.split()[-1].rsplit(":", 1)
    return proc, host, int(port)


def stop_server(proc: subprocess.Popen[str]) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return proc.returncode, err


# --- one client connection ---------------------------------------------------------------------------------


class Stats:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.sent = 0
        self.mismatched: list[str] = []
        self.lost = 0
        self.events = 0
        self.setup_failed: list[str] = []


class LoadConnection:
    """A raw protocol client that checks every answer against what it sent."""

    def __init__(self, index: int, stream: trio.SocketStream, stats: Stats, rng: random.Random) -> None:
        self.index = index
        self.stream = stream
        self.stats = stats
        self.rng = rng
        self.proto = Connection(Role.CLIENT)
        self.responses: dict[int, tuple[Any, trio.Event, list[Any]]] = {}  # sequence -> (body, done, [Response])
        self.replies: dict[int, tuple[str, int, float, trio.Event]] = {}  # request ID -> (kind, context, t0, done)
        self.next_id = index * 1_000_000 + 1
        self.hline = self.hagent = self.hsession = 0
        self.closed = False
        self.hello = trio.Event()

    def mismatch(self, text: str) -> None:
        self.stats.mismatched.append(f"conn {self.index}: {text}")

    async def reader(self) -> None:
        try:
            while True:
                data = await self.stream.receive_some(65536)
                self.proto.receive_data(data)
                while True:
                    event = self.proto.next_event()
                    if event is NEED_DATA:
                        break
                    if event is CLOSED:
                        return
                    self.dispatch(event)
                if not data:
                    return
        except RemoteProtocolError as err:  # e.g. a RESPONSE for a sequence we never sent
            self.mismatch(f"protocol error: {err}")
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        finally:
            self.closed = True
            self.hello.set()
            for _, done, _ in self.responses.values():
                done.set()
            for *_, done in self.replies.values():
                done.set()

    def dispatch(self, event: Any) -> None:
        if isinstance(event, m.Response):
            entry = self.responses.pop(event.sequence, None)
            if entry is None:
                self.mismatch(f"RESPONSE for sequence {event.sequence} nobody waits for")
                return
            entry[2].append(event)
            entry[1].set()
        elif isinstance(event, m.Events):
            for record in event.records:
                if isinstance(record, m.LineReply):
                    self.line_reply(record)
                else:
                    self.stats.events += 1
        elif isinstance(event, m.Hello):
            self.hello.set()
        elif isinstance(event, m.Error):
            self.mismatch(f"server sent ERROR {event.code}: {event.text}")

    def line_reply(self, record: m.LineReply) -> None:
        entry = self.replies.pop(record.request_id, None)
        if entry is None:
            self.mismatch(f"LINE_REPLY for request ID {record.request_id} nobody waits for")
            return
        kind, context, t0, done = entry
        if record.result != 0:
            self.mismatch(f"{kind}: LINE_REPLY result {record.result:#x}")
        elif record.context != context:
            self.mismatch(f"{kind}: context {record.context:#x} is not the {context:#x} sent")
        elif kind in EXPECTED_VALUE and type(record.value).__name__ != EXPECTED_VALUE[kind]:
            self.mismatch(f"{kind}: LINE_REPLY carries {type(record.value).__name__}")
        else:
            self.stats.latencies.append(time.perf_counter() - t0)
        done.set()

    async def sync(self, body: Any) -> m.Response:
        seq = self.proto.next_sequence()
        done, box = trio.Event(), []
        self.responses[seq] = (body, done, box)
        await self.stream.send_all(self.proto.send(m.Request(seq, body)))
        await done.wait()
        if not box:
            raise ConnectionError("connection closed during setup")
        if box[0].result != 0:
            raise ConnectionError(f"{type(body).__name__} failed: {box[0].result:#x}")
        return box[0]

    async def call(self, kind: str, body: Any, context: int, *, count: bool = True) -> Any:
        """Send an async request with our own request ID; wait for its LINE_REPLY."""
        seq = self.proto.next_sequence()
        done, box = trio.Event(), []
        request_id = body.request_id
        self.responses[seq] = (body, done, box)
        reply_done = trio.Event()
        t0 = time.perf_counter()
        self.replies[request_id] = (kind, context, t0, reply_done)
        await self.stream.send_all(self.proto.send(m.Request(seq, body)))
        if count:
            self.stats.sent += 1
        await done.wait()
        if box and box[0].result != request_id:
            self.replies.pop(request_id, None)
            self.mismatch(f"{kind}: RESPONSE result {box[0].result:#x}, not the request ID {request_id}")
            return None
        await reply_done.wait()

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def body(self, kind: str, context: int, group_ids: list[Any], queue_ids: list[int]) -> Any:
        rid = self.new_id()
        common = {"request_id": rid, "h_line": self.hline}
        if kind == "session_info":
            return m.GetAgentSessionInfo(context=context, h_agent_session=self.hsession, **common)
        if kind == "agent_info":
            return m.GetAgentInfo(context=context, h_agent=self.hagent, **common)
        if kind == "queue_info":
            return m.GetQueueInfo(context=context, queue_id=self.rng.choice(queue_ids), **common)
        if kind == "group_list":
            return m.GetGroupList(context=context, **common)
        if kind == "session_list":
            return m.GetAgentSessionList(context=context, h_agent=self.hagent, **common)
        state = self.rng.choice([AgentSessionState.READY, AgentSessionState.NOTREADY])
        return m.SetAgentSessionState(h_agent_session=self.hsession, agent_session_state=state, **common)


async def run_connection(index: int, host: str, port: int, stats: Stats, setup: dict[str, Any],
                         ready: Any, go: trio.Event, stop_at: list[float], in_flight: int) -> LoadConnection | None:
    rng = random.Random(index)
    stream = await trio.open_tcp_stream(host, port)
    try:
        return await _drive(index, stream, stats, setup, ready, go, stop_at, in_flight, rng)
    finally:
        with trio.CancelScope(shield=True):
            await trio.aclose_forcefully(stream)


async def _drive(index: int, stream: trio.SocketStream, stats: Stats, setup: dict[str, Any], ready: Any,
                 go: trio.Event, stop_at: list[float], in_flight: int, rng: random.Random) -> LoadConnection | None:
    conn = LoadConnection(index, stream, stats, rng)
    kinds, weights = zip(*MIX)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(conn.reader)
        try:
            await stream.send_all(conn.proto.send(m.Hello(product="bench/load.py")))
            await conn.hello.wait()
            if conn.closed:
                raise ConnectionError("closed before the server's HELLO")
            init = await conn.sync(m.Initialize(friendly_name=f"load-{index}"))
            happ, lines = init.body.h_line_app, init.body.num_devs
            opened = await conn.sync(m.Open(h_line_app=happ, device_id=index % lines, api_version=0x00030000,
                                            h_remote_line=index + 1))
            conn.hline = opened.body.h_line
            conn.hagent = await _value(conn, "create_agent", m.CreateAgent(
                request_id=conn.new_id(), h_line=conn.hline, agent_id=f"load-{index}"))
            conn.hsession = await _value(conn, "create_session", m.CreateAgentSession(
                request_id=conn.new_id(), h_line=conn.hline, h_agent=conn.hagent,
                group_id=setup["groups"][index % len(setup["groups"])]))
        except (ConnectionError, trio.BrokenResourceError) as exc:
            stats.setup_failed.append(f"conn {index}: {exc}")
            ready()
            nursery.cancel_scope.cancel()
            return None
        ready()
        await go.wait()

        async def worker() -> None:
            while time.perf_counter() < stop_at[0] and not conn.closed:
                kind = rng.choices(kinds, weights)[0]
                context = rng.getrandbits(32) if kind != "set_state" else 0  # 155 has no lpContext
                await conn.call(kind, conn.body(kind, context, setup["groups"], setup["queues"]), context)

        async with trio.open_nursery() as workers:
            for _ in range(in_flight):
                workers.start_soon(worker)
        nursery.cancel_scope.cancel()
    return conn


async def _value(conn: LoadConnection, kind: str, body: Any) -> int:
    """Setup calls (CreateAgent, CreateAgentSession): the handle in the LINE_REPLY."""
    got: list[Any] = []
    original = conn.line_reply

    def capture(record: m.LineReply) -> None:
        if record.request_id == body.request_id:
            got.append(record)
        original(record)

    conn.line_reply = capture  # type: ignore[method-assign]
    try:
        await conn.call(kind, body, 0, count=False)
    finally:
        conn.line_reply = original  # type: ignore[method-assign]
    if not got or got[0].result != 0:
        raise ConnectionError(f"{kind} failed: {got[0].result if got else 'no reply'}")
    return int(got[0].value)


# --- the run -----------------------------------------------------------------------------------------------


async def load(args: argparse.Namespace, host: str, port: int, pid: int) -> dict[str, Any]:
    scenario = load_scenario(args.scenario) if args.scenario else default_scenario()
    setup = {"groups": [g.id for g in scenario.groups], "queues": [g.queue for g in scenario.groups]}
    stats = Stats()
    go = trio.Event()
    stop_at = [float("inf")]
    ready_count = [0]
    all_ready = trio.Event()

    def ready() -> None:
        ready_count[0] += 1
        if ready_count[0] == args.connections:
            all_ready.set()

    conns: list[LoadConnection | None] = []

    async def one(i: int) -> None:
        try:
            conns.append(await run_connection(i, host, port, stats, setup, ready, go, stop_at, args.in_flight))
        except OSError as exc:
            stats.setup_failed.append(f"conn {i}: {exc}")
            ready()

    t_setup = time.perf_counter()
    async with trio.open_nursery() as nursery:
        for i in range(args.connections):
            nursery.start_soon(one, i)
            if i % 50 == 49:
                await trio.sleep(0.01)  # do not flood the listen backlog
        with trio.move_on_after(args.setup_timeout):
            await all_ready.wait()
        setup_seconds = time.perf_counter() - t_setup
        ready_at_go = ready_count[0]
        connected = memory(pid)
        connected["files"] = open_files(pid)
        server_cpu0, own_cpu0 = cpu_seconds(pid), time.process_time()
        start = time.perf_counter()
        stop_at[0] = start + args.seconds
        go.set()
        # Workers stop sending at stop_at; whatever is still outstanding then gets --drain seconds.
        await trio.sleep(args.seconds)
        cpu = ((cpu_seconds(pid) - server_cpu0) / args.seconds, (time.process_time() - own_cpu0) / args.seconds)
        with trio.move_on_after(args.drain):
            while any(c is not None and c.replies and not c.closed for c in conns):
                await trio.sleep(0.05)
        elapsed = time.perf_counter() - start
        for c in conns:
            if c is not None:
                stats.lost += len(c.replies)
                c.replies.clear()
        nursery.cancel_scope.cancel()
    return {"stats": stats, "elapsed": elapsed, "setup": setup_seconds, "connected": connected, "cpu": cpu,
            "ready": ready_at_go}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/load.py", description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=200, help="concurrent connections (default 200, max 1000)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the run (default 20)")
    parser.add_argument("--in-flight", type=int, default=1, help="requests outstanding per connection (default 1)")
    parser.add_argument("--drain", type=float, default=10.0, help="seconds to wait for replies after the run (default 10)")
    parser.add_argument("--close-timeout", type=float, default=120.0,
                        help="seconds the server gets to close the connections after the run (default 120)")
    parser.add_argument("--setup-timeout", type=float, default=600.0,
                        help="seconds all connections get to set up before the run starts anyway (default 600)")
    parser.add_argument("--scenario", help="scenario file for the server (default: the built-in lively one)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="connect, run and close this many times against the same server (memory after each)")
    parser.add_argument("--quick", action="store_true", help="tiny run: 10 connections, 1 s")
    args = parser.parse_args(argv)
    if args.quick:
        args.connections, args.seconds, args.drain = 10, 1.0, 5.0
    if not 1 <= args.connections <= 1000:
        parser.error("--connections must be 1..1000")

    files = raise_open_files(args.connections + 100)
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    proc, host, port = start_server(args)
    results: list[dict[str, Any]] = []
    after: list[dict[str, int]] = []
    try:
        time.sleep(0.2)
        before = memory(proc.pid)
        before["files"] = open_files(proc.pid)
        for _ in range(args.rounds):
            results.append(trio.run(load, args, host, port, proc.pid))
            # Let the server close every connection: a server still working through what it queued for
            # them (events, answers) closes them later; wait up to --close-timeout for the files to return.
            closed_at = time.perf_counter()
            time.sleep(0.3 if args.quick else 1.0)
            while open_files(proc.pid) > before["files"] and time.perf_counter() - closed_at < args.close_timeout:
                time.sleep(0.2)
            after.append(memory(proc.pid))
            after[-1]["files"] = open_files(proc.pid)
            after[-1]["closing"] = time.perf_counter() - closed_at
    finally:
        code, err = stop_server(proc)
    stats = Stats()
    for r in results:
        stats.latencies += r["stats"].latencies
        stats.mismatched += r["stats"].mismatched
        stats.setup_failed += r["stats"].setup_failed
        stats.lost += r["stats"].lost
        stats.events += r["stats"].events
    elapsed = sum(r["elapsed"] for r in results)
    completed = len(stats.latencies)
    mib = lambda kib: f"{kib / 1024:.1f} MiB"  # noqa: E731
    rounds = f", {args.rounds} rounds" if args.rounds > 1 else ""
    print(f"load: {args.connections} connections x {args.in_flight} in flight, {args.seconds:g} s{rounds}, "
          f"python -m tsp ({args.scenario or 'built-in scenario'}, real clock), "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"  {files}")
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"  machine load average  {load_before:.2f} before, {load_after:.2f} after (1 min)")
    print(f"  setup (connect, HELLO, Initialize, Open, CreateAgent, CreateAgentSession): "
          f"{max(r['setup'] for r in results):.2f} s, {min(r['ready'] for r in results)} of {args.connections}"
          f" connections set up when the run started")
    print(f"  requests completed   {completed:,}")
    print(f"  requests/s           {completed / elapsed:,.0f}")
    print(f"  latency p50 / p99    {percentile(stats.latencies, 0.5) * 1000:.2f} ms / "
          f"{percentile(stats.latencies, 0.99) * 1000:.2f} ms (p99.9 {percentile(stats.latencies, 0.999) * 1000:.2f} ms,"
          f" max {max(stats.latencies, default=float('nan')) * 1000:.2f} ms)")
    print(f"  lost / mismatched    {stats.lost} / {len(stats.mismatched)}")
    print(f"  events received      {stats.events:,}")
    print(f"  CPU during the run   server {max(r['cpu'][0] for r in results):.0%} of a core, "
          f"load generator {max(r['cpu'][1] for r in results):.0%}")
    print(f"  server memory        before {mib(before['VmRSS'])}, with {args.connections} connected "
          f"{mib(max(r['connected']['VmRSS'] for r in results))}, peak (VmHWM) {mib(after[-1]['VmHWM'])}, "
          f"after closing {' / '.join(mib(a['VmRSS']) for a in after)}")
    print(f"  server open files    before {before['files']}, with {args.connections} connected "
          f"{max(r['connected']['files'] for r in results)}, after closing "
          f"{' / '.join(str(a['files']) for a in after)} (within {max(a['closing'] for a in after):.1f} s)")
    print(f"  server exit status   {code}")
    problems = stats.setup_failed + stats.mismatched
    for text in problems[:10]:
        print(f"  ! {text}")
    if "Traceback" in err:
        print(f"  ! server stderr has a traceback:\n{err}")
    leaked = any(a["files"] != before["files"] for a in after)
    if leaked:
        print("  ! the server holds more files after the connections closed than before")
    return 1 if stats.lost or stats.mismatched or stats.setup_failed or leaked or code != 0 or "Traceback" in err else 0


if __name__ == "__main__":
    sys.exit(main())
