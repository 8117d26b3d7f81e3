"""Expectations (``expect = "<kind>"``): facts the world must publish, each within a deadline.

Presence checks await the fact on the bus (``within`` seconds, default 5) among the events since
the latest action began. Absence checks (``no_*``, ``badge``) first wait until the world's accepted
work has finished, then look; a settled world cannot publish the fact later. When a check fails,
the message says what happened instead (what was shown, the hops seen, the deepest failed hop).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from fake_apns import PushRejected, Reason
from fake_devices import Notification, NotificationShown
from simulator import HopAttempted
from simulator.chat.models import PushDecision, SkipReason

from .model import StepFailed
from .steps import Fields, expectation

if TYPE_CHECKING:
    from .runner import World

# Hop ends and log writers besides phones and web users: the chat server, the primary push proxy
# ("proxy"), the other public proxies by role, APNs, FCM and its OAuth2 token endpoint.
COMPONENTS = frozenset({"chat", "proxy", "hpns", "tpns", "apns", "fcm", "fcm-oauth2"})
LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR")


def diagnose(world: World) -> str:
    """Why nothing arrived, as far as the bus knows: skipped pushes and the deepest failed hop."""
    bus, notes = world.sim.bus, []
    for d in bus.find(PushDecision, lambda d: not d.send, since=world.since):
        notes.append(f"no push for {d.username}: {d.reason}")
    failed = [h for h in bus.find(HopAttempted, lambda h: not h.ok, since=world.since)]
    if failed:
        h = max(failed, key=lambda h: h.started)
        notes.append(f"failed hop {h.source} → {h.target} {h.operation}: {h.outcome}")
    return "; ".join(notes) or "no push decision or failed hop was published"


async def _await(world: World, kind: type, where: Callable[[Any], bool], within: float) -> Any:
    try:
        return await world.sim.bus.wait_for(kind, where, since=world.since, timeout=within)
    except TimeoutError:
        return None


@expectation("notification")
@dataclass(frozen=True, slots=True)
class NotificationOnPhone:
    """The phone's lock screen shows a notification (``title``/``body`` or ``body_contains``, ``app``, ``verified``)."""

    phone: str
    title: str | None
    body: str | None
    body_contains: str | None
    post: str | None
    within: float
    app: str | None = None
    verified: bool | None = None

    @classmethod
    def parse(cls, f: Fields) -> NotificationOnPhone:
        return cls(f.phone(), f.text("title", None), f.text("body", None), f.text("body_contains", None),
                   f.post(), f.within(), f.text("app", None), f.flag("verified", None))

    def describe(self) -> str:
        wanted = " ".join(f"{k}={v!r}" for k, v in (("title", self.title), ("body", self.body),
                                                   ("body_contains", self.body_contains), ("app", self.app),
                                                   ("verified", self.verified)) if v is not None)
        return f"notification on {self.phone}" + (f" {wanted}" if wanted else "")

    def fits(self, n: Notification, post_id: str | None) -> bool:
        return ((self.title is None or n.title == self.title) and (self.body is None or n.body == self.body)
                and (self.body_contains is None or self.body_contains in n.body)
                and (self.app is None or n.app == self.app)
                and (self.verified is None or n.verified == self.verified)
                and (post_id is None or n.post_id == post_id))

    async def run(self, world: World) -> str:
        post_id = world.post_id(self.post)
        shown = await _await(world, NotificationShown,
                             lambda e: e.phone == self.phone and self.fits(e.notification, post_id), self.within)
        if shown is not None:
            n = shown.notification
            return f"{n.title} — {n.body}" + ("" if n.verified else " (unverified)")
        others = [_shown(e.notification) for e in world.sim.bus.find(
            NotificationShown, lambda e: e.phone == self.phone, since=world.since)]
        instead = f"shown instead: {', '.join(others)}" if others else diagnose(world)
        raise StepFailed(f"no such notification on {self.phone} within {self.within:g}s ({instead})")


def _shown(n: Notification) -> str:
    return f"{n.title!r} — {n.body!r}" + ("" if n.verified else " (unverified)")


@expectation("no_notification")
@dataclass(frozen=True, slots=True)
class NoNotification:
    """Once the world has settled, the phone showed nothing (for ``post``, if given)."""

    phone: str
    post: str | None
    within: float

    @classmethod
    def parse(cls, f: Fields) -> NoNotification:
        return cls(f.phone(), f.post(), f.within())

    def describe(self) -> str:
        return f"no notification on {self.phone}"

    async def run(self, world: World) -> str:
        await world.settle(self.within)
        post_id = world.post_id(self.post)
        shown = world.sim.bus.find(NotificationShown, lambda e: e.phone == self.phone and (
            post_id is None or e.notification.post_id == post_id), since=world.since)
        if shown:
            n = shown[0].notification
            raise StepFailed(f"{self.phone} showed {n.title!r} — {n.body!r}")
        return diagnose(world)


