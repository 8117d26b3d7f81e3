"""The TUI's pure parts: lanes and arrows, tours, push-server worlds, the CLI hook."""

from __future__ import annotations

import argparse

import pytest
from textual.pilot import Pilot

from fake_devices import MATTERMOST_IOS
from simulator.chat.models import ContentsMode
from simulator.config import ConfigError, SimConfig
from simulator.events import Correlation, HopAttempted, LogLine, Protocol
from simulator.proxy.config import Role
from simulator.tui import SimulatorApp
from simulator.tui.cli import add_arguments, run, scenario_config, tour_for
from simulator.tui.controls import EAS_APP, PushServer, app_build, plan_switch, world_config
from simulator.tui.trainer import DM, TOURS, HopPattern, LogPattern, Trainer
from simulator.tui.widgets.lanes import lane_art, lane_header, short_operation, status_of

LANES = ["account-b", "chat", "proxy", "apns", "phone"]


def hop(source: str, target: str, operation: str = "POST /api/v1/send_push", *, ok: bool = True,
        encrypted: bool = True, outcome: str = "200 {}") -> HopAttempted:
    return HopAttempted(at=0.0, started=0.0, duration_ms=1.0, source=source, target=target,
                        protocol=Protocol.HTTPS if encrypted else Protocol.HTTP, encrypted=encrypted,
                        operation=operation, outcome=outcome, ok=ok, ids=Correlation())


def test_arrows_run_from_source_to_target_in_both_directions() -> None:
    assert lane_art(LANES, hop("chat", "proxy")).plain == "   ┆     ●─────▶     ┆     ┆  "
    assert lane_art(LANES, hop("phone", "chat")).plain == "   ┆     ◀─────────────────●  "
    assert lane_header(["B", "chat", "HPNS", "APNs", "A-iPh"]).plain == "   B   chat  HPNS  APNs  A-iPh"


def test_arrow_colour_says_failed_or_plain_and_unknown_targets_end_in_a_cross() -> None:
    failed = lane_art(LANES, hop("proxy", "apns", ok=False))
    plain = lane_art(LANES, hop("chat", "proxy", encrypted=False))
    lost = lane_art(LANES, hop("apns", "nowhere"))
    assert "red" in str(failed.spans[0].style) and "yellow" in str(plain.spans[0].style)
    assert lost.plain.endswith("✗")
    assert lane_art(LANES, hop("outside", "chat")).plain == "outside?"


@pytest.mark.parametrize(("operation", "word"), [
    ("POST /api/v4/posts", "post"), ("POST /3/device/abc…", "push"), ("push to com.mattermost.rn", "deliver"),
    ("POST /api/v4/notifications/ack", "ack"), ("GET /api/v4/websocket (websocket)", "websocket"),
    ("POST /api/v4/channels/direct", "open DM"), ("GET /api/v4/system/ping", "ping"),
])
def test_short_operation_names(operation: str, word: str) -> None:
    assert short_operation(hop("a", "b", operation)) == word


def test_status_is_the_code_or_the_first_word() -> None:
    assert status_of(hop("a", "b", outcome="410 apns-id=x Unregistered", ok=False)).plain == "410"
    assert status_of(hop("a", "b", outcome="no response: ClientConnectorError: refused", ok=False)).plain == "no"
    assert status_of(hop("apns", "phone", outcome="shown")).plain == "shown"


def test_a_trainer_walks_each_step_once_then_refuses() -> None:
    trainer = Trainer(DM)
    assert trainer.step is None and trainer.position == "0/8"
    steps = [trainer.advance() for _ in DM.steps]
    assert steps == list(DM.steps) and trainer.done and trainer.position == "8/8"
    with pytest.raises(IndexError, match="has no step after 8"):
        trainer.advance()
    assert set(TOURS) == {"dm_background", "troubleshooting"}


