"""Expectations on what components report about themselves: log lines and proxy metrics.

Metrics are read from the push proxy's own ``GET /metrics`` (Prometheus text, mattermost-push.md
§6), which the real proxy serves only with ``EnableMetrics``. A scenario that expects a metric
must therefore turn metrics on in ``[world]``; until the world can, the file is refused at load
time with that reason, never skipped or passed.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp

from simulator import LogLine, SimConfig

from .expectations import COMPONENTS, LEVELS
from .model import StepFailed
from .steps import Fields, expectation

if TYPE_CHECKING:
    from .runner import World

_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True, slots=True)
class _LogFilter:
    component: str | None
    level: str | None
    contains: str | None
    matches: re.Pattern[str] | None
    fields: tuple[tuple[str, str], ...]
    within: float

    @classmethod
    def read(cls, f: Fields) -> dict[str, Any]:
        component = f.text("component", None)
        if component is not None and component not in COMPONENTS:
            raise f.error("component", f"{component!r} is not one of {', '.join(sorted(COMPONENTS))}")
        level = f.text("level", None)
        if level is not None and level not in LEVELS:
            raise f.error("level", f"{level!r} is not one of {', '.join(LEVELS)}")
        pattern = f.text("matches", None)
        try:
            matches = re.compile(pattern) if pattern is not None else None
        except re.error as exc:
            raise f.error("matches", f"not a regular expression: {exc}") from None
        wanted = f.strings("fields", {})
        return {"component": component, "level": level, "contains": f.text("contains", None), "matches": matches,
                "fields": tuple(sorted(wanted.items())), "within": f.within()}

    def fits(self, line: LogLine) -> bool:
        have = dict(line.fields)
        return ((self.component is None or line.component == self.component)
                and (self.level is None or line.level == self.level)
                and (self.contains is None or self.contains in line.message)
                and (self.matches is None or self.matches.search(line.message) is not None)
                and all(have.get(k) == v for k, v in self.fields))

    def wanted(self) -> str:
        parts = [p for p in (self.level, self.component and f"from {self.component}",
                             self.contains and repr(self.contains), self.matches and f"/{self.matches.pattern}/") if p]
        parts += [f"{k}={v}" for k, v in self.fields]
        return " ".join(parts) or "any"


@expectation("log")
@dataclass(frozen=True, slots=True)
class Log(_LogFilter):
    """A component writes a log line (filters: ``component``, ``level``, ``contains``, ``matches``, ``fields``)."""

    @classmethod
    def parse(cls, f: Fields) -> Log:
        return cls(**cls.read(f))

    def describe(self) -> str:
        return f"log line {self.wanted()}"

    async def run(self, world: World) -> str:
        try:
            line = await world.sim.bus.wait_for(LogLine, self.fits, since=world.since, timeout=self.within)
        except TimeoutError:
            near = [f"{x.level} {x.message}" for x in world.sim.bus.find(
                LogLine, lambda x: self.component is None or x.component == self.component, since=world.since)]
            raise StepFailed(f"no log line {self.wanted()} within {self.within:g}s "
                             f"(lines seen: {'; '.join(near[-3:]) or 'none'})") from None
        return f"{line.level} {line.message}"


@expectation("no_log")
@dataclass(frozen=True, slots=True)
class NoLog(_LogFilter):
    """Once the world has settled, no component wrote such a line."""

    @classmethod
    def parse(cls, f: Fields) -> NoLog:
        return cls(**cls.read(f))

    def describe(self) -> str:
        return f"no log line {self.wanted()}"

    async def run(self, world: World) -> str:
        await world.settle(self.within)
        found = world.sim.bus.find(LogLine, self.fits, since=world.since)
        if found:
            raise StepFailed(f"{found[0].component} wrote {found[0].level} {found[0].message!r}")
        return ""


def metrics_unavailable(config: SimConfig) -> str:
    """Why this world cannot serve proxy metrics ("" when it can)."""
    if "enable_metrics" not in {f.name for f in dataclasses.fields(SimConfig)}:
        return ("metric expectations need the push proxy's /metrics (EnableMetrics), which this world "
                "cannot turn on yet (push proxy issue)")
    if not getattr(config, "enable_metrics"):
        return "metric expectations need [world] enable_metrics = true (the proxy serves /metrics only then)"
    return ""


def parse_metrics(text: str) -> list[tuple[str, dict[str, str], float]]:
    """Samples of a Prometheus text exposition: (name, labels, value)."""
    samples = []
    for line in text.splitlines():
        match = _SAMPLE.match(line.strip())
        if line.startswith("#") or match is None:
            continue
        name, labels, value = match.groups()
        try:
            number = float(value)
        except ValueError:
            continue
        samples.append((name, {k: v.replace('\\"', '"').replace("\\\\", "\\")
                               for k, v in _LABEL.findall(labels or "")}, number))
    return samples


@expectation("metric")
@dataclass(frozen=True, slots=True)
class Metric:
    """Once the world has settled, the proxy's metric (summed over series matching ``labels``) has a value."""

    name: str
    labels: tuple[tuple[str, str], ...]
    value: float | None
    at_least: float | None
    within: float

    @classmethod
    def parse(cls, f: Fields) -> Metric:
        name, labels = f.text("name"), f.strings("labels", {})
        value, at_least, within = f.number("value", None), f.number("at_least", None), f.within()
        if not _METRIC_NAME.fullmatch(name):
            raise f.error("name", f"{name!r} is not a Prometheus metric name")
        if (value is None) == (at_least is None):
            raise f.error("value", "give exactly one of 'value' or 'at_least'")
        problem = metrics_unavailable(f.cast.world)
        if problem:
            raise f.error("expect", problem)
        return cls(name, tuple(sorted(labels.items())), value, at_least, within)

    def describe(self) -> str:
        labels = ",".join(f'{k}="{v}"' for k, v in self.labels)
        test = f"= {self.value:g}" if self.value is not None else f">= {self.at_least:g}"
        return f"metric {self.name}{{{labels}}} {test}"

    async def run(self, world: World) -> str:
        await world.settle(self.within)
        text = await _fetch_metrics(world)
        total = sum(v for n, labels, v in parse_metrics(text)
                    if n == self.name and all(labels.get(k) == want for k, want in self.labels))
        ok = total == self.value if self.value is not None else total >= (self.at_least or 0)
        if not ok:
            raise StepFailed(f"{self.describe()} does not hold: the proxy reports {total:g}")
        return f"{total:g}"


async def _fetch_metrics(world: World) -> str:
    url = f"{world.sim.proxy.url}/metrics"
    ssl = world.sim.pki.client_context() if url.startswith("https:") else False
    async with aiohttp.ClientSession() as session:
        async with session.get(url, ssl=ssl) as response:
            body = await response.text()
            if response.status != 200:
                raise StepFailed(f"GET /metrics answered {response.status} (is EnableMetrics on?)")
            return body
