"""Provider-token (JWT, ES256) verification, as APNs does it (apns-fcm.md A3.1).

Check order: header shape, ``alg``, ``kid``, ``iss``, signature (raw R||S first, then DER),
``iat``, then the key's environment and topic scope (key scope, then the team's apps).
Every failure is a ``Rejection`` whose
``detail`` says in plain words what was wrong; callers never see a cryptography exception.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from .errors import ConfigError, Rejection
from .models import Environment, base_topic
from .reasons import Reason

TOKEN_LIFETIME = 3600.0  # iat older than this: ExpiredProviderToken
FUTURE_SKEW = 60.0  # iat further ahead than this: InvalidProviderToken

_B64URL = re.compile(r"[A-Za-z0-9_-]*")


@dataclass(frozen=True, slots=True, kw_only=True)
class _Key:
    team_id: str
    key_id: str
    public_key: ec.EllipticCurvePublicKey
    topics: frozenset[str] | None
    environments: frozenset[Environment] | None


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedToken:
    """A provider token whose signature checked out: who signed it, and when it was issued."""

    team_id: str
    key_id: str
    iat: float


def _invalid(detail: str) -> Rejection:
    return Rejection(Reason.INVALID_PROVIDER_TOKEN, detail=detail)


def _b64_json(part: str, what: str) -> dict[str, Any]:
    if not _B64URL.fullmatch(part):
        raise _invalid(f"JWT {what} is not base64url")
    try:
        decoded = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (binascii.Error, ValueError) as exc:  # bad padding, bad UTF-8, bad JSON
        raise _invalid(f"JWT {what} is not base64url-encoded JSON ({exc})") from None
    if not isinstance(decoded, dict):
        raise _invalid(f"JWT {what} is not a JSON object")
    return decoded


def _b64_bytes(part: str) -> bytes:
    if not _B64URL.fullmatch(part) or len(part) % 4 == 1:
        raise _invalid("JWT signature is not base64url")
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _signature_forms(signature: bytes) -> list[bytes]:
    """DER candidates for a signature that may be JOSE raw R||S (64 bytes) or DER already."""
    forms = []
    if len(signature) == 64:
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        forms.append(encode_dss_signature(r, s))
    forms.append(signature)
    return forms


def _split_bearer(authorization: str | None) -> list[str]:
    if authorization is None or not authorization.strip():
        raise Rejection(Reason.MISSING_PROVIDER_TOKEN, detail="no authorization header and no client certificate")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _invalid("authorization header is not 'bearer <jwt>'")
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise _invalid(f"JWT has {len(parts)} dot-separated parts, not 3")
    return parts


def check_iat(iat: object, now: float) -> None:
    """Raise unless ``iat`` is a number of seconds neither in the future nor over an hour old."""
    if isinstance(iat, bool) or not isinstance(iat, int | float) or not math.isfinite(iat):
        raise _invalid(f"JWT iat is {iat!r}, not a number of seconds")
    if iat > now + FUTURE_SKEW:
        raise _invalid(f"JWT iat is {iat - now:.0f} s in the future")
    if now - iat > TOKEN_LIFETIME:
        raise Rejection(Reason.EXPIRED_PROVIDER_TOKEN,
                        detail=f"JWT iat is {now - iat:.0f} s old (limit {TOKEN_LIFETIME:.0f} s)")


class KeyRing:
    """The teams APNs knows: their auth keys (.p8 public halves, by key id) and their apps."""

    def __init__(self) -> None:
        self._keys: dict[str, _Key] = {}
        self._apps: dict[str, str] = {}  # bundle id -> team id
        # Bumped on every change, so a connection's cached verification is dropped when keys change.
        self.generation = 0

    def register(self, team_id: str, key_id: str, public_key: ec.EllipticCurvePublicKey, *,
                 topics: frozenset[str] | None = None,
                 environments: frozenset[Environment] | None = None) -> None:
        """Know a key; ``None`` scopes mean any topic / both environments (an old-style key)."""
        if not isinstance(public_key, ec.EllipticCurvePublicKey) or public_key.curve.name != "secp256r1":
            raise ConfigError(f"key {key_id!r}: an APNs auth key must be a P-256 EC public key")
        if topics is not None and not topics:
            raise ConfigError(f"key {key_id!r}: a topic-specific key needs at least one topic")
        self._keys[key_id] = _Key(team_id=team_id, key_id=key_id, public_key=public_key,
                                  topics=frozenset(topics) if topics is not None else None,
                                  environments=frozenset(environments) if environments is not None else None)
        self.generation += 1

    def register_app(self, team_id: str, bundle_id: str) -> None:
        """Record that ``bundle_id`` belongs to ``team_id``: that team's keys may push to it, others may not."""
        self._apps[bundle_id] = team_id
        self.generation += 1

    def teams(self) -> dict[str, dict[str, list[str]]]:
        """Every team with its key ids and bundle ids, for inspection."""
        found: dict[str, dict[str, list[str]]] = {}
        for key in self._keys.values():
            found.setdefault(key.team_id, {"keys": [], "apps": []})["keys"].append(key.key_id)
        for bundle, team in self._apps.items():
            found.setdefault(team, {"keys": [], "apps": []})["apps"].append(bundle)
        return found

    def verify(self, authorization: str | None, *, now: float, topic: str | None,
               environment: Environment) -> tuple[str, str]:
        """Check a provider token; returns ``(team_id, key_id)`` or raises ``Rejection``.

        ``topic=None`` skips the topic scope check (the core runs it later, after MissingTopic).
        """
        verified = self.verify_token(authorization, now=now, environment=environment)
        if topic is not None:
            self.check_topic(verified.key_id, topic)
        return verified.team_id, verified.key_id

    def verify_token(self, authorization: str | None, *, now: float, environment: Environment) -> VerifiedToken:
        """Check a provider token's form, signature, age and environment scope (not its topics)."""
        header_part, claims_part, signature_part = _split_bearer(authorization)
        header = _b64_json(header_part, "header")
        claims = _b64_json(claims_part, "claims")
        if header.get("alg") != "ES256":
            raise _invalid(f"JWT alg is {header.get('alg')!r}, APNs requires 'ES256'")
        key = self._key_for(header.get("kid"), claims.get("iss"))
        signing_input = f"{header_part}.{claims_part}".encode("ascii")
        if not self._signature_ok(key, signing_input, _b64_bytes(signature_part)):
            raise _invalid(f"JWT signature does not verify with key {key.key_id!r}")
        iat = claims.get("iat")
        check_iat(iat, now)
        if key.environments is not None and environment not in key.environments:
            scoped = ", ".join(sorted(e.value for e in key.environments))
            raise Rejection(Reason.BAD_ENVIRONMENT_KEY_IN_TOKEN,
                            detail=f"key {key.key_id!r} is restricted to {scoped}, not {environment.value}")
        return VerifiedToken(team_id=key.team_id, key_id=key.key_id, iat=float(iat))  # type: ignore[arg-type]

    def check_topic(self, key_id: str, topic: str) -> None:
        """Raise TopicDisallowed unless key ``key_id`` may push to ``topic`` (any push-type suffix)."""
        key = self._keys.get(key_id)
        if key is None:
            raise _invalid(f"unknown key id {key_id!r}")
        bundle = base_topic(topic)
        if key.topics is not None and topic not in key.topics and bundle not in key.topics:
            raise Rejection(Reason.TOPIC_DISALLOWED,
                            detail=f"key {key_id!r} is specific to {sorted(key.topics)}, not {topic!r}")
        if not self._apps:
            return  # no apps registered: every key may push to any bundle (the default world)
        owner = self._apps.get(topic, self._apps.get(bundle))
        if owner != key.team_id and (owner is not None or key.team_id in self._apps.values()):
            raise Rejection(Reason.TOPIC_DISALLOWED,
                            detail=f"app {bundle!r} is not an app of team {key.team_id!r} (key {key_id!r})")

    def _key_for(self, kid: object, iss: object) -> _Key:
        if not isinstance(kid, str):
            raise _invalid("JWT header has no string 'kid'")
        key = self._keys.get(kid)
        if key is None:
            raise _invalid(f"unknown key id {kid!r}")
        if iss != key.team_id:
            raise _invalid(f"JWT iss {iss!r} is not the team {key.team_id!r} of key {kid!r}")
        return key

    @staticmethod
    def _signature_ok(key: _Key, signing_input: bytes, signature: bytes) -> bool:
        for der in _signature_forms(signature):
            try:
                key.public_key.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
            except (InvalidSignature, ValueError):
                continue
            return True
        return False
