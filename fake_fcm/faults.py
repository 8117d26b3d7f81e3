"""Queued fault injection (pytest-httpserver's "oneshot" handlers, as two queues), as in fake_apns.

Rule 1: error faults apply to sends that passed authentication and validation, just before the
registry is consulted; they become ordinary ``MessageRejected`` verdicts (``injected=True``).
Rule 2: connection faults (delay, drop) are taken as soon as a request has arrived, before it is
judged; the adapter carries them out. A delayed request is still judged; a dropped one is not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from .codes import FcmError


class FaultKind(StrEnum):
    """What an injected fault does: answer an error code, or act on the connection."""

    ERROR = "error"
    DELAY = "delay"
    DROP = "drop"


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingFault:
    """A queued (or just taken) fault, for inspection."""

    kind: FaultKind
    error: FcmError | None
    remaining: int
    token: str | None
    delay: float = 0.0
    retry_after: int | None = None


@dataclass(slots=True, kw_only=True)
class _Fault:
    kind: FaultKind
    error: FcmError | None
    delay: float
    retry_after: int | None
    remaining: int
    token: str | None

    def view(self) -> PendingFault:
        return PendingFault(kind=self.kind, error=self.error, remaining=self.remaining, token=self.token,
                            delay=self.delay, retry_after=self.retry_after)


def _take(queue: list[_Fault], token: str | None) -> PendingFault | None:
    for fault in queue:
        if fault.token is None or fault.token == token:
            fault.remaining -= 1
            if fault.remaining == 0:
                queue.remove(fault)
            return fault.view()
    return None


class Faults:
    """FIFO queues of faults to force; the first entry matching a request's token is used."""

    def __init__(self) -> None:
        self._errors: list[_Fault] = []
        self._connection: list[_Fault] = []

    def push(self, error: FcmError, *, times: int = 1, token: str | None = None,
             retry_after: int | None = None) -> PendingFault:
        """Refuse the next ``times`` sends (only those to ``token`` if given) with ``error``.

        ``retry_after`` adds a ``Retry-After`` header; PyFCM then resends without limit, so keep
        ``times`` finite.
        """
        if retry_after is not None and retry_after < 0:
            raise ValueError(f"retry_after must be >= 0, got {retry_after}")
        return self._add(self._errors, FaultKind.ERROR, FcmError(error), 0.0, retry_after, times, token)

    def push_delay(self, seconds: float, *, times: int = 1, token: str | None = None) -> PendingFault:
        """Hold back the answer to the next ``times`` sends by ``seconds`` of real time."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"delay must be a finite number of seconds >= 0, got {seconds!r}")
        return self._add(self._connection, FaultKind.DELAY, None, float(seconds), None, times, token)

    def push_drop(self, *, times: int = 1, token: str | None = None) -> PendingFault:
        """Close the connection without answering on the next ``times`` sends."""
        return self._add(self._connection, FaultKind.DROP, None, 0.0, None, times, token)

    def take(self, token: str | None) -> PendingFault | None:
        """Consume one use of the first error fault matching ``token``."""
        return _take(self._errors, token) if self._errors else None

    def take_connection(self, token: str | None) -> PendingFault | None:
        """Consume one use of the first connection fault matching ``token``."""
        return _take(self._connection, token) if self._connection else None

    @property
    def has_connection_faults(self) -> bool:
        """True while a delay or drop is queued (lets the hot path skip peeking at tokens)."""
        return bool(self._connection)

    def clear(self) -> None:
        """Drop every queued fault."""
        self._errors.clear()
        self._connection.clear()

    @property
    def pending(self) -> tuple[PendingFault, ...]:
        """What is still queued: error faults first, then connection faults."""
        return tuple(f.view() for f in (*self._errors, *self._connection))

    @staticmethod
    def _add(queue: list[_Fault], kind: FaultKind, error: FcmError | None, delay: float, retry_after: int | None,
             times: int, token: str | None) -> PendingFault:
        if times < 1:
            raise ValueError(f"times must be at least 1, got {times}")
        fault = _Fault(kind=kind, error=error, delay=delay, retry_after=retry_after, remaining=times, token=token)
        queue.append(fault)
        return fault.view()
