"""Bounded fuzzing (issue 8 §1), a few seconds: the decoder and a live server fed random and mutated
frames. The same properties run for as long as you like with ``python -m fuzz.decoder`` and
``python -m fuzz.server`` (fuzz/README.md).

Invariants: the decoder raises only ProtocolError and every decodable REQUEST can be answered; the server
answers each REQUEST once, answers a malformed frame with the right ERROR and closes that connection,
never crashes, keeps serving a long-lived other connection, and its tables return to where they were.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # fuzz/ is a directory of the repository, not an installed package
    sys.path.insert(0, str(REPO))

from fuzz.decoder import check_decode, check_stream, decode_inputs, stream_inputs  # noqa: E402
from fuzz.frames import Mutation, Reaction, server_reaction  # noqa: E402
from fuzz.live import ThreadedEmulator, check_session  # noqa: E402
from fuzz.server import fuzz_server  # noqa: E402
from protocol import codec  # noqa: E402
from protocol import messages as m  # noqa: E402
from protocol.constants import ErrorCode  # noqa: E402

FAST = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


@FAST
@given(decode_inputs)
def test_decoder_raises_only_protocol_error_and_decoded_requests_can_be_answered(args: tuple) -> None:
    check_decode(*args)


@FAST
@given(stream_inputs)
def test_connection_any_bytes_any_fragmentation(args: tuple) -> None:
    check_stream(*args)


def test_live_server_fuzz_sessions() -> None:
    assert fuzz_server(150, seed_value=1) >= 150


def test_the_live_check_fails_when_the_reaction_is_not_the_due_one() -> None:
    hello = codec.encode(m.Hello())
    request = codec.encode(m.Request(1, m.Initialize()))
    short = Mutation("length", 0, 0).apply(request)  # the length field says 16 bytes less than sent
    with ThreadedEmulator() as emu:
        check_session(emu.address, [hello, request])  # HELLO and one RESPONSE, as due
        check_session(emu.address, [hello, short])  # ERROR 1 (the rest is not a valid frame), as due
        with pytest.raises(AssertionError, match="RESPONSEs by sequence: expected {}, got {1: 1}"):
            check_session(emu.address, [hello, request], want=server_reaction(hello + short))
        with pytest.raises(AssertionError, match="RESPONSEs by sequence"):
            check_session(emu.address, [hello, request], want=Reaction(True, Counter({1: 2}), None, 2))
        with pytest.raises(AssertionError, match="expected ERROR FRAME_TOO_LARGE"):
            check_session(emu.address, [hello, request],
                          want=Reaction(True, Counter({1: 1}), ErrorCode.FRAME_TOO_LARGE, 1))
        with pytest.raises(AssertionError, match="HELLO expected"):
            check_session(emu.address, [hello], want=Reaction(False, Counter(), None, 0))


def test_fuzz_command_lines_run() -> None:
    for module in ("fuzz.decoder", "fuzz.server"):
        out = subprocess.run([sys.executable, "-m", module, "--examples", "20", "--seed", "3"],
                             cwd=REPO, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert "no violation" in out.stdout
