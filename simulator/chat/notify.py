"""Who gets a push for a post, and what it says (§7.3–§7.6). Pure functions, no state.

Rule 1: nothing here reads a clock or mutates; the core passes an ``Audience`` snapshot in and
gets ``Verdict``s and notification fields back.
Rule 2: the order of checks mirrors the server's (first failing check names the reason), because
the reason is what a tester sees when a push does not arrive.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Iterable, Mapping

from simulator.chat.mentions import MentionParser, Mentions, MentionType, mention_keywords, parse_mentions
from simulator.chat.models import (STATUS_CHANNEL_TIMEOUT_MS, Channel, ChannelType, ContentsMode, Post,
                                   SkipReason, Status, StatusRecord, User)

# English strings of server/i18n/en.json; the leading spaces are real (sender + suffix).
EXPLICIT_MENTION = " mentioned you."
CHANNEL_MENTION = " notified the channel."
GENERAL_MESSAGE = " posted a message."
COMMENT_ON_POST = " commented on your post."
COMMENT_ON_THREAD = " commented on a thread you participated in."
COMMENT_ON_CRT_THREAD = " replied to a thread you're following."
COMMENT_ON_CRT_THREAD_DM = " replied to a thread."
DM_MESSAGE = "sent you a message."
IMAGE_ONLY = " attached a file."
ID_LOADED_MESSAGE = "You've received a new message."
TITLE_CRT = "Reply in {channel_name}"
TITLE_CRT_DM = "Reply in Direct Message"
SYSTEM_SENDER = "System"
CATEGORY_CAN_REPLY = "CAN_REPLY"
PUSH_VERSION = "v2"


class ReplyType(StrEnum):
    """``replyToThreadType``: why a reply concerns the recipient."""

    NONE = ""
    ANY = "any"  # thread participant
    ROOT = "root"  # author of the root post
    CRT = "CRT"  # follower of a collapsed thread
    ALL = "all"


def notify_props_reason(*, user: User, channel_props: Mapping[str, str], post: Post,
                        was_mentioned: bool, is_gm: bool) -> str:
    """``doesNotifyPropsAllowPushNotification``: "" if the props allow a push, else the reason."""
    level = channel_props.get("push") or "default"
    if level == "default":
        level = user.notify_props.get("push", "")
        if is_gm and level == "mention":
            level = "all"  # in a group message every post counts as a mention
    if channel_props.get("mark_unread") == "mention":
        return SkipReason.CHANNEL_MUTED
    if post.is_system:
        return SkipReason.SYSTEM_MESSAGE
    if level == "none":
        return SkipReason.LEVEL_SET_TO_NONE
    if level == "mention" and not was_mentioned:
        return SkipReason.NOT_MENTIONED
    return ""


def status_reason(*, user: User, status: StatusRecord, channel_id: str, now_ms: int, is_crt: bool) -> str:
    """``doesStatusAllowPushNotification``: "" if the user's presence allows a push, else the reason."""
    if status.status in (Status.DND, Status.OOO):
        return SkipReason.USER_STATUS
    props = user.notify_props
    push_status = props.get("push_status")
    looking_away = (status.active_channel != channel_id
                    or now_ms - status.last_activity_at > STATUS_CHANNEL_TIMEOUT_MS or is_crt)
    if ("push_status" not in props or push_status == Status.ONLINE) and looking_away:
        return ""
    if push_status == Status.AWAY and status.status in (Status.AWAY, Status.OFFLINE):
        return ""
    if push_status == Status.OFFLINE and status.status is Status.OFFLINE:
        return ""
    return SkipReason.USER_IS_ACTIVE


@dataclass(frozen=True, slots=True, kw_only=True)
class Audience:
    """Everything the pipeline needs to know about one new post, as of posting time."""

    post: Post
    channel: Channel
    profiles: Mapping[str, User]  # channel members, in join order
    member_props: Mapping[str, Mapping[str, str]]
    statuses: Mapping[str, StatusRecord]
    thread: tuple[Post, ...] = ()  # for a reply: the earlier thread posts, root first
    followers: frozenset[str] = frozenset()  # thread followers after this post's auto-follow
    crt_users: frozenset[str] = frozenset()  # members with collapsed threads on
    crt_allowed: bool = False
    channel_mentions: bool = True  # False above TeamSettings.MaxNotificationsPerChannel members
    now_ms: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """One recipient's outcome and the inputs of the message text."""

    user_id: str
    reason: str  # "" = send
    explicit_mention: bool = False
    channel_wide: bool = False
    reply_type: ReplyType = ReplyType.NONE


