"""ChatCore: a sans-I/O fake Mattermost server (users, channels, sessions, statuses, posts, pushes).

Rule 1: no I/O. Every verb returns values; pushes come back as ``OutgoingPush`` for the adapter
to POST to the proxy, decisions as ``PushDecision`` for the bus.
Rule 2: time comes only from the injected clock, ids only from the injected ``IdFactory``.
Rule 3: the frozen models are snapshots; only this class and its parts (``directory``, ``sessions``,
``presence``, ``unreads``) hold and replace mutable state.
Rule 4: permission checks of the REST API live in ``access`` and run in the adapter; the verbs here
are also the backdoor (moto style), so tests and scenarios can set a world up without HTTP.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Mapping, Sequence

from simulator.chat import notify, producers, settings
from simulator.chat.directory import Directory
from simulator.chat.errors import AppError, ErrorCode
from simulator.chat.fanout import FanOut, Signer
from simulator.chat.ids import IdFactory
from simulator.chat.mentions import MentionType
from simulator.chat.models import (AckRecord, Channel, ChannelType, ChatConfig, CollapsedThreads, ContentsMode,
                                   OutgoingPush, Post, PushDecision, Session, Status, StatusRecord, Team, User,
                                   frozen_map)
from simulator.chat.presence import Presence
from simulator.chat.sessions import SessionStore
from simulator.chat.unreads import Unreads

Pushes = tuple[Post, list[PushDecision], list[OutgoingPush]]


class ChatCore:
    """Decide what a Mattermost server would store, answer and push; no sockets involved."""

    def __init__(self, *, config: ChatConfig, clock: Callable[[], float], ids: IdFactory,
                 signer: Signer | None = None, signing_public_key: str = "") -> None:
        self.config, self._clock, self._ids, self._public_key = config, clock, ids, signing_public_key
        self.diagnostic_id = ids.new_id()
        self.unreads = Unreads()
        self.directory = Directory(clock=clock, ids=ids, on_join=self.unreads.joined)
        self.sessions = SessionStore(clock=clock, ids=ids)
        self.presence = Presence(clock=clock)
        self.fan = FanOut(sessions=self.sessions, ids=ids, signer=signer, server_id=self.diagnostic_id)
        self._posts: dict[str, Post] = {}
        self._replies: dict[str, list[str]] = {}  # root id -> reply ids, oldest first
        self._followers: dict[str, set[str]] = {}  # root id -> following user ids
        self._crt_prefs: dict[str, bool] = {}
        self._acks: list[AckRecord] = []

    def now_ms(self) -> int:
        """The world clock in Mattermost milliseconds."""
        return int(self._clock() * 1000)

    def new_id(self) -> str:
        """A fresh id from the world's seeded id stream."""
        return self._ids.new_id()

    # ------------------------------------------------------------------ settings (§7.1)
    def configure(self, **changes: Any) -> ChatConfig:
        """Backdoor: change settings at run time (what saving a System Console page does)."""
        self.config = replace(self.config, **changes)
        return self.config

    def patch_config(self, patch: Mapping[str, Any]) -> ChatConfig:
        """``PUT /api/v4/config/patch``: config.json sections in, validated before anything changes."""
        self.config = settings.apply_patch(self.config, patch)
        return self.config

    def choose_push_server(self, option: settings.PushServerOption, url: str = "") -> ChatConfig:
        """Pick an "Enable Push Notifications" option (off / HPNS / TPNS / manual URL)."""
        self.config = settings.choose_push_server(self.config, option, url)
        return self.config

    # ------------------------------------------------------------------ directory (see directory.py)
    def create_user(self, *, username: str, password: str, email: str | None = None,
                    first_name: str = "", last_name: str = "", roles: str = "system_user") -> User:
        """A new user with the server's default notify props (``roles`` "system_admin system_user" = admin)."""
        return self.directory.create_user(username=username, password=password, email=email,
                                          first_name=first_name, last_name=last_name, roles=roles)

    def user(self, user_id: str) -> User:
        """The user, or 404."""
        return self.directory.user(user_id)

    def user_by_username(self, username: str) -> User:
        """The user with that username (case-insensitive), or 404."""
        return self.directory.user_by_username(username)

    def patch_notify_props(self, user_id: str, props: Mapping[str, str]) -> User:
        """Backdoor: merge ``props`` into the user's notify props (the API's patch replaces them)."""
        return self.directory.patch_notify_props(user_id, props)

    def patch_user(self, user_id: str, patch: Mapping[str, object]) -> User:
        """``PUT /users/{id}/patch``; turning ``auto_responder_active`` on sets the user out of office."""
        before = self.user(user_id).notify_props.get("auto_responder_active")
        user = self.directory.patch_user(user_id, patch)
        after = user.notify_props.get("auto_responder_active")
        if after != before and "true" in (before, after):  # SetAutoResponderStatus
            self.presence.set(user_id, Status.OOO if after == "true" else Status.ONLINE, manual=after == "true")
        return user

    def create_team(self, *, name: str, display_name: str) -> Team:
        """A team with its Town Square and Off-Topic channels."""
        return self.directory.create_team(name=name, display_name=display_name)

    def team_by_name(self, name: str) -> Team:
        """The team with that name, or 404."""
        return self.directory.team_by_name(name)

    def create_channel(self, team_id: str, *, name: str, display_name: str,
                       channel_type: ChannelType = ChannelType.OPEN, creator_id: str = "") -> Channel:
        """An open or private channel; the creator (if any) joins it."""
        channel = self.directory.create_channel(team_id, name=name, display_name=display_name,
                                                channel_type=channel_type, creator_id=creator_id)
        if creator_id:
            self.directory.add_channel_member(channel.id, creator_id)
        return channel

    def add_team_member(self, team_id: str, user_id: str) -> None:
        """Join a team, and with it Town Square and Off-Topic."""
        self.directory.add_team_member(team_id, user_id)

    def add_channel_member(self, channel_id: str, user_id: str) -> None:
        """Join a channel with default member notify props (idempotent)."""
        self.directory.add_channel_member(channel_id, user_id)

    def channel(self, channel_id: str) -> Channel:
        """The channel, or 404."""
        return self.directory.channel(channel_id)

    def channel_by_name(self, team_id: str, name: str) -> Channel:
        """A team's channel by name, or 404."""
        return self.directory.channel_by_name(team_id, name)

    def channel_member_ids(self, channel_id: str) -> list[str]:
        """Member user ids in join order."""
        return self.directory.channel_member_ids(channel_id)

    def create_direct_channel(self, user_a: str, user_b: str) -> Channel:
        """The DM channel of two users, created on first use (name = sorted ids joined by "__")."""
        return self.directory.create_direct_channel(user_a, user_b)

    def create_group_channel(self, user_ids: Sequence[str]) -> Channel:
        """The GM channel of 3–8 users, created on first use (name = sha1 of the sorted ids)."""
        return self.directory.create_group_channel(user_ids)

    def patch_channel_notify_props(self, channel_id: str, user_id: str, props: Mapping[str, str]) -> Mapping[str, str]:
        """Merge member notify props (``mark_unread="mention"`` mutes; ``push`` overrides the level)."""
        return self.directory.patch_channel_notify_props(channel_id, user_id, props)

    def member_to_api(self, channel_id: str, user_id: str) -> dict[str, object]:
        """The ``ChannelMember`` JSON (404 when not a member)."""
        member, counts = self.directory.member(channel_id, user_id), self.unreads.counts(channel_id, user_id)
        assert counts is not None, "every membership has counters"
        return counts.member_api(channel_id=channel_id, user_id=user_id, notify_props=member.notify_props)

    # ------------------------------------------------------------------ collapsed threads
    def set_collapsed_threads(self, user_id: str, enabled: bool) -> None:
        """The user's collapsed-reply-threads preference (used unless the config forces it)."""
        self._crt_prefs[self.user(user_id).id] = enabled

    def crt_enabled(self, user_id: str) -> bool:
        """``IsCRTEnabledForUser``: the config, then the user's preference."""
        mode = self.config.collapsed_threads
        if mode in (CollapsedThreads.DISABLED, CollapsedThreads.ALWAYS_ON):
            return mode is CollapsedThreads.ALWAYS_ON
        return self._crt_prefs.get(user_id, mode is CollapsedThreads.DEFAULT_ON)

    # ------------------------------------------------------------------ sessions (see sessions.py)
    def login(self, *, login_id: str, password: str, device_id: str = "") -> tuple[User, Session]:
        """``POST /users/login``: a new session; a device id makes it mobile and evicts its old session."""
        user = self.directory.verify_credentials(login_id, password)
        hours = self.config.session_length_mobile_hours if device_id else self.config.session_length_web_hours
        return user, self.sessions.create(user.id, device_id=device_id, hours=hours)

    def authenticate(self, token: str) -> Session:
        """The live session for a bearer token; unknown or expired -> 401."""
        return self.sessions.authenticate(token)

    def _live(self, session: Session) -> Session:
        return self.sessions.authenticate(session.token)

    def attach_device(self, session: Session, device_id: str, props: Mapping[str, str] | None = None) -> None:
        """``PUT /users/sessions/device``: bind the device, evict its other sessions, keep the app's extras."""
        self.sessions.attach(session, device_id, hours=self.config.session_length_mobile_hours, props=props)

    def logout(self, session: Session) -> None:
        """Revoke the session (no push reaches its device afterwards)."""
        self.sessions.revoke(session.id)

    def session(self, session_id: str) -> Session | None:
        """The current state of a session, or None once revoked."""
        return self.sessions.get(session_id)

    def sessions_of(self, user_id: str) -> list[Session]:
        """All sessions of a user, oldest first."""
        return self.sessions.of_user(user_id)

    def mark_device_removed(self, session_id: str) -> None:
        """The proxy answered REMOVE: remember the dead device id (v10.5+ servers, §7.8)."""
        self.sessions.mark_device_removed(session_id)

    # ------------------------------------------------------------------ presence (see presence.py)
    def status_of(self, user_id: str) -> StatusRecord:
        """The user's status; a user never seen is offline."""
        return self.presence.of(user_id)

    def set_status(self, user_id: str, status: Status, *, manual: bool = False) -> StatusRecord:
        """Set presence; an automatic change never overrides a manual one, and "online" is never manual."""
        return self.presence.set(self.user(user_id).id, status, manual=manual)

    def record_activity(self, user_id: str) -> None:
        """``LastActivityAt = now`` (opens the 20 s "just looked at it" window)."""
        self.presence.activity(self.user(user_id).id)

    def set_active_channel(self, user_id: str, channel_id: str) -> None:
        """Backdoor view: "" = app in background; a channel becomes active and read (no clear pushes)."""
        self.presence.viewing(self.user(user_id).id, channel_id)
        if channel_id:
            self.unreads.viewed(channel_id, user_id, at=self.now_ms())

    def websocket_connected(self, user_id: str) -> None:
        """One more websocket: the user comes online (unless a manual status holds)."""
        self.presence.connected(self.user(user_id).id)

    def websocket_disconnected(self, user_id: str) -> None:
        """One websocket fewer: the last one closing sets the user offline (unless manual)."""
        self.presence.disconnected(self.user(user_id).id)

    # ------------------------------------------------------------------ posts and pushes
    def create_post(self, session: Session, *, channel_id: str, message: str, root_id: str = "",
                    props: Mapping[str, object] | None = None) -> Pushes:
        """``POST /posts``: the poster must be a channel member; returns the post and its pushes."""
        live = self._live(session)
        if live.user_id not in self.directory.members.get(channel_id, {}):
            raise AppError.of(ErrorCode.NO_PERMISSION, detailed_error=f"channel_id={channel_id}")
        return self.inject_post(user_id=live.user_id, channel_id=channel_id, message=message, root_id=root_id,
                                props=props)

    def inject_post(self, *, user_id: str, channel_id: str, message: str, root_id: str = "", post_type: str = "",
                    props: Mapping[str, object] | None = None) -> Pushes:
        """Backdoor: post as anyone, incl. system posts and props (``from_webhook``, ``force_notification``)."""
        channel, sender = self.channel(channel_id), self.user(user_id)
        root = self._posts.get(root_id) if root_id else None
        if root_id and (root is None or root.channel_id != channel_id or root.root_id):
            raise AppError.of(ErrorCode.ROOT_ID_INVALID)
        thread = (root, *(self._posts[r] for r in self._replies.get(root_id, []))) if root else ()
        post = Post(id=self._ids.new_id(), channel_id=channel_id, user_id=sender.id, root_id=root_id,
                    message=message, create_at=self.now_ms(), props=frozen_map(props), type=post_type)
        self._posts[post.id] = post
        if root_id:
            self._replies.setdefault(root_id, []).append(post.id)
        decisions, pushes = self._notify(post, channel, thread)
        return post, decisions, pushes

    def post(self, post_id: str) -> Post:
        """The post, or 404."""
        if post_id not in self._posts:
            raise AppError.of(ErrorCode.POST_MISSING, detailed_error=f"post_id={post_id}")
        return self._posts[post_id]

    def thread(self, root_id: str) -> list[Post]:
        """A thread, root first (404 when the root is unknown)."""
        root = self.post(root_id)
        return [root, *(self._posts[r] for r in self._replies.get(root.id, []))]

    def channel_posts(self, channel_id: str, *, since: int = 0) -> list[Post]:
        """A channel's posts, oldest first; with ``since`` (ms) only those created after it."""
        return [p for p in self._posts.values() if p.channel_id == channel_id and (not since or p.create_at > since)]

    def _audience(self, post: Post, channel: Channel, thread: tuple[Post, ...]) -> notify.Audience:
        members = self.directory.members[channel.id]
        return notify.Audience(
            post=post, channel=channel, profiles={uid: self.directory.users[uid] for uid in members},
            member_props={uid: m.notify_props for uid, m in members.items()},
            statuses={uid: self.presence.of(uid) for uid in members}, thread=thread,
            crt_users=frozenset(uid for uid in members if self.crt_enabled(uid)),
            crt_allowed=self.config.collapsed_threads is not CollapsedThreads.DISABLED,
            channel_mentions=len(members) <= self.config.max_notifications_per_channel, now_ms=self.now_ms())

    def _notify(self, post: Post, channel: Channel, thread: tuple[Post, ...],
                ) -> tuple[list[PushDecision], list[OutgoingPush]]:
        """``SendNotifications``: mentions, unread counts, thread follows, then one decision per member."""
        aud = self._audience(post, channel, thread)
        mentions = notify.find_mentions(aud)
        if post.root_id:
            followers = self._followers.setdefault(post.root_id, set())
            followers |= notify.thread_participants(aud, mentions)
            aud = replace(aud, followers=frozenset(followers))
        in_thread = [uid for uid, kind in mentions.users.items()
                     if post.root_id and kind not in (MentionType.THREAD, MentionType.COMMENT)]
        self.unreads.posted(post, mentions.users, in_thread, poster_reads=not post.from_webhook)
        gate = self.config.push_blocked
        decisions, pushes = [], []
        for verdict in notify.plan(aud, mentions):
            reason = gate or verdict.reason
            decisions.append(PushDecision(at=self._clock(), post_id=post.id, user_id=verdict.user_id,
                                          username=self.directory.users[verdict.user_id].username,
                                          send=not reason, reason=str(reason)))
            if not reason:
                pushes += self.fan.to_user(self._message(aud, verdict), verdict.user_id)
        return decisions, pushes

    def _message(self, aud: notify.Audience, verdict: notify.Verdict, mode: ContentsMode | None = None,
                 ) -> dict[str, object]:
        """``BuildPushNotificationMessage``: per-recipient fields, badge included."""
        user_id, post, mode = verdict.user_id, aud.post, mode or self.config.effective_contents
        is_crt = self.crt_enabled(user_id)
        if mode is ContentsMode.ID_LOADED:
            fields = notify.id_loaded_fields(post=post, channel=aud.channel, recipient_id=user_id, is_crt=is_crt)
        else:
            sender = self.directory.users[post.user_id]
            title = notify.channel_title(aud.channel, sender, aud.profiles.values(), user_id)
            fields = notify.full_fields(mode=mode, post=post, channel=aud.channel, title=title,
                                        sender=notify.sender_name(post, sender), verdict=verdict, is_crt=is_crt)
        fields["badge"] = self.badge_count(user_id)
        return fields

    def badge_count(self, user_id: str) -> int:
        """``getUserBadgeCount``: unread mentions (and DM posts) across channels, plus thread mentions with CRT."""
        return self.unreads.badge(user_id, crt=self.crt_enabled(user_id))

    # ------------------------------------------------------------------ other push producers (see producers.py)
    def view_channel(self, session: Session, channel_id: str, prev_channel_id: str = "",
                     ) -> tuple[dict[str, int], list[OutgoingPush]]:
        """``ViewChannel``: active channel, read marks, and ``clear`` pushes to the user's other sessions."""
        return producers.view_channel(self, self._live(session), channel_id, prev_channel_id)

    def mark_unread(self, user_id: str, post_id: str) -> tuple[dict[str, object], list[OutgoingPush]]:
        """``MarkChannelAsUnreadFromPost`` + ``UpdateMobileAppBadge``: the post and later ones unread again."""
        return producers.mark_unread(self, user_id, post_id)

    def update_badge(self, user_id: str) -> list[OutgoingPush]:
        """``update_badge`` pushes with the user's current badge, to every device session."""
        return producers.update_badge(self, user_id)

    def send_test_notification(self, session: Session) -> Pushes:
        """``SendTestMessage``: the system bot DMs the caller; forced past notify props and status."""
        return producers.send_test_notification(self, self._live(session))

    # ------------------------------------------------------------------ acks, ping, config
    def ack_received(self, session: Session, ack: Mapping[str, object]) -> dict[str, object] | None:
        """``POST /notifications/ack``: record it; for a licensed id-loaded ack, return the full content."""
        live = self.record_ack(session, ack)
        post_id = ack.get("post_id")
        if ack.get("is_id_loaded") is True and isinstance(post_id, str) and post_id and ack["type"] == "message":
            return self.id_loaded_content(live.user_id, post_id)
        return None

    def record_ack(self, session: Session, ack: Mapping[str, object]) -> Session:
        """Validate and keep an ack (400 when unusable, 501 when push is off); returns the live session."""
        live = self._live(session)
        if any(not isinstance(ack.get(key), str) or not ack.get(key) for key in ("id", "platform", "type")):
            raise AppError.of(ErrorCode.ACK_PARSE)
        if not self.config.send_push_notifications:
            raise AppError.of(ErrorCode.PUSH_DISABLED)
        self._acks.append(AckRecord(at=self._clock(), session_id=live.id, user_id=live.user_id,
                                    ack=frozen_map(ack)))
        if ack["type"] == "message" and ack["platform"] == "ios":  # a delivered push proves notifications work
            self.sessions.update_props(live.id, {"device_notification_disabled": "false"})
        return live

    def id_loaded_content(self, user_id: str, post_id: str) -> dict[str, object]:
        """Enterprise ``GetNotificationMessage``: the full-content push for one post (licence required)."""
        if not self.config.licensed:
            raise AppError.of(ErrorCode.ID_LOADED_UNAVAILABLE)
        post = self.post(post_id)
        if user_id not in self.directory.members.get(post.channel_id, {}):
            raise AppError.of(ErrorCode.NO_PERMISSION)
        aud = self._audience(post, self.directory.channels[post.channel_id], ())
        fields = self._message(aud, notify.Verdict(user_id=user_id, reason=""), ContentsMode.FULL)
        return notify.wire({**fields, "server_id": self.diagnostic_id})

    @property
    def acks(self) -> tuple[AckRecord, ...]:
        """Every ack received, oldest first (evidence for tests)."""
        return tuple(self._acks)

    def test_push(self, device_id: str) -> dict[str, object] | None:
        """``GET /system/ping?device_id=``: the test push to send, or None when pushes are off ("false")."""
        return None if self.config.push_blocked else self.fan.test(device_id)

    def client_config(self) -> dict[str, str]:
        """The client config keys the mobile app reads (``GET /config/client?format=old``)."""
        return {"DiagnosticId": self.diagnostic_id, "AsymmetricSigningPublicKey": self._public_key,
                "Version": self.config.version, "SiteName": self.config.site_name,
                "SendPushNotifications": str(self.config.send_push_notifications).lower()}

    def seed_users(self, count: int, faker: Any, *, team_id: str = "", password: str = "") -> list[User]:
        """Backdoor: ``count`` fake people from a seeded Faker (demos, load); see ``producers.seed_users``."""
        return producers.seed_users(self, count, faker, team_id=team_id, password=password)
