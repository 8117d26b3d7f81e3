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
        if topic is not None:
            for suffix, push_type in _BY_SUFFIX:
                if topic.endswith(suffix):
                    return push_type
        return cls.ALERT


_SUFFIX: dict[PushType, str | None] = {
    PushType.ALERT: "", PushType.BACKGROUND: "", PushType.LOCATION: ".location-query",
    PushType.VOIP: ".voip", PushType.COMPLICATION: ".complication",
    PushType.FILEPROVIDER: ".pushkit.fileprovider", PushType.MDM: None,
    PushType.LIVEACTIVITY: ".push-type.liveactivity", PushType.PUSHTOTALK: ".voip-ptt",
    PushType.WIDGETS: ".push-type.widgets",
}


# Precomputed once: both lookups below run for every request.
_BY_SUFFIX: tuple[tuple[str, PushType], ...] = tuple(
    (suffix, push_type) for push_type, suffix in _SUFFIX.items() if suffix)
# Longest suffix first, so ".pushkit.fileprovider" wins over any shorter ending.
_LONGEST_FIRST = tuple(sorted((suffix for suffix, _ in _BY_SUFFIX), key=len, reverse=True))


def base_topic(topic: str) -> str:
    """The bundle id under a topic: ``com.x.voip`` -> ``com.x``; a bare bundle is returned as is."""
    for suffix in _LONGEST_FIRST:
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
        values: dict[str, Any] = {"method": None}
        seen: dict[str, None] = {}  # an ordered set: names in the order first sent
        repeated: set[str] = set()
        for raw_name, raw_value in headers:
            name = _text(raw_name).lower()
            if name in seen:
                repeated.add(name)
            seen[name] = None
            field = _FIELDS.get(name)
            # ":authority" wins over "host" when a client sends both.
            if field is not None and (name != "host" or field not in values):
                values[field] = _text(raw_value)
        duplicates = tuple(name for name in seen if name in repeated) if repeated else ()
        return cls(**values, body=bytes(body), duplicate_headers=duplicates)


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
    key_id: str  # "" when the provider authenticated with a certificate
    connection_id: int
    certificate_serial: int | None = None  # set when the provider authenticated with a certificate


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


@dataclass(frozen=True, slots=True, kw_only=True)
class ApnsGoAwaySent:
    """The fake sent GOAWAY(NO_ERROR) with ``{"reason": reason}`` and closed the connection."""

    at: float
    environment: Environment
    connection_id: int
    reason: Reason
    last_stream_id: int


class FaultKind(StrEnum):
    """What an injected fault does: answer a reason, or act on the connection."""

    REJECT = "reject"
    DELAY = "delay"
    GOAWAY = "goaway"
    DROP = "drop"


@dataclass(frozen=True, slots=True, kw_only=True)
class ApnsFaultInjected:
    """A queued connection-level fault (delay, GOAWAY, drop) hit a request."""

    at: float
    environment: Environment
    connection_id: int
    token: str
    kind: FaultKind
    reason: Reason | None
    delay: float


class HoldCause(StrEnum):
    """Why APNs kept a notification instead of delivering it at once."""

    UNREACHABLE = "unreachable"  # the phone is offline or asleep
    DEFERRED = "deferred"  # priority 5/1: sent when the phone's power allows


@dataclass(frozen=True, slots=True, kw_only=True)
class NotificationStored:
    """APNs kept ``push`` for later; it replaced the stored ``replaced`` (an apns-id), if any."""

    at: float
    push: PushAccepted
    expires_at: float
    cause: HoldCause
    replaced: str | None

    @property
    def token(self) -> str:
        """The device token the notification waits for."""
        return self.push.token


@dataclass(frozen=True, slots=True, kw_only=True)
class NotificationExpired:
    """APNs gave up on ``push``: its expiration passed in store, or it was 0 and the phone unreachable."""

    at: float
    push: PushAccepted
    stored: bool

    @property
    def token(self) -> str:
        """The device token that never got the notification."""
        return self.push.token


@dataclass(frozen=True, slots=True, kw_only=True)
class NotificationDelivered:
    """APNs handed ``push`` to the phone after holding it ``held_for`` seconds (0: at once)."""

    at: float
    push: PushAccepted
    held_for: float

    @property
    def token(self) -> str:
        """The device token that got the notification."""
        return self.push.token

    @property
    def collapse_id(self) -> str | None:
        """The ``apns-collapse-id`` the phone uses to replace a shown notification."""
        return self.push.collapse_id


MailboxEvent = NotificationStored | NotificationExpired | NotificationDelivered

_REQUIRED_PSEUDO = frozenset((b":method", b":scheme", b":path"))
_KNOWN_PSEUDO = _REQUIRED_PSEUDO | {b":authority"}
_CONNECTION_SPECIFIC = frozenset((b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding",
                                  b"upgrade"))


def malformed(headers: Sequence[tuple[bytes, bytes]]) -> str | None:
    """Why a request header block is malformed HTTP/2 (RFC 9113 8.2-8.3), or None when it is well formed."""
    pseudo: set[bytes] = set()
    regular = False
    for name, value in headers:
        if not name:
            return "empty header name"
        if name[:1] == b":":
            if regular or name not in _KNOWN_PSEUDO or name in pseudo:
                return f"pseudo-header {name!r} is unknown, repeated or after a regular header"
            if name == b":path" and not value:
                return "empty :path"
            pseudo.add(name)
        else:
            regular = True
            if name != name.lower() or name in _CONNECTION_SPECIFIC or (name == b"te" and value != b"trailers"):
                return f"header {name!r} is not allowed in HTTP/2"
    if not _REQUIRED_PSEUDO <= pseudo:
        return "a request needs :method, :scheme and :path"
    return None
