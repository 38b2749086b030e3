"""Hypothesis strategies for fuzzing the wire protocol, and the oracle that says what a server must do
with a given byte stream.

Three sources of input, mixed freely:

* **valid frames** built from every message class (every REQUEST body from its PARAMS table, RESPONSEs,
  EVENTS with every record kind, HELLO, ERROR), with "interesting" numbers favoured (small handles that
  hit real lines, 0, 0x7FFFFFFF, 0xFFFFFFFF, sizes around the limits);
* **mutated frames**: a valid frame after a few structure-aware edits - a DWORD overwritten (length
  field, kind, VarData offsets and sizes in the TAPI32_MSG), bytes flipped, truncated, extended, or
  spliced with another frame;
* **random bytes**.

:func:`server_reaction` runs the sans-I/O :class:`protocol.Connection` (server role) over the bytes a
client sends and returns what the server must answer: its HELLO, exactly one RESPONSE per REQUEST, and
either a clean close, or ERROR(code) and a close. The live fuzzer compares that with what a real server
does over TCP.
"""

from __future__ import annotations

import struct
from collections import Counter
from typing import Any

import attrs
from hypothesis import strategies as st

from protocol import messages as m
from protocol.connection import CLOSED, NEED_DATA, Connection, Role
from protocol.constants import MAX_FRAME_LENGTH, ErrorCode
from protocol.errors import RemoteProtocolError
from protocol.schemas import VarKind

__all__ = [
    "EDGE_U32",
    "u32",
    "request_bodies",
    "client_frames",
    "server_frames",
    "mutated",
    "client_pieces",
    "Reaction",
    "server_reaction",
    "split_frames",
]

#: Numbers that break code: boundaries of the u32, of request IDs, of the frame and structure limits.
EDGE_U32 = (
    0, 1, 2, 3, 4, 7, 8, 12, 16, 59, 60, 61, 0x7F, 0xFF, 0x100, 0xFFFF, 0x10000,
    0x3FFFF, 0x40000, 0x40001, 0x4FFFF, MAX_FRAME_LENGTH, MAX_FRAME_LENGTH + 1,
    0x7FFFFFFF, 0x80000000, 0x80000048, 0xFFFFFFFE, 0xFFFFFFFF,
)

u32 = st.one_of(st.integers(0, 12), st.sampled_from(EDGE_U32), st.integers(0, 2**32 - 1))
text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=24)


def _body(cls: type) -> st.SearchStrategy[Any]:
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for p in cls.PARAMS:
        if p.kind is VarKind.U32:
            fields[p.name] = u32
        elif p.kind is VarKind.STR:
            fields[p.name] = text
        elif p.kind is VarKind.OPTSTR:
            fields[p.name] = st.none() | text
        elif p.kind is VarKind.GUID:
            fields[p.name] = st.uuids()
        elif p.kind is VarKind.OUTBUF:
            fields[p.name] = st.binary(max_size=24)
    return st.fixed_dictionaries(fields).map(lambda kw: cls(**kw))


#: Every REQUEST body class, plus unknown functions (RawRequest).
request_bodies = st.one_of(
    *(_body(cls) for cls in m.REQUEST_CLASSES),
    st.builds(m.RawRequest, u32, st.tuples(*[u32] * 13), st.binary(max_size=32)),
)

_records = st.one_of(
    st.builds(m.LineReply, init_context=u32, context=u32, hdevice=u32, open_context=u32, request_id=u32,
              result=u32, struct_context=u32, data=st.binary(max_size=120)),
    st.builds(m.AgentSessionStatusEvent, init_context=u32, hdevice=u32, open_context=u32, hagent_session=u32,
              status=u32, state=u32),
    st.builds(m.AsyncEventMsg, init_context=u32, context=u32, hdevice=u32, msg=u32, open_context=u32,
              param1=u32, param2=u32, param3=u32, param4=u32,
              vardata=st.binary(max_size=16).map(lambda b: b + bytes(-len(b) % 4))),
)

_hello = st.builds(m.Hello, major=st.sampled_from([1, 1, 1, 0, 2, 0xFFFF]), minor=st.integers(0, 0xFFFF),
                   product=text)
_error = st.builds(m.Error, code=st.sampled_from([1, 2, 3, 4, 5, 0, 99]), text=text)


def _encode(frame: Any) -> bytes | None:
    """Encoded frame, or None when the drawn values are not encodable (e.g. a code above u16)."""
    from protocol import codec
    from protocol.errors import LocalProtocolError

    try:
        return codec.encode(frame)
    except LocalProtocolError:
        return None


#: Frames a client may send: mostly REQUESTs, some HELLO and ERROR.
client_frames = st.one_of(
    *[st.builds(m.Request, u32, request_bodies)] * 6,
    _hello,
    _error,
).map(_encode).filter(lambda b: b is not None)

#: Frames a server may send (RESPONSE of every function, EVENTS, HELLO, ERROR).
server_frames = st.one_of(
    st.builds(m.Response, u32, u32, request_bodies),
    st.builds(m.Events, st.lists(_records, min_size=1, max_size=4).map(tuple)),
    _hello,
    _error,
).map(_encode).filter(lambda b: b is not None)


