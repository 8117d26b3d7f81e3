"""The simulator's own facts. Component packages define theirs (fake_apns.PushAccepted, …);
all of them travel on one bus and feed logs, the TUI, the recorder and test assertions.

A *hop* is one message crossing from one component to another: an HTTP request, an HTTP/2
stream, a websocket frame, or the OS channel between APNs and a phone. Every hop attempt,
successful or not, is published as exactly one ``HopAttempted`` by the side that made it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Protocol(StrEnum):
    """How a hop travelled."""

    HTTPS = "HTTPS/1.1"
    HTTP = "HTTP/1.1"
    HTTP2_TLS = "HTTP/2+TLS"
    WSS = "WSS"
    WS = "WS"
    OS_CHANNEL = "APNs→device"
    FCM_CHANNEL = "FCM→device"

    @property
    def is_os_channel(self) -> bool:
        """True for a push service's private connection to the phone (not a network hop we make)."""
        return self in (Protocol.OS_CHANNEL, Protocol.FCM_CHANNEL)


@dataclass(frozen=True, slots=True, kw_only=True)
class Correlation:
    """Ids that tie the hops of one notification together."""

    post_id: str = ""
    ack_id: str = ""
    apns_id: str = ""

    def merged(self, other: Correlation) -> Correlation:
        """Fill this correlation's empty ids from ``other``."""
        return Correlation(post_id=self.post_id or other.post_id, ack_id=self.ack_id or other.ack_id,
                           apns_id=self.apns_id or other.apns_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class HopAttempted:
    """One message from ``source`` to ``target`` was attempted; ``ok`` says if it got through."""

    at: float  # world clock when the hop started
    started: float  # real monotonic time it started: orders hops causally even under a frozen clock
    duration_ms: float  # measured, real time
    source: str
    target: str
    protocol: Protocol
    encrypted: bool
    operation: str  # e.g. "POST /api/v1/send_push"
    wire: tuple[tuple[str, str], ...] = ()  # what an observer of the wire (or the receiver) sees
    outcome: str  # e.g. "200 {\"status\":\"OK\"}", "403 InvalidProviderToken", "refused: …"
    ok: bool
    ids: Correlation = field(default_factory=Correlation)

    def wire_field(self, name: str) -> str | None:
        """The value of one wire field, or None."""
        for key, value in self.wire:
            if key == name:
                return value
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentStarted:
    """A component is listening."""

    at: float
    name: str
    url: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentFailed:
    """A component raised an unexpected exception; the world fails when it closes."""

    at: float
    name: str
    error: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LogLine:
    """A log line a real component would write (e.g. the server's DEBUG push line)."""

    at: float
    component: str
    level: str  # "DEBUG" | "INFO" | "WARN" | "ERROR"
    message: str
    fields: tuple[tuple[str, str], ...] = ()
