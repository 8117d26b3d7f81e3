"""The seams through which a phone reaches the world (declared here, satisfied by the simulator).

``Registrar`` is the OS's private channel to its push service (APNs on iOS, FCM's token service
on Android); ``ServerLink`` is the app's HTTPS/WSS client to the Mattermost server. Link methods
raise ``LinkFailure`` subclasses: ``Unreachable``, ``CertificateInvalid``, ``ServerRefused``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Coroutine, Mapping
from typing import Any, Callable, Protocol

from .models import Platform
from .network import NetworkProfile
from .perf import Part
from .trust import TrustStore


class Registrar(Protocol):
    """APNs as the OS sees it: issues and revokes tokens for an app's topic."""

    def register(self, *, topic: str, sandbox: bool) -> str: ...
    def unregister(self, token: str) -> None: ...


class AndroidRegistrar(Protocol):
    """FCM's token service: a token per (phone, Firebase project, package) install."""

    def register(self, *, topic: str, sandbox: bool, phone: str, project: str) -> str: ...
    def unregister(self, token: str) -> None: ...


Registrars = Registrar | Mapping[Platform, Registrar | AndroidRegistrar]


class Closeable(Protocol):
    async def close(self) -> None: ...


class Metering(Protocol):
    """Where a measured interaction's time went (perf.Meter)."""

    def charge(self, part: Part, seconds: float, what: str) -> None: ...


class ServerLink(Protocol):
    """The app's network client to Mattermost servers."""

    async def login(self, *, server_url: str, login_id: str, password: str, device_id: str) -> str: ...
    async def open_websocket(self, *, server_url: str, token: str) -> Closeable: ...
    async def view_channel(self, *, server_url: str, token: str, channel_id: str) -> None: ...
    async def ack(self, *, server_url: str, token: str, ack: Mapping[str, Any]) -> Mapping[str, Any] | None: ...
    async def ping(self, *, server_url: str, device_id: str = "", timeout: float = 5.0) -> Mapping[str, Any]: ...
    async def client_config(self, *, server_url: str) -> Mapping[str, Any]: ...
    async def attach_device(self, *, server_url: str, token: str, device_id: str, notifications_disabled: bool,
                            mobile_version: str) -> None: ...
    async def me(self, *, server_url: str, token: str) -> Mapping[str, Any]: ...
    async def channel_posts(self, *, server_url: str, token: str, channel_id: str, since: int = 0,
                            per_page: int = 60) -> Mapping[str, Any]: ...
    async def logout(self, *, server_url: str, token: str) -> None: ...
    def configure(self, *, network: NetworkProfile | None, trust: TrustStore, platform: Platform) -> None: ...
    def forget_connections(self) -> None: ...
    def use_meter(self, meter: Metering | None) -> None: ...


Spawn = Callable[[Coroutine[Any, Any, Any]], object]
Sleep = Callable[[float], Awaitable[None]]
