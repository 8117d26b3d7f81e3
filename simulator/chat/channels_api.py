"""``/api/v4/teams…`` and ``/api/v4/channels…``: teams, channels, DMs/GMs, members, notify props, view."""

from __future__ import annotations

from aiohttp import web

from . import access
from .errors import AppError, ErrorCode
from .ids import is_valid_id
from .models import ChannelType
from .rest import Ctx, bad_body, ids_of, read_json, text, url_id


def _team_member(team_id: str, user_id: str) -> dict[str, object]:
    return {"team_id": team_id, "user_id": user_id, "roles": "team_user", "delete_at": 0,
            "scheme_user": True, "scheme_admin": False, "explicit_roles": ""}


class ChannelsApi:
    """Handlers for teams, channels and channel members."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx, self.core = ctx, ctx.core

    def routes(self) -> list[web.RouteDef]:
        """Fixed paths first: aiohttp matches in registration order."""
        t, c = "/api/v4/teams", "/api/v4/channels"
        return [
            web.post(t, self.create_team), web.get(f"{t}/name/{{name}}", self.team_by_name),
            web.get(f"{t}/{{team_id}}", self.team), web.post(f"{t}/{{team_id}}/members", self.join_team),
            web.get(f"{t}/{{team_id}}/channels/name/{{channel_name}}", self.channel_by_name),
            web.post(c, self.create_channel), web.post(f"{c}/direct", self.direct), web.post(f"{c}/group", self.group),
            web.post(f"{c}/members/{{user_id}}/view", self.view),
            web.get(f"{c}/{{channel_id}}", self.channel),
            web.post(f"{c}/{{channel_id}}/members", self.add_member), web.get(f"{c}/{{channel_id}}/members", self.members),
            web.get(f"{c}/{{channel_id}}/members/{{user_id}}", self.member),
            web.put(f"{c}/{{channel_id}}/members/{{user_id}}/notify_props", self.member_notify_props),
        ]

    # ------------------------------------------------------------------ teams
    async def create_team(self, request: web.Request) -> web.Response:
        _, actor = self.ctx.actor(request)
        body = await read_json(request, "team")
        if text(body, "type") not in ("", "O", "I"):
            raise bad_body("type")
        team = self.core.create_team(name=text(body, "name", required=True),
                                     display_name=text(body, "display_name", required=True))
        self.core.add_team_member(team.id, actor.id)
        return web.json_response(team.to_api(), status=201)

    async def team(self, request: web.Request) -> web.Response:
        _, actor = self.ctx.actor(request)
        team_id = url_id(request, "team_id")
        access.require_team(self.core.directory, actor, team_id)
        return web.json_response(self.core.directory.team(team_id).to_api())

    async def team_by_name(self, request: web.Request) -> web.Response:
        _, actor = self.ctx.actor(request)
        team = self.core.team_by_name(request.match_info["name"])
        access.require_team(self.core.directory, actor, team.id)
        return web.json_response(team.to_api())

    async def join_team(self, request: web.Request) -> web.Response:
        _, actor = self.ctx.actor(request)
        team_id = url_id(request, "team_id")
        body = await read_json(request, "team_member")
        user_id = text(body, "user_id", required=True)
        if text(body, "team_id") != team_id:
            raise bad_body("team_id")
        self.core.directory.team(team_id)
        if user_id != actor.id:  # adding someone else takes a member of the team
            access.require_team(self.core.directory, actor, team_id)
        self.core.add_team_member(team_id, self.core.user(user_id).id)
        return web.json_response(_team_member(team_id, user_id), status=201)

    async def channel_by_name(self, request: web.Request) -> web.Response:
        _, actor = self.ctx.actor(request)
        team_id = url_id(request, "team_id")
        access.require_team(self.core.directory, actor, team_id)
        channel = self.core.channel_by_name(team_id, request.match_info["channel_name"])
        if not access.can_read(self.core.directory, actor, channel):
            raise access.refuse("read_channel")
        return web.json_response(channel.to_api())

    # ------------------------------------------------------------------ channels
    async def create_channel(self, request: web.Request) -> web.Response:
        _, actor = self.ctx.actor(request)
        body = await read_json(request, "channel")
        team_id = text(body, "team_id", required=True)
        kind = text(body, "type", required=True)
        if kind not in (ChannelType.OPEN, ChannelType.PRIVATE):
            raise AppError.of(ErrorCode.CHANNEL_TYPE_INVALID, detailed_error=f"type={kind}")
        access.require_team(self.core.directory, actor, team_id)
        channel = self.core.create_channel(team_id, name=text(body, "name", required=True),
                                           display_name=text(body, "display_name", required=True),
                                           channel_type=ChannelType(kind), creator_id=actor.id)
        return web.json_response(channel.to_api(), status=201)

    async def channel(self, request: web.Request) -> web.Response:
        _, actor = self.ctx.actor(request)
        channel = access.require_read(self.core.directory, actor, url_id(request, "channel_id"))
        return web.json_response(channel.to_api())

    async def direct(self, request: web.Request) -> web.Response:
        _, actor = self.ctx.actor(request)
        ids = ids_of(await read_json(request, "user_ids", list), "user_ids")
        if len(ids) != 2:
            raise bad_body("user_ids")
        if actor.id not in ids and not actor.is_admin:
            raise access.refuse("manage_system")
        channel = self.core.create_direct_channel(ids[0], ids[1])
        return web.json_response(channel.to_api(), status=201)

    async def group(self, request: web.Request) -> web.Response:
        _, actor = self.ctx.actor(request)
        ids = ids_of(await read_json(request, "user_ids", list), "user_ids")
        channel = self.core.create_group_channel([*ids, actor.id] if actor.id not in ids else ids)
        return web.json_response(channel.to_api(), status=201)

    async def add_member(self, request: web.Request) -> web.Response:
        _, actor = self.ctx.actor(request)
        channel = self.core.channel(url_id(request, "channel_id"))
        user_id = text(await read_json(request, "user_id"), "user_id", required=True)
        user = self.core.user(user_id)
        access.require_add_member(self.core.directory, actor, channel, user.id)
        self.core.add_channel_member(channel.id, user.id)
        return web.json_response(self.core.member_to_api(channel.id, user.id), status=201)

    async def members(self, request: web.Request) -> web.Response:
        _, actor = self.ctx.actor(request)
        channel = access.require_read(self.core.directory, actor, url_id(request, "channel_id"))
        return web.json_response([self.core.member_to_api(channel.id, uid)
                                  for uid in self.core.channel_member_ids(channel.id)])

    async def member(self, request: web.Request) -> web.Response:
        session, actor = self.ctx.actor(request)
        channel = access.require_read(self.core.directory, actor, url_id(request, "channel_id"))
        return web.json_response(self.core.member_to_api(channel.id, url_id(request, "user_id", session)))

    async def member_notify_props(self, request: web.Request) -> web.Response:
        session, actor = self.ctx.actor(request)
        channel_id, user_id = url_id(request, "channel_id"), url_id(request, "user_id", session)
        props = await read_json(request, "notify_props")
        access.require_user(actor, user_id)
        self.core.patch_channel_notify_props(channel_id, user_id, props)
        return web.json_response({"status": "OK"})

    async def view(self, request: web.Request) -> web.Response:
        session = self.ctx.session(request)
        user_id = url_id(request, "user_id", session)
        if user_id != session.user_id:  # the view belongs to the caller's session (its clears skip it)
            raise access.refuse("edit_other_users")
        body = await read_json(request, "channel_view")
        channel_id, prev_id = text(body, "channel_id"), text(body, "prev_channel_id")
        for name, value in (("channel_view.channel_id", channel_id), ("channel_view.prev_channel_id", prev_id)):
            if value and not is_valid_id(value):
                raise bad_body(name)
        before = self.core.status_of(user_id)
        times, pushes = self.core.view_channel(session, channel_id, prev_id)
        await self.ctx.hub.status_after(user_id, before.status, before.manual)
        await self.ctx.gateway.enqueue(pushes)
        return web.json_response({"status": "OK", "last_viewed_at_times": times})
