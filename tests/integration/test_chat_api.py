"""The REST surface: teams, channels, members, users, status, config — and every kind of bad input
answered with Mattermost's own error body (400/401/403/404/501), the server serving on afterwards."""

from __future__ import annotations

from typing import Any

import pytest

from .test_chat_kit import ChatKit, Town, admin_token, build_town, kit, post  # noqa: F401

ERROR_KEYS = {"id", "message", "detailed_error", "request_id", "status_code"}
UNKNOWN_ID = "qqqqqqqqqqqqqqqqqqqqqqqqqq"  # well-formed, but nobody has it


async def expect_error(kit: ChatKit, method: str, path: str, status: int, error_id: str, *, token: str = "",
                       body: Any = None, raw: bytes | None = None) -> dict[str, Any]:
    got, answer = await kit.call(method, path, token=token, body=body, raw=raw)
    assert (got, answer["id"]) == (status, error_id), answer
    assert set(answer) == ERROR_KEYS and answer["status_code"] == status and answer["request_id"]
    return answer


# ---------------------------------------------------------------- bad input, table-driven
BAD: list[tuple[str, str, str, Any, bytes | None, str, int, str]] = [
    # (id, method, path, json body, raw body, who, status, error id); who: "" = no token, "stale" = wrong token
    ("malformed login", "POST", "/api/v4/users/login", None, b"{nope", "", 400, "api.context.invalid_body_param.app_error"),
    ("login_id not a string", "POST", "/api/v4/users/login", {"login_id": 5}, None, "", 400,
     "api.context.invalid_body_param.app_error"),
    ("wrong password", "POST", "/api/v4/users/login", {"login_id": "alice", "password": "nope"}, None, "", 401,
     "api.user.login.invalid_credentials_email_username"),
    ("user without username", "POST", "/api/v4/users", {"password": "x"}, None, "", 400,
     "api.context.invalid_body_param.app_error"),
    ("duplicate username", "POST", "/api/v4/users", {"username": "alice", "password": "x"}, None, "", 400,
     "app.user.save.username_exists.app_error"),
    ("no token", "GET", "/api/v4/users/me", None, None, "", 401, "api.context.session_expired.app_error"),
    ("wrong token", "GET", "/api/v4/users/me", None, None, "stale", 401, "api.context.session_expired.app_error"),
    ("unknown user", "GET", f"/api/v4/users/{UNKNOWN_ID}", None, None, "bob", 404, "app.user.missing_account.const"),
    ("malformed user id", "GET", "/api/v4/users/not-an-id", None, None, "bob", 400,
     "api.context.invalid_url_param.app_error"),
    ("unknown channel", "GET", f"/api/v4/channels/{UNKNOWN_ID}", None, None, "bob", 404,
     "app.channel.get.existing.app_error"),
    ("unknown post", "GET", f"/api/v4/posts/{UNKNOWN_ID}", None, None, "bob", 404, "app.post.get.app_error"),
    ("post to unknown channel", "POST", "/api/v4/posts", {"channel_id": UNKNOWN_ID, "message": "x"}, None, "bob", 403,
     "api.context.permissions.app_error"),
    ("post without channel", "POST", "/api/v4/posts", {"message": "x"}, None, "bob", 400,
     "api.context.invalid_body_param.app_error"),
    ("post as array", "POST", "/api/v4/posts", [1], None, "bob", 400, "api.context.invalid_body_param.app_error"),
    ("reply to unknown root", "POST", "/api/v4/posts", {"channel_id": "TOWN", "message": "x", "root_id": UNKNOWN_ID},
     None, "bob", 400, "api.post.create_post.root_id.app_error"),
    ("patch someone else", "PUT", "/api/v4/users/ALICE/patch", {"first_name": "Eve"}, None, "bob", 403,
     "api.context.permissions.app_error"),
    ("notify props not strings", "PUT", "/api/v4/users/me/patch", {"notify_props": {"push": 1}}, None, "bob", 400,
     "api.context.invalid_body_param.app_error"),
    ("status of someone else", "PUT", "/api/v4/users/ALICE/status", {"user_id": "ALICE", "status": "dnd"}, None,
     "bob", 403, "api.context.permissions.app_error"),
    ("status ooo is not choosable", "PUT", "/api/v4/users/me/status", {"user_id": "BOB", "status": "ooo"}, None,
     "bob", 400, "api.context.invalid_body_param.app_error"),
    ("status body for another user", "PUT", "/api/v4/users/me/status", {"user_id": "ALICE", "status": "dnd"}, None,
     "bob", 400, "api.context.invalid_body_param.app_error"),
    ("bad push level", "PUT", "/api/v4/channels/TOWN/members/me/notify_props", {"push": "loud"}, None, "bob", 400,
     "model.channel_member.is_valid.push_level.app_error"),
    ("bad mark_unread", "PUT", "/api/v4/channels/TOWN/members/me/notify_props", {"mark_unread": "x"}, None, "bob",
     400, "model.channel_member.is_valid.unread_level.app_error"),
    ("notify props of someone else", "PUT", "/api/v4/channels/TOWN/members/ALICE/notify_props", {"push": "none"},
     None, "bob", 403, "api.context.permissions.app_error"),
    ("DM between two others", "POST", "/api/v4/channels/direct", ["ALICE", "FRANK"], None, "bob", 403,
     "api.context.permissions.app_error"),
    ("DM with a non-id", "POST", "/api/v4/channels/direct", ["ALICE", "x"], None, "bob", 400,
     "api.context.invalid_body_param.app_error"),
    ("GM too small", "POST", "/api/v4/channels/group", ["ALICE"], None, "bob", 400,
     "api.channel.create_group.bad_size.app_error"),
    ("channel of bad type", "POST", "/api/v4/channels", {"team_id": "TEAM", "name": "x1", "display_name": "X",
                                                         "type": "D"}, None, "bob", 400,
     "model.channel.is_valid.type.app_error"),
    ("view a malformed channel id", "POST", "/api/v4/channels/members/me/view", {"channel_id": "nope"}, None, "bob",
     400, "api.context.invalid_body_param.app_error"),
    ("config as non-admin", "PUT", "/api/v4/config/patch", {"EmailSettings": {}}, None, "bob", 403,
     "api.context.permissions.app_error"),
    ("client config without format", "GET", "/api/v4/config/client", None, None, "", 501,
     "api.config.client.old_format.app_error"),
    ("client config in a new format", "GET", "/api/v4/config/client?format=new", None, None, "", 400,
     "api.context.invalid_url_param.app_error"),
    ("ack not JSON", "POST", "/api/v4/notifications/ack", None, b"{{", "bob", 400,
     "api.push_notifications_ack.message.parse.app_error"),
    ("ack without id", "POST", "/api/v4/notifications/ack", {"platform": "ios", "type": "message"}, None, "bob", 400,
     "api.push_notifications_ack.message.parse.app_error"),
    ("unknown route", "GET", "/api/v4/nowhere", None, None, "", 404, "api.context.404.app_error"),
    ("wrong method", "DELETE", "/api/v4/users/login", None, None, "", 405, "api.context.405.app_error"),
]


