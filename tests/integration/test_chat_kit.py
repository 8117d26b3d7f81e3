"""A chat server over real TLS with a tiny recording push proxy, for the chat integration tests.

``ChatKit`` wires ChatCore + PushGateway + ChatServer exactly as the harness does, but points the
gateway at ``FakeProxy``: an aiohttp TLS server that records every ``send_push``/``ack`` body and
answers what the test says (OK / FAIL / REMOVE), optionally holding its answers until released.
Other chat test modules import ``kit`` and the helpers from here; the tests at the bottom check
the kit itself.
"""

from __future__ import annotations

import asyncio
import json
import random
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from simulator.bus import EventBus
from simulator.chat.core import ChatCore
from simulator.chat.ids import IdFactory
from simulator.chat.models import ADMIN_ROLES, ChatConfig, PushDecision
from simulator.chat.pusher import PushGateway
from simulator.chat.server import ChatServer
from simulator.clock import FakeClock
from simulator.hops import HopClient
from simulator.signing import es256_jwt, new_p256_key, spki_b64
from simulator.tasks import Supervisor
from simulator.tls import Pki

PASSWORD = "Password-1234"
DEADLINE = 5.0


class FakeProxy:
    """A push proxy that records what it is sent and answers ``answer`` (HTTP 200 JSON, like the real one)."""

    def __init__(self, tls: ssl.SSLContext) -> None:
        self.pushes: list[dict[str, Any]] = []
        self.acks: list[dict[str, Any]] = []
        self.answer: dict[str, str] = {"status": "OK"}
        self.hold: asyncio.Event | None = None  # while set to an unset Event, answers wait for it
        self._arrived: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        app = web.Application()
        app.router.add_post("/api/v1/send_push", self._send_push)
        app.router.add_post("/api/v1/ack", self._ack)
        self._runner, self._tls, self.url = web.AppRunner(app, access_log=None), tls, ""

    async def _send_push(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        self.pushes.append(body)
        self._arrived.put_nowait(body)
        if self.hold is not None:
            await self.hold.wait()
        return web.json_response(self.answer)

    async def _ack(self, request: web.Request) -> web.Response:
        self.acks.append(json.loads(await request.read()))
        return web.json_response({"status": "OK"})

    async def next_push(self, timeout: float = DEADLINE) -> dict[str, Any]:
        """The next send_push body to arrive (in arrival order), or TimeoutError."""
        async with asyncio.timeout(timeout):
            return await self._arrived.get()

    async def __aenter__(self) -> FakeProxy:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self._tls)
        await site.start()
        self.url = "https://127.0.0.1:%d" % self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.hold is not None:
            self.hold.set()
        await self._runner.cleanup()


def trusting(pki: Pki) -> ssl.SSLContext:
    """A client context that trusts ``pki``'s CA and nothing else (no system store: that load costs ~80 ms)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    pki.ca.configure_trust(ctx)
    return ctx


@dataclass
class ChatKit:
    """One chat server and its proxy; ``call`` speaks HTTPS to the server like any client."""

    pki: Pki
    config: ChatConfig = field(default_factory=ChatConfig)
    proxy_pki: Pki | None = None  # issue the proxy's certificate from another CA (TLS failure tests)
    concurrency: int | None = None
    bus: EventBus = field(default_factory=EventBus)
    clock: FakeClock = field(default_factory=FakeClock)
    supervisor: Supervisor = field(default_factory=lambda: Supervisor("chat-kit"))

    async def __aenter__(self) -> ChatKit:
        self.proxy = await FakeProxy((self.proxy_pki or self.pki).server_context("proxy.pushsim.test")).__aenter__()
        key = new_p256_key(random.Random("kit-signing"))
        self.core = ChatCore(config=self.config, clock=self.clock, ids=IdFactory(random.Random("kit")),
                             signer=lambda claims: es256_jwt(key, claims), signing_public_key=spki_b64(key))
        self.tls = trusting(self.pki)
        self.hop = HopClient(source="chat", publish=self.bus.publish, clock=self.clock, ssl_context=self.tls)
        self.gateway = PushGateway(self.core, server_url=self.proxy.url, client=self.hop, supervisor=self.supervisor,
                                   clock=self.clock, publish=self.bus.publish, concurrency=self.concurrency)
        self.server = await ChatServer(self.core, gateway=self.gateway, clock=self.clock, publish=self.bus.publish,
                                       ssl_context=self.pki.server_context("chat.pushsim.test")).__aenter__()
        self.http = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.close()
        await self.supervisor.close()
        await self.server.__aexit__()
        await self.hop.close()
        await self.proxy.__aexit__()
        assert not self.server.server.errors, self.server.server.errors
        assert not self.supervisor.errors, self.supervisor.errors

    @property
    def url(self) -> str:
        return self.server.url

    async def call(self, method: str, path: str, *, token: str = "", body: Any = None, raw: bytes | None = None,
                   ) -> tuple[int, Any]:
        """One request; returns (status, parsed JSON or None)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        async with self.http.request(method, self.url + path, data=data, headers=headers,
                                     ssl=self.tls) as resp:
            payload = await resp.read()
            return resp.status, json.loads(payload) if payload else None

    async def ok(self, method: str, path: str, *, token: str = "", body: Any = None) -> Any:
        """A request that must succeed (2xx); returns the JSON."""
        status, answer = await self.call(method, path, token=token, body=body)
        assert 200 <= status < 300, (method, path, status, answer)
        return answer

    async def login(self, username: str, *, device_id: str = "") -> str:
        """Log in over HTTPS; returns the session token."""
        body = {"login_id": username, "password": PASSWORD, "device_id": device_id}
        async with self.http.post(self.url + "/api/v4/users/login", json=body, ssl=self.tls) as resp:
            assert resp.status == 200, await resp.text()
            return resp.headers["Token"]

    async def settle(self) -> None:
        """Wait until every accepted push has been answered."""
        await self.supervisor.drain(DEADLINE)

    def admin(self) -> str:
        """Backdoor: an admin account (its token comes from ``login("admin")``)."""
        self.core.create_user(username="admin", password=PASSWORD, roles=ADMIN_ROLES)
        return "admin"


