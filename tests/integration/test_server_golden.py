"""The issue's "Done when": a hand-made scenario with scripted calls, queried at chosen manual-clock
instants THROUGH THE WIRE, gives exactly the wire-protocol §4 value of every LINEAGENTSESSIONINFO field.

The LINE_REPLY data is unpacked here with ``struct`` straight from tapi-facts §2.1 (``<5Id8Iq2I``), not
with our protocol package, and every expected number below is worked out by hand in the comments.

Timeline (seconds after the scenario start 2026-11-26T09:00:00Z):

    t=0     client: CreateAgent anna (answer_delay 2, wrap-up 10)
    t=1.5   client: CreateAgentSession anna / Sales on line 0  -> session A created at 1.5, NOTREADY
    t=5     client: A READY; CreateAgent ben (0 / 0), session B / Support on line 1, B READY (created at 5)
    t=10    Sales call 1 (talk 30): offered to A (BUSYONCALL), answered 12 (waited 2), hang-up 42,
            wrap-up 42..52
    t=15    Support call (talk 7.25): B answers at once (waited 0), hang-up 22.25, READY
    t=20    Sales call 2 (talk 45): nobody READY in Sales -> waits in queue 1
    t=52    A READY after wrap-up, takes call 2 at once: answered 54 (waited 54 - 20 = 34), hang-up 99,
            wrap-up 99..109
    t=105   client: A -> NOTREADY while BUSYWRAPUP: stored as next state
    t=109   A enters NOTREADY
    t=200   client: A -> ENDED (duration frozen at 200 - 1.5)
"""

from __future__ import annotations

import datetime as dt
import struct
import uuid

import trio

from protocol import messages as m
from protocol.constants import AgentSessionState, LineMsg
from server_wire import wire_client
from tsp.scenario import parse_scenario
from tsp.testing import open_emulator

SALES = uuid.UUID("0d6c1a52-6f0b-4d33-9a65-7c1e2b3a4d5e")
SUPPORT = uuid.UUID("a3b4c5d6-e7f8-4a1b-8c2d-3e4f5a6b7c8d")

SCENARIO = f"""
[switch]
name = "Golden"
lines = 2
start = "2026-11-26T09:00:00Z"
seed = 11

[[groups]]
id = "{SALES}"
name = "Sales"
queue = 1

[[groups]]
id = "{SUPPORT}"
name = "Support"
queue = 2

[[agents]]
id = "anna"
pin = "1111"
answer_delay = 2
wrapup = 10

[[agents]]
id = "ben"

[[calls]]
at = 10
group = "Sales"
talk = 30

[[calls]]
at = 15
group = "Support"
talk = 7.25

[[calls]]
at = 20
group = "Sales"
talk = 45
"""

LAYOUT = struct.Struct("<5Id8Iq2I")  # tapi-facts §2.1, 76 bytes
FIELDS = (
    "total", "needed", "used", "state", "next_state", "start", "duration", "calls", "talk", "avg_talk",
    "call", "avg_call", "wrap", "avg_wrap", "rate_cy", "longest_tta", "avg_tta",
)
NOTREADY, READY, BUSYONCALL, BUSYWRAPUP, ENDED = 0x01, 0x02, 0x04, 0x08, 0x10

# OLE DATE of the session starts: whole days from 1899-12-30 to 2026-11-26, plus the fraction of the day.
DAYS = (dt.date(2026, 11, 26) - dt.date(1899, 12, 30)).days  # 46352
START_A = DAYS + (9 * 3600 + 1.5) / 86400  # created at 09:00:01.5
START_B = DAYS + (9 * 3600 + 5) / 86400  # created at 09:00:05


def expect(**values: float) -> dict[str, float]:
    base = dict(total=76, needed=76, used=76, next_state=0, calls=0, talk=0, avg_talk=0, call=0, avg_call=0,
                wrap=0, avg_wrap=0, rate_cy=0, longest_tta=0, avg_tta=0)
    base.update(values)
    return base


