"""Every control from the keyboard (and the palette): what it changes in the world and on screen."""

from __future__ import annotations

from textual.widgets import OptionList

from fake_apns import Reason
from fake_devices import AppState, NotificationShown
from simulator import HopAttempted
from simulator.chat.models import ContentsMode, PushDecision
from simulator.proxy.config import Role
from simulator.tui import SimulatorApp
from simulator.tui.screens import ChoiceScreen

from .helpers import DEADLINE, choose, hop_where, running, world_screen

A = "account-a-iphone"


def app_state(app: SimulatorApp) -> AppState:
    """A's app state now (a call, so each assertion reads it afresh)."""
    assert app.controls is not None
    return app.controls.app_state


async def test_s_sends_a_dm_that_reaches_the_lock_screen_and_numbers_the_next() -> None:
    async with running(autoplay=False) as (app, pilot, sim):
        mark = sim.bus.mark()
        await pilot.press("s")
        first = await sim.bus.wait_for(NotificationShown, since=mark, timeout=DEADLINE)
        await pilot.press("s")
        second = await sim.bus.wait_for(NotificationShown, lambda e: e is not first, since=mark, timeout=DEADLINE)
        await app.settled()
        assert (first.notification.body, second.notification.body) == ("Hello", "Hello 2")
        phone = world_screen(app).phone.snapshot
        assert phone is not None and [n.body for n in phone.lock_screen] == ["Hello 2", "Hello"]
        posts = [h for h in app.timeline.hops if h.operation == "POST /api/v4/posts"]
        chains = [app.timeline.chain(h) for h in posts]
        assert len(posts) == 2 and 0 not in chains and chains[0] != chains[1]  # one notification each
        for post in posts:
            operations = {h.operation for h in app.timeline.correlated(post)}
            assert operations >= {"POST /api/v1/send_push", "POST /api/v1/ack"}


async def test_a_brings_the_app_to_the_front_so_no_push_is_sent_then_back() -> None:
    async with running(autoplay=False) as (app, pilot, sim):
        await pilot.press("a")
        await app.settled()
        assert app_state(app) is AppState.FOREGROUND
        assert world_screen(app).phone.snapshot.state is AppState.FOREGROUND  # type: ignore[union-attr]
        mark = sim.bus.mark()
        await pilot.press("s")
        post = await sim.bus.wait_for(HopAttempted, hop_where("account-b", "chat", "POST /api/v4/posts"),
                                      since=mark, timeout=DEADLINE)
        decision = await sim.bus.wait_for(PushDecision, lambda d: d.username == "accounta", since=mark,
                                          timeout=DEADLINE)
        assert post.ok and (decision.send, decision.reason) == (False, "user_is_active")
        await pilot.press("a")
        await app.settled()
        assert app_state(app) is AppState.BACKGROUND


async def test_z_sleeps_and_wakes_the_phone_or_kills_and_reopens_the_app() -> None:
    async with running(autoplay=False) as (app, pilot, _sim):
        controls = app.controls
        assert controls is not None
        await pilot.press("z")
        await app.settled()
        if controls.sleep_support():  # this phone build cannot sleep: kill / reopen, and say so
            assert controls.app_state is AppState.KILLED
            assert any("no sleep/wake" in n.message for n in app.told)
        else:
            assert controls.asleep
        await pilot.press("z")
        await app.settled()
        assert controls.app_state is AppState.FOREGROUND if controls.sleep_support() else not controls.asleep


