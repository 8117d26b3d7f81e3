"""Each kind of broken scenario file gets exactly one error line naming the file, the place
(table, row or step with its kind) and the field; a good file loads into checked steps."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios import ACTIONS, EXPECTATIONS, UNAVAILABLE, ScenarioError, load, loads

HEAD = '[scenario]\ndescription = "d"\n'
CAST = ('[[users]]\nusername = "a"\n[[users]]\nusername = "b"\n[[phones]]\nname = "p"\n'
        '[[channels]]\nname = "ops"\nmembers = ["a", "b"]\n')
OK_STEP = '[[steps]]\nexpect = "notification"\nphone = "p"\n'


def step(body: str) -> str:
    return HEAD + CAST + "[[steps]]\n" + body + "\n" + OK_STEP


def error_line(text: str) -> str:
    with pytest.raises(ScenarioError) as info:
        loads(text, Path("broken.toml"))
    line = str(info.value)
    assert "\n" not in line
    return line


def test_a_good_file_loads_with_numbered_checked_steps() -> None:
    scenario = loads(step('do = "send_dm"\nfrom = "b"\nto = "a"\nas = "hi"') +
                     '[[steps]]\nexpect = "notification"\nphone = "p"\npost = "hi"\nwithin = 2\n',
                     Path("good.toml"))
    assert scenario.name == "good" and [s.index for s in scenario.steps] == [1, 2, 3]
    assert [(s.kind, s.expectation) for s in scenario.steps] == [
        ("send_dm", False), ("notification", True), ("notification", True)]
    assert scenario.steps[0].title == 'b sends "Hello" to a in a DM'
    assert scenario.steps[2].handler.within == 2.0  # type: ignore[attr-defined]


CASES = [
    # (id, file text, the exact error line)
    ("not-toml", "[scenario\n", "broken.toml: not valid TOML: Expected ']' at the end of a table declaration (at line 1, column 10)"),
    ("unknown-table", HEAD + "[cast]\n" + OK_STEP,
     "broken.toml: cast: unknown table (known: scenario, world, users, phones, channels, steps)"),
    ("no-scenario-table", OK_STEP, "broken.toml: [scenario]: missing (required)"),
    ("no-description", '[scenario]\nname = "x"\n' + OK_STEP, "broken.toml: [scenario]: description: missing (required)"),
    ("two-line-description", '[scenario]\ndescription = """a\nb"""\n' + OK_STEP,
     "broken.toml: [scenario]: description: must be one non-empty line"),
    ("scenario-typo", HEAD + 'descripton = "x"\n' + OK_STEP,
     "broken.toml: [scenario]: descripton: unknown field (known here: description, doc, name)"),
    ("world-bad-role", HEAD + '[world]\nrole = "GCM"\n' + OK_STEP,
     "broken.toml: [world]: role = 'GCM' is not one of HPNS, TPNS, EAS"),
    ("world-unknown-key", HEAD + '[world]\ncolour = "red"\n' + OK_STEP, "broken.toml: [world]: unknown key 'colour'"),
    ("user-without-name", HEAD + '[[users]]\npassword = "x"\n' + OK_STEP,
     "broken.toml: users[1]: username: missing (required)"),
    ("user-twice", HEAD + '[[users]]\nusername = "a"\n[[users]]\nusername = "a"\n' + OK_STEP,
     "broken.toml: users[2]: username: 'a' is declared twice"),
    ("user-bad-props", HEAD + '[[users]]\nusername = "a"\nnotify_props = { push = 1 }\n' + OK_STEP,
     "broken.toml: users[1]: notify_props: must be a table of strings, got {'push': 1}"),
    ("unknown-platform", HEAD + '[[phones]]\nname = "p"\nplatform = "windows"\n' + OK_STEP,
     "broken.toml: phones[1]: platform: 'windows' is not one of ios, android"),
    ("model-of-other-platform", HEAD + '[[phones]]\nname = "p"\nmodel = "Pixel 7"\nplatform = "ios"\n' + OK_STEP,
     "broken.toml: phones[1]: platform: 'Pixel 7' is an android phone, not ios"),
    ("channel-member-unknown", HEAD + '[[channels]]\nname = "ops"\nmembers = ["zed"]\n' + OK_STEP,
     "broken.toml: channels[1]: members: no user 'zed' in the cast (known: none)"),
    ("channel-default-name", HEAD + '[[channels]]\nname = "town-square"\n' + OK_STEP,
     "broken.toml: channels[1]: name: 'town-square' exists in every team already; use it in steps without declaring it"),
    ("steps-not-array", HEAD + '[steps]\ndo = "kill"\n', "broken.toml: [[steps]]: must be an array of tables (write [[steps]])"),
    ("no-steps", HEAD + CAST, "broken.toml: [[steps]]: a scenario needs at least one step"),
    ("no-expectation", HEAD + CAST + '[[steps]]\ndo = "kill"\nphone = "p"\n',
     "broken.toml: [[steps]]: no step is an expectation, so nothing would be checked"),
    ("neither-do-nor-expect", step('phone = "p"'),
     "broken.toml: step 1: needs exactly one of 'do' (an action) or 'expect' (an expectation)"),
    ("both-do-and-expect", step('do = "kill"\nexpect = "badge"'),
     "broken.toml: step 1: needs exactly one of 'do' (an action) or 'expect' (an expectation)"),
    ("kind-not-string", step("do = 3"), "broken.toml: step 1: do: must be a string, got 3"),
    ("unknown-action", step('do = "fly"'),
     f"broken.toml: step 1 (fly): do: unknown action 'fly' (known: {', '.join(sorted(ACTIONS))})"),
    ("unknown-expectation", step('expect = "rain"'),
     f"broken.toml: step 1 (rain): expect: unknown expectation 'rain' (known: {', '.join(sorted(EXPECTATIONS))})"),
    ("action-as-expectation", step('expect = "install"'),
     "broken.toml: step 1 (install): expect: 'install' is not an expectation; write do = 'install'"),
    ("not-yet-available", step('do = "test_push"\nphone = "p"'),
     f"broken.toml: step 1 (test_push): do: 'test_push' cannot run in this world yet: {UNAVAILABLE['test_push']}"),
    ("missing-field", step('do = "install"'), "broken.toml: step 1 (install): phone: missing (required)"),
    ("unknown-phone", step('do = "install"\nphone = "q"'),
     "broken.toml: step 1 (install): phone: no phone 'q' in the cast (known: p)"),
    ("unknown-user", step('do = "log_in"\nphone = "p"\nuser = "c"'),
     "broken.toml: step 1 (log_in): user: no user 'c' in the cast (known: a, b)"),
    ("unknown-channel", step('do = "post"\nfrom = "a"\nchannel = "dev"'),
     "broken.toml: step 1 (post): channel: no channel 'dev' in the cast (known: off-topic, ops, town-square)"),
    ("undefined-post", step('expect = "notification"\nphone = "p"\npost = "hi"'),
     "broken.toml: step 1 (notification): post: no earlier step names a post 'hi' with 'as' (known: none)"),
    ("post-named-twice", step('do = "send_dm"\nfrom = "a"\nto = "b"\nas = "x"\n[[steps]]\ndo = "send_dm"\nfrom = "a"\n'
                              'to = "b"\nas = "x"'),
     "broken.toml: step 2 (send_dm): as: post name 'x' is already used by an earlier step"),
    ("typo-field", step('expect = "notification"\nphone = "p"\nbodyy = "Hello"'),
     "broken.toml: step 1 (notification): bodyy: unknown field (known here: app, body, body_contains, phone, "
     "post, title, verified, within)"),
    ("wrong-type", step('expect = "notification"\nphone = "p"\nwithin = "5s"'),
     "broken.toml: step 1 (notification): within: must be a number, got '5s'"),
    ("non-positive-deadline", step('expect = "notification"\nphone = "p"\nwithin = 0'),
     "broken.toml: step 1 (notification): within: must be greater than 0, got 0"),
    ("bad-flag", step('expect = "hop"\nfrom = "chat"\nto = "proxy"\nok = "yes"'),
     "broken.toml: step 1 (hop): ok: must be true or false, got 'yes'"),
    ("hop-unknown-end", step('expect = "hop"\nfrom = "chat"\nto = "gcm"'),
     "broken.toml: step 1 (hop): to: 'gcm' is not a component, phone or user (known: a, apns, b, chat, fcm, "
     "fcm-oauth2, hpns, p, proxy, tpns)"),
    ("bad-reason", step('expect = "no_push"\nuser = "a"\nreason = "asleep"'),
     "broken.toml: step 1 (no_push): reason: 'asleep' is not one of channel_muted, level_set_to_none, "
     "license_missing, not_mentioned, push_disabled, system_message, user_is_active, user_status"),
    ("bad-apns-reason", step('do = "inject_fault"\nreason = "Gone"'),
     "broken.toml: step 1 (inject_fault): reason: 'Gone' is not one of " + ", ".join(
         sorted(r.value for r in __import__("fake_apns").Reason))),
    ("fault-times-zero", step('do = "inject_fault"\nreason = "Unregistered"\ntimes = 0'),
     "broken.toml: step 1 (inject_fault): times: must be at least 1, got 0"),
    ("fcm-fault-with-an-apns-reason", step('do = "inject_fault"\nservice = "fcm"\nreason = "Unregistered"'),
     "broken.toml: step 1 (inject_fault): reason: 'Unregistered' is not one of APNS_AUTH_ERROR, INTERNAL, "
     "INVALID_ARGUMENT, QUOTA_EXCEEDED, SENDER_ID_MISMATCH, THIRD_PARTY_AUTH_ERROR, UNAVAILABLE, UNREGISTERED, "
     "UNSPECIFIED_ERROR"),
    ("fault-unknown-service", step('do = "inject_fault"\nservice = "gcm"\nreason = "Unregistered"'),
     "broken.toml: step 1 (inject_fault): service: 'gcm' is not one of apns, fcm"),
    ("unknown-setting", step('do = "change_setting"\nsetting = "colour"\nvalue = "red"'),
     "broken.toml: step 1 (change_setting): setting: unknown server setting 'colour' (known: "),
    ("bad-setting-value", step('do = "change_setting"\nsetting = "contents"\nvalue = "everything"'),
     "broken.toml: step 1 (change_setting): value: 'everything' is not one of full, generic, generic_no_channel, id_loaded"),
    ("setting-value-type", step('do = "change_setting"\nsetting = "licensed"\nvalue = "yes"'),
     "broken.toml: step 1 (change_setting): value: must be true or false, got 'yes'"),
    ("bad-notify-level", step('do = "set_notifications"\nuser = "a"\npush = "mentions"'),
     "broken.toml: step 1 (set_notifications): push: 'mentions' is not one of all, mention, none"),
    ("no-notify-prop", step('do = "set_notifications"\nuser = "a"'),
     "broken.toml: step 1 (set_notifications): push: set at least one preference (known: "),
    ("clock-two-units", step('do = "advance_clock"\nminutes = 5\nhours = 1'),
     "broken.toml: step 1 (advance_clock): seconds: give exactly one of 'seconds', 'minutes' or 'hours'"),
    ("read-channel-ambiguous", step('do = "read_channel"\nphone = "p"'),
     "broken.toml: step 1 (read_channel): channel: give exactly one of 'channel', 'with' (a DM partner) or 'post'"),
    ("bad-regex", step('expect = "log"\nmatches = "(unclosed"'),
     "broken.toml: step 1 (log): matches: not a regular expression: missing ), unterminated subpattern at position 0"),
    ("bad-level", step('expect = "log"\nlevel = "LOUD"'),
     "broken.toml: step 1 (log): level: 'LOUD' is not one of TRACE, DEBUG, INFO, WARN, ERROR"),
    ("badge-negative", step('expect = "badge"\nphone = "p"\nvalue = -1'),
     "broken.toml: step 1 (badge): value: must be at least 0, got -1"),
    ("metric-value-and-at-least", step('expect = "metric"\nname = "service_success_total"\nvalue = 1\nat_least = 1'),
     "broken.toml: step 1 (metric): value: give exactly one of 'value' or 'at_least'"),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_broken_file_gets_one_error_line(text: str, expected: str) -> None:
    assert error_line(text).startswith(expected)


def test_metric_expectations_are_refused_until_the_world_serves_metrics() -> None:
    line = error_line(step('expect = "metric"\nname = "service_success_total"\nat_least = 1'))
    assert line.startswith("broken.toml: step 1 (metric): expect: metric expectations need ")
    assert "EnableMetrics" in line or "enable_metrics" in line


def test_a_missing_file_is_one_line_too(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load(tmp_path / "nope.toml")
    assert str(info.value).startswith(f"{tmp_path / 'nope.toml'}: cannot read the file: [Errno 2]")


def test_every_registered_kind_has_a_one_line_docstring() -> None:
    for kind, cls in {**ACTIONS, **EXPECTATIONS}.items():
        assert cls.__doc__ and "\n" not in cls.__doc__.strip(), kind
    assert not set(UNAVAILABLE) & (set(ACTIONS) | set(EXPECTATIONS))
