"""Trainer mode: the doc's procedures one hop (or one move) per step, each with its caption."""

from __future__ import annotations

from textual.pilot import Pilot

from fake_devices import AppState
from simulator.tui import SimulatorApp
from simulator.tui.screens import DashboardScreen, TrainerScreen
from simulator.tui.trainer import DM, TROUBLESHOOTING, Step
from simulator.tui.widgets import short_operation

from .helpers import choose, running

A = "account-a-iphone"


async def step(app: SimulatorApp, pilot: Pilot[None]) -> tuple[Step, str, bool | None]:
    """Take the next trainer step from the keyboard; returns (step, outcome, ok)."""
    await pilot.press("space")
    await app.settled()
    screen = app.screen
    assert isinstance(screen, TrainerScreen)
    return screen.outcomes[-1]


async def test_t_walks_the_dm_from_sign_in_to_the_forwarded_ack_one_hop_per_step() -> None:
    async with running(autoplay=False) as (app, pilot, sim):
        await pilot.press("t")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TrainerScreen) and screen.trainer.tour is DM and screen.revealed == []
        for expected in DM.steps:
            taken, outcome, ok = await step(app, pilot)
            assert taken is expected and ok is True, outcome
            assert expected.hop is None or expected.hop.matches(screen.revealed[-1], app._aliases())
            assert screen.detail.dissection is not None and screen.detail.dissection.hop is screen.revealed[-1]
        assert [(h.source, h.target, short_operation(h)) for h in screen.revealed] == [
            (A, "chat", "websocket"), (A, "chat", "view"), ("account-b", "chat", "post"),
            ("chat", "proxy", "send_push"), ("proxy", "apns", "push"), ("apns", A, "deliver"), (A, "chat", "ack"),
            ("chat", "proxy", "ack")]
        assert screen.swimlane.row_count == len(DM.steps)  # only what the tour revealed
        assert [n.body for n in screen.phone.snapshot.lock_screen] == ["Hello"]  # type: ignore[union-attr]
        await pilot.press("space")
        await pilot.pause()
        assert any("tour is complete" in n.message for n in app.told)
        await pilot.press("escape")
        await pilot.pause()
        dashboard = app.screen
        assert isinstance(dashboard, DashboardScreen) and dashboard.swimlane.row_count == len(app.timeline.hops)
        assert sim.fleet.phones[A].app().state is AppState.BACKGROUND


async def test_a_hop_that_never_comes_is_named_with_what_it_means() -> None:
    async with running(autoplay=False, step_timeout=0.5) as (app, pilot, sim):
        await choose(app, pilot, "p", "off")  # Send Push Notifications = false
        await app.settled()
        assert not sim.chat_core.config.send_push_notifications
        await pilot.press("t")
        await pilot.pause()
        outcomes = [await step(app, pilot) for _ in range(5)]
        assert [ok for _, _, ok in outcomes] == [True, True, True, False, False]
        assert outcomes[3][1].startswith("Not seen within 0.5 s. No push left the server")
        assert outcomes[4][1].startswith("Not reached: step 4/8 (Server → push service) did not happen")
        screen = app.screen
        assert isinstance(screen, TrainerScreen) and len(screen.revealed) == 3


async def test_the_troubleshooting_tour_finds_the_debug_line_after_a_reinstall() -> None:
    async with running(autoplay=False, trainer=True, tour="troubleshooting") as (app, pilot, sim):
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TrainerScreen) and screen.trainer.tour is TROUBLESHOOTING
        old = sim.fleet.phones[A].app().token
        outcomes = [await step(app, pilot) for _ in TROUBLESHOOTING.steps]
        assert all(ok for _, _, ok in outcomes), outcomes
        assert screen.server_log.level == "DEBUG"
        assert outcomes[4][1].startswith("[DEBUG] Sending push notification to ")
        assert screen.query_one("#tabs").active == "hop-tab"  # type: ignore[attr-defined]
        new = sim.fleet.phones[A].app().token
        to_apns = screen.revealed[-2]
        assert new != old and to_apns.target == "apns" and new.startswith(to_apns.operation[len("POST /3/device/"):-1])
        assert screen.revealed[-1].target == A and screen.revealed[-1].ok
