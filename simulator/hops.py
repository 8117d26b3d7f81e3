"""An HTTP client that publishes one ``HopAttempted`` per request (httpcore's trace idea:
instrumentation beside the code it measures, not inside it)."""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

import aiohttp

from .egress import EgressBlocked, EgressRefused, require_loopback
from .events import Correlation, HopAttempted, Protocol

Publish = Callable[[object], None]

# Shown on hops so a trace never prints a whole bearer token.
_REDACTED = ("authorization",)


class HopError(Exception):
    """The request got no HTTP response (refused, TLS failure, timeout)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HopResult:
    """A complete HTTP response."""

    status: int
    headers: dict[str, str]
    body: bytes


def summarize_body(body: bytes, limit: int = 5120) -> str:
    """Body text for the trace: decoded, cut at ``limit`` characters."""
    text = body.decode("utf-8", "replace")
    return text if len(text) <= limit else text[:limit] + "…"


class HopClient:
    """One component's outbound HTTP client (one pooled aiohttp session)."""

    def __init__(self, *, source: str, publish: Publish, clock: Callable[[], float],
                 ssl_context: ssl.SSLContext | None, timeout: float = 30.0) -> None:
        self.source, self._publish, self._clock, self._ssl = source, publish, clock, ssl_context
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            # trust_env stays off: pushsim never follows the host's proxy settings out of the box.
            self._session = aiohttp.ClientSession(timeout=self._timeout, trust_env=False)
        return self._session

    def _ssl_for(self, url: str) -> ssl.SSLContext | bool:
        return self._ssl if url.startswith("https:") and self._ssl is not None else False

    async def request(self, method: str, url: str, *, target: str, body: bytes | None = None,
                      headers: dict[str, str] | None = None, ids: Correlation = Correlation(),
                      wire: tuple[tuple[str, str], ...] = (),
                      judge: Callable[[HopResult], bool] | None = None, proxy: str | None = None) -> HopResult:
        """Send one request; publish the hop; raise HopError when no response arrived.

        ``judge`` decides whether the answer means the hop worked (default: any 2xx status), for
        protocols such as the push proxy's that say FAIL inside an HTTP 200. ``proxy`` sends it
        through an HTTP CONNECT proxy (only the proxy itself must be on loopback: it maps the name).
        """
        parts = urlsplit(url)
        encrypted = parts.scheme == "https"
        operation = f"{method} {parts.path}"
        shown = wire or tuple((k.lower(), "…") if k.lower() in _REDACTED else (k.lower(), v)
                              for k, v in (headers or {}).items())
        if body and not wire:
            shown += (("body", summarize_body(body)),)
        started, at = time.perf_counter(), self._clock()

        def hop(outcome: str, ok: bool) -> None:
            self._publish(HopAttempted(
                at=at, started=started, duration_ms=(time.perf_counter() - started) * 1000, source=self.source, target=target,
                protocol=Protocol.HTTPS if encrypted else Protocol.HTTP, encrypted=encrypted,
                operation=operation, wire=shown, outcome=outcome, ok=ok, ids=ids))

        dialled = urlsplit(proxy) if proxy else parts
        try:
            require_loopback(dialled.hostname or "", dialled.port or 443)
        except EgressRefused as exc:
            self._publish(EgressBlocked(at=at, source=self.source, host=dialled.hostname or "",
                                        port=dialled.port or 443, reason=str(exc)))
            hop(f"refused by the egress guard: {dialled.hostname}", False)
            raise HopError(str(exc)) from exc
        try:
            async with self._client().request(method, url, data=body, headers=headers,
                                              ssl=self._ssl_for(url), proxy=proxy) as resp:
                data = await resp.read()
                result = HopResult(status=resp.status, headers=dict(resp.headers), body=data)
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError, ssl.SSLError) as exc:
            hop(f"no response: {type(exc).__name__}: {exc}", False)
            raise HopError(f"{method} {url}: {type(exc).__name__}: {exc}") from exc
        ok = judge(result) if judge is not None else 200 <= result.status < 300
        hop(f"{result.status} {summarize_body(data, 200)}".rstrip(), ok)
        return result

    async def websocket(self, url: str, *, target: str, headers: dict[str, str] | None = None
                        ) -> aiohttp.ClientWebSocketResponse:
        """Open a websocket; publish the upgrade as a hop."""
        parts = urlsplit(url)
        encrypted = parts.scheme in ("https", "wss")
        started, at = time.perf_counter(), self._clock()
        outcome, ok = "101 Switching Protocols", True
        try:
            require_loopback(parts.hostname or "", parts.port or 443)
            return await self._client().ws_connect(url, headers=headers, ssl=self._ssl_for(url.replace("wss:", "https:")))
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError, ssl.SSLError, EgressRefused) as exc:
            outcome, ok = f"no websocket: {type(exc).__name__}: {exc}", False
            raise HopError(f"websocket {url}: {exc}") from exc
        finally:
            self._publish(HopAttempted(
                at=at, started=started, duration_ms=(time.perf_counter() - started) * 1000, source=self.source, target=target,
                protocol=Protocol.WSS if encrypted else Protocol.WS, encrypted=encrypted,
                operation=f"GET {parts.path} (websocket)", wire=(), outcome=outcome, ok=ok))

    async def close(self) -> None:
        """Close pooled connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None
