"""What the TUI has seen of the world: hops in causal order, chains of correlated hops, server
log lines, and the evidence the hop detail needs (post texts, APNs verdicts). Pure; the bus pump
feeds it, screens read it.

Rule: hops are kept sorted by ``started`` (real monotonic start time), not by arrival: a hop is
published when it *ends*, so an outer request (chat → proxy) arrives after the inner one it waited
for (proxy → APNs). Sorting by start shows the causal chain top to bottom.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from fake_apns import PushAccepted, PushRejected

from ..events import HopAttempted, LogLine

POSTS = "POST /api/v4/posts"
_POST_ID = re.compile(r'"id":\s*"([a-z0-9]{26})"')


@dataclass(frozen=True, slots=True, kw_only=True)
class Absorbed:
    """What one batch of bus events changed."""

    hops: tuple[HopAttempted, ...] = ()
    trimmed: bool = False  # the oldest hops were dropped: views must redraw
    logs: tuple[LogLine, ...] = ()
    phones: bool = False  # a phone's screen may have changed (an event about a phone arrived)


def post_id_of(hop: HopAttempted) -> str:
    """The post a hop belongs to; for ``POST /api/v4/posts`` read from the response (its ids are empty)."""
    if hop.ids.post_id:
        return hop.ids.post_id
    if hop.operation == POSTS and (found := _POST_ID.search(hop.outcome)):
        return found.group(1)
    return ""


def _keys(hop: HopAttempted) -> list[str]:
    ids = hop.ids
    return [k for k in (f"p:{post_id_of(hop)}", f"a:{ids.ack_id}", f"x:{ids.apns_id}") if len(k) > 2]


class Timeline:
    """The hops and log lines seen so far (the newest ``limit`` of each)."""

    def __init__(self, *, limit: int = 2000) -> None:
        self.limit = limit
        self.hops: list[HopAttempted] = []
        self.logs: list[LogLine] = []
        self._texts: dict[str, str] = {}  # post id -> message text, from the posting request
        self._verdicts: dict[str, PushAccepted | PushRejected] = {}  # apns-id -> what APNs decided
        self._chains: dict[int, int] = {}  # id(hop) -> chain number (1-based); 0 = none

    def absorb(self, events: Iterable[object]) -> Absorbed:
        """Take a batch of bus events; returns what changed."""
        hops: list[HopAttempted] = []
        logs: list[LogLine] = []
        trimmed = phones = False
        for event in events:
            if isinstance(event, HopAttempted):
                bisect.insort(self.hops, event, key=lambda h: h.started)
                hops.append(event)
                self._learn_text(event)
            elif isinstance(event, LogLine):
                logs.append(event)
            elif isinstance(event, (PushAccepted, PushRejected)):
                self._verdicts[event.apns_id.upper()] = event
            phones |= isinstance(getattr(event, "phone", None), str)  # every fake_devices event names its phone
        self.logs.extend(logs)
        if len(self.hops) > self.limit:
            del self.hops[: len(self.hops) - self.limit]
            trimmed = True
        del self.logs[: max(0, len(self.logs) - self.limit)]
        if hops:
            self._link()
        return Absorbed(hops=tuple(hops), trimmed=trimmed, logs=tuple(logs), phones=phones)

    def clear(self) -> None:
        """Forget every hop and log line (evidence stays: later hops may still need it)."""
        self.hops.clear()
        self.logs.clear()
        self._chains.clear()

    def _learn_text(self, hop: HopAttempted) -> None:
        if hop.operation != POSTS or not (post_id := post_id_of(hop)):
            return
        try:
            body = json.loads(hop.wire_field("body") or "")
        except ValueError:
            return
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            self._texts[post_id] = body["message"]

    def _link(self) -> None:
        """Number the chains: hops sharing a post, ack or apns id are one notification's journey."""
        parent: dict[str, str] = {}

        def root(key: str) -> str:
            while parent.setdefault(key, key) != key:
                key = parent[key]
            return key

        for hop in self.hops:
            keys = _keys(hop)
            for key in keys[1:]:
                parent[root(key)] = root(keys[0])
        numbers: dict[str, int] = {}
        self._chains = {}
        for hop in self.hops:
            keys = _keys(hop)
            if keys:
                self._chains[id(hop)] = numbers.setdefault(root(keys[0]), len(numbers) + 1)

    def chain(self, hop: HopAttempted) -> int:
        """The hop's notification chain number (1 = the first notification seen); 0 for none."""
        return self._chains.get(id(hop), 0)

    def correlated(self, hop: HopAttempted) -> list[HopAttempted]:
        """Every hop of the same chain, in causal order (just ``hop`` when it has none)."""
        number = self.chain(hop)
        return [h for h in self.hops if h is hop or (number and self.chain(h) == number)]

    def message_text(self, hop: HopAttempted) -> str | None:
        """The text of the post this hop carries a notification for, when the post was seen."""
        return self._texts.get(post_id_of(hop))

    def apns_verdict(self, hop: HopAttempted) -> PushAccepted | PushRejected | None:
        """What the fake APNs decided about the request this hop made or answered."""
        return self._verdicts.get(hop.ids.apns_id.upper()) if hop.ids.apns_id else None
