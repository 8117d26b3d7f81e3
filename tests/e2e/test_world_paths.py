"""The whole world on the paths beyond the iOS/HPNS demo: Android through FCM, store-and-forward
for phones that are offline, and the chat server's push-server setting picking the proxy."""

from __future__ import annotations

import aiohttp
import pytest

from fake_apns import NotificationExpired, NotificationStored
from fake_devices import MATTERMOST_ANDROID, NotificationShown, enterprise_build, network
from fake_devices.models import Platform
from fake_fcm import MessageDelivered, MessageStored
from simulator import FakeClock, HopAttempted, SimConfig, Simulator
from simulator.chat.settings import PushServerOption
from simulator.proxy import Role
from simulator.story import DmCast, cast_dm_world, send_dm

DAY = 86400.0


async def shown(sim: Simulator, post_id: str, timeout: float = 5.0) -> NotificationShown:
    return await sim.bus.wait_for(NotificationShown, lambda e: e.notification.post_id == post_id, timeout=timeout)


async def backgrounded_android(sim: Simulator) -> DmCast:
    cast = await cast_dm_world(sim, app=MATTERMOST_ANDROID, model="Pixel 7", phone_name="account-a-pixel")
    await cast.phone.to_background()
    return cast


async def test_an_android_dm_travels_proxy_fcm_phone(sim: Simulator) -> None:
    cast = await backgrounded_android(sim)
    mark = sim.bus.mark()  # after the login's test push
    post = await send_dm(sim, cast, "Hello from B")
    note = (await shown(sim, post["id"])).notification
    await sim.settle()
    assert (note.title, note.body) == ("@accountb", "Hello from B")
    to_fcm = sim.bus.find(HopAttempted, lambda h: h.source == "proxy" and h.target == "fcm", since=mark)
    assert [h.ok for h in to_fcm if "messages:send" in h.operation] == [True]
    from_fcm = sim.bus.find(HopAttempted, lambda h: h.source == "fcm" and h.ids.post_id == post["id"])
    assert [h.target for h in from_fcm] == ["account-a-pixel"]
    acks = sim.bus.find(HopAttempted, lambda h: h.source == "account-a-pixel" and "notifications/ack" in h.operation)
    assert [h.ok for h in acks] == [True]


async def test_an_android_phone_of_an_unknown_firebase_project_gets_nothing(sim: Simulator) -> None:
    # A custom build registered with another Firebase project: the public proxy's service account
    # belongs to mattermost-rn, so FCM refuses the token (SENDER_ID_MISMATCH) and nothing is shown.
    sim.fcm_registry.add_project("acme-chat")
    sim.fcm_registry.add_app("acme-chat", "com.mattermost.rn")
    app = enterprise_build(name="Mattermost", bundle_id="com.mattermost.rn", platform=Platform.ANDROID,
                           push_project="acme-chat")
    cast = await cast_dm_world(sim, app=app, model="Pixel 7", phone_name="account-a-pixel")
    await cast.phone.to_background()
    post = await send_dm(sim, cast)
    failed = await sim.bus.wait_for(HopAttempted, lambda h: h.source == "proxy" and h.target == "fcm" and not h.ok,
                                    timeout=5)
    await sim.settle()
    assert "SENDER_ID_MISMATCH" in failed.outcome
    assert cast.phone.lock_screen() == [] and not sim.bus.find(MessageDelivered)
    assert post["message"] == "Hello"


async def test_an_offline_iphone_gets_the_stored_push_when_it_comes_back(sim: Simulator) -> None:
    cast = await cast_dm_world(sim)
    await cast.phone.to_background()
    cast.phone.set_network(network("offline"))
    post = await send_dm(sim, cast)
    stored = await sim.bus.wait_for(NotificationStored, timeout=5)
    await sim.settle()
    assert stored.push.payload["post_id"] == post["id"] and cast.phone.lock_screen() == []
    cast.phone.set_network(network("wifi"))
    note = (await shown(sim, post["id"])).notification
    assert note.body == "Hello"


async def test_a_stored_push_expires_when_the_phone_stays_away_past_its_lifetime(sim: Simulator) -> None:
    cast = await cast_dm_world(sim)
    await cast.phone.to_background()
    cast.phone.set_network(network("offline"))
    await send_dm(sim, cast)
    stored = await sim.bus.wait_for(NotificationStored, timeout=5)
    await sim.settle()
    await sim.advance(stored.expires_at - sim.clock() + 1)
    expired = sim.bus.find(NotificationExpired)
    assert [e.push.apns_id for e in expired] == [stored.push.apns_id]
    cast.phone.set_network(network("wifi"))
    assert cast.phone.lock_screen() == [] and not sim.bus.find(NotificationShown)


async def test_an_offline_android_phone_gets_the_stored_message_when_it_comes_back(sim: Simulator) -> None:
    cast = await backgrounded_android(sim)
    cast.phone.set_network(network("offline"))
    post = await send_dm(sim, cast)
    await sim.bus.wait_for(MessageStored, timeout=5)
    await sim.settle()
    assert cast.phone.lock_screen() == []
    cast.phone.set_network(network("4g"))
    assert (await shown(sim, post["id"])).notification.body == "Hello"


async def test_a_dozing_android_phone_still_gets_the_proxys_high_priority_message(sim: Simulator) -> None:
    cast = await backgrounded_android(sim)
    await cast.phone.sleep()
    cast.phone.doze()
    mark = sim.bus.mark()
    post = await send_dm(sim, cast)
    assert (await shown(sim, post["id"])).notification.body == "Hello"
    delivered = sim.bus.find(MessageDelivered, since=mark)
    assert [d.priority.value for d in delivered] == ["high"] and not sim.bus.find(MessageStored)


