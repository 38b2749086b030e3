"""The phone picture: run the embedded emulator on a manual clock while ``tapi phone`` works, save SVG.

::

    python -m tsp.phone_export docs/phone.svg

starts the embedded emulator (:mod:`tsp.testing`) with :data:`SCENARIO` (agent 1001 answers by
application; two scripted calls with caller numbers and DNIS), connects the phone
(:class:`client.phone.Phone`) over loopback, answers the first call with the ``a`` key, lets the caller
hang up, waits out the wrap-up, and saves the frame while the second call rings. Seeded and scripted:
same command, same picture. That is how docs/phone.svg is made (this lives with the emulator because it
runs one; the client never imports the emulator). Option: ``--width`` (characters, 60..400, default 100).
"""

from __future__ import annotations

import sys
from pathlib import Path

import trio

import client
from client import cliargs
from client.phone import Phone, PhoneModel, save_svg
from tsp.scenario import parse_scenario
from tsp.testing import open_emulator

SCENARIO = """
[switch]
name = "Phone demo ACD"
lines = 2
start = "2026-11-26T09:00:00Z"
seed = 11

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
id = "1001"
pin = "1234"
answer = "app"
wrapup = 15

[[agents.sessions]]
group = "Sales"
line = 0
state = "READY"

[[calls]]
at = 2
group = "Sales"
talk = 95
ani = "+14255550123"
dnis = "8005550100"

[[calls]]
at = 150
group = "Sales"
talk = 60
ani = "+12065550188"
dnis = "8005550199"
uui = "order 4711"
"""
DEFAULT_WIDTH = 100


async def _until(condition: object, what: str) -> None:
    with trio.fail_after(10):
        while not condition():  # type: ignore[operator]
            await trio.sleep(0.01)


async def capture_phone() -> PhoneModel:
    """Drive the phone through one answered call and stop while the next one rings (deterministic)."""
    async with open_emulator(scenario=parse_scenario(SCENARIO), clock="manual", port=0) as emu:
        async with client.connect(emu.host, emu.port) as tapi:
            phone = Phone(tapi, "1001", "1234", line=0)
            await phone.attach()
            async with trio.open_nursery() as nursery:
                nursery.start_soon(phone.run_events, lambda: None)
                await trio.sleep(0.05)
                await emu.advance(2)
                await _until(lambda: phone.model.call is not None and phone.model.call.dnis, "the first call")
                await emu.advance(4)
                await phone.key("a")  # answered after 4 s of ringing
                await emu.advance(95)  # the caller hangs up after 95 s of talk
                await _until(lambda: phone.model.call is None, "the hang-up")
                await emu.advance(149 - 101)
                await phone.refresh()
                await emu.advance(1)  # the second call rings
                await _until(lambda: phone.model.call is not None and phone.model.call.dnis, "the second call")
                await emu.advance(3)
                await phone.refresh()
                phone.model.note("waiting for the agent: [a] answers")
                nursery.cancel_scope.cancel()
            return phone.model


def export_svg(path: str | Path, *, width: int = DEFAULT_WIDTH) -> PhoneModel:
    model = trio.run(capture_phone)
    save_svg(model, path, width=width)
    return model


def main(argv: list[str] | None = None) -> int:
    parser = cliargs.Parser(prog="python -m tsp.phone_export", description=__doc__.split("\n\n")[0])
    parser.add_argument("path", metavar="FILE.svg", help="where to save the picture")
    parser.add_argument("--width", type=cliargs.int_at_least(60, 400), default=DEFAULT_WIDTH,
                        help=f"width in characters, 60..400 (default {DEFAULT_WIDTH})")
    args = parser.parse_args(argv)
    model = export_svg(args.path, width=args.width)
    print(f"wrote {args.path} (call {model.call.call_id if model.call else '-'} ringing)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
