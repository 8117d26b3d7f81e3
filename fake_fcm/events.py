"""Events of the fake FCM: past-tense facts for the bus, the recorder and test assertions.

Rule: one request yields its verdict first (``MessageAccepted``/``MessageRejected``), then the
delivery facts in the order they happened. ``MessageDelivered`` and ``DeletedMessagesNotified``
are also what the ``deliver`` hook receives: the OS channel to the phone.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .codes import FcmError, LegacyError, OAuthError
from .models import Api, Message, Priority


class DropReason(StrEnum):
    """Why FCM discarded a message without delivering it."""

    COLLAPSED = "collapsed"  # a newer message with the same collapse key replaced it
    COLLAPSE_KEY_LIMIT = "collapse_key_limit"  # a fifth collapse key pushed out the oldest
    OVERFLOW = "overflow"  # over 100 pending non-collapsible messages: all were discarded
    TTL_ZERO = "ttl_zero"  # ttl 0 means "now or never", and the phone was not reachable
    UNREGISTERED = "unregistered"  # the app was uninstalled while the message waited
    NO_ROUTE = "no_route"  # topic/condition message: the fake keeps no subscriptions


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessTokenIssued:
    """The token endpoint granted an OAuth2 access token to a service account."""

    at: float
    client_email: str
    project_id: str
    scopes: tuple[str, ...]
    token: str
    expires_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessTokenRefused:
    """The token endpoint refused a grant (HTTP 400 ``error``/``error_description``)."""

    at: float
    error: OAuthError
    description: str
    client_email: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageAccepted:
    """FCM accepted a message (``name`` is what the sender got back)."""

    at: float
    api: Api
    project_id: str
    message_id: str
    name: str
    validate_only: bool
    message: Message
    phone_id: str | None  # None for topic/condition messages and dry runs to unknown phones
    package: str | None

    @property
    def token(self) -> str | None:
        """The registration token the message was sent to, if any."""
        return self.message.token

    @property
    def priority(self) -> Priority:
        """The effective Android priority."""
        return self.message.priority


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageRejected:
    """FCM refused a message; ``http_status``/``status`` are what the sender saw."""

    at: float
    api: Api
    project_id: str
    http_status: int
    status: str  # canonical status (v1) or "OK" for a legacy 200 with a per-result error
    error_code: FcmError | LegacyError | None
    message: str
    token: str | None
    injected: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageStored:
    """The phone was not reachable for this message: FCM keeps it until it is, or until TTL."""

    at: float
    message_id: str
    phone_id: str
    token: str
    pending: int  # messages waiting for this phone, this one included


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageExpired:
    """A stored message's time to live ran out before its phone became reachable."""

    at: float
    message_id: str
    phone_id: str
    token: str
    sent_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageDropped:
    """FCM discarded a message for ``reason``."""

    at: float
    message_id: str
    phone_id: str | None
    token: str | None
    reason: DropReason


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageDelivered:
    """FCM handed a message to the phone's OS (the in-process channel to the app)."""

    at: float
    message_id: str
    phone_id: str
    token: str
    package: str
    project_id: str
    priority: Priority
    collapse_key: str | None
    data: dict[str, str]
    notification: dict[str, Any] | None
    sent_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class DeletedMessagesNotified:
    """The app was told FCM deleted pending messages (Android ``onDeletedMessages``)."""

    at: float
    phone_id: str
    token: str
    package: str
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionDropped:
    """An injected fault: FCM closed the connection without answering (nothing was processed)."""

    at: float
    path: str
    token: str | None


Delivery = MessageDelivered | DeletedMessagesNotified
