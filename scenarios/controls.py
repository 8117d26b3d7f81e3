"""Controls (``do = "<kind>"``): what admins, users' preferences and the test harness change.

Server settings are ``ChatConfig`` fields (a new field is a new setting, no code here changes);
the push server is picked as the System Console's dropdown does; notification preferences and
statuses go through the chat core as the API would; faults go to APNs' or FCM's fault queue;
time moves only on the world's fake clock.
"""

from __future__ import annotations

from dataclasses import dataclass, fields as dataclass_fields, replace
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any, cast

from fake_apns import Reason
from fake_fcm import FcmError
from simulator import FakeClock
from simulator.chat.models import DEFAULT_CHANNEL_NOTIFY_PROPS, DEFAULT_USER_NOTIFY_PROPS, ChatConfig, Status
from simulator.chat.fanout import FanOut
from simulator.chat.ids import IdFactory
from simulator.chat.settings import PushServerOption

from .model import StepFailed
from .steps import UNAVAILABLE, Fields, action

if TYPE_CHECKING:
    from .runner import World


_SETTINGS = {f.name: f for f in dataclass_fields(ChatConfig)}


@action("change_setting")
@dataclass(frozen=True, slots=True)
class ChangeSetting:
    """An admin changes one chat server setting (a ``ChatConfig`` field, e.g. ``contents``)."""

    setting: str
    value: Any

    @classmethod
    def parse(cls, f: Fields) -> ChangeSetting:
        setting = f.text("setting")
        if setting not in _SETTINGS:
            raise f.error("setting", f"unknown server setting {setting!r} (known: {', '.join(sorted(_SETTINGS))})")
        return cls(setting, _setting_value(f, setting))

    def describe(self) -> str:
        shown = self.value.value if isinstance(self.value, Enum) else self.value
        return f"set the server's {self.setting} to {shown!r}"

    async def run(self, world: World) -> str:
        core = world.sim.chat_core
        core.config = replace(core.config, **{self.setting: self.value})
        return ""


def _setting_value(f: Fields, setting: str) -> Any:
    default = getattr(ChatConfig(), setting)
    if isinstance(default, Enum):
        return f.choice("value", type(default))
    if isinstance(default, bool):
        return f.flag("value")
    if isinstance(default, int):
        return f.integer("value")
    return f.text("value")


_NOTIFY_CHOICES = {"push": ("all", "mention", "none"), "push_status": ("online", "away", "offline"),
                   "push_threads": ("all", "mention")}
_USER_PROPS = tuple(DEFAULT_USER_NOTIFY_PROPS) + ("mention_keys",)
_CHANNEL_PROPS = tuple(DEFAULT_CHANNEL_NOTIFY_PROPS)


@action("set_notifications")
@dataclass(frozen=True, slots=True)
class SetNotifications:
    """A user's notification preferences (Account Settings > Notifications), or one channel's."""

    user: str
    channel: str | None
    props: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, f: Fields) -> SetNotifications:
        user, channel = f.user(), f.channel("channel", None)
        keys = _CHANNEL_PROPS if channel else _USER_PROPS
        props = tuple((k, v) for k in keys if (v := f.text(k, None)) is not None)
        for key, value in props:
            allowed = _NOTIFY_CHOICES.get(key, ())
            if channel and key == "push":
                allowed = ("default",) + allowed
            if allowed and value not in allowed:
                raise f.error(key, f"{value!r} is not one of {', '.join(allowed)}")
        if not props:
            raise f.error("push", f"set at least one preference (known: {', '.join(keys)})")
        return cls(user, channel, props)

    def describe(self) -> str:
        where = f" in {self.channel}" if self.channel else ""
        return f"{self.user} sets " + ", ".join(f"{k}={v}" for k, v in self.props) + where

    async def run(self, world: World) -> str:
        core, user_id = world.sim.chat_core, world.user_ids[self.user]
        if self.channel:
            core.patch_channel_notify_props(world.channel_id(self.channel), user_id, dict(self.props))
        else:
            core.patch_notify_props(user_id, dict(self.props))
        return ""


