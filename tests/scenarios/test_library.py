"""Every scenario shipped in the library is a pytest test of its own.

The session plays the library once (``pushsim run --all``, tests/scenarios/library_run.py); each
scenario's test reads its own verdict from that run's JUnit report and progress lines, so a broken
scenario fails its own test, naming the failing step. The plugin's ``pushsim_scenario`` path is
tested on library scenarios in test_plugin.py and test_readme_example.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios import LIBRARY, load
from tests.scenarios.library_run import LibraryRun

LIBRARY_FILES = sorted(LIBRARY.glob("*.toml"))
def test_the_library_ships_the_doc_procedures_todays_world_can_run() -> None:
    names = {p.stem for p in LIBRARY_FILES}
    assert {"hpns_confirmation", "tpns_confirmation", "foreground_no_push", "contents_modes", "notify_mentions",
            "notify_all", "notify_none", "dnd_no_push", "muted_channel", "reinstall_fixes_stale_token",
            "expired_provider_token", "troubleshoot_log_line_no_notification", "troubleshoot_no_log_line",
            "android_dm", "eas_own_app", "eas_keys_with_store_app", "clear_read_elsewhere", "badge_counts",
            "session_expiry", "log_out_stops_pushes", "wrong_push_server_url", "proxy_unreachable",
            "unsigned_pushes", "offline_phone_stored", "expired_while_offline", "many_pushes",
            "outbound_proxy_to_hpns", "proxy_metrics"} <= names
    for path in LIBRARY_FILES:
        scenario = load(path)
        assert scenario.name == path.stem and scenario.description and "\n" not in scenario.description
        assert any(step.expectation for step in scenario.steps)


@pytest.mark.parametrize("path", LIBRARY_FILES, ids=lambda p: p.stem)
def test_library_scenario_passes(path: Path, library_run: LibraryRun) -> None:
    scenario = load(path)
    suite = library_run.suite(scenario.name)
    problems = [e.get("message") for e in (*suite.iter("failure"), *suite.iter("error"))]
    assert not problems, problems[0]
    assert (suite.get("tests"), suite.get("skipped")) == (str(len(scenario.steps)), "0")
    assert f"PASS {scenario.name} ({len(scenario.steps)} steps, " in library_run.out
