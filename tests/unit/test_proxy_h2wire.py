"""The proxy's HTTP/2 wire pieces (RFC 9113 frames, RFC 7541 HPACK), checked against hpack itself:
what our encoder writes, hpack reads back; what hpack writes, our decoder reads as hpack does."""

from __future__ import annotations

import random

import hpack
import pytest
from h2.errors import ErrorCodes

from simulator.proxy.h2wire import (Flag, FrameType, HeaderDecoder, HeaderEncoder, WireError, check_frame,
                                    goaway_reason, headers_frames, response_head, settings, unpad)

JWT = "bearer " + "j" * 220


def decoded(decoder: hpack.Decoder, block: bytes) -> list[tuple[str, str]]:
    return [(str(name), str(value)) for name, value in decoder.decode(block)]


def push_headers(rng: random.Random) -> list[tuple[str, str]]:
    return [(":method", "POST"), (":scheme", "https"), (":path", f"/3/device/{rng.getrandbits(256):064x}"),
            (":authority", "api.push.apple.com"), ("authorization", JWT),
            ("apns-topic", f"com.example.app{rng.randrange(3)}"), ("apns-priority", rng.choice(["5", "10"])),
            ("apns-push-type", "alert"), ("x-note", "é" * rng.randrange(3))]


def test_hpack_reads_back_every_block_the_encoder_writes_through_evictions() -> None:
    rng, encoder, decoder = random.Random(1), HeaderEncoder(), hpack.Decoder()
    sizes = []
    for i in range(400):
        headers = push_headers(rng) + [(f"x-{i}", "v" * rng.randrange(600))]  # churns the 4 KiB table
        block = encoder.encode(headers)
        sizes.append(len(block))
        assert decoded(decoder, block) == headers
    # Once in the table, the 220-byte JWT costs one byte: blocks stay far below the first one.
    assert min(sizes[1:]) < sizes[0] - 200


def test_a_path_is_never_indexed_and_a_repeated_field_is_one_byte() -> None:
    encoder = HeaderEncoder()
    encoder.encode([("authorization", JWT), (":path", "/3/device/aa")])
    second = encoder.encode([("authorization", JWT), (":path", "/3/device/aa")])
    assert second[0] == 0x80 | 62  # the newest dynamic entry, the JWT: the path was not added
    assert second[1] == 0x04  # literal without indexing, name :path from the static table


def test_an_entry_larger_than_the_table_empties_it_and_is_not_indexed() -> None:
    encoder, decoder = HeaderEncoder(), hpack.Decoder()
    for headers in ([("a", "1")], [("big", "x" * 5000)], [("a", "1"), ("big", "x" * 5000)], [("a", "1")]):
        assert decoded(decoder, encoder.encode(headers)) == headers
    # The big entry emptied both tables, so the last "a" was a literal again, and is the only entry.
    assert list(decoder.header_table.dynamic_entries) == [(b"a", b"1")]


def test_a_smaller_peer_table_is_signalled_before_the_next_block() -> None:
    encoder, decoder = HeaderEncoder(), hpack.Decoder()
    decoder.decode(encoder.encode(push_headers(random.Random(2))))
    decoder.max_allowed_table_size = 256  # our SETTINGS_HEADER_TABLE_SIZE, acked
    encoder.resize(256)
    headers = push_headers(random.Random(3))
    assert decoded(decoder, encoder.encode(headers)) == headers
    assert decoder.header_table_size == 256


def test_without_the_size_update_the_peer_refuses_the_block() -> None:
    encoder, decoder = HeaderEncoder(), hpack.Decoder()
    decoder.max_allowed_table_size = 256
    with pytest.raises(hpack.InvalidTableSizeError):
        decoder.decode(encoder.encode([("a", "1")]))  # the table is still 4096 bytes: over the limit


def test_the_decoder_reads_what_hpack_writes_huffman_and_indexed_alike() -> None:
    rng, encoder, ours, theirs = random.Random(4), hpack.Encoder(), HeaderDecoder(), hpack.Decoder()
    for i in range(200):
        headers = [(":status", rng.choice(["200", "400", "410"])), ("apns-id", f"{rng.getrandbits(128):032x}"),
                   ("content-type", "application/json"), ("x-note", "é" * (i % 3))]
        block = encoder.encode(headers, huffman=bool(i % 2))
        assert ours.decode(block) == decoded(theirs, block) == headers


