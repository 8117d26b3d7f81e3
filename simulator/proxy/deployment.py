"""The proxy's three roles in the world (§9): which app it can reach, with whose keys, over what.

- HPNS: Mattermost's hosted proxy, reached over TLS; serves the public App Store / Play Store
  builds (APNs topic and Android package ``com.mattermost.rn``) with Mattermost's keys.
- TPNS: the same public apps and keys, but the server reaches it over plain HTTP.
- EAS: your own proxy for your own build: your bundle id, your Firebase project, your keys.
A proxy can only reach phones of its own app: APNs answers ``DeviceTokenNotForTopic`` (or
``TopicDisallowed`` for a topic-specific key) and FCM ``SENDER_ID_MISMATCH`` otherwise.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Final

from ..signing import ProviderKey, p8_pem
from ..tls import Pki
from .config import DEFAULT_FCM_URL, AndroidPushSettings, ApplePushSettings, ProxyConfig, Role
from .server import PushProxy
from .timer import Timer

PUBLIC_BUNDLE_ID: Final = "com.mattermost.rn"  # the App Store build's APNs topic
PUBLIC_ANDROID_PACKAGE: Final = "com.mattermost.rn"  # the Play Store package (§9)
PUBLIC_FIREBASE_PROJECT: Final = "mattermost-rn"  # the public build's Firebase project (a stand-in name)
HOSTS: Final = {Role.HPNS: "push.mattermost.com", Role.TPNS: "push-test.mattermost.com"}


@dataclass(frozen=True, slots=True, kw_only=True)
class AppIds:
    """One mobile app's push identity: APNs topic, Android package, Firebase project, config types."""

    ios_bundle_id: str
    android_package: str
    firebase_project_id: str
    apple_type: str = "apple_rn"
    android_type: str = "android_rn"
    apns_sandbox: bool = False  # ApplePushUseDevelopment


PUBLIC_APP: Final = AppIds(ios_bundle_id=PUBLIC_BUNDLE_ID, android_package=PUBLIC_ANDROID_PACKAGE,
                           firebase_project_id=PUBLIC_FIREBASE_PROJECT)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProxyKeys:
    """What a proxy operator holds: an APNs token key and a Firebase service-account file."""

    apns: ProviderKey | None = None
    firebase_service_account: bytes = field(default=b"", repr=False)  # the JSON file's bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class ProxyDeployment:
    """One proxy in one role: builds its ProxyConfig and its PushProxy."""

    role: Role
    app: AppIds
    keys: ProxyKeys
    name: str
    host: str  # the TLS certificate's name
    tls: bool

    @classmethod
    def for_role(cls, role: Role, *, keys: ProxyKeys, app: AppIds | None = None, name: str | None = None,
                 host: str | None = None) -> ProxyDeployment:
        """HPNS / TPNS serve the public app (``app`` must be left out); EAS needs your ``app``."""
        role = Role(role)
        if role is Role.EAS and app is None:
            raise ValueError("an EAS proxy serves your own app: pass app=AppIds(...) with your ids")
        if role is not Role.EAS and app not in (None, PUBLIC_APP):
            raise ValueError(f"{role.value} only serves the public Mattermost apps; use Role.EAS for {app}")
        return cls(role=role, app=app or PUBLIC_APP, keys=keys, name=name or role.value.lower(),
                   host=host or HOSTS.get(role, f"push.{(app or PUBLIC_APP).ios_bundle_id}"),
                   tls=role is not Role.TPNS)

    def config(self, *, fcm_url: str = DEFAULT_FCM_URL, **overrides: Any) -> ProxyConfig:
        """The proxy's settings: one Apple and one Android entry for the app, with the operator's keys."""
        apple: tuple[ApplePushSettings, ...] = ()
        if self.keys.apns is not None:
            apple = (ApplePushSettings(
                type=self.app.apple_type, apple_push_topic=self.app.ios_bundle_id,
                apple_push_use_development=self.app.apns_sandbox, apple_auth_key_pem=p8_pem(self.keys.apns.key),
                apple_auth_key_id=self.keys.apns.key_id, apple_team_id=self.keys.apns.team_id),)
        android: tuple[AndroidPushSettings, ...] = ()
        if self.keys.firebase_service_account:
            android = (AndroidPushSettings(type=self.app.android_type,
                                           service_account_json=self.keys.firebase_service_account),)
        config = ProxyConfig(role=self.role, apple_push_settings=apple, android_push_settings=android,
                             fcm_url=fcm_url)
        return replace(config, **overrides) if overrides else config

    def server_context(self, pki: Pki, *names: str) -> ssl.SSLContext | None:
        """The TLS context the proxy listens with, for ``host`` and ``names`` (None: plain HTTP, TPNS)."""
        return pki.server_context(self.host, *names) if self.tls else None

    def build(self, *, pki: Pki, apns_urls: dict[bool, str], clock: Callable[[], float],
              publish: Callable[[object], None], fcm_url: str = DEFAULT_FCM_URL, timer: Timer | None = None,
              server_names: Sequence[str] = (), apns_ssl: ssl.SSLContext | None = None,
              fcm_ssl: ssl.SSLContext | None = None, **overrides: Any) -> PushProxy:
        """The PushProxy for this role, trusting the world's CA for APNs and FCM.

        ``server_names`` are more names for its certificate (e.g. the real HPNS host names a
        CONNECT proxy maps to it); ``apns_ssl`` / ``fcm_ssl`` reuse client contexts (each new one
        loads the system trust store, which is slow); ``overrides`` set ProxyConfig fields.
        """
        return PushProxy(self.config(fcm_url=fcm_url, **overrides), apns_urls=apns_urls,
                         apns_ssl=apns_ssl or pki.client_context(alpn=["h2"]), clock=clock, publish=publish,
                         ssl_context=self.server_context(pki, *server_names), name=self.name, timer=timer,
                         fcm_ssl=fcm_ssl or pki.client_context())
