"""Loading an Apple entry's credentials the way the proxy initializes a target (§3.2).

Rule: token auth when the .p8 key, key id and team id are all set; else the PEM certificate;
else ``apple push notifications not configured: missing ApplePushCertPrivate for type=<type>``.
Every failure is a TargetInitError with the Go library's error text, which the proxy logs next to
``Failed to initialize client`` before leaving that type unregistered.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from ..signing import ProviderKey, load_p8
from .config import AppleAuth, ApplePushSettings
from .errors import TargetInitError


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateAuth:
    """A TLS client certificate (and its key) in one PEM file."""

    path: str
    password: str = ""

    def configure(self, ctx: ssl.SSLContext) -> None:
        """Present this certificate on ``ctx``."""
        ctx.load_cert_chain(self.path, password=self.password or None)


AppleCredentials = ProviderKey | CertificateAuth


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise TargetInitError(f"open {path}: no such file or directory") from None
    except OSError as exc:
        raise TargetInitError(f"open {path}: {exc.strerror or exc}") from None


def _token_key(settings: ApplePushSettings) -> ProviderKey:
    pem = settings.apple_auth_key_pem or _read(settings.apple_auth_key_file)
    try:
        key = load_p8(pem)
    except (ValueError, TypeError):
        # sideshow/apns2 token.ErrAuthKeyNotPem / ErrAuthKeyNotECDSA
        raise TargetInitError("AuthKey must be a valid .p8 PEM file") from None
    return ProviderKey(key=key, key_id=settings.apple_auth_key_id, team_id=settings.apple_team_id)


def _certificate(settings: ApplePushSettings) -> CertificateAuth:
    path = settings.apple_push_cert_private
    pem = _read(path)
    if b"-----BEGIN CERTIFICATE-----" not in pem:
        raise TargetInitError("no certificate")  # sideshow/apns2 certificate.ErrNoCertificate
    if b"PRIVATE KEY-----" not in pem:
        raise TargetInitError("no private key")
    auth = CertificateAuth(path=path, password=settings.apple_push_cert_password)
    try:
        auth.configure(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
    except ssl.SSLError:
        encrypted = b"ENCRYPTED PRIVATE KEY" in pem or b"Proc-Type: 4,ENCRYPTED" in pem
        raise TargetInitError("failed to decrypt private key" if encrypted else "failed to parse private key") from None
    return auth


def apple_credentials(settings: ApplePushSettings) -> AppleCredentials:
    """The entry's credentials in the proxy's init order; raises TargetInitError."""
    match settings.auth:
        case AppleAuth.TOKEN:
            return _token_key(settings)
        case AppleAuth.CERTIFICATE:
            return _certificate(settings)
        case None:
            raise TargetInitError("apple push notifications not configured: missing ApplePushCertPrivate "
                                  f"for type={settings.type}")


def with_client_certificate(base: ssl.SSLContext, auth: CertificateAuth) -> ssl.SSLContext:
    """A client context trusting what ``base`` trusts (and offering its ALPN) that presents ``auth``."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifying, with no trust of its own
    ctx.minimum_version = base.minimum_version
    cas = base.get_ca_certs(binary_form=True)
    if cas:
        ctx.load_verify_locations(cadata=b"".join(cas))  # type: ignore[arg-type]
    else:
        ctx.load_default_certs()
    ctx.check_hostname, ctx.verify_mode = base.check_hostname, base.verify_mode
    ctx.set_alpn_protocols(["h2"])
    auth.configure(ctx)
    return ctx
