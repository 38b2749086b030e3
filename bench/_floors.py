"""The floors of bench/server.py: what the echo floor answers (:func:`canned_answer`), and the structural
floors - trio servers of tsp's shape without its features, the baselines that show how far a trio server
of that shape can go (``python bench/server.py`` measures them next to tsp and the echo floor)."""

from __future__ import annotations

import struct
from typing import Any

from bench._common import ServerFailed, serve_frames
from protocol import AgentSessionInfo, Events, GetAgentSessionInfo, LineReply, Response, encode, encode_struct

__all__ = ["FLOORS", "StructuralFloor", "canned_answer", "serve_structural_floor"]


def canned_answer() -> bytes:
    """RESPONSE + EVENTS(LINE_REPLY with a LINEAGENTSESSIONINFO) of one GetAgentSessionInfo, as tsp sends them
    (what the floor answers every request with)."""
    body = GetAgentSessionInfo(h_line=1, h_agent_session=1)
    info = encode_struct(AgentSessionInfo())
    return encode(Response(1, 1, body)) + encode(Events((LineReply(request_id=1, data=info),)))


# --- the structural floors: trio servers of tsp's shape, without its features ---------------------------
#
# The echo floor only splits frames. The two floors below do, per read, what tsp's fast lane must do at
# the least, in the same framework (one trio task per connection, one write per read):
#
# * ``shape``: parse each frame's header and parameters with the very struct tsp's lane uses
#   (``protocol.codec.fixed_request_frame``), check length, kind and Req_Func, look the prepared answer up
#   by Req_Func, patch the sequence number and a request ID (a counter, as tsp assigns them) into a copy;
# * ``answer``: the same, but the answer's data is built from the switch at that instant, as tsp's must be:
#   the model's ``session_figures`` (with its clock check) packed by ``tsp.wire.session_info_bytes`` and
#   the RESPONSE and LINE_REPLY packed by the lane's own packs - tsp's lane without its guard, its
#   ServerConnection and protocol.Connection bookkeeping, held answers and event fan-out.
#
# If even one of them stays below a target's share of the echo floor, no trio server of this shape reaches it.

FLOORS = ("shape", "answer")


def _patch_offsets(a: bytes, b: bytes) -> list[int]:
    """The 4-byte-aligned offsets where two encodings of one answer differ (sequence and request ID)."""
    assert len(a) == len(b)
    return [i for i in range(0, len(a), 4) if a[i : i + 4] != b[i : i + 4]]


class StructuralFloor:
    """The per-read work of the ``shape`` or ``answer`` floor (see above) for GetAgentSessionInfo, without
    I/O: :meth:`answer` takes the complete frames of a buffer and returns the bytes to write (the trio
    floor server runs it per read; ``--pipeline`` times it in-process next to tsp's lane)."""

    def __init__(self, kind: str) -> None:
        from protocol import codec
        from tsp import wire

        self.func = func = int(GetAgentSessionInfo.REQ_FUNC)
        self.frame, self.length = codec.fixed_request_frame(func)
        names = [p.name for p in GetAgentSessionInfo.PARAMS]
        self.at_size = 5 + names.index("agent_session_info_size")
        self.at_context = 5 + names.index("context")
        self.at_struct = 5 + names.index(GetAgentSessionInfo.CONTEXT_FIELD)
        body = GetAgentSessionInfo(h_line=1, h_agent_session=1)
        info = encode_struct(AgentSessionInfo())
        self.prepared = {func: canned_answer()}
        other = encode(Response(2, 2, body)) + encode(Events((LineReply(request_id=2, data=info),)))
        offsets = _patch_offsets(self.prepared[func], other)  # the RESPONSE's sequence and request ID, the LINE_REPLY's
        self.seq_at, self.id_at = offsets[0], tuple(offsets[1:])
        self.put = struct.Struct("<L").pack_into
        self.model: Any = None
        self.session = 0
        if kind == "answer":  # a switch with agent 1001's session (the one the bench's tsp connection polls)
            self.model, self.session = _one_session_switch()
        self.line_reply = codec.line_reply_frame
        self.info_bytes = wire.session_info_bytes
        self.ids = iter(range(1, 1 << 31))

    def answer(self, buf: bytearray) -> tuple[bytearray, int]:
        """The answers to the complete REQUEST frames at the start of ``buf`` and how many bytes they took."""
        frame, length, func, ids, prepared, put = self.frame, self.length, self.func, self.ids, self.prepared, self.put
        model = self.model
        out = bytearray()
        pos = 0
        while len(buf) - pos >= 4:
            n = 4 + int.from_bytes(buf[pos : pos + 4], "little")
            if len(buf) - pos < n:
                break
            values = frame.unpack_from(buf, pos)
            if values[0] != length or values[1] != 1 or values[4] != func:
                raise ServerFailed(f"not a GetAgentSessionInfo REQUEST: {values[:5]}")
            request_id = next(ids)
            if model is None:
                start = len(out)
                out += prepared[values[4]]
                put(out, start + self.seq_at, values[3])
                for off in self.id_at:
                    put(out, start + off, request_id)
            else:
                # switch time 0: the bench's tsp runs --clock manual (its clock stands still too)
                data = self.info_bytes(model, self.session, values[self.at_size], 0.0)
                out += frame.pack(length, 2, 0, values[3], request_id, *values[5:])
                out += self.line_reply(0, values[self.at_context], 1, 0, request_id, 0, values[self.at_struct], data)
            pos += n
        return out, pos


async def serve_structural_floor(kind: str, port: int = 0) -> None:
    """Run the ``shape`` or ``answer`` floor (see above) as a trio server until cancelled: HELLO answered,
    then :meth:`StructuralFloor.answer` per read, one write per read (:func:`bench._common.serve_frames`)."""
    await serve_frames(StructuralFloor(kind).answer, port)


def _one_session_switch() -> tuple[Any, int]:
    """The default scenario's switch with agent 1001 created, and its first session's handle (the
    session the bench's tsp connection polls)."""
    from tsp.model import Switch
    from tsp.scenario import default_scenario

    model = Switch(default_scenario())
    hagent = model.create_agent("1001", "1234", 0.0)
    return model, model.session_list(hagent)[0].hagent_session
