"""A clock a unit test sets by hand (``clock.now = …``; unlike FakeClock it may go back)."""

from __future__ import annotations

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z


class Clock:
    """Reads ``now``; tests move it with ``clock.now += seconds``."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
