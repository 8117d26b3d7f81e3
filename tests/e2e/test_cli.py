"""The `pushsim` command: demo modes, exit codes, bad flags (main(argv) in-process, trustme style)."""

from __future__ import annotations

import pytest

from simulator.cli import main


def test_demo_prints_every_hop_and_the_lock_screen(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for route in ("account-b → chat", "chat → proxy", "proxy → apns", "apns → account-a-iphone",
                  "account-a-iphone → chat"):
        assert route in out
    assert "POST /api/v1/send_push" in out and "HTTP/2+TLS" in out and "⇒ shown" in out
    assert out.rstrip().splitlines()[-2] == "account-a-iphone lock screen: [Mattermost] @accountb — Hello"


def test_demo_on_android_goes_through_fcm(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--phone", "android"]) == 0
    out = capsys.readouterr().out.split("Trigger:", 1)[1]
    for route in ("chat → proxy", "proxy → fcm", "fcm → account-a-pixel", "account-a-pixel → chat"):
        assert route in out
    assert "messages:send" in out and "FCM→device" in out and "apns" not in out
    assert out.rstrip().splitlines()[-2] == "account-a-pixel lock screen: [Mattermost] @accountb — Hello"


def test_demo_in_foreground_says_why_no_push_was_sent(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--foreground"]) == 0
    out = capsys.readouterr().out
    assert "No push sent to accounta: the user is online" in out and "reason=user_is_active" in out
    trigger = out.split("Trigger:", 1)[1]  # set-up may carry the app's own test push (ping with device_id)
    assert "/api/v1/send_push" not in trigger


def test_demo_with_generic_contents_hides_the_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--contents", "generic"]) == 0
    assert "lock screen: [Mattermost] @accountb — sent you a message." in capsys.readouterr().out


def test_demo_with_a_wrong_key_fails_with_one_line_reason(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--wrong-key"]) == 1
    out = capsys.readouterr().out
    failed = [line for line in out.splitlines() if line.startswith("FAILED:")]
    assert len(failed) == 1 and "proxy → apns" in failed[0] and "InvalidProviderToken" in failed[0]


@pytest.mark.parametrize("argv", [["demo", "--contents", "everything"], ["demo", "--phone", "nokia"], ["fly"], [], ["serve"]])
def test_bad_flags_exit_2_with_usage(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "usage: pushsim" in capsys.readouterr().err


def test_bad_config_file_exits_2_naming_the_key(tmp_path: object, capsys: pytest.CaptureFixture[str]) -> None:
    from pathlib import Path
    path = Path(str(tmp_path)) / "bad.toml"
    path.write_text('[world]\nrole = "GCM"\n')
    assert main(["--config", str(path), "demo"]) == 2
    assert "role = 'GCM' is not one of HPNS, TPNS, EAS" in capsys.readouterr().err
