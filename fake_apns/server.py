"""The asyncio adapter: TLS + HTTP/2 (h2) in, ``ApnsCore`` verdicts out (h2's asyncio example).

Rule 1: this module parses, calls the core and renders; it decides nothing about APNs semantics.
Rule 2: a misbehaving client only ever loses its own connection. Exceptions that are our fault
(including the caller's ``publish``/``deliver`` hooks) are kept in ``FakeApns.errors``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from dataclasses import dataclass, field
from types import TracebackType
from typing import Callable, Self

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
from h2.errors import ErrorCodes

from .core import ApnsCore, ConnectionState
from .models import (ApnsConnectionClosed, ApnsConnectionOpened, ApnsRequest, Environment, PushAccepted,
                     PushRejected, wire_bytes)
from .reasons import Reason

log = logging.getLogger(__name__)

BODY_CAP = 65536  # larger bodies are truncated: beyond every APNs limit, still PayloadTooLarge
CLOSE_TIMEOUT = 5.0
_SETTINGS = {
    h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 1000,
    h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE: 8000,
    h2.settings.SettingCodes.HEADER_TABLE_SIZE: 4096,
    h2.settings.SettingCodes.MAX_FRAME_SIZE: 16384,
}


@dataclass(slots=True)
class _Stream:
    headers: list[tuple[bytes, bytes]]
    body: bytearray = field(default_factory=bytearray)


class _ApnsProtocol(asyncio.Protocol):
    """One provider connection: h2 events in, core verdicts rendered out."""

    def __init__(self, server: FakeApns) -> None:
        self._server = server
        self._state = ConnectionState(connection_id=0)  # replaced once TLS is up
        self._conn = h2.connection.H2Connection(
            config=h2.config.H2Configuration(client_side=False, header_encoding=None))
        self._conn.local_settings = h2.settings.Settings(client=False, initial_values=_SETTINGS)
        self._transport: asyncio.Transport | None = None
        self._streams: dict[int, _Stream] = {}
        self._unsent: dict[int, bytes] = {}  # error bodies waiting for flow-control window
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    # -- asyncio.Protocol --------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._state = self._server.core.new_connection()
        self._server._remember(self)
        ssl_object = transport.get_extra_info("ssl_object")
        alpn = ssl_object.selected_alpn_protocol() if ssl_object is not None else None
        peer = transport.get_extra_info("peername")
        self._server._emit(ApnsConnectionOpened(
            at=self._server._now(), environment=self._server.environment,
            connection_id=self._state.connection_id, alpn=alpn,
            peer=f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)))
        if alpn not in (None, "h2"):
            log.debug("connection %d negotiated ALPN %r, not h2: closing", self._state.connection_id, alpn)
            transport.close()
            return
        self._conn.initiate_connection()
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        self._server._forget(self)
        self._server._emit(ApnsConnectionClosed(
            at=self._server._now(), environment=self._server.environment,
            connection_id=self._state.connection_id, requests=self._state.requests))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        try:
            events = self._conn.receive_data(data)
        except h2.exceptions.ProtocolError as exc:
            log.debug("connection %d: protocol error from client: %s", self._state.connection_id, exc)
            self._close_with(ErrorCodes.PROTOCOL_ERROR)
            return
        try:
            for event in events:
                self._dispatch(event)
        except h2.exceptions.ProtocolError as exc:  # e.g. answering after the client's GOAWAY
            log.debug("connection %d: cannot answer: %s", self._state.connection_id, exc)
            self._close_with(ErrorCodes.PROTOCOL_ERROR)
            return
        except Exception as exc:  # our bug: record it for the harness, drop only this connection
            self._server.errors.append(exc)
            self._close_with(ErrorCodes.INTERNAL_ERROR)
            return
        self._flush()

    # -- h2 events ---------------------------------------------------------------------------
    def _dispatch(self, event: h2.events.Event) -> None:
        match event:
            case h2.events.RequestReceived(stream_id=sid, headers=headers):
                self._streams[sid] = _Stream(headers=list(headers or ()))
            case h2.events.DataReceived(stream_id=sid, data=chunk, flow_controlled_length=length):
                stream = self._streams.get(sid)
                if stream is not None and len(stream.body) <= BODY_CAP:
                    stream.body += chunk or b""
                self._conn.acknowledge_received_data(length or 0, sid)
            case h2.events.StreamEnded(stream_id=sid):
                stream = self._streams.pop(sid, None)
                if stream is not None:
                    self._answer(sid, stream)
            case h2.events.StreamReset(stream_id=sid):
                self._streams.pop(sid, None)
                self._unsent.pop(sid, None)
            case h2.events.WindowUpdated():
                self._send_unsent()
            case h2.events.ConnectionTerminated():
                self._flush()
                if self._transport is not None:
                    self._transport.close()
            case _:
                pass  # SETTINGS, PING (h2 answers it), priority: nothing to decide

    def _answer(self, sid: int, stream: _Stream) -> None:
        request = ApnsRequest.parse(stream.headers, bytes(stream.body))
        verdict = self._server.core.handle(request, environment=self._server.environment, connection=self._state)
        self._server._emit(verdict)
        if isinstance(verdict, PushAccepted):
            self._server._hand_over(verdict)
        try:
            self._respond(sid, verdict)
        except h2.exceptions.StreamClosedError:  # the client reset the stream: the verdict stands
            self._unsent.pop(sid, None)

    def _respond(self, sid: int, verdict: PushAccepted | PushRejected) -> None:
        headers = [(b":status", str(verdict.status if isinstance(verdict, PushRejected) else 200).encode()),
                   (b"apns-id", wire_bytes(verdict.apns_id))]
        if isinstance(verdict, PushAccepted):
            if verdict.apns_unique_id is not None:
                headers.append((b"apns-unique-id", verdict.apns_unique_id.encode("ascii")))
            self._conn.send_headers(sid, headers, end_stream=True)
            return
        body: dict[str, object] = {"reason": verdict.reason.value}
        if verdict.timestamp_ms is not None:
            body["timestamp"] = verdict.timestamp_ms
        headers.append((b"content-type", b"application/json"))
        self._conn.send_headers(sid, headers)
        self._unsent[sid] = json.dumps(body, separators=(",", ":")).encode()
        self._send_unsent()

    def _send_unsent(self) -> None:
        # The body goes out in ONE DATA frame (aioapns parses each frame as JSON), so wait for a
        # window large enough for all of it rather than splitting.
        for sid, body in list(self._unsent.items()):
            if self._conn.local_flow_control_window(sid) >= len(body):
                del self._unsent[sid]
                self._conn.send_data(sid, body, end_stream=True)

    # -- output ------------------------------------------------------------------------------
    def goaway(self, reason: Reason) -> None:
        """Send GOAWAY(NO_ERROR) with ``{"reason": ...}`` debug data, then close."""
        if self._transport is None or self._transport.is_closing():
            return
        debug = json.dumps({"reason": reason.value}, separators=(",", ":")).encode()
        self._close_with(ErrorCodes.NO_ERROR, debug)

    def _close_with(self, code: ErrorCodes, debug: bytes | None = None) -> None:
        if self._conn.state_machine.state is not h2.connection.ConnectionState.CLOSED:
            try:
                self._conn.close_connection(error_code=code, additional_data=debug)
            except h2.exceptions.ProtocolError:
                pass  # h2 already queued its own GOAWAY
        self._flush()
        if self._transport is not None:
            self._transport.close()

    def _flush(self) -> None:
        data = self._conn.data_to_send()
        if data and self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)

    def abort(self) -> None:
        """Drop the connection now (server shutdown)."""
        if self._transport is not None:
            self._transport.abort()


class FakeApns:
    """A fake APNs endpoint for one environment; ``async with`` it to listen on ``url``."""

    def __init__(self, core: ApnsCore, *, environment: Environment, ssl_context: ssl.SSLContext,
                 publish: Callable[[object], None], deliver: Callable[[PushAccepted], None],
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.core = core
        self.environment = Environment(environment)
        self.errors: list[BaseException] = []
        self._ssl_context = ssl_context
        self._publish = publish
        self._deliver = deliver
        self._host = host
        self._requested_port = port
        self._server: asyncio.Server | None = None
        self._protocols: set[_ApnsProtocol] = set()
        self.port = 0

    @property
    def url(self) -> str:
        """Base URL, e.g. ``https://127.0.0.1:51234``."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"https://{host}:{self.port}"

    async def __aenter__(self) -> Self:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._new_protocol, self._host, self._requested_port,
                                                ssl=self._ssl_context)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._server is None:
            return
        self._server.close()
        pending = [p.closed for p in self._protocols]
        for protocol in list(self._protocols):
            protocol.abort()
        if pending:
            await asyncio.wait(pending, timeout=CLOSE_TIMEOUT)
        await self._server.wait_closed()
        self._server = None

    async def goaway(self, reason: Reason = Reason.SHUTDOWN) -> None:
        """Tell every open connection to go away with ``{"reason": reason}``; waits until they closed."""
        protocols = list(self._protocols)
        for protocol in protocols:
            protocol.goaway(reason)
        if protocols:
            await asyncio.wait([p.closed for p in protocols], timeout=CLOSE_TIMEOUT)

    @property
    def connections(self) -> int:
        """How many provider connections are open."""
        return len(self._protocols)

    # -- called by _ApnsProtocol -------------------------------------------------------------
    def _new_protocol(self) -> _ApnsProtocol:
        return _ApnsProtocol(self)

    def _remember(self, protocol: _ApnsProtocol) -> None:
        self._protocols.add(protocol)

    def _forget(self, protocol: _ApnsProtocol) -> None:
        self._protocols.discard(protocol)

    def _now(self) -> float:
        return self.core.now()

    def _emit(self, event: object) -> None:
        try:
            self._publish(event)
        except Exception as exc:  # the caller's hook failed: keep serving, let the harness see it
            self.errors.append(exc)

    def _hand_over(self, accepted: PushAccepted) -> None:
        try:
            self._deliver(accepted)
        except Exception as exc:
            self.errors.append(exc)
