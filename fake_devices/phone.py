"""An emulated phone running Mattermost apps: a thin adapter around the lifecycle tables, the
receivers and the server-connection rules; its network, trust store and meter are in
conditions.py. It reaches the world only through its seams (``Registrar``, ``ServerLink``,
``spawn``, ``sleep``); see seams.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable

from .catalog import DeviceModel, device
from .conditions import Conditions
from .errors import ConnectFailed, DeviceError, ForbiddenTransition, LinkFailure, ServerRefused
from .events import AlertShown, AppStateChanged, ChannelLoaded, PowerChanged, ServerConnected
from .inbox import Inbox
from .lifecycle import step, step_power
from .models import (Action, Alert, AppBuild, AppState, Notification, Permission, Platform, PowerAction,
                     PowerState)
from .network import NetworkProfile
from .perf import Work
from .receiver import Reception
from .seams import Closeable, Metering, Registrar, Registrars, ServerLink, Sleep, Spawn
from .servers import failure_alert, push_verification, sanitize_url, server_info
from .signature import ServerInfo
from .trust import TrustStore

__all__ = ["AppInstance", "Phone", "Registrar", "ServerLink"]  # the seams stay importable from here


@dataclass(slots=True)
class AppInstance:
    """One installed app's mutable state on one phone."""

    build: AppBuild
    state: AppState = AppState.NOT_INSTALLED
    token: str = ""
    server_url: str = ""
    session_token: str = ""
    websocket: Closeable | None = None
    channel_on_screen: str | None = None  # what the user sees right now (None in the background)
    server: ServerInfo | None = None
    permission: Permission = Permission.NOT_ASKED
    badge: int = 0
    last_channel: str | None = None  # the channel screen the app shows when it is in front
    cached: dict[str, tuple[int, int]] = field(default_factory=dict)  # channel -> (newest post ms, posts)

    def reset(self) -> None:
        """Forget the session and the server's data (log out / uninstall)."""
        self.session_token, self.server_url, self.server = "", "", None
        self.channel_on_screen = self.last_channel = None
        self.cached = {}


def _created(post: object) -> int:
    stamp = post.get("create_at", 0) if isinstance(post, Mapping) else 0
    return stamp if isinstance(stamp, int) and not isinstance(stamp, bool) else 0


