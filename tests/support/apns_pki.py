"""Test PKI for the fake APNs: a trustme server CA whose leaf carries Apple's host names, and a
provider-certificate CA (``fake_apns.ProviderCertificates``) for mutual TLS."""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import trustme

from fake_apns import Environment, ProviderCertificates

APPLE_HOSTS = ("api.push.apple.com", "api.sandbox.push.apple.com", "api.development.push.apple.com")


@dataclass
class ApnsPki:
    """One server CA (what clients trust) and one provider CA (what the fake trusts)."""

    ca: trustme.CA = field(default_factory=lambda: trustme.CA(key_type=trustme.KeyType.ECDSA))
    providers: ProviderCertificates = field(default_factory=ProviderCertificates)

    def __post_init__(self) -> None:
        self._clients: dict[tuple[str, ...], ssl.SSLContext] = {}
        self.leaf = self.ca.issue_cert("127.0.0.1", "localhost", *APPLE_HOSTS, key_type=trustme.KeyType.ECDSA)

    def server_context(self, alpn: Sequence[str] = ("h2",), *,
                       trust: Iterable[ProviderCertificates] = ()) -> ssl.SSLContext:
        """The fake's TLS context; ``trust`` makes it ask for client certificates from those CAs."""
        # Not create_default_context: loading the system CA bundle costs ~150 ms per context here.
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.leaf.configure_cert(ctx)
        for issuer in trust:
            issuer.configure_server(ctx)
        if alpn:
            ctx.set_alpn_protocols(list(alpn))
        return ctx

    def client_context(self, alpn: Sequence[str] = ("h2",), *, cert: Path | None = None) -> ssl.SSLContext:
        """A provider's TLS context trusting the server CA; ``cert`` is a PEM with certificate and key."""
        if cert is None and tuple(alpn) in self._clients:  # a certificate file may change: never cached
            return self._clients[tuple(alpn)]
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies the server and its host name
        self.ca.configure_trust(ctx)
        if cert is not None:
            ctx.load_cert_chain(str(cert))
        if alpn:
            ctx.set_alpn_protocols(list(alpn))
        if cert is None:
            self._clients[tuple(alpn)] = ctx
        return ctx

    def write_ca(self, directory: Path) -> Path:
        """Write the server CA (what ``curl --cacert`` wants) and return its path."""
        path = directory / "ca.pem"
        self.ca.cert_pem.write_to_path(str(path))
        return path


def write_provider_cert(directory: Path, issuer: ProviderCertificates, topics: Sequence[str],
                        environments: Iterable[Environment], *, name: str = "provider") -> tuple[Path, bytes]:
    """Issue a provider certificate and write certificate + key to ``<name>.pem``; returns (path, cert_pem)."""
    cert_pem, key_pem = issuer.issue(topics, environments)
    path = directory / f"{name}.pem"
    path.write_bytes(cert_pem + key_pem)
    return path, cert_pem
