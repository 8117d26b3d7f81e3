"""The push pipeline end to end over TLS: ping/test push, proxy answers, REMOVE, TLS trust, the bounded
hub, the push-server setting at run time, clear / update_badge producers, acks, and the logs (§7)."""

from __future__ import annotations

import asyncio
import json

import pytest

from simulator.chat.models import HPNS_URL, ChatConfig
from simulator.chat.pusher import LICENSE_WARNING
from simulator.events import LogLine
from simulator.tls import Pki

from .test_chat_kit import (ChatKit, FakeProxy, Town, admin_token, build_town, decision, kit,  # noqa: F401
                            patch_config, patch_props, post, pushes_to)

ALICE = Town.device("alice")
TABLET = "android_rn-v2:alice-tablet-token"


# ---------------------------------------------------------------- ping: CanReceiveNotifications (§7.7, §8.2)
@pytest.mark.parametrize(("answer", "expected"), [
    ({"status": "OK"}, "true"),
    ({"status": "REMOVE"}, "false"),
    ({"status": "FAIL", "error": "bad token"}, "unknown"),
])
async def test_ping_sends_the_test_push_and_reports_the_answer(kit: ChatKit, answer: dict[str, str],
                                                                expected: str) -> None:
    kit.proxy.answer = answer
    got = await kit.ok("GET", f"/api/v4/system/ping?time=1&device_id={ALICE}")
    assert got["CanReceiveNotifications"] == expected
    (push,) = kit.proxy.pushes
    assert push == {"ack_id": "", "platform": "apple_rn-v2", "server_id": kit.core.diagnostic_id,
                    "device_id": "alice-iphone-token", "post_id": "", "badge": -1, "type": "test", "version": "2",
                    "is_crt_enabled": False, "is_id_loaded": False, "signature": ""}
    errors = [line.message for line in kit.server.log_lines("ERROR")]
    assert errors == (["Push proxy failed to send test notification"] if expected == "unknown" else [])


async def test_ping_says_false_without_asking_when_push_is_off(kit: ChatKit) -> None:
    await patch_config(kit, {"EmailSettings": {"SendPushNotifications": False}})
    got = await kit.ok("GET", f"/api/v4/system/ping?device_id={ALICE}")
    assert got["CanReceiveNotifications"] == "false" and kit.proxy.pushes == []
    assert "CanReceiveNotifications" not in await kit.ok("GET", "/api/v4/system/ping")


# ---------------------------------------------------------------- TLS trust of the proxy (§7.9, §7.10)
async def test_a_proxy_certificate_from_another_ca_is_a_logged_send_error(pki: Pki) -> None:
    async with ChatKit(pki, proxy_pki=Pki(organization="stranger")) as kit:
        town = await build_town(kit)
        sent = await post(kit, town, "frank", "hey @alice")
        assert decision(kit, sent["id"], "alice").send
        await kit.settle()
        assert kit.proxy.pushes == []  # the handshake failed: nothing reached the impostor
        (line,) = kit.server.log_lines("ERROR")
        fields = dict(line.fields)
        assert (line.message, fields["reason"], fields["device_id"]) == (
            "Failed to send to push proxy", "push_proxy_send_error", ALICE)
        assert "CERTIFICATE_VERIFY_FAILED" in fields["error"]
        assert (await kit.ok("GET", f"/api/v4/system/ping?device_id={ALICE}"))["CanReceiveNotifications"] == "unknown"


async def test_a_proxy_certificate_from_the_world_ca_is_trusted(kit: ChatKit) -> None:
    town = await build_town(kit)
    await post(kit, town, "frank", "hey @alice")
    assert len(await pushes_to(kit, ALICE)) == 1 and kit.server.log_lines("ERROR") == []


# ---------------------------------------------------------------- answers: REMOVE and FAIL
async def test_remove_stops_pushes_to_that_device(kit: ChatKit) -> None:
    town = await build_town(kit)
    kit.proxy.answer = {"status": "REMOVE"}
    await post(kit, town, "frank", "hey @alice")
    assert len(await pushes_to(kit, ALICE)) == 1
    (line,) = kit.server.log_lines("ERROR")
    assert dict(line.fields)["reason"] == "push_proxy_remove_device"
    kit.proxy.answer = {"status": "OK"}
    again = await post(kit, town, "frank", "hey @alice, again")
    assert decision(kit, again["id"], "alice").send  # the user is still eligible …
    assert len(await pushes_to(kit, ALICE)) == 1  # … but the dead device gets nothing


async def test_fail_is_logged_and_the_device_kept(kit: ChatKit) -> None:
    town = await build_town(kit)
    kit.proxy.answer = {"status": "FAIL", "error": "apns said no"}
    await post(kit, town, "frank", "hey @alice")
    await kit.settle()
    (line,) = kit.server.log_lines("ERROR")
    assert (dict(line.fields)["reason"], dict(line.fields)["error"]) == ("push_proxy_error", "apns said no")
    kit.proxy.answer = {"status": "OK"}
    await post(kit, town, "frank", "hey @alice, again")
    assert len(await pushes_to(kit, ALICE)) == 2


