"""Every scenario shipped in the library is a pytest test of its own (played through the plugin)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from scenarios import LIBRARY, ScenarioResult, StepStatus, load

LIBRARY_FILES = sorted(LIBRARY.glob("*.toml"))


def test_the_library_ships_the_doc_procedures_todays_world_can_run() -> None:
    names = {p.stem for p in LIBRARY_FILES}
    assert {"hpns_confirmation", "tpns_confirmation", "foreground_no_push", "contents_modes", "notify_mentions",
            "notify_all", "notify_none", "dnd_no_push", "muted_channel", "reinstall_fixes_stale_token",
            "expired_provider_token", "troubleshoot_log_line_no_notification", "troubleshoot_no_log_line"} <= names
    for path in LIBRARY_FILES:
        scenario = load(path)
        assert scenario.name == path.stem and scenario.description and "\n" not in scenario.description
        assert any(step.expectation for step in scenario.steps)


@pytest.mark.parametrize("path", LIBRARY_FILES, ids=lambda p: p.stem)
async def test_library_scenario_passes(path: Path, pushsim_scenario: Callable[..., Awaitable[ScenarioResult]]) -> None:
    async with asyncio.timeout(15):
        result = await pushsim_scenario(path)
    assert result.passed, result.failure
    assert [s.status for s in result.steps] == [StepStatus.PASSED] * len(load(path).steps)
