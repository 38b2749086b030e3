"""SwitchService bounds and the sliced EmuAdvanceClock (issue 12 Must 3 and 5), pure: no trio, no bytes.

* CreateAgent / CreateAgentSession: agent IDs and PINs longer than 255 characters complete with
  LINEERR_INVALAGENTID / LINEERR_INVALPASSWORD and store nothing; agents created over the wire are capped
  (``max_agents``): one more gets a RESOURCEUNAVAIL RESPONSE, and a log line says the count.
* ``slice_advance=True``: ``handle`` only accepts an EmuAdvanceClock; ``advance_slice`` moves the switch
  and the manual clock through at most N due instants; the frames of all slices are those of the one-shot
  advance, and ``finish_advance`` gives the RESPONSE.
"""

from __future__ import annotations

import logging

import pytest

from protocol import messages as m
from protocol.constants import LineErr
from test_switch import SALES, Harness
from tsp.clock import ManualClock
from tsp.faults import FaultInjector
from tsp.model import Switch
from tsp.scenario import default_scenario
from tsp.switch import MAX_ID_CHARS, SwitchService


def _setup(max_agents: int = 10_000) -> tuple[Harness, int, int]:
    h = Harness()
    h.svc.max_agents = max_agents
    c = h.connect()
    happ = h.response(c, m.Initialize()).body.h_line_app
    hline = h.response(c, m.Open(h_line_app=happ, device_id=0)).body.h_line
    return h, c, hline


def _reply(h: Harness, c: int, body: object) -> m.LineReply:
    response = h.response(c, body)
    assert 1 <= response.result <= 0x7FFFFFFF, hex(response.result)
    (reply,) = h.replies(c, response.result)
    return reply


def test_agent_ids_and_pins_up_to_255_characters_are_accepted_longer_ones_refused() -> None:
    h, c, hline = _setup()
    agents = len(h.model.agent_handles())
    assert _reply(h, c, m.CreateAgent(h_line=hline, agent_id="a" * MAX_ID_CHARS, pin="p" * MAX_ID_CHARS)).result == 0
    assert len(h.model.agent_handles()) == agents + 1
    too_long = _reply(h, c, m.CreateAgent(h_line=hline, agent_id="b" * (MAX_ID_CHARS + 1)))
    assert (too_long.result, too_long.data) == (LineErr.INVALAGENTID, b"")
    pin = _reply(h, c, m.CreateAgent(h_line=hline, agent_id="c", pin="p" * (MAX_ID_CHARS + 1)))
    assert pin.result == LineErr.INVALPASSWORD
    assert len(h.model.agent_handles()) == agents + 1  # nothing stored for the refused ones
    hagent = h.model.agent_handle("ben")
    session = _reply(h, c, m.CreateAgentSession(h_line=hline, h_agent=hagent, group_id=SALES, pin="x" * 256))
    assert session.result == LineErr.INVALPASSWORD


def test_agents_created_over_the_wire_are_capped_and_the_log_says_the_count(caplog: pytest.LogCaptureFixture) -> None:
    h, c, hline = _setup(max_agents=2)
    with caplog.at_level(logging.INFO, logger="tsp.switch"):
        for agent_id in ("new1", "new2"):
            assert _reply(h, c, m.CreateAgent(h_line=hline, agent_id=agent_id)).result == 0
        assert any(r.levelno == logging.WARNING and "2 agents created" in r.getMessage() for r in caplog.records)
        before = len(h.frames[c])
        refused = h.response(c, m.CreateAgent(h_line=hline, agent_id="new3"))
    assert refused.result == LineErr.RESOURCEUNAVAIL
    assert not [f for f in h.frames[c][before:] if isinstance(f, m.Events)]  # no LINE_REPLY: refused at once
    assert h.model.agent_handle("new3") is None
    assert any("2 agents created over the wire already (max 2" in r.getMessage() for r in caplog.records)
    # Known agents (scenario ones and the created ones) are still served: only new IDs count.
    for agent_id in ("ben", "new1"):
        assert _reply(h, c, m.CreateAgent(h_line=hline, agent_id=agent_id)).result == 0
    assert h.svc.agents_created == 2


def _built_in(slice_advance: bool) -> tuple[SwitchService, ManualClock, int]:
    clock = ManualClock()
    svc = SwitchService(Switch(default_scenario()), clock, control=True, faults=FaultInjector([], seed=1),
                        slice_advance=slice_advance)
    c = svc.open_connection()
    happ = svc.handle(c, m.Request(1, m.Initialize()), 0.0).frames[0].frame.body.h_line_app
    for device in range(svc.model.lines):
        svc.handle(c, m.Request(2 + device, m.Open(h_line_app=happ, device_id=device)), 0.0)
    return svc, clock, c


def _records(frames: object) -> list[object]:
    return [r for out in frames for r in getattr(out.frame, "records", ())]


def test_a_sliced_advance_gives_the_frames_of_the_one_shot_advance_and_moves_the_clock_in_steps() -> None:
    one, _, c1 = _built_in(slice_advance=False)
    expected = one.handle(c1, m.Request(9, m.EmuAdvanceClock(seconds=3600)), 0.0).frames
    assert isinstance(expected[-1].frame, m.Response) and expected[-1].frame.sequence == 9

    svc, clock, c = _built_in(slice_advance=True)
    outcome = svc.handle(c, m.Request(9, m.EmuAdvanceClock(seconds=3600)), 0.0)
    pending = outcome.advance
    assert pending is not None and pending.target == 3600.0 and not pending.done
    assert not [o for o in outcome.frames if isinstance(o.frame, m.Response)]  # accepted, not answered
    assert clock.now() == 0.0
    with pytest.raises(ValueError):
        svc.finish_advance(pending)
    frames: list[object] = []
    seen = []
    while not pending.done:
        frames.extend(svc.advance_slice(pending, 8))
        seen.append(clock.now())
    assert len(seen) > 10 and seen == sorted(seen) and 0 < seen[0] < 3600 and seen[-1] == 3600.0
    assert svc.model.now == 3600.0
    (answer,) = svc.finish_advance(pending)
    assert answer.frame == m.Response(9, 0, m.EmuAdvanceClock(seconds=3600))
    assert _records(frames) == _records(expected[:-1])
    assert len(_records(frames)) > 100


def test_a_request_between_slices_sees_the_switch_inside_the_interval() -> None:
    svc, clock, c = _built_in(slice_advance=True)
    pending = svc.handle(c, m.Request(9, m.EmuAdvanceClock(seconds=600)), 0.0).advance
    assert pending is not None
    svc.advance_slice(pending, 4)
    inside = clock.now()
    assert 0 < inside < 600
    other = svc.open_connection()
    svc.handle(other, m.Request(1, m.Initialize()), clock.now())
    assert svc.model.now == inside  # the other request did not move the switch on
    while not pending.done:
        svc.advance_slice(pending)
    assert clock.now() == 600.0


def test_a_drop_fault_on_emu_advance_clock_drops_the_response_after_the_whole_interval() -> None:
    svc, clock, c = _built_in(slice_advance=True)
    svc.faults.set_rules([{"function": 1000, "mode": "drop"}])
    pending = svc.handle(c, m.Request(9, m.EmuAdvanceClock(seconds=60)), 0.0).advance
    assert pending is not None
    while not pending.done:
        svc.advance_slice(pending)
    assert clock.now() == 60.0 and svc.finish_advance(pending) == ()
