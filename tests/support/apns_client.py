"""A tiny HTTP/2 client for testing the fake APNs: one TLS connection, concurrent streams,
GOAWAY capture. Written for tests only; it trusts h2 for all framing."""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self, Sequence
from urllib.parse import urlsplit

import h2.config
import h2.connection
import h2.events


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    """A complete response as the client saw it (``data_frames`` counts DATA frames with bytes)."""

    status: int
    headers: dict[str, str]
    body: bytes
    data_frames: int

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True, slots=True, kw_only=True)
class GoAway:
    """A GOAWAY the server sent."""

    error_code: int
    last_stream_id: int
    additional_data: bytes | None


@dataclass(slots=True)
class _Pending:
    future: asyncio.Future[Response]
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)
    data_frames: int = 0


class ApnsClient:
    """One HTTP/2 connection; use ``ApnsClient.connect`` and ``async with``."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, authority: str) -> None:
        self._reader, self._writer, self.authority = reader, writer, authority
        self._conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self._pending: dict[int, _Pending] = {}
        self._window_opened = asyncio.Event()
        loop = asyncio.get_running_loop()
        self.goaway: asyncio.Future[GoAway] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self._conn.initiate_connection()
        self._writer.write(self._conn.data_to_send())
        self._task = asyncio.create_task(self._read_loop())

    @classmethod
    async def connect(cls, url: str, ssl_context: ssl.SSLContext, *, server_hostname: str | None = None) -> Self:
        """Open TLS to ``url`` (raises ``ssl.SSLCertVerificationError`` for an untrusted server)."""
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port, ssl=ssl_context,
                                                       server_hostname=server_hostname or parts.hostname)
        return cls(reader, writer, parts.netloc)

    @property
    def alpn(self) -> str | None:
        ssl_object = self._writer.get_extra_info("ssl_object")
        return ssl_object.selected_alpn_protocol() if ssl_object is not None else None

    async def post(self, token: str, *, headers: Sequence[tuple[str, str]] = (), body: bytes = b"") -> Response:
        """POST /3/device/<token> with ``headers`` (plus :method/:scheme/:path/:authority)."""
        base = [(":method", "POST"), (":scheme", "https"), (":path", f"/3/device/{token}"),
                (":authority", self.authority)]
        return await self.request([*base, *headers], body)

    async def request(self, headers: Sequence[tuple[str, str]], body: bytes = b"") -> Response:
        """Send raw ``headers`` (pseudo-headers included) and ``body``; wait for the response."""
        sid = self._conn.get_next_available_stream_id()
        pending = _Pending(asyncio.get_running_loop().create_future())
        self._pending[sid] = pending
        self._conn.send_headers(sid, list(headers), end_stream=not body)
        self._flush()
        view = memoryview(body)
        while view:
            window = min(self._conn.local_flow_control_window(sid), self._conn.max_outbound_frame_size)
            if window <= 0:
                self._window_opened.clear()
                await self._window_opened.wait()
                continue
            chunk, view = view[:window], view[window:]
            self._conn.send_data(sid, bytes(chunk), end_stream=not view)
            self._flush()
        return await pending.future

    def _flush(self) -> None:
        data = self._conn.data_to_send()
        if data and not self._writer.is_closing():
            self._writer.write(data)

    async def _read_loop(self) -> None:
        try:
            while data := await self._reader.read(65536):
                for event in self._conn.receive_data(data):
                    self._on_event(event)
                self._flush()
        except (ConnectionError, ssl.SSLError):
            pass  # the server dropped us: same as EOF for the tests
        finally:
            for pending in self._pending.values():
                if not pending.future.done():
                    pending.future.set_exception(ConnectionError("connection closed before the response"))
            if not self.closed.done():
                self.closed.set_result(None)

    def _on_event(self, event: h2.events.Event) -> None:
        match event:
            case h2.events.ResponseReceived(stream_id=sid, headers=headers):
                pending = self._pending[sid]
                pending.headers = {str(k): str(v) for k, v in headers or ()}
                pending.status = int(pending.headers[":status"])
            case h2.events.DataReceived(stream_id=sid, data=data, flow_controlled_length=length):
                self._pending[sid].body += data or b""
                self._pending[sid].data_frames += 1 if data else 0
                self._conn.acknowledge_received_data(length or 0, sid)
            case h2.events.StreamEnded(stream_id=sid):
                p = self._pending.pop(sid)
                p.future.set_result(Response(status=p.status, headers=p.headers, body=bytes(p.body),
                                             data_frames=p.data_frames))
            case h2.events.WindowUpdated():
                self._window_opened.set()
            case h2.events.ConnectionTerminated(error_code=code, last_stream_id=last, additional_data=debug):
                if not self.goaway.done():
                    self.goaway.set_result(GoAway(error_code=int(code or 0), last_stream_id=last or 0,
                                                  additional_data=debug))

    async def aclose(self) -> None:
        """Close the connection and stop the reader."""
        self._writer.close()
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            await self._writer.wait_closed()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()
