"""The Connection follows the state tables of protocol/states.py - every row, both roles."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from protocol import codec
from protocol.connection import CLOSED, NEED_DATA, Connection
from protocol.constants import ErrorCode, FrameKind
from protocol.errors import LocalProtocolError, RemoteProtocolError
from protocol.messages import Close, Error, Events, Hello, LineReply, Request, Response
from protocol.states import (
    INPUT_TRANSITIONS,
    RECEIVE_ALLOWED,
    SEND_ALLOWED,
    TRANSITIONS,
    Event,
    Input,
    InputEvent,
    Role,
    State,
)

BAD_KIND = b"\x08\x00\x00\x00\x09\x00\x00\x00\x00\x00\x00\x00"  # a frame of unknown kind 9


def reach(role: Role, state: State) -> Connection:
    """A connection of ``role`` driven into ``state`` by real frames."""
    conn = Connection(role)
    path: dict[Role, dict[State, list[Callable[[Connection], Any]]]] = {
        Role.CLIENT: {
            State.START: [],
            State.HELLO_SENT: [lambda c: c.send(Hello())],
            State.READY: [lambda c: c.send(Hello()), lambda c: feed(c, codec.encode(Hello()))],
        },
        Role.SERVER: {
            State.START: [],
            State.HELLO_RECEIVED: [lambda c: feed(c, codec.encode(Hello()))],
            State.READY: [lambda c: feed(c, codec.encode(Hello())), lambda c: c.send(Hello())],
        },
    }
    steps = path[role].get(state)
    if steps is None:
        base = reach(role, State.READY)
        if state is State.BROKEN:
            with pytest.raises(RemoteProtocolError):
                feed(base, BAD_KIND)
        else:  # CLOSED
            base.send(Error(ErrorCode.IDLE_TIMEOUT, "bye"))
        assert base.state is state
        return base
    for step in steps:
        step(conn)
    assert conn.state is state
    return conn


def feed(conn: Connection, data: bytes) -> Any:
    conn.receive_data(data)
    return conn.next_event()


def frame_to_send(kind: FrameKind, conn: Connection) -> Any:
    return {
        FrameKind.HELLO: lambda: Hello(),
        FrameKind.REQUEST: lambda: Request(conn.next_sequence(), Close(h_line=1)),
        FrameKind.RESPONSE: lambda: Response(1, 0, Close(h_line=1)),
        FrameKind.EVENTS: lambda: Events((LineReply(request_id=1),)),
        FrameKind.ERROR: lambda: Error(ErrorCode.MALFORMED, "x"),
    }[kind]()


STATES = {role: [s for s in State if s in SEND_ALLOWED[role]] for role in Role}


@pytest.mark.parametrize("role,state", [(r, s) for r in Role for s in STATES[r]])
@pytest.mark.parametrize("kind", list(FrameKind))
def test_send_follows_send_allowed(role: Role, state: State, kind: FrameKind) -> None:
    conn = reach(role, state)
    frame = frame_to_send(kind, conn)
    if kind in SEND_ALLOWED[role][state]:
        conn.send(frame)
        event = {FrameKind.HELLO: Event.SEND_HELLO, FrameKind.ERROR: Event.SEND_ERROR}.get(kind)
        assert conn.state is (TRANSITIONS[role][(state, event)] if event else state)
    else:
        with pytest.raises(LocalProtocolError) as info:
            conn.send(frame)
        assert info.value.code is ErrorCode.UNEXPECTED_KIND
        assert conn.state is state  # nothing changed


def frame_to_receive(kind: FrameKind, conn: Connection) -> bytes:
    if kind is FrameKind.RESPONSE and conn.role is Role.CLIENT and conn.state is State.READY:
        conn.send(Request(7, Close(h_line=1)))  # so that the RESPONSE matches an outstanding REQUEST
    return {
        FrameKind.HELLO: lambda: codec.encode(Hello()),
        FrameKind.REQUEST: lambda: codec.encode(Request(1, Close(h_line=1))),
        FrameKind.RESPONSE: lambda: codec.encode(Response(7, 0, Close(h_line=1))),
        FrameKind.EVENTS: lambda: codec.encode(Events((LineReply(request_id=1),))),
        FrameKind.ERROR: lambda: codec.encode(Error(ErrorCode.MALFORMED, "x")),
    }[kind]()


@pytest.mark.parametrize("role,state", [(r, s) for r in Role for s in STATES[r] if s not in (State.BROKEN, State.CLOSED)])
@pytest.mark.parametrize("kind", list(FrameKind))
def test_receive_follows_receive_allowed(role: Role, state: State, kind: FrameKind) -> None:
    conn = reach(role, state)
    data = frame_to_receive(kind, conn)
    if kind in RECEIVE_ALLOWED[role][state]:
        assert feed(conn, data) is not NEED_DATA
        event = {FrameKind.HELLO: Event.RECEIVE_HELLO, FrameKind.ERROR: Event.RECEIVE_ERROR}.get(kind)
        assert conn.state is (TRANSITIONS[role][(state, event)] if event else state)
    else:
        with pytest.raises(RemoteProtocolError) as info:
            feed(conn, data)
        assert info.value.code is ErrorCode.UNEXPECTED_KIND
        assert conn.state is TRANSITIONS[role][(state, Event.REMOTE_ERROR)] is State.BROKEN


def test_every_transition_is_reachable_and_followed() -> None:
    """Each row of TRANSITIONS, driven by the event's real cause, lands where the table says."""
    cause: dict[Event, Callable[[Connection], Any]] = {
        Event.SEND_HELLO: lambda c: c.send(Hello()),
        Event.RECEIVE_HELLO: lambda c: feed(c, codec.encode(Hello())),
        Event.SEND_ERROR: lambda c: c.send(Error(ErrorCode.MALFORMED, "x")),
        Event.RECEIVE_ERROR: lambda c: feed(c, codec.encode(Error(ErrorCode.MALFORMED, "x"))),
    }
    seen = 0
    for role, table in TRANSITIONS.items():
        for (state, event), target in table.items():
            conn = reach(role, state)
            if event is Event.REMOTE_ERROR:
                with pytest.raises(RemoteProtocolError):
                    feed(conn, BAD_KIND)
            else:
                cause[event](conn)
            assert conn.state is target, (role, state, event)
            seen += 1
    assert seen == sum(len(t) for t in TRANSITIONS.values())


def test_broken_repeats_its_error_and_closed_reads_nothing() -> None:
    conn = reach(Role.SERVER, State.BROKEN)
    with pytest.raises(RemoteProtocolError) as again:
        conn.next_event()
    assert again.value.code is ErrorCode.UNEXPECTED_KIND
    closed = reach(Role.CLIENT, State.CLOSED)
    assert closed.closed and closed.next_event() is CLOSED


def test_input_states_follow_their_table() -> None:
    conn = reach(Role.SERVER, State.READY)
    request = codec.encode(Request(1, Close(h_line=1)))
    conn.receive_data(request)
    assert conn.input is Input.OPEN
    conn.receive_data(b"")
    assert conn.input is INPUT_TRANSITIONS[(Input.OPEN, InputEvent.EOF)] is Input.EOF
    assert isinstance(conn.next_event(), Request)  # buffered frames are still delivered after EOF
    assert conn.next_event() is CLOSED
    assert conn.input is INPUT_TRANSITIONS[(Input.EOF, InputEvent.DRAINED)] is Input.DONE
    assert conn.state is State.READY and not conn.closed  # the peer is done; we may still answer
    conn.send(Response(1, 0, Close(h_line=1)))
    with pytest.raises(LocalProtocolError):
        conn.receive_data(b"more")
