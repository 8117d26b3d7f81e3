"""The phone adapter over an in-memory ServerLink: what it asks the server, in which order, and what
the user ends up seeing. No sockets; fake sleep, fake clock."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from typing import Any

import pytest

from fake_devices import (MATTERMOST_ANDROID, MATTERMOST_IOS, Action, AlertShown, AppState, AppStateChanged,
                          CertificateInvalid, ConnectFailed, DeviceError, Fleet, ForbiddenTransition, Meter,
                          NetworkProfile, Part, Permission, Platform, PowerState, ServerConnected, ServerRefused,
                          TrustStore, UnknownToken, Unreachable, enterprise_build)
from fake_devices.servers import CANNOT_RECEIVE, INVALID_SSL_TITLE
from simulator.clock import FakeClock
from simulator.signing import es256_jwt, new_p256_key, spki_b64

KEY = new_p256_key()
URL = "https://chat.test"


class FakeLink:
    """A ServerLink that records calls and answers from a script."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail: dict[str, list[Exception]] = {}
        self.ping_answer: dict[str, Any] = {"status": "OK"}
        self.ack_answer: Mapping[str, Any] | None = {"status": "OK"}
        self.closed = 0
        self.network: NetworkProfile | None = None

    def _record(self, name: str, **kw: Any) -> None:
        self.calls.append((name, kw))
        if self.fail.get(name):
            raise self.fail[name].pop(0)

    def names(self) -> list[str]:
        return [n for n, _ in self.calls]

    async def ping(self, *, server_url: str, device_id: str = "", timeout: float = 5.0) -> Mapping[str, Any]:
        self._record("ping", server_url=server_url, device_id=device_id)
        return self.ping_answer

    async def client_config(self, *, server_url: str) -> Mapping[str, Any]:
        self._record("client_config", server_url=server_url)
        return {"DiagnosticId": "diag1", "AsymmetricSigningPublicKey": spki_b64(KEY), "Version": "10.11.0"}

    async def login(self, *, server_url: str, login_id: str, password: str, device_id: str) -> str:
        self._record("login", server_url=server_url, device_id=device_id)
        return "session-token"

    async def open_websocket(self, *, server_url: str, token: str) -> Any:
        self._record("open_websocket", server_url=server_url)
        link = self

        class Socket:
            async def close(self) -> None:
                link.closed += 1
        return Socket()

    async def attach_device(self, **kw: Any) -> None:
        self._record("attach_device", **kw)

    async def view_channel(self, *, server_url: str, token: str, channel_id: str) -> None:
        self._record("view_channel", channel_id=channel_id)

    async def channel_posts(self, *, server_url: str, token: str, channel_id: str, since: int = 0,
                            per_page: int = 60) -> Mapping[str, Any]:
        self._record("channel_posts", channel_id=channel_id, since=since)
        posts = {} if since else {f"p{i}": {"id": f"p{i}", "create_at": 1000 + i} for i in range(3)}
        return {"order": list(posts), "posts": posts}

    async def me(self, *, server_url: str, token: str) -> Mapping[str, Any]:
        self._record("me")
        return {"id": "u1"}

    async def ack(self, *, server_url: str, token: str, ack: Mapping[str, Any]) -> Mapping[str, Any] | None:
        self._record("ack", ack=dict(ack))
        return self.ack_answer

    async def logout(self, *, server_url: str, token: str) -> None:
        self._record("logout")

    def configure(self, *, network: NetworkProfile | None, trust: TrustStore, platform: Platform) -> None:
        self.calls.append(("configure", {"network": network, "trust": trust}))
        self.network = network

    def forget_connections(self) -> None:
        pass

    def use_meter(self, meter: Any) -> None:
        pass


class Registrar:
    def __init__(self) -> None:
        self.issued: list[dict[str, Any]] = []
        self.revoked: list[str] = []

    def register(self, **kw: Any) -> str:
        self.issued.append(kw)
        return f"tok{len(self.issued)}"

    def unregister(self, token: str) -> None:
        self.revoked.append(token)