# Session A at each instant. duration = floor(now - 1.5); rate_cy = round(calls * 3600 / (now - 1.5) * 10^4).
EXPECTED_A = {
    5.0: expect(state=READY, start=START_A, duration=3),  # 3.5 s old, no calls yet
    11.0: expect(state=BUSYONCALL, start=START_A, duration=9),  # ringing: not answered, nothing counted
    30.5: expect(  # call 1 in talk since 12: 18.5 s
        state=BUSYONCALL, start=START_A, duration=29, calls=1, talk=18, avg_talk=18, call=18, avg_call=18,
        rate_cy=1241379, longest_tta=2, avg_tta=2),  # 3600 / 29 = 124.137931 -> 124.1379
    47.25: expect(  # talk 30 done, wrap-up in progress 5.25 s
        state=BUSYWRAPUP, start=START_A, duration=45, calls=1, talk=30, avg_talk=30, wrap=5, avg_wrap=5,
        call=35, avg_call=35,  # floor(30 + 5.25)
        rate_cy=786885, longest_tta=2, avg_tta=2),  # 3600 / 45.75 = 78.688525 -> 78.6885
    60.0: expect(  # call 2 in talk since 54: 30 + 6 talk, 10 wrap
        state=BUSYONCALL, start=START_A, duration=58, calls=2, talk=36, avg_talk=18, wrap=10, avg_wrap=5,
        call=46, avg_call=23, rate_cy=1230769,  # 7200 / 58.5 = 123.076923 -> 123.0769
        longest_tta=34, avg_tta=18),  # waits 2 and 34: max 34, floor(36 / 2) = 18
    105.0: expect(  # second wrap-up in progress 6 s; NOTREADY requested just now -> next state
        state=BUSYWRAPUP, next_state=NOTREADY, start=START_A, duration=103, calls=2, talk=75, avg_talk=37,
        wrap=16, avg_wrap=8, call=91, avg_call=45,  # 75 / 2 = 37.5, 16 / 2 = 8, 91 / 2 = 45.5
        rate_cy=695652, longest_tta=34, avg_tta=18),  # 7200 / 103.5 = 69.565217 -> 69.5652
    200.0: expect(  # NOTREADY since 109; ENDED requested right after this query
        state=NOTREADY, start=START_A, duration=198, calls=2, talk=75, avg_talk=37, wrap=20, avg_wrap=10,
        call=95, avg_call=47, rate_cy=362720,  # 95 / 2 = 47.5; 7200 / 198.5 = 36.272040 -> 36.2720
        longest_tta=34, avg_tta=18),
    300.0: expect(  # ENDED at 200: duration and rate frozen
        state=ENDED, start=START_A, duration=198, calls=2, talk=75, avg_talk=37, wrap=20, avg_wrap=10,
        call=95, avg_call=47, rate_cy=362720, longest_tta=34, avg_tta=18),
}

# Session B: created at 5, READY; Support call 15..22.25, answered at once.
EXPECTED_B = {
    11.0: expect(state=READY, start=START_B, duration=6),
    30.5: expect(  # 25.5 s old, one call of 7.25 s
        state=READY, start=START_B, duration=25, calls=1, talk=7, avg_talk=7, call=7, avg_call=7,
        rate_cy=1411765),  # 3600 / 25.5 = 141.176471 -> 141.1765; waited 0
}


async def test_every_session_info_field_through_the_wire() -> None:
    async with open_emulator(parse_scenario(SCENARIO), clock="manual", listen=False) as emu:
        async with wire_client(emu) as c:
            line0 = await c.open_line(0, hremote=0x7000, open_context=0x7001)
            line1 = await c.open_line(1)
            now = 0.0

            async def advance_to(t: float) -> None:
                nonlocal now
                ms = round((t - now) * 1000)
                await c.advance(ms // 1000, ms % 1000)
                now = t

            async def raw_info(hline: int, hsession: int, size: int) -> dict[str, float]:
                resp, reply = await c.call(m.GetAgentSessionInfo(
                    h_line=hline, h_agent_session=hsession, context=0x51, agent_session_info_context=0x52,
                    agent_session_info_size=size))
                assert reply is not None and reply.result == 0, reply
                generic = reply.to_generic()
                assert (generic.msg, generic.param1, generic.param3, generic.param4) == (
                    LineMsg.REPLY, resp.result, 0x52, 76)
                assert (reply.context, reply.init_context) == (0x51, c.init_context)
                return dict(zip(FIELDS, LAYOUT.unpack(reply.data)))

            async def check(hline: int, hsession: int, expected: dict[str, float], size: int = 76) -> None:
                got = await raw_info(hline, hsession, size)
                want = dict(expected, total=size)
                assert got == want, f"t={now}: " + ", ".join(
                    f"{k}: got {got[k]!r} want {want[k]!r}" for k in FIELDS if got[k] != want[k])

            anna = await c.create_agent(line0, "anna", "1111")
            await advance_to(1.5)
            a = await c.create_session(line0, anna, SALES)
            await advance_to(5.0)
            await c.set_state(line0, a, READY)
            ben = await c.create_agent(line1, "ben")
            b = await c.create_session(line1, ben, SUPPORT)
            await c.set_state(line1, b, READY)

            for t, expected in EXPECTED_A.items():
                await advance_to(t)
                if t == 105.0:
                    await c.set_state(line0, a, NOTREADY)
                await check(line0, a, expected)
                if t in EXPECTED_B:
                    await check(line1, b, EXPECTED_B[t])
                if t == 200.0:
                    await c.set_state(line0, a, ENDED)
            # The same answer whatever the client's buffer size (dwTotalSize echoes it).
            await check(line0, a, EXPECTED_A[300.0], size=4096)
            # Any open line of the connection may query any session.
            await check(line1, a, EXPECTED_A[300.0])
            assert emu.session_info(a).state == AgentSessionState.ENDED
            await trio.testing.wait_all_tasks_blocked()
