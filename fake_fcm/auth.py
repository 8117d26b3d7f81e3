"""Google's OAuth2 token endpoint for service accounts (JWT-bearer grant, RS256) and the bearer
check on ``messages:send`` (apns-fcm.md B1).

Check order for a grant: form, ``grant_type``, ``assertion`` present, JWS shape, ``alg``,
``iss`` (a known account), ``kid`` + signature, ``iat``/``exp``, scope. ``aud`` is never checked:
google-auth always sends ``https://oauth2.googleapis.com/token``, whatever ``token_uri`` says.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import random
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Callable
from urllib.parse import parse_qsl

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from .codes import OAuthError
from .errors import GrantRefused
from .registry import Registry, ServiceAccount

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
SEND_SCOPES = frozenset({FCM_SCOPE, CLOUD_PLATFORM_SCOPE})  # FCM v1 accepts either (F-disc)
ACCESS_TOKEN_LIFETIME = 3599  # what Google's endpoint answers; well above google-auth's 225 s refresh margin
MAX_ASSERTION_LIFETIME = 3600  # exp - iat may not exceed one hour
CLOCK_SKEW = 300.0  # tolerated difference between the sender's clock and ours [Infer]

SHORT_LIVED = ("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
               "Check your iat and exp values in the JWT claim.")
BAD_SIGNATURE = "Invalid JWT Signature."
UNKNOWN_ACCOUNT = "Invalid email or User ID"
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_TOKEN_CHARS = string.ascii_letters + string.digits + "-_"


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessToken:
    """An OAuth2 access token the endpoint issued."""

    token: str
    client_email: str
    project_id: str
    scopes: tuple[str, ...]
    issued_at: float
    expires_at: float


class BearerProblem(StrEnum):
    """Why an ``Authorization`` header does not authenticate a v1 request."""

    MISSING = "missing"
    INVALID = "invalid"
    EXPIRED = "expired"


def parse_form(body: bytes, content_type: str | None) -> dict[str, str]:
    """The token request's parameters (urlencoded form, or a JSON object); first value wins."""
    kind = (content_type or "").split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8")
        if kind == "application/json":
            obj = json.loads(text)
            if not isinstance(obj, dict):
                raise ValueError("not an object")
            return {str(k): v for k, v in obj.items() if isinstance(v, str)}
        if kind not in ("application/x-www-form-urlencoded", ""):
            raise ValueError(f"unsupported content type {kind!r}")
        found: dict[str, str] = {}
        for key, value in parse_qsl(text, keep_blank_values=True):
            found.setdefault(key, value)
        return found
    except (ValueError, RecursionError) as exc:  # bad UTF-8, bad JSON, bad content type
        raise GrantRefused(OAuthError.INVALID_REQUEST, f"Bad Request: {exc}") from None


def _segment(part: str, what: str) -> bytes:
    if not _B64URL.fullmatch(part) or len(part) % 4 == 1:
        raise GrantRefused(OAuthError.INVALID_GRANT, f"Invalid JWT: {what} is not base64url.")
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _json_segment(part: str, what: str) -> dict[str, Any]:
    try:
        decoded = json.loads(_segment(part, what))
    except (ValueError, RecursionError, binascii.Error):
        raise GrantRefused(OAuthError.INVALID_GRANT, f"Invalid JWT: {what} is not JSON.") from None
    if not isinstance(decoded, dict):
        raise GrantRefused(OAuthError.INVALID_GRANT, f"Invalid JWT: {what} is not a JSON object.")
    return decoded


def peek_issuer(body: bytes) -> str | None:
    """The ``iss`` in a token request's assertion, if readable (to name who was refused)."""
    try:
        assertion = dict(parse_qsl(body.decode("utf-8"))).get("assertion", "")
        claims = json.loads(_segment(assertion.split(".")[1], "claims"))
    except (ValueError, IndexError, RecursionError, GrantRefused, binascii.Error):
        return None
    iss = claims.get("iss") if isinstance(claims, dict) else None
    return iss if isinstance(iss, str) else None


def _seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise GrantRefused(OAuthError.INVALID_GRANT, SHORT_LIVED)
    return float(value)


