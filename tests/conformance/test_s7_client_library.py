"""tapi-facts §4/§5.4/§5.5 and wire-protocol §2: the ``client`` library against the server under test.

These cases use the ``client`` package (TAPI2's Line API and TAPI3's ITAgentSession objects) instead of the
raw frame client, because they are about what the library makes of the server's answers. They still judge
the bytes independently: the library runs over :class:`WireTap`, a trio stream that records every byte
each way, and the cases parse those bytes with the suite's own ``struct`` layouts (``spec.py``,
``rawclient.py``) to count round trips and to derive what the library should have reported.

Every case creates its own agents and sessions (fresh agent IDs in Sales, which the suite never routes
calls to, and ends them); the one case that routes a call does so in Support through the ``support``
fixture. The timeout case runs against a second emulator with fault rules (skipped with ``--tsp``), as
``test_s5_faults.py`` does.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import struct
import uuid
from decimal import Decimal
from typing import AsyncIterator, Callable

import pytest
import trio

import client
from client.objects import SESSION_STATISTICS

from . import spec
from .process import start_server
from .rawclient import RawConnection, Record, split_records
from .tapi import App

S2 = pytest.mark.spec("wire-protocol §2")
S4 = pytest.mark.spec("tapi-facts §4")
S54 = pytest.mark.spec("tapi-facts §5.4")
S55 = pytest.mark.spec("tapi-facts §5.5")

HEADER = struct.Struct("<IHHI")  # wire-protocol §1: length, kind, flags, sequence

#: AGENT_SESSION_STATE (ASST_) and AGENT_SESSION_EVENT (ASE_) numbers, transcribed from tapi-facts §3.3.
ASST = {"NOT_READY": 0, "READY": 1, "BUSY_ON_CALL": 2, "BUSY_WRAPUP": 3, "SESSION_ENDED": 4}
ASE = {"NEW_SESSION": 0, "NOT_READY": 1, "READY": 2, "BUSY": 3, "WRAPUP": 4, "END": 5}
#: The new LINEAGENTSESSIONSTATE_ of a STATE event -> the AGENT_SESSION_EVENT it stands for (tapi-facts §3.3,
#: §4, by name; RELEASED has no twin and reads as END as docs/client.md says).
STATE_EVENT = {spec.NOTREADY: ASE["NOT_READY"], spec.READY: ASE["READY"], spec.BUSYONCALL: ASE["BUSY"],
               spec.BUSYWRAPUP: ASE["WRAPUP"], spec.ENDED: ASE["END"], spec.RELEASED: ASE["END"]}
TAPI_E_TIMEOUT = 0x80040044  # tapi-facts §3.2
E_INVALIDARG = 0x80070057

#: ITAgentSession getter -> (LINEAGENTSESSIONINFO field, conversion of the raw value to what the getter
#: returns): DATE -> aware UTC datetime, CY -> Decimal calls per hour, LONG as is (tapi-facts §4).
GETTER_FIELDS: dict[str, tuple[str, Callable[[float | int], object]]] = {
    "get_SessionStartTime": ("dateSessionStartTime", lambda d: spec.OLE_EPOCH + _dt.timedelta(days=d)),
    "get_SessionDuration": ("dwSessionDuration", int),
    "get_NumberOfCalls": ("dwNumberOfCalls", int),
    "get_TotalTalkTime": ("dwTotalTalkTime", int),
    "get_AverageTalkTime": ("dwAverageTalkTime", int),
    "get_TotalCallTime": ("dwTotalCallTime", int),
    "get_AverageCallTime": ("dwAverageCallTime", int),
    "get_TotalWrapUpTime": ("dwTotalWrapUpTime", int),
    "get_AverageWrapUpTime": ("dwAverageWrapUpTime", int),
    "get_ACDCallRate": ("cyACDCallRate", lambda cy: Decimal(int(cy)) / 10000),
    "get_LongestTimeToAnswer": ("dwLongestTimeToAnswer", int),
    "get_AverageTimeToAnswer": ("dwAverageTimeToAnswer", int),
}


def fresh_id(tag: str) -> str:
    return f"cf-{tag}-{uuid.uuid4().hex[:10]}"


# ---------------------------------------------------------------------------------------------- the wire tap
class WireTap(trio.abc.Stream):
    """A trio stream around the TCP stream that keeps a copy of every byte sent and received, so a case can
    see the frames the library exchanged (parsed here with ``struct``, not with our ``protocol`` package)."""

    def __init__(self, inner: trio.abc.Stream) -> None:
        self.inner = inner
        self.sent = bytearray()
        self.received = bytearray()

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        self.sent += data
        await self.inner.send_all(data)

    async def wait_send_all_might_not_block(self) -> None:
        await self.inner.wait_send_all_might_not_block()

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        data = await self.inner.receive_some(max_bytes)
        self.received += data
        return data

    async def aclose(self) -> None:
        await self.inner.aclose()

    @staticmethod
    def _frames(buf: bytes | bytearray) -> list[tuple[int, int, bytes]]:
        """Complete frames (kind, sequence, body) in ``buf``; a partial frame at the end is left out."""
        out, pos = [], 0
        while len(buf) - pos >= 12:
            length, kind, _flags, sequence = HEADER.unpack_from(buf, pos)
            if len(buf) - pos - 4 < length:
                break
            out.append((kind, sequence, bytes(buf[pos + 12 : pos + 4 + length])))
            pos += 4 + length
        return out

    def requests(self, func: int, **params: int) -> list[tuple[int, bytes]]:
        """(sequence, TAPI32_MSG) of every REQUEST sent with Req_Func ``func`` whose DWORDs match ``params``
        (``p16=h`` means the DWORD at offset 16 is ``h``)."""
        found = []
        for kind, sequence, body in self._frames(self.sent):
            if kind != spec.REQUEST or struct.unpack_from("<I", body, 0)[0] != func:
                continue
            if all(struct.unpack_from("<I", body, int(k[1:]))[0] == v for k, v in params.items()):
                found.append((sequence, body))
        return found

    def response_ack(self, sequence: int) -> int | None:
        """Ack_ReturnValue of the RESPONSE with ``sequence`` (the request ID of an async request)."""
        for kind, seq, body in self._frames(self.received):
            if kind == spec.RESPONSE and seq == sequence:
                return struct.unpack_from("<I", body, 0)[0]
        return None

    def records(self, msg: int | None = None) -> list[Record]:
        """Every ASYNCEVENTMSG record received in EVENTS frames (only Msg ``msg`` when given)."""
        out: list[Record] = []
        for kind, _seq, body in self._frames(self.received):
            if kind == spec.EVENTS:
                out.extend(r for r in split_records(body)[0] if msg is None or r.msg == msg)
        return out

    def reply_for(self, sequence: int) -> Record | None:
        """The LINE_REPLY completing the async REQUEST with ``sequence``, if it arrived."""
        rid = self.response_ack(sequence)
        if rid is None or spec.is_lineerr(rid):
            return None
        return next((r for r in self.records(spec.LINE_REPLY) if r.param1 == rid), None)


#: A case's whole library block must finish within this many --tsp-timeout periods (a backstop: a server
#: that never answers a Line API call, which has no deadline of its own, fails the case instead of hanging).
CASE_PERIODS = 6


@contextlib.asynccontextmanager
async def library(address: tuple[str, int], tsp_timeout: float, *, case_deadline: bool = True,
                  **kwargs: object) -> AsyncIterator[tuple[client.Tapi, WireTap]]:
    """``client.connect_stream`` over a tapped TCP connection to ``address`` (HELLO + lineInitialize).

    With ``case_deadline`` (the default) TAPI3 object calls get ``request_timeout=tsp_timeout`` unless the
    case passes its own (a missing answer then fails the case with TAPI_E_TIMEOUT naming the function, not
    after two minutes); the whole block is bounded by ``CASE_PERIODS * tsp_timeout`` either way."""
    if case_deadline:
        kwargs.setdefault("request_timeout", tsp_timeout)
    limit = CASE_PERIODS * tsp_timeout
    try:
        with trio.fail_after(limit):
            tap = WireTap(await trio.open_tcp_stream(*address))
            async with client.connect_stream(tap, **kwargs) as tapi:  # type: ignore[arg-type]
                yield tapi, tap
    except trio.TooSlowError:
        pytest.fail(f"the library's calls did not finish within {limit} s (a request without an answer?)",
                    pytrace=False)


async def wait_until(ready: Callable[[], object], what: str, timeout: float) -> None:
    """Let the library's reader run until ``ready()`` is true; fail naming ``what`` after ``timeout``."""
    with trio.move_on_after(timeout):
        while not ready():
            await trio.sleep(0.005)
        return
    pytest.fail(f"no {what} within {timeout} s")


