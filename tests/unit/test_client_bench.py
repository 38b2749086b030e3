"""bench/client.py runs (tiny) and reports the library (TAPI3 and Line API), the raw client against the same
server and the floor, sequentially and with 64 in flight, with the ratios."""

from __future__ import annotations

import functools
import json
from decimal import Decimal
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "client.py"
ONE_AT_A_TIME = ("DirectFloor", "TimedFloor")


def test_client_bench_quick() -> None:
    out = subprocess.run([sys.executable, str(BENCH), "--quick", "--json"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert set(result) == {"sequential", "64 in flight"}
    for label, row in result.items():
        clients = {"tapi3", "line", "typed", "tasks", "raw", "floor"} | (
            {"direct", "timed"} if label == "sequential" else set())
        assert set(row["rate"]) == clients
        assert all(rate > 0 for rate in row["rate"].values()), row
        assert all(cpu > 0 for cpu in row["cpu_us"].values()), row
        assert row["of_raw"] == row["rate"]["tapi3"] / row["rate"]["raw"]
        assert row["of_tasks"] == row["rate"]["tapi3"] / row["rate"]["tasks"]
        assert row["tasks_of_raw"] == row["rate"]["tasks"] / row["rate"]["raw"]
        assert row["typed_of_raw"] == row["rate"]["typed"] / row["rate"]["raw"]
        assert row["of_typed"] == row["rate"]["tapi3"] / row["rate"]["typed"]
        assert row["target"] == {"sequential": 0.85, "64 in flight": 0.60}[label]
        if label == "sequential":  # the caller-reads floor: one call at a time
            assert row["direct_of_raw"] == row["rate"]["direct"] / row["rate"]["raw"]
            assert row["of_direct"] == row["rate"]["tapi3"] / row["rate"]["direct"]
            assert row["line_of_direct"] == row["rate"]["line"] / row["rate"]["direct"]
            assert row["timed_of_raw"] == row["rate"]["timed"] / row["rate"]["raw"]
            assert row["of_timed"] == row["rate"]["tapi3"] / row["rate"]["timed"]
        else:
            assert "direct_of_raw" not in row and "timed_of_raw" not in row
        # The TAPI3 figure of issue 18: both APIs interleaved on one connection, each really called.
        paired = row["interleaved_rate"]
        assert set(paired) == {"tapi3", "line"} and all(rate > 0 for rate in paired.values()), row
        assert row["tapi3_of_line_interleaved"] == pytest.approx(paired["tapi3"] / paired["line"])


def test_client_bench_table() -> None:
    out = subprocess.run([sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[1].split() == ["mode", "client", "calls", "/s", "cpu", "us/call", "runs", "/s"]
    clients = [line.split()[-4] for line in lines[2:16]]
    assert clients == ["tapi3", "line", "typed", "direct", "timed", "tasks", "raw", "floor",
                       "tapi3", "line", "typed", "tasks", "raw", "floor"]
    assert lines[16].split() == ["mode", "library/raw", "target", "line/raw", "tapi3/line", "interleaved",
                                 "typed/raw", "direct/raw", "timed/raw", "tasks/raw", "library/typed", "library/tasks",
                                 "raw/floor"]
    assert [line.split("  ")[0] for line in lines[17:19]] == ["sequential", "64 in flight"]
    assert lines[18].split()[9:11] == ["-", "-"]  # no direct or timed floor with 64 in flight
    assert lines[19].startswith("direct: ") and lines[20].startswith("interleaved: ")


def _bench_module():  # type: ignore[no-untyped-def]
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_client_for_test", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("floor_class", ["TaskFloor", "TypedFloor", "DirectFloor", "TimedFloor"])
def test_floor_clients_return_the_decoded_value_and_count_their_calls(floor_class: str) -> None:
    """The task-per-call floor and the typed floor really match answers to callers: against a server
    answering every REQUEST with the canned answer (dwTotalTalkTime 42) under the REQUEST's own sequence and a
    fresh request ID, 64 tasks' calls each get 42 back, and the server saw every request; the typed floor's
    RESPONSE and EVENTS objects are the ones the protocol package decodes from the same bytes. The direct
    floor (one call at a time) makes the same 320 calls from one task, reading each answer itself, and so does
    the timed floor, under its deadline."""
    import struct

    import trio

    from bench._common import exchange
    from protocol import Connection, Hello, Request, Role, encode

    bench = _bench_module()
    request, answer = bench.cannedexchange()
    response, events = answer[:72], answer[72:]
    got: list[int] = []
    served = [0]

    async def serve(stream: trio.SocketStream) -> None:
        buf = bytearray()
        while True:
            data = await stream.receive_some(65536)
            if not data:
                return
            buf += data
            out = bytearray()
            while len(buf) >= 12 and len(buf) >= 4 + int.from_bytes(buf[:4], "little"):
                n = 4 + int.from_bytes(buf[:4], "little")
                if served[0] == 0:
                    out += encode(Hello(product="test server"))
                else:
                    rid = served[0] + 100
                    out += response[:8] + buf[8:12] + struct.pack("<L", rid) + response[16:]
                    out += events[:36] + struct.pack("<L", rid) + events[40:]
                served[0] += 1
                del buf[:n]
            await stream.send_all(out)

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            listeners = await nursery.start(trio.serve_tcp, serve, 0)
            port = listeners[0].socket.getsockname()[1]
            stream = await trio.open_tcp_stream("127.0.0.1", port)
            await exchange(stream, Connection(Role.CLIENT), Hello(product="test"))
            floor = getattr(bench, floor_class)(stream, request)
            nursery.start_soon(floor.read)
            nursery.start_soon(floor.write)

            async def worker() -> None:
                for _ in range(5):
                    got.append(await floor.call())

            with trio.fail_after(30):
                async with trio.open_nursery() as workers:
                    for _ in range(1 if floor_class in ONE_AT_A_TIME else 64):
                        workers.start_soon(worker)
                if floor_class in ONE_AT_A_TIME:
                    for _ in range(63):
                        await worker()
                    floor.by_sequence[0] = None  # as if a call were outstanding: a second one is refused
                    with pytest.raises(RuntimeError):
                        await floor.call()
                    del floor.by_sequence[0]
            if floor_class != "TaskFloor":  # the objects of the last answer are the protocol codec's
                rid = served[0] + 99
                conn = Connection(Role.CLIENT)
                conn.send(Hello(product="check"))
                conn.receive_data(encode(Hello(product="x")))
                conn.next_event()
                seq = conn.next_sequence()
                conn.send(Request(seq, floor.mk_body(*floor.params)))
                conn.receive_data(response[:8] + struct.pack("<L", seq) + struct.pack("<L", rid) + response[16:]
                                  + events[:36] + struct.pack("<L", rid) + events[40:])
                want = (conn.next_event(), conn.next_event())
                got_response, got_events = floor.last
                assert got_events == want[1] and got_events.records[0].value.total_talk_time == 42
                assert got_response == attrs.evolve(want[0], sequence=got_response.sequence)
                assert type(got_events.records[0].value.acd_call_rate) is Decimal
            nursery.cancel_scope.cancel()

    trio.run(main)
    assert got == [42] * 320
    assert served[0] == 1 + 320


def test_the_timed_floor_times_out_a_silent_server() -> None:
    """TimedFloor's deadline is real: against a loopback server that never answers, its call ends at the
    deadline (trio's autojump clock: two minutes in no time) with ServerFailed, where DirectFloor would
    wait forever."""
    import trio
    import trio.testing

    bench = _bench_module()
    request = bench.cannedexchange()[0]

    async def silent(stream: trio.SocketStream) -> None:
        await trio.sleep_forever()

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            listeners = await nursery.start(functools.partial(trio.serve_tcp, silent, 0, host="127.0.0.1"))
            port = listeners[0].socket.getsockname()[1]
            stream = await trio.open_tcp_stream("127.0.0.1", port)
            floor = bench.TimedFloor(stream, request)
            start = trio.current_time()
            with pytest.raises(bench.ServerFailed, match="no answer within 120"):
                await floor.call()
            assert trio.current_time() - start == pytest.approx(bench.TAPI3_SECONDS)
            nursery.cancel_scope.cancel()

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
