"""A fake APNs world for integration tests: core, registry, keys, phones' reachability, servers.

``apns_world(pki)`` is an async context manager; on exit it checks that no server recorded an
error and that every connection was closed (a server-side exception fails the test that caused it).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from fake_apns import (ApnsCore, DeviceRegistry, Environment, FakeApns, Faults, KeyRing, ProviderCertificates,
                       PushAccepted)
from tests.support.apns_client import ApnsClient
from tests.support.apns_pki import ApnsPki
from tests.support.jwt_es256 import bearer, new_key, provider_token

NOW = 1_767_225_600.0
TEAM, KID, BUNDLE = "TEAM123456", "KEY1234567", "com.example.app"
KEY, WRONG_KEY = new_key(), new_key()
PAYLOAD = b'{"aps":{"alert":"hello"}}'
DEADLINE = 5.0
PROD, SANDBOX = Environment.PRODUCTION, Environment.SANDBOX
E = TypeVar("E")


class Clock:
    """A settable clock; ``wall=True`` follows real time (for clients that stamp ``iat`` themselves)."""

    def __init__(self, *, wall: bool = False) -> None:
        self.wall = wall
        self.offset = 0.0 if wall else NOW

    def __call__(self) -> float:
        return (time.time() if self.wall else 0.0) + self.offset

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.offset += seconds


class Recorder:
    """publish() sink that lets a test await a published event with a deadline."""

    def __init__(self) -> None:
        self.events: list[object] = []
        self._changed = asyncio.Event()

    def __call__(self, event: object) -> None:
        self.events.append(event)
        self._changed.set()

    def of(self, kind: type[E]) -> list[E]:
        """Every published event of ``kind``, in order."""
        return [e for e in self.events if isinstance(e, kind)]

    async def wait_for(self, kind: type[E], where: Callable[[E], bool] = lambda e: True) -> E:
        """The first event of ``kind`` matching ``where``, waiting up to DEADLINE for it."""
        async with asyncio.timeout(DEADLINE):
            while not (found := [e for e in self.of(kind) if where(e)]):
                self._changed.clear()
                await self._changed.wait()
        return found[0]


class Phones:
    """Reachability for the mailbox: every token is reachable unless its phone is set offline."""

    def __init__(self) -> None:
        self.offline: set[str] = set()

    def is_reachable(self, token: str) -> bool:
        """False while ``token`` is in ``offline``."""
        return token.lower() not in self.offline


@dataclass
class ApnsWorld:
    """Everything a test needs to push to a running fake APNs and look at what happened."""

    pki: ApnsPki
    core: ApnsCore
    clock: Clock
    phones: Phones
    published: Recorder
    servers: dict[Environment, FakeApns]
    token: str
    delivered: list[PushAccepted] = field(default_factory=list)

    @property
    def devices(self) -> DeviceRegistry:
        return self.core.devices

    @property
    def faults(self) -> Faults:
        return self.core.faults

    @property
    def apns(self) -> FakeApns:
        """The first server (production unless only sandbox runs)."""
        return next(iter(self.servers.values()))

    def headers(self, *, key: Any = KEY, iat: float | None = None, topic: str | None = BUNDLE,
                **extra: Any) -> list[tuple[str, str]]:
        """Headers of a valid alert push; ``extra`` adds headers (``apns_id`` -> ``apns-id``)."""
        token = provider_token(key, key_id=KID, team_id=TEAM, iat=self.clock() if iat is None else iat)
        found = [("authorization", bearer(token)), ("apns-push-type", "alert")]
        found += [("apns-topic", topic)] if topic is not None else []
        return found + [(k.replace("_", "-"), v) for k, v in extra.items()]

    async def client(self, environment: Environment = PROD, *, alpn: Sequence[str] = ("h2",),
                     cert: Path | None = None) -> ApnsClient:
        """A connected test client (with a provider certificate when ``cert`` is given)."""
        return await ApnsClient.connect(self.servers[environment].url, self.pki.client_context(alpn, cert=cert))


@asynccontextmanager
async def apns_world(pki: ApnsPki, *, clock: Clock | None = None, environments: Iterable[Environment] = (PROD,),
                     trust: Iterable[ProviderCertificates] | None = None,
                     **core_options: Any) -> AsyncIterator[ApnsWorld]:
    """Run a FakeApns per environment on 127.0.0.1:0 around one core; ``trust`` defaults to pki.providers."""
    clock = clock or Clock()
    keys = KeyRing()
    keys.register(TEAM, KID, KEY.public_key())
    phones, published = Phones(), Recorder()
    devices = DeviceRegistry(random.Random(5), clock)
    core = ApnsCore(keys=keys, devices=devices, clock=clock, faults=Faults(), rng=random.Random(6),
                    certificates=pki.providers, reachability=phones, **core_options)
    trusted = tuple(trust) if trust is not None else (pki.providers,)
    delivered: list[PushAccepted] = []
    async with AsyncExitStack() as stack:
        servers = {env: await stack.enter_async_context(FakeApns(
            core, environment=env, ssl_context=pki.server_context(trust=trusted), publish=published,
            deliver=delivered.append)) for env in environments}
        first = next(iter(servers))
        world = ApnsWorld(pki=pki, core=core, clock=clock, phones=phones, published=published, servers=servers,
                          token=devices.register(BUNDLE, first, device="phone-1"), delivered=delivered)
        yield world
    for server in servers.values():
        assert server.errors == [], server.errors
        assert server.connections == 0
