"""The fake Mattermost server's HTTP/websocket adapter: parse, call ChatCore, render (API v4 subset).

The routes live in the ``*_api`` modules (one class per resource) and ``websocket``; this module is
the shell: TLS listener, request ids, Mattermost's JSON error body for every failure, lifecycle.
"""

from __future__ import annotations

import ssl
from typing import Awaitable, Callable

from aiohttp import web

from ..events import LogLine
from ..web import WebServer
from .channels_api import ChannelsApi
from .core import ChatCore
from .errors import AppError, ErrorCode
from .models import LogLevel
from .posts_api import PostsApi
from .pusher import PushGateway
from .rest import Ctx
from .system_api import SystemApi
from .users_api import UsersApi
from .websocket import WebsocketHub

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
REQUEST_ID = web.RequestKey("request_id", str)


def _error(err: AppError, request: web.Request) -> web.Response:
    return web.json_response(err.to_dict(request.get(REQUEST_ID, "")), status=err.status_code)


class ChatServer:
    """Mattermost API v4 subset over TLS, plus the websocket."""

    def __init__(self, core: ChatCore, *, gateway: PushGateway, clock: Callable[[], float],
                 publish: Callable[[object], None], ssl_context: ssl.SSLContext | None, name: str = "chat") -> None:
        self.core, self.gateway, self.name, self._publish = core, gateway, name, publish
        self.hub = WebsocketHub(core, publish=publish, clock=clock)
        self._request_seq = 0
        ctx = Ctx(core, gateway, self.hub, publish)
        app = web.Application(middlewares=[self._errors])
        for api in (UsersApi(ctx), ChannelsApi(ctx), PostsApi(ctx), SystemApi(ctx)):
            app.router.add_routes(api.routes())
        app.router.add_get("/api/v4/websocket", self.hub.handle)
        crash = AppError.of(ErrorCode.UNKNOWN)
        self.server = WebServer(app, name=name, publish=publish, clock=clock, ssl_context=ssl_context,
                                render_crash=lambda req, _e: _error(crash, req))

    @property
    def url(self) -> str:
        """The server's site URL."""
        return self.server.url

    def log_lines(self, level: LogLevel | str | None = None) -> list[LogLine]:
        """What the server's log file holds at ``level`` (default: the configured ``LogSettings.FileLevel``)."""
        return self.gateway.log.lines(level)

    async def __aenter__(self) -> ChatServer:
        await self.server.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.hub.close_all()
        await self.server.__aexit__(*exc)

    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self._request_seq += 1
        request[REQUEST_ID] = f"pushsim{self._request_seq:019d}"
        try:
            response = await handler(request)
        except AppError as err:
            response = _error(err, request)
        except web.HTTPNotFound:
            response = _error(AppError.of(ErrorCode.NOT_FOUND), request)
        except web.HTTPMethodNotAllowed:
            response = _error(AppError.of(ErrorCode.METHOD_NOT_ALLOWED), request)
        if isinstance(response, web.Response) and response.content_type == "application/json":
            # Go writes exactly "application/json"; some clients (mattermostdriver) compare it verbatim.
            response.headers["Content-Type"] = "application/json"
        return response
