"""PushProxy over real sockets (§2, §3, §6): throttle, /metrics, bad input, config files, logs."""

from __future__ import annotations

import asyncio
import io
import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from fake_apns import ApnsCore, DeviceRegistry, Environment, FakeApns, Faults, KeyRing, PushAccepted
from simulator import EventBus, FakeClock, HopAttempted, LogLine, Pki
from simulator.proxy import ApplePushSettings, ManualTimer, ProxyConfig, ProxyConfigError, PushProxy, PushResponse
from simulator.proxy import PushStatus, sample_config
from simulator.signing import ProviderKey, new_p256_key, p8_pem

from .test_proxy_retries import Front, client_context

TOPIC = "com.mattermost.rn"
KEY = ProviderKey(key=new_p256_key(random.Random(8)), key_id="PSIMKEY001", team_id="PSIMTEAM01")


APPLE = ApplePushSettings(type="apple_rn", apple_push_topic=TOPIC, apple_auth_key_pem=p8_pem(KEY.key),
                          apple_auth_key_id=KEY.key_id, apple_team_id=KEY.team_id)


class World:
    def __init__(self, pki: Pki, clock: FakeClock, apns: FakeApns, devices: DeviceRegistry, bus: EventBus,
                 delivered: list[PushAccepted]) -> None:
        self.pki, self.clock, self.apns, self.devices, self.bus = pki, clock, apns, devices, bus
        self.delivered = delivered
        self.token = devices.register(topic=TOPIC, environment=Environment.PRODUCTION)

    def proxy(self, config: ProxyConfig | None = None, **kwargs: Any) -> PushProxy:
        config = config or ProxyConfig(apple_push_settings=(APPLE,))
        kwargs.setdefault("apns_urls", {False: self.apns.url, True: self.apns.url})
        return PushProxy(config, apns_ssl=client_context(self.pki, h2=True), clock=self.clock,
                         publish=self.bus.publish, **kwargs)

    def body(self, **extra: object) -> bytes:
        fields: dict[str, object] = dict(ack_id="ack1", platform="apple_rn-v2", server_id="srv",
                                         device_id=self.token, post_id="p1", type="message", message="Hello",
                                         badge=1, version="v2")
        fields.update(extra)
        return json.dumps(fields).encode()

    def logs(self, component: str = "proxy") -> list[LogLine]:
        return [line for line in self.bus.find(LogLine) if line.component == component]


@pytest.fixture
async def world(pki: Pki, clock: FakeClock) -> AsyncIterator[World]:
    bus, delivered = EventBus(), list[PushAccepted]()
    keys = KeyRing()
    keys.register(team_id=KEY.team_id, key_id=KEY.key_id, public_key=KEY.key.public_key())
    devices = DeviceRegistry(rng=random.Random(9), clock=clock)
    core = ApnsCore(keys=keys, devices=devices, clock=clock, faults=Faults())
    async with FakeApns(core, environment=Environment.PRODUCTION, ssl_context=pki.server_context(alpn=["h2"]),
                        publish=bus.publish, deliver=delivered.append) as apns:
        yield World(pki, clock, apns, devices, bus, delivered)
        assert apns.errors == []


Request = Callable[..., Awaitable[tuple[int, dict[str, str], bytes]]]


