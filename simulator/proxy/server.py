"""The push proxy's HTTP adapter: parse, call the core, render (mattermost-push-proxy §2)."""

from __future__ import annotations

import json
import logging
import ssl
from typing import Callable

from aiohttp import web

from ..events import LogLine
from ..web import WebServer
from .config import ProxyConfig
from .core import plan_ack, plan_send
from .models import PushResponse, PushStatus
from .sender import ApnsSender

log = logging.getLogger(__name__)

def _render(resp: PushResponse) -> web.Response:
    # The real proxy writes its JSON with Go's encoder (trailing newline) and no Content-Type,
    # so Go sniffs it as text/plain.
    return web.Response(body=resp.to_json() + b"\n", content_type="text/plain", charset="utf-8")


class PushProxy:
    """A mattermost-push-proxy-compatible server in one of the HPNS / TPNS / EAS roles."""

    def __init__(self, config: ProxyConfig, *, apns_urls: dict[bool, str], apns_ssl: ssl.SSLContext,
                 clock: Callable[[], float], publish: Callable[[object], None],
                 ssl_context: ssl.SSLContext | None = None, name: str = "proxy") -> None:
        self.config, self.name = config, name
        self._clock, self._publish = clock, publish
        # apns_urls maps ApplePushUseDevelopment -> that environment's APNs URL.
        self.senders = {
            s.type: ApnsSender(s, url=apns_urls[s.apple_push_use_development], ssl_context=apns_ssl,
                               config=config, clock=clock, publish=publish, source=name)
            for s in config.apple_push_settings}
        app = web.Application()
        app.router.add_get("/", self._index)
        app.router.add_get("/version", self._version)
        app.router.add_post("/api/v1/send_push", self._send_push)
        app.router.add_post("/api/v1/ack", self._ack)
        self.server = WebServer(app, name=name, publish=publish, clock=clock, ssl_context=ssl_context,
                                render_crash=lambda _r, _e: web.Response(status=500, text="Internal Server Error"))

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
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.server.__aexit__(*exc)
        for sender in self.senders.values():
            await sender.close()

    async def _index(self, _: web.Request) -> web.Response:
        return web.Response(text="<html><body>Mattermost Push Proxy</body></html>", content_type="text/html")

    async def _version(self, _: web.Request) -> web.Response:
        return web.json_response({"hash": self.config.hash, "version": self.config.version})

    async def _send_push(self, request: web.Request) -> web.Response:
        plan = plan_send(await request.read(), known_types=self.senders.keys())
        if isinstance(plan, PushResponse):
            self._log("ERROR", plan.error)
            return _render(plan)
        if plan.warning:
            self._log("WARN", plan.warning)
        n = plan.notification
        self._log("INFO", "Sending apple push notification",
                  ("device", plan.target.platform_key), ("type", n.type), ("ack_id", n.ack_id))
        result = await self.senders[plan.target.platform_key].send(n, plan.target)
        if result.status is PushStatus.FAIL:
            self._log("ERROR", "Failed to send apple push", ("did", n.device_id[:16] + "…"),
                      ("err", result.error), ("type", n.type))
        return _render(result)

    async def _ack(self, request: web.Request) -> web.Response:
        ack = plan_ack(await request.read())
        if isinstance(ack, PushResponse):
            return _render(ack)
        self._log("INFO", "Acknowledged delivery receipt", ("ack_id", ack.id))
        return _render(PushResponse(status=PushStatus.OK))

    def _log(self, level: str, message: str, *fields: tuple[str, str]) -> None:
        self._publish(LogLine(at=self._clock(), component=self.name, level=level, message=message,
                              fields=tuple(fields)))
        # The bus is the proxy's log; Python logging gets it at DEBUG for library users who want it.
        log.debug("%s %s %s", level, message, json.dumps(dict(fields)) if fields else "")
