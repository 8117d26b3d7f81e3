"""The iPhone's handling of one push (§8.3), decided without I/O."""

from __future__ import annotations

from typing import Any

import pytest

from fake_devices import MATTERMOST_IOS, UNVERIFIED_IOS, AppState, Permission, ServerInfo, receive_ios
from simulator.signing import es256_jwt, new_p256_key, spki_b64

NOW = 1_767_225_600.0
KEY = new_p256_key()
TOKEN = "c1749efbcf2a3516c" * 4
SERVER = ServerInfo(url="https://chat.test", diagnostic_id="s1", signing_key=spki_b64(KEY), version="10.11.0")


def signed(ack_id: str) -> str:
    return es256_jwt(KEY, {"ack_id": ack_id, "device_id": TOKEN})


def message(**extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "aps": {"alert": {"title": "@accountb", "body": "Hello"}, "badge": 1, "category": "CAN_REPLY",
                "content-available": 1, "mutable-content": 1, "sound": "default", "thread-id": "c1"},
        "type": "message", "ack_id": "a1", "post_id": "p1", "channel_id": "c1", "server_id": "s1",
        "version": "v2", "signature": signed("a1")}
    payload.update(extra)
    return payload


def receive(payload: dict[str, Any], state: AppState, **kw: Any) -> Any:
    return receive_ios(payload, state=state, app=MATTERMOST_IOS, now=NOW, server=SERVER, token=TOKEN, **kw)


@pytest.mark.parametrize("state", [AppState.BACKGROUND, AppState.KILLED])
def test_message_in_background_or_killed_is_shown_and_acked(state: AppState) -> None:
    r = receive(message(), state)
    assert r.outcome == "shown"
    assert r.show is not None and (r.show.title, r.show.body, r.show.app) == ("@accountb", "Hello", "Mattermost")
    assert r.show.verified and r.show.group == "c1"
    assert r.ack == {"id": "a1", "post_id": "p1", "received_at": int(NOW * 1000), "platform": "ios",
                     "type": "message", "is_id_loaded": False}
    assert r.badge == 1


def test_message_in_foreground_gives_an_in_app_banner_not_a_system_one() -> None:
    r = receive(message(), AppState.FOREGROUND)
    assert r.show is None
    assert r.in_app_banner is not None and r.in_app_banner.body == "Hello"
    assert r.ack is not None  # the extension acks in every state


def test_message_for_the_channel_on_screen_shows_nothing() -> None:
    r = receive(message(), AppState.FOREGROUND, channel_on_screen="c1")
    assert (r.show, r.in_app_banner, r.outcome) == (None, None, "no banner: that channel is on screen")


def test_plain_string_alert_is_the_body() -> None:
    payload = message()
    payload["aps"]["alert"] = "sent you a message."
    r = receive(payload, AppState.BACKGROUND)
    assert r.show is not None and (r.show.title, r.show.body) == ("", "sent you a message.")


def test_clear_removes_the_channel_when_the_app_runs() -> None:
    clear = {"aps": {"badge": 1, "content-available": 1}, "type": "clear", "ack_id": "a2", "channel_id": "c1",
             "server_id": "s1", "signature": signed("a2")}
    r = receive(clear, AppState.BACKGROUND)
    assert (r.clear_channel, r.clear_root, r.show) == ("c1", "", None)
    assert r.ack is not None and r.ack["type"] == "clear"


def test_clear_with_crt_and_a_root_clears_only_that_thread() -> None:
    clear = {"aps": {"content-available": 1}, "type": "clear", "ack_id": "a2", "channel_id": "c1", "root_id": "r1",
             "is_crt_enabled": True, "server_id": "s1", "signature": signed("a2")}
    assert (receive(clear, AppState.FOREGROUND).clear_channel, receive(clear, AppState.FOREGROUND).clear_root) == \
        ("c1", "r1")


def test_content_available_push_does_not_wake_a_killed_app() -> None:
    clear = {"aps": {"content-available": 1}, "type": "clear", "ack_id": "a2", "channel_id": "c1"}
    r = receive(clear, AppState.KILLED)
    assert (r.clear_channel, r.ack) == (None, None)
    assert r.outcome.startswith("not delivered")


def test_update_badge_only_sets_the_badge_and_is_not_acked() -> None:
    r = receive({"aps": {"badge": 4}, "type": "update_badge", "ack_id": "a3"}, AppState.KILLED)
    assert (r.badge, r.ack, r.show) == (4, None, None)


def test_test_push_has_no_ack_id_and_shows_nothing() -> None:
    r = receive({"aps": {"content-available": 1}, "type": "test", "signature": "NO_SIGNATURE"}, AppState.BACKGROUND)
    assert (r.show, r.ack, r.outcome) == (None, None, "handled by the app: test")


@pytest.mark.parametrize(("payload", "state", "outcome"), [
    ({"type": "message"}, AppState.BACKGROUND, "dropped: no aps dictionary"),
    ({"aps": "nope"}, AppState.BACKGROUND, "dropped: no aps dictionary"),
    (message(), AppState.NOT_INSTALLED, "dropped: app not installed"),
])
def test_unusable_pushes_are_dropped_with_a_reason(payload: dict[str, Any], state: AppState, outcome: str) -> None:
    r = receive(payload, state)
    assert (r.outcome, r.show, r.ack) == (outcome, None, None)


def test_a_forged_signature_still_shows_but_says_it_could_not_be_verified() -> None:
    forged = message(signature=es256_jwt(new_p256_key(), {"ack_id": "a1", "device_id": TOKEN}))
    r = receive(forged, AppState.BACKGROUND)
    assert r.outcome == "shown unverified" and r.signature == "Cannot verify JWT: signature is invalid"
    assert r.show is not None and (r.show.body, r.show.verified) == (UNVERIFIED_IOS, False)
    assert r.ack is not None  # the extension acks before it verifies


def test_an_unverified_push_in_the_foreground_is_ignored_by_js() -> None:
    r = receive(message(signature="NO_SIGNATURE"), AppState.FOREGROUND)
    assert (r.in_app_banner, r.signature) == (None, "Server version should send signature")


@pytest.mark.parametrize("permission", [Permission.DENIED, Permission.NOT_ASKED])
def test_without_permission_nothing_is_shown_or_acked(permission: Permission) -> None:
    r = receive(message(), AppState.BACKGROUND, permission=permission)
    assert (r.show, r.ack, r.badge) == (None, None, None)
    assert r.outcome == "not shown: notifications are not allowed for the app"


def test_a_push_for_another_server_cannot_be_acked_or_verified() -> None:
    r = receive(message(server_id="elsewhere"), AppState.BACKGROUND)
    assert r.ack is None and r.show is not None and not r.show.verified
