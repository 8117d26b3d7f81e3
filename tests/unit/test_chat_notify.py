"""Pure push rules and texts of the fake Mattermost server (simulator.chat.notify, §7.4–§7.6)."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.chat import mentions, notify
from simulator.chat.mentions import MentionType
from simulator.chat.models import (DEFAULT_USER_NOTIFY_PROPS, Channel, ChannelType, ContentsMode, Post,
                                   SkipReason, Status, StatusRecord, User)
from simulator.chat.notify import ReplyType

NOW_MS = 1_767_225_600_000
MISSING = object()  # the push_status prop is absent


def _user(push: str = "mention", **props: str) -> User:
    return User(id="u-alice", username="alice", email="a@x.test", first_name="Alice",
                notify_props={**DEFAULT_USER_NOTIFY_PROPS, "push": push, **props})


def _post(post_type: str = "", **props: object) -> Post:
    return Post(id="p1", channel_id="c1", user_id="u-frank", message="hi", type=post_type, props=props)


# ---------------------------------------------------------------- notify-props rule (§7.4 rule 1)
@pytest.mark.parametrize(("user_push", "channel_props", "post_type", "mentioned", "is_gm", "reason"), [
    ("mention", {}, "", True, False, ""),
    ("mention", {}, "", False, False, SkipReason.NOT_MENTIONED),
    ("mention", {}, "", False, True, ""),  # GM upgrades a user-level "mention" to "all"
    ("mention", {"push": ""}, "", True, False, ""),  # "" means default
    ("all", {}, "", False, False, ""),
    ("mention", {"push": "all"}, "", False, False, ""),  # channel level wins over user level
    ("all", {"push": "none"}, "", True, False, SkipReason.LEVEL_SET_TO_NONE),
    ("all", {"push": "mention"}, "", False, True, SkipReason.NOT_MENTIONED),  # no GM upgrade at channel level
    ("none", {}, "", True, False, SkipReason.LEVEL_SET_TO_NONE),
    ("all", {"mark_unread": "mention"}, "", True, False, SkipReason.CHANNEL_MUTED),
    ("all", {"mark_unread": "all"}, "", True, False, ""),
    ("all", {}, "system_join_channel", True, False, SkipReason.SYSTEM_MESSAGE),
    ("all", {"mark_unread": "mention"}, "system_join_channel", True, False, SkipReason.CHANNEL_MUTED),
    ("none", {}, "system_join_channel", True, False, SkipReason.SYSTEM_MESSAGE),
])
def test_notify_props_rule(user_push: str, channel_props: dict[str, str], post_type: str, mentioned: bool,
                           is_gm: bool, reason: str) -> None:
    got = notify.notify_props_reason(user=_user(user_push), channel_props=channel_props, post=_post(post_type),
                                     was_mentioned=mentioned, is_gm=is_gm)
    assert got == reason


# ---------------------------------------------------------------- status rule (§7.4 rule 2)
@pytest.mark.parametrize(("push_status", "status", "active", "idle_ms", "is_crt", "reason"), [
    ("online", Status.ONLINE, "c1", 1_000, False, SkipReason.USER_IS_ACTIVE),  # looking at it right now
    ("online", Status.ONLINE, "c1", 20_000, False, SkipReason.USER_IS_ACTIVE),  # window is "> 20 s"
    ("online", Status.ONLINE, "c1", 20_001, False, ""),
    ("online", Status.ONLINE, "c2", 0, False, ""),  # another channel
    ("online", Status.ONLINE, "", 0, False, ""),  # app in background
    ("online", Status.ONLINE, "c1", 0, True, ""),  # CRT follower push ignores the active channel
    (MISSING, Status.ONLINE, "c2", 0, False, ""),  # a missing prop behaves as "online"
    (MISSING, Status.ONLINE, "c1", 0, False, SkipReason.USER_IS_ACTIVE),
    ("", Status.OFFLINE, "c2", 0, False, SkipReason.USER_IS_ACTIVE),  # present but empty: never
    ("away", Status.ONLINE, "c2", 0, False, SkipReason.USER_IS_ACTIVE),
    ("away", Status.AWAY, "c1", 0, False, ""),
    ("away", Status.OFFLINE, "c1", 0, False, ""),
    ("offline", Status.AWAY, "c2", 0, False, SkipReason.USER_IS_ACTIVE),
    ("offline", Status.OFFLINE, "c1", 0, False, ""),
    ("away", Status.DND, "c2", 0, False, SkipReason.USER_STATUS),
    ("online", Status.OOO, "c2", 60_000, True, SkipReason.USER_STATUS),
])
def test_status_rule(push_status: object, status: Status, active: str, idle_ms: int, is_crt: bool,
                     reason: str) -> None:
    props = dict(DEFAULT_USER_NOTIFY_PROPS)
    if push_status is MISSING:
        del props["push_status"]
    else:
        props["push_status"] = str(push_status)
    user = User(id="u-alice", username="alice", email="a@x.test", notify_props=props)
    record = StatusRecord(status=status, active_channel=active, last_activity_at=NOW_MS - idle_ms)
    got = notify.status_reason(user=user, status=record, channel_id="c1", now_ms=NOW_MS, is_crt=is_crt)
    assert got == reason


# ---------------------------------------------------------------- mention parsing
KEYWORDS = {"@alice": ["a"], "@bob": ["b"], "@channel": ["a", "b"], "@all": ["a", "b"], "@here": ["a"],
            "Alice": ["a"], "deploy": ["b"]}


@pytest.mark.parametrize(("text", "users", "others"), [
    ("hi @alice", {"a": MentionType.KEYWORD}, ()),
    ("hi @Alice.", {"a": MentionType.KEYWORD}, ()),
    ("@alice: look", {"a": MentionType.KEYWORD}, ()),
    ("(@bob)", {"b": MentionType.KEYWORD}, ()),
    ("@channel lunch", {"a": MentionType.CHANNEL, "b": MentionType.CHANNEL}, ()),
    ("@channel and @alice", {"a": MentionType.KEYWORD, "b": MentionType.CHANNEL}, ()),
    ("@here", {"a": MentionType.CHANNEL}, ()),
    ("Alice, look", {"a": MentionType.KEYWORD}, ()),  # first name: case-sensitive
    ("alice, look", {}, ()),
    ("the deploy failed", {"b": MentionType.KEYWORD}, ()),
    (":alice: emoji only", {}, ()),
    ("mail alice@example.com", {}, ()),
    ("hi @carol.", {}, ("carol",)),
])
def test_parse_mentions(text: str, users: dict[str, MentionType], others: tuple[str, ...]) -> None:
    found = mentions.parse_mentions(text, KEYWORDS)
    assert dict(found.users) == users
    assert found.others == others


@pytest.mark.parametrize(("text", "here", "channel", "all_"), [
    ("@here", True, False, False), ("@channel", False, True, False), ("@all", False, False, True),
    ("@alice", False, False, False),
])
def test_parse_mentions_flags(text: str, here: bool, channel: bool, all_: bool) -> None:
    found = mentions.parse_mentions(text, KEYWORDS)
    assert (found.here, found.channel, found.all) == (here, channel, all_)


@pytest.mark.parametrize(("props", "member", "status", "expected"), [
    ({}, {}, Status.OFFLINE, {"@alice", "@channel", "@all"}),
    ({}, {}, Status.ONLINE, {"@alice", "@channel", "@all", "@here"}),  # @here only reaches online users
    ({"channel": "false"}, {}, Status.ONLINE, {"@alice"}),
    ({}, {"ignore_channel_mentions": "on"}, Status.ONLINE, {"@alice"}),
    ({}, {"mark_unread": "mention", "ignore_channel_mentions": "default"}, Status.ONLINE, {"@alice"}),
    ({}, {"mark_unread": "mention", "ignore_channel_mentions": "off"}, Status.OFFLINE,
     {"@alice", "@channel", "@all"}),
    ({"first_name": "true", "mention_keys": "Deploy, oncall"}, {}, Status.OFFLINE,
     {"@alice", "@channel", "@all", "Alice", "deploy", "oncall"}),
])
def test_mention_keywords(props: dict[str, str], member: dict[str, str], status: Status,
                          expected: set[str]) -> None:
    user = _user(**props)
    keywords = mentions.mention_keywords([user], {user.id: member}, {user.id: StatusRecord(status=status)})
    assert set(keywords) == expected
    assert all(ids == [user.id] for ids in keywords.values())


# ---------------------------------------------------------------- message text (§7.5 decision table)
def _text(mode: ContentsMode, channel_type: ChannelType, kw: dict[str, Any]) -> str:
    kw = {"text": "hey @alice look", **kw}
    return notify.push_message(mode=mode, sender_name="@frank", channel_type=channel_type, **kw)


G, GNC, F = ContentsMode.GENERIC, ContentsMode.GENERIC_NO_CHANNEL, ContentsMode.FULL
D, O = ChannelType.DIRECT, ChannelType.OPEN


@pytest.mark.parametrize(("row", "mode", "channel_type", "kw", "expected"), [
    (1, G, D, {"text": "", "has_files": True}, "attached a file."),
    (1, F, O, {"text": "", "has_files": True}, "@frank attached a file."),
    (2, F, D, {}, "hey @alice look"),
    (2, F, D, {"text": "hi <mention>@alice</mention>"}, "hi @alice"),
    (2, F, D, {"reply_type": ReplyType.CRT}, "@frank: hey @alice look"),
    (2, F, O, {"explicit_mention": True}, "@frank: hey @alice look"),
    (2, F, ChannelType.GROUP, {}, "@frank: hey @alice look"),
    (3, GNC, D, {"reply_type": ReplyType.CRT}, "@frank replied to a thread you're following."),
    (3, G, D, {"reply_type": ReplyType.CRT}, "@frank replied to a thread."),
    (4, G, D, {"explicit_mention": True}, "sent you a message."),
    (4, GNC, D, {}, "sent you a message."),
    (5, G, O, {"reply_type": ReplyType.CRT, "explicit_mention": True}, "@frank replied to a thread you're following."),
    (6, G, O, {"channel_wide": True, "explicit_mention": True}, "@frank notified the channel."),
    (7, GNC, O, {"explicit_mention": True}, "@frank mentioned you."),
    (7, G, O, {"explicit_mention": True, "reply_type": ReplyType.ROOT}, "@frank mentioned you."),
    (8, G, O, {"reply_type": ReplyType.ROOT}, "@frank commented on your post."),
    (9, G, O, {"reply_type": ReplyType.ANY}, "@frank commented on a thread you participated in."),
    (10, G, O, {"reply_type": ReplyType.ALL}, "@frank replied to a thread you're following."),
    (11, G, O, {}, "@frank posted a message."),
    (11, GNC, ChannelType.GROUP, {}, "@frank posted a message."),
])
def test_push_message_table(row: int, mode: ContentsMode, channel_type: ChannelType, kw: dict[str, Any],
                            expected: str) -> None:
    assert _text(mode, channel_type, kw) == expected, f"row {row}"


def test_suffixes_keep_their_leading_space() -> None:
    assert notify.EXPLICIT_MENTION == " mentioned you."
    assert "@frank" + notify.CHANNEL_MENTION == "@frank notified the channel."
    assert notify.DM_MESSAGE == "sent you a message."  # the one without sender and space
    assert notify.ID_LOADED_MESSAGE == "You've received a new message."


# ---------------------------------------------------------------- titles and fields (§7.6)
FRANK = User(id="u-frank", username="frank", email="f@x.test")
BOB = User(id="u-bob", username="bob", email="b@x.test")
ALICE = _user()
TOWN = Channel(id="c1", team_id="t1", type=ChannelType.OPEN, name="town-square", display_name="Town Square")
DM = Channel(id="c2", team_id="", type=ChannelType.DIRECT, name="u-alice__u-frank", display_name="")
GM = Channel(id="c3", team_id="", type=ChannelType.GROUP, name="x", display_name="alice, bob, frank")


@pytest.mark.parametrize(("channel", "expected"), [(TOWN, "Town Square"), (DM, "@frank"), (GM, "bob, frank")])
def test_channel_title(channel: Channel, expected: str) -> None:
    assert notify.channel_title(channel, FRANK, [ALICE, BOB, FRANK], ALICE.id) == expected


@pytest.mark.parametrize(("mode", "channel", "root_id", "is_crt", "title"), [
    (G, TOWN, "", False, "Town Square"),
    (GNC, TOWN, "", False, ""),
    (GNC, DM, "", False, "@frank"),  # DMs always carry the title
    (G, TOWN, "r1", True, "Reply in Town Square"),
    (F, TOWN, "r1", True, "Reply in Town Square"),
    (G, TOWN, "r1", False, "Town Square"),  # no CRT: plain title for replies
    (G, DM, "r1", True, "Reply in Direct Message"),
    (GNC, DM, "r1", True, "@frank"),
    (GNC, TOWN, "r1", True, ""),
])
def test_full_fields_title(mode: ContentsMode, channel: Channel, root_id: str, is_crt: bool, title: str) -> None:
    post = Post(id="p1", channel_id=channel.id, user_id=FRANK.id, root_id=root_id, message="hi")
    plain = notify.channel_title(channel, FRANK, [ALICE, BOB, FRANK], ALICE.id)
    fields = notify.full_fields(mode=mode, post=post, channel=channel, title=plain, sender="@frank",
                                verdict=notify.Verdict(user_id=ALICE.id, reason=""), is_crt=is_crt)
    assert fields["channel_name"] == title
    assert (fields["sender_id"], fields["sender_name"], fields["is_crt_enabled"]) == (FRANK.id, "@frank", is_crt)


def test_id_loaded_fields_name_the_recipient_as_sender() -> None:
    post = Post(id="p1", channel_id="c1", user_id=FRANK.id, message="secret")
    fields = notify.id_loaded_fields(post=post, channel=TOWN, recipient_id=ALICE.id, is_crt=False)
    assert fields["sender_id"] == ALICE.id
    assert fields["message"] == "You've received a new message."
    assert "channel_name" not in fields and "sender_name" not in fields and "secret" not in str(fields)


@pytest.mark.parametrize(("name", "expected"), [(None, "@frank"), ("system_join_channel", "System")])
def test_sender_name(name: str | None, expected: str) -> None:
    assert notify.sender_name(_post(name or ""), FRANK) == expected


# ---------------------------------------------------------------- wire form (§2.2)
def test_wire_applies_omitempty_and_go_field_order() -> None:
    got = notify.wire({"type": "message", "message": "hi", "badge": 0, "team_id": "", "post_id": "p1",
                       "ack_id": "a1", "version": "v2", "channel_name": "Town Square"})
    assert list(got) == ["ack_id", "platform", "server_id", "device_id", "post_id", "message", "channel_name",
                         "type", "version", "is_crt_enabled", "is_id_loaded", "signature"]
    assert (got["platform"], got["is_crt_enabled"], got["signature"]) == ("", False, "")


@pytest.mark.parametrize(("badge", "present"), [(0, False), (3, True), (-1, True)])
def test_wire_badge(badge: int, present: bool) -> None:
    assert ("badge" in notify.wire({"badge": badge})) is present


@pytest.mark.parametrize(("device_id", "expected"), [
    ("android_rn-v2:tok", ("android_rn-v2", "tok")),
    ("apple_rn-v2:ab:cd", ("apple_rn-v2", "ab:cd")),  # split at the first ":" only
    ("no-colon", ("", "")),
    ("", ("", "")),
])
def test_split_device_id(device_id: str, expected: tuple[str, str]) -> None:
    assert notify.split_device_id(device_id) == expected
