"""FakeFcm over real TLS on 127.0.0.1:0 with an aiohttp client: every accepted path paired with
its refusal, and bad input answered in Google's envelope without crashing the server."""

from __future__ import annotations

import asyncio
import io
import json
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import trustme

from fake_fcm import (AccessTokenIssued, Connectivity, DeletedMessagesNotified, Delivery, FakeFcm, FcmError,
                      HttpRequest, MessageAccepted, MessageDelivered, MessageStored, Reply)
from tests.support.fcm_jwt import assertion, grant_form
from tests.support.fcm_tls import FcmPki
from tests.support.fcm_world import NOW, PROJECT, FcmWorld, make_world, rsa_key

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def fcm_pki() -> FcmPki:
    return FcmPki.create()


@dataclass
class Running:
    world: FcmWorld
    fcm: FakeFcm
    http: aiohttp.ClientSession
    published: list[object] = field(default_factory=list)
    delivered: list[Delivery] = field(default_factory=list)
    publish_fails_with: Exception | None = None
    deliver_fails_with: Exception | None = None

    async def post(self, path: str, data: bytes | io.BytesIO, headers: dict[str, str]) -> tuple[int, str, Any]:
        async with self.http.post(self.fcm.url + path, data=data, headers=headers) as response:
            text = await response.text()
            return response.status, response.content_type, json.loads(text) if "json" in response.content_type else text

    async def bearer(self) -> str:
        account = self.world.account
        jwt = assertion(account.private_key, iss=account.client_email, kid=account.private_key_id, iat=NOW)
        status, _, answer = await self.post("/token", grant_form(jwt), FORM)
        assert status == 200, answer
        return f"Bearer {answer['access_token']}"

    async def send(self, message: dict[str, Any] | None = None, *, authorization: str | None = None,
                   data: bytes | io.BytesIO | None = None,
                   content_type: str = "application/json") -> tuple[int, str, Any]:
        headers = {"Content-Type": content_type, "Authorization": authorization or await self.bearer()}
        payload = data if data is not None else json.dumps({"message": message or self.world.message()}).encode()
        return await self.post(f"/v1/projects/{PROJECT}/messages:send", payload, headers)


@pytest.fixture
async def running(fcm_pki: FcmPki) -> AsyncIterator[Running]:
    world = make_world()
    published: list[object] = []
    delivered: list[Delivery] = []

    def publish(event: object) -> None:
        if state.publish_fails_with is not None:
            raise state.publish_fails_with
        published.append(event)

    def deliver(event: Delivery) -> None:
        if state.deliver_fails_with is not None:
            raise state.deliver_fails_with
        delivered.append(event)

    async with FakeFcm(world.core, ssl_context=fcm_pki.server_context(), publish=publish, deliver=deliver) as fcm, \
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=fcm_pki.client_context())) as http:
        state = Running(world=world, fcm=fcm, http=http, published=published, delivered=delivered)
        yield state
    if state.publish_fails_with is None and state.deliver_fails_with is None:
        assert fcm.errors == []


async def test_token_then_send_over_https_is_accepted_and_delivered(running: Running) -> None:
    status, content_type, answer = await running.send()
    assert (status, content_type) == (200, "application/json")
    assert answer["name"].startswith("projects/pushsim-test/messages/0:")
    [delivered] = running.delivered
    assert isinstance(delivered, MessageDelivered) and delivered.token == running.world.token
    assert [type(e) for e in running.published] == [AccessTokenIssued, MessageAccepted, MessageDelivered]
    assert running.fcm.url.startswith("https://127.0.0.1:") and running.fcm.token_uri.endswith("/token")


async def test_an_unknown_bearer_is_refused_over_https(running: Running) -> None:
    status, _, answer = await running.send(authorization="Bearer ya29.c.nope")
    assert (status, answer["error"]["status"]) == (401, "UNAUTHENTICATED") and running.delivered == []