async def collect_pairs(sub, stop: Callable[[object, object], bool], what: str, timeout: float) -> list:
    """(session, event) pairs from a subscription up to and including the first for which ``stop`` holds."""
    pairs = []
    with trio.move_on_after(timeout):
        async for session, event in sub:
            pairs.append((session, event))
            if stop(session, event):
                return pairs
    pytest.fail(f"no {what} within {timeout} s; pairs so far: {[(s.handle, int(e)) for s, e in pairs]}")


def expected_pairs(records: list[Record], h_session: int) -> list[tuple[int, int]]:
    """The (hAgentSession, AGENT_SESSION_EVENT) pairs TAPI3 reports for the LINE_AGENTSESSIONSTATUS records
    of one session: NEWSESSION -> NEW_SESSION, then STATE -> the new state's event; UPDATEINFO alone none."""
    out = []
    for r in records:
        if r.msg != spec.LINE_AGENTSESSIONSTATUS or r.param1 != h_session:
            continue
        if r.param2 & spec.STATUS_NEWSESSION:
            out.append((h_session, ASE["NEW_SESSION"]))
        if r.param2 & spec.STATUS_STATE:
            out.append((h_session, STATE_EVENT.get(r.param3, -1)))
    return out


def session_state(app: App, h_session: int) -> int:
    return int(app.session_info(h_session)["dwAgentSessionState"])


