"""Wire models of the fake FCM: what arrives (``HttpRequest``), what FCM understood (``Message``)
and what goes back (``Reply``). Events live in ``events.py``.

Rule: ``HttpRequest`` keeps raw values; judging them is the core's job. ``Message`` only exists
for a request that passed every schema check (h11: invalid values never exist).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

MAX_TTL = 2_419_200.0  # 28 days: FCM's default and maximum time to live (F-disc)
MAX_BODY_BYTES = 1 << 20  # larger request bodies are refused unread


class Api(StrEnum):
    """Which FCM send API a message came through."""

    V1 = "v1"
    LEGACY = "legacy"


class Priority(StrEnum):
    """Android message priority (``AndroidMessagePriority``)."""

    NORMAL = "normal"
    HIGH = "high"


class LegacyMode(StrEnum):
    """How ``/fcm/send`` behaves: as today (shut down) or as in the GCM era."""

    SHUT_DOWN = "shut_down"
    ENABLED = "enabled"


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpRequest:
    """One HTTP request as received; ``path_project`` is the ``{project}`` of a v1 send URL."""

    body: bytes
    authorization: str | None = None
    content_type: str | None = None
    path_project: str = ""
    oversized: bool = False  # the body was over MAX_BODY_BYTES and was not read


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """A v1 (or legacy) message that passed validation, reduced to what delivery needs."""

    token: str | None = None
    topic: str | None = None
    condition: str | None = None
    data: dict[str, str] = field(default_factory=dict)
    notification: dict[str, str] | None = None
    priority: Priority = Priority.NORMAL
    ttl: float = MAX_TTL
    collapse_key: str | None = None
    restricted_package_name: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)  # the whole message, keys in snake_case

    @property
    def target(self) -> str:
        """The target as a short string: the token, ``/topics/<t>`` or the condition."""
        if self.token is not None:
            return self.token
        if self.topic is not None:
            return f"/topics/{self.topic}"
        return self.condition or ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """The HTTP answer the adapter writes, plus what the adapter must do around it."""

    status: int
    body: bytes
    content_type: str = "application/json; charset=UTF-8"
    headers: tuple[tuple[str, str], ...] = ()
    events: tuple[object, ...] = ()  # to publish, in order; deliveries also go to ``deliver``
    delay: float = 0.0  # injected latency, in real seconds, before answering
    drop: bool = False  # injected fault: close the connection without answering

    @classmethod
    def json(cls, status: int, obj: object, **kwargs: Any) -> Reply:
        """A JSON reply (compact, UTF-8, as Google's front end sends)."""
        return cls(status=status, body=json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode(),
                   **kwargs)
