"""The campaign's attacks, part 2 (see :mod:`fuzz.attacks` for the frame they run in): huge and many agent
IDs (``bigids``), event fan-out (``fanout``), an unread stderr pipe (``logpipe``), a long EmuAdvanceClock
(``advance``) and requests at the frame limit (``limit``)."""

from __future__ import annotations

import selectors
import socket
import struct
import threading
import time
from typing import Any

import attrs

from fuzz.attacks import SALES, served
from fuzz.mutants import SessionMaker
from fuzz.peer import Peer, PeerClosed, PeerTimeout, PeerWrong, is_lineerr
from fuzz.report import MIB, Context, Row
from protocol import codec
from protocol import messages as m
from protocol.constants import MAX_FRAME_LENGTH, AgentSessionState, LineErr

__all__ = ["big_ids", "fanout", "log_pipe", "advance", "frame_limit"]


def _outcomes(peer: Peer, bodies: list[Any], seconds: float = 30.0) -> list[int]:
    """Pipeline ``bodies`` and return each one's result: the RESPONSE's LINEERR, or (async) its
    LINE_REPLY's result. PeerWrong if a RESPONSE or LINE_REPLY is missing or unexpected."""
    seqs = [peer.request(body) for body in bodies]
    by_seq: dict[int, int] = {}
    ids: dict[int, int] = {}
    results: dict[int, int] = {}
    deadline = time.monotonic() + seconds
    peer.keep_events = False
    while len(by_seq) < len(seqs) or len(results) < len(ids):
        event = peer.next_event(deadline)
        if isinstance(event, m.Response):
            by_seq[event.sequence] = event.result
            if bodies[0].ASYNC and not is_lineerr(event.result):
                ids[event.result] = event.sequence
        elif isinstance(event, m.Events):
            for record in event.records:
                if isinstance(record, m.LineReply):
                    if record.request_id not in ids:
                        raise PeerWrong(f"LINE_REPLY for request {record.request_id} without its RESPONSE")
                    results[ids[record.request_id]] = record.result
    return [results.get(seq, by_seq[seq]) if not is_lineerr(by_seq[seq]) else by_seq[seq] for seq in seqs]


def _name(code: int) -> str:
    try:
        return LineErr(code).name
    except ValueError:
        return f"{code:#x}"


# --- big IDs --------------------------------------------------------------------------------------------

def big_ids(ctx: Context, row: Row) -> None:
    """``--long-ids`` CreateAgent with IDs of ``--long-len`` characters (must be INVALAGENTID) and as many
    with such a PIN (INVALPASSWORD); then ``--many-ids`` new short IDs against ``--max-agents``: no more
    than that many may succeed, the rest get RESOURCEUNAVAIL."""
    o = ctx.opts
    row.unit = "CreateAgent"
    with served(ctx, row, "--clock", "manual", *ctx.limit("--max-agents", o.max_agents)) as server:
        try:
            peer = Peer(server.address, 30.0)
            peer.hello()
            _, hline = peer.open_line(0)
            accepted_long = 0
            for what, due, make in (
                ("ID", LineErr.INVALAGENTID, lambda i: m.CreateAgent(h_line=hline, agent_id=f"{i:06d}".ljust(o.long_len, "x"))),
                ("PIN", LineErr.INVALPASSWORD,
                 lambda i: m.CreateAgent(h_line=hline, agent_id=f"long-pin-{i}", pin="p" * o.long_len)),
            ):
                codes: dict[str, int] = {}
                for start in range(0, o.long_ids, 8):  # a few at a time: each frame is ~320 KiB
                    batch = [make(i) for i in range(start, min(o.long_ids, start + 8))]
                    for result in _outcomes(peer, batch):
                        row.tried += 1
                        codes[_name(result)] = codes.get(_name(result), 0) + 1
                        if result != due:
                            row.wrong += 1
                            accepted_long += result == 0
                row.summary(f"{o.long_ids} {what}s of {o.long_len:,} chars -> {codes} (due {due.name})")
            successes = 0
            codes = {}
            for start in range(0, o.many_ids, 500):
                batch = [m.CreateAgent(h_line=hline, agent_id=f"many-{i}") for i in range(start, min(o.many_ids, start + 500))]
                for result in _outcomes(peer, batch):
                    row.tried += 1
                    codes[_name(result)] = codes.get(_name(result), 0) + 1
                    if result == 0:
                        successes += 1
                    elif result != LineErr.RESOURCEUNAVAIL:
                        row.wrong += 1
            over = max(0, successes + accepted_long - o.max_agents)
            row.wrong += over
            row.summary(f"{o.many_ids} new short IDs -> {codes}; {over} agents past the cap of {o.max_agents}")
            peer.close()
        except (PeerTimeout, PeerClosed, PeerWrong, OSError) as err:
            row.hangs += isinstance(err, PeerTimeout)
            row.wrong += not isinstance(err, PeerTimeout)
            row.note(f"{type(err).__name__}: {err}")


