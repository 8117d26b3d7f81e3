from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from simulator.bus import EventBus


@dataclass(frozen=True, slots=True, kw_only=True)
class Ping:
    n: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Pong:
    n: int


async def test_wait_for_finds_an_event_published_before_the_call() -> None:
    bus = EventBus()
    bus.publish(Ping(n=1))
    assert await bus.wait_for(Ping, lambda e: e.n == 1, timeout=0.1) == Ping(n=1)


async def test_wait_for_wakes_on_a_later_event_of_the_right_kind_only() -> None:
    bus = EventBus()
    started = asyncio.Event()

    async def wait_for_ping_2() -> Ping:
        started.set()  # wait_for registers before its first await, so it is waiting when we resume
        return await bus.wait_for(Ping, lambda e: e.n == 2, timeout=1)

    waiter = asyncio.ensure_future(wait_for_ping_2())
    async with asyncio.timeout(1):
        await started.wait()
    assert not waiter.done()  # nothing to find in history: the events below arrive while it waits
    bus.publish(Pong(n=2))
    bus.publish(Ping(n=1))
    bus.publish(Ping(n=2))
    assert await waiter == Ping(n=2)


async def test_wait_for_times_out_with_a_message_naming_the_kind() -> None:
    bus = EventBus()
    bus.publish(Ping(n=1))
    with pytest.raises(TimeoutError, match="no Ping matching"):
        await bus.wait_for(Ping, lambda e: e.n == 99, timeout=0.01)


async def test_since_skips_history_before_the_mark() -> None:
    bus = EventBus()
    bus.publish(Ping(n=1))
    mark = bus.mark()
    with pytest.raises(TimeoutError):
        await bus.wait_for(Ping, since=mark, timeout=0.01)
    bus.publish(Ping(n=1))
    assert bus.find(Ping, since=mark) == [Ping(n=1)]


def test_publish_never_raises_even_when_a_predicate_does() -> None:
    bus = EventBus()
    assert bus.find(Ping, lambda e: 1 / 0) == []  # type: ignore[arg-type, return-value]
    bus.publish(Ping(n=1))
    assert len(bus.history) == 1


async def test_subscriber_queue_is_bounded_and_drops_oldest() -> None:
    bus = EventBus(queue_size=2)
    with bus.subscribe() as sub:
        for n in range(5):
            bus.publish(Ping(n=n))
        assert sub.dropped == 3
        assert [sub.get_nowait(), sub.get_nowait(), sub.get_nowait()] == [Ping(n=3), Ping(n=4), None]


async def test_closed_subscription_receives_nothing() -> None:
    bus = EventBus()
    sub = bus.subscribe()
    sub.close()
    bus.publish(Ping(n=1))
    assert sub.get_nowait() is None


def test_history_is_bounded() -> None:
    bus = EventBus(history=3)
    for n in range(10):
        bus.publish(Ping(n=n))
    assert [e for _, e in bus.history] == [Ping(n=7), Ping(n=8), Ping(n=9)]