def find_mentions(aud: Audience) -> Mentions:
    """``getExplicitMentionsAndKeywords``: DM partner, GM members, keywords, thread participants."""
    post, channel = aud.post, aud.channel
    if channel.type is ChannelType.DIRECT:
        pair = channel.name.split("__")
        users = {uid: MentionType.DM for uid in pair
                 if uid in aud.profiles and (uid != post.user_id or post.from_webhook)}
        return Mentions(users=users)
    allow = aud.channel_mentions and post.type not in ("system_header_change", "system_purpose_change")
    parser = MentionParser(mention_keywords(aud.profiles.values(), aud.member_props, aud.statuses,
                                            allow_channel_mentions=allow))
    parser.feed(post.message)
    if channel.type is ChannelType.GROUP:
        for uid in aud.profiles:
            parser.add(uid, MentionType.GM)
    added = post.props.get("addedUserId")
    if post.type == "system_add_to_channel" and isinstance(added, str) and added in aud.profiles:
        parser.add(added, MentionType.KEYWORD)
    for earlier in aud.thread if post.root_id else ():
        author = aud.profiles.get(earlier.user_id)
        if author is None or author.id in aud.crt_users:
            continue
        is_root = earlier.id == post.root_id
        comments = author.notify_props.get("comments")
        if comments == "any" or (comments == "root" and is_root):
            parser.add(author.id, MentionType.COMMENT if is_root else MentionType.THREAD)
    if not post.from_webhook:
        parser.users.pop(post.user_id, None)  # nobody mentions themselves
    return parser.result()


def thread_participants(aud: Audience, mentions: Mentions) -> set[str]:
    """Who follows the thread after this reply (``ThreadAutoFollow``): poster, root author, mentioned."""
    post, root = aud.post, (aud.thread[0] if aud.thread else None)
    people = {post.user_id} | set(mentions.users)
    if root is not None and not root.from_webhook and root.user_id in aud.profiles:
        people.add(root.user_id)
    if aud.channel.type is not ChannelType.DIRECT:
        if root is not None:
            keywords = mention_keywords(aud.profiles.values(), aud.member_props, aud.statuses)
            people |= set(parse_mentions(root.message, keywords).users)
        people |= {uid for uid, cm in aud.member_props.items() if cm.get("channel_auto_follow_threads") == "on"}
    return people


def _crt_push(aud: Audience, mentions: Mentions) -> list[str]:
    """Followers of the thread who get the "replied to a thread" push (``addFollowerToNotify``)."""
    chosen = []
    for uid in aud.profiles:
        if uid not in aud.followers or uid not in aud.crt_users:
            continue
        if uid == aud.post.user_id and not aud.post.from_webhook:
            continue
        props, cm = aud.profiles[uid].notify_props, aud.member_props.get(uid, {})
        was = uid in mentions.users
        user_push = props.get("push") != "none" and (
            was or props.get("push_threads") == "all" or props.get("push") == "all")
        channel_push = cm.get("push") not in ("default", "none") and (
            was or cm.get("push_threads") == "all" or cm.get("push") == "all")
        if (cm.get("push") == "default" and user_push) or channel_push:
            chosen.append(uid)
    return chosen


def _all_activity(aud: Audience) -> list[str]:
    """Members whose push level is "all" (user or channel), excluding CRT users for replies."""
    post = aud.post
    if aud.channel.type is ChannelType.DIRECT or post.is_system:
        return []
    return [uid for uid, user in aud.profiles.items()
            if (user.notify_props.get("push") == "all" or aud.member_props.get(uid, {}).get("push") == "all")
            and (uid != post.user_id or post.from_webhook)
            and not (uid in aud.crt_users and post.root_id)]


def _full_reason(aud: Audience, uid: str, was_mentioned: bool) -> str:
    """``ShouldSendPushNotification``: force flag, then notify props, then presence."""
    if aud.post.props.get("force_notification"):
        return ""
    user = aud.profiles[uid]
    return (notify_props_reason(user=user, channel_props=aud.member_props.get(uid, {}), post=aud.post,
                                was_mentioned=was_mentioned, is_gm=aud.channel.type is ChannelType.GROUP)
            or status_reason(user=user, status=aud.statuses.get(uid, StatusRecord()),
                             channel_id=aud.post.channel_id, now_ms=aud.now_ms, is_crt=False))


