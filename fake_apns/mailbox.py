"""Store and forward: what APNs does with an accepted notification (apns-fcm.md A2.2, Part D 8).

Rule 1: sans-I/O. ``accept``, ``flush`` and ``sweep`` return events; the caller publishes them
and hands each delivered ``push`` to the phone. Time is the injected clock; nothing runs by itself,
so expiry is noticed on the next ``accept``, ``flush`` or ``sweep``.
Rule 2: at most one notification waits per device token (one app on one phone in one
environment): the newest replaces the older, as Apple's coalescing does.
Rule 3: ``apns-expiration: 0`` is tried once and never stored; any other value keeps the
notification until then (capped at 30 days); no header keeps it for the 30-day cap [Infer].
Rule 4: priority 5 and 1 may be deferred (``defer_low_priority``, or for one phone while the
reachability says it is asleep): held until the next flush, or until a priority-10 push wakes the phone.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Callable, Iterable, Protocol

from .models import (HoldCause, MailboxEvent, NotificationDelivered, NotificationExpired, NotificationStored,
                     PushAccepted)

STORE_LIMIT = 30 * 86400.0  # Apple keeps a notification at most 30 days


class Reachability(Protocol):
    """Tells APNs whether the phone holding a device token can take a push right now."""

    def is_reachable(self, token: str) -> bool:
        """True when the phone for ``token`` is online."""
        ...


class SleepAware(Reachability, Protocol):
    """A reachability that also knows when a phone is asleep (low-priority pushes then wait)."""

    def is_asleep(self, token: str) -> bool:
        """True while the phone for ``token`` has its screen off."""
        ...


class AlwaysReachable:
    """Every phone is always reachable: notifications are delivered the moment they are accepted."""

    def is_reachable(self, token: str) -> bool:
        """Always True."""
        return True


@dataclass(frozen=True, slots=True, kw_only=True)
class HeldNotification:
    """A notification waiting in store for its phone, for inspection."""

    push: PushAccepted
    since: float
    expires_at: float
    cause: HoldCause


@dataclass(slots=True)
class _Held:
    held: HeldNotification
    seq: int


class Mailbox:
    """Delivers accepted notifications now, or keeps the newest one per device token for later."""

    def __init__(self, *, clock: Callable[[], float], reachability: Reachability | None = None,
                 defer_low_priority: bool = False, store_limit: float = STORE_LIMIT) -> None:
        self.reachability: Reachability = reachability if reachability is not None else AlwaysReachable()
        self.defer_low_priority = defer_low_priority
        self._clock = clock
        self._store_limit = store_limit
        self._held: dict[str, _Held] = {}
        self._due: list[tuple[float, int, str]] = []  # (expires_at, seq, token): a heap; stale entries skipped
        self._seq = 0

    def accept(self, push: PushAccepted) -> list[MailboxEvent]:
        """Deliver ``push`` now, store it, or drop it (expiration 0 to an unreachable phone)."""
        now = self._clock()
        events: list[MailboxEvent] = list(self.sweep()) if self._due else []
        token = push.token
        reachable = self.reachability.is_reachable(token)
        deferred = push.priority < 10 and (self.defer_low_priority or self._asleep(token))
        if reachable and (push.expiration == 0 or not deferred):
            waiting = self._held.pop(token, None)
            if waiting is not None:  # the phone is awake for this push: what waited comes first
                events.append(self._delivered(waiting.held, now))
            events.append(NotificationDelivered(at=now, push=push, held_for=0.0))
            return events
        expires_at = self._expiry(push, now)
        if expires_at <= now:
            events.append(NotificationExpired(at=now, push=push, stored=False))
            return events
        events.append(self._store(push, now, expires_at, HoldCause.DEFERRED if reachable else HoldCause.UNREACHABLE))
        return events

    def _asleep(self, token: str) -> bool:
        is_asleep = getattr(self.reachability, "is_asleep", None)  # optional: SleepAware
        return bool(is_asleep(token)) if is_asleep is not None else False

    def flush(self, tokens: Iterable[str]) -> list[MailboxEvent]:
        """Try again now for ``tokens``: deliver what waits for each reachable phone, expire what is due."""
        events: list[MailboxEvent] = list(self.sweep())
        now = self._clock()
        for token in tokens:
            token = token.lower()
            if token in self._held and self.reachability.is_reachable(token):
                events.append(self._delivered(self._held.pop(token).held, now))
        return events

    def flush_all(self) -> list[MailboxEvent]:
        """``flush`` every token that has something waiting."""
        return self.flush(list(self._held))

    def sweep(self) -> list[NotificationExpired]:
        """Expire every stored notification whose expiration has passed on the clock."""
        now = self._clock()
        expired: list[NotificationExpired] = []
        while self._due and self._due[0][0] <= now:
            _, seq, token = heapq.heappop(self._due)
            waiting = self._held.get(token)
            if waiting is not None and waiting.seq == seq:
                del self._held[token]
                expired.append(NotificationExpired(at=now, push=waiting.held.push, stored=True))
        return expired

    def stored(self, token: str | None = None) -> tuple[HeldNotification, ...]:
        """What waits in store (for ``token`` only, if given)."""
        if token is not None:
            waiting = self._held.get(token.lower())
            return (waiting.held,) if waiting is not None else ()
        return tuple(w.held for w in self._held.values())

    def clear(self) -> None:
        """Forget everything stored, without events."""
        self._held.clear()
        self._due.clear()

    def _store(self, push: PushAccepted, now: float, expires_at: float, cause: HoldCause) -> NotificationStored:
        self._seq += 1
        replaced = self._held.get(push.token)
        self._held[push.token] = _Held(HeldNotification(push=push, since=now, expires_at=expires_at, cause=cause),
                                       self._seq)
        heapq.heappush(self._due, (expires_at, self._seq, push.token))
        return NotificationStored(at=now, push=push, expires_at=expires_at, cause=cause,
                                  replaced=replaced.held.push.apns_id if replaced is not None else None)

    def _expiry(self, push: PushAccepted, now: float) -> float:
        if push.expiration is None:
            return now + self._store_limit
        return min(float(push.expiration), now + self._store_limit)

    @staticmethod
    def _delivered(held: HeldNotification, now: float) -> NotificationDelivered:
        return NotificationDelivered(at=now, push=held.push, held_for=now - held.since)
