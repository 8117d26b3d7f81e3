"""The moves the TUI's controls make on a running A/B DM world, and which of them the world
supports. Every move either acts or raises ``Unavailable`` with the reason: never a silent no-op.

The moves use the world's public handles (the phones, ``sim.faults``, the chat server's settings
backdoor); they belong on ``Simulator`` once it grows command methods (STYLE §3).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from fake_apns import PendingFault, Reason
from fake_devices import MATTERMOST_IOS, AppBuild, AppState, Phone

from ..chat.models import ContentsMode
from ..config import SimConfig
from ..harness import Simulator
from ..proxy.config import Role
from ..story import PASSWORD, DmCast, send_dm
from .trainer import Move


class PushServer(StrEnum):
    """The doc's three push services, plus "off" (Send Push Notifications = false)."""

    HPNS = "HPNS"
    TPNS = "TPNS"
    EAS = "EAS"
    OFF = "off"


class Unavailable(Exception):
    """The world cannot do this move; the message says why."""


# An Enterprise-App-Store world: your own app build, proxy, APNs key and Apple team (the doc's EAS).
EAS_APP = AppBuild(name="Acme Chat", bundle_id="com.example.acmechat", device_prefix="apple_acme")
EAS_TEAM, EAS_KEY = "ACMETEAM01", "ACMEKEY001"
SERVER_NOTES = {
    PushServer.HPNS: "Mattermost's hosted proxy over TLS (restarts the world if another one runs)",
    PushServer.TPNS: "the free test service, reached over plain HTTP (port 80): a new world",
    PushServer.EAS: "your own proxy, app build, APNs key and team: a new world",
    PushServer.OFF: "Send Push Notifications = false on the chat server",
}


def world_config(base: SimConfig, server: PushServer) -> SimConfig:
    """The world ``server`` needs, derived from the user's own settings ``base`` (mattermost-push.md §9)."""
    if server is PushServer.EAS:
        return base if base.role is Role.EAS else replace(
            base, role=Role.EAS, proxy_tls=True, ios_bundle_id=EAS_APP.bundle_id, ios_push_type=EAS_APP.device_prefix,
            team_id=EAS_TEAM, key_id=EAS_KEY)
    public = SimConfig() if base.role is Role.EAS else base  # the public apps' topic, key and team
    return replace(base, role=Role.TPNS if server is PushServer.TPNS else Role.HPNS,
                   proxy_tls=server is not PushServer.TPNS, ios_bundle_id=public.ios_bundle_id,
                   ios_push_type=public.ios_push_type, team_id=public.team_id, key_id=public.key_id)


def app_build(config: SimConfig) -> AppBuild:
    """The app build the world's proxy can reach: the public app, or the EAS world's own build."""
    if config.role is Role.EAS:
        return replace(EAS_APP, bundle_id=config.ios_bundle_id, device_prefix=config.ios_push_type)
    return MATTERMOST_IOS


