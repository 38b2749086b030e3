"""The TAPI 2.0 agent views (LINE_AGENTSTATUS, tsp/agent_events.py) are computed only for devices a 2.0
line watches: every line must get exactly the records it got when the view of every device was kept
(``AcdEvents.keep_every_view``), frame for frame, through traffic, lines opening and closing mid-run, 2.0,
2.2 and 3.0 lines, agents with a home and a 2.0 setter; and fewer views are computed."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from protocol import agent_messages as am
from protocol import messages as m
from protocol.agent_events import AgentStatusEvent
from protocol.constants import ApiVersion
from test_switch import Harness
from tsp.clock import ManualClock
from tsp.faults import FaultInjector
from tsp.model import Switch
from tsp.scenario import parse_scenario
from tsp.switch import SwitchService

G1, G2 = uuid.UUID(int=0xA1), uuid.UUID(int=0xA2)


def scenario(seed: int) -> str:
    lines = ["[switch]", 'name = "views"', "lines = 6", 'start = "2026-11-26T09:00:00Z"', f"seed = {seed}", ""]
    lines += ["[[activities]]", "id = 1", 'name = "Break"', ""]
    for gid, name, queue in ((G1, "One", 1), (G2, "Two", 2)):
        lines += ["[[groups]]", f'id = "{gid}"', f'name = "{name}"', f"queue = {queue}", ""]
        lines += ["[[traffic]]", f'group = "{name}"', "rate = 900", "talk_mean = 10", ""]
    for i in range(10):
        lines += ["[[agents]]", f'id = "{100 + i}"', "answer_delay = 2", "wrapup = 5"]
        if i % 2 == 0:  # homes on lines 0-4
            lines += [f"home = {{ line = {i // 2}, address = 0 }}"]
        lines += ["[[agents.sessions]]", f'group = "{"One" if i % 2 else "Two"}"', f"line = {i % 6}", 'state = "READY"', ""]
    return "\n".join(lines)


class ViewHarness(Harness):
    def __init__(self, seed: int, every_view: bool) -> None:
        self.clock = ManualClock()
        self.model = Switch(parse_scenario(scenario(seed)))
        self.svc = SwitchService(self.model, self.clock, control=True, faults=FaultInjector([], seed=3))
        if every_view:
            self.svc.acd.keep_every_view()
        self.frames = {}
        self.seq = 0
        self.closed = set()


def run(seed: int, every_view: bool) -> tuple[ViewHarness, dict[int, list[Any]]]:
    h = ViewHarness(seed, every_view)
    a, b, c = h.connect(), h.connect(), h.connect()
    app_a, app_b, app_c = h.init(a), h.init(b, 0x52), h.init(c, 0x53)
    h.open(a, app_a, 0, version=ApiVersion.V2_0)
    h.open(a, app_a, 3, version=ApiVersion.V3_0, open_context=0x78)
    h.open(b, app_b, 1, version=ApiVersion.V2_2)
    h.open(c, app_c, 2, version=ApiVersion.V2_2)
    for _ in range(40):
        h.advance(1.0)
    late = h.open(b, app_b, 4, version=ApiVersion.V2_0, hremote=0x901)  # a device nobody watched
    h.open(c, app_c, 3, version=ApiVersion.V2_0)  # one already watched
    for _ in range(40):
        h.advance(1.0)
    h.response(b, m.Close(h_line=late))
    for _ in range(20):
        h.advance(1.0)
    again = h.open(b, app_b, 4, version=ApiVersion.V2_0, hremote=0x902)  # watched again after a while
    h.open(c, app_c, 5, version=ApiVersion.V2_0)
    h.response(b, am.SetAgentActivity(h_line=again, address_id=0, activity_id=1))  # a 2.0 setter (touch)
    for _ in range(40):
        h.advance(1.0)
    return h, h.frames


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_watched_views_give_every_line_the_same_frames(seed: int) -> None:
    watched, frames = run(seed, every_view=False)
    every, reference = run(seed, every_view=True)
    assert frames == reference
    statuses = [r for cid in frames for r in watched.records(cid) if isinstance(r, AgentStatusEvent)]
    assert len(statuses) > 15  # the comparison covers LINE_AGENTSTATUS records
    assert {0x900, 0x901, 0x902} <= {r.hdevice for r in statuses}  # the late lines on device 4 included
    assert watched.svc.acd.views_computed < every.svc.acd.views_computed


def test_no_view_is_computed_while_no_line_watches() -> None:
    h = ViewHarness(1, every_view=False)
    for _ in range(30):
        h.advance(1.0)
    assert h.model.processed_events > 0
    assert h.svc.acd.views_computed == 0
