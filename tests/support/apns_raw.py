"""A frame-level HTTP/2 client for bad-input tests: it builds frames by hand (so it can send what
no well-behaved library would) and parses what the server answers with hyperframe + hpack."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Callable, Sequence
from typing import Self, TypeVar

import hpack
from hyperframe.frame import Frame, HeadersFrame

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, GOAWAY = 0x0, 0x1, 0x3, 0x4, 0x7
END_STREAM, END_HEADERS = 0x1, 0x4
DEADLINE = 5.0
F = TypeVar("F", bound=Frame)


def frame(kind: int, flags: int, stream_id: int, body: bytes) -> bytes:
    """One raw frame: 9-byte header + body."""
    return len(body).to_bytes(3, "big") + bytes((kind, flags)) + stream_id.to_bytes(4, "big") + body


class RawConnection:
    """One TLS connection speaking hand-made HTTP/2 frames."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.encoder, self.decoder = hpack.Encoder(), hpack.Decoder()
        self.frames: list[Frame] = []
        self.statuses: dict[int, int] = {}  # stream id -> :status of its response
        self._buffer = b""
        self.eof = False

    @classmethod
    async def open(cls, port: int, ctx: ssl.SSLContext, *, preface: bool = True) -> Self:
        """Connect to 127.0.0.1:``port``; send the client preface and an empty SETTINGS unless told not to."""
        conn = cls(*await asyncio.open_connection("127.0.0.1", port, ssl=ctx))
        if preface:
            conn.send(PREFACE + frame(SETTINGS, 0, 0, b""))
        return conn

    def block(self, headers: Sequence[tuple[bytes, bytes]]) -> bytes:
        """An HPACK block from this connection's encoder, with no header validation at all."""
        return self.encoder.encode(list(headers), huffman=False)

    def send(self, *chunks: bytes) -> None:
        """Write raw bytes."""
        self.writer.write(b"".join(chunks))

    def request(self, stream_id: int, headers: Sequence[tuple[bytes, bytes]], body: bytes | None,
                *, end: bool = True) -> None:
        """HEADERS, then DATA with ``body`` (END_STREAM on the last frame when ``end``)."""
        head_flags = END_HEADERS | (END_STREAM if body is None and end else 0)
        self.send(frame(HEADERS, head_flags, stream_id, self.block(headers)))
        if body is not None:
            self.send(frame(DATA, END_STREAM if end else 0, stream_id, body))

    async def until(self, done: Callable[[Frame], bool]) -> list[Frame]:
        """Read until a frame satisfies ``done`` (or EOF); returns every frame read so far."""
        async with asyncio.timeout(DEADLINE):
            while not any(done(f) for f in self.frames) and not self.eof:
                await self._read()
        return self.frames

    async def until_closed(self) -> list[Frame]:
        """Read until the server closes the connection."""
        async with asyncio.timeout(DEADLINE):
            while not self.eof:
                await self._read()
        return self.frames

    def of(self, kind: type[F]) -> list[F]:
        """Frames of one hyperframe class, in order."""
        return [f for f in self.frames if isinstance(f, kind)]

    async def _read(self) -> None:
        try:
            data = await self.reader.read(65536)
        except (ConnectionError, ssl.SSLError):
            data = b""
        if not data:
            self.eof = True
            return
        self._buffer += data
        while len(self._buffer) >= 9:
            parsed, length = Frame.parse_frame_header(memoryview(self._buffer[:9]))
            if len(self._buffer) < 9 + length:
                break
            parsed.parse_body(memoryview(self._buffer[9:9 + length]))
            self._buffer = self._buffer[9 + length:]
            self.frames.append(parsed)
            if isinstance(parsed, HeadersFrame):
                headers = dict(self.decoder.decode(parsed.data, raw=True))
                self.statuses[parsed.stream_id] = int(headers[b":status"])

    async def close(self) -> None:
        """Close our side."""
        self.writer.close()
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            await self.writer.wait_closed()
