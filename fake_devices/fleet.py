"""All emulated phones of one world; routes pushes from the OS push services by token.

Scale rule: an idle phone owns no task and no socket; its link's HTTP session is created on its
first request. Token look-ups go through an index, not a scan of every phone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Callable

from faker import Faker

from .catalog import DEVICES
from .errors import DeviceError, UnknownToken
from .models import Platform
from .network import NetworkProfile
from .phone import AppInstance, Phone
from .receiver import Reception
from .seams import Registrars, ServerLink, Sleep, Spawn


class Fleet:
    """The phones, created with seeded names so every run of a world looks the same."""

    def __init__(self, *, seed: int, clock: Callable[[], float], publish: Callable[[object], None],
                 registrar: Registrars, links: Callable[[str], ServerLink], spawn: Spawn,
                 sleep: Sleep = asyncio.sleep, on_reachable: Callable[[Phone], None] | None = None) -> None:
        self._faker = Faker()
        self._faker.seed_instance(seed)
        self._clock, self._publish, self._spawn, self._sleep = clock, publish, spawn, sleep
        self._registrar, self._links, self._on_reachable = registrar, links, on_reachable
        self.phones: dict[str, Phone] = {}
        self._tokens: dict[str, Phone] = {}

    def add_phone(self, name: str | None = None, *, platform: Platform | None = None,
                  model: str = "iPhone 6s Plus", os_version: str | None = None,
                  network: NetworkProfile | None = None) -> Phone:
        """A new phone with no apps installed (platform and OS version default from the model)."""
        name = name or self._fresh_name()
        if name in self.phones:
            raise DeviceError(f"a phone named {name!r} already exists")
        known = DEVICES.get(model)
        platform = platform or (known.platform if known else Platform.IOS)
        phone = Phone(name=name, platform=platform, model=model,
                      os_version=os_version or (known.os_version if known else ""),
                      registrar=self._registrar, link=self._links(name), clock=self._clock, publish=self._publish,
                      spawn=self._spawn, sleep=self._sleep, network=network, on_token=self._index,
                      on_reachable=self._on_reachable)
        self.phones[name] = phone
        return phone

    def _fresh_name(self) -> str:
        base = f"{self._faker.first_name().lower()}-phone"
        name, n = base, 1
        while name in self.phones:
            n += 1
            name = f"{base}-{n}"
        return name

    def _index(self, token: str, phone: Phone | None) -> None:
        if phone is None:
            self._tokens.pop(token, None)
        else:
            self._tokens[token] = phone

    def owner_of(self, token: str) -> Phone:
        """The phone whose app holds ``token``."""
        phone = self._tokens.get(token)
        if phone is None:
            raise UnknownToken(f"no phone holds token {token[:16]}…")
        return phone

    def app_of(self, token: str) -> tuple[Phone, AppInstance]:
        """The phone and the app that hold ``token``."""
        phone = self.owner_of(token)
        inst = phone.holds(token)
        if inst is None:  # the index and the phone disagree: a bug, not bad input
            raise UnknownToken(f"{phone.name} no longer holds token {token[:16]}…")
        return phone, inst

    def deliver(self, token: str, payload: Mapping[str, Any], *, priority: str = "high") -> Reception:
        """The push service delivers ``payload`` (APNs JSON, or FCM ``data``) to the app holding ``token``."""
        phone, inst = self.app_of(token)
        return phone.receive(inst, payload, priority=priority)
