"""Fast mutated-frame sessions for the campaign (plain :mod:`random`, seeded; hypothesis is too slow for a
million frames).

A session is what one connection sends: usually a valid HELLO, then up to ``max_frames`` pieces, most of
them mutated. Valid REQUESTs are built from every message class's PARAMS table with the numbers of
:data:`fuzz.frames.EDGE_U32` favoured; mutations are :class:`fuzz.frames.Mutation` edits (one to four).
Most mutated frames keep their framing (the length field and kind are put back after the edit), so the
connection usually survives them and many frames are tried per connection; the rest are left as edited
and usually end the connection with an ERROR.

The server's duty for a session is computed on the fly by a server-role :class:`protocol.Connection`
(the oracle of :func:`fuzz.frames.server_reaction`): generation stops at the frame after which the
server must stop reading, so every frame counted is one the server had to handle.
"""

from __future__ import annotations

import random
import struct
import uuid
from collections import Counter

import attrs

from fuzz.frames import EDGE_U32, Mutation, Reaction
from protocol import codec
from protocol import messages as m
from protocol.connection import CLOSED, NEED_DATA, Connection, Role
from protocol.errors import LocalProtocolError, ProtocolError
from protocol.schemas import VarKind

__all__ = ["Session", "SessionMaker"]

_OPS = ("dword", "dword", "dword", "length", "kind", "byte", "byte", "truncate", "extend", "splice")
_TEXT = "abcXYZ019 -_.éß中\u200b"


@attrs.frozen
class Session:
    """One connection's bytes (``pieces``), the server's duty (``want``) and how many pieces were
    mutated or random (``mutated``) out of ``frames``."""

    pieces: list[bytes]
    want: Reaction
    frames: int
    mutated: int