@pytest.fixture
async def http() -> AsyncIterator[Request]:
    async with aiohttp.ClientSession() as session:
        async def request(method: str, url: str, body: bytes | None = None,
                          headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
            data = io.BytesIO(body) if body is not None and len(body) > 1 << 20 else body  # aiohttp wants big bodies as files
            async with session.request(method, url, data=data, headers=headers) as resp:
                return resp.status, dict(resp.headers), await resp.read()
        yield request


def fail(error: str) -> bytes:
    return PushResponse(status=PushStatus.FAIL, error=error).to_json() + b"\n"


async def test_the_throttle_answers_429_in_the_proxys_words(world: World, http: Request) -> None:
    async with world.proxy(replace(ProxyConfig(), throttle_per_sec=2)) as proxy:
        answers = [await http("GET", f"{proxy.url}/") for _ in range(3)]
        other_caller = await http("GET", f"{proxy.url}/", headers={"X-Forwarded-For": "10.1.2.3"})
        world.clock.advance(1.0)
        next_window = await http("GET", f"{proxy.url}/")
    assert [status for status, _, _ in answers] == [200, 200, 429]
    status, headers, body = answers[2]
    assert body == b"limit exceeded\n" and headers["Content-Type"] == "text/plain; charset=utf-8"
    assert {k: headers[k] for k in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
                                    "Retry-After")} == {"X-RateLimit-Limit": "2", "X-RateLimit-Remaining": "0",
                                                        "X-RateLimit-Reset": "1", "Retry-After": "1"}
    assert answers[0][1]["X-RateLimit-Remaining"] == "1" and "Retry-After" not in answers[0][1]
    assert (other_caller[0], next_window[0]) == (200, 200)
    (line,) = [line for line in world.logs() if line.message == "Error: code=429"]
    assert (line.level, line.fields) == ("ERROR", (("path", "/"), ("ip", "127.0.0.1")))


async def test_throttled_send_push_never_reaches_apns(world: World, http: Request) -> None:
    async with world.proxy(replace(ProxyConfig(apple_push_settings=(APPLE,)), throttle_per_sec=1)) as proxy:
        first = await http("POST", f"{proxy.url}/api/v1/send_push", world.body())
        second = await http("POST", f"{proxy.url}/api/v1/send_push", world.body(ack_id="ack2"),
                            headers={"X-Forwarded-For": ""})
    assert (first[0], first[2], second[0]) == (200, b'{"status":"OK"}\n', 429)
    assert len(world.delivered) == 1


async def test_rate_limit_headers_ride_on_404_and_405_too(world: World, http: Request) -> None:
    async with world.proxy() as proxy:
        missing = await http("GET", f"{proxy.url}/health")
        wrong_method = await http("GET", f"{proxy.url}/api/v1/send_push")
        no_metrics = await http("GET", f"{proxy.url}/metrics")
    assert (missing[0], wrong_method[0], no_metrics[0]) == (404, 405, 404)
    assert all("X-RateLimit-Limit" in headers for _, headers, _ in (missing, wrong_method, no_metrics))


async def test_metrics_are_served_when_enabled_and_count_every_path(world: World, http: Request) -> None:
    config = ProxyConfig(apple_push_settings=(APPLE,), enable_metrics=True)
    world.devices.unregister(dead := world.devices.register(topic=TOPIC, environment=Environment.PRODUCTION))
    async with world.proxy(config) as proxy:
        await http("POST", f"{proxy.url}/api/v1/send_push", world.body())
        await http("POST", f"{proxy.url}/api/v1/send_push", world.body(device_id=dead))
        await http("POST", f"{proxy.url}/api/v1/send_push", b"nope")
        await http("POST", f"{proxy.url}/api/v1/ack", b'{"id":"ack1","platform":"ios","type":"message"}')
        status, headers, body = await http("GET", f"{proxy.url}/metrics")
    assert (status, headers["Content-Type"]) == (200, "text/plain; version=0.0.4; charset=utf-8")
    lines = body.decode().splitlines()
    for expected in ('service_notifications_total{platform="apple",transport="",type="message"} 2',
                     'service_notifications_by_app_version_total{app_version="2",platform="apple_rn"} 2',
                     'service_success_total{platform="apple",transport="",type="message"} 1',
                     'service_success_with_ack_total{platform="apple",transport="",type="message"} 1',
                     'service_removal_total{platform="apple",reason="Unregistered",transport=""} 1',
                     'service_failure_total{platform="apple",transport="",type="message"} 1',
                     "service_bad_request_total 1",
                     "service_request_duration_seconds_count 4",
                     "service_apns_request_duration_seconds_count 2",
                     'service_notification_duration_seconds_count{platform="apple"} 2'):
        assert expected in lines, expected
    assert "service_delivered_total" not in body.decode()


OVERSIZED = b'{"server_id":"s","message":"' + b"x" * (4 * 1024 * 1024) + b'"}'


