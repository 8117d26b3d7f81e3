"""Reason strings and statuses, checked against Apple's table (apns-fcm.md A4.3)."""

from __future__ import annotations

import pytest

from fake_apns import Reason

APPLE_TABLE = {
    400: ["BadCollapseId", "BadDeviceToken", "BadExpirationDate", "BadMessageId", "BadPriority", "BadTopic",
          "DeviceTokenNotForTopic", "DuplicateHeaders", "IdleTimeout", "InvalidPushType", "MissingDeviceToken",
          "MissingTopic", "PayloadEmpty", "TopicDisallowed"],
    403: ["BadCertificate", "BadCertificateEnvironment", "ExpiredProviderToken", "Forbidden",
          "InvalidProviderToken", "MissingProviderToken", "UnrelatedKeyIdInToken", "BadEnvironmentKeyInToken",
          "BadEnvironmentKeyIdInToken"],
    404: ["BadPath"],
    405: ["MethodNotAllowed"],
    410: ["ExpiredToken", "Unregistered"],
    413: ["PayloadTooLarge"],
    429: ["TooManyProviderTokenUpdates", "TooManyRequests"],
    500: ["InternalServerError"],
    503: ["ServiceUnavailable", "Shutdown"],
}
ROWS = [(reason, status) for status, reasons in APPLE_TABLE.items() for reason in reasons]


@pytest.mark.parametrize(("text", "status"), ROWS, ids=[r for r, _ in ROWS])
def test_each_reason_string_maps_to_apples_status(text: str, status: int) -> None:
    assert Reason(text).status == status


def test_the_enum_has_exactly_the_table_and_nothing_else() -> None:
    assert sorted(r.value for r in Reason) == sorted(text for text, _ in ROWS)


def test_an_unknown_reason_string_is_refused() -> None:
    with pytest.raises(ValueError, match="NotAReason"):
        Reason("NotAReason")


def test_only_410_reasons_carry_a_timestamp() -> None:
    assert {r for r in Reason if r.has_timestamp} == {Reason.UNREGISTERED, Reason.EXPIRED_TOKEN}
    assert not Reason.BAD_DEVICE_TOKEN.has_timestamp


def test_reason_values_are_the_wire_strings() -> None:
    assert str(Reason.BAD_ENVIRONMENT_KEY_IN_TOKEN) == "BadEnvironmentKeyInToken"
    assert f"{Reason.SHUTDOWN}" == "Shutdown" and isinstance(Reason.SHUTDOWN, str)
