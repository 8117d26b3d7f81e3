"""Which certificate authorities a phone's HTTPS client trusts (mattermost-push.md §8.2).

The world's CA stands in for the public roots every phone ships with, so it is trusted by
default. A self-signed server works only once its CA is installed, and on iOS only once that CA
is also enabled for full trust; Android's Mattermost app trusts user-installed CAs as they are
(its network_security_config lists ``user`` certificates).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .errors import DeviceError
from .models import Platform


@dataclass(frozen=True, slots=True, kw_only=True)
class UserCa:
    """A CA certificate the user installed (a profile on iOS, a CA certificate on Android)."""

    name: str
    pem: bytes
    trusted: bool = False  # iOS: Settings > General > About > Certificate Trust Settings


@dataclass(frozen=True, slots=True, kw_only=True)
class TrustStore:
    """The phone's trust store; every change returns a new store."""

    world_ca: bool = True
    user_cas: tuple[UserCa, ...] = ()

    def install(self, name: str, pem: bytes) -> TrustStore:
        """Install a CA certificate (not yet trusted for TLS on iOS)."""
        if not pem.lstrip().startswith(b"-----BEGIN CERTIFICATE-----"):
            raise DeviceError(f"{name!r} is not a PEM certificate")
        others = tuple(ca for ca in self.user_cas if ca.name != name)
        return replace(self, user_cas=(*others, UserCa(name=name, pem=pem)))

    def trust(self, name: str) -> TrustStore:
        """Enable full trust for an installed CA (the iOS settings switch)."""
        if not any(ca.name == name for ca in self.user_cas):
            raise DeviceError(f"no installed CA named {name!r}; install it first")
        return replace(self, user_cas=tuple(replace(ca, trusted=True) if ca.name == name else ca
                                            for ca in self.user_cas))

    def remove(self, name: str) -> TrustStore:
        """Remove an installed CA."""
        return replace(self, user_cas=tuple(ca for ca in self.user_cas if ca.name != name))

    def without_world_ca(self) -> TrustStore:
        """The same store without the world CA (a phone that trusts no public root)."""
        return replace(self, world_ca=False)

    def accepted(self, platform: Platform) -> tuple[bytes, ...]:
        """PEMs of the user CAs the app's HTTPS client accepts on ``platform``."""
        return tuple(ca.pem for ca in self.user_cas if platform is Platform.ANDROID or ca.trusted)
