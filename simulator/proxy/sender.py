"""Proxy → APNs: one reused HTTP/2 connection per Apple app, provider JWT cached and renewed,
retries on transport errors only (§4.1, §4.4). Publishes one hop per attempt."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from typing import Awaitable, Callable

from ..events import Correlation, HopAttempted, Protocol
from ..hops import summarize_body
from ..signing import ProviderKey, load_p8
from .config import ApplePushSettings, ProxyConfig
from .core import map_apns_result
from .h2client import H2Connection, H2Response, TransportError
from .models import PushNotification, PushResponse, Target
from .payload import ApnsMessage, build_apns

Sleep = Callable[[float], Awaitable[None]]

TOKEN_TIMEOUT = 3000.0  # sideshow/apns2 renews the provider token after 50 minutes


class ApnsSender:
    """Sends one Apple app type's pushes."""

    def __init__(self, settings: ApplePushSettings, *, url: str, ssl_context: ssl.SSLContext,
                 config: ProxyConfig, clock: Callable[[], float], publish: Callable[[object], None],
                 source: str = "proxy", target: str = "apns", sleep: Sleep = asyncio.sleep,
                 server_hostname: str | None = None) -> None:
        self.settings = settings
        self._key = ProviderKey(key=load_p8(settings.apple_auth_key_pem), key_id=settings.apple_auth_key_id,
                                team_id=settings.apple_team_id)
        self._url, self._ssl, self._sni = url, ssl_context, server_hostname
        self._config, self._clock, self._publish, self._sleep = config, clock, publish, sleep
        self._source, self._target = source, target
        self._conn: H2Connection | None = None
        self._connecting = asyncio.Lock()
        self._token: tuple[float, str] | None = None

    def use_provider_key(self, key: ProviderKey) -> None:
        """Sign with ``key`` from now on (a rotated or, in failure demos, a wrong key)."""
        self._key, self._token = key, None

    def _provider_token(self) -> str:
        now = self._clock()
        if self._token is None or now - self._token[0] >= TOKEN_TIMEOUT:
            self._token = (now, self._key.token(now))
        return self._token[1]

    async def _connection(self) -> H2Connection:
        async with self._connecting:
            if self._conn is None or not self._conn.is_open:
                if self._conn is not None:
                    await self._conn.close()
                self._conn = H2Connection(self._url, ssl_context=self._ssl, server_hostname=self._sni)
                await self._conn.connect()
            return self._conn

    async def send(self, n: PushNotification, target: Target) -> PushResponse:
        """Deliver one notification; map the outcome to OK / FAIL / REMOVE."""
        message = build_apns(n, app_version=target.app_version, topic=self.settings.apple_push_topic)
        ids = Correlation(post_id=n.post_id, ack_id=n.ack_id)
        deadline = time.monotonic() + self._config.send_timeout_sec
        for attempt in range(1, self._config.max_retries + 1):
            try:
                async with asyncio.timeout(min(self._config.retry_timeout, deadline - time.monotonic())):
                    response = await self._attempt(n.device_id, message, ids)
                return map_apns_result(response.status, _reason(response))
            except (TransportError, TimeoutError):
                backoff = float(2 ** (attempt - 1))
                if attempt == self._config.max_retries or time.monotonic() + backoff >= deadline:
                    break
                await self._sleep(backoff)
        return map_apns_result(None, None)

    async def _attempt(self, token: str, message: ApnsMessage, ids: Correlation) -> H2Response:
        headers = [("authorization", f"bearer {self._provider_token()}"),
                   ("content-type", "application/json; charset=utf-8"),
                   ("apns-topic", message.topic), ("apns-priority", str(message.priority)),
                   ("apns-push-type", message.push_type)]
        path = f"/3/device/{token}"
        started, at = time.perf_counter(), self._clock()
        try:
            conn = await self._connection()
            response = await conn.request("POST", path, headers, message.body)
        except (TransportError, TimeoutError, asyncio.CancelledError) as exc:
            self._hop(at, started, path, message, ids, f"no response: {exc or type(exc).__name__}", False)
            raise
        apns_id = response.header("apns-id") or ""
        reason = _reason(response)
        outcome = f"{response.status} apns-id={apns_id}" + (f" {reason}" if reason else "")
        self._hop(at, started, path, message, ids.merged(Correlation(apns_id=apns_id)), outcome,
                  response.status == 200)
        return response

    def _hop(self, at: float, started: float, path: str, message: ApnsMessage, ids: Correlation,
             outcome: str, ok: bool) -> None:
        wire = (("apns-topic", message.topic), ("apns-push-type", message.push_type),
                ("apns-priority", str(message.priority)),
                ("authorization", f"bearer <ES256 JWT kid={self._key.key_id} iss={self._key.team_id}>"),
                ("payload", summarize_body(message.body)))
        self._publish(HopAttempted(
            at=at, started=started, duration_ms=(time.perf_counter() - started) * 1000, source=self._source, target=self._target,
            protocol=Protocol.HTTP2_TLS, encrypted=True, operation=f"POST {path[:27]}…", wire=wire,
            outcome=outcome, ok=ok, ids=ids))

    async def close(self) -> None:
        """Close the HTTP/2 connection."""
        if self._conn is not None:
            await self._conn.close()
            self._conn = None


def _reason(response: H2Response) -> str | None:
    if response.status == 200 or not response.body:
        return None
    try:
        reason = json.loads(response.body).get("reason")
    except (ValueError, AttributeError):
        return None
    return reason if isinstance(reason, str) else None
