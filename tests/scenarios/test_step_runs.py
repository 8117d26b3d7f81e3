"""The new step kinds against a live world: each check that holds, and what each says when it does not.

Every step of a staged scenario runs in order like the runner runs it (actions move ``since``),
but a failing expectation is recorded instead of ending the story, so one world checks many.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from fake_devices import Permission, PowerState
from scenarios import StepFailed, StepStatus, World, loads, run_scenario
from simulator import HopAttempted, SimConfig, Simulator
from simulator.proxy import Role

CAST = ('[scenario]\ndescription = "staged"\n[[users]]\nusername = "a"\n[[users]]\nusername = "b"\n'
        '[[phones]]\nname = "iphone"\n[[phones]]\nname = "pixel"\nplatform = "android"\n')
BOTH_IN_BACKGROUND = ['do = "install"\nphone = "iphone"', 'do = "install"\nphone = "pixel"',
                      'do = "log_in"\nphone = "iphone"\nuser = "a"', 'do = "log_in"\nphone = "pixel"\nuser = "a"',
                      'do = "background"\nphone = "iphone"', 'do = "background"\nphone = "pixel"']
DM = 'do = "send_dm"\nfrom = "b"\nto = "a"\nmessage = "Hello"\nas = "hello"'


async def play(sim: Simulator, *steps: str, world: str = "") -> tuple[World, list[str]]:
    """Run every step; an expectation that does not hold gives ``FAIL: <its message>``."""
    scenario = loads(CAST.replace("[[users]]", world + "[[users]]", 1) +
                     "".join(f"[[steps]]\n{s}\n" for s in steps), Path("staged.toml"))
    staged = World(sim, scenario)
    await staged.cast()
    out = []
    for step in scenario.steps:
        if not step.expectation:
            staged.since = sim.bus.mark()
        try:
            out.append(await step.handler.run(staged))
        except StepFailed as exc:
            out.append(f"FAIL: {exc}")
    await staged.settle()  # as the runner does: nothing may still run when the world closes
    return staged, out


async def test_notification_app_verified_counts_and_hop_counts(pushsim_world: Simulator) -> None:
    _, out = await play(pushsim_world, *BOTH_IN_BACKGROUND, DM,
                        'expect = "notification"\nphone = "pixel"\napp = "Mattermost"\nverified = true\npost = "hello"',
                        'expect = "notification"\nphone = "iphone"\nverified = false\nwithin = 0.2',
                        'expect = "notification"\nphone = "iphone"\napp = "Acme Chat"\nwithin = 0.2',
                        'expect = "notification_count"\nphone = "iphone"\ncount = 1',
                        'expect = "notification_count"\nphone = "iphone"\ncount = 2',
                        'expect = "hop"\nfrom = "chat"\nto = "proxy"\noperation = "send_push"\ncount = 2',
                        'expect = "hop"\nfrom = "chat"\nto = "proxy"\noperation = "send_push"\ncount = 3',
                        'expect = "hop"\nfrom = "proxy"\nto = "fcm"\nok = true\ncount = 1')
    assert out[7:] == [
        "@b — Hello",
        "FAIL: no such notification on iphone within 0.2s (shown instead: '@b' — 'Hello')",
        "FAIL: no such notification on iphone within 0.2s (shown instead: '@b' — 'Hello')",
        "1 shown", "FAIL: iphone showed 1 notification(s), not 2",
        "2 hop(s)", "FAIL: 2 matching hop(s) chat → proxy, not 3", "1 hop(s)"]


async def test_a_clear_from_reading_elsewhere_and_what_cleared_says_otherwise(pushsim_world: Simulator) -> None:
    _, out = await play(pushsim_world, *BOTH_IN_BACKGROUND, DM,
                        'expect = "notification"\nphone = "iphone"\npost = "hello"',
                        'expect = "cleared"\nphone = "iphone"\nwithin = 0.2',
                        'do = "foreground"\nphone = "pixel"', 'do = "read_channel"\nphone = "pixel"\npost = "hello"',
                        'expect = "cleared"\nphone = "iphone"\npost = "hello"\nremoved = 1',
                        'expect = "cleared"\nphone = "iphone"\nremoved = 3\nwithin = 0.2',
                        'expect = "cleared"\nphone = "pixel"\nwithin = 0.2')
    assert out[8].startswith("FAIL: no such clear on iphone within 0.2s (no push decision or failed hop")
    assert out[11] == "1 removed"
    assert out[12].startswith("FAIL: no such clear on iphone within 0.2s (clears seen: 1 removed in channel ")
    assert out[13].startswith("FAIL: no such clear on pixel within 0.2s (")  # the viewing device gets no clear


async def test_stored_and_expired_on_apns_and_fcm(pushsim_world: Simulator) -> None:
    # Sessions outlive the jump (the 30-day default would end them and send a Session Expired push).
    pushsim_world.chat_core.config = replace(pushsim_world.chat_core.config, session_length_mobile_hours=2000)
    _, out = await play(pushsim_world, *BOTH_IN_BACKGROUND,
                        'expect = "stored"\nphone = "iphone"\nwithin = 0.2',
                        'do = "set_network"\nphone = "iphone"\nnetwork = "offline"',
                        'do = "set_network"\nphone = "pixel"\nnetwork = "offline"', DM,
                        'expect = "stored"\nphone = "iphone"', 'expect = "stored"\nphone = "pixel"',
                        'expect = "expired"\nphone = "iphone"\nwithin = 0.2',
                        'do = "advance_clock"\nhours = 745',
                        'expect = "expired"\nphone = "iphone"', 'expect = "expired"\nphone = "pixel"',
                        'do = "set_network"\nphone = "iphone"\nnetwork = "loopback"',
                        'expect = "no_notification"\nphone = "iphone"')
    assert out[6].startswith("FAIL: no push for iphone was stored within 0.2s (")
    assert out[7:9] == ["no connection: APNs and FCM store its pushes"] * 2
    assert out[10:12] == ["APNs holds it", "FCM holds it"]
    assert out[12].startswith("FAIL: no push for iphone expired within 0.2s (")
    assert out[14:] == ["APNs dropped it", "FCM dropped it", "online", "no push decision or failed hop was published"]


async def test_power_and_the_notification_switch(pushsim_world: Simulator) -> None:
    staged, out = await play(pushsim_world, *BOTH_IN_BACKGROUND, 'do = "sleep"\nphone = "pixel"',
                             'do = "doze"\nphone = "pixel"', 'do = "wake"\nphone = "pixel"',
                             'do = "deny_notifications"\nphone = "iphone"', DM,
                             'expect = "notification"\nphone = "pixel"\nbody = "Hello"',
                             'expect = "no_notification"\nphone = "iphone"',
                             'do = "allow_notifications"\nphone = "iphone"',
                             'do = "send_dm"\nfrom = "b"\nto = "a"\nmessage = "again"',
                             'expect = "notification"\nphone = "iphone"\nbody = "again"')
    assert out[6:9] == ["asleep", "doze", "awake"] and out[11] == "@b — Hello" and out[-1] == "@b — again"
    iphone = staged.phones["iphone"]
    assert iphone.app().permission is Permission.GRANTED and staged.phones["pixel"].power is PowerState.AWAKE
    assert [n.body for n in iphone.notification_centre] == ["again"]


async def test_log_out_signing_and_choosing_the_push_server(pushsim_world: Simulator) -> None:
    staged, out = await play(pushsim_world, *BOTH_IN_BACKGROUND, 'do = "sign_pushes"\nenabled = false', DM,
                             'expect = "notification"\nphone = "iphone"\nverified = false', 'do = "sign_pushes"\n'
                             'enabled = true', 'do = "log_out"\nphone = "pixel"',
                             'do = "choose_push_server"\noption = "tpns"',
                             'do = "send_dm"\nfrom = "b"\nto = "a"\nmessage = "signed"',
                             'expect = "notification"\nphone = "iphone"\nbody = "signed"\nverified = true',
                             'expect = "hop"\nfrom = "chat"\nto = "proxy"\noperation = "send_push"\ntls = false\n'
                             'count = 1',
                             'do = "choose_push_server"\noption = "off"')
    assert out[8] == "@b — We could not verify this notification with the server (unverified)"
    assert out[11:] == ["https://push-test.mattermost.com", 'post ' + out[12][5:], "@b — signed", "1 hop(s)",
                        "push notifications off"]
    assert "pixel" not in staged.phone_users and staged.signing_fan is None
    assert not pushsim_world.chat_core.config.send_push_notifications


async def test_an_fcm_fault_and_numbered_dms(pushsim_world: Simulator) -> None:
    _, out = await play(pushsim_world, *BOTH_IN_BACKGROUND,
                        'do = "inject_fault"\nservice = "fcm"\nreason = "UNREGISTERED"\nphone = "pixel"',
                        'do = "send_dm"\nfrom = "b"\nto = "a"\nmessage = "n"\ncount = 3',
                        'expect = "hop"\nfrom = "chat"\nto = "proxy"\noutcome = "REMOVE"\ncount = 1',
                        'expect = "notification_count"\nphone = "pixel"\ncount = 2',
                        'expect = "notification_count"\nphone = "iphone"\ncount = 3')
    assert out[7:] == ["3 posts", "1 hop(s)", "2 shown", "3 shown"]
    removed = pushsim_world.bus.find(HopAttempted, lambda h: h.source == "proxy" and h.target == "fcm" and not h.ok)
    assert len(removed) == 1 and "UNREGISTERED" in removed[0].outcome


class TestAnEasWorld:
    @pytest.fixture
    def pushsim_config(self) -> SimConfig:
        return SimConfig(role=Role.EAS, ios_bundle_id="com.example.acmechat", ios_push_type="apple_acme",
                         team_id="ACMETEAM01", key_id="ACMEKEY001")

    async def test_the_own_build_is_reached_and_the_store_app_is_not(self, pushsim_world: Simulator) -> None:
        eas = ('[world]\nrole = "EAS"\nios_bundle_id = "com.example.acmechat"\nios_push_type = "apple_acme"\n'
               'team_id = "ACMETEAM01"\nkey_id = "ACMEKEY001"\n')
        _, out = await play(pushsim_world, 'do = "install"\nphone = "iphone"\napp = "eas"\nname = "Acme Chat"',
                            'do = "log_in"\nphone = "iphone"\nuser = "a"', 'do = "background"\nphone = "iphone"', DM,
                            'expect = "notification"\nphone = "iphone"\napp = "Acme Chat"\npost = "hello"',
                            'expect = "hop"\nfrom = "apns"\nto = "iphone"\noperation = "com.example.acmechat"',
                            world=eas)
        assert out[4:] == ["@b — Hello", "push to com.example.acmechat ⇒ shown"]


async def test_a_phone_move_the_phone_refuses_is_an_error_line() -> None:
    scenario = loads(CAST + '[[steps]]\ndo = "install"\nphone = "pixel"\n[[steps]]\ndo = "wake"\nphone = "pixel"\n'
                     '[[steps]]\nexpect = "notification_count"\nphone = "pixel"\ncount = 0\n', Path("refused.toml"))
    result = await run_scenario(scenario)
    assert [s.status for s in result.steps] == [StepStatus.PASSED, StepStatus.ERROR, StepStatus.SKIPPED]
    assert result.steps[1].message == "ForbiddenTransition: cannot wake while the phone is awake (allowed: sleep)"
