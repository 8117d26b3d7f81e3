"""Emulated iOS/Android phones running Mattermost apps: lifecycle, lock screen, acks, signature
checks, server connection, network conditions and the doc's performance benchmarks.

A leaf package: it reaches the push services and the chat server only through the ``Registrar``
and ``ServerLink`` seams it declares (seams.py).
"""

from __future__ import annotations

from .android import android_texts, merge_id_loaded_android, receive_android
from .catalog import DEVICES, DeviceModel, device
from .errors import (CertificateInvalid, ConnectFailed, DeviceError, ForbiddenTransition, LinkFailure,
                     ServerRefused, UnknownToken, Unreachable)
from .events import (AlertShown, AppStateChanged, ChannelLoaded, NotificationShown, NotificationsCleared,
                     PowerChanged, PushReceived, ServerConnected)
from .fleet import Fleet
from .lifecycle import POWER_TRANSITIONS, TRANSITIONS, step, step_power
from .models import (MATTERMOST_ANDROID, MATTERMOST_ANDROID_BETA, MATTERMOST_IOS, MATTERMOST_IOS_BETA, Action,
                     Alert, AppBuild, AppState, Notification, Permission, Platform, PowerAction, PowerState,
                     enterprise_build)
from .network import NETWORKS, NetworkProfile, Radio, network
from .perf import ADVICE, BENCHMARKS, Benchmark, Check, Measurement, Meter, Part, Work
from .phone import AppInstance, Phone
from .receiver import UNVERIFIED_IOS, Reception, merge_id_loaded_ios, receive_ios
from .seams import AndroidRegistrar, Metering, Registrar, ServerLink
from .servers import sanitize_url
from .signature import NO_SIGNATURE, ServerInfo, SignatureCheck, server_signs, verify_signature
from .trust import TrustStore, UserCa

__all__ = [
    "ADVICE", "Action", "Alert", "AlertShown", "AndroidRegistrar", "AppBuild", "AppInstance", "AppState",
    "AppStateChanged", "BENCHMARKS", "Benchmark", "CertificateInvalid", "ChannelLoaded", "Check", "ConnectFailed",
    "DEVICES", "DeviceError", "DeviceModel", "Fleet", "ForbiddenTransition", "LinkFailure", "MATTERMOST_ANDROID",
    "MATTERMOST_ANDROID_BETA", "MATTERMOST_IOS", "MATTERMOST_IOS_BETA", "Measurement", "Meter", "Metering", "NETWORKS",
    "NO_SIGNATURE", "NetworkProfile", "Notification", "NotificationShown", "NotificationsCleared", "POWER_TRANSITIONS",
    "Part", "Permission", "Phone", "Platform", "PowerAction", "PowerChanged", "PowerState", "PushReceived", "Radio",
    "Reception", "Registrar", "ServerConnected", "ServerInfo", "ServerLink", "ServerRefused", "SignatureCheck",
    "TRANSITIONS", "TrustStore", "UNVERIFIED_IOS", "UnknownToken", "Unreachable", "UserCa", "Work",
    "android_texts", "device", "enterprise_build", "merge_id_loaded_android", "merge_id_loaded_ios", "network",
    "receive_android", "receive_ios", "sanitize_url", "server_signs", "step", "step_power", "verify_signature",
]
