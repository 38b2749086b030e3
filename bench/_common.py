"""What the server and client benches share: the raw trio floor server and the helpers that start a server
process, read its ``listening on HOST:PORT`` first line and stop it.

Imported as ``bench._common`` by the bench scripts after they put the repository root on ``sys.path``
(they are run as ``python bench/x.py``). Not a product API.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trio

from protocol.constants import FrameKind, LineMsg
from protocol import CLOSED, NEED_DATA, Connection, Events, Hello, LineReply, Response, encode

ROOT = Path(__file__).resolve().parent.parent


# --- the floor: a minimal trio server answering canned bytes ----------------------------------------------


async def serve_floor(answer: bytes | dict[int, bytes], port: int = 0) -> None:
    """Answer HELLO with HELLO and every further frame with ``answer``; decode nothing.

    Frames are split by their length field only, so the floor costs what the stack (trio, sockets) costs
    and nothing more. ``answer`` may also map a REQUEST's Req_Func (the DWORD after the 12-byte frame
    header) to its answer bytes (a mixed workload): one dict lookup per frame more. Prints ``listening
    on HOST:PORT`` first, like ``python -m tsp``.
    """
    by_func = answer if isinstance(answer, dict) else None

    def canned(buf: bytearray) -> tuple[bytearray, int]:
        out = bytearray()
        pos = 0
        while len(buf) - pos >= 4:
            n = 4 + int.from_bytes(buf[pos : pos + 4], "little")
            if len(buf) - pos < n:
                break
            if by_func is None:
                out += answer  # type: ignore[operator]
            else:
                out += by_func[int.from_bytes(buf[pos + 12 : pos + 16], "little")]
            pos += n
        return out, pos

    await serve_frames(canned, port)


async def serve_frames(answer: Callable[[bytearray], tuple[bytearray, int]], port: int = 0) -> None:
    """A floor server's connection loop (:func:`serve_loopback`): the first frame (the HELLO) answered with
    HELLO, then per read ``answer(buf)`` -> (the answers to the complete frames at the start of ``buf``, the
    bytes they took), sent in one write."""
    hello = encode(Hello(product="floor"))

    async def handle(stream: trio.SocketStream) -> None:
        buf = bytearray()
        greeted = False
        try:
            while True:
                data = await stream.receive_some(65536)
                if not data:
                    return
                buf += data
                if not greeted:  # the HELLO
                    n = 4 + int.from_bytes(buf[:4], "little")
                    if len(buf) < n:
                        continue
                    del buf[:n]
                    greeted = True
                    await stream.send_all(hello)
                out, pos = answer(buf)
                del buf[:pos]
                if out:
                    await stream.send_all(out)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            return

    await serve_loopback(handle, port)


async def serve_loopback(handle: Any, port: int = 0) -> None:
    """Serve ``handle`` (one call per connection's stream) on 127.0.0.1:``port`` (0: any free port),
    printing ``listening on HOST:PORT`` first, like ``python -m tsp`` (what :func:`start_process` reads)."""
    listeners = await trio.open_tcp_listeners(port, host="127.0.0.1")
    host, bound = listeners[0].socket.getsockname()[:2]
    print(f"listening on {host}:{bound}", flush=True)
    await trio.serve_listeners(handle, listeners)


def run_floor(answer: bytes | dict[int, bytes]) -> None:
    """Run :func:`serve_floor` until interrupted (the ``--serve-floor`` mode of the bench scripts)."""
    try:
        trio.run(serve_floor, answer)
    except KeyboardInterrupt:
        pass


# --- processes -------------------------------------------------------------------------------------------


def start_process(args: list[str]) -> tuple[subprocess.Popen[str], str, int]:
    """Start a server process and read its ``listening on HOST:PORT`` first line."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on "):
        proc.kill()
        raise RuntimeError(f"{' '.join(args)} did not start: {line!r}")
    host, _, port = line.removeprefix("listening on ").rpartition(":")
    return proc, host, int(port)


def stop_process(proc: subprocess.Popen[Any]) -> None:
    """SIGTERM, then SIGKILL if the process has not ended within 5 s."""
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# --- setting a connection up through the protocol library (checked answers) -------------------------------


class ServerFailed(RuntimeError):
    """The server closed the connection, sent an ERROR frame or refused the setup."""


async def exchange(stream: trio.SocketStream, conn: Connection, frame: Any) -> list[Any]:
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


def reply_value(frames: list[Any]) -> Any:
    """The value of the LINE_REPLY among ``frames`` (ServerFailed if it failed or is missing)."""
    for frame in frames:
        if isinstance(frame, Events):
            for rec in frame.records:
                if isinstance(rec, LineReply):
                    if rec.result:
                        raise ServerFailed(f"LINE_REPLY failed with {rec.result:#x}")
                    return rec.value
    raise ServerFailed(f"no LINE_REPLY in {frames!r}")


#: The frame header and the first five DWORDs of an ASYNCEVENTMSG (TotalSize .. Msg), for the raw clients.
FRAME_HEADER = struct.Struct("<LHHL")
RECORD_MSG = struct.Struct("<LLLLL")


def count_replies(buf: bytearray, by_response: bool = False) -> tuple[int, int]:
    """(answers in the complete frames at the start of ``buf``, bytes those frames take): LINE_REPLY
    records, or RESPONSE frames with ``by_response`` (a synchronous request's answer); ServerFailed on an
    ERROR frame. No decoding: the raw clients' reading loop."""
    replies = 0
    pos = 0
    end = len(buf)
    while end - pos >= 12:
        length, kind, _flags, _seq = FRAME_HEADER.unpack_from(buf, pos)
        if end - pos < 4 + length:
            break
        if kind == FrameKind.EVENTS and not by_response:
            rec = pos + 12
            while rec < pos + 4 + length:
                total, _i, _c, _h, msg = RECORD_MSG.unpack_from(buf, rec)
                replies += msg == LineMsg.REPLY
                rec += total or 4 + length
        elif kind == FrameKind.RESPONSE and by_response:
            replies += 1
        elif kind == FrameKind.ERROR:
            raise ServerFailed(f"ERROR frame: {bytes(buf[pos + 12 : pos + 4 + length])!r}")
        pos += 4 + length
    return replies, pos
