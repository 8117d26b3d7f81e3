"""The selected hop in full: request, headers, JWTs with their verdicts, payload, response, and who
could read the message text on it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone

from rich.console import Group, RenderableType
from rich.highlighter import JSONHighlighter
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..dissect import Dissection, JwtView

_JSON = JSONHighlighter()
_MARK = {True: ("✓", "bold green"), False: ("✗", "bold red"), None: ("?", "bold yellow")}


def _rule(title: str) -> Text:
    return Text(f"── {title}", style="bold cyan")


def _pairs(rows: Sequence[tuple[str, str]]) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in rows:
        table.add_row(key, value)
    return table


def _jwt(view: JwtView) -> list[RenderableType]:
    mark, style = _MARK[view.ok]
    compact = {"separators": (", ", ": "), "ensure_ascii": False}
    return [_rule(f"JWT: {view.where}"),
            _pairs((("header", json.dumps(view.header, **compact)),  # type: ignore[arg-type]
                    ("claims", json.dumps(view.claims, **compact)))),  # type: ignore[arg-type]
            Text.assemble((f"{mark} ", style), (view.verdict, style))]


def _readers(d: Dissection) -> list[RenderableType]:
    readers = d.readers
    style = "bold black on yellow" if readers.exposed and not d.hop.encrypted else ""
    return [_rule("who could read the message text"), Text(readers.verdict, style=style),
            *(Text(f"  • {who}") for who in readers.who)]


def render_dissection(d: Dissection, *, show_latency: bool = True) -> Group:
    """The detail pane's content for one dissected hop."""
    hop = d.hop
    stamp = datetime.fromtimestamp(hop.at, timezone.utc).strftime("%H:%M:%S.%f")[:-3]
    security = (Text("TLS (encrypted)", style="green") if hop.encrypted
                else Text("PLAIN — unencrypted", style="bold black on yellow"))
    latency = f"{hop.duration_ms:.1f} ms" if show_latency else "· ms"
    parts: list[RenderableType] = [
        Text.assemble((f"{hop.source} → {hop.target}", "bold"), f"  {hop.operation}",
                      (f"  notification #{d.chain}" if d.chain else "", "bold magenta")),
        Text.assemble(f"{stamp} UTC  {hop.protocol.value}  ", security, f"  {latency}  ",
                      ("ok" if hop.ok else "FAILED", "green" if hop.ok else "bold red")),
        *_readers(d),
        _rule("HTTP/2 pseudo-headers" if any(k.startswith(":") for k, _ in d.request) else "request"),
        _pairs(d.request),
    ]
    if d.headers:
        parts += [_rule("headers"), _pairs(d.headers)]
    for view in d.jwts:
        parts += _jwt(view)
    if d.payload:
        parts += [_rule("payload"), _JSON(Text(d.payload))]
    parts += [_rule("response"), Text(d.response)]
    return Group(*parts)


HINT = Group(
    Text("Select a hop (↑/↓, enter) to see it in full: request, headers, JWTs and their verdict, payload, "
         "and who could read the message text.", style="bold"),
    Text.assemble("Arrows run ", ("●", "green"), " source → target ", ("▶", "green"), ": ", ("green", "green"),
                  " worked, ", ("red", "bold red"), " failed, ", ("PLAIN", "bold black on yellow"), " no TLS. "
                  "# numbers one notification's hops."),
    Text("s DM B→A · a app front/back · z sleep/wake · u delete/reinstall · p push server · m contents · "
         "f fault · c clear · l log level · t trainer · ctrl+p every command", style="dim"),
)


class HopDetail(VerticalScroll):
    """A scrollable view of one hop (or a hint when none is selected)."""

    def __init__(self, *, show_latency: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.show_latency = show_latency
        self.dissection: Dissection | None = None
        self._body = Static(HINT)

    def compose(self):  # type: ignore[no-untyped-def]
        """One Static holds the rendering."""
        yield self._body

    def show(self, dissection: Dissection | None) -> None:
        """Show ``dissection`` (None: the hint)."""
        self.dissection = dissection
        if dissection is None:
            self._body.update(HINT)
        else:
            self._body.update(render_dissection(dissection, show_latency=self.show_latency))
        self.scroll_home(animate=False)
