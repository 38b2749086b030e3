"""The campaign's attacks, part 1: the served() frame every attack runs in, mutated frames (``fuzz``),
slow readers (``slow``), slowloris (``trickle``) and floods (``flood``). Part 2 is
:mod:`fuzz.attacks_limits`.

Every attack gets a fresh ``python -m tsp`` child (so a crash, a memory peak or a freeze is its own), a
:class:`fuzz.peer.HealthyPoller` polling throughout, and an :class:`fuzz.process.RssSampler`; every wait
is bounded, so an attack against a server without the protection still ends and reports the failure.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time
from pathlib import Path
from typing import Iterator

from fuzz.live import check_session
from fuzz.mutants import SessionMaker
from fuzz.peer import HealthyPoller, Peer, PeerClosed, PeerTimeout, PeerWrong
from fuzz.process import RssSampler, ServerDidNotStart, ServerProcess, kernel_queued
from fuzz.report import MIB, Context, Row
from protocol import codec
from protocol import messages as m
from protocol.constants import ErrorCode

__all__ = ["served", "fuzz_frames", "slow_readers", "trickle", "flood", "SALES"]

from fuzz.live import SALES  # noqa: E402  (the fuzz scenario's group)


class AttackAborted(Exception):
    """The attack cannot go on (e.g. the server did not start); the row already says why."""


@contextlib.contextmanager
def served(ctx: Context, row: Row, *args: str, fuzz_scenario: bool = True, read_stderr: bool = True,
           healthy_timeout: float | None = None) -> Iterator[ServerProcess]:
    """A fresh server with ``args``, the healthy poller and the RSS sampler around the attack; fills the
    row's crashes, hangs (SIGTERM not obeyed in time), healthy failures and memory figures."""
    start = time.monotonic()
    try:
        server = ctx.start(*args, fuzz_scenario=fuzz_scenario, read_stderr=read_stderr, name=row.attack)
    except ServerDidNotStart as err:
        row.crashes += 1
        row.note(str(err)[:300])
        raise AttackAborted from None
    try:
        row.rss_before_kib = server.rss_kib() or 0
        poller = HealthyPoller(server.address, interval=ctx.opts.healthy_interval,
                               timeout=healthy_timeout or ctx.opts.healthy_timeout)
        server.poller = poller
        with RssSampler(server) as sampler, poller:
            try:
                yield server
            finally:
                time.sleep(ctx.opts.settle)
        row.peak_rss_kib = sampler.peak
        row.rss_after_kib = sampler.after if server.stopped is None else server.rss_at_stop or 0
        row.healthy += len(poller.failures)
        row.healthy_polls = poller.polls
        row.healthy_p99_ms = poller.p99_ms()
        for failure in poller.failures[:3]:
            row.note(f"healthy: {failure[:160]}")
        if server.stopped is not None:  # the attack stopped it itself (and judged how)
            pass
        elif not server.alive():
            row.crashes += 1
            row.note(f"the server died (status {server.proc.returncode}); stderr: {server.stderr_tail()[-300:]!r}")
        else:
            stopped, took = server.stop(ctx.opts.stop_timeout)
            if not stopped:
                row.hangs += 1
                row.note(f"SIGTERM not obeyed within {ctx.opts.stop_timeout:g} s (killed after {took:.1f} s)")
        row.summary(f"server stderr {server.stderr_bytes / MIB:.1f} MiB" if read_stderr else "stderr never read")
    finally:
        server.kill()
        row.seconds = time.monotonic() - start


# --- fuzz: mutated frames over many connections -----------------------------------------------------

