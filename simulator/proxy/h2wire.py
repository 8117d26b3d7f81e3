"""The HTTP/2 wire pieces the proxy's APNs client needs: frames (RFC 9113 §4.1, §6) and HPACK
header blocks (RFC 7541): our own encoder, and hpack's decoder with its commonest case inline.

Rule 1: the encoder keeps a real dynamic table, so the long-lived request headers (the provider
JWT, ``apns-topic`` …) cost one byte each after their first use, as with Go's client.
Rule 2: ``:path`` (a new device token on nearly every push) is sent without indexing, so it never
evicts those entries. Literals are never Huffman-coded: legal, and cheaper to write and read.
No I/O here.
"""

from __future__ import annotations

import struct
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

import hpack
from h2.errors import ErrorCodes
from hpack.table import HeaderTable, table_entry_size

PREFACE: Final = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
FRAME_HEADER: Final = struct.Struct(">BHBBI")  # length (24 bits as 8 + 16), type, flags, stream id
DEFAULT_WINDOW: Final = 65535
DEFAULT_MAX_FRAME: Final = 16384
MAX_FRAME_LIMIT: Final = (1 << 24) - 1
MAX_WINDOW: Final = (1 << 31) - 1
DEFAULT_TABLE_SIZE: Final = 4096


class FrameType(IntEnum):
    """Frame type codes (RFC 9113 §6)."""

    DATA = 0x0
    HEADERS = 0x1
    PRIORITY = 0x2
    RST_STREAM = 0x3
    SETTINGS = 0x4
    PUSH_PROMISE = 0x5
    PING = 0x6
    GOAWAY = 0x7
    WINDOW_UPDATE = 0x8
    CONTINUATION = 0x9


class Flag:
    """Frame flag bits (RFC 9113 §6)."""

    ACK = 0x1
    END_STREAM = 0x1
    END_HEADERS = 0x4
    PADDED = 0x8
    PRIORITY = 0x20


class Setting(IntEnum):
    """SETTINGS parameters (RFC 9113 §6.5.2)."""

    HEADER_TABLE_SIZE = 0x1
    ENABLE_PUSH = 0x2
    MAX_CONCURRENT_STREAMS = 0x3
    INITIAL_WINDOW_SIZE = 0x4
    MAX_FRAME_SIZE = 0x5
    MAX_HEADER_LIST_SIZE = 0x6


class WireError(Exception):
    """The peer broke the protocol: the whole connection goes (RFC 9113 §5.4.1)."""

    def __init__(self, code: ErrorCodes, message: str) -> None:
        super().__init__(message)
        self.code = code


def error_code(value: int) -> ErrorCodes | int:
    """An error code as h2 names it; unknown codes stay numbers (RFC 9113 §7)."""
    try:
        return ErrorCodes(value)
    except ValueError:
        return value


def unpad(flags: int, payload: bytes) -> bytes:
    """A DATA or HEADERS payload without its padding (RFC 9113 §6.1, §6.2)."""
    if not flags & Flag.PADDED:
        return payload
    if not payload or payload[0] >= len(payload):
        raise WireError(ErrorCodes.PROTOCOL_ERROR, "padding longer than the frame (RFC 9113 §6.1)")
    return payload[1:len(payload) - payload[0]]


_CONNECTION_FRAMES: Final = frozenset({FrameType.SETTINGS, FrameType.PING, FrameType.GOAWAY})
_STREAM_FRAMES: Final = frozenset({FrameType.DATA, FrameType.HEADERS, FrameType.PRIORITY, FrameType.RST_STREAM,
                                   FrameType.PUSH_PROMISE, FrameType.CONTINUATION})
_FIXED_LENGTH: Final = {FrameType.PING: 8, FrameType.RST_STREAM: 4, FrameType.WINDOW_UPDATE: 4,
                        FrameType.PRIORITY: 5}


def check_frame(kind: int, flags: int, stream_id: int, payload: bytes) -> None:
    """Raise WireError for a frame a client can never accept, whatever its streams' states (RFC 9113 §6)."""
    if stream_id == 0 and kind in _STREAM_FRAMES or stream_id != 0 and kind in _CONNECTION_FRAMES:
        raise WireError(ErrorCodes.PROTOCOL_ERROR, f"{FrameType(kind).name} on stream {stream_id}")
    size = _FIXED_LENGTH.get(kind)  # type: ignore[call-overload]
    if size is not None and len(payload) != size or kind == FrameType.SETTINGS and flags & Flag.ACK and payload:
        raise WireError(ErrorCodes.FRAME_SIZE_ERROR, f"{len(payload)}-byte {FrameType(kind).name}")
    if kind == FrameType.PUSH_PROMISE:
        raise WireError(ErrorCodes.PROTOCOL_ERROR, "PUSH_PROMISE although push is disabled (RFC 9113 §8.4)")


