"""Store-and-forward (apns-fcm.md B4) on the pure ``Mailbox``: reachability, Doze, TTL, collapse
keys and the 100-message limit. Events are asserted in the order they happened."""

from __future__ import annotations

from typing import Any

import pytest

from fake_fcm import (Api, Connectivity, DeletedMessagesNotified, DropReason, Mailbox, Message, MessageAccepted,
                      MessageDelivered, MessageDropped, MessageExpired, MessageStored, Priority)
from tests.support.fcm_world import NOW, FakeClock, Reach

PHONE, TOKEN, TOKEN_B = "phone-1", "tok-a", "tok-b"


class Live:
    """is_live for the mailbox: every token is live unless uninstalled here."""

    def __init__(self) -> None:
        self.dead: set[str] = set()

    def __call__(self, token: str) -> bool:
        return token not in self.dead


def message(n: int, *, token: str = TOKEN, priority: Priority = Priority.NORMAL, ttl: float = 2_419_200.0,
            collapse_key: str | None = None, phone: str | None = PHONE, **fields: Any) -> MessageAccepted:
    body = Message(token=token, data={"n": str(n)}, priority=priority, ttl=ttl, collapse_key=collapse_key, **fields)
    return MessageAccepted(at=NOW, api=Api.V1, project_id="p", message_id=f"m{n}", name=f"projects/p/messages/m{n}",
                           validate_only=False, message=body, phone_id=phone, package="com.x" if phone else None)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def reach() -> Reach:
    return Reach()


@pytest.fixture
def live() -> Live:
    return Live()


@pytest.fixture
def box(clock: FakeClock, reach: Reach, live: Live) -> Mailbox:
    return Mailbox(clock=clock, reachability=reach, is_live=live)


def kinds(events: list[object]) -> list[str]:
    return [type(e).__name__ for e in events]


def ids(events: list[object], kind: type) -> list[str]:
    return [e.message_id for e in events if isinstance(e, kind)]  # type: ignore[attr-defined]


def test_an_online_phone_gets_the_message_at_once(box: Mailbox) -> None:
    [delivered] = box.route(message(1))
    assert isinstance(delivered, MessageDelivered)
    assert (delivered.phone_id, delivered.data, delivered.sent_at, delivered.package) == (
        PHONE, {"n": "1"}, NOW, "com.x")
    assert box.stored() == ()


def test_an_offline_phone_gets_it_on_flush_after_coming_back(box: Mailbox, reach: Reach, clock: FakeClock) -> None:
    reach.states[PHONE] = Connectivity.OFFLINE
    [stored] = box.route(message(1))
    assert isinstance(stored, MessageStored) and stored.pending == 1
    assert box.flush(PHONE) == []  # still offline
    clock.advance(60)
    reach.states[PHONE] = Connectivity.ONLINE
    [delivered] = box.flush(PHONE)
    assert isinstance(delivered, MessageDelivered) and (delivered.at, delivered.sent_at) == (NOW + 60, NOW)
    assert box.stored() == () and box.flush(PHONE) == []


def test_doze_holds_normal_priority_but_lets_high_priority_through(box: Mailbox, reach: Reach) -> None:
    reach.states[PHONE] = Connectivity.DOZE
    assert kinds(box.route(message(1))) == ["MessageStored"]
    assert kinds(box.route(message(2, priority=Priority.HIGH))) == ["MessageDelivered"]
    assert box.flush(PHONE) == []  # still dozing: normal priority keeps waiting
    reach.states[PHONE] = Connectivity.ONLINE
    assert ids(box.flush(PHONE), MessageDelivered) == ["m1"]


def test_high_priority_stored_while_offline_is_delivered_when_the_phone_dozes(box: Mailbox, reach: Reach) -> None:
    reach.states[PHONE] = Connectivity.OFFLINE
    box.route(message(1))
    box.route(message(2, priority=Priority.HIGH))
    reach.states[PHONE] = Connectivity.DOZE
    assert ids(box.flush(PHONE), MessageDelivered) == ["m2"]
    assert [p.message_id for p in box.stored(phone_id=PHONE)] == ["m1"]


def test_a_stored_message_expires_when_its_ttl_runs_out(box: Mailbox, reach: Reach, clock: FakeClock) -> None:
    reach.states[PHONE] = Connectivity.OFFLINE
    box.route(message(1, ttl=30))
    box.route(message(2, ttl=90))
    clock.advance(29.9)
    assert box.sweep() == []
    clock.advance(0.1)
    [expired] = box.sweep()
    assert isinstance(expired, MessageExpired) and (expired.message_id, expired.sent_at) == ("m1", NOW)
    reach.states[PHONE] = Connectivity.ONLINE
    assert ids(box.flush(PHONE), MessageDelivered) == ["m2"]


def test_expiry_is_noticed_on_flush_without_a_sweep(box: Mailbox, reach: Reach, clock: FakeClock) -> None:
    reach.states[PHONE] = Connectivity.OFFLINE
    box.route(message(1, ttl=10))
    clock.advance(11)
    reach.states[PHONE] = Connectivity.ONLINE
    assert kinds(box.flush(PHONE)) == ["MessageExpired"]


