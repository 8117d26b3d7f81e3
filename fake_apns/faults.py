"""Queued fault injection (pytest-httpserver's "oneshot" handlers, as two queues).

Rule 1: reason faults apply to requests that passed every header, auth and body check, just
before the device registry is consulted; they become ordinary ``PushRejected`` verdicts.
Rule 2: connection faults (delay, GOAWAY, drop) are taken as soon as a request is complete,
before it is judged; the adapter carries them out. A request can meet one of each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .models import FaultKind
from .reasons import Reason


@dataclass(slots=True, kw_only=True)
class _Fault:
    kind: FaultKind
    reason: Reason | None
    delay: float
    remaining: int
    token: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingFault:
    """A queued fault, for inspection."""

    reason: Reason | None
    remaining: int
    token: str | None
    kind: FaultKind = FaultKind.REJECT
    delay: float = 0.0


def _take(queue: list[_Fault], token: str) -> _Fault | None:
    for fault in queue:
        if fault.token is None or fault.token == token.lower():
            fault.remaining -= 1
            if fault.remaining == 0:
                queue.remove(fault)
            return fault
    return None


class Faults:
    """FIFO queues of faults to force; the first entry matching a request's token is used."""

    def __init__(self) -> None:
        self._queue: list[_Fault] = []
        self._connection: list[_Fault] = []

    def push(self, reason: Reason, *, times: int = 1, token: str | None = None) -> PendingFault:
        """Reject the next ``times`` requests (only those to ``token`` if given) with ``reason``."""
        return self._add(self._queue, FaultKind.REJECT, Reason(reason), 0.0, times, token)

    def push_delay(self, seconds: float, *, times: int = 1, token: str | None = None) -> PendingFault:
        """Hold back the response to the next ``times`` requests by ``seconds`` (the verdict stands at once)."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"delay must be a finite number of seconds >= 0, got {seconds!r}")
        return self._add(self._connection, FaultKind.DELAY, None, float(seconds), times, token)

    def push_goaway(self, reason: Reason = Reason.SHUTDOWN, *, times: int = 1,
                    token: str | None = None) -> PendingFault:
        """Answer the next ``times`` requests with GOAWAY ``{"reason": reason}`` instead of a response."""
        return self._add(self._connection, FaultKind.GOAWAY, Reason(reason), 0.0, times, token)

    def push_drop(self, *, times: int = 1, token: str | None = None) -> PendingFault:
        """Drop the connection (TCP reset, no response) on the next ``times`` requests."""
        return self._add(self._connection, FaultKind.DROP, None, 0.0, times, token)

    def clear(self) -> None:
        """Drop every queued fault."""
        self._queue.clear()
        self._connection.clear()

    def take(self, token: str) -> Reason | None:
        """Consume one use of the first reason fault matching ``token``; None when nothing is queued for it."""
        if not self._queue:
            return None
        fault = _take(self._queue, token)
        return fault.reason if fault is not None else None

    def take_connection_fault(self, token: str) -> PendingFault | None:
        """Consume one use of the first delay/GOAWAY/drop fault matching ``token``."""
        if not self._connection:
            return None
        fault = _take(self._connection, token)
        return _pending(fault) if fault is not None else None

    @property
    def pending(self) -> tuple[PendingFault, ...]:
        """What is still queued: reason faults first, then connection faults."""
        return tuple(_pending(f) for f in (*self._queue, *self._connection))

    @staticmethod
    def _add(queue: list[_Fault], kind: FaultKind, reason: Reason | None, delay: float, times: int,
             token: str | None) -> PendingFault:
        if times < 1:
            raise ValueError(f"times must be at least 1, got {times}")
        fault = _Fault(kind=kind, reason=reason, delay=delay, remaining=times,
                       token=token.lower() if token is not None else None)
        queue.append(fault)
        return _pending(fault)


def _pending(fault: _Fault) -> PendingFault:
    return PendingFault(reason=fault.reason, remaining=fault.remaining, token=fault.token, kind=fault.kind,
                        delay=fault.delay)