# ---------------------------------------------------------------------------------------------- wire-protocol §2
@S2
async def test_s7_line_api_round_trip(tsp_address, tsp_timeout, app):
    """wire-protocol §2 through the library's Line API: Initialize/NegotiateAPIVersion/Open, CreateAgent
    (same hAgent as the raw client gets for a scenario ID; wrong PIN -> LINEERR_INVALPASSWORD as a
    LineError), CreateAgentSession (NOTREADY), GetAgentSessionInfo, GetAgentInfo, GetAgentSessionList
    (contains the session with its group), GetQueueInfo, GetGroupList (Sales and Support by name),
    SetAgentSessionState (ENDED), each with the sizes of tapi-facts §2 and the values the raw client reads."""
    sales, support = uuid.UUID(spec.SALES), uuid.UUID(spec.SUPPORT)
    t = tsp_timeout  # the Line API waits as long as it takes unless given a timeout (TAPI2)
    async with library(tsp_address, tsp_timeout) as (tapi, tap):
        assert tapi.hline_app != 0 and tapi.num_devs == spec.SCENARIO_LINES, (tapi.hline_app, tapi.num_devs)
        line = await tapi.open_line(0)
        assert line.hline != 0
        assert spec.API_AGENT <= line.api_version <= spec.API_MAX, f"negotiated {line.api_version:#x}"

        h_1001 = app.agent(spec.AGENT_PIN_ID, spec.AGENT_PIN)
        agent_1001 = await line.create_agent(spec.AGENT_PIN_ID, pin=spec.AGENT_PIN, timeout=t)
        assert agent_1001.handle == h_1001, f"hAgent {agent_1001.handle:#x} via the library, {h_1001:#x} raw"
        with pytest.raises(client.LineError) as wrong_pin:
            await line.create_agent(spec.AGENT_PIN_ID, pin="0000", timeout=t)
        assert wrong_pin.value.raw == spec.INVALPASSWORD == wrong_pin.value.hresult, str(wrong_pin.value)

        agent = await line.create_agent(fresh_id("lib"), timeout=t)
        session = await line.create_agent_session(agent, sales, timeout=t)
        assert agent.handle != 0 and session.handle != 0
        info = await line.get_agent_session_info(session, timeout=t)
        assert (info.total_size, info.needed_size, info.used_size) == (76, 76, 76)
        assert int(info.state) == spec.NOTREADY == session_state(app, session.handle)

        agent_info = await line.get_agent_info(agent, timeout=t)
        assert agent_info.total_size == 56 and agent_info.number_of_acd_calls == 0, agent_info
        sessions = await line.get_agent_session_list(agent, timeout=t)
        assert [(e.hagent_session, e.hagent, e.group_id) for e in sessions.entries] == [
            (session.handle, agent.handle, sales)], sessions
        queue = await line.get_queue_info(spec.SALES_QUEUE, timeout=t)
        assert queue.total_size == 52, queue
        groups = {e.group_id: e.name for e in (await line.get_group_list(timeout=t)).entries}
        assert groups.get(sales) == spec.SALES_NAME and groups.get(support) == spec.SUPPORT_NAME, groups

        await line.set_agent_session_state(session, spec.ENDED, timeout=t)
        assert int((await line.get_agent_session_info(session, timeout=t)).state) == spec.ENDED
        assert session_state(app, session.handle) == spec.ENDED
        # one REQUEST per call, with the Req_Func of the §2 table
        for func, count in ((spec.CREATEAGENTSESSION, 1), (spec.GETAGENTSESSIONINFO, 2),
                            (spec.GETAGENTINFO, 1), (spec.GETQUEUEINFO, 1), (spec.SETAGENTSESSIONSTATE, 1)):
            assert len(tap.requests(func)) == count, f"Req_Func {func}: {len(tap.requests(func))} REQUESTs"
        await line.close()
        assert tapi.connection.pending_requests == 0


