"""FakeApns over real TLS + HTTP/2 on 127.0.0.1:0: every accepted path paired with its refusal."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import shutil
import ssl
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h2.config
import h2.connection
import h2.events
import h2.settings
import pytest
import trustme
from hyperframe.frame import Frame, GoAwayFrame

from fake_apns import (ApnsConnectionClosed, ApnsConnectionOpened, ApnsCore, DeviceRegistry, Environment, FakeApns,
                       Faults, KeyRing, PushAccepted, PushRejected, Reason)
from tests.support.apns_client import ApnsClient
from tests.support.apns_pki import ApnsPki
from tests.support.apns_world import BUNDLE, DEADLINE, KEY, KID, NOW, PAYLOAD, TEAM, WRONG_KEY, Recorder
from tests.support.jwt_es256 import bearer, provider_token


@pytest.fixture(scope="module")
def apns_pki() -> ApnsPki:
    return ApnsPki()


@dataclass
class World:
    apns: FakeApns
    pki: ApnsPki
    devices: DeviceRegistry
    faults: Faults
    token: str
    published: Recorder
    delivered: list[PushAccepted] = field(default_factory=list)
    deliver_fails_with: Exception | None = None  # makes the deliver hook raise, as a buggy phone would

    async def client(self, alpn: Sequence[str] = ("h2",)) -> ApnsClient:
        return await ApnsClient.connect(self.apns.url, self.pki.client_context(alpn))


def headers(*, key: Any = KEY, apns_id: str | None = None, der: bool = False) -> list[tuple[str, str]]:
    found = [("authorization", bearer(provider_token(key, key_id=KID, team_id=TEAM, iat=NOW, der=der))),
             ("apns-topic", BUNDLE), ("apns-push-type", "alert"), ("apns-priority", "10")]
    return found + ([("apns-id", apns_id)] if apns_id else [])


@pytest.fixture
async def world(apns_pki: ApnsPki) -> AsyncIterator[World]:
    keys = KeyRing()
    keys.register(TEAM, KID, KEY.public_key())
    devices, faults, published = DeviceRegistry(random.Random(5), lambda: NOW), Faults(), Recorder()
    core = ApnsCore(keys=keys, devices=devices, clock=lambda: NOW, faults=faults)
    delivered: list[PushAccepted] = []

    def deliver(accepted: PushAccepted) -> None:
        if running.deliver_fails_with is not None:
            raise running.deliver_fails_with
        delivered.append(accepted)

    async with FakeApns(core, environment=Environment.PRODUCTION, ssl_context=apns_pki.server_context(),
                        publish=published, deliver=deliver) as apns:
        running = World(apns=apns, pki=apns_pki, devices=devices, faults=faults, published=published,
                        token=devices.register(BUNDLE, Environment.PRODUCTION), delivered=delivered)
        yield running
    assert apns.errors == []
    assert apns.connections == 0


async def test_push_gets_200_with_the_lower_case_apns_id_echoed_and_is_delivered(world: World) -> None:
    apns_id = "5f0c8f1e-0a4b-4c1d-9e8f-7a6b5c4d3e2f"
    async with await world.client() as client:
        response = await client.post(world.token, headers=headers(apns_id=apns_id), body=PAYLOAD)
    assert (response.status, response.headers["apns-id"], response.body) == (200, apns_id, b"")
    assert "apns-unique-id" not in response.headers and "content-type" not in response.headers
    [accepted] = world.delivered
    assert (accepted.apns_id, accepted.token, accepted.payload) == (apns_id, world.token, {"aps": {"alert": "hello"}})
    assert world.published.of(PushAccepted) == [accepted]
    opened = await world.published.wait_for(ApnsConnectionOpened)
    closed = await world.published.wait_for(ApnsConnectionClosed)
    assert (opened.alpn, opened.connection_id, closed.requests) == ("h2", accepted.connection_id, 1)
    assert opened.peer.startswith("127.0.0.1:")


async def test_wrong_key_gets_403_invalid_provider_token_in_one_data_frame(world: World) -> None:
    apns_id = "0e7a3c58-1d2b-4e6f-8a9b-c0d1e2f3a4b5"
    async with await world.client() as client:
        response = await client.post(world.token, headers=headers(key=WRONG_KEY, apns_id=apns_id), body=PAYLOAD)
        good = await client.post(world.token, headers=headers(), body=PAYLOAD)
    assert (response.status, response.headers["apns-id"]) == (403, apns_id)
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"reason": "InvalidProviderToken"} and response.data_frames == 1
    assert good.status == 200 and len(world.delivered) == 1  # the connection survives a rejection
    [rejected] = world.published.of(PushRejected)
    assert (rejected.reason, rejected.status) == (Reason.INVALID_PROVIDER_TOKEN, 403)


async def test_uninstalled_app_gets_410_with_timestamp_and_generated_upper_case_id(world: World) -> None:
    world.devices.unregister(world.token)
    async with await world.client() as client:
        response = await client.post(world.token, headers=headers(), body=PAYLOAD)
    assert response.status == 410 and response.json() == {"reason": "Unregistered", "timestamp": int(NOW * 1000)}
    assert response.headers["apns-id"] == response.headers["apns-id"].upper() and world.delivered == []


async def test_client_without_alpn_is_spoken_http2_with_prior_knowledge(world: World) -> None:
    async with await world.client(alpn=()) as client:
        assert client.alpn is None
        response = await client.post(world.token, headers=headers(), body=PAYLOAD)
    assert response.status == 200
    opened = await world.published.wait_for(ApnsConnectionOpened)
    assert opened.alpn is None


async def test_alpn_other_than_h2_is_closed_without_http2(apns_pki: ApnsPki) -> None:
    published = Recorder()
    core = ApnsCore(keys=KeyRing(), devices=DeviceRegistry(random.Random(1), lambda: NOW), clock=lambda: NOW,
                    faults=Faults())
    async with FakeApns(core, environment=Environment.SANDBOX, ssl_context=apns_pki.server_context(("h2", "http/1.1")),
                        publish=published, deliver=lambda accepted: None) as apns:
        reader, writer = await asyncio.open_connection("127.0.0.1", apns.port,
                                                       ssl=apns_pki.client_context(("http/1.1",)))
        async with asyncio.timeout(DEADLINE):
            assert await reader.read() == b""  # closed, and not a single HTTP/2 frame was sent
        writer.close()
        await writer.wait_closed()
        async with await ApnsClient.connect(apns.url, apns_pki.client_context()) as h2_client:
            assert h2_client.alpn == "h2"
            refused = await h2_client.post("ab" * 32, headers=headers(), body=PAYLOAD)
        assert refused.status == 403  # spoken to over HTTP/2 (this server knows no keys)
        assert [e.alpn for e in published.of(ApnsConnectionOpened)] == ["http/1.1", "h2"]
        assert apns.errors == []


async def test_untrusted_ca_fails_verification_on_the_client(world: World) -> None:
    stranger = ssl.create_default_context()
    trustme.CA().configure_trust(stranger)
    with pytest.raises(ssl.SSLCertVerificationError):
        await ApnsClient.connect(world.apns.url, stranger)
    async with await world.client() as trusted:  # the same server with the right CA is fine
        assert (await trusted.post(world.token, headers=headers(), body=PAYLOAD)).status == 200


async def test_goaway_carries_the_shutdown_reason_and_new_connections_still_work(world: World) -> None:
    async with await world.client() as client:
        assert (await client.post(world.token, headers=headers(), body=PAYLOAD)).status == 200
        await world.apns.goaway()
        async with asyncio.timeout(DEADLINE):
            goaway = await client.goaway
            await client.closed
    assert (goaway.error_code, goaway.last_stream_id) == (0, 1)
    assert goaway.additional_data is not None and json.loads(goaway.additional_data) == {"reason": "Shutdown"}
    async with await world.client() as again:
        assert (await again.post(world.token, headers=headers(), body=PAYLOAD)).status == 200


async def test_goaway_reason_can_be_chosen(world: World) -> None:
    async with await world.client() as client:
        await client.post(world.token, headers=headers(), body=PAYLOAD)
        await world.apns.goaway(Reason.IDLE_TIMEOUT)
        async with asyncio.timeout(DEADLINE):
            goaway = await client.goaway
    assert goaway.additional_data == b'{"reason":"IdleTimeout"}'


async def test_garbage_client_gets_protocol_error_goaway_and_others_keep_working(world: World) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", world.apns.port, ssl=world.pki.client_context())
    writer.write(b"GET / HTTP/1.1\r\nHost: nowhere\r\n\r\n" + bytes(range(64)))
    async with asyncio.timeout(DEADLINE):
        received = await reader.read()
    writer.close()
    with contextlib.suppress(ConnectionError, ssl.SSLError):
        await writer.wait_closed()
    codes = [f.error_code for f in _frames(received) if isinstance(f, GoAwayFrame)]
    assert codes == [1]  # PROTOCOL_ERROR
    async with await world.client() as client:
        assert (await client.post(world.token, headers=headers(), body=PAYLOAD)).status == 200


async def test_injected_faults_give_two_429_then_200(world: World) -> None:
    world.faults.push(Reason.TOO_MANY_REQUESTS, times=2)
    async with await world.client() as client:
        statuses = [(await client.post(world.token, headers=headers(), body=PAYLOAD)).status for _ in range(3)]
    assert statuses == [429, 429, 200] and len(world.delivered) == 1


async def test_concurrent_streams_on_one_connection(world: World) -> None:
    async with await world.client() as client:
        responses = await asyncio.gather(*(client.post(world.token, headers=headers(), body=PAYLOAD)
                                           for _ in range(25)))
        bad = await client.post("zz", headers=headers(), body=PAYLOAD)
    assert {r.status for r in responses} == {200} and len({r.headers["apns-id"] for r in responses}) == 25
    assert bad.status == 400 and bad.json() == {"reason": "BadDeviceToken"}
    assert len(world.published.of(ApnsConnectionOpened)) == 1


async def test_bad_request_line_and_large_body_are_answered_not_dropped(world: World) -> None:
    async with await world.client() as client:
        get = await client.request([(":method", "GET"), (":scheme", "https"), (":path", f"/3/device/{world.token}"),
                                    (":authority", "x"), *headers()])
        large = await client.post(world.token, headers=headers(), body=b'{"aps":{},"x":"' + b"x" * 200_000 + b'"}')
        ok = await client.post(world.token, headers=headers(), body=PAYLOAD)
    assert (get.status, get.json()) == (405, {"reason": "MethodNotAllowed"})
    assert (large.status, large.json()) == (413, {"reason": "PayloadTooLarge"})
    assert ok.status == 200


async def test_failing_deliver_hook_is_recorded_and_the_connection_survives(world: World) -> None:
    world.deliver_fails_with = RuntimeError("phone exploded")
    async with await world.client() as client:
        first = await client.post(world.token, headers=headers(), body=PAYLOAD)
        second = await client.post(world.token, headers=headers(), body=PAYLOAD)
    assert (first.status, second.status) == (200, 200)
    assert [str(e) for e in world.apns.errors] == ["phone exploded", "phone exploded"]
    world.apns.errors.clear()


class RawH2:
    """A bare h2 client connection, for tests that need frame-level control."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding=None))
        self.conn.initiate_connection()

    @classmethod
    async def open(cls, world: World) -> RawH2:
        return cls(*await asyncio.open_connection("127.0.0.1", world.apns.port, ssl=world.pki.client_context()))

    def push(self, sid: int, path: str) -> None:
        self.conn.send_headers(sid, [(":method", "POST"), (":scheme", "https"), (":path", path),
                                     (":authority", "x"), *headers()])
        self.conn.send_data(sid, PAYLOAD, end_stream=True)

    def flush(self) -> None:
        self.writer.write(self.conn.data_to_send())

    async def until(self, kind: type[h2.events.Event]) -> list[h2.events.Event]:
        seen: list[h2.events.Event] = []
        async with asyncio.timeout(DEADLINE):
            while not any(isinstance(e, kind) for e in seen):
                data = await self.reader.read(65536)
                if not data:
                    raise ConnectionError(f"server closed the connection before {kind.__name__}")
                seen += self.conn.receive_data(data)
                self.flush()
        return seen

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            await self.writer.wait_closed()


