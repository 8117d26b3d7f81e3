"""The APNs sender's retry paths over real TLS + HTTP/2 with injected faults, on virtual time
(§4.3, §4.4): a TCP front in the test refuses, holds or forwards each new connection to FakeApns,
and a ManualTimer makes the 8 s per-try deadline and the 1 s / 2 s back-offs without waiting."""

from __future__ import annotations

import asyncio
import functools
import random
import ssl
from collections.abc import AsyncIterator

import pytest

from fake_apns import (ApnsConnectionOpened, ApnsCore, DeviceRegistry, Environment, FakeApns, Faults, KeyRing,
                       PushAccepted, Reason)
from simulator import EventBus, FakeClock, HopAttempted, LogLine, Pki
from simulator.proxy import ApnsSender, ApplePushSettings, ManualTimer, ProxyConfig, ProxyMetrics, PushNotification
from simulator.proxy import PushResponse, PushStatus, Target
from simulator.signing import ProviderKey, new_p256_key, p8_pem

TOPIC = "com.mattermost.rn"
KEY = ProviderKey(key=new_p256_key(random.Random(5)), key_id="PSIMKEY001", team_id="PSIMTEAM01")
TARGET = Target(platform_key="apple_rn", app_version=2)
UNKNOWN_TRANSPORT = PushResponse(status=PushStatus.FAIL, error="unknown transport error")


@functools.cache
def client_context(pki: Pki, *, h2: bool = False) -> ssl.SSLContext:
    """One client context per world CA: each new one loads the system trust store, which is slow."""
    return pki.client_context(alpn=["h2"] if h2 else ())


