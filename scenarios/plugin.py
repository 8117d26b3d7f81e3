"""pushsim's pytest plugin (entry point ``pytest11``: ``pushsim = "scenarios.plugin"``).

Fixtures:
- ``pushsim_config`` / ``pushsim_clock``: override them to shape the world (SimConfig, FakeClock).
- ``pushsim_world``: a running ``Simulator`` for the test, closed (and checked for component
  crashes) afterwards.
- ``pushsim_phones``: a factory; ``await pushsim_phones("accounta")`` gives a user's iPhone with the
  Mattermost app installed, logged in and in the background; ``await pushsim_phones.send_dm(...)``
  has another user message them from the web.
- ``pushsim_scenario``: ``await pushsim_scenario("hpns_confirmation")`` plays a scenario file (or a
  library scenario by name) in its own world and fails the test with the failing step's line.
Helper: ``wait_for_notification(world, phone, title=…, body=…, timeout=…)``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from fake_devices import MATTERMOST_IOS, Phone
from simulator import FakeClock, SimConfig, Simulator

from .cli import resolve
from .expectations import wait_for_notification
from .loader import load
from .model import DEFAULT_PASSWORD
from .report import ScenarioResult
from .runner import run_scenario

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - the plugin loads everywhere pushsim is installed
    pytest_asyncio = None  # type: ignore[assignment]

__all__ = ["PhoneFactory", "wait_for_notification"]
TEAM = "pushsim"


class PhoneFactory:
    """Users with phones in a running world, made the way the doc's procedure makes them."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self._team = ""
        self.user_ids: dict[str, str] = {}
        self._web: dict[str, tuple[Any, str]] = {}

    def user(self, username: str, **notify_props: str) -> str:
        """A user of the team (created on first use, password ``DEFAULT_PASSWORD``); returns the id."""
        core = self.sim.chat_core
        if not self._team:
            self._team = core.create_team(name=TEAM, display_name=TEAM.title()).id
        if username not in self.user_ids:
            user = core.create_user(username=username, password=DEFAULT_PASSWORD)
            core.add_team_member(self._team, user.id)
            self.user_ids[username] = user.id
        if notify_props:
            core.patch_notify_props(self.user_ids[username], notify_props)
        return self.user_ids[username]

    async def __call__(self, username: str, *, name: str | None = None, background: bool = True) -> Phone:
        """``username``'s iPhone: Mattermost installed, logged in, and (by default) in the background."""
        self.user(username)
        phone = self.sim.add_phone(name or f"{username}-iphone")
        phone.install(MATTERMOST_IOS)
        await phone.log_in(self.sim.chat.url, username, DEFAULT_PASSWORD)
        if background:
            await phone.to_background()
        return phone

    async def send_dm(self, sender: str, to: str, message: str = "Hello") -> dict[str, Any]:
        """``sender`` (logged in on the web) sends ``to`` a direct message; returns the post JSON."""
        ids = (self.user(sender), self.user(to))
        if sender not in self._web:
            client = self.sim.mattermost_client(sender)
            token = await client.login(server_url=self.sim.chat.url, login_id=sender, password=DEFAULT_PASSWORD)
            self._web[sender] = (client, token)
        client, token = self._web[sender]
        channel = await client.direct_channel(server_url=self.sim.chat.url, token=token, user_ids=ids)
        return await client.post(server_url=self.sim.chat.url, token=token, channel_id=channel["id"], message=message)


@pytest.fixture
def pushsim_config() -> SimConfig:
    """The world's settings (override this fixture to change them)."""
    return SimConfig()


@pytest.fixture
def pushsim_clock() -> FakeClock:
    """The world's clock: fake, so tests can jump hours ahead with ``advance``."""
    return FakeClock()


async def _world(config: SimConfig, clock: FakeClock) -> AsyncIterator[Simulator]:
    async with Simulator(config, clock=clock) as sim:
        yield sim


def _scenario_runner() -> Callable[..., Awaitable[ScenarioResult]]:
    async def play(path: str | Path, *, seed: int | None = None, check: bool = True) -> ScenarioResult:
        result = await run_scenario(load(resolve(str(path))), seed=seed)
        if check and not result.passed:
            pytest.fail(result.failure, pytrace=False)
        return result
    return play


if pytest_asyncio is not None:
    @pytest_asyncio.fixture
    async def pushsim_world(pushsim_config: SimConfig, pushsim_clock: FakeClock) -> AsyncIterator[Simulator]:
        """A running world for one test."""
        async for sim in _world(pushsim_config, pushsim_clock):
            yield sim
else:  # pragma: no cover
    @pytest.fixture  # type: ignore[unreachable]
    def pushsim_world() -> None:
        """Unavailable: needs pytest-asyncio."""
        pytest.fail("pushsim's fixtures need pytest-asyncio (pip install 'pushsim[test]')", pytrace=False)


@pytest.fixture
def pushsim_phones(pushsim_world: Simulator) -> PhoneFactory:
    """A factory of users' phones in ``pushsim_world``."""
    return PhoneFactory(pushsim_world)


@pytest.fixture
def pushsim_scenario() -> Callable[..., Awaitable[ScenarioResult]]:
    """``await pushsim_scenario(path_or_name)``: play a scenario in its own world; fails the test if it fails."""
    return _scenario_runner()
