"""The composition root: one world in one process, every server on 127.0.0.1:0.

Start order follows the dependency direction (APNs ← proxy ← chat; phones last) so every
component is given the URLs of the ones it calls. Shutdown runs in reverse; then any exception a
component recorded fails the world (``WorldFailed``), so no crash passes silently.
"""

from __future__ import annotations

import json
import random
import time
from contextlib import AsyncExitStack
from typing import Any, Callable

from fake_apns import ApnsCore, DeviceRegistry, Environment, Faults, FakeApns, KeyRing, PushAccepted
from fake_devices import Fleet, Phone, UnknownToken

from .bus import EventBus
from .chat.core import ChatCore
from .chat.ids import IdFactory
from .chat.models import ChatConfig
from .chat.pusher import PushGateway
from .chat.server import ChatServer
from .clock import Clock, FakeClock
from .config import SimConfig
from .connect import ConnectProxy
from .control import ControlApi
from .egress import MATTERMOST_HOSTS
from .events import ComponentStarted, Correlation, HopAttempted, Protocol
from .hops import HopClient, summarize_body
from .links import MattermostClient
from .proxy.config import ApplePushSettings, ProxyConfig
from .proxy.server import PushProxy
from .signing import ProviderKey, es256_jwt, new_p256_key, p8_pem, spki_b64
from .tasks import Supervisor
from .tls import Pki

APNS_HOSTS = {Environment.PRODUCTION: "api.push.apple.com", Environment.SANDBOX: "api.sandbox.push.apple.com"}
# Every name each fake answers for (its TLS certificate carries them all; the CONNECT proxy maps them).
APNS_NAMES = {Environment.PRODUCTION: ("api.push.apple.com",),
              Environment.SANDBOX: ("api.sandbox.push.apple.com", "api.development.push.apple.com")}
APNS_PORTS = (443, 2197)


class WorldFailed(Exception):
    """A component raised unexpectedly while the world ran."""


class _Registrar:
    """The phones' OS channel to APNs: token registration is in-process, as on a real device."""

    def __init__(self, devices: DeviceRegistry) -> None:
        self._devices = devices

    def register(self, *, topic: str, sandbox: bool) -> str:
        return self._devices.register(topic=topic, environment=Environment.SANDBOX if sandbox else Environment.PRODUCTION)

    def unregister(self, token: str) -> None:
        self._devices.unregister(token)