# ---------------------------------------------------------------- the bounded hub (§7.3 step 6)
async def test_a_full_buffer_blocks_the_posting_request_until_a_push_is_answered(pki: Pki) -> None:
    async with ChatKit(pki, config=ChatConfig(push_notification_buffer=1), concurrency=1) as kit:
        town = await build_town(kit)
        kit.proxy.hold = asyncio.Event()
        await post(kit, town, "frank", "one @alice")
        await kit.proxy.next_push()  # in flight, held by the proxy
        await post(kit, town, "frank", "two @alice")  # waits in the buffer
        assert (kit.gateway.in_flight, kit.gateway.queued) == (1, 1)
        third = asyncio.ensure_future(post(kit, town, "frank", "three @alice"))
        done, _ = await asyncio.wait({third}, timeout=0.3)
        assert not done, "the third post must wait for buffer space"
        kit.proxy.hold.set()
        await asyncio.wait_for(third, 5)
        messages = [p["message"] for p in await pushes_to(kit, ALICE)]
        assert messages == ["@frank: one @alice", "@frank: two @alice", "@frank: three @alice"]


async def test_at_most_concurrency_pushes_are_in_flight(pki: Pki) -> None:
    async with ChatKit(pki, concurrency=2) as kit:
        town = await build_town(kit)
        kit.proxy.hold = asyncio.Event()
        for n in range(5):
            await post(kit, town, "frank", f"{n} @alice")  # the buffer has room: no post waits
        await kit.proxy.next_push()
        await kit.proxy.next_push()
        assert (kit.gateway.in_flight, kit.gateway.queued, len(kit.proxy.pushes)) == (2, 3, 2)
        kit.proxy.hold.set()
        assert len(await pushes_to(kit, ALICE)) == 5 and (kit.gateway.in_flight, kit.gateway.queued) == (0, 0)


# ---------------------------------------------------------------- the push-server setting at run time (§7.1)
async def test_push_server_url_changes_at_run_time(kit: ChatKit, pki: Pki) -> None:
    town = await build_town(kit)
    async with FakeProxy(pki.server_context("other-proxy.pushsim.test")) as other:
        await patch_config(kit, {"EmailSettings": {"PushNotificationServer": other.url + "/"}})
        await post(kit, town, "frank", "hey @alice")
        assert (await other.next_push())["message"] == "@frank: hey @alice"
        assert kit.proxy.pushes == []
        await kit.settle()


async def test_console_choice_of_hpns_without_a_licence_logs_the_exact_lines(kit: ChatKit) -> None:
    town = await build_town(kit)
    admin = await admin_token(kit)
    view = await kit.ok("PUT", "/pushsim/v1/push_server", token=admin, body={"option": "hpns"})
    assert view["Enable Push Notifications"] == (
        "Use HPNS connection with uptime SLA to send notifications to iOS and Android apps")
    assert view["Push Notification Server"] == HPNS_URL
    sent = await post(kit, town, "frank", "hey @alice")
    assert decision(kit, sent["id"], "alice").reason == "license_missing"
    warnings = [(line.message, dict(line.fields).get("logger", "main")) for line in kit.server.log_lines("WARN")]
    assert warnings == [("Push notifications are disabled - license missing", "notifications"),
                        (LICENSE_WARNING, "main")]
    assert LICENSE_WARNING == ("Push notifications have been disabled. Update your license or go to System Console "
                               "> Environment > Push Notification Server to use a different server")
    assert await pushes_to(kit, ALICE) == []


# ---------------------------------------------------------------- other producers (§7.7)
async def test_viewing_a_channel_clears_the_other_devices_only(kit: ChatKit) -> None:
    town = await build_town(kit)
    tablet = await kit.login("alice", device_id=TABLET)
    await post(kit, town, "frank", "hey @alice")
    await kit.settle()
    kit.proxy.pushes.clear()
    await kit.ok("POST", "/api/v4/channels/members/me/view", token=town.tokens["alice"],
                 body={"channel_id": town.town, "prev_channel_id": ""})
    (clear,) = await pushes_to(kit, TABLET)
    assert (clear["type"], clear["channel_id"], clear["cont_ava"], clear["version"]) == ("clear", town.town, 1, "v2")
    assert "badge" not in clear  # 0 is omitted, as Go's omitempty does
    assert await pushes_to(kit, ALICE) == []  # the viewing session itself is skipped
    await kit.ok("POST", "/api/v4/channels/members/me/view", token=tablet,
                 body={"channel_id": town.town, "prev_channel_id": ""})
    assert len(await pushes_to(kit, ALICE)) == 0  # nothing unread any more: no clear


async def test_viewing_unread_non_mentions_clears_only_for_push_all(kit: ChatKit) -> None:
    town = await build_town(kit)
    tablet = await kit.login("alice", device_id=TABLET)
    await post(kit, town, "frank", "no mention")
    await kit.ok("POST", "/api/v4/channels/members/me/view", token=tablet, body={"channel_id": town.town})
    assert await pushes_to(kit, ALICE) == []
    await patch_props(kit, town, "alice", push="all")
    await post(kit, town, "frank", "still no mention")
    await kit.settle()
    kit.proxy.pushes.clear()
    await kit.ok("POST", "/api/v4/channels/members/me/view", token=tablet, body={"channel_id": town.town})
    assert [p["type"] for p in await pushes_to(kit, ALICE)] == ["clear"]


