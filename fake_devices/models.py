"""Wire-free models of the emulated phones: platforms, states, app builds, notifications."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Platform(StrEnum):
    """The phone's operating system."""

    IOS = "ios"
    ANDROID = "android"


class AppState(StrEnum):
    """Where the Mattermost app is in its lifecycle (see lifecycle.TRANSITIONS)."""

    NOT_INSTALLED = "not_installed"
    LOGGED_OUT = "logged_out"  # installed, showing the server/login screen
    FOREGROUND = "foreground"
    BACKGROUND = "background"
    KILLED = "killed"  # logged in, but not running (swiped away / never launched since boot)


class Action(StrEnum):
    """What a person (or the OS) does to the app."""

    INSTALL = "install"
    LOG_IN = "log_in"
    BACKGROUND = "background"
    FOREGROUND = "foreground"
    KILL = "kill"
    LOG_OUT = "log_out"
    UNINSTALL = "uninstall"


class PowerState(StrEnum):
    """The phone's screen and radio (see lifecycle.POWER_TRANSITIONS)."""

    AWAKE = "awake"
    ASLEEP = "asleep"  # screen off, radio idle; apps are in the background
    DOZE = "doze"  # Android only: deep idle; only high-priority FCM messages get through


class PowerAction(StrEnum):
    """What happens to the phone itself."""

    SLEEP = "sleep"  # power button / screen timeout
    WAKE = "wake"
    DOZE = "doze"  # Android: unplugged, still and screen off for a while


class Permission(StrEnum):
    """The app's notification permission."""

    NOT_ASKED = "not_asked"
    GRANTED = "granted"
    DENIED = "denied"


@dataclass(frozen=True, slots=True, kw_only=True)
class AppBuild:
    """A build of the Mattermost app: platform, push topic/package, token prefix and push keys."""

    name: str  # "Mattermost", "Mattermost Beta", or an EAS build's name
    bundle_id: str  # APNs topic / Android package
    device_prefix: str  # "apple_rn", "apple_rnbeta", "android_rn", or an EAS build's own type
    sandbox: bool = False  # a development build registers with the APNs sandbox
    platform: Platform = Platform.IOS
    push_project: str = ""  # Android: the Firebase project whose sender id the build registers with
    version: str = "2.42.3"  # sent as mobile_version with the device id

    def device_id(self, token: str) -> str:
        """The session DeviceId the app sends on login: ``<prefix>-v2:<token>`` (§2.3)."""
        return f"{self.device_prefix}-v2:{token}"


MATTERMOST_IOS = AppBuild(name="Mattermost", bundle_id="com.mattermost.rn", device_prefix="apple_rn")
MATTERMOST_IOS_BETA = AppBuild(name="Mattermost Beta", bundle_id="com.mattermost.rnbeta",
                               device_prefix="apple_rnbeta")
# The Play Store package is com.mattermost.rn (§9); Android has no "beta" prefix (§2.3).
MATTERMOST_ANDROID = AppBuild(name="Mattermost", bundle_id="com.mattermost.rn", device_prefix="android_rn",
                              platform=Platform.ANDROID, push_project="mattermost-rn")
MATTERMOST_ANDROID_BETA = AppBuild(name="Mattermost Beta", bundle_id="com.mattermost.rnbeta",
                                   device_prefix="android_rn", platform=Platform.ANDROID,
                                   push_project="mattermost-rn")


def enterprise_build(*, name: str, bundle_id: str, platform: Platform, device_prefix: str = "",
                     push_project: str = "", sandbox: bool = False) -> AppBuild:
    """A custom Enterprise-App-Store build: its own bundle id/package, push keys and proxy type."""
    default_prefix = "apple_rn" if platform is Platform.IOS else "android_rn"
    return AppBuild(name=name, bundle_id=bundle_id, device_prefix=device_prefix or default_prefix,
                    sandbox=sandbox, platform=platform, push_project=push_project)


@dataclass(frozen=True, slots=True, kw_only=True)
class Notification:
    """One entry in a phone's notification centre (what the lock screen shows)."""

    at: float
    app: str
    title: str
    body: str
    push_type: str
    post_id: str = ""
    ack_id: str = ""
    channel_id: str = ""
    root_id: str = ""
    sender: str = ""  # Android messaging style: who wrote it (§8.3 heuristics)
    group: str = ""  # iOS thread-id / Android group: root_id with CRT, else channel_id
    verified: bool = True  # False: the signature check failed (iOS still shows it; JS ignores it)


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    """A dialog the app showed the user (exact texts of §8.2)."""

    title: str
    body: str = ""
