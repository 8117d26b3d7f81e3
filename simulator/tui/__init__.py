"""pushsim's terminal UI: watch every hop of a push notification, drive the phones, and walk through
the seed doc's procedures one hop at a time (``pushsim tui``).

Textual loads only when the app is asked for, so ``simulator.tui.cli`` is cheap to hook into the
command line of every other subcommand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .controls import Controls, PushServer, Unavailable
from .trainer import TOURS, Tour, Trainer

if TYPE_CHECKING:
    from .app import SimulatorApp, make_app

__all__ = ["Controls", "PushServer", "SimulatorApp", "TOURS", "Tour", "Trainer", "Unavailable", "make_app"]


def __getattr__(name: str) -> Any:
    if name in ("SimulatorApp", "make_app"):
        from . import app
        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
