"""Message validation: the proto3-JSON layer (Google's front end) and the FCM layer, on the core.

Each accepted shape is paired with the nearest refused one and its exact Google envelope.
"""

from __future__ import annotations

from typing import Any

import pytest

from fake_fcm import FcmError, MessageAccepted, MessageRejected, Priority
from fake_fcm.schema import duration_seconds
from tests.support.fcm_world import FcmWorld, body, make_world

BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"


@pytest.fixture
def world() -> FcmWorld:
    return make_world()


def accepted(world: FcmWorld, message: dict[str, Any], **kwargs: Any) -> MessageAccepted:
    reply = world.send(message, **kwargs)
    assert reply.status == 200, reply.body
    event = reply.events[0]
    assert isinstance(event, MessageAccepted)
    return event


def payload_error(world: FcmWorld, message: dict[str, Any] | None = None, *, raw: bytes | None = None
                  ) -> tuple[str, str | None]:
    """Message and field of a front-end (BadRequest-only) refusal."""
    reply = world.send(message, raw=raw)
    error = body(reply)["error"]
    assert (reply.status, error["code"], error["status"]) == (400, 400, "INVALID_ARGUMENT")
    [detail] = error["details"]
    assert detail["@type"] == BAD_REQUEST
    [violation] = detail["fieldViolations"]
    assert violation["description"] == error["message"]
    [rejected] = reply.events
    assert isinstance(rejected, MessageRejected) and rejected.error_code is None
    return error["message"], violation.get("field")


def fcm_error(world: FcmWorld, message: dict[str, Any]) -> tuple[str, str | None]:
    """Message and field of an FCM-level INVALID_ARGUMENT."""
    reply = world.send(message)
    error = body(reply)["error"]
    assert (reply.status, error["status"]) == (400, "INVALID_ARGUMENT")
    assert error["details"][0] == {"@type": FCM_ERROR, "errorCode": "INVALID_ARGUMENT"}
    fields = [v.get("field") for d in error["details"][1:] for v in d["fieldViolations"]]
    return error["message"], fields[0] if fields else None


# -- proto3 JSON -------------------------------------------------------------------------------
def test_snake_case_and_camel_case_field_names_are_both_accepted(world: FcmWorld) -> None:
    snake = accepted(world, world.message(android={"priority": "high", "collapse_key": "k", "ttl": "60s",
                                                   "restricted_package_name": "com.mattermost.rnbeta",
                                                   "notification": {"channel_id": "c", "click_action": "x"}}))
    camel = accepted(world, world.message(android={"priority": "HIGH", "collapseKey": "k", "ttl": "60s",
                                                   "restrictedPackageName": "com.mattermost.rnbeta",
                                                   "notification": {"channelId": "c", "clickAction": "x"}}),
                     validate_only=False)
    assert snake.message.fields["android"] == camel.message.fields["android"]
    assert camel.message.fields["android"]["notification"] == {"channel_id": "c", "click_action": "x"}
    assert (camel.message.collapse_key, camel.message.ttl) == ("k", 60.0)


def test_an_unknown_field_gets_googles_unknown_name_error(world: FcmWorld) -> None:
    assert payload_error(world, world.message(notification={"title": "t", "subtitle": "s"})) == (
        'Invalid JSON payload received. Unknown name "subtitle" at \'message.notification\': Cannot find field.',
        "message.notification")


def test_an_unknown_top_level_field_is_named_without_a_path(world: FcmWorld) -> None:
    raw = b'{"message": {"topic": "news"}, "dry_run": true}'
    assert payload_error(world, raw=raw) == (
        'Invalid JSON payload received. Unknown name "dry_run": Cannot find field.', None)


def test_data_values_must_be_strings(world: FcmWorld) -> None:
    accepted(world, world.message(data={"badge": "1", "ok": "true"}))
    assert payload_error(world, world.message(data={"badge": "1", "count": 12})) == (
        "Invalid value at 'message.data[1].value' (TYPE_STRING), 12", "message.data[1].value")


