"""Presence: each user's status record (online/away/offline/dnd/ooo, active channel, last activity).

Rule 1: no I/O; time from the injected clock. Every verb returns the record after the change, so
the adapter can tell a ``status_change`` apart from a no-op by comparing statuses.
Rule 2: a manual status (dnd, ooo, a chosen away/offline) is never overridden by an automatic change
(``SetStatus*`` with ``manual=false``), exactly as the server's platform service behaves.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from simulator.chat.models import Status, StatusRecord


class Presence:
    """Status records and open websocket counts per user."""

    def __init__(self, *, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._statuses: dict[str, StatusRecord] = {}
        self._connections: dict[str, int] = {}

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def of(self, user_id: str) -> StatusRecord:
        """The user's status; a user never seen is offline (as ``GetStatus`` falls back)."""
        return self._statuses.get(user_id, StatusRecord())

    def set(self, user_id: str, status: Status, *, manual: bool = False) -> StatusRecord:
        """Set presence; an automatic change never overrides a manual one; "online" is never manual."""
        record = self.of(user_id).changed_to(status, manual=manual, now_ms=self._now_ms())
        self._statuses[user_id] = record
        return record

    def activity(self, user_id: str) -> StatusRecord:
        """``LastActivityAt = now`` (opens the 20 s "just looked at it" window)."""
        record = replace(self.of(user_id), last_activity_at=self._now_ms())
        self._statuses[user_id] = record
        return record

    def viewing(self, user_id: str, channel_id: str) -> StatusRecord:
        """``SetActiveChannel``: "" = the app went to the background; a channel makes the user online."""
        record = self.of(user_id).viewing(channel_id, now_ms=self._now_ms())
        self._statuses[user_id] = record
        return record

    def away_if_idle(self, user_id: str, *, timeout_s: int, manual: bool) -> StatusRecord:
        """``SetStatusAwayIfNeeded``: away once idle for ``timeout_s`` (at once when chosen manually)."""
        current = self.of(user_id)
        idle = self._now_ms() - current.last_activity_at >= timeout_s * 1000
        if not manual and (current.manual or current.status is Status.AWAY or not idle):
            return current
        return self.set(user_id, Status.AWAY, manual=manual)

    # The real server sets a user offline when the last websocket closes and "away" only when a
    # client reports inactivity (``user_update_active_status``); both rules are kept here.
    def connected(self, user_id: str) -> StatusRecord:
        """One more websocket: the user comes online (unless a manual status holds)."""
        self._connections[user_id] = self._connections.get(user_id, 0) + 1
        return self.set(user_id, Status.ONLINE)

    def disconnected(self, user_id: str) -> StatusRecord:
        """One websocket fewer: the last one closing sets the user offline (unless manual)."""
        self._connections[user_id] = max(0, self._connections.get(user_id, 0) - 1)
        if self._connections[user_id] == 0:
            return self.set(user_id, Status.OFFLINE)
        return self.of(user_id)

    def connections(self, user_id: str) -> int:
        """How many websockets the user holds open."""
        return self._connections.get(user_id, 0)
