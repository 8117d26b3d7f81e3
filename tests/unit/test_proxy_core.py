"""Proxy decisions: send_push / ack validation, platform parsing, truncation, result mapping."""

from __future__ import annotations

import json

import pytest

from simulator.proxy.core import (
    SendPlan,
    fcm_retryable,
    map_apns_result,
    map_fcm_error,
    parse_platform,
    plan_ack,
    plan_send,
    truncate,
)
from simulator.proxy.models import FcmErrorCode, PushAck, PushNotification, PushResponse, PushStatus, Target

KNOWN = frozenset({"apple", "apple_rn", "apple_rnbeta", "android_rn"})


def _body(**fields: object) -> bytes:
    return json.dumps({"server_id": "s1", "device_id": "tok", "platform": "apple_rn-v2", **fields}).encode()


def _fail(error: str) -> PushResponse:
    return PushResponse(status=PushStatus.FAIL, error=error)


# --- send_push (§2.5) ------------------------------------------------------------------------

def test_plan_send_accepts_a_valid_body() -> None:
    plan = plan_send(_body(type="message", message="hi"), known_types=KNOWN)
    assert plan == SendPlan(
        notification=PushNotification(server_id="s1", device_id="tok", platform="apple_rn-v2",
                                      type="message", message="hi"),
        target=Target(platform_key="apple_rn", app_version=2), warning=None)


@pytest.mark.parametrize(("body", "error"), [
    (b"", "Failed to read message body: EOF"),
    (b"{not json", "Failed to read message body: invalid character 'n' looking for beginning "
                   "of object key string"),
    (b"[1,2]", "Failed to read message body: json: cannot unmarshal array into Go value of type "
               "model.PushNotification"),
    (_body(badge="3"), "Failed to read message body: json: cannot unmarshal string into Go struct "
                       "field PushNotification.badge of type int"),
    (_body(server_id=""), "Failed because of missing server Id"),
    (b'{"device_id":"tok","platform":"apple_rn"}', "Failed because of missing server Id"),
    (_body(device_id=""), "Failed because of missing device Id serverId=s1"),
    # The error names the config key: Go has already cut the "-vN" suffix off.
    (_body(platform="android-v2"),
     "Did not send message because of missing platform property type=android serverId=s1"),
    (_body(platform=""), "Did not send message because of missing platform property type= serverId=s1"),
    (_body(platform="APPLE_RN"),
     "Did not send message because of missing platform property type=APPLE_RN serverId=s1"),
], ids=["empty", "not-json", "array", "badge-string", "no-server-id", "server-id-absent",
        "no-device-id", "unknown-platform", "empty-platform", "platform-case"])
def test_plan_send_rejects_with_the_proxys_exact_text(body: bytes, error: str) -> None:
    assert plan_send(body, known_types=KNOWN) == _fail(error)


@pytest.mark.parametrize(("fields", "error"), [
    # missing server AND device AND platform: server first
    ({"server_id": "", "device_id": "", "platform": "nope"}, "Failed because of missing server Id"),
    ({"device_id": "", "platform": "nope"}, "Failed because of missing device Id serverId=s1"),
    # a type error beats the missing fields
    ({"server_id": "", "is_id_loaded": "yes"}, "Failed to read message body: json: cannot unmarshal "
     "string into Go struct field PushNotification.is_id_loaded of type bool"),
], ids=["server-before-device", "device-before-platform", "decode-before-fields"])
def test_plan_send_checks_in_the_proxys_order(fields: dict[str, object], error: str) -> None:
    assert plan_send(_body(**fields), known_types=KNOWN) == _fail(error)


def test_plan_send_carries_the_version_warning_and_truncates() -> None:
    plan = plan_send(_body(platform="apple_rn-vX", message="é" * 1100), known_types=KNOWN)
    assert isinstance(plan, SendPlan)
    assert plan.warning == "Could not determine the app version in apple_rn appVersion=X"
    assert plan.target == Target(platform_key="apple_rn", app_version=1)
    assert plan.notification.message == "é" * 1023
    assert plan.notification.platform == "apple_rn-vX"