@attrs.frozen
class Mutation:
    """One edit of a frame; ``where`` and ``value`` are reduced modulo the frame's size when applied."""

    op: str
    where: int
    value: int
    extra: bytes = b""

    def apply(self, frame: bytes) -> bytes:
        n = len(frame)
        if n == 0:
            return self.extra
        if self.op == "dword":  # aligned: length, kind|flags, sequence, Req_Func, params, VarData offsets
            at = (self.where % max(1, n // 4)) * 4
            return frame[:at] + struct.pack("<I", self.value & 0xFFFFFFFF) + frame[at + 4 :]
        if self.op == "length":  # the length field by a small amount (frames shorter or longer than said)
            length = (int.from_bytes(frame[:4].ljust(4, b"\0"), "little") + self.value - 16) & 0xFFFFFFFF
            return struct.pack("<I", length) + frame[4:]
        if self.op == "kind":
            return frame[:4] + struct.pack("<H", self.value & 0xFFFF) + frame[6:]
        if self.op == "byte":
            at = self.where % n
            return frame[:at] + bytes([self.value & 0xFF]) + frame[at + 1 :]
        if self.op == "truncate":
            return frame[: self.where % n]
        if self.op == "extend":
            return frame + self.extra
        if self.op == "splice":
            at = self.where % n
            return frame[:at] + self.extra + frame[at:]
        raise ValueError(f"unknown mutation {self.op!r}")


mutations = st.one_of(
    st.builds(Mutation, st.just("dword"), st.integers(0, 2**16), u32),
    st.builds(Mutation, st.just("length"), st.just(0), st.integers(0, 32)),
    st.builds(Mutation, st.just("kind"), st.just(0), st.integers(0, 6) | st.just(0xFFFF)),
    st.builds(Mutation, st.just("byte"), st.integers(0, 2**16), st.integers(0, 255)),
    st.builds(Mutation, st.just("truncate"), st.integers(0, 2**16), st.just(0)),
    st.builds(Mutation, st.just("extend"), st.just(0), st.just(0), st.binary(min_size=1, max_size=16)),
    st.builds(Mutation, st.just("splice"), st.integers(0, 2**16), st.just(0), st.binary(min_size=1, max_size=16)),
)


def mutated(frames: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    """A frame from ``frames`` after one to four mutations."""

    def apply(args: tuple[bytes, list[Mutation]]) -> bytes:
        frame, edits = args
        for edit in edits:
            frame = edit.apply(frame)
        return frame

    return st.tuples(frames, st.lists(mutations, min_size=1, max_size=4)).map(apply)


def client_pieces(max_pieces: int = 6) -> st.SearchStrategy[list[bytes]]:
    """What one fuzzing client sends: usually a valid HELLO first, then valid, mutated and random pieces."""
    hello = _encode(m.Hello(product="fuzz"))
    assert hello is not None
    first = st.integers(0, 9).flatmap(  # mostly a proper start
        lambda k: st.just(b"") if k == 0 else mutated(st.just(hello)) if k == 1 else st.just(hello))
    piece = st.integers(0, 5).flatmap(
        lambda k: mutated(client_frames) if k == 0 else st.binary(min_size=1, max_size=64) if k == 1 else client_frames)
    return st.tuples(first, st.lists(piece, max_size=max_pieces)).map(lambda t: [t[0], *t[1]])


@attrs.frozen
class Reaction:
    """What a server must send back for a byte stream (see :func:`server_reaction`)."""

    hello: bool  #: its HELLO (first)
    responses: Counter[int]  #: sequence -> number of RESPONSEs with it
    error: ErrorCode | None  #: the ERROR code it ends with, or None (clean close, nothing more)
    requests: int  #: REQUESTs it must have handled
    client_error: bool = False  #: the client sent ERROR: the server closes without a word

    @property
    def stops_early(self) -> bool:
        """The server stops reading before the end (it may then close with a reset)."""
        return self.error is not None or self.client_error


def server_reaction(data: bytes, eof: bool = True) -> Reaction:
    """Feed ``data`` (then EOF if ``eof``) to a server-role :class:`Connection`: the server's duty.

    Every REQUEST decoded before a protocol error is answered with one RESPONSE; a ProtocolError means
    ERROR(code) and close; an ERROR frame from the client means close without answer."""
    proto = Connection(Role.SERVER)
    proto.receive_data(data)
    if eof:
        proto.receive_data(b"")
    hello = False
    responses: Counter[int] = Counter()
    requests = 0
    try:
        while True:
            event = proto.next_event()
            if event is NEED_DATA or event is CLOSED:
                break
            if isinstance(event, m.Hello):
                hello = True
            elif isinstance(event, m.Request):
                responses[event.sequence] += 1
                requests += 1
            elif isinstance(event, m.Error):
                return Reaction(hello, responses, None, requests, client_error=True)
    except RemoteProtocolError as err:
        return Reaction(hello, responses, err.code, requests)
    return Reaction(hello, responses, None, requests)


def split_frames(data: bytes) -> tuple[list[tuple[int, int, bytes]], bytes]:
    """``(kind, sequence, whole frame)`` of every complete frame in ``data``, and the incomplete rest."""
    frames = []
    i = 0
    while len(data) - i >= 12:
        length = int.from_bytes(data[i : i + 4], "little")
        if len(data) - i < 4 + length:
            break
        kind, _flags, sequence = struct.unpack_from("<HHI", data, i + 4)
        frames.append((kind, sequence, data[i : i + 4 + length]))
        i += 4 + length
    return frames, data[i:]