def _fill(value: Any, town: Town) -> Any:
    names = {"TOWN": town.town, "TEAM": town.team_id, "ALICE": town.ids["alice"], "FRANK": town.ids["frank"],
             "BOB": town.ids["bob"]}
    if isinstance(value, str):
        for placeholder, real in names.items():
            value = value.replace(placeholder, real)
        return value
    if isinstance(value, list):
        return [_fill(v, town) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, town) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("method", "path", "body", "raw", "who", "status", "error_id"), [b[1:] for b in BAD],
                         ids=[b[0] for b in BAD])
async def test_bad_input_gets_mattermost_errors(kit: ChatKit, method: str, path: str, body: Any, raw: bytes | None,
                                                who: str, status: int, error_id: str) -> None:
    town = await build_town(kit)
    token = {"": "", "stale": "x" * 26}.get(who, town.tokens.get(who, ""))
    await expect_error(kit, method, _fill(path, town), status, error_id, token=token, body=_fill(body, town), raw=raw)
    assert (await kit.ok("GET", "/api/v4/users/me", token=town.tokens["bob"]))["username"] == "bob"  # still serving


# ---------------------------------------------------------------- resources that work
async def test_private_channel_is_readable_by_members_only(kit: ChatKit) -> None:
    town = await build_town(kit)
    secret = await kit.ok("POST", "/api/v4/channels", token=town.tokens["frank"], body={
        "team_id": town.team_id, "name": "secret", "display_name": "Secret", "type": "P"})
    assert (secret["type"], secret["creator_id"]) == ("P", town.ids["frank"])
    await expect_error(kit, "GET", f"/api/v4/channels/{secret['id']}", 403, "api.context.permissions.app_error",
                       token=town.tokens["alice"])
    await expect_error(kit, "POST", f"/api/v4/channels/{secret['id']}/members", 403,
                       "api.context.permissions.app_error", token=town.tokens["bob"], body={"user_id": town.ids["bob"]})
    member = await kit.ok("POST", f"/api/v4/channels/{secret['id']}/members", token=town.tokens["frank"],
                          body={"user_id": town.ids["alice"]})
    assert member["notify_props"]["push"] == "default"
    assert (await kit.ok("GET", f"/api/v4/channels/{secret['id']}", token=town.tokens["alice"]))["name"] == "secret"
    members = await kit.ok("GET", f"/api/v4/channels/{secret['id']}/members", token=town.tokens["alice"])
    assert {m["user_id"] for m in members} == {town.ids["frank"], town.ids["alice"]}


