"""The emulated Mattermost app's network client (fake_devices' ``ServerLink`` seam), and the
client Account B uses: both real HTTPS/WSS over the world's TLS, every request a hop."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import aiohttp

from .events import Correlation
from .hops import HopClient, HopResult
from .tasks import Supervisor


class LinkError(Exception):
    """The server answered with an error (its Mattermost error JSON is in ``body``)."""

    def __init__(self, operation: str, result: HopResult) -> None:
        self.status, self.body = result.status, result.body
        try:
            detail = json.loads(result.body).get("message", "")
        except (ValueError, AttributeError):
            detail = result.body[:200].decode("utf-8", "replace")
        super().__init__(f"{operation} failed: HTTP {result.status} {detail}")


class _Socket:
    """An open websocket whose incoming events are drained in the background."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, supervisor: Supervisor) -> None:
        self._ws = ws
        self.events: list[dict[str, Any]] = []
        self._reader = supervisor.spawn(self._read(), name="websocket-reader")

    async def _read(self) -> None:
        async for msg in self._ws:
            if msg.type is aiohttp.WSMsgType.TEXT:
                self.events.append(json.loads(msg.data))

    async def close(self) -> None:
        await self._ws.close()
        await asyncio.wait({self._reader}, timeout=5)


class MattermostClient:
    """A Mattermost API v4 client for one actor (a phone's app, or Account B's browser)."""

    def __init__(self, client: HopClient, supervisor: Supervisor, *, target: str = "chat") -> None:
        self._client, self._supervisor, self._target = client, supervisor, target

    async def _call(self, method: str, url: str, *, token: str = "", body: object = None,
                    ids: Correlation = Correlation()) -> HopResult:
        headers = {"Content-Type": "application/json; charset=utf-8", "X-Requested-With": "XMLHttpRequest"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body).encode()
        result = await self._client.request(method, url, target=self._target, body=data, headers=headers, ids=ids)
        if not 200 <= result.status < 300:
            raise LinkError(f"{method} {url.split('/api/v4', 1)[-1]}", result)
        return result

    async def login(self, *, server_url: str, login_id: str, password: str, device_id: str = "") -> str:
        """Log in; returns the session token from the ``Token`` header."""
        body = {"login_id": login_id, "password": password}
        if device_id:
            body["device_id"] = device_id
        result = await self._call("POST", f"{server_url}/api/v4/users/login", body=body)
        return result.headers.get("Token", "")

    async def open_websocket(self, *, server_url: str, token: str) -> _Socket:
        """Connect the websocket (makes the user online)."""
        ws = await self._client.websocket(server_url.replace("https:", "wss:").replace("http:", "ws:")
                                          + "/api/v4/websocket", target=self._target,
                                          headers={"Authorization": f"Bearer {token}"})
        return _Socket(ws, self._supervisor)

    async def view_channel(self, *, server_url: str, token: str, channel_id: str) -> None:
        """Tell the server which channel is on screen ("" = none: the app left the foreground)."""
        await self._call("POST", f"{server_url}/api/v4/channels/members/me/view", token=token,
                         body={"channel_id": channel_id, "prev_channel_id": ""})

    async def ack(self, *, server_url: str, token: str, ack: Mapping[str, Any]) -> None:
        """Acknowledge a push (``POST /api/v4/notifications/ack``)."""
        await self._call("POST", f"{server_url}/api/v4/notifications/ack", token=token, body=dict(ack),
                         ids=Correlation(post_id=str(ack.get("post_id", "")), ack_id=str(ack.get("id", ""))))

    async def user_by_username(self, *, server_url: str, token: str, username: str) -> dict[str, Any]:
        """``GET /api/v4/users/username/{username}``."""
        result = await self._call("GET", f"{server_url}/api/v4/users/username/{username}", token=token)
        return json.loads(result.body)

    async def me(self, *, server_url: str, token: str) -> dict[str, Any]:
        """``GET /api/v4/users/me``."""
        return json.loads((await self._call("GET", f"{server_url}/api/v4/users/me", token=token)).body)

    async def direct_channel(self, *, server_url: str, token: str, user_ids: tuple[str, str]) -> dict[str, Any]:
        """``POST /api/v4/channels/direct``."""
        result = await self._call("POST", f"{server_url}/api/v4/channels/direct", token=token, body=list(user_ids))
        return json.loads(result.body)

    async def post(self, *, server_url: str, token: str, channel_id: str, message: str) -> dict[str, Any]:
        """``POST /api/v4/posts``."""
        result = await self._call("POST", f"{server_url}/api/v4/posts", token=token,
                                  body={"channel_id": channel_id, "message": message})
        return json.loads(result.body)
