"""Fuzz the protocol decoder: ``python -m fuzz.decoder [--examples N] [--seed S]``.

Invariants checked on every input (see :mod:`fuzz.frames` for the inputs):

1. ``codec.decode`` of any bytes raises nothing but :class:`RemoteProtocolError` (with or without the Req_Func
   a RESPONSE needs);
2. a REQUEST that decodes can be answered: its body re-encodes inside a RESPONSE (the server echoes the
   request's body when it refuses it, so a decodable but unencodable body would leave it unanswered);
3. a :class:`protocol.Connection` of either role fed any bytes, in any fragmentation, raises nothing but
   RemoteProtocolError, and yields the same frames whatever the fragmentation.

A failure prints the smallest input hypothesis found; ``--seed`` makes a run reproducible.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from fuzz.frames import client_frames, client_pieces, mutated, server_frames
from protocol import codec
from protocol import messages as m
from protocol.connection import CLOSED, NEED_DATA, Connection, Role
from protocol.constants import LineErr
from protocol.errors import RemoteProtocolError

__all__ = ["check_decode", "check_stream", "decode_inputs", "stream_inputs", "run"]

_FUNCS = [None, *(int(cls.REQ_FUNC) for cls in m.REQUEST_CLASSES), 9999]

#: One frame's bytes (valid, mutated or random) and the Req_Func to decode a RESPONSE with.
decode_inputs = st.tuples(
    st.one_of(client_frames, server_frames, mutated(client_frames), mutated(server_frames), st.binary(max_size=300)),
    st.sampled_from(_FUNCS),
)

#: A role, the chunks of one stream for it, and where to cut them differently.
stream_inputs = st.one_of(
    st.tuples(st.just(Role.SERVER), client_pieces(), st.lists(st.integers(1, 64), min_size=1, max_size=8)),
    st.tuples(
        st.just(Role.CLIENT),
        st.lists(st.one_of(server_frames, mutated(server_frames), st.binary(min_size=1, max_size=64)), max_size=6),
        st.lists(st.integers(1, 64), min_size=1, max_size=8),
    ),
)


def check_decode(frame: bytes, response_func: int | None) -> None:
    """Invariants 1 and 2 for one input."""
    try:
        decoded = codec.decode(frame, response_func=response_func)
    except RemoteProtocolError:
        return
    if isinstance(decoded, m.Request):
        codec.encode(m.Response(decoded.sequence, int(LineErr.OPERATIONFAILED), decoded.body))


def _events(role: Role, chunks: list[bytes]) -> tuple[list[Any], str | None]:
    proto = Connection(role)
    if role is Role.CLIENT:  # the client spoke first, as it must
        proto.send(m.Hello())
    out: list[Any] = []
    try:
        for chunk in [*chunks, b""]:
            proto.receive_data(chunk)
            while True:
                event = proto.next_event()
                if event is NEED_DATA or event is CLOSED:
                    break
                out.append(event)
            if event is CLOSED:
                break
    except RemoteProtocolError as err:
        return out, err.code.name
    return out, None


def check_stream(role: Role, pieces: list[bytes], cuts: list[int]) -> None:
    """Invariant 3: any bytes, two fragmentations, only RemoteProtocolError and the same result."""
    data = b"".join(pieces)
    whole = _events(role, [data])
    chunks, i, k = [], 0, 0
    while i < len(data):
        step = cuts[k % len(cuts)]
        chunks.append(data[i : i + step])
        i += step
        k += 1
    assert _events(role, chunks) == whole, "fragmentation changed what was decoded"


def run(examples: int, seed_value: int | None = None) -> None:
    """Run both properties with ``examples`` inputs each (raises on the first violation)."""
    config = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.shrink],
    )
    decode_prop = config(given(decode_inputs)(lambda args: check_decode(*args)))
    stream_prop = config(given(stream_inputs)(lambda args: check_stream(*args)))
    for name, prop in (("decode", decode_prop), ("stream", stream_prop)):
        if seed_value is not None:
            prop = seed(seed_value)(prop)
        start = time.monotonic()
        prop()
        print(f"{name}: {examples} inputs, no violation ({time.monotonic() - start:.1f} s)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz.decoder", description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=20000, help="inputs per property (default 20000)")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: random)")
    args = parser.parse_args(argv)
    run(args.examples, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
