"""A hop taken apart for the detail pane: request line or HTTP/2 pseudo-headers, headers, the
JWTs it carries with a verification verdict, the JSON payload, and who could read the message text
on it. Pure: the screen passes in what the world knows (the key ring, the server's public key).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from fake_apns import Environment, KeyRing, PushAccepted, PushRejected, Reason, Rejection

from ..events import HopAttempted, Protocol
from .timeline import Timeline, post_id_of

BODY_FIELDS = ("payload", "body")
_JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
_PLACEHOLDER = re.compile(r"<ES256 JWT kid=(?P<kid>\S*) iss=(?P<iss>[^>\s]*)>")
# APNs reasons that judge the provider token itself (apns-fcm.md A3.1); others are about the request.
TOKEN_REASONS = frozenset({Reason.INVALID_PROVIDER_TOKEN, Reason.EXPIRED_PROVIDER_TOKEN, Reason.MISSING_PROVIDER_TOKEN,
                           Reason.UNRELATED_KEY_ID_IN_TOKEN, Reason.BAD_ENVIRONMENT_KEY_IN_TOKEN,
                           Reason.BAD_ENVIRONMENT_KEY_ID_IN_TOKEN, Reason.TOO_MANY_PROVIDER_TOKEN_UPDATES})
OPERATORS = {"HPNS": "Mattermost (HPNS)", "TPNS": "Mattermost's test service (TPNS)", "EAS": "you (your EAS proxy)"}


@dataclass(frozen=True, slots=True, kw_only=True)
class JwtView:
    """One JWT found on a hop, decoded, with what its verification says."""

    where: str
    header: dict[str, Any]
    claims: dict[str, Any]
    verdict: str
    ok: bool | None  # None: nothing to verify it against


@dataclass(frozen=True, slots=True, kw_only=True)
class Readers:
    """Who could read the message text on a hop."""

    verdict: str
    who: tuple[str, ...] = ()
    exposed: bool = False  # the text itself is on this hop


@dataclass(frozen=True, slots=True, kw_only=True)
class Dissection:
    """Everything the detail pane shows for one hop."""

    hop: HopAttempted
    chain: int
    request: tuple[tuple[str, str], ...]  # pseudo-headers (HTTP/2) or the request line (HTTP/1.1)
    headers: tuple[tuple[str, str], ...]
    jwts: tuple[JwtView, ...]
    payload: str  # pretty JSON (JWTs shortened) or the raw text
    response: str
    readers: Readers


def b64url_json(part: str) -> dict[str, Any] | None:
    """A base64url JSON object, or None when it is not one."""
    try:
        value = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (binascii.Error, ValueError):
        return None
    return value if isinstance(value, dict) else None


def verify_es256(public_key: ec.EllipticCurvePublicKey, token: str) -> bool:
    """True when ``token``'s raw r||s ES256 signature verifies with ``public_key``."""
    head, _, signature = token.rpartition(".")
    try:
        raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    except (binascii.Error, ValueError):
        return False
    if len(raw) != 64:
        return False
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        public_key.verify(der, head.encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def _shorten(value: Any) -> Any:
    # JWT signatures are fresh random numbers on every run: show the decoded token below instead.
    if isinstance(value, dict):
        return {k: _shorten(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten(v) for v in value]
    if isinstance(value, str) and _JWT.match(value) and len(value) > 40:
        return value[:20] + "…(JWT, decoded below)"
    return value


def _contains(value: Any, text: str) -> bool:
    if isinstance(value, dict):
        return any(_contains(v, text) for v in value.values())
    if isinstance(value, list):
        return any(_contains(v, text) for v in value)
    return isinstance(value, str) and text in value


class Inspector:
    """Dissects hops with the world's verification material."""

    def __init__(self, *, timeline: Timeline, keys: KeyRing | None = None,
                 server_key: ec.EllipticCurvePublicKey | None = None, role: str = "HPNS",
                 environment: Environment = Environment.PRODUCTION) -> None:
        self.timeline, self.keys, self.server_key = timeline, keys, server_key
        self.role, self.environment = role, environment

    def dissect(self, hop: HopAttempted) -> Dissection:
        """Take ``hop`` apart."""
        raw = next((v for k in BODY_FIELDS if (v := hop.wire_field(k)) is not None), "")
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        headers = tuple((k, v) for k, v in hop.wire if k not in BODY_FIELDS and not k.startswith(":"))
        return Dissection(
            hop=hop, chain=self.timeline.chain(hop), request=self._request(hop), headers=headers,
            jwts=self._jwts(hop, body),
            payload=json.dumps(_shorten(body), indent=1, ensure_ascii=False) if body is not None else raw,
            response=hop.outcome, readers=self.readers(hop, body, raw))

    def _request(self, hop: HopAttempted) -> tuple[tuple[str, str], ...]:
        method, _, path = hop.operation.partition(" ")
        given = tuple((k, v) for k, v in hop.wire if k.startswith(":"))
        if given:
            return given
        if hop.protocol is Protocol.HTTP2_TLS:
            verdict = self.timeline.apns_verdict(hop)
            if verdict is not None and path.startswith("/3/device/"):
                path = f"/3/device/{verdict.token}"
            return ((":method", method), (":scheme", "https"), (":path", path))
        if hop.protocol.is_os_channel:
            service = "APNs" if hop.protocol is Protocol.OS_CHANNEL else "FCM"
            return (("channel", f"{service} persistent connection to the device"),)
        return (("request", f"{hop.operation} ({hop.protocol.value})"),)

    # ------------------------------------------------------------------ JWTs
    def _jwts(self, hop: HopAttempted, body: Any) -> tuple[JwtView, ...]:
        found: list[JwtView] = []
        auth = hop.wire_field("authorization") or ""
        token = auth.partition(" ")[2].strip()
        if _JWT.match(token):
            found.append(self._provider_token(hop, auth, token))
        elif match := _PLACEHOLDER.search(auth):
            found.append(JwtView(where="authorization (provider token, summary only)",
                                 header={"alg": "ES256", "kid": match["kid"]}, claims={"iss": match["iss"]},
                                 **self._apns_said(hop)))
        signature = body.get("signature") if isinstance(body, dict) else None
        if isinstance(signature, str) and signature:
            found.append(self._server_signature(signature))
        return tuple(found)

    def _provider_token(self, hop: HopAttempted, auth: str, token: str) -> JwtView:
        header, claims = b64url_json(token.split(".")[0]) or {}, b64url_json(token.split(".")[1]) or {}
        where = "authorization (APNs provider token)"
        if self.keys is None:
            return JwtView(where=where, header=header, claims=claims, verdict="no key ring to check it", ok=None)
        try:
            team_id, key_id = self.keys.verify(auth, now=hop.at, topic=None, environment=self.environment)
        except Rejection as exc:
            return JwtView(where=where, header=header, claims=claims, ok=False,
                           verdict=f"rejected: {exc.reason.value} — {exc.detail}")
        return JwtView(where=where, header=header, claims=claims, ok=True,
                       verdict=f"valid: ES256 by key {key_id} of team {team_id}, iat fresh")

    def _apns_said(self, hop: HopAttempted) -> dict[str, Any]:
        verdict = self.timeline.apns_verdict(hop)
        if isinstance(verdict, PushAccepted):
            return {"ok": True, "verdict": f"APNs verified it: ES256 by key {verdict.key_id} of team {verdict.team_id}"}
        if isinstance(verdict, PushRejected):
            said = f"APNs answered {verdict.status} {verdict.reason.value}: {verdict.detail}"
            if verdict.reason in TOKEN_REASONS:
                return {"ok": False, "verdict": said}
            return {"ok": None, "verdict": f"{said} (a refusal that is not about the token)"}
        return {"ok": None, "verdict": "no APNs verdict seen for this request"}

    def _server_signature(self, token: str) -> JwtView:
        where = "payload signature (the server's ES256 push signature)"
        if not _JWT.match(token):
            return JwtView(where=where, header={}, claims={}, ok=None, verdict=f"not a JWT: {token[:24]!r}")
        header, claims = b64url_json(token.split(".")[0]) or {}, b64url_json(token.split(".")[1]) or {}
        if self.server_key is None:
            return JwtView(where=where, header=header, claims=claims, ok=None, verdict="no server key to check it")
        ok = verify_es256(self.server_key, token)
        verdict = ("valid: verifies with the server's AsymmetricSigningPublicKey" if ok
                   else "INVALID: does not verify with the server's AsymmetricSigningPublicKey")
        return JwtView(where=where, header=header, claims=claims, ok=ok, verdict=verdict)

    # ------------------------------------------------------------------ readers
    def readers(self, hop: HopAttempted, body: Any, raw: str) -> Readers:
        """Who could read the message text on ``hop`` (mattermost-push.md §9: TLS, plain HTTP, id_loaded)."""
        text = self.timeline.message_text(hop)
        if not text or not post_id_of(hop):
            return Readers(verdict="No message text on this hop.")
        exposed = _contains(body, text) if body is not None else text in raw
        if not exposed and text in hop.outcome:
            return Readers(verdict="The text comes back in the response (the id_loaded fetch), over TLS.",
                           who=(hop.source, hop.target), exposed=True)
        if not exposed:
            id_loaded = isinstance(body, dict) and (body.get("is_id_loaded") is True or body.get("id_loaded") is True)
            why = ("id_loaded: only ids travel; the app fetches the text from your server over TLS"
                   if id_loaded else "the contents mode keeps the text out of this payload")
            return Readers(verdict=f"Nobody reads the text here: {why}.")
        who = [hop.source, hop.target]
        if hop.target == "proxy":
            who[1] = f"the push proxy, run by {OPERATORS.get(self.role, self.role)}"
        if hop.target == "apns" or hop.protocol is Protocol.OS_CHANNEL:
            who.append("Apple: push contents are not end-to-end encrypted")
        elif hop.target == "fcm" or hop.protocol is Protocol.FCM_CHANNEL:
            who.append("Google: push contents are not end-to-end encrypted")
        if not hop.encrypted:
            who.insert(0, "ANYONE on the network path (plain HTTP, no TLS)")
            return Readers(verdict="UNENCRYPTED: the text crosses the network in clear.", who=tuple(who),
                           exposed=True)
        return Readers(verdict="TLS: on-path observers see ciphertext; these parties read the text:",
                       who=tuple(who), exposed=True)
