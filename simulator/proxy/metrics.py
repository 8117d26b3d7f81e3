"""The proxy's Prometheus metrics (§6): same names, types and labels, rendered in the text format.

Rule 1: label pairs come out sorted by name and series sorted by label values, as the Go client
writes them; counters without a series yet are left out, label-less ones always appear.
Rule 2: ``service_delivered_total`` is counted (acks) but, like the real proxy, never exposed:
it is declared and not registered there (§6).
Counting is always on (cheap); ``/metrics`` only exists when ``EnableMetrics`` is true.
No I/O here.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Final

DEFAULT_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)  # Go's DefBuckets
CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"

Labels = tuple[str, ...]


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: Labels, values: Labels, extra: tuple[tuple[str, str], ...] = ()) -> str:
    pairs = sorted(zip(names, values)) + list(extra)
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in pairs) + "}" if pairs else ""


@dataclass(slots=True)
class Counter:
    """A counter family."""

    name: str
    help: str
    labelnames: Labels = ()
    series: dict[Labels, float] = field(default_factory=dict)

    def inc(self, *labels: str, amount: float = 1.0) -> None:
        """Add ``amount`` to the series with these label values (in ``labelnames`` order)."""
        self.series[labels] = self.series.get(labels, 0.0) + amount

    def value(self, *labels: str) -> float:
        """The current value of one series (0 if never counted)."""
        return self.series.get(labels, 0.0)

    def render(self) -> list[str]:
        """Text-format lines."""
        if self.labelnames and not self.series:
            return []
        series = self.series or {(): 0.0}
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} counter"]
        for values in sorted(series):
            lines.append(f"{self.name}{_labels(self.labelnames, values)} {_number(series[values])}")
        return lines


@dataclass(slots=True)
class _Buckets:
    counts: list[int]  # observations per bucket, not cumulative (one more slot for +Inf)
    total: float = 0.0
    count: int = 0


@dataclass(slots=True)
class Histogram:
    """A histogram family with cumulative ``le`` buckets."""

    name: str
    help: str
    labelnames: Labels = ()
    buckets: tuple[float, ...] = DEFAULT_BUCKETS
    series: dict[Labels, _Buckets] = field(default_factory=dict)

    def observe(self, value: float, *labels: str) -> None:
        """Record one observation."""
        data = self.series.get(labels)
        if data is None:
            data = self.series[labels] = _Buckets(counts=[0] * (len(self.buckets) + 1))
        data.counts[bisect_left(self.buckets, value)] += 1  # the first bucket with value <= bound
        data.total += value
        data.count += 1

    def count(self, *labels: str) -> int:
        """How many observations one series has."""
        data = self.series.get(labels)
        return data.count if data is not None else 0

    def render(self) -> list[str]:
        """Text-format lines."""
        if self.labelnames and not self.series:
            return []
        series = self.series or {(): _Buckets(counts=[0] * (len(self.buckets) + 1))}
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        for values in sorted(series):
            data = series[values]
            for bound, n in zip((*self.buckets, math.inf), accumulate(data.counts)):  # `le` buckets are cumulative
                lines.append(f"{self.name}_bucket{_labels(self.labelnames, values, (('le', _number(bound)),))} {n}")
            lines.append(f"{self.name}_sum{_labels(self.labelnames, values)} {_number(data.total)}")
            lines.append(f"{self.name}_count{_labels(self.labelnames, values)} {data.count}")
        return lines


_PTT: Final = ("platform", "type", "transport")


class ProxyMetrics:
    """Every metric of §6, with the increments the proxy makes on each path."""

    def __init__(self) -> None:
        self.notifications = Counter("service_notifications_total", "Number of notifications sent", _PTT)
        self.by_app_version = Counter("service_notifications_by_app_version_total",
                                      "Number of notifications sent by app version", ("platform", "app_version"))
        self.success = Counter("service_success_total", "Number of push success.", _PTT)
        self.success_with_ack = Counter("service_success_with_ack_total", "Number of push success that contains ackId.", _PTT)
        self.delivered = Counter("service_delivered_total", "Number of push delivered.", _PTT)
        self.failure = Counter("service_failure_total", "Number of push errors.", _PTT)
        self.failure_with_reason = Counter("service_failure_with_reason_total",
                                           "Number of push errors with reasons.", (*_PTT, "reason"))
        self.removal = Counter("service_removal_total", "Number of device token errors.",
                               ("platform", "transport", "reason"))
        self.bad_request = Counter("service_bad_request_total", "Request to push proxy was a bad request")
        self.apns_duration = Histogram("service_apns_request_duration_seconds", "Request latency distribution")
        self.fcm_duration = Histogram("service_fcm_request_duration_seconds", "Request latency distribution")
        self.request_duration = Histogram("service_request_duration_seconds", "Request latency distribution")
        self.notification_duration = Histogram("service_notification_duration_seconds",
                                               "Notification request latency distribution", ("platform",))
        # service_delivered_total is left out on purpose (Rule 2).
        self._exposed: tuple[Counter | Histogram, ...] = (self.notifications, self.by_app_version, self.success, self.success_with_ack,
                         self.failure, self.failure_with_reason, self.removal, self.bad_request,
                         self.apns_duration, self.fcm_duration, self.request_duration, self.notification_duration)

    def app_version(self, platform_key: str, app_version: int) -> None:
        """A send_push passed validation for this config type and app version."""
        label = str(app_version) if app_version in (1, 2) else "other"
        self.by_app_version.inc(platform_key, label)

    def sent(self, platform: str, push_type: str, transport: str, *, with_ack: bool) -> None:
        """The push service accepted a push."""
        self.success.inc(platform, push_type, transport)
        if with_ack:
            self.success_with_ack.inc(platform, push_type, transport)

    def failed(self, platform: str, push_type: str, transport: str, reason: str) -> None:
        """A push failed (``reason``: APNs reason, FCM code or RequestError)."""
        self.failure.inc(platform, push_type, transport)
        self.failure_with_reason.inc(platform, push_type, transport, reason)

    def removed(self, platform: str, push_type: str, transport: str, reason: str) -> None:
        """A push found a dead token: counted as a removal and as a failure (§4.3)."""
        self.removal.inc(platform, transport, reason)
        self.failed(platform, push_type, transport, reason)

    def render(self) -> str:
        """The ``/metrics`` body."""
        lines: list[str] = []
        for family in sorted(self._exposed, key=lambda f: f.name):
            lines.extend(family.render())
        return "\n".join(lines) + "\n"
