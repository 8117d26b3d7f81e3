"""The control API (JSON over HTTP on its own loopback port): inspect what APNs received, queue
faults, reset, flush and GOAWAY; bad input answers 400 naming the field."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from fake_apns import ApnsControl, Reason
from tests.support.apns_pki import ApnsPki
from tests.support.apns_world import BUNDLE, DEADLINE, PAYLOAD, PROD, ApnsWorld, apns_world


@pytest.fixture(scope="module")
def pki() -> ApnsPki:
    return ApnsPki()


@dataclass
class Rig:
    world: ApnsWorld
    control: ApnsControl
    http: aiohttp.ClientSession

    async def call(self, method: str, path: str, body: Any = None, *, raw: bytes | None = None) -> tuple[int, Any]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        async with self.http.request(method, self.control.url + path, data=data) as response:
            return response.status, await response.json()

    async def push(self, token: str, **headers: Any) -> int:
        async with await self.world.client() as client:
            return (await client.post(token, headers=self.world.headers(**headers), body=PAYLOAD)).status


@asynccontextmanager
async def rig(pki: ApnsPki, *, with_servers: bool = True) -> AsyncIterator[Rig]:
    async with apns_world(pki) as world:
        servers = list(world.servers.values()) if with_servers else []
        async with ApnsControl(world.core, servers=servers) as control, aiohttp.ClientSession() as http:
            yield Rig(world=world, control=control, http=http)
        assert control.errors == []


async def test_received_accepted_and_rejected_are_listed_and_filtered(pki: ApnsPki) -> None:
    async with rig(pki) as r:
        other = r.world.devices.register("com.example.other", PROD)
        statuses = [await r.push(r.world.token), await r.push(other, topic="com.example.other"),
                    await r.push("ab" * 32)]
        assert statuses == [200, 200, 400]
        assert r.control.url.startswith("http://127.0.0.1:")
        status, received = await r.call("GET", "/received")
        assert status == 200 and [v["type"] for v in received] == ["PushAccepted", "PushAccepted", "PushRejected"]
        _, mine = await r.call("GET", f"/accepted?token={r.world.token.upper()}")
        _, by_topic = await r.call("GET", "/received?topic=com.example.other")
        _, bad = await r.call("GET", "/rejected?reason=BadDeviceToken")
        _, none = await r.call("GET", "/rejected?reason=Unregistered")
    assert [v["token"] for v in mine] == [r.world.token] and mine[0]["payload"] == {"aps": {"alert": "hello"}}
    assert [v["token"] for v in by_topic] == [other]
    assert [(v["reason"], v["status"], v["environment"]) for v in bad] == [("BadDeviceToken", 400, "production")]
    assert none == []


async def test_queued_reason_fault_gives_two_429_then_200(pki: ApnsPki) -> None:
    async with rig(pki) as r:
        status, queued = await r.call("POST", "/faults", {"reason": "TooManyRequests", "status": 429, "times": 2})
        assert status == 201 and (queued["kind"], queued["remaining"], queued["status"]) == ("reject", 2, 429)
        assert [await r.push(r.world.token) for _ in range(3)] == [429, 429, 200]
        _, pending = await r.call("GET", "/faults")
    assert pending == []


async def test_token_scoped_fault_hits_only_that_device(pki: ApnsPki) -> None:
    async with rig(pki) as r:
        other = r.world.devices.register(BUNDLE, PROD)
        assert (await r.call("POST", "/faults", {"reason": "Unregistered", "token": other}))[0] == 201
        assert (await r.push(r.world.token), await r.push(other)) == (200, 410)


async def test_connection_faults_are_queued_listed_and_cleared(pki: ApnsPki) -> None:
    async with rig(pki) as r:
        for body in ({"delay": 0.5, "times": 2}, {"goaway": "Shutdown"}, {"drop": True, "token": "AB" * 32}):
            assert (await r.call("POST", "/faults", body))[0] == 201
        _, pending = await r.call("GET", "/faults")
        assert [(p["kind"], p["remaining"], p["delay"], p["reason"], p["token"], p["status"]) for p in pending] == [
            ("delay", 2, 0.5, None, None, None), ("goaway", 1, 0.0, "Shutdown", None, None),
            ("drop", 1, 0.0, None, "ab" * 32, None)]
        assert await r.call("DELETE", "/faults") == (200, {"cleared": True})
        assert await r.call("GET", "/faults") == (200, [])


async def test_drop_fault_from_the_control_api_drops_the_next_request(pki: ApnsPki) -> None:
    async with rig(pki) as r:
        await r.call("POST", "/faults", {"drop": True})
        with pytest.raises(ConnectionError):
            await r.push(r.world.token)
        assert await r.push(r.world.token) == 200


async def test_reset_forgets_verdicts_faults_and_stored_notifications(pki: ApnsPki) -> None:
    async with rig(pki) as r:
        r.world.phones.offline.add(r.world.token)
        await r.push(r.world.token)
        await r.call("POST", "/faults", {"reason": "Shutdown"})
        _, stored = await r.call("GET", f"/stored?token={r.world.token}")
        assert [s["cause"] for s in stored] == ["unreachable"] and stored[0]["push"]["token"] == r.world.token
        assert await r.call("POST", "/reset") == (200, {"reset": True})
        for path in ("/received", "/faults", "/stored"):
            assert await r.call("GET", path) == (200, [])
        _, devices = await r.call("GET", "/devices")
    assert [d["token"] for d in devices] == [r.world.token]  # phones keep their tokens across a reset


async def test_flush_delivers_what_waited_for_a_phone(pki: ApnsPki) -> None:
    async with rig(pki) as r:
        r.world.phones.offline.add(r.world.token)
        await r.push(r.world.token)
        assert await r.call("POST", "/flush", {"device": "phone-1"}) == (200, {"delivered": 0})
        r.world.phones.offline.clear()
        assert await r.call("POST", "/flush", {"token": r.world.token}) == (200, {"delivered": 1})
        assert len(r.world.delivered) == 1


async def test_goaway_now_reaches_every_open_connection(pki: ApnsPki) -> None:
    async with rig(pki) as r:
        async with await r.world.client() as client:
            await client.post(r.world.token, headers=r.world.headers(), body=PAYLOAD)
            assert await r.call("POST", "/goaway", {"reason": "IdleTimeout"}) == (200, {"goaway": "IdleTimeout"})
            async with asyncio.timeout(DEADLINE):
                goaway = await client.goaway
    assert goaway.additional_data == b'{"reason":"IdleTimeout"}'


async def test_teams_lists_keys_and_apps(pki: ApnsPki) -> None:
    async with rig(pki) as r:
        r.world.core.keys.register_app("TEAM123456", BUNDLE)
        assert await r.call("GET", "/teams") == (200, {"TEAM123456": {"keys": ["KEY1234567"], "apps": [BUNDLE]}})


BAD_INPUT: list[tuple[str, str, Any, str]] = [
    ("POST", "/faults", b"not json", "body"),
    ("POST", "/faults", [], "body"),
    ("POST", "/faults", {}, "reason"),
    ("POST", "/faults", {"reason": "Shutdown", "drop": True}, "reason"),
    ("POST", "/faults", {"reason": "NoSuchReason"}, "reason"),
    ("POST", "/faults", {"reason": "Shutdown", "times": 0}, "times"),
    ("POST", "/faults", {"reason": "Shutdown", "times": "2"}, "times"),
    ("POST", "/faults", {"reason": "Shutdown", "times": True}, "times"),
    ("POST", "/faults", {"reason": "Shutdown", "token": "xyz"}, "token"),
    ("POST", "/faults", {"reason": "Shutdown", "status": 500}, "status"),
    ("POST", "/faults", {"delay": 1, "status": 503}, "status"),
    ("POST", "/faults", {"delay": -1}, "delay"),
    ("POST", "/faults", {"delay": 61}, "delay"),
    ("POST", "/faults", {"delay": "soon"}, "delay"),
    ("POST", "/faults", {"goaway": "Whenever"}, "goaway"),
    ("POST", "/faults", {"drop": "yes"}, "drop"),
    ("POST", "/faults", {"reason": "Shutdown", "colour": "red"}, "colour"),
    ("GET", "/rejected?reason=Nope", None, "reason"),
    ("GET", "/received?tokn=ab", None, "tokn"),
    ("GET", "/accepted?token=zz", None, "token"),
    ("GET", "/devices?all=1", None, "all"),
    ("POST", "/flush", {}, "token"),
    ("POST", "/flush", {"token": "ab", "device": "p"}, "token"),
    ("POST", "/flush", {"device": 5}, "device"),
    ("POST", "/flush", {"token": "not hex"}, "token"),
    ("POST", "/goaway", {"reason": "Nope"}, "reason"),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), BAD_INPUT,
                         ids=[f"{m} {p} {f}" for m, p, _, f in BAD_INPUT])
async def test_bad_input_is_a_400_naming_the_field(pki: ApnsPki, method: str, path: str, body: Any,
                                                   field: str) -> None:
    async with rig(pki) as r:
        raw = body if isinstance(body, bytes) else None
        status, answer = await r.call(method, path, None if raw is not None else body, raw=raw)
        assert status == 400 and answer["field"] == field and answer["error"]
        assert await r.call("GET", "/faults") == (200, [])  # nothing was queued by the bad request


async def test_without_servers_flush_and_goaway_are_refused_by_field(pki: ApnsPki) -> None:
    async with rig(pki, with_servers=False) as r:
        assert (await r.call("POST", "/flush", {"token": "ab"}))[0] == 400
        status, answer = await r.call("POST", "/goaway", {})
        assert (status, answer["field"]) == (400, "reason")


async def test_unknown_route_and_method_answer_json(pki: ApnsPki) -> None:
    async with rig(pki) as r:
        assert await r.call("GET", "/nowhere") == (404, {"error": "Not Found"})
        assert await r.call("PUT", "/faults") == (405, {"error": "Method Not Allowed"})
        assert (await r.call("GET", "/received"))[0] == 200
