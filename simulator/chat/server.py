"""The fake Mattermost server's HTTP/websocket adapter: parse, call ChatCore, render (API v4)."""

from __future__ import annotations

import json
import ssl
from typing import Any, Awaitable, Callable

from aiohttp import WSMsgType, web

from ..events import Correlation
from ..web import WebServer
from .core import ChatCore
from .errors import AppError
from .models import Post, Session
from .pusher import PushGateway

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
REQUEST_ID = web.RequestKey("request_id", str)


def _error(err: AppError, request: web.Request) -> web.Response:
    request_id = request.get(REQUEST_ID, "")
    return web.json_response(err.to_dict(request_id), status=err.status_code)


def _bad_body(name: str) -> AppError:
    return AppError(id="api.context.invalid_body_param.app_error", status_code=400,
                    message=f"Invalid or missing {name} in request body.")


async def _json(request: web.Request, name: str, kind: type = dict) -> Any:
    try:
        body = json.loads(await request.read())
    except ValueError:
        raise _bad_body(name) from None
    if not isinstance(body, kind):
        raise _bad_body(name)
    return body


def _field(body: dict[str, Any], key: str) -> str:
    value = body.get(key, "")
    if not isinstance(value, str):
        raise _bad_body(key)
    return value


class ChatServer:
    """Mattermost API v4 subset over TLS, plus the websocket."""

    def __init__(self, core: ChatCore, *, gateway: PushGateway, clock: Callable[[], float],
                 publish: Callable[[object], None], ssl_context: ssl.SSLContext | None, name: str = "chat") -> None:
        self.core, self.gateway, self.name, self._publish = core, gateway, name, publish
        self._sockets: dict[str, set[web.WebSocketResponse]] = {}
        self._request_seq = 0
        app = web.Application(middlewares=[self._errors])
        r = app.router
        r.add_post("/api/v4/users", self._create_user)
        r.add_post("/api/v4/users/login", self._login)
        r.add_get("/api/v4/users/me", self._me)
        r.add_get("/api/v4/users/username/{username}", self._user_by_name)
        r.add_put("/api/v4/users/sessions/device", self._attach_device)
        r.add_post("/api/v4/channels/direct", self._direct)
        r.add_post("/api/v4/posts", self._create_post)
        r.add_post("/api/v4/channels/members/me/view", self._view)
        r.add_post("/api/v4/notifications/ack", self._ack)
        r.add_get("/api/v4/config/client", self._client_config)
        r.add_get("/api/v4/system/ping", self._ping)
        r.add_get("/api/v4/websocket", self._websocket)
        crash = AppError(id="api.context.unknown.app_error", message="An unknown error has occurred.", status_code=500)
        self.server = WebServer(app, name=name, publish=publish, clock=clock, ssl_context=ssl_context,
                                render_crash=lambda req, _e: _error(crash, req))

    @property
    def url(self) -> str:
        """The server's site URL."""
        return self.server.url

    async def __aenter__(self) -> ChatServer:
        await self.server.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        for sockets in list(self._sockets.values()):
            for ws in list(sockets):
                await ws.close()
        await self.server.__aexit__(*exc)

    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self._request_seq += 1
        request[REQUEST_ID] = f"pushsim{self._request_seq:019d}"
        try:
            return await handler(request)
        except AppError as err:
            return _error(err, request)
        except web.HTTPNotFound:
            return _error(AppError(id="api.context.404.app_error", status_code=404,
                                   message="Sorry, we could not find the page."), request)
        except web.HTTPMethodNotAllowed:
            return _error(AppError(id="api.context.405.app_error", status_code=405,
                                   message="Method not allowed."), request)

    def _session(self, request: web.Request) -> Session:
        auth = request.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() not in ("bearer", "token") or not token:
            token = request.cookies.get("MMAUTHTOKEN", "")
        return self.core.authenticate(token.strip())

    async def _create_user(self, request: web.Request) -> web.Response:
        body = await _json(request, "user")
        user = self.core.create_user(username=_field(body, "username"), password=_field(body, "password"),
                                     email=_field(body, "email") or None)
        return web.json_response(user.to_api(), status=201)

    async def _login(self, request: web.Request) -> web.Response:
        body = await _json(request, "login_id")
        user, session = self.core.login(login_id=_field(body, "login_id"), password=_field(body, "password"),
                                        device_id=_field(body, "device_id"))
        return web.json_response(user.to_api(), headers={"Token": session.token})

    async def _me(self, request: web.Request) -> web.Response:
        return web.json_response(self.core.user(self._session(request).user_id).to_api())

    async def _user_by_name(self, request: web.Request) -> web.Response:
        self._session(request)
        return web.json_response(self.core.user_by_username(request.match_info["username"]).to_api())

    async def _attach_device(self, request: web.Request) -> web.Response:
        session = self._session(request)
        body = await _json(request, "device_id")
        self.core.attach_device(session, _field(body, "device_id"))
        return web.json_response({"status": "OK"})

    async def _direct(self, request: web.Request) -> web.Response:
        session = self._session(request)
        ids = await _json(request, "user_ids", list)
        if len(ids) != 2 or not all(isinstance(i, str) for i in ids) or session.user_id not in ids:
            raise _bad_body("user_ids")
        channel = self.core.create_direct_channel(ids[0], ids[1])
        return web.json_response(channel.to_api(), status=201)

    async def _create_post(self, request: web.Request) -> web.Response:
        session = self._session(request)
        body = await _json(request, "post")
        post, decisions, pushes = self.core.create_post(session, channel_id=_field(body, "channel_id"),
                                                        message=_field(body, "message"),
                                                        root_id=_field(body, "root_id"))
        for decision in decisions:
            self._publish(decision)
        self.gateway.enqueue(pushes)
        await self._broadcast_posted(post)
        return web.json_response(post.to_api(), status=201)

    async def _view(self, request: web.Request) -> web.Response:
        session = self._session(request)
        body = await _json(request, "view")
        self.core.set_active_channel(session.user_id, _field(body, "channel_id"))
        return web.json_response({"status": "OK"})

    async def _ack(self, request: web.Request) -> web.Response:
        session = self._session(request)
        raw = await request.read()
        try:
            ack = json.loads(raw)
        except ValueError:
            ack = None
        if not isinstance(ack, dict):
            raise AppError(id="api.push_notifications_ack.message.parse.app_error", status_code=400,
                           message="An error occurred building the push notification ack message.")
        self.core.ack_received(session, ack)
        ids = Correlation(post_id=str(ack.get("post_id", "")), ack_id=str(ack.get("id", "")))
        if not await self.gateway.forward_ack(raw, ids):
            raise AppError(id="api.push_notifications_ack.forward.app_error", status_code=500,
                           message="An error occurred sending the receipt delivery to the push notification service.")
        return web.json_response({"status": "OK"})

    async def _client_config(self, _: web.Request) -> web.Response:
        return web.json_response(self.core.client_config())

    async def _ping(self, _: web.Request) -> web.Response:
        return web.json_response({"status": "OK", "ActiveSearchBackend": "database"})

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        session = self._session(request)
        ws = web.WebSocketResponse(heartbeat=None)
        await ws.prepare(request)
        self._sockets.setdefault(session.user_id, set()).add(ws)
        self.core.websocket_connected(session.user_id)
        try:
            await ws.send_json({"event": "hello", "data": {"server_version": self.core.config.version},
                                "broadcast": {"user_id": session.user_id}, "seq": 0})
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    self.core.record_activity(session.user_id)
        finally:
            self._sockets[session.user_id].discard(ws)
            self.core.websocket_disconnected(session.user_id)
        return ws

    async def _broadcast_posted(self, post: Post) -> None:
        event = {"event": "posted", "data": {"post": json.dumps(post.to_api())},
                 "broadcast": {"channel_id": post.channel_id}, "seq": 1}
        for user_id in self.core.channel_member_ids(post.channel_id):
            for ws in list(self._sockets.get(user_id, ())):
                if not ws.closed:
                    await ws.send_json(event)

