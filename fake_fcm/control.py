"""The inspection and control API (moto's backdoor), the same shape as fake_apns's: JSON over
plain HTTP on its own loopback port.

Routes (every body and answer is JSON; bad input answers 400 ``{"error": ..., "field": ...}``):

- ``GET /received?token=&project=``   every send verdict, oldest first (``"type"``: MessageAccepted/…Rejected)
- ``GET /accepted?token=&project=``   accepted messages only
- ``GET /rejected?token=&project=&error=``   rejected messages (``error``: an FcmError or legacy code)
- ``GET /stored?device=&token=``      messages waiting for an unreachable phone
- ``GET /delivered?device=&token=``   messages handed to phones
- ``GET /registrations``, ``GET /projects``   issued tokens; projects with apps, accounts, sender id
- ``GET /faults``; ``DELETE /faults`` drops them all
- ``POST /faults``  queue one fault: exactly one of ``{"error": "UNAVAILABLE"}`` (optional
  ``"retry_after"``), ``{"delay": 0.5}`` (seconds), ``{"drop": true}``; plus optional ``"times"``
  (default 1) and ``"token"`` (only sends to that registration token)
- ``POST /reset``   forget verdicts, faults and stored messages (registry and access tokens stay)
- ``POST /flush`` ``{"token": ...}`` or ``{"device": ...}``; ``POST /sweep``   (need ``server``)
- ``GET /legacy``; ``POST /legacy`` ``{"mode": "enabled" | "shut_down"}``
- ``POST /access-tokens/expire``   every issued OAuth token answers ACCESS_TOKEN_EXPIRED from now on

Rule: handlers only parse, call the core (or the ``FakeFcm``) and render.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from .codes import FcmError, LegacyError
from .core import FcmCore
from .models import LegacyMode
from .server import FakeFcm

_FAULT_KINDS = ("error", "delay", "drop")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BadField(Exception):
    """A control request named ``field`` wrongly; answered 400."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def to_json(value: Any) -> Any:
    """A JSON-ready copy of an event (dataclass), enum, or container of them; keys are never shown."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)
                  if f.name != "private_key"}
        return {"type": type(value).__name__, **fields}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(v) for v in value]
    return value


def _error(status: int, message: str, field: str | None = None) -> web.Response:
    body = {"error": message} if field is None else {"error": message, "field": field}
    return web.json_response(body, status=status)


def _query(request: web.Request, allowed: Sequence[str]) -> dict[str, str]:
    for name in request.query:
        if name not in allowed:
            raise BadField(name, f"unknown query parameter {name!r}; allowed: {', '.join(allowed) or 'none'}")
    return dict(request.query)


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


def _code(raw: str, field: str) -> FcmError | LegacyError:
    for enum_type in (FcmError, LegacyError):
        try:
            return enum_type(raw)
        except ValueError:
            continue
    raise BadField(field, f"{raw!r} is neither an FcmError code nor a legacy error")


def _int(body: dict[str, Any], name: str, default: int | None, minimum: int) -> int | None:
    value = body.get(name, default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < minimum):
        raise BadField(name, f"{name} must be an integer >= {minimum}")
    return value


def _string(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and (not isinstance(value, str) or not value):
        raise BadField(name, f"{name} must be a non-empty string")
    return value


class FcmControl:
    """Serves the control API for ``core`` (and, for flush/sweep, ``server``) on ``url``."""

    def __init__(self, core: FcmCore, *, server: FakeFcm | None = None, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.core = core
        self.server = server
        self.errors: list[BaseException] = []
        self._host, self._port = host, port
        app = web.Application(middlewares=[self._errors_as_json])
        for path, handler in (("/received", self._received), ("/accepted", self._accepted),
                              ("/rejected", self._rejected), ("/stored", self._stored),
                              ("/delivered", self._delivered), ("/registrations", self._registrations),
                              ("/projects", self._projects), ("/faults", self._faults), ("/legacy", self._legacy)):
            app.router.add_get(path, handler)
        for path, handler in (("/faults", self._add_fault), ("/reset", self._reset), ("/flush", self._flush),
                              ("/sweep", self._sweep), ("/legacy", self._set_legacy),
                              ("/access-tokens/expire", self._expire_tokens)):
            app.router.add_post(path, handler)
        app.router.add_delete("/faults", self._clear_faults)
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
        q = _query(request, ("token", "project"))
        return web.json_response(to_json(self.core.history.received(token=q.get("token"), project=q.get("project"))))

    async def _accepted(self, request: web.Request) -> web.Response:
        q = _query(request, ("token", "project"))
        return web.json_response(to_json(self.core.history.accepted(token=q.get("token"), project=q.get("project"))))

    async def _rejected(self, request: web.Request) -> web.Response:
        q = _query(request, ("token", "project", "error"))
        error = _code(q["error"], "error") if "error" in q else None
        found = self.core.history.rejected(token=q.get("token"), project=q.get("project"), error=error)
        return web.json_response(to_json(found))

    async def _stored(self, request: web.Request) -> web.Response:
        q = _query(request, ("device", "token"))
        return web.json_response(to_json(self.core.mailbox.stored(phone_id=q.get("device"), token=q.get("token"))))

    async def _delivered(self, request: web.Request) -> web.Response:
        q = _query(request, ("device", "token"))
        found = [d for d in self.core.delivered if q.get("device", d.phone_id) == d.phone_id
                 and q.get("token", d.token) == d.token]
        return web.json_response(to_json(found))

    async def _registrations(self, request: web.Request) -> web.Response:
        _query(request, ())
        return web.json_response(to_json(self.core.registry.registrations()))

    async def _projects(self, request: web.Request) -> web.Response:
        _query(request, ())
        registry = self.core.registry
        return web.json_response([{
            "project_id": p.project_id, "number": p.number, "server_key": p.server_key,
            "apps": to_json(registry.apps(p.project_id)),
            "service_accounts": [a.client_email for a in registry.accounts(p.project_id)],
        } for p in registry.projects()])

    async def _faults(self, request: web.Request) -> web.Response:
        _query(request, ())
        return web.json_response(to_json(self.core.faults.pending))

    async def _legacy(self, request: web.Request) -> web.Response:
        _query(request, ())
        return web.json_response({"mode": self.core.legacy.mode.value})

    # -- control -----------------------------------------------------------------------------
    async def _add_fault(self, request: web.Request) -> web.Response:
        body = await _body(request, (*_FAULT_KINDS, "retry_after", "times", "token"))
        kinds = [k for k in _FAULT_KINDS if k in body]
        if len(kinds) != 1:
            raise BadField("error", f"give exactly one of {', '.join(_FAULT_KINDS)}")
        if "retry_after" in body and kinds[0] != "error":
            raise BadField("retry_after", "retry_after goes only with error")
        times, token = _int(body, "times", 1, 1) or 1, _string(body, "token")
        faults = self.core.faults
        match kinds[0]:
            case "error":
                code = _code(str(body["error"]), "error")
                if not isinstance(code, FcmError):
                    raise BadField("error", "faults take v1 FcmError codes (legacy results are derived)")
                queued = faults.push(code, times=times, token=token, retry_after=_int(body, "retry_after", None, 0))
            case "delay":
                delay = body["delay"]
                if isinstance(delay, bool) or not isinstance(delay, int | float) or not math.isfinite(delay) \
                        or not 0 <= delay <= 60:
                    raise BadField("delay", "delay must be a number of seconds from 0 to 60")
                queued = faults.push_delay(float(delay), times=times, token=token)
            case _:
                if body["drop"] is not True:
                    raise BadField("drop", "drop must be true")
                queued = faults.push_drop(times=times, token=token)
        return web.json_response(to_json(queued), status=201)

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
        token, device = _string(body, "token"), _string(body, "device")
        return web.json_response({"delivered": server.flush(token) if token else server.flush(device=device)})

    async def _sweep(self, request: web.Request) -> web.Response:
        return web.json_response({"expired": self._server().sweep()})

    async def _set_legacy(self, request: web.Request) -> web.Response:
        body = await _body(request, ("mode",))
        try:
            self.core.legacy.mode = LegacyMode(str(body.get("mode")))
        except ValueError:
            raise BadField("mode", f"mode must be one of {', '.join(m.value for m in LegacyMode)}") from None
        return web.json_response({"mode": self.core.legacy.mode.value})

    async def _expire_tokens(self, request: web.Request) -> web.Response:
        self.core.tokens.expire_all()
        return web.json_response({"expired": len(self.core.tokens.tokens)})

    def _server(self) -> FakeFcm:
        if self.server is None:
            raise BadField("device", "this control API was given no server to deliver through")
        return self.server
