"""The evidence store: every verdict the core gave, newest last (pytest-httpserver's request log).

Rule: bounded (oldest dropped first) and append-only between ``clear`` calls; reading never changes it.
"""

from __future__ import annotations

from collections import deque
from types import UnionType
from typing import Any

from .models import PushAccepted, PushRejected
from .reasons import Reason

Verdict = PushAccepted | PushRejected


class History:
    """The last ``maxlen`` verdicts, filterable by device token, topic and reason."""

    def __init__(self, maxlen: int = 10_000) -> None:
        self._verdicts: deque[Verdict] = deque(maxlen=maxlen)
        self.append = self._verdicts.append  # the hot path: one bound call per request

    def received(self, *, token: str | None = None, topic: str | None = None) -> list[Verdict]:
        """Every judged request, accepted or rejected, oldest first."""
        return self._select(Verdict, token, topic)

    def accepted(self, *, token: str | None = None, topic: str | None = None) -> list[PushAccepted]:
        """The accepted requests (HTTP 200)."""
        return self._select(PushAccepted, token, topic)

    def rejected(self, *, token: str | None = None, topic: str | None = None,
                 reason: Reason | None = None) -> list[PushRejected]:
        """The rejected requests (optionally only those refused for ``reason``)."""
        found = self._select(PushRejected, token, topic)
        return found if reason is None else [v for v in found if v.reason is reason]

    def clear(self) -> None:
        """Forget every verdict."""
        self._verdicts.clear()

    def __len__(self) -> int:
        return len(self._verdicts)

    def _select(self, kind: type | UnionType, token: str | None, topic: str | None) -> list[Any]:
        wanted = token.lower() if token is not None else None
        return [v for v in self._verdicts
                if isinstance(v, kind) and (wanted is None or v.token.lower() == wanted)
                and (topic is None or v.topic == topic)]