@dataclass(frozen=True, slots=True)
class _Decision:
    user: str
    post: str | None
    within: float

    async def decision(self, world: World) -> PushDecision:
        post_id = world.post_id(self.post)
        found = await _await(world, PushDecision, lambda d: d.username == self.user and (
            post_id is None or d.post_id == post_id), self.within)
        if found is None:
            raise StepFailed(f"the server decided nothing about {self.user} within {self.within:g}s "
                             "(not a member of the channel, or no post was made?)")
        return found


@expectation("push_sent")
@dataclass(frozen=True, slots=True)
class PushSent(_Decision):
    """The chat server decided to push to the user."""

    @classmethod
    def parse(cls, f: Fields) -> PushSent:
        return cls(f.user(), f.post(), f.within())

    def describe(self) -> str:
        return f"the server pushes to {self.user}"

    async def run(self, world: World) -> str:
        d = await self.decision(world)
        if not d.send:
            raise StepFailed(f"the server sent no push to {self.user}: {d.reason}")
        return f"post {d.post_id}"


@expectation("no_push")
@dataclass(frozen=True, slots=True)
class NoPush(_Decision):
    """The chat server decided not to push to the user, for ``reason`` (§7.4)."""

    reason: SkipReason

    @classmethod
    def parse(cls, f: Fields) -> NoPush:
        return cls(f.user(), f.post(), f.within(), f.choice("reason", SkipReason))

    def describe(self) -> str:
        return f"no push to {self.user} because {self.reason.value}"

    async def run(self, world: World) -> str:
        d = await self.decision(world)
        if d.send:
            raise StepFailed(f"the server pushed to {self.user} (expected no push: {self.reason.value})")
        if d.reason != self.reason:
            raise StepFailed(f"no push to {self.user}, but because {d.reason}, not {self.reason.value}")
        return ""


def _hop_ends(f: Fields, name: str, required: bool) -> Any:
    value = f.text(name) if required else f.text(name, None)
    known = COMPONENTS | f.cast.phones | f.cast.users
    if value is not None and value not in known:
        raise f.error(name, f"{value!r} is not a component, phone or user (known: {', '.join(sorted(known))})")
    return value


@expectation("hop")
@dataclass(frozen=True, slots=True)
class Hop:
    """A message went from ``from`` to ``to`` (filters: ok, operation, outcome, tls, wire); ``count``: exactly N."""

    source: str
    target: str
    ok: bool | None
    operation: str | None
    outcome: str | None
    tls: bool | None
    wire_contains: str | None
    wire_lacks: str | None
    post: str | None
    within: float
    count: int | None = None

    @classmethod
    def parse(cls, f: Fields) -> Hop:
        return cls(_hop_ends(f, "from", True), _hop_ends(f, "to", True), f.flag("ok", None),
                   f.text("operation", None), f.text("outcome", None), f.flag("tls", None),
                   f.text("wire_contains", None), f.text("wire_lacks", None), f.post(), f.within(),
                   f.integer("count", None, minimum=1))

    def describe(self) -> str:
        extra = [f"{k} {v!r}" for k, v in (("ok", self.ok), ("operation", self.operation), ("outcome", self.outcome),
                                           ("tls", self.tls), ("wire has", self.wire_contains),
                                           ("wire lacks", self.wire_lacks)) if v is not None]
        times = f" ×{self.count}" if self.count is not None else ""
        return f"hop {self.source} → {self.target}" + (f" ({', '.join(extra)})" if extra else "") + times

    def fits(self, h: HopAttempted, post_id: str | None) -> bool:
        wire = " ".join(v for _, v in h.wire)
        return (h.source == self.source and h.target == self.target
                and (self.ok is None or h.ok == self.ok) and (self.tls is None or h.encrypted == self.tls)
                and (self.operation is None or self.operation in h.operation)
                and (self.outcome is None or self.outcome in h.outcome)
                and (self.wire_contains is None or self.wire_contains in wire)
                and (self.wire_lacks is None or self.wire_lacks not in wire)
                and (post_id is None or h.ids.post_id == post_id))

    async def run(self, world: World) -> str:
        post_id = world.post_id(self.post)
        if self.count is not None:  # a count is a fact about finished work: settle, then count
            await world.settle(self.within)
            found = world.sim.bus.find(HopAttempted, lambda h: self.fits(h, post_id), since=world.since)
            if len(found) != self.count:
                raise StepFailed(f"{len(found)} matching hop(s) {self.source} → {self.target}, not {self.count}")
            return f"{len(found)} hop(s)"
        hop = await _await(world, HopAttempted, lambda h: self.fits(h, post_id), self.within)
        if hop is not None:
            return f"{hop.operation} ⇒ {hop.outcome}"
        seen = [f"{h.operation} ⇒ {h.outcome}" for h in world.sim.bus.find(
            HopAttempted, lambda h: h.source == self.source and h.target == self.target, since=world.since)]
        raise StepFailed(f"no matching hop {self.source} → {self.target} within {self.within:g}s "
                         f"(seen: {'; '.join(seen) if seen else 'none'})")


