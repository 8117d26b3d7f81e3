"""The control API (moto-style backdoor) over plain HTTP on loopback: inspection, faults, flush,
reset, legacy switch; bad control input answered 400 naming the field."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from fake_fcm import Connectivity, FakeFcm, FcmControl, LegacyMode
from tests.support.fcm_world import PROJECT, FcmWorld, make_world


@dataclass
class Backdoor:
    world: FcmWorld
    fcm: FakeFcm
    control: FcmControl
    http: aiohttp.ClientSession
    delivered: list[object]

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.http.request(method, self.control.url + path, json=body) as response:
            return response.status, await response.json()


@pytest.fixture
async def backdoor() -> AsyncIterator[Backdoor]:
    world = make_world()
    delivered: list[object] = []
    async with FakeFcm(world.core, ssl_context=None, publish=lambda e: None, deliver=delivered.append) as fcm, \
            FcmControl(world.core, server=fcm) as control, aiohttp.ClientSession() as http:
        yield Backdoor(world=world, fcm=fcm, control=control, http=http, delivered=delivered)
        assert control.errors == [] and fcm.errors == []


async def test_verdicts_are_listed_and_filtered(backdoor: Backdoor) -> None:
    world = backdoor.world
    world.send()
    world.send(world.message(token=world.other_token))
    status, received = await backdoor.call("GET", "/received")
    assert status == 200 and [v["type"] for v in received] == ["MessageAccepted", "MessageRejected"]
    assert received[0]["message"]["data"]["ack_id"] == "a1" and received[0]["api"] == "v1"
    _, rejected = await backdoor.call("GET", "/rejected?error=SENDER_ID_MISMATCH")
    assert [r["http_status"] for r in rejected] == [403]
    assert (await backdoor.call("GET", "/rejected?error=UNREGISTERED"))[1] == []
    assert len((await backdoor.call("GET", f"/accepted?token={world.token}&project={PROJECT}"))[1]) == 1
    assert len((await backdoor.call("GET", "/delivered?device=phone-1"))[1]) == 1


@pytest.mark.parametrize(("path", "field"), [("/received?color=red", "color"), ("/rejected?error=NOPE", "error")])
async def test_bad_queries_are_400_naming_the_field(backdoor: Backdoor, path: str, field: str) -> None:
    status, answer = await backdoor.call("GET", path)
    assert (status, answer["field"]) == (400, field)


async def test_registry_views_never_show_private_keys(backdoor: Backdoor) -> None:
    _, projects = await backdoor.call("GET", "/projects")
    assert [p["project_id"] for p in projects] == [PROJECT, "other-project"]
    assert projects[0]["service_accounts"] == [backdoor.world.account.client_email]
    assert "PRIVATE KEY" not in str(projects)
    _, registrations = await backdoor.call("GET", "/registrations")
    assert registrations[0]["token"] == backdoor.world.token and registrations[0]["active"] is True


async def test_a_queued_fault_hits_the_next_send_and_can_be_listed_and_cleared(backdoor: Backdoor) -> None:
    status, queued = await backdoor.call("POST", "/faults", {"error": "QUOTA_EXCEEDED", "times": 2,
                                                             "retry_after": 5})
    assert (status, queued["error"], queued["remaining"], queued["kind"]) == (201, "QUOTA_EXCEEDED", 2, "error")
    assert backdoor.world.send().status == 429
    assert (await backdoor.call("GET", "/faults"))[1][0]["remaining"] == 1
    await backdoor.call("DELETE", "/faults")
    assert backdoor.world.send().status == 200
    await backdoor.call("POST", "/faults", {"drop": True, "token": backdoor.world.token})
    await backdoor.call("POST", "/faults", {"delay": 0.5})
    assert [f["kind"] for f in (await backdoor.call("GET", "/faults"))[1]] == ["drop", "delay"]


@pytest.mark.parametrize(("body", "field"), [
    ({"error": "NOT_A_CODE"}, "error"), ({"error": "NotRegistered"}, "error"), ({}, "error"),
    ({"error": "INTERNAL", "drop": True}, "error"), ({"delay": -1}, "delay"), ({"delay": "1"}, "delay"),
    ({"drop": "yes"}, "drop"), ({"error": "INTERNAL", "times": 0}, "times"), ({"drop": True, "token": ""}, "token"),
    ({"delay": 1, "retry_after": 3}, "retry_after"), ({"error": "INTERNAL", "colour": 1}, "colour"),
    ("not an object", "body"),
])
async def test_bad_fault_requests_are_400_naming_the_field(backdoor: Backdoor, body: Any, field: str) -> None:
    status, answer = await backdoor.call("POST", "/faults", body)
    assert (status, answer["field"]) == (400, field)
    assert backdoor.world.core.faults.pending == ()


async def test_flush_delivers_what_waited_and_reset_forgets(backdoor: Backdoor) -> None:
    world = backdoor.world
    world.reach.states["phone-1"] = Connectivity.OFFLINE
    world.send()
    _, stored = await backdoor.call("GET", "/stored?device=phone-1")
    assert [s["token"] for s in stored] == [world.token]
    world.reach.states["phone-1"] = Connectivity.ONLINE
    assert await backdoor.call("POST", "/flush", {"device": "phone-1"}) == (200, {"delivered": 1})
    assert await backdoor.call("POST", "/flush", {"token": world.token}) == (200, {"delivered": 0})
    assert (await backdoor.call("POST", "/flush", {}))[0] == 400
    assert await backdoor.call("POST", "/sweep") == (200, {"expired": 0})
    assert await backdoor.call("POST", "/reset") == (200, {"reset": True})
    assert (await backdoor.call("GET", "/received"))[1] == []


async def test_the_legacy_mode_switch(backdoor: Backdoor) -> None:
    assert await backdoor.call("GET", "/legacy") == (200, {"mode": "shut_down"})
    assert await backdoor.call("POST", "/legacy", {"mode": "enabled"}) == (200, {"mode": "enabled"})
    assert backdoor.world.core.legacy.mode is LegacyMode.ENABLED
    status, answer = await backdoor.call("POST", "/legacy", {"mode": "sometimes"})
    assert (status, answer["field"]) == (400, "mode")


async def test_expiring_access_tokens_makes_senders_refresh(backdoor: Backdoor) -> None:
    world = backdoor.world
    authorization = world.bearer()
    assert await backdoor.call("POST", "/access-tokens/expire") == (200, {"expired": 1})
    reply = world.send(authorization=authorization)
    assert reply.status == 401 and b"ACCESS_TOKEN_EXPIRED" in reply.body
    assert world.send().status == 200  # a new grant works


async def test_flush_without_a_server_is_refused() -> None:
    world = make_world()
    async with FcmControl(world.core) as control, aiohttp.ClientSession() as http:
        async with http.post(control.url + "/flush", json={"device": "phone-1"}) as response:
            assert (response.status, (await response.json())["field"]) == (400, "device")
        async with http.get(control.url + "/nowhere") as response:
            assert response.status == 404 and "error" in await response.json()
