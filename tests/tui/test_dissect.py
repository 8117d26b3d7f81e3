"""Taking a hop apart: request, JWT verdicts, payload, and who could read the message text."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest

from fake_apns import Environment, KeyRing, PushAccepted, PushRejected, Reason
from simulator.events import Correlation, HopAttempted, Protocol
from simulator.signing import ProviderKey, es256_jwt, new_p256_key
from simulator.tui.dissect import Inspector, b64url_json, verify_es256
from simulator.tui.timeline import Timeline

NOW = 1_767_225_600.0
POST = "p" * 26
TOKEN = "ab" * 32
APNS_ID = "6CB8E94F-F69D-45CC-BFD6-2703016D4640"
APNS_PAYLOAD = {"aps": {"alert": {"title": "@accountb", "body": "Hello"}, "mutable-content": 1},
                "post_id": POST, "ack_id": "a1", "type": "message"}


def posted(text: str = "Hello") -> HopAttempted:
    return HopAttempted(at=NOW, started=1.0, duration_ms=1.0, source="account-b", target="chat",
                        protocol=Protocol.HTTPS, encrypted=True, operation="POST /api/v4/posts",
                        wire=(("body", json.dumps({"channel_id": "c", "message": text})),),
                        outcome=f'201 {{"id": "{POST}"}}', ok=True)


def apns_hop(authorization: str, payload: Mapping[str, object] = APNS_PAYLOAD) -> HopAttempted:
    return HopAttempted(at=NOW, started=2.0, duration_ms=3.0, source="proxy", target="apns",
                        protocol=Protocol.HTTP2_TLS, encrypted=True, operation=f"POST /3/device/{TOKEN[:17]}…",
                        wire=(("apns-topic", "com.mattermost.rn"), ("authorization", authorization),
                              ("payload", json.dumps(payload))),
                        outcome=f"200 apns-id={APNS_ID}", ok=True,
                        ids=Correlation(post_id=POST, ack_id="a1", apns_id=APNS_ID))


def send_push_hop(body: dict[str, object], *, encrypted: bool = True) -> HopAttempted:
    return HopAttempted(at=NOW, started=1.5, duration_ms=2.0, source="chat", target="proxy",
                        protocol=Protocol.HTTPS if encrypted else Protocol.HTTP, encrypted=encrypted,
                        operation="POST /api/v1/send_push", wire=(("body", json.dumps(body)),),
                        outcome='200 {"status":"OK"}', ok=True, ids=Correlation(post_id=POST, ack_id="a1"))


@pytest.fixture
def provider() -> tuple[ProviderKey, KeyRing]:
    key = ProviderKey(key=new_p256_key(), key_id="PSIMKEY001", team_id="PSIMTEAM01")
    ring = KeyRing()
    ring.register(team_id=key.team_id, key_id=key.key_id, public_key=key.key.public_key())
    return key, ring


def inspector(*events: object, keys: KeyRing | None = None, server_key: object = None, role: str = "HPNS") -> Inspector:
    timeline = Timeline()
    timeline.absorb([posted(), *events])
    return Inspector(timeline=timeline, keys=keys, server_key=server_key, role=role)  # type: ignore[arg-type]


def test_a_real_provider_token_is_decoded_and_verified(provider: tuple[ProviderKey, KeyRing]) -> None:
    key, ring = provider
    hop = apns_hop(f"bearer {key.token(NOW)}")
    (jwt,) = inspector(hop, keys=ring).dissect(hop).jwts
    assert jwt.header == {"alg": "ES256", "kid": "PSIMKEY001"}
    assert jwt.claims == {"iss": "PSIMTEAM01", "iat": int(NOW)}
    assert jwt.ok is True and "key PSIMKEY001 of team PSIMTEAM01" in jwt.verdict


def test_a_token_signed_with_a_wrong_key_is_rejected_as_apns_would(provider: tuple[ProviderKey, KeyRing]) -> None:
    _, ring = provider
    wrong = ProviderKey(key=new_p256_key(), key_id="PSIMKEY001", team_id="PSIMTEAM01")
    hop = apns_hop(f"bearer {wrong.token(NOW)}")
    (jwt,) = inspector(hop, keys=ring).dissect(hop).jwts
    assert jwt.ok is False
    assert jwt.verdict.startswith("rejected: InvalidProviderToken")


def test_a_token_summary_takes_the_verdict_from_apns_own_decision() -> None:
    hop = apns_hop("bearer <ES256 JWT kid=PSIMKEY001 iss=PSIMTEAM01>")
    accepted = PushAccepted(at=NOW, environment=Environment.PRODUCTION, apns_id=APNS_ID, apns_unique_id=None,
                            token=TOKEN, topic="com.mattermost.rn", push_type="alert", priority=10, expiration=None,
                            collapse_id=None, payload=APNS_PAYLOAD, team_id="PSIMTEAM01", key_id="PSIMKEY001",
                            connection_id=1)
    d = inspector(accepted, hop).dissect(hop)
    (jwt,) = d.jwts
    assert jwt.header["kid"] == "PSIMKEY001" and jwt.claims == {"iss": "PSIMTEAM01"}
    assert jwt.ok is True and jwt.verdict.startswith("APNs verified it")
    assert dict(d.request) == {":method": "POST", ":scheme": "https", ":path": f"/3/device/{TOKEN}"}


def test_a_token_summary_rejected_by_apns_shows_the_reason() -> None:
    hop = apns_hop("bearer <ES256 JWT kid=PSIMKEY001 iss=PSIMTEAM01>")
    rejected = PushRejected(at=NOW, environment=Environment.PRODUCTION, apns_id=APNS_ID, token=TOKEN,
                            topic="com.mattermost.rn", reason=Reason.INVALID_PROVIDER_TOKEN, status=403,
                            detail="JWT signature does not verify with key 'PSIMKEY001'", timestamp_ms=None,
                            connection_id=1)
    (jwt,) = inspector(rejected, hop).dissect(hop).jwts
    assert jwt.ok is False
    assert jwt.verdict == "APNs answered 403 InvalidProviderToken: JWT signature does not verify with key 'PSIMKEY001'"
    gone = PushRejected(at=NOW, environment=Environment.PRODUCTION, apns_id=APNS_ID, token=TOKEN,
                        topic="com.mattermost.rn", reason=Reason.UNREGISTERED, status=410, detail="injected fault",
                        timestamp_ms=None, connection_id=1)
    (other,) = inspector(gone, hop).dissect(hop).jwts
    assert other.ok is None and other.verdict.endswith("(a refusal that is not about the token)")


def test_the_server_push_signature_verifies_only_with_the_server_key() -> None:
    server = new_p256_key()
    signature = es256_jwt(server, {"ack_id": "a1", "device_id": TOKEN})
    hop = send_push_hop({"message": "Hello", "post_id": POST, "signature": signature})
    (good,) = inspector(hop, server_key=server.public_key()).dissect(hop).jwts
    (bad,) = inspector(hop, server_key=new_p256_key().public_key()).dissect(hop).jwts
    assert good.ok is True and good.claims == {"ack_id": "a1", "device_id": TOKEN}
    assert bad.ok is False and bad.verdict.startswith("INVALID")
    assert verify_es256(server.public_key(), signature)
    assert not verify_es256(server.public_key(), signature[:-4] + "AAAA")


def test_jwt_strings_in_the_payload_are_shortened_for_a_stable_view() -> None:
    signature = es256_jwt(new_p256_key(), {"ack_id": "a1"})
    hop = send_push_hop({"message": "Hello", "signature": signature})
    payload = inspector(hop).dissect(hop).payload
    assert signature not in payload and "…(JWT, decoded below)" in payload


def test_over_tls_the_ends_and_the_proxy_operator_read_the_text() -> None:
    hop = send_push_hop({"message": "Hello", "post_id": POST})
    readers = inspector(hop).dissect(hop).readers
    assert readers.exposed and readers.verdict.startswith("TLS")
    assert readers.who == ("chat", "the push proxy, run by Mattermost (HPNS)")


def test_over_plain_http_anyone_on_the_path_reads_the_text() -> None:
    hop = send_push_hop({"message": "Hello", "post_id": POST}, encrypted=False)
    readers = inspector(hop, role="TPNS").dissect(hop).readers
    assert readers.exposed and readers.verdict.startswith("UNENCRYPTED")
    assert readers.who[0].startswith("ANYONE on the network path")
    assert "Mattermost's test service (TPNS)" in readers.who[-1]


def test_apple_reads_the_text_of_a_full_push() -> None:
    hop = apns_hop("bearer x")
    readers = inspector(hop).dissect(hop).readers
    assert readers.exposed and any(who.startswith("Apple") for who in readers.who)


def test_generic_and_id_loaded_pushes_carry_no_text() -> None:
    generic = send_push_hop({"message": "@accountb sent you a message.", "post_id": POST})
    id_loaded = send_push_hop({"post_id": POST, "is_id_loaded": True})
    assert inspector(generic).dissect(generic).readers.verdict.startswith("Nobody reads the text here: the contents")
    verdict = inspector(id_loaded).dissect(id_loaded).readers.verdict
    assert verdict.startswith("Nobody reads the text here: id_loaded")
    assert not inspector(id_loaded).dissect(id_loaded).readers.exposed


def test_a_hop_without_a_post_carries_no_text() -> None:
    login = HopAttempted(at=NOW, started=0.5, duration_ms=1.0, source="account-b", target="chat",
                         protocol=Protocol.HTTPS, encrypted=True, operation="POST /api/v4/users/login",
                         outcome="200", ok=True)
    d = inspector(login).dissect(login)
    assert d.readers.verdict == "No message text on this hop." and d.jwts == ()
    assert d.request == (("request", "POST /api/v4/users/login (HTTPS/1.1)"),)


def test_b64url_json_refuses_what_is_not_an_object() -> None:
    assert b64url_json("eyJhbGciOiJFUzI1NiJ9") == {"alg": "ES256"}
    assert b64url_json("WzFd") is None  # [1]
    assert b64url_json("!!") is None
