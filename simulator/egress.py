"""The egress guard: pushsim talks only to loopback. Real Apple, Google and Mattermost hosts are
reachable only through the CONNECT proxy, which maps their names onto the world's fakes."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

# Names the CONNECT proxy answers for, and which fake each one belongs to (apns-fcm.md Part C,
# mattermost-push.md §7.1 and §9).
APPLE_HOSTS = ("api.push.apple.com", "api.sandbox.push.apple.com", "api.development.push.apple.com")
GOOGLE_HOSTS = ("fcm.googleapis.com", "oauth2.googleapis.com", "iid.googleapis.com")
MATTERMOST_HOSTS = ("push.mattermost.com", "push-test.mattermost.com", "hpns-de.mattermost.com",
                    "global.push.mattermost.com", "us.push.mattermost.com", "eu.push.mattermost.com",
                    "ap.push.mattermost.com")


class EgressRefused(Exception):
    """A component tried to reach a host outside the world."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EgressBlocked:
    """A connection to a host outside the world was refused."""

    at: float
    source: str
    host: str
    port: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TunnelOpened:
    """The CONNECT proxy mapped a real host name onto a local fake."""

    at: float
    host: str
    port: int
    target: str  # "127.0.0.1:<port>"


def is_loopback(host: str) -> bool:
    """True for localhost names and loopback addresses; no DNS lookup is ever made."""
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def require_loopback(host: str, port: int) -> None:
    """Refuse anything but loopback before a socket is opened."""
    if not is_loopback(host):
        raise EgressRefused(f"pushsim never connects outside this machine: {host}:{port} refused "
                            "(use the CONNECT proxy's names, which map onto the local fakes)")