# --- platforms (§2.3) --------------------------------------------------------------------------

@pytest.mark.parametrize(("platform", "key", "version"), [
    ("apple", "apple", 1), ("android", "android", 1), ("apple_rn", "apple_rn", 1),
    ("android_rn", "android_rn", 1), ("apple_rn-v2", "apple_rn", 2),
    ("apple_rnbeta-v2", "apple_rnbeta", 2), ("android_rn-v2", "android_rn", 2),
    ("apple_rn-v+3", "apple_rn", 3), ("apple_rn-v0", "apple_rn", 0), ("custom-v10", "custom", 10),
])
def test_parse_platform_table(platform: str, key: str, version: int) -> None:
    assert parse_platform(platform) == (Target(platform_key=key, app_version=version), None)


@pytest.mark.parametrize(("platform", "key", "shown"), [
    ("apple_rn-vX", "apple_rn", "X"), ("apple_rn-v", "apple_rn", ""), ("apple_rn-v 2", "apple_rn", " 2"),
    ("apple_rn-v2-v3", "apple_rn", "2-v3"), ("apple_rn-v١", "apple_rn", "١"),
    ("apple_rn-v9223372036854775808", "apple_rn", "9223372036854775808"),
], ids=["letter", "empty", "space", "second-suffix", "non-ascii-digit", "overflow"])
def test_parse_platform_bad_version_keeps_1_and_warns(platform: str, key: str, shown: str) -> None:
    target, warning = parse_platform(platform)
    assert target == Target(platform_key=key, app_version=1)
    assert warning == f"Could not determine the app version in {key} appVersion={shown}"


# --- truncation (§2.5 step 4, §9) -------------------------------------------------------------

@pytest.mark.parametrize(("message", "expected"), [
    ("a" * 2047, "a" * 2047),  # at the limit: untouched
    ("a" * 2048, "a" * 2046),
    ("é" * 1024, "é" * 1023),  # 2048 bytes, the cut falls between characters
    ("a" + "é" * 1024, "a" + "é" * 1022),  # the cut splits an é: its first byte is dropped
    ("😀" * 512, "😀" * 511),  # two stray bytes of a 4-byte character dropped
    ("€" * 683, "€" * 682),  # 2049 bytes -> 2046 = exactly 682 characters
], ids=["2047", "2048", "2-byte-aligned", "2-byte-split", "4-byte-split", "3-byte-aligned"])
def test_truncate_message_by_bytes(message: str, expected: str) -> None:
    assert truncate(PushNotification(message=message)).message == expected


@pytest.mark.parametrize(("name", "expected"), [
    ("x" * 64, "x" * 64), ("x" * 65, "x" * 64),
    ("€" * 22, "€" * 21),  # 66 bytes -> 64: 21 whole characters, the 22nd is split and dropped
    ("ab" + "😀" * 16, "ab" + "😀" * 15),
], ids=["64", "65", "3-byte-split", "4-byte-split"])
def test_truncate_channel_name_by_bytes(name: str, expected: str) -> None:
    assert truncate(PushNotification(channel_name=name)).channel_name == expected


def test_truncate_returns_the_same_object_when_nothing_is_cut() -> None:
    n = PushNotification(message="short", channel_name="Town Square")
    assert truncate(n) is n
    long = PushNotification(message="m" * 3000, channel_name="Town Square")
    cut = truncate(long)
    assert cut is not long
    assert cut == PushNotification(message="m" * 2046, channel_name="Town Square")


# --- ack (§2.6) -------------------------------------------------------------------------------

def test_plan_ack_accepts_a_valid_ack() -> None:
    body = b'{"id":"a1","received_at":1700000000000,"platform":"ios","type":"message","post_id":"p1"}'
    assert plan_ack(body) == PushAck(id="a1", received_at=1_700_000_000_000, platform="ios",
                                     type="message", post_id="p1")


