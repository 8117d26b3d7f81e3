"""Store and forward through a running FakeApns (reachability, flush, expiry, collapse ids), and
connection faults carried out on the wire (delay, GOAWAY, drop)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hyperframe.frame import GoAwayFrame

from fake_apns import (ApnsFaultInjected, ApnsGoAwaySent, FaultKind, HoldCause, NotificationDelivered,
                       NotificationExpired, NotificationStored, PushAccepted, Reason)
from tests.support.apns_pki import ApnsPki
from tests.support.apns_raw import RawConnection
from tests.support.apns_world import BUNDLE, DEADLINE, PAYLOAD, PROD, ApnsWorld, apns_world


@pytest.fixture(scope="module")
def pki() -> ApnsPki:
    return ApnsPki()


async def push(world: ApnsWorld, **headers: Any) -> int:
    async with await world.client() as client:
        return (await client.post(world.token, headers=world.headers(**headers), body=PAYLOAD)).status


async def test_offline_phone_gets_the_notification_when_it_wakes(pki: ApnsPki) -> None:
    async with apns_world(pki) as world:
        world.phones.offline.add(world.token)
        assert await push(world) == 200  # APNs accepts: it has taken responsibility for delivery
        stored = world.published.of(NotificationStored)
        assert [s.cause for s in stored] == [HoldCause.UNREACHABLE] and world.delivered == []
        assert world.apns.flush(device="phone-1") == 0  # still asleep: nothing moves
        world.clock.advance(90)
        world.phones.offline.clear()
        assert world.apns.flush(device="phone-1") == 1
        [accepted] = world.published.of(PushAccepted)
        [delivered] = world.published.of(NotificationDelivered)
        assert world.delivered == [accepted] and delivered.push is accepted and delivered.held_for == 90


async def test_reachable_phone_gets_it_at_once_and_an_event_says_so(pki: ApnsPki) -> None:
    async with apns_world(pki) as world:
        assert await push(world, apns_collapse_id="thread-7") == 200
        [delivered] = world.published.of(NotificationDelivered)
        assert delivered.collapse_id == "thread-7" and delivered.held_for == 0 and len(world.delivered) == 1
        assert world.published.of(NotificationStored) == []


async def test_only_the_newest_waits_and_its_collapse_id_is_passed_on(pki: ApnsPki) -> None:
    async with apns_world(pki) as world:
        world.phones.offline.add(world.token)
        assert (await push(world, apns_id="11111111-1111-4111-8111-111111111111"), await push(
            world, apns_id="22222222-2222-4222-8222-222222222222", apns_collapse_id="c1")) == (200, 200)
        world.phones.offline.clear()
        assert world.apns.flush(world.token) == 1
        replaced = world.published.of(NotificationStored)[1].replaced
        [delivered] = world.published.of(NotificationDelivered)
    assert replaced == "11111111-1111-4111-8111-111111111111"
    assert (delivered.push.apns_id, delivered.collapse_id) == ("22222222-2222-4222-8222-222222222222", "c1")


async def test_expiration_zero_to_an_offline_phone_is_dropped_not_stored(pki: ApnsPki) -> None:
    async with apns_world(pki) as world:
        world.phones.offline.add(world.token)
        assert await push(world, apns_expiration="0") == 200
        [expired] = world.published.of(NotificationExpired)
        world.phones.offline.clear()
        assert not expired.stored and world.apns.flush(world.token) == 0 and world.delivered == []


async def test_stored_notification_expires_when_the_clock_passes_its_expiration(pki: ApnsPki) -> None:
    async with apns_world(pki) as world:
        world.phones.offline.add(world.token)
        assert await push(world, apns_expiration=str(int(world.clock()) + 60)) == 200
        world.clock.advance(59)
        assert world.apns.sweep() == 0
        world.clock.advance(1)
        assert world.apns.sweep() == 1
        world.phones.offline.clear()
        assert world.apns.flush_all() == 0 and world.delivered == []
        assert [e.stored for e in world.published.of(NotificationExpired)] == [True]


async def test_priority_5_is_deferred_until_flush_when_switched_on(pki: ApnsPki) -> None:
    async with apns_world(pki) as world:
        world.core.mailbox.defer_low_priority = True
        assert await push(world, apns_priority="5") == 200
        assert world.delivered == [] and world.published.of(NotificationStored)[0].cause is HoldCause.DEFERRED
        assert world.apns.flush(device="phone-1") == 1 and len(world.delivered) == 1
        with pytest.raises(TypeError, match="exactly one"):
            world.apns.flush()


async def test_delay_fault_holds_back_only_that_response(pki: ApnsPki) -> None:
    async with apns_world(pki) as world:
        world.faults.push_delay(0.3, token=world.token)
        other = world.devices.register(BUNDLE, PROD)
        async with await world.client() as client:
            slow = asyncio.ensure_future(client.post(world.token, headers=world.headers(), body=PAYLOAD))
            await world.published.wait_for(PushAccepted)  # the verdict and delivery do not wait
            fast = await client.post(other, headers=world.headers(), body=PAYLOAD)
            assert not slow.done() and fast.status == 200
            async with asyncio.timeout(DEADLINE):
                assert (await slow).status == 200
        [fault] = world.published.of(ApnsFaultInjected)
        assert (fault.kind, fault.delay, fault.token) == (FaultKind.DELAY, 0.3, world.token)


async def test_goaway_fault_refuses_the_request_and_names_the_last_processed_stream(pki: ApnsPki) -> None:
    async with apns_world(pki) as world:
        async with await world.client() as client:
            first = await client.post(world.token, headers=world.headers(), body=PAYLOAD)
            world.faults.push_goaway(Reason.SERVICE_UNAVAILABLE)
            with pytest.raises(ConnectionError, match="closed before the response"):
                await client.post(world.token, headers=world.headers(), body=PAYLOAD)
            goaway = await client.goaway
        assert first.status == 200 and len(world.published.of(PushAccepted)) == 1
        assert (goaway.last_stream_id, json.loads(goaway.additional_data or b"")) == (
            1, {"reason": "ServiceUnavailable"})
        assert world.published.of(ApnsGoAwaySent)[0].reason is Reason.SERVICE_UNAVAILABLE
        assert await push(world) == 200


async def test_drop_fault_resets_the_connection_without_goaway(pki: ApnsPki) -> None:
    async with apns_world(pki) as world:
        world.faults.push_drop()
        async with await world.client() as client:
            with pytest.raises(ConnectionError, match="closed before the response"):
                await client.post(world.token, headers=world.headers(), body=PAYLOAD)
            assert not client.goaway.done()
        assert [f.kind for f in world.published.of(ApnsFaultInjected)] == [FaultKind.DROP]
        assert world.published.of(PushAccepted) == [] and await push(world) == 200


async def test_token_scoped_connection_fault_spares_other_devices(pki: ApnsPki) -> None:
    async with apns_world(pki) as world:
        world.faults.push_drop(token=world.devices.register(BUNDLE, PROD))
        assert await push(world) == 200 and len(world.faults.pending) == 1


async def test_drop_all_closes_every_connection_at_once(pki: ApnsPki) -> None:
    async with apns_world(pki) as world:
        async with await world.client() as client:
            assert (await client.post(world.token, headers=world.headers(), body=PAYLOAD)).status == 200
            await world.apns.drop()
            async with asyncio.timeout(DEADLINE):
                await client.closed
            assert world.apns.connections == 0 and not client.goaway.done()


async def test_streams_after_an_injected_goaway_are_never_processed(pki: ApnsPki) -> None:
    async with apns_world(pki) as world:
        raw = await RawConnection.open(world.apns.port, world.pki.client_context())
        head = [(b":method", b"POST"), (b":scheme", b"https"), (b":path", f"/3/device/{world.token}".encode()),
                *((k.encode(), v.encode()) for k, v in world.headers())]
        world.faults.push_goaway()
        for sid in (1, 3):  # both sent before any answer: stream 3 must not be judged, whichever read has it
            raw.request(sid, head, PAYLOAD)
        await raw.until_closed()
        await raw.close()
        [goaway] = raw.of(GoAwayFrame)
        assert (goaway.last_stream_id, goaway.additional_data) == (0, b'{"reason":"Shutdown"}')
        assert world.published.of(PushAccepted) == [] and world.delivered == [] and raw.statuses == {}
