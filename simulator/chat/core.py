"""ChatCore: a sans-I/O fake Mattermost server (users, channels, sessions, statuses, posts, pushes).

Rule 1: no I/O. Every verb returns values; pushes come back as ``OutgoingPush`` for the adapter
to POST to the proxy, decisions as ``PushDecision`` for the bus.
Rule 2: time comes only from the injected clock, ids only from the injected ``IdFactory``.
Rule 3: the frozen models are snapshots; only this class holds (and replaces) mutable state.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Mapping, Sequence

from simulator.chat import notify
from simulator.chat.directory import Directory
from simulator.chat.errors import AppError, ErrorCode
from simulator.chat.ids import IdFactory
from simulator.chat.mentions import Mentions, MentionType
from simulator.chat.models import (AckRecord, Channel, ChannelType, ChatConfig, CollapsedThreads, ContentsMode,
                                   OutgoingPush, Post, PushDecision, Session, Status, StatusRecord, Team, User,
                                   frozen_map)

_HOUR_MS = 3_600_000


class ChatCore:
    """Decide what a Mattermost server would store, answer and push; no sockets involved."""

    def __init__(self, *, config: ChatConfig, clock: Callable[[], float], ids: IdFactory,
                 signer: Callable[[dict[str, str]], str] | None = None, signing_public_key: str = "") -> None:
        self.config, self._clock, self._ids = config, clock, ids
        self._signer, self._public_key = signer, signing_public_key
        self.diagnostic_id = ids.new_id()
        self._dir = Directory(clock=clock, ids=ids)  # users, teams, channels, members
        self._posts: dict[str, Post] = {}
        self._replies: dict[str, list[str]] = {}  # root id -> reply ids, oldest first
        self._followers: dict[str, set[str]] = {}  # root id -> following user ids
        self._thread_mentions: dict[tuple[str, str], int] = {}  # (user id, root id) -> unread mentions
        self._sessions: dict[str, Session] = {}
        self._statuses: dict[str, StatusRecord] = {}
        self._connections: dict[str, int] = {}
        self._crt_prefs: dict[str, bool] = {}
        self._acks: list[AckRecord] = []

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    # ------------------------------------------------------------------ directory (see directory.py)
    def create_user(self, *, username: str, password: str, email: str | None = None,
                    first_name: str = "", last_name: str = "") -> User:
        """Backdoor: a new user with the server's default notify props."""
        return self._dir.create_user(username=username, password=password, email=email,
                                     first_name=first_name, last_name=last_name)

    def user(self, user_id: str) -> User:
        """The user, or 404."""
        return self._dir.user(user_id)

    def user_by_username(self, username: str) -> User:
        """The user with that username (case-insensitive), or 404."""
        return self._dir.user_by_username(username)

    def patch_notify_props(self, user_id: str, props: Mapping[str, str]) -> User:
        """Merge ``props`` into the user's notify props (``PUT /users/{id}/patch``)."""
        return self._dir.patch_notify_props(user_id, props)

    def create_team(self, *, name: str, display_name: str) -> Team:
        """Backdoor: a team with its Town Square and Off-Topic channels."""
        return self._dir.create_team(name=name, display_name=display_name)

    def team_by_name(self, name: str) -> Team:
        """The team with that name, or 404."""
        return self._dir.team_by_name(name)

    def create_channel(self, team_id: str, *, name: str, display_name: str,
                       channel_type: ChannelType = ChannelType.OPEN) -> Channel:
        """Backdoor: an open or private channel in a team (no members yet)."""
        return self._dir.create_channel(team_id, name=name, display_name=display_name, channel_type=channel_type)

    def add_team_member(self, team_id: str, user_id: str) -> None:
        """Join a team, and with it Town Square and Off-Topic."""
        self._dir.add_team_member(team_id, user_id)

    def add_channel_member(self, channel_id: str, user_id: str) -> None:
        """Join a channel with default member notify props (idempotent)."""
        self._dir.add_channel_member(channel_id, user_id)

    def channel(self, channel_id: str) -> Channel:
        """The channel, or 404."""
        return self._dir.channel(channel_id)

    def channel_by_name(self, team_id: str, name: str) -> Channel:
        """A team's channel by name, or 404."""
        return self._dir.channel_by_name(team_id, name)

    def channel_member_ids(self, channel_id: str) -> list[str]:
        """Member user ids in join order."""
        return self._dir.channel_member_ids(channel_id)

    def create_direct_channel(self, user_a: str, user_b: str) -> Channel:
        """The DM channel of two users, created on first use (name = sorted ids joined by "__")."""
        return self._dir.create_direct_channel(user_a, user_b)

    def create_group_channel(self, user_ids: Sequence[str]) -> Channel:
        """The GM channel of 3–8 users, created on first use (name = sha1 of the sorted ids)."""
        return self._dir.create_group_channel(user_ids)

    def patch_channel_notify_props(self, channel_id: str, user_id: str, props: Mapping[str, str]) -> Mapping[str, str]:
        """Merge member notify props (``mark_unread="mention"`` mutes; ``push`` overrides the level)."""
        return self._dir.patch_channel_notify_props(channel_id, user_id, props)

    # ------------------------------------------------------------------ collapsed threads
    def set_collapsed_threads(self, user_id: str, enabled: bool) -> None:
        """Backdoor: the user's collapsed-reply-threads preference (used unless the config forces it)."""
        self._crt_prefs[self.user(user_id).id] = enabled

    def crt_enabled(self, user_id: str) -> bool:
        """``IsCRTEnabledForUser``: the config, then the user's preference."""
        mode = self.config.collapsed_threads
        if mode in (CollapsedThreads.DISABLED, CollapsedThreads.ALWAYS_ON):
            return mode is CollapsedThreads.ALWAYS_ON
        return self._crt_prefs.get(user_id, mode is CollapsedThreads.DEFAULT_ON)

    # ------------------------------------------------------------------ sessions
    def login(self, *, login_id: str, password: str, device_id: str = "") -> tuple[User, Session]:
        """``POST /users/login``: a new session; a device id makes it mobile and evicts its old session."""
        user = self._dir.verify_credentials(login_id, password)
        if device_id:
            self._revoke_device(user.id, device_id, keep="")
        hours = self.config.session_length_mobile_hours if device_id else self.config.session_length_web_hours
        now = self._now_ms()
        session = Session(id=self._ids.new_id(), token=self._ids.new_id(), user_id=user.id, device_id=device_id,
                          expires_at=now + hours * _HOUR_MS, create_at=now, props=frozen_map({}))
        self._sessions[session.id] = session
        return user, session

    def authenticate(self, token: str) -> Session:
        """The live session for a bearer token; unknown or expired -> 401 (expired ones are removed)."""
        session = next((s for s in self._sessions.values() if s.token == token), None)
        if session is not None and session.is_expired(self._now_ms()):
            del self._sessions[session.id]
            session = None
        if session is None:
            raise AppError.of(ErrorCode.SESSION_EXPIRED)
        return session

    def _live(self, session: Session) -> Session:
        return self.authenticate(session.token)

    def _revoke_device(self, user_id: str, device_id: str, *, keep: str) -> None:
        for sid in [s.id for s in self._sessions.values()
                    if s.user_id == user_id and s.device_id == device_id and s.id != keep]:
            del self._sessions[sid]

    def attach_device(self, session: Session, device_id: str) -> None:
        """``PUT /users/sessions/device``: bind the device, evict its other sessions, renew as mobile."""
        live = self._live(session)
        if not device_id:
            raise AppError.of(ErrorCode.INVALID_BODY_PARAM, name="device_id")
        self._revoke_device(live.user_id, device_id, keep=live.id)
        expires = self._now_ms() + self.config.session_length_mobile_hours * _HOUR_MS
        # last_removed_device_id stays: the server's session query keeps excluding that token.
        self._sessions[live.id] = replace(live, device_id=device_id, expires_at=expires)

    def logout(self, session: Session) -> None:
        """Revoke the session (no push reaches its device afterwards)."""
        self._sessions.pop(session.id, None)

    def session(self, session_id: str) -> Session | None:
        """The current state of a session, or None once revoked."""
        return self._sessions.get(session_id)

    def sessions_of(self, user_id: str) -> list[Session]:
        """All sessions of a user, oldest first."""
        return [s for s in self._sessions.values() if s.user_id == user_id]

    def mark_device_removed(self, session_id: str) -> None:
        """The proxy answered REMOVE: remember the dead device id (v10.5+ servers, §7.8)."""
        session = self._sessions.get(session_id)
        if session is not None:  # it may have been revoked while the push was in flight
            props = {**session.props, "last_removed_device_id": session.device_id}
            self._sessions[session_id] = replace(session, props=frozen_map(props))

    # ------------------------------------------------------------------ status
    def status_of(self, user_id: str) -> StatusRecord:
        """The user's status; a user never seen is offline (as ``GetStatus`` falls back)."""
        return self._statuses.get(user_id, StatusRecord())

    def set_status(self, user_id: str, status: Status, *, manual: bool = False) -> None:
        """Set presence; an automatic change never overrides a manual one, and "online" is never manual."""
        current = self.status_of(self.user(user_id).id)
        self._statuses[user_id] = current.changed_to(status, manual=manual, now_ms=self._now_ms())

    def record_activity(self, user_id: str) -> None:
        """``LastActivityAt = now`` (opens the 20 s "just looked at it" window)."""
        self._statuses[user_id] = replace(self.status_of(self.user(user_id).id), last_activity_at=self._now_ms())

    def set_active_channel(self, user_id: str, channel_id: str) -> None:
        """``POST /channels/members/me/view``: "" = app in background; a channel marks it read."""
        current = self.status_of(self.user(user_id).id)
        self._statuses[user_id] = current.viewing(channel_id, now_ms=self._now_ms())
        member = self._dir.members.get(channel_id, {}).get(user_id)
        if member is not None:
            member.mention_count = member.mention_count_root = 0

    # The real server sets a user offline when the last websocket closes and "away" only after
    # an inactivity timeout; we keep the first rule and leave "away" to set_status.
    def websocket_connected(self, user_id: str) -> None:
        """One more websocket: the user comes online (unless a manual status holds)."""
        self._connections[self.user(user_id).id] = self._connections.get(user_id, 0) + 1
        self.set_status(user_id, Status.ONLINE)

    def websocket_disconnected(self, user_id: str) -> None:
        """One websocket fewer: the last one closing sets the user offline (unless manual)."""
        self._connections[self.user(user_id).id] = max(0, self._connections.get(user_id, 0) - 1)
        if self._connections[user_id] == 0:
            self.set_status(user_id, Status.OFFLINE)

    # ------------------------------------------------------------------ posts and pushes
    def create_post(self, session: Session, *, channel_id: str, message: str, root_id: str = "",
                    ) -> tuple[Post, list[PushDecision], list[OutgoingPush]]:
        """``POST /posts``: the poster must be a channel member; returns the post and its pushes."""
        live = self._live(session)
        if live.user_id not in self._dir.members.get(channel_id, {}):
            raise AppError.of(ErrorCode.NO_PERMISSION, detailed_error=f"channel_id={channel_id}")
        return self.inject_post(user_id=live.user_id, channel_id=channel_id, message=message, root_id=root_id)

    def inject_post(self, *, user_id: str, channel_id: str, message: str, root_id: str = "", post_type: str = "",
                    props: Mapping[str, object] | None = None) -> tuple[Post, list[PushDecision], list[OutgoingPush]]:
        """Backdoor: post as anyone, incl. system posts and props (``from_webhook``, ``force_notification``)."""
        channel, sender = self.channel(channel_id), self.user(user_id)
        root = self._posts.get(root_id) if root_id else None
        if root_id and (root is None or root.channel_id != channel_id or root.root_id):
            raise AppError.of(ErrorCode.ROOT_ID_INVALID)
        thread = (root, *(self._posts[r] for r in self._replies.get(root_id, []))) if root else ()
        post = Post(id=self._ids.new_id(), channel_id=channel_id, user_id=sender.id, root_id=root_id,
                    message=message, create_at=self._now_ms(), props=frozen_map(props), type=post_type)
        self._posts[post.id] = post
        if root_id:
            self._replies.setdefault(root_id, []).append(post.id)
        decisions, pushes = self._notify(post, channel, thread)
        return post, decisions, pushes

    def post(self, post_id: str) -> Post:
        """The post, or 404."""
        if post_id not in self._posts:
            raise AppError.of(ErrorCode.POST_MISSING)
        return self._posts[post_id]

    def _audience(self, post: Post, channel: Channel, thread: tuple[Post, ...]) -> notify.Audience:
        members = self._dir.members[channel.id]
        return notify.Audience(
            post=post, channel=channel, profiles={uid: self._dir.users[uid] for uid in members},
            member_props={uid: m.notify_props for uid, m in members.items()},
            statuses={uid: self.status_of(uid) for uid in members}, thread=thread,
            crt_users=frozenset(uid for uid in members if self.crt_enabled(uid)),
            crt_allowed=self.config.collapsed_threads is not CollapsedThreads.DISABLED, now_ms=self._now_ms())

    def _notify(self, post: Post, channel: Channel, thread: tuple[Post, ...],
                ) -> tuple[list[PushDecision], list[OutgoingPush]]:
        """``SendNotifications``: mentions, unread counts, thread follows, then one decision per member."""
        aud = self._audience(post, channel, thread)
        mentions = notify.find_mentions(aud)
        if post.root_id:
            followers = self._followers.setdefault(post.root_id, set())
            followers |= notify.thread_participants(aud, mentions)
            aud = replace(aud, followers=frozenset(followers))
        self._count_mentions(post, mentions)
        gate = self.config.push_blocked
        decisions, pushes = [], []
        for verdict in notify.plan(aud, mentions):
            reason = gate or verdict.reason
            decisions.append(PushDecision(at=self._clock(), post_id=post.id, user_id=verdict.user_id,
                                          username=self._dir.users[verdict.user_id].username,
                                          send=not reason, reason=str(reason)))
            if not reason:
                pushes += self._fan_out(self._message(aud, verdict), verdict.user_id)
        return decisions, pushes

    def _count_mentions(self, post: Post, mentions: Mentions) -> None:
        """``IncrementMentionCount`` for everyone mentioned; the poster has now read the channel."""
        members = self._dir.members[post.channel_id]
        for uid, kind in mentions.users.items():
            member = members[uid]
            member.mention_count += 1
            member.mention_count_root += 0 if post.root_id else 1
            if post.root_id and kind not in (MentionType.THREAD, MentionType.COMMENT):
                key = (uid, post.root_id)
                self._thread_mentions[key] = self._thread_mentions.get(key, 0) + 1
        poster = members.get(post.user_id)
        if poster is not None and not post.from_webhook:
            poster.mention_count = poster.mention_count_root = 0
            self._thread_mentions.pop((post.user_id, post.root_id), None)

    def _message(self, aud: notify.Audience, verdict: notify.Verdict, mode: ContentsMode | None = None,
                 ) -> dict[str, object]:
        """``BuildPushNotificationMessage``: per-recipient fields, badge included."""
        user_id, post, mode = verdict.user_id, aud.post, mode or self.config.effective_contents
        is_crt = self.crt_enabled(user_id)
        if mode is ContentsMode.ID_LOADED:
            fields = notify.id_loaded_fields(post=post, channel=aud.channel, recipient_id=user_id, is_crt=is_crt)
        else:
            sender = self._dir.users[post.user_id]
            title = notify.channel_title(aud.channel, sender, aud.profiles.values(), user_id)
            fields = notify.full_fields(mode=mode, post=post, channel=aud.channel, title=title,
                                        sender=notify.sender_name(post, sender), verdict=verdict, is_crt=is_crt)
        fields["badge"] = self.badge_count(user_id)
        return fields

    def badge_count(self, user_id: str) -> int:
        """``getUserBadgeCount``: unread mentions (and DM posts) across channels, plus thread mentions with CRT."""
        crt = self.crt_enabled(user_id)
        total = sum(m.mention_count_root if crt else m.mention_count
                    for members in self._dir.members.values() for uid, m in members.items() if uid == user_id)
        if crt:
            total += sum(n for (uid, _), n in self._thread_mentions.items() if uid == user_id)
        return total

    def _fan_out(self, fields: Mapping[str, object], user_id: str) -> list[OutgoingPush]:
        """One push per device session: fresh ack id, split device id, signature over both."""
        pushes, now = [], self._now_ms()
        for session in (s for s in self._sessions.values() if s.user_id == user_id and s.receives_pushes(now)):
            platform, token = notify.split_device_id(session.device_id)
            ack_id = self._ids.new_id()
            signature = self._signer({"ack_id": ack_id, "device_id": token}) if self._signer else ""
            note = notify.wire({**fields, "ack_id": ack_id, "platform": platform, "device_id": token,
                                "server_id": self.diagnostic_id, "signature": signature})
            pushes.append(OutgoingPush(session_id=session.id, user_id=user_id, notification=note))
        return pushes

    # ------------------------------------------------------------------ acks, ping, config
    def ack_received(self, session: Session, ack: Mapping[str, object]) -> dict[str, object] | None:
        """``POST /notifications/ack``: record it; for a licensed id-loaded ack, return the full content."""
        live = self._live(session)
        if any(not isinstance(ack.get(key), str) or not ack.get(key) for key in ("id", "platform", "type")):
            raise AppError.of(ErrorCode.ACK_PARSE)
        if not self.config.send_push_notifications:
            raise AppError.of(ErrorCode.PUSH_DISABLED)
        self._acks.append(AckRecord(at=self._clock(), session_id=live.id, user_id=live.user_id,
                                    ack=frozen_map(ack)))
        post_id = ack.get("post_id")
        if ack.get("is_id_loaded") is True and isinstance(post_id, str) and post_id and ack["type"] == "message":
            return self._id_loaded_content(live.user_id, post_id)
        return None

    def _id_loaded_content(self, user_id: str, post_id: str) -> dict[str, object]:
        if not self.config.licensed:
            raise AppError.of(ErrorCode.ID_LOADED_UNAVAILABLE)
        post = self.post(post_id)
        if user_id not in self._dir.members.get(post.channel_id, {}):
            raise AppError.of(ErrorCode.NO_PERMISSION)
        aud = self._audience(post, self._dir.channels[post.channel_id], ())
        fields = self._message(aud, notify.Verdict(user_id=user_id, reason=""), ContentsMode.FULL)
        return notify.wire({**fields, "server_id": self.diagnostic_id})

    @property
    def acks(self) -> tuple[AckRecord, ...]:
        """Every ack received, oldest first (evidence for tests)."""
        return tuple(self._acks)

    def test_push(self, device_id: str) -> dict[str, object] | None:
        """``GET /system/ping?device_id=``: the test push to send, or None when pushes are off ("false")."""
        if self.config.push_blocked:
            return None
        platform, token = notify.split_device_id(device_id)
        return notify.wire({"platform": platform, "device_id": token, "server_id": self.diagnostic_id,
                            "type": "test", "version": "2", "badge": -1})

    def client_config(self) -> dict[str, str]:
        """The client config keys the mobile app reads (``GET /config/client?format=old``)."""
        return {"DiagnosticId": self.diagnostic_id, "AsymmetricSigningPublicKey": self._public_key,
                "Version": self.config.version, "SiteName": self.config.site_name}
