"""Firebase service accounts and the OAuth2 JWT-bearer grant the proxy makes before sending
(§3.3, §5.1; apns-fcm.md B1).

Rule 1: the assertion is what google-auth signs: RS256, header ``kid`` = ``private_key_id``,
claims ``iss`` = ``client_email``, ``scope`` = firebase.messaging, ``aud`` = Google's token URL
(always that constant, whatever ``token_uri`` says), ``iat`` = now, ``exp`` = iat + 3600.
Rule 2: the grant is POSTed to the file's ``token_uri`` as a urlencoded form.
No I/O here: the FCM sender does the POST and caches the token.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlencode

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .config import AndroidPushSettings
from .errors import TargetInitError

GRANT_TYPE: Final = "urn:ietf:params:oauth:grant-type:jwt-bearer"
FCM_SCOPE: Final = "https://www.googleapis.com/auth/firebase.messaging"
GOOGLE_TOKEN_AUDIENCE: Final = "https://oauth2.googleapis.com/token"
ASSERTION_LIFETIME: Final = 3600
_REQUIRED: Final = ("project_id", "private_key_id", "private_key", "client_email", "token_uri")


@functools.lru_cache(maxsize=64)
def _load_key(pem: str) -> object:
    # Loading checks the RSA key's consistency (~60 ms); every world's proxies load the same files.
    return serialization.load_pem_private_key(pem.encode(), password=None)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceAccountKey:
    """The parts of a Firebase service-account JSON file the proxy uses."""

    project_id: str
    client_email: str
    private_key_id: str
    token_uri: str
    private_key: rsa.RSAPrivateKey = field(repr=False, compare=False)
    client_id: str = ""

    @classmethod
    def from_json(cls, data: bytes | str | Mapping[str, object], *, where: str = "service account") -> ServiceAccountKey:
        """Parse a service-account file; raises TargetInitError naming what is wrong."""
        doc = _decode(data, where)
        if doc.get("type") != "service_account":
            raise TargetInitError(f"{where}: 'type' field is {doc.get('type')!r}, expected 'service_account'")
        for name in _REQUIRED:
            if not isinstance(doc.get(name), str) or not doc[name]:
                raise TargetInitError(f"{where}: missing or empty '{name}'")
        try:
            key = _load_key(str(doc["private_key"]))
        except (ValueError, TypeError) as exc:
            raise TargetInitError(f"{where}: private_key is not a PEM private key ({exc})") from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TargetInitError(f"{where}: private_key must be an RSA key (RS256)")
        return cls(project_id=str(doc["project_id"]), client_email=str(doc["client_email"]),
                   private_key_id=str(doc["private_key_id"]), token_uri=str(doc["token_uri"]), private_key=key,
                   client_id=str(doc.get("client_id") or ""))

    def grant_assertion(self, now: float, *, scope: str = FCM_SCOPE) -> str:
        """The signed JWT for the token request (Rule 1)."""
        header = {"typ": "JWT", "alg": "RS256", "kid": self.private_key_id}
        iat = int(now)
        claims = {"iat": iat, "exp": iat + ASSERTION_LIFETIME, "iss": self.client_email,
                  "aud": GOOGLE_TOKEN_AUDIENCE, "scope": scope}
        signing_input = ".".join(_b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims))
        signature = self.private_key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"

    def grant_form(self, now: float, *, scope: str = FCM_SCOPE) -> bytes:
        """The urlencoded token request body (Rule 2)."""
        return urlencode({"grant_type": GRANT_TYPE, "assertion": self.grant_assertion(now, scope=scope)}).encode()

    def send_url(self, fcm_url: str) -> str:
        """``{fcm_url}/v1/projects/{project_id}/messages:send``."""
        return f"{fcm_url.rstrip('/')}/v1/projects/{self.project_id}/messages:send"


def _decode(data: bytes | str | Mapping[str, object], where: str) -> Mapping[str, object]:
    if isinstance(data, Mapping):
        return data
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise TargetInitError(f"{where}: not a JSON service-account file ({exc})") from None
    if not isinstance(doc, dict):
        raise TargetInitError(f"{where}: not a JSON object")
    return doc


def service_account(settings: AndroidPushSettings) -> ServiceAccountKey:
    """The entry's service account, from ``service_account_json`` or ``ServiceFileLocation``."""
    if settings.service_account_json:
        return ServiceAccountKey.from_json(settings.service_account_json, where=f"type={settings.type}")
    path = settings.service_file_location
    if not path:
        raise TargetInitError("android push notifications not configured: missing ServiceFileLocation")
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise TargetInitError(f"open {path}: no such file or directory") from None
    except OSError as exc:
        raise TargetInitError(f"open {path}: {exc.strerror or exc}") from None
    return ServiceAccountKey.from_json(data, where=path)


def token_error_text(status: int, reason: str, body: bytes) -> str:
    """golang.org/x/oauth2's RetrieveError text for a refused token request."""
    try:
        doc = json.loads(body)
    except ValueError:
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get("error"), str):
        text = f'oauth2: "{doc["error"]}"'
        if isinstance(doc.get("error_description"), str):
            text += f' "{doc["error_description"]}"'
        return text
    return f"oauth2: cannot fetch token: {status} {reason}\nResponse: {body.decode('utf-8', 'replace')}"


def service_account_json(*, project_id: str, client_email: str, private_key_id: str, private_key: rsa.RSAPrivateKey,
                         token_uri: str, client_id: str = "") -> bytes:
    """A service-account file as the Firebase console downloads it (for worlds built in code)."""
    pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode("ascii")
    return json.dumps({
        "type": "service_account", "project_id": project_id, "private_key_id": private_key_id,
        "private_key": pem, "client_email": client_email, "client_id": client_id,
        "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "universe_domain": "googleapis.com",
    }, indent=2).encode()