@expectation("no_hop")
@dataclass(frozen=True, slots=True)
class NoHop:
    """Once the world has settled, no message went from ``from`` to ``to`` (with ``operation``)."""

    source: str
    target: str
    operation: str | None
    within: float

    @classmethod
    def parse(cls, f: Fields) -> NoHop:
        return cls(_hop_ends(f, "from", True), _hop_ends(f, "to", True), f.text("operation", None), f.within())

    def describe(self) -> str:
        return f"no hop {self.source} → {self.target}" + (f" {self.operation}" if self.operation else "")

    async def run(self, world: World) -> str:
        await world.settle(self.within)
        seen = world.sim.bus.find(HopAttempted, lambda h: h.source == self.source and h.target == self.target and (
            self.operation is None or self.operation in h.operation), since=world.since)
        if seen:
            raise StepFailed(f"{len(seen)} hop(s) {self.source} → {self.target}: {seen[0].operation} ⇒ {seen[0].outcome}")
        return ""


@expectation("apns_rejected")
@dataclass(frozen=True, slots=True)
class ApnsRejected:
    """APNs refused a push with ``reason`` (to ``phone``'s current or last token, if given)."""

    reason: Reason
    phone: str | None
    within: float

    @classmethod
    def parse(cls, f: Fields) -> ApnsRejected:
        return cls(f.choice("reason", Reason), f.phone("phone", None), f.within())

    def describe(self) -> str:
        return f"APNs answers {self.reason.status} {self.reason.value}" + (f" for {self.phone}" if self.phone else "")

    async def run(self, world: World) -> str:
        tokens = world.tokens_of(self.phone) if self.phone else None
        found = await _await(world, PushRejected, lambda r: r.reason == self.reason and (
            tokens is None or r.token.lower() in tokens), self.within)
        if found is None:
            seen = [str(r.reason) for r in world.sim.bus.find(PushRejected, since=world.since)]
            raise StepFailed(f"APNs did not answer {self.reason.value} within {self.within:g}s "
                             f"(rejections seen: {', '.join(seen) or 'none'})")
        return f"{found.status} {found.reason.value}"


@expectation("badge")
@dataclass(frozen=True, slots=True)
class Badge:
    """Once the world has settled, the phone's app icon badge shows ``value``."""

    phone: str
    value: int
    within: float

    @classmethod
    def parse(cls, f: Fields) -> Badge:
        return cls(f.phone(), f.integer("value", minimum=0), f.within())

    def describe(self) -> str:
        return f"badge {self.value} on {self.phone}"

    async def run(self, world: World) -> str:
        await world.settle(self.within)
        badge = world.phones[self.phone].badge
        if badge != self.value:
            raise StepFailed(f"{self.phone} shows badge {badge}, not {self.value}")
        return ""


async def wait_for_notification(sim: Any, phone: Any, *, title: str | None = None, body: str | None = None,
                                body_contains: str | None = None, post_id: str | None = None,
                                timeout: float = 5.0, since: int = 0) -> Notification:
    """The first notification ``phone`` (a ``Phone`` or its name) shows that fits, within ``timeout``.

    Raises ``StepFailed`` (an AssertionError) saying what the phone showed instead, or why nothing came.
    """
    name = phone if isinstance(phone, str) else phone.name
    want = NotificationOnPhone(name, title, body, body_contains, None, timeout)
    try:
        shown = await sim.bus.wait_for(NotificationShown, lambda e: e.phone == name and want.fits(
            e.notification, post_id), since=since, timeout=timeout)
    except TimeoutError:
        others = [_shown(e.notification) for e in sim.bus.find(NotificationShown, lambda e: e.phone == name,
                                                                since=since)]
        failed = [h for h in sim.bus.find(HopAttempted, lambda h: not h.ok, since=since)]
        why = (f"shown instead: {', '.join(others)}" if others else
               f"deepest failed hop: {failed[-1].source} → {failed[-1].target} {failed[-1].outcome}" if failed
               else "nothing was shown")
        raise StepFailed(f"no {want.describe()} within {timeout:g}s ({why})") from None
    return shown.notification
