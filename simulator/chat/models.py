"""The fake Mattermost server's nouns: wire/return values (frozen) and configuration.

Every value here is immutable; the core keeps its mutable bookkeeping to itself and hands out
these snapshots. Times on the wire are Mattermost milliseconds; ``at`` fields are clock seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Mapping, TypeVar

V = TypeVar("V")

STATUS_CHANNEL_TIMEOUT_MS = 20_000  # model.StatusChannelTimeout: the "just looked at it" window
# §7.1: the licence gate compares the configured URL with model.MHPNS (legacy and current value).
MHPNS_URLS = frozenset({"https://push.mattermost.com", "https://us.push.mattermost.com"})
HPNS_URL = "https://us.push.mattermost.com"  # what the console's HPNS option stores today
HPNS_URLS = MHPNS_URLS | frozenset({"https://hpns-de.mattermost.com", "https://global.push.mattermost.com",
                                    "https://eu.push.mattermost.com", "https://ap.push.mattermost.com"})
TPNS_URL = "https://push-test.mattermost.com"
ADMIN_ROLES = "system_admin system_user"

# SetDefaultNotifications (§7.4 "Defaults for a new user").
DEFAULT_USER_NOTIFY_PROPS: Mapping[str, str] = MappingProxyType({
    "push": "mention", "push_status": "away", "push_threads": "all", "desktop": "mention",
    "email": "true", "comments": "never", "channel": "true", "first_name": "false",
})
# GetDefaultChannelNotifyProps: "default" defers to the user's own settings.
DEFAULT_CHANNEL_NOTIFY_PROPS: Mapping[str, str] = MappingProxyType({
    "desktop": "default", "email": "default", "push": "default", "mark_unread": "all",
    "ignore_channel_mentions": "default", "channel_auto_follow_threads": "off",
})


def frozen_map(values: Mapping[str, V] | None) -> Mapping[str, V]:
    """A read-only copy, so a frozen dataclass stays frozen all the way down."""
    return MappingProxyType(dict(values or {}))


class Status(StrEnum):
    """A user's presence (``model.Status*``)."""

    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"
    DND = "dnd"
    OOO = "ooo"


class ContentsMode(StrEnum):
    """``EmailSettings.PushNotificationContents``."""

    GENERIC_NO_CHANNEL = "generic_no_channel"
    GENERIC = "generic"
    FULL = "full"
    ID_LOADED = "id_loaded"


class ChannelType(StrEnum):
    """``model.ChannelType*``."""

    OPEN = "O"
    PRIVATE = "P"
    DIRECT = "D"
    GROUP = "G"


class CollapsedThreads(StrEnum):
    """``ServiceSettings.CollapsedThreads``."""

    DISABLED = "disabled"
    DEFAULT_OFF = "default_off"
    DEFAULT_ON = "default_on"
    ALWAYS_ON = "always_on"


class LogLevel(StrEnum):
    """mlog levels, least severe first (``LogSettings.FileLevel`` / ``ConsoleLevel``)."""

    TRACE = "TRACE"
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"

    @property
    def rank(self) -> int:
        """Severity order: a file level shows lines whose rank is at least its own."""
        return list(LogLevel).index(self)


