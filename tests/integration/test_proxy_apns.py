"""The push proxy's APNs sender over real TLS + HTTP/2 against FakeApns: one reused connection,
OK / FAIL / REMOVE mapping, retries on transport errors only (§4.3, §4.4)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest

from fake_apns import (ApnsConnectionOpened, ApnsCore, DeviceRegistry, Environment, FakeApns, Faults, KeyRing,
                       PushAccepted, Reason)
from simulator import EventBus, FakeClock, HopAttempted, Pki
from simulator.proxy.config import ApplePushSettings, ProxyConfig
from simulator.proxy.models import PushNotification, PushResponse, PushStatus, Target
from simulator.proxy.sender import ApnsSender
from simulator.signing import ProviderKey, new_p256_key, p8_pem

TOPIC = "com.mattermost.rn"
KEY = ProviderKey(key=new_p256_key(), key_id="PSIMKEY001", team_id="PSIMTEAM01")
TARGET = Target(platform_key="apple_rn", app_version=2)


class World:
    def __init__(self, pki: Pki, clock: FakeClock) -> None:
        self.pki, self.clock, self.bus = pki, clock, EventBus()
        keys = KeyRing()
        keys.register(team_id=KEY.team_id, key_id=KEY.key_id, public_key=KEY.key.public_key())
        self.devices = DeviceRegistry(rng=random.Random(1), clock=clock)
        self.faults = Faults()
        self.core = ApnsCore(keys=keys, devices=self.devices, clock=clock, faults=self.faults)
        self.token = self.devices.register(topic=TOPIC, environment=Environment.PRODUCTION)
        self.delivered: list[PushAccepted] = []
        self.sleeps: list[float] = []

    def sender(self, url: str, *, key: ProviderKey = KEY, trust: Pki | None = None) -> ApnsSender:
        settings = ApplePushSettings(type="apple_rn", apple_push_topic=TOPIC, apple_auth_key_pem=p8_pem(key.key),
                                     apple_auth_key_id=key.key_id, apple_team_id=key.team_id)

        async def no_wait(seconds: float) -> None:
            self.sleeps.append(seconds)  # back-off is recorded, never waited for in real time

        return ApnsSender(settings, url=url, ssl_context=(trust or self.pki).client_context(alpn=["h2"]),
                          config=ProxyConfig(), clock=self.clock, publish=self.bus.publish, sleep=no_wait)

    def push(self, token: str | None = None, **extra: object) -> PushNotification:
        fields: dict[str, object] = dict(ack_id="ack1", platform="apple_rn-v2", server_id="srv",
                                         device_id=token or self.token, post_id="p1", type="message",
                                         message="Hello", channel_name="@accountb", version="v2", badge=1)
        fields.update(extra)
        return PushNotification(**fields)  # type: ignore[arg-type]


@pytest.fixture
async def world(pki: Pki, clock: FakeClock) -> AsyncIterator[tuple[World, FakeApns]]:
    w = World(pki, clock)
    async with FakeApns(w.core, environment=Environment.PRODUCTION, ssl_context=pki.server_context(alpn=["h2"]),
                        publish=w.bus.publish, deliver=w.delivered.append) as apns:
        yield w, apns
        assert apns.errors == []


async def test_pushes_share_one_connection_and_carry_the_proxy_headers(world: tuple[World, FakeApns]) -> None:
    w, apns = world
    sender = w.sender(apns.url)
    try:
        results = await asyncio.gather(*(sender.send(w.push(ack_id=f"a{i}"), TARGET) for i in range(20)))
    finally:
        await sender.close()
    assert results == [PushResponse(status=PushStatus.OK)] * 20
    assert len(w.bus.find(ApnsConnectionOpened)) == 1
    first = w.delivered[0]
    assert (first.topic, first.push_type, first.priority, first.key_id) == (TOPIC, "alert", 10, KEY.key_id)
    assert first.payload["aps"]["alert"] == {"title": "@accountb", "body": "Hello"}
    hops = w.bus.find(HopAttempted)
    assert len(hops) == 20 and all(h.ok and h.ids.apns_id for h in hops)


async def test_wrong_key_fails_without_retry(world: tuple[World, FakeApns]) -> None:
    w, apns = world
    stranger = ProviderKey(key=new_p256_key(), key_id=KEY.key_id, team_id=KEY.team_id)
    sender = w.sender(apns.url, key=stranger)
    try:
        result = await sender.send(w.push(), TARGET)
    finally:
        await sender.close()
    assert result == PushResponse(status=PushStatus.FAIL, error="unknown send response error")
    (hop,) = w.bus.find(HopAttempted)
    assert not hop.ok and "403" in hop.outcome and "InvalidProviderToken" in hop.outcome
    assert (w.delivered, w.sleeps) == ([], [])


@pytest.mark.parametrize("reason", [Reason.BAD_DEVICE_TOKEN, Reason.UNREGISTERED, Reason.DEVICE_TOKEN_NOT_FOR_TOPIC])
async def test_remove_reasons_answer_remove(world: tuple[World, FakeApns], reason: Reason) -> None:
    w, apns = world
    w.faults.push(reason)
    sender = w.sender(apns.url)
    try:
        assert await sender.send(w.push(), TARGET) == PushResponse(status=PushStatus.REMOVE)
        assert await sender.send(w.push(), TARGET) == PushResponse(status=PushStatus.OK)  # the fault was one-shot
    finally:
        await sender.close()


async def test_uninstalled_token_is_removed(world: tuple[World, FakeApns]) -> None:
    w, apns = world
    w.devices.unregister(w.token)
    sender = w.sender(apns.url)
    try:
        assert await sender.send(w.push(), TARGET) == PushResponse(status=PushStatus.REMOVE)
    finally:
        await sender.close()


async def test_after_goaway_the_next_push_reconnects(world: tuple[World, FakeApns]) -> None:
    w, apns = world
    sender = w.sender(apns.url)
    try:
        assert (await sender.send(w.push(), TARGET)).status is PushStatus.OK
        await apns.goaway(Reason.SHUTDOWN)
        assert (await sender.send(w.push(ack_id="after"), TARGET)).status is PushStatus.OK
    finally:
        await sender.close()
    assert len(w.bus.find(ApnsConnectionOpened)) == 2


async def test_nothing_listening_is_a_transport_error_retried_three_times(pki: Pki, clock: FakeClock) -> None:
    w = World(pki, clock)
    sender = w.sender("https://127.0.0.1:9")  # discard port: nothing listens there
    result = await sender.send(w.push(), TARGET)
    await sender.close()
    assert result == PushResponse(status=PushStatus.FAIL, error="unknown transport error")
    hops = w.bus.find(HopAttempted)
    assert len(hops) == 3 and not any(h.ok for h in hops)
    assert w.sleeps == [1.0, 2.0]


async def test_apns_certificate_from_an_untrusted_ca_is_refused(world: tuple[World, FakeApns]) -> None:
    w, apns = world
    sender = w.sender(apns.url, trust=Pki())
    try:
        result = await sender.send(w.push(), TARGET)
    finally:
        await sender.close()
    assert result == PushResponse(status=PushStatus.FAIL, error="unknown transport error")
    assert "CERTIFICATE_VERIFY_FAILED" in w.bus.find(HopAttempted)[0].outcome
    assert w.delivered == []
