"""Bad input over real TLS: garbage frames, invalid HPACK, malformed header blocks, half-open
streams and bodies that are not JSON. Each is answered as an HTTP/2 APNs would (a reason,
RST_STREAM or GOAWAY), and the server goes on serving: every test ends with a good push."""

from __future__ import annotations

import pytest
from hyperframe.frame import GoAwayFrame, HeadersFrame, RstStreamFrame

from fake_apns import ApnsConnectionClosed, PushAccepted, PushRejected, Reason
from tests.support.apns_pki import ApnsPki
from tests.support.apns_raw import DATA, END_HEADERS, HEADERS, RawConnection, frame
from tests.support.apns_world import PAYLOAD, ApnsWorld, apns_world

PROTOCOL_ERROR, STREAM_CLOSED, FRAME_SIZE_ERROR, COMPRESSION_ERROR = 0x1, 0x5, 0x6, 0x9


@pytest.fixture(scope="module")
def pki() -> ApnsPki:
    return ApnsPki()


def request_headers(world: ApnsWorld, token: str | None = None) -> list[tuple[bytes, bytes]]:
    head = [(b":method", b"POST"), (b":scheme", b"https"), (b":path", f"/3/device/{token or world.token}".encode()),
            (b":authority", b"api.push.apple.com")]
    return head + [(k.encode(), v.encode()) for k, v in world.headers()]


async def still_serving(world: ApnsWorld) -> None:
    async with await world.client() as client:
        assert (await client.post(world.token, headers=world.headers(), body=PAYLOAD)).status == 200


async def open_raw(world: ApnsWorld) -> RawConnection:
    return await RawConnection.open(world.apns.port, world.pki.client_context())


async def test_unknown_frame_types_are_ignored(pki: ApnsPki) -> None:
    async with apns_world(pki) as world:
        raw = await open_raw(world)
        raw.send(frame(0xFA, 0xFF, 0, b"extension payload"), frame(0xFB, 0, 1, b"x"))
        raw.request(1, request_headers(world), PAYLOAD)
        await raw.until(lambda f: isinstance(f, HeadersFrame))
        assert raw.statuses == {1: 200} and raw.of(GoAwayFrame) == []
        await raw.close()


@pytest.mark.parametrize(("bad", "code"), [
    (frame(DATA, 0, 0, b"data on stream zero"), PROTOCOL_ERROR),
    (frame(HEADERS, END_HEADERS, 2, b"\x82"), PROTOCOL_ERROR),  # clients must use odd stream ids
    (frame(DATA, 0, 1, b"x" * 20_000), FRAME_SIZE_ERROR),  # over SETTINGS_MAX_FRAME_SIZE 16384
    (frame(HEADERS, END_HEADERS, 1, b"\xff\xff\xff\xff\xff\xff"), COMPRESSION_ERROR),  # index overflow
    (frame(HEADERS, END_HEADERS, 1, b"\xbf\x7f"), COMPRESSION_ERROR),  # dynamic table index 94: empty table
], ids=["data-on-stream-0", "even-stream-id", "oversized-frame", "hpack-integer-overflow", "hpack-bad-index"])
async def test_broken_framing_gets_goaway_and_others_keep_working(pki: ApnsPki, bad: bytes, code: int) -> None:
    async with apns_world(pki) as world:
        raw = await open_raw(world)
        raw.send(bad)
        await raw.until_closed()
        assert [g.error_code for g in raw.of(GoAwayFrame)] == [code]
        await raw.close()
        closed = await world.published.wait_for(ApnsConnectionClosed)
        assert closed.requests == 0 and world.published.of(PushRejected) == []
        await still_serving(world)