# ---------------------------------------------------------------------------------------------- tapi-facts §5.5
@S55
async def test_s7_each_getter_is_one_round_trip(tsp_address, tsp_timeout):
    """tapi-facts §5.5 (and §4's table): each of the 12 ITAgentSession statistic getters, called twice,
    issues a new GetAgentSessionInfo (Req_Func 149) for its hAgentSession every time — one REQUEST, one
    LINE_REPLY — and returns the field of *that* LINE_REPLY's LINEAGENTSESSIONINFO (DATE as a UTC
    datetime, CY / 10,000 as calls per hour)."""
    async with library(tsp_address, tsp_timeout) as (tapi, tap):
        line = await tapi.open_line(0)
        agent = await line.create_agent(fresh_id("get"))
        session = await agent.CreateSession(uuid.UUID(spec.SALES))
        try:
            assert [name for name, _ in SESSION_STATISTICS] == list(GETTER_FIELDS), "the 12 getters of tapi-facts §4"
            for name, (field, convert) in list(GETTER_FIELDS.items()) * 2:
                before = tap.requests(spec.GETAGENTSESSIONINFO, p20=session.handle)
                value = await getattr(session, name)()
                after = tap.requests(spec.GETAGENTSESSIONINFO, p20=session.handle)
                assert len(after) == len(before) + 1, f"{name}() sent {len(after) - len(before)} GetAgentSessionInfo"
                reply = tap.reply_for(after[-1][0])
                assert reply is not None and reply.param2 == 0, f"{name}(): no successful LINE_REPLY on the wire"
                raw = dict(zip(spec.AGENTSESSIONINFO_FIELDS, spec.AGENTSESSIONINFO.unpack_from(reply.data, 0)))
                expected = convert(raw[field])
                if isinstance(expected, _dt.datetime):
                    assert abs(value - expected) < _dt.timedelta(milliseconds=1), (name, value, expected)
                else:
                    assert value == expected, f"{name}() = {value!r}, the LINE_REPLY's {field} gives {expected!r}"
        finally:
            await session.put_State(client.AgentSessionStateASST.SESSION_ENDED)


