"""Store-and-forward between FCM and the phones (apns-fcm.md B4), sans I/O: every method returns
the events that happened, in order; the adapter publishes them and hands deliveries to the phone.

Rules (F-collapse, F-prio):
1. A reachable phone gets a message at once. A phone in Doze gets high priority at once; normal
   priority waits until it wakes. An offline phone gets nothing until ``flush``.
2. At most 100 non-collapsible messages wait per phone; one more and all of them are discarded,
   and each affected app is later told so (``onDeletedMessages``) before anything else.
3. Collapsible messages: the newest per (app, collapse key) wins, at most 4 keys per phone; a
   fifth key pushes out the oldest (FCM leaves which one undefined).
4. A stored message expires when its TTL runs out on the injected clock; ttl 0 is "now or never".
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Callable, Protocol

from .events import (DeletedMessagesNotified, DropReason, MessageAccepted, MessageDelivered, MessageDropped,
                     MessageExpired, MessageStored)
from .models import Message, Priority, slot_builder

MAX_PENDING = 100
MAX_COLLAPSE_KEYS = 4
EVIDENCE_LIMIT = 10_000
_new_delivered = slot_builder(MessageDelivered)  # the hot path's constructor


class Connectivity(StrEnum):
    """How reachable a phone is for FCM right now."""

    ONLINE = "online"
    DOZE = "doze"  # connected, but only high-priority messages wake it
    OFFLINE = "offline"


class Reachability(Protocol):
    """Tells FCM whether a phone can be reached (the fleet implements it)."""

    def connectivity(self, phone_id: str) -> Connectivity: ...


class AlwaysOnline:
    """The default reachability: every phone is online."""

    def connectivity(self, phone_id: str) -> Connectivity:
        """Always ``ONLINE``."""
        return Connectivity.ONLINE


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingMessage:
    """A message waiting for its phone."""

    message_id: str
    project_id: str
    phone_id: str
    token: str
    package: str
    message: Message
    sent_at: float
    expires_at: float

    @property
    def collapse_key(self) -> tuple[str, str] | None:
        """(token, collapse key) for collapsible messages: keys are per app."""
        key = self.message.collapse_key
        return (self.token, key) if key is not None else None


@dataclass(slots=True)
class _Box:
    pending: list[PendingMessage] = field(default_factory=list)
    deleted: dict[str, tuple[str, int]] = field(default_factory=dict)  # token -> (package, count)


class Mailbox:
    """Per-phone queues of accepted messages; decides delivery, storage, expiry and drops."""

    def __init__(self, *, clock: Callable[[], float], reachability: Reachability | None = None,
                 is_live: Callable[[str], bool] = lambda token: True) -> None:
        self.reachability: Reachability = reachability if reachability is not None else AlwaysOnline()
        self._clock = clock
        self._is_live = is_live
        self._boxes: dict[str, _Box] = {}
        self.delivered: deque[MessageDelivered] = deque(maxlen=EVIDENCE_LIMIT)

    def route(self, accepted: MessageAccepted) -> list[object]:
        """What happens to a freshly accepted message."""
        now = self._clock()
        phone_id, package, token = accepted.phone_id, accepted.package, accepted.message.token
        if phone_id is None or package is None or token is None:
            return [MessageDropped(at=now, message_id=accepted.message_id, phone_id=None,
                                   token=token, reason=DropReason.NO_ROUTE)]
        state = self.reachability.connectivity(phone_id)
        if state is Connectivity.ONLINE and phone_id not in self._boxes:  # the hot path: nothing waits
            return [self._delivered(accepted.message_id, accepted.project_id, phone_id, token, package,
                                    accepted.message, now, now)]
        item = PendingMessage(message_id=accepted.message_id, project_id=accepted.project_id, phone_id=phone_id,
                              token=token, package=package, message=accepted.message, sent_at=now,
                              expires_at=now + accepted.message.ttl)
        events = self._expire_box(item.phone_id, now)
        if state is Connectivity.ONLINE:
            events += self._flush_box(item.phone_id, state, now)
            events.append(self._deliver(item, now))
        elif state is Connectivity.DOZE and item.message.priority is Priority.HIGH:
            events.append(self._deliver(item, now))
        elif item.message.ttl == 0:
            events.append(MessageDropped(at=now, message_id=item.message_id, phone_id=item.phone_id,
                                         token=item.token, reason=DropReason.TTL_ZERO))
        else:
            events += self._store(item, now)
        return events

    def flush(self, phone_id: str) -> list[object]:
        """Deliver what a phone that came back (or woke up) may now receive."""
        now = self._clock()
        events = self._expire_box(phone_id, now)
        state = self.reachability.connectivity(phone_id)
        if state is not Connectivity.OFFLINE:
            events += self._flush_box(phone_id, state, now)
        return events

    def flush_all(self) -> list[object]:
        """``flush`` every phone that has something waiting."""
        return [event for phone_id in list(self._boxes) for event in self.flush(phone_id)]

    def sweep(self) -> list[object]:
        """Expire every stored message whose TTL has run out (call after advancing the clock)."""
        now = self._clock()
        return [event for phone_id in list(self._boxes) for event in self._expire_box(phone_id, now)]

    def stored(self, *, phone_id: str | None = None, token: str | None = None) -> tuple[PendingMessage, ...]:
        """Messages waiting (for one phone and/or token if given), oldest first per phone."""
        boxes = [self._boxes.get(phone_id)] if phone_id is not None else list(self._boxes.values())
        return tuple(p for box in boxes if box is not None for p in box.pending if token is None or p.token == token)

    def clear(self) -> None:
        """Forget every stored message, pending signal and delivery record."""
        self._boxes.clear()
        self.delivered.clear()

    # -- internals ---------------------------------------------------------------------------
    def _deliver(self, item: PendingMessage, now: float) -> MessageDelivered | MessageDropped:
        return self._delivered(item.message_id, item.project_id, item.phone_id, item.token, item.package,
                               item.message, item.sent_at, now)

    def _delivered(self, message_id: str, project_id: str, phone_id: str, token: str, package: str,
                   message: Message, sent_at: float, now: float) -> MessageDelivered | MessageDropped:
        if not self._is_live(token):
            return MessageDropped(at=now, message_id=message_id, phone_id=phone_id, token=token,
                                  reason=DropReason.UNREGISTERED)
        delivered = _new_delivered(at=now, message_id=message_id, phone_id=phone_id, token=token, package=package,
                                   project_id=project_id, priority=message.priority,
                                   collapse_key=message.collapse_key, data=message.data,
                                   notification=message.notification, sent_at=sent_at)
        self.delivered.append(delivered)
        return delivered

    def _flush_box(self, phone_id: str, state: Connectivity, now: float) -> list[object]:
        box = self._boxes.get(phone_id)
        if box is None:
            return []
        events: list[object] = []
        if state is Connectivity.ONLINE:
            for token, (package, count) in box.deleted.items():
                if self._is_live(token):
                    events.append(DeletedMessagesNotified(at=now, phone_id=phone_id, token=token, package=package,
                                                          count=count))
            box.deleted.clear()
        keep: list[PendingMessage] = []
        for item in box.pending:
            if state is Connectivity.ONLINE or item.message.priority is Priority.HIGH:
                events.append(self._deliver(item, now))
            else:
                keep.append(item)
        box.pending = keep
        self._tidy(phone_id)
        return events

    def _store(self, item: PendingMessage, now: float) -> list[object]:
        box = self._boxes.setdefault(item.phone_id, _Box())
        events: list[object] = []
        key = item.collapse_key
        if key is not None:
            events += self._discard(box, [p for p in box.pending if p.collapse_key == key], DropReason.COLLAPSED, now)
            keys = list(dict.fromkeys(p.collapse_key for p in box.pending if p.collapse_key is not None))
            if len(keys) >= MAX_COLLAPSE_KEYS:
                oldest = [p for p in box.pending if p.collapse_key == keys[0]]
                events += self._discard(box, oldest, DropReason.COLLAPSE_KEY_LIMIT, now)
        elif sum(1 for p in box.pending if p.collapse_key is None) >= MAX_PENDING:
            doomed = [p for p in box.pending if p.collapse_key is None] + [item]
            events += self._discard(box, doomed, DropReason.OVERFLOW, now)
            for p in doomed:
                _, count = box.deleted.get(p.token, (p.package, 0))
                box.deleted[p.token] = (p.package, count + 1)
            return events
        box.pending.append(item)
        events.append(MessageStored(at=now, message_id=item.message_id, phone_id=item.phone_id, token=item.token,
                                    pending=len(box.pending)))
        return events

    def _discard(self, box: _Box, doomed: list[PendingMessage], reason: DropReason, now: float) -> list[object]:
        ids = {id(p) for p in doomed}
        box.pending = [p for p in box.pending if id(p) not in ids]
        return [MessageDropped(at=now, message_id=p.message_id, phone_id=p.phone_id, token=p.token, reason=reason)
                for p in doomed]

    def _expire_box(self, phone_id: str, now: float) -> list[object]:
        box = self._boxes.get(phone_id)
        if box is None:
            return []
        expired = [p for p in box.pending if now >= p.expires_at]
        if expired:
            box.pending = [p for p in box.pending if now < p.expires_at]
            self._tidy(phone_id)
        return [MessageExpired(at=now, message_id=p.message_id, phone_id=p.phone_id, token=p.token,
                               sent_at=p.sent_at) for p in expired]

    def _tidy(self, phone_id: str) -> None:
        box = self._boxes.get(phone_id)
        if box is not None and not box.pending and not box.deleted:
            del self._boxes[phone_id]
