"""Sans-I/O: presence transitions, read state and badge, the other push producers (§7.7), seeding."""

from __future__ import annotations

import random

import pytest
from faker import Faker

from simulator.chat.core import ChatCore
from simulator.chat.errors import AppError
from simulator.chat.ids import IdFactory
from simulator.chat.models import ChatConfig, Session, Status
from simulator.chat.presence import Presence
from simulator.chat.producers import SEED_PASSWORD, TEST_MESSAGE
from simulator.clock import FakeClock


@pytest.fixture
def core(clock: FakeClock) -> ChatCore:
    core = ChatCore(config=ChatConfig(), clock=clock, ids=IdFactory(random.Random(5)), signer=lambda c: "sig")
    team = core.create_team(name="eng", display_name="Engineering")
    for name in ("frank", "alice"):
        core.add_team_member(team.id, core.create_user(username=name, password=f"pw-{name}").id)
    return core


def _town(core: ChatCore) -> str:
    return core.channel_by_name(core.team_by_name("eng").id, "town-square").id


def _login(core: ChatCore, name: str, device: str = "") -> Session:
    return core.login(login_id=name, password=f"pw-{name}", device_id=device)[1]


# ---------------------------------------------------------------- presence
def test_manual_status_survives_automatic_changes(clock: FakeClock) -> None:
    presence = Presence(clock=clock)
    presence.set("u", Status.DND, manual=True)
    presence.connected("u")
    assert presence.of("u").status is Status.DND
    presence.set("u", Status.ONLINE, manual=True)  # choosing online clears the manual flag
    assert (presence.of("u").status, presence.of("u").manual) == (Status.ONLINE, False)


@pytest.mark.parametrize(("idle", "manual", "status"), [
    (299, False, Status.ONLINE), (300, False, Status.AWAY), (0, True, Status.AWAY)])
def test_away_if_idle(clock: FakeClock, idle: float, manual: bool, status: Status) -> None:
    presence = Presence(clock=clock)
    presence.connected("u")
    presence.viewing("u", "c1")
    clock.advance(idle)
    record = presence.away_if_idle("u", timeout_s=300, manual=manual)
    assert record.status is status
    if status is Status.AWAY:
        assert record.active_channel == ""  # away forgets the channel on screen


def test_last_websocket_closing_sets_offline(clock: FakeClock) -> None:
    presence = Presence(clock=clock)
    presence.connected("u")
    presence.connected("u")
    assert presence.disconnected("u").status is Status.ONLINE
    assert presence.disconnected("u").status is Status.OFFLINE


# ---------------------------------------------------------------- clear on view (§7.7)
def test_view_clears_other_sessions_only_when_mentions_were_unread(core: ChatCore) -> None:
    phone, tablet = _login(core, "alice", "apple_rn-v2:phone"), _login(core, "alice", "android_rn-v2:tablet")
    core.create_post(_login(core, "frank"), channel_id=_town(core), message="hey @alice")
    assert core.badge_count(core.user_by_username("alice").id) == 1
    times, pushes = core.view_channel(phone, _town(core))
    assert list(times) == [_town(core)]
    assert [(p.session_id, p.notification["type"]) for p in pushes] == [(tablet.id, "clear")]
    assert "badge" not in pushes[0].notification  # read now: badge 0, omitted
    assert core.view_channel(tablet, _town(core))[1] == []  # nothing left to clear


def test_view_does_not_clear_when_push_is_off(core: ChatCore) -> None:
    phone, _ = _login(core, "alice", "apple_rn-v2:phone"), _login(core, "alice", "android_rn-v2:tablet")
    core.create_post(_login(core, "frank"), channel_id=_town(core), message="hey @alice")
    core.configure(send_push_notifications=False)
    assert core.view_channel(phone, _town(core))[1] == []


def test_mark_unread_recounts_mentions_and_badges_every_device(core: ChatCore) -> None:
    alice = core.user_by_username("alice").id
    _login(core, "alice", "apple_rn-v2:phone")
    frank = _login(core, "frank")
    first, _, _ = core.create_post(frank, channel_id=_town(core), message="hey @alice")
    core.create_post(frank, channel_id=_town(core), message="no mention")
    core.create_post(frank, channel_id=_town(core), message="@alice again")
    core.set_active_channel(alice, _town(core))
    unread, pushes = core.mark_unread(alice, first.id)
    assert (unread["mention_count"], unread["msg_count"], unread["total_msg_count"]) == (2, 0, 3)
    ((push),) = pushes
    assert (push.notification["type"], push.notification["badge"], push.notification["sound"]) == (
        "update_badge", 2, "none")


def test_mark_unread_needs_membership(core: ChatCore) -> None:
    core.create_user(username="eve", password="pw-eve")
    post, _, _ = core.create_post(_login(core, "frank"), channel_id=_town(core), message="hi")
    with pytest.raises(AppError) as err:
        core.mark_unread(core.user_by_username("eve").id, post.id)
    assert err.value.status_code == 403


def test_test_notification_is_a_forced_dm_from_the_system_bot(core: ChatCore) -> None:
    alice = _login(core, "alice", "apple_rn-v2:phone")
    core.set_status(alice.user_id, Status.DND, manual=True)
    post, decisions, pushes = core.send_test_notification(alice)
    assert (post.message, core.user(post.user_id).username) == (TEST_MESSAGE, "system-bot")
    assert post.props["force_notification"] and [d.send for d in decisions] == [True]
    assert pushes[0].notification["channel_name"] == "@system-bot"
    assert core.send_test_notification(alice)[0].channel_id == post.channel_id  # one bot, one DM


# ---------------------------------------------------------------- seeded people
def _seeded(seed: int) -> list[tuple[str, str, str]]:
    core = ChatCore(config=ChatConfig(), clock=FakeClock(), ids=IdFactory(random.Random(1)))
    team = core.create_team(name="load", display_name="Load")
    faker = Faker()
    faker.seed_instance(seed)
    users = core.seed_users(20, faker, team_id=team.id)
    assert len(core.channel_member_ids(core.channel_by_name(team.id, "town-square").id)) == 20
    core.login(login_id=users[0].username, password=SEED_PASSWORD)
    return [(u.username, u.first_name, u.email) for u in users]


def test_seeded_users_repeat_with_the_seed_and_differ_without() -> None:
    first = _seeded(7)
    assert first == _seeded(7)
    assert first != _seeded(8)
    assert len({name for name, _, _ in first}) == 20
