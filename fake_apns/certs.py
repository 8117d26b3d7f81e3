"""Provider client certificates (apns-fcm.md A3.2): the fake's own issuing CA, trustme style.

Rule 1: ``ProviderCertificates`` issues, revokes and identifies; ``configure_server`` acts on the
caller's ``SSLContext`` and never builds one. Nothing here opens a socket.
Rule 2: what a certificate allows is read from the certificate itself (topics extension,
environment extensions, Subject UID), exactly where APNs reads it, so a certificate made
elsewhere with the same extensions is judged the same way.

Python's ``ssl`` has no verify callback, so a certificate from a CA the server context does not
trust fails the TLS handshake (``unknown ca`` alert) before HTTP/2 starts. A certificate that TLS
accepts (the context also trusts another CA) but that this CA did not issue gets 403 BadCertificate.
"""

from __future__ import annotations

import datetime
import ssl
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from .errors import ConfigError, Rejection
from .models import Environment, PushType
from .reasons import Reason

TOPICS_OID = ObjectIdentifier("1.2.840.113635.100.6.3.6")
ENVIRONMENT_OIDS = {
    Environment.SANDBOX: ObjectIdentifier("1.2.840.113635.100.6.3.1"),  # "development" in Apple's words
    Environment.PRODUCTION: ObjectIdentifier("1.2.840.113635.100.6.3.2"),
}
# trustme's reasoning: far enough that no test outlives it, below OpenSSL's 32-bit time limits.
_NOT_BEFORE = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
_NOT_AFTER = datetime.datetime(3000, 1, 1, tzinfo=datetime.timezone.utc)
_DER_NULL = b"\x05\x00"
_UTF8STRING, _SEQUENCE = 0x0C, 0x30


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderIdentity:
    """What a provider certificate entitles its holder to."""

    serial: int
    bundle_id: str  # Subject UID: the default topic
    team_id: str  # Subject OU, as Apple issues them
    topics: tuple[str, ...]
    environments: frozenset[Environment]


def _der(tag: int, body: bytes) -> bytes:
    size = len(body)
    if size < 0x80:
        return bytes((tag, size)) + body
    raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(raw))) + raw + body


