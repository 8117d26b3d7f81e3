"""The conditions a phone works under: the network it is on, the CAs it trusts, and the meter
``pushsim perf-check`` reads. Every change goes to the ``ServerLink`` at once, so the next
request the app makes sees it.

``Phone`` mixes ``Conditions`` in and sets these slots up in its ``__init__``.
"""

from __future__ import annotations

from typing import Any, Callable

from .catalog import DeviceModel
from .models import Platform
from .network import NetworkProfile
from .perf import WORK_MS, Part, Work
from .seams import Metering, ServerLink
from .trust import TrustStore


class Conditions:
    """Network, trust store and meter of one phone (a mixin of ``Phone``)."""

    __slots__ = ("network", "trust", "meter")
    network: NetworkProfile | None
    trust: TrustStore
    meter: Metering | None
    # Phone's, read here; declared for the type checker only.
    platform: Platform
    device: DeviceModel
    _link: ServerLink
    _on_reachable: Callable[[Any], None] | None

    def _configure_link(self) -> None:
        self._link.configure(network=self.network, trust=self.trust, platform=self.platform)

    def set_network(self, network: NetworkProfile | None) -> None:
        """Move the phone to another connection (None: unshaped loopback); open connections drop."""
        was_online = self.online
        self.network = network
        self._configure_link()
        self._link.forget_connections()
        if self.online and not was_online:
            self._reachable()

    @property
    def online(self) -> bool:
        """True unless the phone's network is the offline profile (no network: unshaped loopback)."""
        return self.network is None or self.network.online

    def _reachable(self) -> None:
        # The push services hold messages for an unreachable phone; tell them it can take them now.
        if self._on_reachable is not None:
            self._on_reachable(self)

    def install_ca(self, name: str, pem: bytes, *, trust: bool = False) -> None:
        """Install a CA certificate; ``trust`` also enables it for TLS (what iOS requires)."""
        self.trust = self.trust.install(name, pem)
        if trust:
            self.trust = self.trust.trust(name)
        self._configure_link()

    def set_trust(self, trust: TrustStore) -> None:
        """Replace the whole trust store (e.g. ``TrustStore().without_world_ca()``)."""
        self.trust = trust
        self._configure_link()

    def trust_ca(self, name: str) -> None:
        """iOS: enable full trust for an installed CA (Settings > General > About > Certificate Trust)."""
        self.trust = self.trust.trust(name)
        self._configure_link()

    def attach_meter(self, meter: Metering | None) -> None:
        """Charge app work here and the link's connection/server time to ``meter`` (perf-check)."""
        self.meter = meter
        self._link.use_meter(meter)

    def _work(self, work: Work, units: int = 1) -> None:
        if self.meter is not None and units:
            self.meter.charge(Part.APP, WORK_MS[work] * units * self.device.speed / 1000, work.value)
