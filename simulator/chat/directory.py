"""Directory: the users, teams, channels and memberships of the fake Mattermost server.

Rule 1: no I/O; time comes only from the injected clock, ids only from the injected ``IdFactory``.
Rule 2: only this class adds users, teams, channels and members. ``ChatCore`` reads the public maps;
``on_join`` tells the unread bookkeeping about every new channel membership.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, Sequence

from simulator.chat.errors import AppError, ErrorCode
from simulator.chat.ids import IdFactory
from simulator.chat.models import (DEFAULT_CHANNEL_NOTIFY_PROPS, DEFAULT_USER_NOTIFY_PROPS, Channel, ChannelType,
                                   Team, User, frozen_map)

_USERNAME = re.compile(r"[a-z0-9.\-_]{1,64}")
_NAME = re.compile(r"[a-z0-9][a-z0-9\-_]{0,62}[a-z0-9]")  # team and channel URL names
_RESERVED_USERNAMES = frozenset({"all", "channel", "here", "matterbot", "system"})
_DEFAULT_CHANNELS = (("town-square", "Town Square"), ("off-topic", "Off-Topic"))


_CHANNEL_PROP_VALUES = {  # UpdateChannelMemberNotifyProps validation: prop -> (allowed, error)
    "push": (frozenset({"default", "all", "mention", "none"}), ErrorCode.PUSH_LEVEL_INVALID),
    "desktop": (frozenset({"default", "all", "mention", "none"}), ErrorCode.PUSH_LEVEL_INVALID),
    "mark_unread": (frozenset({"all", "mention"}), ErrorCode.UNREAD_LEVEL_INVALID),
}


@dataclass(slots=True)
class Member:
    """A channel membership's notify props (mutable; unread counters live in ``Unreads``)."""

    notify_props: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_CHANNEL_NOTIFY_PROPS))