def test_priority_accepts_any_case_and_refuses_other_words(world: FcmWorld) -> None:
    assert accepted(world, world.message(android={"priority": "Normal"})).priority is Priority.NORMAL
    assert accepted(world, world.message(android={"priority": 1})).priority is Priority.HIGH
    assert payload_error(world, world.message(android={"priority": "urgent"})) == (
        "Invalid value at 'message.android.priority' (type.googleapis.com/google.firebase.fcm.v1."
        'AndroidMessagePriority), "urgent"', "message.android.priority")


@pytest.mark.parametrize("ttl", ["0s", "3.5s", "2419200s", "86400.000000001s"])
def test_ttl_durations_in_range_are_accepted(world: FcmWorld, ttl: str) -> None:
    assert accepted(world, world.message(android={"ttl": ttl})).message.ttl == pytest.approx(duration_seconds(ttl))


@pytest.mark.parametrize("ttl", ["3600", "1h", "1.0000000001s", 3600])
def test_ttl_that_is_no_duration_string_is_refused_by_the_front_end(world: FcmWorld, ttl: object) -> None:
    message, field = payload_error(world, world.message(android={"ttl": ttl}))
    assert message.startswith("Invalid value at 'message.android.ttl' (type.googleapis.com/google.protobuf.Duration)")
    assert field == "message.android.ttl"


@pytest.mark.parametrize("ttl", ["2419200.5s", "-1s", "9999999s"])
def test_ttl_out_of_range_is_an_fcm_invalid_argument(world: FcmWorld, ttl: str) -> None:
    message, field = fcm_error(world, world.message(android={"ttl": ttl}))
    assert field == "message.android.ttl" and "out of range" in message


def test_a_list_where_an_object_belongs_is_refused(world: FcmWorld) -> None:
    assert payload_error(world, world.message(notification=[{"title": "t"}])) == (
        'Invalid JSON payload received. Unknown name "notification" at \'message\': Proto field is not repeating, '
        "cannot start list.", "message")


def test_a_scalar_where_an_object_belongs_is_refused(world: FcmWorld) -> None:
    message, _ = payload_error(world, world.message(android="high"))
    assert message == "Invalid value at 'message.android' (type.googleapis.com/google.firebase.fcm.v1." \
                      'AndroidConfig), "high"'


def test_null_fields_count_as_absent(world: FcmWorld) -> None:
    event = accepted(world, world.message(notification=None, topic=None))
    assert event.message.notification is None and event.token == world.token


def test_two_targets_break_the_oneof(world: FcmWorld) -> None:
    assert payload_error(world, world.message(topic="news")) == (
        "Invalid value at 'message' (oneof), oneof field 'target' is already set. Cannot set 'topic'", "message")


@pytest.mark.parametrize(("raw", "message"), [
    (b'{"message": ', "Invalid JSON payload received. Unexpected token."),
    (b"\xff\xfe{}", "Invalid JSON payload received. Unexpected token."),
    (b"[1, 2]", 'Invalid JSON payload received. Unknown name "": Root element must be a message.'),
    (b"[" * 100_000, "Invalid JSON payload received. Unexpected token."),
], ids=["truncated", "not-utf8", "array-root", "absurd-nesting"])
def test_bodies_that_are_no_json_object_are_refused(world: FcmWorld, raw: bytes, message: str) -> None:
    assert payload_error(world, raw=raw)[0] == message


def test_nested_android_notification_fields_are_typed(world: FcmWorld) -> None:
    good = {"notification_count": "3", "vibrate_timings": ["0.5s", "1s"], "visibility": "private",
            "light_settings": {"color": {"red": 1, "green": 0.5, "blue": 0}, "light_on_duration": "1s"},
            "event_time": "2026-01-01T00:00:00.5Z", "sticky": True, "color": "#ff0000"}
    assert accepted(world, world.message(android={"notification": good})).message.notification is not None
    message, field = payload_error(world, world.message(android={"notification": {"sticky": "yes"}}))
    assert (message, field) == ("Invalid value at 'message.android.notification.sticky' (TYPE_BOOL), \"yes\"",
                                "message.android.notification.sticky")