@S55
async def test_s7_getter_sees_time_pass_without_an_event(tsp_address, tsp_timeout, control):
    """tapi-facts §5.5: getters refresh rather than answer from a cache: get_SessionDuration before and
    after a 7 s EmuAdvanceClock differs by exactly 7 although no LINE_AGENTSESSIONSTATUS came for the
    session in between (a NOTREADY session in Sales changes only with time)."""
    async with library(tsp_address, tsp_timeout) as (tapi, tap):
        line = await tapi.open_line(0)
        session = await (await line.create_agent(fresh_id("dur"))).CreateSession(uuid.UUID(spec.SALES))
        try:
            first = await session.get_SessionDuration()
            mark = len(tap.records(spec.LINE_AGENTSESSIONSTATUS))
            control.advance(7)
            second = await session.get_SessionDuration()
            events = [r for r in tap.records(spec.LINE_AGENTSESSIONSTATUS)[mark:] if r.param1 == session.handle]
            assert not events, f"unexpected events for the session: {events}"
            assert second - first == 7, f"get_SessionDuration {first} then {second} after 7 s of switch clock"
        finally:
            await session.put_State(client.AgentSessionStateASST.SESSION_ENDED)


# ---------------------------------------------------------------------------------------------- tapi-facts §4
@S4
async def test_s7_put_state_maps_asst_to_lineagentsessionstate(tsp_address, tsp_timeout, app):
    """tapi-facts §4 (ASST_ vs LINEAGENTSESSIONSTATE_ by name) and §3.3: put_State sends one
    SetAgentSessionState (155) whose dwAgentSessionState is NOT_READY -> 0x01, READY -> 0x02, BUSY_ON_CALL
    -> 0x04, BUSY_WRAPUP -> 0x08, SESSION_ENDED -> 0x10 with dwNextAgentSessionState 0; the server then
    reports that state and get_State maps it back. The server's LINEERR_INVALAGENTSTATE (BUSY_*, or
    anything after ENDED, wire-protocol §4) surfaces as a LineError whose HRESULT is that LINEERR
    (0x8000005A); a value that is no AGENT_SESSION_STATE is E_INVALIDARG with nothing sent."""
    asst = client.AgentSessionStateASST
    async with library(tsp_address, tsp_timeout) as (tapi, tap):
        line = await tapi.open_line(0)
        session = await (await line.create_agent(fresh_id("put"))).CreateSession(uuid.UUID(spec.SALES))
        h = session.handle

        async def put(value, wire: int) -> None:
            before = tap.requests(spec.SETAGENTSESSIONSTATE, p16=h)
            try:
                await session.put_State(value)
            finally:
                sent = tap.requests(spec.SETAGENTSESSIONSTATE, p16=h)[len(before):]
                assert len(sent) == 1, f"put_State({value!r}) sent {len(sent)} SetAgentSessionState"
                state, next_state = struct.unpack_from("<II", sent[0][1], 20)
                assert (state, next_state) == (wire, 0), (
                    f"put_State({value!r}) sent state {state:#x} next {next_state:#x}, expected {wire:#x}, 0")

        for name, wire in (("READY", spec.READY), ("NOT_READY", spec.NOTREADY), ("READY", spec.READY)):
            assert int(asst[name]) == ASST[name]
            await put(asst[name], wire)
            assert session_state(app, h) == wire, f"after put_State({name}) the server reports {session_state(app, h):#x}"
            assert int(await session.get_State()) == ASST[name]

        for name, wire in (("BUSY_ON_CALL", spec.BUSYONCALL), ("BUSY_WRAPUP", spec.BUSYWRAPUP)):
            with pytest.raises(client.LineError) as refused:
                await put(asst[name], wire)
            assert refused.value.hresult == refused.value.raw == spec.INVALAGENTSTATE, str(refused.value)
            assert isinstance(refused.value, client.TapiError)
            assert session_state(app, h) == spec.READY

        before = len(tap.requests(spec.SETAGENTSESSIONSTATE))
        with pytest.raises(client.TapiError) as bad:
            await session.put_State(5)
        assert bad.value.hresult == E_INVALIDARG and len(tap.requests(spec.SETAGENTSESSIONSTATE)) == before

        await put(asst.SESSION_ENDED, spec.ENDED)
        assert session_state(app, h) == spec.ENDED
        assert int(await session.get_State()) == ASST["SESSION_ENDED"]
        with pytest.raises(client.LineError) as final:
            await put(asst.READY, spec.READY)
        assert final.value.hresult == spec.INVALAGENTSTATE, f"put_State(READY) after ENDED: {final.value}"


