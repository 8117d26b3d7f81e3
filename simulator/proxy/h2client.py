"""A small HTTP/2-over-TLS client: one connection, many concurrent streams.

The push proxy keeps one of these per APNs app, as sideshow/apns2 does. It speaks just the client
half of RFC 9113 that APNs needs (requests with a body, flow control both ways, SETTINGS, PING,
RST_STREAM, GOAWAY, CONTINUATION); frames and HPACK come from ``h2wire``. It is an
``asyncio.Protocol``: frames are handled as the bytes arrive, with no reader task in between.
Rule 1: a broken server only ever fails the requests on its connection, with a TransportError.
Rule 2: a request given up on (deadline, cancellation, early answer) resets its stream, as Go does.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import Callable, Final
from urllib.parse import urlsplit

import hpack
from h2.errors import ErrorCodes

from .h2wire import H2Response, TransportError  # re-exported: the sender's view of a request
from .h2wire import (DEFAULT_MAX_FRAME, DEFAULT_WINDOW, FRAME_HEADER, MAX_FRAME_LIMIT, MAX_WINDOW, PREFACE, Flag,
                     FrameType, HeaderDecoder, HeaderEncoder, Setting, WireError, check_frame, error_code, frame,
                     goaway, goaway_reason, headers_frames, response_head, rst_stream, settings, settings_frame,
                     unpad, window_update)

log = logging.getLogger(__name__)

# What Go's http2 Transport (the real proxy's) announces: no push, 4 MiB per stream, 1 GiB in all.
STREAM_WINDOW: Final = 4 << 20
CONNECTION_WINDOW: Final = 1 << 30
MAX_HEADER_LIST: Final = 10 << 20
_CLIENT_SETTINGS: Final = {Setting.ENABLE_PUSH: 0, Setting.INITIAL_WINDOW_SIZE: STREAM_WINDOW,
                           Setting.MAX_HEADER_LIST_SIZE: MAX_HEADER_LIST}
_MAX_STREAM_ID: Final = (1 << 31) - 1


class _Stream:
    __slots__ = ("future", "send_window", "status", "headers", "body", "unacked", "sent_end", "reset")

    def __init__(self, future: asyncio.Future[H2Response], send_window: int) -> None:
        self.future, self.send_window = future, send_window
        self.status: int | None = None
        self.headers: tuple[tuple[str, str], ...] = ()
        self.body = bytearray()
        self.unacked = 0  # received DATA bytes not yet given back in a WINDOW_UPDATE
        self.sent_end = False
        self.reset = False  # RST_STREAM already went one way or the other: never send one again


class H2Connection(asyncio.Protocol):
    """One client connection to ``url``; ``request`` may be called concurrently."""

    def __init__(self, url: str, *, ssl_context: ssl.SSLContext, server_hostname: str | None = None) -> None:
        parts = urlsplit(url)
        self.authority = parts.netloc
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 443
        self._ssl, self._sni = ssl_context, server_hostname or self._host
        self._encoder = HeaderEncoder()
        self._decoder = HeaderDecoder()
        self._decoder.max_header_list_size = MAX_HEADER_LIST
        self._transport: asyncio.Transport | None = None
        self._lost: asyncio.Future[None] | None = None
        self._streams: dict[int, _Stream] = {}
        self._next_id = 1
        self._inbox = bytearray()
        self._continuing: tuple[int, int, list[bytes]] | None = None  # stream id, HEADERS flags, fragments
        self._out: list[bytes] = []
        self._flush_scheduled = False
        self._waiters: list[asyncio.Future[None]] = []  # blocked on a stream slot or send window
        # The server's settings (RFC 9113 §6.5.2 defaults until its SETTINGS arrive) and windows.
        self._max_streams = 1 << 32
        self._initial_window = DEFAULT_WINDOW
        self._max_frame = DEFAULT_MAX_FRAME
        self._send_window = DEFAULT_WINDOW
        self._recv_unacked = 0
        self.closed_reason: str | None = None
        self._handlers: dict[int, Callable[[int, int, bytes], None]] = {
            FrameType.DATA: self._on_data, FrameType.HEADERS: self._on_headers,
            FrameType.CONTINUATION: self._on_continuation, FrameType.RST_STREAM: self._on_reset,
            FrameType.SETTINGS: self._on_settings, FrameType.PING: self._on_ping, FrameType.GOAWAY: self._on_goaway,
            FrameType.WINDOW_UPDATE: self._on_window_update}

    @property
    def is_open(self) -> bool:
        """True while the connection can carry new streams."""
        return self._transport is not None and self.closed_reason is None

    @property
    def open_streams(self) -> int:
        """Requests in flight (a request given up on is reset, so it stops counting)."""
        return len(self._streams)

    async def connect(self) -> None:
        """Open TCP + TLS and send the HTTP/2 preface."""
        loop = asyncio.get_running_loop()
        self._lost = loop.create_future()
        try:
            await loop.create_connection(lambda: self, self._host, self._port, ssl=self._ssl,
                                         server_hostname=self._sni)
        except (OSError, ssl.SSLError) as exc:
            raise TransportError(f"connect to {self.authority} failed: {exc}") from exc

    async def request(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> H2Response:
        """Send one request and wait for its whole response."""
        if not self.is_open:
            raise TransportError(f"connection to {self.authority} is closed: {self.closed_reason}")
        if len(self._streams) >= self._max_streams:
            await self._wait_until(self._slot_free)
            if not self.is_open:
                raise TransportError(f"connection to {self.authority} closed: {self.closed_reason}")
        sid = self._next_id
        if sid > _MAX_STREAM_ID:  # ids are spent: this connection is done, the sender opens another
            self._fail_all("stream ids exhausted")
            raise TransportError(f"connection to {self.authority} closed: {self.closed_reason}")
        block = self._encoder.encode(((":method", method), (":scheme", "https"), (":path", path),
                                      (":authority", self.authority), *headers))
        # From here on the block must go out: the server's HPACK table follows ours.
        self._next_id += 2
        stream = self._streams[sid] = _Stream(asyncio.get_running_loop().create_future(), self._initial_window)
        self._out.append(headers_frames(sid, block, end_stream=not body, max_frame=self._max_frame))
        try:
            if not body:
                stream.sent_end = True
            elif len(body) <= min(self._send_window, stream.send_window, self._max_frame):  # the usual push
                self._out.append(frame(FrameType.DATA, Flag.END_STREAM, sid, body))
                self._send_window -= len(body)
                stream.send_window -= len(body)
                stream.sent_end = True
            else:
                await self._send_body(sid, stream, body)
            self._flush_soon()
            return await stream.future
        finally:
            del self._streams[sid]
            future = stream.future
            if not future.done() or future.cancelled():
                self._cancel_stream(sid, stream)
            elif not stream.sent_end:  # the body was cut short: nobody awaited the answer's failure,
                future.exception()  # so mark it seen, or asyncio logs it as never retrieved
                self._cancel_stream(sid, stream)
            if self._waiters:
                self._wake()

    def _cancel_stream(self, sid: int, stream: _Stream) -> None:
        if self.is_open and not stream.reset:
            self._out.append(rst_stream(sid, ErrorCodes.CANCEL))
            self._flush_soon()

    def _slot_free(self) -> bool:
        return not self.is_open or len(self._streams) < self._max_streams

    async def _wait_until(self, ready: Callable[[], bool]) -> None:
        while not ready():
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def _send_body(self, sid: int, stream: _Stream, body: bytes) -> None:
        view = memoryview(body)
        while view:
            await self._wait_until(
                lambda: not self.is_open or stream.future.done() or min(self._send_window, stream.send_window) > 0)
            if not self.is_open:
                raise TransportError(f"connection to {self.authority} closed: {self.closed_reason}")
            if stream.future.done():
                return  # answered (or reset) before the body was through: stop sending
            size = min(len(view), self._send_window, stream.send_window, self._max_frame)
            last = size == len(view)
            self._out.append(frame(FrameType.DATA, Flag.END_STREAM if last else 0, sid, view[:size].tobytes()))
            self._send_window -= size
            stream.send_window -= size
            stream.sent_end = last
            self._flush_soon()
            view = view[size:]

    def _flush_soon(self) -> None:
        # One TLS write per loop turn for every request that queued frames in it: concurrent
        # pushes share records and syscalls instead of paying for them one by one.
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self._out:
            data = b"".join(self._out)
            self._out.clear()
            if self._transport is not None and not self._transport.is_closing():
                self._transport.write(data)

    # -- asyncio.Protocol --------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._out += (PREFACE, settings_frame(_CLIENT_SETTINGS), window_update(0, CONNECTION_WINDOW - DEFAULT_WINDOW))
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail_all("connection closed by peer" if exc is None else f"{type(exc).__name__}: {exc}")
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(None)

    def data_received(self, data: bytes) -> None:
        if self.closed_reason is not None:
            return  # GOAWAY, a protocol error or close(): nothing more is read
        inbox = self._inbox
        inbox += data
        pos, end = 0, len(inbox)
        try:
            while end - pos >= 9 and self.closed_reason is None:
                high, low, kind, flags, sid = FRAME_HEADER.unpack_from(inbox, pos)
                length = high << 16 | low
                if length > DEFAULT_MAX_FRAME:  # we never announce a larger SETTINGS_MAX_FRAME_SIZE
                    raise WireError(ErrorCodes.FRAME_SIZE_ERROR, f"{length}-byte frame")
                if end - pos - 9 < length:
                    break
                payload = bytes(inbox[pos + 9:pos + 9 + length])
                pos += 9 + length
                self._on_frame(kind, flags, sid & _MAX_STREAM_ID, payload)
        except WireError as exc:
            self._abort(exc)
        except hpack.HPACKError as exc:
            self._abort(WireError(ErrorCodes.COMPRESSION_ERROR, f"undecodable header block: {exc!r}"))
        del inbox[:pos]
        if self._out:
            self._flush_soon()

    # -- frames ------------------------------------------------------------------------------
    def _on_frame(self, kind: int, flags: int, sid: int, payload: bytes) -> None:
        check_frame(kind, flags, sid, payload)
        if self._continuing is not None and (kind != FrameType.CONTINUATION or sid != self._continuing[0]):
            raise WireError(ErrorCodes.PROTOCOL_ERROR, "header block interrupted (RFC 9113 §6.10)")
        handler = self._handlers.get(kind)
        if handler is not None:  # PRIORITY and unknown types are ignored (RFC 9113 §5.5)
            handler(flags, sid, payload)

    def _on_data(self, flags: int, sid: int, payload: bytes) -> None:
        self._recv_unacked += len(payload)  # padding counts against flow control too
        if self._recv_unacked >= CONNECTION_WINDOW // 2:
            self._out.append(window_update(0, self._recv_unacked))
            self._recv_unacked = 0
        stream = self._streams.get(sid)
        if stream is None:
            return  # a stream we gave up on: its window went with its RST_STREAM
        stream.body += unpad(flags, payload)
        stream.unacked += len(payload)
        if flags & Flag.END_STREAM:
            self._finish(sid, stream)
        elif stream.unacked >= STREAM_WINDOW // 2:
            self._out.append(window_update(sid, stream.unacked))
            stream.unacked = 0

    def _on_headers(self, flags: int, sid: int, payload: bytes) -> None:
        block = unpad(flags, payload)
        if flags & Flag.PRIORITY:
            block = block[5:]
        if flags & Flag.END_HEADERS:
            self._on_header_block(flags, sid, block)
        else:
            self._continuing = (sid, flags, [block])

    def _on_continuation(self, flags: int, sid: int, payload: bytes) -> None:
        if self._continuing is None:
            raise WireError(ErrorCodes.PROTOCOL_ERROR, "CONTINUATION without HEADERS")
        self._continuing[2].append(payload)
        if flags & Flag.END_HEADERS:
            _, first_flags, fragments = self._continuing
            self._continuing = None
            self._on_header_block(first_flags, sid, b"".join(fragments))

    def _on_header_block(self, flags: int, sid: int, block: bytes) -> None:
        headers = self._decoder.decode(block)  # always: the HPACK table must follow every block
        stream = self._streams.get(sid)
        if stream is None:
            return
        if stream.status is None:
            status, fields = response_head(headers)
            if status is None:
                self._refuse(sid, stream, ErrorCodes.PROTOCOL_ERROR, "malformed response: no valid :status")
                return
            if status < 200:
                return  # informational (1xx): the real answer follows
            stream.status, stream.headers = status, fields
        if flags & Flag.END_STREAM:  # trailers, if any, carry nothing APNs uses
            self._finish(sid, stream)

    def _on_reset(self, _flags: int, sid: int, payload: bytes) -> None:
        stream = self._streams.get(sid)
        if stream is not None:
            stream.reset = True
            self._resolve_error(stream, f"stream reset by server ({error_code(int.from_bytes(payload, 'big'))!r})")

    def _on_ping(self, flags: int, _sid: int, payload: bytes) -> None:
        if not flags & Flag.ACK:
            self._out.append(frame(FrameType.PING, Flag.ACK, 0, payload))

    def _on_goaway(self, _flags: int, _sid: int, payload: bytes) -> None:
        self._fail_all(goaway_reason(payload))  # no new streams; those in flight fail, and are retried

    def _on_settings(self, flags: int, _sid: int, payload: bytes) -> None:
        if flags & Flag.ACK:
            return
        for key, value in settings(payload):
            if key == Setting.HEADER_TABLE_SIZE:
                self._encoder.resize(value)
            elif key == Setting.MAX_CONCURRENT_STREAMS:
                self._max_streams = value
            elif key == Setting.INITIAL_WINDOW_SIZE:
                if value > MAX_WINDOW:
                    raise WireError(ErrorCodes.FLOW_CONTROL_ERROR, f"SETTINGS_INITIAL_WINDOW_SIZE {value}")
                for stream in self._streams.values():  # §6.9.2: open streams move by the difference
                    stream.send_window += value - self._initial_window
                self._initial_window = value
            elif key == Setting.MAX_FRAME_SIZE:
                if not DEFAULT_MAX_FRAME <= value <= MAX_FRAME_LIMIT:
                    raise WireError(ErrorCodes.PROTOCOL_ERROR, f"SETTINGS_MAX_FRAME_SIZE {value}")
                self._max_frame = value
        self._out.append(frame(FrameType.SETTINGS, Flag.ACK, 0))
        self._wake()

    def _on_window_update(self, _flags: int, sid: int, payload: bytes) -> None:
        increment = int.from_bytes(payload, "big") & MAX_WINDOW
        if sid == 0:
            if increment == 0 or self._send_window + increment > MAX_WINDOW:
                raise WireError(ErrorCodes.FLOW_CONTROL_ERROR, f"connection WINDOW_UPDATE of {increment}")
            self._send_window += increment
        elif (stream := self._streams.get(sid)) is not None:
            if increment == 0 or stream.send_window + increment > MAX_WINDOW:  # a stream error (§6.9)
                self._refuse(sid, stream, ErrorCodes.FLOW_CONTROL_ERROR, f"stream {sid}: WINDOW_UPDATE of {increment}")
                return
            stream.send_window += increment
        if self._waiters:
            self._wake()

    def _finish(self, sid: int, stream: _Stream) -> None:
        if stream.status is None:
            self._refuse(sid, stream, ErrorCodes.PROTOCOL_ERROR, "malformed response: no valid :status")
        elif not stream.future.done():
            stream.future.set_result(H2Response(status=stream.status, headers=stream.headers, body=bytes(stream.body)))

    def _refuse(self, sid: int, stream: _Stream, code: ErrorCodes, why: str) -> None:
        self._out.append(rst_stream(sid, code))  # a stream error: the connection carries on
        stream.reset = True
        self._resolve_error(stream, why)

    def _resolve_error(self, stream: _Stream, why: str) -> None:
        if not stream.future.done():
            stream.future.set_exception(TransportError(why))
        if self._waiters:
            self._wake()

    def _abort(self, exc: WireError) -> None:
        log.debug("%s: protocol error from server: %s", self.authority, exc)
        self._out.append(goaway(0, exc.code, str(exc).encode()))  # 0: a client accepts no server streams
        self._flush()
        self._fail_all(f"ProtocolError: {exc}")
        if self._transport is not None:
            self._transport.close()

    def _fail_all(self, why: str) -> None:
        self.closed_reason = self.closed_reason or why
        for stream in self._streams.values():
            self._resolve_error(stream, why)
        self._wake()

    async def close(self) -> None:
        """Close the connection politely (GOAWAY) and wait until the socket is closed."""
        if self.is_open:
            self._out.append(goaway(0, ErrorCodes.NO_ERROR))
            self._flush()
        self._fail_all("closed by client")
        if self._transport is not None:
            self._transport.close()
            if self._lost is not None:
                await self._lost

