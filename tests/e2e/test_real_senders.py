"""Real, unpatched senders against a world whose state dir is written as `pushsim serve` writes it:
aioapns with the written .p8 key and PEM certificate, firebase-admin and google-auth with the
written service account and the env file (HTTPS_PROXY through the CONNECT proxy), httpx over HTTP/2
through the CONNECT proxy. Each delivers to an emulated phone; each has its refusal.

Real clients stamp ``iat`` with the wall clock, so the world's FakeClock starts at ``time.time()``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import trustme

from fake_apns import Environment, PushAccepted, PushRejected
from fake_devices import MATTERMOST_ANDROID, MATTERMOST_IOS, NotificationShown, Phone
from fake_fcm import MessageAccepted, ServiceAccount
from simulator import FakeClock, SimConfig, Simulator
from simulator.egress import EgressBlocked, is_loopback
from simulator.serve import write_state
from simulator.signing import ProviderKey, load_p8, new_p256_key, p8_pem
from tests.support.fcm_world import rsa_key
from tests.support.senders import (DEADLINE, aioapns_client, aioapns_send, apply_env_file, connections,
                                   firebase_send, port_of)

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"


@dataclass
class Served:
    sim: Simulator
    state: Path
    endpoints: dict[str, Any]
    iphone: Phone
    pixel: Phone

    def json(self, name: str) -> dict[str, Any]:
        return json.loads((self.state / name).read_text())

    async def shown(self, phone: Phone, body: str) -> NotificationShown:
        return await self.sim.bus.wait_for(
            NotificationShown, lambda e: e.phone == phone.name and e.notification.body == body, timeout=DEADLINE)


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    async with Simulator(SimConfig(seed=23), clock=FakeClock(time.time())) as sim:
        iphone, pixel = sim.add_phone("my-iphone"), sim.add_phone("my-pixel", model="Pixel 7")
        iphone.install(MATTERMOST_IOS)
        pixel.install(MATTERMOST_ANDROID)
        endpoints = write_state(sim, tmp_path, device_token=iphone.app().token, fcm_token=pixel.app().token)
        yield Served(sim=sim, state=tmp_path, endpoints=endpoints, iphone=iphone, pixel=pixel)


@pytest.fixture
def sender_env(served: Served, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The developer's shell after ``set -a; . state/env``."""
    return apply_env_file(monkeypatch, served.state / "env")


