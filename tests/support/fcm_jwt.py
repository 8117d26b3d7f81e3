"""Test-side OAuth2 JWT-bearer assertions, written apart from fake_fcm so the two check each other.

``assertion`` builds ``header.claims.signature`` by hand with RS256 (PKCS#1 v1.5, SHA-256), the
way google-auth's ``service_account.Credentials`` does.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlencode

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

GOOGLE_TOKEN_AUD = "https://oauth2.googleapis.com/token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
FIREBASE_ADMIN_SCOPES = " ".join((  # what firebase-admin asks for: cloud-platform, never firebase.messaging
    "https://www.googleapis.com/auth/cloud-platform", "https://www.googleapis.com/auth/datastore",
    "https://www.googleapis.com/auth/devstorage.read_write", "https://www.googleapis.com/auth/firebase",
    "https://www.googleapis.com/auth/identitytoolkit", "https://www.googleapis.com/auth/userinfo.email"))


def _segment(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def assertion(key: rsa.RSAPrivateKey, *, iss: str, kid: str | None, iat: float, exp: float | None = None,
              scope: str | None = FCM_SCOPE, aud: str = GOOGLE_TOKEN_AUD, alg: str = "RS256",
              extra_claims: dict[str, Any] | None = None) -> str:
    """A signed JWT-bearer assertion; ``exp`` defaults to ``iat + 3600`` as google-auth sends."""
    header: dict[str, Any] = {"alg": alg, "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    claims: dict[str, Any] = {"iss": iss, "aud": aud, "iat": int(iat),
                              "exp": int(exp if exp is not None else iat + 3600)}
    if scope is not None:
        claims["scope"] = scope
    claims.update(extra_claims or {})
    signing_input = f"{_segment(json.dumps(header).encode())}.{_segment(json.dumps(claims).encode())}"
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_segment(signature)}"


def grant_form(jwt: str | None, *, grant_type: str | None = JWT_BEARER) -> bytes:
    """The urlencoded token request body google-auth POSTs."""
    fields = {}
    if grant_type is not None:
        fields["grant_type"] = grant_type
    if jwt is not None:
        fields["assertion"] = jwt
    return urlencode(fields).encode()
