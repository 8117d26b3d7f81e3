"""The CONNECT proxy and the egress guard: real names reach the fakes, nothing leaves the machine."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from fake_devices import NotificationShown
from simulator import HopAttempted, Simulator
from simulator.egress import EgressBlocked, TunnelOpened, is_loopback
from simulator.proxy import Role
from simulator.hops import HopError
from simulator.story import DmCast, cast_dm_world, send_dm
from tests.e2e.test_serve import der_signed_jwt


async def test_a_real_name_reaches_the_fake_through_connect(sim: Simulator) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get("https://push.mattermost.com/version", proxy=sim.connect.url,
                            ssl=sim.pki.client_context()) as resp:
            assert resp.status == 200
            assert set(await resp.json()) == {"hash", "version"}
    opened = await sim.bus.wait_for(TunnelOpened, timeout=2)
    assert (opened.host, opened.port, opened.target) == ("push.mattermost.com", 443,
                                                         sim.proxies[Role.HPNS].url.removeprefix("https://"))


async def test_google_names_reach_the_fake_fcm_through_connect(sim: Simulator) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post("https://fcm.googleapis.com/v1/projects/mattermost-rn/messages:send", json={},
                             proxy=sim.connect.url, ssl=sim.pki.client_context()) as resp:
            status, body = resp.status, await resp.json()
    assert status == 401 and body["error"]["status"] == "UNAUTHENTICATED"  # Google's envelope, not a proxy error


@pytest.mark.parametrize("target", ["https://www.example.com/", "https://fcm.googleapis.com:8443/"])
async def test_any_other_destination_is_refused_with_403_and_an_event(sim: Simulator, target: str) -> None:
    mark = sim.bus.mark()
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientHttpProxyError) as info:
            await http.get(target, proxy=sim.connect.url, ssl=sim.pki.client_context())
    assert info.value.status == 403
    blocked = await sim.bus.wait_for(EgressBlocked, since=mark, timeout=2)
    assert blocked.host in target and "never connects outside" in blocked.reason
    assert not sim.bus.find(TunnelOpened, since=mark)


async def test_plain_proxying_is_not_served(sim: Simulator) -> None:
    reader, writer = await asyncio.open_connection(*sim.connect.url.removeprefix("http://").split(":"))
    writer.write(b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n")
    status = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    assert status.startswith(b"HTTP/1.1 405")


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl with HTTP/2")
async def test_curl_through_connect_delivers_to_the_phone(sim: Simulator, cast: DmCast, tmp_path: Path) -> None:
    await cast.phone.to_background()
    ca = sim.pki.write(tmp_path)["ca"]
    jwt = der_signed_jwt(sim.provider_key.key, sim.config.key_id, sim.config.team_id, iat=sim.clock())
    mark = sim.bus.mark()
    proc = await asyncio.create_subprocess_exec(
        "curl", "-s", "--http2", "--proxy", sim.connect.url, "--cacert", str(ca), "-o", "/dev/null",
        "-w", "%{http_code}", "-H", f"authorization: bearer {jwt}", "-H", "apns-topic: com.mattermost.rn",
        "-d", '{"aps":{"alert":{"title":"via","body":"CONNECT"},"mutable-content":1}}',
        f"https://api.push.apple.com/3/device/{cast.phone.app().token}", stdout=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(proc.communicate(), 20)
    assert out == b"200"
    shown = await sim.bus.wait_for(NotificationShown, since=mark, timeout=5)
    assert (shown.notification.title, shown.notification.body) == ("via", "CONNECT")


async def test_components_refuse_non_loopback_urls(sim: Simulator) -> None:
    client = sim.mattermost_client("outsider")
    mark = sim.bus.mark()
    with pytest.raises(HopError, match="never connects outside"):
        await client.login(server_url="https://community.mattermost.com", login_id="x", password="y")
    assert (await sim.bus.wait_for(EgressBlocked, since=mark, timeout=1)).host == "community.mattermost.com"
    hop = (await sim.bus.wait_for(HopAttempted, since=mark, timeout=1))
    assert not hop.ok and "egress guard" in hop.outcome


async def test_a_whole_story_only_ever_connects_to_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []
    real_connect = socket.socket.connect

    def spy(self: socket.socket, address: Any) -> Any:
        seen.append(address)
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", spy)
    async with Simulator() as sim:
        cast = await cast_dm_world(sim)
        await cast.phone.to_background()
        await send_dm(sim, cast)
        await sim.bus.wait_for(NotificationShown, timeout=5)
        await sim.settle()
    assert len(seen) >= 5  # the phone, Account B, the chat server and the proxy all opened sockets
    assert all(is_loopback(str(address[0])) for address in seen), seen


def test_loopback_check_makes_no_dns_lookup() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("api.push.apple.com") and not is_loopback("10.0.0.1") and not is_loopback("8.8.8.8")
    assert json.dumps(is_loopback("[::1]")) == "true"
