"""Proxy wire models: Go-compatible decoding (errors included) and server-identical encoding."""

from __future__ import annotations

import json

import pytest

from simulator.proxy.errors import BadRequestBody, ProxyError
from simulator.proxy.models import (
    PushAck,
    PushNotification,
    PushResponse,
    PushStatus,
    marshal_like_go,
)

# spec §2.2 example (ids shortened), as the server writes it: struct order, omitempty applied.
MENTION_JSON = (
    b'{"ack_id":"a1","platform":"android_rn-v2","server_id":"s1","device_id":"tok",'
    b'"post_id":"p1","category":"CAN_REPLY","message":"@frank: hi @alice","badge":3,'
    b'"team_id":"t1","channel_id":"c1","channel_name":"Town Square","type":"message",'
    b'"sender_id":"u1","sender_name":"@frank","version":"v2","is_crt_enabled":false,'
    b'"is_id_loaded":false,"signature":"eyJ"}'
)
MENTION = PushNotification(
    ack_id="a1", platform="android_rn-v2", server_id="s1", device_id="tok", post_id="p1",
    category="CAN_REPLY", message="@frank: hi @alice", badge=3, team_id="t1", channel_id="c1",
    channel_name="Town Square", type="message", sender_id="u1", sender_name="@frank",
    version="v2", signature="eyJ",
)


def test_from_json_reads_the_servers_mention_body() -> None:
    assert PushNotification.from_json(MENTION_JSON) == MENTION


def test_to_json_writes_what_the_server_sends() -> None:
    assert MENTION.to_json() == MENTION_JSON


@pytest.mark.parametrize(("notification", "expected"), [
    # The always-present keys survive even when empty (a test push has no ack_id / signature).
    (PushNotification(platform="apple_rn-v2", server_id="s1", device_id="tok", badge=-1,
                      type="test", version="2", message="test"),
     b'{"ack_id":"","platform":"apple_rn-v2","server_id":"s1","device_id":"tok","post_id":"",'
     b'"message":"test","badge":-1,"type":"test","version":"2","is_crt_enabled":false,'
     b'"is_id_loaded":false,"signature":""}'),
    (PushNotification(), b'{"ack_id":"","platform":"","server_id":"","device_id":"","post_id":"",'
                         b'"is_crt_enabled":false,"is_id_loaded":false,"signature":""}'),
    (PushNotification(badge=0, cont_ava=1, sound="none", transport="voip", is_crt_enabled=True),
     b'{"ack_id":"","platform":"","server_id":"","device_id":"","post_id":"","sound":"none",'
     b'"cont_ava":1,"is_crt_enabled":true,"is_id_loaded":false,"signature":"","transport":"voip"}'),
], ids=["test-push", "empty", "omitempty-ints"])
def test_to_json_omits_exactly_the_omitempty_fields(notification: PushNotification,
                                                    expected: bytes) -> None:
    assert notification.to_json() == expected


@pytest.mark.parametrize("notification", [
    MENTION,
    PushNotification(server_id="s", device_id="d", message="a < b && c > d \u2028 ünï 😀", badge=-1),
    PushNotification(server_id="s", device_id="d", is_id_loaded=True, transport="voip", sub_type="calls"),
    PushNotification(),
], ids=["mention", "escapes-unicode", "flags", "empty"])
def test_to_json_round_trips_through_from_json(notification: PushNotification) -> None:
    assert PushNotification.from_json(notification.to_json()) == notification


def test_marshal_like_go_escapes_html_and_line_separators_like_go() -> None:
    assert marshal_like_go({"m": "<b>&\u2028\u2029\n\"é"}) == \
        b'{"m":"\\u003cb\\u003e\\u0026\\u2028\\u2029\\n\\"\xc3\xa9"}'
    assert marshal_like_go({"b": 1, "a": True}, sort_keys=True) == b'{"a":true,"b":1}'
    assert marshal_like_go({"b": 1, "a": True}) == b'{"b":1,"a":true}'


@pytest.mark.parametrize(("body", "expected"), [
    # Go matches keys case-insensitively, ignores unknown keys, keeps the zero value for null.
    (b'{"Server_ID":"s","DEVICE_ID":"d"}', PushNotification(server_id="s", device_id="d")),
    (b'{"server_id":null,"badge":null,"x":{"y":[1,2.5,"z"]}}', PushNotification()),
    (b'{"badge":1,"badge":2}', PushNotification(badge=2)),
    # The Decoder reads the first JSON value only; trailing bytes never reach it.
    (b' \n{"server_id":"s"} {"junk', PushNotification(server_id="s")),
    (b'null', PushNotification()),
    # Invalid text becomes U+FFFD, as in Go.
    (b'{"message":"\\ud800x"}', PushNotification(message="\ufffdx")),
    (b'{"message":"a\xffb"}', PushNotification(message="a\ufffdb")),
    (b'{"message":"a\xc3\x28\xffb"}', PushNotification(message="a\ufffd(\ufffdb")),  # one U+FFFD per bad byte
    (b'{"badge":-1,"cont_ava":9223372036854775807}',
     PushNotification(badge=-1, cont_ava=9223372036854775807)),
], ids=["case-insensitive", "null-and-unknown", "duplicate-last-wins", "trailing-data",
        "top-level-null", "lone-surrogate", "invalid-utf8", "invalid-utf8-bytes", "int-range"])
