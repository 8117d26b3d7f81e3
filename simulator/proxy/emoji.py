"""``:shortcode:`` to emoji, as the proxy's kyokomi/emoji ``Sprint`` does (spec §4.2, §5.3).

Scanning rule (kyokomi/emoji ``compile``): a ``:`` opens a candidate that closes at the next ``:``;
whitespace (Go ``unicode.IsSpace``) before the close abandons it, ``::`` leaves the first colon
as text. A known code becomes its emoji followed by ONE space; ``:flag-xx:`` becomes the two
regional-indicator letters (no space); anything else is left as written.
The table is a subset of kyokomi's code map: the shortcodes people actually type in chat.
"""

from __future__ import annotations

import re
from typing import Final

SHORTCODES: Final[dict[str, str]] = {
    "+1": "\U0001f44d", "-1": "\U0001f44e", "100": "\U0001f4af", "angry": "\U0001f620",
    "beer": "\U0001f37a", "blue_heart": "\U0001f499", "blush": "\U0001f60a",
    "boom": "\U0001f4a5", "broken_heart": "\U0001f494", "bug": "\U0001f41b",
    "bulb": "\U0001f4a1", "cake": "\U0001f370", "calendar": "\U0001f4c6",
    "clap": "\U0001f44f", "coffee": "\u2615", "confused": "\U0001f615", "cry": "\U0001f622",
    "disappointed": "\U0001f61e", "exclamation": "\u2757", "eyes": "\U0001f440",
    "facepunch": "\U0001f44a", "fire": "\U0001f525", "flushed": "\U0001f633",
    "gift": "\U0001f381", "green_heart": "\U0001f49a", "grin": "\U0001f604",
    "grinning": "\U0001f600", "heart": "\u2764", "heart_eyes": "\U0001f60d",
    "heavy_check_mark": "\u2714", "heavy_plus_sign": "\u2795", "hourglass": "\u231b",
    "hugs": "\U0001f917", "innocent": "\U0001f607", "joy": "\U0001f602",
    "kissing_heart": "\U0001f618", "laughing": "\U0001f606", "link": "\U0001f517",
    "lock": "\U0001f512", "memo": "\U0001f4dd", "muscle": "\U0001f4aa",
    "neutral_face": "\U0001f610", "ok_hand": "\U0001f44c", "pensive": "\U0001f614",
    "pizza": "\U0001f355", "point_right": "\U0001f449", "point_up": "\u261d",
    "pray": "\U0001f64f", "punch": "\U0001f44a", "purple_heart": "\U0001f49c",
    "question": "\u2753", "rage": "\U0001f621", "rainbow": "\U0001f308",
    "raised_hands": "\U0001f64c", "relaxed": "\u263a", "rocket": "\U0001f680",
    "rofl": "\U0001f923", "roll_eyes": "\U0001f644", "scream": "\U0001f631",
    "see_no_evil": "\U0001f648", "skull": "\U0001f480", "sleeping": "\U0001f634",
    "slightly_smiling_face": "\U0001f642", "smile": "\U0001f604", "smiley": "\U0001f603",
    "smirk": "\U0001f60f", "sob": "\U0001f62d", "sparkles": "\u2728", "star": "\u2b50",
    "stuck_out_tongue": "\U0001f61b", "sunglasses": "\U0001f60e", "sunny": "\u2600",
    "sweat_smile": "\U0001f605", "tada": "\U0001f389", "thinking": "\U0001f914",
    "thumbsdown": "\U0001f44e", "thumbsup": "\U0001f44d", "tired_face": "\U0001f62b",
    "tongue": "\U0001f445", "trophy": "\U0001f3c6", "unamused": "\U0001f612",
    "upside_down_face": "\U0001f643", "v": "\u270c", "warning": "\u26a0",
    "wave": "\U0001f44b", "weary": "\U0001f629", "white_check_mark": "\u2705",
    "wink": "\U0001f609", "worried": "\U0001f61f", "x": "\u274c",
    "yellow_heart": "\U0001f49b", "yum": "\U0001f60b", "zap": "\u26a1", "zzz": "\U0001f4a4",
}

# Go's unicode.IsSpace: ASCII/Latin-1 spaces plus the Unicode White_Space property.
_GO_SPACE: Final = "\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_CANDIDATE: Final = re.compile(f":([^:{_GO_SPACE}]+):")
_FLAG: Final = re.compile("flag-([a-z])([a-z])")
_PADDING: Final = " "


def _replace(match: re.Match[str]) -> str:
    name = match.group(1)
    emoji = SHORTCODES.get(name)
    if emoji is not None:
        return emoji + _PADDING
    flag = _FLAG.fullmatch(name)
    if flag is not None:
        return "".join(chr(0x1F1E6 + ord(c) - ord("a")) for c in flag.groups())
    return match.group(0)


def emojize(text: str) -> str:
    """Replace known ``:shortcode:`` s in ``text`` with emoji plus one space."""
    if ":" not in text:
        return text
    return _CANDIDATE.sub(_replace, text)