class World:
    def __init__(self) -> None:
        self.events: list[object] = []
        self.tasks: list[asyncio.Task[Any]] = []
        self.slept: list[float] = []
        self.links: dict[str, FakeLink] = {}
        self.ios, self.android = Registrar(), Registrar()
        self.clock = FakeClock()
        self.fleet = Fleet(seed=3, clock=self.clock, publish=self.events.append,
                           registrar={Platform.IOS: self.ios, Platform.ANDROID: self.android},
                           links=self._link, spawn=self._spawn, sleep=self._sleep)

    def _link(self, name: str) -> FakeLink:
        return self.links.setdefault(name, FakeLink())

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> object:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.append(task)
        return task

    async def _sleep(self, seconds: float) -> None:
        self.slept.append(seconds)

    async def settle(self) -> None:
        while any(not t.done() for t in self.tasks):
            await asyncio.gather(*self.tasks)
        for task in self.tasks:
            assert task.exception() is None

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


def signed(token: str, ack_id: str = "a1") -> str:
    return es256_jwt(KEY, {"ack_id": ack_id, "device_id": token})


def ios_message(token: str, **extra: Any) -> dict[str, Any]:
    return {"aps": {"alert": {"title": "@b", "body": "hi"}, "mutable-content": 1, "content-available": 1, "badge": 3,
                    "thread-id": "c1"}, "type": "message", "ack_id": "a1", "post_id": "p1", "channel_id": "c1",
            "server_id": "diag1", "signature": signed(token), **extra}


def android_message(token: str, **extra: str) -> dict[str, str]:
    return {"ack_id": "a1", "type": "message", "sub_type": "", "version": "v2", "channel_id": "c1",
            "is_crt_enabled": "false", "server_id": "diag1", "category": "CAN_REPLY", "signature": signed(token),
            "badge": "2", "sender_name": "@b", "channel_name": "@b", "message": "hi", "post_id": "p1", **extra}


@pytest.fixture
def world() -> World:
    return World()


async def logged_in(world: World, model: str = "iPhone 6s Plus", **kw: Any) -> Any:
    phone = world.fleet.add_phone("a", model=model)
    phone.install(MATTERMOST_ANDROID if phone.platform is Platform.ANDROID else MATTERMOST_IOS)
    await phone.log_in(URL, "a", "pw", **kw)
    return phone


async def test_log_in_adds_the_server_then_logs_in_and_attaches_the_device(world: World) -> None:
    phone = await logged_in(world)
    link = world.links["a"]
    assert link.names() == ["ping", "client_config", "login", "open_websocket", "attach_device"]
    assert link.calls[0][1] == {"server_url": URL, "device_id": "apple_rn-v2:tok1"}
    assert link.calls[2][1]["device_id"] == "apple_rn-v2:tok1"
    assert link.calls[4][1] == {"server_url": URL, "token": "session-token", "device_id": "apple_rn-v2:tok1",
                                "notifications_disabled": False, "mobile_version": "2.42.3"}
    inst = phone.app()
    assert (inst.state, inst.permission, inst.server.diagnostic_id) == (AppState.FOREGROUND, Permission.GRANTED, "diag1")
    assert world.of(ServerConnected)[0].can_receive_notifications == ""


async def test_a_declined_prompt_tells_the_server_notifications_are_off(world: World) -> None:
    phone = world.fleet.add_phone("a")
    phone.install(MATTERMOST_IOS, permission=Permission.NOT_ASKED)
    await phone.log_in(URL, "a", "pw", allow_notifications=False)
    assert phone.app().permission is Permission.DENIED
    assert world.links["a"].calls[-1][1]["notifications_disabled"] is True


async def test_a_server_that_cannot_push_raises_the_alert_but_still_connects(world: World) -> None:
    world._link("a").ping_answer = {"status": "OK", "CanReceiveNotifications": "false"}
    phone = await logged_in(world)
    assert phone.alerts == [CANNOT_RECEIVE] and phone.app().state is AppState.FOREGROUND
    assert world.of(AlertShown)[0].alert == CANNOT_RECEIVE


