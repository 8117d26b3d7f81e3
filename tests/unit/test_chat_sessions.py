"""ChatCore sessions, per-session fan-out, statuses, acks, errors, ids and config (§7.8, §7.11)."""

from __future__ import annotations

import random
import string
from dataclasses import replace

import pytest

from simulator.chat.core import ChatCore
from simulator.chat.errors import AppError, ErrorCode
from simulator.chat.ids import ALPHABET, IdFactory, is_valid_id
from simulator.chat.models import ChatConfig, CollapsedThreads, ContentsMode, Session, SkipReason, Status, User
from simulator.chat.producers import notify_sessions_expired
from simulator.clock import FakeClock

HOUR = 3600.0


def _signer(claims: dict[str, str]) -> str:
    return f"jwt({claims['ack_id']},{claims['device_id']})"


@pytest.fixture
def core(clock: FakeClock) -> ChatCore:
    core = ChatCore(config=ChatConfig(), clock=clock, ids=IdFactory(random.Random(3)), signer=_signer,
                    signing_public_key="MFkwEw==")
    team = core.create_team(name="eng", display_name="Engineering")
    for name in ("frank", "alice"):
        core.add_team_member(team.id, core.create_user(username=name, password=f"pw-{name}").id)
    return core


def _town(core: ChatCore) -> str:
    return core.channel_by_name(core.team_by_name("eng").id, "town-square").id


def _mention_alice(core: ChatCore) -> list:
    _, session = core.login(login_id="frank", password="pw-frank")
    return core.create_post(session, channel_id=_town(core), message="@alice ping")[2]


# ---------------------------------------------------------------- fan-out (§7.8)
def test_two_devices_get_two_pushes_with_distinct_ack_ids(core: ChatCore) -> None:
    _, phone = core.login(login_id="alice", password="pw-alice", device_id="apple_rn-v2:aaaa")
    _, tablet = core.login(login_id="alice", password="pw-alice", device_id="android_rn-v2:bbbb:cc")
    core.login(login_id="alice", password="pw-alice")  # web session: no device, no push
    pushes = _mention_alice(core)
    assert [p.session_id for p in pushes] == [phone.id, tablet.id]
    notes = [p.notification for p in pushes]
    assert [(n["platform"], n["device_id"]) for n in notes] == [("apple_rn-v2", "aaaa"), ("android_rn-v2", "bbbb:cc")]
    assert notes[0]["ack_id"] != notes[1]["ack_id"] and all(is_valid_id(n["ack_id"]) for n in notes)
    assert all(n["signature"] == f"jwt({n['ack_id']},{n['device_id']})" for n in notes)
    assert all(n["server_id"] == core.diagnostic_id for n in notes)
    assert notes[0]["post_id"] == notes[1]["post_id"]


def test_session_without_device_gets_nothing(core: ChatCore) -> None:
    core.login(login_id="alice", password="pw-alice")
    assert _mention_alice(core) == []


def test_no_signer_means_empty_signature(clock: FakeClock) -> None:
    core = ChatCore(config=ChatConfig(), clock=clock, ids=IdFactory(random.Random(1)))
    team = core.create_team(name="eng", display_name="T")
    for name in ("frank", "alice"):
        core.add_team_member(team.id, core.create_user(username=name, password="pw").id)
    core.login(login_id="alice", password="pw", device_id="android_rn-v2:tok")
    _, frank = core.login(login_id="frank", password="pw")
    (push,) = core.create_post(frank, channel_id=_town(core), message="@alice")[2]
    assert push.notification["signature"] == ""


def test_removed_device_is_skipped_until_a_new_token(core: ChatCore) -> None:
    _, phone = core.login(login_id="alice", password="pw-alice", device_id="apple_rn-v2:dead")
    core.mark_device_removed(phone.id)
    removed = core.session(phone.id)
    assert removed is not None and removed.props["last_removed_device_id"] == "apple_rn-v2:dead"
    assert _mention_alice(core) == []
    core.attach_device(phone, "apple_rn-v2:fresh")
    assert [p.notification["device_id"] for p in _mention_alice(core)] == ["fresh"]