# --- fan-out --------------------------------------------------------------------------------------------

def fanout(ctx: Context, row: Row) -> None:
    """``--fanout-conns`` connections each open up to ``--fanout-lines`` lines on device 0 (at most
    ``--lines-total`` may succeed in all, the rest get RESOURCEUNAVAIL); then one session on device 0
    changes state ``--fanout-changes`` times, every change fanned out to every line, while all of them read."""
    o = ctx.opts
    row.unit = "Opens"
    with served(ctx, row, "--clock", "manual", *ctx.limit("--max-lines-total", o.lines_total)) as server:
        peers: list[Peer] = []
        stop = threading.Event()
        received = [0, 0]  # bytes, connections closed

        def drain() -> None:
            sel = selectors.DefaultSelector()
            for p in peers[1:]:
                p.sock.setblocking(False)
                sel.register(p.sock, selectors.EVENT_READ)
            while not stop.is_set() and sel.get_map():
                for key, _ in sel.select(0.1):
                    try:
                        data = key.fileobj.recv(1 << 20)  # type: ignore[union-attr]
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    if not data:
                        sel.unregister(key.fileobj)
                        received[1] += 1
                    received[0] += len(data)
            sel.close()

        try:
            actor = Peer(server.address, 30.0)
            peers.append(actor)
            actor.hello()
            _, hline = actor.open_line(0)
            result, hagent = actor.outcome(m.CreateAgent(h_line=hline, agent_id="fan-out-actor"))
            result2, hsession = actor.outcome(m.CreateAgentSession(h_line=hline, h_agent=hagent, group_id=SALES))
            if result or result2:
                raise PeerWrong(f"actor setup: {_name(result)}, {_name(result2)}")
            opened = 0
            codes: dict[str, int] = {}
            for _ in range(o.fanout_conns):
                peer = Peer(server.address, 30.0)
                peers.append(peer)
                peer.hello()
                init = peer.call(m.Initialize(friendly_name="fan-out"))
                happ = init.body.h_line_app
                bodies = [m.Open(h_line_app=happ, device_id=0, api_version=0x00020002) for _ in range(o.fanout_lines)]
                for res in _outcomes(peer, bodies):
                    row.tried += 1
                    codes[_name(res)] = codes.get(_name(res), 0) + 1
                    if res == 0:
                        opened += 1
                    elif res != LineErr.RESOURCEUNAVAIL:
                        row.wrong += 1
            over = max(0, opened - o.lines_total)
            row.wrong += over
            thread = threading.Thread(target=drain, daemon=True)
            thread.start()
            start = time.monotonic()
            for i in range(o.fanout_changes):
                state = AgentSessionState.READY if i % 2 == 0 else AgentSessionState.NOTREADY
                res, _ = actor.outcome(m.SetAgentSessionState(h_line=hline, h_agent_session=hsession,
                                                             agent_session_state=state))
                if res != 0:
                    row.wrong += 1
                    row.note(f"SetAgentSessionState -> {_name(res)}")
            took = time.monotonic() - start
            time.sleep(ctx.opts.settle)
            stop.set()
            thread.join(10)
            row.summary(f"{opened} lines open in all -> {codes}, {over} past the cap of {o.lines_total}; "
                     f"{o.fanout_changes} state changes in {took:.1f} s fanned out {received[0] / MIB:.1f} MiB, "
                     f"{received[1]} listeners closed")
        except (PeerTimeout, PeerClosed, PeerWrong, OSError) as err:
            row.hangs += isinstance(err, PeerTimeout)
            row.wrong += not isinstance(err, PeerTimeout)
            row.note(f"{type(err).__name__}: {err}")
        finally:
            stop.set()
            for p in peers:
                p.close()


# --- log pipe -------------------------------------------------------------------------------------------

