"""The composition root: one world in one process, every server on 127.0.0.1:0.

Start order follows the dependency direction (APNs ← proxy ← chat; phones last) so every
component is given the URLs of the ones it calls. Shutdown runs in reverse; then any exception a
component recorded fails the world (``WorldFailed``), so no crash passes silently.
"""

from __future__ import annotations

import functools
import json
import random
from contextlib import AsyncExitStack
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from fake_apns import (ApnsControl, ApnsCore, DeviceRegistry, Environment, Faults, FakeApns, KeyRing,
                       ProviderCertificates)
from fake_devices import Fleet, Phone, Platform
from fake_fcm import FakeFcm, FcmControl, FcmCore, Registry, ServiceAccount, new_rsa_key

from .bus import EventBus
from .chat.core import ChatCore
from .chat.ids import IdFactory
from .chat.models import HPNS_URLS, TPNS_URL, ChatConfig
from .chat.producers import notify_sessions_expired
from .chat.pusher import PushGateway
from .chat.server import ChatServer
from .clock import Clock, FakeClock
from .config import SimConfig
from .connect import ConnectProxy
from .control import ControlApi
from .egress import GOOGLE_HOSTS
from .events import ComponentStarted
from .hops import HopClient
from .links import MattermostClient, PhoneLinks
from .proxies import PUBLIC_BUNDLES, PUBLIC_KEY_ID, PUBLIC_PACKAGES, PUBLIC_TEAM_ID, plan
from .proxy import Role
from .proxy.deployment import PUBLIC_FIREBASE_PROJECT, ProxyKeys
from .proxy.server import PushProxy
from .proxy.timer import ManualTimer
from .reach import ApnsRegistrar, Deliveries, FcmRegistrar, Reach
from .signing import ProviderKey, es256_jwt, new_p256_key, spki_b64
from .tasks import Supervisor
from .tls import Pki
from .web import WebServer

APNS_HOSTS = {Environment.PRODUCTION: "api.push.apple.com", Environment.SANDBOX: "api.sandbox.push.apple.com"}
# Every name each fake answers for (its TLS certificate carries them all; the CONNECT proxy maps them).
APNS_NAMES = {Environment.PRODUCTION: ("api.push.apple.com",),
              Environment.SANDBOX: ("api.sandbox.push.apple.com", "api.development.push.apple.com")}
APNS_PORTS = (443, 2197)
SESSION_JOB_WINDOW = 3600.0  # NotifySessionsExpired looks back one hour (§7.7)


class WorldFailed(Exception):
    """A component raised unexpectedly while the world ran."""


@functools.cache
def _rsa_key(which: str) -> rsa.RSAPrivateKey:
    # RSA-2048 generation costs ~0.1 s; service-account keys are test credentials, shared per process.
    return new_rsa_key()


