"""Push proxy configuration, named after mattermost-push-proxy.json's keys (§3).

Rule: the dataclass defaults are the sample file's values (what a fresh install runs with);
``from_json`` applies the real proxy's rules for keys that are absent or zero (§3.1), so a file
behaves exactly as it would with the Go proxy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from os import PathLike
from typing import Any, Final

DEFAULT_SEND_TIMEOUT_SEC: Final = 30
DEFAULT_RETRY_TIMEOUT_SEC: Final = 8
DEFAULT_FCM_URL: Final = "https://fcm.googleapis.com"
APNS_PRODUCTION_URL: Final = "https://api.push.apple.com"
APNS_SANDBOX_URL: Final = "https://api.sandbox.push.apple.com"
LOG_FORMATS: Final = ("plain", "json")


class Role(StrEnum):
    """The doc's three deployments of the same proxy."""

    HPNS = "HPNS"  # Mattermost-hosted, encrypted, licensed
    TPNS = "TPNS"  # Mattermost's free test service, unencrypted contents
    EAS = "EAS"  # your own proxy for your own Enterprise-App-Store apps


class AppleAuth(StrEnum):
    """How an Apple entry authenticates to APNs (§3.2 init order)."""

    TOKEN = "AuthKey"  # .p8 provider token
    CERTIFICATE = "PEM certificate"  # TLS client certificate


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplePushSettings:
    """One ``ApplePushSettings[]`` entry.

    Token auth needs the key (``AppleAuthKeyFile``, or its PEM bytes in ``apple_auth_key_pem``),
    ``AppleAuthKeyID`` and ``AppleTeamID``; otherwise ``ApplePushCertPrivate`` (a PEM file with
    certificate and key) gives certificate auth; otherwise the entry cannot be initialized.
    """

    type: str  # platform key, e.g. "apple_rn"
    apple_push_topic: str = ""
    apple_push_use_development: bool = False
    apple_push_cert_private: str = ""  # path to a PEM with client certificate + key
    apple_push_cert_password: str = ""
    apple_auth_key_file: str = ""  # path to the .p8
    apple_auth_key_id: str = ""
    apple_team_id: str = ""
    apple_auth_key_pem: bytes = field(default=b"", repr=False)  # the .p8 itself, for in-memory worlds

    @property
    def auth(self) -> AppleAuth | None:
        """Which auth the real proxy would pick for this entry, or None (not configured)."""
        if (self.apple_auth_key_file or self.apple_auth_key_pem) and self.apple_auth_key_id and self.apple_team_id:
            return AppleAuth.TOKEN
        if self.apple_push_cert_private:
            return AppleAuth.CERTIFICATE
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class AndroidPushSettings:
    """One ``AndroidPushSettings[]`` entry: a Firebase service-account file per app type."""

    type: str  # platform key, e.g. "android_rn"
    service_file_location: str = ""  # path to the service-account JSON
    android_api_key: str = field(default="", repr=False)  # legacy server key: ignored since v5.26
    service_account_json: bytes = field(default=b"", repr=False)  # the file's bytes, for in-memory worlds


@dataclass(frozen=True, slots=True, kw_only=True)
class ProxyConfig:
    """The proxy's settings (``mattermost-push-proxy.json``) plus the simulator's own knobs."""

    role: Role = Role.HPNS
    listen_address: str = ":8066"
    throttle_per_sec: int = 300
    throttle_memory_store_size: int = 50000
    throttle_vary_by_header: str = "X-Forwarded-For"
    enable_metrics: bool = False
    send_timeout_sec: float = DEFAULT_SEND_TIMEOUT_SEC
    retry_timeout_sec: float = DEFAULT_RETRY_TIMEOUT_SEC
    apple_push_settings: tuple[ApplePushSettings, ...] = ()
    android_push_settings: tuple[AndroidPushSettings, ...] = ()
    enable_console_log: bool = True
    enable_file_log: bool = False
    log_file_location: str = ""
    log_format: str = "plain"
    # Not in the Go file: the Firebase SDK has the host built in; the harness points it at fake FCM.
    fcm_url: str = DEFAULT_FCM_URL
    max_retries: int = 3
    version: str = "6.5.0"
    hash: str = "pushsim"
    source: str = ""  # the file this was loaded from ("" when built in code)

    @classmethod
    def from_json(cls, source: str | PathLike[str] | Mapping[str, Any], **overrides: Any) -> ProxyConfig:
        """Load ``mattermost-push-proxy.json`` (a path, or its decoded mapping) as the Go proxy reads it.

        Raises ProxyConfigError naming the file and the key. ``overrides`` set the simulator's
        own fields (``role``, ``fcm_url``, ...).
        """
        from .settings_file import load_config  # settings_file imports this module

        return load_config(source, **overrides)

    @property
    def send_timeout(self) -> float:
        """Total budget for one send, retries included (0 means the 30 s default)."""
        return float(self.send_timeout_sec) if self.send_timeout_sec > 0 else float(DEFAULT_SEND_TIMEOUT_SEC)

    @property
    def retry_timeout(self) -> float:
        """Per-attempt deadline (0 means 8 s), capped by the total budget as the real proxy does."""
        retry = float(self.retry_timeout_sec) if self.retry_timeout_sec > 0 else float(DEFAULT_RETRY_TIMEOUT_SEC)
        return min(retry, self.send_timeout)

    @property
    def throttle_rate(self) -> int:
        """Requests per second per key; the limiter clamps 0 (or less) to 1 (§2.7)."""
        return max(1, self.throttle_per_sec)

    @property
    def throttle_headers(self) -> tuple[str, ...]:
        """The headers whose values make the throttle key (space-separated in the file)."""
        return tuple(self.throttle_vary_by_header.split())

    @property
    def effective_log_format(self) -> str:
        """``plain`` or ``json``; anything else is plain, as in the real proxy."""
        return self.log_format if self.log_format in LOG_FORMATS else "plain"

    @property
    def effective_console_log(self) -> bool:
        """Console logging is forced on when neither console nor file logging is enabled."""
        return self.enable_console_log or not self.enable_file_log

    @property
    def effective_log_file(self) -> str:
        """Where the file log goes when enabled (``./logs/push_proxy.log`` by default)."""
        return self.log_file_location or "./logs/push_proxy.log"
