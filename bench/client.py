"""Client round trips per second: ``ITAgentSession.get_TotalTalkTime()`` against ``python -m tsp``,
sequentially and with 64 calls in flight on one connection, next to a raw trio loopback floor measured in
the same run.

The floor is the cheapest possible exchange of the same bytes over the same stack: a raw trio client
sends the 72-byte GetAgentSessionInfo REQUEST frame and reads the 200 bytes that answer it (RESPONSE +
EVENTS frame with the LINE_REPLY and its 76-byte LINEAGENTSESSIONINFO) from a minimal trio server that
replays canned bytes — no decoding, no objects, no switch. Both servers run as separate processes so the
client measured here has its own core.

    python bench/client.py           # 3 s per row
    python bench/client.py --quick   # tiny run (used by the test suite)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trio  # noqa: E402

import client  # noqa: E402
from bench._common import run_floor, start_process, stop_process  # noqa: E402
from protocol import (  # noqa: E402
    AgentSessionInfo,
    Events,
    GetAgentSessionInfo,
    Hello,
    LineReply,
    Request,
    Response,
    encode,
    encode_struct,
)

IN_FLIGHT = 64


# --- canned bytes of one exchange -----------------------------------------------------------------------


def canned_exchange() -> tuple[bytes, bytes]:
    """(REQUEST frame, RESPONSE + EVENTS frames) of one GetAgentSessionInfo, as the real codec writes them."""
    body = GetAgentSessionInfo(h_line=1, h_agent_session=21, agent_session_info_context=21)
    request = encode(Request(1, body))
    info = encode_struct(AgentSessionInfo(total_talk_time=42))
    answer = encode(Response(1, 5, body)) + encode(
        Events((LineReply(request_id=5, struct_context=21, data=info),))
    )
    return request, answer


# --- measurements -----------------------------------------------------------------------------------------


async def floor_rate(host: str, port: int, seconds: float, in_flight: int) -> float:
    """Raw round trips per second with ``in_flight`` requests outstanding."""
    request, answer = canned_exchange()
    stream = await trio.open_tcp_stream(host, port)
    await stream.send_all(encode(Hello(product="floor client")))
    await stream.receive_some(65536)  # the HELLO
    size = len(answer)
    done = 0
    async with stream:
        await stream.send_all(request * in_flight)
        start = time.perf_counter()
        deadline = start + seconds
        pending = 0
        while True:
            data = await stream.receive_some(65536)
            pending += len(data)
            finished, pending = divmod(pending, size)
            done += finished
            if time.perf_counter() >= deadline:
                break
            if finished:
                await stream.send_all(request * finished)
        elapsed = time.perf_counter() - start
    return done / elapsed


async def client_rate(host: str, port: int, seconds: float, in_flight: int) -> float:
    """``get_TotalTalkTime()`` calls per second with ``in_flight`` tasks calling in a loop."""
    async with client.connect(host, port, app_name="bench") as tapi:
        line = await tapi.open_line(0)
        agent = await line.create_agent("1001", pin="1234")
        session = (await agent.EnumerateAgentSessions())[0]
        await session.get_TotalTalkTime()  # warm up
        done = 0
        start = time.perf_counter()
        deadline = start + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                await session.get_TotalTalkTime()
                done += 1

        async with trio.open_nursery() as nursery:
            for _ in range(in_flight):
                nursery.start_soon(worker)
        elapsed = time.perf_counter() - start
    return done / elapsed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny run (a fraction of a second per row)")
    ap.add_argument("--seconds", type=float, default=3.0, help="seconds per row (default 3)")
    ap.add_argument("--serve-floor", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve_floor:
        run_floor(canned_exchange()[1])
        return 0
    seconds = 0.2 if args.quick else args.seconds

    emulator, e_host, e_port = start_process(["-m", "tsp", "--port", "0", "--clock", "manual", "--control", "-q"])
    floor, f_host, f_port = start_process([str(Path(__file__).resolve()), "--serve-floor"])
    try:
        rows = []
        for label, in_flight in (("sequential", 1), (f"{IN_FLIGHT} in flight", IN_FLIGHT)):
            base = trio.run(floor_rate, f_host, f_port, seconds, in_flight)
            mine = trio.run(client_rate, e_host, e_port, seconds, in_flight)
            rows.append((label, mine, base))
    finally:
        stop_process(emulator)
        stop_process(floor)

    print(f"GetAgentSessionInfo round trips per second, one loopback connection, {seconds:g} s per row")
    print(f"{'mode':<16}{'client+tsp /s':>15}{'trio floor /s':>15}{'of floor':>10}")
    for label, mine, base in rows:
        print(f"{label:<16}{mine:>15,.0f}{base:>15,.0f}{mine / base:>9.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
