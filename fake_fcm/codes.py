"""FCM wire codes: canonical statuses, FcmError codes, OAuth errors and legacy per-result errors.

Rule: these tables are the only place an HTTP status is decided (apns-fcm.md B1.2, B3.2, B5).
The core raises a code; the renderer reads ``.http_status``. Nothing else maps codes to numbers.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """A ``google.rpc.Code`` canonical name, as Google puts it in ``error.status``."""

    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    NOT_FOUND = "NOT_FOUND"
    RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
    INTERNAL = "INTERNAL"
    UNAVAILABLE = "UNAVAILABLE"
    UNKNOWN = "UNKNOWN"

    @property
    def http_status(self) -> int:
        """The HTTP status Google pairs with this canonical code."""
        return _STATUS_HTTP[self]


_STATUS_HTTP: dict[Status, int] = {
    Status.INVALID_ARGUMENT: 400, Status.UNAUTHENTICATED: 401, Status.PERMISSION_DENIED: 403,
    Status.NOT_FOUND: 404, Status.RESOURCE_EXHAUSTED: 429, Status.INTERNAL: 500,
    Status.UNAVAILABLE: 503, Status.UNKNOWN: 500,
}


class FcmError(StrEnum):
    """``google.firebase.fcm.v1.FcmError.errorCode`` values (F-errcode), with their status."""

    UNSPECIFIED_ERROR = "UNSPECIFIED_ERROR"
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    UNREGISTERED = "UNREGISTERED"
    SENDER_ID_MISMATCH = "SENDER_ID_MISMATCH"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
    UNAVAILABLE = "UNAVAILABLE"
    INTERNAL = "INTERNAL"
    THIRD_PARTY_AUTH_ERROR = "THIRD_PARTY_AUTH_ERROR"
    APNS_AUTH_ERROR = "APNS_AUTH_ERROR"  # deprecated name of THIRD_PARTY_AUTH_ERROR; firebase-admin maps it

    @property
    def status(self) -> Status:
        """The canonical status Google sends with this code."""
        return _FCM_STATUS[self]

    @property
    def http_status(self) -> int:
        """The HTTP status of a response carrying this code."""
        return self.status.http_status

    @property
    def default_message(self) -> str:
        """The ``error.message`` Google typically sends with this code."""
        return _FCM_MESSAGE[self]


_FCM_STATUS: dict[FcmError, Status] = {
    # Google documents no HTTP status for UNSPECIFIED_ERROR; UNKNOWN (500) is google.rpc's catch-all.
    FcmError.UNSPECIFIED_ERROR: Status.UNKNOWN,
    FcmError.INVALID_ARGUMENT: Status.INVALID_ARGUMENT,
    FcmError.UNREGISTERED: Status.NOT_FOUND,
    FcmError.SENDER_ID_MISMATCH: Status.PERMISSION_DENIED,
    FcmError.QUOTA_EXCEEDED: Status.RESOURCE_EXHAUSTED,
    FcmError.UNAVAILABLE: Status.UNAVAILABLE,
    FcmError.INTERNAL: Status.INTERNAL,
    FcmError.THIRD_PARTY_AUTH_ERROR: Status.UNAUTHENTICATED,
    FcmError.APNS_AUTH_ERROR: Status.UNAUTHENTICATED,
}

_FCM_MESSAGE: dict[FcmError, str] = {
    FcmError.UNSPECIFIED_ERROR: "Unknown error.",
    FcmError.INVALID_ARGUMENT: "Request contains an invalid argument.",
    FcmError.UNREGISTERED: "Requested entity was not found.",
    FcmError.SENDER_ID_MISMATCH: "SenderId mismatch",
    FcmError.QUOTA_EXCEEDED: "Quota exceeded for this device or project.",
    FcmError.UNAVAILABLE: "The service is currently unavailable.",
    FcmError.INTERNAL: "Internal error encountered.",
    FcmError.THIRD_PARTY_AUTH_ERROR: "Auth error from APNS or Web Push Service",
    FcmError.APNS_AUTH_ERROR: "Auth error from APNS or Web Push Service",
}


class OAuthError(StrEnum):
    """The ``error`` of a refused token request (RFC 6749 §5.2, as Google's endpoint sends it)."""

    INVALID_REQUEST = "invalid_request"
    INVALID_GRANT = "invalid_grant"
    INVALID_SCOPE = "invalid_scope"
    UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"

    @property
    def http_status(self) -> int:
        """Google answers every refused grant with 400."""
        return 400


class LegacyError(StrEnum):
    """Per-result ``error`` strings of the legacy ``/fcm/send`` API (F-legacy)."""

    MISSING_REGISTRATION = "MissingRegistration"
    INVALID_REGISTRATION = "InvalidRegistration"
    NOT_REGISTERED = "NotRegistered"
    INVALID_PACKAGE_NAME = "InvalidPackageName"
    MISMATCH_SENDER_ID = "MismatchSenderId"
    INVALID_PARAMETERS = "InvalidParameters"
    MESSAGE_TOO_BIG = "MessageTooBig"
    INVALID_DATA_KEY = "InvalidDataKey"
    INVALID_TTL = "InvalidTtl"
    UNAVAILABLE = "Unavailable"
    INTERNAL_SERVER_ERROR = "InternalServerError"
    DEVICE_MESSAGE_RATE_EXCEEDED = "DeviceMessageRateExceeded"
    TOPICS_MESSAGE_RATE_EXCEEDED = "TopicsMessageRateExceeded"
    INVALID_APNS_CREDENTIAL = "InvalidApnsCredential"
    DEPRECATED_API = "DeprecatedApi"  # what every result says since the 2024 shutdown [Obs]

    @classmethod
    def for_fcm_error(cls, code: FcmError) -> LegacyError:
        """The legacy result an injected v1 code turns into."""
        return _LEGACY_FOR_FCM[code]


_LEGACY_FOR_FCM: dict[FcmError, LegacyError] = {
    FcmError.UNSPECIFIED_ERROR: LegacyError.INTERNAL_SERVER_ERROR,
    FcmError.INVALID_ARGUMENT: LegacyError.INVALID_REGISTRATION,
    FcmError.UNREGISTERED: LegacyError.NOT_REGISTERED,
    FcmError.SENDER_ID_MISMATCH: LegacyError.MISMATCH_SENDER_ID,
    FcmError.QUOTA_EXCEEDED: LegacyError.DEVICE_MESSAGE_RATE_EXCEEDED,
    FcmError.UNAVAILABLE: LegacyError.UNAVAILABLE,
    FcmError.INTERNAL: LegacyError.INTERNAL_SERVER_ERROR,
    FcmError.THIRD_PARTY_AUTH_ERROR: LegacyError.INVALID_APNS_CREDENTIAL,
    FcmError.APNS_AUTH_ERROR: LegacyError.INVALID_APNS_CREDENTIAL,
}
