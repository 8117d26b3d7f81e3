"""The inspection and control API (moto's backdoor): JSON over plain HTTP on its own loopback port.

Routes (every body and answer is JSON; bad input answers 400 ``{"error": ..., "field": ...}``):

- ``GET /received?token=&topic=``   every verdict, oldest first (``"type"``: PushAccepted/PushRejected)
- ``GET /accepted?token=&topic=``   accepted pushes only
- ``GET /rejected?token=&topic=&reason=``   rejected pushes only (``reason``: an APNs reason string)
- ``GET /stored?token=``            notifications waiting in store for an unreachable phone
- ``GET /devices``, ``GET /teams``  issued device tokens; teams with their key ids and apps
- ``GET /faults``                   queued faults (reason faults with their ``status``); ``DELETE /faults`` drops all
- ``POST /faults``  queue one fault. Exactly one of ``{"reason": "TooManyRequests"}`` (optional
  ``"status"`` must match the reason's), ``{"delay": 0.5}`` (seconds), ``{"goaway": "Shutdown"}``,
  ``{"drop": true}``; plus optional ``"times"`` (default 1) and ``"token"`` (only that device).
- ``POST /reset``   forget verdicts, faults and stored notifications (keys, apps and devices stay)
- ``POST /flush`` ``{"token": ...}`` or ``{"device": ...}``   deliver what waits (needs ``servers``)
- ``POST /goaway`` ``{"reason": "Shutdown"}``   GOAWAY every open connection now (needs ``servers``)

Rule: handlers only parse, call the core (or a ``FakeApns``) and render.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import re
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from .core import ApnsCore
from .faults import PendingFault
from .models import Environment, FaultKind
from .reasons import Reason
from .server import FakeApns

_HEX = re.compile(r"(?:[0-9a-fA-F]{2})+")
_FAULT_KINDS = ("reason", "delay", "goaway", "drop")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BadField(Exception):
    """A control request named ``field`` wrongly; answered 400."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def to_json(value: Any) -> Any:
    """A JSON-ready copy of an event (dataclass), enum, or container of them."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"type": type(value).__name__, **fields}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(v) for v in value]
    return value


def _fault(pending: PendingFault) -> dict[str, Any]:
    """A queued fault as JSON, with the HTTP status a reason fault answers with."""
    status = pending.reason.status if pending.kind is FaultKind.REJECT and pending.reason is not None else None
    return {**to_json(pending), "status": status}


def _error(status: int, message: str, field: str | None = None) -> web.Response:
    body: dict[str, str] = {"error": message}
    if field is not None:
        body["field"] = field
    return web.json_response(body, status=status)


def _query(request: web.Request, allowed: Sequence[str]) -> dict[str, str]:
    for name in request.query:
        if name not in allowed:
            raise BadField(name, f"unknown query parameter {name!r}; allowed: {', '.join(allowed)}")
    found = dict(request.query)
    if "token" in found and not _HEX.fullmatch(found["token"]):
        raise BadField("token", "token must be an even-length hex string")
    return found


def _reason(raw: object, field: str) -> Reason:
    try:
        return Reason(raw)  # type: ignore[arg-type]
    except ValueError:
        raise BadField(field, f"{raw!r} is not an APNs reason string") from None


async def _body(request: web.Request, allowed: Sequence[str]) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise BadField("body", "the body is not JSON") from None
    if not isinstance(body, dict):
        raise BadField("body", "the body must be a JSON object")
    for name in body:
        if name not in allowed:
            raise BadField(name, f"unknown field {name!r}; allowed: {', '.join(allowed)}")
    return body


def _times(body: dict[str, Any]) -> int:
    times = body.get("times", 1)
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise BadField("times", "times must be an integer >= 1")
    return times


def _token(body: dict[str, Any]) -> str | None:
    token = body.get("token")
    if token is not None and (not isinstance(token, str) or not _HEX.fullmatch(token)):
        raise BadField("token", "token must be an even-length hex string")
    return token


class ApnsControl:
    """Serves the control API for ``core`` (and, for flush/goaway, ``servers``) on ``url``."""

    def __init__(self, core: ApnsCore, *, servers: Sequence[FakeApns] = (), host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.core = core
        self.servers = tuple(servers)
        self.errors: list[BaseException] = []
        self._host, self._port = host, port
        app = web.Application(middlewares=[self._errors_as_json])
        app.router.add_get("/received", self._received)
        app.router.add_get("/accepted", self._accepted)
        app.router.add_get("/rejected", self._rejected)
        app.router.add_get("/stored", self._stored)
        app.router.add_get("/devices", self._devices)
        app.router.add_get("/teams", self._teams)
        app.router.add_get("/faults", self._faults)
        app.router.add_post("/faults", self._add_fault)
        app.router.add_delete("/faults", self._clear_faults)
        app.router.add_post("/reset", self._reset)
        app.router.add_post("/flush", self._flush)
        app.router.add_post("/goaway", self._goaway)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        self.url = ""

    async def __aenter__(self) -> Self:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self._runner.cleanup()

    @web.middleware
    async def _errors_as_json(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except BadField as bad:
            return _error(400, str(bad), bad.field)
        except web.HTTPException as http:  # aiohttp's own 404/405: same JSON shape
            return _error(http.status, http.reason)
        except Exception as exc:  # a handler bug: answer 500, keep it for the caller's assertions
            self.errors.append(exc)
            return _error(500, f"{type(exc).__name__}: {exc}")

    # -- inspection --------------------------------------------------------------------------
    async def _received(self, request: web.Request) -> web.Response:
        q = _query(request, ("token", "topic"))
        return web.json_response(to_json(self.core.history.received(token=q.get("token"), topic=q.get("topic"))))

    async def _accepted(self, request: web.Request) -> web.Response:
        q = _query(request, ("token", "topic"))
        return web.json_response(to_json(self.core.history.accepted(token=q.get("token"), topic=q.get("topic"))))

    async def _rejected(self, request: web.Request) -> web.Response:
        q = _query(request, ("token", "topic", "reason"))
        reason = _reason(q["reason"], "reason") if "reason" in q else None
        found = self.core.history.rejected(token=q.get("token"), topic=q.get("topic"), reason=reason)
        return web.json_response(to_json(found))

    async def _stored(self, request: web.Request) -> web.Response:
        q = _query(request, ("token",))
        return web.json_response(to_json(self.core.mailbox.stored(q.get("token"))))

    async def _devices(self, request: web.Request) -> web.Response:
        _query(request, ())
        return web.json_response(to_json(self.core.devices.records()))

    async def _teams(self, request: web.Request) -> web.Response:
        _query(request, ())
        return web.json_response(self.core.keys.teams())

    async def _faults(self, request: web.Request) -> web.Response:
        _query(request, ())
        return web.json_response([_fault(p) for p in self.core.faults.pending])

    # -- control -----------------------------------------------------------------------------
    async def _add_fault(self, request: web.Request) -> web.Response:
        body = await _body(request, (*_FAULT_KINDS, "status", "times", "token"))
        kinds = [k for k in _FAULT_KINDS if k in body]
        if len(kinds) != 1:
            raise BadField("reason", f"give exactly one of {', '.join(_FAULT_KINDS)}")
        if "status" in body and kinds[0] != "reason":
            raise BadField("status", "status goes only with reason")
        times, token = _times(body), _token(body)
        faults = self.core.faults
        match kinds[0]:
            case "reason":
                reason = _reason(body["reason"], "reason")
                if "status" in body and body["status"] != reason.status:
                    raise BadField("status", f"{reason.value} is answered with {reason.status}, not {body['status']!r}")
                queued = faults.push(reason, times=times, token=token)
            case "delay":
                delay = body["delay"]
                if isinstance(delay, bool) or not isinstance(delay, int | float) or not math.isfinite(delay) \
                        or not 0 <= delay <= 60:
                    raise BadField("delay", "delay must be a number of seconds from 0 to 60")
                queued = faults.push_delay(float(delay), times=times, token=token)
            case "goaway":
                queued = faults.push_goaway(_reason(body["goaway"], "goaway"), times=times, token=token)
            case _:
                if body["drop"] is not True:
                    raise BadField("drop", "drop must be true")
                queued = faults.push_drop(times=times, token=token)
        return web.json_response(_fault(queued), status=201)

    async def _clear_faults(self, request: web.Request) -> web.Response:
        self.core.faults.clear()
        return web.json_response({"cleared": True})

    async def _reset(self, request: web.Request) -> web.Response:
        self.core.reset()
        return web.json_response({"reset": True})

    async def _flush(self, request: web.Request) -> web.Response:
        body = await _body(request, ("token", "device"))
        server = self._server()
        if ("token" in body) == ("device" in body):
            raise BadField("token", "give exactly one of token, device")
        if "device" in body:
            if not isinstance(body["device"], str) or not body["device"]:
                raise BadField("device", "device must be a non-empty string")
            return web.json_response({"delivered": server.flush(device=body["device"])})
        token = _token(body)
        return web.json_response({"delivered": server.flush(token)})

    async def _goaway(self, request: web.Request) -> web.Response:
        body = await _body(request, ("reason",))
        reason = _reason(body.get("reason", Reason.SHUTDOWN.value), "reason")
        if not self.servers:
            raise BadField("reason", "this control API was given no servers to send GOAWAY on")
        for server in self.servers:
            await server.goaway(reason)
        return web.json_response({"goaway": reason.value})

    def _server(self) -> FakeApns:
        # Every FakeApns of one core shares its mailbox, so any of them can flush; prefer production.
        for server in self.servers:
            if server.environment is Environment.PRODUCTION:
                return server
        if not self.servers:
            raise BadField("token", "this control API was given no servers to deliver through")
        return self.servers[0]