def test_mark_device_removed_ignores_revoked_sessions(core: ChatCore) -> None:
    _, phone = core.login(login_id="alice", password="pw-alice", device_id="apple_rn-v2:x")
    core.logout(phone)
    core.mark_device_removed(phone.id)
    assert core.session(phone.id) is None


def test_expired_mobile_session_gets_nothing(core: ChatCore, clock: FakeClock) -> None:
    _, phone = core.login(login_id="alice", password="pw-alice", device_id="apple_rn-v2:x")
    assert phone.expires_at == phone.create_at + 720 * 3_600_000
    clock.advance(720 * HOUR + 1)
    assert _mention_alice(core) == []
    with pytest.raises(AppError) as err:
        core.authenticate(phone.token)
    assert err.value.id == ErrorCode.SESSION_EXPIRED


def test_push_sent_to_a_new_login_is_not_sent_to_the_one_it_replaced(core: ChatCore) -> None:
    _, old = core.login(login_id="alice", password="pw-alice", device_id="android_rn-v2:same")
    _, new = core.login(login_id="alice", password="pw-alice", device_id="android_rn-v2:same")
    assert [p.session_id for p in _mention_alice(core)] == [new.id]
    with pytest.raises(AppError) as err:
        core.authenticate(old.token)
    assert err.value.status_code == 401
    assert core.authenticate(new.token) == new


def test_login_with_same_device_keeps_other_users_sessions(core: ChatCore) -> None:
    _, franks = core.login(login_id="frank", password="pw-frank", device_id="android_rn-v2:shared")
    core.login(login_id="alice", password="pw-alice", device_id="android_rn-v2:shared")
    assert core.authenticate(franks.token).id == franks.id


def test_attach_device_revokes_same_device_sessions_and_renews(core: ChatCore, clock: FakeClock) -> None:
    _, old = core.login(login_id="alice", password="pw-alice", device_id="apple_rn-v2:tok")
    _, web = core.login(login_id="alice", password="pw-alice")
    clock.advance(10)
    core.attach_device(web, "apple_rn-v2:tok")
    assert core.session(old.id) is None
    attached = core.session(web.id)
    assert attached is not None
    assert (attached.device_id, attached.expires_at) == ("apple_rn-v2:tok", int(clock() * 1000) + 720 * 3_600_000)


def test_attach_device_requires_a_device_id(core: ChatCore) -> None:
    _, web = core.login(login_id="alice", password="pw-alice")
    with pytest.raises(AppError) as err:
        core.attach_device(web, "")
    assert (err.value.id, err.value.status_code, err.value.message) == (
        "api.context.invalid_body_param.app_error", 400, "Invalid or missing device_id in request body.")


def test_logout_stops_pushes(core: ChatCore) -> None:
    _, phone = core.login(login_id="alice", password="pw-alice", device_id="apple_rn-v2:x")
    assert len(_mention_alice(core)) == 1
    core.logout(phone)
    assert _mention_alice(core) == []


def test_login_by_email_is_case_insensitive(core: ChatCore) -> None:
    user, session = core.login(login_id="ALICE@pushsim.test", password="pw-alice")
    assert (user.username, session.user_id, session.device_id) == ("alice", user.id, "")


# ---------------------------------------------------------------- statuses
def test_websocket_connection_count_drives_online_offline(core: ChatCore) -> None:
    alice = core.user_by_username("alice").id
    assert core.status_of(alice).status is Status.OFFLINE
    core.websocket_connected(alice)
    core.websocket_connected(alice)
    core.websocket_disconnected(alice)
    assert core.status_of(alice).status is Status.ONLINE
    core.websocket_disconnected(alice)
    assert core.status_of(alice).status is Status.OFFLINE


@pytest.mark.parametrize(("manual", "then", "expected"), [
    (Status.DND, Status.ONLINE, Status.DND),  # automatic changes never override a manual status
    (Status.AWAY, Status.OFFLINE, Status.AWAY),
    (Status.OOO, Status.ONLINE, Status.OOO),
])
def test_manual_status_survives_websocket_churn(core: ChatCore, manual: Status, then: Status,
                                                expected: Status) -> None:
    alice = core.user_by_username("alice").id
    core.set_status(alice, manual, manual=True)
    core.set_status(alice, then)
    core.websocket_connected(alice)
    core.websocket_disconnected(alice)
    assert core.status_of(alice).status is expected and core.status_of(alice).manual