class Directory:
    """Who exists and who belongs where: users, teams, channels, members."""

    def __init__(self, *, clock: Callable[[], float], ids: IdFactory,
                 on_join: Callable[[str, str], None] = lambda channel_id, user_id: None) -> None:
        self._clock, self._ids, self._on_join = clock, ids, on_join
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.members: dict[str, dict[str, Member]] = {}  # channel id -> user id -> membership
        self.teams: dict[str, Team] = {}
        self.team_members: dict[str, dict[str, None]] = {}  # team id -> user ids, join order
        self._by_username: dict[str, str] = {}
        self._passwords: dict[str, str] = {}

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    # ------------------------------------------------------------------ users
    def create_user(self, *, username: str, password: str, email: str | None = None,
                    first_name: str = "", last_name: str = "", roles: str = "system_user") -> User:
        """Backdoor: a new user with the server's default notify props."""
        name = username.lower()
        if not _USERNAME.fullmatch(name) or name in _RESERVED_USERNAMES:
            raise AppError.of(ErrorCode.USERNAME_INVALID, detailed_error=f"username={username}")
        if name in self._by_username:
            raise AppError.of(ErrorCode.USERNAME_EXISTS)
        address = (email or f"{name}@pushsim.test").lower()
        if any(u.email == address for u in self.users.values()):
            raise AppError.of(ErrorCode.EMAIL_EXISTS)
        user = User(id=self._ids.new_id(), username=name, email=address, first_name=first_name,
                    last_name=last_name, notify_props=frozen_map(DEFAULT_USER_NOTIFY_PROPS),
                    create_at=self._now_ms(), roles=roles)
        self.users[user.id], self._by_username[name], self._passwords[user.id] = user, user.id, password
        return user

    def user(self, user_id: str) -> User:
        """The user, or 404."""
        if user_id not in self.users:
            raise AppError.of(ErrorCode.USER_MISSING, detailed_error=f"user_id={user_id}")
        return self.users[user_id]

    def user_by_username(self, username: str) -> User:
        """The user with that username (case-insensitive), or 404."""
        return self.user(self._by_username.get(username.lower(), ""))

    def verify_credentials(self, login_id: str, password: str) -> User:
        """The user whose username or email is ``login_id`` and whose password matches, or 401."""
        wanted = login_id.lower()
        user = next((u for u in self.users.values() if wanted in (u.username, u.email)), None)
        if user is None or not hmac.compare_digest(self._passwords[user.id].encode(), password.encode()):
            raise AppError.of(ErrorCode.INVALID_CREDENTIALS)
        return user

    def patch_notify_props(self, user_id: str, props: Mapping[str, str]) -> User:
        """Backdoor: merge ``props`` into the user's notify props."""
        user = self.user(user_id)
        return self._save_user(replace(user, notify_props=frozen_map({**user.notify_props, **props})))

    def patch_user(self, user_id: str, patch: Mapping[str, object]) -> User:
        """``User.Patch`` + ``PreUpdate``: names replace; ``notify_props`` replaces the whole map (empty = defaults)."""
        user = self.user(user_id)

        def name(key: str, current: str) -> str:
            value = patch.get(key)
            return value if isinstance(value, str) else current

        props = patch.get("notify_props")
        notify = frozen_map(props or DEFAULT_USER_NOTIFY_PROPS) if isinstance(props, Mapping) else user.notify_props
        return self._save_user(replace(user, first_name=name("first_name", user.first_name),
                                       last_name=name("last_name", user.last_name),
                                       nickname=name("nickname", user.nickname), notify_props=notify))

    def _save_user(self, user: User) -> User:
        self.users[user.id] = user
        return user

    # ------------------------------------------------------------------ teams and channels
    def create_team(self, *, name: str, display_name: str) -> Team:
        """A team with its Town Square and Off-Topic channels."""
        if not _NAME.fullmatch(name) or not display_name.strip() or len(display_name) > 64:
            raise AppError.of(ErrorCode.TEAM_NAME_INVALID, detailed_error=f"name={name}")
        if any(t.name == name for t in self.teams.values()):
            raise AppError.of(ErrorCode.TEAM_EXISTS)
        team = Team(id=self._ids.new_id(), name=name, display_name=display_name, create_at=self._now_ms())
        self.teams[team.id], self.team_members[team.id] = team, {}
        for channel_name, channel_display in _DEFAULT_CHANNELS:
            self.create_channel(team.id, name=channel_name, display_name=channel_display)
        return team

    def team(self, team_id: str) -> Team:
        """The team, or 404."""
        if team_id not in self.teams:
            raise AppError.of(ErrorCode.TEAM_MISSING, detailed_error=f"team_id={team_id}")
        return self.teams[team_id]

    def team_by_name(self, name: str) -> Team:
        """The team with that name, or 404."""
        team = next((t for t in self.teams.values() if t.name == name), None)
        if team is None:
            raise AppError.of(ErrorCode.TEAM_MISSING)
        return team

    def create_channel(self, team_id: str, *, name: str, display_name: str,
                       channel_type: ChannelType = ChannelType.OPEN, creator_id: str = "") -> Channel:
        """An open or private channel in a team (no members yet)."""
        self.team(team_id)
        if channel_type not in (ChannelType.OPEN, ChannelType.PRIVATE):
            raise AppError.of(ErrorCode.CHANNEL_TYPE_INVALID, detailed_error=f"type={channel_type}")
        if not _NAME.fullmatch(name):
            raise AppError.of(ErrorCode.CHANNEL_NAME_INVALID, detailed_error=f"name={name}")
        if not display_name.strip() or len(display_name) > 64:
            raise AppError.of(ErrorCode.CHANNEL_DISPLAY_NAME_INVALID)
        if any(c.team_id == team_id and c.name == name for c in self.channels.values()):
            raise AppError.of(ErrorCode.CHANNEL_EXISTS)
        return self._save_channel(Channel(id=self._ids.new_id(), team_id=team_id, type=ChannelType(channel_type),
                                          name=name, display_name=display_name, create_at=self._now_ms(),
                                          creator_id=creator_id))

    def _save_channel(self, channel: Channel) -> Channel:
        self.channels[channel.id] = channel
        self.members[channel.id] = {}
        return channel

    def add_team_member(self, team_id: str, user_id: str) -> None:
        """Join a team, and with it Town Square and Off-Topic (idempotent)."""
        self.user(user_id)
        self.team_members[self.team(team_id).id][user_id] = None
        for name, _ in _DEFAULT_CHANNELS:
            self.add_channel_member(self.channel_by_name(team_id, name).id, user_id)

    def is_team_member(self, team_id: str, user_id: str) -> bool:
        """True when the user belongs to the team."""
        return user_id in self.team_members.get(team_id, {})

    def teams_of(self, user_id: str) -> list[Team]:
        """The user's teams, oldest first."""
        return [self.teams[tid] for tid, members in self.team_members.items() if user_id in members]

    def add_channel_member(self, channel_id: str, user_id: str) -> None:
        """Join a channel with default member notify props (idempotent)."""
        self.user(user_id)
        members = self.members[self.channel(channel_id).id]
        if user_id not in members:
            members[user_id] = Member()
            self._on_join(channel_id, user_id)

    def channel(self, channel_id: str) -> Channel:
        """The channel, or 404."""
        if channel_id not in self.channels:
            raise AppError.of(ErrorCode.CHANNEL_MISSING, detailed_error=f"channel_id={channel_id}")
        return self.channels[channel_id]

    def channel_by_name(self, team_id: str, name: str) -> Channel:
        """A team's channel by name, or 404."""
        for channel in self.channels.values():
            if channel.team_id == team_id and channel.name == name:
                return channel
        raise AppError.of(ErrorCode.CHANNEL_MISSING, detailed_error=f"name={name}")

    def channel_member_ids(self, channel_id: str) -> list[str]:
        """Member user ids in join order."""
        return list(self.members[self.channel(channel_id).id])

    def create_direct_channel(self, user_a: str, user_b: str) -> Channel:
        """The DM channel of two users, created on first use (name = sorted ids joined by "__")."""
        ids = sorted({self.user(user_a).id, self.user(user_b).id})
        return self._teamless(ChannelType.DIRECT, f"{ids[0]}__{ids[-1]}", "", ids)

    def create_group_channel(self, user_ids: Sequence[str]) -> Channel:
        """The GM channel of 3–8 users, created on first use (name = sha1 of the sorted ids)."""
        ids = sorted({self.user(uid).id for uid in user_ids})
        if not 3 <= len(ids) <= 8:
            raise AppError.of(ErrorCode.GROUP_SIZE)
        display = ", ".join(sorted(self.users[uid].username for uid in ids))
        return self._teamless(ChannelType.GROUP, hashlib.sha1("".join(ids).encode()).hexdigest(), display, ids)

    def _teamless(self, kind: ChannelType, name: str, display_name: str, member_ids: list[str]) -> Channel:
        for channel in self.channels.values():
            if channel.type is kind and channel.name == name:
                return channel
        channel = self._save_channel(Channel(id=self._ids.new_id(), team_id="", type=kind, name=name,
                                             display_name=display_name, create_at=self._now_ms()))
        for uid in member_ids:
            self.add_channel_member(channel.id, uid)
        return channel

    def patch_channel_notify_props(self, channel_id: str, user_id: str, props: Mapping[str, str]) -> Mapping[str, str]:
        """Merge member notify props (``mark_unread="mention"`` mutes; ``push`` overrides the level)."""
        member = self.member(channel_id, user_id)
        for key, value in props.items():
            allowed, error = _CHANNEL_PROP_VALUES.get(key, (None, ErrorCode.INVALID_BODY_PARAM))
            if not isinstance(value, str) or (allowed is not None and value not in allowed):
                raise AppError.of(error, name="notify_props", detailed_error=f"{key}={value!r}")
        member.notify_props.update(props)
        return frozen_map(member.notify_props)

    def member(self, channel_id: str, user_id: str) -> Member:
        """The membership, or 404 (unknown channel, or not a member)."""
        member = self.members[self.channel(channel_id).id].get(user_id)
        if member is None:
            raise AppError.of(ErrorCode.MEMBER_MISSING, detailed_error=f"user_id={user_id}")
        return member
