"""The trainer's caption: where we are in the tour, what this step means, what happened."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.widgets import Static

from ..trainer import Step, Trainer


class Caption(Static):
    """The current trainer step; the screen calls ``show``."""

    def show(self, trainer: Trainer, step: Step | None, *, outcome: str = "", ok: bool | None = None) -> None:
        """Draw ``step`` of ``trainer`` with the outcome line (``ok`` None: still waiting)."""
        self.border_title = f"Trainer · {trainer.tour.title}"
        if step is None:
            self.update(Group(Text("Press space (or n) to take the first step; escape leaves.", style="bold"),
                              Text(f"{len(trainer.tour.steps)} steps, one hop at a time.", style="dim")))
            return
        style = {True: "green", False: "bold red", None: "yellow"}[ok]
        footer = "the tour is complete: escape leaves" if trainer.done and ok is not None else "space: next step"
        self.update(Group(Text.assemble((f"Step {trainer.position} · {step.title}", "bold")),
                          Text(step.caption),
                          Text(outcome, style=style) if outcome else Text("…", style="dim"),
                          Text(footer, style="dim")))