async def test_error_body_waits_for_flow_control_window_then_goes_in_one_frame(world: World) -> None:
    raw = await RawH2.open(world)
    raw.conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 8})  # smaller than any error body
    raw.push(1, "/3/device/zz")
    raw.flush()
    before = await raw.until(h2.events.ResponseReceived)
    raw.conn.ping(b"syncsync")  # the server answers in order: any DATA it sent would precede the ACK
    raw.flush()
    before += await raw.until(h2.events.PingAckReceived)
    assert not any(isinstance(e, h2.events.DataReceived) for e in before)
    raw.conn.increment_flow_control_window(64, stream_id=1)
    raw.flush()
    after = await raw.until(h2.events.StreamEnded)
    assert [e.data for e in after if isinstance(e, h2.events.DataReceived)] == [b'{"reason":"BadDeviceToken"}']
    await raw.close()


async def test_stream_reset_by_the_client_spares_the_connection(world: World) -> None:
    raw = await RawH2.open(world)
    raw.push(1, f"/3/device/{world.token}")
    raw.conn.reset_stream(1)  # same write as the request: the server answers a stream already reset
    raw.flush()
    await world.published.wait_for(PushAccepted)
    raw.push(3, f"/3/device/{world.token}")
    raw.flush()
    events = await raw.until(h2.events.StreamEnded)
    [response] = [e for e in events if isinstance(e, h2.events.ResponseReceived)]
    assert response.stream_id == 3 and (b":status", b"200") in (response.headers or [])
    assert len(world.delivered) == 2  # APNs' verdict on the reset stream stands
    await raw.close()


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
async def test_curl_with_a_der_signed_token_as_in_apples_recipe(world: World, tmp_path: Path) -> None:
    ca_file = tmp_path / "ca.pem"
    world.pki.ca.cert_pem.write_to_path(str(ca_file))
    ok = await _curl(world, ca_file, key=KEY)
    refused = await _curl(world, ca_file, key=WRONG_KEY)
    assert ok.startswith("HTTP/2 200") and "apns-id:" in ok.lower()
    assert refused.startswith("HTTP/2 403") and '{"reason":"InvalidProviderToken"}' in refused
    assert [a.token for a in world.delivered] == [world.token]


