"""Injectable clocks: every core takes a ``Callable[[], float]`` returning UNIX seconds."""

from __future__ import annotations

import time
from typing import Callable

Clock = Callable[[], float]

# 2026-01-01T00:00:00Z: a fixed, realistic epoch so JWT iat values and log stamps look real.
DEFAULT_START = 1_767_225_600.0


class SystemClock:
    """Wall-clock time; what `pushsim serve` uses so outside senders' iat values match."""

    def __call__(self) -> float:
        return time.time()


class FakeClock:
    """A clock that only moves when told to (tests, scenarios, the demo's replay)."""

    def __init__(self, start: float = DEFAULT_START) -> None:
        self._now = float(start)

    def __call__(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        """Move time forward; returns the new time. Going backwards is refused."""
        if seconds < 0:
            raise ValueError(f"cannot advance a clock by a negative amount ({seconds})")
        self._now += seconds
        return self._now
