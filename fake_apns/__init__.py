"""A fake Apple Push Notification service: a sans-I/O core (``ApnsCore``) that decides what APNs
would answer, a store-and-forward ``Mailbox``, a thin HTTP/2-over-TLS adapter (``FakeApns``) and an
inspection/control HTTP API (``ApnsControl``). See ``fake_apns.control`` for the control API's routes.

This is a leaf package: it imports only the stdlib, h2, aiohttp (control API only) and cryptography.
"""

from __future__ import annotations

from .auth import KeyRing, VerifiedToken
from .certs import ProviderCertificates, ProviderIdentity
from .control import ApnsControl
from .core import ApnsCore, ConnectionState
from .errors import ApnsError, ConfigError, Rejection, UnknownDevice
from .faults import Faults, PendingFault
from .history import History
from .mailbox import AlwaysReachable, HeldNotification, Mailbox, Reachability
from .models import (ApnsConnectionClosed, ApnsConnectionOpened, ApnsFaultInjected, ApnsGoAwaySent, ApnsRequest,
                     Environment, FaultKind, HoldCause, NotificationDelivered, NotificationExpired,
                     NotificationStored, PushAccepted, PushRejected, PushType)
from .reasons import Reason
from .registry import DeviceRecord, DeviceRegistry
from .server import FakeApns

__all__ = [
    "AlwaysReachable", "ApnsConnectionClosed", "ApnsConnectionOpened", "ApnsControl", "ApnsCore", "ApnsError",
    "ApnsFaultInjected", "ApnsGoAwaySent", "ApnsRequest", "ConfigError", "ConnectionState", "DeviceRecord",
    "DeviceRegistry", "Environment", "FakeApns", "FaultKind", "Faults", "HeldNotification", "History", "HoldCause",
    "KeyRing", "Mailbox", "NotificationDelivered", "NotificationExpired", "NotificationStored", "PendingFault",
    "ProviderCertificates", "ProviderIdentity", "PushAccepted", "PushRejected", "PushType", "Reachability",
    "Reason", "Rejection", "UnknownDevice", "VerifiedToken",
]
