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

from fake_devices import MATTERMOST_IOS, MATTERMOST_IOS_BETA, AppState

from .model import StepFailed
from .steps import Fields, action

if TYPE_CHECKING:
    from .runner import World


class App(StrEnum):
    """Apps a phone can install today."""

    MATTERMOST = "mattermost"
    MATTERMOST_BETA = "mattermost_beta"


_BUILDS = {App.MATTERMOST: MATTERMOST_IOS, App.MATTERMOST_BETA: MATTERMOST_IOS_BETA}


@action("install")
@dataclass(frozen=True, slots=True)
class Install:
    """Install an app (``development = true``: a debug build whose token is a sandbox token)."""

    phone: str
    app: App
    development: bool

    @classmethod
    def parse(cls, f: Fields) -> Install:
        return cls(f.phone(), f.choice("app", App, App.MATTERMOST), f.flag("development", False))

    def describe(self) -> str:
        return f"install {self.app.value}{' (development build)' if self.development else ''} on {self.phone}"

    async def run(self, world: World) -> str:
        build = replace(_BUILDS[self.app], sandbox=self.development)
        world.phones[self.phone].install(build)
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
    """One user sends another a direct message from the web (doc steps 2.3–2.4)."""

    sender: str
    to: str
    message: str
    alias: str | None

    @classmethod
    def parse(cls, f: Fields) -> SendDm:
        return cls(f.user("from"), f.user("to"), f.text("message", "Hello"), f.alias())

    def describe(self) -> str:
        return f'{self.sender} sends "{self.message}" to {self.to} in a DM'

    async def run(self, world: World) -> str:
        client, token = await world.web(self.sender)
        url = world.sim.chat.url
        channel = await client.direct_channel(server_url=url, token=token,
                                              user_ids=(world.user_ids[self.sender], world.user_ids[self.to]))
        post = await client.post(server_url=url, token=token, channel_id=channel["id"], message=self.message)
        return _remember(world, self.alias, post["id"])


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
