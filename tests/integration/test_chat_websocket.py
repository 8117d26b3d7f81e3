"""``/api/v4/websocket``: header auth and ``authentication_challenge``, hello, posted, status_change,
and presence actions (§7.4 "online/away" come from here)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from simulator.chat.models import StatusChanged

from .test_chat_kit import ChatKit, build_town, kit, post  # noqa: F401


async def connect(kit: ChatKit, token: str = "") -> aiohttp.ClientWebSocketResponse:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await kit.http.ws_connect(kit.url.replace("https", "wss") + "/api/v4/websocket", ssl=kit.tls,
                                     headers=headers)


async def frame(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    return dict(await ws.receive_json(timeout=5))


async def online(kit: ChatKit, token: str) -> aiohttp.ClientWebSocketResponse:
    """Connect with header auth; read ``hello`` and the ``status_change`` to online that follows it."""
    ws = await connect(kit, token)
    hello, changed = await frame(ws), await frame(ws)
    assert (hello["event"], changed["event"], changed["data"]["status"]) == ("hello", "status_change", "online")
    return ws


async def test_header_auth_gets_hello_then_posted(kit: ChatKit) -> None:
    town = await build_town(kit)
    ws = await connect(kit, town.tokens["alice"])
    hello, changed = await frame(ws), await frame(ws)
    assert (hello["event"], hello["seq"], hello["broadcast"]["user_id"]) == ("hello", 0, town.ids["alice"])
    assert (changed["event"], changed["seq"], changed["data"]["status"]) == ("status_change", 1, "online")
    sent = await post(kit, town, "frank", "hi all")
    posted = await frame(ws)
    assert (posted["event"], posted["seq"], posted["data"]["channel_name"]) == ("posted", 2, "town-square")
    assert json.loads(posted["data"]["post"])["id"] == sent["id"]
    assert posted["data"]["sender_name"] == "@frank"
    await ws.close()


async def test_bad_header_token_is_refused_before_the_upgrade(kit: ChatKit) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await connect(kit, "x" * 26)
    assert info.value.status == 401


async def test_authentication_challenge(kit: ChatKit) -> None:
    town = await build_town(kit)
    ws = await connect(kit)
    await ws.send_json({"seq": 1, "action": "user_typing", "data": {"channel_id": town.town}})
    refused = await frame(ws)
    assert (refused["status"], refused["seq_reply"], refused["error"]["id"]) == (
        "FAIL", 1, "api.web_socket_router.not_authenticated.app_error")
    await ws.send_json({"seq": 2, "action": "authentication_challenge", "data": {"token": town.tokens["alice"]}})
    hello, changed, ok = await frame(ws), await frame(ws), await frame(ws)
    assert (hello["event"], hello["seq"]) == ("hello", 0)  # hello first, then the answer (server order)
    assert (changed["event"], changed["data"]["status"]) == ("status_change", "online")
    assert ok == {"status": "OK", "seq_reply": 2}
    assert kit.core.status_of(town.ids["alice"]).status == "online"
    await ws.close()


async def test_a_bad_challenge_token_closes_the_socket(kit: ChatKit) -> None:
    ws = await connect(kit)
    await ws.send_json({"seq": 1, "action": "authentication_challenge", "data": {"token": "x" * 26}})
    msg = await ws.receive(timeout=5)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


async def test_status_change_events_follow_presence(kit: ChatKit) -> None:
    town = await build_town(kit)
    ws = await online(kit, town.tokens["alice"])
    changed = kit.bus.find(StatusChanged, lambda e: e.user_id == town.ids["alice"])
    assert [e.status for e in changed] == ["online"]
    await kit.ok("PUT", "/api/v4/users/me/status", token=town.tokens["alice"],
                 body={"user_id": town.ids["alice"], "status": "dnd"})
    event = await frame(ws)
    assert (event["event"], event["data"]) == ("status_change", {"status": "dnd", "user_id": town.ids["alice"]})
    await ws.send_json({"seq": 7, "action": "get_statuses_by_ids", "data": {"user_ids": [town.ids["alice"]]}})
    assert await frame(ws) == {"status": "OK", "seq_reply": 7, "data": {town.ids["alice"]: "dnd"}}
    await ws.close()


async def test_inactivity_report_sets_away_only_after_the_timeout(kit: ChatKit) -> None:
    town = await build_town(kit)
    ws = await online(kit, town.tokens["alice"])
    inactive = {"action": "user_update_active_status", "data": {"user_is_active": False, "manual": False}}
    await ws.send_json({"seq": 1, **inactive})
    assert await frame(ws) == {"status": "OK", "seq_reply": 1}
    assert kit.core.status_of(town.ids["alice"]).status == "online"  # active a moment ago
    kit.clock.advance(301)  # past TeamSettings.UserStatusAwayTimeout (300 s)
    await ws.send_json({"seq": 2, **inactive})
    changed, answer = await frame(ws), await frame(ws)
    assert (changed["event"], changed["data"]["status"], answer) == ("status_change", "away",
                                                                     {"status": "OK", "seq_reply": 2})
    assert kit.core.status_of(town.ids["alice"]).status == "away"
    sent = await post(kit, town, "frank", "hey @alice")  # away + push_status=away: the push goes out
    (push,) = [p for p in await _pushes(kit) if p["post_id"] == sent["id"]]
    assert push["message"] == "@frank: hey @alice"
    await ws.close()


async def _pushes(kit: ChatKit) -> list[dict[str, Any]]:
    await kit.settle()
    return kit.proxy.pushes


async def test_unparseable_frames_get_an_error_and_the_socket_lives_on(kit: ChatKit) -> None:
    town = await build_town(kit)
    ws = await online(kit, town.tokens["alice"])
    await ws.send_str("{not json")
    bad = await frame(ws)
    assert (bad["status"], bad["error"]["id"]) == ("FAIL", "api.web_socket_router.no_action.app_error")
    await ws.send_json({"seq": 3, "action": "dance"})
    assert (await frame(ws))["error"]["id"] == "api.web_socket_router.bad_action.app_error"
    await ws.send_json({"seq": 4, "action": "ping"})
    assert (await frame(ws))["data"]["text"] == "pong"
    await ws.close()
