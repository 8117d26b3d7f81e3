"""``/api/v4/posts…``: create (mentions, replies, the whole push pipeline), read a post, a thread, a channel."""

from __future__ import annotations

from typing import Any, Iterable

from aiohttp import web

from . import access
from .errors import AppError, ErrorCode
from .models import Post, Status
from .rest import Ctx, bad_body, read_json, text, url_id

# Props a client may not set: the server adds them itself (webhooks, test notifications, overrides).
_SERVER_PROPS = frozenset({"from_webhook", "force_notification", "override_username", "override_icon_url"})


def post_list(posts: Iterable[Post]) -> dict[str, Any]:
    """A ``PostList``: ``order`` newest first, ``posts`` by id."""
    ordered = list(posts)
    return {"order": [p.id for p in reversed(ordered)], "posts": {p.id: p.to_api() for p in ordered},
            "next_post_id": "", "prev_post_id": ""}


def _number(request: web.Request, key: str, default: int) -> int:
    """A non-negative integer query parameter, or 400 ``invalid_url_param``."""
    raw = request.query.get(key, "")
    if not raw:
        return default
    if not raw.isdigit():
        raise AppError.of(ErrorCode.INVALID_URL_PARAM, name=key)
    return int(raw)


class PostsApi:
    """Handlers for posts."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx, self.core = ctx, ctx.core

    def routes(self) -> list[web.RouteDef]:
        """The routes, in matching order."""
        return [web.post("/api/v4/posts", self.create), web.get("/api/v4/posts/{post_id}", self.get),
                web.get("/api/v4/posts/{post_id}/thread", self.thread),
                web.get("/api/v4/channels/{channel_id}/posts", self.channel_posts)]

    async def create(self, request: web.Request) -> web.Response:
        session = self.ctx.session(request)
        body = await read_json(request, "post")
        props = body.get("props") or {}
        if not isinstance(props, dict):
            raise bad_body("props")
        post, decisions, pushes = self.core.create_post(
            session, channel_id=text(body, "channel_id", required=True), message=text(body, "message"),
            root_id=text(body, "root_id"), props={k: v for k, v in props.items() if k not in _SERVER_PROPS})
        await self.ctx.deliver(post, decisions, pushes)
        if request.query.get("set_online", "true") != "false":  # createPost sets the poster online
            before = self.core.status_of(session.user_id)
            self.core.set_status(session.user_id, Status.ONLINE)
            await self.ctx.hub.status_after(session.user_id, before.status, before.manual)
        self.core.record_activity(session.user_id)
        return web.json_response(post.to_api(), status=201)

    async def get(self, request: web.Request) -> web.Response:
        _, actor = self.ctx.actor(request)
        post = self.core.post(url_id(request, "post_id"))
        access.require_read(self.core.directory, actor, post.channel_id)
        return web.json_response(post.to_api())

    async def thread(self, request: web.Request) -> web.Response:
        _, actor = self.ctx.actor(request)
        post = self.core.post(url_id(request, "post_id"))
        access.require_read(self.core.directory, actor, post.channel_id)
        return web.json_response(post_list(self.core.thread(post.root_id or post.id)))

    async def channel_posts(self, request: web.Request) -> web.Response:
        _, actor = self.ctx.actor(request)
        channel = access.require_read(self.core.directory, actor, url_id(request, "channel_id"))
        since, page, per_page = (_number(request, key, default) for key, default in
                                 (("since", 0), ("page", 0), ("per_page", 60)))
        posts = self.core.channel_posts(channel.id, since=since)
        if not since:  # a page of the newest posts, as the app's first load asks for
            end = len(posts) - page * per_page
            posts = posts[max(0, end - per_page):max(0, end)]
        return web.json_response(post_list(posts))
