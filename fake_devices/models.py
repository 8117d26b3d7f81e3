"""Wire-free models and events of the emulated phones."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Platform(StrEnum):
    """The phone's operating system."""

    IOS = "ios"
    ANDROID = "android"


class AppState(StrEnum):
    """Where the Mattermost app is in its lifecycle (see lifecycle.TRANSITIONS)."""

    NOT_INSTALLED = "not_installed"
    LOGGED_OUT = "logged_out"  # installed, showing the server/login screen
    FOREGROUND = "foreground"
    BACKGROUND = "background"
    KILLED = "killed"  # logged in, but not running (swiped away / never launched since boot)


class Action(StrEnum):
    """What a person (or the OS) does to the app."""

    INSTALL = "install"
    LOG_IN = "log_in"
    BACKGROUND = "background"
    FOREGROUND = "foreground"
    KILL = "kill"
    LOG_OUT = "log_out"
    UNINSTALL = "uninstall"


@dataclass(frozen=True, slots=True, kw_only=True)
class AppBuild:
    """A build of the Mattermost app: which push topic and token prefix it uses."""

    name: str  # "Mattermost", "Mattermost Beta", or an EAS build's name
    bundle_id: str  # APNs topic / Android package
    device_prefix: str  # "apple_rn", "apple_rnbeta", "android_rn", or an EAS build's own type
    sandbox: bool = False  # a development build registers with the APNs sandbox

    def device_id(self, token: str) -> str:
        """The session DeviceId the app sends on login: ``<prefix>-v2:<token>`` (§2.3)."""
        return f"{self.device_prefix}-v2:{token}"


MATTERMOST_IOS = AppBuild(name="Mattermost", bundle_id="com.mattermost.rn", device_prefix="apple_rn")
MATTERMOST_IOS_BETA = AppBuild(name="Mattermost Beta", bundle_id="com.mattermost.rnbeta",
                               device_prefix="apple_rnbeta")


@dataclass(frozen=True, slots=True, kw_only=True)
class Notification:
    """One entry in a phone's notification centre (what the lock screen shows)."""

    at: float
    app: str
    title: str
    body: str
    push_type: str
    post_id: str = ""
    ack_id: str = ""
    channel_id: str = ""
    root_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AppStateChanged:
    """The app moved from one lifecycle state to another."""

    at: float
    phone: str
    action: Action
    before: AppState
    after: AppState


@dataclass(frozen=True, slots=True, kw_only=True)
class PushReceived:
    """The OS handed a push to the phone; ``outcome`` says what became of it."""

    at: float
    phone: str
    token: str
    push_type: str  # the Mattermost "type" key: message, clear, test, …
    ack_id: str
    post_id: str
    app_state: AppState
    outcome: str  # e.g. "shown", "in-app banner", "no banner: channel on screen", "not delivered: app killed"


@dataclass(frozen=True, slots=True, kw_only=True)
class NotificationShown:
    """The OS put a notification on the lock screen / in the notification centre."""

    at: float
    phone: str
    notification: Notification


@dataclass(frozen=True, slots=True, kw_only=True)
class NotificationsCleared:
    """A ``clear`` push removed tray entries of a channel."""

    at: float
    phone: str
    channel_id: str
    removed: int