def test_ttl_zero_is_now_or_never(box: Mailbox, reach: Reach) -> None:
    assert kinds(box.route(message(1, ttl=0))) == ["MessageDelivered"]
    reach.states[PHONE] = Connectivity.OFFLINE
    [dropped] = box.route(message(2, ttl=0))
    assert isinstance(dropped, MessageDropped) and dropped.reason is DropReason.TTL_ZERO and box.stored() == ()


def test_a_newer_message_replaces_the_stored_one_with_the_same_collapse_key(box: Mailbox, reach: Reach) -> None:
    reach.states[PHONE] = Connectivity.OFFLINE
    box.route(message(1, collapse_key="badge"))
    events = box.route(message(2, collapse_key="badge"))
    assert kinds(events) == ["MessageDropped", "MessageStored"]
    assert isinstance(events[0], MessageDropped)
    assert events[0].reason is DropReason.COLLAPSED and ids(events, MessageDropped) == ["m1"]
    box.route(message(3, collapse_key="badge", token=TOKEN_B))  # another app's key of the same name: kept apart
    reach.states[PHONE] = Connectivity.ONLINE
    assert ids(box.flush(PHONE), MessageDelivered) == ["m2", "m3"]


def test_at_most_four_collapse_keys_wait_per_phone(box: Mailbox, reach: Reach) -> None:
    reach.states[PHONE] = Connectivity.OFFLINE
    for n in range(4):
        assert kinds(box.route(message(n, collapse_key=f"k{n}"))) == ["MessageStored"]
    events = box.route(message(4, collapse_key="k4"))
    assert kinds(events) == ["MessageDropped", "MessageStored"]
    assert isinstance(events[0], MessageDropped)
    assert events[0].reason is DropReason.COLLAPSE_KEY_LIMIT and events[0].message_id == "m0"
    assert kinds(box.route(message(5))) == ["MessageStored"]  # non-collapsible ones do not count


def test_a_hundred_messages_wait_and_the_hundred_and_first_discards_them_all(box: Mailbox, reach: Reach,
                                                                            live: Live) -> None:
    reach.states[PHONE] = Connectivity.OFFLINE
    for n in range(99):
        box.route(message(n))
    box.route(message(99, token=TOKEN_B))
    box.route(message(200, collapse_key="keep"))  # collapsible ones are not part of the 100
    assert len(box.stored(phone_id=PHONE)) == 101
    events = box.route(message(100))
    assert len(events) == 101 and {e.reason for e in events} == {DropReason.OVERFLOW}  # type: ignore[attr-defined]
    assert [p.message_id for p in box.stored()] == ["m200"]
    reach.states[PHONE] = Connectivity.ONLINE
    flushed = box.flush(PHONE)
    assert kinds(flushed) == ["DeletedMessagesNotified", "DeletedMessagesNotified", "MessageDelivered"]
    notified = {e.token: e.count for e in flushed if isinstance(e, DeletedMessagesNotified)}
    assert notified == {TOKEN: 100, TOKEN_B: 1}
    assert box.flush(PHONE) == []  # the signal is given once


def test_a_hundred_stored_messages_are_kept(box: Mailbox, reach: Reach) -> None:
    reach.states[PHONE] = Connectivity.OFFLINE
    for n in range(100):
        assert kinds(box.route(message(n))) == ["MessageStored"]
    reach.states[PHONE] = Connectivity.ONLINE
    assert ids(box.flush(PHONE), MessageDelivered) == [f"m{n}" for n in range(100)]


def test_an_app_uninstalled_while_its_message_waited_never_gets_it(box: Mailbox, reach: Reach, live: Live) -> None:
    reach.states[PHONE] = Connectivity.OFFLINE
    box.route(message(1))
    live.dead.add(TOKEN)
    reach.states[PHONE] = Connectivity.ONLINE
    [dropped] = box.flush(PHONE)
    assert isinstance(dropped, MessageDropped) and dropped.reason is DropReason.UNREGISTERED


def test_an_online_route_first_delivers_what_was_waiting(box: Mailbox, reach: Reach) -> None:
    reach.states[PHONE] = Connectivity.OFFLINE
    box.route(message(1))
    reach.states[PHONE] = Connectivity.ONLINE  # nobody called flush
    assert ids(box.route(message(2)), MessageDelivered) == ["m1", "m2"]


def test_topic_messages_have_no_route_in_the_fake(box: Mailbox) -> None:
    [dropped] = box.route(message(1, token=None, phone=None, topic="news"))  # type: ignore[arg-type]
    assert isinstance(dropped, MessageDropped) and dropped.reason is DropReason.NO_ROUTE


def test_flush_all_and_clear(box: Mailbox, reach: Reach) -> None:
    reach.states.update({PHONE: Connectivity.OFFLINE, "phone-2": Connectivity.OFFLINE})
    box.route(message(1))
    box.route(message(2, phone="phone-2"))
    assert box.flush_all() == []
    reach.states.clear()
    assert sorted(ids(box.flush_all(), MessageDelivered)) == ["m1", "m2"]
    assert len(box.delivered) == 2
    box.clear()
    assert len(box.delivered) == 0 and box.stored() == ()


def test_the_default_reachability_is_always_online(clock: FakeClock) -> None:
    assert kinds(Mailbox(clock=clock).route(message(1))) == ["MessageDelivered"]