class SessionMaker:
    """Seeded source of sessions; ``groups``: GUIDs the server knows (drawn now and then, so that
    requests reach deep into the switch)."""

    def __init__(self, seed: int, *, max_frames: int = 64, groups: tuple[uuid.UUID, ...] = (),
                 mutated_share: float = 0.85, keep_framing: float = 0.97) -> None:
        self.rng = random.Random(seed)
        self.max_frames = max_frames
        self.groups = groups
        self.mutated_share = mutated_share
        self.keep_framing = keep_framing
        self.hello = codec.encode(m.Hello(product="campaign-fuzz"))
        self._pool: list[bytes] = []

    # -- values ------------------------------------------------------------------------------------
    def u32(self) -> int:
        r = self.rng.random()
        if r < 0.45:
            return self.rng.randint(0, 12)
        if r < 0.8:
            return self.rng.choice(EDGE_U32)
        return self.rng.getrandbits(32)

    def text(self) -> str:
        r = self.rng.random()
        n = self.rng.randint(0, 24) if r < 0.95 else self.rng.choice((255, 256, 1000))
        return "".join(self.rng.choices(_TEXT, k=n))

    def body(self) -> object:
        rng = self.rng
        if rng.random() < 0.04:
            return m.RawRequest(self.u32(), tuple(self.u32() for _ in range(13)), rng.randbytes(rng.randint(0, 32)))
        return self.body_of(rng.choice(m.REQUEST_CLASSES))

    def body_of(self, cls: type) -> object:
        """A request body of class ``cls`` with drawn parameters."""
        rng = self.rng
        kwargs: dict[str, object] = {}
        for p in cls.PARAMS:
            if p.kind is VarKind.U32:
                kwargs[p.name] = self.u32()
            elif p.kind is VarKind.STR:
                kwargs[p.name] = self.text()
            elif p.kind is VarKind.OPTSTR:
                kwargs[p.name] = None if rng.random() < 0.3 else self.text()
            elif p.kind is VarKind.GUID:
                kwargs[p.name] = rng.choice(self.groups) if self.groups and rng.random() < 0.3 else uuid.UUID(
                    int=rng.getrandbits(128))
            elif p.kind is VarKind.OUTBUF:
                kwargs[p.name] = rng.randbytes(rng.randint(0, 24))
        return cls(**kwargs)

    def valid_request(self) -> bytes:
        """A valid REQUEST: a fresh one now and then, else one of the pool of fresh ones made so far (with
        a new sequence), which keeps the generator fast enough for a million frames."""
        if len(self._pool) < 2048 or self.rng.random() < 0.1:
            frame = self.fresh_request()
            if len(self._pool) < 2048:
                self._pool.append(frame)
            else:
                self._pool[self.rng.randrange(2048)] = frame
            return frame
        frame = self.rng.choice(self._pool)
        return frame[:8] + struct.pack("<I", self.rng.randint(1, 1 << 20)) + frame[12:]

    def fresh_request(self) -> bytes:
        while True:
            seq = self.u32() if self.rng.random() < 0.2 else self.rng.randint(1, 1 << 20)
            try:
                return codec.encode(m.Request(seq, self.body()))
            except (LocalProtocolError, ValueError, TypeError, OverflowError):
                continue  # a drawn value the encoder refuses (e.g. a sequence or code out of range)

    def mutation(self) -> Mutation:
        rng = self.rng
        op = rng.choice(_OPS)
        if op == "dword":
            return Mutation(op, rng.randint(0, 1 << 16), self.u32())
        if op == "length":
            return Mutation(op, 0, rng.randint(0, 32))
        if op == "kind":
            return Mutation(op, 0, rng.choice((0, 1, 2, 3, 4, 5, 6, 0xFFFF)))
        if op == "byte":
            return Mutation(op, rng.randint(0, 1 << 16), rng.randint(0, 255))
        if op == "truncate":
            return Mutation(op, rng.randint(0, 1 << 16), 0)
        return Mutation(op, rng.randint(0, 1 << 16), 0, rng.randbytes(rng.randint(1, 16)))

    def mutated_request(self) -> bytes:
        frame = self.valid_request()
        edits = [self.mutation() for _ in range(self.rng.randint(1, 4))]
        keep = self.rng.random() < self.keep_framing
        for edit in edits:
            if keep and edit.op in ("length", "kind", "truncate"):
                continue
            frame = edit.apply(frame)
        if keep and len(frame) >= 12:  # the framing back as it was: the TAPI32_MSG is what is fuzzed
            frame = struct.pack("<IH", len(frame) - 4, 1) + frame[6:]
        return frame

    # -- sessions ----------------------------------------------------------------------------------
    def session(self) -> Session:
        rng = self.rng
        oracle = Connection(Role.SERVER)
        duty = _Duty()
        pieces: list[bytes] = []
        r = rng.random()
        first = self.hello if r < 0.95 else b"" if r < 0.97 else Mutation("byte", rng.randint(4, 12),
                                                                         rng.randint(0, 255)).apply(self.hello)
        pieces.append(first)
        mutated = 1 if first not in (self.hello, b"") else 0
        frames = 1 if first else 0
        if duty.feed(oracle, first):
            for _ in range(rng.randint(1, self.max_frames)):
                r = rng.random()
                if r < self.mutated_share:
                    piece = self.mutated_request()
                    mutated += 1
                elif r < self.mutated_share + 0.005:
                    piece = rng.randbytes(rng.randint(1, 64))
                    mutated += 1
                else:
                    piece = self.valid_request()
                pieces.append(piece)
                frames += 1
                if not duty.feed(oracle, piece):
                    break
        if not duty.stopped:
            duty.feed(oracle, b"")  # EOF
        return Session(pieces, duty.reaction(), frames, mutated)


class _Duty:
    """What the server owes so far (mirrors :func:`fuzz.frames.server_reaction`, fed piece by piece)."""

    def __init__(self) -> None:
        self.hello = False
        self.responses: Counter[int] = Counter()
        self.requests = 0
        self.error = None
        self.client_error = False
        self.stopped = False

    def feed(self, oracle: Connection, data: bytes) -> bool:
        """Feed ``data`` (b"" = EOF); False once the server must stop reading."""
        if self.stopped:
            return False
        oracle.receive_data(data)
        try:
            while True:
                event = oracle.next_event()
                if event is NEED_DATA:
                    return True
                if event is CLOSED:
                    self.stopped = True
                    return False
                if isinstance(event, m.Hello):
                    self.hello = True
                elif isinstance(event, m.Request):
                    self.responses[event.sequence] += 1
                    self.requests += 1
                elif isinstance(event, m.Error):
                    self.client_error = True
                    self.stopped = True
                    return False
        except ProtocolError as err:
            self.error = err.code
            self.stopped = True
            return False

    def reaction(self) -> Reaction:
        return Reaction(self.hello, self.responses, self.error, self.requests, client_error=self.client_error)