def plan(aud: Audience, mentions: Mentions) -> list[Verdict]:
    """A verdict for every member but the poster: mentioned, all-activity, CRT followers, the rest."""
    crt = _crt_push(aud, mentions) if aud.crt_allowed and aud.post.root_id else []
    verdicts: list[Verdict] = []
    for uid, kind in mentions.users.items():
        if uid in aud.profiles and uid not in crt:
            reply = {MentionType.THREAD: ReplyType.ANY, MentionType.COMMENT: ReplyType.ROOT}.get(kind)
            verdicts.append(Verdict(
                user_id=uid, reason=_full_reason(aud, uid, kind > MentionType.GM),
                explicit_mention=kind in (MentionType.KEYWORD, MentionType.CHANNEL, MentionType.DM),
                channel_wide=kind is MentionType.CHANNEL, reply_type=reply or ReplyType.NONE))
    for uid in _all_activity(aud):
        if uid not in crt and uid not in mentions.users:
            verdicts.append(Verdict(user_id=uid, reason=_full_reason(aud, uid, False)))
    for uid in crt:
        reason = status_reason(user=aud.profiles[uid], status=aud.statuses.get(uid, StatusRecord()),
                               channel_id=aud.post.channel_id, now_ms=aud.now_ms, is_crt=True)
        verdicts.append(Verdict(user_id=uid, reason=reason, reply_type=ReplyType.CRT))
    # Bystanders: the server never evaluates them; we say why, for the tester's benefit.
    seen = {v.user_id for v in verdicts}
    for uid in aud.profiles:
        if uid not in seen and (uid != aud.post.user_id or aud.post.from_webhook):
            reason = notify_props_reason(user=aud.profiles[uid], channel_props=aud.member_props.get(uid, {}),
                                         post=aud.post, was_mentioned=False, is_gm=False)
            verdicts.append(Verdict(user_id=uid, reason=reason or SkipReason.NOT_MENTIONED))
    return verdicts


def push_message(*, mode: ContentsMode, text: str, sender_name: str, channel_type: ChannelType,
                 has_files: bool = False, explicit_mention: bool = False, channel_wide: bool = False,
                 reply_type: ReplyType = ReplyType.NONE) -> str:
    """``getPushNotificationMessage``: the notification body (first matching row of §7.5 wins)."""
    is_dm, is_crt = channel_type is ChannelType.DIRECT, reply_type is ReplyType.CRT
    if not text and has_files:
        return IMAGE_ONLY.strip() if is_dm else sender_name + IMAGE_ONLY
    if mode is ContentsMode.FULL:
        clean = text.replace("<mention>", "").replace("</mention>", "")
        return clean if is_dm and not is_crt else f"{sender_name}: {clean}"
    if is_dm:
        if not is_crt:
            return DM_MESSAGE
        suffix = COMMENT_ON_CRT_THREAD if mode is ContentsMode.GENERIC_NO_CHANNEL else COMMENT_ON_CRT_THREAD_DM
        return sender_name + suffix
    if is_crt:
        return sender_name + COMMENT_ON_CRT_THREAD
    if channel_wide:
        return sender_name + CHANNEL_MENTION
    if explicit_mention:
        return sender_name + EXPLICIT_MENTION
    suffix = {ReplyType.ROOT: COMMENT_ON_POST, ReplyType.ANY: COMMENT_ON_THREAD,
              ReplyType.ALL: COMMENT_ON_CRT_THREAD}.get(reply_type, GENERAL_MESSAGE)
    return sender_name + suffix


def channel_title(channel: Channel, sender: User, profiles: Iterable[User], recipient_id: str) -> str:
    """``GetChannelName`` with the username format: @sender for DMs, member list for GMs."""
    if channel.type is ChannelType.DIRECT:
        return "@" + sender.username
    if channel.type is ChannelType.GROUP:
        return ", ".join(sorted(u.username for u in profiles if u.id != recipient_id))
    return channel.display_name


def sender_name(post: Post, sender: User) -> str:
    """``GetSenderName`` with the username format (overrides are not enabled)."""
    return SYSTEM_SENDER if post.is_system else "@" + sender.username