@pytest.mark.parametrize("block, error", [
    (b"\xbf", hpack.InvalidTableIndex),  # dynamic index 63 with an empty table
    (b"\x80", hpack.InvalidTableIndex),  # index 0
    (b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", hpack.HPACKDecodingError),  # integer overflow
    (b"\x88\x3f\xe1\x1f", hpack.HPACKDecodingError),  # table size update after a field
    (b"\x40\x05ab", hpack.HPACKDecodingError),  # truncated literal
    (b"\x00\x01a\x01\xff", hpack.HPACKDecodingError),  # not UTF-8
], ids=["empty-dynamic-index", "index-0", "overflow", "late-size-update", "truncated", "not-utf8"])
def test_the_decoder_refuses_what_hpack_refuses(block: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        hpack.Decoder().decode(block)
    with pytest.raises(error):
        HeaderDecoder().decode(block)


def test_a_response_head_is_its_status_and_regular_fields() -> None:
    assert response_head([(":status", "200"), ("apns-id", "x")]) == (200, (("apns-id", "x"),))
    for bad in ([("apns-id", "x")], [(":status", "2000")], [(":status", "２００")], [(":status", "ok!")]):
        assert response_head(bad)[0] is None


def test_a_large_header_block_is_split_into_continuation_frames() -> None:
    data = headers_frames(1, b"h" * 40000, end_stream=True, max_frame=16384)
    kinds = [(data[i + 3], data[i + 4], int.from_bytes(data[i:i + 3], "big")) for i in (0, 16393, 32786)]
    assert kinds == [(FrameType.HEADERS, Flag.END_STREAM, 16384), (FrameType.CONTINUATION, 0, 16384),
                     (FrameType.CONTINUATION, Flag.END_HEADERS, 40000 - 2 * 16384)]
    assert len(data) == 40000 + 3 * 9


def test_frames_a_client_can_accept_pass_the_check() -> None:
    check_frame(FrameType.DATA, 0, 1, b"x")
    check_frame(FrameType.WINDOW_UPDATE, 0, 0, b"\x00\x00\x00\x01")
    check_frame(FrameType.SETTINGS, Flag.ACK, 0, b"")
    check_frame(0xEE, 0, 0, b"whatever")  # unknown types are ignored, not refused
    assert settings(b"\x00\x03\x00\x00\x00\x64") == [(3, 100)]
    assert unpad(Flag.PADDED, b"\x02abcXX") == b"abc"
    assert goaway_reason(b"\x00\x00\x00\x00\x00\x00\x00\x00{\"reason\":\"Shutdown\"}") == \
        'GOAWAY <ErrorCodes.NO_ERROR: 0> {"reason":"Shutdown"}'


@pytest.mark.parametrize("kind, flags, sid, payload, code", [
    (FrameType.DATA, 0, 0, b"x", ErrorCodes.PROTOCOL_ERROR),
    (FrameType.PING, 0, 1, b"12345678", ErrorCodes.PROTOCOL_ERROR),
    (FrameType.PING, 0, 0, b"1234567", ErrorCodes.FRAME_SIZE_ERROR),
    (FrameType.RST_STREAM, 0, 1, b"\x00", ErrorCodes.FRAME_SIZE_ERROR),
    (FrameType.SETTINGS, Flag.ACK, 0, b"\x00\x01\x00\x00\x00\x00", ErrorCodes.FRAME_SIZE_ERROR),
    (FrameType.PUSH_PROMISE, Flag.END_HEADERS, 1, b"\x00\x00\x00\x02", ErrorCodes.PROTOCOL_ERROR),
], ids=["data-on-0", "ping-on-stream", "short-ping", "short-rst", "settings-ack-payload", "push-promise"])
def test_frames_no_client_may_accept_are_connection_errors(kind: int, flags: int, sid: int, payload: bytes,
                                                           code: ErrorCodes) -> None:
    with pytest.raises(WireError) as caught:
        check_frame(kind, flags, sid, payload)
    assert caught.value.code is code


def test_malformed_settings_padding_and_goaway_are_refused() -> None:
    with pytest.raises(WireError):
        settings(b"\x00\x03\x00")
    with pytest.raises(WireError):
        unpad(Flag.PADDED, b"\x05ab")
    with pytest.raises(WireError):
        goaway_reason(b"\x00\x00\x00")
