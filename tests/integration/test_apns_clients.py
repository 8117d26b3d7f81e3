"""Real APNs clients against FakeApns, each with the knob from apns-fcm.md C1: curl exactly as in
Apple's command-line page (JWT made by the openssl CLI, DER signature; also a client certificate),
aioapns 4.0 (token and certificate auth, no ALPN, ``host`` header), and httpx with http2=True.
Every accept is paired with the rejects: wrong key, expired token, wrong topic, unregistered token."""

from __future__ import annotations

import asyncio
import json
import shutil
import ssl
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from fake_apns import ApnsConnectionOpened, PushAccepted
from tests.support.apns_pki import ApnsPki, write_provider_cert
from tests.support.apns_world import (BUNDLE, DEADLINE, KEY, KID, PAYLOAD, SANDBOX, TEAM, WRONG_KEY, ApnsWorld, Clock,
                                      apns_world)

SANDBOX_HOST = "api.sandbox.push.apple.com"
# (case, what to break) -> (status, reason); "ok" changes nothing.
REJECTS = {"wrong-key": (403, "InvalidProviderToken"), "expired-token": (403, "ExpiredProviderToken"),
           "wrong-topic": (400, "DeviceTokenNotForTopic"), "unregistered-token": (410, "Unregistered")}
CASES = ["ok", *REJECTS]


@pytest.fixture(scope="module")
def pki() -> ApnsPki:
    return ApnsPki()


@pytest.fixture
async def world(pki: ApnsPki) -> AsyncIterator[ApnsWorld]:
    # Real clients stamp iat with the wall clock, so the fake follows it too.
    async with apns_world(pki, clock=Clock(wall=True), environments=(SANDBOX,)) as running:
        yield running


