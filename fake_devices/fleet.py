"""All emulated phones of one world; routes pushes from the OS push services by token."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable

from faker import Faker

from .errors import DeviceError, UnknownToken
from .models import Platform
from .phone import Phone, Registrar, ServerLink, Spawn
from .receiver import Reception


class Fleet:
    """The phones, created with seeded names so every run of a world looks the same."""

    def __init__(self, *, seed: int, clock: Callable[[], float], publish: Callable[[object], None],
                 registrar: Registrar, links: Callable[[str], ServerLink], spawn: Spawn) -> None:
        self._faker = Faker()
        self._faker.seed_instance(seed)
        self._clock, self._publish, self._spawn = clock, publish, spawn
        self._registrar, self._links = registrar, links
        self.phones: dict[str, Phone] = {}

    def add_phone(self, name: str | None = None, *, platform: Platform = Platform.IOS,
                  model: str = "iPhone 6s Plus", os_version: str = "15.8") -> Phone:
        """A new phone with no apps installed."""
        name = name or f"{self._faker.first_name().lower()}-phone"
        if name in self.phones:
            raise DeviceError(f"a phone named {name!r} already exists")
        phone = Phone(name=name, platform=platform, model=model, os_version=os_version,
                      registrar=self._registrar, link=self._links(name), clock=self._clock,
                      publish=self._publish, spawn=self._spawn)
        self.phones[name] = phone
        return phone

    def owner_of(self, token: str) -> Phone:
        """The phone whose app holds ``token``."""
        for phone in self.phones.values():
            if phone.holds(token) is not None:
                return phone
        raise UnknownToken(f"no phone holds token {token[:16]}…")

    def deliver(self, token: str, payload: Mapping[str, Any]) -> Reception:
        """The push service delivers ``payload`` to whichever app holds ``token``."""
        phone = self.owner_of(token)
        inst = phone.holds(token)
        assert inst is not None  # owner_of found it
        return phone.receive(inst, payload)
