"""The server's push settings as config.json stores them and as the System Console shows them (§7.1).

Rule 1: pure functions over the frozen ``ChatConfig``; a change is a new config (``apply_patch``),
validated before it exists, so a bad admin request can never leave the server half-configured.
Rule 2: labels are the console's exact English strings; the stored values are config.json's.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from typing import Any, Callable, Mapping

from simulator.chat.errors import AppError, ErrorCode
from simulator.chat.models import HPNS_URL, HPNS_URLS, TPNS_URL, ChatConfig, CollapsedThreads, ContentsMode, LogLevel


class PushServerOption(StrEnum):
    """System Console → Environment → Push Notification Server → "Enable Push Notifications"."""

    OFF = "off"
    HPNS = "hpns"
    TPNS = "tpns"
    CUSTOM = "custom"

    @property
    def label(self) -> str:
        """The dropdown's exact option text."""
        return PUSH_SERVER_LABELS[self]


PUSH_SERVER_LABELS: Mapping[PushServerOption, str] = {
    PushServerOption.OFF: "Do not send push notifications",
    PushServerOption.HPNS: "Use HPNS connection with uptime SLA to send notifications to iOS and Android apps",
    PushServerOption.TPNS: "Use TPNS connection to send notifications to iOS and Android apps",
    PushServerOption.CUSTOM: "Manually enter Push Notification Service location",
}

# Site Configuration → Notifications → "Push Notification Contents".
CONTENTS_LABELS: Mapping[ContentsMode, str] = {
    ContentsMode.GENERIC_NO_CHANNEL: "Generic description with only sender name",
    ContentsMode.GENERIC: "Generic description with sender and channel names",
    ContentsMode.FULL: "Full message content sent in the notification payload",
    ContentsMode.ID_LOADED: "Full message content fetched from the server on receipt",
}

LOG_LEVEL_LABELS: Mapping[LogLevel, str] = {
    LogLevel.TRACE: "TRACE", LogLevel.DEBUG: "DEBUG", LogLevel.INFO: "INFO", LogLevel.WARN: "WARN",
    LogLevel.ERROR: "ERROR",
}


def push_server_option(config: ChatConfig) -> PushServerOption:
    """Which dropdown option the console shows for the stored values."""
    url = config.push_server_url.rstrip("/")
    if not config.send_push_notifications:
        return PushServerOption.OFF
    if url in HPNS_URLS:
        return PushServerOption.HPNS
    return PushServerOption.TPNS if url == TPNS_URL else PushServerOption.CUSTOM


def choose_push_server(config: ChatConfig, option: PushServerOption, url: str = "") -> ChatConfig:
    """The config after picking ``option`` in the console (a URL only for the manual option)."""
    option = PushServerOption(option)
    if option is PushServerOption.OFF:
        return replace(config, send_push_notifications=False)
    chosen = {PushServerOption.HPNS: HPNS_URL, PushServerOption.TPNS: TPNS_URL}.get(option, url)
    if not chosen.startswith(("http://", "https://")):
        raise _invalid("EmailSettings.PushNotificationServer", f"not an http(s) URL: {chosen!r}")
    return replace(config, send_push_notifications=True, push_server_url=chosen)


def console_view(config: ChatConfig) -> dict[str, str]:
    """What the System Console pages show for the push settings (labels, not stored values)."""
    option = push_server_option(config)
    view = {"Enable Push Notifications": option.label,
            "Push Notification Contents": CONTENTS_LABELS[config.contents],
            "File Log Level": LOG_LEVEL_LABELS[LogLevel(config.file_log_level)]}
    if option is not PushServerOption.OFF:
        view["Push Notification Server"] = config.push_server_url
    return view


def to_config_json(config: ChatConfig) -> dict[str, dict[str, object]]:
    """The config.json sections this fake knows, with config.json's key names."""
    return {
        "ServiceSettings": {"CollapsedThreads": str(config.collapsed_threads),
                            "SessionLengthMobileInHours": config.session_length_mobile_hours,
                            "SessionLengthWebInHours": config.session_length_web_hours},
        "TeamSettings": {"SiteName": config.site_name,
                         "MaxNotificationsPerChannel": config.max_notifications_per_channel,
                         "UserStatusAwayTimeout": config.user_status_away_timeout},
        "EmailSettings": {"SendPushNotifications": config.send_push_notifications,
                          "PushNotificationServer": config.push_server_url,
                          "PushNotificationContents": str(config.contents),
                          "PushNotificationBuffer": config.push_notification_buffer},
        "LogSettings": {"FileLevel": str(config.file_log_level)},
    }


def _positive(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError("must be a positive integer")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value


def _url(value: Any) -> str:
    if not isinstance(value, str) or (value and not value.startswith(("http://", "https://"))):
        raise ValueError("must be an http(s) URL or empty")
    return value


# config.json key -> (ChatConfig field, converter that raises ValueError on a bad value)
_KEYS: Mapping[tuple[str, str], tuple[str, Callable[[Any], object]]] = {
    ("ServiceSettings", "CollapsedThreads"): ("collapsed_threads", lambda v: CollapsedThreads(_text(v))),
    ("ServiceSettings", "SessionLengthMobileInHours"): ("session_length_mobile_hours", _positive),
    ("ServiceSettings", "SessionLengthWebInHours"): ("session_length_web_hours", _positive),
    ("TeamSettings", "SiteName"): ("site_name", _text),
    ("TeamSettings", "MaxNotificationsPerChannel"): ("max_notifications_per_channel", _positive),
    ("TeamSettings", "UserStatusAwayTimeout"): ("user_status_away_timeout", _positive),
    ("EmailSettings", "SendPushNotifications"): ("send_push_notifications", _flag),
    ("EmailSettings", "PushNotificationServer"): ("push_server_url", _url),
    ("EmailSettings", "PushNotificationContents"): ("contents", lambda v: ContentsMode(_text(v))),
    ("EmailSettings", "PushNotificationBuffer"): ("push_notification_buffer", _positive),
    ("LogSettings", "FileLevel"): ("file_log_level", lambda v: LogLevel(_text(v).upper())),
}


def apply_patch(config: ChatConfig, patch: Mapping[str, Any]) -> ChatConfig:
    """``PUT /api/v4/config/patch``: merge the given sections; unknown keys are ignored, bad values refused."""
    changes: dict[str, Any] = {}
    for section, values in patch.items():
        if not isinstance(values, Mapping):
            if any(known == section for known, _ in _KEYS):
                raise _invalid(section, "must be an object")
            continue  # a section this fake does not model, as the real server keeps what it ignores
        for key, value in values.items():
            if (section, key) not in _KEYS:
                continue
            name, convert = _KEYS[(section, key)]
            try:
                changes[name] = convert(value)
            except ValueError as exc:
                raise _invalid(f"{section}.{key}", f"{value!r}: {exc}") from None
    return replace(config, **changes)


def _invalid(name: str, detail: str) -> AppError:
    return AppError.of(ErrorCode.INVALID_BODY_PARAM, name=f"config.{name}", detailed_error=detail)