def p8(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def break_world(world: ApnsWorld, case: str) -> tuple[ec.EllipticCurvePrivateKey, str]:
    """Apply ``case`` to the world; returns (signing key, topic) the client should use."""
    if case == "expired-token":
        world.clock.advance(3601)  # the client's fresh iat is now over an hour old for APNs
    if case == "unregistered-token":
        world.devices.unregister(world.token)
    return (WRONG_KEY if case == "wrong-key" else KEY), ("com.example.other" if case == "wrong-topic" else BUNDLE)


def check(world: ApnsWorld, case: str, status: int, reason: str | None, timestamp: int | None = None) -> None:
    if case == "ok":
        assert (status, reason) == (200, None)
        [accepted] = world.published.of(PushAccepted)
        assert world.delivered == [accepted]
        return
    assert (status, reason) == REJECTS[case] and world.delivered == []
    if case == "unregistered-token":
        assert timestamp is not None and timestamp > 1_700_000_000_000  # ms since the epoch


# -- curl ---------------------------------------------------------------------------------------

# Apple's "Sending push notifications using command-line tools", token part, nearly verbatim.
APPLE_TOKEN_RECIPE = r"""
set -euo pipefail
JWT_ISSUE_TIME=$(date +%s)
JWT_HEADER=$(printf '{ "alg": "ES256", "kid": "%s" }' "${AUTH_KEY_ID}" | openssl base64 -e -A | tr -- '+/' '-_' | tr -d =)
JWT_CLAIMS=$(printf '{ "iss": "%s", "iat": %d }' "${TEAM_ID}" "${JWT_ISSUE_TIME}" | openssl base64 -e -A | tr -- '+/' '-_' | tr -d =)
JWT_HEADER_CLAIMS="${JWT_HEADER}.${JWT_CLAIMS}"
JWT_SIGNED_HEADER_CLAIMS=$(printf "${JWT_HEADER_CLAIMS}" | openssl dgst -binary -sha256 -sign "${TOKEN_KEY_FILE_NAME}" | openssl base64 -e -A | tr -- '+/' '-_' | tr -d =)
AUTHENTICATION_TOKEN="${JWT_HEADER}.${JWT_CLAIMS}.${JWT_SIGNED_HEADER_CLAIMS}"
curl -sS -i --cacert "${CA_FILE}" --connect-to "${APNS_HOST_NAME}:443:127.0.0.1:${PORT}" \
  --header "apns-topic: ${TOPIC}" --header "apns-push-type: alert" \
  --header "authorization: bearer ${AUTHENTICATION_TOKEN}" \
  --data '{"aps":{"alert":"test"}}' --http2 "https://${APNS_HOST_NAME}/3/device/${DEVICE_TOKEN}"
"""
# The same page, certificate part.
APPLE_CERT_RECIPE = r"""
set -euo pipefail
curl -sS -i --cacert "${CA_FILE}" --connect-to "${APNS_HOST_NAME}:443:127.0.0.1:${PORT}" \
  --header "apns-topic: ${TOPIC}" --header "apns-push-type: alert" \
  --cert "${CERTIFICATE_FILE_NAME}" --cert-type PEM --key "${CERTIFICATE_KEY_FILE_NAME}" --key-type PEM \
  --data '{"aps":{"alert":"test"}}' --http2 "https://${APNS_HOST_NAME}/3/device/${DEVICE_TOKEN}"
"""
needs_curl = pytest.mark.skipif(not (shutil.which("curl") and shutil.which("openssl")), reason="needs curl + openssl")


async def run_recipe(recipe: str, env: dict[str, str]) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec("bash", "-c", recipe, env={"PATH": "/usr/bin:/bin", **env},
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    async with asyncio.timeout(DEADLINE * 2):
        out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    head, _, body = out.decode().partition("\r\n\r\n")
    assert head.startswith("HTTP/2 "), head  # curl negotiated h2 by ALPN
    return int(head.split()[1]), body


def reason_of(body: str) -> tuple[str | None, int | None]:
    if not body:
        return None, None
    parsed = json.loads(body)
    return parsed["reason"], parsed.get("timestamp")


@needs_curl
@pytest.mark.parametrize("case", CASES)
async def test_curl_with_apples_openssl_token_recipe(world: ApnsWorld, tmp_path: Path, case: str) -> None:
    key, topic = break_world(world, case)
    (tmp_path / "AuthKey.p8").write_bytes(p8(key))
    status, body = await run_recipe(APPLE_TOKEN_RECIPE, {
        "AUTH_KEY_ID": KID, "TEAM_ID": TEAM, "TOKEN_KEY_FILE_NAME": str(tmp_path / "AuthKey.p8"),
        "CA_FILE": str(world.pki.write_ca(tmp_path)), "APNS_HOST_NAME": SANDBOX_HOST,
        "PORT": str(world.apns.port), "TOPIC": topic, "DEVICE_TOKEN": world.token})
    check(world, case, status, *reason_of(body))


@needs_curl
@pytest.mark.parametrize("case", ["ok", "revoked", "topic-not-in-certificate"])
async def test_curl_with_apples_certificate_recipe(world: ApnsWorld, tmp_path: Path, case: str) -> None:
    cert_pem, key_pem = world.pki.providers.issue([BUNDLE], [SANDBOX])
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    (tmp_path / "key.pem").write_bytes(key_pem)
    if case == "revoked":
        world.pki.providers.revoke(cert_pem)
    status, body = await run_recipe(APPLE_CERT_RECIPE, {
        "CERTIFICATE_FILE_NAME": str(tmp_path / "cert.pem"), "CERTIFICATE_KEY_FILE_NAME": str(tmp_path / "key.pem"),
        "CA_FILE": str(world.pki.write_ca(tmp_path)), "APNS_HOST_NAME": SANDBOX_HOST, "PORT": str(world.apns.port),
        "TOPIC": "com.example.other" if case == "topic-not-in-certificate" else BUNDLE, "DEVICE_TOKEN": world.token})
    expected = {"ok": (200, None), "revoked": (403, "BadCertificate"),
                "topic-not-in-certificate": (400, "TopicDisallowed")}[case]
    assert (status, reason_of(body)[0]) == expected and len(world.delivered) == (case == "ok")


# -- aioapns 4.0 --------------------------------------------------------------------------------


def aioapns_client(world: ApnsWorld, monkeypatch: pytest.MonkeyPatch, **credentials: Any) -> Any:
    aioapns = pytest.importorskip("aioapns")
    from aioapns.connection import APNsDevelopmentClientProtocol
    # C1: no constructor option; the host is a class attribute, used for TCP, SNI and the host header.
    monkeypatch.setattr(APNsDevelopmentClientProtocol, "APNS_SERVER", "127.0.0.1")
    monkeypatch.setattr(APNsDevelopmentClientProtocol, "APNS_PORT", world.apns.port)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # a fresh one: aioapns loads a client cert into it
    world.pki.ca.configure_trust(ctx)
    return aioapns.APNs(use_sandbox=True, ssl_context=ctx, max_connection_attempts=1, **credentials)


async def aioapns_send(client: Any, token: str) -> Any:
    from aioapns import NotificationRequest
    try:
        async with asyncio.timeout(DEADLINE):
            return await client.send_notification(NotificationRequest(device_token=token,
                                                                      message={"aps": {"alert": "hi"}}))
    finally:
        client.pool.close()


@pytest.mark.parametrize("case", CASES)
async def test_aioapns_token_auth(world: ApnsWorld, monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    key, topic = break_world(world, case)
    client = aioapns_client(world, monkeypatch, key=p8(key).decode(), key_id=KID, team_id=TEAM, topic=topic)
    result = await aioapns_send(client, world.token)
    check(world, case, int(result.status), result.description, result.timestamp)
    # aioapns offers no ALPN: the fake speaks HTTP/2 by prior knowledge.
    assert [e.alpn for e in world.published.of(ApnsConnectionOpened)] == [None]


@pytest.mark.filterwarnings("ignore:X509.get_subject is deprecated:DeprecationWarning")  # inside aioapns 4.0
@pytest.mark.parametrize("case", ["ok", "revoked"])
async def test_aioapns_certificate_auth_reads_the_topic_from_the_subject_uid(
        world: ApnsWorld, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, case: str) -> None:
    path, cert_pem = write_provider_cert(tmp_path, world.pki.providers, [BUNDLE], [SANDBOX])
    if case == "revoked":
        world.pki.providers.revoke(cert_pem)
    result = await aioapns_send(aioapns_client(world, monkeypatch, client_cert=str(path)), world.token)
    expected = (200, None) if case == "ok" else (403, "BadCertificate")
    assert (int(result.status), result.description) == expected
    assert [a.topic for a in world.delivered] == ([BUNDLE] if case == "ok" else [])


# -- httpx --------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
async def test_httpx_http2(world: ApnsWorld, case: str) -> None:
    httpx = pytest.importorskip("httpx")
    pytest.importorskip("h2")
    key, topic = break_world(world, case)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    world.pki.ca.configure_trust(ctx)
    async with httpx.AsyncClient(http2=True, verify=ctx, timeout=DEADLINE) as client:
        response = await client.post(f"{world.apns.url}/3/device/{world.token}", content=PAYLOAD,
                                     headers=dict(world.headers(key=key, topic=topic, iat=time.time())))
    assert response.http_version == "HTTP/2"
    body = response.json() if response.content else {}
    check(world, case, response.status_code, body.get("reason"), body.get("timestamp"))