async def test_an_untrusted_certificate_stops_the_login_with_the_apps_alert(world: World) -> None:
    world._link("a").fail["ping"] = [CertificateInvalid("bad", host="chat.test")]
    phone = world.fleet.add_phone("a")
    phone.install(MATTERMOST_IOS)
    with pytest.raises(ConnectFailed) as info:
        await phone.log_in(URL, "a", "pw")
    assert info.value.alert.title == INVALID_SSL_TITLE and "“chat.test”" in info.value.alert.body
    assert phone.app().state is AppState.LOGGED_OUT and world.links["a"].names() == ["ping"]


async def test_an_http_url_is_tried_as_https_first(world: World) -> None:
    world._link("a").fail["ping"] = [Unreachable("refused")]
    phone = world.fleet.add_phone("a")
    phone.install(MATTERMOST_IOS)
    info = await phone.connect("http://chat.test")
    pings = [kw["server_url"] for name, kw in world.links["a"].calls if name == "ping"]
    assert pings == ["https://chat.test", "http://chat.test"] and info.url == "http://chat.test"


async def test_background_drops_the_socket_and_foreground_reattaches_and_refreshes(world: World) -> None:
    phone = await logged_in(world)
    await phone.open_channel("c1")
    link = world.links["a"]
    mark = len(link.calls)
    await phone.to_background()
    assert link.names()[mark:] == ["view_channel"] and link.calls[mark][1] == {"channel_id": ""} and link.closed == 1
    await phone.to_foreground()
    assert link.names()[mark + 1:] == ["open_websocket", "attach_device", "view_channel", "channel_posts"]
    assert link.calls[-1][1] == {"channel_id": "c1", "since": 1002}
    assert phone.app().channel_on_screen == "c1"


async def test_a_fresh_start_checks_the_server_and_loads_the_last_channel(world: World) -> None:
    phone = await logged_in(world)
    await phone.open_channel("c1")
    await phone.kill()
    mark = len(world.links["a"].calls)
    await phone.to_foreground()
    assert world.links["a"].names()[mark:] == ["client_config", "me", "open_websocket", "attach_device",
                                               "view_channel", "channel_posts"]


async def test_opening_a_channel_needs_the_app_in_front(world: World) -> None:
    phone = await logged_in(world)
    await phone.to_background()
    with pytest.raises(ForbiddenTransition, match="cannot open a channel while the app is background"):
        await phone.open_channel("c1")


async def test_uninstall_kills_the_token_and_a_reinstall_gets_a_new_one(world: World) -> None:
    phone = await logged_in(world)
    await phone.uninstall()
    assert world.ios.revoked == ["tok1"] and phone.app().token == ""
    with pytest.raises(UnknownToken):
        world.fleet.owner_of("tok1")
    phone.install(MATTERMOST_IOS)
    await phone.log_in(URL, "a", "pw")
    logins = [kw["device_id"] for name, kw in world.links["a"].calls if name == "login"]
    attaches = [kw["device_id"] for name, kw in world.links["a"].calls if name == "attach_device"]
    assert logins == attaches == ["apple_rn-v2:tok1", "apple_rn-v2:tok2"]
    assert world.fleet.owner_of("tok2") is phone


async def test_a_push_is_shown_acked_and_badged(world: World) -> None:
    phone = await logged_in(world)
    await phone.to_background()
    reception = world.fleet.deliver("tok1", ios_message("tok1"))
    await world.settle()
    assert reception.outcome == "shown" and phone.badge == 3
    assert [n.body for n in phone.notification_centre] == ["hi"]
    assert world.links["a"].calls[-1][0] == "ack" and world.links["a"].calls[-1][1]["ack"]["id"] == "a1"
    assert phone.lock_screen() == ["00:00 [Mattermost] @b — hi"]


