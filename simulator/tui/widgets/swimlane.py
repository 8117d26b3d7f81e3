"""The swimlane: one row per hop, in causal order, with an arrow between the lanes it joined."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from rich.text import Text
from textual import events
from textual.message import Message
from textual.widgets import DataTable

from ...events import HopAttempted
from .lanes import header_text, hop_ids, lane_art, row_text, short_operation, status_of


_NAVIGATION = frozenset({"up", "down", "pageup", "pagedown", "home", "end", "ctrl+home", "ctrl+end"})


class HopRow(Text):
    """A drawn row; carries the hop's start so rows sort causally."""

    def __init__(self, hop: HopAttempted, cells: dict[str, Text], lanes: int) -> None:
        super().__init__()
        self.append_text(row_text(cells, lanes))
        self.started = hop.started


class Swimlane(DataTable[Text]):
    """Hops as rows in causal order; moving to a row selects its hop.

    Rows are keyed by the hop's identity; new hops are appended and the table re-sorted by start
    time, so a batch costs its own rows, not a redraw of every row. The cursor follows the newest
    hop while it sits on the last row; only the user's moves (keys, clicks, ``select``) select a hop,
    so a stream of hops does not redraw the detail pane for each one until the user asks for it.
    """

    @dataclass
    class HopSelected(Message):
        """The user moved to a hop."""

        hop: HopAttempted

    def __init__(self, *, show_latency: bool = True, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.show_latency = show_latency
        self.lanes: list[str] = []
        self.names: Mapping[str, str] = {}  # component -> lane label
        self.hops: list[HopAttempted] = []  # in row order
        self._chain: Callable[[HopAttempted], int] = lambda _: 0
        self._numbers: dict[int, int] = {}  # id(hop) -> chain number drawn
        self._marked = 0
        self._chosen = False  # the user has moved the cursor: highlights are selections from now on

    @property
    def labels(self) -> list[str]:
        """The name shown over each lane."""
        return [self.names.get(lane, lane) for lane in self.lanes]

    def set_lanes(self, lanes: Sequence[str], names: Mapping[str, str]) -> None:
        """Which components get a lane first (others join as they appear), and their lane labels."""
        self.lanes, self.names = list(lanes), dict(names)
        self.show(self.hops, self._chain, columns=True)

    def _new_lanes(self, hops: Sequence[HopAttempted]) -> bool:
        # A component first seen on a hop (an outside sender, a second phone) gets a lane of its own.
        added = False
        for name in dict.fromkeys(n for h in hops for n in (h.source, h.target)):
            if name not in self.lanes and name != "nowhere":
                self.lanes.append(name)
                added = True
        return added

    def show(self, hops: Sequence[HopAttempted], chain: Callable[[HopAttempted], int], *,
             columns: bool = False) -> None:
        """Draw exactly ``hops`` (in causal order); the cursor stays on its hop."""
        current, follow = self.selected, self._following
        self._chain = chain
        columns |= self._new_lanes(hops)
        self.clear(columns=columns)
        if columns:
            self.add_column(header_text(self.labels), key="row")
        self.hops, self._numbers = [], {}
        self._append(sorted(hops, key=lambda h: h.started))
        self._place_cursor(current, follow)

    def extend(self, new: Sequence[HopAttempted], chain: Callable[[HopAttempted], int]) -> None:
        """Add ``new`` hops to those drawn, keeping causal order."""
        if not new:
            return
        if not self.columns or self._new_lanes(new):
            self.show([*self.hops, *new], chain, columns=True)
            return
        current, follow = self.selected, self._following
        self._chain = chain
        self._append(new)
        if any(a.started > b.started for a, b in zip(self.hops, self.hops[1:])):
            self.hops.sort(key=lambda h: h.started)
            self.sort("row", key=lambda row: row.started)
        for hop in self.hops:  # a new hop can join two chains into one: renumber what changed
            if self._numbers.get(id(hop)) != chain(hop):
                self._numbers[id(hop)] = chain(hop)
                self.update_cell(str(id(hop)), "row", self._row(hop))
        self._place_cursor(current, follow)

    def _append(self, hops: Sequence[HopAttempted]) -> None:
        for hop in hops:
            self.hops.append(hop)
            self._numbers[id(hop)] = self._chain(hop)
            self.add_row(self._row(hop), key=str(id(hop)))

    @property
    def _following(self) -> bool:
        return self.selected is None or self.cursor_row >= len(self.hops) - 1

    def _place_cursor(self, current: HopAttempted | None, follow: bool) -> None:
        if not self.hops:
            return
        rows = {id(h): i for i, h in enumerate(self.hops)}
        row = len(self.hops) - 1 if follow or current is None else rows.get(id(current), len(self.hops) - 1)
        if row != self.cursor_row:
            self.move_cursor(row=row, animate=False)

    def cells(self, hop: HopAttempted) -> dict[str, Text]:
        """The columns of ``hop``'s row."""
        number = self._numbers.get(id(hop), 0)
        chain = Text(str(number) if number else "·", style="bold reverse" if number and number == self._marked else "")
        stamp = datetime.fromtimestamp(hop.at, timezone.utc).strftime("%M:%S.%f")[:-3]
        lock = Text("TLS", style="green") if hop.encrypted else Text("PLAIN", style="bold black on yellow")
        latency = f"{hop.duration_ms:.0f}" if self.show_latency else "·"
        return {"#": chain, "time": Text(stamp), "lanes": lane_art(self.lanes, hop), "what": Text(short_operation(hop)),
                "sec": lock, "status": status_of(hop), "ms": Text(latency), "protocol": Text(hop.protocol.value),
                "ids": Text(hop_ids(hop))}

    def row_cells(self, row: int) -> dict[str, str]:
        """The plain text of each column of row ``row``."""
        return {key: cell.plain for key, cell in self.cells(self.hops[row]).items()}

    def _row(self, hop: HopAttempted) -> HopRow:
        return HopRow(hop, self.cells(hop), len(self.lanes))

    @property
    def selected(self) -> HopAttempted | None:
        """The hop under the cursor."""
        if not self.hops or not 0 <= self.cursor_row < len(self.hops):
            return None
        return self.hops[self.cursor_row]

    def mark_chain(self, number: int) -> None:
        """Show chain ``number`` reversed in the # column (the selected hop's notification)."""
        before, self._marked = self._marked, number
        for hop in self.hops:
            if self._numbers.get(id(hop)) in (before, number) and before != number:
                self.update_cell(str(id(hop)), "row", self._row(hop))

    def select(self, hop: HopAttempted) -> None:
        """Move to ``hop`` and select it, as the user would."""
        self._chosen = True
        row = self.hops.index(hop)
        if row == self.cursor_row:
            self.post_message(self.HopSelected(hop))
        else:
            self.move_cursor(row=row, animate=False)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Tell the screen which hop is selected (once the user has chosen one)."""
        event.stop()
        if self._chosen and (hop := self.selected) is not None:
            self.post_message(self.HopSelected(hop))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter selects the hop under the cursor (the screen then brings its detail forward)."""
        self._chosen = True
        if (hop := self.selected) is not None:
            self.post_message(self.HopSelected(hop))

    def on_key(self, event: events.Key) -> None:
        """A navigation key (handled by the table's bindings after this) makes highlights selections."""
        if event.key in _NAVIGATION:
            self._chosen = True

    async def _on_click(self, event: events.Click) -> None:
        self._chosen = True
        await super()._on_click(event)
