"""One deadline for connecting: ``connect_timeout`` covers TCP connect, TLS, HELLO and Initialize.

Misbehaving peers on real loopback listeners (one that accepts and never speaks, one that sends half a
HELLO, one that sends HELLO and never answers Initialize) and on memory streams with the autojump clock;
each must end in a ConnectTimeoutError (a TapiTimeoutError) naming host, port and the step it waited for.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Awaitable, Callable

import pytest
import trio
import trio.testing

import client
from protocol import NEED_DATA, Connection, Hello, Request, Role, encode

Behaviour = Callable[[trio.SocketStream], Awaitable[None]]


async def silent(stream: trio.SocketStream) -> None:
    await trio.sleep_forever()


async def half_hello(stream: trio.SocketStream) -> None:
    await stream.send_all(encode(Hello(product="half"))[:7])
    await trio.sleep_forever()


async def hello_then_nothing(stream: trio.SocketStream) -> None:
    """Answer the client's HELLO, then read (and ignore) the Initialize."""
    proto = Connection(Role.SERVER)
    while True:
        frame = proto.next_event()
        if frame is NEED_DATA:
            data = await stream.receive_some(65536)
            if not data:
                return
            proto.receive_data(data)
        elif isinstance(frame, Hello):
            await stream.send_all(proto.send(Hello(product="mute")))
        elif isinstance(frame, Request):
            continue


async def peer(nursery: trio.Nursery, behaviour: Behaviour) -> int:
    """A loopback listener doing ``behaviour`` with every connection; its port."""
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    nursery.start_soon(trio.serve_listeners, behaviour, listeners)
    return int(listeners[0].socket.getsockname()[1])


@pytest.mark.parametrize(
    ("behaviour", "step"),
    [(silent, "server's HELLO"), (half_hello, "server's HELLO"), (hello_then_nothing, "answer to Initialize")],
)
async def test_a_peer_that_stalls_is_a_connect_timeout_naming_host_port_and_step(
    nursery: trio.Nursery, behaviour: Behaviour, step: str
) -> None:
    port = await peer(nursery, behaviour)
    with trio.fail_after(10):  # the test's own guard: connect must give up long before
        started = trio.current_time()
        with pytest.raises(client.ConnectTimeoutError) as info:
            async with client.connect("127.0.0.1", port, connect_timeout=0.3):
                pytest.fail("connected to a peer that never completed the handshake")
        elapsed = trio.current_time() - started
    err = info.value
    assert isinstance(err, client.TapiTimeoutError) and isinstance(err, client.TapiError)
    assert err.hresult == client.TAPI_E_TIMEOUT
    assert (err.host, err.port, err.waiting_for) == ("127.0.0.1", port, step)
    assert f"127.0.0.1:{port}" in str(err) and step in str(err) and "0.3 s" in str(err)
    assert elapsed >= 0.3  # not before the deadline either


async def test_the_deadline_is_one_for_all_steps(nursery: trio.Nursery) -> None:
    """HELLO arrives after 0.25 s, Initialize never: with connect_timeout=0.4 the whole takes ~0.4 s, not 0.65."""

    async def slow_hello(stream: trio.SocketStream) -> None:
        await trio.sleep(0.25)
        await hello_then_nothing(stream)

    port = await peer(nursery, slow_hello)
    started = trio.current_time()
    with pytest.raises(client.ConnectTimeoutError) as info:
        async with client.connect("127.0.0.1", port, connect_timeout=0.4):
            pass
    assert info.value.waiting_for == "answer to Initialize"
    assert trio.current_time() - started < 0.6


async def test_memory_stream_peer_that_never_speaks_autojump(autojump_clock: trio.testing.MockClock) -> None:
    c, s = trio.testing.memory_stream_pair()
    started = trio.current_time()
    with pytest.raises(client.ConnectTimeoutError) as info:
        async with client.connect_stream(c):  # the default deadline: 10 s of virtual time
            pass
    assert trio.current_time() - started == pytest.approx(client.CONNECT_TIMEOUT)
    assert info.value.waiting_for == "server's HELLO" and "the stream" in str(info.value)
    await s.aclose()


async def test_a_bad_connect_timeout_is_an_invalid_argument() -> None:
    for bad in (0, -1, float("nan"), "3", True):
        with pytest.raises(client.TapiError) as info:
            async with client.connect("127.0.0.1", 1, connect_timeout=bad):  # type: ignore[arg-type]
                pass
        assert info.value.hresult == client.HResult.E_INVALIDARG and "connect_timeout" in str(info.value)


def test_blocking_connect_to_a_listener_that_never_speaks_times_out() -> None:
    with socket.socket() as listener:  # listen() completes the TCP handshake in the kernel; nobody answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        port = listener.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(client.ConnectTimeoutError) as info:
            client.blocking.connect("127.0.0.1", port, connect_timeout=0.3)
        assert time.monotonic() - started < 5
    assert info.value.port == port and info.value.waiting_for == "server's HELLO"


async def test_a_tls_peer_that_never_handshakes_names_the_tls_step(nursery: trio.Nursery) -> None:
    import ssl

    port = await peer(nursery, silent)
    with trio.fail_after(10):
        with pytest.raises(client.ConnectTimeoutError) as info:
            async with client.connect("127.0.0.1", port, ssl_context=ssl.create_default_context(),
                                      connect_timeout=0.3):
                pass
    assert info.value.waiting_for == "TLS handshake" and f"127.0.0.1:{port}" in str(info.value)
