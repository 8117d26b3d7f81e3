"""The FCM v1 sender against fake_fcm over real TLS (§5, apns-fcm.md B): OAuth grant and token
cache, the §5.4 mapping and retries on virtual time, and the failures that are final."""

from __future__ import annotations

import asyncio
import functools
import json
import random
import ssl
from collections.abc import AsyncIterator

import pytest

from fake_fcm import AccessTokenIssued, FakeFcm, FcmCore, FcmError, MessageAccepted, MessageRejected, Registry
from fake_fcm import new_rsa_key
from simulator import EventBus, FakeClock, HopAttempted, LogLine, Pki
from simulator.proxy import AndroidPushSettings, FcmSender, ManualTimer, ProxyConfig, ProxyMetrics, PushNotification
from simulator.proxy import PushResponse, PushStatus, ServiceAccountKey, Target

PROJECT, PACKAGE = "mattermost-rn", "com.mattermost.rn"
TARGET = Target(platform_key="android_rn", app_version=2)
OK = PushResponse(status=PushStatus.OK)
SERVICE_ACCOUNT_KEY = new_rsa_key()  # made once: RSA key generation is the slow part of a rig


@functools.cache
def client_context(pki: Pki, *, h2: bool = False) -> ssl.SSLContext:
    """One client context per world CA: each new one loads the system trust store, which is slow."""
    return pki.client_context(alpn=["h2"] if h2 else ())


class Rig:
    def __init__(self, pki: Pki, clock: FakeClock) -> None:
        self.pki, self.clock, self.bus = pki, clock, EventBus()
        self.registry = Registry(rng=random.Random(3), clock=clock)
        self.registry.add_project(PROJECT)
        self.registry.add_app(PROJECT, PACKAGE)
        self.account = self.registry.add_service_account(PROJECT, key=SERVICE_ACCOUNT_KEY)
        self.token = self.registry.register("phone-a", PROJECT, PACKAGE)
        self.core = FcmCore(registry=self.registry, clock=clock, rng=random.Random(4))
        self.timer = ManualTimer(clock)
        self.metrics = ProxyMetrics()
        self.fcm: FakeFcm | None = None

    def sender(self, *, fcm_url: str | None = None, token_uri: str | None = None) -> FcmSender:
        assert self.fcm is not None
        info = self.account.info(token_uri or self.fcm.token_uri)
        settings = AndroidPushSettings(type="android_rn", service_account_json=json.dumps(info).encode())
        return FcmSender(settings, config=ProxyConfig(fcm_url=fcm_url or self.fcm.url), clock=self.clock,
                         publish=self.bus.publish, ssl_context=client_context(self.pki), timer=self.timer,
                         metrics=self.metrics)

    def push(self, **extra: object) -> PushNotification:
        fields: dict[str, object] = dict(ack_id="ack1", platform="android_rn-v2", server_id="srv",
                                         device_id=self.token, post_id="p1", type="message", message="Hello",
                                         channel_name="@b", version="v2", badge=1)
        fields.update(extra)
        return PushNotification(**fields)  # type: ignore[arg-type]

    def accepted(self) -> list[MessageAccepted]:
        return self.bus.find(MessageAccepted)

    def rejected(self) -> list[MessageRejected]:
        return self.bus.find(MessageRejected)

    def grants(self) -> list[AccessTokenIssued]:
        return self.bus.find(AccessTokenIssued)

    def lines(self, message: str) -> list[LogLine]:
        return [line for line in self.bus.find(LogLine) if line.message == message]


@pytest.fixture
async def rig(pki: Pki, clock: FakeClock) -> AsyncIterator[Rig]:
    r = Rig(pki, clock)
    async with FakeFcm(r.core, ssl_context=pki.server_context(), publish=r.bus.publish,
                       deliver=lambda _d: None) as fcm:
        r.fcm = fcm
        yield r
        assert fcm.errors == []


async def send(r: Rig, n: PushNotification, *backoffs: float) -> PushResponse:
    sender = r.sender()
    try:
        task = asyncio.ensure_future(sender.send(n, TARGET))
        for seconds in backoffs:
            assert await r.timer.wait_armed("sleep") == seconds
            await r.timer.advance(seconds)
        async with asyncio.timeout(5):
            return await task
    finally:
        await sender.close()


