"""The proxy's HTTP/2 client against a scripted h2 server over real TLS: stream limits, flow control,
PING, SETTINGS, and a server that breaks the protocol (each failure paired with the case that works).
The APNs paths themselves (GOAWAY reconnects, deadlines, resets) are in test_proxy_apns/retries."""

from __future__ import annotations

import asyncio
import ssl
import struct
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager

import h2.config
import h2.connection
import h2.events
import h2.settings
import pytest
from h2.errors import ErrorCodes

from simulator import Pki
from simulator.proxy.h2client import H2Connection, TransportError

Answer = Callable[["Peer", int, bytes], None]


def echo(peer: Peer, sid: int, body: bytes) -> None:
    """Answer 200 with the request body's length."""
    peer.conn.send_headers(sid, [(":status", "200"), ("x-length", str(len(body)))], end_stream=True)


class Peer(asyncio.Protocol):
    """One scripted server connection: h2 does the framing, ``answer`` decides each response."""

    def __init__(self, answer: Answer, settings: Mapping[int, int], validate: bool) -> None:
        config = h2.config.H2Configuration(client_side=False, header_encoding="utf-8",
                                           validate_outbound_headers=validate)
        self.conn = h2.connection.H2Connection(config)
        self.settings, self.answer, self.open_peak = dict(settings), answer, 0
        self.events: list[h2.events.Event] = []
        self.bodies: dict[int, bytearray] = {}
        self.changed = asyncio.Event()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.conn.initiate_connection()
        if self.settings:  # in force once the client acknowledges them (h2 then enforces them too)
            self.conn.update_settings(self.settings)
        self.flush()

    def data_received(self, data: bytes) -> None:
        for event in self.conn.receive_data(data):
            self.events.append(event)
            if isinstance(event, h2.events.RequestReceived):
                self.bodies[event.stream_id] = bytearray()
                self.open_peak = max(self.open_peak, self.conn.open_inbound_streams)
            elif isinstance(event, h2.events.DataReceived):
                self.bodies[event.stream_id] += event.data
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                self.answer(self, event.stream_id, bytes(self.bodies.pop(event.stream_id)))
        self.flush()
        self.changed.set()

    def flush(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(self.conn.data_to_send())

    def raw(self, kind: int, flags: int, sid: int, payload: bytes) -> None:
        """Write one frame h2 would never send."""
        assert self.transport is not None
        self.transport.write(struct.pack(">I", len(payload))[1:] + bytes((kind, flags)) + sid.to_bytes(4, "big")
                             + payload)

    async def seen(self, kind: type, timeout: float = 5.0) -> object:
        """The first event of ``kind`` this connection received (waits for it, bounded)."""
        async with asyncio.timeout(timeout):
            while True:
                for event in self.events:
                    if isinstance(event, kind):
                        return event
                self.changed.clear()
                await self.changed.wait()


@asynccontextmanager
async def served(pki: Pki, answer: Answer = echo, *, settings: Mapping[int, int] | None = None,
                 validate: bool = True) -> AsyncIterator[tuple[H2Connection, list[Peer]]]:
    peers: list[Peer] = []

    def make() -> Peer:
        peers.append(Peer(answer, settings or {}, validate))
        return peers[-1]

    server = await asyncio.get_running_loop().create_server(make, "127.0.0.1", 0,
                                                            ssl=pki.server_context(alpn=["h2"]))
    port = server.sockets[0].getsockname()[1]
    conn = H2Connection(f"https://127.0.0.1:{port}", ssl_context=pki.client_context(alpn=["h2"]))
    try:
        await conn.connect()
        yield conn, peers
    finally:
        await conn.close()
        server.close()
        await server.wait_closed()


async def post(conn: H2Connection, body: bytes = b"{}", path: str = "/3/device/ab") -> int:
    response = await conn.request("POST", path, [("apns-topic", "com.example.app")], body)
    assert response.status == 200
    return int(response.header("x-length") or -1)


async def test_requests_beyond_the_server_stream_limit_wait_for_a_free_stream(pki: Pki) -> None:
    async with served(pki, settings={h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 2}) as (conn, peers):
        await post(conn)  # the server's SETTINGS are in
        assert await asyncio.gather(*(post(conn, b"x" * i) for i in range(8))) == list(range(8))
    assert peers[0].open_peak <= 2 and conn.open_streams == 0


async def test_a_stream_the_server_resets_fails_alone(pki: Pki) -> None:
    def refuse_first(peer: Peer, sid: int, body: bytes) -> None:
        if sid == 1:
            peer.conn.reset_stream(sid, ErrorCodes.REFUSED_STREAM)
        else:
            echo(peer, sid, body)

    async with served(pki, refuse_first) as (conn, _):
        with pytest.raises(TransportError, match="stream reset by server .*REFUSED_STREAM"):
            await post(conn)
        assert await post(conn, b"abc") == 3 and conn.is_open


async def test_a_body_larger_than_the_window_goes_out_as_the_server_opens_it(pki: Pki) -> None:
    settings: dict[int, int] = {h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 100}
    async with served(pki, settings=settings) as (conn, peers):
        await post(conn)
        assert list(await asyncio.gather(post(conn, b"a" * 70000), post(conn, b"b" * 1000))) == [70000, 1000]
    assert sum(isinstance(e, h2.events.DataReceived) for e in peers[0].events) > 3  # sent in window-sized pieces


async def test_a_window_update_past_the_limit_fails_its_stream(pki: Pki) -> None:
    def overflow(peer: Peer, sid: int, body: bytes) -> None:
        if sid == 1:
            peer.raw(0x8, 0, sid, (2**31 - 1).to_bytes(4, "big"))  # on top of 65535: over 2^31-1
        else:
            echo(peer, sid, body)

    async with served(pki, overflow) as (conn, peers):
        with pytest.raises(TransportError, match="WINDOW_UPDATE"):
            await post(conn)
        reset = await peers[0].seen(h2.events.StreamReset)
        assert reset.error_code == ErrorCodes.FLOW_CONTROL_ERROR  # type: ignore[attr-defined]
        assert await post(conn, b"ok") == 2


async def test_a_server_ping_is_answered_and_a_smaller_table_is_honoured(pki: Pki) -> None:
    async with served(pki, settings={h2.settings.SettingCodes.HEADER_TABLE_SIZE: 0}) as (conn, peers):
        await post(conn)
        peers[0].conn.ping(b"12345678")
        peers[0].flush()
        ack = await peers[0].seen(h2.events.PingAckReceived)
        assert ack.ping_data == b"12345678"  # type: ignore[attr-defined]
        # h2 refuses a header block that does not shrink the table to 0 first: these went through.
        assert await asyncio.gather(*(post(conn, b"x" * i) for i in range(3))) == [0, 1, 2]


async def test_a_goaway_fails_the_requests_in_flight_and_closes_the_connection(pki: Pki) -> None:
    def go_away(peer: Peer, sid: int, body: bytes) -> None:
        peer.conn.close_connection(ErrorCodes.NO_ERROR, additional_data=b'{"reason":"Shutdown"}', last_stream_id=0)

    async with served(pki, go_away) as (conn, _):
        with pytest.raises(TransportError, match='GOAWAY .*NO_ERROR.* {"reason":"Shutdown"}'):
            await post(conn)
        assert not conn.is_open
        with pytest.raises(TransportError, match="is closed"):
            await post(conn)


async def test_a_response_without_status_fails_its_stream_only(pki: Pki) -> None:
    def no_status(peer: Peer, sid: int, body: bytes) -> None:
        if sid == 1:
            peer.conn.send_headers(sid, [("apns-id", "x")], end_stream=True)
        else:
            echo(peer, sid, body)

    async with served(pki, no_status, validate=False) as (conn, _):
        with pytest.raises(TransportError, match="malformed response"):
            await post(conn)
        assert await post(conn, b"fine") == 4


async def test_a_push_promise_is_a_protocol_error_that_ends_the_connection(pki: Pki) -> None:
    def promise(peer: Peer, sid: int, body: bytes) -> None:
        peer.raw(0x5, 0x4, sid, (2).to_bytes(4, "big") + b"\x82")  # PUSH_PROMISE, END_HEADERS

    async with served(pki, promise) as (conn, peers):
        with pytest.raises(TransportError, match="ProtocolError: PUSH_PROMISE"):
            await post(conn)
        closed = await peers[0].seen(h2.events.ConnectionTerminated)
        assert closed.error_code == ErrorCodes.PROTOCOL_ERROR  # type: ignore[attr-defined]
        assert not conn.is_open


async def test_an_untrusted_server_is_a_transport_error(pki: Pki) -> None:
    stranger = Pki()
    server = await asyncio.get_running_loop().create_server(asyncio.Protocol, "127.0.0.1", 0,
                                                            ssl=stranger.server_context(alpn=["h2"]))
    try:
        conn = H2Connection(f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}",
                            ssl_context=pki.client_context(alpn=["h2"]))
        with pytest.raises(TransportError, match="connect to .* failed") as caught:
            await conn.connect()
        assert isinstance(caught.value.__cause__, ssl.SSLCertVerificationError)
        assert not conn.is_open
    finally:
        server.close()
        await server.wait_closed()
