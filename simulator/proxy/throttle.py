"""The proxy's request throttle (§2.7, throttled v1 ``RateLimit(PerSec(n), VaryBy, memstore)``).

Rule 1: a fixed 1-second window per key, opened by the key's first request; a request is denied
when the window's count goes above the limit. Denied requests count too (the store increments
before it compares), so a flood does not reset the window.
Rule 2: the key is the values of the ``ThrottleVaryByHeader`` headers, lower-cased and joined by
newlines; the remote address is never used, so callers without those headers share one bucket.
Rule 3: the store keeps at most ``store_size`` keys, evicting the least recently used.
Time is the injected clock. No I/O here.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Callable, Final

WINDOW: Final = 1.0
DENIED_BODY: Final = "limit exceeded\n"  # Go's http.Error appends the newline


@dataclass(frozen=True, slots=True, kw_only=True)
class ThrottleDecision:
    """Whether one request may pass, and the rate-limit headers every response carries."""

    allowed: bool
    limit: int
    remaining: int
    reset: int  # seconds until the window closes, rounded up

    def headers(self) -> dict[str, str]:
        """``X-RateLimit-*`` (and ``Retry-After`` when denied)."""
        headers = {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining),
                   "X-RateLimit-Reset": str(self.reset)}
        if not self.allowed:
            headers["Retry-After"] = str(self.reset)
        return headers


class Throttle:
    """Counts requests per key in fixed 1 s windows."""

    def __init__(self, *, per_sec: int, vary_by: tuple[str, ...], store_size: int,
                 clock: Callable[[], float]) -> None:
        self.limit = max(1, per_sec)  # the limiter clamps 0 to 1 request per second
        self._vary_by = tuple(h.lower() for h in vary_by)
        self._store_size = store_size if store_size > 0 else 0
        self._clock = clock
        self._windows: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def key(self, headers: Mapping[str, str]) -> str:
        """The bucket for a request with these headers (a case-insensitive mapping)."""
        values = []
        for name in self._vary_by:  # a loop, not a generator: this runs for every request
            values.append(headers.get(name, "").lower())
        return "\n".join(values)

    def check(self, key: str) -> ThrottleDecision:
        """Count one request for ``key`` and decide."""
        now = self._clock()
        opened, count = self._windows.get(key, (now, 0))
        if now - opened >= WINDOW or now < opened:
            opened, count = now, 0
        count += 1
        self._windows[key] = (opened, count)
        self._windows.move_to_end(key)
        if self._store_size and len(self._windows) > self._store_size:
            self._windows.popitem(last=False)
        reset = max(0, math.ceil(opened + WINDOW - now))
        return ThrottleDecision(allowed=count <= self.limit, limit=self.limit,
                                remaining=max(0, self.limit - count), reset=reset)
