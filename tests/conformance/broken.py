"""Deliberately broken server variants: a byte-level man-in-the-middle proxy that flips one behaviour.

``BrokenProxy(upstream, variant)`` listens on 127.0.0.1 (a free port), and for every client connection
opens one to the real server and relays frames both ways, parsing them with ``struct`` and changing
exactly one thing, chosen by ``variant``:

============== ==============================================================================================
none           nothing (proves the proxy itself is transparent)
date4          LINEAGENTSESSIONINFO in LINE_REPLYs rewritten to MS-TRP's drawing with 4-byte DATE and CY
               (68 bytes; needed = used = 68; Param4 68)
cy_unscaled    cyACDCallRate sent as plain calls per hour (not x 10,000)
reply_first    the RESPONSE of an async request is held back until its LINE_REPLY has been delivered
no_fanout      LINE_AGENTSESSIONSTATUS reaches only the connection that created the session
bad_sequence   the 50th RESPONSE on each connection carries sequence + 1
no_close       after an ERROR frame the connection is left open instead of being closed
hdevice_hline  LINE_REPLY's hDevice is the server's hLine instead of the client's hRemoteLine
queue_name_rel LINEQUEUELIST (GetQueueList, 153) entries' dwNameOffset counted from the entry instead of
               from the start of the list (the other reading of "from the beginning of the structure")
status_name_rel LINEAGENTSTATUS (GetAgentStatus, 27) group entries' dwNameOffset counted from the entry
               instead of from the start of the LINEAGENTSTATUS (wire-protocol §8.2)
no_agentstatus LINE_AGENTSTATUS (22) is never delivered
no_acd_events  LINE_AGENTSTATUSEX (29) and LINE_QUEUESTATUS (28) are never delivered
caps_features  LINEAGENTCAPS (GetAgentCaps, 25) dwFeatures sent as 0
callstate_w32  LINE_CALLSTATE in the Win32 callback's placement: the state detail in Param2 (not offset 8),
               the privilege in Param3 (wire-protocol §9.1 follows MS-TRP)
no_appnewcall  LINE_APPNEWCALL records are not sent (a client learns of a call only from LINE_CALLSTATE)
sync_size_kept the RESPONSE of a sync Get* call function (30, 31, 21, 23, 34, 38) keeps a nonzero size
               DWORD instead of the structure's VarData offset 0
makecall_plain the MakeCall completion as an ordinary LINE_REPLY (Param3 lphCallContext, Param4 16, the
               hCall and the IDs as data) instead of call-facts §1.2's layout
group_twice    1.0's several live sessions of one agent in one group, as a client sees them: a CreateAgentSession
               refused with INVALAGENTGROUP for an (hAgent, GroupID) this connection already created a session
               for completes successfully instead, with that earlier hAgentSession (wire-protocol §7.1)
============== ==============================================================================================

The meta cases (test_meta_broken.py) run conformance cases through each variant and assert that the cases
checking that behaviour fail while unrelated cases still pass.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from dataclasses import dataclass, field

from . import spec

HEADER = struct.Struct("<IHHI")
VARIANTS = ("none", "date4", "cy_unscaled", "reply_first", "no_fanout", "bad_sequence", "no_close", "hdevice_hline",
            "queue_name_rel", "status_name_rel", "no_agentstatus", "no_acd_events", "caps_features",
            "callstate_w32", "no_appnewcall", "sync_size_kept", "makecall_plain", "group_twice")
#: wire-protocol §9.2: asynchronous call functions (for the request-ID bookkeeping) and the sync Get* ones.
CALL_ASYNC_FUNCS = frozenset({7, 8, 16, 46, 48, 60, 89})
CALL_SYNC_GETS = {30: 12, 31: 12, 21: 28, 23: 16, 34: 24, 38: 12}  # Req_Func -> offset of its size DWORD
MAKECALL, LINE_CALLSTATE, LINE_APPNEWCALL = 48, 2, 23
HOLD_SECONDS = 0.5


class _Reader:
    """Buffered frame reader with a poll timeout that never loses a partial frame."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()
        self.eof = False

    def poll(self, timeout: float | None) -> tuple[int, int, int, bytes] | None:
        """A frame (kind, flags, sequence, body), None on timeout; raises EOFError at the end."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if len(self.buf) >= 4:
                length = struct.unpack_from("<I", self.buf, 0)[0]
                if not spec.MIN_LENGTH <= length <= spec.MAX_LENGTH:
                    raise _RawTail(bytes(self.buf))  # not a frame the relay can parse: pass the rest on raw
                if len(self.buf) >= 4 + length:
                    _, kind, flags, seq = HEADER.unpack_from(self.buf, 0)
                    body = bytes(self.buf[12 : 4 + length])
                    del self.buf[: 4 + length]
                    return kind, flags, seq, body
            if self.eof:
                raise EOFError
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.sock.settimeout(remaining)
            else:
                self.sock.settimeout(None)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            except OSError:
                chunk = b""
            if not chunk:
                if self.buf:  # a frame the relay cannot parse (malformed on purpose): pass it through raw
                    raise _RawTail(bytes(self.buf))
                self.eof = True
                raise EOFError
            self.buf += chunk


class _RawTail(Exception):
    def __init__(self, data: bytes) -> None:
        super().__init__("unparsed bytes at the end of the stream")
        self.data = data


def _frame(kind: int, flags: int, seq: int, body: bytes) -> bytes:
    return HEADER.pack(8 + len(body), kind, flags, seq) + body


@dataclass
class _Pipe:
    """One client connection relayed to one upstream connection."""

    proxy: "BrokenProxy"
    index: int
    client: socket.socket
    upstream: socket.socket
    funcs: dict[int, int] = field(default_factory=dict)  # REQUEST sequence -> Req_Func
    remotes: dict[int, int] = field(default_factory=dict)  # Open sequence -> hRemoteLine
    line_of_remote: dict[int, int] = field(default_factory=dict)  # hRemoteLine -> hLine
    ids: dict[int, int] = field(default_factory=dict)  # request ID -> Req_Func
    held: dict[int, tuple[bytes, float]] = field(default_factory=dict)  # request ID -> RESPONSE, deadline
    responses: int = 0
    session_pairs: dict[int, tuple[int, bytes]] = field(default_factory=dict)  # seq, then request ID -> pair
    created_pairs: dict[tuple[int, bytes], bytes] = field(default_factory=dict)  # pair -> success Param4 + data
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        threading.Thread(target=self._client_to_server, daemon=True).start()
        threading.Thread(target=self._server_to_client, daemon=True).start()

    # ------------------------------------------------------------------ client -> server: bookkeeping only
    def _client_to_server(self) -> None:
        """Forward every chunk unchanged as it comes; parse a copy only to learn sequences and Open's hRemoteLine."""
        side = bytearray()
        parsing = True
        try:
            while True:
                chunk = self.client.recv(65536)
                if not chunk:
                    break
                if parsing:  # bookkeeping before forwarding, so it is ready when the RESPONSE comes back
                    side += chunk
                while parsing and len(side) >= 12:
                    length, kind, _, seq = HEADER.unpack_from(side, 0)
                    if not spec.MIN_LENGTH <= length <= spec.MAX_LENGTH:
                        parsing = False
                        break
                    if len(side) < 4 + length:
                        break
                    body = bytes(side[12 : 4 + length])
                    del side[: 4 + length]
                    if kind == spec.REQUEST and len(body) >= 60:
                        func = struct.unpack_from("<I", body, 0)[0]
                        with self.lock:
                            self.funcs[seq] = func
                            if func == spec.OPEN:
                                self.remotes[seq] = struct.unpack_from("<I", body, 52)[0]
                            if func == spec.CREATEAGENTSESSION:  # (hAgent at 20, the GroupID in VarData at 32)
                                g_off = 60 + struct.unpack_from("<I", body, 32)[0]
                                pair = (struct.unpack_from("<I", body, 20)[0], body[g_off : g_off + 16])
                                self.session_pairs[seq] = pair
                self.upstream.sendall(chunk)
        except OSError:
            pass
        try:
            self.upstream.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    # ------------------------------------------------------------------ server -> client: the one flip
    def _server_to_client(self) -> None:
        variant = self.proxy.variant
        reader = _Reader(self.upstream)
        try:
            while True:
                frame = reader.poll(0.05 if variant == "reply_first" else None)
                if frame is None:
                    self._release_held(expired_only=True)
                    continue
                kind, flags, seq, body = frame
                if kind == spec.RESPONSE:
                    out = self._response(flags, seq, body)
                elif kind == spec.EVENTS:
                    out = self._events(flags, seq, body)
                else:
                    out = _frame(kind, flags, seq, body)
                if out:
                    self.client.sendall(out)
                if kind == spec.EVENTS and variant == "reply_first":
                    self._release_held(expired_only=False, body=body)
                if kind == spec.ERROR and variant == "no_close":
                    return  # leave the client connection open: the flip
        except _RawTail as tail:
            self._raw_copy(tail.data)
        except (EOFError, OSError):
            pass
        self._release_held(expired_only=False, everything=True)
        try:
            self.client.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _raw_copy(self, first: bytes) -> None:
        """Relay the rest of the server's stream untouched (it stopped being parseable)."""
        self._send_quietly(self.client, first)
        self.upstream.settimeout(None)
        try:
            while chunk := self.upstream.recv(65536):
                self.client.sendall(chunk)
        except OSError:
            pass

    @staticmethod
    def _send_quietly(sock: socket.socket, data: bytes) -> None:
        try:
            sock.sendall(data)
        except OSError:
            pass

    def _response(self, flags: int, seq: int, body: bytes) -> bytes:
        variant = self.proxy.variant
        with self.lock:
            func = self.funcs.pop(seq, None)
            ack = struct.unpack_from("<I", body, 0)[0] if len(body) >= 4 else 0
            if (func in spec.ASYNC_FUNCS or func in CALL_ASYNC_FUNCS) and 0 < ack <= 0x7FFFFFFF:
                self.ids[ack] = func
            pair = self.session_pairs.pop(seq, None)
            if pair is not None and 0 < ack <= 0x7FFFFFFF:
                self.session_pairs[ack] = pair
            if func == spec.OPEN and ack == 0 and len(body) >= 20:
                self.line_of_remote[self.remotes.pop(seq, 0)] = struct.unpack_from("<I", body, 16)[0]
            self.responses += 1
            count = self.responses
        if variant == "sync_size_kept" and func in CALL_SYNC_GETS and ack == 0 and len(body) > 60:
            body = bytearray(body)
            struct.pack_into("<I", body, CALL_SYNC_GETS[func], len(body) - 60)
            body = bytes(body)
        if variant == "bad_sequence" and count == 50:
            seq = (seq + 1) & 0xFFFFFFFF
        out = _frame(spec.RESPONSE, flags, seq, body)
        if variant == "reply_first" and func in spec.ASYNC_FUNCS and 0 < ack <= 0x7FFFFFFF:
            with self.lock:
                self.held[ack] = (out, time.monotonic() + HOLD_SECONDS)
            return b""
        return out

    def _release_held(self, expired_only: bool, body: bytes = b"", everything: bool = False) -> None:
        replied = set()
        pos = 0
        while pos + 40 <= len(body):
            total, _, _, _, msg, _, p1 = struct.unpack_from("<7I", body, pos)
            if msg == spec.LINE_REPLY:
                replied.add(p1)
            pos += max(total, 40)
        now = time.monotonic()
        with self.lock:
            due = [rid for rid, (_, deadline) in self.held.items()
                   if everything or rid in replied or (expired_only and deadline <= now)]
            frames = [self.held.pop(rid)[0] for rid in due]
        for out in frames:
            self._send_quietly(self.client, out)

    def _events(self, flags: int, seq: int, body: bytes) -> bytes:
        records = []
        pos = 0
        while pos + 40 <= len(body):
            total = struct.unpack_from("<I", body, pos)[0]
            if total < 40 or pos + total > len(body):
                return _frame(spec.EVENTS, flags, seq, body)  # not ours to judge: pass it on
            rec = self._record(bytearray(body[pos : pos + total]))
            if rec is not None:
                records.append(bytes(rec))
            pos += total
        if not records:
            return b""
        return _frame(spec.EVENTS, flags, seq, b"".join(records))

    def _record(self, rec: bytearray) -> bytearray | None:
        variant = self.proxy.variant
        total, _, _, h_device, msg, _, p1, p2, _, p4 = struct.unpack_from("<10I", rec, 0)
        with self.lock:
            func = self.ids.get(p1) if msg == spec.LINE_REPLY else None
            if func == spec.CREATEAGENTSESSION and p2 == 0 and p4 >= 4:
                self.proxy.note_created(self.index, struct.unpack_from("<I", rec, 40)[0])
            pair = self.session_pairs.pop(p1, None) if func == spec.CREATEAGENTSESSION else None
            if pair is not None and p2 == 0 and pair not in self.created_pairs:
                self.created_pairs[pair] = bytes(rec[36:total])
            earlier = self.created_pairs.get(pair) if pair is not None and p2 == spec.INVALAGENTGROUP else None
            line = self.line_of_remote.get(h_device)
        if variant == "group_twice" and earlier is not None:
            new = bytearray(rec[:36]) + earlier
            struct.pack_into("<I", new, 0, len(new))
            struct.pack_into("<I", new, 28, 0)
            return new
        if msg == spec.LINE_REPLY and func == spec.GETAGENTSESSIONINFO and p2 == 0 and p4 >= 76:
            if variant == "date4":
                fields = spec.AGENTSESSIONINFO.unpack_from(rec, 40)
                short = list(fields)
                short[1] = short[2] = 68
                short[5] = int(fields[5])  # DATE truncated to 4 bytes (whole days)
                short[14] = max(-(2**31), min(2**31 - 1, fields[14]))  # CY as 4 bytes
                data = struct.pack("<5I I 8I i 2I", *short)
                new = bytearray(rec[:40]) + data
                struct.pack_into("<I", new, 0, 40 + len(data))
                struct.pack_into("<I", new, 36, len(data))
                return new
            if variant == "cy_unscaled":
                cy_off = 40 + 60
                cy = struct.unpack_from("<q", rec, cy_off)[0]
                struct.pack_into("<q", rec, cy_off, cy // 10000)
        if variant == "queue_name_rel" and msg == spec.LINE_REPLY and func == spec.GETQUEUELIST and p2 == 0:
            _, _, _, n, _, list_off = spec.LIST_HEADER.unpack_from(rec, 40)
            for i in range(n):
                entry = list_off + spec.QUEUE_ENTRY.size * i
                if 40 + entry + spec.QUEUE_ENTRY.size <= len(rec):
                    name_off = struct.unpack_from("<I", rec, 40 + entry + 8)[0]
                    struct.pack_into("<I", rec, 40 + entry + 8, (name_off - entry) & 0xFFFFFFFF)
        if variant == "status_name_rel" and msg == spec.LINE_REPLY and func == spec.GETAGENTSTATUS and p2 == 0:
            n, _, list_off = struct.unpack_from("<3I", rec, 40 + 12)
            for i in range(n):
                entry = list_off + spec.GROUP_ENTRY.size * i
                if 40 + entry + spec.GROUP_ENTRY.size <= len(rec):
                    name_off = struct.unpack_from("<I", rec, 40 + entry + 20)[0]
                    struct.pack_into("<I", rec, 40 + entry + 20, (name_off - entry) & 0xFFFFFFFF)
        if variant == "caps_features" and msg == spec.LINE_REPLY and func == spec.GETAGENTCAPS and p2 == 0 and p4 >= 28:
            struct.pack_into("<I", rec, 40 + 24, 0)
        if variant == "no_agentstatus" and msg == spec.LINE_AGENTSTATUS:
            return None
        if variant == "no_acd_events" and msg in (spec.LINE_AGENTSTATUSEX, spec.LINE_QUEUESTATUS):
            return None
        if variant == "callstate_w32" and msg == LINE_CALLSTATE:
            detail, privilege = struct.unpack_from("<I", rec, 8)[0], p2
            struct.pack_into("<I", rec, 8, 0)
            struct.pack_into("<2I", rec, 28, detail, privilege)
        if variant == "no_appnewcall" and msg == LINE_APPNEWCALL:
            return None
        if variant == "makecall_plain" and msg == spec.LINE_REPLY and func == MAKECALL and total == 52:
            h_call, call_context = struct.unpack_from("<2I", rec, 32)
            data = struct.pack("<I", h_call) + bytes(rec[40:52])
            new = bytearray(rec[:40]) + data
            struct.pack_into("<I", new, 0, 40 + len(data))
            struct.pack_into("<2I", new, 32, call_context, len(data))
            return new
        if variant == "hdevice_hline" and msg == spec.LINE_REPLY and line is not None:
            struct.pack_into("<I", rec, 12, line)
        if variant == "no_fanout" and msg == spec.LINE_AGENTSESSIONSTATUS and not self.proxy.created_here(self.index, p1):
            return None
        return rec


class BrokenProxy:
    """A relay in front of ``upstream`` that breaks one behaviour (see the module docstring)."""

    def __init__(self, upstream: tuple[str, int], variant: str) -> None:
        if variant not in VARIANTS:
            raise ValueError(f"unknown variant {variant!r}; known: {', '.join(VARIANTS)}")
        self.upstream = upstream
        self.variant = variant
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self._closed = threading.Event()
        self.address: tuple[str, int] = self.listener.getsockname()[:2]
        self.pipes: list[_Pipe] = []
        self._creators: dict[int, int] = {}  # hAgentSession -> pipe index
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> "BrokenProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def note_created(self, index: int, h_session: int) -> None:
        with self._lock:
            self._creators[h_session] = index

    def created_here(self, index: int, h_session: int) -> bool:
        with self._lock:
            return self._creators.get(h_session) == index

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pipe = _Pipe(self, len(self.pipes), client, upstream)
            self.pipes.append(pipe)
            pipe.start()

    def close(self) -> None:
        self._closed.set()
        self._thread.join(2)
        try:
            self.listener.close()
        except OSError:
            pass
        for pipe in self.pipes:
            for s in (pipe.client, pipe.upstream):
                try:
                    s.close()
                except OSError:
                    pass
