"""Certificate auth over real mutual TLS: each certificate is bound to its topics and environment,
and one port serves certificate and token providers alike."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from fake_apns import ApnsConnectionOpened, ApnsGoAwaySent, Environment, ProviderCertificates, PushAccepted, Reason
from tests.support.apns_pki import ApnsPki, write_provider_cert
from tests.support.apns_world import BUNDLE, DEADLINE, PAYLOAD, PROD, SANDBOX, apns_world

VOIP = f"{BUNDLE}.voip"


@pytest.fixture(scope="module")
def pki() -> ApnsPki:
    return ApnsPki()


def cert(pki: ApnsPki, tmp_path: Path, topics: list[str], envs: tuple[Environment, ...] = (PROD,),
         issuer: ProviderCertificates | None = None) -> Path:
    return write_provider_cert(tmp_path, issuer or pki.providers, topics, envs, name="-".join(topics))[0]


async def test_certificate_push_ignores_authorization_and_defaults_to_the_uid_topic(pki: ApnsPki,
                                                                                    tmp_path: Path) -> None:
    async with apns_world(pki) as world:
        async with await world.client(cert=cert(pki, tmp_path, [BUNDLE])) as client:
            ok = await client.post(world.token, headers=[("authorization", "bearer not-a-jwt")], body=PAYLOAD)
        assert ok.status == 200
        [accepted] = world.published.of(PushAccepted)
        assert (accepted.topic, accepted.key_id, accepted.team_id) == (BUNDLE, "", "TEAMCERT01")
        assert accepted.certificate_serial is not None and world.delivered == [accepted]


async def test_revoked_certificate_gets_403_bad_certificate_even_on_an_open_connection(pki: ApnsPki,
                                                                                       tmp_path: Path) -> None:
    path = cert(pki, tmp_path, [BUNDLE])
    async with apns_world(pki) as world:
        async with await world.client(cert=path) as client:
            before = await client.post(world.token, body=PAYLOAD)
            pki.providers.revoke(path.read_bytes())
            after = await client.post(world.token, body=PAYLOAD)
        async with await world.client(cert=path) as again:
            fresh = await again.post(world.token, body=PAYLOAD)
    assert before.status == 200
    assert (after.status, after.json()) == (403, {"reason": "BadCertificate"})
    assert (fresh.status, fresh.json()) == (403, {"reason": "BadCertificate"})


async def test_several_topics_need_apns_topic_then_each_is_allowed(pki: ApnsPki, tmp_path: Path) -> None:
    async with apns_world(pki) as world:
        async with await world.client(cert=cert(pki, tmp_path, [BUNDLE, VOIP])) as client:
            missing = await client.post(world.token, body=PAYLOAD)
            voip = await client.post(world.token, headers=[("apns-topic", VOIP), ("apns-push-type", "voip")],
                                     body=PAYLOAD)
            alert = await client.post(world.token, headers=[("apns-topic", BUNDLE)], body=PAYLOAD)
    assert (missing.status, missing.json()) == (400, {"reason": "MissingTopic"})
    assert (voip.status, alert.status) == (200, 200)


async def test_topic_outside_the_certificate_is_disallowed(pki: ApnsPki, tmp_path: Path) -> None:
    async with apns_world(pki) as world:
        async with await world.client(cert=cert(pki, tmp_path, [BUNDLE])) as client:
            voip = await client.post(world.token, headers=[("apns-topic", VOIP), ("apns-push-type", "voip")],
                                     body=PAYLOAD)
            other = await client.post(world.token, headers=[("apns-topic", "com.example.other")], body=PAYLOAD)
            own = await client.post(world.token, headers=[("apns-topic", BUNDLE)], body=PAYLOAD)
    assert (voip.status, voip.json()) == (400, {"reason": "TopicDisallowed"})
    assert (other.status, other.json()) == (400, {"reason": "TopicDisallowed"})
    assert own.status == 200


async def test_wrong_environment_certificate_gets_goaway_as_observed(pki: ApnsPki, tmp_path: Path) -> None:
    async with apns_world(pki) as world:
        async with await world.client(cert=cert(pki, tmp_path, [BUNDLE], (SANDBOX,))) as client:
            async with asyncio.timeout(DEADLINE):
                goaway = await client.goaway
                await client.closed
        event = await world.published.wait_for(ApnsGoAwaySent)
        async with await world.client(cert=cert(pki, tmp_path, [BUNDLE], (SANDBOX, PROD))) as universal:
            ok = await universal.post(world.token, body=PAYLOAD)
    assert (goaway.error_code, goaway.last_stream_id) == (0, 0)
    assert goaway.additional_data is not None
    assert json.loads(goaway.additional_data) == {"reason": "BadCertificateEnvironment"}
    assert event.reason is Reason.BAD_CERTIFICATE_ENVIRONMENT and ok.status == 200


async def test_wrong_environment_without_goaway_answers_403(pki: ApnsPki, tmp_path: Path) -> None:
    async with apns_world(pki, environments=(SANDBOX, PROD), certificate_environment_goaway=False) as world:
        path = cert(pki, tmp_path, [BUNDLE], (SANDBOX,))
        async with await world.client(PROD, cert=path) as client:
            refused = await client.post(world.token, body=PAYLOAD)
        sandbox_token = world.devices.register(BUNDLE, SANDBOX)
        async with await world.client(SANDBOX, cert=path) as client:
            ok = await client.post(sandbox_token, body=PAYLOAD)
    assert (refused.status, refused.json()) == (403, {"reason": "BadCertificateEnvironment"})
    assert ok.status == 200


async def test_certificate_from_another_ca_that_tls_trusts_is_bad_certificate(pki: ApnsPki, tmp_path: Path) -> None:
    stranger = ProviderCertificates(organization="someone else")
    async with apns_world(pki, trust=(pki.providers, stranger)) as world:
        async with await world.client(cert=cert(pki, tmp_path, [BUNDLE], issuer=stranger)) as client:
            refused = await client.post(world.token, body=PAYLOAD)
        async with await world.client(cert=cert(pki, tmp_path, [BUNDLE, VOIP])) as ours:
            ok = await ours.post(world.token, headers=[("apns-topic", BUNDLE)], body=PAYLOAD)
    assert (refused.status, refused.json()) == (403, {"reason": "BadCertificate"})
    assert ok.status == 200


async def test_certificate_from_an_untrusted_ca_never_reaches_http2(pki: ApnsPki, tmp_path: Path) -> None:
    stranger = ProviderCertificates(organization="someone else")
    async with apns_world(pki) as world:
        ctx = pki.client_context(cert=cert(pki, tmp_path, [BUNDLE], issuer=stranger))
        reader, writer = await asyncio.open_connection("127.0.0.1", world.apns.port, ssl=ctx)
        async with asyncio.timeout(DEADLINE):
            assert await reader.read() == b""  # TLS 1.3: the server refuses after its handshake half
        writer.close()
        assert world.published.of(ApnsConnectionOpened) == []
        async with await world.client(cert=cert(pki, tmp_path, [BUNDLE])) as trusted:
            assert (await trusted.post(world.token, body=PAYLOAD)).status == 200


async def test_one_port_serves_token_and_certificate_providers(pki: ApnsPki, tmp_path: Path) -> None:
    async with apns_world(pki) as world:
        async with await world.client() as token_client:
            with_jwt = await token_client.post(world.token, headers=world.headers(), body=PAYLOAD)
            without = await token_client.post(world.token, headers=[("apns-topic", BUNDLE)], body=PAYLOAD)
        async with await world.client(cert=cert(pki, tmp_path, [BUNDLE])) as cert_client:
            with_cert = await cert_client.post(world.token, body=PAYLOAD)
    assert (with_jwt.status, with_cert.status) == (200, 200)
    assert (without.status, without.json()) == (403, {"reason": "MissingProviderToken"})
    accepted = world.published.of(PushAccepted)
    assert [a.certificate_serial is None for a in accepted] == [True, False]
