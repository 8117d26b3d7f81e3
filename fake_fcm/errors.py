"""Errors of the fake FCM: one base class, the wire-level refusals, and caller mistakes.

``Rejection`` is a v1 ``google.rpc.Status`` answer; ``GrantRefused`` an OAuth token refusal;
``LegacyRefusal`` a legacy per-result error. The core turns each into an event and a reply.
"""

from __future__ import annotations

from typing import Any

from .codes import FcmError, LegacyError, OAuthError, Status

FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"
ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo"
QUOTA_FAILURE_TYPE = "type.googleapis.com/google.rpc.QuotaFailure"

Detail = dict[str, Any]


class FakeFcmError(Exception):
    """Base class for every fake_fcm error."""


class Rejection(FakeFcmError):
    """Google answers a v1 request with a ``google.rpc.Status`` error envelope."""

    def __init__(self, status: Status, message: str, *, error_code: FcmError | None = None,
                 details: tuple[Detail, ...] = (), retry_after: int | None = None) -> None:
        super().__init__(f"{status.value}: {message}")
        self.status = status
        self.message = message
        self.error_code = error_code
        self.details = details
        self.retry_after = retry_after

    @classmethod
    def fcm(cls, code: FcmError, message: str | None = None, *, field: str | None = None,
            retry_after: int | None = None) -> Rejection:
        """An FCM-level refusal: the FcmError detail, plus a BadRequest naming ``field`` if given."""
        text = message or code.default_message
        details: list[Detail] = [{"@type": FCM_ERROR_TYPE, "errorCode": code.value}]
        if field is not None:
            details.append(bad_request(field, text))
        if code is FcmError.QUOTA_EXCEEDED:
            details.append({"@type": QUOTA_FAILURE_TYPE, "violations": [
                {"subject": "device", "description": text}]})
        return cls(code.status, text, error_code=code, details=tuple(details), retry_after=retry_after)

    @classmethod
    def payload(cls, message: str, field: str | None = None) -> Rejection:
        """A JSON/proto-level refusal by Google's front end: BadRequest only, no FcmError."""
        return cls(Status.INVALID_ARGUMENT, message, details=(bad_request(field, message),))


def bad_request(field: str | None, description: str) -> Detail:
    """A ``google.rpc.BadRequest`` detail with one field violation."""
    violation = {"description": description} if field is None else {"field": field, "description": description}
    return {"@type": BAD_REQUEST_TYPE, "fieldViolations": [violation]}


class GrantRefused(FakeFcmError):
    """The token endpoint refuses a grant with ``error`` (always HTTP 400)."""

    def __init__(self, error: OAuthError, description: str) -> None:
        super().__init__(f"{error.value}: {description}")
        self.error = error
        self.description = description


class LegacyRefusal(FakeFcmError):
    """A legacy ``/fcm/send`` result error for one target."""

    def __init__(self, error: LegacyError, detail: str = "") -> None:
        super().__init__(f"{error.value}: {detail}" if detail else error.value)
        self.error = error
        self.detail = detail or error.value


class ConfigError(FakeFcmError, ValueError):
    """The fake was set up wrongly by its caller (unknown project, bad key, bad option)."""


class UnknownRegistration(FakeFcmError, LookupError):
    """The registry never issued this registration token."""
