"""pushsim's composition root: the world harness, its bus, clock, PKI, chat server and push proxy.

Public surface: ``Simulator`` (an async context manager running one world), ``SimConfig``,
``EventBus``, the clocks, ``Pki``, and the event vocabulary of ``simulator.events``.
"""

from __future__ import annotations

from .bus import EventBus, Subscription
from .clock import Clock, FakeClock, SystemClock
from .config import ConfigError, SimConfig
from .events import ComponentFailed, ComponentStarted, Correlation, HopAttempted, LogLine, Protocol
from .tls import Pki

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .harness import Simulator, WorldFailed


def __getattr__(name: str) -> object:
    # The harness pulls in every component; commands that only talk HTTP (``pushsim phone``) skip it.
    if name in ("Simulator", "WorldFailed"):
        from . import harness
        return getattr(harness, name)
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")

__all__ = [
    "Clock", "ComponentFailed", "ComponentStarted", "ConfigError", "Correlation", "EventBus", "FakeClock",
    "HopAttempted", "LogLine", "Pki", "Protocol", "SimConfig", "Simulator", "Subscription", "SystemClock",
    "WorldFailed",
]
