"""The control API: outside senders get a phone and its token, then read what it showed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from fake_devices import NotificationShown
from simulator import Simulator
from simulator.serve import write_state


async def call(method: str, url: str, body: Any = None) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http:
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        async with http.request(method, url, data=data) as resp:
            return resp.status, await resp.json()


async def test_create_a_phone_push_to_it_and_read_its_lock_screen(sim: Simulator) -> None:
    status, phone = await call("POST", f"{sim.control.url}/phones", {"name": "my-iphone", "app": "mattermost"})
    assert status == 201 and phone["name"] == "my-iphone"
    (app,) = phone["apps"]
    assert len(app["token"]) == 64 and app["device_id"] == f"apple_rn-v2:{app['token']}"
    # The token is live at APNs: an accepted push goes to this phone (installed, never opened: logged out).
    inst = sim.fleet.phones["my-iphone"].app()
    reception = sim.fleet.deliver(app["token"], {"aps": {"alert": {"title": "t", "body": "b"}, "mutable-content": 1},
                                                 "type": "message"})
    assert reception.show is not None and inst.token == app["token"]
    await sim.bus.wait_for(NotificationShown, lambda e: e.phone == "my-iphone", timeout=2)
    status, notes = await call("GET", f"{sim.control.url}/phones/my-iphone/notifications")
    assert status == 200 and [(n["title"], n["body"]) for n in notes] == [("t", "b")]


async def test_create_an_android_phone_whose_token_is_live_at_fcm(sim: Simulator) -> None:
    status, phone = await call("POST", f"{sim.control.url}/phones", {"name": "my-pixel", "app": "mattermost-android"})
    assert status == 201 and phone["name"] == "my-pixel"
    (app,) = phone["apps"]
    assert app["device_id"] == f"android_rn-v2:{app['token']}"
    registration = sim.fcm_registry.lookup(app["token"])
    assert registration is not None and (registration.phone_id, registration.project_id) == ("my-pixel",
                                                                                             "mattermost-rn")
    assert sim.fleet.phones["my-pixel"].platform.value == "android"


@pytest.mark.parametrize(("body", "error"), [
    ({"app": "mattermost-android", "sandbox": True}, "sandbox applies to iOS builds only"),
    (b"{nope", "body is not JSON"),
    ([1, 2], "body must be a JSON object"),
    ({"app": "whatsapp"}, "app must be one of"),
    ({"app": "mattermost", "sandbox": "yes"}, "sandbox must be true or false"),
    ({"name": 7}, "name must be a string"),
])
async def test_bad_phone_requests_get_a_clear_400(sim: Simulator, body: Any, error: str) -> None:
    status, answer = await call("POST", f"{sim.control.url}/phones", body)
    assert status == 400 and error in answer["error"]


async def test_unknown_phone_is_404_and_duplicate_name_is_400(sim: Simulator) -> None:
    status, answer = await call("GET", f"{sim.control.url}/phones/nobody/notifications")
    assert (status, answer) == (404, {"error": "no phone named 'nobody'"})
    assert (await call("POST", f"{sim.control.url}/phones", {"name": "twin"}))[0] == 201
    status, answer = await call("POST", f"{sim.control.url}/phones", {"name": "twin"})
    assert status == 400 and "already exists" in answer["error"]


async def test_state_dir_has_ready_made_files_for_outside_senders(sim: Simulator, tmp_path: Path) -> None:
    endpoints = write_state(sim, tmp_path, device_token="ab" * 32)
    env = dict(line.split("=", 1) for line in (tmp_path / "env").read_text().splitlines())
    assert env["HTTPS_PROXY"] == sim.connect.url and env["SSL_CERT_FILE"] == str(tmp_path / "ca.pem")
    assert env["REQUESTS_CA_BUNDLE"] == env["NODE_EXTRA_CA_CERTS"] == env["SSL_CERT_FILE"]
    proxy_config = json.loads((tmp_path / "mattermost-push-proxy.json").read_text())
    (apple,) = proxy_config["ApplePushSettings"]
    assert Path(apple["AppleAuthKeyFile"]).read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert (apple["AppleAuthKeyID"], apple["AppleTeamID"]) == (sim.config.key_id, sim.config.team_id)
    assert endpoints["control"] == sim.control.url and endpoints["connect_proxy"] == sim.connect.url