async def _curl(world: World, ca_file: Path, *, key: Any) -> str:
    token = provider_token(key, key_id=KID, team_id=TEAM, iat=int(NOW), der=True)
    proc = await asyncio.create_subprocess_exec(
        "curl", "-sS", "-i", "--http2", "--cacert", str(ca_file), "--header", f"apns-topic: {BUNDLE}",
        "--header", "apns-push-type: alert", "--header", f"authorization: bearer {token}",
        "--data", PAYLOAD.decode(), f"{world.apns.url}/3/device/{world.token}",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    async with asyncio.timeout(DEADLINE * 2):
        out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode()


def _frames(data: bytes) -> list[Frame]:
    """Split raw server bytes into HTTP/2 frames."""
    frames = []
    while len(data) >= 9:
        frame, length = Frame.parse_frame_header(memoryview(data[:9]))
        frame.parse_body(memoryview(data[9:9 + length]))
        frames.append(frame)
        data = data[9 + length:]
    return frames


async def test_sandbox_token_sent_to_production_is_a_bad_device_token(world: World) -> None:
    sandbox_token = world.devices.register(BUNDLE, Environment.SANDBOX, device="phone-1")
    production_token = world.devices.register(BUNDLE, Environment.PRODUCTION, device="phone-1")
    async with await world.client() as client:
        refused = await client.post(sandbox_token, headers=headers(), body=PAYLOAD)
        ok = await client.post(production_token, headers=headers(), body=PAYLOAD)
    assert (refused.status, refused.json()) == (400, {"reason": "BadDeviceToken"})
    assert ok.status == 200 and sandbox_token != production_token
