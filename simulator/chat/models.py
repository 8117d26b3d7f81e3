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
MHPNS_URLS = frozenset({"https://push.mattermost.com", "https://us.push.mattermost.com"})

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

    def to_api(self) -> dict[str, object]:
        """The user JSON the REST API returns (sanitised: no password, no auth data)."""
        return {
            "id": self.id, "create_at": self.create_at, "update_at": self.create_at, "delete_at": 0,
            "username": self.username, "auth_data": "", "auth_service": "", "email": self.email,
            "email_verified": True, "nickname": self.nickname, "first_name": self.first_name,
            "last_name": self.last_name, "position": "", "roles": "system_user",
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

        An automatic change never overrides a manual status; "online" is never manual and
        refreshes the activity time.
        """
        if self.manual and not manual:
            return self
        status = Status(status)
        return StatusRecord(status=status, manual=manual and status is not Status.ONLINE,
                            last_activity_at=now_ms if status is Status.ONLINE else self.last_activity_at,
                            active_channel=self.active_channel)

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
    contents: ContentsMode = ContentsMode.FULL
    licensed: bool = False  # without a licence id_loaded falls back to generic (and MHPNS is refused)
    session_length_mobile_hours: int = 720
    session_length_web_hours: int = 720
    version: str = "10.11.0"
    collapsed_threads: str = CollapsedThreads.DEFAULT_OFF

    def __post_init__(self) -> None:
        # Validate at construction (h11 style): a config loaded from TOML carries plain strings.
        object.__setattr__(self, "contents", ContentsMode(self.contents))
        object.__setattr__(self, "collapsed_threads", CollapsedThreads(self.collapsed_threads))

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