def test_apns_and_webpush_blocks_are_free_form_where_google_says_so(world: FcmWorld) -> None:
    accepted(world, world.message(apns={"headers": {"apns-priority": "5"}, "payload": {"aps": {"badge": 1}}},
                                  webpush={"notification": {"anything": [1, 2]}, "fcmOptions": {"link": "https://x"}}))
    message, field = fcm_error(world, world.message(webpush={"fcm_options": {"link": "http://x"}}))
    assert field == "message.webpush.fcm_options.link"


# -- the FCM layer -----------------------------------------------------------------------------
def test_a_message_without_a_target_is_refused(world: FcmWorld) -> None:
    assert fcm_error(world, {"data": {"a": "b"}}) == ("Recipient of the message is not set.", "message")


def test_topics_and_conditions_are_accepted_when_well_formed(world: FcmWorld) -> None:
    assert accepted(world, {"topic": "/topics/news-1_a.b~c%d"}).message.topic == "news-1_a.b~c%d"
    condition = "'a' in topics && ('b' in topics || !('c' in topics))"
    assert accepted(world, {"condition": condition}).message.condition == condition
    assert fcm_error(world, {"topic": "news feed"})[1] == "message.topic"


@pytest.mark.parametrize("condition", [
    "'a' in topics &&", "('a' in topics", "a in topics", "'a' in topics 'b' in topics", "",
    " || ".join(f"'t{i}' in topics" for i in range(6)),
], ids=["dangling-op", "open-paren", "unquoted", "no-operator", "empty", "six-topics"])
def test_malformed_conditions_are_refused(world: FcmWorld, condition: str) -> None:
    assert fcm_error(world, {"condition": condition})[1] == "message.condition"


@pytest.mark.parametrize("key", ["from", "message_type", "collapse_key", "google.sent_time", "gcm.notification.x",
                                 "googleFoo", "GCM_thing", "From"])
def test_reserved_data_keys_are_refused(world: FcmWorld, key: str) -> None:
    message, field = fcm_error(world, world.message(data={key: "x"}))
    assert field == "message.data" and key in message


def test_reserved_keys_are_refused_in_android_data_too_and_ordinary_keys_pass(world: FcmWorld) -> None:
    accepted(world, world.message(data={"sender_id": "u1", "fromage": "brie"}))
    assert fcm_error(world, world.message(android={"data": {"from": "x"}}))[1] == "message.android.data"


def test_android_data_overrides_message_data(world: FcmWorld) -> None:
    event = accepted(world, world.message(data={"a": "1"}, android={"data": {"b": "2"}}))
    assert event.message.data == {"b": "2"}


def test_priority_defaults_follow_fcm(world: FcmWorld) -> None:
    assert accepted(world, {"token": world.token, "data": {"a": "b"}}).priority is Priority.NORMAL
    assert accepted(world, {"token": world.token, "notification": {"title": "t"}}).priority is Priority.HIGH


def _data_of_size(n: int) -> dict[str, str]:
    return {"k": "x" * (n - 1)}


def test_4096_bytes_of_data_are_accepted_and_4097_refused_without_details(world: FcmWorld) -> None:
    accepted(world, {"token": world.token, "data": _data_of_size(4096)})
    reply = world.send({"token": world.token, "data": _data_of_size(4097)})
    assert (reply.status, body(reply)) == (400, {"error": {
        "code": 400, "message": "Request contains an invalid argument.", "status": "INVALID_ARGUMENT"}})
    [rejected] = reply.events
    assert isinstance(rejected, MessageRejected) and rejected.error_code is FcmError.INVALID_ARGUMENT


def test_notification_text_counts_and_multibyte_characters_count_as_bytes(world: FcmWorld) -> None:
    assert world.send({"token": world.token, "data": _data_of_size(4090),
                       "notification": {"title": "1234567"}}).status == 400
    assert world.send({"token": world.token, "data": {"k": "é" * 2048}}).status == 400  # 1 + 4096 bytes


def test_topic_messages_are_limited_to_2048_bytes(world: FcmWorld) -> None:
    accepted(world, {"topic": "news", "data": _data_of_size(2048)})
    assert world.send({"topic": "news", "data": _data_of_size(2049)}).status == 400


def test_android_colors_must_be_rrggbb(world: FcmWorld) -> None:
    assert fcm_error(world, world.message(android={"notification": {"color": "red"}}))[1] == \
        "message.android.notification.color"