def test_manual_online_clears_manual_flag(core: ChatCore, clock: FakeClock) -> None:
    alice = core.user_by_username("alice").id
    core.set_status(alice, Status.DND, manual=True)
    clock.advance(5)
    core.set_status(alice, Status.ONLINE, manual=True)
    record = core.status_of(alice)
    assert (record.status, record.manual, record.last_activity_at) == (Status.ONLINE, False, int(clock() * 1000))


def test_view_sets_active_channel_and_activity(core: ChatCore, clock: FakeClock) -> None:
    alice = core.user_by_username("alice").id
    core.set_active_channel(alice, _town(core))
    record = core.status_of(alice)
    assert (record.status, record.active_channel, record.last_activity_at) == (
        Status.ONLINE, _town(core), int(clock() * 1000))
    clock.advance(30)
    core.record_activity(alice)
    core.set_active_channel(alice, "")
    assert core.status_of(alice).active_channel == ""


# ---------------------------------------------------------------- errors (paired with the accepting case)
def test_duplicate_username_is_rejected(core: ChatCore) -> None:
    assert core.create_user(username="carol", password="x").username == "carol"
    with pytest.raises(AppError) as err:
        core.create_user(username="Carol", password="y")
    assert (err.value.id, err.value.status_code) == ("app.user.save.username_exists.app_error", 400)


@pytest.mark.parametrize(("login_id", "password"), [("alice", "wrong"), ("nobody", "pw-alice"), ("", "")])
def test_bad_login(core: ChatCore, login_id: str, password: str) -> None:
    with pytest.raises(AppError) as err:
        core.login(login_id=login_id, password=password)
    assert (err.value.id, err.value.message, err.value.status_code) == (
        "api.user.login.invalid_credentials_email_username",
        "Enter a valid email or username and/or password.", 401)


def test_non_member_cannot_post(core: ChatCore) -> None:
    outsider = core.create_user(username="mallory", password="pw")
    _, session = core.login(login_id="mallory", password="pw")
    with pytest.raises(AppError) as err:
        core.create_post(session, channel_id=_town(core), message="hi")
    assert (err.value.id, err.value.status_code) == ("api.context.permissions.app_error", 403)
    core.add_channel_member(_town(core), outsider.id)
    assert core.create_post(session, channel_id=_town(core), message="hi")[0].user_id == outsider.id


@pytest.mark.parametrize("token", ["", "not-a-token"])
def test_unknown_token_is_rejected(core: ChatCore, token: str) -> None:
    with pytest.raises(AppError) as err:
        core.authenticate(token)
    assert (err.value.message, err.value.status_code) == ("Invalid or expired session, please login again.", 401)


def test_unknown_user_is_404(core: ChatCore) -> None:
    assert core.user_by_username("ALICE").username == "alice"
    with pytest.raises(AppError) as err:
        core.user_by_username("nobody")
    assert (err.value.id, err.value.message, err.value.status_code) == (
        "app.user.missing_account.const", "Unable to find the user.", 404)


def test_reply_to_a_reply_is_rejected(core: ChatCore) -> None:
    _, session = core.login(login_id="frank", password="pw-frank")
    root = core.create_post(session, channel_id=_town(core), message="root")[0]
    reply = core.create_post(session, channel_id=_town(core), message="r", root_id=root.id)[0]
    with pytest.raises(AppError) as err:
        core.create_post(session, channel_id=_town(core), message="rr", root_id=reply.id)
    assert err.value.id == "api.post.create_post.root_id.app_error"


def test_app_error_body() -> None:
    err = AppError.of(ErrorCode.NO_PERMISSION, detailed_error="channel_id=c1")
    assert err.to_dict("req1") == {"id": "api.context.permissions.app_error",
                                   "message": "You do not have the appropriate permissions.",
                                   "detailed_error": "channel_id=c1", "request_id": "req1", "status_code": 403}


