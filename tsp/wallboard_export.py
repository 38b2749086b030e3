"""The wallboard picture: run the embedded emulator on a manual clock while the wallboard watches, save SVG.

::

    python -m tsp.wallboard_export docs/wallboard.svg --scenario day --sim-seconds 8700 --width 140

starts the embedded emulator (:mod:`tsp.testing`) on the built-in (or ``--scenario``) scenario with a
manual clock, connects the wallboard (:class:`client.wallboard_app.WallboardClient`) to it over loopback,
advances the clock one simulated second at a time - polling after each step exactly as the live board
does - and saves the final frame with rich's own SVG export. The scenario is seeded: same command, same
figures. That is how docs/wallboard.svg is made.

This lives with the emulator because it runs one; the client (``client/``) never imports the emulator.
Options: ``--sim-seconds`` (default 600), ``--scenario`` (file or built-in name; default the built-in
scenario), ``--threshold`` (service-level threshold, default 20 s), ``--width`` (characters, 40..1000,
default 120). A bad option exits with status 2 and one line on stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import trio

import client
from client import cliargs
from client.wallboard import DEFAULT_SL_THRESHOLD, Board, Roster, WallboardModel
from client.wallboard_app import WallboardClient, default_roster, save_svg, scenario_roster
from tsp.testing import open_emulator

#: Simulated seconds before the picture, by default (ten minutes of the built-in scenario).
DEFAULT_SIM_SECONDS = 600.0
#: Width of the picture in characters, by default.
DEFAULT_WIDTH = 120


async def capture_board(*, sim_seconds: float = DEFAULT_SIM_SECONDS, step: float = 1.0, scenario: Any = None,
                        roster: Roster | None = None, threshold: float = DEFAULT_SL_THRESHOLD,
                        title: str | None = None) -> Board:
    """Run the embedded emulator on a manual clock for ``sim_seconds`` while the wallboard watches.

    The wallboard polls after every ``step`` simulated seconds, exactly as it would live, so its
    service-level classification sees each answer. Deterministic: same scenario and seed, same frame.
    """
    if sim_seconds < 0 or step <= 0:
        raise ValueError(f"need sim_seconds >= 0 and step > 0, got {sim_seconds}, {step}")
    if roster is None:
        roster = default_roster() if scenario is None else scenario_roster(scenario)
    if title is None:
        title = "TAPI wallboard  (built-in scenario)" if scenario is None else f"TAPI wallboard  ({scenario})"
    async with open_emulator(scenario=scenario, clock="manual", port=0) as emu:
        async with client.connect(emu.host, emu.port) as tapi:
            model = WallboardModel(roster, threshold=threshold, title=title)
            wb = WallboardClient(tapi, model, request_timeout=30.0)
            await wb.attach()
            elapsed = 0.0
            await wb.poll()
            while elapsed < sim_seconds:
                dt = min(step, sim_seconds - elapsed)
                await emu.advance(dt)
                elapsed += dt
                await wb.poll()  # events of the advance precede its RESPONSEs: the model has them
                if model.stale_sessions() or model.needs_session_lists:
                    await wb.poll(full=False)
            return wb.board(status=f"built-in scenario after {sim_seconds:g} simulated s" if scenario is None
                            else f"{scenario} after {sim_seconds:g} simulated s")


def export_svg(path: str | Path, *, sim_seconds: float = DEFAULT_SIM_SECONDS, step: float = 1.0,
               scenario: Any = None, threshold: float = DEFAULT_SL_THRESHOLD, width: int = DEFAULT_WIDTH) -> Board:
    """Make the README picture: :func:`capture_board` on the embedded emulator, saved to ``path``."""
    board = trio.run(lambda: capture_board(sim_seconds=sim_seconds, step=step, scenario=scenario,
                                           threshold=threshold))
    save_svg(board, path, width=width)
    return board


def build_parser() -> cliargs.Parser:
    """``python -m tsp.wallboard_export``'s options (see the module docstring)."""
    parser = cliargs.Parser(prog="python -m tsp.wallboard_export", description=__doc__.split("\n\n")[0])
    parser.add_argument("path", metavar="FILE.svg", help="where to save the picture")
    parser.add_argument("--sim-seconds", type=cliargs.seconds(zero_ok=True), default=DEFAULT_SIM_SECONDS,
                        help=f"simulated seconds before the picture (default {DEFAULT_SIM_SECONDS:g})")
    parser.add_argument("--scenario", metavar="FILE",
                        help="scenario file or built-in scenario name (default: the built-in scenario)")
    parser.add_argument("--threshold", type=cliargs.seconds(zero_ok=True), default=DEFAULT_SL_THRESHOLD,
                        help=f"service-level threshold in seconds (default {DEFAULT_SL_THRESHOLD:g})")
    parser.add_argument("--width", type=cliargs.int_at_least(40, 1000), default=DEFAULT_WIDTH,
                        help=f"width in characters, 40..1000 (default {DEFAULT_WIDTH})")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the options, make the picture, say what was written; the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.scenario is not None:
        try:
            scenario_roster(args.scenario)
        except (OSError, ValueError) as exc:
            parser.error(f"argument --scenario: {exc}")
    board = export_svg(args.path, sim_seconds=args.sim_seconds, scenario=args.scenario,
                       threshold=args.threshold, width=args.width)
    print(f"wrote {args.path} ({len(board.sessions)} sessions, {len(board.groups)} groups)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