@pytest.mark.parametrize(("body", "error"), [
    (b"", "Failed to read ack body: EOF"),
    (b"{", "Failed to read ack body: unexpected EOF"),
    (b'{"id":1}', "Failed to read ack body: json: cannot unmarshal number into Go struct field "
                  "PushNotificationAck.id of type string"),
    (b"{}", "Failed because of missing ack Id"),
    (b'{"platform":"ios","type":"message"}', "Failed because of missing ack Id"),
    (b'{"id":"a1","type":"message"}', "Failed because of missing ack platform"),
    (b'{"id":"a1","platform":"ios"}', "Failed because of missing ack type"),
], ids=["empty", "truncated", "id-number", "empty-object", "no-id", "no-platform", "no-type"])
def test_plan_ack_rejects_with_the_proxys_exact_text(body: bytes, error: str) -> None:
    assert plan_ack(body) == _fail(error)


# --- APNs result mapping (§4.3) -----------------------------------------------------------------

@pytest.mark.parametrize(("status", "reason"), [
    (400, "BadDeviceToken"), (410, "Unregistered"), (400, "MissingDeviceToken"),
    (400, "DeviceTokenNotForTopic"),
])
def test_map_apns_result_remove_reasons(status: int, reason: str) -> None:
    assert map_apns_result(status, reason) == PushResponse(status=PushStatus.REMOVE)


@pytest.mark.parametrize(("status", "reason"), [
    (400, "BadTopic"), (400, "TopicDisallowed"), (403, "ExpiredProviderToken"),
    (403, "InvalidProviderToken"), (413, "PayloadTooLarge"), (429, "TooManyRequests"),
    (500, "InternalServerError"), (503, "ServiceUnavailable"), (410, None), (400, "baddevicetoken"),
])
def test_map_apns_result_other_rejections_fail(status: int, reason: str | None) -> None:
    assert map_apns_result(status, reason) == _fail("unknown send response error")


def test_map_apns_result_ok_and_transport_error() -> None:
    assert map_apns_result(200, None) == PushResponse(status=PushStatus.OK)
    assert map_apns_result(None, None) == _fail("unknown transport error")


# --- FCM error mapping (§5.4) -------------------------------------------------------------------

@pytest.mark.parametrize(("code", "expected"), [
    (None, PushResponse(status=PushStatus.OK)),
    (FcmErrorCode.UNREGISTERED, PushResponse(status=PushStatus.REMOVE)),
    ("SENDER_ID_MISMATCH", PushResponse(status=PushStatus.REMOVE)),
    ("INTERNAL", _fail("Requested entity was not found.")),
    (FcmErrorCode.INVALID_ARGUMENT, _fail("Requested entity was not found.")),
    ("THIRD_PARTY_AUTH_ERROR", _fail("Requested entity was not found.")),
    ("QUOTA_EXCEEDED", _fail("Requested entity was not found.")),
])
def test_map_fcm_error(code: str | None, expected: PushResponse) -> None:
    assert map_fcm_error(code, "Requested entity was not found.") == expected


@pytest.mark.parametrize(("code", "retried"), [
    (FcmErrorCode.INTERNAL, True), (FcmErrorCode.QUOTA_EXCEEDED, True),
    (FcmErrorCode.UNAVAILABLE, False), (FcmErrorCode.UNREGISTERED, False),
    (FcmErrorCode.SENDER_ID_MISMATCH, False), (FcmErrorCode.INVALID_ARGUMENT, False),
    (FcmErrorCode.THIRD_PARTY_AUTH_ERROR, False), (FcmErrorCode.UNSPECIFIED_ERROR, False),
    (None, False), ("internal", False),
])
def test_fcm_retryable(code: str | None, retried: bool) -> None:
    assert fcm_retryable(code) is retried
