"""The step kinds added for Android, EAS, store-and-forward, clears, signing and push servers: what a
good table loads into, and the one error line each kind of bad table gets (no world needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fake_devices import MATTERMOST_ANDROID, MATTERMOST_IOS, Platform
from scenarios import ScenarioError, loads
from scenarios.model import Scenario

HEAD = '[scenario]\ndescription = "d"\n'
CAST = ('[[users]]\nusername = "a"\n[[users]]\nusername = "b"\n[[phones]]\nname = "p"\n'
        '[[phones]]\nname = "q"\nplatform = "android"\n')
EAS = ('[world]\nrole = "EAS"\nios_bundle_id = "com.example.acmechat"\nios_push_type = "apple_acme"\n'
       'android_package = "com.example.acmechat"\nandroid_push_type = "android_acme"\n'
       'firebase_project_id = "acme-chat"\n')
CHECK = '[[steps]]\nexpect = "badge"\nphone = "p"\nvalue = 0\n'


def scenario(*steps: str, world: str = "") -> Scenario:
    return loads(HEAD + world + CAST + "".join(f"[[steps]]\n{s}\n" for s in steps) + CHECK, Path("kinds.toml"))


def titles(*steps: str, world: str = "") -> list[str]:
    return [s.title for s in scenario(*steps, world=world).steps[:-1]]


def error_line(*steps: str, world: str = "") -> str:
    with pytest.raises(ScenarioError) as info:
        scenario(*steps, world=world)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_phones_take_their_platform_from_the_model_or_the_platform_key() -> None:
    text = HEAD + ('[[phones]]\nname = "p"\n[[phones]]\nname = "q"\nplatform = "android"\n'
                   '[[phones]]\nname = "s6"\nmodel = "Samsung Galaxy S6"\n'
                   '[[phones]]\nname = "old"\nmodel = "iPhone 5s"\nos_version = "12.5.7"\n') + CHECK
    phones = loads(text, Path("phones.toml")).phones
    assert [(p.name, p.platform, p.model, p.os_version) for p in phones] == [
        ("p", "ios", "iPhone 6s Plus", ""), ("q", "android", "Pixel 7", ""),
        ("s6", "android", "Samsung Galaxy S6", ""), ("old", "ios", "iPhone 5s", "12.5.7")]


def test_install_picks_the_build_for_the_phones_platform() -> None:
    steps = scenario('do = "install"\nphone = "p"', 'do = "install"\nphone = "q"',
                     'do = "install"\nphone = "p"\ndevelopment = true').steps
    assert [s.handler.build for s in steps[:2]] == [MATTERMOST_IOS, MATTERMOST_ANDROID]  # type: ignore[attr-defined]
    assert steps[2].handler.build.sandbox  # type: ignore[attr-defined]
    assert steps[2].title == "install mattermost (development build) on p"


def test_the_eas_build_is_the_worlds_own_app_on_either_platform() -> None:
    steps = scenario('do = "install"\nphone = "p"\napp = "eas"\nname = "Acme Chat"', 'do = "install"\nphone = "q"\n'
                     'app = "eas"', world=EAS).steps
    ios, android = (s.handler.build for s in steps[:2])  # type: ignore[attr-defined]
    assert (ios.name, ios.bundle_id, ios.device_prefix, ios.platform) == (
        "Acme Chat", "com.example.acmechat", "apple_acme", Platform.IOS)
    assert (android.name, android.bundle_id, android.device_prefix, android.push_project) == (
        "EAS build", "com.example.acmechat", "android_acme", "acme-chat")
    assert steps[0].title == "install eas (Acme Chat, com.example.acmechat) on p"


def test_new_kinds_describe_themselves_for_progress_lines() -> None:
    assert titles('do = "send_dm"\nfrom = "b"\nto = "a"\nmessage = "load"\ncount = 3',
                  'do = "set_network"\nphone = "p"\nnetwork = "offline"',
                  'do = "set_network"\nphone = "q"\nnetwork = "WiFi"',
                  'do = "set_network"\nphone = "p"\nnetwork = "loopback"',
                  'do = "sleep"\nphone = "q"', 'do = "doze"\nphone = "q"', 'do = "wake"\nphone = "q"',
                  'do = "deny_notifications"\nphone = "p"', 'do = "allow_notifications"\nphone = "p"',
                  'do = "log_out"\nphone = "p"',
                  'do = "choose_push_server"\noption = "tpns"',
                  'do = "choose_push_server"\noption = "custom"\nurl = "https://push.internal:8000"',
                  'do = "sign_pushes"\nenabled = false', 'do = "sign_pushes"\nenabled = true',
                  'do = "inject_fault"\nservice = "fcm"\nreason = "UNREGISTERED"\nphone = "q"') == [
        'b sends "load" ×3 (numbered) to a in a DM', "p goes offline",
        "q goes onto wifi (23 ms ping, 138 Mb/s down, 12 Mb/s up)", "p goes onto unshaped loopback",
        "q goes to sleep", "q enters Doze", "q wakes up", "p turns off notifications for the app",
        "p allows notifications for the app", "log out of the app on p",
        'choose "Use TPNS connection to send notifications to iOS and Android apps"',
        'choose "Manually enter Push Notification Service location" https://push.internal:8000',
        "the chat server stops signing its pushes", "the chat server signs its pushes",
        "fcm answers UNREGISTERED (404) 1× for q"]
    many = scenario('do = "send_dm"\nfrom = "b"\nto = "a"\nmessage = "load"\ncount = 3').steps[0].handler
    assert many.texts() == ["load 1", "load 2", "load 3"]  # type: ignore[attr-defined]


def test_new_expectations_describe_themselves() -> None:
    assert titles('do = "send_dm"\nfrom = "b"\nto = "a"\nas = "hi"',
                  'expect = "cleared"\nphone = "p"\npost = "hi"\nremoved = 2', 'expect = "cleared"\nphone = "q"',
                  'expect = "notification_count"\nphone = "q"\ncount = 25',
                  'expect = "stored"\nphone = "p"', 'expect = "expired"\nphone = "q"\nwithin = 1',
                  'expect = "hop"\nfrom = "proxy"\nto = "fcm"\nok = true\ncount = 2',
                  'expect = "notification"\nphone = "q"\napp = "Mattermost"\nverified = false')[1:] == [
        "expect p cleared the notification of hi (2 removed)", "expect q cleared",
        "expect 25 notification(s) on q", "expect a push for p is stored by its push service",
        "expect a stored push for q expires", "expect hop proxy → fcm (ok True) ×2",
        "expect notification on q app='Mattermost' verified=False"]


REJECTS = [
    # (id, steps, world, the exact error line after "kinds.toml: ")
    ("eas-app-outside-an-eas-world", ['do = "install"\nphone = "p"\napp = "eas"'], "",
     "step 1 (install): app: 'eas' is the world's own Enterprise-App-Store build: set [world] role = 'EAS' with its "
     "ios_bundle_id, ios_push_type, team_id, key_id, android_package, ..."),
    ("development-build-on-android", ['do = "install"\nphone = "q"\ndevelopment = true'], "",
     "step 1 (install): development: a development build's sandbox token is an APNs (iOS) notion; q is an Android "
     "phone"),
    ("name-for-a-store-app", ['do = "install"\nphone = "p"\nname = "Acme"'], EAS,
     "step 1 (install): name: only app = 'eas' (your own build) takes a name"),
    ("unknown-app", ['do = "install"\nphone = "p"\napp = "slack"'], "",
     "step 1 (install): app: 'slack' is not one of eas, mattermost, mattermost_beta"),
    ("send-zero-dms", ['do = "send_dm"\nfrom = "a"\nto = "b"\ncount = 0'], "",
     "step 1 (send_dm): count: must be at least 1, got 0"),
    ("alias-for-many-dms", ['do = "send_dm"\nfrom = "a"\nto = "b"\ncount = 2\nas = "x"'], "",
     "step 1 (send_dm): as: names one post; it cannot name the posts of count > 1"),
    ("unknown-network", ['do = "set_network"\nphone = "p"\nnetwork = "satellite"'], "",
     "step 1 (set_network): network: unknown network 'satellite' (known: 3g, 4g, 4g-s6, 5g, loopback, lte, offline, "
     "wifi)"),
    ("network-missing", ['do = "set_network"\nphone = "p"'], "", "step 1 (set_network): network: missing (required)"),
    ("doze-on-an-iphone", ['do = "doze"\nphone = "p"'], "",
     "step 1 (doze): phone: p is not an Android phone: only Android has Doze"),
    ("notifications-switch-unknown-phone", ['do = "deny_notifications"\nphone = "z"'], "",
     "step 1 (deny_notifications): phone: no phone 'z' in the cast (known: p, q)"),
    ("log-out-without-phone", ['do = "log_out"'], "", "step 1 (log_out): phone: missing (required)"),
    ("custom-server-without-url", ['do = "choose_push_server"\noption = "custom"'], "",
     "step 1 (choose_push_server): url: give a url with option = 'custom' (Manually enter …), and only then"),
    ("url-with-hpns", ['do = "choose_push_server"\noption = "hpns"\nurl = "https://x"'], "",
     "step 1 (choose_push_server): url: give a url with option = 'custom' (Manually enter …), and only then"),
    ("url-not-http", ['do = "choose_push_server"\noption = "custom"\nurl = "ftp://push"'], "",
     "step 1 (choose_push_server): url: must start with http:// or https://, got 'ftp://push'"),
    ("unknown-server-option", ['do = "choose_push_server"\noption = "gcm"'], "",
     "step 1 (choose_push_server): option: 'gcm' is not one of custom, hpns, off, tpns"),
    ("signing-without-enabled", ['do = "sign_pushes"'], "", "step 1 (sign_pushes): enabled: missing (required)"),
    ("signing-not-a-flag", ['do = "sign_pushes"\nenabled = "no"'], "",
     "step 1 (sign_pushes): enabled: must be true or false, got 'no'"),
    ("cleared-negative", ['expect = "cleared"\nphone = "p"\nremoved = -1'], "",
     "step 1 (cleared): removed: must be at least 0, got -1"),
    ("cleared-unknown-post", ['expect = "cleared"\nphone = "p"\npost = "x"'], "",
     "step 1 (cleared): post: no earlier step names a post 'x' with 'as' (known: none)"),
    ("count-missing", ['expect = "notification_count"\nphone = "p"'], "",
     "step 1 (notification_count): count: missing (required)"),
    ("hop-count-zero", ['expect = "hop"\nfrom = "chat"\nto = "proxy"\ncount = 0'], "",
     "step 1 (hop): count: must be at least 1, got 0"),
    ("stored-unknown-phone", ['expect = "stored"\nphone = "z"'], "",
     "step 1 (stored): phone: no phone 'z' in the cast (known: p, q)"),
    ("expired-typo", ['expect = "expired"\nphone = "p"\nwithn = 3'], "",
     "step 1 (expired): withn: unknown field (known here: phone, within)"),
    ("verified-not-a-flag", ['expect = "notification"\nphone = "p"\nverified = "no"'], "",
     "step 1 (notification): verified: must be true or false, got 'no'"),
]


@pytest.mark.parametrize(("steps", "world", "expected"), [c[1:] for c in REJECTS], ids=[c[0] for c in REJECTS])
def test_a_bad_table_of_a_new_kind_gets_one_error_line(steps: list[str], world: str, expected: str) -> None:
    assert error_line(*steps, world=world) == f"kinds.toml: {expected}"


def test_the_outbound_proxy_step_exists_exactly_when_the_world_has_the_setting() -> None:
    from dataclasses import fields

    from scenarios import ACTIONS, UNAVAILABLE
    from simulator.chat.models import ChatConfig
    if "outbound_proxy" in {f.name for f in fields(ChatConfig)}:
        assert "use_outbound_proxy" in ACTIONS and "use_outbound_proxy" not in UNAVAILABLE
        assert titles('do = "use_outbound_proxy"') == [
            "the chat server sends its pushes through the outbound CONNECT proxy"]
    else:
        assert error_line('do = "use_outbound_proxy"') == (
            "kinds.toml: step 1 (use_outbound_proxy): do: 'use_outbound_proxy' cannot run in this world yet: "
            "the chat server has no outbound proxy (HTTPS_PROXY) setting yet: ChatConfig.outbound_proxy (world issue)")