# -- aioapns ------------------------------------------------------------------------------------
async def test_aioapns_token_auth_with_the_written_p8_reaches_the_iphone(served: Served,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    apns = served.json("apns.json")
    client = aioapns_client(monkeypatch, apns["urls"]["production"], ca_file=served.endpoints["ca_file"],
                            key=Path(apns["key_file"]).read_text(), key_id=apns["key_id"], team_id=apns["team_id"],
                            topic=apns["topic"])
    result = await aioapns_send(client, apns["device_token"], title="aioapns", body="token auth")
    assert (int(result.status), result.description) == (200, None)
    note = (await served.shown(served.iphone, "token auth")).notification
    assert (note.app, note.title) == ("Mattermost", "aioapns")


@pytest.mark.parametrize("environment", list(Environment))
async def test_aioapns_certificate_auth_with_the_written_pem_works_in_both_environments(
        served: Served, monkeypatch: pytest.MonkeyPatch, environment: Environment) -> None:
    apns = served.json("apns.json")
    assert apns["cert_topics"][0] == apns["topic"] and sorted(apns["cert_environments"]) == ["production", "sandbox"]
    phone = served.iphone
    if environment is Environment.SANDBOX:  # a development build registers with the sandbox
        phone = served.sim.add_phone("dev-iphone")
        phone.install(replace(MATTERMOST_IOS, sandbox=True))
    # topic= as senders pass it; without it aioapns reads the Subject UID through a deprecated pyOpenSSL call.
    client = aioapns_client(monkeypatch, apns["urls"][environment.value], ca_file=served.endpoints["ca_file"],
                            client_cert=apns["cert_file"], topic=apns["topic"])
    result = await aioapns_send(client, phone.app().token, title="aioapns", body=f"certificate {environment.value}")
    assert (int(result.status), result.description) == (200, None)
    await served.shown(phone, f"certificate {environment.value}")
    [accepted] = served.sim.bus.find(PushAccepted)
    assert accepted.certificate_serial is not None and accepted.team_id == apns["team_id"]


async def test_aioapns_with_a_key_apple_never_saw_gets_invalid_provider_token(served: Served,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    apns = served.json("apns.json")
    stranger = p8_pem(new_p256_key()).decode()  # same key id and team: a mis-copied .p8
    client = aioapns_client(monkeypatch, apns["urls"]["production"], ca_file=served.endpoints["ca_file"],
                            key=stranger, key_id=apns["key_id"], team_id=apns["team_id"], topic=apns["topic"])
    result = await aioapns_send(client, apns["device_token"], title="aioapns", body="never shown")
    assert (int(result.status), result.description) == (403, "InvalidProviderToken")
    assert [r.reason.value for r in served.sim.bus.find(PushRejected)] == ["InvalidProviderToken"]
    assert served.iphone.notification_centre == []


async def test_aioapns_that_does_not_trust_the_world_ca_fails_the_tls_handshake(
        served: Served, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    aioapns = pytest.importorskip("aioapns")
    apns = served.json("apns.json")
    elsewhere = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    trustme.CA().configure_trust(elsewhere)  # some other CA, not state/ca.pem
    client = aioapns_client(monkeypatch, apns["urls"]["production"], ssl_context=elsewhere,
                            key=Path(apns["key_file"]).read_text(), key_id=apns["key_id"], team_id=apns["team_id"],
                            topic=apns["topic"])
    with caplog.at_level(logging.ERROR, logger="aioapns"), pytest.raises(aioapns.exceptions.MaxAttemptsExceeded):
        await aioapns_send(client, apns["device_token"], title="aioapns", body="never shown")
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text
    assert served.sim.bus.find(PushAccepted) == [] and served.sim.bus.find(PushRejected) == []


# -- firebase-admin and google-auth, through the CONNECT proxy ----------------------------------
async def test_firebase_admin_with_the_env_file_sends_through_connect_to_the_pixel(
        served: Served, sender_env: dict[str, str]) -> None:
    fcm = served.json("fcm.json")
    assert sender_env["GOOGLE_APPLICATION_CREDENTIALS"] == fcm["credentials_file"]
    with connections() as seen:  # Application Default Credentials: the file named in the env file
        name = await firebase_send(fcm["device_token"], "from firebase-admin")
    assert name.startswith(f"projects/{fcm['project_id']}/messages/")
    note = (await served.shown(served.pixel, "from firebase-admin")).notification
    assert (note.app, note.title) == ("Mattermost", "outside sender")
    # fcm.googleapis.com went through the tunnel; the loopback token_uri stayed off it (NO_PROXY).
    assert ("127.0.0.1", port_of(served.sim.connect.url)) in seen
    assert all(is_loopback(host) for host, _ in seen), seen


async def test_firebase_admin_with_a_key_google_never_saw_is_refused(served: Served, sender_env: dict[str, str],
                                                                     tmp_path: Path) -> None:
    google_auth_exceptions = pytest.importorskip("google.auth.exceptions")
    info = json.loads(Path(served.json("fcm.json")["credentials_file"]).read_text())
    account = served.sim.fcm_accounts[info["project_id"]]
    forged = ServiceAccount(project_id=account.project_id, client_email=account.client_email,
                            client_id=account.client_id, private_key_id=account.private_key_id,
                            private_key=rsa_key(7))  # a regenerated key that was never uploaded
    path = forged.write(tmp_path / "leaked.json", token_uri=info["token_uri"])
    with pytest.raises(google_auth_exceptions.RefreshError, match="invalid_grant"):
        await firebase_send(served.pixel.app().token, "never shown", credentials_file=str(path))
    assert served.sim.bus.find(MessageAccepted) == [] and served.pixel.notification_centre == []


async def test_google_auth_gets_its_token_and_sends_through_googles_own_names(
        served: Served, sender_env: dict[str, str]) -> None:
    service_account = pytest.importorskip("google.oauth2.service_account")
    transport = pytest.importorskip("google.auth.transport.requests")
    fcm = served.json("fcm.json")
    creds = service_account.Credentials.from_service_account_file(fcm["credentials_file"], scopes=[FCM_SCOPE])
    creds = creds.with_token_uri("https://oauth2.googleapis.com/token")  # the real name: through the tunnel too
    with connections() as seen:
        with transport.AuthorizedSession(creds) as session:
            resp = await _in_thread(session.post, fcm["send_url"], json={"message": {
                "token": fcm["device_token"], "data": {"type": "message", "message": "from google-auth",
                                                       "channel_name": "outside sender"}}}, timeout=DEADLINE)
    assert resp.status_code == 200 and resp.json()["name"].startswith(f"projects/{fcm['project_id']}/messages/")
    assert creds.token.startswith("ya29.")
    await served.shown(served.pixel, "from google-auth")
    assert [port for _, port in seen].count(port_of(served.sim.connect.url)) == 2  # oauth2 + fcm tunnels
    assert all(is_loopback(host) for host, _ in seen), seen


async def test_google_auth_with_a_key_google_never_saw_gets_invalid_grant(served: Served,
                                                                          sender_env: dict[str, str]) -> None:
    service_account = pytest.importorskip("google.oauth2.service_account")
    transport = pytest.importorskip("google.auth.transport.requests")
    exceptions = pytest.importorskip("google.auth.exceptions")
    info = json.loads(Path(served.json("fcm.json")["credentials_file"]).read_text())
    forged = ServiceAccount(project_id=info["project_id"], client_email=info["client_email"],
                            client_id=info["client_id"], private_key_id=info["private_key_id"],
                            private_key=rsa_key(7)).info("https://oauth2.googleapis.com/token")
    creds = service_account.Credentials.from_service_account_info(forged, scopes=[FCM_SCOPE])
    with pytest.raises(exceptions.RefreshError, match="invalid_grant: Invalid JWT Signature."):
        await _in_thread(creds.refresh, transport.Request())
    assert not creds.valid


# -- httpx over HTTP/2 through the CONNECT proxy ------------------------------------------------
async def test_httpx_http2_through_connect_to_api_push_apple_com(served: Served, sender_env: dict[str, str]) -> None:
    httpx = pytest.importorskip("httpx")
    apns = served.json("apns.json")
    key = ProviderKey(key=load_p8(Path(apns["key_file"]).read_bytes()), key_id=apns["key_id"],
                      team_id=apns["team_id"])
    async with httpx.AsyncClient(http2=True, timeout=DEADLINE) as client:  # HTTPS_PROXY, SSL_CERT_FILE from env
        resp = await client.post(
            f"https://api.push.apple.com/3/device/{apns['device_token']}",
            headers={"authorization": f"bearer {key.token(time.time())}", "apns-topic": apns["topic"],
                     "apns-push-type": "alert"},
            json={"aps": {"alert": {"title": "httpx", "body": "over h2"}, "mutable-content": 1}})
    assert (resp.status_code, resp.http_version, resp.content) == (200, "HTTP/2", b"")
    assert len(resp.headers["apns-id"]) == 36
    await served.shown(served.iphone, "over h2")


async def test_httpx_connect_to_a_host_outside_the_world_is_refused_and_never_leaves(
        served: Served, sender_env: dict[str, str]) -> None:
    httpx = pytest.importorskip("httpx")
    mark = served.sim.bus.mark()
    with connections() as seen:
        async with httpx.AsyncClient(http2=True, timeout=DEADLINE) as client:
            with pytest.raises(httpx.ProxyError, match="403"):
                await client.get("https://www.googleapis.com/oauth2/v3/certs")
    blocked = await served.sim.bus.wait_for(EgressBlocked, since=mark, timeout=DEADLINE)
    assert (blocked.host, blocked.port, blocked.source) == ("www.googleapis.com", 443, "connect-proxy")
    assert seen == [("127.0.0.1", port_of(served.sim.connect.url))]  # only ever the proxy itself


async def _in_thread(call: Any, *args: Any, **kwargs: Any) -> Any:
    return await asyncio.to_thread(call, *args, **kwargs)  # the Google clients are synchronous (requests)
