"""Messages that cross the TUI (toolong style: one dataclass per message, one-line docstrings).
Widget-specific messages live in their widget (``Swimlane.HopSelected``)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class BusEventsPending(Message):
    """The pump put bus events in the app's inbox; one of these drains them all (floods coalesce)."""

    generation: int  # which world published them: a closed world's are dropped

    def can_replace(self, message: Message) -> bool:
        """A newer notice supersedes a queued one of the same world: the inbox holds the events."""
        return isinstance(message, BusEventsPending) and message.generation == self.generation


@dataclass
class WorldReady(Message):
    """A world finished starting: the cast is signed in and the controls work."""

    generation: int