class Simulator:
    """A running world: chat server, push proxy, APNs (production + sandbox) and phones."""

    def __init__(self, config: SimConfig | None = None, *, clock: Clock | None = None) -> None:
        self.config = config or SimConfig()
        self.clock: Clock = clock or FakeClock()
        self.bus = EventBus()
        self.pki = Pki()
        self.supervisor = Supervisor("world")  # accepted work: pushes, acks
        self.sockets = Supervisor("websockets")  # long-lived readers, never drained
        self.provider_key = ProviderKey(key=new_p256_key(self.rng("provider-key")), key_id=self.config.key_id,
                                        team_id=self.config.team_id)
        self.signing_key = new_p256_key(self.rng("signing-key"))  # the chat server's asymmetric signing key (§7.12)
        self.keys = KeyRing()
        self.keys.register(team_id=self.config.team_id, key_id=self.config.key_id,
                           public_key=self.provider_key.key.public_key())
        self.devices = DeviceRegistry(rng=self.rng("apns-devices"), clock=self.clock)
        self.faults = Faults()
        self.apns_core = ApnsCore(keys=self.keys, devices=self.devices, clock=self.clock, faults=self.faults,
                                  rng=self.rng("apns"))
        self._stack = AsyncExitStack()
        self._clients: list[HopClient] = []
        self.apns: dict[Environment, FakeApns] = {}

    # -- wiring ------------------------------------------------------------------------------
    def rng(self, stream: str) -> random.Random:
        """A random stream of its own per component: concurrency in one cannot shift another's ids."""
        return random.Random(f"{self.config.seed}/{stream}")

    def _client(self, source: str) -> HopClient:
        client = HopClient(source=source, publish=self.bus.publish, clock=self.clock,
                           ssl_context=self.pki.client_context())
        self._clients.append(client)
        return client

    def mattermost_client(self, source: str) -> MattermostClient:
        """An API client acting as ``source`` (e.g. Account B's browser); its requests are hops."""
        return MattermostClient(self._client(source), self.sockets)

    def _deliver(self, accepted: PushAccepted) -> None:
        started = time.perf_counter()
        ids = Correlation(post_id=str(accepted.payload.get("post_id", "")),
                          ack_id=str(accepted.payload.get("ack_id", "")), apns_id=accepted.apns_id)
        try:
            phone = self.fleet.owner_of(accepted.token)
            outcome, ok, target = self.fleet.deliver(accepted.token, accepted.payload).outcome, True, phone.name
        except UnknownToken:
            outcome, ok, target = "no phone holds this token", False, "nowhere"
        self.bus.publish(HopAttempted(
            at=accepted.at, started=started, duration_ms=(time.perf_counter() - started) * 1000, source="apns", target=target,
            protocol=Protocol.OS_CHANNEL, encrypted=True, operation=f"push to {accepted.topic}",
            wire=(("apns-id", accepted.apns_id), ("payload", summarize_body(_compact(accepted.payload)))),
            outcome=outcome, ok=ok, ids=ids))

    async def __aenter__(self) -> Simulator:
        try:
            await self._start()
        except BaseException:
            await self._stop()
            raise
        return self

    async def _start(self) -> None:
        for env in APNS_NAMES:
            self.apns[env] = await self._stack.enter_async_context(FakeApns(
                self.apns_core, environment=env, ssl_context=self.pki.server_context(*APNS_NAMES[env], alpn=["h2"]),
                publish=self.bus.publish, deliver=self._deliver))
            self.bus.publish(ComponentStarted(at=self.clock(), name=f"apns-{env.value}", url=self.apns[env].url))
        self.proxy = await self._stack.enter_async_context(PushProxy(
            self._proxy_config(), apns_urls={False: self.apns[Environment.PRODUCTION].url,
                                             True: self.apns[Environment.SANDBOX].url},
            apns_ssl=self.pki.client_context(alpn=["h2"]), clock=self.clock, publish=self.bus.publish,
            ssl_context=self.pki.server_context(*MATTERMOST_HOSTS) if self.config.proxy_tls else None))
        self.chat_core = ChatCore(config=self._chat_config(), clock=self.clock, ids=IdFactory(self.rng("chat")),
                                  signer=lambda claims: es256_jwt(self.signing_key, claims),
                                  signing_public_key=spki_b64(self.signing_key))
        gateway = PushGateway(self.chat_core, server_url=self.proxy.url, client=self._client("chat"),
                              supervisor=self.supervisor, clock=self.clock, publish=self.bus.publish)
        self.chat = await self._stack.enter_async_context(ChatServer(
            self.chat_core, gateway=gateway, clock=self.clock, publish=self.bus.publish,
            ssl_context=self.pki.server_context("chat.pushsim.test")))
        self.connect = await self._stack.enter_async_context(ConnectProxy(
            self._connect_routes(), publish=self.bus.publish, clock=self.clock))
        self.fleet = Fleet(seed=self.config.seed, clock=self.clock, publish=self.bus.publish,
                           registrar=_Registrar(self.devices), links=self.mattermost_client,
                           spawn=self.supervisor.spawn)
        self.control = await self._stack.enter_async_context(
            ControlApi(self, publish=self.bus.publish, clock=self.clock))

    def _connect_routes(self) -> dict[tuple[str, int], tuple[str, int]]:
        routes = {(name, port): ("127.0.0.1", self.apns[env].port)
                  for env, names in APNS_NAMES.items() for name in names for port in APNS_PORTS}
        if self.config.proxy_tls:
            proxy_port = int(self.proxy.url.rsplit(":", 1)[1])
            routes.update({(name, 443): ("127.0.0.1", proxy_port) for name in MATTERMOST_HOSTS})
        return routes

    def _proxy_config(self) -> ProxyConfig:
        apple = ApplePushSettings(type=self.config.ios_push_type, apple_push_topic=self.config.ios_bundle_id,
                                  apple_auth_key_pem=p8_pem(self.provider_key.key),
                                  apple_auth_key_id=self.config.key_id, apple_team_id=self.config.team_id)
        return ProxyConfig(role=self.config.role, apple_push_settings=(apple,))

    def _chat_config(self) -> ChatConfig:
        return ChatConfig(contents=self.config.contents, licensed=self.config.licensed,
                          version=self.config.server_version, push_server_url="")

    @property
    def urls(self) -> dict[str, str]:
        """Every component's base URL."""
        return {"chat": self.chat.url, "proxy": self.proxy.url, "connect": self.connect.url,
                "control": self.control.url,
                "apns": self.apns[Environment.PRODUCTION].url, "apns_sandbox": self.apns[Environment.SANDBOX].url}

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
        for component in (*self.apns.values(), getattr(self, "proxy", None), getattr(self, "chat", None),
                          getattr(self, "connect", None), getattr(self, "control", None)):
            if component is not None:
                found.extend(component.errors if not hasattr(component, "server") else component.server.errors)
        return found

    async def _stop(self) -> None:
        await self.supervisor.close()
        await self.sockets.close()
        for client in self._clients:
            await client.close()
        await self._stack.aclose()

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        await self._stop()
        errors = self.errors
        if errors and exc is None:
            raise WorldFailed(f"{len(errors)} component error(s); first: {errors[0]!r}") from errors[0]


def _compact(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