class Controls:
    """World moves over one running Simulator and its cast."""

    def __init__(self, sim: Simulator, cast: DmCast) -> None:
        self.sim, self.cast = sim, cast
        self.sent = 0

    @property
    def phone(self) -> Phone:
        """Account A's phone."""
        return self.cast.phone

    @property
    def app_state(self) -> AppState:
        """Account A's app state (not installed when it has never been installed)."""
        return next(iter(self.phone.apps.values())).state if self.phone.apps else AppState.NOT_INSTALLED

    @property
    def push_server(self) -> PushServer:
        """The push server in use now."""
        if not self.sim.chat_core.config.send_push_notifications:
            return PushServer.OFF
        return PushServer(self.sim.config.role.value)

    async def send_dm(self, message: str = "") -> dict[str, Any]:
        """Account B sends a DM to Account A ("Hello", then "Hello 2", …); returns the post."""
        self.sent += 1
        return await send_dm(self.sim, self.cast, message or ("Hello" if self.sent == 1 else f"Hello {self.sent}"))

    async def toggle_app(self) -> AppState:
        """Foreground ↔ background; a killed app is opened again."""
        state = self.app_state
        if state is AppState.FOREGROUND:
            await self.phone.to_background()
        elif state in (AppState.BACKGROUND, AppState.KILLED):
            await self.phone.to_foreground()
        else:
            raise Unavailable(f"A's app is {state.value}: reinstall and sign in first (u)")
        return self.app_state

    def sleep_support(self) -> str:
        """"" when the phone can sleep, else why not."""
        if callable(getattr(self.phone, "sleep", None)) and callable(getattr(self.phone, "wake", None)):
            return ""
        return "this fake_devices build has no sleep/wake: killing / reopening the app instead"

    @property
    def asleep(self) -> bool:
        """True when the phone's screen is off."""
        return str(getattr(self.phone, "power", "awake")) != "awake"

    async def sleep_or_wake(self) -> str:
        """Sleep or wake A's phone (kill / reopen the app when phones cannot sleep); says what happened."""
        if self.sleep_support():
            if self.app_state in (AppState.FOREGROUND, AppState.BACKGROUND):
                await self.phone.kill()
                return "A's app killed (swiped away)"
            await self.toggle_app()
            return "A's app reopened"
        waking = self.asleep
        result = (self.phone.wake if waking else self.phone.sleep)()  # type: ignore[attr-defined]
        if inspect.isawaitable(result):
            await result
        return "A's phone woke up" if waking else "A's phone went to sleep"

    async def uninstall_or_reinstall(self) -> AppState:
        """Delete A's app, or install it again and sign in (troubleshooting step 3.2)."""
        if self.app_state is not AppState.NOT_INSTALLED:
            await self.phone.uninstall()
            return self.app_state
        self.phone.install(app_build(self.sim.config))
        await self.phone.log_in(self.sim.chat.url, "accounta", PASSWORD)
        return self.app_state

    async def ensure_signed_in(self) -> None:
        """A's app installed, signed in and in front: the trainer's starting point."""
        if self.app_state is AppState.NOT_INSTALLED:
            await self.uninstall_or_reinstall()
        elif self.app_state is AppState.LOGGED_OUT:
            await self.phone.log_in(self.sim.chat.url, "accounta", PASSWORD)
        elif self.app_state is not AppState.FOREGROUND:
            await self.phone.to_foreground()

    async def to_background(self) -> None:
        """Doc step 2.2: close the app without logging out."""
        if self.app_state is not AppState.BACKGROUND:
            await self.phone.to_background()

    async def tour_move(self, move: Move) -> tuple[bool, str]:
        """A trainer step's move on the world: (acted, what happened); acted is False when it was already so."""
        before = self.app_state
        match move:
            case Move.SIGN_IN:
                await self.ensure_signed_in()
                return self.app_state is not before, "A is signed in with the app in front"
            case Move.BACKGROUND:
                await self.to_background()
                return self.app_state is not before, "A's app is in the background"
            case Move.SEND:
                post = await self.send_dm()
                return True, f"Account B sent {post['message']!r} to Account A"
            case Move.REINSTALL:
                if before is not AppState.NOT_INSTALLED:
                    await self.uninstall_or_reinstall()
                await self.uninstall_or_reinstall()
                return True, "A's app deleted, installed again, signed in"
        raise Unavailable(f"the world has no move {move.value!r}")

    def set_contents(self, mode: ContentsMode) -> None:
        """``PushNotificationContents`` on the chat server."""
        core = self.sim.chat_core
        core.config = replace(core.config, contents=ContentsMode(mode))

    def set_push_enabled(self, enabled: bool) -> None:
        """``SendPushNotifications`` on the chat server."""
        core = self.sim.chat_core
        core.config = replace(core.config, send_push_notifications=enabled)

    def inject_fault(self, reason: Reason, *, times: int = 1) -> tuple[PendingFault, ...]:
        """The next ``times`` APNs requests are rejected with ``reason``; returns what is queued."""
        self.sim.faults.push(Reason(reason), times=times)
        return self.sim.faults.pending

    def clear_faults(self) -> None:
        """Drop queued APNs faults."""
        self.sim.faults.clear()


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerChoice:
    """One push server option and whether picking it restarts the world."""

    server: PushServer
    restart: bool
    note: str


def plan_switch(current_role: Role, server: PushServer) -> ServerChoice:
    """What picking ``server`` does in a world whose proxy plays ``current_role``."""
    restart = server is not PushServer.OFF and server.value != current_role.value
    return ServerChoice(server=server, restart=restart, note=SERVER_NOTES[server])
