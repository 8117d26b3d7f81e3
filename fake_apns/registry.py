"""Device tokens APNs has issued: the phones' OS-private registration channel.

Rule 1: tokens are random 64-hex-char strings from the injected ``rng``; time comes from the
injected ``clock``. Sandbox and production tokens are disjoint, as on real devices.
Rule 2: a named phone (``device``) keeps one token per (device, bundle id, environment) until the
app is unregistered; registering again after that (a reinstall) issues a new token, and the old
one keeps answering 410 Unregistered. An unnamed registration (``device=""``) is a fresh install.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace
from typing import Callable

from .errors import Rejection, UnknownDevice
from .models import Environment, base_topic
from .reasons import Reason

_HEX = re.compile(r"[0-9a-fA-F]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceRecord:
    """One app install's push registration."""

    token: str
    topic: str
    environment: Environment
    active: bool
    unregistered_at: float | None
    device: str = ""  # the phone holding the install; "" when the caller did not name one


class DeviceRegistry:
    """Issues device tokens and knows which are live, for which app and environment."""

    def __init__(self, rng: random.Random, clock: Callable[[], float]) -> None:
        self.rng = rng
        self._clock = clock
        self._records: dict[str, DeviceRecord] = {}
        self._installs: dict[tuple[str, str, Environment], str] = {}  # (device, bundle, env) -> live token

    def register(self, topic: str, environment: Environment, *, device: str = "") -> str:
        """The token for app ``topic`` (its bundle id) on ``environment``: the same one while ``device`` keeps it."""
        environment = Environment(environment)
        install = (device, topic, environment)
        if device and install in self._installs:
            return self._installs[install]
        while True:
            token = f"{self.rng.getrandbits(256):064x}"
            if token not in self._records:
                break
        self._records[token] = DeviceRecord(token=token, topic=topic, environment=environment, active=True,
                                            unregistered_at=None, device=device)
        if device:
            self._installs[install] = token
        return token

    def unregister(self, token: str) -> None:
        """The app was uninstalled: later pushes get 410 Unregistered (the first time is kept)."""
        record = self._records.get(token.lower())
        if record is None:
            raise UnknownDevice(f"no device was registered with token {token!r}")
        if record.active:
            self._records[record.token] = replace(record, active=False, unregistered_at=self._clock())
            self._installs.pop((record.device, record.topic, record.environment), None)

    def tokens_of(self, device: str) -> tuple[str, ...]:
        """The live tokens of phone ``device``, in issue order."""
        return tuple(r.token for r in self._records.values() if r.active and r.device == device and device)

    def lookup(self, token: str) -> DeviceRecord | None:
        """The record for ``token`` (hex case ignored), or None."""
        return self._records.get(token.lower())

    def records(self) -> tuple[DeviceRecord, ...]:
        """Every registration, in issue order."""
        return tuple(self._records.values())

    def require_active(self, token: str, *, topic: str, environment: Environment) -> None:
        """Raise the ``Rejection`` APNs would give a push to ``token``; return if it would deliver."""
        if not token or len(token) % 2 or not _HEX.fullmatch(token):
            raise Rejection(Reason.BAD_DEVICE_TOKEN, detail=f"token {token!r} is not an even-length hex string")
        record = self.lookup(token)
        if record is None:
            raise Rejection(Reason.BAD_DEVICE_TOKEN, detail="APNs never issued this token")
        if record.environment is not environment:
            raise Rejection(Reason.BAD_DEVICE_TOKEN,
                            detail=f"token is a {record.environment.value} token, sent to {environment.value}")
        if base_topic(topic) != record.topic and topic != record.topic:
            raise Rejection(Reason.DEVICE_TOKEN_NOT_FOR_TOPIC,
                            detail=f"token belongs to {record.topic!r}, not {topic!r}")
        if not record.active:
            at = record.unregistered_at if record.unregistered_at is not None else self._clock()
            raise Rejection(Reason.UNREGISTERED, detail=f"app {record.topic!r} was uninstalled",
                            timestamp_ms=int(at * 1000))
