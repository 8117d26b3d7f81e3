"""The phone's network: connection profiles (the doc's benchmark rows, 3G, offline) and the cost
of one request over them, without I/O.

The link (simulator/links.py) sends real bytes over real sockets and asks ``Radio`` how long the
same exchange takes on the phone's network; it then awaits that time through an injected sleep
(a fake one in tests and in ``pushsim perf-check``, so nothing waits for real).
"""

from __future__ import annotations

from dataclasses import dataclass

# A fresh HTTPS connection costs the TCP handshake and a TLS 1.3 handshake: one round trip each.
HANDSHAKE_ROUND_TRIPS = 2
# Bytes of a TLS handshake: ClientHello/Finished up; ServerHello, certificate chain, Finished down.
HANDSHAKE_BYTES_UP, HANDSHAKE_BYTES_DOWN = 600, 4_000


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkProfile:
    """A connection as the phone experiences it."""

    name: str
    latency_ms: float  # round trip ("ping time")
    down_mbps: float
    up_mbps: float
    # Waking the radio from idle before the first packet (cellular RRC promotion; ~0 on wifi).
    radio_wake_ms: float = 0.0
    # How long the radio stays connected after the last packet before it drops back to idle.
    radio_tail_s: float = 10.0
    online: bool = True

    def transfer_s(self, *, bytes_up: int = 0, bytes_down: int = 0) -> float:
        """Seconds to push ``bytes_up`` and pull ``bytes_down`` through this connection."""
        return bytes_up * 8 / (self.up_mbps * 1e6) + bytes_down * 8 / (self.down_mbps * 1e6)

    def describe(self) -> str:
        """E.g. ``4G/LTE (50 ms ping, 50 Mb/s down, 8 Mb/s up)``."""
        if not self.online:
            return f"{self.name} (no connection)"
        return (f"{self.name} ({self.latency_ms:g} ms ping, {self.down_mbps:g} Mb/s down, "
                f"{self.up_mbps:g} Mb/s up)")


# The doc's rows ("Mobile Performance Benchmarks"), then the ones it warns about.
LTE = NetworkProfile(name="4G/LTE", latency_ms=50, down_mbps=50, up_mbps=8, radio_wake_ms=100)
LTE_S6 = NetworkProfile(name="4G/LTE", latency_ms=23, down_mbps=36, up_mbps=17, radio_wake_ms=100)
NR_5G = NetworkProfile(name="5G", latency_ms=20, down_mbps=77, up_mbps=12, radio_wake_ms=50)
WIFI = NetworkProfile(name="wifi", latency_ms=23, down_mbps=138, up_mbps=12)
# "3G (and lower) ... not recommended": WebPageTest's 3G shaping, and the ~2 s idle-to-connected
# promotion of a UMTS radio.
G3 = NetworkProfile(name="3G", latency_ms=300, down_mbps=1.6, up_mbps=0.768, radio_wake_ms=2_000)
OFFLINE = NetworkProfile(name="offline", latency_ms=0, down_mbps=1, up_mbps=1, online=False)

NETWORKS: dict[str, NetworkProfile] = {
    "4g": LTE, "lte": LTE, "4g-s6": LTE_S6, "5g": NR_5G, "wifi": WIFI, "3g": G3, "offline": OFFLINE,
}


def network(name: str) -> NetworkProfile:
    """A profile by name; unknown names are refused with the list of known ones."""
    try:
        return NETWORKS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown network {name!r} (known: {', '.join(sorted(NETWORKS))})") from None


@dataclass(frozen=True, slots=True, kw_only=True)
class Cost:
    """The network time of one exchange, split at the moment the request reaches the server."""

    before_s: float  # radio wake-up, connection set-up, half a round trip, the upload
    after_s: float  # half a round trip and the download
    radio_woke: bool
    new_connection: bool

    @property
    def total_s(self) -> float:
        """The whole network time."""
        return self.before_s + self.after_s


class Radio:
    """One phone's radio and open connections: decides what a request costs on ``profile``."""

    __slots__ = ("profile", "_warm", "_last")

    def __init__(self, profile: NetworkProfile) -> None:
        self.profile = profile
        self._warm: set[str] = set()
        self._last: float | None = None  # when the radio last carried a packet (None: idle)

    def forget(self) -> None:
        """Drop every connection and let the radio go idle (sleep, background, network change)."""
        self._warm.clear()
        self._last = None

    def _idle(self, now: float) -> bool:
        return self._last is None or now - self._last > self.profile.radio_tail_s

    def setup(self, origin: str, now: float) -> tuple[float, bool, bool]:
        """Seconds of set-up before the request can go out, and whether the radio/connection was cold."""
        woke = self._idle(now)
        if woke:
            self._warm.clear()  # an idle radio's connections were torn down by the network
        fresh = origin not in self._warm
        seconds = self.profile.radio_wake_ms / 1000 if woke else 0.0
        if fresh:
            seconds += HANDSHAKE_ROUND_TRIPS * self.profile.latency_ms / 1000
            seconds += self.profile.transfer_s(bytes_up=HANDSHAKE_BYTES_UP, bytes_down=HANDSHAKE_BYTES_DOWN)
            self._warm.add(origin)
        return seconds, woke, fresh

    def outbound(self, origin: str, now: float, *, bytes_up: int) -> Cost:
        """The cost until a request of ``bytes_up`` reaches the server (``after_s`` still 0)."""
        setup, woke, fresh = self.setup(origin, now)
        before = setup + self.profile.latency_ms / 2000 + self.profile.transfer_s(bytes_up=bytes_up)
        self._last = now + before
        return Cost(before_s=before, after_s=0.0, radio_woke=woke, new_connection=fresh)

    def inbound(self, now: float, *, bytes_down: int) -> float:
        """Seconds until a response of ``bytes_down`` has fully arrived on the phone."""
        seconds = self.profile.latency_ms / 2000 + self.profile.transfer_s(bytes_down=bytes_down)
        self._last = now + seconds
        return seconds

    def exchange(self, origin: str, now: float, *, bytes_up: int, bytes_down: int) -> Cost:
        """The whole cost of one request/response of the given sizes to ``origin`` starting at ``now``."""
        out = self.outbound(origin, now, bytes_up=bytes_up)
        back = self.inbound(now + out.before_s, bytes_down=bytes_down)
        return Cost(before_s=out.before_s, after_s=back, radio_woke=out.radio_woke, new_connection=out.new_connection)
