"""The retry loop both senders share (§4.4 APNs, §5.4 FCM).

Rule 1: at most ``max_retries`` tries; only a ``Failure`` marked retryable is tried again (APNs:
no response at all; FCM: INTERNAL, QUOTA_EXCEEDED, a deadline). A received answer is final.
Rule 2: each try has its own deadline, ``RetryTimeoutSec``, inside the shared ``SendTimeoutSec``
budget; a try that hits it fails with Go's ``context deadline exceeded``.
Rule 3: between tries wait 1 s, then 2 s (doubling). If the budget runs out while waiting, stop
and log ``Not retrying because context error``.
All time comes from the injected Timer, so tests drive it without waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable, Final, TypeVar

from .logs import ProxyLog, redact
from .timer import Timer

T = TypeVar("T")

DEADLINE_EXCEEDED: Final = "context deadline exceeded"
FIRST_BACKOFF: Final = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Failure:
    """One try that got no usable answer."""

    error: str  # the Go error text the proxy logs (and, for FCM, returns)
    retryable: bool
    code: str = ""  # FCM error code / canonical status, when the service answered


_NO_TRY: Final = Failure(error=DEADLINE_EXCEEDED, retryable=True)  # when the budget allows no try at all


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """How long and how often one push may be tried."""

    max_retries: int = 3
    send_timeout: float = 30.0  # the whole budget
    retry_timeout: float = 8.0  # one try


async def with_retries(attempt: Callable[[], Awaitable[T | Failure]], *, policy: RetryPolicy, timer: Timer,
                       log: ProxyLog, failed_message: str, device_id: str) -> T | Failure:
    """Run ``attempt`` under the policy; the first answer, or the last Failure."""
    deadline = timer.now() + policy.send_timeout
    wait = FIRST_BACKOFF
    outcome: T | Failure = _NO_TRY
    for retry in range(policy.max_retries):
        budget = max(0.0, min(policy.retry_timeout, deadline - timer.now()))
        try:
            async with timer.timeout(budget):
                outcome = await attempt()
        except TimeoutError:
            outcome = Failure(error=DEADLINE_EXCEEDED, retryable=True)
        if not isinstance(outcome, Failure):
            return outcome
        log.error(failed_message, did=redact(device_id), retry=retry, err=outcome.error)
        if not outcome.retryable:
            return outcome
        if retry == policy.max_retries - 1:
            log.error("Max retries reached", did=redact(device_id))
            return outcome
        await timer.sleep(max(0.0, min(wait, deadline - timer.now())))
        if timer.now() >= deadline:
            log.info("Not retrying because context error", did=redact(device_id), retry=retry,
                     err=DEADLINE_EXCEEDED)
            return outcome
        wait *= 2
    return outcome