async def test_a_failed_ack_is_the_apps_problem_not_the_worlds(world: World) -> None:
    phone = await logged_in(world)
    await phone.to_background()
    world.links["a"].fail["ack"] = [ServerRefused("500", status=500)]
    world.fleet.deliver("tok1", ios_message("tok1"))
    await world.settle()  # asserts no task raised
    assert len(phone.notification_centre) == 1


async def test_a_session_push_in_front_logs_the_app_out(world: World) -> None:
    phone = await logged_in(world)
    push = {"aps": {"alert": "Session Expired", "mutable-content": 1}, "type": "session", "ack_id": "a1",
            "server_id": "diag1", "signature": signed("tok1")}
    assert world.fleet.deliver("tok1", push).log_out
    await world.settle()
    assert phone.app().state is AppState.LOGGED_OUT and phone.app().session_token == ""
    assert world.of(AppStateChanged)[-1].action is Action.LOG_OUT and world.links["a"].closed == 1


async def test_ios_id_loaded_ack_retries_on_network_errors_then_shows_the_content(world: World) -> None:
    phone = await logged_in(world)
    await phone.to_background()
    link = world.links["a"]
    link.fail["ack"] = [Unreachable("down"), Unreachable("down")]
    link.ack_answer = {"message": "the real text", "channel_name": "@b"}
    push = ios_message("tok1", id_loaded=True)
    push["aps"]["alert"] = {"body": "You've received a new message."}
    assert world.fleet.deliver("tok1", push).fetch
    await world.settle()
    assert world.slept == [1.0, 2.0] and link.names().count("ack") == 3
    assert [(n.title, n.body) for n in phone.notification_centre] == [("@b", "the real text")]


async def test_ios_id_loaded_gives_up_after_five_retries_and_keeps_the_generic_text(world: World) -> None:
    phone = await logged_in(world)
    await phone.to_background()
    world.links["a"].fail["ack"] = [Unreachable("down")] * 6
    push = ios_message("tok1", id_loaded=True)
    push["aps"]["alert"] = {"body": "You've received a new message."}
    world.fleet.deliver("tok1", push)
    await world.settle()
    assert world.slept == [1.0, 2.0, 3.0, 5.0, 8.0]
    assert [n.body for n in phone.notification_centre] == ["You've received a new message."]


async def test_a_server_error_on_the_id_loaded_ack_is_not_retried(world: World) -> None:
    phone = await logged_in(world)
    await phone.to_background()
    world.links["a"].fail["ack"] = [ServerRefused("302", status=302)]
    push = ios_message("tok1", id_loaded=True)
    world.fleet.deliver("tok1", push)
    await world.settle()
    assert world.slept == [] and len(phone.notification_centre) == 1


async def test_android_id_loaded_acks_once_without_retry(world: World) -> None:
    phone = await logged_in(world, "Samsung Galaxy S6")
    await phone.to_background()
    world.links["a"].fail["ack"] = [Unreachable("down")]
    data = android_message("tok1", id_loaded="true", message="You've received a new message.", sender_name="Someone",
                           channel_name="")
    world.fleet.deliver("tok1", data)
    await world.settle()
    assert world.slept == [] and [(n.title, n.body) for n in phone.notification_centre] == \
        [("Someone", "You've received a new message.")]


async def test_android_registers_with_its_project_and_replaces_a_repeated_post(world: World) -> None:
    phone = await logged_in(world, "Samsung Galaxy S6")
    assert world.android.issued == [{"topic": "com.mattermost.rn", "sandbox": False, "phone": "a",
                                     "project": "mattermost-rn"}]
    await phone.to_background()
    world.fleet.deliver("tok1", android_message("tok1"))
    world.fleet.deliver("tok1", android_message("tok1", message="hi again"))
    assert [n.body for n in phone.notification_centre] == ["hi again"] and phone.badge == 0
    clear = {"ack_id": "a2", "type": "clear", "channel_id": "c1", "server_id": "diag1", "signature": signed("tok1", "a2"),
             "is_crt_enabled": "false"}
    world.fleet.deliver("tok1", clear)
    await world.settle()
    assert phone.notification_centre == []


