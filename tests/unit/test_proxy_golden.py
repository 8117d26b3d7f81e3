"""Golden wire bodies: every push type × platform × contents mode, byte for byte (§4.2, §5.2, §5.3).

Inputs are what the server sends (§2.2, §7.5–§7.7) for a channel mention of @alice by @frank in
Town Square; outputs are the exact bytes the Go proxy puts on the wire: the APNs payload
(sideshow/apns2 marshals a map, so keys sorted) and the FCM v1 request body (the Firebase Go SDK's
struct order, ``data`` a sorted map).
"""

from __future__ import annotations

from typing import Any

import pytest

from simulator.proxy.fcm_sender import fcm_body
from simulator.proxy.models import PushNotification
from simulator.proxy.payload import build_apns

SESSION_TEXT = ("Session Expired: Please log in to continue receiving notifications. Sessions for Mattermost "
                "are configured by your System Administrator to expire every 720 hour(s).")
IDS: dict[str, Any] = dict(ack_id="8xk3", server_id="93my", device_id="tok", signature="eyJ")
MENTION: dict[str, Any] = dict(IDS, post_id="p1", category="CAN_REPLY", badge=3, team_id="t1", channel_id="c1",
                               type="message", sender_id="u1", sender_name="@frank", version="v2")
# What the server sends per PushNotificationContents mode (§7.5 worked examples).
MODES: dict[str, dict[str, Any]] = {
    "full": dict(MENTION, message="@frank: hey @alice look", channel_name="Town Square"),
    "generic": dict(MENTION, message="@frank mentioned you.", channel_name="Town Square"),
    "generic_no_channel": dict(MENTION, message="@frank mentioned you."),
    "id_loaded": dict(IDS, post_id="p1", category="CAN_REPLY", badge=3, team_id="t1", channel_id="c1",
                      type="message", sender_id="u2", version="v2", is_id_loaded=True,
                      message="You've received a new message."),
}
# The other producers (§7.7); contents mode does not change them.
OTHERS: dict[str, dict[str, Any]] = {
    "clear": dict(IDS, type="clear", version="v2", channel_id="c1", cont_ava=1, badge=0),
    "update_badge": dict(IDS, type="update_badge", version="v2", sound="none", cont_ava=1, badge=2),
    "session": dict(IDS, type="session", version="v2", message=SESSION_TEXT),
    "test": dict(server_id="93my", device_id="tok", type="test", version="2", badge=-1, message="test"),
}

APNS_GOLDEN = {
    "full": '{"ack_id":"8xk3","aps":{"alert":{"body":"@frank: hey @alice look","title":"Town Square"},"badge":3,'
            '"category":"CAN_REPLY","content-available":1,"mutable-content":1,"sound":"default","thread-id":"c1"},'
            '"channel_id":"c1","channel_name":"Town Square","is_crt_enabled":false,"post_id":"p1","sender_id":"u1",'
            '"sender_name":"@frank","server_id":"93my","signature":"eyJ","sub_type":"","team_id":"t1",'
            '"type":"message","version":"v2"}',
    "generic": '{"ack_id":"8xk3","aps":{"alert":{"body":"@frank mentioned you.","title":"Town Square"},"badge":3,'
               '"category":"CAN_REPLY","content-available":1,"mutable-content":1,"sound":"default","thread-id":"c1"},'
               '"channel_id":"c1","channel_name":"Town Square","is_crt_enabled":false,"post_id":"p1",'
               '"sender_id":"u1","sender_name":"@frank","server_id":"93my","signature":"eyJ","sub_type":"",'
               '"team_id":"t1","type":"message","version":"v2"}',
    "generic_no_channel": '{"ack_id":"8xk3","aps":{"alert":"@frank mentioned you.","badge":3,"category":"CAN_REPLY",'
                          '"content-available":1,"mutable-content":1,"sound":"default","thread-id":"c1"},'
                          '"channel_id":"c1","is_crt_enabled":false,"post_id":"p1","sender_id":"u1",'
                          '"sender_name":"@frank","server_id":"93my","signature":"eyJ","sub_type":"","team_id":"t1",'
                          '"type":"message","version":"v2"}',
    "id_loaded": '{"ack_id":"8xk3","aps":{"alert":{"body":"You\'ve received a new message."},"badge":3,'
                 '"category":"CAN_REPLY","content-available":1,"mutable-content":1,"sound":"default","thread-id":"c1"},'
                 '"channel_id":"c1","id_loaded":true,"is_crt_enabled":false,"post_id":"p1","sender_id":"u2",'
                 '"server_id":"93my","signature":"eyJ","sub_type":"","team_id":"t1","type":"message","version":"v2"}',
    "clear": '{"ack_id":"8xk3","aps":{"badge":1,"content-available":1,"thread-id":"c1"},"channel_id":"c1",'
             '"is_crt_enabled":false,"server_id":"93my","signature":"eyJ","sub_type":"","type":"clear"}',
    "update_badge": '{"ack_id":"8xk3","aps":{"badge":2},"is_crt_enabled":false,"server_id":"93my","signature":"eyJ",'
                    '"sub_type":"","type":"update_badge"}',
    "session": '{"ack_id":"8xk3","aps":{"alert":"' + SESSION_TEXT + '","badge":0,"mutable-content":1,'
               '"sound":"default"},"is_crt_enabled":false,"server_id":"93my","signature":"eyJ","sub_type":"",'
               '"type":"session","version":"v2"}',
    "test": '{"aps":{"content-available":1},"is_crt_enabled":false,"server_id":"93my","signature":"NO_SIGNATURE",'
            '"sub_type":"","type":"test"}',
}