@pytest.mark.parametrize("headers", [
    [(b":method", b"POST"), (b":scheme", b"https"), (b"apns-topic", b"x")],
    [(b":method", b"POST"), (b":scheme", b"https"), (b":path", b"/3/device/ab"), (b"Apns-Topic", b"x")],
    [(b":method", b"POST"), (b":scheme", b"https"), (b":path", b"/3/device/ab"), (b"connection", b"keep-alive")],
    [(b"apns-topic", b"x"), (b":method", b"POST"), (b":scheme", b"https"), (b":path", b"/3/device/ab")],
], ids=["no-path", "upper-case-name", "connection-header", "pseudo-after-regular"])
async def test_malformed_request_gets_rst_stream_and_the_connection_lives(pki: ApnsPki,
                                                                         headers: list[tuple[bytes, bytes]]) -> None:
    async with apns_world(pki) as world:
        raw = await open_raw(world)
        raw.request(1, headers, PAYLOAD)
        raw.request(3, request_headers(world), PAYLOAD)
        await raw.until(lambda f: isinstance(f, HeadersFrame) and f.stream_id == 3)
        assert [(r.stream_id, r.error_code) for r in raw.of(RstStreamFrame)] == [(1, PROTOCOL_ERROR)]
        assert raw.statuses == {3: 200} and raw.of(GoAwayFrame) == []
        await raw.close()
        assert len(world.published.of(PushAccepted)) == 1


async def test_half_open_streams_wait_without_blocking_others(pki: ApnsPki) -> None:
    async with apns_world(pki) as world:
        raw = await open_raw(world)
        raw.request(1, request_headers(world), PAYLOAD[:5], end=False)  # body never finished
        raw.request(3, request_headers(world), None, end=False)  # no body, never ended
        raw.request(5, request_headers(world), PAYLOAD)
        await raw.until(lambda f: isinstance(f, HeadersFrame) and f.stream_id == 5)
        raw.send(frame(DATA, 0x1, 3, PAYLOAD))  # stream 3 ends late: still answered
        await raw.until(lambda f: isinstance(f, HeadersFrame) and f.stream_id == 3)
        assert raw.statuses == {5: 200, 3: 200}
        await raw.close()
        closed = await world.published.wait_for(ApnsConnectionClosed)
        assert closed.requests == 2 and len(world.published.of(PushAccepted)) == 2  # stream 1 was never judged
        await still_serving(world)


async def test_data_on_a_cancelled_stream_gets_rst_stream_and_the_connection_survives(pki: ApnsPki) -> None:
    async with apns_world(pki) as world:
        raw = await open_raw(world)
        raw.request(1, request_headers(world), None, end=False)
        raw.send(frame(0x3, 0, 1, (0x8).to_bytes(4, "big")))  # the client cancels stream 1 (RST_STREAM CANCEL)
        raw.send(frame(DATA, 0x1, 1, PAYLOAD))  # ...then sends on it anyway
        raw.request(3, request_headers(world), PAYLOAD)
        await raw.until(lambda f: isinstance(f, HeadersFrame) and f.stream_id == 3)
        assert raw.statuses == {3: 200} and raw.of(GoAwayFrame) == []
        assert [(r.stream_id, r.error_code) for r in raw.of(RstStreamFrame)] == [(1, STREAM_CLOSED)]
        await raw.close()


@pytest.mark.parametrize("body", [b"{not json", b"[1,2]", b'{"aps":"text"}', b"\xff\xfe\x00"],
                         ids=["not-json", "array", "aps-not-object", "binary"])
async def test_body_that_is_not_a_json_payload_gets_400_payload_empty(pki: ApnsPki, body: bytes) -> None:
    async with apns_world(pki) as world:
        async with await world.client() as client:
            refused = await client.post(world.token, headers=world.headers(), body=body)
            ok = await client.post(world.token, headers=world.headers(), body=PAYLOAD)
    assert (refused.status, refused.json()) == (400, {"reason": "PayloadEmpty"})
    assert ok.status == 200 and world.delivered and world.published.of(PushRejected)[0].reason is Reason.PAYLOAD_EMPTY


async def test_client_that_never_sends_the_preface_is_closed_with_goaway(pki: ApnsPki) -> None:
    async with apns_world(pki) as world:
        raw = await RawConnection.open(world.apns.port, world.pki.client_context(), preface=False)
        raw.send(b"PRI * HTTP/1.1\r\n\r\nxx\r\n\r\n")
        await raw.until_closed()
        assert [g.error_code for g in raw.of(GoAwayFrame)] == [PROTOCOL_ERROR]
        await raw.close()
        await still_serving(world)
