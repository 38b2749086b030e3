"""Optional TLS on both sides (issue 8 §4): the server wraps every TCP connection in ``trio.SSLStream``
(``ServerConfig.ssl_context`` / ``--tls-cert --tls-key``), the client passes ``ssl_context`` to
``client.connect``. The certificates are made here, by a throw-away CA (``trustme``).
"""

from __future__ import annotations

import signal
import ssl
from pathlib import Path

import pytest
import trio
import trio.testing
import trustme

import client
from client import ConnectionLostError
from processes import open_tsp
from protocol import messages as m
from protocol.constants import AgentSessionStatus
from server_wire import WireClient
from scenarios import one_agent
from tsp.scenario import parse_scenario
from tsp.server import ServerConfig
from tsp.testing import open_emulator

SCENARIO = parse_scenario(one_agent(lines=2, seed=3))


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_cert(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert("127.0.0.1", "localhost")


def server_context(cert: trustme.LeafCert) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    return ctx


def client_context(ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    return ctx


def tls_config(cert: trustme.LeafCert, **kwargs: object) -> ServerConfig:
    return ServerConfig(control=True, ssl_context=server_context(cert), **kwargs)  # type: ignore[arg-type]


async def wait_no_connections(emu: object) -> None:
    with trio.fail_after(10):
        while emu.server.connection_count:  # type: ignore[attr-defined]
            await trio.sleep(0.01)


async def test_client_library_over_tls_requests_and_events(ca: trustme.CA, server_cert: trustme.LeafCert) -> None:
    async with open_emulator(SCENARIO, clock="manual", config=tls_config(server_cert)) as emu:
        with trio.fail_after(20):
            async with client.connect(emu.host, emu.port, ssl_context=client_context(ca)) as tapi:
                assert isinstance(tapi.connection._stream, trio.SSLStream)
                line = await tapi.open_line(0)
                groups = await line.get_group_list()
                assert [g.name for g in groups.entries] == ["Sales"]
                events = tapi.events()
                emu.offer_call("Sales", talk=30)
                record = await events.next()
                while getattr(record, "msg", 27) != 27:  # the call's own events (wire-protocol §9.1) may come first
                    record = await events.next()
                assert record.status & AgentSessionStatus.STATE
                assert emu.server.connection_count == 1
        await wait_no_connections(emu)
        assert emu.service.table_sizes()["lines"] == 0


async def test_a_plain_client_on_a_tls_server_is_closed_and_the_server_keeps_serving(
    ca: trustme.CA, server_cert: trustme.LeafCert
) -> None:
    async with open_emulator(SCENARIO, clock="manual", config=tls_config(server_cert)) as emu:
        with trio.fail_after(20):
            with pytest.raises(ConnectionLostError):
                async with client.connect(emu.host, emu.port):
                    pass
            await wait_no_connections(emu)
            async with client.connect(emu.host, emu.port, ssl_context=client_context(ca)) as tapi:
                assert (await (await tapi.open_line(1)).get_group_list()).entries


async def test_an_untrusted_certificate_is_a_clear_client_error(server_cert: trustme.LeafCert) -> None:
    stranger = trustme.CA()  # the client trusts another CA than the one that signed the server's cert
    async with open_emulator(SCENARIO, clock="manual", config=tls_config(server_cert)) as emu:
        with trio.fail_after(20):
            with pytest.raises(ConnectionLostError) as info:
                async with client.connect(emu.host, emu.port, ssl_context=client_context(stranger)):
                    pass
            assert "CERTIFICATE_VERIFY_FAILED" in str(info.value), str(info.value)
            await wait_no_connections(emu)


async def test_a_tls_client_on_a_plain_server_fails_without_hanging(ca: trustme.CA) -> None:
    async with open_emulator(SCENARIO, clock="manual") as emu:
        with trio.fail_after(20):
            with pytest.raises(ConnectionLostError):
                async with client.connect(emu.host, emu.port, ssl_context=client_context(ca)):
                    pass
            await wait_no_connections(emu)


async def test_a_connection_that_never_starts_the_handshake_gets_the_hello_timeout(
    server_cert: trustme.LeafCert, autojump_clock: trio.testing.MockClock
) -> None:
    # In memory (so the autojump clock can skip the 30 s): the server end wrapped as serve_tcp does.
    async with open_emulator(SCENARIO, clock="manual", listen=False, config=tls_config(server_cert)) as emu:
        client_end, server_end = trio.testing.memory_stream_pair()
        emu.serve_stream(trio.SSLStream(server_end, emu.server.config.ssl_context, server_side=True), "silent")
        await trio.testing.wait_all_tasks_blocked()
        assert emu.server.connection_count == 1
        start = trio.current_time()
        with trio.fail_after(120):
            while emu.server.connection_count:
                await trio.sleep(1)
        assert trio.current_time() - start >= emu.server.config.read_timeout
        await client_end.aclose()


async def test_a_client_vanishing_mid_handshake_is_released(server_cert: trustme.LeafCert) -> None:
    async with open_emulator(SCENARIO, clock="manual", config=tls_config(server_cert)) as emu:
        stream = await emu.connect()
        await stream.send_all(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(40))  # a ClientHello's start
        await trio.testing.wait_all_tasks_blocked()
        await stream.aclose()
        await wait_no_connections(emu)
        assert emu.service.table_sizes()["connections"] == 0


async def test_standalone_process_with_tls_cert_and_key(
    ca: trustme.CA, server_cert: trustme.LeafCert, tmp_path: Path
) -> None:
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    server_cert.cert_chain_pems[0].write_to_path(str(cert_file))
    server_cert.private_key_pem.write_to_path(str(key_file))
    deadline = trio.current_time() + 30  # for starting the server and the checks together
    proc, host, port = await open_tsp("--port", "0", "--quiet", "--tls-cert", str(cert_file), "--tls-key", str(key_file),
                                      timeout=30)
    try:
        with trio.fail_at(deadline):
            # Plain text is refused ...
            plain = WireClient(await trio.open_tcp_stream(host, port))
            async with trio.open_nursery() as nursery:
                await nursery.start(plain.reader)
                await plain.send(m.Hello())
                assert await plain.wait_closed(timeout=20) is None  # closed, no ERROR frame in plain text
            # ... TLS is served.
            async with client.connect(host, port, ssl_context=client_context(ca)) as tapi:
                assert tapi.connection.server_hello is not None
                assert (await (await tapi.open_line(0)).get_group_list()).entries
    finally:
        proc.send_signal(signal.SIGTERM)
        with trio.move_on_after(20):
            await proc.wait()
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0



def test_a_certificate_without_its_key_names_the_missing_option(server_cert: trustme.LeafCert, tmp_path: Path) -> None:
    """``--tls-cert`` alone on a file with only the certificate: the message says to give --tls-key (was ``[SSL] PEM lib``)."""
    from tsp.__main__ import server_ssl_context

    cert_only = tmp_path / "cert.pem"
    cert_only.write_bytes(b"".join(blob.bytes() for blob in server_cert.cert_chain_pems))
    with pytest.raises(ValueError, match="holds no private key.*--tls-key"):
        server_ssl_context(str(cert_only))
    both = tmp_path / "both.pem"
    both.write_bytes(server_cert.private_key_and_cert_chain_pem.bytes())
    assert isinstance(server_ssl_context(str(both)), ssl.SSLContext)  # a file holding the key needs no --tls-key