async def test_u_uninstalls_so_apns_answers_unregistered_a_is_refused_and_u_reinstalls() -> None:
    async with running(autoplay=False) as (app, pilot, sim):
        old = sim.fleet.phones[A].app().token
        await pilot.press("u")
        await app.settled()
        assert app_state(app) is AppState.NOT_INSTALLED
        mark = sim.bus.mark()
        await pilot.press("s")
        rejected = await sim.bus.wait_for(HopAttempted, hop_where("proxy", "apns", "POST /3/device/"), since=mark,
                                          timeout=DEADLINE)
        assert not rejected.ok and rejected.outcome.startswith("410") and "Unregistered" in rejected.outcome
        await pilot.press("a")  # no app to bring to the front: refused, with the reason
        await app.settled()
        assert app_state(app) is AppState.NOT_INSTALLED
        refused = [n for n in app.told if "not done" in (n.title or "")]
        assert refused and "reinstall and sign in first" in refused[-1].message and refused[-1].severity == "error"
        await pilot.press("u")
        await app.settled()
        assert app_state(app) is AppState.FOREGROUND and sim.fleet.phones[A].app().token not in ("", old)
        await app.settled()
        screen = world_screen(app)
        row = next(i for i, h in enumerate(screen.swimlane.hops) if h is rejected)
        assert screen.swimlane.row_cells(row)["status"] == "410"


async def test_p_turns_pushes_off_and_back_on() -> None:
    async with running(autoplay=False) as (app, pilot, sim):
        await choose(app, pilot, "p", "off")
        await app.settled()
        mark = sim.bus.mark()
        await pilot.press("s")
        off = await sim.bus.wait_for(PushDecision, lambda d: d.username == "accounta", since=mark, timeout=DEADLINE)
        assert (off.send, off.reason) == (False, "push_disabled")
        await choose(app, pilot, "p", "HPNS")
        await app.settled()
        assert app.generation == 1 and app.controls is not None and app.controls.push_server.value == "HPNS"
        mark = sim.bus.mark()
        await pilot.press("s")
        shown = await sim.bus.wait_for(NotificationShown, since=mark, timeout=DEADLINE)
        assert shown.notification.body == "Hello 2"


async def test_p_tpns_and_eas_start_new_worlds_and_hpns_comes_back() -> None:
    async with running(autoplay=False) as (app, pilot, _old):
        await choose(app, pilot, "p", "TPNS")
        sim = await app.world_ready()
        await app.settled()
        assert app.generation == 2 and sim.config.role is Role.TPNS and sim.proxy.url.startswith("http://")
        mark = sim.bus.mark()
        await pilot.press("s")
        plain = await sim.bus.wait_for(HopAttempted, hop_where("chat", "proxy", "POST /api/v1/send_push"),
                                       since=mark, timeout=DEADLINE)
        await sim.bus.wait_for(NotificationShown, since=mark, timeout=DEADLINE)
        await app.settled()
        screen = world_screen(app)
        assert not plain.encrypted and screen.swimlane.row_cells(screen.swimlane.hops.index(plain))["sec"] == "PLAIN"
        assert screen.swimlane.labels[2] == "TPNS" and app.status().secure is False
        inspector = screen.world_layout.inspector  # type: ignore[union-attr]
        assert inspector.dissect(plain).readers.verdict.startswith("UNENCRYPTED")

        await choose(app, pilot, "p", "EAS")
        sim = await app.world_ready()
        mark = sim.bus.mark()
        await pilot.press("s")
        shown = await sim.bus.wait_for(NotificationShown, since=mark, timeout=DEADLINE)
        assert app.generation == 3 and sim.config.role is Role.EAS and shown.notification.app == "Acme Chat"
        push = await sim.bus.wait_for(HopAttempted, hop_where("proxy", "apns", "POST /3/device/"), since=mark,
                                      timeout=DEADLINE)
        assert push.wire_field("apns-topic") == "com.example.acmechat"
        assert "ACMEKEY001" in (push.wire_field("authorization") or "")

        await choose(app, pilot, "p", "HPNS")
        sim = await app.world_ready()
        await app.settled()
        assert app.generation == 4 and sim.config.role is Role.HPNS and sim.config.ios_bundle_id == "com.mattermost.rn"
        assert world_screen(app).swimlane.labels[2] == "HPNS" and app.timeline.hops  # the new world's own hops


