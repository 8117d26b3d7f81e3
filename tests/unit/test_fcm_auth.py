"""The OAuth2 token endpoint (JWT-bearer grant) and the bearer check, on the pure core.

Every accepted grant is paired with the refusal that proves the check is real (trustme-style).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from fake_fcm import (AccessTokenIssued, AccessTokenRefused, BearerProblem, HttpRequest, OAuthError,
                      ServiceAccount)
from tests.support.fcm_jwt import FIREBASE_ADMIN_SCOPES, JWT_BEARER, assertion, grant_form
from tests.support.fcm_world import FORM, NOW, FcmWorld, body, make_world, rsa_key

SHORT_LIVED = ("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
               "Check your iat and exp values in the JWT claim.")


@pytest.fixture
def world() -> FcmWorld:
    return make_world()


def refusal(reply_body: bytes) -> tuple[str, str]:
    found = json.loads(reply_body)
    assert set(found) == {"error", "error_description"}
    return found["error"], found["error_description"]


def test_pyfcm_style_grant_gets_a_bearer_token_for_3599_seconds(world: FcmWorld) -> None:
    reply = world.grant()
    assert (reply.status, reply.content_type) == (200, "application/json; charset=UTF-8")
    answer = body(reply)
    assert set(answer) == {"access_token", "expires_in", "token_type"}
    assert (answer["expires_in"], answer["token_type"]) == (3599, "Bearer")
    assert answer["access_token"].startswith("ya29.")
    [issued] = reply.events
    assert isinstance(issued, AccessTokenIssued)
    assert (issued.client_email, issued.project_id, issued.expires_at) == (
        world.account.client_email, "pushsim-test", NOW + 3599)


def test_a_key_that_is_not_the_accounts_gets_invalid_grant(world: FcmWorld) -> None:
    reply = world.grant(key=rsa_key(2))
    assert reply.status == 400
    assert refusal(reply.body) == ("invalid_grant", "Invalid JWT Signature.")
    [refused] = reply.events
    assert isinstance(refused, AccessTokenRefused)
    assert (refused.error, refused.client_email) == (OAuthError.INVALID_GRANT, world.account.client_email)


def test_firebase_admin_scopes_are_accepted_through_cloud_platform(world: FcmWorld) -> None:
    assert world.grant(scope=FIREBASE_ADMIN_SCOPES).status == 200


@pytest.mark.parametrize(("scope", "description"), [
    ("", "Empty or missing scope not allowed."),
    ("https://www.googleapis.com/auth/datastore https://www.googleapis.com/auth/firebase",
     "Invalid OAuth scope or ID token audience provided."),
])
def test_scopes_without_fcm_get_invalid_scope(world: FcmWorld, scope: str, description: str) -> None:
    reply = world.grant(scope=scope)
    assert (reply.status, refusal(reply.body)) == (400, ("invalid_scope", description))


def test_any_audience_is_accepted_because_google_auth_always_sends_googles(world: FcmWorld) -> None:
    assert world.grant(aud="https://127.0.0.1:1/token").status == 200
    assert world.grant(aud="https://oauth2.googleapis.com/token").status == 200


@pytest.mark.parametrize(("claims", "error", "description"), [
    ({"iss": "nobody@pushsim-test.iam.gserviceaccount.com"}, "invalid_grant", "Invalid email or User ID"),
    ({"kid": "0" * 40}, "invalid_grant", "Invalid JWT Signature."),
    ({"alg": "RS384"}, "invalid_grant", "Invalid JWT Signature."),
    ({"exp": NOW + 3601}, "invalid_grant", SHORT_LIVED),
    ({"exp": NOW}, "invalid_grant", SHORT_LIVED),
    ({"iat": NOW + 301}, "invalid_grant", SHORT_LIVED),
    ({"iat": NOW - 4000, "exp": NOW - 400}, "invalid_grant", SHORT_LIVED),
], ids=["unknown-iss", "wrong-kid", "wrong-alg", "lives-too-long", "exp-before-iat", "iat-in-future",
        "assertion-expired"])
def test_bad_assertions_are_refused(world: FcmWorld, claims: dict[str, Any], error: str,
                                    description: str) -> None:
    reply = world.grant(**claims)
    assert (reply.status, refusal(reply.body)) == (400, (error, description))


def test_clock_skew_within_five_minutes_is_tolerated(world: FcmWorld) -> None:
    assert world.grant(iat=NOW + 299).status == 200
    assert world.grant(iat=NOW - 3600 - 299, exp=NOW - 299).status == 200


def test_an_assertion_without_kid_is_checked_against_the_accounts_key(world: FcmWorld) -> None:
    assert world.grant(kid=None).status == 200
    assert refusal(world.grant(kid=None, key=rsa_key(2)).body) == ("invalid_grant", "Invalid JWT Signature.")


def test_a_removed_service_account_can_no_longer_get_tokens(world: FcmWorld) -> None:
    world.registry.remove_service_account(world.account.client_email)
    assert refusal(world.grant().body) == ("invalid_grant", "Invalid email or User ID")


def _token_request(form: bytes, content_type: str | None = FORM) -> tuple[int, tuple[str, str]]:
    reply = make_world().core.token(HttpRequest(body=form, content_type=content_type))
    return reply.status, refusal(reply.body)


def _good_jwt(account: ServiceAccount) -> str:
    return assertion(account.private_key, iss=account.client_email, kid=account.private_key_id, iat=NOW)


def test_a_json_body_is_accepted_like_a_form() -> None:
    world = make_world()
    jwt = _good_jwt(world.account)
    reply = world.core.token(HttpRequest(body=json.dumps({"grant_type": JWT_BEARER, "assertion": jwt}).encode(),
                                         content_type="application/json"))
    assert reply.status == 200


@pytest.mark.parametrize(("form", "content_type", "error"), [
    (b"assertion=x", FORM, ("unsupported_grant_type", "Invalid grant_type: ")),
    (b"grant_type=client_credentials&assertion=x", FORM,
     ("unsupported_grant_type", "Invalid grant_type: client_credentials")),
    (grant_form(None), FORM, ("invalid_request", "Missing required parameter: assertion")),
    (grant_form("only.two"), FORM, ("invalid_grant", "Invalid JWT: 2 segments, expected 3.")),
    (grant_form("!!!.e30.c2ln"), FORM, ("invalid_grant", "Invalid JWT: header is not base64url.")),
    (grant_form("e30.bm90IGpzb24.c2ln"), FORM, ("invalid_grant", "Invalid JWT: claims is not JSON.")),
    (grant_form("W10.e30.c2ln"), FORM, ("invalid_grant", "Invalid JWT: header is not a JSON object.")),
    (b"\xff\xfe", FORM, ("invalid_request", None)),
    (grant_form("a.b.c"), "text/plain", ("invalid_request", None)),
], ids=["no-grant-type", "other-grant-type", "no-assertion", "two-segments", "bad-base64", "claims-not-json",
        "header-not-object", "not-utf8", "wrong-content-type"])
def test_malformed_token_requests_get_oauth_errors(form: bytes, content_type: str,
                                                   error: tuple[str, str | None]) -> None:
    status, (code, description) = _token_request(form, content_type)
    assert (status, code) == (400, error[0])
    assert error[1] is None or description == error[1]


def test_a_signature_over_other_claims_is_refused() -> None:
    world = make_world()
    header, _, signature = _good_jwt(world.account).split(".")
    forged = base64.urlsafe_b64encode(json.dumps({"iss": world.account.client_email, "iat": NOW, "exp": NOW + 60,
                                                  "scope": "https://www.googleapis.com/auth/cloud-platform"})
                                      .encode()).decode().rstrip("=")
    reply = world.core.token(HttpRequest(body=grant_form(f"{header}.{forged}.{signature}"), content_type=FORM))
    assert refusal(reply.body) == ("invalid_grant", "Invalid JWT Signature.")


# -- the bearer check -------------------------------------------------------------------------
def test_an_issued_token_authenticates_until_it_expires(world: FcmWorld) -> None:
    authorization = world.bearer()
    token = world.core.tokens.authenticate(authorization)
    assert not isinstance(token, BearerProblem) and token.client_email == world.account.client_email
    world.clock.advance(3598)
    assert not isinstance(world.core.tokens.authenticate(authorization), BearerProblem)
    world.clock.advance(1)
    assert world.core.tokens.authenticate(authorization) is BearerProblem.EXPIRED


@pytest.mark.parametrize(("authorization", "problem"), [
    (None, BearerProblem.MISSING), ("  ", BearerProblem.MISSING), ("Bearer ya29.unknown", BearerProblem.INVALID),
    ("key=AAAA", BearerProblem.INVALID), ("Basic dXNlcjpwYXNz", BearerProblem.INVALID),
])
def test_headers_that_are_no_issued_bearer_fail(world: FcmWorld, authorization: str | None,
                                                problem: BearerProblem) -> None:
    assert world.core.tokens.authenticate(authorization) is problem


def test_expire_all_and_revoke_are_test_hooks(world: FcmWorld) -> None:
    first, second = world.bearer(), world.bearer()
    world.core.tokens.revoke(first.removeprefix("Bearer "))
    assert world.core.tokens.authenticate(first) is BearerProblem.INVALID
    world.core.tokens.expire_all()
    assert world.core.tokens.authenticate(second) is BearerProblem.EXPIRED
    assert not isinstance(world.core.tokens.authenticate(world.bearer()), BearerProblem)  # new grants work


def test_tokens_of_a_removed_account_stop_working(world: FcmWorld) -> None:
    authorization = world.bearer()
    world.registry.remove_service_account(world.account.client_email)
    assert world.core.tokens.authenticate(authorization) is BearerProblem.INVALID