@action("mute_channel")
@dataclass(frozen=True, slots=True)
class MuteChannel:
    """A user mutes (or, with ``muted = false``, unmutes) a channel."""

    user: str
    channel: str
    muted: bool

    @classmethod
    def parse(cls, f: Fields) -> MuteChannel:
        return cls(f.user(), f.channel(), f.flag("muted", True))

    def describe(self) -> str:
        return f"{self.user} {'mutes' if self.muted else 'unmutes'} {self.channel}"

    async def run(self, world: World) -> str:
        world.sim.chat_core.patch_channel_notify_props(world.channel_id(self.channel), world.user_ids[self.user],
                                                       {"mark_unread": "mention" if self.muted else "all"})
        return ""


@action("set_status")
@dataclass(frozen=True, slots=True)
class SetStatus:
    """A user sets their status by hand (``dnd``, ``away``, ``offline``, ``online``, ``ooo``)."""

    user: str
    status: Status

    @classmethod
    def parse(cls, f: Fields) -> SetStatus:
        return cls(f.user(), f.choice("status", Status))

    def describe(self) -> str:
        return f"{self.user} sets status {self.status.value}"

    async def run(self, world: World) -> str:
        world.sim.chat_core.set_status(world.user_ids[self.user], self.status, manual=True)
        return ""


@action("choose_push_server")
@dataclass(frozen=True, slots=True)
class ChoosePushServer:
    """System Console > Push Notification Server: ``off``, ``hpns``, ``tpns``, or ``custom`` with a ``url``."""

    option: PushServerOption
    url: str

    @classmethod
    def parse(cls, f: Fields) -> ChoosePushServer:
        option, url = f.choice("option", PushServerOption), f.text("url", "")
        if (option is PushServerOption.CUSTOM) != bool(url):
            raise f.error("url", "give a url with option = 'custom' (Manually enter …), and only then")
        if url and not url.startswith(("http://", "https://")):
            raise f.error("url", f"must start with http:// or https://, got {url!r}")
        return cls(option, url)

    def describe(self) -> str:
        return f'choose "{self.option.label}"' + (f" {self.url}" if self.url else "")

    async def run(self, world: World) -> str:
        config = world.sim.chat_core.choose_push_server(self.option, self.url)
        return config.push_server_url if config.send_push_notifications else "push notifications off"


@dataclass(frozen=True, slots=True)
class UseOutboundProxy:
    """The server reaches its push server through the world's CONNECT proxy (its HTTPS_PROXY), or directly."""

    enabled: bool

    @classmethod
    def parse(cls, f: Fields) -> UseOutboundProxy:
        return cls(f.flag("enabled", True))

    def describe(self) -> str:
        return "the chat server " + ("sends its pushes through the outbound CONNECT proxy" if self.enabled
                                     else "reaches its push server directly")

    async def run(self, world: World) -> str:
        core = world.sim.chat_core
        change: dict[str, Any] = {"outbound_proxy": world.sim.connect.url if self.enabled else ""}
        core.config = replace(core.config, **change)
        return core.config.push_server_url


# The doc's "Internal proxy configuration" needs the server's outbound proxy setting (the world's
# ChatConfig.outbound_proxy); until the world has it, a file using the step is refused by name.
if "outbound_proxy" in _SETTINGS:
    action("use_outbound_proxy")(UseOutboundProxy)
else:
    UNAVAILABLE["use_outbound_proxy"] = ("the chat server has no outbound proxy (HTTPS_PROXY) setting yet: "
                                         "ChatConfig.outbound_proxy (world issue)")


class _ServerIds:
    """The chat server's own id stream, so an unsigned fan-out draws the same ack ids a signing one would."""

    def __init__(self, world: World) -> None:
        self.new_id = world.sim.chat_core.new_id


