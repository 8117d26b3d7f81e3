"""The TUI's screens: the live dashboard, trainer mode, and a chooser for the controls' options.

Screens own their widgets' data flow (attributes down): the app hands them world changes, they
draw; a swimlane selection (message up) fills the hop detail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from ..events import HopAttempted, LogLine
from .dissect import Inspector
from .timeline import Absorbed, Timeline
from .trainer import Step, Trainer
from .widgets import Caption, HopDetail, PhoneSnapshot, PhoneView, ServerLog, StatusBar, Swimlane, WorldStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class WorldLayout:
    """What a screen needs to draw one world: its lanes and its hop inspector."""

    lanes: tuple[str, ...]
    names: Mapping[str, str]  # component -> lane label
    inspector: Inspector


class WorldScreen(Screen[None]):
    """Status line, swimlane, hop detail / server log tabs, and Account A's phone."""

    @dataclass
    class Opened(Message):
        """A world screen is mounted: the app hands it the world (attributes down)."""

        screen: WorldScreen

    def __init__(self, *, show_latency: bool = True) -> None:
        super().__init__()
        self.show_latency = show_latency
        self.world_layout: WorldLayout | None = None

    def on_mount(self) -> None:
        """Ask for the world."""
        self.post_message(self.Opened(self))

    def world_panes(self) -> ComposeResult:
        """The panes every world screen has, below its own top part."""
        yield Swimlane(show_latency=self.show_latency, id="swimlane")
        with Horizontal(id="bottom"):
            with TabbedContent(id="tabs", initial="hop-tab"):
                with TabPane("Hop", id="hop-tab"):
                    yield HopDetail(show_latency=self.show_latency, id="detail")
                with TabPane("Server log", id="log-tab"):
                    yield ServerLog(id="server-log")
            yield PhoneView(id="phone")

    @property
    def swimlane(self) -> Swimlane:
        """The hop table."""
        return self.query_one(Swimlane)

    @property
    def detail(self) -> HopDetail:
        """The hop detail pane."""
        return self.query_one(HopDetail)

    @property
    def server_log(self) -> ServerLog:
        """The log panel."""
        return self.query_one(ServerLog)

    @property
    def phone(self) -> PhoneView:
        """Account A's phone."""
        return self.query_one(PhoneView)

    def set_status(self, status: WorldStatus) -> None:
        """Update the status line."""
        self.query_one(StatusBar).status = status

    def set_phone(self, snapshot: PhoneSnapshot | None) -> None:
        """Redraw Account A's phone."""
        self.phone.snapshot = snapshot

    def set_world(self, layout: WorldLayout, timeline: Timeline) -> None:
        """A (new) world: its lanes, and everything seen so far."""
        self.world_layout = layout
        self.swimlane.set_lanes(layout.lanes, layout.names)
        self.detail.show(None)
        self.server_log.reset(timeline.logs)

    def absorb(self, change: Absorbed, timeline: Timeline) -> None:
        """New bus events arrived (already in ``timeline``)."""
        if change.logs:
            self.server_log.add(change.logs)

    def clear(self) -> None:
        """Empty the hop and log views."""
        self.swimlane.show([], lambda _: 0)
        self.detail.show(None)
        self.server_log.reset()

    def show_log(self, level: str | None = None) -> str:
        """Bring the log tab forward; with ``level`` set the filter, else step it. Returns the level."""
        self.query_one(TabbedContent).active = "log-tab"
        if level is None:
            return self.server_log.cycle()
        self.server_log.level = level
        return level

    def on_swimlane_hop_selected(self, message: Swimlane.HopSelected) -> None:
        """Fill the detail pane and mark the hop's notification chain."""
        if self.world_layout is None:
            return
        dissection = self.world_layout.inspector.dissect(message.hop)
        self.detail.show(dissection)
        self.swimlane.mark_chain(dissection.chain)

    def on_data_table_row_selected(self) -> None:
        """Enter on a hop brings its detail forward."""
        self.query_one(TabbedContent).active = "hop-tab"


