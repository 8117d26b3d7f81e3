"""The emulated Mattermost app's network client (fake_devices' ``ServerLink`` seam), and the
client Account B uses: both real HTTPS/WSS over the world's TLS, every request a hop.

A phone's link (``PhoneLink``) adds what the phone's situation changes about those same real
requests: its trust store picks the CAs its TLS client accepts, and its network profile says how
long each exchange takes on that connection (fake_devices.Radio). That time is awaited through
an injected sleep, so tests and ``pushsim perf-check`` account for it without waiting.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp

from fake_devices import (CertificateInvalid, DeviceError, Metering, NetworkProfile, Part, Platform, Radio,
                          ServerRefused, TrustStore, Unreachable)

from .events import Correlation
from .hops import HopClient, HopError, HopResult
from .tasks import Supervisor

Sleep = Callable[[float], Awaitable[None]]
# Headers aiohttp adds to every request (Host, Accept, Accept-Encoding, User-Agent): counted on the wire.
_IMPLICIT_HEADER_BYTES = 120


class LinkError(ServerRefused):
    """The server answered with an error (its Mattermost error JSON is in ``body``)."""

    def __init__(self, operation: str, result: HopResult) -> None:
        try:
            detail = json.loads(result.body).get("message", "")
        except (ValueError, AttributeError):
            detail = result.body[:200].decode("utf-8", "replace")
        super().__init__(f"{operation} failed: HTTP {result.status} {detail}", status=result.status,
                         body=result.body, reject_reason=result.headers.get("X-Reject-Reason", ""))


class LinkUnreachable(HopError, Unreachable):
    """No connection to the server (refused, timed out, or the phone is offline)."""


class LinkCertificateInvalid(HopError, CertificateInvalid):
    """The server's certificate was refused by the client's trust store."""


def _failure(exc: HopError, url: str) -> HopError:
    cause = exc.__cause__
    if isinstance(cause, (aiohttp.ClientConnectorCertificateError, ssl.SSLCertVerificationError)):
        return LinkCertificateInvalid(str(exc), host=urlsplit(url).hostname or "")
    return LinkUnreachable(str(exc))


def _request_bytes(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> int:
    parts = urlsplit(url)
    line = len(method) + len(parts.path) + len(parts.query) + 12
    return line + _IMPLICIT_HEADER_BYTES + sum(len(k) + len(v) + 4 for k, v in headers.items()) + len(body or b"")


def _response_bytes(result: HopResult) -> int:
    return 17 + sum(len(k) + len(v) + 4 for k, v in result.headers.items()) + len(result.body)


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

    __slots__ = ("_client", "_supervisor", "_target", "_clock", "_sleep", "_radio", "_meter", "server_delay")

    def __init__(self, client: HopClient, supervisor: Supervisor, *, target: str = "chat",
                 clock: Callable[[], float] = time.time, sleep: Sleep = asyncio.sleep) -> None:
        self._client, self._supervisor, self._target = client, supervisor, target
        self._clock, self._sleep = clock, sleep
        self._radio: Radio | None = None
        self._meter: Metering | None = None
        self.server_delay = 0.0  # extra seconds the server takes per request (an injected slow server)

    # -- conditions (fake_devices.ServerLink) ------------------------------------------------
    def _hop_client(self) -> HopClient:
        return self._client

    def configure(self, *, network: NetworkProfile | None, trust: TrustStore, platform: Platform) -> None:
        """Shape exchanges by ``network``; this client's trust store is the world's and cannot change."""
        self._shape(network)
        if trust != TrustStore():
            raise DeviceError("this link trusts the world CA only; the world must build phones' links with PhoneLinks")

    def _shape(self, network: NetworkProfile | None) -> None:
        if network is None:
            self._radio = None
        elif self._radio is None or self._radio.profile != network:
            self._radio = Radio(network)

    def forget_connections(self) -> None:
        """The phone dropped its connections (background, sleep, network change)."""
        if self._radio is not None:
            self._radio.forget()

    def use_meter(self, meter: Metering | None) -> None:
        """Charge connection and server time of every exchange to ``meter``."""
        self._meter = meter

    async def _wait(self, part: Part, seconds: float, what: str) -> None:
        if seconds <= 0:
            return
        if self._meter is not None:
            self._meter.charge(part, seconds, what)
        await self._sleep(seconds)

    def _offline_check(self, url: str) -> None:
        if self._radio is not None and not self._radio.profile.online:
            raise LinkUnreachable(f"{url}: the phone has no network ({self._radio.profile.name})")

    # -- one exchange ------------------------------------------------------------------------
    async def _call(self, method: str, url: str, *, token: str = "", body: object = None,
                    ids: Correlation = Correlation()) -> HopResult:
        headers = {"Content-Type": "application/json; charset=utf-8", "X-Requested-With": "XMLHttpRequest"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body).encode()
        operation = f"{method} {urlsplit(url).path}"
        result = await self._exchange(operation, url, _request_bytes(method, url, headers, data),
                                      lambda: self._hop_client().request(method, url, target=self._target, body=data,
                                                                         headers=headers, ids=ids))
        if not 200 <= result.status < 300:
            raise LinkError(f"{method} {url.split('/api/v4', 1)[-1]}", result)
        return result

    async def _exchange(self, operation: str, url: str, bytes_up: int,
                        send: Callable[[], Awaitable[Any]], bytes_down: Callable[[Any], int] = _response_bytes) -> Any:
        """Send for real; around it, wait out what the phone's network adds and charge each part."""
        self._offline_check(url)
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if self._radio is not None:
            out = self._radio.outbound(origin, self._clock(), bytes_up=bytes_up)
            await self._wait(Part.CONNECTION, out.before_s, operation)
        started = time.perf_counter()
        try:
            answer = await send()
        except HopError as exc:
            raise _failure(exc, url) from exc.__cause__
        finally:
            if self._meter is not None:
                self._meter.charge(Part.SERVER, time.perf_counter() - started, operation)
        await self._wait(Part.SERVER, self.server_delay, operation)
        if self._radio is not None:
            await self._wait(Part.CONNECTION, self._radio.inbound(self._clock(), bytes_down=bytes_down(answer)),
                             operation)
        return answer

    async def _json(self, method: str, url: str, **kwargs: Any) -> Any:
        result = await self._call(method, url, **kwargs)
        try:
            return json.loads(result.body) if result.body else {}
        except ValueError:
            return {}

    # -- the API -----------------------------------------------------------------------------
    async def login(self, *, server_url: str, login_id: str, password: str, device_id: str = "") -> str:
        """Log in; returns the session token from the ``Token`` header."""
        body = {"login_id": login_id, "password": password}
        if device_id:
            body["device_id"] = device_id
        result = await self._call("POST", f"{server_url}/api/v4/users/login", body=body)
        return result.headers.get("Token", "")

    async def open_websocket(self, *, server_url: str, token: str) -> _Socket:
        """Connect the websocket (makes the user online)."""
        url = server_url.replace("https:", "wss:").replace("http:", "ws:") + "/api/v4/websocket"
        headers = {"Authorization": f"Bearer {token}"}
        ws = await self._exchange("GET /api/v4/websocket", url, _request_bytes("GET", url, headers, None) + 120,
                                  lambda: self._hop_client().websocket(url, target=self._target, headers=headers),
                                  bytes_down=lambda _: 160)  # 101 Switching Protocols + the hello event
        return _Socket(ws, self._supervisor)

    async def view_channel(self, *, server_url: str, token: str, channel_id: str) -> None:
        """Tell the server which channel is on screen ("" = none: the app left the foreground)."""
        await self._call("POST", f"{server_url}/api/v4/channels/members/me/view", token=token,
                         body={"channel_id": channel_id, "prev_channel_id": ""})

    async def ack(self, *, server_url: str, token: str, ack: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """Acknowledge a push (``POST /api/v4/notifications/ack``); returns the JSON answer (id-loaded content)."""
        answer = await self._json("POST", f"{server_url}/api/v4/notifications/ack", token=token, body=dict(ack),
                                  ids=Correlation(post_id=str(ack.get("post_id", "")), ack_id=str(ack.get("id", ""))))
        return answer if isinstance(answer, dict) else None

    async def ping(self, *, server_url: str, device_id: str = "", timeout: float = 5.0) -> Mapping[str, Any]:
        """``GET /api/v4/system/ping?time=…&device_id=…`` with the app's 5 s timeout (§8.2)."""
        query = {"time": str(int(self._clock() * 1000))}
        if device_id:
            query["device_id"] = device_id
        try:
            async with asyncio.timeout(timeout):
                answer = await self._json("GET", f"{server_url}/api/v4/system/ping?{urlencode(query)}")
        except TimeoutError:
            raise LinkUnreachable(f"GET {server_url}/api/v4/system/ping: no answer within {timeout:g}s") from None
        return answer if isinstance(answer, dict) else {}

    async def client_config(self, *, server_url: str) -> Mapping[str, Any]:
        """``GET /api/v4/config/client?format=old``."""
        answer = await self._json("GET", f"{server_url}/api/v4/config/client?format=old")
        return answer if isinstance(answer, dict) else {}

    async def attach_device(self, *, server_url: str, token: str, device_id: str, notifications_disabled: bool,
                            mobile_version: str) -> None:
        """``PUT /api/v4/users/sessions/device`` with the app's extra session props (§7.11)."""
        await self._call("PUT", f"{server_url}/api/v4/users/sessions/device", token=token,
                         body={"device_id": device_id, "mobile_version": mobile_version,
                               "device_notification_disabled": "true" if notifications_disabled else "false"})

    async def channel_posts(self, *, server_url: str, token: str, channel_id: str, since: int = 0,
                            per_page: int = 60) -> Mapping[str, Any]:
        """``GET /api/v4/channels/{id}/posts``: the first page, or what changed ``since`` (ms)."""
        query = {"since": str(since)} if since else {"page": "0", "per_page": str(per_page)}
        answer = await self._json("GET", f"{server_url}/api/v4/channels/{channel_id}/posts?{urlencode(query)}",
                                  token=token)
        return answer if isinstance(answer, dict) else {}

    async def logout(self, *, server_url: str, token: str) -> None:
        """``POST /api/v4/users/logout``."""
        await self._call("POST", f"{server_url}/api/v4/users/logout", token=token, body={})

    async def user_by_username(self, *, server_url: str, token: str, username: str) -> dict[str, Any]:
        """``GET /api/v4/users/username/{username}``."""
        return dict(await self._json("GET", f"{server_url}/api/v4/users/username/{username}", token=token))

    async def me(self, *, server_url: str, token: str) -> dict[str, Any]:
        """``GET /api/v4/users/me``."""
        return dict(await self._json("GET", f"{server_url}/api/v4/users/me", token=token))

    async def direct_channel(self, *, server_url: str, token: str, user_ids: tuple[str, str]) -> dict[str, Any]:
        """``POST /api/v4/channels/direct``."""
        return dict(await self._json("POST", f"{server_url}/api/v4/channels/direct", token=token,
                                     body=list(user_ids)))

    async def post(self, *, server_url: str, token: str, channel_id: str, message: str) -> dict[str, Any]:
        """``POST /api/v4/posts``."""
        return dict(await self._json("POST", f"{server_url}/api/v4/posts", token=token,
                                     body={"channel_id": channel_id, "message": message}))


class PhoneLink(MattermostClient):
    """A phone's client: its trust store decides which CAs its TLS accepts (built on first use)."""

    __slots__ = ("name", "_links", "_cas", "_own")

    def __init__(self, name: str, links: PhoneLinks, *, clock: Callable[[], float], sleep: Sleep) -> None:
        self.name, self._links = name, links
        self._cas: tuple[bytes, ...] = links.default_cas
        self._own: HopClient | None = None
        super().__init__(None, links.supervisor,  # type: ignore[arg-type]  # built lazily: _hop_client
                         target=links.target, clock=clock, sleep=sleep)
        self.server_delay = links.server_delay

    def _hop_client(self) -> HopClient:
        if self._own is None:  # an idle phone holds no HTTP session
            self._own = self._links.client(self.name, self._cas)
        return self._own

    def configure(self, *, network: NetworkProfile | None, trust: TrustStore, platform: Platform) -> None:
        """Shape by ``network``; accept the world CA (if kept) and the user CAs ``platform`` honours."""
        self._shape(network)
        cas = ((self._links.world_ca,) if trust.world_ca else ()) + trust.accepted(platform)
        if cas != self._cas:
            self._cas, self._own = cas, None  # the old client is closed with the world


class PhoneLinks:
    """Makes each phone's ``PhoneLink``; owns their HTTP clients (``close()`` at world shutdown)."""

    def __init__(self, *, publish: Callable[[object], None], clock: Callable[[], float], supervisor: Supervisor,
                 world_ca_pem: bytes, sleep: Sleep = asyncio.sleep, target: str = "chat",
                 server_delay: float = 0.0) -> None:
        self._publish, self._clock, self.supervisor, self._sleep = publish, clock, supervisor, sleep
        self.server_delay = server_delay  # seconds every link's server takes on top of its real answer
        self.world_ca, self.target = world_ca_pem, target
        self.default_cas: tuple[bytes, ...] = (world_ca_pem,)
        self._contexts: dict[tuple[bytes, ...], ssl.SSLContext] = {}
        self._clients: list[HopClient] = []

    def __call__(self, name: str) -> PhoneLink:
        return PhoneLink(name, self, clock=self._clock, sleep=self._sleep)

    def context(self, cas: tuple[bytes, ...]) -> ssl.SSLContext:
        """A verifying TLS client context trusting exactly ``cas`` (shared by phones that trust the same)."""
        if cas not in self._contexts:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies chain and host name; no host roots
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            for pem in cas:
                ctx.load_verify_locations(cadata=pem.decode("ascii"))
            self._contexts[cas] = ctx
        return self._contexts[cas]

    def client(self, name: str, cas: tuple[bytes, ...]) -> HopClient:
        """A new HTTP client for phone ``name`` trusting ``cas``."""
        client = HopClient(source=name, publish=self._publish, clock=self._clock, ssl_context=self.context(cas))
        self._clients.append(client)
        return client

    async def close(self) -> None:
        """Close every phone's pooled connections."""
        for client in self._clients:
            await client.close()
        self._clients.clear()