async def test_m_generic_keeps_the_text_out_of_the_push() -> None:
    async with running(autoplay=False) as (app, pilot, sim):
        await choose(app, pilot, "m", ContentsMode.GENERIC.value)
        await app.settled()
        assert sim.chat_core.config.contents is ContentsMode.GENERIC
        mark = sim.bus.mark()
        await pilot.press("s")
        shown = await sim.bus.wait_for(NotificationShown, since=mark, timeout=DEADLINE)
        assert "Hello" not in shown.notification.body and "sent you a message" in shown.notification.body
        push = await sim.bus.wait_for(HopAttempted, hop_where("chat", "proxy", "POST /api/v1/send_push"),
                                      since=mark, timeout=DEADLINE)
        await app.settled()
        readers = world_screen(app).world_layout.inspector.dissect(push).readers  # type: ignore[union-attr]
        assert not readers.exposed and "contents mode" in readers.verdict
        assert app.base_config.contents is ContentsMode.GENERIC  # kept for the next world


async def test_f_injects_an_apns_fault_on_the_next_push_only_and_lists_hops_it_cannot_fault() -> None:
    async with running(autoplay=False) as (app, pilot, sim):
        await pilot.press("f")
        await pilot.pause()
        chooser = app.screen
        assert isinstance(chooser, ChoiceScreen)
        unavailable = {c.key: c.unavailable for c in chooser.choices if c.unavailable}
        assert set(unavailable) == {"hop:chat → proxy", "hop:proxy → FCM"} and all(unavailable.values())
        options = chooser.query_one(OptionList)
        assert all(options.get_option(key).disabled for key in unavailable)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ChoiceScreen) and sim.faults.pending == ()
        await choose(app, pilot, "f", Reason.TOO_MANY_REQUESTS.value)
        await app.settled()
        assert app.status().faults == 1
        mark = sim.bus.mark()
        await pilot.press("s")
        failed = await sim.bus.wait_for(HopAttempted, hop_where("proxy", "apns", "POST /3/device/"), since=mark,
                                        timeout=DEADLINE)
        assert not failed.ok and failed.outcome.startswith("429")
        await app.settled()
        assert app.status().faults == 0
        mark = sim.bus.mark()
        await pilot.press("s")
        assert (await sim.bus.wait_for(NotificationShown, since=mark, timeout=DEADLINE)).notification.body == "Hello 2"


async def test_c_clears_hops_log_and_faults() -> None:
    async with running() as (app, pilot, sim):
        await sim.bus.wait_for(NotificationShown, lambda e: e.notification.body == "Hello", timeout=DEADLINE)
        await app.settled()
        app.controls.inject_fault(Reason.UNREGISTERED)  # type: ignore[union-attr]
        assert world_screen(app).swimlane.row_count > 0 and world_screen(app).server_log.lines
        await pilot.press("c")
        await app.settled()
        screen = world_screen(app)
        assert screen.swimlane.row_count == 0 and app.timeline.hops == [] and screen.server_log.lines == []
        assert sim.faults.pending == () and screen.detail.dissection is None


async def test_l_shows_the_docs_debug_line_only_at_debug() -> None:
    async with running() as (app, pilot, sim):
        await sim.bus.wait_for(NotificationShown, lambda e: e.notification.body == "Hello", timeout=DEADLINE)
        await app.settled()
        log = world_screen(app).server_log
        debug = [line for line in log.lines if line.message.startswith("Sending push notification to ")]
        assert debug and log.level == "INFO" and not any(line in log.shown for line in debug)
        levels = []
        for _ in range(4):
            await pilot.press("l")
            await pilot.pause()
            levels.append(log.level)
        assert levels == ["WARN", "ERROR", "DEBUG", "INFO"]
        await pilot.press("l", "l", "l")
        await pilot.pause()
        assert log.level == "DEBUG" and all(line in log.shown for line in debug)
        assert world_screen(app).query_one("#tabs").active == "log-tab"  # type: ignore[attr-defined]


async def test_the_command_palette_runs_a_control_by_name() -> None:
    async with running(autoplay=False) as (app, pilot, sim):
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Push server: off")
        await pilot.pause()
        await pilot.press("enter")
        await app.settled()
        assert app.controls is not None and app.controls.push_server.value == "off"
        assert not sim.chat_core.config.send_push_notifications
