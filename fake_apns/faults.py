"""Queued fault injection: the next matching requests get a chosen reason (one-shot or n-shot).

Faults apply to requests that passed every header, auth and body check, just before the device
registry is consulted (pytest-httpserver's "oneshot" handlers, as a queue).
"""

from __future__ import annotations

from dataclasses import dataclass

from .reasons import Reason


@dataclass(slots=True, kw_only=True)
class _Fault:
    reason: Reason
    remaining: int
    token: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingFault:
    """A queued fault, for inspection."""

    reason: Reason
    remaining: int
    token: str | None


class Faults:
    """A FIFO of reasons to force; the first entry matching a request's token is used."""

    def __init__(self) -> None:
        self._queue: list[_Fault] = []

    def push(self, reason: Reason, *, times: int = 1, token: str | None = None) -> None:
        """Reject the next ``times`` requests (only those to ``token`` if given) with ``reason``."""
        if times < 1:
            raise ValueError(f"times must be at least 1, got {times}")
        self._queue.append(_Fault(reason=Reason(reason), remaining=times,
                                  token=token.lower() if token is not None else None))

    def clear(self) -> None:
        """Drop every queued fault."""
        self._queue.clear()

    def take(self, token: str) -> Reason | None:
        """Consume one use of the first fault matching ``token``; None when nothing is queued for it."""
        for fault in self._queue:
            if fault.token is None or fault.token == token.lower():
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._queue.remove(fault)
                return fault.reason
        return None

    @property
    def pending(self) -> tuple[PendingFault, ...]:
        """What is still queued."""
        return tuple(PendingFault(reason=f.reason, remaining=f.remaining, token=f.token) for f in self._queue)
