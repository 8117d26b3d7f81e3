"""A test CA for the fake FCM: the server presents a leaf for 127.0.0.1/localhost and Google's
FCM host names; clients trust only this CA (trustme, as in aiosmtpd's fixtures)."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme

NAMES = ("127.0.0.1", "localhost", "fcm.googleapis.com", "oauth2.googleapis.com")


@dataclass(frozen=True)
class FcmPki:
    """One CA and the fake FCM's leaf certificate."""

    ca: trustme.CA
    leaf: trustme.LeafCert

    @classmethod
    def create(cls) -> FcmPki:
        ca = trustme.CA(key_type=trustme.KeyType.ECDSA)
        return cls(ca=ca, leaf=ca.issue_cert(*NAMES, key_type=trustme.KeyType.ECDSA))

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.leaf.configure_cert(ctx)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context()
        self.ca.configure_trust(ctx)
        return ctx

    def ca_file(self, directory: Path) -> Path:
        """Write the CA as PEM (for REQUESTS_CA_BUNDLE / SSL_CERT_FILE); returns its path."""
        path = directory / "fcm-ca.pem"
        self.ca.cert_pem.write_to_path(str(path))
        return path