@action("sign_pushes")
@dataclass(frozen=True, slots=True)
class SignPushes:
    """Turn the chat server's push signatures off (``enabled = false``) or back on (§7.12)."""

    enabled: bool

    @classmethod
    def parse(cls, f: Fields) -> SignPushes:
        return cls(f.flag("enabled"))

    def describe(self) -> str:
        return f"the chat server {'signs' if self.enabled else 'stops signing'} its pushes"

    async def run(self, world: World) -> str:
        core = world.sim.chat_core
        if self.enabled:
            core.fan = world.signing_fan or core.fan
            world.signing_fan = None
        elif world.signing_fan is None:
            # The world has no signing switch: an unsigned fan-out takes the signing one's place
            # (the proxy then sends "NO_SIGNATURE", §4.2).
            world.signing_fan = core.fan
            core.fan = FanOut(sessions=core.sessions, ids=cast(IdFactory, _ServerIds(world)), signer=None,
                              server_id=core.diagnostic_id)
        return ""


class Service(StrEnum):
    """Push services faults can be injected into."""

    APNS = "apns"
    FCM = "fcm"


_REASONS: dict[Service, type[StrEnum]] = {Service.APNS: Reason, Service.FCM: FcmError}


@action("inject_fault")
@dataclass(frozen=True, slots=True)
class InjectFault:
    """APNs (``reason``) or FCM (an error code) refuses the next ``times`` pushes (to ``phone``, if given)."""

    service: Service
    reason: Any  # fake_apns.Reason | fake_fcm.FcmError
    times: int
    phone: str | None

    @classmethod
    def parse(cls, f: Fields) -> InjectFault:
        service = f.choice("service", Service, Service.APNS)
        return cls(service, f.choice("reason", _REASONS[service]), f.integer("times", 1, minimum=1),
                   f.phone("phone", None))

    def describe(self) -> str:
        target = f" for {self.phone}" if self.phone else ""
        status = self.reason.status if self.service is Service.APNS else self.reason.http_status
        return f"{self.service.value} answers {self.reason.value} ({status}) {self.times}×{target}"

    async def run(self, world: World) -> str:
        token = world.token_of(self.phone) if self.phone else None
        if self.phone and not token:
            raise StepFailed(f"{self.phone} has no push token (is its app installed?)")
        faults = world.sim.faults if self.service is Service.APNS else world.sim.fcm_core.faults
        faults.push(self.reason, times=self.times, token=token)
        return ""


@action("advance_clock")
@dataclass(frozen=True, slots=True)
class AdvanceClock:
    """Move the world's fake clock forward (``seconds``, ``minutes`` or ``hours``); the server's jobs run."""

    seconds: float

    @classmethod
    def parse(cls, f: Fields) -> AdvanceClock:
        units = {"seconds": 1, "minutes": 60, "hours": 3600}
        given = [(u, f.number(u, None, positive=True)) for u in units]
        chosen = [(u, v) for u, v in given if v is not None]
        if len(chosen) != 1:
            raise f.error("seconds", "give exactly one of 'seconds', 'minutes' or 'hours'")
        unit, value = chosen[0]
        return cls(float(value) * units[unit])

    def describe(self) -> str:
        return f"advance the clock by {self.seconds:g}s"

    async def run(self, world: World) -> str:
        if not isinstance(world.sim.clock, FakeClock):
            raise StepFailed("advance_clock needs a world built with a FakeClock")
        # "Two hours later" starts from a quiet world: a push still in flight would otherwise see
        # its 30 s send deadline pass in the jump and fail (mattermost-push.md §4.4).
        await world.settle()
        await world.sim.advance(self.seconds)  # proxy timers fire, expired notifications are swept
        await world.settle()  # what the jump set off (e.g. Session Expired pushes) belongs to this step
        return ""
