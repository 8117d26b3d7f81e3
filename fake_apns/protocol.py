"""One provider connection: TLS + HTTP/2 (h2) in, ``ApnsCore`` verdicts out (h2's asyncio example).

Rule 1: this module parses, calls the core and renders; it decides nothing about APNs semantics.
Rule 2: a misbehaving client only ever loses its own stream or connection, answered as an
HTTP/2 server must: malformed header blocks get RST_STREAM(PROTOCOL_ERROR), broken framing gets
GOAWAY(PROTOCOL_ERROR), undecodable HPACK gets GOAWAY(COMPRESSION_ERROR) (RFC 9113 4.3, 8.1.1).
Exceptions that are our fault are kept in ``FakeApns.errors`` and cost only this connection.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
import hpack
from h2.errors import ErrorCodes
from hpack import HeaderTuple, HPACKDecodingError, OversizedHeaderListError
from hpack.table import HeaderTable, table_entry_size

from .core import ConnectionState
from .models import (ApnsConnectionClosed, ApnsConnectionOpened, ApnsFaultInjected, ApnsGoAwaySent, ApnsRequest,
                     FaultKind, PushAccepted, PushRejected, malformed, wire_bytes)
from .reasons import Reason

if TYPE_CHECKING:
    from .server import FakeApns

log = logging.getLogger(__name__)

BODY_CAP = 65536  # larger bodies are truncated: beyond every APNs limit, still PayloadTooLarge
SETTINGS = {
    h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 1000,
    h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE: 8000,
    h2.settings.SettingCodes.HEADER_TABLE_SIZE: 4096,
    h2.settings.SettingCodes.MAX_FRAME_SIZE: 16384,
}
# Inbound header validation is ours (``malformed``): h2's would tear down the whole connection
# for one malformed request, where RFC 9113 8.1.1 asks for a stream error. Outbound headers are
# only ever ours (lower-case bytes), so h2 neither checks nor rewrites them.
H2_CONFIG = h2.config.H2Configuration(client_side=False, header_encoding=None, validate_inbound_headers=False,
                                      validate_outbound_headers=False, normalize_outbound_headers=False)
_STATUS_200 = (b":status", b"200")
_JSON = (b"content-type", b"application/json")
_GOAWAY_TAIL = 17  # h2 appends its GOAWAY last: 9-byte frame header + last stream id + error code
_STATIC_EXACT = {entry: i for i, entry in enumerate(HeaderTable.STATIC_TABLE, 1)}
_STATIC_NAME = {name: i for i, (name, _) in reversed(list(enumerate(HeaderTable.STATIC_TABLE, 1)))}


def _hpack_int(value: int, prefix_bits: int, first: int) -> bytes:
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes((first | value,))
    out, value = bytearray((first | limit,)), value - limit
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


class _AnswerEncoder:
    """HPACK for our answers (RFC 7541 §6): the static table or plain literals, never indexed.

    Answers are a status and a fresh ``apns-id`` each: indexing them would only churn both
    peers' dynamic tables, and Huffman would cost more to write and read than it saves on loopback.
    h2 calls ``encode`` and sets ``header_table_size`` from the peer's SETTINGS.
    """

    def __init__(self) -> None:
        self._table_size = 4096
        self._updates: list[int] = []

    @property
    def header_table_size(self) -> int:
        """The dynamic table size we signalled (always empty: nothing is ever added)."""
        return self._table_size

    @header_table_size.setter
    def header_table_size(self, value: int) -> None:
        if value != self._table_size:
            self._table_size = value
            self._updates.append(value)

    def encode(self, headers: Sequence[tuple[bytes, bytes]], huffman: bool = False) -> bytes:
        """One header block; owed table size updates first (§4.2)."""
        out = [_hpack_int(size, 5, 0x20) for size in dict.fromkeys((min(self._updates), self._updates[-1]))] \
            if self._updates else []
        self._updates.clear()
        for name, value in headers:
            index = _STATIC_EXACT.get((name, value))
            if index is not None:
                out.append(_hpack_int(index, 7, 0x80))
                continue
            name_index = _STATIC_NAME.get(name, 0)
            out.append(_hpack_int(name_index, 4, 0x00))  # literal without indexing
            if not name_index:
                out += (_hpack_int(len(name), 7, 0), name)
            out += (_hpack_int(len(value), 7, 0), value)
        return b"".join(out)


class _RequestDecoder(hpack.Decoder):
    """hpack's decoder with its commonest case inline: a field already in a table, sent as one byte.

    A provider repeats the same headers on every push, so after its first request nearly every
    field is that one byte. Everything else (and every error) is hpack's own code.
    """

    def decode(self, data: bytes, raw: bool = False) -> list[HeaderTuple]:  # type: ignore[override]
        """One header block as hpack decodes it (``raw``: bytes, as h2 asks)."""
        if not raw:
            return list(super().decode(data, raw))
        headers: list[HeaderTuple] = []
        lookup, view = self.header_table.get_by_index, memoryview(data)
        size, i, end = 0, 0, len(data)
        while i < end:
            first = data[i]
            if 0x80 < first < 0xFF:  # indexed field, index in the prefix byte (RFC 7541 §6.1)
                header, consumed = HeaderTuple(*lookup(first & 0x7F)), 1
            elif first & 0x80:
                header, consumed = self._decode_indexed(view[i:])
            elif first & 0x40:
                header, consumed = self._decode_literal_index(view[i:])
            elif first & 0x20:
                if headers:
                    raise HPACKDecodingError("Table size update not at the start of the block")
                i += self._update_encoding_context(view[i:])
                continue
            else:
                header, consumed = self._decode_literal_no_index(view[i:])
            headers.append(header)
            size += table_entry_size(header[0], header[1])
            if size > self.max_header_list_size:
                raise OversizedHeaderListError(f"A header list larger than {self.max_header_list_size} "
                                               "has been received")
            i += consumed
        self._assert_valid_table_size()
        return headers  # bytes already: hpack's literal decoding copies out of the memoryview


@dataclass(slots=True)
class _Stream:
    headers: list[tuple[bytes, bytes]]
    body: bytearray = field(default_factory=bytearray)


class ApnsConnection(asyncio.Protocol):
    """One provider connection for ``FakeApns``."""

    def __init__(self, server: FakeApns) -> None:
        self._server = server
        self._core = server.core
        self._state = ConnectionState(connection_id=0)  # replaced once TLS is up and the peer is known
        self._conn = h2.connection.H2Connection(config=H2_CONFIG)
        self._conn.encoder = _AnswerEncoder()  # type: ignore[assignment]
        self._conn.decoder = _RequestDecoder()
        self._conn.decoder.max_header_list_size = self._conn.DEFAULT_MAX_HEADER_LIST_SIZE
        self._conn.local_settings = h2.settings.Settings(client=False, initial_values=SETTINGS)
        self._transport: asyncio.Transport | None = None
        self._streams: dict[int, _Stream] = {}
        self._unsent: dict[int, bytes] = {}  # error bodies waiting for flow-control window
        self._timers: set[asyncio.TimerHandle] = set()
        self._last_decided = 0
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    # -- asyncio.Protocol --------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        ssl_object = transport.get_extra_info("ssl_object")
        alpn = ssl_object.selected_alpn_protocol() if ssl_object is not None else None
        certificate = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        self._state = self._core.new_connection(certificate=certificate, environment=self._server.environment)
        self._server._remember(self)
        peer = transport.get_extra_info("peername")
        self._server._emit(ApnsConnectionOpened(
            at=self._core.now(), environment=self._server.environment,
            connection_id=self._state.connection_id, alpn=alpn,
            peer=f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)))
        if alpn not in (None, "h2"):
            log.debug("connection %d negotiated ALPN %r, not h2: closing", self._state.connection_id, alpn)
            transport.close()
            return
        self._conn.initiate_connection()
        if self._state.goaway is not None:
            self.goaway(self._state.goaway, last_stream_id=0)
            return
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        self._server._forget(self)
        self._server._emit(ApnsConnectionClosed(
            at=self._core.now(), environment=self._server.environment,
            connection_id=self._state.connection_id, requests=self._state.requests))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        try:
            events = self._conn.receive_data(data)
        except h2.exceptions.ProtocolError as exc:
            log.debug("connection %d: protocol error from client: %s", self._state.connection_id, exc)
            self._refuse_framing(isinstance(exc.__cause__, hpack.HPACKError))
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

    def _refuse_framing(self, hpack_error: bool) -> None:
        # h2 has already queued GOAWAY(PROTOCOL_ERROR) as the last frame. An HPACK failure must be
        # COMPRESSION_ERROR (RFC 9113 4.3), so patch the error code, the frame's last four bytes.
        data = self._conn.data_to_send()
        if hpack_error and len(data) >= _GOAWAY_TAIL and data[-_GOAWAY_TAIL + 3] == 0x7:
            data = data[:-4] + int(ErrorCodes.COMPRESSION_ERROR).to_bytes(4, "big")
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)
        self._close_with(ErrorCodes.PROTOCOL_ERROR)

    # -- h2 events ---------------------------------------------------------------------------
    def _dispatch(self, event: h2.events.Event) -> None:
        match event:
            case h2.events.DataReceived(stream_id=sid, data=chunk, flow_controlled_length=length):
                stream = self._streams.get(sid)
                if stream is not None and len(stream.body) <= BODY_CAP:
                    stream.body += chunk or b""
                self._conn.acknowledge_received_data(length or 0, sid)
            case h2.events.RequestReceived(stream_id=sid, headers=headers):
                self._on_request(sid, list(headers or ()))  # type: ignore[arg-type]
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

    def _on_request(self, sid: int, headers: list[tuple[bytes, bytes]]) -> None:
        problem = malformed(headers)
        if problem is None:
            self._streams[sid] = _Stream(headers)
            return
        log.debug("connection %d stream %d: malformed request: %s", self._state.connection_id, sid, problem)
        self._conn.reset_stream(sid, ErrorCodes.PROTOCOL_ERROR)

    def _answer(self, sid: int, stream: _Stream) -> None:
        if self._transport is None or self._transport.is_closing():
            return  # an injected GOAWAY/drop earlier in this read: later streams are never processed
        request = ApnsRequest.parse(stream.headers, bytes(stream.body))
        env = self._server.environment
        fault = self._core.take_connection_fault(request, environment=env, connection=self._state)
        if fault is not None:
            self._server._emit(fault)
            if fault.kind is FaultKind.DROP:
                self.abort()
                return
            if fault.kind is FaultKind.GOAWAY:
                self.goaway(fault.reason or Reason.SHUTDOWN, last_stream_id=self._last_decided)
                return
        verdict = self._core.handle(request, environment=env, connection=self._state)
        self._last_decided = max(self._last_decided, sid)
        self._server._settle(verdict)
        if fault is not None and fault.kind is FaultKind.DELAY:
            self._respond_later(sid, verdict, fault)
            return
        try:
            self._respond(sid, verdict)
        except h2.exceptions.StreamClosedError:  # the client reset the stream: the verdict stands
            self._unsent.pop(sid, None)

    def _respond_later(self, sid: int, verdict: PushAccepted | PushRejected, fault: ApnsFaultInjected) -> None:
        def fire() -> None:
            self._timers.discard(timer)
            if self._transport is None or self._transport.is_closing():
                return
            try:
                self._respond(sid, verdict)
            except h2.exceptions.StreamClosedError:  # the client gave up waiting and reset the stream
                self._unsent.pop(sid, None)
            self._flush()

        timer = asyncio.get_running_loop().call_later(fault.delay, fire)
        self._timers.add(timer)

    def _respond(self, sid: int, verdict: PushAccepted | PushRejected) -> None:
        apns_id = (b"apns-id", wire_bytes(verdict.apns_id))
        if type(verdict) is PushAccepted:
            if verdict.apns_unique_id is None:
                self._conn.send_headers(sid, (_STATUS_200, apns_id), end_stream=True)
            else:
                self._conn.send_headers(sid, (_STATUS_200, apns_id,
                                              (b"apns-unique-id", verdict.apns_unique_id.encode("ascii"))),
                                        end_stream=True)
            return
        assert isinstance(verdict, PushRejected)
        body: dict[str, object] = {"reason": verdict.reason.value}
        if verdict.timestamp_ms is not None:
            body["timestamp"] = verdict.timestamp_ms
        self._conn.send_headers(sid, ((b":status", str(verdict.status).encode()), apns_id, _JSON))
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
    def goaway(self, reason: Reason, *, last_stream_id: int | None = None) -> None:
        """Send GOAWAY(NO_ERROR) with ``{"reason": ...}`` debug data, then close."""
        if self._transport is None or self._transport.is_closing():
            return
        last = last_stream_id if last_stream_id is not None else self._conn.highest_inbound_stream_id
        debug = json.dumps({"reason": reason.value}, separators=(",", ":")).encode()
        self._server._emit(ApnsGoAwaySent(at=self._core.now(), environment=self._server.environment,
                                          connection_id=self._state.connection_id, reason=reason,
                                          last_stream_id=last))
        self._close_with(ErrorCodes.NO_ERROR, debug, last_stream_id=last)

    def _close_with(self, code: ErrorCodes, debug: bytes | None = None, *, last_stream_id: int | None = None) -> None:
        if self._conn.state_machine.state is not h2.connection.ConnectionState.CLOSED:
            try:
                self._conn.close_connection(error_code=code, additional_data=debug, last_stream_id=last_stream_id)
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
        """Drop the connection now: no GOAWAY, TCP reset (server shutdown, or an injected drop)."""
        if self._transport is not None:
            self._transport.abort()
