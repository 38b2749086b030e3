"""Shared assertions of the conformance cases (each names the rule it checks in its message)."""

from __future__ import annotations

import struct

from . import spec
from .rawclient import Record
from .tapi import AsyncResult


def pad4(n: int) -> int:
    return (n + 3) // 4 * 4


def expect_result(res: AsyncResult, code: int, what: str) -> None:
    """The request failed with ``code``, synchronously (RESPONSE) or in its LINE_REPLY; the spec does not
    say which for errors that need the switch's state (wire-protocol §2 lists only the code)."""
    where = "RESPONSE" if res.reply is None else "LINE_REPLY"
    assert res.result == code, f"{what}: {where} result {spec.describe(res.result)}, expected {spec.describe(code)}"


def expect_sync(res: AsyncResult, code: int, what: str) -> None:
    """The RESPONSE itself carries ``code`` (a synchronous failure, no LINE_REPLY)."""
    assert res.reply is None and res.response.ack == code, (
        f"{what}: RESPONSE {spec.describe(res.response.ack)}"
        + (f" with LINE_REPLY result {spec.describe(res.reply.param2)}" if res.reply else "")
        + f"; expected a synchronous {spec.describe(code)}"
    )


def expect_failure(res: AsyncResult, what: str) -> None:
    """The request failed with some LINEERR (the spec names no code for this case)."""
    assert spec.is_lineerr(res.result), f"{what}: result {spec.describe(res.result)}, expected a LINEERR"


def check_reply_record(rec: Record, *, request_id: int, init_context: int, context: int, h_remote_line: int,
                       open_context: int, struct_context: int, result: int = 0) -> None:
    """ASYNCEVENTMSG header of a LINE_REPLY, field by field (wire-protocol §2, Completion record)."""
    assert rec.msg == spec.LINE_REPLY, f"Msg {rec.msg}, expected 12 (LINE_REPLY)"
    assert rec.total_size == pad4(40 + rec.param4), f"TotalSize {rec.total_size} != 40 + Param4 {rec.param4} padded to 4"
    assert rec.init_context == init_context, f"InitContext {rec.init_context:#x}, expected {init_context:#x}"
    assert rec.post_process_context == context, (
        f"PostProcessProcContext {rec.post_process_context:#x}, expected the request's lpContext {context:#x}")
    assert rec.h_device == h_remote_line, f"hDevice {rec.h_device:#x}, expected the line's hRemoteLine {h_remote_line:#x}"
    assert rec.open_context == open_context, f"OpenContext {rec.open_context:#x}, expected {open_context:#x}"
    assert rec.param1 == request_id, f"Param1 {rec.param1:#x}, expected request ID {request_id:#x}"
    assert rec.param2 == result, f"Param2 {spec.describe(rec.param2)}, expected {spec.describe(result)}"
    assert rec.param3 == struct_context, f"Param3 {rec.param3:#x}, expected the struct context {struct_context:#x}"


def check_structure(res: AsyncResult, client_size: int, fixed: int, name: str) -> tuple[int, int, int]:
    """A data-returning completion: success, Param4/TotalSize consistent, dwTotalSize = client's size,
    dwNeededSize >= fixed, fixed <= dwUsedSize <= min(Param4, client's size) (tapi-facts §5.2)."""
    res.expect_ok(name)
    rec = res.reply
    assert rec is not None
    assert rec.total_size == pad4(40 + rec.param4), f"{name}: TotalSize {rec.total_size} != 40 + Param4 {rec.param4} padded"
    assert len(rec.data) >= rec.param4, f"{name}: Param4 {rec.param4} but only {len(rec.data)} data bytes"
    assert rec.param4 >= 12, f"{name}: Param4 {rec.param4}, too small for the size triple"
    total, needed, used = struct.unpack_from("<3I", rec.data, 0)
    assert total == client_size, f"{name}: dwTotalSize {total}, expected the client's buffer size {client_size}"
    assert needed >= fixed, f"{name}: dwNeededSize {needed} < fixed size {fixed}"
    assert fixed <= used <= client_size, f"{name}: dwUsedSize {used} outside {fixed}..{client_size}"
    assert used <= rec.param4 <= client_size, (
        f"{name}: Param4 (data size) {rec.param4} must cover dwUsedSize {used} and not exceed dwTotalSize {client_size}")
    return total, needed, used