@pytest.mark.parametrize(("body", "error"), [
    (b"", "Failed to read message body: EOF"),
    (b"<xml/>", "Failed to read message body: invalid character '<' looking for beginning of value"),
    (b'{"server_id":7}', "Failed to read message body: json: cannot unmarshal number into Go struct field "
                         "PushNotification.server_id of type string"),
    (b'{"server_id":"s","device_id":"t","badge":"3"}', "Failed to read message body: json: cannot unmarshal "
                                                       "string into Go struct field PushNotification.badge of type int"),
    (b'{"device_id":"t"}', "Failed because of missing server Id"),
    (b'{"server_id":"s"}', "Failed because of missing device Id serverId=s"),
    (b'{"server_id":"s","device_id":"t","platform":"windows_phone-v9"}',
     "Did not send message because of missing platform property type=windows_phone serverId=s"),
    (b'{"server_id":"s","device_id":"t","platform":"android_rn-v2"}',
     "Did not send message because of missing platform property type=android_rn serverId=s"),
    (b'\xff\xfe{"server_id"', "Failed to read message body: invalid character 'ÿ' looking for beginning of value"),
    (OVERSIZED, "Failed to read message body: http: request body too large"),
], ids=["empty", "xml", "wrong-type", "badge-string", "no-server", "no-device", "unknown-platform",
        "unconfigured-platform", "not-utf8", "oversized"])
async def test_bad_send_push_bodies_get_the_proxys_own_answer(world: World, http: Request, body: bytes,
                                                             error: str) -> None:
    async with world.proxy(ProxyConfig(apple_push_settings=(APPLE,), enable_metrics=True)) as proxy:
        status, headers, answer = await http("POST", f"{proxy.url}/api/v1/send_push", body)
        still_serving = await http("GET", f"{proxy.url}/")
        assert proxy.errors == []
        assert proxy.metrics.bad_request.value() == 1
    assert (status, answer, headers["Content-Type"]) == (200, fail(error), "text/plain; charset=utf-8")
    assert still_serving[0] == 200
    assert [line.message for line in world.logs() if line.level == "ERROR"] == [error]
    assert world.bus.find(HopAttempted) == [] and world.delivered == []


async def test_ack_answers_ok_and_logs_or_fails_in_order(world: World, http: Request) -> None:
    async with world.proxy() as proxy:
        ok = await http("POST", f"{proxy.url}/api/v1/ack",
                        b'{"id":"ack1","received_at":1,"platform":"android","type":"message"}')
        bad = await http("POST", f"{proxy.url}/api/v1/ack", b'{"id":"ack1","type":"message"}')
    assert (ok[2], bad[2]) == (b'{"status":"OK"}\n', fail("Failed because of missing ack platform"))
    acked = [line for line in world.logs() if line.message == "Acknowledged delivery receipt"]
    assert [line.fields for line in acked] == [(("ack_id", "ack1"),)]


async def test_a_client_that_hangs_up_does_not_cancel_the_push(world: World, http: Request) -> None:
    timer = ManualTimer(world.clock)
    async with Front(world.apns.port) as front:
        front.plan = ["refuse"]
        async with world.proxy(timer=timer, apns_urls={False: front.url, True: front.url}) as proxy:
            request = asyncio.ensure_future(http("POST", f"{proxy.url}/api/v1/send_push", world.body()))
            assert await timer.wait_armed("sleep") == 1.0  # the proxy is backing off after the refusal
            request.cancel()  # the chat server gives up and closes its connection
            await asyncio.gather(request, return_exceptions=True)
            await timer.advance(1.0)
            await world.bus.wait_for(PushAccepted, timeout=5)
            assert proxy.errors == []
    assert len(world.delivered) == 1


def write_config(tmp_path: Path, world: World, **changes: Any) -> Path:
    key_file = tmp_path / "AuthKey_PSIMKEY001.p8"
    key_file.write_bytes(p8_pem(KEY.key))
    doc = sample_config()
    doc["ApplePushSettings"][1].update(ApplePushTopic=TOPIC, AppleAuthKeyFile=str(key_file),
                                       AppleAuthKeyID=KEY.key_id, AppleTeamID=KEY.team_id)
    doc["AndroidPushSettings"] = [{"Type": "android_rn", "AndroidApiKey": "AAAA-legacy",
                                   "ServiceFileLocation": str(tmp_path / "missing-service-account.json")}]
    doc.update(changes)
    path = tmp_path / "mattermost-push-proxy.json"
    path.write_text(json.dumps(doc, indent=2))
    return path


