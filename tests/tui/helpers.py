"""Building and driving the TUI in tests: one seed, a frozen clock, waits on facts (never sleeps)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from textual.pilot import Pilot
from textual.widgets import OptionList

from simulator import FakeClock, HopAttempted, SimConfig, Simulator
from simulator.tui import SimulatorApp, make_app
from simulator.tui.screens import ChoiceScreen, WorldScreen

SEED = 7
CONFIG = SimConfig(seed=SEED)
DEADLINE = 5.0


def build(config: SimConfig = CONFIG, **options: Any) -> SimulatorApp:
    """The app the tests and snapshots run: fixed seed, frozen clock, no measured latencies."""
    return make_app(config, clock=FakeClock(), deterministic=True, **options)


@asynccontextmanager
async def running(*, size: tuple[int, int] = (120, 40), config: SimConfig = CONFIG,
                  **options: Any) -> AsyncIterator[tuple[SimulatorApp, Pilot[None], Simulator]]:
    """A running app whose world is ready (A signed in, app in the background)."""
    app = build(config, **options)
    async with app.run_test(size=size) as pilot:
        sim = await app.world_ready()
        yield app, pilot, sim


def world_screen(app: SimulatorApp) -> WorldScreen:
    """The screen drawing the world now."""
    screen = app.screen
    assert isinstance(screen, WorldScreen), f"expected a world screen, got {screen!r}"
    return screen


def hop_where(source: str, target: str, operation: str) -> Callable[[HopAttempted], bool]:
    """A predicate for bus.wait_for: the hop from ``source`` to ``target`` whose operation starts so."""
    return lambda h: h.source == source and h.target == target and h.operation.startswith(operation)


async def choose(app: SimulatorApp, pilot: Pilot[None], key: str, option: str) -> None:
    """Open a chooser with ``key``, move to ``option`` (its id) and pick it with enter."""
    await pilot.press(key)
    await pilot.pause()
    chooser = app.screen
    assert isinstance(chooser, ChoiceScreen), f"{key!r} opened {chooser!r}, not a chooser"
    options = chooser.query_one(OptionList)
    options.highlighted = options.get_option_index(option)
    await pilot.press("enter")
    await pilot.pause()


def dm_chain(app: SimulatorApp, text: str = "Hello") -> list[HopAttempted]:
    """Every hop of the notification for the DM ``text``, in causal order (other pushes left out)."""
    post = next(h for h in app.timeline.hops
                if h.operation == "POST /api/v4/posts" and app.timeline.message_text(h) == text)
    return app.timeline.correlated(post)
