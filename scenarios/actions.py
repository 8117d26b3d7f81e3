"""Actions (``do = "<kind>"``): what people do with their phones and their chat accounts.

Each kind is a small frozen class: ``parse`` reads its fields (load time), ``describe`` names it in
progress lines, ``run`` does it through the world's real interfaces (the phone's app over HTTPS,
Account B's browser client). Admin and harness controls live in ``controls.py``.
``run`` returns a short detail for the progress line, or raises ``StepFailed``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from fake_devices import (MATTERMOST_ANDROID, MATTERMOST_ANDROID_BETA, MATTERMOST_IOS, MATTERMOST_IOS_BETA, AppBuild,
                          AppState, Platform, enterprise_build)
from simulator.config import SimConfig
from simulator.proxy import Role

from .model import StepFailed
from .steps import Fields, action

if TYPE_CHECKING:
    from .runner import World


class App(StrEnum):
    """Apps a phone can install: the store builds, or the world's own Enterprise-App-Store build."""

    MATTERMOST = "mattermost"
    MATTERMOST_BETA = "mattermost_beta"
    EAS = "eas"  # built from [world] ios_bundle_id / ios_push_type, android_package / …, firebase_project_id


_BUILDS = {(App.MATTERMOST, Platform.IOS): MATTERMOST_IOS, (App.MATTERMOST_BETA, Platform.IOS): MATTERMOST_IOS_BETA,
           (App.MATTERMOST, Platform.ANDROID): MATTERMOST_ANDROID,
           (App.MATTERMOST_BETA, Platform.ANDROID): MATTERMOST_ANDROID_BETA}


def eas_build(world: SimConfig, platform: Platform, name: str) -> AppBuild:
    """The EAS world's own app for ``platform``: its bundle id / package, push type and Firebase project."""
    if platform is Platform.IOS:
        return enterprise_build(name=name, bundle_id=world.ios_bundle_id, platform=platform,
                                device_prefix=world.ios_push_type)
    return enterprise_build(name=name, bundle_id=world.android_package, platform=platform,
                            device_prefix=world.android_push_type, push_project=world.firebase_project_id)


@action("install")
@dataclass(frozen=True, slots=True)
class Install:
    """Install an app for the phone's platform (``development = true``: an iOS debug build, sandbox token)."""

    phone: str
    app: App
    build: AppBuild

    @classmethod
    def parse(cls, f: Fields) -> Install:
        phone, app = f.phone(), f.choice("app", App, App.MATTERMOST)
        platform = Platform(f.cast.platforms.get(phone, "ios"))
        development, name = f.flag("development", False), f.text("name", None)
        if development and platform is not Platform.IOS:
            raise f.error("development", "a development build's sandbox token is an APNs (iOS) notion; "
                                         f"{phone} is an Android phone")
        if name is not None and app is not App.EAS:
            raise f.error("name", "only app = 'eas' (your own build) takes a name")
        if app is App.EAS and Role(f.cast.world.role) is not Role.EAS:
            raise f.error("app", "'eas' is the world's own Enterprise-App-Store build: set [world] role = 'EAS' "
                                 "with its ios_bundle_id, ios_push_type, team_id, key_id, android_package, ...")
        build = eas_build(f.cast.world, platform, name or "EAS build") if app is App.EAS else _BUILDS[(app, platform)]
        return cls(phone, app, replace(build, sandbox=development))

    def describe(self) -> str:
        what = self.app.value
        if self.app is App.EAS:
            what += f" ({self.build.name}, {self.build.bundle_id})"
        return f"install {what}{' (development build)' if self.build.sandbox else ''} on {self.phone}"

    async def run(self, world: World) -> str:
        world.phones[self.phone].install(self.build)
        return f"push token {world.token_of(self.phone)[:12]}…"


@action("log_in")
@dataclass(frozen=True, slots=True)
class LogIn:
    """Sign in to the chat server in the app (it sends its device id and stays in front)."""

    phone: str
    user: str

    @classmethod
    def parse(cls, f: Fields) -> LogIn:
        return cls(f.phone(), f.user())

    def describe(self) -> str:
        return f"log in as {self.user} on {self.phone}"

    async def run(self, world: World) -> str:
        await world.phones[self.phone].log_in(world.sim.chat.url, self.user, world.password(self.user))
        world.phone_users[self.phone] = self.user
        return ""


@dataclass(frozen=True, slots=True)
class _PhoneMove:
    phone: str
    verb = ""

    @classmethod
    def parse(cls, f: Fields) -> _PhoneMove:
        return cls(f.phone())

    def describe(self) -> str:
        return f"{self.verb} {self.phone}"

    async def run(self, world: World) -> str:
        phone = world.phones[self.phone]
        world.token_of(self.phone)  # an uninstall forgets the token; the world keeps it for expectations
        await getattr(phone, {"background": "to_background", "foreground": "to_foreground"}.get(self.verb, self.verb))()
        if self.verb in ("log_out", "uninstall"):
            world.phone_users.pop(self.phone, None)
        return ""


@action("background")
class Background(_PhoneMove):
    """Leave the app without logging out (doc step 2.2)."""

    verb = "background"


@action("foreground")
class Foreground(_PhoneMove):
    """Open the app again."""

    verb = "foreground"


@action("kill")
class Kill(_PhoneMove):
    """Swipe the app away."""

    verb = "kill"


