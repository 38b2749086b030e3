"""The states of a protocol connection as data (like h11's ``_state.py``): the code and the tests use these tables.

Two independent machines, both seen from one end (``Role``) of the connection:

* the **protocol state** (:class:`State`) - the HELLO handshake, a protocol error, the ERROR frame that
  ends everything - moved by the :class:`Event` table :data:`TRANSITIONS`; :data:`SEND_ALLOWED` and
  :data:`RECEIVE_ALLOWED` say which frame kinds may be sent / accepted in each state;
* the **input** (:class:`Input`) - the stream of bytes from the peer: OPEN, then EOF once ``b""`` was
  fed (buffered bytes may still hold frames), then DONE once the buffer is drained at a frame boundary
  (``next_event()`` returns CLOSED; sending stays allowed). Moved by :data:`INPUT_TRANSITIONS`.

"Closed" therefore means exactly one of two things: ``State.CLOSED`` (an ERROR was exchanged: nothing
more either way) or ``Input.DONE`` (the peer finished sending; we may still answer).
"""

from __future__ import annotations

import enum

from protocol.constants import FrameKind

__all__ = ["Role", "State", "Event", "Input", "InputEvent", "TRANSITIONS", "SEND_ALLOWED", "RECEIVE_ALLOWED",
           "INPUT_TRANSITIONS", "SENDABLE", "next_state"]


class Role(enum.Enum):
    """Which end of the connection a state machine is."""

    CLIENT = "client"
    SERVER = "server"


class State(enum.Enum):
    """Where the connection is in its life."""

    START = "start"  # nothing exchanged yet
    HELLO_SENT = "hello_sent"  # client: our HELLO is out, the server's has not arrived
    HELLO_RECEIVED = "hello_received"  # server: the client's HELLO arrived, ours is not sent yet
    READY = "ready"  # both HELLOs exchanged: REQUESTs, RESPONSEs and EVENTS flow
    BROKEN = "broken"  # the peer violated the protocol: only an ERROR frame may still be sent
    CLOSED = "closed"  # an ERROR frame was sent or received: nothing more either way


class Event(enum.Enum):
    """What moves the protocol state."""

    SEND_HELLO = "send_hello"
    RECEIVE_HELLO = "receive_hello"  # a HELLO of our major version arrived
    REMOTE_ERROR = "remote_error"  # received bytes raised RemoteProtocolError
    SEND_ERROR = "send_error"
    RECEIVE_ERROR = "receive_error"


_H, _Q, _R, _E, _X = FrameKind.HELLO, FrameKind.REQUEST, FrameKind.RESPONSE, FrameKind.EVENTS, FrameKind.ERROR


def _common(*live: State) -> dict[tuple[State, Event], State]:
    """The error rows, for the states a role passes through before an ERROR."""
    table = {(s, Event.REMOTE_ERROR): State.BROKEN for s in live}
    table.update({(s, Event.RECEIVE_ERROR): State.CLOSED for s in live})
    table.update({(s, Event.SEND_ERROR): State.CLOSED for s in (*live, State.BROKEN)})
    return table


#: (state, event) -> next state, per role. A pair that is not in the table cannot happen: the send /
#: receive checks (SEND_ALLOWED / RECEIVE_ALLOWED) refuse the frame first.
TRANSITIONS: dict[Role, dict[tuple[State, Event], State]] = {
    Role.CLIENT: {
        (State.START, Event.SEND_HELLO): State.HELLO_SENT,  # the client speaks first
        (State.HELLO_SENT, Event.RECEIVE_HELLO): State.READY,
        **_common(State.START, State.HELLO_SENT, State.READY),
    },
    Role.SERVER: {
        (State.START, Event.RECEIVE_HELLO): State.HELLO_RECEIVED,
        (State.HELLO_RECEIVED, Event.SEND_HELLO): State.READY,  # the server answers the client's HELLO
        **_common(State.START, State.HELLO_RECEIVED, State.READY),
    },
}

#: Frame kinds each role may ever send; the peer receiving anything else answers UNEXPECTED_KIND.
SENDABLE: dict[Role, frozenset[FrameKind]] = {
    Role.CLIENT: frozenset({_H, _Q, _X}),
    Role.SERVER: frozenset({_H, _R, _E, _X}),
}

#: state -> frame kinds this role may send now (``Connection.send`` refuses the others).
SEND_ALLOWED: dict[Role, dict[State, frozenset[FrameKind]]] = {
    Role.CLIENT: {
        State.START: frozenset({_H, _X}),
        State.HELLO_SENT: frozenset({_X}),  # REQUESTs wait for the server's HELLO
        State.READY: frozenset({_Q, _X}),
        State.BROKEN: frozenset({_X}),
        State.CLOSED: frozenset(),
    },
    Role.SERVER: {
        State.START: frozenset({_X}),
        State.HELLO_RECEIVED: frozenset({_H, _X}),
        State.READY: frozenset({_R, _E, _X}),
        State.BROKEN: frozenset({_X}),
        State.CLOSED: frozenset(),
    },
}

#: state -> frame kinds accepted from the peer now (anything else is UNEXPECTED_KIND). In BROKEN the
#: error already raised is raised again; in CLOSED nothing is read.
RECEIVE_ALLOWED: dict[Role, dict[State, frozenset[FrameKind]]] = {
    Role.CLIENT: {
        State.START: frozenset({_X}),  # a server HELLO before ours is unexpected
        State.HELLO_SENT: frozenset({_H, _X}),
        State.READY: frozenset({_R, _E, _X}),
        State.BROKEN: frozenset(),
        State.CLOSED: frozenset(),
    },
    Role.SERVER: {
        State.START: frozenset({_H, _X}),
        State.HELLO_RECEIVED: frozenset({_Q, _X}),  # a client may pipeline REQUESTs behind its HELLO
        State.READY: frozenset({_Q, _X}),
        State.BROKEN: frozenset(),
        State.CLOSED: frozenset(),
    },
}


class Input(enum.Enum):
    """The byte stream from the peer."""

    OPEN = "open"
    EOF = "eof"  # ``receive_data(b"")`` was called; buffered frames may remain
    DONE = "done"  # EOF and the buffer drained at a frame boundary


class InputEvent(enum.Enum):
    EOF = "eof"
    DRAINED = "drained"


#: (input state, event) -> next input state. EOF inside a frame is not a transition: it is MALFORMED.
INPUT_TRANSITIONS: dict[tuple[Input, InputEvent], Input] = {
    (Input.OPEN, InputEvent.EOF): Input.EOF,
    (Input.EOF, InputEvent.DRAINED): Input.DONE,
}


def next_state(role: Role, state: State, event: Event) -> State:
    """The state after ``event``; KeyError for a pair the table does not have (a bug in the caller)."""
    return TRANSITIONS[role][(state, event)]
