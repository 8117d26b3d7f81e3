"""``/api/v4/system/ping``, ``/api/v4/config…``, ``/api/v4/notifications/{ack,test}``, and pushsim's own
admin backdoor under ``/pushsim/v1/`` (System Console choices, licence, log view; admins only).

The backdoor routes are not Mattermost's: they stand for clicks in the System Console and for the
licence file, so a scenario or a person can steer a running server over HTTP.
"""

from __future__ import annotations

import json

from aiohttp import web

from ..events import Correlation
from . import access, settings
from .errors import AppError, ErrorCode
from .models import LogLevel
from .rest import Ctx, bad_body, read_json, status_ok, text


class SystemApi:
    """Handlers for ping, config, notifications and the admin backdoor."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx, self.core = ctx, ctx.core

    def routes(self) -> list[web.RouteDef]:
        """The routes, in matching order."""
        return [
            web.get("/api/v4/system/ping", self.ping), web.get("/api/v4/config/client", self.client_config),
            web.get("/api/v4/config", self.config), web.put("/api/v4/config/patch", self.patch_config),
            web.post("/api/v4/notifications/ack", self.ack), web.post("/api/v4/notifications/test", self.test),
            web.get("/pushsim/v1/console", self.console), web.put("/pushsim/v1/push_server", self.push_server),
            web.put("/pushsim/v1/license", self.license), web.get("/pushsim/v1/logs", self.logs),
        ]

    async def ping(self, request: web.Request) -> web.Response:
        body = {"status": "OK", "ActiveSearchBackend": "database"}
        device_id = request.query.get("device_id", "")
        if device_id:  # §7.7: the test push, synchronously, through the configured proxy
            body["CanReceiveNotifications"] = await self.ctx.gateway.send_test(self.core.test_push(device_id))
        return web.json_response(body)

    async def client_config(self, request: web.Request) -> web.Response:
        fmt = request.query.get("format", "")
        if not fmt:
            raise AppError.of(ErrorCode.CLIENT_CONFIG_FORMAT)
        if fmt != "old":
            raise AppError.of(ErrorCode.INVALID_URL_PARAM, name="format")
        return web.json_response(self.core.client_config())

    async def config(self, request: web.Request) -> web.Response:
        access.require_admin(self.ctx.actor(request)[1])
        return web.json_response(settings.to_config_json(self.core.config))

    async def patch_config(self, request: web.Request) -> web.Response:
        access.require_admin(self.ctx.actor(request)[1])
        self.core.patch_config(await read_json(request, "config"))
        return web.json_response(settings.to_config_json(self.core.config))

    async def ack(self, request: web.Request) -> web.Response:
        session = self.ctx.session(request)
        raw = await request.read()
        try:
            ack = json.loads(raw)
        except ValueError:
            ack = None
        if not isinstance(ack, dict):
            raise AppError.of(ErrorCode.ACK_PARSE)
        live = self.core.record_ack(session, ack)
        self.ctx.gateway.log.write(LogLevel.TRACE, "Notification successfully received", notifications=True,
                                   ack_id=ack["id"], type=ack["type"], platform=ack["platform"],
                                   status="Received by device")
        forwarded = await self.ctx.gateway.forward_ack(raw, Correlation(post_id=str(ack.get("post_id", "")),
                                                                        ack_id=str(ack.get("id", ""))))
        if ack.get("is_id_loaded") is True:  # forward errors are only logged; content only for a message post
            post_id = ack.get("post_id")
            if isinstance(post_id, str) and post_id and ack["type"] == "message":
                return web.json_response(self.core.id_loaded_content(live.user_id, post_id))
            return web.Response(status=200)
        if not forwarded:
            raise AppError.of(ErrorCode.ACK_FORWARD)
        return status_ok()

    async def test(self, request: web.Request) -> web.Response:
        post, decisions, pushes = self.core.send_test_notification(self.ctx.session(request))
        await self.ctx.deliver(post, decisions, pushes)
        return status_ok()

    # ------------------------------------------------------------------ pushsim backdoor
    async def console(self, request: web.Request) -> web.Response:
        access.require_admin(self.ctx.actor(request)[1])
        return web.json_response(settings.console_view(self.core.config))

    async def push_server(self, request: web.Request) -> web.Response:
        access.require_admin(self.ctx.actor(request)[1])
        body = await read_json(request, "push_server")
        try:
            option = settings.PushServerOption(text(body, "option", required=True))
        except ValueError:
            raise bad_body("option", f"one of {', '.join(o.value for o in settings.PushServerOption)}") from None
        self.core.choose_push_server(option, text(body, "url"))
        return web.json_response(settings.console_view(self.core.config))

    async def license(self, request: web.Request) -> web.Response:
        access.require_admin(self.ctx.actor(request)[1])
        licensed = (await read_json(request, "license")).get("licensed")
        if not isinstance(licensed, bool):
            raise bad_body("licensed")
        self.core.configure(licensed=licensed)
        return status_ok()

    async def logs(self, request: web.Request) -> web.Response:
        access.require_admin(self.ctx.actor(request)[1])
        level = request.query.get("level") or None
        try:
            log = self.ctx.gateway.log
            lines = log.json_lines(level) if request.query.get("format") == "json" else log.console_lines(level)
        except ValueError:
            raise AppError.of(ErrorCode.INVALID_URL_PARAM, name="level") from None
        return web.json_response(lines)
