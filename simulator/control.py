"""The world's control API (JSON over loopback HTTP) for outside senders and scripts: make a
phone with an app and get its push token; read what a phone received (moto's backdoor idea)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Callable

from aiohttp import web

from fake_devices import (MATTERMOST_ANDROID, MATTERMOST_ANDROID_BETA, MATTERMOST_IOS, MATTERMOST_IOS_BETA, AppBuild,
                          DeviceError, Notification, Phone, Platform)

from .web import WebServer

APPS = {"mattermost": MATTERMOST_IOS, "mattermost-beta": MATTERMOST_IOS_BETA,
        "mattermost-android": MATTERMOST_ANDROID, "mattermost-android-beta": MATTERMOST_ANDROID_BETA}
MODELS = {Platform.IOS: "iPhone 6s Plus", Platform.ANDROID: "Pixel 7"}  # the phone an app build goes on


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _phone_json(phone: Phone) -> dict[str, Any]:
    return {"name": phone.name, "platform": phone.platform.value, "model": phone.model,
            "apps": [{"name": a.build.name, "bundle_id": a.build.bundle_id, "state": a.state.value,
                      "token": a.token, "device_id": a.build.device_id(a.token) if a.token else "",
                      "sandbox": a.build.sandbox} for a in phone.apps.values()],
            "badge": phone.badge}


def _note_json(n: Notification) -> dict[str, Any]:
    return {"at": n.at, "app": n.app, "title": n.title, "body": n.body, "type": n.push_type, "post_id": n.post_id,
            "ack_id": n.ack_id, "channel_id": n.channel_id}


class ControlApi:
    """``/phones`` endpoints over a world's fleet."""

    def __init__(self, sim: Any, *, publish: Callable[[object], None], clock: Callable[[], float]) -> None:
        self._sim = sim
        app = web.Application()
        app.router.add_get("/phones", self._list)
        app.router.add_post("/phones", self._create)
        app.router.add_get("/phones/{name}", self._get)
        app.router.add_get("/phones/{name}/notifications", self._notifications)
        self.server = WebServer(app, name="control", publish=publish, clock=clock,
                                render_crash=lambda _r, e: _error(500, f"internal error: {type(e).__name__}"))

    @property
    def url(self) -> str:
        """Base URL of the control API."""
        return self.server.url

    async def __aenter__(self) -> ControlApi:
        await self.server.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.server.__aexit__(*exc)

    def _phone(self, request: web.Request) -> Phone:
        name = request.match_info["name"]
        phone = self._sim.fleet.phones.get(name)
        if phone is None:
            raise web.HTTPNotFound(text=json.dumps({"error": f"no phone named {name!r}"}),
                                   content_type="application/json")
        return phone

    async def _list(self, _: web.Request) -> web.Response:
        return web.json_response([_phone_json(p) for p in self._sim.fleet.phones.values()])

    async def _get(self, request: web.Request) -> web.Response:
        return web.json_response(_phone_json(self._phone(request)))

    async def _notifications(self, request: web.Request) -> web.Response:
        return web.json_response([_note_json(n) for n in self._phone(request).notification_centre])

    async def _create(self, request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read() or b"{}")
        except ValueError as exc:
            return _error(400, f"body is not JSON: {exc}")
        if not isinstance(body, dict):
            return _error(400, "body must be a JSON object")
        try:
            build = _build(body)
            name = body.get("name")
            if name is not None and not isinstance(name, str):
                return _error(400, "name must be a string")
            phone = self._sim.add_phone(name, model=MODELS[build.platform])
        except (ValueError, DeviceError) as exc:
            return _error(400, str(exc))
        phone.install(build)
        return web.json_response(_phone_json(phone), status=201)


def _build(body: dict[str, Any]) -> AppBuild:
    app = body.get("app", "mattermost")
    if isinstance(app, str):
        if app not in APPS:
            raise ValueError(f"app must be one of {', '.join(APPS)} or an object with bundle_id and device_prefix")
        build = APPS[app]
    elif isinstance(app, dict) and isinstance(app.get("bundle_id"), str) and isinstance(app.get("device_prefix"), str):
        build = AppBuild(name=str(app.get("name", app["bundle_id"])), bundle_id=app["bundle_id"],
                         device_prefix=app["device_prefix"])
    else:
        raise ValueError("app must be one of the known names or an object with bundle_id and device_prefix")
    sandbox = body.get("sandbox", build.sandbox)
    if not isinstance(sandbox, bool):
        raise ValueError("sandbox must be true or false")
    if sandbox and build.platform is Platform.ANDROID:
        raise ValueError("sandbox applies to iOS builds only (APNs environments)")
    return replace(build, sandbox=sandbox)  # keeps platform and Firebase project