def id_loaded_fields(*, post: Post, channel: Channel, recipient_id: str, is_crt: bool) -> dict[str, object]:
    """``buildIdLoadedPushNotificationMessage``: ids only; ``sender_id`` is the recipient's id."""
    return {"post_id": post.id, "channel_id": post.channel_id, "root_id": post.root_id,
            "is_crt_enabled": is_crt, "category": CATEGORY_CAN_REPLY, "version": PUSH_VERSION,
            "team_id": channel.team_id, "type": "message", "is_id_loaded": True,
            "sender_id": recipient_id, "message": ID_LOADED_MESSAGE}


def full_fields(*, mode: ContentsMode, post: Post, channel: Channel, title: str, sender: str,
                verdict: Verdict, is_crt: bool) -> dict[str, object]:
    """``buildFullPushNotificationMessage`` for the full and generic modes."""
    no_channel = mode is ContentsMode.GENERIC_NO_CHANNEL
    name = title if not no_channel or channel.type is ChannelType.DIRECT else ""
    if is_crt and post.root_id and not no_channel:
        name = TITLE_CRT_DM if channel.type is ChannelType.DIRECT else TITLE_CRT.format(channel_name=title)
    fields: dict[str, object] = {
        "category": CATEGORY_CAN_REPLY, "version": PUSH_VERSION, "type": "message", "team_id": channel.team_id,
        "channel_id": channel.id, "post_id": post.id, "root_id": post.root_id, "sender_id": post.user_id,
        "is_crt_enabled": is_crt, "is_id_loaded": False, "channel_name": name, "sender_name": sender,
        "message": push_message(mode=mode, text=post.message.strip(), sender_name=sender,
                                channel_type=channel.type, explicit_mention=verdict.explicit_mention,
                                channel_wide=verdict.channel_wide, reply_type=verdict.reply_type)}
    if isinstance(post.props.get("from_webhook"), str):
        fields["from_webhook"] = post.props["from_webhook"]
    return fields


def clear_fields(*, channel_id: str, root_id: str, badge: int, is_crt: bool) -> dict[str, object]:
    """``clearPushNotificationSync``: tells the user's other devices to drop a channel's notifications."""
    return {"type": "clear", "version": PUSH_VERSION, "channel_id": channel_id, "root_id": root_id,
            "cont_ava": 1, "badge": badge, "is_crt_enabled": is_crt}


SESSION_EXPIRED = ("Session Expired: Please log in to continue receiving notifications. Sessions for {site} are "
                   "configured by your System Administrator to expire every {hours} hour(s).")


def session_expired_fields(*, site_name: str, hours: int) -> dict[str, object]:
    """``NotifySessionsExpired``: the session-expired text (§7.7, api.push_notifications.session.expired)."""
    return {"type": "session", "version": PUSH_VERSION,
            "message": SESSION_EXPIRED.format(site=site_name, hours=hours)}


def badge_fields(*, badge: int) -> dict[str, object]:
    """``updateMobileAppBadgeSync``: a silent badge update."""
    return {"type": "update_badge", "version": PUSH_VERSION, "sound": "none", "cont_ava": 1, "badge": badge}


# model.PushNotification field order; the server omits empty values except for these keys.
_WIRE_ORDER = ("ack_id", "platform", "server_id", "device_id", "post_id", "category", "sound", "message",
               "badge", "cont_ava", "team_id", "channel_id", "root_id", "channel_name", "type", "sub_type",
               "sender_id", "sender_name", "override_username", "override_icon_url", "from_webhook",
               "version", "is_crt_enabled", "is_id_loaded", "signature", "transport")
_ALWAYS = {"ack_id": "", "platform": "", "server_id": "", "device_id": "", "post_id": "",
           "is_crt_enabled": False, "is_id_loaded": False, "signature": ""}


def wire(fields: Mapping[str, object]) -> dict[str, object]:
    """The JSON object the server POSTs to the proxy: Go field order, ``omitempty`` applied."""
    return {key: fields.get(key, _ALWAYS.get(key)) for key in _WIRE_ORDER
            if key in _ALWAYS or fields.get(key)}


def split_device_id(device_id: str) -> tuple[str, str]:
    """``SetDeviceIdAndPlatform``: split at the first ":"; without one, both stay empty."""
    platform, sep, token = device_id.partition(":")
    return (platform, token) if sep else ("", "")
