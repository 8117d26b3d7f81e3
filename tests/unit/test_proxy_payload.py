"""What the proxy sends to APNs (§4.1, §4.2, §4.5) and FCM (§5.2, §5.3)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from simulator.proxy.models import PushNotification
from simulator.proxy.payload import ApnsMessage, build_apns, build_fcm

TOPIC = "com.mattermost.rnbeta"
IDS: dict[str, Any] = dict(server_id="s1", device_id="tok", ack_id="a1", signature="eyJ")
MENTION = PushNotification(
    **IDS, platform="apple_rn-v2", post_id="p1", category="CAN_REPLY",
    message="@frank mentioned you.", badge=3, team_id="t1", channel_id="c1",
    channel_name="Town Square", type="message", sender_id="u1", sender_name="@frank", version="v2")


def _go_bytes(spec_json: str) -> bytes:
    """The spec example as the Go proxy puts it on the wire: compact, top-level keys sorted."""
    return json.dumps(json.loads(spec_json), separators=(",", ":"), sort_keys=True,
                      ensure_ascii=False).encode()


def _apns(n: PushNotification, app_version: int = 2) -> dict[str, Any]:
    message = build_apns(n, app_version=app_version, topic=TOPIC)
    assert (message.topic, message.push_type, message.priority) == (TOPIC, "alert", 10)
    result: dict[str, Any] = json.loads(message.body)
    return result


# The three examples of spec §4.2, ids filled in.
SPEC_EXAMPLES = [
    ("mention-v2", MENTION,
     '{"aps":{"alert":{"title":"Town Square","body":"@frank mentioned you."},"badge":3,'
     '"category":"CAN_REPLY","content-available":1,"mutable-content":1,"sound":"default",'
     '"thread-id":"c1"},"type":"message","sub_type":"","server_id":"s1","ack_id":"a1",'
     '"is_crt_enabled":false,"channel_id":"c1","signature":"eyJ","team_id":"t1","sender_id":"u1",'
     '"sender_name":"@frank","post_id":"p1","version":"v2","channel_name":"Town Square"}'),
    ("clear-v2-badge0", PushNotification(**IDS, type="clear", channel_id="c1", badge=0),
     '{"aps":{"badge":1,"content-available":1,"thread-id":"c1"},"type":"clear","sub_type":"",'
     '"server_id":"s1","ack_id":"a1","is_crt_enabled":false,"channel_id":"c1","signature":"eyJ"}'),
    ("update-badge", PushNotification(**IDS, type="update_badge", badge=2, sound="none", cont_ava=1),
     '{"aps":{"badge":2},"type":"update_badge","sub_type":"","server_id":"s1","ack_id":"a1",'
     '"is_crt_enabled":false,"signature":"eyJ"}'),
]


@pytest.mark.parametrize(("n", "spec_json"), [e[1:] for e in SPEC_EXAMPLES],
                         ids=[e[0] for e in SPEC_EXAMPLES])
def test_build_apns_matches_the_spec_examples_byte_for_byte(n: PushNotification, spec_json: str) -> None:
    message = build_apns(n, app_version=2, topic=TOPIC)
    assert message.body == _go_bytes(spec_json)
    assert message == ApnsMessage(topic=TOPIC, push_type="alert", priority=10, body=message.body)


def test_alert_keys_come_out_in_gos_struct_order() -> None:
    body = build_apns(MENTION, app_version=2, topic=TOPIC).body
    assert body.startswith(b'{"ack_id":"a1","aps":{"alert":{"body":"@frank mentioned you.",'
                           b'"title":"Town Square"},"badge":3,')


def test_headers_are_the_ones_the_proxy_sends() -> None:
    assert build_apns(MENTION, app_version=2, topic=TOPIC).headers() == [
        ("content-type", "application/json; charset=utf-8"), ("apns-topic", TOPIC),
        ("apns-priority", "10"), ("apns-push-type", "alert")]


@pytest.mark.parametrize(("badge", "kind", "app_version", "expected"), [
    (0, "clear", 2, 1),  # the v2 app needs a non-zero badge on clear
    (0, "clear", 1, 0),  # ... older apps get the real 0
    (0, "message", 2, 0),
    (5, "clear", 2, 5),
    (-1, "test", 2, None),  # -1: leave the badge alone, no key
    (-1, "clear", 2, None),
])
def test_badge_rules(badge: int, kind: str, app_version: int, expected: int | None) -> None:
    aps = _apns(PushNotification(**IDS, type=kind, badge=badge), app_version)["aps"]
    assert aps.get("badge") == expected
    assert ("badge" in aps) is (expected is not None)


def test_test_push_is_content_available_only() -> None:
    n = PushNotification(server_id="s1", device_id="tok", type="test", badge=-1, version="2",
                         message="test notification")
    assert _apns(n) == {"aps": {"content-available": 1}, "type": "test", "sub_type": "",
                        "server_id": "s1", "is_crt_enabled": False, "signature": "NO_SIGNATURE"}


def test_signature_is_passed_through_when_present() -> None:
    assert _apns(PushNotification(**IDS, type="clear"))["signature"] == "eyJ"


def test_session_alert_does_not_wake_the_app() -> None:
    n = PushNotification(**IDS, type="session", badge=-1, message="Session expired: please log in.")
    assert _apns(n) == {"aps": {"alert": "Session expired: please log in.", "mutable-content": 1,
                                "sound": "default"},
                        "type": "session", "sub_type": "", "server_id": "s1", "ack_id": "a1",
                        "is_crt_enabled": False, "signature": "eyJ", "version": ""}


def test_message_alert_wakes_the_app() -> None:
    assert _apns(MENTION)["aps"]["content-available"] == 1


@pytest.mark.parametrize(("version", "channel_name", "alert"), [
    ("v2", "Town Square", {"title": "Town Square", "body": "hi"}),
    ("v2", "", "hi"),
    ("2", "Town Square", "hi"),
    ("", "Town Square", "hi"),
], ids=["v2-titled", "v2-no-channel-name", "version-2-string", "no-version"])
def test_alert_is_titled_only_for_v2_with_channel_name(version: str, channel_name: str,
                                                       alert: Any) -> None:
    payload = _apns(PushNotification(**IDS, type="message", message="hi", version=version,
                                     channel_name=channel_name, channel_id="c1"))
    assert payload["aps"]["alert"] == alert
    assert payload.get("channel_name") == (channel_name or None)


def test_empty_message_alerts() -> None:
    assert _apns(PushNotification(**IDS, type="message", version="1"))["aps"]["alert"] == ""
    titled = PushNotification(**IDS, type="message", version="v2", channel_name="C")
    assert _apns(titled)["aps"]["alert"] == {"title": "C"}


@pytest.mark.parametrize(("crt", "root_id", "thread"), [
    (True, "r1", "r1"), (False, "r1", "c1"), (True, "", "c1"),
])
def test_thread_id_follows_crt(crt: bool, root_id: str, thread: str) -> None:
    payload = _apns(PushNotification(**IDS, type="message", channel_id="c1", root_id=root_id,
                                     is_crt_enabled=crt))
    assert payload["aps"]["thread-id"] == thread
    assert payload["is_crt_enabled"] is crt
    assert payload.get("root_id") == (root_id or None)


def test_no_channel_id_means_no_thread_id() -> None:
    payload = _apns(PushNotification(**IDS, type="message", root_id="r1", is_crt_enabled=True))
    assert "thread-id" not in payload["aps"]
    assert "channel_id" not in payload


def test_missing_signature_becomes_no_signature() -> None:
    n = PushNotification(server_id="s1", device_id="tok", type="clear", channel_id="c1")
    payload = _apns(n)
    assert payload["signature"] == "NO_SIGNATURE"
    assert "ack_id" not in payload


def test_optional_custom_keys_appear_only_when_set() -> None:
    n = PushNotification(**IDS, type="message", override_username="bot", override_icon_url="http://i",
                         from_webhook="true", root_id="r1")
    payload = _apns(n)
    assert {k: payload[k] for k in ("override_username", "override_icon_url", "from_webhook", "root_id")} \
        == {"override_username": "bot", "override_icon_url": "http://i", "from_webhook": "true", "root_id": "r1"}
    bare = _apns(PushNotification(**IDS, type="message"))
    assert not {"override_username", "override_icon_url", "from_webhook", "root_id", "team_id",
                "sender_id", "sender_name", "post_id", "channel_id", "channel_name"} & bare.keys()


def test_id_loaded_push_hides_content_but_wakes_the_extension() -> None:
    n = PushNotification(**IDS, type="message", is_id_loaded=True, category="CAN_REPLY",
                         message="You have a new message :smile:", version="v2", channel_id="c1",
                         channel_name="Town Square", sender_id="me", post_id="p1", badge=1)
    assert _apns(n) == {
        "aps": {"alert": {"body": "You have a new message :smile:"}, "badge": 1,
                "category": "CAN_REPLY", "content-available": 1, "mutable-content": 1,
                "sound": "default", "thread-id": "c1"},
        "type": "message", "sub_type": "", "server_id": "s1", "ack_id": "a1", "channel_id": "c1",
        "is_crt_enabled": False, "signature": "eyJ", "sender_id": "me", "post_id": "p1",
        "version": "v2", "id_loaded": True,
    }


def test_message_text_gets_emoji_but_id_loaded_text_does_not() -> None:
    plain = PushNotification(**IDS, type="message", message="ship it :rocket:", version="v2",
                             channel_name="Town Square")
    assert _apns(plain)["aps"]["alert"]["body"] == "ship it \U0001f680 "
    assert _apns(PushNotification(**IDS, type="session", message=":tada:"))["aps"]["alert"] == "\U0001f389 "
    hidden = PushNotification(**IDS, type="message", message="ship it :rocket:", is_id_loaded=True)
    assert _apns(hidden)["aps"]["alert"]["body"] == "ship it :rocket:"


def test_body_is_utf8_and_html_escaped_like_go() -> None:
    n = PushNotification(**IDS, type="message", message="a<b & ünï", version="1")
    body = build_apns(n, app_version=2, topic=TOPIC).body
    assert b'"alert":"a\\u003cb \\u0026 \xc3\xbcn\xc3\xaf"' in body


def test_voip_transport() -> None:
    n = PushNotification(**IDS, type="message", sub_type="calls", transport="voip", channel_id="c1",
                         post_id="p1", root_id="r1", sender_id="u1", sender_name="@frank",
                         channel_name="Town Square", message="hidden", badge=3)
    message = build_apns(n, app_version=2, topic=TOPIC)
    assert (message.topic, message.push_type, message.priority) == (TOPIC + ".voip", "voip", 10)
    assert json.loads(message.body) == {
        "aps": {"content-available": 1}, "type": "message", "sub_type": "calls", "channel_id": "c1",
        "server_id": "s1", "post_id": "p1", "thread_id": "r1", "sender_id": "u1",
        "id_loaded": False, "sender_name": "@frank", "channel_name": "Town Square", "ack_id": "a1",
        "signature": "eyJ"}
    assert ("apns-push-type", "voip") in message.headers()


def test_voip_optional_keys_and_no_signature() -> None:
    n = PushNotification(server_id="s1", device_id="tok", type="message", transport="voip",
                         is_id_loaded=True)
    assert json.loads(build_apns(n, app_version=2, topic=TOPIC).body) == {
        "aps": {"content-available": 1}, "type": "message", "sub_type": "", "channel_id": "",
        "server_id": "s1", "post_id": "", "thread_id": "", "sender_id": "", "id_loaded": True,
        "signature": "NO_SIGNATURE"}


def test_unknown_transport_is_standard() -> None:
    message = build_apns(PushNotification(**IDS, type="clear", transport="carrier-pigeon"),
                         app_version=2, topic=TOPIC)
    assert (message.topic, message.push_type) == (TOPIC, "alert")


# --- FCM ------------------------------------------------------------------------------------

ALWAYS = {"ack_id", "type", "sub_type", "version", "channel_id", "is_crt_enabled", "server_id",
          "category", "signature"}


def _fcm_data(n: PushNotification) -> dict[str, str]:
    body = build_fcm(n)
    assert body["message"]["token"] == n.device_id
    assert body["message"]["android"] == {"priority": "high"}
    assert set(body["message"]) == {"token", "android", "data"}  # data-only: no notification block
    data: dict[str, str] = body["message"]["data"]
    assert all(type(v) is str for v in data.values())
    return data


def test_fcm_clear_carries_only_the_always_keys() -> None:
    data = _fcm_data(PushNotification(server_id="s1", device_id="tok", type="clear", badge=0,
                                      channel_id="c1", is_crt_enabled=True))
    assert data == {"ack_id": "", "type": "clear", "sub_type": "", "version": "", "channel_id": "c1",
                    "is_crt_enabled": "true", "server_id": "s1", "category": "",
                    "signature": "NO_SIGNATURE", "badge": "0"}


def test_fcm_badge_minus_one_and_root_id() -> None:
    no_badge = _fcm_data(PushNotification(**IDS, type="test", badge=-1))
    assert set(no_badge) == ALWAYS
    threaded = _fcm_data(PushNotification(**IDS, type="clear", root_id="r1", badge=2))
    assert set(threaded) == ALWAYS | {"badge", "root_id"}
    assert (threaded["root_id"], threaded["badge"], threaded["is_crt_enabled"]) == ("r1", "2", "false")


def test_fcm_message() -> None:
    data = _fcm_data(replace(MENTION, message="nice :+1:", override_username="bot"))
    assert data == {
        "ack_id": "a1", "type": "message", "sub_type": "", "version": "v2", "channel_id": "c1",
        "is_crt_enabled": "false", "server_id": "s1", "category": "CAN_REPLY", "signature": "eyJ",
        "badge": "3", "team_id": "t1", "sender_id": "u1", "sender_name": "@frank",
        "message": "nice \U0001f44d ", "channel_name": "Town Square", "post_id": "p1",
        "override_username": "bot", "override_icon_url": "", "from_webhook": ""}


def test_fcm_session_carries_the_content_keys_too() -> None:
    data = _fcm_data(PushNotification(**IDS, type="session", message="expired", badge=-1))
    assert set(data) == ALWAYS | {"team_id", "sender_id", "sender_name", "message", "channel_name",
                                  "post_id", "override_username", "override_icon_url", "from_webhook"}


def test_fcm_id_loaded_hides_the_sender() -> None:
    n = PushNotification(**IDS, type="message", is_id_loaded=True, message="New message :smile:",
                         sender_id="me", sender_name="@frank", team_id="t1", post_id="p1",
                         channel_name="Town Square", badge=1)
    data = _fcm_data(n)
    assert data == {
        "ack_id": "a1", "type": "message", "sub_type": "", "version": "", "channel_id": "",
        "is_crt_enabled": "false", "server_id": "s1", "category": "", "signature": "eyJ",
        "badge": "1", "post_id": "p1", "message": "New message :smile:", "id_loaded": "true",
        "sender_id": "me", "sender_name": "Someone", "team_id": "t1"}
    assert "channel_name" not in data
