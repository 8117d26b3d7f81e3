"""Test-side APNs provider tokens, written apart from fake_apns so the two check each other.

``provider_token`` builds ``header.claims.signature`` by hand. ``der=True`` keeps the DER
signature that ``openssl dgst -sign`` (Apple's curl recipe) produces instead of JOSE raw r||s.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def new_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 key, like an APNs .p8."""
    return ec.generate_private_key(ec.SECP256R1())


def _segment(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").replace("=", "")


def _json_segment(obj: dict[str, Any]) -> str:
    return _segment(json.dumps(obj, sort_keys=True).encode("utf-8"))


def _raw_rs(der: bytes) -> bytes:
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def provider_token(key: ec.EllipticCurvePrivateKey, *, key_id: str, team_id: str, iat: float | int | str | None,
                   der: bool = False, alg: str = "ES256", extra_header: dict[str, Any] | None = None) -> str:
    """A provider JWT: header {alg, kid}, claims {iss, iat} (iat omitted when None)."""
    header = {"alg": alg, "kid": key_id, **(extra_header or {})}
    claims: dict[str, Any] = {"iss": team_id}
    if iat is not None:
        claims["iat"] = iat
    signing_input = f"{_json_segment(header)}.{_json_segment(claims)}"
    der_signature = key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
    return f"{signing_input}.{_segment(der_signature if der else _raw_rs(der_signature))}"


def unsigned_token(*, key_id: str, team_id: str, iat: int) -> str:
    """An ``alg: none`` token with an empty signature (must be refused)."""
    return f"{_json_segment({'alg': 'none', 'kid': key_id})}.{_json_segment({'iss': team_id, 'iat': iat})}."


def bearer(token: str) -> str:
    """The ``authorization`` header value for ``token``."""
    return f"bearer {token}"
