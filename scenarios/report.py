"""What a run produced: step and scenario results, the progress and summary text, JUnit XML.

JUnit layout: one ``<testsuite>`` per scenario, one ``<testcase>`` per step (skipped steps are
``<skipped/>``); a scenario-level error (the world failed to start or crashed) is one extra
``<testcase name="world">`` with an ``<error>``, so every problem is counted somewhere.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class StepStatus(StrEnum):
    """How one step ended."""

    PASSED = "ok"
    FAILED = "FAIL"  # an expectation did not hold
    ERROR = "ERROR"  # the world refused an action or it crashed
    SKIPPED = "skip"  # an earlier step failed


@dataclass(frozen=True, slots=True, kw_only=True)
class StepResult:
    """One step's outcome; ``message`` is a detail when passed, the reason otherwise."""

    index: int
    kind: str
    title: str
    status: StepStatus
    message: str = ""
    seconds: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioResult:
    """One scenario's outcome."""

    name: str
    path: str
    description: str
    steps: tuple[StepResult, ...]
    seconds: float
    seed: int
    error: str = ""  # the world itself failed (start-up, a component crash)

    @property
    def passed(self) -> bool:
        """Every step passed and the world closed cleanly."""
        return not self.error and all(s.status is StepStatus.PASSED for s in self.steps)

    @property
    def failure(self) -> str:
        """The one line that says why it failed ("" when it passed)."""
        bad = next((s for s in self.steps if s.status in (StepStatus.FAILED, StepStatus.ERROR)), None)
        if bad is not None:
            return f"{self.name}: step {bad.index} ({bad.kind}) {bad.status.value}: {bad.message}"
        return f"{self.name}: {self.error}" if self.error else ""

    def count(self, status: StepStatus) -> int:
        """How many steps ended with ``status``."""
        return sum(1 for s in self.steps if s.status is status)


def step_line(result: StepResult, total: int) -> str:
    """``  ok     3/9  background account-a-iphone  (0.01s)  detail``."""
    width = len(str(total))
    tail = f"  — {result.message}" if result.message else ""
    timing = f"  ({result.seconds:.2f}s)" if result.status is not StepStatus.SKIPPED else ""
    return f"  {result.status.value:<5} {result.index:>{width}}/{total}  {result.title}{timing}{tail}"


def scenario_header(name: str, description: str) -> str:
    """The line printed before a scenario's steps."""
    return f"{name} — {description}"


def scenario_line(result: ScenarioResult) -> str:
    """``PASS hpns_confirmation (12 steps, 0.31s)`` or ``FAIL …: why``."""
    head = f"{'PASS' if result.passed else 'FAIL'} {result.name} ({len(result.steps)} steps, {result.seconds:.2f}s)"
    return head if result.passed else f"{head}: {result.failure}"


def summary(results: Sequence[ScenarioResult], seconds: float) -> str:
    """The closing lines: counts, then every failure on its own line."""
    failed = [r for r in results if not r.passed]
    steps = sum(len(r.steps) for r in results)
    lines = [f"{len(results)} scenario(s): {len(results) - len(failed)} passed, {len(failed)} failed; "
             f"{steps} steps; {seconds:.2f}s"]
    lines += [f"  FAILED {r.failure}" for r in failed]
    return "\n".join(lines)


def junit_tree(results: Sequence[ScenarioResult]) -> ET.ElementTree:
    """The JUnit XML document for ``results``."""
    root = ET.Element("testsuites", name="pushsim scenarios")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    time_total = 0.0
    for result in results:
        suite = _suite(result)
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
        time_total += result.seconds
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{time_total:.3f}")
    ET.indent(root)
    return ET.ElementTree(root)


def _suite(result: ScenarioResult) -> ET.Element:
    suite = ET.Element("testsuite", name=result.name, file=result.path, time=f"{result.seconds:.3f}")
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="description", value=result.description)
    ET.SubElement(props, "property", name="seed", value=str(result.seed))
    for step in result.steps:
        case = ET.SubElement(suite, "testcase", classname=f"scenarios.{result.name}",
                             name=f"step {step.index}: {step.title}", time=f"{step.seconds:.3f}")
        if step.status is StepStatus.FAILED:
            ET.SubElement(case, "failure", message=step.message, type="StepFailed").text = step.message
        elif step.status is StepStatus.ERROR:
            ET.SubElement(case, "error", message=step.message, type="StepError").text = step.message
        elif step.status is StepStatus.SKIPPED:
            ET.SubElement(case, "skipped", message="an earlier step failed")
    if result.error:
        case = ET.SubElement(suite, "testcase", classname=f"scenarios.{result.name}", name="world", time="0")
        ET.SubElement(case, "error", message=result.error, type="WorldFailed").text = result.error
    counts = {"tests": len(suite.findall("testcase")), "failures": len(suite.findall("testcase/failure")),
              "errors": len(suite.findall("testcase/error")), "skipped": len(suite.findall("testcase/skipped"))}
    for key, value in counts.items():
        suite.set(key, str(value))
    return suite


def write_junit(results: Sequence[ScenarioResult], path: Path) -> None:
    """Write the JUnit XML file (parent directories are created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    junit_tree(results).write(path, encoding="utf-8", xml_declaration=True)