class Phone(Conditions):
    """One emulated phone: model, network, trust store, power, apps and a notification centre."""

    __slots__ = ("name", "platform", "model", "os_version", "device", "_registrar", "_link", "_clock", "_publish",
                 "_on_token", "apps", "inbox", "in_app_banners", "alerts", "power", "_woke", "_on_reachable")

    def __init__(self, *, name: str, platform: Platform, model: str, os_version: str, registrar: Registrars,
                 link: ServerLink, clock: Callable[[], float], publish: Callable[[object], None], spawn: Spawn,
                 sleep: Sleep = asyncio.sleep, network: NetworkProfile | None = None,
                 on_token: Callable[[str, Phone | None], None] | None = None,
                 on_reachable: Callable[[Phone], None] | None = None) -> None:
        self.name, self.platform, self.model, self.os_version = name, platform, model, os_version
        self.device: DeviceModel = device(model, platform=platform, os_version=os_version)
        self._registrar, self._link, self._clock, self._publish = registrar, link, clock, publish
        self._on_token, self._on_reachable = on_token, on_reachable
        self.apps: dict[str, AppInstance] = {}
        self.inbox = Inbox(self, link=link, spawn=spawn, sleep=sleep, clock=clock, publish=publish)
        self.in_app_banners: list[Notification] = self.inbox.banners
        self.alerts: list[Alert] = []
        self.power = PowerState.AWAKE
        self.network, self.trust = network, TrustStore()
        self.meter: Metering | None = None
        self._woke = False
        if network is not None:
            self._configure_link()

    # -- what the user sees -----------------------------------------------------------------
    @property
    def notification_centre(self) -> list[Notification]:
        """Every notification on the lock screen / in the tray, oldest first."""
        return self.inbox.entries

    @property
    def badge(self) -> int:
        """The app icon badge (the sum over installed apps)."""
        return sum(inst.badge for inst in self.apps.values())

    def lock_screen(self) -> list[str]:
        """The lock screen as text lines: ``HH:MM [App] title — body`` grouped as the OS groups them."""
        return self.inbox.render()

    def app(self, bundle_id: str | None = None) -> AppInstance:
        """The installed app ``bundle_id`` (or the only one)."""
        if bundle_id is None and len(self.apps) == 1:
            return next(iter(self.apps.values()))
        if bundle_id in self.apps:
            return self.apps[bundle_id]  # type: ignore[index]
        raise DeviceError(f"{self.name}: no app {bundle_id or '(none installed)'}")

    # -- permission (network, trust store and meter: Conditions in conditions.py) ------------
    def set_permission(self, permission: Permission, *, bundle_id: str | None = None) -> None:
        """The Settings app's notification switch for one app."""
        self.app(bundle_id).permission = permission

    def effective_permission(self, inst: AppInstance) -> Permission:
        """Before Android 13 notifications are on until the user turns them off; iOS always asks."""
        if inst.permission is Permission.NOT_ASKED and self.platform is Platform.ANDROID \
                and 0 < self.device.os_major < 13:
            return Permission.GRANTED
        return inst.permission

    # -- lifecycle ---------------------------------------------------------------------------
    def _move(self, inst: AppInstance, action: Action) -> None:
        before = inst.state
        inst.state = step(before, action)
        self._publish(AppStateChanged(at=self._clock(), phone=self.name, action=action, before=before,
                                      after=inst.state))

    def _set_token(self, inst: AppInstance, token: str) -> None:
        if inst.token and self._on_token is not None:
            self._on_token(inst.token, None)
        inst.token = token
        if token and self._on_token is not None:
            self._on_token(token, self)

    def _registrar_for(self, build: AppBuild) -> Any:
        if isinstance(self._registrar, Mapping):
            if build.platform not in self._registrar:
                raise DeviceError(f"{self.name}: no push service for {build.platform.value} in this world")
            return self._registrar[build.platform]
        if build.platform is not Platform.IOS:
            raise DeviceError(f"{self.name}: this world's registrar serves iOS only")
        return self._registrar

    def install(self, build: AppBuild, *, permission: Permission = Permission.GRANTED) -> AppInstance:
        """Install ``build`` and register it for pushes (a fresh token every install).

        ``permission`` is the answer to the notification prompt; ``NOT_ASKED`` leaves the prompt
        for ``log_in``, as when the person has not opened the app yet.
        """
        if build.platform is not self.platform:
            raise DeviceError(f"{build.name} for {build.platform.value} cannot be installed on {self.model} "
                              f"({self.platform.value})")
        registrar = self._registrar_for(build)
        inst = self.apps.setdefault(build.bundle_id, AppInstance(build=build))
        self._move(inst, Action.INSTALL)
        inst.permission, inst.badge = permission, 0
        if self.platform is Platform.ANDROID:
            token = registrar.register(topic=build.bundle_id, sandbox=build.sandbox, phone=self.name,
                                       project=build.push_project)
        else:
            token = registrar.register(topic=build.bundle_id, sandbox=build.sandbox)
        self._set_token(inst, token)
        return inst

    async def connect(self, server_url: str, *, bundle_id: str | None = None) -> ServerInfo:
        """Add a server (§8.2): sanitise the URL, ping it with the device id, read its client config."""
        inst = self.app(bundle_id)
        if inst.state is AppState.NOT_INSTALLED:
            raise ForbiddenTransition(f"cannot connect while the app is {inst.state.value}")
        try:
            candidates = sanitize_url(server_url)
            ping, url = await self._ping_first(inst, candidates)
            info = server_info(url, await self._link.client_config(server_url=url))
        except ConnectFailed as exc:
            self._alert(exc.alert)
            raise
        except LinkFailure as exc:
            self._alert(failure_alert(exc, server_url))
            raise ConnectFailed(self.alerts[-1]) from exc
        can_receive, alert = push_verification(ping)
        if alert is not None:
            self._alert(alert)
        inst.server = info
        self._publish(ServerConnected(at=self._clock(), phone=self.name, server_url=url,
                                      diagnostic_id=info.diagnostic_id, can_receive_notifications=can_receive))
        return info

    async def _ping_first(self, inst: AppInstance, candidates: tuple[str, ...]) -> tuple[Mapping[str, Any], str]:
        device_id = inst.build.device_id(inst.token) if inst.token else ""
        failure: tuple[LinkFailure, str] | None = None
        for url in candidates:
            try:
                return await self._link.ping(server_url=url, device_id=device_id), url
            except LinkFailure as exc:
                failure = (exc, url)
        assert failure is not None  # sanitize_url never returns an empty tuple
        raise ConnectFailed(failure_alert(*failure)) from failure[0]

    def _alert(self, alert: Alert) -> None:
        self.alerts.append(alert)
        self._publish(AlertShown(at=self._clock(), phone=self.name, alert=alert))

    async def log_in(self, server_url: str, login_id: str, password: str, *, bundle_id: str | None = None,
                     allow_notifications: bool = True) -> None:
        """Add the server if needed, log in with the push device id, answer the permission prompt, go online."""
        inst = self.app(bundle_id)
        step(inst.state, Action.LOG_IN)  # refuse before any network traffic
        if inst.server is None or inst.server.url not in sanitize_url(server_url):
            await self.connect(server_url, bundle_id=inst.build.bundle_id)
        assert inst.server is not None
        url = inst.server.url
        inst.session_token = await self._link.login(server_url=url, login_id=login_id, password=password,
                                                    device_id=inst.build.device_id(inst.token))
        inst.server_url = url
        self._move(inst, Action.LOG_IN)
        if inst.permission is Permission.NOT_ASKED:  # doc step 1.5: "confirm you want to receive notifications"
            inst.permission = Permission.GRANTED if allow_notifications else Permission.DENIED
        await self._go_online(inst)

    async def _go_online(self, inst: AppInstance) -> None:
        # §8.1: the device id goes to the server again on every websocket (re)connect.
        inst.websocket = await self._link.open_websocket(server_url=inst.server_url, token=inst.session_token)
        await self._link.attach_device(server_url=inst.server_url, token=inst.session_token,
                                       device_id=inst.build.device_id(inst.token),
                                       notifications_disabled=self.effective_permission(inst) is not Permission.GRANTED,
                                       mobile_version=inst.build.version)

    async def log_out(self, *, bundle_id: str | None = None) -> None:
        """Log out: the server call is best effort, as in the app; local data goes either way."""
        inst = self.app(bundle_id)
        step(inst.state, Action.LOG_OUT)
        try:
            await self._link.logout(server_url=inst.server_url, token=inst.session_token)
        except LinkFailure:
            pass  # the app logs out locally even when the server cannot be told
        await self._drop_websocket(inst)
        self._move(inst, Action.LOG_OUT)
        inst.reset()

    async def to_background(self, *, bundle_id: str | None = None) -> None:
        """Home button: unset the active channel on the server and drop the websocket."""
        inst = self.app(bundle_id)
        self._move(inst, Action.BACKGROUND)
        try:
            await self._link.view_channel(server_url=inst.server_url, token=inst.session_token, channel_id="")
        except LinkFailure:
            pass  # best effort, as in the app: the closing websocket tells the server too
        inst.channel_on_screen = None
        await self._drop_websocket(inst)
        self._link.forget_connections()  # a suspended app's sockets do not survive

    async def to_foreground(self, *, bundle_id: str | None = None) -> None:
        """Open the app: a fresh start when it was killed, else a resume; reconnect and refresh the screen."""
        inst = self.app(bundle_id)
        cold = inst.state is AppState.KILLED
        self._move(inst, Action.FOREGROUND)
        if self._woke:
            self._work(Work.WAKE)
            self._woke = False
        self._work(Work.COLD_START if cold else Work.RESUME)
        if cold:  # the app checks the server and the user before anything else
            await self._link.client_config(server_url=inst.server_url)
            await self._link.me(server_url=inst.server_url, token=inst.session_token)
        await self._go_online(inst)
        if inst.last_channel is not None:
            await self._load_channel(inst, inst.last_channel, refresh=not cold)

    async def kill(self, *, bundle_id: str | None = None) -> None:
        """Swipe the app away."""
        inst = self.app(bundle_id)
        self._move(inst, Action.KILL)
        await self._drop_websocket(inst)
        inst.channel_on_screen = None
        self._link.forget_connections()

    async def uninstall(self, *, bundle_id: str | None = None) -> None:
        """Delete the app: its token dies with it (later pushes get Unregistered)."""
        inst = self.app(bundle_id)
        self._move(inst, Action.UNINSTALL)
        await self._drop_websocket(inst)
        self._registrar_for(inst.build).unregister(inst.token)
        self._set_token(inst, "")
        inst.reset()
        self.inbox.remove_app(inst.build.name)

    async def open_channel(self, channel_id: str, *, bundle_id: str | None = None) -> None:
        """Look at a channel in the app: tell the server, load its posts (all, or those since last time)."""
        inst = self.app(bundle_id)
        if inst.state is not AppState.FOREGROUND:
            raise ForbiddenTransition(f"cannot open a channel while the app is {inst.state.value}")
        await self._load_channel(inst, channel_id)

    async def _load_channel(self, inst: AppInstance, channel_id: str, *, refresh: bool = False) -> None:
        since, known = inst.cached.get(channel_id, (0, 0))
        if not refresh:  # a resumed app refreshes the screen it still has mounted
            self._work(Work.OPEN_SCREEN)
            self._work(Work.RENDER_CACHED_POST, known)
        await self._link.view_channel(server_url=inst.server_url, token=inst.session_token, channel_id=channel_id)
        inst.channel_on_screen = inst.last_channel = channel_id
        try:
            page = await self._link.channel_posts(server_url=inst.server_url, token=inst.session_token,
                                                  channel_id=channel_id, since=since)
        except ServerRefused as exc:  # the screen stays on what it has, as the app's does
            self._publish(ChannelLoaded(at=self._clock(), phone=self.name, channel_id=channel_id, cached=bool(since),
                                        posts=None, error=str(exc)))
            return
        posts = page.get("posts")
        stamps = [_created(p) for p in posts.values()] if isinstance(posts, Mapping) else []
        fresh = [t for t in stamps if t > since] if since else stamps  # a server may ignore ``since``
        self._work(Work.RENDER_POST, len(fresh))
        inst.cached[channel_id] = (max([since, *fresh]) or int(self._clock() * 1000), known + len(fresh))
        self._publish(ChannelLoaded(at=self._clock(), phone=self.name, channel_id=channel_id, cached=bool(since),
                                    posts=len(fresh)))

    async def _drop_websocket(self, inst: AppInstance) -> None:
        if inst.websocket is not None:
            ws, inst.websocket = inst.websocket, None
            await ws.close()

    # -- power -------------------------------------------------------------------------------
    def _power(self, action: PowerAction) -> None:
        before = self.power
        self.power = step_power(before, action, platform=self.platform)
        self._publish(PowerChanged(at=self._clock(), phone=self.name, action=action, before=before, after=self.power))

    async def sleep(self) -> None:
        """Screen off: the app in front goes to the background; the radio goes idle."""
        step_power(self.power, PowerAction.SLEEP, platform=self.platform)
        for inst in self.apps.values():
            if inst.state is AppState.FOREGROUND:
                await self.to_background(bundle_id=inst.build.bundle_id)
        self._link.forget_connections()
        self._power(PowerAction.SLEEP)

    def doze(self) -> None:
        """Android: the sleeping phone enters Doze (only high-priority FCM messages get through)."""
        self._power(PowerAction.DOZE)

    def wake(self) -> None:
        """Screen on (the apps stay where they were until the user opens one); held messages arrive."""
        self._power(PowerAction.WAKE)
        self._woke = True
        self.inbox.release()
        self._reachable()

    # -- pushes ------------------------------------------------------------------------------
    def holds(self, token: str) -> AppInstance | None:
        """The app that owns push token ``token``, if any."""
        return next((a for a in self.apps.values() if a.token and a.token == token), None)

    def receive(self, inst: AppInstance, payload: Mapping[str, Any], *, priority: str = "high") -> Reception:
        """The OS hands over one push for ``inst``: show, clear, badge and ack as the app would."""
        return self.inbox.receive(inst, payload, priority=priority)

    async def end_session(self, inst: AppInstance) -> None:
        """The server ended the session (a ``session`` push reached JS): log out locally."""
        if inst.state in (AppState.FOREGROUND, AppState.BACKGROUND):
            self._move(inst, Action.LOG_OUT)
            inst.reset()
            await self._drop_websocket(inst)

