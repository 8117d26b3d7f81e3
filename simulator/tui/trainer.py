"""Trainer mode as data: tours of the seed doc's procedures, one hop (or one move) per step, each
with a short caption quoting what the doc says happens. The screen performs a step's move on the
world, then waits for the step's hop or log line on the bus and shows it.

Patterns name components as the hops do; ``{phone}`` stands for Account A's phone and ``{token}``
for the start of its current push token (a reinstalled app has a new one).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from ..bus import EventBus
from ..events import HopAttempted, LogLine

PHONE = "{phone}"
TOKEN_SHOWN = 17  # the proxy's hop shows /3/device/ and this many characters of the token


class Move(StrEnum):
    """What a trainer step does to the world before it shows its hop."""

    SIGN_IN = "sign_in"  # A's app installed, signed in, in front
    BACKGROUND = "background"  # doc 2.2
    SEND = "send"  # doc 2.3–2.4
    REINSTALL = "reinstall"  # doc 3.2: delete the app, install it again, sign in
    DEBUG_LOG = "debug_log"  # doc 3.1: File Log Level = DEBUG


@dataclass(frozen=True, slots=True, kw_only=True)
class HopPattern:
    """Which hop a step shows: source, target and the start of the operation."""

    source: str
    target: str
    operation: str

    def matches(self, hop: HopAttempted, aliases: Mapping[str, str]) -> bool:
        """True for the hop this pattern means; ``aliases`` fill in ``{phone}`` and ``{token}``."""
        return (hop.source == self.source.format_map(aliases) and hop.target == self.target.format_map(aliases)
                and hop.operation.startswith(self.operation.format_map(aliases)))


@dataclass(frozen=True, slots=True, kw_only=True)
class LogPattern:
    """Which server log line a step shows."""

    level: str
    starts: str

    def matches(self, line: LogLine) -> bool:
        """True for the line this pattern means."""
        return line.level == self.level and line.message.startswith(self.starts)


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One step of a tour."""

    title: str
    caption: str
    move: Move | None = None
    hop: HopPattern | None = None
    log: LogPattern | None = None
    missing: str = ""  # what it means when the hop or line never comes


@dataclass(frozen=True, slots=True, kw_only=True)
class Tour:
    """A named sequence of steps."""

    name: str
    title: str
    steps: tuple[Step, ...]


_SEND_PUSH = HopPattern(source="chat", target="proxy", operation="POST /api/v1/send_push")
_TO_APNS = HopPattern(source="proxy", target="apns", operation="POST /3/device/{token}")
_TO_PHONE = HopPattern(source="apns", target=PHONE, operation="push to ")
_DEBUG_LINE = LogPattern(level="DEBUG", starts="Sending push notification to ")

DM = Tour(name="dm_background", title="What happens when a push notification is sent", steps=(
    Step(title="Account A signs in", move=Move.SIGN_IN,
         hop=HopPattern(source=PHONE, target="chat", operation="GET /api/v4/websocket"),
         caption="Account A uses the Mattermost app on an iPhone, signed in, notifications set to "
                 "'For mentions and direct messages' (doc 2.1). The app holds a websocket: A is online."),
    Step(title="A closes the app", move=Move.BACKGROUND,
         hop=HopPattern(source=PHONE, target="chat", operation="POST /api/v4/channels/members/me/view"),
         caption="'Have Account A close the mobile application, but do not log out' (doc 2.2). The app tells "
                 "the server no channel is on screen and drops its websocket."),
    Step(title="B sends Hello", move=Move.SEND,
         hop=HopPattern(source="account-b", target="chat", operation="POST /api/v4/posts"),
         caption="Account B, on the same team, sends the direct message 'Hello' to Account A (doc 2.3–2.4)."),
    Step(title="Server → push service", hop=_SEND_PUSH,
         caption="'A push notification is sent from the Mattermost server to the Mattermost Push Notification "
                 "Service over TLS' (What happens, step 1). Select the hop: the payload, its signature, who reads it.",
         missing="No push left the server: A is online (app in front), pushes are off, or A's settings say no."),
    Step(title="Push service → APNs", hop=_TO_APNS,
         caption="'The Push Notification Service forwards the message to APNS … signed with a key that's "
                 "registered with the receiving service' (step 2): HTTP/2 over TLS with an ES256 provider token.",
         missing="The push service never reached APNs: look at the send_push hop's answer."),
    Step(title="APNs → iPhone", hop=_TO_PHONE,
         caption="'APNS confirms the message … is authorized for the target mobile application and forwards "
                 "the message to the app to be displayed' (step 3). Look at A's lock screen.",
         missing="APNs did not deliver: see the APNs hop's status (a fault, a wrong key, an uninstalled app)."),
    Step(title="The app acknowledges",
         hop=HopPattern(source=PHONE, target="chat", operation="POST /api/v4/notifications/ack"),
         caption="The app's notification extension acknowledges receipt to your server (an ack with the ack id)."),
    Step(title="The server forwards the ack",
         hop=HopPattern(source="chat", target="proxy", operation="POST /api/v1/ack"),
         caption="The server passes the delivery receipt on to the push service. "
                 "The notification's journey is complete."),
))

