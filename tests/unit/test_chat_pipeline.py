"""ChatCore.create_post end to end: who gets a push, why not, and what it says (§7.3–§7.6)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Callable

import pytest

from simulator.chat.core import ChatCore
from simulator.chat.ids import IdFactory
from simulator.chat.models import ChatConfig, Channel, ContentsMode, PushDecision, Session, SkipReason, Status, User
from simulator.clock import FakeClock


@dataclass
class World:
    core: ChatCore
    clock: FakeClock
    town: Channel
    users: dict[str, User]
    sessions: dict[str, Session]

    def id(self, name: str) -> str:
        return self.users[name].id

    def post(self, poster: str, message: str, channel: Channel | None = None, root_id: str = "",
             ) -> tuple[list[PushDecision], list[Any]]:
        _, decisions, pushes = self.core.create_post(self.sessions[poster], channel_id=(channel or self.town).id,
                                                     message=message, root_id=root_id)
        return decisions, pushes

    def decision(self, decisions: list[PushDecision], name: str) -> PushDecision:
        return next(d for d in decisions if d.user_id == self.id(name))

    def push_to(self, pushes: list[Any], name: str) -> dict[str, Any]:
        (push,) = [p for p in pushes if p.user_id == self.id(name)]
        return push.notification


def make_world(**config: Any) -> World:
    clock = FakeClock()
    core = ChatCore(config=ChatConfig(**config), clock=clock, ids=IdFactory(random.Random(7)),
                    signer=lambda claims: f"sig({claims['ack_id']},{claims['device_id']})")
    team = core.create_team(name="eng", display_name="Engineering")
    users = {n: core.create_user(username=n, password=f"pw-{n}") for n in ("frank", "alice", "bob")}
    sessions = {}
    for name, user in users.items():
        core.add_team_member(team.id, user.id)
        sessions[name] = core.login(login_id=name, password=f"pw-{name}", device_id=f"android_rn-v2:tok-{name}")[1]
    return World(core, clock, core.channel_by_name(team.id, "town-square"), users, sessions)


# ---------------------------------------------------------------- every reason, and the sends
def _mute(w: World) -> None:
    w.core.patch_channel_notify_props(w.town.id, w.id("alice"), {"mark_unread": "mention"})


def _silence(w: World) -> None:
    w.core.patch_notify_props(w.id("alice"), {"push": "none"})


CASES: list[tuple[str, dict[str, Any], Callable[[World], object], str]] = [
    ("mentioned", {}, lambda w: None, ""),
    ("muted", {}, _mute, SkipReason.CHANNEL_MUTED),
    ("level none", {}, _silence, SkipReason.LEVEL_SET_TO_NONE),
    ("dnd", {}, lambda w: w.core.set_status(w.id("alice"), Status.DND, manual=True), SkipReason.USER_STATUS),
    ("ooo", {}, lambda w: w.core.set_status(w.id("alice"), Status.OOO, manual=True), SkipReason.USER_STATUS),
    ("online, push_status away", {}, lambda w: w.core.websocket_connected(w.id("alice")),
     SkipReason.USER_IS_ACTIVE),
    ("away, push_status away", {}, lambda w: w.core.set_status(w.id("alice"), Status.AWAY), ""),
    ("push disabled", {"send_push_notifications": False}, lambda w: None, SkipReason.PUSH_DISABLED),
    ("HPNS unlicensed", {"push_server_url": "https://push.mattermost.com/"}, lambda w: None,
     SkipReason.LICENSE_MISSING),
    ("HPNS licensed", {"push_server_url": "https://push.mattermost.com", "licensed": True}, lambda w: None, ""),
    ("TPNS unlicensed", {"push_server_url": "https://push-test.mattermost.com"}, lambda w: None, ""),
]


@pytest.mark.parametrize(("config", "setup", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_decision_for_a_mention(config: dict[str, Any], setup: Callable[[World], None], reason: str) -> None:
    w = make_world(**config)
    setup(w)
    decisions, pushes = w.post("frank", "hey @alice look")
    alice = w.decision(decisions, "alice")
    assert (alice.send, alice.reason, alice.username, alice.at) == (reason == "", reason, "alice", w.clock())
    assert [p.user_id for p in pushes] == ([w.id("alice")] if reason == "" else [])


@pytest.mark.parametrize(("message", "alice", "bob"), [
    ("hey @alice look", "", SkipReason.NOT_MENTIONED),
    ("plain chatter", SkipReason.NOT_MENTIONED, SkipReason.NOT_MENTIONED),
    ("@channel standup", "", ""),
    ("@all standup", "", ""),
    ("@here standup", SkipReason.NOT_MENTIONED, SkipReason.NOT_MENTIONED),  # nobody is online
    ("@frank note to self", SkipReason.NOT_MENTIONED, SkipReason.NOT_MENTIONED),
])
def test_who_is_mentioned(message: str, alice: str, bob: str) -> None:
    w = make_world()
    decisions, _ = w.post("frank", message)
    assert {d.username: d.reason for d in decisions} == {"alice": alice, "bob": bob}  # never the poster


def test_at_here_reaches_online_users_only() -> None:
    w = make_world()
    w.core.websocket_connected(w.id("bob"))
    w.core.patch_notify_props(w.id("bob"), {"push_status": "online"})
    decisions, pushes = w.post("frank", "@here standup")
    assert {d.username: d.reason for d in decisions} == {"alice": SkipReason.NOT_MENTIONED, "bob": ""}
    assert w.push_to(pushes, "bob")["message"] == "@frank: @here standup"


def test_system_message_is_never_pushed() -> None:
    w = make_world()
    w.core.patch_notify_props(w.id("alice"), {"push": "all"})
    _, decisions, pushes = w.core.inject_post(user_id=w.id("frank"), channel_id=w.town.id, message="@alice joined",
                                              post_type="system_join_channel")
    assert w.decision(decisions, "alice").reason == SkipReason.SYSTEM_MESSAGE
    assert pushes == []


def test_force_notification_overrides_dnd() -> None:
    w = make_world()
    w.core.set_status(w.id("alice"), Status.DND, manual=True)
    _, decisions, pushes = w.core.inject_post(user_id=w.id("frank"), channel_id=w.town.id, message="@alice",
                                              props={"force_notification": "true"})
    assert w.decision(decisions, "alice").send and len(pushes) == 1


@pytest.mark.parametrize(("user_push", "channel_push", "reason"), [
    ("all", "default", ""), ("mention", "all", ""), ("all", "mention", SkipReason.NOT_MENTIONED),
    ("mention", "default", SkipReason.NOT_MENTIONED),
])
def test_all_activity_push_level(user_push: str, channel_push: str, reason: str) -> None:
    w = make_world()
    w.core.patch_notify_props(w.id("alice"), {"push": user_push})
    w.core.patch_channel_notify_props(w.town.id, w.id("alice"), {"push": channel_push})
    decisions, pushes = w.post("frank", "deploy done")
    assert w.decision(decisions, "alice").reason == reason
    if not reason:
        assert w.push_to(pushes, "alice")["message"] == "@frank: deploy done"


# ---------------------------------------------------------------- status rules through the core
@pytest.mark.parametrize(("push_status", "after_s", "active", "reason"), [
    ("online", 5, "town", SkipReason.USER_IS_ACTIVE),
    ("online", 20, "town", SkipReason.USER_IS_ACTIVE),
    ("online", 20.002, "town", ""),  # 20 s activity window has passed
    ("online", 5, "", ""),  # app went to the background
    ("online", 5, "dm", ""),  # looking at another channel
    ("away", 30, "", SkipReason.USER_IS_ACTIVE),  # still online
    ("offline", 30, "", SkipReason.USER_IS_ACTIVE),
])
def test_activity_window(push_status: str, after_s: float, active: str, reason: str) -> None:
    w = make_world()
    alice = w.id("alice")
    w.core.patch_notify_props(alice, {"push_status": push_status})
    dm = w.core.create_direct_channel(alice, w.id("bob"))
    w.core.set_active_channel(alice, {"town": w.town.id, "dm": dm.id, "": ""}[active])
    w.core.websocket_connected(alice)
    w.clock.advance(after_s)
    decisions, _ = w.post("frank", "@alice ping")
    assert w.decision(decisions, "alice").reason == reason


@pytest.mark.parametrize(("push_status", "status", "sent"), [
    ("online", Status.ONLINE, True), ("online", Status.AWAY, True), ("online", Status.OFFLINE, True),
    ("away", Status.ONLINE, False), ("away", Status.AWAY, True), ("away", Status.OFFLINE, True),
    ("offline", Status.ONLINE, False), ("offline", Status.AWAY, False), ("offline", Status.OFFLINE, True),
])
def test_push_status_levels(push_status: str, status: Status, sent: bool) -> None:
    w = make_world()
    w.core.patch_notify_props(w.id("alice"), {"push_status": push_status})
    w.core.set_status(w.id("alice"), status)
    decisions, _ = w.post("frank", "@alice ping")
    assert w.decision(decisions, "alice").send is sent


# ---------------------------------------------------------------- worked examples (§7.5 table)
@pytest.mark.parametrize(("mode", "title", "message"), [
    (ContentsMode.GENERIC, "Town Square", "@frank mentioned you."),
    (ContentsMode.GENERIC_NO_CHANNEL, None, "@frank mentioned you."),
    (ContentsMode.FULL, "Town Square", "@frank: hey @alice look"),
])
def test_example_channel_mention(mode: ContentsMode, title: str | None, message: str) -> None:
    w = make_world(contents=mode)
    _, pushes = w.post("frank", "hey @alice look")
    note = w.push_to(pushes, "alice")
    assert (note.get("channel_name"), note["message"], note["sender_name"]) == (title, message, "@frank")


def test_example_at_channel_generic() -> None:
    w = make_world(contents=ContentsMode.GENERIC)
    _, pushes = w.post("frank", "@channel standup")
    assert w.push_to(pushes, "alice")["message"] == "@frank notified the channel."


@pytest.mark.parametrize(("mode", "message"), [
    (ContentsMode.GENERIC, "sent you a message."), (ContentsMode.GENERIC_NO_CHANNEL, "sent you a message."),
    (ContentsMode.FULL, "hello"),
])
def test_example_direct_message(mode: ContentsMode, message: str) -> None:
    w = make_world(contents=mode)
    dm = w.core.create_direct_channel(w.id("frank"), w.id("alice"))
    decisions, pushes = w.post("frank", "  hello ", channel=dm)
    note = w.push_to(pushes, "alice")
    assert (note["channel_name"], note["message"], note["team_id"] if "team_id" in note else "") == (
        "@frank", message, "")
    assert [d.username for d in decisions] == ["alice"]


@pytest.mark.parametrize(("mode", "message"), [
    (ContentsMode.FULL, "@frank: hi"), (ContentsMode.GENERIC, "@frank posted a message."),
])
def test_example_group_message(mode: ContentsMode, message: str) -> None:
    w = make_world(contents=mode)
    gm = w.core.create_group_channel([w.id("alice"), w.id("bob"), w.id("frank")])
    _, pushes = w.post("frank", "hi", channel=gm)  # push=mention is upgraded to all in a GM
    assert w.push_to(pushes, "alice")["channel_name"] == "bob, frank"
    assert w.push_to(pushes, "bob")["channel_name"] == "alice, frank"
    assert w.push_to(pushes, "alice")["message"] == message


@pytest.mark.parametrize(("mode", "message"), [
    (ContentsMode.GENERIC, "@frank replied to a thread you're following."),
    (ContentsMode.FULL, "@frank: ship it"),
])
def test_example_crt_reply_in_channel(mode: ContentsMode, message: str) -> None:
    w = make_world(contents=mode, collapsed_threads="always_on")
    root, _, _ = w.core.create_post(w.sessions["alice"], channel_id=w.town.id, message="release?")
    decisions, pushes = w.post("frank", "ship it", root_id=root.id)
    note = w.push_to(pushes, "alice")  # the root author follows the thread
    assert (note["channel_name"], note["message"], note["root_id"], note["is_crt_enabled"]) == (
        "Reply in Town Square", message, root.id, True)
    assert w.decision(decisions, "bob").reason == SkipReason.NOT_MENTIONED  # not following


def test_example_crt_reply_in_dm() -> None:
    w = make_world(contents=ContentsMode.GENERIC, collapsed_threads="default_on")
    dm = w.core.create_direct_channel(w.id("frank"), w.id("alice"))
    root, _, _ = w.core.create_post(w.sessions["alice"], channel_id=dm.id, message="q")
    _, pushes = w.post("frank", "a", channel=dm, root_id=root.id)
    note = w.push_to(pushes, "alice")
    assert (note["channel_name"], note["message"]) == ("Reply in Direct Message", "@frank replied to a thread.")


@pytest.mark.parametrize(("licensed", "id_loaded"), [(True, True), (False, False)])
def test_example_id_loaded_needs_a_licence(licensed: bool, id_loaded: bool) -> None:
    w = make_world(contents=ContentsMode.ID_LOADED, licensed=licensed)
    _, pushes = w.post("frank", "secret @alice")
    note = w.push_to(pushes, "alice")
    assert note["is_id_loaded"] is id_loaded
    if id_loaded:
        assert (note["message"], note["sender_id"], "channel_name" in note) == (
            "You've received a new message.", w.id("alice"), False)
    else:  # falls back to generic
        assert (note["message"], note["channel_name"], note["sender_id"]) == (
            "@frank mentioned you.", "Town Square", w.id("frank"))


# ---------------------------------------------------------------- collapsed threads (CRT followers)
@pytest.mark.parametrize(("props", "message", "reason"), [
    ({"push_threads": "all"}, "ship it", ""),
    ({"push_threads": "mention"}, "ship it", SkipReason.NOT_MENTIONED),
    ({"push_threads": "mention"}, "ship it @alice", ""),
    ({"push": "none"}, "ship it @alice", SkipReason.LEVEL_SET_TO_NONE),
    ({"push": "all", "push_threads": "mention"}, "ship it", ""),
])
def test_crt_follower_settings(props: dict[str, str], message: str, reason: str) -> None:
    w = make_world(contents=ContentsMode.GENERIC, collapsed_threads="always_on")
    w.core.patch_notify_props(w.id("alice"), props)
    root, _, _ = w.core.create_post(w.sessions["alice"], channel_id=w.town.id, message="release?")
    decisions, pushes = w.post("frank", message, root_id=root.id)
    assert w.decision(decisions, "alice").reason == reason
    if not reason:
        assert w.push_to(pushes, "alice")["message"] == "@frank replied to a thread you're following."


@pytest.mark.parametrize(("status", "reason"), [(Status.DND, SkipReason.USER_STATUS), (Status.ONLINE, "")])
def test_crt_follower_status(status: Status, reason: str) -> None:
    w = make_world(collapsed_threads="always_on")
    w.core.patch_notify_props(w.id("alice"), {"push_status": "online"})
    root, _, _ = w.core.create_post(w.sessions["alice"], channel_id=w.town.id, message="release?")
    w.core.set_active_channel(w.id("alice"), w.town.id)  # looking at the channel does not hide thread pushes
    w.core.set_status(w.id("alice"), status, manual=True)
    decisions, _ = w.post("frank", "ship it", root_id=root.id)
    assert w.decision(decisions, "alice").reason == reason


@pytest.mark.parametrize(("crt", "follows"), [("always_on", True), ("disabled", False)])
def test_mentioned_in_root_follows_the_thread(crt: str, follows: bool) -> None:
    w = make_world(contents=ContentsMode.GENERIC, collapsed_threads=crt)
    root, _, _ = w.core.create_post(w.sessions["alice"], channel_id=w.town.id, message="release? @bob")
    decisions, _ = w.post("frank", "ship it", root_id=root.id)
    assert w.decision(decisions, "bob").send is follows


def test_crt_badge_counts_thread_mentions() -> None:
    w = make_world(collapsed_threads="always_on")
    root, _, _ = w.core.create_post(w.sessions["bob"], channel_id=w.town.id, message="release?")
    _, pushes = w.post("frank", "@alice ship it", root_id=root.id)
    assert w.push_to(pushes, "alice")["badge"] == 1
    w.core.set_active_channel(w.id("alice"), w.town.id)  # reading the channel does not read the thread
    assert w.core.badge_count(w.id("alice")) == 1


# ---------------------------------------------------------------- replies without CRT
@pytest.mark.parametrize(("comments", "thread_by", "message"), [
    ("root", "alice", "@frank commented on your post."),
    ("any", "alice", "@frank commented on your post."),  # root author: the stronger mention wins
    ("any", "bob", "@frank commented on a thread you participated in."),
])
def test_reply_notifies_thread_participants(comments: str, thread_by: str, message: str) -> None:
    w = make_world(contents=ContentsMode.GENERIC)
    w.core.patch_notify_props(w.id("alice"), {"comments": comments})
    root, _, _ = w.core.create_post(w.sessions[thread_by], channel_id=w.town.id, message="root")
    if thread_by != "alice":
        w.core.create_post(w.sessions["alice"], channel_id=w.town.id, message="me too", root_id=root.id)
    _, pushes = w.post("frank", "done", root_id=root.id)
    assert w.push_to(pushes, "alice")["message"] == message


@pytest.mark.parametrize("comments", ["never", "root"])
def test_reply_skips_non_participants(comments: str) -> None:
    w = make_world()
    w.core.patch_notify_props(w.id("alice"), {"comments": comments})
    root, _, _ = w.core.create_post(w.sessions["bob"], channel_id=w.town.id, message="root")
    w.core.create_post(w.sessions["alice"], channel_id=w.town.id, message="me too", root_id=root.id)
    decisions, _ = w.post("frank", "done", root_id=root.id)
    assert w.decision(decisions, "alice").reason == SkipReason.NOT_MENTIONED


# ---------------------------------------------------------------- badge
def test_badge_counts_unread_mentions_and_dms_until_viewed() -> None:
    w = make_world()
    alice = w.id("alice")
    dm = w.core.create_direct_channel(w.id("frank"), alice)
    badges = [w.push_to(w.post("frank", text, channel=ch)[1], "alice").get("badge", 0)
              for text, ch in (("@alice 1", w.town), ("@alice 2", w.town), ("dm", dm))]
    assert badges == [1, 2, 3]
    w.core.set_active_channel(alice, w.town.id)
    w.core.set_active_channel(alice, "")
    assert w.core.badge_count(alice) == 1
    w.core.create_post(w.sessions["alice"], channel_id=dm.id, message="read by replying")
    assert w.core.badge_count(alice) == 0
