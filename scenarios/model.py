"""What a loaded scenario is: its cast, its world settings and its steps (all frozen).

Rule: a ``Scenario`` only exists once every field of the file was checked (h11 style), so the
runner never meets a typo; what the file cannot say is refused by ``ScenarioError`` with one line
naming the file, the place (``[world]``, ``users[2]``, ``step 4 (notification)``) and the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from simulator.config import SimConfig

if TYPE_CHECKING:
    from .runner import World

DEFAULT_PASSWORD = "Password-1234"
DEFAULT_CHANNELS = ("town-square", "off-topic")  # every team has them (create_team)


class ScenarioError(ValueError):
    """A scenario file is broken; ``str()`` is one line: file, place, field, problem."""

    def __init__(self, file: str, where: str, problem: str, *, field_name: str = "") -> None:
        self.file, self.where, self.field, self.problem = file, where, field_name, problem
        parts = [file] + [p for p in (where, field_name) if p]
        super().__init__(": ".join(parts) + f": {problem}")


class StepFailed(AssertionError):
    """A step did not hold (an expectation missed its deadline, an action was refused)."""


class Handler(Protocol):
    """One step kind's behaviour: ``describe`` for progress lines, ``run`` against a live world."""

    def describe(self) -> str: ...

    async def run(self, world: World) -> str: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class UserSpec:
    """A chat user of the cast (joined to the scenario's team)."""

    username: str
    password: str = DEFAULT_PASSWORD
    first_name: str = ""
    last_name: str = ""
    notify_props: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class PhoneSpec:
    """An emulated phone of the cast (no app installed until an ``install`` step)."""

    name: str
    model: str = "iPhone 6s Plus"
    os_version: str = ""  # "" = the model's own
    platform: str = "ios"  # "ios" | "android"


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelSpec:
    """A channel in the scenario's team, with its members."""

    name: str
    display_name: str
    private: bool = False
    members: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One numbered step (1-based, as a trainer counts): an action (``do``) or an expectation."""

    index: int
    kind: str
    expectation: bool
    handler: Handler

    @property
    def title(self) -> str:
        """``install account-a-iphone (Mattermost)``, ``expect notification on …``."""
        return ("expect " if self.expectation else "") + self.handler.describe()


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """A checked scenario file."""

    path: Path
    name: str
    description: str
    world: SimConfig
    team: str = "pushsim"
    doc: str = ""  # where in the seed doc the procedure comes from
    users: tuple[UserSpec, ...] = ()
    phones: tuple[PhoneSpec, ...] = ()
    channels: tuple[ChannelSpec, ...] = ()
    steps: tuple[Step, ...] = ()