class TokenIssuer:
    """Grants access tokens to registered service accounts and authenticates bearers."""

    def __init__(self, registry: Registry, *, clock: Callable[[], float], rng: random.Random,
                 skew: float = CLOCK_SKEW, lifetime: int = ACCESS_TOKEN_LIFETIME) -> None:
        self.registry = registry
        self.skew = skew
        self.lifetime = lifetime
        self._clock = clock
        self._rng = rng
        self._tokens: dict[str, AccessToken] = {}

    def grant(self, form: Mapping[str, str]) -> AccessToken:
        """Verify a JWT-bearer grant and issue a token; raises ``GrantRefused``."""
        grant_type = form.get("grant_type")
        if not grant_type:
            raise GrantRefused(OAuthError.UNSUPPORTED_GRANT_TYPE, "Invalid grant_type: ")
        if grant_type != GRANT_TYPE:
            raise GrantRefused(OAuthError.UNSUPPORTED_GRANT_TYPE, f"Invalid grant_type: {grant_type}")
        assertion = form.get("assertion")
        if not assertion:
            raise GrantRefused(OAuthError.INVALID_REQUEST, "Missing required parameter: assertion")
        account, claims = self._verify(assertion)
        now = self._clock()
        scopes = self._check_claims(claims, now)
        token = AccessToken(token=self._new_token(), client_email=account.client_email,
                            project_id=account.project_id, scopes=scopes, issued_at=now,
                            expires_at=now + self.lifetime)
        self._tokens[token.token] = token
        return token

    def authenticate(self, authorization: str | None) -> AccessToken | BearerProblem:
        """The live token behind an ``Authorization: Bearer`` header, or what is wrong with it."""
        # What every client sends, "Bearer <token>", is one dict hit; anything else takes the long way.
        token = self._tokens.get(authorization[7:]) if authorization and authorization[:7] == "Bearer " else None
        if token is None:
            if authorization is None or not authorization.strip():
                return BearerProblem.MISSING
            scheme, _, value = authorization.strip().partition(" ")
            if scheme.lower() != "bearer":
                return BearerProblem.INVALID
            token = self._tokens.get(value.strip())
        if token is None or self.registry.account(token.client_email) is None:
            return BearerProblem.INVALID
        if self._clock() >= token.expires_at:
            return BearerProblem.EXPIRED
        return token

    def expire_all(self) -> None:
        """Make every issued token expired now (as if an hour passed for them alone)."""
        now = self._clock()
        self._tokens = {k: replace(t, expires_at=min(t.expires_at, now)) for k, t in self._tokens.items()}

    def revoke(self, token: str) -> None:
        """Forget one token: it is answered as invalid from now on."""
        self._tokens.pop(token, None)

    def clear(self) -> None:
        """Forget every issued token."""
        self._tokens.clear()

    @property
    def tokens(self) -> tuple[AccessToken, ...]:
        """Every token issued and not revoked, in issue order."""
        return tuple(self._tokens.values())

    # -- checks ------------------------------------------------------------------------------
    def _verify(self, assertion: str) -> tuple[ServiceAccount, dict[str, Any]]:
        parts = assertion.split(".")
        if len(parts) != 3:
            raise GrantRefused(OAuthError.INVALID_GRANT, f"Invalid JWT: {len(parts)} segments, expected 3.")
        header = _json_segment(parts[0], "header")
        claims = _json_segment(parts[1], "claims")
        signature = _segment(parts[2], "signature")
        if header.get("alg") != "RS256":
            raise GrantRefused(OAuthError.INVALID_GRANT, BAD_SIGNATURE)
        iss = claims.get("iss")
        account = self.registry.account(iss) if isinstance(iss, str) else None
        if account is None:
            raise GrantRefused(OAuthError.INVALID_GRANT, UNKNOWN_ACCOUNT)
        kid = header.get("kid")
        if kid is not None and kid != account.private_key_id:
            raise GrantRefused(OAuthError.INVALID_GRANT, BAD_SIGNATURE)
        try:
            account.private_key.public_key().verify(signature, f"{parts[0]}.{parts[1]}".encode("ascii"),
                                                    padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise GrantRefused(OAuthError.INVALID_GRANT, BAD_SIGNATURE) from None
        return account, claims

    def _check_claims(self, claims: dict[str, Any], now: float) -> tuple[str, ...]:
        iat, exp = _seconds(claims.get("iat")), _seconds(claims.get("exp"))
        if exp <= iat or exp - iat > MAX_ASSERTION_LIFETIME or iat > now + self.skew or exp < now - self.skew:
            raise GrantRefused(OAuthError.INVALID_GRANT, SHORT_LIVED)
        scope = claims.get("scope")
        scopes = tuple(scope.split()) if isinstance(scope, str) else ()
        if not scopes:
            raise GrantRefused(OAuthError.INVALID_SCOPE, "Empty or missing scope not allowed.")
        if SEND_SCOPES.isdisjoint(scopes):
            raise GrantRefused(OAuthError.INVALID_SCOPE, "Invalid OAuth scope or ID token audience provided.")
        return scopes

    def _new_token(self) -> str:
        return "ya29.c." + "".join(self._rng.choices(_TOKEN_CHARS, k=120))