class Front:
    """A TCP front for FakeApns: each new connection is refused, held silent, or forwarded."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.plan: list[str] = []  # "refuse" | "hold"; forward when empty
        self.connections = 0
        self.arrived = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.url = ""

    async def __aenter__(self) -> Front:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.url = f"https://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.arrived.set()
        mode = self.plan.pop(0) if self.plan else "forward"
        if mode == "refuse":
            writer.transport.abort()
            return
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            if mode == "hold":
                await asyncio.Event().wait()
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            writer.close()
            self._tasks.discard(task)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


class Rig:
    def __init__(self, pki: Pki, clock: FakeClock) -> None:
        self.pki, self.clock, self.bus = pki, clock, EventBus()
        keys = KeyRing()
        keys.register(team_id=KEY.team_id, key_id=KEY.key_id, public_key=KEY.key.public_key())
        self.devices = DeviceRegistry(rng=random.Random(2), clock=clock)
        self.faults = Faults()
        self.core = ApnsCore(keys=keys, devices=self.devices, clock=clock, faults=self.faults)
        self.token = self.devices.register(topic=TOPIC, environment=Environment.PRODUCTION)
        self.delivered: list[PushAccepted] = []
        self.timer = ManualTimer(clock)
        self.metrics = ProxyMetrics()

    def sender(self, url: str) -> ApnsSender:
        settings = ApplePushSettings(type="apple_rn", apple_push_topic=TOPIC, apple_auth_key_pem=p8_pem(KEY.key),
                                     apple_auth_key_id=KEY.key_id, apple_team_id=KEY.team_id)
        return ApnsSender(settings, url=url, ssl_context=client_context(self.pki, h2=True), config=ProxyConfig(),
                          clock=self.clock, publish=self.bus.publish, timer=self.timer, metrics=self.metrics)

    def push(self, **extra: object) -> PushNotification:
        fields: dict[str, object] = dict(ack_id="ack1", platform="apple_rn-v2", server_id="srv", device_id=self.token,
                                         post_id="p1", type="message", message="Hello", channel_name="@b",
                                         version="v2", badge=1)
        fields.update(extra)
        return PushNotification(**fields)  # type: ignore[arg-type]

    def messages(self) -> list[str]:
        return [line.message for line in self.bus.find(LogLine)]


@pytest.fixture
async def rig(pki: Pki, clock: FakeClock) -> AsyncIterator[tuple[Rig, FakeApns, Front]]:
    r = Rig(pki, clock)
    async with FakeApns(r.core, environment=Environment.PRODUCTION, ssl_context=pki.server_context(alpn=["h2"]),
                        publish=r.bus.publish, deliver=r.delivered.append) as apns:
        async with Front(apns.port) as front:
            yield r, apns, front
        assert apns.errors == []


async def finish(task: asyncio.Task[PushResponse]) -> PushResponse:
    async with asyncio.timeout(5):
        return await task


async def test_a_refused_connection_then_success_delivers_exactly_once(rig: tuple[Rig, FakeApns, Front]) -> None:
    r, _, front = rig
    front.plan = ["refuse"]
    sender = r.sender(front.url)
    try:
        task = asyncio.ensure_future(sender.send(r.push(), TARGET))
        assert await r.timer.wait_armed("sleep") == 1.0
        await r.timer.advance(1.0)
        assert await finish(task) == PushResponse(status=PushStatus.OK)
    finally:
        await sender.close()
    assert len(r.delivered) == 1 and r.timer.slept == [1.0]
    assert [h.ok for h in r.bus.find(HopAttempted)] == [False, True]
    assert r.metrics.success.value("apple", "message", "") == 1
    assert r.metrics.notification_duration.count("apple") == r.metrics.apns_duration.count() == 2


async def test_a_silent_apns_hits_the_per_try_deadline_then_the_retry_delivers_once(
        rig: tuple[Rig, FakeApns, Front]) -> None:
    r, _, front = rig
    front.plan = ["hold"]
    sender = r.sender(front.url)
    start = r.clock()
    try:
        task = asyncio.ensure_future(sender.send(r.push(), TARGET))
        assert await r.timer.wait_armed("timeout") == 8.0
        async with asyncio.timeout(5):
            await front.arrived.wait()  # the first try really is stuck on the wire
        await r.timer.advance(8.0)
        assert await r.timer.wait_armed("sleep") == 1.0
        await r.timer.advance(1.0)
        assert await finish(task) == PushResponse(status=PushStatus.OK)
    finally:
        await sender.close()
    assert len(r.delivered) == 1 and front.connections == 2
    first, second = r.bus.find(HopAttempted)
    assert (first.ok, first.outcome, second.ok) == (False, "no response: context deadline exceeded", True)
    assert r.clock() - start == 9.0
    (failed,) = [line for line in r.bus.find(LogLine) if line.message == "Failed to send apple push"]
    assert ("err", "context deadline exceeded") in failed.fields and ("retry", "0") in failed.fields


async def test_three_transport_failures_fail_with_unknown_transport_error(rig: tuple[Rig, FakeApns, Front]) -> None:
    r, _, front = rig
    front.plan = ["refuse"] * 3
    sender = r.sender(front.url)
    try:
        task = asyncio.ensure_future(sender.send(r.push(), TARGET))
        for backoff in (1.0, 2.0):
            assert await r.timer.wait_armed("sleep") == backoff
            await r.timer.advance(backoff)
        assert await finish(task) == UNKNOWN_TRANSPORT
    finally:
        await sender.close()
    assert (r.delivered, front.connections, r.timer.slept) == ([], 3, [1.0, 2.0])
    assert r.messages() == ["Sending apple push notification", *["Failed to send apple push"] * 3,
                            "Max retries reached", "Failed to send apple push"]
    final = r.bus.find(LogLine)[-1]
    assert [k for k, _ in final.fields] == ["sid", "did", "err", "type"]
    assert r.metrics.failure_with_reason.value("apple", "message", "", "RequestError") == 1


async def test_unregistered_is_remove_and_never_retried(rig: tuple[Rig, FakeApns, Front]) -> None:
    r, apns, _ = rig
    r.devices.unregister(r.token)
    sender = r.sender(apns.url)
    try:
        assert await sender.send(r.push(), TARGET) == PushResponse(status=PushStatus.REMOVE)
    finally:
        await sender.close()
    assert r.timer.slept == [] and len(r.bus.find(HopAttempted)) == 1
    (line,) = [line for line in r.bus.find(LogLine) if line.message.startswith("Failed")]
    assert line.message == "Failed to send apple push sending remove code res" and line.level == "INFO"
    assert dict(line.fields)["reason"] == "Unregistered" and dict(line.fields)["code"] == "410"
    assert r.metrics.removal.value("apple", "", "Unregistered") == 1
    assert r.metrics.failure.value("apple", "message", "") == 1


async def test_expired_provider_token_is_fail_unknown_send_response_error(rig: tuple[Rig, FakeApns, Front]) -> None:
    r, apns, _ = rig
    r.faults.push(Reason.EXPIRED_PROVIDER_TOKEN)
    sender = r.sender(apns.url)
    try:
        assert await sender.send(r.push(), TARGET) == \
            PushResponse(status=PushStatus.FAIL, error="unknown send response error")
    finally:
        await sender.close()
    assert r.timer.slept == [] and r.delivered == []
    (line,) = [line for line in r.bus.find(LogLine) if line.message.startswith("Failed")]
    assert (line.message, line.level, dict(line.fields)["reason"]) == \
        ("Failed to send apple push with res", "ERROR", "ExpiredProviderToken")
    assert r.metrics.failure_with_reason.value("apple", "message", "", "ExpiredProviderToken") == 1


async def test_the_provider_token_is_renewed_before_apns_would_call_it_expired(
        rig: tuple[Rig, FakeApns, Front]) -> None:
    r, apns, _ = rig
    sender = r.sender(apns.url)
    try:
        assert (await sender.send(r.push(), TARGET)).status is PushStatus.OK
        r.clock.advance(3700)  # past APNs' one-hour limit for the first token
        assert (await sender.send(r.push(ack_id="later"), TARGET)).status is PushStatus.OK
    finally:
        await sender.close()
    assert len(r.delivered) == 2


async def test_success_counts_and_logs(rig: tuple[Rig, FakeApns, Front]) -> None:
    r, apns, _ = rig
    sender = r.sender(apns.url)
    try:
        assert (await sender.send(r.push(transport="", ack_id=""), TARGET)).status is PushStatus.OK
    finally:
        await sender.close()
    assert r.messages() == ["Sending apple push notification"]
    assert (r.metrics.success.value("apple", "message", ""), r.metrics.success_with_ack.series) == (1, {})
    assert r.metrics.notifications.value("apple", "message", "") == 1


async def test_a_late_answer_hits_the_deadline_the_stream_is_reset_and_the_retry_delivers_again(
        rig: tuple[Rig, FakeApns, Front]) -> None:
    r, apns, _ = rig
    sender = r.sender(apns.url)
    try:
        assert (await sender.send(r.push(ack_id="warm"), TARGET)).status is PushStatus.OK
        r.faults.push_delay(30.0)  # real seconds: the virtual 8 s deadline passes long before
        task = asyncio.ensure_future(sender.send(r.push(), TARGET))
        await r.bus.wait_for(PushAccepted, lambda a: a.payload.get("ack_id") == "ack1", timeout=5)
        assert await r.timer.wait_armed("timeout") == 8.0
        await r.timer.advance(8.0)
        assert await r.timer.wait_armed("sleep") == 1.0
        await r.timer.advance(1.0)
        assert await finish(task) == PushResponse(status=PushStatus.OK)
        assert sender.open_streams == 0  # the given-up stream was reset, not left half-open
    finally:
        await sender.close()
    # APNs took the first try too: the double notification the spec warns about (§9) ...
    assert [a.payload["ack_id"] for a in r.delivered] == ["warm", "ack1", "ack1"]
    # ... and the connection survived the reset: it carried all three.
    assert len(r.bus.find(ApnsConnectionOpened)) == 1
