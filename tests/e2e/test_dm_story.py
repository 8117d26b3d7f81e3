"""The seed doc's Account A / Account B procedure, end to end over real TLS sockets."""

from __future__ import annotations

import asyncio

import pytest

from fake_apns import PushAccepted, PushRejected, Reason
from fake_devices import NotificationShown
from simulator import HopAttempted, Simulator
from simulator.chat.models import PushDecision
from simulator.signing import ProviderKey, new_p256_key
from simulator.story import DmCast, send_dm


def hops(sim: Simulator, since: int = 0) -> list[tuple[str, str, str]]:
    return [(h.source, h.target, h.operation.split(" ", 1)[1] if " " in h.operation else h.operation)
            for h in sim.bus.find(HopAttempted, since=since)]


async def test_hello_reaches_the_backgrounded_iphone_through_every_hop(sim: Simulator, cast: DmCast) -> None:
    await cast.phone.to_background()
    mark = sim.bus.mark()
    post = await send_dm(sim, cast, "Hello")
    shown = await sim.bus.wait_for(NotificationShown, lambda e: e.notification.post_id == post["id"],
                                   since=mark, timeout=5)
    await sim.settle()
    assert (shown.phone, shown.notification.title, shown.notification.body) == ("account-a-iphone", "@accountb", "Hello")
    assert cast.phone.notification_centre == [shown.notification]
    chain = sorted((h for h in sim.bus.find(HopAttempted, since=mark) if h.ids.post_id == post["id"]),
                   key=lambda h: h.started)
    assert [(h.source, h.target) for h in chain] == [
        ("chat", "proxy"), ("proxy", "apns"), ("apns", "account-a-iphone"), ("account-a-iphone", "chat"),
        ("chat", "proxy")]
    assert all(h.ok and h.encrypted for h in chain)
    apns_hop = chain[1]
    accepted = sim.bus.find(PushAccepted, since=mark)
    assert len(accepted) == 1 and apns_hop.ids.apns_id == accepted[0].apns_id
    assert accepted[0].topic == "com.mattermost.rn" and accepted[0].payload["aps"]["alert"]["body"] == "Hello"
    assert chain[0].ids.ack_id == chain[3].ids.ack_id == shown.notification.ack_id != ""
    assert chain[-1].operation == "POST /api/v1/ack"


async def test_foreground_app_gets_no_push_because_the_user_is_online(sim: Simulator, cast: DmCast) -> None:
    mark = sim.bus.mark()
    post = await send_dm(sim, cast, "Hello")
    decision = await sim.bus.wait_for(PushDecision, lambda d: d.post_id == post["id"], since=mark, timeout=5)
    await sim.settle()
    assert (decision.send, decision.reason, decision.username) == (False, "user_is_active", "accounta")
    assert ("chat", "proxy", "/api/v1/send_push") not in hops(sim, mark)
    assert cast.phone.notification_centre == []


async def test_wrong_signing_key_is_refused_by_apns_and_the_proxy_fails(sim: Simulator, cast: DmCast) -> None:
    sim.proxy.use_provider_key(ProviderKey(key=new_p256_key(), key_id=sim.config.key_id, team_id=sim.config.team_id))
    await cast.phone.to_background()
    mark = sim.bus.mark()
    post = await send_dm(sim, cast, "Hello")
    rejected = await sim.bus.wait_for(PushRejected, since=mark, timeout=5)
    await sim.settle()
    assert (rejected.reason, rejected.status) == (Reason.INVALID_PROVIDER_TOKEN, 403)
    by_route = {(h.source, h.target): h for h in sim.bus.find(HopAttempted, since=mark) if h.ids.post_id == post["id"]}
    assert not by_route[("proxy", "apns")].ok and "InvalidProviderToken" in by_route[("proxy", "apns")].outcome
    assert '"status":"FAIL"' in by_route[("chat", "proxy")].outcome
    assert "unknown send response error" in by_route[("chat", "proxy")].outcome
    assert ("apns", "account-a-iphone") not in by_route
    assert cast.phone.notification_centre == []


async def test_uninstalled_app_gets_unregistered_then_remove_then_no_more_pushes(sim: Simulator, cast: DmCast) -> None:
    await cast.phone.uninstall()
    mark = sim.bus.mark()
    await send_dm(sim, cast, "anyone there?")
    rejected = await sim.bus.wait_for(PushRejected, since=mark, timeout=5)
    await sim.settle()
    assert rejected.reason == Reason.UNREGISTERED and rejected.timestamp_ms is not None
    assert any('"status":"REMOVE"' in h.outcome for h in sim.bus.find(HopAttempted, since=mark))
    second = sim.bus.mark()
    await send_dm(sim, cast, "still there?")
    await sim.settle()
    assert ("chat", "proxy", "/api/v1/send_push") not in hops(sim, second)


async def test_world_leaves_no_task_behind(clock: object) -> None:
    before = asyncio.all_tasks()
    async with Simulator() as sim:
        from simulator.story import cast_dm_world
        cast = await cast_dm_world(sim)
        await cast.phone.to_background()
        await send_dm(sim, cast)
        await sim.settle()
    leftover = {t for t in asyncio.all_tasks() - before if not t.done()}
    assert leftover == set()


async def test_a_crashing_component_fails_the_world_loudly(clock: object) -> None:
    from simulator import WorldFailed
    from simulator.story import cast_dm_world
    with pytest.raises(WorldFailed, match="RuntimeError"):
        async with Simulator() as sim:
            cast = await cast_dm_world(sim)

            def boom(*_a: object, **_k: object) -> None:
                raise RuntimeError("bug in create_post")

            sim.chat_core.create_post = boom  # type: ignore[method-assign]
            from simulator.links import LinkError
            with pytest.raises(LinkError, match="HTTP 500 An unknown error has occurred."):
                await send_dm(sim, cast)
