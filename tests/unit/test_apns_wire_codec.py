"""FakeApns' own HPACK pieces, checked against hpack: its answer encoder (static table or plain
literals, never the dynamic table) and its request decoder (hpack's, one-byte fields inline)."""

from __future__ import annotations

import random

import hpack
import pytest

from fake_apns.protocol import _AnswerEncoder, _RequestDecoder


def test_answers_decode_as_written_and_leave_both_tables_empty() -> None:
    encoder, decoder = _AnswerEncoder(), hpack.Decoder()
    for answer in ([(b":status", b"200"), (b"apns-id", b"6CB8E94F-1D3C-4C2B-9E0B-1E5D0C2A9F11")],
                   [(b":status", b"410"), (b"apns-id", b"x" * 200), (b"content-type", b"application/json")],
                   [(b"x-" + b"n" * 130, b"v" * 300)]):  # lengths past the one-byte prefixes
        assert [tuple(h) for h in decoder.decode(encoder.encode(answer), raw=True)] == answer
    assert not decoder.header_table.dynamic_entries


def test_a_table_size_change_is_signalled_once_before_the_next_answer() -> None:
    encoder, decoder = _AnswerEncoder(), hpack.Decoder()
    encoder.header_table_size = 4096  # the default again: nothing to say
    assert encoder.encode([(b":status", b"200")]) == b"\x88"
    encoder.header_table_size, encoder.header_table_size = 0, 100  # smallest first, then the last one
    decoder.max_allowed_table_size = 100
    block = encoder.encode([(b":status", b"200")])
    assert block == b"\x20\x3f\x45\x88" and decoder.decode(block, raw=True) == [(b":status", b"200")]
    assert encoder.encode([(b":status", b"200")]) == b"\x88"


def test_the_request_decoder_reads_what_any_encoder_writes_as_hpack_does() -> None:
    rng = random.Random(7)
    for huffman in (False, True):
        encoder, ours, theirs = hpack.Encoder(), _RequestDecoder(), hpack.Decoder()
        for i in range(300):
            headers: list[tuple[str, str] | hpack.HeaderTuple] = [
                (":method", "POST"), (":path", f"/3/device/{rng.getrandbits(64):x}"),
                ("authorization", "bearer " + "j" * rng.randrange(100, 300)), ("apns-topic", f"app{rng.randrange(4)}")]
            if i % 5 == 0:
                headers.append(hpack.NeverIndexedHeaderTuple("x-secret", "s"))
            block = encoder.encode(headers, huffman=huffman)
            got, want = ours.decode(block, raw=True), theirs.decode(block, raw=True)
            assert got == want and [type(h) for h in got] == [type(h) for h in want]
            assert all(type(part) is bytes for h in got for part in h)


@pytest.mark.parametrize("block", [b"\xbf", b"\x80", b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
                                   b"\x82\x3f\xe1\x1f", b"\x40\x05ab", b"\x3f\xe1\x3f"],
                         ids=["empty-dynamic-index", "index-0", "overflow", "late-size-update", "truncated",
                              "table-too-big"])
def test_the_request_decoder_refuses_what_hpack_refuses(block: bytes) -> None:
    with pytest.raises(hpack.HPACKError) as theirs:
        hpack.Decoder().decode(block, raw=True)
    with pytest.raises(hpack.HPACKError) as ours:
        _RequestDecoder().decode(block, raw=True)
    assert type(ours.value) is type(theirs.value)


def test_an_oversized_header_list_is_refused() -> None:
    decoder = _RequestDecoder()
    decoder.max_header_list_size = 100
    block = hpack.Encoder().encode([("a", "x" * 50), ("b", "y" * 50)])
    with pytest.raises(hpack.OversizedHeaderListError):
        decoder.decode(block, raw=True)
    assert _RequestDecoder().decode(block, raw=True) == [(b"a", b"x" * 50), (b"b", b"y" * 50)]
