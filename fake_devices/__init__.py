"""Emulated iOS/Android phones running Mattermost apps: lifecycle, lock screen, acks.

A leaf package: it reaches APNs and the chat server only through the ``Registrar`` and
``ServerLink`` seams it declares.
"""

from __future__ import annotations

from .errors import DeviceError, ForbiddenTransition, UnknownToken
from .fleet import Fleet
from .lifecycle import TRANSITIONS, step
from .models import (MATTERMOST_IOS, MATTERMOST_IOS_BETA, Action, AppBuild, AppState, AppStateChanged,
                     Notification, NotificationShown, NotificationsCleared, Platform, PushReceived)
from .phone import AppInstance, Phone, Registrar, ServerLink
from .receiver import Reception, receive_ios

__all__ = [
    "Action", "AppBuild", "AppInstance", "AppState", "AppStateChanged", "DeviceError", "Fleet",
    "ForbiddenTransition", "MATTERMOST_IOS", "MATTERMOST_IOS_BETA", "Notification", "NotificationShown",
    "NotificationsCleared", "Phone", "Platform", "PushReceived", "Reception", "Registrar", "ServerLink",
    "TRANSITIONS", "UnknownToken", "receive_ios", "step",
]
