"""The switch model's full output for seeded scenarios is fixed: every event ``advance()`` returns (in order),
``next_due()`` after every step, the call detail records (taken every 300 s, then the open ones), and every
agent's and queue's figures at the end, hashed, against digests recorded from the tree before the
round-5 speed work (the event queue, the per-call path). A change that alters any of them, even the order
of two events at one instant, changes the digest; an intended change of behaviour must record new ones
(``python tests/unit/test_model_stream.py`` prints them)."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

import random

import pytest

from tsp.model import Switch, SwitchError
from tsp.scenario import default_scenario, load_scenario

ROOT = Path(__file__).resolve().parents[2]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_switch_model_stream", ROOT / "bench" / "switch_model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _scenario(name: str):
    if name == "default":
        return default_scenario()
    if name.startswith("bench"):
        _, features, agents = name.split("-")
        return _bench().build_scenario(int(agents), max(1, int(agents) // 200), features=features)
    return load_scenario(ROOT / "examples" / f"{name}.toml")


#: scenario -> (simulated seconds, step in seconds)
RUNS = {
    "default": (1800.0, 1.0),
    "day": (3 * 3600.0, 7.3),
    "scripted": (900.0, 0.25),
    "bench-1.0-600": (1200.0, 1.0),
    "bench-1.1-600": (1200.0, 1.0),
    "day-control": (3 * 3600.0, 3.1),  # day.toml with seeded random call control and agent requests
}


def _control(sw: Switch, rng: random.Random, t: float, h) -> None:  # noqa: ANN001
    """One random request of a client at ``t`` (refusals are part of the stream)."""
    line = rng.randrange(sw.lines)
    calls = sw.calls_on_line(line)
    what = rng.choice(("answer", "drop", "hold", "unhold", "transfer", "redirect", "make", "state", "period", "wait"))
    try:
        if what == "make":
            h.update(repr(sw.make_call(line, 0, "555" + str(rng.randrange(100)), t)).encode())
        elif what == "state":
            agent = rng.choice(sw.agent_handles())
            sw.set_agent_state_ex(agent, rng.choice((1, 2, 0)), rng.choice((0, 1, 2)), t)
        elif what == "period":
            sw.set_queue_measurement_period(rng.choice(sw.group_list()).queue_id, rng.choice((60, 900)), t)
        elif calls and what != "wait":
            call = rng.choice(calls)
            if what == "answer":
                sw.answer_call(call, t)
            elif what == "drop":
                sw.drop_call(call, t)
            elif what == "hold":
                sw.hold_call(call, t)
            elif what == "unhold":
                sw.unhold_call(call, t)
            elif what == "transfer":
                sw.blind_transfer(call, rng.choice(("2001", "2002", "2003")), t)
            else:
                sw.redirect(call, rng.choice(("2001", "2002", "2003")), t)
            h.update(repr(sw.call_info(call)).encode() if call in sw.calls_on_line(line) else b"gone")
    except SwitchError as err:
        h.update(repr((what, err.args)).encode())


def digest(name: str) -> tuple[str, int]:
    """(sha256 of everything observable, events returned) for one run of ``RUNS[name]``."""
    seconds, step = RUNS[name]
    control = name.endswith("-control")
    sw = Switch(_scenario(name.removesuffix("-control")), records=True)
    rng = random.Random(5)
    h = hashlib.sha256()
    n = 0
    i = 0
    t = 0.0
    while t < seconds:
        i += 1
        t = min(seconds, i * step)
        if control:
            _control(sw, rng, t - step / 2, h)
        events = sw.advance(t)
        n += len(events)
        h.update(repr(events).encode())
        h.update(repr(sw.next_due()).encode())
        if i % max(1, int(300 / step)) == 0:
            h.update(repr(sw.take_records()).encode())
    h.update(repr(sw.take_records()).encode())
    h.update(repr(sw.open_records(seconds)).encode())
    for a in sw.agent_handles():
        h.update(repr(sw.agent_info(a, seconds)).encode())
    for g in sw.group_list():
        h.update(repr(sw.queue_info(g.queue_id, seconds)).encode())
    h.update(repr((sw.processed_events, sw.records_dropped)).encode())
    return h.hexdigest(), n


#: Recorded before the change (tree 7ca188f).
RECORDED = {
    'bench-1.0-600': ('84c313a7dcabce6ddff17287097365cd04b1474a9b7512695de03edd47e1d600', 34094),
    'bench-1.1-600': ('379acaa6a6beb49535b3b3a09b5812ac94f47dc853dcf44eb049ad7044111e46', 32263),
    'day': ('8bf1f03ae7d3e4e0d9cbfb512926f229a27c98e8c9fc8ab691f1f609a617b02c', 3813),
    'day-control': ('f99b9261965da4f49528e2777d4e80aad63b0583f94c977357b844edc0daa306', 5596),
    'default': ('f45a51b97bdeb0fa26c0c2a66107bf89b3f9fda4119547d9e488e1a51d309f9d', 3625),
    'scripted': ('cad297d7a8d589e141e6e78d0b4eb9015731712e2c062e45b9ca2036a9810826', 39),
}


@pytest.mark.parametrize("name", sorted(RUNS))
def test_stream_unchanged(name):
    got, events = digest(name)
    assert events > 20  # the run produced something to compare
    assert got == RECORDED[name][0], f"{name}: the model's output changed ({events} events)"
    assert events == RECORDED[name][1]


if __name__ == "__main__":
    for name in sorted(RUNS if len(sys.argv) < 2 else sys.argv[1:]):
        print(f"    {name!r}: {digest(name)!r},")