def log_pipe(ctx: Context, row: Row) -> None:
    """The server's stderr is a pipe nobody reads. ``--logpipe-conns`` short connections, each logged
    (connected, a failing request, closed), must all be served; then SIGTERM must stop it."""
    o = ctx.opts
    row.unit = "connections"
    with served(ctx, row, "--clock", "manual", read_stderr=False) as server:
        for i in range(o.logpipe_conns):
            row.tried += 1
            try:
                peer = Peer(server.address, 2.0)
                try:
                    peer.hello()
                    init = peer.call(m.Initialize(friendly_name=f"log-{i}"))
                    bad = peer.call(m.ShutDown(h_line_app=init.body.h_line_app ^ 0x40000000))  # logged
                    if not is_lineerr(bad.result):
                        row.wrong += 1
                finally:
                    peer.close()
            except (PeerTimeout, socket.timeout) as err:
                row.hangs += 1
                row.note(f"connection {i} not served: {err}")
                break  # frozen: the rest would hang too
            except (PeerClosed, PeerWrong, OSError) as err:
                row.wrong += 1
                row.note(f"connection {i}: {err}")
                if row.wrong >= o.max_failures:
                    break


# --- EmuAdvanceClock ------------------------------------------------------------------------------------

def advance(ctx: Context, row: Row) -> None:
    """The built-in lively scenario on a manual clock: one EmuAdvanceClock of ``--advance-days`` days
    while the healthy poller (1 s) and a listener with every line open read; the RESPONSE must come within
    ``--advance-timeout`` s, the listener must not be cut off. Then SIGTERM during a second such advance
    must stop the server within 2 s."""
    o = ctx.opts
    row.unit = "advances"
    with served(ctx, row, "--clock", "manual", "--control", fuzz_scenario=False, healthy_timeout=1.0) as server:
        listener = None
        try:
            listener = Peer(server.address, 10.0)
            listener.hello()
            init = listener.call(m.Initialize(friendly_name="listener"))
            for device in range(init.body.num_devs):
                opened = listener.call(m.Open(h_line_app=init.body.h_line_app, device_id=device, api_version=0x00020002))
                if opened.result != 0:
                    raise PeerWrong(f"listener Open {device} -> {_name(opened.result)}")
            tail = bytearray()
            got = [0, False]

            def read() -> None:
                listener.sock.settimeout(0.5)
                while not got[1]:
                    try:
                        data = listener.sock.recv(1 << 20)
                    except socket.timeout:
                        continue
                    except OSError:
                        data = b""
                    if not data:
                        got[1] = True
                        return
                    got[0] += len(data)
                    tail[:] = (bytes(tail) + data)[-64:]

            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            peer = Peer(server.address, o.advance_timeout)
            peer.hello()
            peer.call(m.Initialize(friendly_name="advancer"))
            seconds = o.advance_days * 86400
            start = time.monotonic()
            row.tried += 1
            response = peer.call(m.EmuAdvanceClock(seconds=seconds))
            took = time.monotonic() - start
            if response.result != 0:
                row.wrong += 1
                row.note(f"EmuAdvanceClock -> {_name(response.result)}")
            time.sleep(ctx.opts.settle + 0.5)  # the listener reads what the advance produced
            cut = got[1] or b"client is not reading" in bytes(tail)
            row.wrong += int(cut)
            row.summary(f"{o.advance_days} days in {took:.1f} s; listener got {got[0] / MIB:.1f} MiB"
                     + (", was CUT OFF" if cut else ", not cut off"))
            row.tried += 1
            peer.request(m.EmuAdvanceClock(seconds=seconds))
            time.sleep(0.3)
            if server.poller is not None:
                server.poller.quiet()  # type: ignore[attr-defined]
            stopped, took = server.stop(ctx.opts.stop_timeout)
            if not stopped or took > 2.0:
                row.hangs += 1
            row.summary(f"SIGTERM during the second advance: {'stopped' if stopped else 'NOT stopped'} in {took:.1f} s")
            got[1] = True
            peer.close()
        except PeerTimeout as err:
            row.hangs += 1
            row.note(f"EmuAdvanceClock: {err}")
        except (PeerClosed, PeerWrong, OSError) as err:
            row.wrong += 1
            row.note(f"{type(err).__name__}: {err}")
        finally:
            if listener is not None:
                listener.close()


# --- frame limit ----------------------------------------------------------------------------------------

def _at_limit(frame: bytes) -> bytes:
    """``frame`` padded with zero VarData bytes to exactly the frame limit."""
    frame = frame + bytes(MAX_FRAME_LENGTH + 4 - len(frame))
    return struct.pack("<I", MAX_FRAME_LENGTH) + frame[4:]


