"""The event bus: observation only (STYLE rule 4), never control flow.

Invariants:
- ``publish`` is synchronous and never raises: a full subscriber queue drops its oldest event.
- ``wait_for`` scans history and registers its waiter with no ``await`` in between, so on one
  event loop it cannot miss an event published before or after the call.
- Every event gets a sequence number; ``mark()`` lets a caller wait only for events after a point.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any, AsyncIterator, Callable, TypeVar

log = logging.getLogger(__name__)

E = TypeVar("E")


def _any(_: Any) -> bool:
    return True


class Subscription:
    """A bounded queue of events; async-iterate it, close it when done."""

    def __init__(self, bus: EventBus, maxsize: int) -> None:
        self._bus = bus
        self._queue: asyncio.Queue[object] = asyncio.Queue(maxsize)
        self.dropped = 0

    def _offer(self, event: object) -> None:
        if self._queue.full():
            self._queue.get_nowait()  # drop-oldest keeps the newest facts for live views
            self.dropped += 1
        self._queue.put_nowait(event)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> object:
        return await self._queue.get()

    def get_nowait(self) -> object | None:
        """The next queued event, or None when the queue is empty."""
        return None if self._queue.empty() else self._queue.get_nowait()

    def close(self) -> None:
        """Stop receiving events."""
        self._bus._subscribers.discard(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Waiter:
    __slots__ = ("kind", "where", "future", "since")

    def __init__(self, kind: type, where: Callable[[Any], bool], future: asyncio.Future[Any], since: int) -> None:
        self.kind, self.where, self.future, self.since = kind, where, future, since


class EventBus:
    """Synchronous publish, bounded subscriber queues, bounded history, deadline waits."""

    def __init__(self, *, history: int = 10_000, queue_size: int = 1_000) -> None:
        self.history: deque[tuple[int, object]] = deque(maxlen=history)
        self._queue_size = queue_size
        self._subscribers: set[Subscription] = set()
        self._waiters: list[_Waiter] = []
        self._seq = 0

    def mark(self) -> int:
        """The sequence number the next published event will get."""
        return self._seq

    def publish(self, event: object) -> None:
        """Record ``event`` and hand it to every subscriber and waiter. Never raises."""
        seq = self._seq
        self._seq += 1
        self.history.append((seq, event))
        for sub in tuple(self._subscribers):
            try:
                sub._offer(event)
            except Exception:  # a broken subscriber must not break the publisher
                log.exception("subscriber failed to take %r", type(event).__name__)
        if self._waiters:
            self._wake(seq, event)

    def _wake(self, seq: int, event: object) -> None:
        keep: list[_Waiter] = []
        for w in self._waiters:
            if w.future.done():
                continue
            if isinstance(event, w.kind) and seq >= w.since and self._matches(w.where, event):
                w.future.set_result(event)
            else:
                keep.append(w)
        self._waiters = keep

    @staticmethod
    def _matches(where: Callable[[Any], bool], event: object) -> bool:
        try:
            return bool(where(event))
        except Exception:
            log.exception("wait_for predicate raised on %r", type(event).__name__)
            return False

    def subscribe(self, *, maxsize: int | None = None) -> Subscription:
        """A new subscription, registered now (events published from here on are queued)."""
        sub = Subscription(self, maxsize or self._queue_size)
        self._subscribers.add(sub)
        return sub

    def find(self, kind: type[E], where: Callable[[E], bool] = _any, *, since: int = 0) -> list[E]:
        """Every event in history of ``kind`` matching ``where`` with sequence >= ``since``."""
        return [e for s, e in self.history if s >= since and isinstance(e, kind) and self._matches(where, e)]

    async def wait_for(self, kind: type[E], where: Callable[[E], bool] = _any, *,
                       timeout: float = 5.0, since: int = 0) -> E:
        """The first event of ``kind`` matching ``where`` (history first), or TimeoutError."""
        found = self.find(kind, where, since=since)
        if found:
            return found[0]
        future: asyncio.Future[E] = asyncio.get_running_loop().create_future()
        self._waiters.append(_Waiter(kind, where, future, since))
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            raise TimeoutError(f"no {kind.__name__} matching the condition within {timeout:g}s") from None
        finally:
            future.cancel()

    async def stream(self) -> AsyncIterator[object]:
        """Convenience async generator over a fresh subscription."""
        with self.subscribe() as sub:
            async for event in sub:
                yield event