async def test_set_unread_sends_update_badge_to_every_device(kit: ChatKit) -> None:
    town = await build_town(kit)
    await kit.login("alice", device_id=TABLET)
    sent = await post(kit, town, "frank", "hey @alice")
    await kit.ok("POST", "/api/v4/channels/members/me/view", token=town.tokens["alice"], body={"channel_id": town.town})
    await kit.settle()
    kit.proxy.pushes.clear()
    unread = await kit.ok("POST", f"/api/v4/users/{town.ids['alice']}/posts/{sent['id']}/set_unread",
                          token=town.tokens["alice"])
    assert (unread["channel_id"], unread["mention_count"], unread["msg_count"]) == (town.town, 1, 0)
    await kit.settle()
    got = sorted((f"{p['platform']}:{p['device_id']}", p["type"], p["badge"], p["sound"], p["cont_ava"])
                 for p in kit.proxy.pushes)
    assert got == sorted((device, "update_badge", 1, "none", 1) for device in (ALICE, TABLET))
    status, error = await kit.call("POST", f"/api/v4/users/{town.ids['alice']}/posts/{sent['id']}/set_unread",
                                   token=town.tokens["bob"])
    assert (status, error["id"]) == (403, "api.context.permissions.app_error")


# ---------------------------------------------------------------- acks (§7.11)
async def test_ack_is_forwarded_and_id_loaded_gets_full_content_when_licensed(kit: ChatKit) -> None:
    town = await build_town(kit)
    await patch_config(kit, {"EmailSettings": {"PushNotificationContents": "id_loaded"}})
    sent = await post(kit, town, "frank", "hey @alice")
    (push,) = await pushes_to(kit, ALICE)
    ack = {"id": push["ack_id"], "received_at": 1, "platform": "ios", "type": "message", "post_id": sent["id"],
           "is_id_loaded": True}
    status, body = await kit.call("POST", "/api/v4/notifications/ack", token=town.tokens["alice"], body=ack)
    assert (status, body["id"]) == (302, "api.system.id_loaded.not_available.app_error")  # no licence
    kit.core.configure(licensed=True)
    content = await kit.ok("POST", "/api/v4/notifications/ack", token=town.tokens["alice"], body=ack)
    assert (content["message"], content["channel_name"], content["sender_name"]) == (
        "@frank: hey @alice", "Town Square", "@frank")
    assert [a["id"] for a in kit.proxy.acks] == [push["ack_id"]] * 2  # forwarded both times
    plain = {**ack, "is_id_loaded": False}
    assert await kit.ok("POST", "/api/v4/notifications/ack", token=town.tokens["alice"], body=plain) == {
        "status": "OK"}


async def test_ack_when_push_is_off_is_501(kit: ChatKit) -> None:
    town = await build_town(kit)
    await patch_config(kit, {"EmailSettings": {"SendPushNotifications": False}})
    status, body = await kit.call("POST", "/api/v4/notifications/ack", token=town.tokens["alice"],
                                  body={"id": "x", "platform": "ios", "type": "message"})
    assert (status, body["id"], body["message"]) == (501, "api.push_notification.disabled.app_error",
                                                     "Push Notifications are disabled on this server.")
    assert kit.proxy.acks == []


# ---------------------------------------------------------------- logs (§7.10)
async def test_debug_push_line_is_on_the_bus_but_only_in_the_file_at_debug(kit: ChatKit) -> None:
    town = await build_town(kit)
    await post(kit, town, "frank", "hey @alice")
    await kit.settle()
    wanted = "Sending push notification to alice-iphone-token wi msg of '@frank: hey @alice'"
    assert [e.level for e in kit.bus.find(LogLine, lambda e: e.message == wanted)] == ["DEBUG"]
    assert kit.server.log_lines() == []  # FileLevel ERROR (the default here)
    await patch_config(kit, {"LogSettings": {"FileLevel": "DEBUG"}})
    assert wanted in [line.message for line in kit.server.log_lines()]
    admin = await admin_token(kit)
    console = await kit.ok("GET", "/pushsim/v1/logs", token=admin)
    assert f"[2026/01/01 00:00:00 UTC] [DEBG] {wanted}" in console
    records = [json.loads(line) for line in await kit.ok("GET", "/pushsim/v1/logs?format=json&level=TRACE",
                                                          token=admin)]
    sent = next(r for r in records if r["msg"] == "Notification sent to push proxy")
    assert (sent["level"], sent["logger"], sent["device_id"], sent["timestamp"]) == (
        "trace", "notifications", ALICE, "2026-01-01 00:00:00.000 Z")
    status, body = await kit.call("GET", "/pushsim/v1/logs", token=town.tokens["alice"])
    assert (status, body["id"]) == (403, "api.context.permissions.app_error")