def fuzz_frames(ctx: Context, row: Row) -> None:
    """``--frames`` mutated frames (or ``--seconds``, whichever comes first) over many connections, by
    ``--workers`` threads; each connection's answer must be the oracle's (fuzz/live.py check_session)."""
    o = ctx.opts
    row.unit = "mutated frames"
    with served(ctx, row, "--clock", "manual", "--control") as server:
        lock = threading.Lock()
        counts = {"frames": 0, "mutated": 0, "sessions": 0}
        deadline = time.monotonic() + o.seconds
        stop = threading.Event()

        def worker(index: int) -> None:
            maker = SessionMaker(o.seed * 1000 + index, max_frames=o.frames_per_conn, groups=(SALES,))
            while not stop.is_set():
                session = maker.session()
                try:
                    check_session(server.address, session.pieces, o.session_timeout, want=session.want)
                except AssertionError as err:
                    text = str(err)
                    if o.server_logs:  # keep the failing input: b"".join(pieces), then EOF
                        Path(o.server_logs, f"fuzz-failure-{index}-{counts['sessions']}.bin").write_bytes(
                            b"".join(session.pieces))
                    with lock:
                        if "neither answered nor closed" in text:
                            row.hangs += 1
                        else:
                            row.wrong += 1
                        row.note(f"{text[:200]} (seed {o.seed}, worker {index})")
                except OSError as err:  # refused or reset on connect: the server is gone or full
                    with lock:
                        row.wrong += 1
                        row.note(f"connect failed: {err}")
                    stop.wait(0.5)
                with lock:
                    counts["frames"] += session.frames
                    counts["mutated"] += session.mutated
                    counts["sessions"] += 1
                    if (counts["mutated"] >= o.frames or time.monotonic() > deadline
                            or row.hangs + row.wrong >= o.max_failures):
                        stop.set()

        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(o.workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()) + o.session_timeout * 3 + 10)
        stop.set()
        row.tried = counts["mutated"]
        row.summary(f"{counts['frames']:,} frames in {counts['sessions']:,} connections")


# --- slow readers ---------------------------------------------------------------------------------------

def _setup_agent_with_sessions(peer: Peer, hline: int, name: str, sessions: int) -> int:
    """An agent with ``sessions`` sessions in Sales (pipelined): its hAgent."""
    result, hagent = peer.outcome(m.CreateAgent(h_line=hline, agent_id=name))
    if result != 0:
        raise PeerWrong(f"CreateAgent {name!r} -> {result:#x}")
    seqs = [peer.request(m.CreateAgentSession(h_line=hline, h_agent=hagent, group_id=SALES))
            for _ in range(sessions)]
    for _ in seqs:
        peer.expect(m.Response)
    return hagent


