"""The iPhone's handling of one push (§8.3), decided without I/O."""

from __future__ import annotations

from typing import Any

import pytest

from fake_devices import MATTERMOST_IOS, AppState, receive_ios

NOW = 1_767_225_600.0


def message(**extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "aps": {"alert": {"title": "@accountb", "body": "Hello"}, "badge": 1, "category": "CAN_REPLY",
                "content-available": 1, "mutable-content": 1, "sound": "default", "thread-id": "c1"},
        "type": "message", "ack_id": "a1", "post_id": "p1", "channel_id": "c1", "server_id": "s1",
        "version": "v2", "signature": "x"}
    payload.update(extra)
    return payload


@pytest.mark.parametrize("state", [AppState.BACKGROUND, AppState.KILLED])
def test_message_in_background_or_killed_is_shown_and_acked(state: AppState) -> None:
    r = receive_ios(message(), state=state, app=MATTERMOST_IOS, now=NOW)
    assert r.outcome == "shown"
    assert r.show is not None and (r.show.title, r.show.body, r.show.app) == ("@accountb", "Hello", "Mattermost")
    assert r.ack == {"id": "a1", "post_id": "p1", "received_at": int(NOW * 1000), "platform": "ios",
                     "type": "message", "is_id_loaded": False}
    assert r.badge == 1


def test_message_in_foreground_gives_an_in_app_banner_not_a_system_one() -> None:
    r = receive_ios(message(), state=AppState.FOREGROUND, app=MATTERMOST_IOS, now=NOW)
    assert r.show is None
    assert r.in_app_banner is not None and r.in_app_banner.body == "Hello"
    assert r.ack is not None  # the extension acks in every state


def test_message_for_the_channel_on_screen_shows_nothing() -> None:
    r = receive_ios(message(), state=AppState.FOREGROUND, app=MATTERMOST_IOS, now=NOW, channel_on_screen="c1")
    assert (r.show, r.in_app_banner, r.outcome) == (None, None, "no banner: that channel is on screen")


def test_plain_string_alert_is_the_body() -> None:
    payload = message()
    payload["aps"]["alert"] = "sent you a message."
    r = receive_ios(payload, state=AppState.BACKGROUND, app=MATTERMOST_IOS, now=NOW)
    assert r.show is not None and (r.show.title, r.show.body) == ("", "sent you a message.")


def test_clear_removes_the_channel_when_the_app_runs() -> None:
    clear = {"aps": {"badge": 1, "content-available": 1}, "type": "clear", "ack_id": "a2", "channel_id": "c1"}
    r = receive_ios(clear, state=AppState.BACKGROUND, app=MATTERMOST_IOS, now=NOW)
    assert (r.clear_channel, r.show) == ("c1", None)
    assert r.ack is not None and r.ack["type"] == "clear"


def test_content_available_push_does_not_wake_a_killed_app() -> None:
    clear = {"aps": {"content-available": 1}, "type": "clear", "ack_id": "a2", "channel_id": "c1"}
    r = receive_ios(clear, state=AppState.KILLED, app=MATTERMOST_IOS, now=NOW)
    assert (r.clear_channel, r.ack) == (None, None)
    assert r.outcome.startswith("not delivered")


def test_update_badge_only_sets_the_badge_and_is_not_acked() -> None:
    r = receive_ios({"aps": {"badge": 4}, "type": "update_badge", "ack_id": "a3"}, state=AppState.KILLED,
                    app=MATTERMOST_IOS, now=NOW)
    assert (r.badge, r.ack, r.show) == (4, None, None)


def test_test_push_has_no_ack_id_and_shows_nothing() -> None:
    r = receive_ios({"aps": {"content-available": 1}, "type": "test"}, state=AppState.BACKGROUND,
                    app=MATTERMOST_IOS, now=NOW)
    assert (r.show, r.ack) == (None, None)


@pytest.mark.parametrize(("payload", "state", "outcome"), [
    ({"type": "message"}, AppState.BACKGROUND, "dropped: no aps dictionary"),
    ({"aps": "nope"}, AppState.BACKGROUND, "dropped: no aps dictionary"),
    (message(), AppState.NOT_INSTALLED, "dropped: app not installed"),
])
def test_unusable_pushes_are_dropped_with_a_reason(payload: dict[str, Any], state: AppState, outcome: str) -> None:
    r = receive_ios(payload, state=state, app=MATTERMOST_IOS, now=NOW)
    assert (r.outcome, r.show, r.ack) == (outcome, None, None)