_ALWAYS_MENTION = ('"ack_id":"8xk3","badge":"3","category":"CAN_REPLY","channel_id":"c1"')
FCM_GOLDEN = {
    "full": '{"message":{"data":{' + _ALWAYS_MENTION + ',"channel_name":"Town Square","from_webhook":"",'
            '"is_crt_enabled":"false","message":"@frank: hey @alice look","override_icon_url":"",'
            '"override_username":"","post_id":"p1","sender_id":"u1","sender_name":"@frank","server_id":"93my",'
            '"signature":"eyJ","sub_type":"","team_id":"t1","type":"message","version":"v2"},'
            '"android":{"priority":"high"},"token":"tok"}}',
    "generic": '{"message":{"data":{' + _ALWAYS_MENTION + ',"channel_name":"Town Square","from_webhook":"",'
               '"is_crt_enabled":"false","message":"@frank mentioned you.","override_icon_url":"",'
               '"override_username":"","post_id":"p1","sender_id":"u1","sender_name":"@frank","server_id":"93my",'
               '"signature":"eyJ","sub_type":"","team_id":"t1","type":"message","version":"v2"},'
               '"android":{"priority":"high"},"token":"tok"}}',
    "generic_no_channel": '{"message":{"data":{' + _ALWAYS_MENTION + ',"channel_name":"","from_webhook":"",'
                          '"is_crt_enabled":"false","message":"@frank mentioned you.","override_icon_url":"",'
                          '"override_username":"","post_id":"p1","sender_id":"u1","sender_name":"@frank",'
                          '"server_id":"93my","signature":"eyJ","sub_type":"","team_id":"t1","type":"message",'
                          '"version":"v2"},"android":{"priority":"high"},"token":"tok"}}',
    "id_loaded": '{"message":{"data":{' + _ALWAYS_MENTION + ',"id_loaded":"true","is_crt_enabled":"false",'
                 '"message":"You\'ve received a new message.","post_id":"p1","sender_id":"u2",'
                 '"sender_name":"Someone","server_id":"93my","signature":"eyJ","sub_type":"","team_id":"t1",'
                 '"type":"message","version":"v2"},"android":{"priority":"high"},"token":"tok"}}',
    "clear": '{"message":{"data":{"ack_id":"8xk3","badge":"0","category":"","channel_id":"c1",'
             '"is_crt_enabled":"false","server_id":"93my","signature":"eyJ","sub_type":"","type":"clear",'
             '"version":"v2"},"android":{"priority":"high"},"token":"tok"}}',
    "update_badge": '{"message":{"data":{"ack_id":"8xk3","badge":"2","category":"","channel_id":"",'
                    '"is_crt_enabled":"false","server_id":"93my","signature":"eyJ","sub_type":"",'
                    '"type":"update_badge","version":"v2"},"android":{"priority":"high"},"token":"tok"}}',
    "session": '{"message":{"data":{"ack_id":"8xk3","badge":"0","category":"","channel_id":"","channel_name":"",'
               '"from_webhook":"","is_crt_enabled":"false","message":"' + SESSION_TEXT + '","override_icon_url":"",'
               '"override_username":"","post_id":"","sender_id":"","sender_name":"","server_id":"93my",'
               '"signature":"eyJ","sub_type":"","team_id":"","type":"session","version":"v2"},'
               '"android":{"priority":"high"},"token":"tok"}}',
    "test": '{"message":{"data":{"ack_id":"","category":"","channel_id":"","is_crt_enabled":"false",'
            '"server_id":"93my","signature":"NO_SIGNATURE","sub_type":"","type":"test","version":"2"},'
            '"android":{"priority":"high"},"token":"tok"}}',
}
CASES = {**MODES, **OTHERS}


@pytest.mark.parametrize("case", sorted(CASES))
def test_apns_payload_is_byte_identical(case: str) -> None:
    n = PushNotification(platform="apple_rn-v2", **CASES[case])
    message = build_apns(n, app_version=2, topic="com.mattermost.rn")
    assert message.body.decode() == APNS_GOLDEN[case]
    assert (message.topic, message.push_type, message.priority) == ("com.mattermost.rn", "alert", 10)


@pytest.mark.parametrize("case", sorted(CASES))
def test_fcm_request_body_is_byte_identical(case: str) -> None:
    n = PushNotification(platform="android_rn-v2", **CASES[case])
    assert fcm_body(n).decode() == FCM_GOLDEN[case]


def test_every_case_has_both_goldens() -> None:
    assert set(APNS_GOLDEN) == set(FCM_GOLDEN) == set(CASES)
    assert set(MODES) == {"full", "generic", "generic_no_channel", "id_loaded"}
    assert set(OTHERS) | {"message"} == {"message", "clear", "update_badge", "session", "test"}


def test_a_v1_app_gets_the_real_zero_badge_on_clear() -> None:
    n = PushNotification(platform="apple_rn", **OTHERS["clear"])
    assert build_apns(n, app_version=1, topic="t").body.decode() == APNS_GOLDEN["clear"].replace('"badge":1', '"badge":0')
