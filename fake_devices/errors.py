"""Errors of the emulated phones."""

from __future__ import annotations


class DeviceError(Exception):
    """Base class for phone errors."""


class ForbiddenTransition(DeviceError):
    """The app cannot do that in its current state (e.g. background an app that is not running)."""


class UnknownToken(DeviceError):
    """No phone holds this push token."""
