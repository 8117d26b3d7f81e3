"""kyokomi/emoji Sprint behaviour: known codes become emoji + one space, the rest is untouched."""

from __future__ import annotations

import pytest

from simulator.proxy.emoji import SHORTCODES, emojize


@pytest.mark.parametrize(("text", "expected"), [
    (":smile:", "\U0001f604 "),
    ("ship it :rocket:!", "ship it \U0001f680 !"),
    (":+1: :thumbsup: :-1:", "\U0001f44d  \U0001f44d  \U0001f44e "),
    (":tada::tada:", "\U0001f389 \U0001f389 "),
    ("::heart:", ":\u2764 "),  # "::" keeps the first colon as text
    ("I :heart: it", "I \u2764  it"),
    ("go :flag-us:", "go \U0001f1fa\U0001f1f8"),  # regional indicators, no padding
    ("ünïcode :fire:", "ünïcode \U0001f525 "),
], ids=["alone", "inside", "plus-minus", "adjacent", "double-colon", "padding-doubles-space",
        "flag", "non-ascii-text"])
def test_known_shortcodes_become_emoji_plus_one_space(text: str, expected: str) -> None:
    assert emojize(text) == expected


@pytest.mark.parametrize("text", [
    "no colons here",
    ":notanemoji:",
    "meet at 10:30:45",
    ":smile",  # never closed
    ": smile:",  # whitespace abandons the candidate
    ":smi le:",
    ":smile\u00a0:",  # Go's unicode.IsSpace includes NO-BREAK SPACE
    ":SMILE:",  # codes are case-sensitive
    ":flag-usa:",
    ":flag-US:",
    "",
], ids=["plain", "unknown", "clock", "unterminated", "leading-space", "inner-space", "nbsp",
        "upper-case", "long-flag", "upper-flag", "empty"])
def test_everything_else_is_left_alone(text: str) -> None:
    assert emojize(text) == text


def test_unknown_code_swallows_its_closing_colon() -> None:
    # ":nope:" is looked up and kept, then scanning resumes after it: ":smile" is unterminated.
    assert emojize(":nope:smile:") == ":nope:smile:"
    assert emojize(":nope: :smile:") == ":nope: \U0001f604 "


def test_table_is_plain_data_with_common_codes() -> None:
    assert len(SHORTCODES) >= 60
    assert {"smile", "+1", "thumbsup", "heart", "tada", "joy", "wave", "rocket", "fire"} <= SHORTCODES.keys()
    assert all(":" not in code and value and not value.isascii() for code, value in SHORTCODES.items())