# ---------------------------------------------------------------- acks
def test_ack_is_recorded(core: ChatCore, clock: FakeClock) -> None:
    _, phone = core.login(login_id="alice", password="pw-alice", device_id="android_rn-v2:t")
    ack = {"id": "a1", "received_at": 1, "platform": "android", "type": "message", "post_id": "p"}
    assert core.ack_received(phone, ack) is None
    (record,) = core.acks
    assert (record.session_id, record.user_id, dict(record.ack), record.at) == (phone.id, phone.user_id, ack, clock())


@pytest.mark.parametrize("missing", ["id", "platform", "type"])
def test_ack_without_required_field_is_rejected(core: ChatCore, missing: str) -> None:
    _, phone = core.login(login_id="alice", password="pw-alice", device_id="android_rn-v2:t")
    ack = {"id": "a1", "platform": "ios", "type": "message"}
    ack[missing] = ""
    with pytest.raises(AppError) as err:
        core.ack_received(phone, ack)
    assert (err.value.id, err.value.status_code) == ("api.push_notifications_ack.message.parse.app_error", 400)
    assert core.acks == ()


def test_ack_when_push_is_disabled(clock: FakeClock) -> None:
    core = ChatCore(config=ChatConfig(send_push_notifications=False), clock=clock, ids=IdFactory(random.Random(1)))
    core.create_user(username="alice", password="pw")
    _, session = core.login(login_id="alice", password="pw")
    with pytest.raises(AppError) as err:
        core.ack_received(session, {"id": "a", "platform": "ios", "type": "message"})
    assert err.value.status_code == 501


@pytest.mark.parametrize(("licensed", "status"), [(True, None), (False, 302)])
def test_id_loaded_ack_returns_full_content_when_licensed(clock: FakeClock, licensed: bool,
                                                          status: int | None) -> None:
    core = ChatCore(config=ChatConfig(contents=ContentsMode.ID_LOADED, licensed=licensed), clock=clock,
                    ids=IdFactory(random.Random(5)))
    team = core.create_team(name="eng", display_name="T")
    for name in ("frank", "alice"):
        core.add_team_member(team.id, core.create_user(username=name, password="pw").id)
    _, frank = core.login(login_id="frank", password="pw")
    _, phone = core.login(login_id="alice", password="pw", device_id="apple_rn-v2:t")
    post = core.create_post(frank, channel_id=_town(core), message="@alice the secret")[0]
    ack = {"id": "a", "platform": "ios", "type": "message", "post_id": post.id, "is_id_loaded": True}
    if status is None:
        content = core.ack_received(phone, ack)
        assert content is not None
        assert (content["message"], content["channel_name"], content["sender_name"], content["post_id"]) == (
            "@frank: @alice the secret", "Town Square", "@frank", post.id)
    else:
        with pytest.raises(AppError) as err:
            core.ack_received(phone, ack)
        assert err.value.status_code == status


# ---------------------------------------------------------------- config, ids, ping
def test_client_config(core: ChatCore) -> None:
    assert core.client_config() == {"DiagnosticId": core.diagnostic_id, "AsymmetricSigningPublicKey": "MFkwEw==",
                                    "Version": "10.11.0", "SiteName": "pushsim", "SendPushNotifications": "true"}
    assert is_valid_id(core.diagnostic_id)


@pytest.mark.parametrize(("config", "sent"), [
    (ChatConfig(), True), (ChatConfig(send_push_notifications=False), False),
    (ChatConfig(push_server_url="https://us.push.mattermost.com"), False),
])
def test_test_push(clock: FakeClock, config: ChatConfig, sent: bool) -> None:
    core = ChatCore(config=config, clock=clock, ids=IdFactory(random.Random(1)))
    note = core.test_push("apple_rn-v2:abc")
    if sent:
        assert note is not None
        assert (note["type"], note["version"], note["badge"], note["ack_id"], note["signature"]) == (
            "test", "2", -1, "", "")
    else:
        assert note is None


