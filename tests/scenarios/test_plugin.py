"""The pytest plugin: fixtures for a world and phones, the notification wait, scenario files."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from scenarios import ScenarioResult, StepFailed, wait_for_notification
from scenarios.plugin import PhoneFactory
from simulator import SimConfig, Simulator


async def test_a_foreground_phone_gets_nothing_and_the_wait_says_why(pushsim_world: Simulator,
                                                                    pushsim_phones: PhoneFactory) -> None:
    phone = await pushsim_phones("accounta", background=False)
    await pushsim_phones.send_dm("accountb", "accounta", "Hello")
    with pytest.raises(StepFailed) as info:
        await wait_for_notification(pushsim_world, phone.name, body="Hello", timeout=0.3)
    assert str(info.value) == "no notification on accounta-iphone body='Hello' within 0.3s (nothing was shown)"


async def test_the_wait_names_what_was_shown_instead(pushsim_world: Simulator, pushsim_phones: PhoneFactory) -> None:
    phone = await pushsim_phones("accounta")
    mark = pushsim_world.bus.mark()
    await pushsim_phones.send_dm("accountb", "accounta", "Hello")
    with pytest.raises(StepFailed, match=r"shown instead: '@accountb' — 'Hello'"):
        await wait_for_notification(pushsim_world, phone, title="@someone", timeout=0.5, since=mark)
    shown = await wait_for_notification(pushsim_world, phone, title="@accountb", since=mark)
    assert shown.body == "Hello"


class TestAnOverriddenConfig:
    @pytest.fixture
    def pushsim_config(self) -> SimConfig:
        return SimConfig(contents="generic", seed=99)  # type: ignore[arg-type]

    async def test_fixtures_build_the_world_from_the_overridden_config(self, pushsim_world: Simulator,
                                                                       pushsim_phones: PhoneFactory) -> None:
        assert pushsim_world.config.seed == 99
        phone = await pushsim_phones("accounta")
        await pushsim_phones.send_dm("accountb", "accounta", "secret")
        shown = await wait_for_notification(pushsim_world, phone, title="@accountb")
        assert shown.body == "sent you a message."


async def test_a_failing_scenario_fails_the_test_with_its_one_line(
        pushsim_scenario: Callable[..., Awaitable[ScenarioResult]], tmp_path: Path) -> None:
    path = tmp_path / "quiet.toml"
    path.write_text('[scenario]\ndescription = "Nobody is there"\n[[phones]]\nname = "p"\n'
                    '[[steps]]\ndo = "install"\nphone = "p"\n'
                    '[[steps]]\nexpect = "notification"\nphone = "p"\nwithin = 0.2\n', encoding="utf-8")
    with pytest.raises(pytest.fail.Exception, match=r"^quiet: step 2 \(notification\) FAIL: no such notification"):
        await pushsim_scenario(path)
    result = await pushsim_scenario(path, check=False)
    assert not result.passed and result.steps[0].message.startswith("push token ")


def test_the_plugin_loads_on_its_own_in_strict_asyncio_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n", encoding="utf-8")
    (tmp_path / "test_outside.py").write_text(
        "import pytest\n"
        "from scenarios import wait_for_notification\n\n"
        "@pytest.mark.asyncio\n"
        "async def test_hello(pushsim_world, pushsim_phones):\n"
        "    phone = await pushsim_phones('accounta')\n"
        "    await pushsim_phones.send_dm('accountb', 'accounta', 'Hello')\n"
        "    assert (await wait_for_notification(pushsim_world, phone)).body == 'Hello'\n", encoding="utf-8")
    # An inner pytest run with no plugin but pytest-asyncio and pushsim's, loaded by name as the
    # pytest11 entry point does (no other installed plugin can interfere with the outer session).
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    argv = [str(tmp_path / "test_outside.py"), "-q", "-p", "no:cacheprovider", "-p", "pytest_asyncio.plugin",
            "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path)]
    code = pytest.main([*argv, "-p", "scenarios.plugin"])
    captured = capsys.readouterr()
    assert code == pytest.ExitCode.OK, captured.out + captured.err
    assert "1 passed" in captured.out
    # Without the plugin the same file cannot run: the pass above needed pushsim's fixtures.
    assert pytest.main(argv) == pytest.ExitCode.TESTS_FAILED
    assert "fixture 'pushsim_world' not found" in capsys.readouterr().out
