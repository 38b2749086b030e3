"""A small raw frame client for the conformance suite, written with ``struct`` straight from the spec.

It knows the framing of wire-protocol §1 (length/kind/flags/sequence header, HELLO, REQUEST, RESPONSE,
EVENTS, ERROR) and the TAPI32_MSG / ASYNCEVENTMSG layouts of tapi-facts §1.2-§1.3, and nothing about our
own ``protocol/`` package: the suite checks the bytes a server sends, not our codec.

Blocking sockets with a per-read timeout keep the cases simple and deterministic; a case waiting for
something the server never sends fails with a message that says what it was waiting for.

Bookkeeping that cases assert on:
- ``frames``: every frame received, in order;
- ``announced``: request IDs announced by a RESPONSE so far;
- ``early_replies``: request IDs whose LINE_REPLY arrived before the RESPONSE that announced them
  (wire-protocol §1 forbids that; only the case about that rule asserts on it, so a server that breaks
  it fails that case and not every other one);
- ``record_violations``: EVENTS bodies whose records are not framed as §1 says.
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

from . import spec

HEADER = struct.Struct("<IHHI")  # length, kind, flags, sequence


class ConformanceFailure(AssertionError):
    """The server did something the contract forbids, or did not do what it requires."""


class ServerClosed(ConformanceFailure):
    """The server closed the connection (EOF or reset) while the case expected more."""


class FrameTimeout(ConformanceFailure):
    """No (matching) frame arrived within the read timeout."""


@dataclass(frozen=True)
class Frame:
    """One frame as received: header fields and the raw body."""

    kind: int
    flags: int
    sequence: int
    body: bytes

    @property
    def kind_name(self) -> str:
        return spec.KIND_NAMES.get(self.kind, f"kind {self.kind}")


@dataclass(frozen=True)
class Record:
    """One ASYNCEVENTMSG record (tapi-facts §1.3): the 40-byte header and its VarData."""

    total_size: int
    init_context: int
    post_process_context: int
    h_device: int
    msg: int
    open_context: int
    param1: int
    param2: int
    param3: int
    param4: int
    raw: bytes

    @property
    def data(self) -> bytes:
        """The VarData after the 40-byte header (including any padding)."""
        return self.raw[40:]

    @classmethod
    def parse(cls, raw: bytes) -> "Record":
        return cls(*spec.ASYNCEVENTMSG.unpack_from(raw, 0), raw=raw)

    def __repr__(self) -> str:  # short, for assertion messages
        return (
            f"Record(Msg={self.msg}, TotalSize={self.total_size}, InitContext=0x{self.init_context:X}, "
            f"PostProcess=0x{self.post_process_context:X}, hDevice=0x{self.h_device:X}, "
            f"OpenContext=0x{self.open_context:X}, P1=0x{self.param1:X}, P2=0x{self.param2:X}, "
            f"P3=0x{self.param3:X}, P4={self.param4})"
        )


@dataclass(frozen=True)
class Response:
    """A RESPONSE frame's TAPI32_MSG: Ack_ReturnValue at 0, then Reserved1 and 13 parameter DWORDs."""

    sequence: int
    body: bytes

    @property
    def ack(self) -> int:
        return struct.unpack_from("<I", self.body, 0)[0]

    def u32(self, offset: int) -> int:
        """The DWORD at ``offset`` of the fixed part (8 = first parameter)."""
        if offset + 4 > len(self.body):
            raise ConformanceFailure(
                f"RESPONSE seq {self.sequence} is {len(self.body)} bytes, no DWORD at offset {offset}"
            )
        return struct.unpack_from("<I", self.body, offset)[0]

    @property
    def vardata(self) -> bytes:
        return self.body[60:]


