"""Time for the proxy's retry loops (§4.4, §5.4): a deadline clock, back-off sleeps, per-try timeouts.

Rule: senders never read ``time.monotonic()`` or call ``asyncio.sleep`` / ``asyncio.timeout``
themselves; they ask a ``Timer``. ``LoopTimer`` is real time. ``ManualTimer`` is virtual time
that moves only on ``advance()``, so a test can make an 8 s per-try timeout and the 1 s / 2 s
back-offs happen without waiting for them.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Protocol


class Timer(Protocol):
    """What a retry loop needs from time."""

    def now(self) -> float:
        """Seconds on this timer's own scale (only differences matter)."""

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""

    def timeout(self, seconds: float) -> AbstractAsyncContextManager[object]:
        """Cancel the body after ``seconds``; it then raises TimeoutError on exit."""


class LoopTimer:
    """Real time: monotonic clock, asyncio timeouts, and asyncio.sleep (or the ``sleep`` given)."""

    def __init__(self, sleep: Callable[[float], Awaitable[None]] | None = None) -> None:
        self._sleep = sleep or asyncio.sleep

    def now(self) -> float:
        """The monotonic clock."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` in real time (unless another sleep was injected)."""
        await self._sleep(seconds)

    def timeout(self, seconds: float) -> AbstractAsyncContextManager[object]:
        """asyncio.timeout."""
        return asyncio.timeout(seconds)


@dataclass(order=True, slots=True)
class _Entry:
    due: float
    seq: int
    kind: str = field(compare=False)  # "sleep" | "timeout"
    fire: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)


class ManualTimer:
    """Virtual time: sleeps and timeouts fire only when ``advance`` passes their due time.

    With ``clock`` (a FakeClock, or anything with ``advance(seconds)``) the world clock moves
    along, so log stamps and JWT ages agree with the retries. ``slept`` records every sleep.
    With ``autojump`` a sleep moves time on by itself at once (a whole world on a FakeClock then
    retries without waiting); timeouts still fire only when time passes them.
    """

    def __init__(self, clock: Callable[[], float] | None = None, *, start: float = 0.0, autojump: bool = False) -> None:
        self._clock, self._now, self._autojump = clock, start, autojump
        self._heap: list[_Entry] = []
        self._seq = itertools.count()
        self._changed: asyncio.Event | None = None
        self.slept: list[float] = []

    def now(self) -> float:
        """Virtual seconds (the bound clock's reading, if any)."""
        return self._clock() if self._clock is not None else self._now

    @property
    def pending(self) -> list[tuple[str, float]]:
        """Armed sleeps and timeouts as (kind, seconds until due), earliest first."""
        now = self.now()
        return [(e.kind, e.due - now) for e in sorted(self._heap) if not e.cancelled]

    def _arm(self, seconds: float, kind: str, fire: Callable[[], None]) -> _Entry:
        entry = _Entry(self.now() + max(seconds, 0.0), next(self._seq), kind, fire)
        if seconds <= 0:  # already due: nobody will advance time for it
            entry.cancelled = True
            fire()
            return entry
        heapq.heappush(self._heap, entry)
        if self._changed is not None:
            self._changed.set()
        return entry

    async def sleep(self, seconds: float) -> None:
        """Wait until virtual time has moved ``seconds`` on (or move it, with ``autojump``)."""
        self.slept.append(seconds)
        if self._autojump:
            await self.advance(max(seconds, 0.0))
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def wake() -> None:
            if not future.done():
                future.set_result(None)

        entry = self._arm(seconds, "sleep", wake)
        try:
            await future
        finally:
            entry.cancelled = True

    @asynccontextmanager
    async def timeout(self, seconds: float) -> AsyncIterator[None]:
        """Like asyncio.timeout, on virtual time."""
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(None) as scope:
            entry = self._arm(seconds, "timeout", lambda: scope.reschedule(loop.time()))
            try:
                yield
            finally:
                entry.cancelled = True

    async def advance(self, seconds: float) -> None:
        """Move virtual time on and fire everything now due, then let woken tasks run once."""
        if seconds < 0:
            raise ValueError(f"cannot advance by a negative amount ({seconds})")
        if self._clock is not None:
            self._clock.advance(seconds)  # type: ignore[attr-defined]
        else:
            self._now += seconds
        now = self.now()
        while self._heap and self._heap[0].due <= now:
            entry = heapq.heappop(self._heap)
            if not entry.cancelled:
                entry.fire()
        await asyncio.sleep(0)

    async def wait_armed(self, kind: str | None = None, *, timeout: float = 5.0) -> float:
        """Wait (real time, bounded) until a sleep/timeout of ``kind`` is armed; its seconds until due."""
        async with asyncio.timeout(timeout):
            while True:
                for armed_kind, delay in self.pending:
                    if kind is None or armed_kind == kind:
                        return delay
                self._changed = self._changed or asyncio.Event()
                self._changed.clear()
                await self._changed.wait()
