"""The push proxy's HTTP adapter: throttle, parse, call the core, send, render (§2).

Rule 1: answers are the real proxy's: JSON push responses with HTTP 200 and Go's sniffed
``text/plain`` type, ``429 limit exceeded`` from the throttle, 404/405 from the router.
Rule 2: bad input never crashes and never half-sends: a body is read and validated completely
before any sender runs, and a client that hangs up does not cancel a send in flight.
"""

from __future__ import annotations

import ssl
import time
from typing import Callable, Final, TextIO

from aiohttp import web

from ..signing import ProviderKey
from ..web import WebServer
from .config import ProxyConfig
from .core import plan_ack, plan_send
from .errors import ProxyConfigError
from .logs import LogWriter, ProxyLog
from .metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from .metrics import ProxyMetrics
from .models import PushResponse, PushStatus
from .sender import ApnsSender
from .targets import Sender, build_senders
from .throttle import DENIED_BODY, Throttle
from .timer import LoopTimer, Timer

# Go reads any size; we stop at a bound far above any real push and answer in the proxy's words.
MAX_BODY_BYTES: Final = 4 * 1024 * 1024
BODY_TOO_LARGE: Final = "http: request body too large"


def _render(resp: PushResponse) -> web.Response:
    # The real proxy writes its JSON with Go's encoder (trailing newline) and no Content-Type,
    # so Go sniffs it as text/plain.
    return web.Response(body=resp.to_json() + b"\n", content_type="text/plain", charset="utf-8")


def _client_ip(request: web.Request) -> str:
    return request.headers.get("X-Forwarded-For") or request.headers.get("X-Real-IP") or request.remote or ""


def _bind(config: ProxyConfig) -> tuple[str, int]:
    """ListenAddress as host and port; an empty host binds loopback (the simulator never listens wider)."""
    host, _, port = config.listen_address.rpartition(":")
    try:
        return host.strip("[]") or "127.0.0.1", int(port) if port else 80
    except ValueError:
        raise ProxyConfigError(f"ListenAddress {config.listen_address!r} is not host:port") from None


