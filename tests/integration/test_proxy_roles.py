"""The proxy's roles (§9) against fake APNs and fake FCM: HPNS and TPNS serve the public apps with
Mattermost's keys, EAS serves your own app with your keys, and neither reaches the other's phones."""

from __future__ import annotations

import json
import random
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest

from fake_apns import ApnsCore, DeviceRegistry, Environment, FakeApns, Faults, KeyRing, PushRejected, Reason
from fake_fcm import FakeFcm, FcmCore, FcmError, MessageRejected, Registry, new_rsa_key
from simulator import EventBus, FakeClock, Pki
from simulator.proxy import PUBLIC_APP, AppIds, ProxyDeployment, ProxyKeys, PushStatus, Role
from simulator.signing import ProviderKey, new_p256_key

ACME = AppIds(ios_bundle_id="com.acme.chat", android_package="com.acme.chat", firebase_project_id="acme-chat")
MATTERMOST_KEY = ProviderKey(key=new_p256_key(random.Random(11)), key_id="MMKEY00001", team_id="MMTEAM0001")
ACME_KEY = ProviderKey(key=new_p256_key(random.Random(12)), key_id="ACMEKEY001", team_id="ACMETEAM01")
RSA_KEYS = {PUBLIC_APP.firebase_project_id: new_rsa_key(), ACME.firebase_project_id: new_rsa_key()}  # made once


@dataclass
class World:
    pki: Pki
    h2_client: ssl.SSLContext  # made once per module: each new context loads the system trust store
    https_client: ssl.SSLContext
    clock: FakeClock
    bus: EventBus
    apns: FakeApns
    fcm: FakeFcm
    public_ios: str
    acme_ios: str
    public_android: str
    acme_android: str
    deployments: dict[Role, ProxyDeployment]


@pytest.fixture(scope="module")
def contexts(pki: Pki) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    return pki.client_context(alpn=["h2"]), pki.client_context()


@pytest.fixture
async def world(pki: Pki, clock: FakeClock, contexts: tuple[ssl.SSLContext, ssl.SSLContext]) -> AsyncIterator[World]:
    bus = EventBus()
    keys = KeyRing()  # topic-specific keys: each operator's key covers only its own app
    keys.register(team_id=MATTERMOST_KEY.team_id, key_id=MATTERMOST_KEY.key_id,
                  public_key=MATTERMOST_KEY.key.public_key(), topics=frozenset({PUBLIC_APP.ios_bundle_id}))
    keys.register(team_id=ACME_KEY.team_id, key_id=ACME_KEY.key_id, public_key=ACME_KEY.key.public_key(),
                  topics=frozenset({ACME.ios_bundle_id}))
    devices = DeviceRegistry(rng=random.Random(13), clock=clock)
    registry = Registry(rng=random.Random(14), clock=clock)
    for app in (PUBLIC_APP, ACME):
        registry.add_project(app.firebase_project_id)
        registry.add_app(app.firebase_project_id, app.android_package)
    mm_account, acme_account = (registry.add_service_account(app.firebase_project_id,
                                                             key=RSA_KEYS[app.firebase_project_id])
                                for app in (PUBLIC_APP, ACME))
    apns_core = ApnsCore(keys=keys, devices=devices, clock=clock, faults=Faults())
    async with FakeApns(apns_core, environment=Environment.PRODUCTION, ssl_context=pki.server_context(alpn=["h2"]),
                        publish=bus.publish, deliver=lambda _a: None) as apns, \
            FakeFcm(FcmCore(registry=registry, clock=clock), ssl_context=pki.server_context(), publish=bus.publish,
                    deliver=lambda _d: None) as fcm:
        mattermost = ProxyKeys(apns=MATTERMOST_KEY,
                               firebase_service_account=json.dumps(fcm.service_account_info(mm_account)).encode())
        acme = ProxyKeys(apns=ACME_KEY, firebase_service_account=json.dumps(fcm.service_account_info(acme_account)).encode())
        yield World(
            pki=pki, h2_client=contexts[0], https_client=contexts[1], clock=clock, bus=bus, apns=apns, fcm=fcm,
            public_ios=devices.register(topic=PUBLIC_APP.ios_bundle_id, environment=Environment.PRODUCTION),
            acme_ios=devices.register(topic=ACME.ios_bundle_id, environment=Environment.PRODUCTION),
            public_android=registry.register("phone-1", PUBLIC_APP.firebase_project_id, PUBLIC_APP.android_package),
            acme_android=registry.register("phone-2", ACME.firebase_project_id, ACME.android_package),
            deployments={Role.HPNS: ProxyDeployment.for_role(Role.HPNS, keys=mattermost),
                         Role.TPNS: ProxyDeployment.for_role(Role.TPNS, keys=mattermost),
                         Role.EAS: ProxyDeployment.for_role(Role.EAS, keys=acme, app=ACME)})
        assert apns.errors == [] and fcm.errors == []


