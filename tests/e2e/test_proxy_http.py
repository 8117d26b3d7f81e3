"""The push proxy's HTTP surface as mattermost-push-proxy has it (§2.1)."""

from __future__ import annotations

import json

import aiohttp

from simulator import Simulator


async def get(sim: Simulator, path: str) -> tuple[int, str, bytes]:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sim.proxy.url}{path}", ssl=sim.pki.client_context()) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), await resp.read()


async def test_root_is_the_liveness_page(sim: Simulator) -> None:
    assert await get(sim, "/") == (200, "text/html; charset=utf-8",
                                   b"<html><body>Mattermost Push Proxy</body></html>")


async def test_version_is_json(sim: Simulator) -> None:
    status, kind, body = await get(sim, "/version")
    assert (status, kind) == (200, "application/json; charset=utf-8")
    assert set(json.loads(body)) == {"hash", "version"}


async def test_there_is_no_health_endpoint_and_metrics_are_off(sim: Simulator) -> None:
    assert (await get(sim, "/health"))[0] == 404
    assert (await get(sim, "/metrics"))[0] == 404


async def test_send_push_answers_like_go_with_a_trailing_newline(sim: Simulator) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{sim.proxy.url}/api/v1/send_push", data=b"{}", ssl=sim.pki.client_context()) as resp:
            body = await resp.read()
            assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert body == b'{"error":"Failed because of missing server Id","status":"FAIL"}\n'


async def test_wrong_method_is_405(sim: Simulator) -> None:
    assert (await get(sim, "/api/v1/send_push"))[0] == 405