TROUBLESHOOTING = Tour(name="troubleshooting", title="If you did not receive a push notification", steps=(
    Step(title="Log level DEBUG", move=Move.DEBUG_LOG,
         caption="'Under System Console > General > Logging > File Log Level select DEBUG in order to watch for "
                 "push notifications in the server log' (doc 3.1). The log panel now shows DEBUG lines."),
    Step(title="Reinstall and sign in", move=Move.REINSTALL,
         hop=HopPattern(source=PHONE, target="chat", operation="POST /api/v4/users/login"),
         caption="'Delete your mobile application, install it again and sign-in with Account A' (doc 3.2). The new "
                 "install registers a new push token, sent with the login as the device id."),
    Step(title="A closes the app", move=Move.BACKGROUND,
         hop=HopPattern(source=PHONE, target="chat", operation="POST /api/v4/channels/members/me/view"),
         caption="Repeat the trigger procedure: A closes the app without logging out (doc 2.2)."),
    Step(title="B sends Hello", move=Move.SEND,
         hop=HopPattern(source="account-b", target="chat", operation="POST /api/v4/posts"),
         caption="B sends 'Hello' to A again (doc 3.3: 'Repeat the Trigger a push notification procedure')."),
    Step(title="Look for the DEBUG line", log=_DEBUG_LINE,
         caption="'Look for a message similar to: [DEBG] Sending push notification to … wi msg of …' (doc 3.3). "
                 "It appears: the message was sent to the push service.",
         missing="'If the log message does not appear, it means no mobile push notification was sent to "
                 "Account A. Please repeat step 2 and double check each step.'"),
    Step(title="Push service → APNs", hop=_TO_APNS,
         caption="Past the server, follow the push to the new install's token: the proxy's request to APNs. "
                 "(The push to the deleted install's old token gets 410 Unregistered; the server drops that device.)",
         missing="The push service did not reach APNs: 'contact support … HPNS issue on Step 8'."),
    Step(title="APNs → iPhone", hop=_TO_PHONE,
         caption="APNs delivers to the reinstalled app's new token; the notification is on A's lock screen.",
         missing="Nothing reached the phone: see the APNs hop's status."),
))

TOURS: dict[str, Tour] = {tour.name: tour for tour in (DM, TROUBLESHOOTING)}


class Trainer:
    """A cursor over one tour's steps."""

    def __init__(self, tour: Tour) -> None:
        self.tour = tour
        self.index = -1

    @property
    def step(self) -> Step | None:
        """The step shown now (None before the first)."""
        return self.tour.steps[self.index] if 0 <= self.index < len(self.tour.steps) else None

    @property
    def done(self) -> bool:
        """True once the last step was shown."""
        return self.index >= len(self.tour.steps) - 1

    def advance(self) -> Step:
        """Move to the next step; raises IndexError past the last one."""
        if self.done:
            raise IndexError(f"the tour {self.tour.name!r} has no step after {len(self.tour.steps)}")
        self.index += 1
        return self.tour.steps[self.index]

    @property
    def position(self) -> str:
        """``"3/8"``."""
        return f"{self.index + 1}/{len(self.tour.steps)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class StepResult:
    """How one step went: the hop or log line it showed, and a line saying what happened."""

    step: Step
    ok: bool
    outcome: str
    hop: HopAttempted | None = None
    line: LogLine | None = None


# A move's performer returns (acted, what happened); acted is False when the world was already so.
Perform = Callable[[Move], Awaitable[tuple[bool, str]]]


class TourRunner:
    """Takes a tour's steps on a live world: performs each move, then awaits its hop or log line."""

    def __init__(self, trainer: Trainer, *, bus: EventBus, perform: Perform,
                 aliases: Callable[[], Mapping[str, str]], timeout: float = 5.0) -> None:
        self.trainer, self.bus, self.perform, self.aliases, self.timeout = trainer, bus, perform, aliases, timeout
        self._anchor = bus.mark()
        self._broken = ""  # the failed hop that stops the rest of this chain

    async def next(self) -> StepResult:
        """Take the next step; raises IndexError after the last."""
        step = self.trainer.advance()
        note = ""
        if step.move is not None:
            self._anchor, self._broken = self.bus.mark(), ""
            acted, note = await self.perform(step.move)
            if not acted or (step.hop is None and step.log is None):
                return StepResult(step=step, ok=True, outcome=note)
        if self._broken:
            return StepResult(step=step, ok=False, outcome=f"Not reached: {self._broken}. {step.missing}".strip())
        try:
            return await self._await_fact(step)
        except TimeoutError:
            self._broken = f"step {self.trainer.position} ({step.title}) did not happen"
            outcome = f"Not seen within {self.timeout:g} s. {step.missing}".strip()
            return StepResult(step=step, ok=False, outcome=outcome)

    async def _await_fact(self, step: Step) -> StepResult:
        if step.hop is not None:
            pattern, aliases = step.hop, self.aliases()
            hop = await self.bus.wait_for(HopAttempted, lambda h: pattern.matches(h, aliases),
                                          since=self._anchor, timeout=self.timeout)
            if not hop.ok:
                self._broken = f"{hop.source} → {hop.target} failed ({hop.outcome[:60]})"
            return StepResult(step=step, ok=hop.ok, hop=hop,
                              outcome=f"{hop.source} → {hop.target}  {hop.operation}  ⇒ {hop.outcome[:70]}")
        if step.log is not None:
            pattern_log = step.log
            line = await self.bus.wait_for(LogLine, pattern_log.matches, since=self._anchor, timeout=self.timeout)
            return StepResult(step=step, ok=True, line=line, outcome=f"[{line.level}] {line.message}")
        return StepResult(step=step, ok=True, outcome="done")