class DashboardScreen(WorldScreen):
    """Every hop, live."""

    def compose(self) -> ComposeResult:
        """Status, swimlane, detail/log, phone, footer."""
        yield StatusBar(id="status")
        yield from self.world_panes()
        yield Footer(compact=True)

    def set_world(self, layout: WorldLayout, timeline: Timeline) -> None:
        """A (new) world: draw every hop seen so far."""
        super().set_world(layout, timeline)
        self.swimlane.show(timeline.hops, timeline.chain)

    def absorb(self, change: Absorbed, timeline: Timeline) -> None:
        """Draw new hops and log lines."""
        super().absorb(change, timeline)
        if change.trimmed:
            self.swimlane.show(timeline.hops, timeline.chain)
        else:
            self.swimlane.extend(change.hops, timeline.chain)


class TrainerScreen(WorldScreen):
    """One tour, one hop per step; only the hops revealed so far are drawn."""

    BINDINGS = [Binding("space,n", "app.trainer_next", "Next step"), Binding("escape", "app.pop_screen", "Leave")]

    def __init__(self, trainer: Trainer, *, show_latency: bool = True) -> None:
        super().__init__(show_latency=show_latency)
        self.trainer = trainer
        self.revealed: list[HopAttempted] = []
        self.outcomes: list[tuple[Step, str, bool | None]] = []

    def compose(self) -> ComposeResult:
        """Status, caption, then the world panes."""
        yield StatusBar(id="status")
        yield Caption(id="caption")
        yield from self.world_panes()
        yield Footer(compact=True)

    def on_mount(self) -> None:
        """Show the tour's title and how to start; ask for the world."""
        super().on_mount()
        self.query_one(Caption).show(self.trainer, None)

    def clear(self) -> None:
        """Forget what was revealed."""
        super().clear()
        self.revealed.clear()

    def begin(self, step: Step) -> None:
        """A step started: show its caption while the world moves."""
        self.query_one(Caption).show(self.trainer, step, outcome="working…", ok=None)

    def reveal(self, step: Step, *, hop: HopAttempted | None, line: LogLine | None, outcome: str, ok: bool) -> None:
        """A step finished: draw its hop (selected) or bring its log line forward."""
        self.outcomes.append((step, outcome, ok))
        self.query_one(Caption).show(self.trainer, step, outcome=outcome, ok=ok)
        if hop is not None and self.world_layout is not None:
            self.revealed.append(hop)
            self.swimlane.show(self.revealed, self.world_layout.inspector.timeline.chain)
            self.swimlane.select(hop)
            self.query_one(TabbedContent).active = "hop-tab"
        if line is not None:
            self.show_log(line.level)


@dataclass(frozen=True, slots=True, kw_only=True)
class Choice:
    """One option of a chooser; ``unavailable`` says why it cannot be picked."""

    key: str
    label: str
    note: str = ""
    unavailable: str = ""


class ChoiceScreen(ModalScreen[str | None]):
    """Pick one option (enter) or none (escape)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, title: str, choices: Sequence[Choice], *, current: str = "") -> None:
        super().__init__()
        self.title_, self.choices, self.current = title, tuple(choices), current

    def compose(self) -> ComposeResult:
        """A titled option list."""
        with Vertical(id="chooser"):
            yield Static(self.title_, id="chooser-title")
            yield OptionList(*(self._option(c) for c in self.choices), id="chooser-options")

    def _option(self, c: Choice) -> Option:
        mark = "● " if c.key == self.current else "  "
        why = f" — unavailable: {c.unavailable}" if c.unavailable else (f" — {c.note}" if c.note else "")
        return Option(f"{mark}{c.label}{why}", id=c.key, disabled=bool(c.unavailable))

    def on_mount(self) -> None:
        """Start on the current option."""
        options = self.query_one(OptionList)
        keys = [c.key for c in self.choices]
        options.highlighted = keys.index(self.current) if self.current in keys else 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Answer with the picked key."""
        self.dismiss(event.option.id)