def split_records(body: bytes) -> tuple[list[Record], str | None]:
    """Split an EVENTS body into records; the second item describes a framing violation, if any."""
    records: list[Record] = []
    pos = 0
    while pos < len(body):
        if len(body) - pos < 40:
            return records, f"{len(body) - pos} trailing bytes at offset {pos}, less than a 40-byte record"
        total = struct.unpack_from("<I", body, pos)[0]
        if total < 40:
            return records, f"record at offset {pos} has TotalSize {total} < 40"
        if total % 4:
            return records, f"record at offset {pos} has TotalSize {total}, not a multiple of 4"
        if pos + total > len(body):
            return records, f"record at offset {pos} has TotalSize {total} beyond the body ({len(body)})"
        records.append(Record.parse(body[pos : pos + total]))
        pos += total
    if not records:
        return records, "EVENTS frame with an empty body"
    return records, None


class VarData:
    """Builds the VarData of a request; every item starts DWORD aligned, offsets are from its start."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def _align(self) -> None:
        while len(self.buf) % 4:
            self.buf.append(0)

    def raw(self, data: bytes) -> int:
        self._align()
        offset = len(self.buf)
        self.buf += data
        return offset

    def string(self, text: str, terminate: bool = True) -> int:
        """A UTF-16LE string, NUL-terminated unless ``terminate`` is False (to build malformed input)."""
        return self.raw(text.encode("utf-16-le") + (b"\0\0" if terminate else b""))

    def guid(self, value: str) -> int:
        return self.raw(spec.guid_bytes(value))

    def __bytes__(self) -> bytes:
        self._align()
        return bytes(self.buf)


def tapi32_msg(func: int, params: Mapping[int, int] | None = None, vardata: bytes = b"") -> bytes:
    """A TAPI32_MSG: ``params`` maps fixed-part offsets (8, 12, ... 56) to u32 values; unused ones are 0."""
    words = [0] * 13
    for offset, value in (params or {}).items():
        if offset % 4 or not 8 <= offset <= 56:
            raise ValueError(f"parameter offset {offset} is not a DWORD of the fixed part (8..56)")
        words[(offset - 8) // 4] = value & 0xFFFFFFFF
    return spec.TAPI32_MSG.pack(func, 0, *words) + vardata


def frame_bytes(kind: int, body: bytes = b"", sequence: int = 0, flags: int = 0, length: int | None = None) -> bytes:
    """A frame; ``length`` overrides the length field (to build malformed frames)."""
    if length is None:
        length = 8 + len(body)
    return HEADER.pack(length, kind, flags, sequence) + body


def hello_body(major: int = spec.PROTOCOL_MAJOR, minor: int = spec.PROTOCOL_MINOR, name: str = "conformance") -> bytes:
    data = name.encode("utf-8")
    return struct.pack("<HHH", major, minor, len(data)) + data


@dataclass
class RawConnection:
    """One TCP connection to the server under test, speaking frames."""

    address: tuple[str, int]
    timeout: float = 5.0
    sock: socket.socket = field(init=False)
    frames: list[Frame] = field(default_factory=list)
    announced: set[int] = field(default_factory=set)
    early_replies: list[int] = field(default_factory=list)
    record_violations: list[str] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)  # not yet consumed by wait_* helpers
    all_records: list[Record] = field(default_factory=list)
    responses: dict[int, Response] = field(default_factory=dict)  # not yet consumed, by sequence
    errors: list[tuple[int, str]] = field(default_factory=list)
    server_hello: Frame | None = None
    closed: bool = False
    _buf: bytearray = field(default_factory=bytearray)
    _next_seq: int = 1

    def __post_init__(self) -> None:
        self.sock = socket.create_connection(self.address, timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # ------------------------------------------------------------------ sending
    def send_bytes(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_frame(self, kind: int, body: bytes = b"", sequence: int = 0, flags: int = 0, length: int | None = None) -> None:
        self.send_bytes(frame_bytes(kind, body, sequence, flags, length))

    def send_hello(self, major: int = spec.PROTOCOL_MAJOR, minor: int = spec.PROTOCOL_MINOR, name: str = "conformance") -> None:
        self.send_frame(spec.HELLO, hello_body(major, minor, name))

    def hello(self, **kwargs) -> Frame:
        """Send our HELLO and wait for the server's (wire-protocol §1: first frame each way)."""
        self.send_hello(**kwargs)
        frame = self.recv_frame(what="the server's HELLO")
        if frame.kind != spec.HELLO:
            raise ConformanceFailure(f"first frame from the server is {frame.kind_name}, not HELLO: {frame}")
        self.server_hello = frame
        return frame

    def next_sequence(self) -> int:
        seq = self._next_seq
        self._next_seq += 1
        return seq

    def send_request(self, func: int, params: Mapping[int, int] | None = None, vardata: bytes = b"",
                     sequence: int | None = None, flags: int = 0) -> int:
        """Send a REQUEST; returns its sequence."""
        seq = self.next_sequence() if sequence is None else sequence
        self.send_frame(spec.REQUEST, tapi32_msg(func, params, vardata), seq, flags)
        return seq

    # ------------------------------------------------------------------ receiving
    def _read_exact(self, n: int, deadline: float, limit: float, what: str) -> bytes:
        while len(self._buf) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FrameTimeout(f"no frame within {limit} s while waiting for {what}")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise FrameTimeout(f"no frame within {limit} s while waiting for {what}") from None
            except (ConnectionResetError, BrokenPipeError) as exc:
                self.closed = True
                raise ServerClosed(f"connection reset by the server while waiting for {what}: {exc}") from None
            if not chunk:
                self.closed = True
                raise ServerClosed(f"server closed the connection while waiting for {what}"
                                   + (f" (partial frame: {len(self._buf)} bytes)" if self._buf else ""))
            self._buf += chunk
        data = bytes(self._buf[:n])
        del self._buf[:n]
        return data

    def recv_frame(self, timeout: float | None = None, what: str = "a frame") -> Frame:
        """Read one frame, record it, and do the per-kind bookkeeping (RESPONSE, EVENTS, ERROR)."""
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        length, kind, flags, seq = HEADER.unpack(self._read_exact(12, deadline, limit, what))
        if not spec.MIN_LENGTH <= length <= spec.MAX_LENGTH:
            raise ConformanceFailure(f"server sent a frame with length {length}, outside 8..0x50000")
        body = self._read_exact(length - 8, deadline, limit, what)
        frame = Frame(kind, flags, seq, body)
        self.frames.append(frame)
        if kind == spec.RESPONSE:
            resp = Response(seq, body)
            if len(body) >= 4 and 0 < resp.ack <= 0x7FFFFFFF:
                self.announced.add(resp.ack)
            if seq in self.responses:
                raise ConformanceFailure(f"two RESPONSEs with sequence {seq} before the first was read")
            self.responses[seq] = resp
        elif kind == spec.EVENTS:
            records, problem = split_records(body)
            if problem:
                self.record_violations.append(problem)
            for rec in records:
                if rec.msg == spec.LINE_REPLY and rec.param1 not in self.announced:
                    self.early_replies.append(rec.param1)
            self.records.extend(records)
            self.all_records.extend(records)
        elif kind == spec.ERROR:
            if len(body) >= 6:
                code, n = struct.unpack_from("<IH", body, 0)
                self.errors.append((code, body[6 : 6 + n].decode("utf-8", "replace")))
            else:
                self.errors.append((-1, f"short ERROR body {body!r}"))
        return frame

    def _pump_until(self, ready: Callable[[], object], what: str, timeout: float | None = None):
        """Read frames until ``ready()`` returns something truthy; ERROR frames end the wait."""
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        while True:
            value = ready()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FrameTimeout(f"nothing within {limit} s while waiting for {what}")
            frame = self.recv_frame(timeout=remaining, what=what)
            if frame.kind == spec.ERROR:
                raise ConformanceFailure(f"server sent ERROR {self.errors[-1]} while we waited for {what}")

    def wait_response(self, sequence: int, what: str = "") -> Response:
        return self._pump_until(lambda: self.responses.pop(sequence, None),
                                f"the RESPONSE with sequence {sequence} {what}".strip())

    def call(self, func: int, params: Mapping[int, int] | None = None, vardata: bytes = b"") -> Response:
        """Send a REQUEST and wait for its RESPONSE."""
        seq = self.send_request(func, params, vardata)
        resp = self.wait_response(seq, f"(Req_Func {func})")
        if len(resp.body) < 60:
            raise ConformanceFailure(
                f"RESPONSE to Req_Func {func} carries {len(resp.body)} bytes, less than the 60-byte TAPI32_MSG"
            )
        return resp

    def take_record(self, pred: Callable[[Record], bool]) -> Record | None:
        for i, rec in enumerate(self.records):
            if pred(rec):
                return self.records.pop(i)
        return None

    def wait_record(self, pred: Callable[[Record], bool], what: str, timeout: float | None = None) -> Record:
        return self._pump_until(lambda: self.take_record(pred), what, timeout)

    def wait_seen(self, pred: Callable[[Record], bool], what: str, since: int = 0) -> Record:
        """Like :meth:`wait_record` but without consuming: looks at every record received from index
        ``since`` of ``all_records`` on (so one record may satisfy several expectations)."""
        return self._pump_until(lambda: next((r for r in self.all_records[since:] if pred(r)), None), what)

    def wait_reply(self, request_id: int) -> Record:
        return self.wait_record(lambda r: r.msg == spec.LINE_REPLY and r.param1 == request_id,
                                f"the LINE_REPLY of request ID {request_id}")

    def drain(self, duration: float) -> list[Frame]:
        """Read whatever arrives within ``duration`` seconds (used only to look for unwanted frames)."""
        got: list[Frame] = []
        deadline = time.monotonic() + duration
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return got
            try:
                got.append(self.recv_frame(timeout=remaining))
            except FrameTimeout:
                return got

    def expect_error(self, code: int | Iterable[int], what: str) -> tuple[int, str]:
        """Read until an ERROR frame; check its code and body layout; then require the close."""
        codes = {code} if isinstance(code, int) else set(code)
        while True:
            try:
                frame = self.recv_frame(what=f"ERROR {sorted(codes)} after {what}")
            except ServerClosed as exc:
                raise ConformanceFailure(f"server closed without an ERROR frame after {what}: {exc}") from None
            if frame.kind == spec.ERROR:
                break
            if frame.kind in (spec.RESPONSE, spec.HELLO):
                raise ConformanceFailure(f"expected ERROR {sorted(codes)} after {what}, got {frame.kind_name} {frame}")
        body = frame.body
        if len(body) < 6:
            raise ConformanceFailure(f"ERROR body of {len(body)} bytes, less than u32 code + u16 n")
        got, n = struct.unpack_from("<IH", body, 0)
        if len(body) != 6 + n:
            raise ConformanceFailure(f"ERROR body is {len(body)} bytes but u32 code + u16 n={n} + text = {6 + n}")
        text = body[6:].decode("utf-8")  # must be UTF-8 (wire-protocol §1)
        if frame.sequence != 0:
            raise ConformanceFailure(f"ERROR frame carries sequence {frame.sequence}, must be 0")
        if got not in codes:
            raise ConformanceFailure(f"ERROR code {got} ({text!r}) after {what}; expected {sorted(codes)}")
        self.expect_closed(f"ERROR {got}")
        return got, text

    def expect_closed(self, after: str) -> None:
        """The sender of an ERROR closes the connection after it (wire-protocol §1)."""
        try:
            while True:
                frame = self.recv_frame(what=f"the close after {after}")
                raise ConformanceFailure(f"server sent {frame.kind_name} after {after} instead of closing")
        except ServerClosed:
            return
        except FrameTimeout:
            raise ConformanceFailure(f"server did not close the connection within {self.timeout} s after {after}") from None

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
