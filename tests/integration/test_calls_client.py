"""A full ACD call through the public client library over a real loopback server (wire-protocol §9):
offer -> answer -> hold -> unhold -> hang up -> wrap-up -> ready, checking at each step the TAPI3 events,
LINECALLSTATUS, LINECALLINFO and the session's statistics (to the second, manual clock). Also MakeCall
through ITBasicCallControl.Connect, a transfer, and the phone (client/phone.py) driven by its keys.

Timeline (anna answers by application, wrap-up 10 s; the scripted call arrives at t = 1, talk 60):
    1 offered (ringing)    3 Answer (time to answer 2)    6 Hold    10 UnHold    15 Drop (talk 12)
   15..25 wrap-up          25 READY again
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import trio

import client
from client import AgentSessionStateASST
from client.calls import ITCallNotificationEvent, ITCallStateEvent
from client.phone import Phone, render_phone
from protocol.constants import (
    CallFeature, CallInfoLong, CallInfoString, CallStateEventCause, LineCallState, Tapi3CallState,
)
from tsp.scenario import parse_scenario
from tsp.testing import open_emulator

SCENARIO = """
[switch]
name = "Calls ACD"
lines = 2
start = "2026-11-26T09:00:00Z"
seed = 5
outbound_answer = 3

[[groups]]
id = "5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b"
name = "Sales"
queue = 1
extension = "200"

[[groups]]
id = "8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
name = "Support"
queue = 2
extension = "300"

[[agents]]
id = "anna"
pin = "1111"
answer = "app"
wrapup = 10

[[agents.sessions]]
group = "Sales"
line = 0
state = "READY"

[[agents]]
id = "ben"
answer_delay = 1
wrapup = 0

[[agents.sessions]]
group = "Support"
line = 1
state = "READY"

