"""Scenario files and their runner: the doc's procedures as version-controlled TOML, played
headless against a fresh world with a verdict (``pushsim run``), or from pytest (``scenarios.plugin``).

``library/`` ships the procedures; ``ACTIONS`` / ``EXPECTATIONS`` are the step-kind registries a new
kind is added to with ``@action("kind")`` / ``@expectation("kind")`` (``pushsim scenarios --kinds``
lists them). Kinds by noun: actions.py (people and their apps), devices.py (network, power, the
notification switch), controls.py (server settings, push server, signing, faults, clock),
expectations.py (notifications, decisions, hops, APNs answers, badge), delivery.py (clears, counts,
store-and-forward), telemetry.py (log lines, proxy metrics).
"""

from __future__ import annotations

from pathlib import Path

LIBRARY = Path(__file__).parent / "library"

from .expectations import wait_for_notification  # noqa: E402  (after LIBRARY: cli imports it from here)
from .loader import library_paths, load, loads  # noqa: E402
from .model import Scenario, ScenarioError, Step, StepFailed  # noqa: E402
from .report import ScenarioResult, StepResult, StepStatus, junit_tree, write_junit  # noqa: E402
from .runner import World, run_scenario  # noqa: E402
from .steps import ACTIONS, EXPECTATIONS, UNAVAILABLE, Fields, action, expectation  # noqa: E402

__all__ = [
    "ACTIONS", "EXPECTATIONS", "LIBRARY", "Fields", "Scenario", "ScenarioError", "ScenarioResult", "Step",
    "StepFailed", "StepResult", "StepStatus", "UNAVAILABLE", "World", "action", "expectation", "junit_tree",
    "library_paths", "load", "loads", "run_scenario", "wait_for_notification", "write_junit",
]
