"""ProviderCertificates (issue, identify, revoke, configure_server) and the core's certificate path,
without sockets: DER in, verdicts out."""

from __future__ import annotations

import json
import random
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from fake_apns import (ApnsCore, ApnsRequest, ConfigError, ConnectionState, DeviceRegistry, Environment, Faults,
                       KeyRing, ProviderCertificates, PushAccepted, PushRejected, Reason, Rejection)
from fake_apns.certs import ENVIRONMENT_OIDS, TOPICS_OID, decode_topics, encode_topics

NOW = 1_767_225_600.0
BUNDLE = "com.example.app"
VOIP = f"{BUNDLE}.voip"
PROD, SANDBOX = Environment.PRODUCTION, Environment.SANDBOX
CA = ProviderCertificates()


def der(cert_pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(cert_pem).public_bytes(serialization.Encoding.DER)


def test_issued_certificate_carries_apples_extensions_and_is_identified() -> None:
    cert_pem, key_pem = CA.issue([BUNDLE, VOIP], [SANDBOX, PROD], team_id="TEAMX00001")
    cert = x509.load_pem_x509_certificate(cert_pem)
    assert cert.subject.get_attributes_for_oid(x509.NameOID.USER_ID)[0].value == BUNDLE
    assert {ENVIRONMENT_OIDS[SANDBOX], ENVIRONMENT_OIDS[PROD], TOPICS_OID} <= {e.oid for e in cert.extensions}
    assert key_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    identity = CA.identify(der(cert_pem))
    assert (identity.bundle_id, identity.team_id, identity.topics) == (BUNDLE, "TEAMX00001", (BUNDLE, VOIP))
    assert identity.environments == {SANDBOX, PROD} and identity.serial == cert.serial_number


def test_topics_extension_round_trips_with_kind_annotations() -> None:
    topics = (BUNDLE, VOIP, f"{BUNDLE}.complication", "x" * 300)  # the long one needs a long-form length
    encoded = encode_topics(topics)
    assert b"app" in encoded and b"voip" in encoded and decode_topics(encoded) == topics


@pytest.mark.parametrize("value", [b"", b"\x30\x05\x0c\x01a", b"\x0c\x01a", b"\x30\x02\x0c\x01\x30\x00"],
                         ids=["empty", "truncated", "not-a-sequence", "trailing-element"])
def test_malformed_topics_extension_is_a_value_error(value: bytes) -> None:
    with pytest.raises(ValueError):
        decode_topics(value)


def test_certificate_from_another_ca_is_a_bad_certificate() -> None:
    foreign, _ = ProviderCertificates().issue([BUNDLE], [PROD])
    with pytest.raises(Rejection) as info:
        CA.identify(der(foreign))
    assert info.value.reason is Reason.BAD_CERTIFICATE
    assert CA.identify(der(CA.issue([BUNDLE], [PROD])[0])).bundle_id == BUNDLE


def test_garbage_instead_of_a_certificate_is_a_bad_certificate() -> None:
    with pytest.raises(Rejection) as info:
        CA.identify(b"\x30\x03\x02\x01\x00")
    assert info.value.reason is Reason.BAD_CERTIFICATE


@pytest.mark.parametrize(("topics", "envs"), [([], [PROD]), ([BUNDLE], [])], ids=["no-topics", "no-environment"])
def test_issue_needs_a_topic_and_an_environment(topics: list[str], envs: list[Environment]) -> None:
    with pytest.raises(ConfigError, match="at least one topic"):
        CA.issue(topics, envs)


def test_revoke_marks_the_serial() -> None:
    cert_pem, _ = CA.issue([BUNDLE], [PROD])
    serial = CA.identify(der(cert_pem)).serial
    assert not CA.is_revoked(serial)
    CA.revoke(cert_pem)
    assert CA.is_revoked(serial)


def test_configure_server_requests_but_does_not_require_client_certificates() -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    before = ctx.verify_mode
    CA.configure_server(ctx)
    assert (before, ctx.verify_mode) == (ssl.CERT_NONE, ssl.CERT_OPTIONAL)
    assert [c["subject"] for c in ctx.get_ca_certs()] and len(ctx.get_ca_certs()) == 1


# -- the core's certificate path --------------------------------------------------------------


def core(**options: object) -> tuple[ApnsCore, DeviceRegistry]:
    devices = DeviceRegistry(random.Random(1), lambda: NOW)
    made = ApnsCore(keys=KeyRing(), devices=devices, clock=lambda: NOW, faults=Faults(), rng=random.Random(2),
                    certificates=CA, **options)  # type: ignore[arg-type]
    return made, devices


def push(token: str, *, topic: str | None = None, push_type: str = "alert",
         authorization: str | None = "bearer junk") -> ApnsRequest:
    headers = [(":method", "POST"), (":path", f"/3/device/{token}"), ("apns-push-type", push_type)]
    headers += [("apns-topic", topic)] if topic is not None else []
    headers += [("authorization", authorization)] if authorization is not None else []
    return ApnsRequest.parse(headers, json.dumps({"aps": {"alert": "hi"}}).encode())


def send(apns: ApnsCore, connection: ConnectionState, request: ApnsRequest,
         environment: Environment = PROD) -> PushAccepted | PushRejected:
    return apns.handle(request, environment=environment, connection=connection)


def reason_of(verdict: PushAccepted | PushRejected) -> Reason | None:
    return verdict.reason if isinstance(verdict, PushRejected) else None


def test_single_topic_certificate_defaults_the_topic_and_ignores_authorization() -> None:
    apns, devices = core()
    token = devices.register(BUNDLE, PROD)
    connection = apns.new_connection(certificate=der(CA.issue([BUNDLE], [PROD])[0]), environment=PROD)
    verdict = send(apns, connection, push(token))
    assert isinstance(verdict, PushAccepted) and (verdict.topic, verdict.key_id) == (BUNDLE, "")
    assert reason_of(send(apns, apns.new_connection(), push(token, topic=BUNDLE))) is Reason.INVALID_PROVIDER_TOKEN


@pytest.mark.parametrize(("topics", "request_topic", "push_type", "expected"), [
    ([BUNDLE, VOIP], None, "alert", Reason.MISSING_TOPIC),
    ([BUNDLE, VOIP], VOIP, "voip", None),
    ([BUNDLE], VOIP, "voip", Reason.TOPIC_DISALLOWED),
    ([BUNDLE], "com.example.other", "alert", Reason.TOPIC_DISALLOWED),
    ([BUNDLE], f"{BUNDLE}.voip", "alert", Reason.BAD_TOPIC),
], ids=["several-need-topic", "listed-voip", "unlisted-voip", "other-app", "suffix-mismatch"])
def test_certificate_topics_decide_what_may_be_pushed(topics: list[str], request_topic: str | None, push_type: str,
                                                      expected: Reason | None) -> None:
    apns, devices = core()
    token = devices.register(BUNDLE, PROD)
    connection = apns.new_connection(certificate=der(CA.issue(topics, [PROD])[0]), environment=PROD)
    assert reason_of(send(apns, connection, push(token, topic=request_topic, push_type=push_type))) is expected


@pytest.mark.parametrize("goaway", [True, False])
def test_wrong_environment_is_refused_by_goaway_or_403(goaway: bool) -> None:
    apns, devices = core(certificate_environment_goaway=goaway)
    token = devices.register(BUNDLE, PROD)
    sandbox_only = der(CA.issue([BUNDLE], [SANDBOX])[0])
    wrong = apns.new_connection(certificate=sandbox_only, environment=PROD)
    right = apns.new_connection(certificate=sandbox_only, environment=SANDBOX)
    assert wrong.goaway is (Reason.BAD_CERTIFICATE_ENVIRONMENT if goaway else None) and right.goaway is None
    assert reason_of(send(apns, wrong, push(token))) is Reason.BAD_CERTIFICATE_ENVIRONMENT
    sandbox_token = devices.register(BUNDLE, SANDBOX)
    assert isinstance(send(apns, right, push(sandbox_token), SANDBOX), PushAccepted)


def test_certificate_problems_come_before_the_request_line() -> None:
    apns, devices = core()
    connection = apns.new_connection(certificate=der(ProviderCertificates().issue([BUNDLE], [PROD])[0]),
                                     environment=PROD)
    bad_method = ApnsRequest.parse([(":method", "GET"), (":path", "/nowhere")], b"")
    assert reason_of(send(apns, connection, bad_method)) is Reason.BAD_CERTIFICATE


def test_a_core_without_a_provider_ca_refuses_every_certificate() -> None:
    devices = DeviceRegistry(random.Random(1), lambda: NOW)
    apns = ApnsCore(keys=KeyRing(), devices=devices, clock=lambda: NOW, faults=Faults())
    connection = apns.new_connection(certificate=der(CA.issue([BUNDLE], [PROD])[0]), environment=PROD)
    assert reason_of(send(apns, connection, push(devices.register(BUNDLE, PROD)))) is Reason.BAD_CERTIFICATE


def test_revocation_applies_to_open_connections() -> None:
    issuer = ProviderCertificates()
    devices = DeviceRegistry(random.Random(1), lambda: NOW)
    apns = ApnsCore(keys=KeyRing(), devices=devices, clock=lambda: NOW, faults=Faults(), certificates=issuer)
    cert_pem, _ = issuer.issue([BUNDLE], [PROD])
    token = devices.register(BUNDLE, PROD)
    connection = apns.new_connection(certificate=der(cert_pem), environment=PROD)
    assert isinstance(send(apns, connection, push(token)), PushAccepted)
    issuer.revoke(cert_pem)
    assert reason_of(send(apns, connection, push(token))) is Reason.BAD_CERTIFICATE
