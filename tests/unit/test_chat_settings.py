"""System Console settings (§7.1), config patches, and the server log (§7.10), as pure functions."""

from __future__ import annotations

import json

import pytest

from simulator.chat import settings
from simulator.chat.errors import AppError
from simulator.chat.logs import ServerLog, to_console, to_json
from simulator.chat.models import HPNS_URL, TPNS_URL, ChatConfig, ContentsMode, LogLevel
from simulator.chat.settings import PushServerOption
from simulator.clock import FakeClock
from simulator.events import LogLine


@pytest.mark.parametrize(("config", "option", "label"), [
    (ChatConfig(send_push_notifications=False), PushServerOption.OFF, "Do not send push notifications"),
    (ChatConfig(push_server_url=HPNS_URL), PushServerOption.HPNS,
     "Use HPNS connection with uptime SLA to send notifications to iOS and Android apps"),
    (ChatConfig(push_server_url="https://push.mattermost.com/"), PushServerOption.HPNS,
     "Use HPNS connection with uptime SLA to send notifications to iOS and Android apps"),
    (ChatConfig(push_server_url=TPNS_URL), PushServerOption.TPNS,
     "Use TPNS connection to send notifications to iOS and Android apps"),
    (ChatConfig(push_server_url="https://push.example.com"), PushServerOption.CUSTOM,
     "Manually enter Push Notification Service location"),
])
def test_console_shows_the_option_for_the_stored_values(config: ChatConfig, option: PushServerOption,
                                                        label: str) -> None:
    assert settings.push_server_option(config) is option
    assert settings.console_view(config)["Enable Push Notifications"] == label


@pytest.mark.parametrize(("mode", "label"), [
    (ContentsMode.GENERIC_NO_CHANNEL, "Generic description with only sender name"),
    (ContentsMode.GENERIC, "Generic description with sender and channel names"),
    (ContentsMode.FULL, "Full message content sent in the notification payload"),
    (ContentsMode.ID_LOADED, "Full message content fetched from the server on receipt"),
])
def test_contents_labels(mode: ContentsMode, label: str) -> None:
    assert settings.console_view(ChatConfig(contents=mode))["Push Notification Contents"] == label


@pytest.mark.parametrize(("option", "url", "stored"), [
    (PushServerOption.OFF, "", (False, "")),
    (PushServerOption.HPNS, "", (True, HPNS_URL)),
    (PushServerOption.TPNS, "", (True, TPNS_URL)),
    (PushServerOption.CUSTOM, "https://proxy.internal:8066", (True, "https://proxy.internal:8066")),
])
def test_choosing_an_option_stores_config_values(option: PushServerOption, url: str, stored: tuple[bool, str]) -> None:
    config = settings.choose_push_server(ChatConfig(), option, url)
    assert (config.send_push_notifications, config.push_server_url) == stored


def test_a_manual_location_must_be_a_url() -> None:
    with pytest.raises(AppError) as err:
        settings.choose_push_server(ChatConfig(), PushServerOption.CUSTOM, "push.example.com")
    assert err.value.status_code == 400


def test_patch_merges_known_keys_and_ignores_unknown_sections() -> None:
    patched = settings.apply_patch(ChatConfig(), {
        "EmailSettings": {"PushNotificationContents": "generic", "PushNotificationBuffer": 10,
                          "SMTPServer": "ignored"},
        "LogSettings": {"FileLevel": "debug"}, "PluginSettings": {"Enable": True}})
    assert (patched.contents, patched.push_notification_buffer, patched.file_log_level) == (
        ContentsMode.GENERIC, 10, LogLevel.DEBUG)
    assert settings.to_config_json(patched)["LogSettings"] == {"FileLevel": "DEBUG"}


@pytest.mark.parametrize("patch", [
    {"EmailSettings": {"PushNotificationContents": "everything"}},
    {"EmailSettings": {"SendPushNotifications": "yes"}},
    {"EmailSettings": {"PushNotificationBuffer": 0}},
    {"EmailSettings": {"PushNotificationServer": "ftp://x"}},
    {"LogSettings": {"FileLevel": "LOUD"}},
    {"EmailSettings": "not an object"},
])
def test_patch_refuses_bad_values_by_name(patch: dict[str, object]) -> None:
    with pytest.raises(AppError) as err:
        settings.apply_patch(ChatConfig(), patch)
    section = next(iter(patch))
    assert err.value.status_code == 400 and section in err.value.message


# ---------------------------------------------------------------- the log
def _log(clock: FakeClock, level: LogLevel = LogLevel.ERROR) -> tuple[ServerLog, list[object]]:
    seen: list[object] = []
    return ServerLog(name="chat", clock=clock, publish=seen.append, level=lambda: level), seen


def test_every_line_is_published_but_the_file_keeps_its_level(clock: FakeClock) -> None:
    log, seen = _log(clock)
    log.write(LogLevel.DEBUG, "Sending push notification to abc wi msg of 'Hello'")
    log.write(LogLevel.ERROR, "Failed to send to push proxy", notifications=True, reason="x")
    assert [line.level for line in seen if isinstance(line, LogLine)] == ["DEBUG", "ERROR"]
    assert [line.message for line in log.lines()] == ["Failed to send to push proxy"]
    assert len(log.lines("debug")) == 2 and log.lines(LogLevel.TRACE) == log.lines("DEBUG")


def test_line_formats(clock: FakeClock) -> None:
    log, _ = _log(clock)
    clock.advance(1.25)
    line = log.write(LogLevel.DEBUG, "Sending push notification to abc wi msg of '@accountb: Hello'")
    assert to_console(line) == ("[2026/01/01 00:00:01 UTC] [DEBG] Sending push notification to abc wi msg of "
                                "'@accountb: Hello'")
    fail = log.write(LogLevel.ERROR, "Failed to send to push proxy", notifications=True, ack_id="a1")
    assert json.loads(to_json(fail)) == {"timestamp": "2026-01-01 00:00:01.250 Z", "level": "error",
                                         "msg": "Failed to send to push proxy", "logger": "notifications",
                                         "ack_id": "a1"}
    with pytest.raises(ValueError):
        log.lines("CHATTY")
