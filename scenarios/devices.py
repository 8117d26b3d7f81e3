"""Phone conditions (``do = "<kind>"``): network, power and the notification switch.

These change what the push services can do with a phone rather than what its user does in the
app: an offline phone makes APNs and FCM store its pushes, and going back online (or waking)
makes them deliver what they held (simulator/reach.py); a denied app shows nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fake_devices import NETWORKS, Permission, Platform, network

from .steps import Fields, action

if TYPE_CHECKING:
    from .runner import World

LOOPBACK = "loopback"  # no profile: the world's unshaped 127.0.0.1 (what phones start with)
_POWER_MOVES = {"sleep": "goes to sleep", "wake": "wakes up", "doze": "enters Doze"}


@action("set_network")
@dataclass(frozen=True, slots=True)
class SetNetwork:
    """Move the phone to a network (``offline``, ``wifi``, ``4g``, ``5g``, ``3g``, … or ``loopback``)."""

    phone: str
    network: str

    @classmethod
    def parse(cls, f: Fields) -> SetNetwork:
        phone, name = f.phone(), f.text("network")
        if name.lower() not in NETWORKS and name != LOOPBACK:
            raise f.error("network", f"unknown network {name!r} (known: {', '.join(sorted([*NETWORKS, LOOPBACK]))})")
        return cls(phone, name.lower())

    def describe(self) -> str:
        where = "unshaped loopback" if self.network == LOOPBACK else network(self.network).describe()
        return f"{self.phone} goes {'offline' if self.network == 'offline' else f'onto {where}'}"

    async def run(self, world: World) -> str:
        phone = world.phones[self.phone]
        phone.set_network(None if self.network == LOOPBACK else network(self.network))
        return "online" if phone.online else "no connection: APNs and FCM store its pushes"


@dataclass(frozen=True, slots=True)
class _Power:
    phone: str
    verb = ""

    @classmethod
    def parse(cls, f: Fields) -> _Power:
        return cls(f.phone())

    def describe(self) -> str:
        return f"{self.phone} {_POWER_MOVES[self.verb]}"

    async def run(self, world: World) -> str:
        phone = world.phones[self.phone]
        if self.verb == "sleep":
            await phone.sleep()
        else:
            getattr(phone, self.verb)()
        return str(phone.power)


@action("sleep")
class Sleep(_Power):
    """Press the power button: the app in front goes to the background, the screen goes dark."""

    verb = "sleep"


@action("wake")
class Wake(_Power):
    """Wake the phone: what Doze held back, and what the push services stored, arrives."""

    verb = "wake"


@action("doze")
class Doze(_Power):
    """Android: the sleeping phone enters Doze (only high-priority FCM messages get through)."""

    verb = "doze"

    @classmethod
    def parse(cls, f: Fields) -> Doze:
        phone = f.phone()
        if f.cast.platforms.get(phone) != Platform.ANDROID.value:
            raise f.error("phone", f"{phone} is not an Android phone: only Android has Doze")
        return cls(phone)


@dataclass(frozen=True, slots=True)
class _Switch:
    phone: str
    permission = Permission.GRANTED

    @classmethod
    def parse(cls, f: Fields) -> _Switch:
        return cls(f.phone())

    def describe(self) -> str:
        verb = "allows" if self.permission is Permission.GRANTED else "turns off"
        return f"{self.phone} {verb} notifications for the app"

    async def run(self, world: World) -> str:
        world.phones[self.phone].set_permission(self.permission)
        return ""


@action("allow_notifications")
class AllowNotifications(_Switch):
    """Settings > Notifications: turn the app's notifications on."""

    permission = Permission.GRANTED


@action("deny_notifications")
class DenyNotifications(_Switch):
    """Settings > Notifications: turn the app's notifications off (the phone shows nothing from it)."""

    permission = Permission.DENIED