def test_hop_patterns_match_the_phone_by_alias_and_nothing_else() -> None:
    pattern = HopPattern(source="{phone}", target="chat", operation="POST /api/v4/notifications/ack")
    aliases = {"phone": "account-a-iphone", "token": "c1749efbcf2a3516c"}
    assert pattern.matches(hop("account-a-iphone", "chat", "POST /api/v4/notifications/ack"), aliases)
    assert not pattern.matches(hop("other-phone", "chat", "POST /api/v4/notifications/ack"), aliases)
    assert not pattern.matches(hop("account-a-iphone", "chat", "POST /api/v4/users/login"), aliases)
    to_apns = HopPattern(source="proxy", target="apns", operation="POST /3/device/{token}")
    assert to_apns.matches(hop("proxy", "apns", "POST /3/device/c1749efbcf2a3516c…"), aliases)
    assert not to_apns.matches(hop("proxy", "apns", "POST /3/device/e98b47f14f3dba5d7…"), aliases)
    line = LogPattern(level="DEBUG", starts="Sending push notification to ")
    assert line.matches(LogLine(at=0.0, component="chat", level="DEBUG", message="Sending push notification to x"))
    assert not line.matches(LogLine(at=0.0, component="chat", level="INFO", message="Sending push notification to x"))


def test_each_push_server_gets_the_world_it_needs() -> None:
    base = SimConfig(seed=3, contents=ContentsMode.GENERIC)
    tpns, eas, hpns = (world_config(base, s) for s in (PushServer.TPNS, PushServer.EAS, PushServer.HPNS))
    assert (tpns.role, tpns.proxy_tls, tpns.seed, tpns.contents.value) == (Role.TPNS, False, 3, "generic")
    assert (eas.role, eas.ios_bundle_id, eas.team_id) == (Role.EAS, EAS_APP.bundle_id, "ACMETEAM01")
    assert (hpns.role, hpns.proxy_tls, hpns.ios_bundle_id) == (Role.HPNS, True, "com.mattermost.rn")
    # From an EAS world the public apps' topic, key and team come back.
    assert world_config(eas, PushServer.HPNS).ios_bundle_id == "com.mattermost.rn"
    assert app_build(eas).bundle_id == EAS_APP.bundle_id and app_build(hpns) is MATTERMOST_IOS


def test_switching_restarts_only_for_another_push_service() -> None:
    assert plan_switch(Role.HPNS, PushServer.TPNS).restart
    assert not plan_switch(Role.HPNS, PushServer.HPNS).restart
    assert not plan_switch(Role.TPNS, PushServer.OFF).restart


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pushsim")
    parser.add_argument("--seed", type=int)
    add_arguments(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_the_cli_hook_parses_a_scenario_and_its_world() -> None:
    args = _args("--seed", "9", "tui", "dm_background", "--trainer")
    assert (args.command, args.scenario, args.trainer, args.no_autoplay) == ("tui", "dm_background", True, False)
    config = scenario_config(args.scenario, SimConfig(contents=ContentsMode.GENERIC), seed=args.seed)
    assert (config.seed, config.contents.value, config.role) == (9, "full", Role.HPNS)  # the scenario's [world] wins


def test_a_scenario_picks_its_trainer_tour() -> None:
    assert [tour_for(name) for name in ("dm_background", "troubleshoot_no_log_line", "x/hpns_confirmation.toml")] == [
        "dm_background", "troubleshooting", "dm_background"]


def test_an_unknown_scenario_is_refused_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ConfigError, match=r"no scenario 'nope' in the library \(known: .*dm_background"):
        scenario_config("nope", SimConfig())
    assert run(_args("tui", "missing.toml")) == 2
    assert "scenario file 'missing.toml' does not exist" in capsys.readouterr().err


def test_run_opens_the_tui_and_q_closes_the_world_with_exit_code_0(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[SimulatorApp] = []
    original = SimulatorApp.run

    async def quit_when_ready(pilot: Pilot[object]) -> None:
        app = pilot.app
        assert isinstance(app, SimulatorApp)
        opened.append(app)
        await app.world_ready()
        await pilot.press("q")

    def headless(self: SimulatorApp, **_: object) -> None:
        original(self, headless=True, size=(80, 24), auto_pilot=quit_when_ready)

    monkeypatch.setattr(SimulatorApp, "run", headless)
    assert run(_args("--seed", "5", "tui", "--no-autoplay")) == 0
    (app,) = opened
    assert app.sim is not None and app.sim.config.seed == 5 and app.phase == "stopped" and app.controls is None
