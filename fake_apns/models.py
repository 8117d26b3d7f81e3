"""Wire models and events of the fake APNs.

Rule: ``ApnsRequest.parse`` never raises. It keeps raw header values (so ``apns-id`` can be
echoed byte for byte) and notes what the core needs to pick a reason; judging is the core's job.
Header bytes are decoded as UTF-8 with ``surrogateescape``, so encoding back gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Self, Sequence

from .reasons import Reason

DEVICE_PATH = "/3/device/"

# Headers APNs reads; the rest (user-agent, content-type, ...) are kept only for duplicate checks.
_FIELDS = {
    ":method": "method", ":path": "path", ":authority": "authority", "host": "authority",
    "authorization": "authorization", "apns-id": "apns_id", "apns-push-type": "push_type",
    "apns-priority": "priority", "apns-expiration": "expiration", "apns-collapse-id": "collapse_id",
    "apns-topic": "topic",
}


class Environment(StrEnum):
    """Which APNs a server plays, and which one a device token or key belongs to."""

    PRODUCTION = "production"
    SANDBOX = "sandbox"


class PushType(StrEnum):
    """Values of ``apns-push-type`` (apns-fcm.md A2.3)."""

    ALERT = "alert"
    BACKGROUND = "background"
    LOCATION = "location"
    VOIP = "voip"
    COMPLICATION = "complication"
    FILEPROVIDER = "fileprovider"
    MDM = "mdm"
    LIVEACTIVITY = "liveactivity"
    PUSHTOTALK = "pushtotalk"
    WIDGETS = "widgets"

    @property
    def topic_suffix(self) -> str | None:
        """What ``apns-topic`` must end with: "" for the bare bundle, None for any topic (mdm)."""
        return _SUFFIX[self]

    @property
    def max_payload(self) -> int:
        """Largest body APNs accepts for this push type, in bytes."""
        return 5120 if self is PushType.VOIP else 4096

    @classmethod
    def from_topic(cls, topic: str | None) -> PushType:
        """The push type implied by a topic's suffix (what PyAPNs2 infers when none is sent)."""
        for push_type, suffix in _SUFFIX.items():
            if suffix and topic is not None and topic.endswith(suffix):
                return push_type
        return cls.ALERT


_SUFFIX: dict[PushType, str | None] = {
    PushType.ALERT: "", PushType.BACKGROUND: "", PushType.LOCATION: ".location-query",
    PushType.VOIP: ".voip", PushType.COMPLICATION: ".complication",
    PushType.FILEPROVIDER: ".pushkit.fileprovider", PushType.MDM: None,
    PushType.LIVEACTIVITY: ".push-type.liveactivity", PushType.PUSHTOTALK: ".voip-ptt",
    PushType.WIDGETS: ".push-type.widgets",
}


def base_topic(topic: str) -> str:
    """The bundle id under a topic: ``com.x.voip`` -> ``com.x``; a bare bundle is returned as is."""
    # Longest suffix first, so ".pushkit.fileprovider" wins over any shorter ending.
    for suffix in sorted((s for s in _SUFFIX.values() if s), key=len, reverse=True):
        if topic.endswith(suffix) and len(topic) > len(suffix):
            return topic[: -len(suffix)]
    return topic


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value


def wire_bytes(value: str) -> bytes:
    """Encode a header value kept by ``parse`` back to its original bytes."""
    return value.encode("utf-8", "surrogateescape")


@dataclass(frozen=True, slots=True, kw_only=True)
class ApnsRequest:
    """One notification request as received; header values are raw, unvalidated strings."""

    method: str | None = "POST"
    path: str | None = None
    authority: str | None = None
    authorization: str | None = None
    apns_id: str | None = None
    push_type: str | None = None
    priority: str | None = None
    expiration: str | None = None
    collapse_id: str | None = None
    topic: str | None = None
    body: bytes = b""
    duplicate_headers: tuple[str, ...] = ()

    @property
    def token(self) -> str | None:
        """The device token from ``:path``: None when the path is not ``/3/device/...``."""
        if self.path is None:
            return None
        if self.path in ("/3/device", DEVICE_PATH):
            return ""
        if not self.path.startswith(DEVICE_PATH):
            return None
        token = self.path[len(DEVICE_PATH):]
        return None if "/" in token or "?" in token or "#" in token else token

    @classmethod
    def parse(cls, headers: Sequence[tuple[bytes, bytes]] | Sequence[tuple[str, str]], body: bytes) -> Self:
        """Build a request from raw HTTP/2 headers (bytes or str) and the collected body."""
        values: dict[str, str] = {}
        seen: dict[str, int] = {}
        for raw_name, raw_value in headers:
            name = _text(raw_name).lower()
            seen[name] = seen.get(name, 0) + 1
            field = _FIELDS.get(name)
            # ":authority" wins over "host" when a client sends both.
            if field is not None and (field not in values or name != "host"):
                values[field] = _text(raw_value)
        duplicates = tuple(name for name, count in seen.items() if count > 1)
        kwargs: dict[str, Any] = {"method": None, **values}
        return cls(**kwargs, body=bytes(body), duplicate_headers=duplicates)


@dataclass(frozen=True, slots=True, kw_only=True)
class PushAccepted:
    """APNs accepted a notification (HTTP 200)."""

    at: float
    environment: Environment
    apns_id: str
    apns_unique_id: str | None
    token: str
    topic: str
    push_type: str
    priority: int
    expiration: int | None
    collapse_id: str | None
    payload: dict[str, Any]
    team_id: str
    key_id: str
    connection_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PushRejected:
    """APNs refused a notification with ``reason`` (status ``reason.status``)."""

    at: float
    environment: Environment
    apns_id: str
    token: str
    topic: str | None
    reason: Reason
    status: int
    detail: str
    timestamp_ms: int | None
    connection_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ApnsConnectionOpened:
    """A provider opened a TLS connection (``alpn`` is None when the client offered none)."""

    at: float
    environment: Environment
    connection_id: int
    alpn: str | None
    peer: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ApnsConnectionClosed:
    """A provider connection ended after ``requests`` requests."""

    at: float
    environment: Environment
    connection_id: int
    requests: int
