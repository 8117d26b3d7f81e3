"""``pushsim run`` and ``pushsim scenarios``: the hooks ``simulator/cli.py`` wires in.

Exit codes of ``run``: 0 every scenario passed, 1 at least one failed, 2 a file could not be
loaded (every broken file gets its one error line, and nothing runs).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from . import LIBRARY
from .loader import library_paths, load
from .model import Scenario, ScenarioError
from .report import ScenarioResult, StepResult, scenario_header, scenario_line, step_line, summary, write_junit
from .runner import run_scenario
from .steps import ACTIONS, EXPECTATIONS, UNAVAILABLE

COMMANDS = ("run", "scenarios")


def add_arguments(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``run`` and ``scenarios`` subcommands to pushsim's parser."""
    run = subparsers.add_parser("run", help="play scenario files headless and give a verdict (exit 0/1)")
    run.add_argument("files", nargs="*", metavar="FILE",
                     help="scenario files, or names of library scenarios (see `pushsim scenarios`)")
    run.add_argument("--all", action="store_true", help="run every scenario of the library")
    run.add_argument("--junit", type=Path, metavar="PATH", help="write a JUnit XML report")
    run.add_argument("--trace", type=Path, metavar="PATH", help="write every bus event as JSON lines")
    # SUPPRESS: a value given before the subcommand (pushsim --seed 3 run …) is not overwritten.
    run.add_argument("--seed", type=int, default=argparse.SUPPRESS,
                     help="override every scenario's [world] seed")
    listing = subparsers.add_parser("scenarios", help="list the scenario library with one-line descriptions")
    listing.add_argument("--kinds", action="store_true",
                         help="list the step kinds a scenario file can use (do = … / expect = …) instead")


def run_command(args: argparse.Namespace, out: TextIO) -> int:
    """Run ``pushsim run`` or ``pushsim scenarios``; returns the exit code."""
    if getattr(args, "config", None) is not None:
        print(f"pushsim {args.command}: --config is not used here: every scenario file has its own [world]", file=out)
        return 2
    if args.command == "scenarios":
        return list_kinds(out) if getattr(args, "kinds", False) else list_library(out)
    return asyncio.run(run_files(args.files, all_library=args.all, junit=args.junit, trace=args.trace,
                                 seed=getattr(args, "seed", None), out=out))


def list_library(out: TextIO, library: Path = LIBRARY) -> int:
    """Print ``name  description`` for every library scenario; 2 if one cannot be loaded."""
    code, rows = 0, []
    for path in library_paths(library):
        try:
            scenario = load(path)
            rows.append((scenario.name, scenario.description))
        except ScenarioError as exc:
            rows.append((path.stem, f"BROKEN: {exc}"))
            code = 2
    width = max((len(name) for name, _ in rows), default=0)
    for name, description in rows:
        print(f"{name:<{width}}  {description}", file=out)
    print(f"({len(rows)} scenarios in {library}; run one with `pushsim run NAME`, all with `pushsim run --all`)",
          file=out)
    return code


def list_kinds(out: TextIO) -> int:
    """Print every action and expectation with its one-line docstring (the format's reference)."""
    for key, registry in (("do", ACTIONS), ("expect", EXPECTATIONS)):
        width = max(len(kind) for kind in registry) + len(key) + 5
        for kind in sorted(registry):
            print(f"{f'{key} = {kind!r}':<{width}}  {(registry[kind].__doc__ or '').strip()}", file=out)
    for kind, why in sorted(UNAVAILABLE.items()):
        print(f"(not yet: {kind}: {why})", file=out)
    return 0


def resolve(name: str, library: Path = LIBRARY) -> Path:
    """A file path as given, or a library scenario by name when no such file exists."""
    path = Path(name)
    if not path.exists() and (library / f"{name}.toml").exists():
        return library / f"{name}.toml"
    return path


def load_all(names: Sequence[str], *, all_library: bool, out: TextIO) -> list[Scenario] | None:
    """Load every file first; print one line per broken file and return None if any is broken."""
    paths = [resolve(n) for n in names] + (library_paths(LIBRARY) if all_library else [])
    if not paths:
        print("pushsim run: give scenario files, or --all for the library", file=out)
        return None
    scenarios, broken = [], False
    for path in paths:
        try:
            scenarios.append(load(path))
        except ScenarioError as exc:
            print(f"error: {exc}", file=out)
            broken = True
    return None if broken else scenarios


async def run_files(names: Sequence[str], *, all_library: bool = False, junit: Path | None = None,
                    trace: Path | None = None, seed: int | None = None, out: TextIO) -> int:
    """Load, then run one scenario after another, printing progress and a summary."""
    scenarios = load_all(names, all_library=all_library, out=out)
    if scenarios is None:
        return 2
    started, results = time.perf_counter(), []

    def progress(scenario: Scenario, result: StepResult) -> None:
        print(step_line(result, len(scenario.steps)), file=out, flush=True)

    if trace is not None:
        trace.parent.mkdir(parents=True, exist_ok=True)
    trace_file = trace.open("w", encoding="utf-8") if trace else None
    try:
        for scenario in scenarios:
            print(scenario_header(scenario.name, scenario.description), file=out, flush=True)
            result = await run_scenario(scenario, seed=seed, progress=progress, trace=trace_file)
            print(scenario_line(result), file=out, flush=True)
            results.append(result)
    finally:
        if trace_file is not None:
            trace_file.close()
    print(summary(results, time.perf_counter() - started), file=out)
    if junit is not None:
        write_junit(results, junit)
    return outcome(results)


def outcome(results: Sequence[ScenarioResult]) -> int:
    """The exit code for a set of results."""
    return 0 if all(r.passed for r in results) else 1
