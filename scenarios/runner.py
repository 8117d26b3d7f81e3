"""Play a loaded scenario against a fresh world and report each step.

Rule 1: the runner never sleeps to synchronise. Actions return when their request was answered;
expectations await bus facts with deadlines (``bus.wait_for``), and absence checks first wait for
the world's accepted work to finish (``sim.settle``).
Rule 2: an expectation looks at the facts published since the latest action began (``World.since``),
so "the notification" means the one that action caused, not one from earlier in the story.
Rule 3: the first failing step ends the scenario; the rest are reported as skipped, never as passed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import replace
from typing import TextIO

from fake_devices import Phone, Platform
from simulator import FakeClock, Simulator, WorldFailed
from simulator.chat.fanout import FanOut
from simulator.chat.models import ChannelType
from simulator.links import MattermostClient
from simulator.recording import Recorder

from .model import Scenario, Step, StepFailed
from .report import ScenarioResult, StepResult, StepStatus

ACTION_TIMEOUT = 10.0  # an action that hangs this long is a failure, not a stuck CI job
SETTLE_TIMEOUT = 5.0

Progress = Callable[[Scenario, StepResult], None]


class World:
    """A scenario's view of a running ``Simulator``: the cast by name, post aliases, the time mark."""

    def __init__(self, sim: Simulator, scenario: Scenario) -> None:
        self.sim, self.scenario = sim, scenario
        self.team_id = ""
        self.user_ids: dict[str, str] = {}
        self.phones: dict[str, Phone] = {}
        self.phone_users: dict[str, str] = {}  # phone name -> username logged in on it
        self.posts: dict[str, str] = {}  # alias -> post id
        self.tokens: dict[str, set[str]] = {}  # phone name -> every push token its apps ever held
        self.since = 0  # bus mark taken when the latest action began
        self.signing_fan: FanOut | None = None  # the server's signing fan-out while sign_pushes is off
        self._web: dict[str, tuple[MattermostClient, str]] = {}

    async def cast(self) -> None:
        """Create the team, users, channels and phones the scenario names (over the chat core's backdoor)."""
        try:
            self._cast()
        except Exception as exc:  # noqa: BLE001 - e.g. a username the server refuses: one line, not a crash
            raise StepFailed(f"the cast could not be set up: {type(exc).__name__}: {exc}") from exc

    def _cast(self) -> None:
        core = self.sim.chat_core
        team = core.create_team(name=self.scenario.team, display_name=self.scenario.team.title())
        self.team_id = team.id
        for spec in self.scenario.users:
            user = core.create_user(username=spec.username, password=spec.password,
                                    first_name=spec.first_name, last_name=spec.last_name)
            core.add_team_member(team.id, user.id)
            if spec.notify_props:
                core.patch_notify_props(user.id, dict(spec.notify_props))
            self.user_ids[spec.username] = user.id
        for channel in self.scenario.channels:
            kind = ChannelType.PRIVATE if channel.private else ChannelType.OPEN
            created = core.create_channel(team.id, name=channel.name, display_name=channel.display_name,
                                          channel_type=kind)
            for member in channel.members:
                core.add_channel_member(created.id, self.user_ids[member])
        for phone in self.scenario.phones:
            self.phones[phone.name] = self.sim.add_phone(
                phone.name, platform=Platform(phone.platform), model=phone.model, os_version=phone.os_version or None)

    def password(self, username: str) -> str:
        """The cast password of ``username``."""
        return next(u.password for u in self.scenario.users if u.username == username)

    async def web(self, username: str) -> tuple[MattermostClient, str]:
        """``username`` logged in on the web (like Account B's browser): a client and its token."""
        if username not in self._web:
            client = self.sim.mattermost_client(username)
            token = await client.login(server_url=self.sim.chat.url, login_id=username,
                                       password=self.password(username))
            self._web[username] = (client, token)
        return self._web[username]

    def channel_id(self, name: str) -> str:
        """The id of a team channel by name."""
        return self.sim.chat_core.channel_by_name(self.team_id, name).id

    def post_id(self, alias: str | None) -> str | None:
        """The post id an alias names (None stays None)."""
        return None if alias is None else self.posts[alias]

    def token_of(self, phone: str) -> str:
        """The push token the phone's app holds now ("" when uninstalled)."""
        token = self.phones[phone].app().token if self.phones[phone].apps else ""
        if token:
            self.tokens.setdefault(phone, set()).add(token.lower())
        return token

    def tokens_of(self, phone: str) -> set[str]:
        """Every token the phone held since the scenario began (an uninstalled app's included)."""
        self.token_of(phone)
        return self.tokens.get(phone, set())

    async def settle(self, timeout: float = SETTLE_TIMEOUT) -> None:
        """Wait until every push and ack the world accepted has finished (a fact, not a sleep)."""
        try:
            await self.sim.settle(timeout)
        except TimeoutError:
            raise StepFailed(f"the world still had work running after {timeout:g}s") from None


async def run_scenario(scenario: Scenario, *, seed: int | None = None, progress: Progress | None = None,
                       trace: TextIO | None = None) -> ScenarioResult:
    """Build the scenario's world (FakeClock, ``seed`` overriding ``[world].seed``), play every step."""
    config = scenario.world if seed is None else replace(scenario.world, seed=seed)
    started = time.perf_counter()
    results: list[StepResult] = []
    error = ""
    try:
        async with Simulator(config, clock=FakeClock()) as sim:
            with Recorder(sim.bus, trace, envelope={"scenario": scenario.name}) if trace else nullcontext():
                world = World(sim, scenario)
                await world.cast()
                await _play(world, results, progress)
                if all(r.status is StepStatus.PASSED for r in results):
                    await world.settle()
    except WorldFailed as exc:
        error = f"the world failed: {exc}"
    except StepFailed as exc:
        error = str(exc)
    except OSError as exc:
        error = f"the world could not start: {exc}"
    return ScenarioResult(name=scenario.name, path=str(scenario.path), description=scenario.description,
                          steps=tuple(results), seconds=time.perf_counter() - started, error=error,
                          seed=config.seed)


async def _play(world: World, results: list[StepResult], progress: Progress | None) -> None:
    failed = False
    for step in world.scenario.steps:
        if failed:
            result = StepResult(index=step.index, kind=step.kind, title=step.title, status=StepStatus.SKIPPED)
        else:
            result = await _step(world, step)
            failed = result.status is not StepStatus.PASSED
        results.append(result)
        if progress is not None:
            progress(world.scenario, result)


async def _step(world: World, step: Step) -> StepResult:
    started = time.perf_counter()
    if not step.expectation:
        world.since = world.sim.bus.mark()
    try:
        async with asyncio.timeout(None if step.expectation else ACTION_TIMEOUT):
            detail = await step.handler.run(world)
        status, message = StepStatus.PASSED, detail
    except StepFailed as exc:
        status, message = StepStatus.FAILED, str(exc)
    except TimeoutError:
        status, message = StepStatus.ERROR, f"the action did not finish within {ACTION_TIMEOUT:g}s"
    except Exception as exc:  # noqa: BLE001 - the one boundary that turns any refusal into a step line
        # The world refused the action (a forbidden app transition, an HTTP error, ...): one line.
        status, message = StepStatus.ERROR, f"{type(exc).__name__}: {exc}"
    return StepResult(index=step.index, kind=step.kind, title=step.title, status=status, message=message,
                      seconds=time.perf_counter() - started)
