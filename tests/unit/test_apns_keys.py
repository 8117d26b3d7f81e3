"""KeyRing as the registry of teams: their keys and their apps (TopicDisallowed across teams)."""

from __future__ import annotations

import pytest

from fake_apns import Environment, KeyRing, Reason, Rejection
from tests.support.jwt_es256 import bearer, new_key, provider_token

NOW = 1_767_225_600.0
KEY_A, KEY_B = new_key(), new_key()


def ring() -> KeyRing:
    keys = KeyRing()
    keys.register("TEAMAAAAAA", "KEYAAAAAAA", KEY_A.public_key())
    keys.register("TEAMBBBBBB", "KEYBBBBBBB", KEY_B.public_key())
    return keys


def verify(keys: KeyRing, key_id: str, topic: str) -> tuple[str, str]:
    key, team = (KEY_A, "TEAMAAAAAA") if key_id == "KEYAAAAAAA" else (KEY_B, "TEAMBBBBBB")
    authorization = bearer(provider_token(key, key_id=key_id, team_id=team, iat=NOW))
    return keys.verify(authorization, now=NOW, topic=topic, environment=Environment.PRODUCTION)


def test_without_registered_apps_any_key_may_push_to_any_bundle() -> None:
    keys = ring()
    assert verify(keys, "KEYAAAAAAA", "com.b.app") == ("TEAMAAAAAA", "KEYAAAAAAA")


@pytest.mark.parametrize("topic", ["com.b.app", "com.b.app.voip", "com.unknown.app"])
def test_a_team_with_apps_may_push_only_to_them(topic: str) -> None:
    keys = ring()
    keys.register_app("TEAMAAAAAA", "com.a.app")
    keys.register_app("TEAMBBBBBB", "com.b.app")
    assert verify(keys, "KEYAAAAAAA", "com.a.app.voip") == ("TEAMAAAAAA", "KEYAAAAAAA")
    with pytest.raises(Rejection) as info:
        verify(keys, "KEYAAAAAAA", topic)
    assert info.value.reason is Reason.TOPIC_DISALLOWED


def test_a_team_without_apps_is_not_limited_by_other_teams_apps_except_theirs() -> None:
    keys = ring()
    keys.register_app("TEAMAAAAAA", "com.a.app")
    assert verify(keys, "KEYBBBBBBB", "com.unknown.app")[0] == "TEAMBBBBBB"
    with pytest.raises(Rejection) as info:
        verify(keys, "KEYBBBBBBB", "com.a.app")
    assert info.value.reason is Reason.TOPIC_DISALLOWED


def test_teams_lists_keys_and_apps_and_changes_bump_the_generation() -> None:
    keys = ring()
    before = keys.generation
    keys.register_app("TEAMAAAAAA", "com.a.app")
    assert keys.generation == before + 1
    assert keys.teams() == {"TEAMAAAAAA": {"keys": ["KEYAAAAAAA"], "apps": ["com.a.app"]},
                            "TEAMBBBBBB": {"keys": ["KEYBBBBBBB"], "apps": []}}


def test_verify_token_returns_the_float_iat() -> None:
    keys = ring()
    authorization = bearer(provider_token(KEY_A, key_id="KEYAAAAAAA", team_id="TEAMAAAAAA", iat=NOW - 0.5))
    verified = keys.verify_token(authorization, now=NOW, environment=Environment.SANDBOX)
    assert (verified.team_id, verified.key_id, verified.iat) == ("TEAMAAAAAA", "KEYAAAAAAA", NOW - 0.5)
