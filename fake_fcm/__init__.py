"""A fake Firebase Cloud Messaging: a sans-I/O core (``FcmCore``) that decides what Google would
answer (OAuth2 token endpoint, HTTP v1 send, legacy ``/fcm/send``) and stores and forwards
messages to phones, and a thin HTTPS adapter (``FakeFcm``, aiohttp) around it.

This is a leaf package: it imports only the stdlib, aiohttp and cryptography.
"""

from __future__ import annotations

from .auth import CLOUD_PLATFORM_SCOPE, FCM_SCOPE, AccessToken, BearerProblem, TokenIssuer
from .codes import FcmError, LegacyError, OAuthError, Status
from .control import FcmControl
from .core import FcmCore
from .errors import ConfigError, FakeFcmError, GrantRefused, LegacyRefusal, Rejection, UnknownRegistration
from .events import (AccessTokenIssued, AccessTokenRefused, ConnectionDropped, DeletedMessagesNotified, Delivery,
                     DropReason, MessageAccepted, MessageDelivered, MessageDropped, MessageExpired, MessageRejected,
                     MessageStored)
from .faults import FaultKind, Faults, PendingFault
from .history import History
from .mailbox import AlwaysOnline, Connectivity, Mailbox, PendingMessage, Reachability
from .models import Api, HttpRequest, LegacyMode, Message, Priority, Reply
from .registry import AndroidApp, Project, Registration, Registry, ServiceAccount, TokenProblem, new_rsa_key
from .server import FakeFcm

__all__ = [
    "AccessToken", "AccessTokenIssued", "AccessTokenRefused", "AlwaysOnline", "AndroidApp", "Api", "BearerProblem",
    "CLOUD_PLATFORM_SCOPE", "ConfigError", "ConnectionDropped", "Connectivity", "DeletedMessagesNotified",
    "Delivery", "DropReason", "FCM_SCOPE", "FakeFcm", "FakeFcmError", "FaultKind", "Faults", "FcmControl", "FcmCore",
    "FcmError", "GrantRefused", "History", "HttpRequest", "LegacyError", "LegacyMode", "LegacyRefusal", "Mailbox",
    "Message",
    "MessageAccepted", "MessageDelivered", "MessageDropped", "MessageExpired", "MessageRejected", "MessageStored",
    "OAuthError", "PendingFault", "PendingMessage", "Priority", "Project", "Reachability", "Registration",
    "Registry", "Rejection", "Reply", "ServiceAccount", "Status", "TokenIssuer", "TokenProblem",
    "UnknownRegistration", "new_rsa_key",
]
