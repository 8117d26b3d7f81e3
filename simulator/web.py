"""The aiohttp server shell shared by the chat server and the push proxy.

Every server binds 127.0.0.1:0, exposes ``url``, and records unexpected handler exceptions in
``errors`` (the harness re-raises them when the world closes, like pytest-httpserver's
``check_handler_errors``) while answering 500 in the component's own error format.
"""

from __future__ import annotations

import logging
import ssl
import traceback
from typing import Awaitable, Callable

from aiohttp import web

from .events import ComponentFailed, ComponentStarted

log = logging.getLogger(__name__)

Publish = Callable[[object], None]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ErrorRenderer = Callable[[web.Request, BaseException], web.Response]


class WebServer:
    """An aiohttp application served on a loopback port, as an async context manager."""

    def __init__(self, app: web.Application, *, name: str, publish: Publish, clock: Callable[[], float],
                 render_crash: ErrorRenderer, ssl_context: ssl.SSLContext | None = None,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.name, self._publish, self._clock = name, publish, clock
        self._render_crash = render_crash
        self._ssl, self._host, self._port = ssl_context, host, port
        self.errors: list[BaseException] = []
        # Outermost, so a component's own error middleware answers its wire errors first.
        app.middlewares.insert(0, self._crash_guard)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        self.url = ""

    @property
    def encrypted(self) -> bool:
        """True when the server speaks TLS."""
        return self._ssl is not None

    @web.middleware
    async def _crash_guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException:
            raise  # aiohttp's own 404/405 etc. are answers, not crashes
        except Exception as exc:  # a handler bug: answer 500 in-protocol, fail the world later
            self.errors.append(exc)
            self._publish(ComponentFailed(at=self._clock(), name=self.name,
                                          error="".join(traceback.format_exception_only(exc)).strip()))
            log.exception("%s crashed on %s %s", self.name, request.method, request.path)
            return self._render_crash(request, exc)

    async def __aenter__(self) -> WebServer:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port, ssl_context=self._ssl)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"{'https' if self._ssl else 'http'}://{host}:{port}"
        self._publish(ComponentStarted(at=self._clock(), name=self.name, url=self.url))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._runner.cleanup()