def _der_items(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(tag, body) of each DER element in ``data``; raises ValueError when truncated."""
    at = 0
    while at < len(data):
        if at + 2 > len(data):
            raise ValueError("truncated DER header")
        tag, first = data[at], data[at + 1]
        at += 2
        size = first
        if first & 0x80:
            width = first & 0x7F
            size, at = int.from_bytes(data[at:at + width], "big"), at + width
        if at + size > len(data):
            raise ValueError("truncated DER element")
        yield tag, data[at:at + size]
        at += size


def _topic_kind(topic: str) -> str:
    kind = PushType.from_topic(topic)
    return "app" if kind is PushType.ALERT else kind.value


def encode_topics(topics: Sequence[str]) -> bytes:
    """The 1.2.840.113635.100.6.3.6 value: SEQUENCE of topic, SEQUENCE {kind} pairs, as Apple issues it."""
    items = b"".join(_der(_UTF8STRING, t.encode()) + _der(_SEQUENCE, _der(_UTF8STRING, _topic_kind(t).encode()))
                     for t in topics)
    return _der(_SEQUENCE, items)


def decode_topics(value: bytes) -> tuple[str, ...]:
    """Topics from a 1.2.840.113635.100.6.3.6 value (the kind annotations are skipped)."""
    [(tag, body)] = list(_der_items(value))
    if tag != _SEQUENCE:
        raise ValueError("topics extension is not a SEQUENCE")
    return tuple(item.decode() for kind, item in _der_items(body) if kind == _UTF8STRING)


def _name_attribute(name: x509.Name, oid: ObjectIdentifier) -> str:
    found = name.get_attributes_for_oid(oid)
    return str(found[0].value) if found else ""


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class ProviderCertificates:
    """The fake's issuing CA for provider certificates (Apple's WWDR CA in real life)."""

    def __init__(self, *, organization: str = "pushsim fake Apple WWDR") -> None:
        # ECDSA keys: cheap enough to make a CA and certificates per test.
        self._key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{organization} Certification Authority"),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization)])
        ski = x509.SubjectKeyIdentifier.from_public_key(self._key.public_key())
        self.ca_cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                        .public_key(self._key.public_key()).serial_number(x509.random_serial_number())
                        .not_valid_before(_NOT_BEFORE).not_valid_after(_NOT_AFTER)
                        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                        .add_extension(_ca_usage(), critical=True)
                        .add_extension(ski, critical=False)
                        .sign(self._key, hashes.SHA256()))
        self._revoked: set[int] = set()

    @property
    def ca_pem(self) -> bytes:
        """The issuing CA certificate, PEM."""
        return self.ca_cert.public_bytes(serialization.Encoding.PEM)

    def issue(self, topics: Sequence[str], environments: Iterable[Environment], *, bundle_id: str | None = None,
              team_id: str = "TEAMCERT01") -> tuple[bytes, bytes]:
        """A client certificate for ``topics`` on ``environments``: ``(cert_pem, key_pem)``."""
        topics, envs = tuple(topics), frozenset(Environment(e) for e in environments)
        if not topics or not envs:
            raise ConfigError("a provider certificate needs at least one topic and one environment")
        uid = bundle_id or topics[0]
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.USER_ID, uid),
                             x509.NameAttribute(NameOID.COMMON_NAME, f"Apple Push Services: {uid}"),
                             x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, team_id)])
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(self.ca_cert.subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(_NOT_BEFORE).not_valid_after(_NOT_AFTER)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                                  critical=False)
                   .add_extension(x509.UnrecognizedExtension(TOPICS_OID, encode_topics(topics)), critical=False))
        for env in sorted(envs):
            builder = builder.add_extension(x509.UnrecognizedExtension(ENVIRONMENT_OIDS[env], _DER_NULL),
                                            critical=False)
        cert = builder.sign(self._key, hashes.SHA256())
        return cert.public_bytes(serialization.Encoding.PEM), _pem_key(key)

    def revoke(self, cert_pem: bytes) -> None:
        """Revoke a certificate this CA issued: its pushes get 403 BadCertificate from now on."""
        self._revoked.add(x509.load_pem_x509_certificate(cert_pem).serial_number)

    def is_revoked(self, serial: int) -> bool:
        """True once the certificate with ``serial`` was revoked."""
        return serial in self._revoked

    def configure_server(self, ctx: ssl.SSLContext) -> None:
        """Make a server context ask for (not require) client certificates and trust this CA for them."""
        ctx.verify_mode = ssl.CERT_OPTIONAL
        ctx.load_verify_locations(cadata=self.ca_pem.decode("ascii"))

    def identify(self, der: bytes) -> ProviderIdentity:
        """Read a peer certificate (DER); raises ``Rejection(BadCertificate)`` unless this CA issued it."""
        try:
            cert = x509.load_der_x509_certificate(der)
            cert.verify_directly_issued_by(self.ca_cert)
        except (ValueError, TypeError, InvalidSignature):
            raise Rejection(Reason.BAD_CERTIFICATE, detail="certificate was not issued by the APNs CA") from None
        uid = _name_attribute(cert.subject, NameOID.USER_ID)
        envs = frozenset(env for env, oid in ENVIRONMENT_OIDS.items() if _has_extension(cert, oid))
        if not uid or not envs:
            raise Rejection(Reason.BAD_CERTIFICATE, detail="certificate has no Subject UID or no APNs environment")
        try:
            topics = decode_topics(_extension_bytes(cert, TOPICS_OID))
        except x509.ExtensionNotFound:
            topics = (uid,)  # older single-topic certificates carry only the Subject UID
        except ValueError:
            raise Rejection(Reason.BAD_CERTIFICATE, detail="certificate topics extension is malformed") from None
        return ProviderIdentity(serial=cert.serial_number, bundle_id=uid, topics=topics, environments=envs,
                                team_id=_name_attribute(cert.subject, NameOID.ORGANIZATIONAL_UNIT_NAME))


def _extension_bytes(cert: x509.Certificate, oid: ObjectIdentifier) -> bytes:
    value = cert.extensions.get_extension_for_oid(oid).value
    if not isinstance(value, x509.UnrecognizedExtension):
        raise ValueError(f"extension {oid.dotted_string} has an unexpected type")
    return value.value


def _has_extension(cert: x509.Certificate, oid: ObjectIdentifier) -> bool:
    try:
        cert.extensions.get_extension_for_oid(oid)
    except x509.ExtensionNotFound:
        return False
    return True


def _ca_usage() -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                         encipher_only=False, decipher_only=False)