async def test_sleep_backgrounds_the_app_and_doze_is_android_only(world: World) -> None:
    iphone = await logged_in(world)
    await iphone.sleep()
    assert (iphone.power, iphone.app().state) == (PowerState.ASLEEP, AppState.BACKGROUND)
    with pytest.raises(ForbiddenTransition, match="no Doze"):
        iphone.doze()
    iphone.wake()
    galaxy = world.fleet.add_phone("g", model="Samsung Galaxy S6")
    await galaxy.sleep()
    galaxy.doze()
    assert galaxy.power is PowerState.DOZE


async def test_builds_must_match_the_phone_and_the_world_must_have_a_push_service(world: World) -> None:
    galaxy = world.fleet.add_phone("g", model="Samsung Galaxy S6")
    with pytest.raises(DeviceError, match="cannot be installed on Samsung Galaxy S6"):
        galaxy.install(MATTERMOST_IOS)
    ios_only = Fleet(seed=1, clock=world.clock, publish=world.events.append, registrar=world.ios, links=world._link,
                     spawn=world._spawn)
    with pytest.raises(DeviceError, match="registrar serves iOS only"):
        ios_only.add_phone("x", model="Pixel 7").install(MATTERMOST_ANDROID)


async def test_an_enterprise_build_uses_its_own_bundle_and_prefix(world: World) -> None:
    phone = world.fleet.add_phone("a")
    build = enterprise_build(name="Acme Chat", bundle_id="com.acme.chat", platform=Platform.IOS,
                             device_prefix="acme_ios")
    phone.install(build)
    await phone.log_in(URL, "a", "pw")
    assert world.ios.issued[-1] == {"topic": "com.acme.chat", "sandbox": False}
    assert world.links["a"].calls[2][1]["device_id"] == "acme_ios-v2:tok1"


async def test_log_out_survives_a_server_that_cannot_be_told(world: World) -> None:
    phone = await logged_in(world)
    world.links["a"].fail["logout"] = [Unreachable("down")]
    await phone.log_out()
    assert phone.app().state is AppState.LOGGED_OUT and phone.app().server is None


async def test_app_work_is_charged_by_the_models_speed(world: World) -> None:
    fast, slow = world.fleet.add_phone("fast", model="iPhone 13"), world.fleet.add_phone("slow", model="iPhone 5s")
    meters = []
    for phone in (fast, slow):
        phone.install(MATTERMOST_IOS)
        await phone.log_in(URL, "a", "pw")
        await phone.kill()
        meter = Meter()
        phone.attach_meter(meter)
        await phone.to_foreground()
        meters.append(meter.total(Part.APP))
    assert meters[0] == pytest.approx(2.0 * 0.35) and meters[1] == pytest.approx(2.0 * 1.6)


async def test_a_network_change_reconfigures_the_link(world: World) -> None:
    lte = NetworkProfile(name="x", latency_ms=1, down_mbps=1, up_mbps=1)
    phone = world.fleet.add_phone("a", network=lte)
    phone.set_network(None)
    assert [kw["network"] for name, kw in world.links["a"].calls if name == "configure"] == [lte, None]


async def test_doze_holds_normal_priority_messages_until_the_phone_wakes(world: World) -> None:
    phone = await logged_in(world, "Samsung Galaxy S6")
    await phone.sleep()
    phone.doze()
    held = world.fleet.deliver("tok1", android_message("tok1"), priority="normal")
    urgent = world.fleet.deliver("tok1", android_message("tok1", post_id="p2", message="now"), priority="high")
    assert held.deferred and urgent.outcome == "shown"
    assert [n.body for n in phone.notification_centre] == ["now"]
    phone.wake()
    await world.settle()
    assert [n.body for n in phone.notification_centre] == ["now", "hi"]


async def test_going_to_the_background_offline_still_backgrounds(world: World) -> None:
    phone = await logged_in(world)
    world.links["a"].fail["view_channel"] = [Unreachable("no network")]
    await phone.to_background()
    assert phone.app().state is AppState.BACKGROUND and world.links["a"].closed == 1
