"""Mailbox: deliver now, store the newest per device token, expire on the clock, flush on wake."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from fake_apns import (AlwaysReachable, Environment, HoldCause, Mailbox, NotificationDelivered, NotificationExpired,
                       NotificationStored, PushAccepted)
from tests.support.clocks import NOW, Clock

TOKEN, OTHER = "aa" * 32, "bb" * 32


class Phones:
    def __init__(self) -> None:
        self.offline: set[str] = set()
        self.asleep: set[str] = set()

    def is_reachable(self, token: str) -> bool:
        return token not in self.offline

    def is_asleep(self, token: str) -> bool:
        return token in self.asleep


def accepted(apns_id: str = "A", *, token: str = TOKEN, expiration: int | None = None, priority: int = 10,
             collapse_id: str | None = None) -> PushAccepted:
    return PushAccepted(at=NOW, environment=Environment.PRODUCTION, apns_id=apns_id, apns_unique_id=None, token=token,
                        topic="com.example.app", push_type="alert", priority=priority, expiration=expiration,
                        collapse_id=collapse_id, payload={"aps": {}}, team_id="T", key_id="K", connection_id=1)


def mailbox(**options: object) -> tuple[Mailbox, Clock, Phones]:
    clock, phones = Clock(), Phones()
    return Mailbox(clock=clock, reachability=phones, **options), clock, phones  # type: ignore[arg-type]


def kinds(events: Sequence[object]) -> list[tuple[str, str]]:
    return [(type(e).__name__, e.push.apns_id) for e in events]  # type: ignore[attr-defined]


def test_reachable_phone_gets_it_at_once_with_the_collapse_id() -> None:
    box, _, _ = mailbox()
    [event] = box.accept(accepted(collapse_id="thread-1"))
    assert event == NotificationDelivered(at=NOW, push=accepted(collapse_id="thread-1"), held_for=0.0)
    assert event.collapse_id == "thread-1" and event.token == TOKEN and box.stored() == ()


def test_unreachable_phone_gets_it_stored_then_delivered_on_flush() -> None:
    box, clock, phones = mailbox()
    phones.offline.add(TOKEN)
    [stored] = box.accept(accepted(expiration=int(NOW) + 60))
    assert isinstance(stored, NotificationStored) and stored.cause is HoldCause.UNREACHABLE
    assert (stored.expires_at, stored.replaced, stored.token) == (NOW + 60, None, TOKEN)
    assert box.flush([TOKEN]) == []  # still offline: it keeps waiting
    clock.now += 30
    phones.offline.clear()
    [delivered] = box.flush([TOKEN.upper()])
    assert isinstance(delivered, NotificationDelivered) and delivered.held_for == 30 and box.stored() == ()


def test_only_the_newest_notification_waits_per_device_token() -> None:
    box, _, phones = mailbox()
    phones.offline.update({TOKEN, OTHER})
    box.accept(accepted("A"))
    box.accept(accepted("X", token=OTHER))
    [second] = box.accept(accepted("B"))
    assert isinstance(second, NotificationStored) and second.replaced == "A"
    assert [h.push.apns_id for h in box.stored()] == ["B", "X"] and [h.push.apns_id for h in box.stored(TOKEN)] == ["B"]
    phones.offline.clear()
    assert kinds(box.flush_all()) == [("NotificationDelivered", "B"), ("NotificationDelivered", "X")]


def test_expiration_zero_is_tried_once_and_never_stored() -> None:
    box, _, phones = mailbox()
    assert kinds(box.accept(accepted("A", expiration=0))) == [("NotificationDelivered", "A")]
    phones.offline.add(TOKEN)
    [dropped] = box.accept(accepted("B", expiration=0))
    assert isinstance(dropped, NotificationExpired) and not dropped.stored and box.stored() == ()


def test_stored_notification_expires_on_the_clock() -> None:
    box, clock, phones = mailbox()
    phones.offline.add(TOKEN)
    box.accept(accepted("A", expiration=int(NOW) + 60))
    clock.now += 59
    assert box.sweep() == []
    clock.now += 1
    [expired] = box.sweep()
    assert expired == NotificationExpired(at=NOW + 60, push=accepted("A", expiration=int(NOW) + 60), stored=True)
    phones.offline.clear()
    assert box.flush([TOKEN]) == [] and box.sweep() == []


def test_replaced_notification_never_expires_later() -> None:
    box, clock, phones = mailbox()
    phones.offline.add(TOKEN)
    box.accept(accepted("A", expiration=int(NOW) + 10))
    box.accept(accepted("B", expiration=int(NOW) + 100))
    clock.now += 50
    assert box.sweep() == [] and [h.push.apns_id for h in box.stored()] == ["B"]


def test_expiry_is_noticed_on_the_next_accept_and_flush() -> None:
    box, clock, phones = mailbox()
    phones.offline.add(TOKEN)
    box.accept(accepted("A", expiration=int(NOW) + 10))
    clock.now += 11
    assert kinds(box.accept(accepted("B", token=OTHER))) == [("NotificationExpired", "A"),
                                                             ("NotificationDelivered", "B")]
    box.accept(accepted("C", expiration=int(NOW) + 20))
    clock.now += 20
    assert kinds(box.flush([TOKEN])) == [("NotificationExpired", "C")]


def test_past_expiration_to_an_unreachable_phone_is_dropped() -> None:
    box, _, phones = mailbox()
    phones.offline.add(TOKEN)
    [dropped] = box.accept(accepted(expiration=int(NOW) - 1))
    assert isinstance(dropped, NotificationExpired) and not dropped.stored


def test_without_expiration_it_waits_for_the_store_limit() -> None:
    box, _, phones = mailbox(store_limit=3600.0)
    phones.offline.add(TOKEN)
    [stored] = box.accept(accepted(expiration=None))
    assert isinstance(stored, NotificationStored) and stored.expires_at == NOW + 3600
    [capped] = box.accept(accepted("B", expiration=int(NOW) + 10**9))
    assert isinstance(capped, NotificationStored) and capped.expires_at == NOW + 3600


@pytest.mark.parametrize("priority", [5, 1])
def test_low_priority_is_deferred_until_a_flush_or_a_priority_10_push(priority: int) -> None:
    box, _, _ = mailbox(defer_low_priority=True)
    [held] = box.accept(accepted("A", priority=priority))
    assert isinstance(held, NotificationStored) and held.cause is HoldCause.DEFERRED
    assert kinds(box.flush([TOKEN])) == [("NotificationDelivered", "A")]
    box.accept(accepted("B", priority=priority))
    assert kinds(box.accept(accepted("C"))) == [("NotificationDelivered", "B"), ("NotificationDelivered", "C")]


def test_low_priority_is_delivered_at_once_unless_deferral_is_on() -> None:
    box, _, _ = mailbox()
    assert kinds(box.accept(accepted("A", priority=5))) == [("NotificationDelivered", "A")]
    deferring, _, _ = mailbox(defer_low_priority=True)
    assert kinds(deferring.accept(accepted("A", priority=5, expiration=0))) == [("NotificationDelivered", "A")]


def test_a_sleeping_phone_gets_priority_10_at_once_and_low_priority_when_it_wakes() -> None:
    box, _, phones = mailbox()
    phones.asleep.add(TOKEN)
    [held] = box.accept(accepted("A", priority=5))
    assert isinstance(held, NotificationStored) and held.cause is HoldCause.DEFERRED
    assert kinds(box.accept(accepted("B", priority=5, token=OTHER))) == [("NotificationDelivered", "B")]
    phones.asleep.clear()
    assert kinds(box.flush([TOKEN])) == [("NotificationDelivered", "A")]
    phones.asleep.add(TOKEN)
    assert kinds(box.accept(accepted("C", priority=10))) == [("NotificationDelivered", "C")]


def test_clear_forgets_without_events_and_default_reachability_is_always() -> None:
    box, _, phones = mailbox()
    phones.offline.add(TOKEN)
    box.accept(accepted())
    box.clear()
    assert box.stored() == () and box.sweep() == []
    assert AlwaysReachable().is_reachable(TOKEN) and isinstance(Mailbox(clock=Clock()).reachability, AlwaysReachable)
