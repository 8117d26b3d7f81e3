"""PKI on trustme: one CA per world, a leaf certificate per component host name."""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Sequence
from pathlib import Path

import trustme

LOCAL_NAMES = ("localhost", "127.0.0.1")


class Pki:
    """One world's certificate authority and the leaf certificates it issued."""

    def __init__(self, *, organization: str = "pushsim") -> None:
        # ECDSA keys make the CA and every leaf cheap enough to create per test.
        self.ca = trustme.CA(key_type=trustme.KeyType.ECDSA, organization_name=organization)
        self._leaves: dict[tuple[str, ...], trustme.LeafCert] = {}

    def leaf(self, *names: str) -> trustme.LeafCert:
        """The leaf certificate for ``names`` (plus localhost/127.0.0.1), issued once."""
        key = tuple(dict.fromkeys((*names, *LOCAL_NAMES)))
        if key not in self._leaves:
            self._leaves[key] = self.ca.issue_cert(*key, key_type=trustme.KeyType.ECDSA)
        return self._leaves[key]

    def server_context(self, *names: str, alpn: Sequence[str] = ()) -> ssl.SSLContext:
        """A TLS 1.2+ server context presenting the leaf for ``names``."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        self.leaf(*names).configure_cert(ctx)
        if alpn:
            ctx.set_alpn_protocols(list(alpn))
        return ctx

    def client_context(self, *, alpn: Sequence[str] = ()) -> ssl.SSLContext:
        """A verifying client context that trusts only this world's CA."""
        # Not create_default_context(): loading the system CAs costs 0.1-0.5 s per context and would
        # make a real Apple/Google certificate trusted, which the world must never be.
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies the chain and host name by default
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        self.ca.configure_trust(ctx)
        if alpn:
            ctx.set_alpn_protocols(list(alpn))
        return ctx

    def write(self, directory: Path, names: Iterable[str] = ()) -> dict[str, Path]:
        """Write ``ca.pem`` and ``<name>.pem`` (chain + key) for each name; returns the paths."""
        directory.mkdir(parents=True, exist_ok=True)
        paths = {"ca": directory / "ca.pem"}
        self.ca.cert_pem.write_to_path(str(paths["ca"]))
        for name in names:
            leaf = self.leaf(name)
            path = directory / f"{name}.pem"
            path.write_bytes(leaf.private_key_pem.bytes() + b"".join(b.bytes() for b in leaf.cert_chain_pems))
            paths[name] = path
        return paths