def frame_limit(ctx: Context, row: Row) -> None:
    """Requests of exactly 0x50000 bytes: an Initialize whose module name fills the VarData, a CreateAgent
    whose ID and PIN offsets are both 0 with a 192 KiB string, and every request class padded to the
    limit. Each must get exactly one RESPONSE; no LINE_REPLY may come without its RESPONSE."""
    o = ctx.opts
    row.unit = "requests"
    with served(ctx, row, "--clock", "manual", "--control") as server:
        try:
            peer = Peer(server.address, 10.0)
            peer.hello()
            happ, hline = peer.open_line(0)
            frames: list[tuple[str, bytes]] = []
            base = len(codec.encode(m.Request(1, m.Initialize(friendly_name="", module_name=""))))
            n = (MAX_FRAME_LENGTH + 4 - base) // 2
            while n > 0:
                frame = codec.encode(m.Request(1, m.Initialize(friendly_name="", module_name="M" * n)))
                if len(frame) <= MAX_FRAME_LENGTH + 4:
                    break
                n -= 1
            frames.append(("Initialize (module name fills the VarData)", _at_limit(frame)))
            text = ("A" * (192 * 1024 // 2 - 1)).encode("utf-16-le") + b"\0\0"
            params = (0, 0, hline, 0, 0, 0) + (0,) * 7
            frames.append(("CreateAgent (ID and PIN at offset 0, 192 KiB)",
                           _at_limit(codec.encode(m.Request(1, m.RawRequest(146, params, text))))))
            maker = SessionMaker(o.seed)
            for cls in m.REQUEST_CLASSES:
                body = maker.body_of(cls)
                handles = {f: v for f, v in (("h_line", hline), ("h_line_app", happ)) if hasattr(body, f)}
                body = attrs.evolve(body, **handles)
                try:
                    frames.append((cls.__name__, _at_limit(codec.encode(m.Request(1, body)))))
                except Exception as err:  # noqa: BLE001 - a drawn value the encoder refuses: skip the class
                    row.note(f"{cls.__name__} not sent: {err}")
            del happ
            _send_each(peer, frames, row)
            peer.close()
        except PeerTimeout as err:
            row.hangs += 1
            row.note(f"{err}")
        except (PeerClosed, PeerWrong, OSError) as err:
            row.wrong += 1
            row.note(f"{type(err).__name__}: {err}")


def _send_each(peer: Peer, frames: list[tuple[str, bytes]], row: Row) -> None:
    """Send each frame (raw, with a fresh sequence) and wait 2 s for exactly its RESPONSE; every
    LINE_REPLY must be for a request ID some RESPONSE announced (frames are parsed raw, not decoded)."""
    from fuzz.frames import split_frames

    missing = []
    announced: set[int] = set()
    buf = b""
    for k, (name, frame) in enumerate(frames):
        seq = 0x1000 + k
        peer.sock.sendall(frame[:8] + struct.pack("<I", seq) + frame[12:])
        row.tried += 1
        deadline = time.monotonic() + 2.0
        answered = 0
        while not answered:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            peer.sock.settimeout(left)
            try:
                data = peer.sock.recv(1 << 20)
            except socket.timeout:
                break
            if not data:
                raise PeerClosed(f"the server closed the connection after {name}")
            got, rest = split_frames(buf + data)
            buf = rest
            for kind, fseq, whole in got:
                if kind == 2:
                    if fseq != seq:
                        row.wrong += 1
                        row.note(f"{name}: RESPONSE {fseq}, expected {seq}")
                    answered += 1
                    announced.add(int.from_bytes(whole[12:16], "little"))
                elif kind == 3:
                    at = 12
                    while at + 40 <= len(whole):
                        size, msg, request_id = (struct.unpack_from("<I", whole, at)[0],
                                                 struct.unpack_from("<I", whole, at + 16)[0],
                                                 struct.unpack_from("<I", whole, at + 24)[0])
                        if msg == 12 and request_id not in announced:
                            row.wrong += 1
                            row.note(f"{name}: LINE_REPLY {request_id} without its RESPONSE")
                        at += max(40, size + (-size % 4))
                elif kind == 4:
                    raise PeerClosed(f"ERROR after {name}: {whole[12:60]!r}")
        if not answered:
            row.wrong += 1
            missing.append(name)
    if missing:
        row.summary(f"no RESPONSE within 2 s for: {', '.join(missing)}")
