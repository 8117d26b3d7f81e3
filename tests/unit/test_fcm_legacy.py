"""The legacy ``/fcm/send`` API: shut down by default (as today), replaying the GCM era on demand."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fake_fcm import (Api, FcmError, HttpRequest, LegacyError, LegacyMode, MessageAccepted, MessageDelivered,
                      MessageRejected, Priority)
from tests.support.fcm_world import PROJECT, FcmWorld, body, make_world


def legacy(world: FcmWorld, document: Any, *, key: str | None = "", content_type: str = "application/json",
           raw: bytes | None = None) -> Any:
    project = world.registry.project(PROJECT)
    assert project is not None
    authorization = f"key={project.server_key}" if key == "" else key
    return world.core.legacy_send(HttpRequest(body=raw if raw is not None else json.dumps(document).encode(),
                                              authorization=authorization, content_type=content_type))


@pytest.fixture
def gcm() -> FcmWorld:
    return make_world(legacy=LegacyMode.ENABLED)


def results(reply: Any) -> list[dict[str, str]]:
    assert reply.status == 200, reply.body
    return body(reply)["results"]  # type: ignore[no-any-return]


# -- today: shut down --------------------------------------------------------------------------
def test_by_default_a_valid_key_gets_deprecated_api_for_every_target() -> None:
    world = make_world()
    reply = legacy(world, {"registration_ids": [world.token, world.token], "data": {"a": 1}})
    answer = body(reply)
    assert (answer["success"], answer["failure"], answer["canonical_ids"]) == (0, 2, 0)
    assert answer["results"] == [{"error": "DeprecatedApi"}] * 2 and isinstance(answer["multicast_id"], int)
    assert {e.error_code for e in reply.events} == {LegacyError.DEPRECATED_API}  # type: ignore[attr-defined]
    assert world.core.delivered == ()


@pytest.mark.parametrize("mode", list(LegacyMode))
@pytest.mark.parametrize("key", [None, "key=AAAAwrong:APA91bnope", "Bearer ya29.x", "key="])
def test_a_bad_server_key_is_401_html_in_either_mode(mode: LegacyMode, key: str | None) -> None:
    world = make_world(legacy=mode)
    reply = legacy(world, {"to": world.token}, key=key)
    assert (reply.status, reply.content_type) == (401, "text/html; charset=UTF-8")
    assert b"<H1>Unauthorized</H1>" in reply.body
    [rejected] = reply.events
    assert isinstance(rejected, MessageRejected) and (rejected.api, rejected.http_status) == (Api.LEGACY, 401)


# -- the GCM era -------------------------------------------------------------------------------
def test_a_legacy_send_is_accepted_and_delivered_with_string_data(gcm: FcmWorld) -> None:
    reply = legacy(gcm, {"to": gcm.token, "priority": "high", "time_to_live": 60, "collapse_key": "c",
                         "data": {"badge": 2, "is_crt_enabled": False, "message": "hi"}})
    answer = body(reply)
    assert (answer["success"], answer["failure"]) == (1, 0)
    [result] = answer["results"]
    accepted, delivered = reply.events
    assert isinstance(accepted, MessageAccepted) and isinstance(delivered, MessageDelivered)
    assert result == {"message_id": accepted.message_id} and accepted.api is Api.LEGACY
    assert (accepted.priority, accepted.message.ttl, accepted.message.collapse_key) == (Priority.HIGH, 60.0, "c")
    assert delivered.data == {"badge": "2", "is_crt_enabled": "false", "message": "hi"}
    assert gcm.core.history.accepted() == [accepted]


def test_multicast_results_come_back_in_order_one_per_token(gcm: FcmWorld) -> None:
    gone = gcm.registry.register("phone-3", PROJECT, "com.mattermost.rnbeta")
    gcm.registry.unregister(gone)
    reply = legacy(gcm, {"registration_ids": [gcm.token, gone, gcm.other_token, "junk"], "data": {"a": "b"}})
    answer = body(reply)
    assert (answer["success"], answer["failure"]) == (1, 3)
    assert [next(iter(r)) if "message_id" in r else r["error"] for r in answer["results"]] == [
        "message_id", "NotRegistered", "MismatchSenderId", "InvalidRegistration"]
    assert len(gcm.core.history.rejected()) == 3


@pytest.mark.parametrize(("document", "error"), [
    ({"data": {"a": "b"}}, "MissingRegistration"),
    ({"data": {"from": "x"}}, "InvalidDataKey"),
    ({"data": {"google.x": "x"}}, "InvalidDataKey"),
    ({"time_to_live": 2_419_201}, "InvalidTtl"),
    ({"time_to_live": "60"}, "InvalidTtl"),
    ({"priority": "urgent"}, "InvalidParameters"),
    ({"data": {"k": "x" * 4096}}, "MessageTooBig"),
    ({"restricted_package_name": "com.example.other"}, "InvalidPackageName"),
])
def test_message_errors_are_per_result_inside_a_200(gcm: FcmWorld, document: dict[str, Any], error: str) -> None:
    target = {} if error == "MissingRegistration" else {"to": gcm.token}
    assert results(legacy(gcm, {**target, **document})) == [{"error": error}]


def test_the_limits_just_inside_are_accepted(gcm: FcmWorld) -> None:
    ok = {"to": gcm.token, "time_to_live": 2_419_200, "priority": "normal", "data": {"k": "x" * 4095},
          "restricted_package_name": "com.mattermost.rnbeta"}
    assert "message_id" in results(legacy(gcm, ok))[0]


def test_dry_run_answers_fake_message_id_and_delivers_nothing(gcm: FcmWorld) -> None:
    answer = body(legacy(gcm, {"to": gcm.token, "dry_run": True}))
    assert (answer["multicast_id"], answer["results"]) == (-1, [{"message_id": "fake_message_id"}])
    assert gcm.core.delivered == ()


def test_a_topic_send_answers_a_numeric_message_id(gcm: FcmWorld) -> None:
    answer = body(legacy(gcm, {"to": "/topics/news", "data": {"a": "b"}}))
    assert set(answer) == {"message_id"} and isinstance(answer["message_id"], int)


@pytest.mark.parametrize(("document", "raw", "content_type", "text"), [
    (None, b"{oops", "application/json", "JSON_PARSING_ERROR: Unexpected character at position 1."),
    (None, b"[]", "application/json", "JSON_PARSING_ERROR: the request is not a JSON object."),
    ({"to": "a", "registration_ids": ["b"]}, None, "application/json",
     'Must use either "registration_ids" field or "to", not both'),
    ({"registration_ids": "tok"}, None, "application/json", 'Field "registration_ids" must be a JSON array: "tok"'),
    ({"registration_ids": ["t"] * 1001}, None, "application/json",
     "Number of messages on bulk (1001) exceeds maximum allowed (1000)"),
    ({"to": 5}, None, "application/json", 'Field "to" must be a JSON string: 5'),
    ({"to": "t", "data": "x"}, None, "application/json", 'Field "data" must be a JSON object: "x"'),
    (None, b"registration_id=abc", "application/x-www-form-urlencoded;charset=UTF-8",
     "Unsupported content type 'application/x-www-form-urlencoded'; this fake speaks only JSON"),
])
def test_request_wide_problems_are_400_plain_text(gcm: FcmWorld, document: Any, raw: bytes | None,
                                                  content_type: str, text: str) -> None:
    reply = legacy(gcm, document, raw=raw, content_type=content_type)
    assert (reply.status, reply.body.decode(), reply.content_type) == (400, text, "text/plain; charset=UTF-8")


def test_injected_v1_codes_become_legacy_results(gcm: FcmWorld) -> None:
    gcm.core.faults.push(FcmError.UNAVAILABLE)
    gcm.core.faults.push(FcmError.QUOTA_EXCEEDED, token=gcm.token)
    assert results(legacy(gcm, {"to": gcm.token})) == [{"error": "Unavailable"}]
    assert results(legacy(gcm, {"to": gcm.token})) == [{"error": "DeviceMessageRateExceeded"}]
    assert "message_id" in results(legacy(gcm, {"to": gcm.token}))[0]
    [first, _] = gcm.core.history.rejected()
    assert first.injected and first.error_code is LegacyError.UNAVAILABLE


def test_connection_faults_apply_to_legacy_requests(gcm: FcmWorld) -> None:
    gcm.core.faults.push_drop()
    gcm.core.faults.push_delay(0.5)
    assert legacy(gcm, {"to": gcm.token}).drop
    delayed = legacy(gcm, {"to": gcm.token})
    assert (delayed.status, delayed.delay) == (200, 0.5)


def test_the_mode_can_be_switched_at_run_time() -> None:
    world = make_world()
    assert results(legacy(world, {"to": world.token})) == [{"error": "DeprecatedApi"}]
    world.core.legacy.mode = LegacyMode.ENABLED
    assert "message_id" in results(legacy(world, {"to": world.token}))[0]