async def test_one_grant_serves_many_sends_and_the_message_is_data_only_high_priority(rig: Rig) -> None:
    sender = rig.sender()
    try:
        results = await asyncio.gather(*(sender.send(rig.push(ack_id=f"a{i}"), TARGET) for i in range(3)))
    finally:
        await sender.close()
    assert results == [OK] * 3
    grants = rig.grants()
    assert len(grants) == 1 and grants[0].client_email == rig.account.client_email
    message = rig.accepted()[0].message
    assert (message.token, message.priority.value.lower()) == (rig.token, "high")
    hops = rig.bus.find(HopAttempted)
    assert [h.target for h in hops] == ["fcm-oauth2", "fcm", "fcm", "fcm"] and all(h.ok and h.encrypted for h in hops)
    assert hops[1].operation == f"POST /v1/projects/{PROJECT}/messages:send"
    assert rig.metrics.success_with_ack.value("android", "message", "") == 3
    assert len(rig.lines("Sending android push notification")) == 3


async def test_the_access_token_is_renewed_before_it_expires(rig: Rig) -> None:
    sender = rig.sender()
    try:
        assert await sender.send(rig.push(), TARGET) == OK
        rig.clock.advance(3599 - 10 - 1)  # still inside golang oauth2's 10 s margin
        assert await sender.send(rig.push(), TARGET) == OK
        rig.clock.advance(2)  # now within the margin: a new grant before the token expires
        assert await sender.send(rig.push(), TARGET) == OK
    finally:
        await sender.close()
    assert len(rig.grants()) == 2
    assert rig.rejected() == []


async def test_unregistered_is_remove_without_retry(rig: Rig) -> None:
    rig.registry.unregister(rig.token)
    assert await send(rig, rig.push()) == PushResponse(status=PushStatus.REMOVE)
    assert rig.timer.slept == []
    (failed,) = rig.lines("Failed to send FCM push")
    assert dict(failed.fields)["errorCode"] == "UNREGISTERED"
    assert dict(failed.fields)["did"] == rig.token[:16] + "…"
    assert len(rig.lines("Android response failure sending remove code")) == 1
    assert rig.metrics.removal.value("android", "", "UNREGISTERED") == 1


async def test_internal_then_success_is_delivered_exactly_once(rig: Rig) -> None:
    rig.core.faults.push(FcmError.INTERNAL)
    assert await send(rig, rig.push(), 1.0) == OK
    assert (len(rig.accepted()), len(rig.rejected()), rig.timer.slept) == (1, 1, [1.0])
    assert [line.fields[1] for line in rig.lines("Failed to send android push")] == [("retry", "0")]


async def test_quota_exceeded_three_times_fails_with_the_sdk_text(rig: Rig) -> None:
    rig.core.faults.push(FcmError.QUOTA_EXCEEDED, times=3)
    result = await send(rig, rig.push(), 1.0, 2.0)
    message = rig.rejected()[0].message
    assert result == PushResponse(status=PushStatus.FAIL, error=message)
    assert rig.accepted() == [] and rig.timer.slept == [1.0, 2.0]
    assert len(rig.lines("Max retries reached")) == 1
    assert rig.metrics.failure_with_reason.value("android", "message", "", "QUOTA_EXCEEDED") == 1


@pytest.mark.parametrize("error", [FcmError.UNAVAILABLE, FcmError.INVALID_ARGUMENT, FcmError.THIRD_PARTY_AUTH_ERROR])
async def test_other_errors_fail_at_once(rig: Rig, error: FcmError) -> None:
    rig.core.faults.push(error)
    result = await send(rig, rig.push())
    assert result == PushResponse(status=PushStatus.FAIL, error=rig.rejected()[0].message)
    assert rig.timer.slept == [] and rig.accepted() == []


async def test_a_malformed_token_is_fcms_invalid_argument(rig: Rig) -> None:
    assert await send(rig, rig.push(device_id="not-a-token")) == PushResponse(
        status=PushStatus.FAIL, error="The registration token is not a valid FCM registration token")


