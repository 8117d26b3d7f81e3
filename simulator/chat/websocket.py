"""The server's websocket (``/api/v4/websocket``): header/cookie auth or ``authentication_challenge``,
``hello``, ``posted``, ``status_change``, and the presence actions that keep a user online.

Invariants (server ``web_conn.go`` / ``websocket_router.go``):
- An upgrade without a token is accepted but unauthenticated; its first useful frame must be the
  challenge. A bad challenge token closes the socket; a good one gets ``hello`` (seq 0), then the
  ``{"status":"OK","seq_reply":n}`` answer. A bad *header* token is refused before the upgrade (401).
- Events carry a per-connection ``seq``; answers to actions carry ``seq_reply``.
- ``status_change`` goes only to the user's own connections, as the server broadcasts it.
- Presence moves with the client's own reports (``user_update_active_status``): active = online and
  ``LastActivityAt`` now; inactive = away once idle for ``UserStatusAwayTimeout`` (or at once if manual).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from aiohttp import WSMsgType, web

from .core import ChatCore
from .errors import AppError, ErrorCode
from .models import Post, Status, StatusChanged
from .rest import token_of


@dataclass(slots=True, eq=False)
class _Conn:
    ws: web.WebSocketResponse
    user_id: str = ""
    seq: int = 0
    session_id: str = ""


class WebsocketHub:
    """Open websockets per user, and the events the server pushes over them."""

    def __init__(self, core: ChatCore, *, publish: Callable[[object], None], clock: Callable[[], float]) -> None:
        self.core, self._publish, self._clock = core, publish, clock
        self._conns: dict[str, set[_Conn]] = {}

    def connections(self, user_id: str) -> int:
        """How many authenticated websockets the user holds."""
        return len(self._conns.get(user_id, ()))

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """``GET /api/v4/websocket``."""
        token = token_of(request)
        session = self.core.authenticate(token) if token else None  # a bad header token: 401, no upgrade
        ws = web.WebSocketResponse(heartbeat=None)
        await ws.prepare(request)
        conn = _Conn(ws=ws)
        try:
            if session is not None:
                await self._register(conn, session.user_id, session.id)
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    if conn.user_id:
                        continue
                    break  # a binary frame before authentication closes the socket
                if not await self._on_text(conn, msg.data):
                    break
        finally:
            await self._unregister(conn)
        return ws

    async def close_all(self) -> None:
        """Close every socket (server shutdown)."""
        for conns in list(self._conns.values()):
            for conn in list(conns):
                await conn.ws.close()

    # ------------------------------------------------------------------ connection lifecycle
    async def _register(self, conn: _Conn, user_id: str, session_id: str) -> None:
        conn.user_id, conn.session_id = user_id, session_id
        self._conns.setdefault(user_id, set()).add(conn)
        before = self.core.status_of(user_id)
        self.core.websocket_connected(user_id)
        await self._event(conn, "hello", {"server_version": self.core.config.version}, {"user_id": user_id})
        await self.status_after(user_id, before.status, before.manual)

    async def _unregister(self, conn: _Conn) -> None:
        if not conn.user_id:
            return
        self._conns.get(conn.user_id, set()).discard(conn)
        before = self.core.status_of(conn.user_id)
        self.core.websocket_disconnected(conn.user_id)
        await self.status_after(conn.user_id, before.status, before.manual)

    # ------------------------------------------------------------------ actions
    async def _on_text(self, conn: _Conn, data: str) -> bool:
        """Handle one request frame; False closes the socket."""
        try:
            req = json.loads(data)
        except ValueError:
            req = None
        if not isinstance(req, dict) or not isinstance(req.get("action"), str) or not req["action"]:
            await self._reply(conn, 0, error=AppError(id="api.web_socket_router.no_action.app_error",
                                                      message="No websocket action.", status_code=400))
            return True
        seq: int = req["seq"] if isinstance(req.get("seq"), int) else 0
        body: dict[str, Any] = req["data"] if isinstance(req.get("data"), dict) else {}
        if req["action"] == "authentication_challenge":
            return conn.user_id != "" or await self._challenge(conn, seq, body)
        if not conn.user_id:
            await self._reply(conn, seq, error=AppError.of(ErrorCode.WS_NOT_AUTHENTICATED))
            return True
        await self._action(conn, req["action"], seq, body)
        return True

    async def _challenge(self, conn: _Conn, seq: int, body: dict[str, Any]) -> bool:
        token = body.get("token")
        try:
            session = self.core.authenticate(token if isinstance(token, str) else "")
        except AppError:
            return False  # the server closes the socket on a bad challenge token
        await self._register(conn, session.user_id, session.id)
        await self._reply(conn, seq)
        return True

    async def _action(self, conn: _Conn, action: str, seq: int, body: dict[str, Any]) -> None:
        uid = conn.user_id
        if action == "user_update_active_status":
            before = self.core.status_of(uid)
            if body.get("user_is_active") is True:
                self.core.set_status(uid, Status.ONLINE)
            else:
                self.core.presence.away_if_idle(uid, timeout_s=self.core.config.user_status_away_timeout,
                                                manual=body.get("manual") is True)
            await self.status_after(uid, before.status, before.manual)
            await self._reply(conn, seq)
        elif action in ("get_statuses", "get_statuses_by_ids"):
            wanted = body.get("user_ids") if action == "get_statuses_by_ids" else list(self.core.directory.users)
            ids = [u for u in wanted if isinstance(u, str)] if isinstance(wanted, list) else []
            await self._reply(conn, seq, data={u: str(self.core.status_of(u).status) for u in ids})
        elif action in ("user_typing", "ping"):
            await self._reply(conn, seq, data={"text": "pong", "version": self.core.config.version}
                              if action == "ping" else None)
        else:
            await self._reply(conn, seq, error=AppError.of(ErrorCode.WS_BAD_ACTION))

    # ------------------------------------------------------------------ events
    async def status_after(self, user_id: str, before: Status, was_manual: bool) -> None:
        """Broadcast ``status_change`` (and publish ``StatusChanged``) if the user's status moved."""
        now = self.core.status_of(user_id)
        if (now.status, now.manual) == (before, was_manual):
            return
        self._publish(StatusChanged(at=self._clock(), user_id=user_id, status=now.status, manual=now.manual))
        for conn in list(self._conns.get(user_id, ())):
            await self._event(conn, "status_change", {"status": str(now.status), "user_id": user_id},
                              {"user_id": user_id})

    async def posted(self, post: Post) -> None:
        """The ``posted`` event to every connected member of the post's channel."""
        channel = self.core.channel(post.channel_id)
        sender = self.core.user(post.user_id)
        data = {"channel_display_name": channel.display_name, "channel_name": channel.name,
                "channel_type": str(channel.type), "post": json.dumps(post.to_api()),
                "sender_name": "@" + sender.username, "team_id": channel.team_id}
        for uid in self.core.channel_member_ids(post.channel_id):
            for conn in list(self._conns.get(uid, ())):
                await self._event(conn, "posted", data, {"channel_id": post.channel_id})

    async def _event(self, conn: _Conn, event: str, data: dict[str, Any], broadcast: dict[str, str]) -> None:
        scope = {"omit_users": None, "user_id": "", "channel_id": "", "team_id": "", **broadcast}
        await self._send(conn, {"event": event, "data": data, "broadcast": scope, "seq": conn.seq})
        conn.seq += 1

    async def _reply(self, conn: _Conn, seq: int, *, data: Any = None, error: AppError | None = None) -> None:
        frame: dict[str, Any] = {"status": "FAIL" if error else "OK", "seq_reply": seq}
        if error is not None:
            frame["error"] = {"id": error.id, "message": error.message, "detailed_error": "",
                              "request_id": "", "status_code": error.status_code}
        elif data is not None:
            frame["data"] = data
        await self._send(conn, frame)

    @staticmethod
    async def _send(conn: _Conn, frame: dict[str, Any]) -> None:
        if conn.ws.closed:
            return
        try:
            await conn.ws.send_json(frame)
        except ConnectionResetError:
            pass  # the peer went away mid-send; its reader's exit unregisters it
