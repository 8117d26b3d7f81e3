"""ES256 keys and JWTs for the simulator's senders (the proxy's APNs provider token, the chat
server's push signature). Verification lives in the receivers (fake_apns, the phones)."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64url(data: bytes) -> str:
    """base64url without padding (RFC 7515)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _compact(obj: Mapping[str, object]) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def es256_jwt(key: ec.EllipticCurvePrivateKey, claims: Mapping[str, object], *, kid: str | None = None) -> str:
    """A compact JWS with a JOSE raw r||s signature."""
    header: dict[str, object] = {"alg": "ES256"}
    if kid is not None:
        header["kid"] = kid
    signing_input = f"{b64url(_compact(header))}.{b64url(_compact(claims))}"
    r, s = decode_dss_signature(key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


# Order of the P-256 group: private scalars must lie in [1, n-1].
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def new_p256_key(rng: random.Random | None = None) -> ec.EllipticCurvePrivateKey:
    """A P-256 key (APNs .p8 keys and Mattermost's signing key are P-256).

    With ``rng`` the key is derived from it, so a seeded world has the same keys every run
    (test keys only: a seeded Random is no source of secrets). Without, it is truly random.
    """
    if rng is None:
        return ec.generate_private_key(ec.SECP256R1())
    return ec.derive_private_key(1 + rng.getrandbits(256) % (_P256_ORDER - 1), ec.SECP256R1())


def p8_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    """The key as Apple ships a .p8: unencrypted PKCS#8 PEM."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def load_p8(pem: bytes) -> ec.EllipticCurvePrivateKey:
    """Load a .p8 key; refuses anything but a P-256 EC key."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("an APNs auth key must be a P-256 EC private key in PKCS#8 PEM (.p8)")
    return key


def spki_b64(key: ec.EllipticCurvePrivateKey) -> str:
    """Mattermost's ``AsymmetricSigningPublicKey``: base64 (std) DER SubjectPublicKeyInfo."""
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode("ascii")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderKey:
    """An APNs token-auth key as a developer holds it: .p8 key, key id, team id."""

    key: ec.EllipticCurvePrivateKey
    key_id: str
    team_id: str

    def token(self, iat: float) -> str:
        """The provider JWT for ``iat`` (whole seconds, as sideshow/apns2 sends)."""
        return es256_jwt(self.key, {"iss": self.team_id, "iat": int(iat)}, kid=self.key_id)
