"""GetQueueList (Req_Func 153, wire-protocol §8.1) through SwitchService.handle: the group's queue
(named after the group) in a LINEQUEUELIST, the size rule, LINEERR_INVALAGENTGROUP for an unknown group,
and a fault rule for the function."""

from __future__ import annotations

import struct
import uuid

from protocol import messages as m
from protocol.constants import LineErr
from protocol.structs import QueueEntry, QueueList, decode_struct
from test_switch import SALES, SUPPORT, Harness


def test_queue_list_names_the_groups_queue() -> None:
    h = Harness()
    c = h.connect()
    hline = h.line(c)
    r = h.response(c, m.GetQueueList(h_line=hline, group_id=SUPPORT, context=0x77, queue_list_context=0xABC))
    assert 1 <= r.result <= 0x7FFFFFFF  # the RESPONSE announces the request ID
    (reply,) = h.replies(c, r.result)
    assert (reply.result, reply.struct_context, reply.context) == (0, 0xABC, 0x77)
    # header, one 12-byte entry (queue 2, "Support\0" = 16 bytes at offset 36, list-relative), the name
    assert struct.unpack_from("<6I3I", reply.data) == (4096, 52, 52, 1, 12, 24, 2, 16, 36)
    assert reply.data[36:] == "Support\x00".encode("utf-16-le")
    lst = decode_struct(QueueList, reply.data)
    assert lst.entries == (QueueEntry(2, "Support"),)
    sales = h.async_ok(c, m.GetQueueList(h_line=hline, group_id=SALES))
    assert decode_struct(QueueList, sales.data).entries == (QueueEntry(1, "Sales"),)


def test_queue_list_that_does_not_fit_has_needed_size_and_no_entries() -> None:
    h = Harness()
    c = h.connect()
    hline = h.line(c)
    small = h.async_ok(c, m.GetQueueList(h_line=hline, group_id=SALES, queue_list_size=47))
    # 24 + 12 + "Sales\0" (12) = 48 needed; 47 bytes get the header only
    assert (small.result, struct.unpack_from("<6I", small.data), len(small.data)) == (0, (47, 48, 24, 0, 0, 0), 24)
    fits = h.async_ok(c, m.GetQueueList(h_line=hline, group_id=SALES, queue_list_size=48))
    assert struct.unpack_from("<6I", fits.data) == (48, 48, 48, 1, 12, 24)
    assert h.response(c, m.GetQueueList(h_line=hline, group_id=SALES, queue_list_size=23)).result == (
        LineErr.STRUCTURETOOSMALL)


def test_unknown_group_is_invalagentgroup_in_the_line_reply() -> None:
    h = Harness()
    c = h.connect()
    hline = h.line(c)
    r = h.response(c, m.GetQueueList(h_line=hline, group_id=uuid.UUID(int=5)))
    assert 1 <= r.result <= 0x7FFFFFFF  # not a synchronous refusal
    (reply,) = h.replies(c, r.result)
    assert (reply.result, reply.data) == (LineErr.INVALAGENTGROUP, b"")
    assert h.response(c, m.GetQueueList(h_line=hline + 100, group_id=SALES)).result == LineErr.INVALLINEHANDLE


def test_a_fault_rule_for_153_applies() -> None:
    h = Harness(faults=[{"function": 153, "mode": "error", "error": "LINEERR_RESOURCEUNAVAIL"}])
    c = h.connect()
    hline = h.line(c)
    reply = h.async_ok(c, m.GetQueueList(h_line=hline, group_id=SALES))
    assert (reply.result, reply.data) == (LineErr.RESOURCEUNAVAIL, b"")
