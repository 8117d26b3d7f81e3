"""Push producers other than new posts (§7.7), and the seeded population for demos and load.

Rule: sans-I/O functions over a ``ChatCore``; they return ``OutgoingPush`` lists exactly like a
new post does, so one gateway sends every kind (clear, update_badge, message) the same way.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from simulator.chat import notify
from simulator.chat.errors import AppError, ErrorCode
from simulator.chat.models import ChannelType, OutgoingPush, Session, User

if TYPE_CHECKING:
    from simulator.chat.core import ChatCore, Pushes

SYSTEM_BOT = "system-bot"  # model.BotSystemBotUsername: the sender of the test notification
TEST_MESSAGE = "If you received this test notification, it worked!"
SEED_PASSWORD = "Password-1234"  # every seeded user's password unless told otherwise


def view_channel(core: ChatCore, live: Session, channel_id: str, prev_channel_id: str,
                 ) -> tuple[dict[str, int], list[OutgoingPush]]:
    """``ViewChannel``: active channel, read marks, and ``clear`` pushes to the user's *other* sessions."""
    uid, now = live.user_id, core.now_ms()
    core.presence.viewing(uid, channel_id)
    times: dict[str, int] = {}
    pushes: list[OutgoingPush] = []
    for cid in dict.fromkeys(c for c in (channel_id, prev_channel_id) if c):
        if uid not in core.directory.members.get(cid, {}):
            continue
        unread_posts, mentions = core.unreads.viewed(cid, uid, at=now)
        times[cid] = now
        if core.config.send_push_notifications and _clears(core, uid, cid, unread_posts, mentions):
            fields = notify.clear_fields(channel_id=cid, root_id="", badge=core.badge_count(uid),
                                         is_crt=core.crt_enabled(uid))
            pushes += core.fan.to_user(fields, uid, skip_session=live.id)
    return times, pushes


def _clears(core: ChatCore, user_id: str, channel_id: str, unread_posts: int, mentions: int) -> bool:
    """``MarkChannelsAsViewed``: level "all" clears any unread; "mention" (and DMs) unread mentions."""
    level = core.directory.members[channel_id][user_id].notify_props.get("push", "default")
    if level == "default":
        level = core.directory.users[user_id].notify_props.get("push", "")
    if level == "all":
        return unread_posts > 0
    is_dm = core.directory.channels[channel_id].type is ChannelType.DIRECT
    return (level == "mention" or is_dm) and mentions > 0


def mark_unread(core: ChatCore, user_id: str, post_id: str) -> tuple[dict[str, object], list[OutgoingPush]]:
    """``MarkChannelAsUnreadFromPost`` + ``UpdateMobileAppBadge``: the post and later ones unread again."""
    post = core.post(post_id)
    if user_id not in core.directory.members.get(post.channel_id, {}):
        raise AppError.of(ErrorCode.NO_PERMISSION, detailed_error="permission=read_channel")
    counts = core.unreads.unread_from(post, user_id)
    channel = core.directory.channels[post.channel_id]
    unread = counts.to_api(channel_id=channel.id, team_id=channel.team_id, user_id=user_id,
                           total=core.unreads.total(channel.id))
    return unread, update_badge(core, user_id)


def update_badge(core: ChatCore, user_id: str) -> list[OutgoingPush]:
    """``update_badge`` pushes with the user's current badge, to every device session."""
    if not core.config.send_push_notifications:
        return []
    return core.fan.to_user(notify.badge_fields(badge=core.badge_count(user_id)), user_id)


def notify_sessions_expired(core: ChatCore, *, within_ms: int = 3_600_000) -> list[OutgoingPush]:
    """The ``NotifySessionsExpired`` job: one ``session`` push per mobile session that expired in the
    last hour (``within_ms``), sent once (the session is flagged ``ExpiredNotify``)."""
    if not core.config.send_push_notifications:
        return []
    fields = notify.session_expired_fields(site_name=core.config.site_name,
                                           hours=core.config.session_length_mobile_hours)
    pushes = []
    for session in core.sessions.expired_unnotified(within_ms=within_ms):
        core.sessions.update_props(session.id, {"expired_notify": "true"})
        pushes.append(core.fan.to_session(fields, session))
    return pushes


def send_test_notification(core: ChatCore, live: Session) -> Pushes:
    """``SendTestMessage``: the system bot DMs the caller, with ``force_notification`` set (rule 0 of §7.4)."""
    bot = _system_bot(core)
    channel = core.create_direct_channel(bot.id, live.user_id)
    return core.inject_post(user_id=bot.id, channel_id=channel.id, message=TEST_MESSAGE,
                            props={"force_notification": core.new_id()})


def _system_bot(core: ChatCore) -> User:
    try:
        return core.user_by_username(SYSTEM_BOT)
    except AppError:
        return core.create_user(username=SYSTEM_BOT, password=core.new_id(), first_name="System")


_NOT_USERNAME = re.compile(r"[^a-z0-9.\-_]")


def seed_users(core: ChatCore, count: int, faker: Any, *, team_id: str = "", password: str = "") -> list[User]:
    """``count`` users named by a seeded ``faker.Faker`` (same seed, same people), optionally in a team."""
    users = []
    for _ in range(count):
        first, last = faker.first_name(), faker.last_name()
        base = _NOT_USERNAME.sub("", faker.user_name().lower())[:40] or "user"
        username, n = base, 1
        while _taken(core, username):
            n += 1
            username = f"{base}{n}"
        user = core.create_user(username=username, password=password or SEED_PASSWORD,
                                email=f"{username}@{faker.safe_domain_name()}", first_name=first, last_name=last)
        if team_id:
            core.add_team_member(team_id, user.id)
        users.append(user)
    return users


def _taken(core: ChatCore, username: str) -> bool:
    try:
        core.user_by_username(username)
    except AppError:
        return username in ("all", "channel", "here", "matterbot", "system")
    return True