def settings(payload: bytes) -> list[tuple[int, int]]:
    """A SETTINGS payload as (parameter, value) pairs."""
    if len(payload) % 6:
        raise WireError(ErrorCodes.FRAME_SIZE_ERROR, f"{len(payload)}-byte SETTINGS")
    return list(struct.iter_unpack(">HI", payload))


def goaway_reason(payload: bytes) -> str:
    """What a GOAWAY says, as the proxy logs it: ``GOAWAY <code> <debug data>``."""
    if len(payload) < 8:
        raise WireError(ErrorCodes.FRAME_SIZE_ERROR, "short GOAWAY")
    _, code = struct.unpack_from(">II", payload)
    return f"GOAWAY {error_code(code)!r} {payload[8:].decode('utf-8', 'replace')}".strip()


def response_head(headers: list[tuple[str, str]]) -> tuple[int | None, tuple[tuple[str, str], ...]]:
    """A response header block's ``:status`` (None when missing or not 3 digits) and regular fields."""
    status: str | None = None
    fields = []
    for name, value in headers:  # a loop, not comprehensions: this runs for every push
        if name[:1] != ":":
            fields.append((name, value))
        elif name == ":status" and status is None:
            status = value
    valid = status is not None and len(status) == 3 and status.isascii() and status.isdigit()
    return int(status) if valid else None, tuple(fields)  # type: ignore[arg-type]


def frame(kind: int, flags: int, stream_id: int, payload: bytes = b"") -> bytes:
    """One serialized frame."""
    n = len(payload)
    return FRAME_HEADER.pack(n >> 16, n & 0xFFFF, kind, flags, stream_id) + payload


def settings_frame(values: dict[Setting, int]) -> bytes:
    """A SETTINGS frame carrying ``values``."""
    return frame(FrameType.SETTINGS, 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in values.items()))


def window_update(stream_id: int, increment: int) -> bytes:
    """A WINDOW_UPDATE frame."""
    return frame(FrameType.WINDOW_UPDATE, 0, stream_id, increment.to_bytes(4, "big"))


def rst_stream(stream_id: int, code: int) -> bytes:
    """A RST_STREAM frame."""
    return frame(FrameType.RST_STREAM, 0, stream_id, code.to_bytes(4, "big"))


def goaway(last_stream_id: int, code: int, debug: bytes = b"") -> bytes:
    """A GOAWAY frame."""
    return frame(FrameType.GOAWAY, 0, 0, struct.pack(">II", last_stream_id, code) + debug)


def headers_frames(stream_id: int, block: bytes, *, end_stream: bool, max_frame: int) -> bytes:
    """HEADERS plus as many CONTINUATION frames as ``block`` needs (RFC 9113 §6.2, §6.10)."""
    end = Flag.END_STREAM if end_stream else 0
    if len(block) <= max_frame:
        return frame(FrameType.HEADERS, end | Flag.END_HEADERS, stream_id, block)
    chunks = [block[i:i + max_frame] for i in range(0, len(block), max_frame)]
    out = [frame(FrameType.HEADERS, end, stream_id, chunks[0])]
    out += [frame(FrameType.CONTINUATION, 0, stream_id, c) for c in chunks[1:-1]]
    out.append(frame(FrameType.CONTINUATION, Flag.END_HEADERS, stream_id, chunks[-1]))
    return b"".join(out)


def _integer(value: int, prefix_bits: int, first: int) -> bytes:
    # RFC 7541 §5.1: an N-bit prefix, then 7-bit groups.
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes((first | value,))
    out = bytearray((first | limit,))
    value -= limit
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _string(raw: bytes) -> bytes:
    return _integer(len(raw), 7, 0) + raw  # H bit clear: a plain literal


_STATIC_EXACT: Final = {(n.decode(), v.decode()): i for i, (n, v) in enumerate(HeaderTable.STATIC_TABLE, 1)}
_STATIC_NAME: Final = {n.decode(): i for i, (n, _) in reversed(list(enumerate(HeaderTable.STATIC_TABLE, 1)))}
_STATIC_COUNT: Final = len(HeaderTable.STATIC_TABLE)
_ENTRY_OVERHEAD: Final = 32  # RFC 7541 §4.1
_INDEXED: Final = tuple(bytes((0x80 | i,)) for i in range(0x7F))  # indexed fields with a one-byte index
_NOT_INDEXED: Final = frozenset({":path"})


