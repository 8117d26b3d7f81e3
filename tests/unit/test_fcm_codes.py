"""The FCM code tables, checked against apns-fcm.md B3.2 (h2 ErrorCodes style: one row per code)."""

from __future__ import annotations

import pytest

from fake_fcm import FcmError, LegacyError, OAuthError, Status

# errorCode -> (HTTP status, canonical status), from the spec's table.
TABLE = {
    FcmError.UNSPECIFIED_ERROR: (500, "UNKNOWN"),  # no status documented: google.rpc's catch-all
    FcmError.INVALID_ARGUMENT: (400, "INVALID_ARGUMENT"),
    FcmError.UNREGISTERED: (404, "NOT_FOUND"),
    FcmError.SENDER_ID_MISMATCH: (403, "PERMISSION_DENIED"),
    FcmError.QUOTA_EXCEEDED: (429, "RESOURCE_EXHAUSTED"),
    FcmError.UNAVAILABLE: (503, "UNAVAILABLE"),
    FcmError.INTERNAL: (500, "INTERNAL"),
    FcmError.THIRD_PARTY_AUTH_ERROR: (401, "UNAUTHENTICATED"),
    FcmError.APNS_AUTH_ERROR: (401, "UNAUTHENTICATED"),
}


def test_the_table_covers_every_code() -> None:
    assert set(TABLE) == set(FcmError)


@pytest.mark.parametrize("code", list(FcmError), ids=str)
def test_each_code_has_googles_status_and_a_message(code: FcmError) -> None:
    assert (code.http_status, code.status.value) == TABLE[code]
    assert code.value == code.name and code.default_message


def test_unregistered_says_what_google_says() -> None:
    assert FcmError.UNREGISTERED.default_message == "Requested entity was not found."
    assert FcmError.INTERNAL.default_message == "Internal error encountered."


@pytest.mark.parametrize(("status", "http"), [(Status.INVALID_ARGUMENT, 400), (Status.UNAUTHENTICATED, 401),
                                              (Status.PERMISSION_DENIED, 403), (Status.NOT_FOUND, 404),
                                              (Status.RESOURCE_EXHAUSTED, 429), (Status.INTERNAL, 500),
                                              (Status.UNAVAILABLE, 503), (Status.UNKNOWN, 500)])
def test_canonical_statuses_map_to_http(status: Status, http: int) -> None:
    assert status.http_status == http


@pytest.mark.parametrize("code", list(FcmError), ids=str)
def test_every_v1_code_has_a_legacy_counterpart(code: FcmError) -> None:
    assert isinstance(LegacyError.for_fcm_error(code), LegacyError)


def test_legacy_counterparts_of_the_token_errors() -> None:
    assert LegacyError.for_fcm_error(FcmError.UNREGISTERED) is LegacyError.NOT_REGISTERED
    assert LegacyError.for_fcm_error(FcmError.SENDER_ID_MISMATCH) is LegacyError.MISMATCH_SENDER_ID
    assert LegacyError.DEPRECATED_API.value == "DeprecatedApi"


@pytest.mark.parametrize("error", list(OAuthError), ids=str)
def test_oauth_errors_are_400_with_rfc6749_names(error: OAuthError) -> None:
    assert error.http_status == 400 and error.value == error.name.lower()