@action("uninstall")
class Uninstall(_PhoneMove):
    """Delete the app: its push token dies with it."""

    verb = "uninstall"


@action("log_out")
class LogOut(_PhoneMove):
    """Log out in the app: the server revokes the session, so no push goes to this phone any more."""

    verb = "log_out"

    def describe(self) -> str:
        return f"log out of the app on {self.phone}"


@action("reinstall")
@dataclass(frozen=True, slots=True)
class Reinstall:
    """Delete the app if present, install the same build again, optionally sign in (troubleshooting 3.2)."""

    phone: str
    user: str | None

    @classmethod
    def parse(cls, f: Fields) -> Reinstall:
        return cls(f.phone(), f.user("user", None))

    def describe(self) -> str:
        return f"reinstall the app on {self.phone}" + (f" and log in as {self.user}" if self.user else "")

    async def run(self, world: World) -> str:
        phone = world.phones[self.phone]
        if not phone.apps:
            raise StepFailed(f"no app was ever installed on {self.phone}, so none can be reinstalled")
        inst = phone.app()
        if inst.state is not AppState.NOT_INSTALLED:
            world.token_of(self.phone)  # remember the old token: expectations may name it later
            await phone.uninstall()
        phone.install(inst.build)
        token = world.token_of(self.phone)
        if self.user:
            await LogIn(self.phone, self.user).run(world)
        return f"new push token {token[:12]}…"


@action("send_dm")
@dataclass(frozen=True, slots=True)
class SendDm:
    """One user sends another a direct message from the web (doc steps 2.3–2.4); ``count`` sends several."""

    sender: str
    to: str
    message: str
    alias: str | None
    count: int = 1

    @classmethod
    def parse(cls, f: Fields) -> SendDm:
        step = cls(f.user("from"), f.user("to"), f.text("message", "Hello"), None, f.integer("count", 1, minimum=1))
        if step.count > 1 and f.has("as"):
            raise f.error("as", "names one post; it cannot name the posts of count > 1")
        return replace(step, alias=f.alias())

    def describe(self) -> str:
        many = f" ×{self.count} (numbered)" if self.count > 1 else ""
        return f'{self.sender} sends "{self.message}"{many} to {self.to} in a DM'

    def texts(self) -> list[str]:
        """The messages to send: the text itself, or "<text> 1" … "<text> N"."""
        return [self.message] if self.count == 1 else [f"{self.message} {i}" for i in range(1, self.count + 1)]

    async def run(self, world: World) -> str:
        client, token = await world.web(self.sender)
        url = world.sim.chat.url
        channel = await client.direct_channel(server_url=url, token=token,
                                              user_ids=(world.user_ids[self.sender], world.user_ids[self.to]))
        for text in self.texts():
            post = await client.post(server_url=url, token=token, channel_id=channel["id"], message=text)
        return _remember(world, self.alias, post["id"]) if self.count == 1 else f"{self.count} posts"


def _remember(world: World, alias: str | None, post_id: str) -> str:
    if alias:
        world.posts[alias] = post_id
    return f"post {post_id}"


@action("post")
@dataclass(frozen=True, slots=True)
class PostMessage:
    """A user posts in a team channel (``mention`` prefixes ``@<user>``)."""

    sender: str
    channel: str
    message: str
    mention: str | None
    alias: str | None

    @classmethod
    def parse(cls, f: Fields) -> PostMessage:
        return cls(f.user("from"), f.channel(), f.text("message", "Hello"), f.user("mention", None), f.alias())

    def describe(self) -> str:
        return f'{self.sender} posts "{self.text}" in {self.channel}'

    @property
    def text(self) -> str:
        return f"@{self.mention} {self.message}" if self.mention else self.message

    async def run(self, world: World) -> str:
        client, token = await world.web(self.sender)
        post = await client.post(server_url=world.sim.chat.url, token=token,
                                 channel_id=world.channel_id(self.channel), message=self.text)
        return _remember(world, self.alias, post["id"])


@action("read_channel")
@dataclass(frozen=True, slots=True)
class ReadChannel:
    """Open a channel in the app: a team channel, the DM ``with`` a user, or the channel of a post."""

    phone: str
    channel: str | None
    with_user: str | None
    post: str | None

    @classmethod
    def parse(cls, f: Fields) -> ReadChannel:
        step = cls(f.phone(), f.channel("channel", None), f.user("with", None), f.post())
        if sum(v is not None for v in (step.channel, step.with_user, step.post)) != 1:
            raise f.error("channel", "give exactly one of 'channel', 'with' (a DM partner) or 'post'")
        return step

    def describe(self) -> str:
        what = self.channel or (f"the DM with {self.with_user}" if self.with_user else f"the channel of {self.post}")
        return f"open {what} on {self.phone}"

    async def run(self, world: World) -> str:
        core = world.sim.chat_core
        if self.channel:
            channel_id = world.channel_id(self.channel)
        elif self.with_user:
            me = world.phone_users.get(self.phone)
            if me is None:
                raise StepFailed(f"nobody is logged in on {self.phone}")
            channel_id = core.create_direct_channel(world.user_ids[me], world.user_ids[self.with_user]).id
        else:
            channel_id = core.post(world.posts[str(self.post)]).channel_id
        await world.phones[self.phone].open_channel(channel_id)
        return f"channel {channel_id}"
