"""A few screens as pictures (pytest-textual-snapshot): fixed seed, frozen clock, no latencies,
notifications cleared. Review the report before running ``--snapshot-update``.

The pictures show every hop the world makes, so a change in another component's traffic (a new
request at sign-in, say) changes them too: look at the diff, then update.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot

from fake_devices import NotificationShown
from simulator.tui import SimulatorApp

from .helpers import DEADLINE, build, dm_chain

pytest.importorskip("pytest_textual_snapshot")  # the test extra's plugin provides snap_compare

SnapCompare = Callable[..., bool]


async def _dm_delivered(pilot: Pilot[None]) -> SimulatorApp:
    app = pilot.app
    assert isinstance(app, SimulatorApp)
    sim = await app.world_ready()
    await sim.bus.wait_for(NotificationShown, lambda e: e.notification.body == "Hello", timeout=DEADLINE)
    await app.settled()
    return app


async def _still(pilot: Pilot[None]) -> None:
    pilot.app.clear_notifications()
    await pilot.pause()


def _then(*keys: str, select: str = "") -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run_before(pilot: Pilot[None]) -> None:
        app = await _dm_delivered(pilot)
        app.clear_notifications()  # the toasts of the moves so far
        if select:
            lane = app.screen.swimlane  # type: ignore[attr-defined]
            lane.select(next(h for h in dm_chain(app) if h.operation.startswith(select)))
        for key in keys:
            await pilot.press(key)
            await app.settled()
        await _still(pilot)
    return run_before


def test_dashboard_after_the_dm_at_80x24(snap_compare: SnapCompare) -> None:
    """The launch view: the A/B DM hop by hop, the newest hop in detail, Hello on A's lock screen."""
    assert snap_compare(build(), terminal_size=(80, 24), run_before=_then())


def test_send_push_hop_in_detail_at_120x40(snap_compare: SnapCompare) -> None:
    """chat → proxy selected: its notification marked, the payload, the server's signature verified, readers."""
    assert snap_compare(build(), terminal_size=(120, 40), run_before=_then(select="POST /api/v1/send_push"))


def test_server_log_at_debug_at_120x40(snap_compare: SnapCompare) -> None:
    """The server log at DEBUG shows the doc's 'Sending push notification to … wi msg of' line."""
    assert snap_compare(build(), terminal_size=(120, 40), run_before=_then("l", "l", "l"))


def test_trainer_at_the_apns_step_at_120x40(snap_compare: SnapCompare) -> None:
    """Trainer mode, step 5 of 8: caption, the revealed hops, the APNs request in detail."""
    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, SimulatorApp)
        await app.world_ready()
        for key in ("t", *["space"] * 5):
            await pilot.press(key)
            await app.settled()
        await _still(pilot)
    assert snap_compare(build(autoplay=False), terminal_size=(120, 40), run_before=run_before)


def test_push_server_chooser_at_80x24(snap_compare: SnapCompare) -> None:
    """The push server chooser over the dashboard: HPNS current, what TPNS, EAS and off do."""
    assert snap_compare(build(), terminal_size=(80, 24), run_before=_then("p"))