@S4
async def test_s7_session_events_are_session_event_pairs(tsp_address, tsp_timeout, make_app, support):
    """tapi-facts §4 Events (TE_AGENTSESSION carrying the session and an AGENT_SESSION_EVENT) over
    wire-protocol §2 Events: agent_session_events() yields (ITAgentSession, AgentSessionEvent) pairs, the
    session being the very object CreateSession returned, exactly as the LINE_AGENTSESSIONSTATUS records
    on the wire say (NEWSESSION -> NEW_SESSION, STATE -> the new state's event, UPDATEINFO alone nothing).
    Agent 2001 (answer 3 s, wrap-up 10 s) in Support goes READY, takes a 5 s call, wraps up, is READY again
    and ends: READY, BUSY, WRAPUP, READY, END in that order."""
    clock = support.clock
    async with library(tsp_address, tsp_timeout) as (tapi, tap):
        line = await tapi.open_line(1)
        async with tapi.agent_session_events() as sub:
            agent = await line.create_agent(spec.AGENT_STATS_ID)
            session = await agent.CreateSession(uuid.UUID(spec.SUPPORT))
            support.sessions.append((clock, session.handle))  # ended by the fixture whatever happens
            await session.put_State(client.AgentSessionStateASST.READY)
            clock.offer_call(spec.SUPPORT, 5)
            clock.advance(18)  # answered at 3, hung up at 8, wrap-up until 18, then READY
            await session.put_State(client.AgentSessionStateASST.SESSION_ENDED)
            pairs = await collect_pairs(sub, lambda s, e: s is session and int(e) == ASE["END"],
                                        "END pair for the session", tsp_timeout)
        mine = [(s, int(e)) for s, e in pairs if s.handle == session.handle]
        assert all(s is session for s, _ in mine), "a pair carries another object for the same hAgentSession"
        got = [(s.handle, e) for s, e in mine]
        wire = expected_pairs(tap.records(), session.handle)
        assert got == wire, f"pairs {got}, the wire's LINE_AGENTSESSIONSTATUS records give {wire}"
        assert got and got[0][1] == ASE["NEW_SESSION"], f"first pair {got[:1]}, expected NEW_SESSION"
        states = [e for _, e in got if e not in (ASE["NEW_SESSION"], ASE["NOT_READY"])]
        assert states == [ASE[n] for n in ("READY", "BUSY", "WRAPUP", "READY", "END")], f"state events {states}"
        updates = [r for r in tap.records(spec.LINE_AGENTSESSIONSTATUS)
                   if r.param1 == session.handle and r.param2 == spec.STATUS_UPDATEINFO]
        assert updates, "no UPDATEINFO-only record (the answer at 3 s) to show it yields no pair"


@S4
async def test_s7_event_for_another_applications_session(tsp_address, tsp_timeout, make_app):
    """tapi-facts §4 Events, wire-protocol §2 Events: a session that another connection creates on a line
    the library has open arrives as (ITAgentSession, NEW_SESSION) with that hAgentSession (its agent not
    known to this client, get_Agent -> E_UNEXPECTED), and its end as (the same object, END)."""
    other = make_app(0)
    async with library(tsp_address, tsp_timeout) as (tapi, _tap):
        await tapi.open_line(0)
        async with tapi.agent_session_events() as sub:
            h_session = other.session(other.agent(fresh_id("oth")), spec.SALES)
            try:
                first = await collect_pairs(sub, lambda s, e: s.handle == h_session, "pair for the new session",
                                            tsp_timeout)
            finally:
                other.set_state(h_session, spec.ENDED).expect_ok("SetAgentSessionState(ENDED)")
            session, event = first[-1]
            assert int(event) == ASE["NEW_SESSION"], f"first pair of another application's session: {event!r}"
            assert session.agent is None
            with pytest.raises(client.TapiError) as unknown:
                await session.get_Agent()
            assert unknown.value.hresult == 0x8000FFFF  # E_UNEXPECTED
            last = await collect_pairs(sub, lambda s, e: s.handle == h_session and int(e) == ASE["END"],
                                       "END pair", tsp_timeout)
            assert last[-1][0] is session