def slow_readers(ctx: Context, row: Row) -> None:
    """``--slow-conns`` connections (receive buffer 4 KiB) each make the server queue ``--slow-each``
    bytes of answers (GetAgentSessionList of an agent with 200 sessions) and never read. The server may
    hold no more than ``--queued-total`` (+ one frame) for all of them: past it the connection with the
    most queued is cut off with ERROR 5. Then every stream is read: it must be complete or cut off (a
    prefix, then ERROR 5 or the close). What the server held for the complete ones = what they read
    minus what the kernel held for them (``/proc/net/tcp``) when the answers had all been produced;
    above the bound it counts as "over bound". An RSS rise above the bounds + ``--rss-slack`` is noted."""
    o = ctx.opts
    row.unit = "connections"
    args = ["--clock", "manual", "--max-queued", str(o.max_queued), *ctx.limit("--max-queued-total", o.queued_total)]
    with served(ctx, row, *args) as server:
        peers: list[Peer] = []
        try:
            setup = Peer(server.address)
            peers.append(setup)
            setup.hello()
            _, hline = setup.open_line(0)
            hagent = _setup_agent_with_sessions(setup, hline, "slow-reader-agent", 200)
            request = m.GetAgentSessionList(h_line=hline, h_agent=hagent, session_list_size=0x40000)
            reply_size = 12 + 60 + 12 + 40 + 24 + 28 * 201  # RESPONSE + EVENTS with the LINE_REPLY
            count = max(1, o.slow_each // reply_size)
            readers: list[tuple[Peer, list[int]]] = []
            for i in range(o.slow_conns):
                peer = Peer(server.address, rcvbuf=4096)
                peers.append(peer)
                peer.hello()
                _, line = peer.open_line(0)
                body = m.GetAgentSessionList(h_line=line, h_agent=hagent, session_list_size=0x40000)
                blob = bytearray()
                seqs = []
                for _ in range(count):
                    seq = peer.proto.next_sequence()
                    seqs.append(seq)
                    blob += peer.proto.send(m.Request(seq, body))
                peer.sock.sendall(blob)
                readers.append((peer, seqs))
                row.tried += 1
            del request
            time.sleep(max(0.5, 3 * ctx.opts.settle))  # let the server produce every answer
        except (PeerTimeout, PeerClosed, PeerWrong, OSError) as err:
            row.wrong += 1
            row.note(f"setup: {err}")
            readers = []
        kernel = _stable_kernel_queued(server.address[1])
        cut = complete = 0
        held = 0  # bytes the server itself held for the complete (never cut off) readers
        for peer, seqs in readers:
            port = peer.sock.getsockname()[1]
            outcome, nbytes = _read_answers(peer, seqs, 10.0)
            if outcome == "complete":
                complete += 1
                held += max(0, nbytes - kernel.get(port, 0))
            elif outcome == "cut off":
                cut += 1
            else:
                row.wrong += 1
                row.note(outcome)
        for peer in peers:
            peer.close()
        bound = o.queued_total + 0x50004
        if held > bound:
            row.over += 1
        row.summary(f"{count} answers of {reply_size} B asked per connection ({count * reply_size * o.slow_conns / MIB:.0f} MiB "
                    f"in all); {complete} complete, {cut} cut off; the server held {held / MIB:.1f} MiB for the "
                    f"complete ones at once (bound {o.queued_total / MIB:.1f} MiB + one frame; the kernel held "
                    f"{sum(kernel.values()) / MIB:.1f} MiB)")
        _over_rss(row, server, (o.queued_total + o.max_queued) // 1024 + o.rss_slack * 1024)


def _stable_kernel_queued(port: int, seconds: float = 3.0) -> dict[int, int]:
    """:func:`kernel_queued` once two readings 0.2 s apart agree (the server has written what it can)."""
    deadline = time.monotonic() + seconds
    last = kernel_queued(port)
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = kernel_queued(port)
        if now == last:
            return now
        last = now
    return last


def _over_rss(row: Row, server: ServerProcess, bound_kib: int) -> None:
    """Notes (does not count: the allocator keeps memory it freed) when the server's peak RSS rose more
    than ``bound_kib`` during the attack."""
    hwm = server.hwm_kib() or 0
    if hwm - row.rss_before_kib > bound_kib:
        row.note(f"peak RSS +{(hwm - row.rss_before_kib) / 1024:.0f} MiB, more than the queue bounds + "
                 f"{bound_kib / 1024:.0f} MiB")


def _read_answers(peer: Peer, seqs: list[int], seconds: float) -> tuple[str, int]:
    """Read a slow reader's stream now (raw frames, not decoded: it is big): 'complete' (every RESPONSE,
    in order, and as many EVENTS frames), 'cut off' (a prefix, then ERROR 5 or just the close: a cut-off
    client that does not read may never get its ERROR), or what was wrong; and the bytes read."""
    from fuzz.frames import split_frames

    deadline = time.monotonic() + seconds
    buf = bytearray()
    got = events = total = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return (f"only {got} of {len(seqs)} RESPONSEs and {events} EVENTS within {seconds:g} s"), total
        peer.sock.settimeout(left)
        try:
            data = peer.sock.recv(1 << 20)
        except socket.timeout:
            continue
        except OSError:
            data = b""
        buf += data
        total += len(data)
        frames, rest = split_frames(bytes(buf))
        buf = bytearray(rest)
        for kind, seq, frame in frames:
            if kind == 2:
                if got >= len(seqs) or seq != seqs[got]:
                    return (f"RESPONSE {seq} out of order (after {got})"), total
                got += 1
            elif kind == 3:
                events += 1
            elif kind == 4:
                return ("cut off" if _ends_with_error(frame, ErrorCode.IDLE_TIMEOUT) else f"ERROR {frame[12:16].hex()}"), total
        if got == len(seqs) and events >= len(seqs):
            return ("complete"), total
        if not data:  # cut off with its ERROR still unsent (its socket was full) and closed after the grace
            return ("cut off"), total


# --- trickle (slowloris) --------------------------------------------------------------------------------

def trickle(ctx: Context, row: Row) -> None:
    """``--trickle-conns`` connections against ``--read-timeout``: a third trickles its HELLO, a third
    sends HELLO and then a REQUEST one byte every ``--trickle-interval`` s (less than the timeout), a
    third sends HELLO and nothing more. The server serves ``--trickle-conns`` + 1 at most (the healthy
    poller's place), so a newcomer has a place only if the attackers were closed. After 1.5 read
    timeouts (+0.8 s) every one of them must have been closed with ERROR 5, and a newcomer must get its
    HELLO."""
    o = ctx.opts
    row.unit = "connections"
    max_conn = o.trickle_conns + 1
    with served(ctx, row, "--clock", "manual", "--read-timeout", str(o.read_timeout),
                "--max-conn", str(max_conn)) as server:
        hello = codec.encode(m.Hello(product="trickle"))
        request = codec.encode(m.Request(1, m.Initialize(friendly_name="trickle")))
        socks: list[tuple[socket.socket, bytes]] = []
        for i in range(o.trickle_conns):
            sock = socket.create_connection(server.address, timeout=5)
            kind = i % 3
            if kind == 0:
                plan = hello
            else:
                sock.sendall(hello)
                plan = request if kind == 1 else b""
            socks.append((sock, plan))
            row.tried += 1
        sel = selectors.DefaultSelector()
        alive: dict[socket.socket, tuple[bytes, int, bytearray]] = {}
        for sock, plan in socks:
            sock.setblocking(False)
            sel.register(sock, selectors.EVENT_READ)
            alive[sock] = (plan, 0, bytearray())
        start = time.monotonic()
        end = start + 1.5 * o.read_timeout + 0.8
        next_byte = start + o.trickle_interval
        closed_ok = closed_bad = 0
        while alive and time.monotonic() < end:
            for key, _ in sel.select(max(0.0, min(next_byte, end) - time.monotonic())):
                sock = key.fileobj
                plan, sent, buf = alive[sock]  # type: ignore[index]
                try:
                    data = sock.recv(65536)  # type: ignore[union-attr]
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if data:
                    buf += data
                    continue
                sel.unregister(sock)
                del alive[sock]  # type: ignore[arg-type]
                if _ends_with_error(bytes(buf), ErrorCode.IDLE_TIMEOUT):
                    closed_ok += 1
                else:
                    closed_bad += 1
                    row.note(f"closed without ERROR 5: {bytes(buf[-40:]).hex()}")
            if time.monotonic() >= next_byte:
                next_byte += o.trickle_interval
                for sock, (plan, sent, buf) in list(alive.items()):
                    if sent < len(plan):
                        try:
                            sock.send(plan[sent:sent + 1])
                            alive[sock] = (plan, sent + 1, buf)
                        except OSError:
                            pass
        survivors = len(alive)
        row.wrong += closed_bad
        row.over += survivors
        newcomer = _newcomer(server.address)
        if newcomer != "served":
            row.over += 1
        row.summary(f"after {time.monotonic() - start:.1f} s: {closed_ok} closed with ERROR 5, {survivors} still open; "
                 f"newcomer {newcomer}")
        sel.close()
        for sock, _ in socks:
            sock.close()


def _ends_with_error(data: bytes, code: ErrorCode) -> bool:
    from fuzz.frames import split_frames

    frames, _ = split_frames(data)
    if not frames or frames[-1][0] != 4:
        return False
    error = codec.decode(frames[-1][2])
    return isinstance(error, m.Error) and error.code == code


def _newcomer(address: tuple[str, int]) -> str:
    try:
        peer = Peer(address, 3.0)
    except OSError as err:
        return f"could not connect: {err}"
    try:
        peer.hello()
        return "served"
    except PeerClosed as err:
        return f"refused ({err})"
    except (PeerTimeout, PeerWrong, OSError) as err:
        return f"not served ({err})"
    finally:
        peer.close()


# --- floods ---------------------------------------------------------------------------------------------

def flood(ctx: Context, row: Row) -> None:
    """Three floods: ``--flood-conns`` connections at once against ``--max-conn`` ``--flood-max-conn``
    (each gets HELLO or ERROR 5, nothing else, no hang); ``--flood-clients`` connections each pipelining
    ``--flood-requests`` requests (exactly one RESPONSE each, in a LINE_REPLY for each async one);
    ``--churn`` short connections one after another (HELLO, Initialize, close)."""
    o = ctx.opts
    row.unit = "connections + requests"
    with served(ctx, row, "--clock", "manual", "--max-conn", str(o.flood_max_conn)) as server:
        hello = codec.encode(m.Hello(product="flood"))
        socks = []
        for _ in range(o.flood_conns):
            try:
                sock = socket.create_connection(server.address, timeout=5)
                sock.sendall(hello)
                socks.append(sock)
            except OSError as err:
                row.wrong += 1
                row.note(f"connect: {err}")
                break
        served_n = refused = 0
        for sock in socks:
            row.tried += 1
            data = b""
            try:
                while len(data) < 12 or len(data) < 4 + int.from_bytes(data[:4], "little"):
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except socket.timeout:
                row.hangs += 1
                continue
            except OSError:
                pass
            kind = int.from_bytes(data[4:6], "little") if len(data) >= 6 else None
            if kind == 0:
                served_n += 1
            elif kind == 4 and _ends_with_error(data, ErrorCode.IDLE_TIMEOUT):
                refused += 1
            else:
                row.wrong += 1
                row.note(f"connection flood: got {data[:24].hex()}")
        for sock in socks:
            sock.close()
        row.summary(f"{served_n} served, {refused} refused with ERROR 5 (max-conn {o.flood_max_conn})")
        time.sleep(0.5)  # the refused and closed ones go away
        lock = threading.Lock()

        def pipeliner(index: int) -> None:
            try:
                peer = Peer(server.address)
                peer.hello()
                _, hline = peer.open_line(0)
                peer.keep_events = False
                bodies = [m.GetGroupList(h_line=hline, group_list_size=0x1000), m.GetQueueInfo(h_line=hline, queue_id=1),
                          m.RawRequest(999, (0,) * 13, b""), m.GetAgentInfo(h_line=hline, h_agent=0xFFFFFFF0)]
                blob = bytearray()
                seqs = []
                for i in range(o.flood_requests):
                    seq = peer.proto.next_sequence()
                    seqs.append(seq)
                    blob += peer.proto.send(m.Request(seq, bodies[i % len(bodies)]))
                peer.sock.sendall(blob)
                got: dict[int, int] = {}
                ids: set[int] = set()
                replies = 0
                deadline = time.monotonic() + 30
                while len(got) < len(seqs) or replies < len(ids):
                    event = peer.next_event(deadline)
                    if isinstance(event, m.Response):
                        got[event.sequence] = got.get(event.sequence, 0) + 1
                        if 1 <= event.result <= 0x7FFFFFFF:
                            ids.add(event.result)
                    elif isinstance(event, m.Events):
                        for record in event.records:
                            if isinstance(record, m.LineReply):
                                if record.request_id not in ids:
                                    raise PeerWrong(f"LINE_REPLY {record.request_id} before its RESPONSE")
                                replies += 1
                if set(got) != set(seqs) or any(v != 1 for v in got.values()):
                    raise PeerWrong("RESPONSEs do not match the requests one to one")
                peer.close()
            except PeerTimeout as err:
                with lock:
                    row.hangs += 1
                    row.note(f"pipeliner {index}: {err}")
            except (PeerClosed, PeerWrong, OSError) as err:
                with lock:
                    row.wrong += 1
                    row.note(f"pipeliner {index}: {err}")

        threads = [threading.Thread(target=pipeliner, args=(i,), daemon=True) for i in range(o.flood_clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(45)
        row.tried += o.flood_clients * o.flood_requests
        for i in range(o.churn):
            row.tried += 1
            try:
                peer = Peer(server.address, 5.0)
                try:
                    peer.hello()
                    peer.call(m.Initialize(friendly_name="churn"))
                finally:
                    peer.close()
            except PeerTimeout as err:
                row.hangs += 1
                row.note(f"churn {i}: {err}")
                if row.hangs >= o.max_failures:
                    break
            except (PeerClosed, PeerWrong, OSError) as err:
                row.wrong += 1
                row.note(f"churn {i}: {err}")
                if row.wrong >= o.max_failures:
                    break