class SkipReason(StrEnum):
    """Why a recipient got no push (the notifications log's ``reason`` field)."""

    CHANNEL_MUTED = "channel_muted"
    SYSTEM_MESSAGE = "system_message"
    LEVEL_SET_TO_NONE = "level_set_to_none"
    NOT_MENTIONED = "not_mentioned"
    USER_STATUS = "user_status"  # dnd or ooo
    USER_IS_ACTIVE = "user_is_active"
    PUSH_DISABLED = "push_disabled"
    LICENSE_MISSING = "license_missing"


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    """A user account (never carries the password)."""

    id: str
    username: str
    email: str
    first_name: str = ""
    last_name: str = ""
    nickname: str = ""
    notify_props: Mapping[str, str] = field(default_factory=dict)
    create_at: int = 0
    roles: str = "system_user"

    @property
    def is_admin(self) -> bool:
        """Holds the ``system_admin`` role (may act on other users and on the config)."""
        return "system_admin" in self.roles.split()

    def to_api(self) -> dict[str, object]:
        """The user JSON the REST API returns (sanitised: no password, no auth data)."""
        return {
            "id": self.id, "create_at": self.create_at, "update_at": self.create_at, "delete_at": 0,
            "username": self.username, "auth_data": "", "auth_service": "", "email": self.email,
            "email_verified": True, "nickname": self.nickname, "first_name": self.first_name,
            "last_name": self.last_name, "position": "", "roles": self.roles,
            "notify_props": dict(self.notify_props), "last_password_update": self.create_at,
            "locale": "en", "timezone": {"automaticTimezone": "", "manualTimezone": "",
                                         "useAutomaticTimezone": "true"},
            "disable_welcome_email": False,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Team:
    """A team."""

    id: str
    name: str
    display_name: str
    create_at: int = 0

    def to_api(self) -> dict[str, object]:
        """The team JSON."""
        return {"id": self.id, "create_at": self.create_at, "update_at": self.create_at, "delete_at": 0,
                "display_name": self.display_name, "name": self.name, "type": "O",
                "description": "", "email": "", "allow_open_invite": True}


@dataclass(frozen=True, slots=True, kw_only=True)
class Channel:
    """A channel; ``team_id`` is "" for DMs and GMs."""

    id: str
    team_id: str
    type: ChannelType
    name: str
    display_name: str
    create_at: int = 0
    creator_id: str = ""

    def to_api(self) -> dict[str, object]:
        """The channel JSON."""
        return {"id": self.id, "create_at": self.create_at, "update_at": self.create_at, "delete_at": 0,
                "team_id": self.team_id, "type": str(self.type), "display_name": self.display_name,
                "name": self.name, "header": "", "purpose": "", "creator_id": self.creator_id}


@dataclass(frozen=True, slots=True, kw_only=True)
class Post:
    """A post; ``root_id`` names the thread root for replies; ``type`` "system_*" marks system posts."""

    id: str
    channel_id: str
    user_id: str
    root_id: str = ""
    message: str = ""
    create_at: int = 0
    props: Mapping[str, object] = field(default_factory=dict)
    type: str = ""

    @property
    def is_system(self) -> bool:
        """``post.IsSystemMessage()``."""
        return self.type.startswith("system_")

    @property
    def from_webhook(self) -> bool:
        """The post came from a webhook (then the poster is not excluded from notifications)."""
        return self.props.get("from_webhook") == "true"

    def to_api(self) -> dict[str, object]:
        """The post JSON."""
        return {"id": self.id, "create_at": self.create_at, "update_at": self.create_at, "edit_at": 0,
                "delete_at": 0, "is_pinned": False, "user_id": self.user_id, "channel_id": self.channel_id,
                "root_id": self.root_id, "original_id": "", "message": self.message, "type": self.type,
                "props": dict(self.props), "hashtags": "", "pending_post_id": "", "metadata": {}}


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """A login session; ``device_id`` is the app's "<platform>:<token>" string or ""."""

    id: str
    token: str
    user_id: str
    device_id: str = ""
    expires_at: int = 0  # ms; 0 = never
    create_at: int = 0
    props: Mapping[str, str] = field(default_factory=dict)

    def is_expired(self, now_ms: int) -> bool:
        """``Session.IsExpired``: a zero expiry never expires."""
        return self.expires_at > 0 and now_ms > self.expires_at

    def receives_pushes(self, now_ms: int) -> bool:
        """``GetSessionsWithActiveDeviceIds``: a device, a live expiry, and not reported removed."""
        return (bool(self.device_id) and self.expires_at != 0 and self.expires_at >= now_ms
                and self.device_id != self.props.get("last_removed_device_id", ""))


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusRecord:
    """A user's status as the push rules see it (default: offline, never active)."""

    status: Status = Status.OFFLINE
    manual: bool = False
    last_activity_at: int = 0  # ms
    active_channel: str = ""

    def changed_to(self, status: Status, *, manual: bool, now_ms: int) -> StatusRecord:
        """The record after a status change (``SetStatusOnline/Away/Offline/DoNotDisturb``).

        An automatic change never overrides a manual status; "online" is never manual; online and
        offline refresh the activity time.
        """
        if self.manual and not manual:
            return self
        status = Status(status)
        # SetStatusAwayIfNeeded / SetStatusOffline forget the active channel; online and dnd keep it.
        leaving = status in (Status.AWAY, Status.OFFLINE)
        return StatusRecord(status=status, manual=manual and status is not Status.ONLINE,
                            last_activity_at=now_ms if status in (Status.ONLINE, Status.OFFLINE)
                            else self.last_activity_at, active_channel="" if leaving else self.active_channel)

    def to_api(self, user_id: str) -> dict[str, object]:
        """The ``model.Status`` JSON (``active_channel`` is omitted when empty)."""
        body: dict[str, object] = {"user_id": user_id, "status": str(self.status), "manual": self.manual,
                                   "last_activity_at": self.last_activity_at, "dnd_end_time": 0}
        if self.active_channel:
            body["active_channel"] = self.active_channel
        return body

    def viewing(self, channel_id: str, *, now_ms: int) -> StatusRecord:
        """The record after ``SetActiveChannel`` ("" = the app went to the background)."""
        status = Status.ONLINE if channel_id and not self.manual else self.status
        return StatusRecord(status=status, manual=self.manual, last_activity_at=now_ms,
                            active_channel=channel_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class PushDecision:
    """The core's verdict for one recipient of one post; ``reason`` is "" when a push is sent."""

    at: float
    post_id: str
    user_id: str
    username: str
    send: bool
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusChanged:
    """A user's presence changed (what the server broadcasts as ``status_change``)."""

    at: float
    user_id: str
    status: Status
    manual: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class OutgoingPush:
    """One push for one session: ``notification`` is the §2.2 JSON object for the proxy."""

    session_id: str
    user_id: str
    notification: dict[str, object]


@dataclass(frozen=True, slots=True, kw_only=True)
class AckRecord:
    """A delivery receipt the app posted to ``/api/v4/notifications/ack``."""

    at: float
    session_id: str
    user_id: str
    ack: Mapping[str, object]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatConfig:
    """The server settings that shape push behaviour (§7.1); defaults are a fresh install's."""

    site_name: str = "pushsim"
    send_push_notifications: bool = True
    push_server_url: str = ""
    outbound_proxy: str = ""  # the server's HTTPS_PROXY: push-proxy requests go through this CONNECT proxy
    contents: ContentsMode = ContentsMode.FULL
    licensed: bool = False  # without a licence id_loaded falls back to generic (and MHPNS is refused)
    session_length_mobile_hours: int = 720
    session_length_web_hours: int = 720
    version: str = "10.11.0"
    collapsed_threads: str = CollapsedThreads.DEFAULT_OFF
    push_notification_buffer: int = 1000  # EmailSettings.PushNotificationBuffer
    max_notifications_per_channel: int = 1000  # TeamSettings: above it @all/@channel/@here stop notifying
    user_status_away_timeout: int = 300  # TeamSettings.UserStatusAwayTimeout, seconds
    file_log_level: str = "ERROR"  # LogSettings.FileLevel, as the doc leaves it after troubleshooting

    def __post_init__(self) -> None:
        # Validate at construction (h11 style): a config loaded from TOML carries plain strings.
        object.__setattr__(self, "contents", ContentsMode(self.contents))
        object.__setattr__(self, "collapsed_threads", CollapsedThreads(self.collapsed_threads))
        object.__setattr__(self, "file_log_level", LogLevel(str(self.file_log_level).upper()))
        if self.push_notification_buffer < 1:
            raise ValueError(f"PushNotificationBuffer must be positive, got {self.push_notification_buffer}")

    @property
    def push_blocked(self) -> str:
        """``canSendPushNotifications``: "" or why no push leaves this server at all."""
        if not self.send_push_notifications:
            return SkipReason.PUSH_DISABLED
        if self.push_server_url.rstrip("/") in MHPNS_URLS and not self.licensed:
            return SkipReason.LICENSE_MISSING  # Mattermost's hosted HPNS needs a licence
        return ""

    @property
    def effective_contents(self) -> ContentsMode:
        """The contents mode in force: id_loaded needs the licensed notification interface."""
        if self.contents is ContentsMode.ID_LOADED and not self.licensed:
            return ContentsMode.GENERIC
        return self.contents
