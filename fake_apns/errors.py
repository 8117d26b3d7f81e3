"""Errors of the fake APNs: one base class, the wire-level ``Rejection``, and caller mistakes."""

from __future__ import annotations

from .reasons import Reason


class ApnsError(Exception):
    """Base class for every fake_apns error."""


class Rejection(ApnsError):
    """APNs refuses a request for ``reason``; the core turns it into a ``PushRejected``."""

    def __init__(self, reason: Reason, *, detail: str = "", timestamp_ms: int | None = None) -> None:
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason
        self.detail = detail or reason.value
        self.timestamp_ms = timestamp_ms


class ConfigError(ApnsError, ValueError):
    """The fake was set up wrongly by its caller (bad key, bad option)."""


class UnknownDevice(ApnsError, LookupError):
    """The device registry never issued this token."""