async def test_open_channel_self_join_and_mute(kit: ChatKit) -> None:
    town = await build_town(kit)
    ops = await kit.ok("POST", "/api/v4/channels", token=town.tokens["frank"], body={
        "team_id": town.team_id, "name": "ops", "display_name": "Ops", "type": "O"})
    assert (await kit.ok("GET", f"/api/v4/channels/{ops['id']}", token=town.tokens["bob"]))["display_name"] == "Ops"
    await kit.ok("POST", f"/api/v4/channels/{ops['id']}/members", token=town.tokens["alice"],
                 body={"user_id": town.ids["alice"]})
    await kit.ok("PUT", f"/api/v4/channels/{ops['id']}/members/{town.ids['alice']}/notify_props",
                 token=town.tokens["alice"], body={"mark_unread": "mention"})
    member = await kit.ok("GET", f"/api/v4/channels/{ops['id']}/members/me", token=town.tokens["alice"])
    assert member["notify_props"]["mark_unread"] == "mention"
    await expect_error(kit, "GET", f"/api/v4/channels/{ops['id']}/members/{town.ids['bob']}", 404,
                       "app.channel.get_member.missing.app_error", token=town.tokens["alice"])


async def test_user_resources(kit: ChatKit) -> None:
    town = await build_town(kit)
    bob = town.tokens["bob"]
    alice = await kit.ok("GET", f"/api/v4/users/{town.ids['alice']}", token=bob)
    assert alice == await kit.ok("GET", "/api/v4/users/username/alice", token=bob)
    patched = await kit.ok("PUT", "/api/v4/users/me/patch", token=bob, body={"nickname": "B", "notify_props": {}})
    assert patched["nickname"] == "B" and patched["notify_props"]["push"] == "mention"  # empty map = defaults
    replaced = await kit.ok("PUT", f"/api/v4/users/{town.ids['bob']}/patch", token=bob,
                            body={"notify_props": {"push": "all"}})
    assert replaced["notify_props"] == {"push": "all"}  # the patch replaces the map, as the server does
    assert [t["name"] for t in await kit.ok("GET", "/api/v4/users/me/teams", token=bob)] == ["eng"]
    (session,) = await kit.ok("GET", "/api/v4/users/me/sessions", token=town.tokens["alice"])
    assert session["device_id"] == Town.device("alice") and "token" not in session
    await kit.ok("POST", "/api/v4/users/logout", token=bob)
    await expect_error(kit, "GET", "/api/v4/users/me", 401, "api.context.session_expired.app_error", token=bob)


async def test_status_round_trip(kit: ChatKit) -> None:
    town = await build_town(kit)
    path = f"/api/v4/users/{town.ids['alice']}/status"
    assert (await kit.ok("GET", path, token=town.tokens["bob"]))["status"] == "offline"
    set_dnd = await kit.ok("PUT", path, token=town.tokens["alice"], body={"user_id": town.ids["alice"],
                                                                         "status": "dnd"})
    assert (set_dnd["status"], set_dnd["manual"]) == ("dnd", True)
    online = await kit.ok("PUT", "/api/v4/users/me/status", token=town.tokens["alice"],
                          body={"user_id": town.ids["alice"], "status": "online"})
    assert (online["status"], online["manual"]) == ("online", False)


async def test_posts_threads_and_channel_listing(kit: ChatKit) -> None:
    town = await build_town(kit)
    root = await post(kit, town, "frank", "root")
    reply = await post(kit, town, "bob", "reply", root_id=root["id"])
    thread = await kit.ok("GET", f"/api/v4/posts/{reply['id']}/thread", token=town.tokens["alice"])
    assert thread["order"] == [reply["id"], root["id"]] and set(thread["posts"]) == {root["id"], reply["id"]}
    listing = await kit.ok("GET", f"/api/v4/channels/{town.town}/posts", token=town.tokens["alice"])
    assert listing["order"] == [reply["id"], root["id"]]
    dm = await kit.ok("POST", "/api/v4/channels/direct", token=town.tokens["frank"],
                      body=[town.ids["frank"], town.ids["alice"]])
    secret = await post(kit, town, "frank", "psst", channel=dm["id"])
    await expect_error(kit, "GET", f"/api/v4/posts/{secret['id']}", 403, "api.context.permissions.app_error",
                       token=town.tokens["bob"])


async def test_config_view_and_patch_as_admin(kit: ChatKit) -> None:
    admin = await admin_token(kit)
    config = await kit.ok("GET", "/api/v4/config", token=admin)
    assert config["EmailSettings"]["PushNotificationBuffer"] == 1000
    assert config["LogSettings"]["FileLevel"] == "ERROR"
    patched = await kit.ok("PUT", "/api/v4/config/patch", token=admin, body={
        "EmailSettings": {"PushNotificationContents": "generic"}, "PluginSettings": {"Enable": True}})
    assert patched["EmailSettings"]["PushNotificationContents"] == "generic"
    console = await kit.ok("GET", "/pushsim/v1/console", token=admin)
    assert console["Push Notification Contents"] == "Generic description with sender and channel names"
    answer = await expect_error(kit, "PUT", "/api/v4/config/patch", 400, "api.context.invalid_body_param.app_error",
                                token=admin, body={"EmailSettings": {"PushNotificationContents": "everything"}})
    assert "PushNotificationContents" in answer["message"]
    assert kit.core.config.contents == "generic"  # a refused patch changes nothing
    client = await kit.ok("GET", "/api/v4/config/client?format=old")
    assert client["DiagnosticId"] == kit.core.diagnostic_id and client["AsymmetricSigningPublicKey"]
