"""Mention parsing: which channel members a post's words mention (§7.3 step 2). Pure functions, no state.

Rule: nothing here reads a clock or mutates shared state; callers pass keyword tables in and get
``Mentions`` back (``notify.find_mentions`` adds the DM, GM and thread rules on top).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from typing import Iterable, Mapping

from simulator.chat.models import Status, StatusRecord, User


class MentionType(IntEnum):
    """How a user was mentioned, weakest first; a stronger kind replaces a weaker one."""

    NONE = 0
    GM = 1
    THREAD = 2  # reply in a thread the user commented on (comments=any)
    COMMENT = 3  # reply to the user's own root post
    CHANNEL = 4  # @channel / @all / @here
    DM = 5
    KEYWORD = 6  # @username, mention keys, first name
    GROUP = 7


_SYSTEM_MENTIONS = ("@here", "@channel", "@all")
_WORD_SPLIT = re.compile(r"[^\w:.\-@]+")  # keep what can be part of an @mention or :emoji:


@dataclass(frozen=True, slots=True, kw_only=True)
class Mentions:
    """The result of mention parsing for one post."""

    users: Mapping[str, MentionType]
    here: bool = False
    channel: bool = False
    all: bool = False
    others: tuple[str, ...] = ()  # @words that matched nobody in the channel


class MentionParser:
    """Accumulates mentions word by word (the server's standard mention parser)."""

    def __init__(self, keywords: Mapping[str, list[str]]) -> None:
        self.keywords = keywords
        self.users: dict[str, MentionType] = {}
        self.flags: set[str] = set()
        self.others: list[str] = []

    def add(self, user_id: str, kind: MentionType) -> None:
        """Record a mention of ``user_id``; a stronger kind replaces a weaker one."""
        if self.users.get(user_id, MentionType.NONE) < kind:
            self.users[user_id] = kind

    def check(self, word: str) -> bool:
        """Mention everyone ``word`` is a keyword of; False if it is nobody's keyword."""
        lower = word.lower()
        if lower in _SYSTEM_MENTIONS:
            self.flags.add(lower)
        kind = MentionType.CHANNEL if lower in _SYSTEM_MENTIONS else MentionType.KEYWORD
        key = lower if lower in self.keywords else word  # second try: case-sensitive first name
        if key not in self.keywords:
            return False
        for user_id in self.keywords[key]:
            self.add(user_id, kind)
        return True

    def word(self, word: str) -> None:
        """Parse one word, trying trailing-punctuation stems and ``.-:`` parts when it matches nobody."""
        if word[0] == ":" and word[-1] == ":":
            return  # :emoji:
        word = word.lstrip(":.-_")
        if not word or self.check(word):
            return
        stem = word
        while stem and stem[-1] in ".-:_":  # "@alice." at the end of a sentence
            stem = stem[:-1]
            if self.check(stem):
                return
        if word.startswith("@") and word not in _SYSTEM_MENTIONS:
            self.others.append(word[1:-1] if word[-1] in ".-:" else word[1:])
        elif any(c in word for c in ".-:"):
            for part in filter(None, re.split(r"[.\-:]", word)):
                if not self.check(part) and part.startswith("@") and part not in _SYSTEM_MENTIONS:
                    self.others.append(part[1:])

    def feed(self, text: str) -> None:
        """Parse every word of ``text``."""
        for word in filter(None, _WORD_SPLIT.split(text)):
            self.word(word)

    def result(self) -> Mentions:
        """The mentions found so far."""
        return Mentions(users=dict(self.users), here="@here" in self.flags,
                        channel="@channel" in self.flags, all="@all" in self.flags,
                        others=tuple(self.others))


def parse_mentions(text: str, keywords: Mapping[str, list[str]]) -> Mentions:
    """Mentions in ``text`` given keyword -> user ids (lower-case keys, first names as typed)."""
    parser = MentionParser(keywords)
    parser.feed(text)
    return parser.result()


def mention_keywords(profiles: Iterable[User], member_props: Mapping[str, Mapping[str, str]],
                     statuses: Mapping[str, StatusRecord], *, allow_channel_mentions: bool = True,
                     ) -> dict[str, list[str]]:
    """The keywords that mention each channel member (``getMentionKeywordsInChannel``)."""
    keywords: dict[str, list[str]] = {}
    for user in profiles:
        props, cm = user.notify_props, member_props.get(user.id, {})
        keys = ["@" + user.username.lower()]
        keys += [k.strip().lower() for k in props.get("mention_keys", "").split(",") if k.strip()]
        if props.get("first_name") == "true" and user.first_name:
            keys.append(user.first_name)
        ignore = cm.get("ignore_channel_mentions") == "on" or (
            cm.get("mark_unread") == "mention" and cm.get("ignore_channel_mentions") == "default")
        if allow_channel_mentions and props.get("channel") == "true" and not ignore:
            keys += ["@channel", "@all"]
            if statuses.get(user.id, StatusRecord()).status is Status.ONLINE:
                keys.append("@here")  # @here only reaches users who are online right now
        for key in keys:
            keywords.setdefault(key, []).append(user.id)
    return keywords
