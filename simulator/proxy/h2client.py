"""A small HTTP/2-over-TLS client: one connection, many concurrent streams.

The push proxy keeps one of these per APNs app, as sideshow/apns2 does. Parsing lives in h2;
this module only moves bytes and matches stream ids to waiting requests.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlsplit

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings

log = logging.getLogger(__name__)


class TransportError(Exception):
    """No HTTP/2 response arrived: connect, TLS, reset, GOAWAY or timeout."""


@dataclass(frozen=True, slots=True, kw_only=True)
class H2Response:
    """A complete HTTP/2 response."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (lower-case), or None."""
        return next((v for k, v in self.headers if k == name), None)


@dataclass(slots=True)
class _Stream:
    future: asyncio.Future[H2Response]
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)


class H2Connection:
    """One client connection to ``url``; ``request`` may be called concurrently."""

    def __init__(self, url: str, *, ssl_context: ssl.SSLContext, server_hostname: str | None = None) -> None:
        parts = urlsplit(url)
        self.authority = parts.netloc
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 443
        self._ssl, self._sni = ssl_context, server_hostname or self._host
        # Header names are lower-case already, so h2's normalising is skipped; that also leaves the
        # bearer token indexable in HPACK, as Go's http2 client (the real proxy's) sends it: after the
        # first request on a connection the 200-byte JWT costs one byte instead of being re-sent.
        self._conn = h2.connection.H2Connection(h2.config.H2Configuration(
            client_side=True, header_encoding="utf-8", normalize_outbound_headers=False))
        # Plain (non-Huffman) literals: HPACK allows both, and they are cheaper to write and parse.
        encoder = self._conn.encoder
        encoder.encode = functools.partial(type(encoder).encode, encoder, huffman=False)  # type: ignore[method-assign]
        self._streams: dict[int, _Stream] = {}
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._changed = asyncio.Condition()  # window updates, settings, stream closes
        self._waiting = 0  # coroutines blocked on _changed
        self._flush_scheduled = False
        self.closed_reason: str | None = None

    @property
    def is_open(self) -> bool:
        """True while the connection can carry new streams."""
        return self._writer is not None and self.closed_reason is None

    @property
    def open_streams(self) -> int:
        """Streams h2 still counts as open (a request given up on is reset, so it stops counting)."""
        return self._conn.open_outbound_streams

    async def connect(self) -> None:
        """Open TCP + TLS and send the HTTP/2 preface."""
        try:
            reader, self._writer = await asyncio.open_connection(
                self._host, self._port, ssl=self._ssl, server_hostname=self._sni)
        except (OSError, ssl.SSLError) as exc:
            raise TransportError(f"connect to {self.authority} failed: {exc}") from exc
        self._conn.initiate_connection()
        self._flush()
        self._reader_task = asyncio.create_task(self._read_loop(reader), name=f"h2-read {self.authority}")

    async def request(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> H2Response:
        """Send one request and wait for its whole response."""
        if not self.is_open:
            raise TransportError(f"connection to {self.authority} is closed: {self.closed_reason}")
        await self._wait_until(self._slot_free)
        if not self.is_open:
            raise TransportError(f"connection to {self.authority} closed: {self.closed_reason}")
        sid = self._conn.get_next_available_stream_id()
        stream = _Stream(asyncio.get_running_loop().create_future())
        self._streams[sid] = stream
        pseudo = [(":method", method), (":scheme", "https"), (":path", path), (":authority", self.authority)]
        try:
            self._conn.send_headers(sid, pseudo + headers, end_stream=not body)
            if body:
                await self._send_body(sid, body)
            else:
                self._flush_soon()
            return await stream.future
        except h2.exceptions.ProtocolError as exc:  # e.g. the server reset this stream mid-body
            raise TransportError(f"stream {sid} to {self.authority} failed: {type(exc).__name__}: {exc}") from exc
        finally:
            self._streams.pop(sid, None)
            # Given up (a deadline cancels the wait, and with it the future): free the stream as
            # Go's client does, or h2 would count it open for the life of the connection.
            if stream.future.cancelled() or not stream.future.done():
                self._cancel_stream(sid)

    def _cancel_stream(self, sid: int) -> None:
        if not self.is_open:
            return
        try:
            self._conn.reset_stream(sid, h2.errors.ErrorCodes.CANCEL)
        except h2.exceptions.ProtocolError:
            return  # already closed on the wire: nothing to cancel
        self._flush_soon()

    def _slot_free(self) -> bool:
        # Our own count of requests in flight: h2's open_outbound_streams walks every stream.
        return not self.is_open or len(self._streams) < self._conn.remote_settings.max_concurrent_streams

    async def _wait_until(self, ready: Callable[[], bool]) -> None:
        # Fast path without the lock: on a healthy connection there is almost always room.
        if ready():
            return
        self._waiting += 1
        try:
            async with self._changed:
                await self._changed.wait_for(ready)
        finally:
            self._waiting -= 1

    async def _send_body(self, sid: int, body: bytes) -> None:
        view = memoryview(body)
        while view:
            await self._wait_until(lambda: not self.is_open or self._conn.local_flow_control_window(sid) > 0)
            if not self.is_open:
                raise TransportError(f"connection to {self.authority} closed: {self.closed_reason}")
            size = min(len(view), self._conn.local_flow_control_window(sid), self._conn.max_outbound_frame_size)
            self._conn.send_data(sid, view[:size].tobytes(), end_stream=size == len(view))
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
        data = self._conn.data_to_send()
        if data and self._writer is not None and not self._writer.is_closing():
            self._writer.write(data)

    async def _read_loop(self, reader: asyncio.StreamReader) -> None:
        try:
            while self.closed_reason is None:
                data = await reader.read(65536)
                if not data:
                    self._fail_all("connection closed by peer")
                    break
                self._dispatch(self._conn.receive_data(data))
                self._flush_soon()
                if self._waiting:  # window updates, settings or closed streams may unblock someone
                    async with self._changed:
                        self._changed.notify_all()
        except (OSError, ssl.SSLError, h2.exceptions.ProtocolError) as exc:
            self._fail_all(f"{type(exc).__name__}: {exc}")
        async with self._changed:
            self._changed.notify_all()

    def _dispatch(self, events: list[h2.events.Event]) -> None:
        for event in events:
            match event:
                case h2.events.ResponseReceived(stream_id=sid, headers=headers) if sid in self._streams:
                    self._streams[sid].headers.extend(headers)  # type: ignore[arg-type]
                case h2.events.DataReceived(stream_id=sid, data=data, flow_controlled_length=n):
                    self._conn.acknowledge_received_data(n, sid)
                    if sid in self._streams:
                        self._streams[sid].body += data
                case h2.events.StreamEnded(stream_id=sid) if sid in self._streams:
                    self._finish(sid)
                case h2.events.StreamReset(stream_id=sid, error_code=code) if sid in self._streams:
                    self._resolve_error(sid, f"stream reset by server ({code!r})")
                case h2.events.ConnectionTerminated(error_code=code, additional_data=data):
                    debug = (data or b"").decode("utf-8", "replace")
                    self._fail_all(f"GOAWAY {code!r} {debug}".strip())

    def _finish(self, sid: int) -> None:
        stream = self._streams[sid]
        status = int(next((v for k, v in stream.headers if k == ":status"), "0"))
        headers = tuple((k, v) for k, v in stream.headers if not k.startswith(":"))
        if not stream.future.done():
            stream.future.set_result(H2Response(status=status, headers=headers, body=bytes(stream.body)))

    def _resolve_error(self, sid: int, why: str) -> None:
        future = self._streams[sid].future
        if not future.done():
            future.set_exception(TransportError(why))

    def _fail_all(self, why: str) -> None:
        self.closed_reason = self.closed_reason or why
        for sid in list(self._streams):
            self._resolve_error(sid, why)

    async def close(self) -> None:
        """Close the connection politely (GOAWAY) and wait for the reader to stop."""
        if self._writer is not None and self.closed_reason is None:
            try:
                self._conn.close_connection()
                self._flush()
            except h2.exceptions.ProtocolError:
                pass  # already closing: nothing polite left to say
        self._fail_all("closed by client")
        if self._writer is not None:
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except (OSError, ssl.SSLError):
                pass  # the peer may already be gone; the socket is closed either way
        if self._reader_task is not None:
            self._reader_task.cancel()
            try:
                await self._reader_task
            except asyncio.CancelledError:
                pass
