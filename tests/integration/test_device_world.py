"""Phones in a whole world: the real chat server signs, the real proxy builds the payloads, the phone
verifies with the server's published key, fetches id-loaded content, and an Android phone takes FCM
data through ``Fleet.deliver`` exactly as the iPhone takes APNs payloads."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from fake_devices import UNVERIFIED_IOS, NotificationShown, Phone, PushReceived
from simulator import FakeClock, HopAttempted, SimConfig, Simulator
from simulator.chat.models import ContentsMode
from simulator.proxy.models import PushNotification
from simulator.proxy.payload import build_fcm
from simulator.signing import new_p256_key, spki_b64
from simulator.story import PASSWORD
from tests.integration.test_device_links import World


class Dm:
    def __init__(self, world: World) -> None:
        self.world, self.sim = world, world.sim
        core = self.sim.chat_core
        self.b = core.create_user(username="accountb", password=PASSWORD)
        core.add_team_member(core.team_by_name("pushsim").id, self.b.id)
        self.client = self.sim.mattermost_client("account-b")
        self.token = ""

    async def send(self, message: str) -> dict[str, Any]:
        url = self.sim.chat.url
        if not self.token:
            self.token = await self.client.login(server_url=url, login_id="accountb", password=PASSWORD)
        channel = await self.client.direct_channel(server_url=url, token=self.token,
                                                   user_ids=(self.b.id, self.world.a.id))
        return await self.client.post(server_url=url, token=self.token, channel_id=channel["id"], message=message)


async def backgrounded(world: World, name: str = "a", model: str = "iPhone 6s Plus") -> Phone:
    phone = world.phone(name, model=model)
    await phone.log_in(world.sim.chat.url, "accounta", PASSWORD)
    await phone.to_background()
    return phone


@pytest.fixture
async def world(request: pytest.FixtureRequest) -> AsyncIterator[World]:
    contents = getattr(request, "param", ContentsMode.FULL)
    async with Simulator(SimConfig(seed=5, contents=contents), clock=FakeClock()) as sim:
        w = World(sim)
        try:
            yield w
        finally:
            await w.links.close()


async def shown(world: World, post_id: str) -> NotificationShown:
    return await world.sim.bus.wait_for(NotificationShown, lambda e: e.notification.post_id == post_id, timeout=5)


async def test_a_signed_push_is_verified_with_the_servers_published_key(world: World) -> None:
    phone = await backgrounded(world)
    post = await Dm(world).send("Hello")
    note = (await shown(world, post["id"])).notification
    await world.sim.settle()
    assert (note.title, note.body, note.verified) == ("@accountb", "Hello", True)
    assert phone.lock_screen() == ["00:00 [Mattermost] @accountb — Hello"]
    ack = world.sim.bus.find(HopAttempted, lambda h: h.source == "a" and h.operation == "POST /api/v4/notifications/ack")
    assert len(ack) == 1 and ack[0].ok


async def test_a_push_signed_with_another_key_says_it_could_not_be_verified(world: World) -> None:
    phone = await backgrounded(world)
    inst = phone.app()
    assert inst.server is not None
    inst.server = replace(inst.server, signing_key=spki_b64(new_p256_key()))  # not the key the server signs with
    post = await Dm(world).send("Hello")
    note = (await shown(world, post["id"])).notification
    await world.sim.settle()
    assert (note.body, note.verified) == (UNVERIFIED_IOS, False)
    assert phone.lock_screen()[-1].endswith("(unverified)")


@pytest.mark.parametrize("world", [ContentsMode.ID_LOADED], indirect=True)
async def test_id_loaded_content_is_fetched_through_the_ack(world: World) -> None:
    await backgrounded(world)
    mark = world.sim.bus.mark()
    post = await Dm(world).send("Hello")
    note = (await shown(world, post["id"])).notification
    await world.sim.settle()
    assert (note.title, note.body, note.verified) == ("@accountb", "Hello", True)
    pushed = world.sim.bus.find(PushReceived, lambda e: e.post_id == post["id"], since=mark)
    assert [e.outcome for e in pushed] == ["shown"]
    apns = world.sim.bus.find(HopAttempted, lambda h: h.source == "apns", since=mark)[-1]
    assert apns.outcome == "fetching the content (id_loaded)" and "received a new message" in (apns.wire_field("payload") or "")


def fcm_data(world: World, post_id: str) -> tuple[str, dict[str, str]]:
    """The FCM data the proxy would send for the chat server's push of ``post_id`` (§5.3)."""
    hop = world.sim.bus.find(HopAttempted, lambda h: h.operation == "POST /api/v1/send_push" and
                             h.ids.post_id == post_id)[-1]
    sent = PushNotification.from_json(json.dumps(json.loads(hop.wire_field("body") or "")).encode())
    message = build_fcm(sent)["message"]
    return message["token"], message["data"]


async def test_an_android_phone_takes_fcm_data_through_fleet_deliver(world: World) -> None:
    phone = await backgrounded(world, "g", model="Samsung Galaxy S6")
    post = await Dm(world).send("Hello")
    await world.sim.settle()
    token, data = fcm_data(world, post["id"])
    assert token == phone.app().token and data["signature"].count(".") == 2
    reception = world.sim.fleet.deliver(token, data)
    await world.sim.settle()
    assert reception.outcome == "shown"
    note = phone.notification_centre[-1]
    assert (note.title, note.sender, note.body, note.group) == ("@accountb", "@accountb", "Hello", data["channel_id"])
    ack = world.sim.bus.find(HopAttempted, lambda h: h.source == "g" and h.operation == "POST /api/v4/notifications/ack")
    assert len(ack) == 1 and ack[0].ok and '"platform": "android"' in (ack[0].wire_field("body") or "")


async def test_android_drops_unsigned_data_from_a_server_that_signs(world: World) -> None:
    phone = await backgrounded(world, "g", model="Samsung Galaxy S6")
    post = await Dm(world).send("Hello")
    await world.sim.settle()
    token, data = fcm_data(world, post["id"])
    reception = world.sim.fleet.deliver(token, {**data, "signature": "NO_SIGNATURE"})
    await world.sim.settle()
    assert reception.outcome == "dropped: Notification skipped because we could not verify it."
    assert phone.notification_centre == [] and reception.signature == "Server version should send signature"
