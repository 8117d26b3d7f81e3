"""Every (app state × push type × platform) cell of §8.3, plus Android's own rules."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from fake_devices import (MATTERMOST_ANDROID, MATTERMOST_IOS, AppState, Permission, Platform, PowerState,
                          ServerInfo, android_texts, merge_id_loaded_android, merge_id_loaded_ios, receive_android,
                          receive_ios)
from simulator.signing import es256_jwt, new_p256_key, spki_b64

NOW = 1_767_225_600.0
KEY = new_p256_key()
TOKEN = "fcm-token-0001"
SERVER = ServerInfo(url="https://chat.test", diagnostic_id="diag1", signing_key=spki_b64(KEY), version="10.11.0")
SESSION_TEXT = "Session Expired: Please log in to continue receiving notifications."
GENERIC = "You've received a new message."
S = AppState
TYPES = ("message", "id_loaded", "clear", "update_badge", "session", "test")


def sig(ack_id: str) -> str:
    return es256_jwt(KEY, {"ack_id": ack_id, "device_id": TOKEN})


def ios_push(kind: str) -> dict[str, Any]:
    """An APNs payload as the proxy builds it (§4.2) for a v2 app."""
    custom: dict[str, Any] = {"type": "message" if kind == "id_loaded" else kind, "sub_type": "", "server_id": "diag1",
                              "is_crt_enabled": False, "ack_id": "a1", "signature": sig("a1")}
    alert = {"category": "CAN_REPLY", "sound": "default", "mutable-content": 1, "badge": 2}
    shapes: dict[str, dict[str, Any]] = {
        "message": {**alert, "alert": {"title": "Town Square", "body": "@frank: hi"}, "content-available": 1,
                    "thread-id": "c1"},
        "id_loaded": {**alert, "alert": {"body": GENERIC}, "content-available": 1, "thread-id": "c1"},
        "clear": {"badge": 1, "content-available": 1, "thread-id": "c1"},
        "update_badge": {"badge": 3},
        "session": {**alert, "alert": SESSION_TEXT},
        "test": {"content-available": 1},
    }
    aps = shapes[kind]
    if kind == "test":
        custom.pop("ack_id")
        custom["signature"] = "NO_SIGNATURE"
    if kind in ("message", "id_loaded", "clear"):
        custom.update(channel_id="c1", post_id="p1")
    if kind == "id_loaded":
        custom.update(id_loaded=True, version="v2")
    if kind == "message":
        custom.update(version="v2", channel_name="Town Square", sender_name="@frank", sender_id="u1")
    return {"aps": aps, **custom}


def android_data(kind: str) -> dict[str, str]:
    """An FCM data message as the proxy builds it (§5.3): every value a string."""
    data = {"ack_id": "a1", "type": "message" if kind == "id_loaded" else kind, "sub_type": "", "version": "v2",
            "channel_id": "c1" if kind in ("message", "id_loaded", "clear") else "", "is_crt_enabled": "false",
            "server_id": "diag1", "category": "CAN_REPLY" if kind in ("message", "id_loaded") else "",
            "signature": sig("a1"), "badge": "2"}
    if kind == "test":
        data.update(ack_id="", signature="NO_SIGNATURE", version="2")
        del data["badge"]
    if kind == "id_loaded":
        data.update(post_id="p1", message=GENERIC, id_loaded="true", sender_id="u9", sender_name="Someone", team_id="t1")
    if kind in ("message", "session"):
        data.update(team_id="t1", sender_id="u1", sender_name="@frank" if kind == "message" else "",
                    message="@frank: hi" if kind == "message" else SESSION_TEXT,
                    channel_name="Town Square" if kind == "message" else "", post_id="p1" if kind == "message" else "",
                    override_username="", override_icon_url="", from_webhook="")
    return data


class Cell(NamedTuple):
    outcome: str
    shown: bool = False
    acked: bool = False
    banner: bool = False
    log_out: bool = False


SHOWN, UNVERIFIED = Cell("shown", shown=True, acked=True), Cell("shown unverified", shown=True)
FETCH = Cell("fetching the content (id_loaded)", acked=True)
DROPPED = Cell("dropped: app not installed")
ANDROID_SKIP = Cell("dropped: Notification skipped because we could not verify it.")
KILLED_IOS = Cell("not delivered: iOS does not wake a force-quit app")

# (state, type) -> expected, for states NOT_INSTALLED handled separately. LOGGED_OUT has no server.
IOS: dict[tuple[AppState, str], Cell] = {
    (S.LOGGED_OUT, "message"): UNVERIFIED, (S.LOGGED_OUT, "id_loaded"): UNVERIFIED,
    (S.LOGGED_OUT, "clear"): Cell("ignored: unverified, passed to JS with verified=false"),
    (S.LOGGED_OUT, "update_badge"): Cell("badge updated"), (S.LOGGED_OUT, "session"): UNVERIFIED,
    (S.LOGGED_OUT, "test"): Cell("handled by the app: test"),
    (S.FOREGROUND, "message"): Cell("in-app banner (app in foreground)", acked=True, banner=True),
    (S.FOREGROUND, "id_loaded"): FETCH, (S.FOREGROUND, "clear"): Cell("cleared", acked=True),
    (S.FOREGROUND, "update_badge"): Cell("badge updated"),
    (S.FOREGROUND, "session"): Cell("logged out: session push", acked=True, log_out=True),
    (S.FOREGROUND, "test"): Cell("handled by the app: test"),
    (S.BACKGROUND, "message"): SHOWN, (S.BACKGROUND, "id_loaded"): FETCH,
    (S.BACKGROUND, "clear"): Cell("cleared", acked=True), (S.BACKGROUND, "update_badge"): Cell("badge updated"),
    (S.BACKGROUND, "session"): SHOWN, (S.BACKGROUND, "test"): Cell("handled by the app: test"),
    (S.KILLED, "message"): SHOWN, (S.KILLED, "id_loaded"): FETCH, (S.KILLED, "clear"): KILLED_IOS,
    (S.KILLED, "update_badge"): Cell("badge updated"), (S.KILLED, "session"): SHOWN, (S.KILLED, "test"): KILLED_IOS,
}
ANDROID: dict[tuple[AppState, str], Cell] = {
    **{(S.LOGGED_OUT, kind): ANDROID_SKIP for kind in TYPES},
    (S.FOREGROUND, "message"): Cell("in-app banner (app in foreground)", acked=True, banner=True),
    (S.FOREGROUND, "id_loaded"): FETCH, (S.FOREGROUND, "clear"): Cell("cleared", acked=True),
    (S.FOREGROUND, "update_badge"): Cell("handled by the app: update_badge", acked=True),
    (S.FOREGROUND, "session"): Cell("logged out: session push", acked=True, log_out=True),
    (S.FOREGROUND, "test"): ANDROID_SKIP,  # NO_SIGNATURE from a 10.x server fails verification
    (S.BACKGROUND, "message"): SHOWN, (S.BACKGROUND, "id_loaded"): FETCH,
    (S.BACKGROUND, "clear"): Cell("cleared", acked=True),
    (S.BACKGROUND, "update_badge"): Cell("handled by the app: update_badge", acked=True),
    (S.BACKGROUND, "session"): Cell("logged out: session push", shown=True, acked=True, log_out=True),
    (S.BACKGROUND, "test"): ANDROID_SKIP,
    (S.KILLED, "message"): SHOWN, (S.KILLED, "id_loaded"): FETCH, (S.KILLED, "clear"): Cell("cleared", acked=True),
    (S.KILLED, "update_badge"): Cell("nothing to show: update_badge", acked=True),
    (S.KILLED, "session"): Cell("shown", shown=True, acked=True), (S.KILLED, "test"): ANDROID_SKIP,
}
CELLS = [(Platform.IOS, state, kind) for state in AppState for kind in TYPES] + \
        [(Platform.ANDROID, state, kind) for state in AppState for kind in TYPES]


def decide(platform: Platform, state: AppState, kind: str) -> Any:
    server = None if state is S.LOGGED_OUT else SERVER
    if platform is Platform.IOS:
        return receive_ios(ios_push(kind), state=state, app=MATTERMOST_IOS, now=NOW, server=server, token=TOKEN)
    return receive_android(android_data(kind), state=state, app=MATTERMOST_ANDROID, now=NOW, server=server,
                           token=TOKEN)


@pytest.mark.parametrize(("platform", "state", "kind"), CELLS, ids=lambda v: getattr(v, "value", v))
def test_receive_rules(platform: Platform, state: AppState, kind: str) -> None:
    expected = DROPPED if state is S.NOT_INSTALLED else (IOS if platform is Platform.IOS else ANDROID)[(state, kind)]
    r = decide(platform, state, kind)
    assert (r.outcome, r.show is not None, r.ack is not None, r.in_app_banner is not None, r.log_out) == expected
    if r.ack is not None:
        assert r.ack["id"] == "a1" and r.ack["platform"] == platform.value and r.ack["received_at"] == NOW * 1000


def test_every_cell_is_specified() -> None:
    installed = [s for s in AppState if s is not S.NOT_INSTALLED]
    assert set(IOS) == set(ANDROID) == {(s, k) for s in installed for k in TYPES}


def test_android_shows_title_sender_and_body_by_the_heuristics() -> None:
    r = decide(Platform.ANDROID, S.BACKGROUND, "message")
    assert r.show is not None
    assert (r.show.title, r.show.sender, r.show.body, r.show.group) == ("Town Square", "@frank", "hi", "c1")


@pytest.mark.parametrize(("data", "expected"), [
    ({"channel_name": "Town Square", "sender_name": "@frank", "message": "@frank: hi"}, ("Town Square", "@frank", "hi")),
    ({"channel_name": "@frank", "message": "hello"}, ("@frank", "@frank", "hello")),
    ({"message": "frank: hey there"}, ("", "frank", "hey there")),
    ({"sender_name": "@bot", "message": "no prefix"}, ("@bot", "@bot", "no prefix")),
    ({"title": "T", "message": "plain"}, ("T", "", "plain")),
])
def test_android_title_and_sender_heuristics(data: dict[str, str], expected: tuple[str, str, str]) -> None:
    assert android_texts(data) == expected


def test_android_groups_by_root_with_crt_else_by_channel() -> None:
    data = {**android_data("message"), "root_id": "r1"}
    crt = {**data, "is_crt_enabled": "true", "signature": sig("a1")}
    kw: dict[str, Any] = dict(state=S.KILLED, app=MATTERMOST_ANDROID, now=NOW, server=SERVER, token=TOKEN)
    assert receive_android(data, **kw).show.group == "c1"  # type: ignore[union-attr]
    assert receive_android(crt, **kw).show.group == "r1"  # type: ignore[union-attr]


def test_android_refuses_non_string_data_values() -> None:
    r = receive_android({**android_data("message"), "badge": 2}, state=S.KILLED, app=MATTERMOST_ANDROID, now=NOW,
                        server=SERVER, token=TOKEN)
    assert r.outcome == "dropped: FCM data values must be strings (badge)" and r.ack is None


def test_android_doze_defers_normal_priority_but_not_high() -> None:
    kw: dict[str, Any] = dict(state=S.BACKGROUND, app=MATTERMOST_ANDROID, now=NOW, server=SERVER, token=TOKEN,
                              power=PowerState.DOZE)
    assert receive_android(android_data("message"), priority="normal", **kw).outcome.startswith("deferred: ")
    assert receive_android(android_data("message"), priority="high", **kw).outcome == "shown"


def test_android_without_permission_acks_but_shows_nothing() -> None:
    r = receive_android(android_data("message"), state=S.BACKGROUND, app=MATTERMOST_ANDROID, now=NOW, server=SERVER,
                        token=TOKEN, permission=Permission.DENIED)
    assert (r.show, r.ack is not None, r.outcome) == (None, True, "not shown: notifications are not allowed for the app")


def test_android_drops_a_forged_push_after_acking_it() -> None:
    forged = {**android_data("message"), "signature": es256_jwt(new_p256_key(), {"ack_id": "a1", "device_id": TOKEN})}
    r = receive_android(forged, state=S.KILLED, app=MATTERMOST_ANDROID, now=NOW, server=SERVER, token=TOKEN)
    assert r.show is None and r.ack is not None and r.signature == "Cannot verify JWT: signature is invalid"


def test_acked_id_loaded_pushes_are_decided_on_the_merged_content() -> None:
    response = {"message": "@frank: the real text", "channel_name": "Town Square", "sender_name": "@frank",
                "post_id": "p1", "ignored": 5}
    ios = merge_id_loaded_ios(ios_push("id_loaded"), response)
    r = receive_ios(ios, state=S.BACKGROUND, app=MATTERMOST_IOS, now=NOW, server=SERVER, token=TOKEN, acked=True)
    assert r.show is not None and (r.show.title, r.show.body) == ("Town Square", "@frank: the real text")
    assert r.ack is None and r.outcome == "shown"
    data = merge_id_loaded_android(android_data("id_loaded"), response)
    assert "ignored" not in data
    r = receive_android(data, state=S.BACKGROUND, app=MATTERMOST_ANDROID, now=NOW, server=SERVER, token=TOKEN,
                        acked=True)
    assert r.show is not None and (r.show.title, r.show.sender, r.show.body) == ("Town Square", "@frank",
                                                                                 "the real text")


def test_without_a_response_the_generic_id_loaded_text_stays() -> None:
    ios = merge_id_loaded_ios(ios_push("id_loaded"), None)
    r = receive_ios(ios, state=S.KILLED, app=MATTERMOST_IOS, now=NOW, server=SERVER, token=TOKEN, acked=True)
    assert r.show is not None and r.show.body == GENERIC
    data = merge_id_loaded_android(android_data("id_loaded"), None)
    r = receive_android(data, state=S.KILLED, app=MATTERMOST_ANDROID, now=NOW, server=SERVER, token=TOKEN, acked=True)
    assert r.show is not None and (r.show.title, r.show.body) == ("Someone", GENERIC)
