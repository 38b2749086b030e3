"""wire-protocol §8.1 GetQueueList (153): the queues of one ACD group in a LINEQUEUELIST."""

from __future__ import annotations

import struct

import pytest

from . import spec
from .checks import check_structure, expect_result
from .rawclient import ConformanceFailure, VarData
from .tapi import App, AsyncResult, ListHeader, parse_list_header

S8 = pytest.mark.spec("wire-protocol §8.1")


def get_queue_list(app: App, group: str, size: int = 1024, context: int = 0, struct_context: int = 0,
                   guid_size: int = 16) -> AsyncResult:
    """GetQueueList (tapi-facts §1.4): R, C, 16 hLine, 20 GroupID offset in VarData, 24 its size (16),
    28 struct context, 32 buffer size."""
    vd = VarData()
    g_off = vd.guid(group)
    return app.async_call(spec.GETQUEUELIST, {
        12: context, 16: app.line.h_line, 20: g_off, 24: guid_size, 28: struct_context, 32: size}, bytes(vd))


def parse_queue_list(data: bytes) -> tuple[ListHeader, list[tuple[int, str, int, int]]]:
    """LINEQUEUELIST + LINEQUEUEENTRY x n (tapi-facts §2.4): (dwQueueID, name, dwNameSize, dwNameOffset);
    names resolved from the start of the list, as for LINEAGENTGROUPLIST."""
    head = parse_list_header(data)
    entries = []
    for i in range(head.num_entries):
        off = head.list_offset + spec.QUEUE_ENTRY.size * i
        if off + spec.QUEUE_ENTRY.size > len(data):
            raise ConformanceFailure(f"queue entry {i} at {off} lies beyond the {len(data)} data bytes")
        queue_id, name_size, name_off = spec.QUEUE_ENTRY.unpack_from(data, off)
        if name_off + name_size > len(data):
            raise ConformanceFailure(f"queue entry {i}: name at {name_off}+{name_size} beyond the data")
        raw = data[name_off : name_off + name_size]
        if len(raw) < 2 or raw[-2:] != b"\0\0":
            raise ConformanceFailure(f"queue entry {i}: name at {name_off}+{name_size} is not NUL-terminated")
        entries.append((queue_id, raw[:-2].decode("utf-16-le", "replace"), name_size, name_off))
    return head, entries


@S8
@pytest.mark.parametrize("group, queue, name", [(spec.SALES, spec.SALES_QUEUE, spec.SALES_NAME),
                                                (spec.SUPPORT, spec.SUPPORT_QUEUE, spec.SUPPORT_NAME)],
                         ids=["Sales", "Support"])
def test_s8_get_queue_list(app, group, queue, name):
    """wire-protocol §8.1 GetQueueList (153) -> LINEQUEUELIST (tapi-facts §2.4): one queue per group, named
    after it; 12-byte entries (dwQueueID, dwNameSize, dwNameOffset) at dwListOffset, the UTF-16 name inside
    dwUsedSize at an offset from the start of the list; Param3 = the struct context."""
    res = get_queue_list(app, group, size=1000, struct_context=0x5C5C)
    _, needed, used = check_structure(res, 1000, 24, "GetQueueList")
    head, entries = parse_queue_list(res.data)
    assert head.num_entries == 1 and head.list_size == 12, f"{head}"
    assert head.list_offset >= 24, f"{head}: entries inside the header"
    assert needed == used == 24 + 12 + 2 * (len(name) + 1), f"needed {needed}, used {used}"
    ((queue_id, got_name, size, off),) = entries
    assert (queue_id, got_name) == (queue, name), f"entry {entries[0]}, expected queue {queue} named {name!r}"
    assert size == 2 * (len(name) + 1) and off + size <= used, f"name at {off}+{size} outside dwUsedSize {used}"
    assert res.reply.param3 == 0x5C5C, f"Param3 {res.reply.param3:#x}, expected the struct context 0x5c5c"
    assert spec.QUEUEINFO.unpack_from(app.get_queue_info(queue_id).expect_ok("GetQueueInfo").data)[0] == 52


@S8
def test_s8_get_queue_list_not_fitting(app):
    """wire-protocol §8.1, §2 size rule: GetQueueList with one byte too few: dwNeededSize = the full size,
    0 entries, success; below 24 bytes -> LINEERR_STRUCTURETOOSMALL."""
    full = struct.unpack_from("<I", get_queue_list(app, spec.SALES, size=1000).expect_ok("GetQueueList").data, 4)[0]
    res = get_queue_list(app, spec.SALES, size=full - 1)
    _, needed, used = check_structure(res, full - 1, 24, "GetQueueList one byte short")
    head, _ = parse_queue_list(res.data)
    assert needed == full and used == 24 and head.num_entries == 0 and head.list_size == 0, f"{head}"
    expect_result(get_queue_list(app, spec.SALES, size=23), spec.STRUCTURETOOSMALL, "GetQueueList of 23 bytes")


@S8
def test_s8_get_queue_list_unknown_group(app):
    """wire-protocol §8.1: GetQueueList of a group GUID the switch does not have -> LINEERR_INVALAGENTGROUP,
    with no data."""
    res = get_queue_list(app, "00000000-0000-4000-8000-00000000dead")
    expect_result(res, spec.INVALAGENTGROUP, "GetQueueList of an unknown group")
    assert res.reply is None or res.reply.param4 == 0, "a failed completion carries no data"
