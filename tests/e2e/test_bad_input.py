"""Bad input at each endpoint gets that protocol's own error and never stops the component."""

from __future__ import annotations

import json
import ssl

import aiohttp
import pytest

from simulator import Pki, Simulator
from simulator.story import DmCast


async def post(sim: Simulator, url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=body, headers=headers, ssl=sim.pki.client_context()) as resp:
            return resp.status, await resp.read()


@pytest.mark.parametrize(("body", "error"), [
    (b"{not json", "Failed to read message body: "),
    (b'{"platform":"apple_rn-v2","device_id":"abc"}', "Failed because of missing server Id"),
    (b'{"platform":"apple_rn-v2","server_id":"s1"}', "Failed because of missing device Id serverId=s1"),
    (b'{"platform":"windows","server_id":"s1","device_id":"d"}',
     "Did not send message because of missing platform property type=windows serverId=s1"),
])
async def test_proxy_answers_bad_send_push_in_its_own_format(sim: Simulator, body: bytes, error: str) -> None:
    status, raw = await post(sim, f"{sim.proxy.url}/api/v1/send_push", body)
    answer = json.loads(raw)
    assert status == 200 and answer["status"] == "FAIL" and answer["error"].startswith(error)
    status, raw = await post(sim, f"{sim.proxy.url}/api/v1/ack", b'{"id":"a","platform":"ios","type":"message"}')
    assert (status, json.loads(raw)) == (200, {"status": "OK"})  # still serving


@pytest.mark.parametrize(("path", "body", "status", "error_id"), [
    ("/api/v4/users/login", b"[1,2", 400, "api.context.invalid_body_param.app_error"),
    ("/api/v4/users/login", b'{"login_id": 5}', 400, "api.context.invalid_body_param.app_error"),
    ("/api/v4/users/login", b'{"login_id":"accounta","password":"nope"}', 401,
     "api.user.login.invalid_credentials_email_username"),
    ("/api/v4/posts", b'{"channel_id":"x","message":"hi"}', 401, "api.context.session_expired.app_error"),
    ("/api/v4/no/such/route", b"{}", 404, "api.context.404.app_error"),
])
async def test_chat_answers_bad_requests_in_mattermost_format(sim: Simulator, cast: DmCast, path: str, body: bytes,
                                                               status: int, error_id: str) -> None:
    got, raw = await post(sim, f"{sim.chat.url}{path}", body)
    answer = json.loads(raw)
    assert got == status
    assert answer["id"] == error_id and answer["status_code"] == status
    assert set(answer) == {"id", "message", "detailed_error", "request_id", "status_code"}
    token = await cast.b_client.login(server_url=sim.chat.url, login_id="accountb", password="Password-1234")
    assert token  # the server still serves


async def test_chat_ack_with_bad_json_is_a_400_parse_error(sim: Simulator, cast: DmCast) -> None:
    status, raw = await post(sim, f"{sim.chat.url}/api/v4/notifications/ack", b"{{",
                             headers={"Authorization": f"Bearer {cast.b_token}"})
    assert (status, json.loads(raw)["id"]) == (400, "api.push_notifications_ack.message.parse.app_error")


async def test_a_client_that_does_not_trust_the_world_ca_is_refused(sim: Simulator) -> None:
    stranger = Pki().client_context()  # a different CA
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientConnectorCertificateError) as info:
            await http.get(f"{sim.chat.url}/api/v4/system/ping", ssl=stranger)
    assert isinstance(info.value.certificate_error, ssl.SSLCertVerificationError)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sim.chat.url}/api/v4/system/ping", ssl=sim.pki.client_context()) as resp:
            assert resp.status == 200