async def test_a_slow_answer_times_out_and_the_retry_delivers_a_second_time(rig: Rig) -> None:
    rig.core.faults.push_delay(0.3)  # real seconds; the proxy's 8 s deadline passes in virtual time first
    sender = rig.sender()
    try:
        task = asyncio.ensure_future(sender.send(rig.push(), TARGET))
        await rig.bus.wait_for(MessageAccepted, timeout=5)  # the first send reached FCM and was accepted ...
        assert ("timeout", 8.0) in [(k, round(d, 3)) for k, d in rig.timer.pending]
        await rig.timer.advance(8.0)  # ... but its answer is late: the per-try deadline fires
        assert await rig.timer.wait_armed("sleep") == 1.0
        await rig.timer.advance(1.0)
        async with asyncio.timeout(5):
            assert await task == OK
    finally:
        await sender.close()
    assert len(rig.accepted()) == 2  # the double notification the spec warns about (§9)
    (failed,) = rig.lines("Failed to send android push")
    assert dict(failed.fields)["err"] == "context deadline exceeded"


async def test_a_refused_grant_fails_with_golangs_oauth2_text(rig: Rig) -> None:
    rig.registry.remove_service_account(rig.account.client_email)
    result = await send(rig, rig.push())
    assert rig.fcm is not None
    assert result.status is PushStatus.FAIL
    assert result.error.startswith(f'Post "{rig.fcm.send_url(PROJECT)}": oauth2: "invalid_grant"')
    assert rig.timer.slept == [] and rig.accepted() == []
    (hop,) = rig.bus.find(HopAttempted)
    assert (hop.target, hop.ok, hop.outcome[:3]) == ("fcm-oauth2", False, "400")


async def test_fcm_unreachable_fails_without_retry(rig: Rig) -> None:
    sender = rig.sender(fcm_url="https://127.0.0.1:9", token_uri="https://127.0.0.1:9/token")
    try:
        result = await sender.send(rig.push(), TARGET)
    finally:
        await sender.close()
    assert result.status is PushStatus.FAIL
    assert result.error.startswith('Post "https://127.0.0.1:9/v1/projects/mattermost-rn/messages:send": '
                                   "oauth2: cannot fetch token:")
    assert rig.timer.slept == []
    assert not rig.bus.find(HopAttempted)[0].ok


async def test_an_untrusted_fcm_certificate_is_refused(rig: Rig) -> None:
    assert rig.fcm is not None
    info = rig.account.info(rig.fcm.token_uri)
    sender = FcmSender(AndroidPushSettings(type="android_rn", service_account_json=json.dumps(info).encode()),
                       config=ProxyConfig(fcm_url=rig.fcm.url), clock=rig.clock, publish=rig.bus.publish,
                       ssl_context=Pki().client_context(), timer=rig.timer)
    try:
        result = await sender.send(rig.push(), TARGET)
    finally:
        await sender.close()
    assert result.status is PushStatus.FAIL and "CERTIFICATE_VERIFY_FAILED" in result.error
    assert rig.grants() == []


async def test_a_rotated_service_account_gets_a_new_grant_and_a_foreign_one_is_refused(rig: Rig) -> None:
    assert rig.fcm is not None
    other = rig.registry.add_service_account(PROJECT, key=SERVICE_ACCOUNT_KEY, name="rotated")
    stranger = ServiceAccountKey.from_json(other.info(rig.fcm.token_uri))
    sender = rig.sender()
    try:
        assert await sender.send(rig.push(), TARGET) == OK
        sender.use_service_account(stranger)
        assert await sender.send(rig.push(), TARGET) == OK
        rig.registry.remove_service_account(other.client_email)
        sender.use_service_account(stranger)  # forget the cached token: the next grant is refused
        refused = await sender.send(rig.push(), TARGET)
    finally:
        await sender.close()
    assert [g.client_email for g in rig.grants()] == [rig.account.client_email, other.client_email]
    assert refused.status is PushStatus.FAIL and 'oauth2: "invalid_grant"' in refused.error
