"""The `pushsim` command line: argparse, ``main(argv) -> int`` (trustme's testable shape)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from .chat.models import ContentsMode
from .config import ConfigError, SimConfig
from .proxy.config import Role


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pushsim", description="Offline end-to-end Mattermost push test bed.")
    parser.add_argument("--config", type=Path, help="TOML file with a [world] table")
    parser.add_argument("--seed", type=int, help="seed for ids, names and tokens")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="replay the doc's Account A / Account B DM and print every hop")
    demo.add_argument("--foreground", action="store_true", help="keep Account A's app in the foreground")
    demo.add_argument("--message", default="Hello", help="what Account B sends (default: Hello)")
    demo.add_argument("--contents", choices=[m.value for m in ContentsMode], help="PushNotificationContents")
    demo.add_argument("--phone", choices=("iphone", "android"), default="iphone",
                      help="Account A's phone: iPhone through APNs (default) or Android through FCM")
    demo.add_argument("--wrong-key", action="store_true",
                      help="make the proxy sign with a key APNs does not know (shows the failure path)")
    serve = sub.add_parser("serve", help="run the world until Ctrl-C and write what outside senders need")
    serve.add_argument("--state-dir", type=Path, required=True, help="where endpoints.json, ca.pem, keys go")
    from . import perfcheck, phonecli
    phonecli.add_arguments(sub)
    perfcheck.add_arguments(sub.add_parser(
        "perf-check", help="measure the doc's mobile performance benchmarks and name the slow part"))
    from .tui.cli import add_arguments as add_tui
    add_tui(sub)
    from scenarios.cli import add_arguments as add_scenario_commands  # the CLI is where scenarios meet simulator
    add_scenario_commands(sub)
    return parser


def _config(args: argparse.Namespace) -> SimConfig:
    config = SimConfig.from_toml(args.config) if args.config else SimConfig()
    overrides: dict[str, object] = {}
    if args.seed is not None:
        overrides["seed"] = args.seed
    if getattr(args, "contents", None):
        overrides["contents"] = args.contents
    return SimConfig.from_mapping({**_as_plain(config), **overrides}, where="command line")


def _as_plain(config: SimConfig) -> dict[str, object]:
    return {f: getattr(config, f) for f in config.__dataclass_fields__}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one pushsim command; returns the process exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command in ("run", "scenarios"):
        from scenarios.cli import run_command
        return run_command(args, sys.stdout)
    try:
        config = _config(args)
    except ConfigError as exc:
        print(f"pushsim: {exc}", file=sys.stderr)
        return 2
    if args.command == "demo":
        from .demo import run_demo
        prepare = _wrong_key if args.wrong_key else None
        return asyncio.run(run_demo(config, foreground=args.foreground, out=sys.stdout, message=args.message,
                                    prepare=prepare, phone=args.phone))
    if args.command == "perf-check":
        from . import perfcheck
        return asyncio.run(perfcheck.run(args, sys.stdout))
    if args.command == "tui":
        from .tui.cli import run as run_tui
        return run_tui(args, config)
    if args.command == "phone":
        from . import phonecli
        return asyncio.run(phonecli.run(args, sys.stdout, sys.stderr))
    from .serve import run_serve  # the only command left
    try:
        return asyncio.run(run_serve(config, state_dir=args.state_dir, out=sys.stdout))
    except KeyboardInterrupt:
        return 0


def _wrong_key(sim: object) -> None:
    from .signing import ProviderKey, new_p256_key
    config = sim.config  # type: ignore[attr-defined]
    # Same key id and team, different key material: exactly what a mis-copied .p8 looks like to APNs.
    sim.proxy.use_provider_key(  # type: ignore[attr-defined]
        ProviderKey(key=new_p256_key(), key_id=config.key_id, team_id=config.team_id))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
