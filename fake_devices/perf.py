"""The doc's mobile performance benchmarks ("Confirming Performance of Mobile Applications") and
how a measured interaction is split into connection, app and server time ("Removing
bottlenecks to mobile app performance"). No I/O: the phone and its link charge a ``Meter``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .network import LTE, LTE_S6, NR_5G, WIFI, NetworkProfile


class Part(StrEnum):
    """Where time goes: the doc's three potential bottlenecks."""

    CONNECTION = "connection"
    APP = "app"
    SERVER = "server"


class Work(StrEnum):
    """The app's own work, charged in reference-device milliseconds (WORK_MS) times the model's speed."""

    COLD_START = "cold start"  # process launch, JS bundle, database open
    RESUME = "resume"  # back from the background: re-render the current screen
    WAKE = "wake"  # the OS restores the app's process after the phone slept
    OPEN_SCREEN = "open channel screen"
    RENDER_POST = "render post"  # parse, store and lay out one post fetched from the server
    RENDER_CACHED_POST = "render cached post"  # lay out one post already in the app's database


# A model, calibrated so the doc's phones sit inside the doc's limits on the doc's networks.
WORK_MS: dict[Work, float] = {
    Work.COLD_START: 2_000, Work.RESUME: 150, Work.WAKE: 250, Work.OPEN_SCREEN: 250,
    Work.RENDER_POST: 6, Work.RENDER_CACHED_POST: 2,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Charge:
    """Some seconds of one part, and what they were spent on."""

    part: Part
    seconds: float
    what: str


class Meter:
    """Collects the charges of one measured interaction."""

    def __init__(self) -> None:
        self.charges: list[Charge] = []

    def charge(self, part: Part, seconds: float, what: str) -> None:
        """Add ``seconds`` of ``part``."""
        self.charges.append(Charge(part=part, seconds=max(0.0, seconds), what=what))

    def total(self, part: Part | None = None) -> float:
        """Seconds charged to ``part`` (or to all parts)."""
        return sum(c.seconds for c in self.charges if part is None or c.part is part)

    def reset(self) -> None:
        """Forget every charge (start of the next measurement)."""
        self.charges.clear()


class Check(StrEnum):
    """The doc's five measured interactions, in its words."""

    NEW_CHANNEL = "Loading a new channel"
    RETURN_CHANNEL = "Returning to a channel previously viewed"
    FROM_BACKGROUND = "Switching to app when it is running in the background"
    AFTER_SLEEP = "Switching to the app and loading a channel after the phone has been asleep"
    FRESH_START = "Fresh start of the app until first page load"


@dataclass(frozen=True, slots=True, kw_only=True)
class Benchmark:
    """One row of the doc's table: a phone on a connection, and the limit of each check."""

    device: str
    network: NetworkProfile
    limits: tuple[tuple[Check, float], ...]


def _limits(new: float, back: float, switch: float, asleep: float, fresh: float) -> tuple[tuple[Check, float], ...]:
    return tuple(zip(Check, (new, back, switch, asleep, fresh), strict=True))


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark(device="iPhone 6s Plus", network=LTE, limits=_limits(4, 1, 1, 5, 10)),
    Benchmark(device="iPhone 5s", network=NR_5G, limits=_limits(3, 1, 1, 3, 5)),
    Benchmark(device="Samsung Galaxy S6", network=LTE_S6, limits=_limits(4, 1, 1, 5, 5)),
    Benchmark(device="Samsung Galaxy S6", network=WIFI, limits=_limits(3, 1, 1, 5, 4)),
)

# The doc's "Removing bottlenecks" step for each part.
ADVICE: dict[Part, str] = {
    Part.CONNECTION: "Confirm your mobile device connection is on 4G/LTE or Wifi and meets ping time requirements",
    Part.APP: "Confirm your mobile app is performing properly: compare it with your team site in the phone's "
              "browser, and if the app is noticeably slower, delete your mobile app and reinstall it",
    Part.SERVER: "Check your server performance: ensure that your server is properly sized",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Measurement:
    """One check on one phone: the measured time split by part, against the documented limit."""

    check: Check
    limit_s: float
    connection_s: float
    app_s: float
    server_s: float
    note: str = ""

    @classmethod
    def of(cls, check: Check, limit_s: float, meter: Meter, *, note: str = "") -> Measurement:
        """Sum what ``meter`` collected."""
        return cls(check=check, limit_s=limit_s, connection_s=meter.total(Part.CONNECTION),
                   app_s=meter.total(Part.APP), server_s=meter.total(Part.SERVER), note=note)

    @property
    def total_s(self) -> float:
        """The whole measured time."""
        return self.connection_s + self.app_s + self.server_s

    @property
    def passed(self) -> bool:
        """True when the time is below the doc's "less than" limit."""
        return self.total_s < self.limit_s

    @property
    def bottleneck(self) -> Part:
        """The part that took the most time."""
        shares = {Part.CONNECTION: self.connection_s, Part.APP: self.app_s, Part.SERVER: self.server_s}
        return max(shares, key=lambda part: shares[part])
