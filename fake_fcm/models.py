"""Wire models of the fake FCM: what arrives (``HttpRequest``), what FCM understood (``Message``)
and what goes back (``Reply``). Events live in ``events.py``.

Rule: ``HttpRequest`` keeps raw values; judging them is the core's job. ``Message`` only exists
for a request that passed every schema check (h11: invalid values never exist).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import MISSING, dataclass, field
from enum import StrEnum
from typing import Any, Callable, TypeVar

MAX_TTL = 2_419_200.0  # 28 days: FCM's default and maximum time to live (F-disc)
MAX_BODY_BYTES = 1 << 20  # larger request bodies are refused unread

T = TypeVar("T")


class _Factory:
    """Stands for "use the field's default factory" in a ``slot_builder`` signature."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


def slot_builder(cls: type[T]) -> Callable[..., T]:
    """A stand-in for ``cls(**fields)`` on hot paths: same keywords, defaults and result, cheaper."""
    # cls(...) goes through type.__call__, which packs the keywords into a dict for __init__, and a
    # frozen __init__ stores each field with object.__setattr__, which looks the name up on the type
    # again. This function takes the keywords directly and stores through the slot descriptors:
    # about 30% less per object, and a v1 send builds five.
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if hasattr(cls, "__post_init__") or not all(f.init and f.kw_only for f in fields) or "__slots__" not in vars(cls):
        raise TypeError(f"slot_builder needs a kw_only slots dataclass without __post_init__: {cls.__name__}")
    scope: dict[str, Any] = {"cls": cls, "new": object.__new__, "FACTORY": _FACTORY}
    params: list[str] = []
    body: list[str] = []
    for f in fields:
        scope[f"set_{f.name}"] = vars(cls)[f.name].__set__
        value = f.name
        if f.default is not MISSING:
            scope[f"default_{f.name}"] = f.default
            params.append(f"{f.name}=default_{f.name}")
        elif f.default_factory is not MISSING:
            scope[f"factory_{f.name}"] = f.default_factory
            params.append(f"{f.name}=FACTORY")
            value = f"factory_{f.name}() if {f.name} is FACTORY else {f.name}"
        else:
            params.append(f.name)
        body.append(f" set_{f.name}(self, {value})\n")
    exec(f"def build(*, {', '.join(params)}):\n self = new(cls)\n{''.join(body)} return self\n", scope)
    build: Callable[..., T] = scope["build"]
    build.__qualname__ = build.__name__ = f"build_{cls.__name__}"
    return build


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
