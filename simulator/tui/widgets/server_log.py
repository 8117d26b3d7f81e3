"""The chat server's and proxy's log, as Mattermost writes it, with a level filter (the doc's
DEBUG line shows only at DEBUG: troubleshooting step 3.1)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import RichLog, Static

from ...events import LogLine

LEVELS = ("DEBUG", "INFO", "WARN", "ERROR")
_TAGS = {"DEBUG": "DEBG", "INFO": "INFO", "WARN": "WARN", "ERROR": "EROR"}
_STYLES = {"DEBUG": "dim", "INFO": "", "WARN": "yellow", "ERROR": "bold red"}
KEEP = 2000


def rank(level: str) -> int:
    """DEBUG 0 … ERROR 3; unknown levels count as INFO."""
    return LEVELS.index(level) if level in LEVELS else 1


def log_text(line: LogLine) -> Text:
    """``[2026/01/01 00:00:00 UTC] [DEBG] chat: message key=value``, the doc's layout."""
    stamp = datetime.fromtimestamp(line.at, timezone.utc).strftime("%Y/%m/%d %H:%M:%S UTC")
    fields = "".join(f" {k}={v}" for k, v in line.fields)
    return Text(f"[{stamp}] [{_TAGS.get(line.level, line.level)}] {line.component}: {line.message}{fields}",
                style=_STYLES.get(line.level, ""))


class ServerLog(Vertical):
    """Log lines at or above ``level``."""

    level: reactive[str] = reactive("INFO")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[LogLine] = []

    def compose(self) -> ComposeResult:
        """A one-line filter header over the log."""
        yield Static(id="log-filter")
        yield RichLog(wrap=True, markup=False, auto_scroll=True, id="log-lines")

    @property
    def shown(self) -> list[LogLine]:
        """The lines the filter lets through."""
        return [line for line in self.lines if rank(line.level) >= rank(self.level)]

    def add(self, lines: Iterable[LogLine]) -> None:
        """Append lines (those below the level are kept, not shown)."""
        new = list(lines)
        self.lines.extend(new)
        del self.lines[: max(0, len(self.lines) - KEEP)]
        if not self.is_mounted:
            return  # on_mount draws them
        view = self.query_one(RichLog)
        for line in new:
            if rank(line.level) >= rank(self.level):
                view.write(log_text(line))

    def reset(self, lines: Iterable[LogLine] = ()) -> None:
        """Replace every line."""
        self.lines = list(lines)[-KEEP:]
        self._redraw()

    def cycle(self) -> str:
        """The next level (DEBUG → INFO → WARN → ERROR → DEBUG); returns it."""
        self.level = LEVELS[(rank(self.level) + 1) % len(LEVELS)]
        return self.level

    def watch_level(self) -> None:
        """Refilter."""
        self._redraw()

    def _redraw(self) -> None:
        if not self.is_mounted:
            return
        self.query_one("#log-filter", Static).update(Text.assemble(
            ("level ≥ ", "dim"), (self.level, "bold"), ("  (l: change)", "dim")))
        view = self.query_one(RichLog)
        view.clear()
        for line in self.shown:
            view.write(log_text(line))

    def on_mount(self) -> None:
        """Draw the header."""
        self._redraw()
