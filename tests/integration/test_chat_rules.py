"""§7.4 decision rules and §7.5–§7.6 message/title rows, each through real HTTPS requests.

Every case sets the world up with the REST API (users, team, notify props, status, views, config
patches as an admin), has frank post, and then checks both sides: the server's verdict for alice
(``PushDecision``) and what reached the push proxy for alice's iPhone (or that nothing did).
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

import aiohttp
import pytest

from simulator.chat.models import HPNS_URL, TPNS_URL

from .test_chat_kit import (ChatKit, Town, build_town, decision, kit, patch_config, patch_props, post,  # noqa: F401
                            pushes_to)

Setup = Callable[[ChatKit, Town], Awaitable[Any]]
ALICE = Town.device("alice")


def props(**values: str) -> Setup:
    async def apply(kit: ChatKit, town: Town) -> None:
        await patch_props(kit, town, "alice", **values)
    return apply


def channel_props(**values: str) -> Setup:
    async def apply(kit: ChatKit, town: Town) -> None:
        await kit.ok("PUT", f"/api/v4/channels/{town.town}/members/me/notify_props", token=town.tokens["alice"],
                     body=values)
    return apply


def status(value: str) -> Setup:
    async def apply(kit: ChatKit, town: Town) -> None:
        await kit.ok("PUT", f"/api/v4/users/{town.ids['alice']}/status", token=town.tokens["alice"],
                     body={"user_id": town.ids["alice"], "status": value})
    return apply


def view(channel: str, *, then_wait: float = 0) -> Setup:
    async def apply(kit: ChatKit, town: Town) -> None:
        known = {"town": town.town, "": ""}
        channel_id = known[channel] if channel in known else (await kit.ok(
            "GET", f"/api/v4/teams/{town.team_id}/channels/name/{channel}", token=town.tokens["alice"]))["id"]
        await kit.ok("POST", "/api/v4/channels/members/me/view", token=town.tokens["alice"],
                     body={"channel_id": channel_id, "prev_channel_id": ""})
        kit.clock.advance(then_wait)
    return apply


def config(patch: dict[str, Any], *, licensed: bool = False) -> Setup:
    async def apply(kit: ChatKit, town: Town) -> None:
        await patch_config(kit, patch)
        if licensed:
            await kit.ok("PUT", "/pushsim/v1/license", token=await kit.login("admin"), body={"licensed": True})
    return apply


def both(*steps: Setup) -> Setup:
    async def apply(kit: ChatKit, town: Town) -> None:
        for step in steps:
            await step(kit, town)
    return apply


async def online_websocket(kit: ChatKit, town: Town) -> aiohttp.ClientWebSocketResponse:
    ws = await kit.http.ws_connect(kit.url.replace("https", "wss") + "/api/v4/websocket", ssl=kit.tls,
                                   headers={"Authorization": f"Bearer {town.tokens['alice']}"})
    assert (await ws.receive_json(timeout=5))["event"] == "hello"
    return ws


def _email(push_server: str) -> dict[str, Any]:
    return {"EmailSettings": {"PushNotificationServer": push_server}}


RULES: list[tuple[str, Setup, str, str]] = [
    ("mentioned while offline", props(), "hey @alice", ""),
    ("not mentioned, push=mention", props(), "hello everyone", "not_mentioned"),
    ("push=all without a mention", props(push="all"), "hello everyone", ""),
    ("push=none despite a mention", props(push="none"), "hey @alice", "level_set_to_none"),
    ("channel muted", channel_props(mark_unread="mention"), "hey @alice", "channel_muted"),
    ("channel push=all beats user mention", channel_props(push="all"), "hello everyone", ""),
    ("channel push=none beats user all", both(props(push="all"), channel_props(push="none")), "hey @alice",
     "level_set_to_none"),
    ("dnd", status("dnd"), "hey @alice", "user_status"),
    ("ooo from the auto-responder", props(auto_responder_active="true"), "hey @alice", "user_status"),
    ("manual away, push_status=away", status("away"), "hey @alice", ""),
    ("manual offline, push_status=offline", both(props(push_status="offline"), status("offline")), "hey @alice", ""),
    ("away, push_status=offline", both(props(push_status="offline"), status("away")), "hey @alice",
     "user_is_active"),
    ("online, push_status=online, viewing it", both(props(push_status="online"), view("town")), "hey @alice",
     "user_is_active"),
    ("online, push_status=online, viewed 21 s ago", both(props(push_status="online"), view("town", then_wait=21)),
     "hey @alice", ""),
    ("online, push_status=online, viewing another channel", both(props(push_status="online"), view("off-topic")),
     "hey @alice", ""),
    ("online, push_status=online, app in background", both(props(push_status="online"), view("town"), view("")),
     "hey @alice", ""),
    ("@channel", props(), "@channel deploy is done", ""),
    ("@all", props(), "@all deploy is done", ""),
    ("@here while offline", props(), "@here deploy is done", "not_mentioned"),
    ("@here while online", both(props(push_status="online"), status("online")), "@here deploy is done", ""),
    ("channel mentions ignored", channel_props(ignore_channel_mentions="on"), "@channel deploy", "not_mentioned"),
    ("push off", config({"EmailSettings": {"SendPushNotifications": False}}), "hey @alice", "push_disabled"),
    ("HPNS without a licence", config(_email(HPNS_URL)), "hey @alice", "license_missing"),
    ("HPNS with a licence", config(_email(HPNS_URL), licensed=True), "hey @alice", ""),
    ("TPNS", config(_email(TPNS_URL)), "hey @alice", ""),
]


@pytest.mark.parametrize(("setup", "text", "reason"), [r[1:] for r in RULES], ids=[r[0] for r in RULES])
async def test_decision_rule(kit: ChatKit, setup: Setup, text: str, reason: str) -> None:
    town = await build_town(kit)
    await setup(kit, town)
    sent = await post(kit, town, "frank", text)
    assert decision(kit, sent["id"], "alice").reason == reason
    pushes = await pushes_to(kit, ALICE)
    if reason:
        assert pushes == []
    else:
        (push,) = pushes
        assert (push["post_id"], push["type"], push["channel_id"]) == (sent["id"], "message", town.town)


async def test_online_user_with_an_open_websocket_is_active(kit: ChatKit) -> None:
    town = await build_town(kit)
    ws = await online_websocket(kit, town)
    try:
        sent = await post(kit, town, "frank", "hey @alice")
        assert decision(kit, sent["id"], "alice").reason == "user_is_active"
    finally:
        await ws.close()
    sent = await post(kit, town, "frank", "hey @alice")  # closing the last websocket made alice offline
    assert decision(kit, sent["id"], "alice").reason == ""
    assert [p["post_id"] for p in await pushes_to(kit, ALICE)] == [sent["id"]]


async def test_group_message_counts_as_a_mention(kit: ChatKit) -> None:
    town = await build_town(kit)
    gm = await kit.ok("POST", "/api/v4/channels/group", token=town.tokens["frank"],
                      body=[town.ids["alice"], town.ids["bob"]])
    sent = await post(kit, town, "frank", "hi", channel=gm["id"])
    assert decision(kit, sent["id"], "alice").reason == ""
    await patch_props(kit, town, "alice", push="none")
    silenced = await post(kit, town, "frank", "hi again", channel=gm["id"])
    assert decision(kit, silenced["id"], "alice").reason == "level_set_to_none"
    assert [p["post_id"] for p in await pushes_to(kit, ALICE)] == [sent["id"]]


async def test_test_notification_is_forced_past_dnd(kit: ChatKit) -> None:
    town = await build_town(kit)
    await status("dnd")(kit, town)
    assert await kit.ok("POST", "/api/v4/notifications/test", token=town.tokens["alice"]) == {"status": "OK"}
    (push,) = await pushes_to(kit, ALICE)
    assert (push["message"], push["channel_name"], push["sender_name"]) == (
        "If you received this test notification, it worked!", "@system-bot", "@system-bot")
    dnd_post = await post(kit, town, "frank", "hey @alice")  # an ordinary post still respects dnd
    assert decision(kit, dnd_post["id"], "alice").reason == "user_status"


# ---------------------------------------------------------------- §7.5/§7.6 worked examples
async def _dm(kit: ChatKit, town: Town) -> str:
    dm = await kit.ok("POST", "/api/v4/channels/direct", token=town.tokens["frank"],
                      body=[town.ids["frank"], town.ids["alice"]])
    return str(dm["id"])


async def _crt_on(kit: ChatKit, town: Town) -> None:
    await kit.ok("PUT", "/api/v4/users/me/preferences", token=town.tokens["alice"], body=[{
        "user_id": town.ids["alice"], "category": "display_settings", "name": "collapsed_reply_threads",
        "value": "on"}])


async def mention(kit: ChatKit, town: Town) -> None:
    await post(kit, town, "frank", "hey @alice look")


async def channel_wide(kit: ChatKit, town: Town) -> None:
    await post(kit, town, "frank", "@channel deploy")


async def general(kit: ChatKit, town: Town) -> None:
    await patch_props(kit, town, "alice", push="all")
    await post(kit, town, "frank", "hello")


async def direct(kit: ChatKit, town: Town) -> None:
    await post(kit, town, "frank", "hello", channel=await _dm(kit, town))


async def group(kit: ChatKit, town: Town) -> None:
    gm = await kit.ok("POST", "/api/v4/channels/group", token=town.tokens["frank"],
                      body=[town.ids["alice"], town.ids["bob"]])
    await post(kit, town, "frank", "hi", channel=gm["id"])


async def crt_reply(kit: ChatKit, town: Town) -> None:
    await _crt_on(kit, town)
    root = await post(kit, town, "alice", "plan?", set_online=False)
    await post(kit, town, "frank", "ship it", root_id=root["id"])


async def crt_dm_reply(kit: ChatKit, town: Town) -> None:
    await _crt_on(kit, town)
    dm = await _dm(kit, town)
    root = await post(kit, town, "alice", "plan?", channel=dm, set_online=False)
    await post(kit, town, "frank", "ship it", channel=dm, root_id=root["id"])


async def reply_to_own_post(kit: ChatKit, town: Town) -> None:
    await patch_props(kit, town, "alice", comments="root")
    root = await post(kit, town, "alice", "plan?", set_online=False)
    await post(kit, town, "frank", "ship it", root_id=root["id"])


async def reply_in_thread(kit: ChatKit, town: Town) -> None:
    await patch_props(kit, town, "alice", comments="any")
    root = await post(kit, town, "bob", "plan?")
    await post(kit, town, "alice", "agreed", root_id=root["id"], set_online=False)
    await post(kit, town, "frank", "ship it", root_id=root["id"])


TEXTS: list[tuple[Setup, str, str | None, str]] = [
    (mention, "generic", "Town Square", "@frank mentioned you."),
    (mention, "generic_no_channel", None, "@frank mentioned you."),
    (mention, "full", "Town Square", "@frank: hey @alice look"),
    (channel_wide, "generic", "Town Square", "@frank notified the channel."),
    (channel_wide, "full", "Town Square", "@frank: @channel deploy"),
    (general, "generic", "Town Square", "@frank posted a message."),
    (direct, "generic", "@frank", "sent you a message."),
    (direct, "generic_no_channel", "@frank", "sent you a message."),
    (direct, "full", "@frank", "hello"),
    (group, "full", "bob, frank", "@frank: hi"),
    (group, "generic", "bob, frank", "@frank posted a message."),
    (crt_reply, "generic", "Reply in Town Square", "@frank replied to a thread you're following."),
    (crt_reply, "generic_no_channel", None, "@frank replied to a thread you're following."),
    (crt_reply, "full", "Reply in Town Square", "@frank: ship it"),
    (crt_dm_reply, "generic", "Reply in Direct Message", "@frank replied to a thread."),
    (crt_dm_reply, "generic_no_channel", "@frank", "@frank replied to a thread you're following."),
    (crt_dm_reply, "full", "Reply in Direct Message", "@frank: ship it"),
    (reply_to_own_post, "generic", "Town Square", "@frank commented on your post."),
    (reply_in_thread, "generic", "Town Square", "@frank commented on a thread you participated in."),
]


@pytest.mark.parametrize(("scenario", "mode", "title", "message"), TEXTS,
                         ids=[f"{t[0].__name__}-{t[1]}" for t in TEXTS])
async def test_message_and_title(kit: ChatKit, scenario: Setup, mode: str, title: str | None, message: str) -> None:
    town = await build_town(kit)
    await patch_config(kit, {"EmailSettings": {"PushNotificationContents": mode}})
    await scenario(kit, town)
    (push,) = await pushes_to(kit, ALICE)
    assert push.get("channel_name") == title
    assert push["message"] == message
    assert (push["sender_name"], push["sender_id"], push["version"]) == ("@frank", town.ids["frank"], "v2")


@pytest.mark.parametrize(("licensed", "message", "title"), [
    (True, "You've received a new message.", None),
    (False, "@frank mentioned you.", "Town Square"),  # without the licence id_loaded falls back to generic
])
async def test_id_loaded_needs_the_licence(kit: ChatKit, licensed: bool, message: str, title: str | None) -> None:
    town = await build_town(kit)
    await config({"EmailSettings": {"PushNotificationContents": "id_loaded"}}, licensed=licensed)(kit, town)
    await mention(kit, town)
    (push,) = await pushes_to(kit, ALICE)
    assert (push["message"], push.get("channel_name"), push["is_id_loaded"]) == (message, title, licensed)
    assert push["sender_id"] == (town.ids["alice"] if licensed else town.ids["frank"])
