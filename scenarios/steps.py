"""The step-kind registry and the typed field reader every step kind parses its table with.

A new step kind is one small class, registered with ``@action("kind")`` or ``@expectation("kind")``;
it reads its fields through ``Fields`` (so every mistake is one ``ScenarioError`` line naming the
field) and does its work in ``async run(world)``. Nothing here is rewritten when a kind is added.
Kinds the world cannot perform yet are listed in ``UNAVAILABLE`` with what they wait for, so a
file using one fails to load with that reason instead of passing silently.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol, TypeVar

from simulator.config import SimConfig

from .model import DEFAULT_CHANNELS, Handler, ScenarioError

DEFAULT_WITHIN = 5.0  # seconds of real time an expectation waits for its fact

E = TypeVar("E", bound=Enum)
_REQUIRED: Any = object()


class StepKind(Protocol):
    """A registered step class: builds its handler from a step table."""

    @classmethod
    def parse(cls, fields: Fields) -> Handler: ...


ACTIONS: dict[str, type[StepKind]] = {}
EXPECTATIONS: dict[str, type[StepKind]] = {}

# Kinds the issue names that today's world cannot perform, and what each one waits for.
UNAVAILABLE: dict[str, str] = {
    "test_push": "the app has no 'Send a test notification' button yet (emulated phones issue)",
}


def _register(table: dict[str, type[StepKind]], kind: str) -> Callable[[type], type]:
    def add(cls: type) -> type:
        if kind in table:
            raise ValueError(f"step kind {kind!r} is registered twice")
        table[kind] = cls
        return cls
    return add


def action(kind: str) -> Callable[[type], type]:
    """Register a class as the action ``do = "<kind>"``."""
    return _register(ACTIONS, kind)


def expectation(kind: str) -> Callable[[type], type]:
    """Register a class as the expectation ``expect = "<kind>"``."""
    return _register(EXPECTATIONS, kind)


@dataclass(slots=True)
class CastIndex:
    """Names a step may refer to; post aliases grow as earlier steps define them."""

    users: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset(DEFAULT_CHANNELS)
    posts: list[str] = field(default_factory=list)
    world: SimConfig = field(default_factory=SimConfig)
    platforms: dict[str, str] = field(default_factory=dict)  # phone name -> "ios" | "android"


def _names(values: Iterable[str]) -> str:
    return ", ".join(sorted(values)) or "none"


class Fields:
    """A step table being read: typed getters that fail with one line naming the field."""

    def __init__(self, table: Mapping[str, Any], *, file: str, where: str, cast: CastIndex,
                 consumed: Iterable[str] = ()) -> None:
        self._table, self.file, self.where, self.cast = table, file, where, cast
        self._seen = set(consumed)

    def error(self, name: str, problem: str) -> ScenarioError:
        """A ScenarioError for field ``name`` of this step."""
        return ScenarioError(self.file, self.where, problem, field_name=name)

    def has(self, name: str) -> bool:
        """Whether the step sets ``name``."""
        return name in self._table

    def _get(self, name: str, default: Any) -> Any:
        self._seen.add(name)
        if name in self._table:
            return self._table[name]
        if default is _REQUIRED:
            raise self.error(name, "missing (required)")
        return default

    def text(self, name: str, default: Any = _REQUIRED) -> Any:
        """A string field."""
        value = self._get(name, default)
        if value is not default and not isinstance(value, str):
            raise self.error(name, f"must be a string, got {value!r}")
        return value

    def number(self, name: str, default: Any = _REQUIRED, *, positive: bool = False) -> Any:
        """An int or float field (booleans refused); ``positive`` requires > 0."""
        value = self._get(name, default)
        if value is default:
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.error(name, f"must be a number, got {value!r}")
        if positive and value <= 0:
            raise self.error(name, f"must be greater than 0, got {value!r}")
        return value

    def integer(self, name: str, default: Any = _REQUIRED, *, minimum: int | None = None) -> Any:
        """An integer field, optionally bounded below."""
        value = self._get(name, default)
        if value is default:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(name, f"must be an integer, got {value!r}")
        if minimum is not None and value < minimum:
            raise self.error(name, f"must be at least {minimum}, got {value}")
        return value

    def flag(self, name: str, default: Any = _REQUIRED) -> Any:
        """A boolean field."""
        value = self._get(name, default)
        if value is not default and not isinstance(value, bool):
            raise self.error(name, f"must be true or false, got {value!r}")
        return value

    def choice(self, name: str, kind: type[E], default: Any = _REQUIRED) -> Any:
        """A string that must be one of an enum's values; returns the member."""
        value = self.text(name, default)
        if value is default:
            return value
        try:
            return kind(value)
        except ValueError:
            raise self.error(name, f"{value!r} is not one of {_names(str(m.value) for m in kind)}") from None

    def strings(self, name: str, default: Any = _REQUIRED) -> Any:
        """A table of string values (e.g. notify props)."""
        value = self._get(name, default)
        if value is default:
            return value
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise self.error(name, f"must be a table of strings, got {value!r}")
        return dict(value)

    def text_list(self, name: str, default: Any = _REQUIRED) -> Any:
        """A list of strings."""
        value = self._get(name, default)
        if value is not default and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
            raise self.error(name, f"must be a list of strings, got {value!r}")
        return value

    def _member(self, name: str, known: Iterable[str], what: str, default: Any) -> Any:
        value = self.text(name, default)
        if value is not default and value not in known:
            raise self.error(name, f"no {what} {value!r} in the cast (known: {_names(known)})")
        return value

    def phone(self, name: str = "phone", default: Any = _REQUIRED) -> Any:
        """The name of a phone of the cast."""
        return self._member(name, self.cast.phones, "phone", default)

    def user(self, name: str = "user", default: Any = _REQUIRED) -> Any:
        """The username of a user of the cast."""
        return self._member(name, self.cast.users, "user", default)

    def channel(self, name: str = "channel", default: Any = _REQUIRED) -> Any:
        """The name of a channel of the team (the cast's, Town Square or Off-Topic)."""
        return self._member(name, self.cast.channels, "channel", default)

    def post(self, name: str = "post") -> str | None:
        """A post alias an earlier step defined with ``as``; None when the field is absent."""
        value = self.text(name, None)
        if value is not None and value not in self.cast.posts:
            raise self.error(name, f"no earlier step names a post {value!r} with 'as' "
                                   f"(known: {_names(self.cast.posts)})")
        return value

    def alias(self, name: str = "as") -> str | None:
        """Define a post alias for later steps; None when the field is absent."""
        value = self.text(name, None)
        if value is not None:
            if value in self.cast.posts:
                raise self.error(name, f"post name {value!r} is already used by an earlier step")
            self.cast.posts.append(value)
        return value

    def within(self) -> float:
        """The expectation's deadline in seconds (``within``, default 5)."""
        return float(self.number("within", DEFAULT_WITHIN, positive=True))

    def finish(self) -> None:
        """Refuse any field no getter asked for (a typo must never be ignored)."""
        unknown = sorted(set(self._table) - self._seen)
        if unknown:
            known = sorted(self._seen - {"do", "expect"})
            raise self.error(unknown[0], f"unknown field (known here: {_names(known)})")
