"""``/api/v4/users…``: accounts, login and sessions, patching notify props, status, preferences, unread."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import access
from .errors import AppError
from .models import Session, Status
from .rest import Ctx, bad_body, read_json, status_ok, text, url_id

# updateUserStatus: what a client may choose; "ooo" comes only from the auto-responder (notify prop).
_SESSION_EXTRAS = ("device_notification_disabled", "mobile_version")  # kept as session props (§7.11)
_CHOOSABLE = {"online": Status.ONLINE, "away": Status.AWAY, "offline": Status.OFFLINE, "dnd": Status.DND}


def _session_json(session: Session) -> dict[str, Any]:
    """A sanitised ``model.Session`` (the token never leaves the server)."""
    return {"id": session.id, "create_at": session.create_at, "expires_at": session.expires_at,
            "last_activity_at": session.create_at, "user_id": session.user_id, "device_id": session.device_id,
            "roles": "system_user", "is_oauth": False, "props": dict(session.props)}


class UsersApi:
    """Handlers for the users resource."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx, self.core = ctx, ctx.core

    def routes(self) -> list[web.RouteDef]:
        """Fixed paths first: aiohttp matches in registration order."""
        u = "/api/v4/users"
        return [
            web.post(u, self.create), web.post(f"{u}/login", self.login), web.post(f"{u}/logout", self.logout),
            web.put(f"{u}/sessions/device", self.attach_device),
            web.get(f"{u}/username/{{username}}", self.by_username),
            web.get(f"{u}/{{user_id}}", self.get), web.put(f"{u}/{{user_id}}/patch", self.patch),
            web.get(f"{u}/{{user_id}}/sessions", self.sessions), web.get(f"{u}/{{user_id}}/teams", self.teams),
            web.get(f"{u}/{{user_id}}/status", self.get_status), web.put(f"{u}/{{user_id}}/status", self.set_status),
            web.put(f"{u}/{{user_id}}/preferences", self.preferences),
            web.post(f"{u}/{{user_id}}/posts/{{post_id}}/set_unread", self.set_unread),
        ]

    async def create(self, request: web.Request) -> web.Response:
        body = await read_json(request, "user")
        user = self.core.create_user(username=text(body, "username", required=True),
                                     password=text(body, "password", required=True), email=text(body, "email") or None,
                                     first_name=text(body, "first_name"), last_name=text(body, "last_name"))
        return web.json_response(user.to_api(), status=201)

    async def login(self, request: web.Request) -> web.Response:
        body = await read_json(request, "login_id")
        user, session = self.core.login(login_id=text(body, "login_id"), password=text(body, "password"),
                                        device_id=text(body, "device_id"))
        response = web.json_response(user.to_api(), headers={"Token": session.token})
        response.set_cookie("MMAUTHTOKEN", session.token, httponly=True, secure=True)
        return response

    async def logout(self, request: web.Request) -> web.Response:
        self.core.logout(self.ctx.session(request))
        return status_ok()

    async def attach_device(self, request: web.Request) -> web.Response:
        session = self.ctx.session(request)
        body = await read_json(request, "device_id")
        extras = {key: text(body, key) for key in _SESSION_EXTRAS if key in body}
        self.core.attach_device(session, text(body, "device_id"), extras)
        return status_ok()

    async def by_username(self, request: web.Request) -> web.Response:
        self.ctx.session(request)
        return web.json_response(self.core.user_by_username(request.match_info["username"]).to_api())

    async def get(self, request: web.Request) -> web.Response:
        session = self.ctx.session(request)
        return web.json_response(self.core.user(url_id(request, "user_id", session)).to_api())

    async def patch(self, request: web.Request) -> web.Response:
        session, actor = self.ctx.actor(request)
        user_id = url_id(request, "user_id", session)
        access.require_user(actor, user_id)
        body = await read_json(request, "user")
        for key in ("first_name", "last_name", "nickname"):
            text(body, key)
        props = body.get("notify_props")
        if props is not None and (not isinstance(props, dict) or not all(isinstance(v, str) for v in props.values())):
            raise bad_body("notify_props")
        before = self.core.status_of(user_id)
        user = self.core.patch_user(user_id, body)
        await self.ctx.hub.status_after(user_id, before.status, before.manual)  # auto-responder: ooo
        return web.json_response(user.to_api())

    async def sessions(self, request: web.Request) -> web.Response:
        session, actor = self.ctx.actor(request)
        user_id = url_id(request, "user_id", session)
        access.require_user(actor, user_id)
        return web.json_response([_session_json(s) for s in self.core.sessions_of(user_id)])

    async def teams(self, request: web.Request) -> web.Response:
        session, actor = self.ctx.actor(request)
        user_id = url_id(request, "user_id", session)
        access.require_user(actor, user_id)
        return web.json_response([t.to_api() for t in self.core.directory.teams_of(user_id)])

    async def get_status(self, request: web.Request) -> web.Response:
        session = self.ctx.session(request)
        user = self.core.user(url_id(request, "user_id", session))
        return web.json_response(self.core.status_of(user.id).to_api(user.id))

    async def set_status(self, request: web.Request) -> web.Response:
        session, actor = self.ctx.actor(request)
        user_id = url_id(request, "user_id", session)
        body = await read_json(request, "status")
        if text(body, "user_id") != user_id:
            raise bad_body("user_id")
        access.require_user(actor, user_id)
        chosen = _CHOOSABLE.get(text(body, "status"))
        if chosen is None:
            raise bad_body("status", f"status={body.get('status')!r}")
        before = self.core.status_of(user_id)
        if chosen is Status.AWAY:
            self.core.presence.away_if_idle(user_id, timeout_s=self.core.config.user_status_away_timeout, manual=True)
        else:
            self.core.set_status(user_id, chosen, manual=True)
        await self.ctx.hub.status_after(user_id, before.status, before.manual)
        return web.json_response(self.core.status_of(user_id).to_api(user_id))

    async def preferences(self, request: web.Request) -> web.Response:
        session, actor = self.ctx.actor(request)
        user_id = url_id(request, "user_id", session)
        access.require_user(actor, user_id)
        prefs = await read_json(request, "preferences", list)
        if not all(isinstance(p, dict) for p in prefs):
            raise bad_body("preferences")
        for pref in prefs:
            if text(pref, "user_id") != user_id:
                raise AppError(id="api.preference.update_preferences.set.app_error", status_code=403,
                               message="Unable to set user preferences.")
            if (text(pref, "category"), text(pref, "name")) == ("display_settings", "collapsed_reply_threads"):
                self.core.set_collapsed_threads(user_id, text(pref, "value") == "on")
        return status_ok()

    async def set_unread(self, request: web.Request) -> web.Response:
        session, actor = self.ctx.actor(request)
        user_id = url_id(request, "user_id", session)
        access.require_user(actor, user_id)
        unread, pushes = self.core.mark_unread(user_id, url_id(request, "post_id"))
        await self.ctx.gateway.enqueue(pushes)
        return web.json_response(unread)
