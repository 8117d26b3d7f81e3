"""Push proxy configuration, named after mattermost-push-proxy.json's keys (§3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """The doc's three deployments of the same proxy."""

    HPNS = "HPNS"  # Mattermost-hosted, encrypted, licensed
    TPNS = "TPNS"  # Mattermost's free test service, unencrypted contents
    EAS = "EAS"  # your own proxy for your own Enterprise-App-Store apps


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplePushSettings:
    """One ``ApplePushSettings[]`` entry with token (.p8) auth."""

    type: str  # platform key, e.g. "apple_rn"
    apple_push_topic: str
    apple_push_use_development: bool = False
    apple_auth_key_pem: bytes = b""  # contents of AppleAuthKeyFile
    apple_auth_key_id: str = ""
    apple_team_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProxyConfig:
    """The proxy's settings; defaults are the real proxy's code defaults."""

    role: Role = Role.HPNS
    apple_push_settings: tuple[ApplePushSettings, ...] = field(default_factory=tuple)
    send_timeout_sec: float = 30.0
    retry_timeout_sec: float = 8.0
    max_retries: int = 3
    version: str = "6.5.0"
    hash: str = "pushsim"

    @property
    def retry_timeout(self) -> float:
        """Per-attempt deadline, capped by the total budget as the real proxy does."""
        return min(self.retry_timeout_sec, self.send_timeout_sec)