[[calls]]
at = 1
group = "Sales"
talk = 60
ani = "+15551234"
dnis = "8005550100"
uui = "order 42"
"""
START = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.timezone.utc)
UTC = dt.timezone.utc


async def next_event(events: Any) -> Any:
    with trio.fail_after(5):
        return await events.next()


async def stats(session: Any) -> tuple[int, ...]:
    info = await session.refresh()
    return (int(info.state), info.number_of_calls, info.total_talk_time, info.total_wrap_up_time,
            info.longest_time_to_answer, info.average_time_to_answer)


async def status_of(line: Any, call: Any) -> tuple[int, int, int, dt.datetime | None]:
    st = await line.get_call_status(call)
    return int(st.call_state), int(st.call_state_mode), int(st.call_features), st.state_entry_time


@pytest.mark.trio
async def test_a_whole_call_through_the_client_library() -> None:
    async with open_emulator(scenario=parse_scenario(SCENARIO), clock="manual", port=0) as emu:
        async with client.connect(emu.host, emu.port) as tapi:
            line = await tapi.open_line(0)
            agent = await line.create_agent("anna", "1111")
            (session,) = await agent.EnumerateAgentSessions()
            async with tapi.call_events() as events:
                await emu.advance(1)
                note = await next_event(events)
                assert isinstance(note, ITCallNotificationEvent) and await note.get_Event() == 0  # CNE_OWNER
                call = await note.get_Call()
                offering = await next_event(events)
                assert isinstance(offering, ITCallStateEvent) and await offering.get_Call() is call
                assert (await offering.get_State(), await offering.get_Cause()) == (
                    Tapi3CallState.OFFERING, CallStateEventCause.NONE)
                assert await call.get_CallState() == Tapi3CallState.OFFERING
                assert await call.get_CallInfoString(CallInfoString.CALLERIDNUMBER) == "+15551234"
                assert await call.get_CallInfoString(CallInfoString.CALLEDIDNUMBER) == "8005550100"
                assert await call.get_CallInfoString(CallInfoString.CONNECTEDIDNUMBER) == ""
                assert await call.get_CallInfoBuffer(0) == b"order 42"
                assert await call.get_CallInfoLong(CallInfoLong.CALLID) == call.call_id != 0
                assert await call.get_CallInfoLong(CallInfoLong.ORIGIN) == 4  # EXTERNAL
                assert (await call.get_Address()).device_id == 0 and await call.get_Privilege() == 0
                assert await status_of(line, call) == (
                    LineCallState.OFFERING, 1, CallFeature.ANSWER | CallFeature.DROP | CallFeature.REDIRECT,
                    START + dt.timedelta(seconds=1))
                assert await stats(session) == (0x4, 0, 0, 0, 0, 0)  # BUSYONCALL: ringing counts as busy

                await emu.advance(2)
                await call.Answer()
                connected = await next_event(events)
                assert await connected.get_State() == Tapi3CallState.CONNECTED
                assert await status_of(line, call) == (
                    LineCallState.CONNECTED, 1, CallFeature.DROP | CallFeature.HOLD | CallFeature.BLINDTRANSFER,
                    START + dt.timedelta(seconds=3))
                assert (await line.get_call_info(call)).connected_id == "anna"
                assert await stats(session) == (0x4, 1, 0, 0, 2, 2)  # answered: one call, 2 s to answer

                await emu.advance(3)
                await call.Hold(True)
                assert await (await next_event(events)).get_State() == Tapi3CallState.HOLD
                assert (await status_of(line, call))[:3] == (LineCallState.ONHOLD, 0,
                                                              CallFeature.DROP | CallFeature.UNHOLD)
                await emu.advance(4)
                await call.Hold(False)
                assert await (await next_event(events)).get_State() == Tapi3CallState.CONNECTED

                await emu.advance(5)
                await call.Disconnect()
                ended = await next_event(events)
                assert (await ended.get_State(), await ended.get_Cause()) == (
                    Tapi3CallState.DISCONNECTED, CallStateEventCause.DISCONNECT_NORMAL)
                with trio.move_on_after(0.2):  # IDLE after DISCONNECTED: no second TAPI3 event
                    extra = await events.next()
                    pytest.fail(f"unexpected event after DISCONNECTED: {extra!r}")
                assert (await status_of(line, call))[:3] == (LineCallState.IDLE, 0, 0)
                assert (await stats(session))[:4] == (0x8, 1, 12, 0)  # BUSYWRAPUP, one call, talk 3..15

                await emu.advance(10)
                assert await stats(session) == (0x2, 1, 12, 10, 2, 2)  # READY after 10 s of wrap-up
                assert await session.get_State() == AgentSessionStateASST.READY
                await line.deallocate_call(call)
                assert tapi.calls.get(call.handle) is None
                with pytest.raises(client.LineError) as err:
                    await line.get_call_status(call.handle)
                assert err.value.raw == client.LineErr.INVALCALLHANDLE


@pytest.mark.trio
async def test_make_call_and_blind_transfer_through_the_tapi3_objects() -> None:
    async with open_emulator(scenario=parse_scenario(SCENARIO), clock="manual", port=0) as emu:
        async with client.connect(emu.host, emu.port) as tapi:
            line = await tapi.open_line(0)
            line1 = await tapi.open_line(1)
            agent = await line.create_agent("anna", "1111")
            (session,) = await agent.EnumerateAgentSessions()
            await session.put_State(AgentSessionStateASST.NOT_READY)
            async with tapi.call_events() as events:
                outbound = client.create_call(line, "5550000")
                await outbound.Connect()
                assert outbound.handle and outbound.call_id
                first = await next_event(events)  # no notification: this application made the call
                assert isinstance(first, ITCallStateEvent) and await first.get_Call() is outbound
                assert await first.get_State() == Tapi3CallState.INPROGRESS  # RINGBACK
                await emu.advance(3)
                assert await (await next_event(events)).get_State() == Tapi3CallState.CONNECTED
                assert await outbound.get_CallInfoLong(CallInfoLong.ORIGIN) == 1  # OUTBOUND
                await outbound.Disconnect()
                assert await (await next_event(events)).get_State() == Tapi3CallState.DISCONNECTED
                assert (await line.get_agent_info(agent)).number_of_outgoing_calls == 1

                await session.put_State(AgentSessionStateASST.READY)
                await emu.advance(1)  # the scripted call rings at anna
                note = await next_event(events)
                call = await note.get_Call()
                await next_event(events)  # OFFERING
                await call.Answer()
                await next_event(events)  # CONNECTED
                await call.BlindTransfer("300")
                gone = await next_event(events)
                assert (await gone.get_State(), await gone.get_Cause()) == (
                    Tapi3CallState.DISCONNECTED, CallStateEventCause.DISCONNECT_FAILED)  # FORWARDED: no CEC name
                # ben (Support, line 1) gets it with the same dwCallID
                note = await next_event(events)
                moved = await note.get_Call()
                assert moved.line is line1 and moved.call_id == call.call_id
                assert (await line1.get_call_info(moved)).reason == 0x100  # TRANSFER
                with pytest.raises(client.LineError) as err:
                    await call.BlindTransfer("300")
                assert err.value.raw == client.LineErr.INVALCALLSTATE


@pytest.mark.trio
async def test_the_phone_answers_holds_and_hangs_up_by_its_keys() -> None:
    async with open_emulator(scenario=parse_scenario(SCENARIO), clock="manual", port=0) as emu:
        async with client.connect(emu.host, emu.port) as tapi:
            phone = Phone(tapi, "anna", "1111", line=0)
            await phone.attach()
            assert [(g, s) for g, s, _ in phone.model.sessions] == [("Sales", "READY")]
            async with trio.open_nursery() as nursery:
                changed = trio.Event()

                def note_change() -> None:
                    changed.set()

                nursery.start_soon(phone.run_events, note_change)
                await trio.sleep(0.05)
                await emu.advance(1)
                with trio.fail_after(5):
                    while phone.model.call is None or phone.model.call.line_state != LineCallState.OFFERING \
                            or not phone.model.call.dnis:
                        await trio.sleep(0.01)
                assert (phone.model.call.caller, phone.model.call.dnis) == ("+15551234", "8005550100")
                text = _text(phone.model)
                assert "RINGING" in text and "+15551234" in text and "8005550100" in text
                await emu.advance(2)
                for key, state in (("a", LineCallState.CONNECTED), ("o", LineCallState.ONHOLD),
                                   ("o", LineCallState.CONNECTED)):
                    assert await phone.key(key)
                    with trio.fail_after(5):
                        while phone.model.call.line_state != state:
                            await trio.sleep(0.01)
                assert await phone.key("n")  # NOT_READY while on the call: stored as the next state
                await emu.advance(4)
                assert await phone.key("h")
                with trio.fail_after(5):
                    while phone.model.call is not None:
                        await trio.sleep(0.01)
                await emu.advance(10)
                await phone.refresh()
                (group, state, figures) = phone.model.sessions[0]
                assert (state, figures["number_of_calls"], figures["total_talk_time"],
                        figures["longest_time_to_answer"]) == ("NOT_READY", 1, 4, 2)
                assert await phone.key("r")
                assert phone.model.sessions[0][1] == "READY"
                assert "no call" in _text(phone.model)
                assert not await phone.key("q")
                nursery.cancel_scope.cancel()


def _text(model: Any) -> str:
    import io

    from rich.console import Console

    console = Console(file=io.StringIO(), width=110, color_system=None)
    console.print(render_phone(model))
    return console.file.getvalue()  # type: ignore[attr-defined, no-any-return]


def test_the_phone_picture_is_exported_by_the_code(tmp_path: Any) -> None:
    """docs/phone.svg's maker: the scripted scenario ends with the second call ringing, its numbers shown."""
    from tsp.phone_export import export_svg

    model = export_svg(tmp_path / "phone.svg")
    assert (model.call.caller, model.call.dnis, model.call.line_state) == ("+12065550188", "8005550199",
                                                                           LineCallState.OFFERING)
    assert model.sessions[0][2]["number_of_calls"] == 1 and model.sessions[0][2]["longest_time_to_answer"] == 4
    svg = (tmp_path / "phone.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "8005550199" in svg


@pytest.mark.trio
async def test_the_blocking_facade_answers_and_hangs_up() -> None:
    """client.blocking: the same call objects and events without await (one Call wrapper per call)."""
    async with open_emulator(scenario=parse_scenario(SCENARIO), clock="manual", port=0) as emu:
        def work() -> list[object]:
            with client.blocking.connect(emu.host, emu.port) as tapi:
                line = tapi.open_line(0)
                states = []
                with tapi.call_events() as events:
                    trio.from_thread.run(emu.advance, 1)
                    note = next(events)
                    call = note.get_Call()
                    assert isinstance(call, client.blocking.Call)
                    assert call.get_CallInfoString(CallInfoString.CALLERIDNUMBER) == "+15551234"
                    for event in events:
                        states.append(event.get_State())
                        if event.get_State() == Tapi3CallState.OFFERING:
                            call.Answer()
                        elif event.get_State() == Tapi3CallState.CONNECTED:
                            assert event.get_Call() is call
                            call.Disconnect()
                        else:
                            break
                line.deallocate_call(call)
                return states

        states = await trio.to_thread.run_sync(work)
        assert states == [Tapi3CallState.OFFERING, Tapi3CallState.CONNECTED, Tapi3CallState.DISCONNECTED]


@pytest.mark.trio
async def test_the_phone_transfers_by_typing_an_extension() -> None:
    async with open_emulator(scenario=parse_scenario(SCENARIO), clock="manual", port=0) as emu:
        async with client.connect(emu.host, emu.port) as tapi:
            phone = Phone(tapi, "anna", "1111", line=0)
            await phone.attach()
            async with trio.open_nursery() as nursery:
                nursery.start_soon(phone.run_events, lambda: None)
                await trio.sleep(0.05)
                assert await phone.key("t") and phone.model.typing is None  # no call: nothing to transfer
                await emu.advance(1)
                with trio.fail_after(5):
                    while phone.model.call is None:
                        await trio.sleep(0.01)
                await phone.key("a")
                with trio.fail_after(5):
                    while phone.model.call.line_state != LineCallState.CONNECTED:
                        await trio.sleep(0.01)
                for key in "t39\x7f0x\x1b":  # typing, backspace, Esc cancels
                    await phone.key(key)
                assert phone.model.typing is None and phone.model.call is not None
                for key in "t300\r":
                    await phone.key(key)
                with trio.fail_after(5):
                    while phone.model.call is not None:
                        await trio.sleep(0.01)
                assert "transfer: done" in phone.model.log
                nursery.cancel_scope.cancel()
