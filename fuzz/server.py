"""Fuzz a live server: ``python -m fuzz.server [--examples N] [--seed S] [--target HOST:PORT]``.

Without ``--target`` an emulator runs in this process (in its own thread and trio loop, on a free
loopback port) so that, besides the wire invariants of :mod:`fuzz.live`, its tables can be checked after
every session and a crash of the server is seen at once. With ``--target`` any server speaking the
protocol is fuzzed (only the wire invariants and the sentinel connection are checked); start it with
``--control`` so the control functions are exercised too.

Each example is one connection: usually a HELLO, then up to ``--pieces`` valid, mutated or random
frames, then EOF. After every example a long-lived sentinel connection must still be served.
"""

from __future__ import annotations

import argparse
import sys
import time

from hypothesis import HealthCheck, Phase, given, seed, settings

from fuzz.frames import client_pieces
from fuzz.live import Sentinel, ThreadedEmulator, check_session

__all__ = ["fuzz_server", "main"]


def fuzz_server(
    examples: int,
    *,
    target: tuple[str, int] | None = None,
    seed_value: int | None = None,
    pieces: int = 6,
    timeout: float = 10.0,
    progress: bool = False,
) -> int:
    """Run ``examples`` fuzzing sessions; raises AssertionError (with the smallest failing input) on a
    violation. Returns the number of sessions run."""
    emulator = ThreadedEmulator() if target is None else None
    count = 0
    start = time.monotonic()
    with emulator if emulator is not None else _Nothing():
        address = target if target is not None else emulator.address  # type: ignore[union-attr]
        sentinel = Sentinel(address, timeout)
        baseline = emulator.tables() if emulator is not None else None

        @settings(max_examples=examples, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink])
        @given(client_pieces(pieces))
        def session(drawn: list[bytes]) -> None:
            nonlocal count
            count += 1
            check_session(address, drawn, timeout)
            if emulator is not None:
                emulator.wait_tables(baseline, timeout)  # type: ignore[arg-type]
            sentinel.check()
            if progress and count % 500 == 0:
                print(f"  {count} sessions, {time.monotonic() - start:.0f} s", flush=True)

        if seed_value is not None:
            session = seed(seed_value)(session)
        try:
            session()
        finally:
            sentinel.close()
        if emulator is not None and not emulator.alive():
            raise AssertionError(f"the server crashed: {emulator.error!r}")
    return count


class _Nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz.server", description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=5000, help="fuzzing sessions (default 5000)")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: random)")
    parser.add_argument("--pieces", type=int, default=6, help="frames per session after the HELLO (default 6)")
    parser.add_argument("--target", metavar="HOST:PORT", help="fuzz this server instead of an in-process one")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds one session may take (default 10)")
    args = parser.parse_args(argv)
    target = None
    if args.target:
        host, _, port = args.target.rpartition(":")
        target = (host or "127.0.0.1", int(port))
    start = time.monotonic()
    count = fuzz_server(args.examples, target=target, seed_value=args.seed, pieces=args.pieces,
                        timeout=args.timeout, progress=True)
    print(f"server: {count} sessions, no violation ({time.monotonic() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
