"""Turning the config's ApplePushSettings / AndroidPushSettings into senders, as the proxy's start-up
does (§3.2, §3.3): a type whose credentials cannot be loaded is logged (``Failed to initialize
client``) and left out, so its pushes later FAIL with "missing platform property"."""

from __future__ import annotations

import ssl
from typing import Callable

from ..signing import ProviderKey
from .config import AppleAuth, ProxyConfig
from .credentials import apple_credentials
from .errors import TargetInitError
from .fcm_sender import FcmSender
from .logs import ProxyLog
from .metrics import ProxyMetrics
from .oauth import service_account
from .sender import ApnsSender
from .timer import Timer

Sender = ApnsSender | FcmSender
API_KEY_IGNORED = "AndroidPushSettings.AndroidAPIKey is no longer used. Please remove this config value."


def build_senders(config: ProxyConfig, *, apns_urls: dict[bool, str], apns_ssl: ssl.SSLContext,
                  fcm_ssl: ssl.SSLContext | None, clock: Callable[[], float], publish: Callable[[object], None],
                  timer: Timer, metrics: ProxyMetrics, log: ProxyLog, source: str) -> dict[str, Sender]:
    """One sender per initialized config ``Type`` (a later entry with the same Type wins, as in Go)."""
    senders: dict[str, Sender] = {}
    for apple in config.apple_push_settings:
        try:
            creds = apple_credentials(apple)
        except TargetInitError as exc:
            log.error("Failed to initialize client", type=apple.type, err=str(exc))
            continue
        mode = AppleAuth.TOKEN if isinstance(creds, ProviderKey) else AppleAuth.CERTIFICATE
        log.info(f"Initializing apple notification server with {mode.value}", type=apple.type)
        senders[apple.type] = ApnsSender(
            apple, url=apns_urls[apple.apple_push_use_development], ssl_context=apns_ssl, config=config,
            clock=clock, publish=publish, source=source, timer=timer, metrics=metrics, log=log, credentials=creds)
    for android in config.android_push_settings:
        if android.android_api_key:
            log.warn(API_KEY_IGNORED)
        log.info("Initializing Android notification server", type=android.type)
        try:
            account = service_account(android)
        except TargetInitError as exc:
            log.error("Failed to initialize client", type=android.type, err=str(exc))
            continue
        senders[android.type] = FcmSender(
            android, config=config, clock=clock, publish=publish, ssl_context=fcm_ssl, source=source,
            timer=timer, metrics=metrics, log=log, account=account)
    return senders
