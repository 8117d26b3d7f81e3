"""``pushsim run`` / ``pushsim scenarios`` through the hooks simulator/cli.py wires in (in-process)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

from scenarios import ACTIONS, EXPECTATIONS, LIBRARY, UNAVAILABLE, load
from simulator.recording import default_codec
from tests.scenarios.library_run import LibraryRun, pushsim

FAILING = '''
[scenario]
name = "wrong_body"
description = "Expects a text the phone never shows"

[[users]]
username = "a"

[[users]]
username = "b"

[[phones]]
name = "p"

[[steps]]
do = "install"
phone = "p"

[[steps]]
do = "log_in"
phone = "p"
user = "a"

[[steps]]
do = "background"
phone = "p"

[[steps]]
do = "send_dm"
from = "b"
to = "a"

[[steps]]
expect = "notification"
phone = "p"
body = "Goodbye"
within = 0.5

[[steps]]
expect = "badge"
phone = "p"
value = 1
'''


def test_run_all_passes_with_per_step_progress_and_a_summary(library_run: LibraryRun) -> None:
    code, out = library_run.code, library_run.out
    library = sorted(LIBRARY.glob("*.toml"))
    assert code == 0, out
    for path in library:
        assert f"PASS {path.stem} (" in out
    assert "  ok     1/12  set the server's push_server_url to 'https://push.mattermost.com'" in out
    assert out.splitlines()[-1].startswith(f"{len(library)} scenario(s): {len(library)} passed, 0 failed; ")


def test_junit_report_parses_and_counts_every_step_that_ran(library_run: LibraryRun) -> None:
    junit = library_run.junit
    root = ET.parse(junit).getroot()
    library = [load(p) for p in sorted(LIBRARY.glob("*.toml"))]
    steps = sum(len(s.steps) for s in library)
    assert root.tag == "testsuites" and root.get("tests") == str(steps)
    assert (root.get("failures"), root.get("errors"), root.get("skipped")) == ("0", "0", "0")
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [s.name for s in library]
    assert all(len(suite.findall("testcase")) == int(suite.get("tests", "-1")) for suite in suites)
    first = suites[0].find("testcase")
    assert first is not None and first.get("name", "").startswith("step 1: ")


def test_trace_holds_every_event_of_every_scenario_as_decodable_json_lines(library_run: LibraryRun) -> None:
    trace = library_run.trace
    codec, lines = default_codec(), trace.read_text(encoding="utf-8").splitlines()
    events = [codec.loads(line) for line in lines]
    names = {type(e).__name__ for e in events}
    assert {"ComponentStarted", "HopAttempted", "PushDecision", "PushAccepted", "NotificationShown", "LogLine"} <= names
    scenarios = [__import__("json").loads(line)["scenario"] for line in lines]
    assert set(scenarios) == {p.stem for p in LIBRARY.glob("*.toml")}
    first_of_hpns = next(__import__("json").loads(l) for l in lines if '"scenario":"hpns_confirmation"' in l)
    assert (first_of_hpns["seq"], first_of_hpns["event"]) == (0, "ComponentStarted")


def test_a_failing_scenario_exits_1_and_the_junit_file_counts_failure_and_skips(tmp_path: Path) -> None:
    path = tmp_path / "wrong_body.toml"
    path.write_text(FAILING, encoding="utf-8")
    code, out = pushsim("run", str(path), "--junit", str(tmp_path / "j.xml"))
    assert code == 1
    assert "  FAIL  5/6  expect notification on p body='Goodbye'" in out and "  skip  6/6  expect badge 1 on p" in out
    assert out.splitlines()[-1] == ("  FAILED wrong_body: step 5 (notification) FAIL: no such notification on p within "
                                    "0.5s (shown instead: '@b' — 'Hello')")
    suite = ET.parse(tmp_path / "j.xml").getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("6", "1", "0", "1")
    failure = suite.find("testcase/failure")
    assert failure is not None and failure.get("message", "").startswith("no such notification on p")


def test_a_broken_file_is_one_error_line_exit_2_and_nothing_runs(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text(FAILING, encoding="utf-8")
    bad.write_text(FAILING.replace('body = "Goodbye"', 'body = 42'), encoding="utf-8")
    code, out = pushsim("run", str(good), str(bad))
    assert code == 2
    assert out.splitlines() == [f"error: {bad}: step 5 (notification): body: must be a string, got 42"]


def test_run_without_files_is_refused() -> None:
    assert pushsim("run") == (2, "pushsim run: give scenario files, or --all for the library\n")


def test_library_scenarios_run_by_name_and_seed_is_honoured_before_or_after_run(tmp_path: Path) -> None:
    code, out = pushsim("run", "dm_background", "--seed", "3", "--junit", str(tmp_path / "a.xml"))
    assert code == 0 and "PASS dm_background (5 steps" in out
    code, _ = pushsim("--seed", "4", "run", "dm_background", "--junit", str(tmp_path / "b.xml"))
    seeds = [ET.parse(tmp_path / f).getroot().find("testsuite/properties/property[@name='seed']") for f in ("a.xml", "b.xml")]
    assert code == 0 and [s.get("value") for s in seeds if s is not None] == ["3", "4"]


def test_scenarios_lists_the_library_with_one_line_descriptions() -> None:
    code, out = pushsim("scenarios")
    library = [load(p) for p in sorted(LIBRARY.glob("*.toml"))]
    lines = out.splitlines()
    assert code == 0 and len(lines) == len(library) + 1
    for line, scenario in zip(lines, library):
        assert line.split(None, 1) == [scenario.name, scenario.description]
    assert lines[-1].startswith(f"({len(library)} scenarios in ")


def test_scenarios_names_a_broken_library_file(tmp_path: Path) -> None:
    from scenarios.cli import list_library
    (tmp_path / "ok.toml").write_text(FAILING, encoding="utf-8")
    (tmp_path / "zz_broken.toml").write_text("[scenario]\n", encoding="utf-8")
    out = io.StringIO()
    assert list_library(out, tmp_path) == 2
    assert out.getvalue().splitlines()[1] == (
        f"zz_broken   BROKEN: {tmp_path / 'zz_broken.toml'}: [scenario]: description: missing (required)")


def test_scenarios_kinds_lists_every_step_kind_with_its_docstring() -> None:
    code, out = pushsim("scenarios", "--kinds")
    lines = out.splitlines()
    assert code == 0 and len(lines) == len(ACTIONS) + len(EXPECTATIONS) + len(UNAVAILABLE)
    assert [l.split()[2] for l in lines[:len(ACTIONS)]] == [repr(k) for k in sorted(ACTIONS)]
    assert any(l.startswith("expect = 'cleared'") and "clear push" in l for l in lines)
    assert f"(not yet: test_push: {UNAVAILABLE['test_push']})" in lines[-len(UNAVAILABLE):]

