"""Expectations on what became of pushes after the proxy: the tray, and APNs'/FCM's store-and-forward.

- ``cleared``: a ``clear`` push (a channel read on another device, §7.7) removed tray entries.
- ``notification_count``: how many notifications a phone showed (counts, never timings).
- ``stored`` / ``expired``: the push service held a push for an unreachable phone, or gave up on
  it when its time ran out (apns-fcm.md A2.2; the proxy sends no ``apns-expiration``, so APNs keeps
  it for its 30-day cap, §4.1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fake_apns import NotificationExpired, NotificationStored
from fake_devices import NotificationShown, NotificationsCleared
from fake_fcm import MessageExpired, MessageStored

from .expectations import diagnose
from .model import StepFailed
from .steps import Fields, expectation

if TYPE_CHECKING:
    from .runner import World


@expectation("cleared")
@dataclass(frozen=True, slots=True)
class Cleared:
    """A clear push reached the phone: the channel's (``post``'s) notifications left its tray (``removed``: N)."""

    phone: str
    post: str | None
    removed: int | None
    within: float

    @classmethod
    def parse(cls, f: Fields) -> Cleared:
        return cls(f.phone(), f.post(), f.integer("removed", None, minimum=0), f.within())

    def describe(self) -> str:
        what = f" the notification of {self.post}" if self.post else ""
        many = f" ({self.removed} removed)" if self.removed is not None else ""
        return f"{self.phone} cleared{what}{many}"

    async def run(self, world: World) -> str:
        channel = world.sim.chat_core.post(world.posts[self.post]).channel_id if self.post else None
        try:
            done = await world.sim.bus.wait_for(NotificationsCleared, lambda e: e.phone == self.phone and (
                channel is None or e.channel_id == channel) and (self.removed is None or e.removed == self.removed),
                since=world.since, timeout=self.within)
        except TimeoutError:
            seen = [f"{e.removed} removed in channel {e.channel_id}" for e in world.sim.bus.find(
                NotificationsCleared, lambda e: e.phone == self.phone, since=world.since)]
            raise StepFailed(f"no such clear on {self.phone} within {self.within:g}s "
                             f"({'clears seen: ' + '; '.join(seen) if seen else diagnose(world)})") from None
        left = [n for n in world.phones[self.phone].notification_centre if channel and n.channel_id == channel]
        if left:
            raise StepFailed(f"{self.phone} still shows {left[0].title!r} — {left[0].body!r} after the clear")
        return f"{done.removed} removed"


@expectation("notification_count")
@dataclass(frozen=True, slots=True)
class NotificationCount:
    """Once the world has settled, the phone showed exactly ``count`` notifications since the latest action."""

    phone: str
    count: int
    within: float

    @classmethod
    def parse(cls, f: Fields) -> NotificationCount:
        return cls(f.phone(), f.integer("count", minimum=0), f.within())

    def describe(self) -> str:
        return f"{self.count} notification(s) on {self.phone}"

    async def run(self, world: World) -> str:
        await world.settle(self.within)
        shown = world.sim.bus.find(NotificationShown, lambda e: e.phone == self.phone, since=world.since)
        if len(shown) != self.count:
            raise StepFailed(f"{self.phone} showed {len(shown)} notification(s), not {self.count}"
                             + ("" if shown else f" ({diagnose(world)})"))
        return f"{len(shown)} shown"


@dataclass(frozen=True, slots=True)
class _Held:
    phone: str
    within: float

    @classmethod
    def parse(cls, f: Fields) -> Any:
        return cls(f.phone(), f.within())

    def _mine(self, world: World) -> Callable[[object], bool]:
        tokens = world.tokens_of(self.phone)  # FCM events name the phone; APNs events only its token
        return lambda e: (getattr(e, "phone_id", None) == self.phone
                          or (isinstance(e, (NotificationStored, NotificationExpired)) and e.token.lower() in tokens))

    async def _await(self, world: World, kinds: tuple[type, ...], what: str) -> str:
        mine = self._mine(world)
        try:
            found = await world.sim.bus.wait_for(object, lambda e: isinstance(e, kinds) and mine(e),
                                                 since=world.since, timeout=self.within)
        except TimeoutError:
            raise StepFailed(f"no push for {self.phone} {what} within {self.within:g}s "
                             f"({diagnose(world)})") from None
        return "APNs" if isinstance(found, (NotificationStored, NotificationExpired)) else "FCM"


@expectation("stored")
class Stored(_Held):
    """APNs or FCM holds a push for the phone, which it cannot reach now (offline)."""

    def describe(self) -> str:
        return f"a push for {self.phone} is stored by its push service"

    async def run(self, world: World) -> str:
        return f"{await self._await(world, (NotificationStored, MessageStored), 'was stored')} holds it"


@expectation("expired")
class Expired(_Held):
    """APNs or FCM gave up on a push it held for the phone: its time ran out before the phone came back."""

    def describe(self) -> str:
        return f"a stored push for {self.phone} expires"

    async def run(self, world: World) -> str:
        return f"{await self._await(world, (NotificationExpired, MessageExpired), 'expired')} dropped it"
