"""A phone's link over real sockets and real TLS: trust store cases (§8.2), connection errors with the
app's texts, network shaping on a fake sleep, websocket presence against the real chat server."""

from __future__ import annotations

import asyncio
import gc
import socket
import ssl
import tracemalloc
from collections.abc import AsyncIterator

import pytest
import trustme
from aiohttp import web

from fake_apns import Environment
from fake_devices import (MATTERMOST_ANDROID, MATTERMOST_IOS, ConnectFailed, Fleet, Meter, Part, Phone, Platform,
                          ServerConnected, TrustStore, network)
from fake_devices.servers import CANNOT_CONNECT, INVALID_SSL_TITLE
from simulator import FakeClock, HopAttempted, SimConfig, Simulator
from simulator.chat.models import Status, StatusChanged
from simulator.links import PhoneLinks
from simulator.story import PASSWORD



class ApnsTokens:
    """The OS's channel to the world's fake APNs."""

    def __init__(self, sim: Simulator) -> None:
        self._devices = sim.devices

    def register(self, *, topic: str, sandbox: bool) -> str:
        return self._devices.register(topic=topic, environment=Environment.SANDBOX if sandbox else Environment.PRODUCTION)

    def unregister(self, token: str) -> None:
        self._devices.unregister(token)


class FcmTokens:
    """FCM's token service until fake_fcm is wired: tokens per (phone, project, package)."""

    def __init__(self) -> None:
        self.live: dict[str, tuple[str, str, str]] = {}

    def register(self, *, topic: str, sandbox: bool, phone: str, project: str) -> str:
        token = f"{phone}-{len(self.live)}:APA91b{'x' * 40}"
        self.live[token] = (phone, project, topic)
        return token

    def unregister(self, token: str) -> None:
        self.live.pop(token)


class World:
    def __init__(self, sim: Simulator) -> None:
        self.sim, self.slept = sim, list[float]()
        self.links = PhoneLinks(publish=sim.bus.publish, clock=sim.clock, supervisor=sim.sockets,
                                world_ca_pem=sim.pki.ca.cert_pem.bytes(), sleep=self.sleep)
        self.fcm = FcmTokens()
        sim.fleet = Fleet(seed=5, clock=sim.clock, publish=sim.bus.publish, spawn=sim.supervisor.spawn,
                          registrar={Platform.IOS: ApnsTokens(sim), Platform.ANDROID: self.fcm}, links=self.links,
                          sleep=self.sleep)
        core = sim.chat_core
        team = core.create_team(name="pushsim", display_name="Pushsim")
        self.a = core.create_user(username="accounta", password=PASSWORD)
        core.add_team_member(team.id, self.a.id)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)

    def phone(self, name: str, model: str = "iPhone 6s Plus") -> Phone:
        phone = self.sim.add_phone(name, model=model)
        phone.install(MATTERMOST_ANDROID if phone.platform is Platform.ANDROID else MATTERMOST_IOS)
        return phone


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with Simulator(SimConfig(seed=5), clock=FakeClock()) as sim:
        w = World(sim)
        try:
            yield w
        finally:
            await w.links.close()


async def minimal_server(ctx: ssl.SSLContext) -> tuple[web.AppRunner, str]:
    """Just enough of a Mattermost server to be added: ping and client config."""
    async def ping(_: web.Request) -> web.Response:
        return web.json_response({"status": "OK"})

    async def config(_: web.Request) -> web.Response:
        return web.json_response({"DiagnosticId": "corp1", "Version": "10.11.0"})

    app = web.Application()
    app.router.add_get("/api/v4/system/ping", ping)
    app.router.add_get("/api/v4/config/client", config)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ctx)
    await site.start()
    return runner, f"https://127.0.0.1:{runner.addresses[0][1]}"


def leaf_context(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names, key_type=trustme.KeyType.ECDSA).configure_cert(ctx)
    return ctx


@pytest.fixture
async def corp_server() -> AsyncIterator[tuple[trustme.CA, str]]:
    corp = trustme.CA(key_type=trustme.KeyType.ECDSA, organization_name="Corp self-signed")
    runner, url = await minimal_server(leaf_context(corp, "127.0.0.1"))
    try:
        yield corp, url
    finally:
        await runner.cleanup()


async def test_the_world_ca_is_trusted_out_of_the_box(world: World) -> None:
    phone = world.phone("a")
    await phone.log_in(world.sim.chat.url, "accounta", PASSWORD)
    connected = await world.sim.bus.wait_for(ServerConnected, timeout=2)
    assert connected.can_receive_notifications == "true"  # the server's test push went through
    assert phone.alerts == []


async def test_without_the_world_ca_the_same_server_is_invalid(world: World) -> None:
    phone = world.phone("a")
    phone.set_trust(TrustStore().without_world_ca())
    with pytest.raises(ConnectFailed) as info:
        await phone.connect(world.sim.chat.url)
    assert info.value.alert.title == INVALID_SSL_TITLE
    assert "pretending to be “127.0.0.1”" in info.value.alert.body
    hop = world.sim.bus.find(HopAttempted, lambda h: h.source == "a")[-1]
    assert not hop.ok and "certificate verify failed" in hop.outcome


