"""wire-protocol §3: the emulator control extension (EmuAdvanceClock 1000, EmuOfferCall 1001)."""

from __future__ import annotations

import pytest

from . import spec
from .rawclient import VarData, split_records

S3 = pytest.mark.spec("wire-protocol §3")


@S3
def test_s3_offer_call_returns_new_call_ids(support):
    """wire-protocol §3 EmuOfferCall: RESPONSE 0 with a call ID at offset 16, nonzero and new for each call."""
    clock = support.clock
    ids = [clock.offer_call(spec.SUPPORT, 1) for _ in range(3)]
    assert all(ids) and len(set(ids)) == 3, f"call IDs {ids}"


@S3
def test_s3_offer_call_unknown_group_fails(control):
    """wire-protocol §3 EmuOfferCall: a GroupID no group has fails with a LINEERR (the spec names none)."""
    vd = VarData()
    off = vd.guid(spec.UNKNOWN_GROUP)
    resp = control.conn.call(spec.EMU_OFFERCALL, {8: off, 12: 5}, bytes(vd))
    assert spec.is_lineerr(resp.ack), f"EmuOfferCall to an unknown group: {spec.describe(resp.ack)}"


@S3
def test_s3_advance_delivers_everything_due_before_its_response(support):
    """wire-protocol §3 EmuAdvanceClock: everything due in the interval happens, in time order, before the
    RESPONSE: on a connection with the session's line open, the STATE events of answer, hang-up and end of
    wrap-up (BUSYWRAPUP, then READY) all arrive before the RESPONSE of one 60-second advance."""
    clock = support.clock  # has every line open
    h_session = support.new_session(clock, clock.agent(spec.AGENT_STATS_ID))
    clock.set_state(h_session, spec.READY).expect_ok("READY")
    clock.offer_call(spec.SUPPORT, 5)  # answer at 3, hang-up at 8, wrap-up until 18
    mark = len(clock.conn.frames)
    resp = clock.advance(60)
    frames = clock.conn.frames[mark:]
    pos = next(i for i, f in enumerate(frames) if f.kind == spec.RESPONSE and f.sequence == resp.sequence)
    before = [r for f in frames[:pos] if f.kind == spec.EVENTS for r in split_records(f.body)[0]]
    states = [r.param3 for r in before if r.msg == spec.LINE_AGENTSESSIONSTATUS and r.param1 == h_session
              and r.param2 & spec.STATUS_STATE]
    # (the offer's own BUSYONCALL may come after the offer's RESPONSE, so it may appear first here)
    assert [s for s in states if s != spec.BUSYONCALL] == [spec.BUSYWRAPUP, spec.READY], (
        f"STATE events before the advance's RESPONSE: {[spec.STATE_NAMES.get(s, s) for s in states]}")
