"""A fake Apple Push Notification service: a sans-I/O core (``ApnsCore``) that decides what APNs
would answer, and a thin HTTP/2-over-TLS adapter (``FakeApns``) around it.

This is a leaf package: it imports only the stdlib, h2 and cryptography.
"""

from __future__ import annotations

from .auth import KeyRing
from .core import ApnsCore, ConnectionState
from .errors import ApnsError, ConfigError, Rejection, UnknownDevice
from .faults import Faults, PendingFault
from .models import (ApnsConnectionClosed, ApnsConnectionOpened, ApnsRequest, Environment, PushAccepted,
                     PushRejected, PushType)
from .reasons import Reason
from .registry import DeviceRecord, DeviceRegistry
from .server import FakeApns

__all__ = [
    "ApnsConnectionClosed", "ApnsConnectionOpened", "ApnsCore", "ApnsError", "ApnsRequest", "ConfigError",
    "ConnectionState", "DeviceRecord", "DeviceRegistry", "Environment", "FakeApns", "Faults", "KeyRing",
    "PendingFault", "PushAccepted", "PushRejected", "PushType", "Reason", "Rejection", "UnknownDevice",
]