async def test_ios_refuses_a_self_signed_server_until_its_ca_is_installed_and_trusted(
        world: World, corp_server: tuple[trustme.CA, str]) -> None:
    corp, url = corp_server
    phone = world.phone("a")
    with pytest.raises(ConnectFailed, match=INVALID_SSL_TITLE):
        await phone.connect(url)
    phone.install_ca("corp", corp.cert_pem.bytes())
    with pytest.raises(ConnectFailed, match=INVALID_SSL_TITLE):
        await phone.connect(url)  # installed is not enough on iOS
    phone.trust_ca("corp")
    assert (await phone.connect(url)).diagnostic_id == "corp1"


async def test_android_accepts_a_user_installed_ca(world: World, corp_server: tuple[trustme.CA, str]) -> None:
    corp, url = corp_server
    phone = world.phone("g", model="Samsung Galaxy S6")
    with pytest.raises(ConnectFailed, match=INVALID_SSL_TITLE):
        await phone.connect(url)
    phone.install_ca("corp", corp.cert_pem.bytes())
    assert (await phone.connect(url)).diagnostic_id == "corp1"


async def test_a_certificate_for_another_host_is_invalid_even_from_a_trusted_ca(world: World) -> None:
    runner, url = await minimal_server(leaf_context(world.sim.pki.ca, "elsewhere.example"))
    try:
        phone = world.phone("a")
        with pytest.raises(ConnectFailed) as info:
            await phone.connect(url)
        assert info.value.alert.title == INVALID_SSL_TITLE
        good, good_url = await minimal_server(leaf_context(world.sim.pki.ca, "127.0.0.1"))
        try:
            assert (await phone.connect(good_url)).diagnostic_id == "corp1"
        finally:
            await good.cleanup()
    finally:
        await runner.cleanup()


async def test_an_unreachable_server_says_cannot_connect(world: World) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nobody listens there
    phone = world.phone("a")
    with pytest.raises(ConnectFailed) as info:
        await phone.connect(f"127.0.0.1:{port}")
    assert (info.value.alert.title, phone.alerts) == (CANNOT_CONNECT, [info.value.alert])


async def test_an_offline_phone_puts_nothing_on_the_wire(world: World) -> None:
    phone = world.phone("a")
    phone.set_network(network("offline"))
    mark = world.sim.bus.mark()
    with pytest.raises(ConnectFailed, match=CANNOT_CONNECT):
        await phone.log_in(world.sim.chat.url, "accounta", PASSWORD)
    assert world.sim.bus.find(HopAttempted, since=mark) == []


async def test_network_shaping_waits_out_each_exchange_on_the_injected_sleep(world: World) -> None:
    phone = world.phone("a")
    lte = network("4g")
    phone.set_network(lte)
    meter = Meter()
    phone.attach_meter(meter)
    await phone.connect(world.sim.chat.url)
    # ping: radio wake-up + TCP/TLS handshakes + half an RTT + upload, then half an RTT + download
    assert world.slept[0] == pytest.approx(0.1 + 0.1 + 0.025 + 0.0 + lte.transfer_s(bytes_up=600, bytes_down=4000),
                                           abs=0.002)
    assert world.slept[1] >= 0.025 and len(world.slept) == 4  # ping, then client config on the warm connection
    assert world.slept[2] == pytest.approx(0.025, abs=0.001)
    assert meter.total(Part.CONNECTION) == pytest.approx(sum(world.slept))
    assert 0 < meter.total(Part.SERVER) < 2  # real time on loopback


async def test_websocket_presence_follows_the_app_and_reattaches_the_device(world: World) -> None:
    core = world.sim.chat_core
    phone = world.phone("a")
    await phone.log_in(world.sim.chat.url, "accounta", PASSWORD)
    assert core.status_of(world.a.id).status is Status.ONLINE
    mark = world.sim.bus.mark()
    await phone.to_background()
    offline = await world.sim.bus.wait_for(StatusChanged, lambda e: e.user_id == world.a.id, since=mark, timeout=2)
    assert offline.status is Status.OFFLINE
    await phone.to_foreground()
    assert core.status_of(world.a.id).status is Status.ONLINE
    attaches = world.sim.bus.find(HopAttempted, lambda h: h.source == "a" and h.operation.endswith("sessions/device"))
    assert len(attaches) == 2 and all(h.ok for h in attaches)


async def test_a_reinstall_attaches_the_new_token_to_a_new_session(world: World) -> None:
    core = world.sim.chat_core
    phone = world.phone("a")
    await phone.log_in(world.sim.chat.url, "accounta", PASSWORD)
    first = phone.app().token
    await phone.uninstall()
    phone.install(MATTERMOST_IOS)
    await phone.log_in(world.sim.chat.url, "accounta", PASSWORD)
    devices = [s.device_id for s in core.sessions_of(world.a.id)]
    assert phone.app().token != first and f"apple_rn-v2:{phone.app().token}" in devices



async def test_idle_phones_start_no_task_and_cost_little_memory(world: World) -> None:
    tasks = len(asyncio.all_tasks())
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    phones = [world.phone(f"idle-{i}") for i in range(500)]
    gc.collect()
    grown = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(before, "filename"))
    tracemalloc.stop()
    assert len(asyncio.all_tasks()) == tasks and len({p.app().token for p in phones}) == 500
    assert grown / len(phones) < 4096  # bytes per idle phone, APNs registration included
