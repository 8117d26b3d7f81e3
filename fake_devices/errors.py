"""Errors of the emulated phones, grouped by what the caller can do about them."""

from __future__ import annotations

from .models import Alert


class DeviceError(Exception):
    """Base class for phone errors."""


class ForbiddenTransition(DeviceError):
    """The app cannot do that in its current state (e.g. background an app that is not running)."""


class UnknownToken(DeviceError):
    """No phone holds this push token."""


class LinkFailure(DeviceError):
    """The app's network client could not complete a request (raised by ``ServerLink`` methods)."""


class Unreachable(LinkFailure):
    """No connection: refused, timed out, or the phone is offline."""


class CertificateInvalid(LinkFailure):
    """The server's TLS certificate is not trusted by this phone (or is not for this host)."""

    def __init__(self, message: str, *, host: str) -> None:
        super().__init__(message)
        self.host = host


class ServerRefused(LinkFailure):
    """The server answered with an HTTP error status."""

    def __init__(self, message: str, *, status: int, body: bytes = b"", reject_reason: str = "") -> None:
        super().__init__(message)
        self.status, self.body, self.reject_reason = status, body, reject_reason


class ConnectFailed(DeviceError):
    """Adding a server failed; ``alert`` is what the app showed the user."""

    def __init__(self, alert: Alert) -> None:
        super().__init__(f"{alert.title}: {alert.body}" if alert.body else alert.title)
        self.alert = alert
