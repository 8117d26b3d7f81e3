"""APNs reason strings and their HTTP statuses, from Apple's response table (apns-fcm.md A4.3).

Rule: this table is the only place a status is decided. The core raises a ``Reason``; the adapter
renders ``reason.status``. Nothing else maps reasons to numbers.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """An APNs error reason; the value is the exact string APNs puts in ``{"reason": ...}``."""

    BAD_COLLAPSE_ID = "BadCollapseId"
    BAD_DEVICE_TOKEN = "BadDeviceToken"
    BAD_EXPIRATION_DATE = "BadExpirationDate"
    BAD_MESSAGE_ID = "BadMessageId"
    BAD_PRIORITY = "BadPriority"
    BAD_TOPIC = "BadTopic"
    DEVICE_TOKEN_NOT_FOR_TOPIC = "DeviceTokenNotForTopic"
    DUPLICATE_HEADERS = "DuplicateHeaders"
    IDLE_TIMEOUT = "IdleTimeout"
    INVALID_PUSH_TYPE = "InvalidPushType"
    MISSING_DEVICE_TOKEN = "MissingDeviceToken"
    MISSING_TOPIC = "MissingTopic"
    PAYLOAD_EMPTY = "PayloadEmpty"
    TOPIC_DISALLOWED = "TopicDisallowed"
    BAD_CERTIFICATE = "BadCertificate"
    BAD_CERTIFICATE_ENVIRONMENT = "BadCertificateEnvironment"
    EXPIRED_PROVIDER_TOKEN = "ExpiredProviderToken"
    FORBIDDEN = "Forbidden"
    INVALID_PROVIDER_TOKEN = "InvalidProviderToken"
    MISSING_PROVIDER_TOKEN = "MissingProviderToken"
    UNRELATED_KEY_ID_IN_TOKEN = "UnrelatedKeyIdInToken"
    BAD_ENVIRONMENT_KEY_IN_TOKEN = "BadEnvironmentKeyInToken"
    # Apple's table spells it with "Id"; live traffic shows the form above (spec part E).
    BAD_ENVIRONMENT_KEY_ID_IN_TOKEN = "BadEnvironmentKeyIdInToken"
    BAD_PATH = "BadPath"
    METHOD_NOT_ALLOWED = "MethodNotAllowed"
    EXPIRED_TOKEN = "ExpiredToken"
    UNREGISTERED = "Unregistered"
    PAYLOAD_TOO_LARGE = "PayloadTooLarge"
    TOO_MANY_PROVIDER_TOKEN_UPDATES = "TooManyProviderTokenUpdates"
    TOO_MANY_REQUESTS = "TooManyRequests"
    INTERNAL_SERVER_ERROR = "InternalServerError"
    SERVICE_UNAVAILABLE = "ServiceUnavailable"
    SHUTDOWN = "Shutdown"

    @property
    def status(self) -> int:
        """The HTTP status APNs answers with for this reason."""
        return _STATUS[self]

    @property
    def has_timestamp(self) -> bool:
        """True for 410 reasons, whose error body also carries ``timestamp`` (ms)."""
        return _STATUS[self] == 410


_STATUS: dict[Reason, int] = {
    **dict.fromkeys((
        Reason.BAD_COLLAPSE_ID, Reason.BAD_DEVICE_TOKEN, Reason.BAD_EXPIRATION_DATE, Reason.BAD_MESSAGE_ID,
        Reason.BAD_PRIORITY, Reason.BAD_TOPIC, Reason.DEVICE_TOKEN_NOT_FOR_TOPIC, Reason.DUPLICATE_HEADERS,
        Reason.IDLE_TIMEOUT, Reason.INVALID_PUSH_TYPE, Reason.MISSING_DEVICE_TOKEN, Reason.MISSING_TOPIC,
        Reason.PAYLOAD_EMPTY, Reason.TOPIC_DISALLOWED,
    ), 400),
    **dict.fromkeys((
        Reason.BAD_CERTIFICATE, Reason.BAD_CERTIFICATE_ENVIRONMENT, Reason.EXPIRED_PROVIDER_TOKEN,
        Reason.FORBIDDEN, Reason.INVALID_PROVIDER_TOKEN, Reason.MISSING_PROVIDER_TOKEN,
        Reason.UNRELATED_KEY_ID_IN_TOKEN, Reason.BAD_ENVIRONMENT_KEY_IN_TOKEN,
        Reason.BAD_ENVIRONMENT_KEY_ID_IN_TOKEN,
    ), 403),
    Reason.BAD_PATH: 404,
    Reason.METHOD_NOT_ALLOWED: 405,
    Reason.EXPIRED_TOKEN: 410,
    Reason.UNREGISTERED: 410,
    Reason.PAYLOAD_TOO_LARGE: 413,
    Reason.TOO_MANY_PROVIDER_TOKEN_UPDATES: 429,
    Reason.TOO_MANY_REQUESTS: 429,
    Reason.INTERNAL_SERVER_ERROR: 500,
    Reason.SERVICE_UNAVAILABLE: 503,
    Reason.SHUTDOWN: 503,
}