async def test_a_config_file_starts_the_proxy_with_its_init_log(tmp_path: Path, world: World, http: Request) -> None:
    path = write_config(tmp_path, world, EnableFileLog=True, LogFormat="json",
                        LogFileLocation=str(tmp_path / "logs" / "push_proxy.log"))
    async with world.proxy(ProxyConfig.from_json(path)) as proxy:
        sent = await http("POST", f"{proxy.url}/api/v1/send_push", world.body())
        to_apple = await http("POST", f"{proxy.url}/api/v1/send_push", world.body(platform="apple"))
    assert sent[2] == b'{"status":"OK"}\n'
    assert to_apple[2] == fail("Did not send message because of missing platform property type=apple serverId=srv")
    messages = [(line.message, dict(line.fields).get("type", "")) for line in world.logs()]
    assert messages[:7] == [
        ("Push proxy server is initializing...", ""), (f"Loading {path}", ""),
        ("Failed to initialize client", "apple"),
        ("Initializing apple notification server with AuthKey", "apple_rn"),
        ("AndroidPushSettings.AndroidAPIKey is no longer used. Please remove this config value.", ""),
        ("Initializing Android notification server", "android_rn"), ("Failed to initialize client", "android_rn")]
    errors = [dict(line.fields)["err"] for line in world.logs() if line.message == "Failed to initialize client"]
    assert errors == ["apple push notifications not configured: missing ApplePushCertPrivate for type=apple",
                      f"open {tmp_path / 'missing-service-account.json'}: no such file or directory"]
    written = [json.loads(line) for line in (tmp_path / "logs" / "push_proxy.log").read_text().splitlines()]
    assert [record["msg"] for record in written] == [line.message for line in world.logs()]
    assert written[-1]["msg"] == "Stopping Server..." and written[0]["level"] == "info"


async def test_a_bad_auth_key_file_leaves_only_that_type_out(tmp_path: Path, world: World, http: Request) -> None:
    path = write_config(tmp_path, world)
    (tmp_path / "AuthKey_PSIMKEY001.p8").write_text("not a key")
    console = io.StringIO()
    async with world.proxy(ProxyConfig.from_json(path), console=console) as proxy:
        answer = await http("POST", f"{proxy.url}/api/v1/send_push", world.body())
    assert answer[2] == fail("Did not send message because of missing platform property type=apple_rn serverId=srv")
    assert 'Failed to initialize client type=apple_rn err="AuthKey must be a valid .p8 PEM file"' in console.getvalue()


async def test_listen_address_binds_loopback_and_a_bad_one_is_refused(world: World, http: Request) -> None:
    async with world.proxy(ProxyConfig(listen_address=":0"), listen=True) as proxy:
        assert proxy.url.startswith("http://127.0.0.1:")
        assert (await http("GET", f"{proxy.url}/"))[0] == 200
    with pytest.raises(ProxyConfigError, match="ListenAddress 'nope' is not host:port"):
        world.proxy(ProxyConfig(listen_address="nope"), listen=True)


async def test_an_unopenable_log_file_is_a_config_error(tmp_path: Path, world: World) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(ProxyConfigError, match="LogFileLocation"):
        world.proxy(ProxyConfig(enable_file_log=True, log_file_location=str(tmp_path / "file" / "x.log")))


async def test_a_wrong_provider_key_is_refused_by_apns(world: World, http: Request) -> None:
    async with world.proxy() as proxy:
        assert (await http("POST", f"{proxy.url}/api/v1/send_push", world.body()))[2] == b'{"status":"OK"}\n'
        proxy.use_provider_key(ProviderKey(key=new_p256_key(random.Random(99)), key_id=KEY.key_id,
                                           team_id=KEY.team_id))
        answer = await http("POST", f"{proxy.url}/api/v1/send_push", world.body(ack_id="ack2"))
    assert answer[2] == fail("unknown send response error")
    assert len(world.delivered) == 1
