"""The runner: what passes, what fails (and says why), what is skipped after a failure."""

from __future__ import annotations

from pathlib import Path

from scenarios import ScenarioResult, StepResult, StepStatus, junit_tree, loads, run_scenario
from scenarios.model import Scenario

STORY = '''
[scenario]
name = "story"
description = "Account A in the background gets Account B's DM"

[[users]]
username = "accounta"

[[users]]
username = "accountb"

[[phones]]
name = "a-phone"

[[steps]]
do = "install"
phone = "a-phone"

[[steps]]
do = "log_in"
phone = "a-phone"
user = "accounta"

[[steps]]
do = "background"
phone = "a-phone"

[[steps]]
do = "send_dm"
from = "accountb"
to = "accounta"
message = "Hello"
as = "hello"
'''


def story(*steps: str) -> Scenario:
    return loads(STORY + "".join("\n[[steps]]\n" + s + "\n" for s in steps), Path("story.toml"))


async def play(scenario: Scenario) -> tuple[ScenarioResult, list[StepResult]]:
    seen: list[StepResult] = []
    result = await run_scenario(scenario, progress=lambda _s, r: seen.append(r))
    return result, seen


async def test_a_scenario_whose_facts_hold_passes_and_reports_every_step_in_order() -> None:
    result, seen = await play(story('expect = "notification"\nphone = "a-phone"\nbody = "Hello"\npost = "hello"'))
    assert result.passed and result.failure == "" and result.seed == 7
    assert [r.index for r in seen] == [1, 2, 3, 4, 5] and list(result.steps) == seen
    assert seen[4].message == "@accountb — Hello"


async def test_a_missed_expectation_fails_saying_what_happened_instead_and_skips_the_rest() -> None:
    result, _ = await play(story('expect = "notification"\nphone = "a-phone"\nbody = "Goodbye"\nwithin = 0.5',
                                 'expect = "badge"\nphone = "a-phone"\nvalue = 1'))
    assert not result.passed
    assert [s.status for s in result.steps] == [StepStatus.PASSED] * 4 + [StepStatus.FAILED, StepStatus.SKIPPED]
    assert result.failure == ("story: step 5 (notification) FAIL: no such notification on a-phone within 0.5s "
                              "(shown instead: '@accountb' — 'Hello')")


async def test_a_wrong_reason_for_no_push_fails_naming_both_reasons() -> None:
    text = STORY.replace('do = "background"', 'do = "kill"') + (
        '\n[[steps]]\nexpect = "no_push"\nuser = "accounta"\nreason = "user_is_active"\n')
    result, _ = await play(loads(text.replace('do = "kill"\nphone = "a-phone"', 'do = "set_status"\nuser = "accounta"\n'
                                              'status = "dnd"'), Path("story.toml")))
    assert result.steps[-1].message == "no push to accounta, but because user_status, not user_is_active"


async def test_expecting_no_push_when_one_is_sent_fails() -> None:
    result, _ = await play(story('expect = "no_push"\nuser = "accounta"\nreason = "user_is_active"'))
    assert result.steps[-1].status is StepStatus.FAILED
    assert result.steps[-1].message == "the server pushed to accounta (expected no push: user_is_active)"


async def test_no_notification_fails_when_the_phone_shows_one() -> None:
    result, _ = await play(story('expect = "no_notification"\nphone = "a-phone"'))
    assert result.steps[-1].message == "a-phone showed '@accountb' — 'Hello'"


async def test_a_hop_that_never_comes_fails_listing_the_hops_seen() -> None:
    result, _ = await play(story('expect = "hop"\nfrom = "proxy"\nto = "apns"\nok = false\nwithin = 0.5'))
    message = result.steps[-1].message
    assert message.startswith("no matching hop proxy → apns within 0.5s (seen: POST /3/device/")
    assert "⇒ 200 apns-id=" in message


async def test_an_action_the_world_refuses_is_an_error_line_not_a_crash() -> None:
    scenario = loads(STORY.replace('do = "install"\nphone = "a-phone"\n\n[[steps]]\n', "", 1) +
                     '\n[[steps]]\nexpect = "badge"\nphone = "a-phone"\nvalue = 0\n', Path("story.toml"))
    result, _ = await play(scenario)
    first = result.steps[0]
    assert first.status is StepStatus.ERROR and first.message == "DeviceError: a-phone: no app (none installed)"
    assert {s.status for s in result.steps[1:]} == {StepStatus.SKIPPED}


async def test_advance_clock_and_fault_steps_act_on_the_world() -> None:
    result, _ = await play(story('do = "advance_clock"\nminutes = 61', 'do = "inject_fault"\nreason = "Unregistered"\n'
                                 'phone = "a-phone"', 'do = "send_dm"\nfrom = "accountb"\nto = "accounta"',
                                 'expect = "apns_rejected"\nreason = "Unregistered"\nphone = "a-phone"',
                                 'expect = "hop"\nfrom = "chat"\nto = "proxy"\noutcome = "REMOVE"'))
    assert result.passed, result.failure
    assert result.steps[4].title == "advance the clock by 3660s"


async def test_a_seed_override_changes_the_world_but_not_the_verdict() -> None:
    scenario = story('expect = "notification"\nphone = "a-phone"\nbody = "Hello"')
    first = await run_scenario(scenario, seed=1)
    second = await run_scenario(scenario, seed=2)
    assert first.passed and second.passed and (first.seed, second.seed) == (1, 2)
    assert first.steps[0].message != second.steps[0].message  # install reports a different push token
    again = await run_scenario(scenario, seed=1)
    assert again.steps[0].message == first.steps[0].message


async def test_a_cast_the_server_refuses_is_a_world_error_counted_in_junit() -> None:
    scenario = loads('[scenario]\ndescription = "x"\n[[users]]\nusername = "Bad Name!"\n[[phones]]\nname = "p"\n'
                     '[[steps]]\nexpect = "badge"\nphone = "p"\nvalue = 0\n', Path("cast.toml"))
    result = await run_scenario(scenario)
    assert not result.passed and result.steps == ()
    assert result.failure == ("cast: the cast could not be set up: AppError: model.user.is_valid.username.app_error: "
                              "Invalid username.")
    root = junit_tree([result]).getroot()
    assert root is not None and (root.get("tests"), root.get("errors")) == ("1", "1")
    assert root.find("testsuite/testcase[@name='world']/error") is not None