async def send_push(world: World, role: Role, platform: str, token: str) -> tuple[str, str]:
    """Start the role's proxy, POST one send_push to it like the chat server does; (status, proxy URL scheme)."""
    deployment = world.deployments[role]
    proxy = deployment.build(pki=world.pki, apns_urls={False: world.apns.url, True: world.apns.url},
                             clock=world.clock, publish=world.bus.publish, fcm_url=world.fcm.url,
                             server_names=("push.pushsim.test",), apns_ssl=world.h2_client,
                             fcm_ssl=world.https_client)
    body = json.dumps({"ack_id": "a1", "platform": platform, "server_id": "srv", "device_id": token,
                       "type": "message", "message": "hi", "version": "v2"}).encode()
    async with proxy, aiohttp.ClientSession() as http:
        tls = world.https_client if proxy.url.startswith("https:") else False
        async with http.post(f"{proxy.url}/api/v1/send_push", data=body, ssl=tls) as resp:
            answer = json.loads(await resp.read())
    return answer["status"], proxy.url.split(":", 1)[0]


ROUTES = [
    (Role.HPNS, "public", PushStatus.OK), (Role.TPNS, "public", PushStatus.OK), (Role.EAS, "acme", PushStatus.OK),
    (Role.HPNS, "acme", PushStatus.REMOVE), (Role.TPNS, "acme", PushStatus.REMOVE),
    (Role.EAS, "public", PushStatus.REMOVE),
]


@pytest.mark.parametrize(("role", "phone", "expected"), ROUTES, ids=[f"{r.value}-to-{p}" for r, p, _ in ROUTES])
async def test_ios_a_proxy_reaches_only_its_own_apps_phones(world: World, role: Role, phone: str,
                                                          expected: PushStatus) -> None:
    token = world.public_ios if phone == "public" else world.acme_ios
    status, _ = await send_push(world, role, "apple_rn-v2", token)
    assert status == expected
    rejected = world.bus.find(PushRejected)
    assert [r.reason for r in rejected] == ([] if expected is PushStatus.OK else [Reason.DEVICE_TOKEN_NOT_FOR_TOPIC])


@pytest.mark.parametrize(("role", "phone", "expected"), ROUTES, ids=[f"{r.value}-to-{p}" for r, p, _ in ROUTES])
async def test_android_a_proxy_reaches_only_its_own_apps_phones(world: World, role: Role, phone: str,
                                                              expected: PushStatus) -> None:
    token = world.public_android if phone == "public" else world.acme_android
    status, _ = await send_push(world, role, "android_rn-v2", token)
    assert status == expected
    rejected = world.bus.find(MessageRejected)
    assert [r.error_code for r in rejected] == ([] if expected is PushStatus.OK else [FcmError.SENDER_ID_MISMATCH])


@pytest.mark.parametrize(("role", "scheme"), [(Role.HPNS, "https"), (Role.TPNS, "http"), (Role.EAS, "https")])
async def test_tpns_is_reached_over_plain_http_and_the_others_over_tls(world: World, role: Role, scheme: str) -> None:
    assert (await send_push(world, role, "apple_rn-v2", world.acme_ios if role is Role.EAS else world.public_ios)) \
        == ("OK", scheme)


def test_deployments_build_each_roles_config() -> None:
    keys = ProxyKeys(apns=MATTERMOST_KEY)
    hpns = ProxyDeployment.for_role(Role.HPNS, keys=keys)
    (apple,) = hpns.config().apple_push_settings
    assert (apple.type, apple.apple_push_topic, apple.apple_auth_key_id, apple.apple_team_id) == \
        ("apple_rn", "com.mattermost.rn", "MMKEY00001", "MMTEAM0001")
    assert hpns.config().android_push_settings == ()  # no service account given: no Android target
    assert (hpns.name, hpns.host, hpns.tls) == ("hpns", "push.mattermost.com", True)
    tpns = ProxyDeployment.for_role(Role.TPNS, keys=keys)
    assert (tpns.name, tpns.tls, tpns.config().role) == ("tpns", False, Role.TPNS)
    eas = ProxyDeployment.for_role(Role.EAS, keys=ProxyKeys(apns=ACME_KEY), app=ACME)
    assert (eas.config().apple_push_settings[0].apple_push_topic, eas.host) == ("com.acme.chat", "push.com.acme.chat")
    assert hpns.config(throttle_per_sec=5).throttle_per_sec == 5


def test_roles_refuse_the_wrong_app() -> None:
    with pytest.raises(ValueError, match="EAS proxy serves your own app"):
        ProxyDeployment.for_role(Role.EAS, keys=ProxyKeys())
    with pytest.raises(ValueError, match="HPNS only serves the public Mattermost apps"):
        ProxyDeployment.for_role(Role.HPNS, keys=ProxyKeys(), app=ACME)
