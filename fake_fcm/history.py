"""The evidence store: every send verdict the core gave, newest last (pytest-httpserver's log).

Rule: bounded (oldest dropped first) and append-only between ``clear`` calls; reading never
changes it. Legacy multicast requests add one verdict per target.
"""

from __future__ import annotations

from collections import deque
from types import UnionType
from typing import Any

from .codes import FcmError, LegacyError
from .events import MessageAccepted, MessageRejected

Verdict = MessageAccepted | MessageRejected


class History:
    """The last ``maxlen`` verdicts, filterable by token, project and error code."""

    def __init__(self, maxlen: int = 10_000) -> None:
        self._verdicts: deque[Verdict] = deque(maxlen=maxlen)
        self.append = self._verdicts.append  # the hot path: one bound call per verdict

    def received(self, *, token: str | None = None, project: str | None = None) -> list[Verdict]:
        """Every judged message, accepted or rejected, oldest first."""
        return self._select(Verdict, token, project)

    def accepted(self, *, token: str | None = None, project: str | None = None) -> list[MessageAccepted]:
        """The accepted messages."""
        return self._select(MessageAccepted, token, project)

    def rejected(self, *, token: str | None = None, project: str | None = None,
                 error: FcmError | LegacyError | None = None) -> list[MessageRejected]:
        """The rejected messages (optionally only those refused with ``error``)."""
        found = self._select(MessageRejected, token, project)
        return found if error is None else [v for v in found if v.error_code == error]

    def clear(self) -> None:
        """Forget every verdict."""
        self._verdicts.clear()

    def __len__(self) -> int:
        return len(self._verdicts)

    def _select(self, kind: type | UnionType, token: str | None, project: str | None) -> list[Any]:
        return [v for v in self._verdicts
                if isinstance(v, kind) and (token is None or v.token == token)
                and (project is None or v.project_id == project)]
