"""Loading an Apple entry's credentials in the proxy's init order (§3.2), with Go's error texts."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest
import trustme
from cryptography.hazmat.primitives import serialization

from simulator.proxy import ApplePushSettings, TargetInitError
from simulator.proxy.credentials import CertificateAuth, apple_credentials, with_client_certificate
from simulator.signing import ProviderKey, new_p256_key, p8_pem
from simulator.tls import Pki


def test_token_auth_from_a_p8_file(tmp_path: Path) -> None:
    key = new_p256_key()
    path = tmp_path / "AuthKey_K.p8"
    path.write_bytes(p8_pem(key))
    creds = apple_credentials(ApplePushSettings(type="apple_rn", apple_auth_key_file=str(path),
                                                apple_auth_key_id="K", apple_team_id="T",
                                                apple_push_cert_private="ignored.pem"))
    assert isinstance(creds, ProviderKey) and (creds.key_id, creds.team_id) == ("K", "T")
    assert creds.key.private_numbers() == key.private_numbers()


@pytest.mark.parametrize(("content", "error"), [(b"junk", "AuthKey must be a valid .p8 PEM file"), (None, "open")])
def test_a_bad_or_missing_p8_is_an_init_error(tmp_path: Path, content: bytes | None, error: str) -> None:
    path = tmp_path / "AuthKey.p8"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(TargetInitError, match=error):
        apple_credentials(ApplePushSettings(type="apple_rn", apple_auth_key_file=str(path), apple_auth_key_id="K",
                                            apple_team_id="T"))


def test_nothing_configured_is_the_real_error_text() -> None:
    with pytest.raises(TargetInitError) as caught:
        apple_credentials(ApplePushSettings(type="apple", apple_auth_key_id="K"))
    assert str(caught.value) == "apple push notifications not configured: missing ApplePushCertPrivate for type=apple"


def _client_pem(ca: trustme.CA, password: bytes | None = None) -> bytes:
    leaf = ca.issue_cert("mattermost-push-proxy", key_type=trustme.KeyType.ECDSA)
    key = serialization.load_pem_private_key(leaf.private_key_pem.bytes(), password=None)
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    return b"".join(blob.bytes() for blob in leaf.cert_chain_pems) + key_pem


@pytest.mark.parametrize(("password", "given", "error"), [
    (None, "", None), (b"s3cret", "s3cret", None), (b"s3cret", "wrong", "failed to decrypt private key")])
def test_certificate_auth_from_a_pem_file(tmp_path: Path, pki: Pki, password: bytes | None, given: str,
                                          error: str | None) -> None:
    path = tmp_path / "cert.pem"
    path.write_bytes(_client_pem(pki.ca, password))
    settings = ApplePushSettings(type="apple", apple_push_cert_private=str(path), apple_push_cert_password=given)
    if error is None:
        assert apple_credentials(settings) == CertificateAuth(path=str(path), password=given)
    else:
        with pytest.raises(TargetInitError, match=error):
            apple_credentials(settings)


@pytest.mark.parametrize(("content", "error"), [
    (b"-----BEGIN PRIVATE KEY-----\n", "no certificate"),
    (b"-----BEGIN CERTIFICATE-----\n", "no private key"),
    (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nAAAA\n"
     b"-----END PRIVATE KEY-----\n", "failed to parse private key"),
], ids=["no-certificate", "no-key", "garbage"])
def test_a_broken_pem_is_refused(tmp_path: Path, content: bytes, error: str) -> None:
    path = tmp_path / "cert.pem"
    path.write_bytes(content)
    with pytest.raises(TargetInitError, match=error):
        apple_credentials(ApplePushSettings(type="apple", apple_push_cert_private=str(path)))


async def test_the_client_certificate_is_presented_and_the_worlds_ca_trusted(tmp_path: Path, pki: Pki) -> None:
    path = tmp_path / "cert.pem"
    path.write_bytes(_client_pem(pki.ca))
    server_ctx = pki.server_context()
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    pki.ca.configure_trust(server_ctx)
    seen: list[object] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(writer.get_extra_info("peercert"))
        writer.close()

    server = await asyncio.start_server(accept, "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]
    ctx = with_client_certificate(pki.client_context(alpn=["h2"]), CertificateAuth(path=str(path)))
    async with server, asyncio.timeout(5):
        _, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx)
        writer.close()
        with pytest.raises(ssl.SSLCertVerificationError):  # and it trusts nothing but the world's CA
            await asyncio.open_connection("127.0.0.1", port, ssl=with_client_certificate(
                Pki().client_context(), CertificateAuth(path=str(path))))
    assert seen and "mattermost-push-proxy" in str(seen[0])
