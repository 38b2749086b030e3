"""Wire order over TCP when the server's reader writes answers itself and the socket takes only part,
and reads what is already waiting itself (the direct reads).

``tsp.server`` writes what one read produced with one non-blocking write; what the socket does not take
stays queued for the writer task. A client that sends thousands of requests at once before it reads
anything makes the socket refuse most of it, so both paths carry answers; the order on the wire must still
be the order the switch produced them (every RESPONSE before its LINE_REPLY, sequences ascending).
"""

from __future__ import annotations

from typing import Any

import trio

from protocol import messages as m
from protocol.connection import CLOSED, NEED_DATA, Connection, Role
from tsp.scenario import default_scenario
from tsp.testing import open_emulator

REQUESTS = 4000


async def _read_until(stream: trio.abc.Stream, proto: Connection, log: list[tuple[str, Any]], done: Any) -> None:
    """Read frames into ``log`` as ("response", Response) / ("reply", LineReply) until ``done(log)``."""
    with trio.fail_after(60):
        while not done(log):
            data = await stream.receive_some(65536)
            assert data, "the server closed the connection"
            proto.receive_data(data)
            while (event := proto.next_event()) is not NEED_DATA:
                assert event is not CLOSED
                if isinstance(event, m.Hello):
                    log.append(("hello", event))
                elif isinstance(event, m.Response):
                    log.append(("response", event))
                elif isinstance(event, m.Events):
                    log.extend(("reply", r) for r in event.records if isinstance(r, m.LineReply))


async def test_answers_keep_their_order_when_the_socket_takes_only_part_of_them() -> None:
    async with open_emulator(default_scenario(), clock="manual") as emu:
        stream = await emu.connect()
        proto = Connection(Role.CLIENT)
        log: list[tuple[str, Any]] = []
        await stream.send_all(proto.send(m.Hello()))
        await _read_until(stream, proto, log, lambda log: len(log) >= 1)
        log.clear()
        await stream.send_all(proto.send(m.Request(proto.next_sequence(), m.Initialize())))
        await _read_until(stream, proto, log, lambda log: len(log) >= 1)
        happ = log[-1][1].body.h_line_app
        await stream.send_all(proto.send(m.Request(proto.next_sequence(), m.Open(h_line_app=happ, device_id=0))))
        await _read_until(stream, proto, log, lambda log: len(log) >= 2)
        hline = log[-1][1].body.h_line
        log.clear()

        first = proto.next_sequence()
        frames = [proto.send(m.Request(first, m.GetGroupList(h_line=hline, request_id=1)))]
        for i in range(2, REQUESTS + 1):
            frames.append(proto.send(m.Request(proto.next_sequence(), m.GetGroupList(h_line=hline, request_id=i))))
        direct = emu.server.direct_reads
        await stream.send_all(b"".join(frames))  # ~290 KB of requests; nothing read meanwhile
        await _read_until(stream, proto, log, lambda log: len(log) >= 2 * REQUESTS)
        # the bytes already waiting behind a full read were read without trio (tsp/server.py DIRECT_READS)
        assert emu.server.direct_reads > direct

        responses = [x for kind, x in log if kind == "response"]
        replies = [x for kind, x in log if kind == "reply"]
        assert [r.sequence for r in responses] == list(range(first, first + REQUESTS))
        assert [r.result for r in responses] == list(range(1, REQUESTS + 1))
        assert [r.request_id for r in replies] == list(range(1, REQUESTS + 1))
        assert all(r.result == 0 and r.value.entries for r in replies)
        position = {(kind, x.sequence if kind == "response" else x.request_id): i for i, (kind, x) in enumerate(log)}
        for r in responses:  # each RESPONSE comes before the LINE_REPLY of its request
            assert position[("response", r.sequence)] < position[("reply", r.result)]
        await stream.aclose()
