"""An emulated phone running Mattermost apps: a thin adapter around lifecycle and receiver.

Seams (declared here, satisfied by the simulator): ``Registrar`` is the OS's private channel to
APNs for push tokens; ``ServerLink`` is the app's HTTPS/WSS client to the Mattermost server.
"""

from __future__ import annotations

from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from .errors import DeviceError
from .lifecycle import step
from .models import (Action, AppBuild, AppState, AppStateChanged, Notification, NotificationShown,
                     NotificationsCleared, Platform, PushReceived)
from .receiver import Reception, receive_ios


class Registrar(Protocol):
    """The OS push service: issues and revokes tokens for an app's topic."""

    def register(self, *, topic: str, sandbox: bool) -> str: ...
    def unregister(self, token: str) -> None: ...


class Closeable(Protocol):
    async def close(self) -> None: ...


class ServerLink(Protocol):
    """The app's network client to a Mattermost server."""

    async def login(self, *, server_url: str, login_id: str, password: str, device_id: str) -> str: ...
    async def open_websocket(self, *, server_url: str, token: str) -> Closeable: ...
    async def view_channel(self, *, server_url: str, token: str, channel_id: str) -> None: ...
    async def ack(self, *, server_url: str, token: str, ack: Mapping[str, Any]) -> None: ...


Spawn = Callable[[Coroutine[Any, Any, Any]], object]


@dataclass(slots=True)
class AppInstance:
    """One installed app's mutable state on one phone."""

    build: AppBuild
    state: AppState = AppState.NOT_INSTALLED
    token: str = ""
    server_url: str = ""
    session_token: str = ""
    websocket: Closeable | None = None
    channel_on_screen: str | None = None


class Phone:
    """One emulated phone: apps, a notification centre, a badge."""

    def __init__(self, *, name: str, platform: Platform, model: str, os_version: str,
                 registrar: Registrar, link: ServerLink, clock: Callable[[], float],
                 publish: Callable[[object], None], spawn: Spawn) -> None:
        self.name, self.platform, self.model, self.os_version = name, platform, model, os_version
        self._registrar, self._link, self._clock, self._publish, self._spawn = registrar, link, clock, publish, spawn
        self.apps: dict[str, AppInstance] = {}
        self.notification_centre: list[Notification] = []
        self.in_app_banners: list[Notification] = []
        self.badge = 0

    def app(self, bundle_id: str | None = None) -> AppInstance:
        """The installed app ``bundle_id`` (or the only one)."""
        if bundle_id is None and len(self.apps) == 1:
            return next(iter(self.apps.values()))
        if bundle_id in self.apps:
            return self.apps[bundle_id]  # type: ignore[index]
        raise DeviceError(f"{self.name}: no app {bundle_id or '(none installed)'}")

    def _move(self, inst: AppInstance, action: Action) -> None:
        before = inst.state
        inst.state = step(before, action)
        self._publish(AppStateChanged(at=self._clock(), phone=self.name, action=action, before=before,
                                      after=inst.state))

    def install(self, build: AppBuild) -> AppInstance:
        """Install ``build`` and register it for pushes (a fresh token every install)."""
        inst = self.apps.setdefault(build.bundle_id, AppInstance(build=build))
        self._move(inst, Action.INSTALL)
        inst.token = self._registrar.register(topic=build.bundle_id, sandbox=build.sandbox)
        return inst

    async def log_in(self, server_url: str, login_id: str, password: str, *, bundle_id: str | None = None) -> None:
        """Log in with the push device id, then open the websocket (the app is in front)."""
        inst = self.app(bundle_id)
        step(inst.state, Action.LOG_IN)  # refuse before any network traffic
        inst.session_token = await self._link.login(server_url=server_url, login_id=login_id, password=password,
                                                    device_id=inst.build.device_id(inst.token))
        inst.server_url = server_url
        self._move(inst, Action.LOG_IN)
        inst.websocket = await self._link.open_websocket(server_url=server_url, token=inst.session_token)

    async def to_background(self, *, bundle_id: str | None = None) -> None:
        """Home button: unset the active channel on the server and drop the websocket."""
        inst = self.app(bundle_id)
        self._move(inst, Action.BACKGROUND)
        await self._link.view_channel(server_url=inst.server_url, token=inst.session_token, channel_id="")
        inst.channel_on_screen = None
        await self._drop_websocket(inst)

    async def to_foreground(self, *, bundle_id: str | None = None) -> None:
        """Open the app again: reconnect the websocket (the user is online)."""
        inst = self.app(bundle_id)
        self._move(inst, Action.FOREGROUND)
        inst.websocket = await self._link.open_websocket(server_url=inst.server_url, token=inst.session_token)

    async def kill(self, *, bundle_id: str | None = None) -> None:
        """Swipe the app away."""
        inst = self.app(bundle_id)
        self._move(inst, Action.KILL)
        await self._drop_websocket(inst)

    async def uninstall(self, *, bundle_id: str | None = None) -> None:
        """Delete the app: its token dies with it (later pushes get 410 Unregistered)."""
        inst = self.app(bundle_id)
        self._move(inst, Action.UNINSTALL)
        await self._drop_websocket(inst)
        self._registrar.unregister(inst.token)
        inst.token, inst.session_token, inst.server_url = "", "", ""
        self.notification_centre = [n for n in self.notification_centre if n.app != inst.build.name]

    async def open_channel(self, channel_id: str, *, bundle_id: str | None = None) -> None:
        """Look at a channel in the app (the server's active channel)."""
        inst = self.app(bundle_id)
        await self._link.view_channel(server_url=inst.server_url, token=inst.session_token, channel_id=channel_id)
        inst.channel_on_screen = channel_id

    async def _drop_websocket(self, inst: AppInstance) -> None:
        if inst.websocket is not None:
            ws, inst.websocket = inst.websocket, None
            await ws.close()

    def holds(self, token: str) -> AppInstance | None:
        """The app that owns push token ``token``, if any."""
        return next((a for a in self.apps.values() if a.token and a.token == token), None)

    def receive(self, inst: AppInstance, payload: Mapping[str, Any]) -> Reception:
        """The OS hands over one push for ``inst``: show, clear, badge and ack as the app would."""
        now = self._clock()
        verdict = receive_ios(payload, state=inst.state, app=inst.build, now=now,
                              channel_on_screen=inst.channel_on_screen)
        self._publish(PushReceived(at=now, phone=self.name, token=inst.token, push_type=str(payload.get("type", "")),
                                   ack_id=str(payload.get("ack_id", "")), post_id=str(payload.get("post_id", "")),
                                   app_state=inst.state, outcome=verdict.outcome))
        self._apply(inst, verdict, now)
        return verdict

    def _apply(self, inst: AppInstance, verdict: Reception, now: float) -> None:
        if verdict.badge is not None:
            self.badge = verdict.badge
        if verdict.show is not None:
            self.notification_centre.append(verdict.show)
            self._publish(NotificationShown(at=now, phone=self.name, notification=verdict.show))
        if verdict.in_app_banner is not None:
            self.in_app_banners.append(verdict.in_app_banner)
        if verdict.clear_channel:
            before = len(self.notification_centre)
            self.notification_centre = [n for n in self.notification_centre if n.channel_id != verdict.clear_channel]
            self._publish(NotificationsCleared(at=now, phone=self.name, channel_id=verdict.clear_channel,
                                               removed=before - len(self.notification_centre)))
        if verdict.ack is not None and inst.server_url:
            self._spawn(self._link.ack(server_url=inst.server_url, token=inst.session_token, ack=verdict.ack))