def test_from_json_accepts_what_go_accepts(body: bytes, expected: PushNotification) -> None:
    assert PushNotification.from_json(body) == expected


@pytest.mark.parametrize(("body", "go_error"), [
    (b"", "EOF"),
    (b"  \r\n", "EOF"),
    (b"not json", "invalid character 'o' in literal null (expecting 'u')"),
    (b"hello", "invalid character 'h' looking for beginning of value"),
    (b"\xff{}", "invalid character '\xff' looking for beginning of value"),  # Go names the raw byte
    (b"{'a':1}", "invalid character '\\'' looking for beginning of object key string"),
    (b'{"server_id":"s"', "unexpected EOF"),
    (b'{"server_id":"s', "unexpected EOF"),
    (b'{"a":1,}', "invalid character '}' looking for beginning of object key string"),
    (b'{"a" 1}', "invalid character '1' after object key"),
    (b'{"a":1 "b":2}', "invalid character '\"' after object key:value pair"),
    (b'{"a":[1 2]}', "invalid character '2' after array element"),
    (b'{"a":NaN}', "invalid character 'N' looking for beginning of value"),
    (b'{"a":-Infinity}', "invalid character 'I' in numeric literal"),
    (b'{"a":"\\q"}', "invalid character 'q' in string escape code"),
    (b'{"a":"\\u12x4"}', "invalid character 'x' in \\u hexadecimal character escape"),
    (b'{"a":"x\ny"}', "invalid character '\\n' in string literal"),
    (b"[]", "json: cannot unmarshal array into Go value of type model.PushNotification"),
    (b'"hi"', "json: cannot unmarshal string into Go value of type model.PushNotification"),
    (b"42", "json: cannot unmarshal number into Go value of type model.PushNotification"),
    (b'{"badge":"3"}',
     "json: cannot unmarshal string into Go struct field PushNotification.badge of type int"),
    (b'{"badge":3.5}',
     "json: cannot unmarshal number 3.5 into Go struct field PushNotification.badge of type int"),
    (b'{"badge":9223372036854775808}', "json: cannot unmarshal number 9223372036854775808 into "
                                       "Go struct field PushNotification.badge of type int"),
    (b'{"is_crt_enabled":"true"}', "json: cannot unmarshal string into Go struct field "
                                   "PushNotification.is_crt_enabled of type bool"),
    (b'{"server_id":7}',
     "json: cannot unmarshal number into Go struct field PushNotification.server_id of type string"),
    (b'{"sub_type":{}}', "json: cannot unmarshal object into Go struct field "
                         "PushNotification.sub_type of type model.PushSubType"),
    (b'{"message":["a"]}',
     "json: cannot unmarshal array into Go struct field PushNotification.message of type string"),
])
def test_from_json_rejects_with_gos_error_text(body: bytes, go_error: str) -> None:
    with pytest.raises(BadRequestBody) as info:
        PushNotification.from_json(body)
    assert str(info.value) == go_error
    assert isinstance(info.value, ProxyError)


def test_ack_round_trips_and_omits_empty_post_id() -> None:
    ack = PushAck(id="a1", received_at=1_700_000_000_123, platform="ios", type="message")
    assert ack.to_json() == (b'{"id":"a1","received_at":1700000000123,"platform":"ios",'
                             b'"type":"message","is_id_loaded":false}')
    full = PushAck(id="a1", received_at=1, platform="android", type="message", post_id="p1",
                   is_id_loaded=True)
    assert PushAck.from_json(full.to_json()) == full
    assert PushAck.from_json(b"{}") == PushAck(id="", received_at=0, platform="", type="")


def test_ack_rejects_a_non_integer_timestamp() -> None:
    with pytest.raises(BadRequestBody) as info:
        PushAck.from_json(b'{"id":"a1","received_at":"now"}')
    assert str(info.value) == ("json: cannot unmarshal string into Go struct field "
                               "PushNotificationAck.received_at of type int64")


@pytest.mark.parametrize(("response", "expected"), [
    (PushResponse(status=PushStatus.OK), b'{"status":"OK"}'),
    (PushResponse(status=PushStatus.REMOVE), b'{"status":"REMOVE"}'),
    # A Go map: keys sorted, so "error" comes first; HTML characters escaped.
    (PushResponse(status=PushStatus.FAIL, error="unknown transport error"),
     b'{"error":"unknown transport error","status":"FAIL"}'),
    (PushResponse(status=PushStatus.FAIL, error="type=<x> & y"),
     b'{"error":"type=\\u003cx\\u003e \\u0026 y","status":"FAIL"}'),
], ids=["ok", "remove", "fail", "fail-escaped"])
def test_push_response_to_json(response: PushResponse, expected: bytes) -> None:
    assert response.to_json() == expected
    assert json.loads(expected)["status"] == response.status


def test_push_response_has_error_key_only_on_fail() -> None:
    # An error text on a non-FAIL response is not part of the wire format.
    assert b"error" not in PushResponse(status=PushStatus.OK, error="ignored").to_json()
    assert b'"error":""' in PushResponse(status=PushStatus.FAIL).to_json()
