"""What every REST handler of the fake server shares: request parsing in Mattermost's error format,
authentication, and the one way a new post (or any push producer) leaves the server.

Rule: parsing raises ``AppError`` with the server's own ids (400 ``invalid_body_param`` /
``invalid_url_param``, 401 ``session_expired``); the server's middleware renders it, so no handler
ever writes an error body itself.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable, Iterable

from aiohttp import web

from .core import ChatCore
from .errors import AppError, ErrorCode
from .ids import is_valid_id
from .models import OutgoingPush, Post, PushDecision, Session, User
from .pusher import PushGateway

if TYPE_CHECKING:
    from .websocket import WebsocketHub


def bad_body(name: str, detail: str = "") -> AppError:
    """400 ``api.context.invalid_body_param.app_error`` naming the field."""
    return AppError.of(ErrorCode.INVALID_BODY_PARAM, name=name, detailed_error=detail)


async def read_json(request: web.Request, name: str, kind: type = dict) -> Any:
    """The JSON body, which must be a ``kind`` (object by default), or 400 naming ``name``."""
    raw = await request.read()
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise bad_body(name, f"invalid JSON: {exc}") from None
    if not isinstance(body, kind):
        raise bad_body(name, f"expected a JSON {'object' if kind is dict else 'array'}")
    return body


def text(body: dict[str, Any], key: str, *, required: bool = False) -> str:
    """A string field (JSON null and absent read as ""), or 400 naming it."""
    value = body.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str) or (required and not value):
        raise bad_body(key)
    return value


def ids_of(value: Any, name: str) -> list[str]:
    """A JSON array of Mattermost ids, or 400."""
    if not isinstance(value, list) or not all(isinstance(v, str) and is_valid_id(v) for v in value):
        raise bad_body(name)
    return value


def url_id(request: web.Request, key: str, session: Session | None = None) -> str:
    """An id from the path ("me" = the caller when a session is given), or 400 ``invalid_url_param``."""
    value = request.match_info[key]
    if value == "me" and session is not None:
        return session.user_id
    if not is_valid_id(value):
        raise AppError.of(ErrorCode.INVALID_URL_PARAM, name=key)
    return value


def status_ok() -> web.Response:
    """``ReturnStatusOK``."""
    return web.json_response({"status": "OK"})


class Ctx:
    """The server's parts a handler may use: the core, the push hub, the websockets, the bus."""

    def __init__(self, core: ChatCore, gateway: PushGateway, hub: WebsocketHub,
                 publish: Callable[[object], None]) -> None:
        self.core, self.gateway, self.hub, self.publish = core, gateway, hub, publish

    def session(self, request: web.Request) -> Session:
        """The caller's session from ``Authorization: Bearer|Token`` or the MMAUTHTOKEN cookie, or 401."""
        return self.core.authenticate(token_of(request))

    def actor(self, request: web.Request) -> tuple[Session, User]:
        """The caller's session and user."""
        session = self.session(request)
        return session, self.core.user(session.user_id)

    async def deliver(self, post: Post, decisions: Iterable[PushDecision], pushes: list[OutgoingPush]) -> None:
        """A new post leaves the server: verdicts on the bus and in the log, pushes to the hub, websockets."""
        decisions = list(decisions)
        for decision in decisions:
            self.publish(decision)
        self.gateway.report(decisions)
        await self.gateway.enqueue(pushes)
        await self.hub.posted(post)


def token_of(request: web.Request) -> str:
    """The bearer token of a request ("" when none was sent)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() not in ("bearer", "token") or not token.strip():
        return request.cookies.get("MMAUTHTOKEN", "")
    return token.strip()