async def test_a_client_that_does_not_trust_the_ca_fails_verification(running: Running) -> None:
    stranger = ssl.create_default_context()
    trustme.CA().configure_trust(stranger)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=stranger)) as http:
        with pytest.raises(aiohttp.ClientConnectorCertificateError) as caught:
            await http.post(running.fcm.token_uri, data=b"")
    assert isinstance(caught.value.certificate_error, ssl.SSLCertVerificationError)
    assert (await running.send())[0] == 200  # the same server, trusted, is fine


@pytest.mark.parametrize(("data", "content_type", "message"), [
    (b"{not json", "application/json", "Invalid JSON payload received. Unexpected token."),
    (b"message=hello", "application/x-www-form-urlencoded", "Invalid JSON payload received. Unexpected token."),
    (b'{"message": {"token": "t", "extra": 1}}', "application/json",
     'Invalid JSON payload received. Unknown name "extra" at \'message\': Cannot find field.'),
    (b"\x00\xff" * 10, "application/octet-stream", "Invalid JSON payload received. Unexpected token."),
])
async def test_bad_bodies_get_googles_400_envelope(running: Running, data: bytes, content_type: str,
                                                   message: str) -> None:
    status, _, answer = await running.send(data=data, content_type=content_type)
    assert (status, answer["error"]["code"], answer["error"]["message"]) == (400, 400, message)


async def test_a_huge_body_is_refused_without_being_read(running: Running) -> None:
    status, _, answer = await running.send(data=io.BytesIO(b"x" * (2 << 20)))  # BytesIO: aiohttp warns on raw bytes
    assert (status, answer["error"]["message"]) == (400, "Request payload size exceeds the limit: 1048576 bytes.")
    status, _, answer = await running.post("/token", io.BytesIO(b"a" * (2 << 20)), FORM)
    assert (status, answer["error"]) == (400, "invalid_request")
    assert (await running.send())[0] == 200


async def test_a_bad_assertion_gets_invalid_grant_and_a_good_one_a_token(running: Running) -> None:
    status, content_type, answer = await running.post("/token", grant_form("%%%.e30.sig"), FORM)
    assert (status, content_type, answer["error"]) == (400, "application/json", "invalid_grant")
    account = running.world.account
    wrong = assertion(rsa_key(2), iss=account.client_email, kid=account.private_key_id, iat=NOW)
    assert (await running.post("/token", grant_form(wrong), FORM))[2] == {
        "error": "invalid_grant", "error_description": "Invalid JWT Signature."}
    assert (await running.bearer()).startswith("Bearer ya29.")


@pytest.mark.parametrize(("method", "path"), [("GET", "/token"), ("POST", "/v1/projects/x/messages:list"),
                                              ("POST", "/nowhere"), ("GET", f"/v1/projects/{PROJECT}/messages:send")])
async def test_unknown_routes_get_a_404_envelope(running: Running, method: str, path: str) -> None:
    async with running.http.request(method, running.fcm.url + path) as response:
        answer = await response.json()
    assert (response.status, answer["error"]["status"]) == (404, "NOT_FOUND")


async def test_a_dropped_connection_gives_no_answer_and_the_next_request_works(running: Running) -> None:
    running.world.core.faults.push_drop()
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await running.send()
    assert (await running.send())[0] == 200 and len(running.delivered) == 1


async def test_a_delay_trips_a_short_client_timeout_but_not_a_patient_client(running: Running) -> None:
    authorization = await running.bearer()
    running.world.core.faults.push_delay(0.3)
    with pytest.raises(asyncio.TimeoutError):
        async with asyncio.timeout(0.05):
            await running.send(authorization=authorization)
    running.world.core.faults.push_delay(0.05)
    assert (await running.send(authorization=authorization))[0] == 200


