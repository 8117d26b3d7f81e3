"""The app's push signature check (mattermost-push.md §8.6), without I/O.

The server signs ``{ack_id, device_id}`` with ES256 and publishes the public key as client
config ``AsymmetricSigningPublicKey`` (base64 DER SubjectPublicKeyInfo, §7.12). Servers too old to
sign send ``NO_SIGNATURE``, which the app accepts only from versions before signing was added.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from .models import Platform

NO_SIGNATURE = "NO_SIGNATURE"

# The first patch release of each line that signs (§8.6 step 3); any later minor of 9, and any
# major above 9, signs too.
_FIRST_SIGNING_PATCH = {(9, 7): 3, (9, 6): 3, (9, 5): 5, (8, 1): 14}


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerInfo:
    """What the app stored about a server when it was added (from ``GET /api/v4/config/client``)."""

    url: str
    diagnostic_id: str
    signing_key: str = ""  # AsymmetricSigningPublicKey
    version: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SignatureCheck:
    """The verdict on one push's signature; ``reason`` is the app's log text."""

    ok: bool
    reason: str


def server_signs(version: str, *, platform: Platform) -> bool:
    """True when a server of ``version`` must sign, so ``NO_SIGNATURE`` from it is refused.

    A version that is not digits and dots (or, on iOS, has fewer than three parts) cannot prove
    the server is old, so it is treated as one that signs.
    """
    parts = version.split(".")
    if not all(p.isdigit() for p in parts) or (platform is Platform.IOS and len(parts) < 3):
        return True
    major, minor, patch = (int(p) for p in (parts + ["0", "0"])[:3])
    if major != 9 and major != 8:
        return major > 9
    if major == 9 and minor >= 8:
        return True
    first = _FIRST_SIGNING_PATCH.get((major, minor))
    return first is not None and patch >= first


@lru_cache(maxsize=64)
def _public_key(spki_b64: str) -> ec.EllipticCurvePublicKey | None:
    try:
        key = serialization.load_der_public_key(base64.b64decode(spki_b64, validate=True))
    except (ValueError, binascii.Error):
        return None
    return key if isinstance(key, ec.EllipticCurvePublicKey) else None


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _jwt_claims(token: str, key: ec.EllipticCurvePublicKey) -> dict[str, Any]:
    """The claims of an ES256 compact JWS, or ValueError saying why it cannot be trusted."""
    try:
        header_b64, claims_b64, sig_b64 = token.split(".")
        header, claims, raw = json.loads(_b64url(header_b64)), json.loads(_b64url(claims_b64)), _b64url(sig_b64)
    except (ValueError, binascii.Error) as exc:
        raise ValueError(f"malformed token: {exc}") from None
    if not isinstance(header, dict) or header.get("alg") != "ES256":
        raise ValueError("unexpected signing method")
    if len(raw) != 64 or not isinstance(claims, dict):
        raise ValueError("malformed ES256 signature")
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        key.verify(der, f"{header_b64}.{claims_b64}".encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise ValueError("signature is invalid") from None
    return claims


def verify_signature(payload: Mapping[str, Any], *, server: ServerInfo | None, token: str,
                     platform: Platform) -> SignatureCheck:
    """§8.6: accept unsigned (old proxy), refuse unknown servers, apply the version table, verify ES256."""
    signature = payload.get("signature")
    if signature is None:
        return SignatureCheck(ok=True, reason="No signature in the notification")
    if server is None:
        return SignatureCheck(ok=False, reason="No server for this notification")
    if signature == NO_SIGNATURE:
        if server_signs(server.version, platform=platform):
            return SignatureCheck(ok=False, reason="Server version should send signature")
        return SignatureCheck(ok=True, reason="Server version too old to sign")
    key = _public_key(server.signing_key) if server.signing_key else None
    if key is None:
        return SignatureCheck(ok=False, reason="No signing key")
    try:
        claims = _jwt_claims(str(signature), key)
    except ValueError as exc:
        return SignatureCheck(ok=False, reason=f"Cannot verify JWT: {exc}")
    for name, expected in (("ack_id", str(payload.get("ack_id", ""))), ("device_id", token)):
        if name not in claims:
            return SignatureCheck(ok=False, reason=f"Missing claim: {name}")
        if claims[name] != expected:
            return SignatureCheck(ok=False, reason=f"Incorrect claim: {name}")
    return SignatureCheck(ok=True, reason="verified")
