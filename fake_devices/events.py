"""Past-tense facts the phones publish on the world's bus."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Action, Alert, AppState, Notification, PowerAction, PowerState


@dataclass(frozen=True, slots=True, kw_only=True)
class AppStateChanged:
    """The app moved from one lifecycle state to another."""

    at: float
    phone: str
    action: Action
    before: AppState
    after: AppState


@dataclass(frozen=True, slots=True, kw_only=True)
class PowerChanged:
    """The phone went to sleep, woke up, or entered Doze."""

    at: float
    phone: str
    action: PowerAction
    before: PowerState
    after: PowerState


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
    """A ``clear`` push removed tray entries of a channel (or of a thread with CRT)."""

    at: float
    phone: str
    channel_id: str
    removed: int
    root_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertShown:
    """The app showed a dialog (certificate problems, unreachable server, push-proxy verification)."""

    at: float
    phone: str
    alert: Alert


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerConnected:
    """The app added a server: it answered the ping and gave its client config."""

    at: float
    phone: str
    server_url: str
    diagnostic_id: str
    can_receive_notifications: str  # "true" | "false" | "unknown" | "" (old servers omit the field)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelLoaded:
    """A channel screen finished loading (``posts`` is None when the post list could not be fetched)."""

    at: float
    phone: str
    channel_id: str
    cached: bool
    posts: int | None
    error: str = ""
