"""One line of world state: push server, contents mode, Account A's app, queued faults."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static


@dataclass(frozen=True, slots=True, kw_only=True)
class WorldStatus:
    """What the status bar shows."""

    phase: str = "starting"  # starting | ready | restarting | stopped
    push_server: str = ""
    secure: bool = True  # the chat server reaches the proxy over TLS
    contents: str = ""
    app_state: str = ""
    asleep: bool = False
    faults: int = 0
    hops: int = 0
    mode: str = "live"  # live | trainer


class StatusBar(Static):
    """The top line; the app sets ``status``."""

    status: reactive[WorldStatus] = reactive(WorldStatus)

    def render(self) -> Text:
        """``pushsim · HPNS TLS · contents full · A: background · faults 0 · 12 hops``."""
        s = self.status
        if s.phase != "ready":
            return Text.assemble((" pushsim ", "bold reverse"), (f"  world {s.phase}…", "bold yellow"))
        server = Text(f"push {s.push_server}", style="bold" if s.push_server != "off" else "bold red")
        transport = Text(" TLS" if s.secure else " PLAIN", style="green" if s.secure else "bold black on yellow")
        phone = f"A: {s.app_state.replace('_', ' ')}" + (" (asleep)" if s.asleep else "")
        faults = Text(f"faults {s.faults}", style="bold red" if s.faults else "dim")
        return Text.assemble((" pushsim ", "bold reverse"), (f" {s.mode} ", "bold magenta"), " ", server, transport,
                             f" │ contents {s.contents} │ {phone} │ ", faults, (f" │ {s.hops} hops", "dim"))