class HeaderEncoder:
    """An HPACK encoder with its dynamic table; ``encode`` must be followed by sending the block."""

    def __init__(self) -> None:
        self._max_size = DEFAULT_TABLE_SIZE
        self._size = 0
        self._entries: deque[tuple[tuple[str, str], int]] = deque()  # oldest first, with entry sizes
        self._numbers: dict[tuple[str, str], int] = {}  # entry -> its insertion number
        self._inserted = 0
        self._resizes: list[int] = []  # table size updates owed at the start of the next block

    def resize(self, peer_limit: int) -> None:
        """The peer's SETTINGS_HEADER_TABLE_SIZE changed: never use more, nor more than the default."""
        size = min(peer_limit, DEFAULT_TABLE_SIZE)
        if size != self._max_size:
            self._max_size = size
            self._evict(0)
            self._resizes.append(size)

    def encode(self, headers: Iterable[tuple[str, str]]) -> bytes:
        """One header block (names lower-case already, values UTF-8)."""
        out: list[bytes] = []
        if self._resizes:  # RFC 7541 §4.2: the smallest size since the last block, then the last one
            smallest, last = min(self._resizes), self._resizes[-1]
            out += [_integer(s, 5, 0x20) for s in dict.fromkeys((smallest, last))]
            self._resizes.clear()
        numbers, newest = self._numbers, _STATIC_COUNT + 1 + self._inserted  # the newest entry is index 62
        for header in headers:
            number = numbers.get(header)  # most of a push's fields are in the dynamic table
            index = newest - number if number is not None else _STATIC_EXACT.get(header)
            if index is not None:
                out.append(_INDEXED[index] if index < 0x7F else _integer(index, 7, 0x80))
                continue
            name, value = header
            name_index = _STATIC_NAME.get(name, 0)
            name_part = b"" if name_index else _string(name.encode())
            if name in _NOT_INDEXED:  # literal without indexing (§6.2.2)
                out += (_integer(name_index, 4, 0x00), name_part, _string(value.encode()))
                continue
            raw_value = value.encode()
            out += (_integer(name_index, 6, 0x40), name_part, _string(raw_value))  # incremental (§6.2.1)
            self._add(header, len(name.encode()) + len(raw_value) + _ENTRY_OVERHEAD)
            newest = _STATIC_COUNT + 1 + self._inserted
        return b"".join(out)

    def _add(self, header: tuple[str, str], size: int) -> None:
        # §4.4: an entry larger than the table empties it and is not added.
        self._evict(size)
        if size <= self._max_size:
            self._inserted += 1
            self._entries.append((header, size))
            self._numbers[header] = self._inserted
            self._size += size

    def _evict(self, room: int) -> None:
        while self._entries and self._size + room > self._max_size:
            header, size = self._entries.popleft()
            self._size -= size
            del self._numbers[header]


class HeaderDecoder(hpack.Decoder):
    """hpack's decoder, str headers, with a field already in a table (one byte on the wire) inline.

    An APNs answer is ``:status`` and ``apns-id`` (and, on errors, a content type): the status is
    one byte. Everything else, errors included, is hpack's own code.
    """

    def decode(self, data: bytes, raw: bool = False) -> list[tuple[str, str]]:  # type: ignore[override]
        """One header block as (name, value) strings; raises hpack.HPACKError."""
        headers: list[tuple[bytes, bytes]] = []
        lookup, view = self.header_table.get_by_index, memoryview(data)
        size, i, end = 0, 0, len(data)
        while i < end:
            first = data[i]
            if 0x80 < first < 0xFF:  # indexed field, index in the prefix byte (RFC 7541 §6.1)
                header, consumed = lookup(first & 0x7F), 1
            elif first & 0x80:
                header, consumed = self._decode_indexed(view[i:])
            elif first & 0x40:
                header, consumed = self._decode_literal_index(view[i:])
            elif first & 0x20:
                if headers:
                    raise hpack.HPACKDecodingError("Table size update not at the start of the block")
                i += self._update_encoding_context(view[i:])
                continue
            else:
                header, consumed = self._decode_literal_no_index(view[i:])
            headers.append(header)
            size += table_entry_size(header[0], header[1])
            if size > self.max_header_list_size:
                raise hpack.OversizedHeaderListError(f"header list over {self.max_header_list_size} bytes")
            i += consumed
        self._assert_valid_table_size()
        try:
            return [(bytes(name).decode(), bytes(value).decode()) for name, value in headers]
        except UnicodeDecodeError as exc:
            raise hpack.HPACKDecodingError("Unable to decode headers as UTF-8") from exc


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
        for key, value in self.headers:
            if key == name:
                return value
        return None
