"""`pushsim tui [SCENARIO]`: the hook simulator/cli.py wires in (``add_arguments``, ``run``)."""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

from scenarios import LIBRARY

from ..config import ConfigError, SimConfig
from .trainer import TOURS

DEFAULT = "dm_background"


def add_arguments(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Add the ``tui`` subcommand; returns its parser."""
    tui = subparsers.add_parser("tui", help="watch every hop live, drive the phones, step through the doc")
    tui.add_argument("scenario", nargs="?", default=DEFAULT,
                     help=f"a scenario name from the library ({', '.join(library_names())}) or a .toml path; "
                          f"its [world] table shapes the world (default: {DEFAULT})")
    tui.add_argument("--trainer", action="store_true", help="start in trainer mode (one hop per step)")
    tui.add_argument("--no-autoplay", action="store_true", help="do not send the first DM on start")
    return tui


def library_names() -> list[str]:
    """The scenario files shipped in scenarios/library."""
    return sorted(p.stem for p in LIBRARY.glob("*.toml"))


def scenario_path(scenario: str) -> Path:
    """A library name or a path to a scenario TOML; ConfigError names what was tried."""
    path = Path(scenario)
    if path.suffix == ".toml":
        if not path.is_file():
            raise ConfigError(f"scenario file {scenario!r} does not exist")
        return path
    found = LIBRARY / f"{scenario}.toml"
    if not found.is_file():
        raise ConfigError(f"no scenario {scenario!r} in the library (known: {', '.join(library_names())})")
    return found


def scenario_config(scenario: str, base: SimConfig, *, seed: int | None = None) -> SimConfig:
    """``base`` with the scenario's [world] keys on top; an explicit ``--seed`` wins."""
    path = scenario_path(scenario)
    world = SimConfig.from_toml(path)  # validates; names a bad key
    explicit = tomllib.loads(path.read_text(encoding="utf-8")).get("world", {})
    plain = {f: getattr(base, f) for f in base.__dataclass_fields__}
    plain.update({key: getattr(world, key) for key in explicit})
    if seed is not None:
        plain["seed"] = seed
    return SimConfig.from_mapping(plain, where=f"scenario {scenario}")


def tour_for(scenario: str) -> str:
    """The trainer tour for a scenario: its own, the troubleshooting one for troubleshoot_*, else the DM."""
    stem = Path(scenario).stem
    if stem in TOURS:
        return stem
    return "troubleshooting" if stem.startswith("troubleshoot") else DEFAULT


def run(args: argparse.Namespace, config: SimConfig | None = None) -> int:
    """Run the TUI until the user quits; returns the exit code (1 when the world failed)."""
    from .app import make_app  # Textual loads only for this subcommand

    try:
        world = scenario_config(args.scenario, config or SimConfig(), seed=getattr(args, "seed", None))
    except ConfigError as exc:
        print(f"pushsim tui: {exc}", file=sys.stderr)
        return 2
    tour = tour_for(args.scenario)
    app = make_app(world, tour=tour, trainer=args.trainer, autoplay=not args.no_autoplay)
    app.run()
    return app.return_code or 0
