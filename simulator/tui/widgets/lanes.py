"""How one hop is drawn in the swimlane: the lane arrow, a short name for what it did, its status.

Lanes are columns of a fixed width inside one table column; the arrow runs from the source lane
(●) to the target lane (▶/◀): green when the hop worked, red when it did not, yellow when it
crossed the network in clear.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.cells import cell_len
from rich.text import Text

from ...events import HopAttempted

LANE = 6  # characters per lane
COLUMNS = ("#", "time", "lanes", "what", "sec", "status", "ms", "protocol", "ids")
# Widths of the other columns. A row is one Text, so the table renders one cell per row, not nine.
WIDTHS = {"#": 2, "time": 9, "what": 9, "sec": 5, "status": 7, "ms": 5, "protocol": 11, "ids": 44}
_SHORT = {"posts": "post", "send_push": "send_push", "view": "view", "login": "login", "direct": "open DM",
          "websocket": "websocket", "ack": "ack"}


def short_operation(hop: HopAttempted) -> str:
    """A word for what the hop did: post, send_push, push, deliver, ack, login, …"""
    if hop.operation.startswith("push to "):
        return "deliver"
    path = hop.operation.partition(" ")[2].split(" (")[0]
    if path.startswith("/3/device/"):
        return "push"
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return _SHORT.get(last, last[:10])


def status_of(hop: HopAttempted) -> Text:
    """The answer's status code (or first word), green when the hop worked."""
    head = hop.outcome.split(" ", 1)[0]
    word = head if head.isdigit() else (hop.outcome.split(":", 1)[0].split(" ", 1)[0] or "?")[:7]
    return Text(word, style="green" if hop.ok else "bold red")


def lane_art(lanes: Sequence[str], hop: HopAttempted) -> Text:
    """The arrow for ``hop`` across ``lanes``."""
    width = LANE * len(lanes)
    cells = [" "] * width
    centres = [i * LANE + LANE // 2 for i in range(len(lanes))]
    for c in centres:
        cells[c] = "┆"
    src = lanes.index(hop.source) if hop.source in lanes else None
    dst = lanes.index(hop.target) if hop.target in lanes else None
    style = ("bold yellow" if not hop.encrypted else "green") if hop.ok else "bold red"
    if src is None:
        return Text(f"{hop.source}?", style=style)
    a = centres[src]
    b = centres[dst] if dst is not None else width - 1
    lo, hi = sorted((a, b))
    for x in range(lo, hi + 1):
        cells[x] = "─"
    cells[a] = "●"
    cells[b] = ("▶" if b > a else "◀") if dst is not None else "✗"
    text = Text("".join(cells))
    text.stylize(style, lo, hi + 1)
    return text


def lane_header(labels: Sequence[str]) -> Text:
    """The lane names, each centred over its lane."""
    text = Text(style="bold")
    for label in labels:
        label = label[:LANE - 1]
        width = cell_len(label)
        left = (LANE - width + 1) // 2  # the label's middle over the lane's centre (index LANE // 2)
        text.append(" " * left + label + " " * (LANE - width - left))
    return text


def hop_ids(hop: HopAttempted) -> str:
    """The hop's correlation ids, shortened: ``post t6owz7 ack 5qbxdf apns 498EB6``."""
    ids = hop.ids
    parts = [(name, value) for name, value in (("post", ids.post_id), ("ack", ids.ack_id), ("apns", ids.apns_id))
             if value]
    return " ".join(f"{name} {value[:6]}" for name, value in parts)


def row_text(cells: Mapping[str, Text], lanes: int) -> Text:
    """One swimlane row: every column cut or padded to its width, a space between columns."""
    row = Text()
    for n, key in enumerate(COLUMNS):
        cell = cells[key].copy()
        width = LANE * lanes if key == "lanes" else WIDTHS[key]
        cell.truncate(width, overflow="ellipsis")
        room = width - cell.cell_len
        if key == "ms":
            row.append(" " * room)
        row.append_text(cell)
        if key != "ms":
            row.append(" " * room)
        if n < len(COLUMNS) - 1:
            row.append(" ")
    return row


def header_text(labels: Sequence[str]) -> Text:
    """The swimlane's column titles, lane names included."""
    cells = {key: Text(key, style="bold") for key in COLUMNS}
    cells["lanes"] = lane_header(labels)
    cells["ms"] = Text("ms", style="bold")
    return row_text(cells, len(labels))
