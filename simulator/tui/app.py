"""SimulatorApp: a Textual app that owns one world (via ``WorldHost``) and draws it.

Invariants:
- Everything the world does reaches the screens through the host's bus pump; the app passes it
  down to the screens (attributes down) and the screens' messages come up to the app.
- Every control runs in an "actions" worker, one at a time (a lock keeps key presses in order), so
  the UI never waits on the world; a move the world cannot make says why (never a silent no-op).
- Switching to another push service (TPNS, EAS) starts a new world (a new host generation).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from textual.app import App, SystemCommand
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import Worker

from fake_apns import Reason
from fake_devices import DeviceError

from ..chat.models import ContentsMode
from ..clock import Clock, SystemClock
from ..config import SimConfig
from ..harness import Simulator
from ..hops import HopError
from ..links import LinkError
from . import keys
from .commands import CONTENTS_NOTES, contents_choices, fault_choices, server_choices
from .controls import Controls, PushServer, Unavailable, plan_switch, world_config
from .dissect import Inspector
from .host import WorldHost
from .keys import Move_
from .messages import BusEventsPending, WorldReady
from .screens import Choice, ChoiceScreen, DashboardScreen, TrainerScreen, WorldLayout, WorldScreen
from .timeline import Timeline
from .trainer import TOKEN_SHOWN, TOURS, Move, StepResult, Trainer, TourRunner
from .widgets import PhoneSnapshot, WorldStatus

EXPECTED = (Unavailable, DeviceError, LinkError, HopError, TimeoutError, ValueError)
LANES = ("account-b", "chat", "proxy", "apns")
LANE_NAMES = {"account-b": "B", "chat": "chat", "apns": "APNs", "fcm": "FCM", "account-a-iphone": "A-iPh"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Told:
    """One thing the app told the user (a toast)."""

    title: str
    message: str
    severity: str


class SimulatorApp(App[None]):
    """Watch every hop of a push notification, drive the phones, and walk through the doc's steps."""

    CSS_PATH = "simulator.tcss"
    TITLE = "pushsim"
    BINDINGS = keys.BINDINGS

    def __init__(self, config: SimConfig | None = None, *, clock: Clock | None = None, deterministic: bool = False,
                 autoplay: bool = True, tour: str = "dm_background", trainer: bool = False,
                 step_timeout: float = 5.0) -> None:
        super().__init__()
        self.base_config = config or SimConfig()
        self.world_clock: Clock = clock or SystemClock()
        self.deterministic, self.autoplay, self.step_timeout = deterministic, autoplay, step_timeout
        self.tour, self.start_in_trainer = TOURS[tour] if tour in TOURS else TOURS["dm_background"], trainer
        self.host = WorldHost(self, clock=self.world_clock, on_started=self._lay_out)
        self.timeline = Timeline()
        self.inspector: Inspector | None = None
        self.layout: WorldLayout | None = None
        self.runner: TourRunner | None = None
        self.told: list[Told] = []  # every toast shown, oldest first
        self._moves = asyncio.Lock()

    @property
    def sim(self) -> Simulator | None:
        """The running (or last) world."""
        return self.host.sim

    @property
    def controls(self) -> Controls | None:
        """The moves on the running world (None while none is ready)."""
        return self.host.controls

    @property
    def generation(self) -> int:
        """How many worlds this app has started."""
        return self.host.generation

    @property
    def phase(self) -> str:
        """starting | ready | restarting | stopped."""
        return self.host.phase

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Show a toast, and keep it in ``told``."""
        self.told.append(Told(title=title, message=message, severity=severity))
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def get_default_screen(self) -> Screen[None]:
        """The live dashboard."""
        return DashboardScreen(show_latency=not self.deterministic)

    async def on_mount(self) -> None:
        """Start the world; open trainer mode straight away when asked."""
        self.host.start(self.base_config)
        if self.start_in_trainer:
            self.action_trainer()

    # ------------------------------------------------------------------ the world
    def _lay_out(self, sim: Simulator) -> None:
        self.timeline = Timeline()
        self.inspector = Inspector(timeline=self.timeline, keys=sim.keys, server_key=sim.signing_key.public_key(),
                                   role=sim.config.role.value)
        names = {**LANE_NAMES, "proxy": sim.config.role.value}
        self.layout = WorldLayout(lanes=LANES, names=names, inspector=self.inspector)
        for screen in self.world_screens:
            screen.clear()
            screen.set_world(self.layout, self.timeline)
        self._refresh()

    def on_world_screen_opened(self, message: WorldScreen.Opened) -> None:
        """A world screen was mounted: give it the world."""
        if self.layout is not None:
            message.screen.set_world(self.layout, self.timeline)
        self._refresh()

    def on_world_ready(self, message: WorldReady) -> None:
        """The cast is in place: controls work from now on."""
        if not self.host.mark_ready(message.generation):
            return
        self._refresh()
        if self.autoplay:  # the doc's trigger, so a new user sees a push travel straight away
            self._act("Account B sends Hello", keys.send_dm)

    def on_bus_events_pending(self, message: BusEventsPending) -> None:
        """Feed what the pump delivered to the timeline and the screens."""
        batch = self.host.take(message.generation)
        if batch:
            change = self.timeline.absorb(batch)
            for screen in self.world_screens:
                screen.absorb(change, self.timeline)
            if change.hops or change.phones:
                self._refresh()
        self.host.drawn()

    @property
    def world_screens(self) -> list[WorldScreen]:
        """The mounted screens that draw the world."""
        return [s for s in self.screen_stack if isinstance(s, WorldScreen) and s.is_mounted]

    def _refresh(self) -> None:
        status, phone = self.status(), None
        if self.controls is not None:
            phone = PhoneSnapshot.of(self.controls.phone)
        for screen in self.world_screens:
            screen.set_status(replace(status, mode="trainer" if isinstance(screen, TrainerScreen) else "live"))
            if phone is not None:
                screen.set_phone(phone)

    def status(self) -> WorldStatus:
        """The world's state for the status line."""
        c = self.controls
        if c is None or self.phase != "ready":
            return WorldStatus(phase=self.phase)
        chat = c.sim.chat_core.config
        contents = chat.contents.value if chat.contents is chat.effective_contents else \
            f"{chat.contents.value}→{chat.effective_contents.value} (no licence)"
        return WorldStatus(phase="ready", push_server=c.push_server.value, secure=c.sim.config.proxy_tls,
                           contents=contents, app_state=c.app_state.value, asleep=c.asleep,
                           faults=sum(f.remaining for f in c.sim.faults.pending), hops=len(self.timeline.hops))

    async def _close_world(self, *, cancel_moves: bool) -> None:
        if cancel_moves:
            self.workers.cancel_group(self, "actions")
            self.workers.cancel_group(self, "trainer")
        await self.host.close()

    async def on_unmount(self) -> None:
        """Close the world with the app (its servers, sockets and tasks)."""
        await self._close_world(cancel_moves=True)

    async def action_quit(self) -> None:
        """Close the world, then leave."""
        await self._close_world(cancel_moves=True)
        self.exit()

    # ------------------------------------------------------------------ waiting (tests, scripts)
    async def world_ready(self, timeout: float = 10.0) -> Simulator:
        """The running world, once its cast is in place."""
        return await self.host.ready(timeout)

    async def caught_up(self, timeout: float = 5.0) -> None:
        """Wait until every bus event published so far is on screen."""
        await self.host.caught_up(timeout)

    async def settled(self, timeout: float = 10.0) -> None:
        """Wait until every control move has finished and what it caused is on screen."""
        async with asyncio.timeout(timeout):
            while busy := [w for w in self.workers if w.group in ("actions", "trainer") and not w.is_finished]:
                await self.workers.wait_for_complete(busy)
            if self.sim is not None:
                await self.sim.settle(timeout)
                await self.caught_up(timeout)

    # ------------------------------------------------------------------ controls
    def _act(self, label: str, move: Move_) -> Worker[None] | None:
        if not self.host.up:
            self.notify("The world is still starting: try again in a moment.", title=label, severity="warning")
            return None
        return self.run_worker(self._perform(label, move), group="actions", exit_on_error=True)

    async def _perform(self, label: str, move: Move_) -> None:
        async with self._moves:
            if self.controls is None:
                self.notify("The world is restarting: try again in a moment.", title=label, severity="warning")
                return
            try:
                note = await move(self.controls)
            except EXPECTED as exc:
                self.notify(str(exc) or type(exc).__name__, title=f"{label}: not done", severity="error")
                return
            finally:
                self._refresh()
            if note:
                self.notify(note, title=label)

    def action_send_dm(self) -> None:
        """Account B sends a DM to Account A."""
        self._act("Send a DM", keys.send_dm)

    def action_toggle_app(self) -> None:
        """Account A's app: foreground ↔ background."""
        self._act("A's app", keys.toggle_app)

    def action_sleep_wake(self) -> None:
        """Sleep / wake A's phone (kill / reopen the app where phones cannot sleep)."""
        self._act("Sleep / wake", keys.sleep_wake)

    def action_uninstall_reinstall(self) -> None:
        """Delete A's app, or install it again and sign in."""
        self._act("Uninstall / reinstall", keys.uninstall_reinstall)

    def action_push_server(self) -> None:
        """Choose the push server."""
        current = self.controls.push_server.value if self.controls else ""
        self._choose("Push server", server_choices(), current, lambda key: self.switch_server(PushServer(key)))

    def switch_server(self, server: PushServer) -> Worker[None] | None:
        """Use ``server``: turn pushes off or on, or start a world with that push service."""
        async def move(c: Controls) -> str:
            if server is PushServer.OFF:
                c.set_push_enabled(False)
                return "Send Push Notifications = false: the server decides not to push (push_disabled)"
            plan = plan_switch(c.sim.config.role, server)
            if not plan.restart:
                c.set_push_enabled(True)
                return f"Pushes on, through {server.value}"
            self._refresh()
            await self.host.restart(world_config(self.base_config, server))
            return f"A new world with {server.value}: {plan.note}"
        return self._act("Push server", move)

    def action_contents(self) -> None:
        """Choose PushNotificationContents."""
        current = self.controls.sim.chat_core.config.contents.value if self.controls else ""
        licensed = self.controls.sim.config.licensed if self.controls else True
        self._choose("Push notification contents", contents_choices(licensed), current,
                     lambda key: self.set_contents(ContentsMode(key)))

    def set_contents(self, mode: ContentsMode) -> Worker[None] | None:
        """Set the contents mode (kept across world restarts)."""
        async def move(c: Controls) -> str:
            c.set_contents(mode)
            self.base_config = replace(self.base_config, contents=mode)
            return f"Contents: {mode.value} — {CONTENTS_NOTES[mode]}"
        return self._act("Contents", move)

    def action_fault(self) -> None:
        """Choose a fault for the next APNs request."""
        self._choose("Inject a fault on a hop", fault_choices(), "", lambda key: self.inject_fault(Reason(key)))

    def inject_fault(self, reason: Reason) -> Worker[None] | None:
        """The next APNs request is rejected with ``reason``."""
        return self._act("Fault", keys.fault(reason))

    def action_clear(self) -> None:
        """Clear the hops, the log and queued faults."""
        async def move(c: Controls) -> str:
            c.clear_faults()
            self.timeline.clear()
            for screen in self.world_screens:
                screen.clear()
            return "Cleared the hops, the server log and queued faults"
        self._act("Clear", move)

    def action_log_level(self) -> None:
        """Show the server log and step its level filter."""
        if isinstance(self.screen, WorldScreen):
            self.screen.show_log()

    def _choose(self, title: str, choices: Iterable[Choice], current: str, then: Callable[[str], object]) -> None:
        if self.controls is None:
            self.notify("The world is still starting: try again in a moment.", title=title, severity="warning")
            return
        def picked(key: str | None) -> None:
            if key is not None:
                then(key)
        self.push_screen(ChoiceScreen(title, tuple(choices), current=current), picked)

    # ------------------------------------------------------------------ trainer
    def action_trainer(self, tour: str = "") -> None:
        """Open trainer mode on ``tour`` (default: the scenario's)."""
        chosen = TOURS.get(tour, self.tour)
        screen = TrainerScreen(Trainer(chosen), show_latency=not self.deterministic)
        self.runner = None
        self.push_screen(screen, callback=lambda _: self._refresh())

    def action_trainer_next(self) -> None:
        """Take the trainer's next step."""
        screen = self.screen
        if not isinstance(screen, TrainerScreen):
            return
        if screen.trainer.done:
            self.notify("The tour is complete: escape leaves trainer mode.", title="Trainer")
            return
        if any(w.group == "trainer" and not w.is_finished for w in self.workers):
            self.notify("Still on the last step: wait for it.", title="Trainer", severity="warning")
            return
        if self.sim is None or not self.host.up:
            self.notify("The world is still starting: try again in a moment.", title="Trainer", severity="warning")
            return
        if self.runner is None or self.runner.trainer is not screen.trainer:
            self.runner = TourRunner(screen.trainer, bus=self.sim.bus, perform=self._tour_move,
                                     aliases=self._aliases, timeout=self.step_timeout)
        self.run_worker(self._trainer_step(screen, self.runner), group="trainer", exit_on_error=True)

    async def _trainer_step(self, screen: TrainerScreen, runner: TourRunner) -> None:
        step = runner.trainer.tour.steps[runner.trainer.index + 1]
        screen.begin(step)
        async with self._moves:
            try:
                result: StepResult = await runner.next()
            except EXPECTED as exc:
                result = StepResult(step=step, ok=False, outcome=f"The move failed: {exc}")
        await self.caught_up()
        screen.reveal(result.step, hop=result.hop, line=result.line, outcome=result.outcome, ok=result.ok)
        self._refresh()

    def _aliases(self) -> dict[str, str]:
        c = self.controls
        token = c.phone.apps[next(iter(c.phone.apps))].token if c is not None and c.phone.apps else ""
        return {"phone": c.phone.name if c else "", "token": token[:TOKEN_SHOWN]}

    async def _tour_move(self, move: Move) -> tuple[bool, str]:
        if move is Move.DEBUG_LOG:  # a setting of the server's log, which is this UI's log panel
            for screen in self.world_screens:
                screen.show_log("DEBUG")
            return True, "File Log Level: DEBUG"
        assert self.controls is not None
        return await self.controls.tour_move(move)

    # ------------------------------------------------------------------ command palette
    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Every control, by name, in the command palette (ctrl+p)."""
        yield from super().get_system_commands(screen)
        from .commands import palette_commands
        yield from palette_commands(self)


def make_app(config: SimConfig | None = None, *, clock: Clock | None = None, deterministic: bool = False,
             autoplay: bool = True, tour: str = "dm_background", trainer: bool = False,
             step_timeout: float = 5.0) -> SimulatorApp:
    """The app for ``config``: the CLI's, the tests' and the snapshots' one way in (posting's make_posting)."""
    return SimulatorApp(config, clock=clock, deterministic=deterministic, autoplay=autoplay, tour=tour,
                        trainer=trainer, step_timeout=step_timeout)
