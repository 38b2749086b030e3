"""The hardening campaign: ``python -m fuzz.campaign [--preset full|small] [options]``.

One command, bounded in time, loopback only. For each attack it starts a fresh ``python -m tsp --port 0``
child (stdout and stderr pipes, as a harness would), runs a healthy client polling throughout, attacks,
stops the server with SIGTERM and prints one row of the table: attack, tried, crashes, hangs, wrong
answers, healthy-connection failures, bounds broken, peak RSS and RSS after (``/proc/PID/status``).

Attacks (``--attacks``, comma separated; default all):

  fuzz     mutated frames over many connections, each answer checked against the protocol oracle
  slow     slow readers: many connections that never read, each under --max-queued
  trickle  slowloris: a frame one byte every few seconds; idle connections after HELLO; a newcomer
  flood    connection flood past --max-conn, pipelined request flood, short-connection churn
  bigids   CreateAgent with huge agent IDs and PINs, and with more new IDs than --max-agents
  fanout   many lines on one device across connections, then state changes fanned out to them all
  logpipe  a server whose stderr pipe is never read, fed with logged connections; then SIGTERM
  advance  EmuAdvanceClock over days of the built-in lively scenario while others are served
  limit    requests at exactly the frame limit: exactly one RESPONSE each

Limits the server may lack (``--max-queued-total``, ``--max-lines-total``, ``--max-agents``) are passed only
when its ``--help`` lists them; the bound is checked either way, so a server without it shows the attack
as failed. Exit status: 0 when every row is clean, 1 otherwise, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from fuzz import attacks, attacks_limits
from fuzz.live import FUZZ_SCENARIO
from fuzz.process import REPO, server_options
from fuzz.report import Context, Row, format_table

__all__ = ["ATTACKS", "PRESETS", "build_parser", "run", "main"]

ATTACKS: dict[str, Callable[[Context, Row], None]] = {
    "fuzz": attacks.fuzz_frames,
    "slow": attacks.slow_readers,
    "trickle": attacks.trickle,
    "flood": attacks.flood,
    "bigids": attacks_limits.big_ids,
    "fanout": attacks_limits.fanout,
    "logpipe": attacks_limits.log_pipe,
    "advance": attacks_limits.advance,
    "limit": attacks_limits.frame_limit,
}

#: Option defaults of each preset (``full`` is what docs/security.md reports; ``small`` runs in the
#: test suite in well under 20 s). Any option given on the command line wins over the preset.
PRESETS: dict[str, dict[str, object]] = {
    "full": dict(
        frames=1_000_000, seconds=600.0, workers=3, frames_per_conn=64,
        slow_conns=40, slow_each=7 * 1024 * 1024, max_queued=8 * 1024 * 1024, queued_total=64 * 1024 * 1024,
        rss_slack=16, settle=0.3,
        trickle_conns=300, trickle_interval=2.0, read_timeout=5.0,
        flood_conns=1500, flood_max_conn=1000, flood_clients=20, flood_requests=2000, churn=2000,
        long_ids=600, long_len=163_700, many_ids=12_000, max_agents=10_000,
        fanout_conns=40, fanout_lines=1024, lines_total=4096, fanout_changes=100,
        logpipe_conns=1500, advance_days=30, advance_timeout=120.0,
    ),
    "small": dict(
        frames=20_000, seconds=2.0, settle=0.1, workers=2, frames_per_conn=64,
        slow_conns=12, slow_each=500 * 1024, max_queued=640 * 1024, queued_total=2 * 1024 * 1024, rss_slack=4,
        trickle_conns=12, trickle_interval=0.4, read_timeout=1.0,
        flood_conns=60, flood_max_conn=40, flood_clients=4, flood_requests=200, churn=100,
        long_ids=20, long_len=163_700, many_ids=300, max_agents=200,
        fanout_conns=4, fanout_lines=64, lines_total=128, fanout_changes=10,
        # one day takes ~9-10 s alone on 2 vCPUs; 20 s was exceeded once under the test suite's -n 2 load
        logpipe_conns=450, advance_days=1, advance_timeout=45.0,
    ),
}


def _nonneg_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text!r}")
    return value


def _pos_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text!r}")
    return value


def _attack_list(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in ATTACKS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown attack {unknown or text!r}; known: {', '.join(ATTACKS)}")
    return names


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m fuzz.campaign", description=__doc__.splitlines()[0],
                                usage="%(prog)s [--preset full|small] [--attacks A,B,...] [options]",
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n".join(__doc__.splitlines()[8:19]))
    p.add_argument("--preset", choices=tuple(PRESETS), default="full", help="defaults of every count (default full)")
    p.add_argument("--attacks", type=_attack_list, default=list(ATTACKS), help="attacks to run (default all)")
    p.add_argument("--seed", type=int, default=1, help="random seed of the mutated frames (default 1)")
    p.add_argument("--json", metavar="FILE", help="also write the rows as JSON to FILE")
    p.add_argument("--server-dir", metavar="DIR",
                   help="run python -m tsp in DIR, a checkout of the server to attack (default: this repository)")
    p.add_argument("--server-logs", metavar="DIR", help="keep each server's stderr as DIR/ATTACK.stderr (default: counted only)")
    g = p.add_argument_group("healthy connection and process")
    g.add_argument("--healthy-interval", type=_nonneg_float, default=0.02, help="seconds between polls (default 0.02)")
    g.add_argument("--healthy-timeout", type=_nonneg_float, default=2.0,
                   help="a poll answered later than this fails (default 2; the advance attack uses 1)")
    g.add_argument("--stop-timeout", type=_nonneg_float, default=5.0, help="seconds SIGTERM may take (default 5)")
    g.add_argument("--settle", type=_nonneg_float, default=None,
                   help="seconds after an attack before RSS after (default: the preset's, 0.3 or 0.1)")
    g.add_argument("--max-failures", type=_pos_int, default=20, help="stop an attack after this many failures (default 20)")
    ints = {  # option -> help (the default comes from the preset)
        "frames": "fuzz: mutated frames to send",
        "workers": "fuzz: connections at once",
        "frames-per-conn": "fuzz: at most this many frames per connection",
        "slow-conns": "slow: connections that never read",
        "slow-each": "slow: bytes of answers each makes the server queue",
        "max-queued": "slow: the server's --max-queued",
        "queued-total": "slow: total queue bound (the server's --max-queued-total)",
        "rss-slack": "slow: MiB the server's RSS may grow beyond the queue bounds",
        "trickle-conns": "trickle: slowloris and idle connections",
        "flood-conns": "flood: connections opened at once",
        "flood-max-conn": "flood: the server's --max-conn",
        "flood-clients": "flood: connections pipelining requests",
        "flood-requests": "flood: requests per pipelining connection",
        "churn": "flood: short connections one after another",
        "long-ids": "bigids: CreateAgent requests with a long ID (and as many with a long PIN)",
        "long-len": "bigids: characters of a long ID",
        "many-ids": "bigids: CreateAgent requests with new short IDs",
        "max-agents": "bigids: agent cap (the server's --max-agents)",
        "fanout-conns": "fanout: connections",
        "fanout-lines": "fanout: lines each tries to open on device 0",
        "lines-total": "fanout: total line cap (the server's --max-lines-total)",
        "fanout-changes": "fanout: session state changes fanned out",
        "logpipe-conns": "logpipe: logged connections",
        "advance-days": "advance: days of switch time in one EmuAdvanceClock",
    }
    floats = {
        "seconds": "fuzz: at most this long",
        "session-timeout": "fuzz: seconds one connection may take",
        "trickle-interval": "trickle: seconds between two bytes",
        "read-timeout": "trickle: the server's --read-timeout",
        "advance-timeout": "advance: seconds the EmuAdvanceClock RESPONSE may take",
    }
    g = p.add_argument_group("attack sizes (defaults: the preset's)")
    for name, text in ints.items():
        g.add_argument(f"--{name}", type=_pos_int, default=None, help=text)
    for name, text in floats.items():
        g.add_argument(f"--{name}", type=_nonneg_float, default=None, help=text)
    return p


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    args = build_parser().parse_args(argv)
    preset = {**PRESETS[args.preset], "session_timeout": 10.0}
    for key, value in preset.items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    return args


def run(args: argparse.Namespace, out: Callable[[str], None] = print) -> list[Row]:
    """Run the chosen attacks one after another; returns the rows."""
    supported = server_options(cwd=Path(args.server_dir or REPO))
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="campaign-") as tmp:
        scenario = Path(tmp) / "fuzz.toml"
        scenario.write_text(FUZZ_SCENARIO, encoding="utf-8")
        ctx = Context(args, supported, scenario)
        for name in args.attacks:
            row = Row(name)
            out(f"-- {name} ...")
            try:
                ATTACKS[name](ctx, row)
            except attacks.AttackAborted:
                pass
            rows.append(row)
            out(f"   {name}: {'clean' if row.clean else 'FAILED'} ({row.seconds:.1f} s)")
    return rows


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    start = time.monotonic()
    rows = run(args, lambda text: print(text, flush=True))
    print()
    print(format_table(rows))
    print(f"\n{len(rows)} attacks in {time.monotonic() - start:.0f} s; preset {args.preset}, seed {args.seed}")
    if args.json:
        Path(args.json).write_text(json.dumps([r.as_dict() for r in rows], indent=1), encoding="utf-8")
    return 0 if all(r.clean for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
