"""Unreads: per-member message and mention counters, thread mentions, and the badge (§7.5 "Badge", §7.7).

Rule 1: no I/O, no clock: callers pass the post (with its ``create_at``) or the time of a view.
Rule 2: the counters mean what the server's ``ChannelMembers`` columns mean: ``msg_count`` = posts
seen, ``mention_count`` = unread mentions (DM posts count as mentions), ``mention_count_root`` = the
same for root posts only (what the badge counts when collapsed threads are on).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from simulator.chat.models import Post


@dataclass(slots=True)
class Counts:
    """One membership's read state (mutable; only ``Unreads`` changes it)."""

    msg_count: int = 0
    mention_count: int = 0
    mention_count_root: int = 0
    last_viewed_at: int = 0

    def to_api(self, *, channel_id: str, team_id: str, user_id: str, total: int) -> dict[str, object]:
        """The ``ChannelUnreadAt`` JSON that ``set_unread`` answers with."""
        return {"team_id": team_id, "channel_id": channel_id, "user_id": user_id, "msg_count": self.msg_count,
                "mention_count": self.mention_count, "mention_count_root": self.mention_count_root,
                "urgent_mention_count": 0, "msg_count_root": self.msg_count,
                "last_viewed_at": self.last_viewed_at, "total_msg_count": total}


    def member_api(self, *, channel_id: str, user_id: str, notify_props: Mapping[str, str]) -> dict[str, object]:
        """The ``ChannelMember`` JSON."""
        return {"channel_id": channel_id, "user_id": user_id, "roles": "channel_user",
                "last_viewed_at": self.last_viewed_at, "msg_count": self.msg_count,
                "mention_count": self.mention_count, "mention_count_root": self.mention_count_root,
                "notify_props": dict(notify_props), "last_update_at": self.last_viewed_at,
                "scheme_user": True, "scheme_admin": False, "explicit_roles": ""}


class Unreads:
    """Read state of every membership, indexed by user (the badge sums one user's channels)."""

    def __init__(self) -> None:
        self._counts: dict[str, dict[str, Counts]] = {}  # user id -> channel id -> counts
        self._totals: dict[str, int] = {}  # channel id -> posts so far
        self._history: dict[str, list[tuple[Post, frozenset[str]]]] = {}  # channel -> (post, mentioned)
        self._thread_mentions: dict[tuple[str, str], int] = {}  # (user id, root id) -> unread mentions

    def joined(self, channel_id: str, user_id: str) -> None:
        """A new member has read the channel's history (idempotent)."""
        self._counts.setdefault(user_id, {}).setdefault(channel_id, Counts(msg_count=self._totals.get(channel_id, 0)))

    def counts(self, channel_id: str, user_id: str) -> Counts | None:
        """The membership's counters, or None for a non-member."""
        return self._counts.get(user_id, {}).get(channel_id)

    def total(self, channel_id: str) -> int:
        """How many posts the channel holds."""
        return self._totals.get(channel_id, 0)

    def posted(self, post: Post, mentioned: Iterable[str], thread_mentioned: Iterable[str],
               *, poster_reads: bool) -> None:
        """Count a new post: ``mentioned`` users' counters rise; the poster has read the channel."""
        channel = post.channel_id
        self._totals[channel] = self._totals.get(channel, 0) + 1
        people = frozenset(mentioned)
        self._history.setdefault(channel, []).append((post, people))
        for uid in people:
            counts = self.counts(channel, uid)
            if counts is not None:
                counts.mention_count += 1
                counts.mention_count_root += 0 if post.root_id else 1
        for uid in thread_mentioned:
            key = (uid, post.root_id)
            self._thread_mentions[key] = self._thread_mentions.get(key, 0) + 1
        if poster_reads:
            self.viewed(channel, post.user_id, at=post.create_at)
            self._thread_mentions.pop((post.user_id, post.root_id), None)

    def viewed(self, channel_id: str, user_id: str, *, at: int) -> tuple[int, int]:
        """Mark the channel read; returns (unread posts, unread mentions) as they were before."""
        counts = self.counts(channel_id, user_id)
        if counts is None:
            return 0, 0
        before = (self.total(channel_id) - counts.msg_count, counts.mention_count)
        counts.msg_count, counts.mention_count, counts.mention_count_root = self.total(channel_id), 0, 0
        counts.last_viewed_at = at
        return before

    def unread_from(self, post: Post, user_id: str) -> Counts:
        """``MarkChannelAsUnreadFromPost``: everything from ``post`` on is unread again."""
        counts = self.counts(post.channel_id, user_id)
        assert counts is not None, "callers check membership first"
        history = self._history.get(post.channel_id, [])
        # By position, not time: a frozen test clock gives many posts the same create_at.
        start = next((i for i, (p, _) in enumerate(history) if p.id == post.id), len(history))
        later = history[start:]
        mentions = [p for p, who in later if user_id in who and p.user_id != user_id]
        counts.msg_count = self.total(post.channel_id) - len(later)
        counts.mention_count = len(mentions)
        counts.mention_count_root = sum(1 for p in mentions if not p.root_id)
        counts.last_viewed_at = post.create_at - 1
        return counts

    def badge(self, user_id: str, *, crt: bool) -> int:
        """``getUserBadgeCount``: unread mentions (and DM posts) across channels, plus thread mentions with CRT."""
        channels = self._counts.get(user_id, {}).values()
        total = sum(c.mention_count_root if crt else c.mention_count for c in channels)
        if crt:
            total += sum(n for (uid, _), n in self._thread_mentions.items() if uid == user_id)
        return total