class PushProxy:
    """A mattermost-push-proxy-compatible server in one of the HPNS / TPNS / EAS roles."""

    def __init__(self, config: ProxyConfig, *, apns_urls: dict[bool, str], apns_ssl: ssl.SSLContext,
                 clock: Callable[[], float], publish: Callable[[object], None],
                 ssl_context: ssl.SSLContext | None = None, name: str = "proxy", timer: Timer | None = None,
                 fcm_ssl: ssl.SSLContext | None = None, console: TextIO | None = None,
                 listen: bool = False) -> None:
        self.config, self.name = config, name
        self._clock, self._publish = clock, publish
        host, port = _bind(config) if listen else ("127.0.0.1", 0)  # before anything is opened
        self.metrics = ProxyMetrics()
        self._writer = self._log_writer(config, console)
        self.log = ProxyLog(component=name, clock=clock, publish=publish,
                            sinks=[self._writer] if self._writer is not None else None)
        self.log.info("Push proxy server is initializing...", version=config.version)
        if config.source:
            self.log.info(f"Loading {config.source}")
        # apns_urls maps ApplePushUseDevelopment -> that environment's APNs URL.
        self.senders: dict[str, Sender] = build_senders(
            config, apns_urls=apns_urls, apns_ssl=apns_ssl, fcm_ssl=fcm_ssl, clock=clock, publish=publish,
            timer=timer or LoopTimer(), metrics=self.metrics, log=self.log, source=name)
        self.throttle = Throttle(per_sec=config.throttle_per_sec, vary_by=config.throttle_headers,
                                 store_size=config.throttle_memory_store_size, clock=clock)
        app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[self._throttled])
        app.router.add_get("/", self._index)
        app.router.add_get("/version", self._version)
        if config.enable_metrics:
            app.router.add_get("/metrics", self._metrics)
        app.router.add_post("/api/v1/send_push", self._send_push)
        app.router.add_post("/api/v1/ack", self._ack)
        self.server = WebServer(app, name=name, publish=publish, clock=clock, ssl_context=ssl_context,
                                host=host, port=port,
                                render_crash=lambda _r, _e: web.Response(status=500, text="Internal Server Error"))

    @staticmethod
    def _log_writer(config: ProxyConfig, console: TextIO | None) -> LogWriter | None:
        if console is None and not config.enable_file_log:
            return None
        try:
            return LogWriter(config, console=console)
        except OSError as exc:
            raise ProxyConfigError(f"LogFileLocation {config.effective_log_file!r} cannot be opened: "
                                   f"{exc.strerror or exc}") from None

    @property
    def url(self) -> str:
        """The proxy's base URL (the server's PushNotificationServer)."""
        return self.server.url

    @property
    def errors(self) -> list[BaseException]:
        """Unexpected exceptions raised while serving."""
        return self.server.errors

    async def __aenter__(self) -> PushProxy:
        await self.server.__aenter__()
        self.log.info(f"Server is listening on {self.url.split('://', 1)[1]}")
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.log.info("Stopping Server...")
        try:
            await self.server.__aexit__(*exc)
        finally:
            for sender in self.senders.values():
                await sender.close()
            if self._writer is not None:
                self._writer.close()

    def use_provider_key(self, key: ProviderKey) -> None:
        """Every Apple target signs with ``key`` from now on (key rotation, or a wrong-key demo)."""
        for sender in self.senders.values():
            if isinstance(sender, ApnsSender):
                sender.use_provider_key(key)

    @web.middleware
    async def _throttled(self, request: web.Request, handler: Callable[[web.Request], object]) -> web.StreamResponse:
        decision = self.throttle.check(self.throttle.key(request.headers))
        if not decision.allowed:
            self.log.error("Error: code=429", path=request.path, ip=_client_ip(request))
            denied = web.Response(status=429, text=DENIED_BODY, content_type="text/plain", charset="utf-8",
                                  headers={"X-Content-Type-Options": "nosniff", **decision.headers()})
            return denied
        try:
            response = await handler(request)  # type: ignore[misc]
        except web.HTTPException as exc:  # the router's 404 / 405 carry the headers too
            exc.headers.update(decision.headers())
            raise
        response.headers.update(decision.headers())
        return response  # type: ignore[no-any-return]

    async def _index(self, _: web.Request) -> web.Response:
        return web.Response(text="<html><body>Mattermost Push Proxy</body></html>", content_type="text/html")

    async def _version(self, _: web.Request) -> web.Response:
        return web.json_response({"hash": self.config.hash, "version": self.config.version})

    async def _metrics(self, _: web.Request) -> web.Response:
        return web.Response(body=self.metrics.render().encode(), headers={"Content-Type": METRICS_CONTENT_TYPE})

    async def _read(self, request: web.Request) -> bytes | None:
        try:
            return await request.read()
        except web.HTTPRequestEntityTooLarge:
            return None

    async def _send_push(self, request: web.Request) -> web.Response:
        started = time.perf_counter()
        try:
            try:  # as _read does, inline: this is the hot path
                body: bytes | None = await request.read()
            except web.HTTPRequestEntityTooLarge:
                body = None
            plan = plan_send(body, known_types=self.senders) if body is not None else \
                PushResponse(status=PushStatus.FAIL, error=f"Failed to read message body: {BODY_TOO_LARGE}")
            if isinstance(plan, PushResponse):
                self.log.error(plan.error)
                self.metrics.bad_request.inc()
                return _render(plan)
            if plan.warning:
                self.log.warn(plan.warning)
            self.metrics.app_version(plan.target.platform_key, plan.target.app_version)
            return _render(await self.senders[plan.target.platform_key].send(plan.notification, plan.target))
        finally:
            self.metrics.request_duration.observe(time.perf_counter() - started)

    async def _ack(self, request: web.Request) -> web.Response:
        started = time.perf_counter()
        try:
            body = await self._read(request)
            ack = plan_ack(body) if body is not None else \
                PushResponse(status=PushStatus.FAIL, error=f"Failed to read ack body: {BODY_TOO_LARGE}")
            if isinstance(ack, PushResponse):
                self.log.error(ack.error)
                self.metrics.bad_request.inc()
                return _render(ack)
            self.log.info("Acknowledged delivery receipt", ack_id=ack.id)
            self.metrics.delivered.inc(ack.platform, ack.type, "")
            return _render(PushResponse(status=PushStatus.OK))
        finally:
            self.metrics.request_duration.observe(time.perf_counter() - started)