def test_config_validates_plain_strings() -> None:
    config = ChatConfig(contents="generic", collapsed_threads="always_on")  # type: ignore[arg-type]
    assert (config.contents, config.collapsed_threads) == (ContentsMode.GENERIC, CollapsedThreads.ALWAYS_ON)
    with pytest.raises(ValueError):
        ChatConfig(contents="everything")  # type: ignore[arg-type]


@pytest.mark.parametrize(("config", "reason"), [
    (ChatConfig(), ""), (ChatConfig(send_push_notifications=False), SkipReason.PUSH_DISABLED),
    (ChatConfig(push_server_url="https://push.mattermost.com"), SkipReason.LICENSE_MISSING),
    (ChatConfig(push_server_url="https://push.mattermost.com", licensed=True), ""),
])
def test_push_blocked(config: ChatConfig, reason: str) -> None:
    assert config.push_blocked == reason


def test_ids_are_mattermost_shaped_and_seeded() -> None:
    first = [IdFactory(random.Random(9)).new_id() for _ in range(2)]
    factory = IdFactory(random.Random(9))
    many = [factory.new_id() for _ in range(500)]
    assert first[0] == first[1] == many[0]  # same seed, same ids
    assert len(set(many)) == 500
    assert all(len(i) == 26 and set(i) <= set(ALPHABET) for i in many)
    assert set(ALPHABET) <= set(string.ascii_lowercase + string.digits)


@pytest.mark.parametrize(("value", "valid"), [
    ("ybndrfg8ejkmcpqxot1uwisza3", True), ("ybndrfg8ejkmcpqxot1uwisza", False), ("Ybndrfg8ejkmcpqxot1uwisza3", False),
    ("lbndrfg8ejkmcpqxot1uwisza3", False),  # "l" is not in the alphabet
])
def test_is_valid_id(value: str, valid: bool) -> None:
    assert is_valid_id(value) is valid


def test_user_json_has_no_password(core: ChatCore) -> None:
    user: User = core.user_by_username("alice")
    body = core.user(user.id).to_api()
    props = body["notify_props"]
    assert "password" not in body and isinstance(props, dict)
    assert (body["username"], props["push"], props["push_status"]) == ("alice", "mention", "away")


def test_session_is_frozen(core: ChatCore) -> None:
    _, session = core.login(login_id="alice", password="pw-alice")
    with pytest.raises(AttributeError):
        session.device_id = "x"  # type: ignore[misc]
    assert isinstance(session, Session)


# ---------------------------------------------------------------- NotifySessionsExpired (§7.7)
def test_an_expired_mobile_session_gets_one_signed_session_push_once(core: ChatCore, clock: FakeClock) -> None:
    core.config = replace(core.config, session_length_mobile_hours=2)
    _, phone = core.login(login_id="alice", password="pw-alice", device_id="apple_rn-v2:aaaa")
    core.login(login_id="frank", password="pw-frank")  # a web session: nothing to tell
    assert notify_sessions_expired(core) == []  # still live
    clock.advance(2 * HOUR + 60)
    [push] = notify_sessions_expired(core)
    note = push.notification
    assert (push.session_id, note["type"], note["version"], note["device_id"]) == (phone.id, "session", "v2", "aaaa")
    assert note["message"] == ("Session Expired: Please log in to continue receiving notifications. Sessions for "
                               "pushsim are configured by your System Administrator to expire every 2 hour(s).")
    assert note["signature"] == f"jwt({note['ack_id']},aaaa)"
    assert notify_sessions_expired(core) == []  # ExpiredNotify: sent once


def test_a_session_that_expired_over_an_hour_ago_or_with_push_off_is_not_told(core: ChatCore,
                                                                               clock: FakeClock) -> None:
    core.config = replace(core.config, session_length_mobile_hours=1)
    core.login(login_id="alice", password="pw-alice", device_id="apple_rn-v2:aaaa")
    clock.advance(3 * HOUR)
    assert notify_sessions_expired(core) == []  # expired 2 h ago: outside the job's hour
    core.login(login_id="frank", password="pw-frank", device_id="android_rn-v2:ffff")
    clock.advance(HOUR + 1)
    core.config = replace(core.config, send_push_notifications=False)
    assert notify_sessions_expired(core) == []
