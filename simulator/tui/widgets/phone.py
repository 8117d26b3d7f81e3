"""A phone drawn small: model, app state, badge, lock screen with its notifications, in-app banner."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from fake_devices import AppState, Notification, Phone

SHOWN = 3  # notifications drawn on the lock screen, newest first
_STATE_STYLE = {AppState.FOREGROUND: "bold green", AppState.BACKGROUND: "bold yellow", AppState.KILLED: "bold red",
                AppState.NOT_INSTALLED: "dim", AppState.LOGGED_OUT: "yellow"}


@dataclass(frozen=True, slots=True, kw_only=True)
class PhoneSnapshot:
    """What one phone shows, frozen at one moment."""

    name: str
    model: str
    os: str
    app: str
    state: AppState
    asleep: bool
    badge: int
    lock_screen: tuple[Notification, ...]  # newest first
    banner: Notification | None

    @classmethod
    def of(cls, phone: Phone) -> PhoneSnapshot:
        """Read ``phone`` now."""
        inst = next(iter(phone.apps.values()), None)
        return cls(name=phone.name, model=phone.model, os=f"{phone.platform.value} {phone.os_version}",
                   app=inst.build.name if inst else "Mattermost",
                   state=inst.state if inst else AppState.NOT_INSTALLED,
                   asleep=str(getattr(phone, "power", "awake")) != "awake", badge=phone.badge,
                   lock_screen=tuple(reversed(phone.notification_centre)),
                   banner=phone.in_app_banners[-1] if phone.in_app_banners else None)


def _state(snap: PhoneSnapshot) -> Text:
    label = snap.state.value.replace("_", " ")
    return Text.assemble((snap.app, "bold"), " ", (label, _STATE_STYLE.get(snap.state, "")))


def render_phone(snap: PhoneSnapshot) -> RenderableType:
    """The phone's face."""
    notes: list[RenderableType] = []
    for n in snap.lock_screen[:SHOWN]:
        notes += [Text(n.app, style="dim"), Text(n.title, style="bold"), Text(n.body)]
    if not notes:
        notes = [Text("no notifications", style="dim")]
    more = len(snap.lock_screen) - SHOWN
    if more > 0:
        notes.append(Text(f"+{more} more", style="dim"))
    screen = "screen off" if snap.asleep else "lock screen"
    badge = Text(f" {snap.badge} ", style="bold white on red") if snap.badge else Text("0", style="dim")
    banner = (Text.assemble(("in-app: ", "dim"), f"{snap.banner.title}: {snap.banner.body}") if snap.banner
              else Text("in-app: —", style="dim"))
    return Group(Text(f"{snap.model} · {snap.os}", style="dim"),
                 Text.assemble(_state(snap), ("  badge ", "dim"), badge),
                 Panel(Group(*notes), title=screen, title_align="left", border_style="dim" if snap.asleep else "blue",
                       padding=(0, 1)),
                 banner)


class PhoneView(Static):
    """One phone; the screen sets ``snapshot``."""

    snapshot: reactive[PhoneSnapshot | None] = reactive(None)

    def watch_snapshot(self, snap: PhoneSnapshot | None) -> None:
        """Redraw when the phone changed."""
        if snap is None:
            self.update(Text("no phone yet", style="dim"))
            return
        self.border_title = snap.name
        self.update(render_phone(snap))