# ---------------------------------------------------------------------------------------------- tapi-facts §5.4
FAULT_SCENARIO = f"""
[switch]
name = "Client timeout"
lines = 1
start = "2026-11-26T09:00:00Z"
seed = 5

[[groups]]
id = "{spec.SALES}"
name = "Sales"
queue = 1

[[agents]]
id = "3001"

[[faults]]
function = 149
mode = "delay"
seconds = 130

[[faults]]
function = 155
mode = "drop"
"""
SHORT_DEADLINE = 1.0


@pytest.fixture(scope="module")
def silent_server(request, tmp_path_factory):
    """Our emulator with a 130 s delay on every GetAgentSessionInfo reply and no SetAgentSessionState reply
    at all (wire-protocol §5 faults); only without --tsp."""
    if request.config.getoption("--tsp"):
        pytest.skip("needs our emulator with a fault scenario (a server whose LINE_REPLY never comes); "
                    "not applicable with --tsp")
    path = tmp_path_factory.mktemp("client-timeout") / "faults.toml"
    path.write_text(FAULT_SCENARIO)
    server = start_server(scenario=path)
    yield server
    server.stop()


@S54
async def test_s7_no_reply_gives_tapi_e_timeout(silent_server, tsp_timeout):
    """tapi-facts §5.4: a getter or put_State whose LINE_REPLY does not come raises TAPI_E_TIMEOUT
    (0x80040044) once the deadline passes, leaves nothing pending, drops the late LINE_REPLY quietly, and the
    connection stays usable. The mechanism is shown with the documented ``request_timeout`` of
    client.connect (1 s here) against an emulator that delays 149's reply by 130 s of its manual clock and
    drops 155's; the 120 s value itself is checked in tests/unit and tests/integration under
    autojump_clock (and the default is checked by test_s7_default_deadline_is_two_minutes)."""
    asst = client.AgentSessionStateASST
    clock = App(RawConnection(silent_server.address, tsp_timeout))
    try:
        clock.conn.hello()
        assert clock.initialize().ack == 0
        async with library(silent_server.address, tsp_timeout, request_timeout=SHORT_DEADLINE) as (tapi, tap):
            line = await tapi.open_line(0)
            agent = await line.create_agent("3001")
            session = await agent.CreateSession(uuid.UUID(spec.SALES))

            with pytest.raises(client.TapiTimeoutError) as late:
                await session.get_TotalTalkTime()
            assert late.value.hresult == TAPI_E_TIMEOUT, f"hresult {late.value.hresult:#x}"
            assert late.value.seconds == SHORT_DEADLINE
            sent = tap.requests(spec.GETAGENTSESSIONINFO, p20=session.handle)
            assert len(sent) == 1 and tap.reply_for(sent[0][0]) is None, "one round trip, no reply yet"
            assert tapi.connection.pending_requests == 0, "the timed-out request is still pending"

            clock.advance(130)  # the delayed LINE_REPLY is sent now, after the deadline
            await wait_until(lambda: tap.reply_for(sent[0][0]) is not None, "late LINE_REPLY of 149", tsp_timeout)
            await wait_until(lambda: tapi.connection.late_frames >= 1, "late frame count", tsp_timeout)
            assert tapi.connection.pending_requests == 0 and not tapi.connection.closed

            with pytest.raises(client.TapiTimeoutError) as dropped:
                await session.put_State(asst.READY)
            assert dropped.value.hresult == TAPI_E_TIMEOUT
            assert len(tap.requests(spec.SETAGENTSESSIONSTATE, p16=session.handle)) == 1
            assert tapi.connection.pending_requests == 0

            assert await agent.get_NumberOfACDCalls() == 0, "GetAgentInfo (no fault) after the timeouts"
    finally:
        clock.conn.close()


@S54
async def test_s7_default_deadline_is_two_minutes(tsp_address, tsp_timeout):
    """tapi-facts §5.4: without ``request_timeout`` a connection's TAPI3 deadline is TAPI3's two minutes
    (120 s) and a timeout carries TAPI_E_TIMEOUT = 0x80040044 (the 120 s expiry itself is exercised in
    tests/unit and tests/integration under autojump_clock)."""
    async with library(tsp_address, tsp_timeout, case_deadline=False) as (tapi, _tap):
        assert tapi.request_timeout == 120.0 == client.REQUEST_TIMEOUT
    assert client.TAPI_E_TIMEOUT == TAPI_E_TIMEOUT