async def test_an_injected_error_with_retry_after_reaches_the_client(running: Running) -> None:
    running.world.core.faults.push(FcmError.UNAVAILABLE, retry_after=7)
    headers = {"Content-Type": "application/json", "Authorization": await running.bearer()}
    body = json.dumps({"message": running.world.message()}).encode()
    async with running.http.post(running.fcm.send_url(PROJECT), data=body, headers=headers) as response:
        assert (response.status, response.headers["Retry-After"]) == (503, "7")
        assert (await response.json())["error"]["details"][0]["errorCode"] == "UNAVAILABLE"


async def test_a_failing_publish_hook_is_recorded_and_the_sender_still_gets_its_answer(running: Running) -> None:
    running.publish_fails_with = RuntimeError("bus is broken")
    assert (await running.send())[0] == 200
    assert running.fcm.errors and all(e is running.publish_fails_with for e in running.fcm.errors)
    assert len(running.delivered) == 1


async def test_a_failing_deliver_hook_is_recorded(running: Running) -> None:
    running.deliver_fails_with = RuntimeError("phone exploded")
    assert (await running.send())[0] == 200
    assert running.fcm.errors == [running.deliver_fails_with]


async def test_a_handler_bug_is_recorded_and_answered_500_internal(running: Running) -> None:
    def broken(request: HttpRequest) -> Reply:
        raise KeyError("bug")

    running.world.core.send = broken  # type: ignore[method-assign]
    status, _, answer = await running.send(authorization="Bearer x")
    assert (status, answer["error"]["status"], answer["error"]["message"]) == (500, "INTERNAL",
                                                                               "Internal error encountered.")
    assert [type(e) for e in running.fcm.errors] == [KeyError]
    running.fcm.errors.clear()


async def test_a_phone_coming_back_gets_its_stored_messages_through_flush(running: Running) -> None:
    running.world.reach.states["phone-1"] = Connectivity.OFFLINE
    assert (await running.send())[0] == 200
    assert running.delivered == [] and isinstance(running.published[-1], MessageStored)
    assert running.fcm.flush(running.world.token) == 0  # still offline
    running.world.reach.states["phone-1"] = Connectivity.ONLINE
    assert running.fcm.flush(device="phone-1") == 1
    assert [type(d) for d in running.delivered] == [MessageDelivered]
    with pytest.raises(TypeError):
        running.fcm.flush()
    assert running.fcm.flush("unknown-token") == 0


async def test_overflow_signals_deleted_messages_through_the_deliver_hook(running: Running) -> None:
    running.world.reach.states["phone-1"] = Connectivity.OFFLINE
    authorization = running.world.bearer()
    for _ in range(100):  # straight into the core: only the overflowing send needs the wire
        assert running.world.send(authorization=authorization).status == 200
    await running.send(authorization=authorization)
    running.world.reach.states["phone-1"] = Connectivity.ONLINE
    assert running.fcm.flush(device="phone-1") == 0
    [signal] = running.delivered
    assert isinstance(signal, DeletedMessagesNotified) and signal.count == 101


async def test_sweep_expires_stored_messages_on_the_cores_clock(running: Running) -> None:
    running.world.reach.states["phone-1"] = Connectivity.OFFLINE
    await running.send(running.world.message(android={"ttl": "10s"}))
    assert running.fcm.sweep() == 0
    running.world.clock.advance(10)
    assert running.fcm.sweep() == 1 and running.world.core.mailbox.stored() == ()


async def test_the_legacy_endpoint_answers_as_google_does_today(running: Running) -> None:
    project = running.world.registry.project(PROJECT)
    assert project is not None
    good = {"Content-Type": "application/json", "Authorization": f"key={project.server_key}"}
    status, _, answer = await running.post("/fcm/send", json.dumps({"to": running.world.token}).encode(), good)
    assert (status, answer["results"]) == (200, [{"error": "DeprecatedApi"}])
    status, content_type, text = await running.post("/fcm/send", b"{}", {**good, "Authorization": "key=nope"})
    assert (status, content_type) == (401, "text/html") and "Unauthorized" in text