async def test_switching_the_push_server_to_tpns_sends_in_the_clear_to_the_tpns_proxy(sim: Simulator) -> None:
    cast = await cast_dm_world(sim)
    await cast.phone.to_background()
    sim.chat_core.choose_push_server(PushServerOption.TPNS)
    mark = sim.bus.mark()
    post = await send_dm(sim, cast)
    await shown(sim, post["id"])
    await sim.settle()
    send = sim.bus.find(HopAttempted, lambda h: h.source == "chat" and "send_push" in h.operation)[-1]
    assert send.encrypted is False and '"message": "Hello"' in (send.wire_field("body") or "")
    tpns = sim.bus.find(HopAttempted, lambda h: h.source == "tpns" and h.target.startswith("apns"), since=mark)
    assert [h.ok for h in tpns] == [True]
    assert not sim.bus.find(HopAttempted, lambda h: h.source == "proxy" and h.target.startswith("apns"), since=mark)


async def test_the_default_hpns_push_server_is_reached_over_tls(sim: Simulator) -> None:
    cast = await cast_dm_world(sim)
    await cast.phone.to_background()
    sim.chat_core.choose_push_server(PushServerOption.HPNS)
    post = await send_dm(sim, cast)
    await shown(sim, post["id"])
    send = sim.bus.find(HopAttempted, lambda h: h.source == "chat" and "send_push" in h.operation)[-1]
    assert send.encrypted is True
    assert not sim.bus.find(HopAttempted, lambda h: h.source == "tpns")


EAS = SimConfig(seed=11, role=Role.EAS, ios_bundle_id="com.example.acmechat", ios_push_type="apple_acme",
                team_id="ACMETEAM01", key_id="ACMEKEY001", android_package="com.example.acmechat",
                firebase_project_id="acme-chat")
ACME_IOS = enterprise_build(name="Acme Chat", bundle_id="com.example.acmechat", platform=Platform.IOS,
                            device_prefix="apple_acme")


@pytest.fixture
async def eas(clock: FakeClock) -> Simulator:
    async with Simulator(EAS, clock=clock) as world:
        yield world  # type: ignore[misc]


async def test_an_eas_world_reaches_its_own_app_through_its_own_proxy(eas: Simulator) -> None:
    cast = await cast_dm_world(eas, app=ACME_IOS)
    await cast.phone.to_background()
    post = await send_dm(eas, cast)
    note = (await shown(eas, post["id"])).notification
    assert note.app == "Acme Chat"
    send = eas.bus.find(HopAttempted, lambda h: h.source == "chat" and "send_push" in h.operation)[-1]
    assert send.target == "proxy" and eas.proxy is eas.proxies[Role.EAS]


async def test_the_public_hpns_proxy_does_not_know_an_eas_apps_push_type(eas: Simulator) -> None:
    cast = await cast_dm_world(eas, app=ACME_IOS)
    await cast.phone.to_background()
    eas.chat_core.choose_push_server(PushServerOption.HPNS)
    await send_dm(eas, cast)
    refused = await eas.bus.wait_for(HopAttempted, lambda h: h.source == "chat" and "send_push" in h.operation
                                     and not h.ok, timeout=5)
    await eas.settle()
    assert "missing platform property type=apple_acme" in refused.outcome
    assert cast.phone.lock_screen() == [] and not eas.bus.find(HopAttempted, lambda h: h.source == "hpns")


async def test_the_public_hpns_proxy_cannot_reach_an_eas_apps_token_even_with_the_public_type(eas: Simulator) -> None:
    # A custom build that reuses the public "apple_rn" type still has its own topic: Mattermost's key
    # pushes to com.mattermost.rn, and APNs refuses the custom app's token for that topic.
    app = enterprise_build(name="Acme Chat", bundle_id="com.example.acmechat", platform=Platform.IOS)
    cast = await cast_dm_world(eas, app=app)
    await cast.phone.to_background()
    eas.chat_core.choose_push_server(PushServerOption.HPNS)
    await send_dm(eas, cast)
    refused = await eas.bus.wait_for(HopAttempted, lambda h: h.source == "hpns" and h.target.startswith("apns")
                                     and not h.ok, timeout=5)
    await eas.settle()
    assert "DeviceTokenNotForTopic" in refused.outcome
    assert cast.phone.lock_screen() == []


async def test_the_worlds_control_apis_show_what_the_push_services_did(sim: Simulator) -> None:
    cast = await cast_dm_world(sim)
    android = sim.add_phone("pixel", model="Pixel 7")
    android.install(MATTERMOST_ANDROID)
    await android.log_in(sim.chat.url, "accounta", "Password-1234")
    await sim.settle()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sim.urls['apns_control']}/accepted", params={"token": cast.phone.app().token}) as r:
            apns = await r.json()
        async with http.get(f"{sim.urls['fcm_control']}/accepted", params={"token": android.app().token}) as r:
            fcm = await r.json()
        async with http.get(f"{sim.urls['apns_control']}/accepted", params={"token": "not-hex"}) as r:
            bad = (r.status, await r.json())
    assert [p["payload"]["type"] for p in apns] == ["test"]
    assert [(m["phone_id"], m["message"]["data"]["type"]) for m in fcm] == [("pixel", "test")]
    assert bad == (400, {"error": "token must be an even-length hex string", "field": "token"})