@dataclass
class Town:
    """Team "eng": frank posts, alice (on an iPhone) and bob read; all set up over HTTPS."""

    team_id: str
    town: str  # Town Square's id
    ids: dict[str, str]
    tokens: dict[str, str]

    @staticmethod
    def device(name: str) -> str:
        """The device id ``name``'s iPhone app registers (``apple_rn-v2:<token>``)."""
        return f"apple_rn-v2:{name}-iphone-token"


async def build_town(kit: ChatKit, *, phones: tuple[str, ...] = ("alice",), via_api: bool = False) -> Town:
    """Users and team (REST API, or the backdoor to save requests), then real logins (phones with a device id)."""
    if via_api:
        ids = {name: (await kit.ok("POST", "/api/v4/users", body={
            "username": name, "password": PASSWORD, "email": f"{name}@eng.test", "first_name": name.title()}))["id"]
            for name in ("frank", "alice", "bob")}
    else:
        ids = {name: kit.core.create_user(username=name, password=PASSWORD, email=f"{name}@eng.test",
                                          first_name=name.title()).id for name in ("frank", "alice", "bob")}
    tokens = {name: await kit.login(name, device_id=Town.device(name) if name in phones else "") for name in ids}
    if via_api:
        team_id = (await kit.ok("POST", "/api/v4/teams", token=tokens["frank"],
                                body={"name": "eng", "display_name": "Engineering", "type": "O"}))["id"]
        for name in ("alice", "bob"):
            await kit.ok("POST", f"/api/v4/teams/{team_id}/members", token=tokens[name],
                         body={"team_id": team_id, "user_id": ids[name]})
    else:
        team_id = kit.core.create_team(name="eng", display_name="Engineering").id
        for user_id in ids.values():
            kit.core.add_team_member(team_id, user_id)
    town = await kit.ok("GET", f"/api/v4/teams/{team_id}/channels/name/town-square", token=tokens["frank"])
    return Town(team_id=team_id, town=town["id"], ids=ids, tokens=tokens)


async def admin_token(kit: ChatKit) -> str:
    """Log the (backdoor-created) system admin in."""
    if "admin" not in {u.username for u in kit.core.directory.users.values()}:
        kit.admin()
    return await kit.login("admin")


async def patch_config(kit: ChatKit, patch: dict[str, Any]) -> dict[str, Any]:
    """``PUT /api/v4/config/patch`` as the admin (the System Console's save button)."""
    return await kit.ok("PUT", "/api/v4/config/patch", token=await admin_token(kit), body=patch)


async def patch_props(kit: ChatKit, town: Town, name: str, **props: str) -> None:
    """Change some of a user's notify props the way clients do: send the whole map back."""
    me = await kit.ok("GET", "/api/v4/users/me", token=town.tokens[name])
    await kit.ok("PUT", "/api/v4/users/me/patch", token=town.tokens[name],
                 body={"notify_props": {**me["notify_props"], **props}})


async def post(kit: ChatKit, town: Town, name: str, text: str, *, channel: str = "", root_id: str = "",
               set_online: bool = True) -> dict[str, Any]:
    """``POST /api/v4/posts`` as ``name`` (Town Square by default)."""
    query = "" if set_online else "?set_online=false"
    return await kit.ok("POST", f"/api/v4/posts{query}", token=town.tokens[name],
                        body={"channel_id": channel or town.town, "message": text, "root_id": root_id})


def decision(kit: ChatKit, post_id: str, username: str) -> PushDecision:
    """The server's verdict for one recipient of one post (published before the POST returns)."""
    (found,) = kit.bus.find(PushDecision, lambda d: d.post_id == post_id and d.username == username)
    return found


async def pushes_to(kit: ChatKit, device_id: str) -> list[dict[str, Any]]:
    """Every send_push body the proxy got for ``device_id`` once all accepted pushes are answered."""
    await kit.settle()
    return [p for p in kit.proxy.pushes if f"{p['platform']}:{p['device_id']}" == device_id]


@pytest.fixture
async def kit(pki: Pki) -> AsyncIterator[ChatKit]:
    async with ChatKit(pki) as running:
        yield running


# ---------------------------------------------------------------- the kit itself
async def test_fake_proxy_records_what_the_server_sends(kit: ChatKit) -> None:
    town = await build_town(kit, via_api=True)
    await kit.ok("POST", "/api/v4/posts", token=town.tokens["frank"],
                 body={"channel_id": town.town, "message": "hey @alice"})
    push = await kit.proxy.next_push()
    assert (push["type"], push["message"], push["device_id"]) == ("message", "@frank: hey @alice", "alice-iphone-token")


async def test_fake_proxy_records_nothing_when_nobody_is_mentioned(kit: ChatKit) -> None:
    town = await build_town(kit, via_api=True)
    await kit.ok("POST", "/api/v4/posts", token=town.tokens["frank"], body={"channel_id": town.town, "message": "hi"})
    await kit.settle()
    assert kit.proxy.pushes == []