class Simulator:
    """A running world: chat server, push proxies, APNs (production + sandbox), FCM and phones."""

    def __init__(self, config: SimConfig | None = None, *, clock: Clock | None = None) -> None:
        self.config = config = config or SimConfig()
        self.clock: Clock = clock or FakeClock()
        self.bus = EventBus()
        self.pki = Pki()
        self.supervisor = Supervisor("world")  # accepted work: pushes, acks
        self.sockets = Supervisor("websockets")  # long-lived readers, never drained
        self.provider_key = ProviderKey(key=new_p256_key(self.rng("provider-key")), key_id=config.key_id,
                                        team_id=config.team_id)
        # Mattermost's own key serves the public apps; an EAS world's configured key is the customer's.
        self.public_key = self.provider_key if Role(config.role) is not Role.EAS else ProviderKey(
            key=new_p256_key(self.rng("public-provider-key")), key_id=PUBLIC_KEY_ID, team_id=PUBLIC_TEAM_ID)
        self.signing_key = new_p256_key(self.rng("signing-key"))  # the chat server's asymmetric signing key (§7.12)
        self.keys = KeyRing()
        for key in dict.fromkeys((self.provider_key, self.public_key)):
            self.keys.register(team_id=key.team_id, key_id=key.key_id, public_key=key.key.public_key())
        for bundle in PUBLIC_BUNDLES:
            self.keys.register_app(self.public_key.team_id, bundle)
        self.keys.register_app(config.team_id, config.ios_bundle_id)
        self.certificates = ProviderCertificates()  # certificate-based provider auth (A3.2)
        self.devices = DeviceRegistry(rng=self.rng("apns-devices"), clock=self.clock)
        self.faults = Faults()
        self.apns_core = ApnsCore(keys=self.keys, devices=self.devices, clock=self.clock, faults=self.faults,
                                  rng=self.rng("apns"), certificates=self.certificates)
        self.fcm_registry = Registry(rng=self.rng("fcm-registry"), clock=self.clock)
        self.fcm_accounts = self._firebase_projects()
        self.fcm_core = FcmCore(registry=self.fcm_registry, clock=self.clock, rng=self.rng("fcm"))
        self.phone_links = PhoneLinks(publish=self.bus.publish, clock=self.clock, supervisor=self.sockets,
                                      world_ca_pem=self.pki.ca.cert_pem.bytes())
        self.fleet = Fleet(seed=config.seed, clock=self.clock, publish=self.bus.publish,
                           registrar={Platform.IOS: ApnsRegistrar(self.devices),
                                      Platform.ANDROID: FcmRegistrar(self.fcm_registry)},
                           links=self.phone_links, spawn=self.supervisor.spawn, on_reachable=self._reachable_again)
        self.apns_core.mailbox.reachability = self.fcm_core.mailbox.reachability = Reach(lambda: self.fleet)
        self.deliveries = Deliveries(lambda: self.fleet, self.bus.publish)
        # On a FakeClock the proxies' retry back-off moves world time instead of waiting (autojump).
        self.timer = ManualTimer(self.clock, autojump=True) if isinstance(self.clock, FakeClock) else None
        self._stack = AsyncExitStack()
        self._clients: list[HopClient] = []
        self.apns: dict[Environment, FakeApns] = {}
        self.proxies: dict[Role, PushProxy] = {}

    # -- wiring ------------------------------------------------------------------------------
    def rng(self, stream: str) -> random.Random:
        """A random stream of its own per component: concurrency in one cannot shift another's ids."""
        return random.Random(f"{self.config.seed}/{stream}")

    def _firebase_projects(self) -> dict[str, ServiceAccount]:
        """The public Firebase project (and the world's own, if EAS), each with one service account."""
        registry, config = self.fcm_registry, self.config
        projects: dict[str, tuple[str, ...]] = {PUBLIC_FIREBASE_PROJECT: PUBLIC_PACKAGES}
        projects.setdefault(config.firebase_project_id, ())
        projects[config.firebase_project_id] = tuple(dict.fromkeys((*projects[config.firebase_project_id],
                                                                    config.android_package)))
        accounts: dict[str, ServiceAccount] = {}
        for project, packages in projects.items():
            registry.add_project(project)
            for package in packages:
                registry.add_app(project, package)
            accounts[project] = registry.add_service_account(project, key=_rsa_key(project))
        return accounts

    def service_account_json(self, project: str | None = None) -> bytes:
        """The Firebase service-account file of ``project`` (default: the world's own), aimed at FakeFcm."""
        account = self.fcm_accounts[project or self.config.firebase_project_id]
        return json.dumps(self.fcm.service_account_info(account), indent=2).encode()

    def _client(self, source: str) -> HopClient:
        client = HopClient(source=source, publish=self.bus.publish, clock=self.clock,
                           ssl_context=self.pki.client_context())
        self._clients.append(client)
        return client

    def mattermost_client(self, source: str) -> MattermostClient:
        """An API client acting as ``source`` (e.g. Account B's browser); its requests are hops."""
        return MattermostClient(self._client(source), self.sockets)

    def _reachable_again(self, phone: Phone) -> None:
        """A phone woke or came back online: the push services deliver what they held for it."""
        if phone.platform is Platform.ANDROID:
            if hasattr(self, "fcm"):
                self.fcm.flush(device=phone.name)
            return
        for inst in phone.apps.values():
            if inst.token:
                for server in self.apns.values():
                    server.flush(token=inst.token)

    async def advance(self, seconds: float) -> None:
        """Move world time on: proxy timers fire, stored notifications whose time ran out expire."""
        if not isinstance(self.clock, FakeClock):
            raise TypeError("advance() needs a world built on a FakeClock")
        if self.timer is not None:
            await self.timer.advance(seconds)  # moves the clock too
        else:
            self.clock.advance(seconds)
        for server in self.apns.values():
            server.sweep()
        if hasattr(self, "fcm"):
            self.fcm.sweep()
        if hasattr(self, "gateway"):
            # The server's NotifySessionsExpired job ran while time passed: tell expired mobile sessions.
            window_ms = int(max(seconds, SESSION_JOB_WINDOW) * 1000)
            await self.gateway.enqueue(notify_sessions_expired(self.chat_core, within_ms=window_ms))

    async def __aenter__(self) -> Simulator:
        try:
            await self._start()
        except BaseException:
            await self._stop()
            raise
        return self

    async def _enter(self, name: str, component: Any) -> Any:
        started = await self._stack.enter_async_context(component)
        self.bus.publish(ComponentStarted(at=self.clock(), name=name, url=started.url))
        return started

    async def _start(self) -> None:
        for env in APNS_NAMES:
            ctx = self.pki.server_context(*APNS_NAMES[env], alpn=["h2"])
            self.certificates.configure_server(ctx)
            self.apns[env] = await self._enter(f"apns-{env.value}", FakeApns(
                self.apns_core, environment=env, ssl_context=ctx, publish=self.bus.publish,
                deliver=self.deliveries.apns))
        self.fcm = await self._enter("fcm", FakeFcm(
            self.fcm_core, ssl_context=self.pki.server_context(*GOOGLE_HOSTS), publish=self.bus.publish,
            deliver=self.deliveries.fcm))
        await self._start_proxies()
        self.chat_core = ChatCore(config=self._chat_config(), clock=self.clock, ids=IdFactory(self.rng("chat")),
                                  signer=lambda claims: es256_jwt(self.signing_key, claims),
                                  signing_public_key=spki_b64(self.signing_key))
        routes = {url: self.proxies[Role.HPNS].url for url in HPNS_URLS} | {TPNS_URL: self.proxies[Role.TPNS].url}
        self.gateway = PushGateway(self.chat_core, server_url=self.proxy.url, client=self._client("chat"),
                                   supervisor=self.supervisor, clock=self.clock, publish=self.bus.publish,
                                   routes=routes)
        self.chat = await self._enter("chat", ChatServer(
            self.chat_core, gateway=self.gateway, clock=self.clock, publish=self.bus.publish,
            ssl_context=self.pki.server_context("chat.pushsim.test")))
        self.connect = await self._enter("connect", ConnectProxy(
            self._connect_routes(), publish=self.bus.publish, clock=self.clock))
        self.apns_control = await self._enter("apns-control", ApnsControl(self.apns_core,
                                                                          servers=list(self.apns.values())))
        self.fcm_control = await self._enter("fcm-control", FcmControl(self.fcm_core, server=self.fcm))
        self.control = await self._enter("control", ControlApi(self, publish=self.bus.publish, clock=self.clock))

    async def _start_proxies(self) -> None:
        self._planned = plan(
            self.config,
            own=ProxyKeys(apns=self.provider_key, firebase_service_account=self.service_account_json()),
            public=ProxyKeys(apns=self.public_key,
                             firebase_service_account=self.service_account_json(PUBLIC_FIREBASE_PROJECT)))
        apns_urls = {False: self.apns[Environment.PRODUCTION].url, True: self.apns[Environment.SANDBOX].url}
        apns_ssl, fcm_ssl = self.pki.client_context(alpn=["h2"]), self.pki.client_context()
        for role, planned in self._planned.items():
            self.proxies[role] = await self._enter(planned.deployment.name, planned.deployment.build(
                pki=self.pki, apns_urls=apns_urls, clock=self.clock, publish=self.bus.publish, fcm_url=self.fcm.url,
                timer=self.timer, server_names=planned.names, apns_ssl=apns_ssl, fcm_ssl=fcm_ssl,
                enable_metrics=self.config.enable_metrics))
        self.proxy = self.proxies[Role(self.config.role)]

    def _connect_routes(self) -> dict[tuple[str, int], tuple[str, int]]:
        routes = {(name, port): ("127.0.0.1", self.apns[env].port)
                  for env, names in APNS_NAMES.items() for name in names for port in APNS_PORTS}
        routes.update({(name, 443): ("127.0.0.1", self.fcm.port) for name in GOOGLE_HOSTS})
        for role, planned in self._planned.items():
            port = int(self.proxies[role].url.rsplit(":", 1)[1])
            routes.update({(name, 443 if planned.deployment.tls else 80): ("127.0.0.1", port)
                           for name in planned.names})
        return routes

    def _chat_config(self) -> ChatConfig:
        return ChatConfig(contents=self.config.contents, licensed=self.config.licensed,
                          version=self.config.server_version, push_server_url="")

    @property
    def urls(self) -> dict[str, str]:
        """Every component's base URL."""
        return {"chat": self.chat.url, "proxy": self.proxy.url, "connect": self.connect.url,
                "control": self.control.url, "apns": self.apns[Environment.PRODUCTION].url,
                "apns_sandbox": self.apns[Environment.SANDBOX].url, "apns_control": self.apns_control.url,
                "fcm": self.fcm.url, "fcm_control": self.fcm_control.url,
                **{f"proxy_{role.value.lower()}": proxy.url for role, proxy in self.proxies.items()}}

    def add_phone(self, name: str | None = None, **kwargs: Any) -> Phone:
        """A new emulated phone."""
        return self.fleet.add_phone(name, **kwargs)

    async def settle(self, timeout: float = 5.0) -> None:
        """Wait until every accepted background job (pushes, acks) has finished."""
        await self.supervisor.drain(timeout)

    @property
    def errors(self) -> list[BaseException]:
        """Unexpected exceptions recorded by any component so far."""
        found = [*self.supervisor.errors, *self.sockets.errors]
        for component in (*self.apns.values(), *self.proxies.values(), getattr(self, "fcm", None),
                          getattr(self, "chat", None), getattr(self, "connect", None),
                          getattr(self, "apns_control", None), getattr(self, "fcm_control", None),
                          getattr(self, "control", None)):
            if component is not None:
                server = getattr(component, "server", None)  # adapters built on WebServer keep errors there
                found.extend(server.errors if isinstance(server, WebServer) else component.errors)
        return found

    async def _stop(self) -> None:
        await self.supervisor.close()
        await self.sockets.close()
        for client in self._clients:
            await client.close()
        await self.phone_links.close()
        await self._stack.aclose()

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        await self._stop()
        errors = self.errors
        if errors and exc is None:
            raise WorldFailed(f"{len(errors)} component error(s); first: {errors[0]!r}") from errors[0]
