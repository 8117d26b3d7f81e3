"""KeyRing.verify: ES256 provider tokens, accepted and refused for each documented reason."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from fake_apns import ConfigError, Environment, KeyRing, Reason, Rejection
from tests.support.jwt_es256 import bearer, new_key, provider_token, unsigned_token

NOW = 1_767_225_600.0
TEAM, KID, BUNDLE = "TEAM123456", "KEY1234567", "com.example.app"
KEY = new_key()
OTHER_KEY = new_key()


def ring(**scopes: frozenset[str] | frozenset[Environment] | None) -> KeyRing:
    keys = KeyRing()
    keys.register(TEAM, KID, KEY.public_key(), **scopes)  # type: ignore[arg-type]
    return keys


def verify(keys: KeyRing, authorization: str | None, *, topic: str | None = BUNDLE,
           environment: Environment = Environment.PRODUCTION) -> tuple[str, str]:
    return keys.verify(authorization, now=NOW, topic=topic, environment=environment)


def rejected(keys: KeyRing, authorization: str | None, **kwargs: object) -> Rejection:
    with pytest.raises(Rejection) as info:
        verify(keys, authorization, **kwargs)  # type: ignore[arg-type]
    return info.value


def good(**kwargs: object) -> str:
    args: dict[str, object] = {"key_id": KID, "team_id": TEAM, "iat": int(NOW), **kwargs}
    return bearer(provider_token(KEY, **args))  # type: ignore[arg-type]


def test_raw_signature_is_accepted() -> None:
    assert verify(ring(), good()) == (TEAM, KID)


def test_der_signature_is_accepted() -> None:
    assert verify(ring(), good(der=True)) == (TEAM, KID)


def test_float_iat_is_accepted() -> None:
    assert verify(ring(), good(iat=NOW - 0.25)) == (TEAM, KID)


def test_capitalised_bearer_and_typ_header_are_accepted() -> None:
    token = provider_token(KEY, key_id=KID, team_id=TEAM, iat=int(NOW), extra_header={"typ": "JWT"})
    assert verify(ring(), f"Bearer {token}") == (TEAM, KID)


def test_token_signed_by_another_key_is_invalid() -> None:
    token = bearer(provider_token(OTHER_KEY, key_id=KID, team_id=TEAM, iat=int(NOW)))
    err = rejected(ring(), token)
    assert err.reason is Reason.INVALID_PROVIDER_TOKEN and "signature" in err.detail


def test_tampered_claims_are_invalid() -> None:
    header, _, signature = good().removeprefix("bearer ").split(".")
    forged = base64.urlsafe_b64encode(json.dumps({"iss": TEAM, "iat": NOW + 30}).encode()).decode().rstrip("=")
    assert rejected(ring(), bearer(f"{header}.{forged}.{signature}")).reason is Reason.INVALID_PROVIDER_TOKEN


def test_unknown_kid_is_invalid() -> None:
    err = rejected(ring(), good(key_id="NOPE000000"))
    assert err.reason is Reason.INVALID_PROVIDER_TOKEN and "NOPE000000" in err.detail


def test_iss_of_another_team_is_invalid() -> None:
    err = rejected(ring(), good(team_id="OTHERTEAM0"))
    assert err.reason is Reason.INVALID_PROVIDER_TOKEN and "OTHERTEAM0" in err.detail


def test_iat_older_than_an_hour_is_expired_but_exactly_an_hour_is_fine() -> None:
    assert verify(ring(), good(iat=NOW - 3600)) == (TEAM, KID)
    assert rejected(ring(), good(iat=NOW - 3601)).reason is Reason.EXPIRED_PROVIDER_TOKEN


def test_iat_over_a_minute_ahead_is_invalid_but_small_skew_is_fine() -> None:
    assert verify(ring(), good(iat=NOW + 60)) == (TEAM, KID)
    err = rejected(ring(), good(iat=NOW + 61))
    assert err.reason is Reason.INVALID_PROVIDER_TOKEN and "future" in err.detail


@pytest.mark.parametrize("iat", [None, "1767225600", True], ids=["missing", "string", "bool"])
def test_missing_or_non_numeric_iat_is_invalid(iat: object) -> None:
    err = rejected(ring(), good(iat=iat))
    assert err.reason is Reason.INVALID_PROVIDER_TOKEN and "iat" in err.detail


def test_alg_none_is_invalid() -> None:
    err = rejected(ring(), bearer(unsigned_token(key_id=KID, team_id=TEAM, iat=int(NOW))))
    assert err.reason is Reason.INVALID_PROVIDER_TOKEN and "alg" in err.detail


def test_alg_hs256_is_invalid_even_with_a_valid_es256_signature() -> None:
    err = rejected(ring(), good(alg="HS256"))
    assert err.reason is Reason.INVALID_PROVIDER_TOKEN and "HS256" in err.detail


def test_missing_header_is_missing_provider_token() -> None:
    assert rejected(ring(), None).reason is Reason.MISSING_PROVIDER_TOKEN


@pytest.mark.parametrize("authorization", [
    "basic dXNlcjpwYXNz", "bearer", "bearer only.two", "bearer a.b.c", "bearer !!!.???.***",
    "bearer eyJ.eyJ.AAAA", "bearer W10.W10.AAAA",
], ids=["basic", "empty", "two-parts", "not-json", "not-base64", "truncated-json", "json-array"])
def test_malformed_authorization_is_invalid_provider_token(authorization: str) -> None:
    assert rejected(ring(), authorization).reason is Reason.INVALID_PROVIDER_TOKEN


def test_environment_scoped_key_works_in_its_environment_only() -> None:
    keys = ring(environments=frozenset({Environment.SANDBOX}))
    assert verify(keys, good(), environment=Environment.SANDBOX) == (TEAM, KID)
    err = rejected(keys, good(), environment=Environment.PRODUCTION)
    assert err.reason is Reason.BAD_ENVIRONMENT_KEY_IN_TOKEN and "sandbox" in err.detail


def test_old_style_key_works_in_both_environments() -> None:
    keys = ring()
    assert {verify(keys, good(), environment=env) for env in Environment} == {(TEAM, KID)}


def test_topic_specific_key_covers_its_topics_and_their_push_type_suffixes() -> None:
    keys = ring(topics=frozenset({BUNDLE}))
    assert verify(keys, good(), topic=BUNDLE) == (TEAM, KID)
    assert verify(keys, good(), topic=f"{BUNDLE}.voip") == (TEAM, KID)
    err = rejected(keys, good(), topic="com.other.app")
    assert err.reason is Reason.TOPIC_DISALLOWED and "com.other.app" in err.detail


def test_topic_none_skips_the_topic_check() -> None:
    assert verify(ring(topics=frozenset({"com.other.app"})), good(), topic=None) == (TEAM, KID)


def test_register_refuses_a_non_p256_key() -> None:
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key()
    with pytest.raises(ConfigError, match="P-256"):
        KeyRing().register(TEAM, KID, p384)


def test_register_refuses_an_empty_topic_set() -> None:
    with pytest.raises(ConfigError, match="at least one topic"):
        KeyRing().register(TEAM, KID, KEY.public_key(), topics=frozenset())
