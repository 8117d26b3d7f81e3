"""`pushsim perf-check`: the doc's "Confirming Performance of Mobile Applications" table, measured.

For each row (a phone model on a connection) an emulated phone runs the doc's five interactions
against this world's real chat server. Every request is real; around it the phone's link adds
what the row's network costs (latency per round trip, bandwidth per byte, handshakes, radio
wake-up), the phone adds its own work scaled by the model's speed, and the server's part is the
measured wait (plus ``--server-delay-ms``, an injected slow server). Nothing waits for real: the
link's sleep only books the time, so a 3G row takes as long to check as a wifi row.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import TextIO

from fake_apns import Environment
from fake_devices import (ADVICE, BENCHMARKS, MATTERMOST_ANDROID, MATTERMOST_IOS, NETWORKS, Benchmark, Check,
                          DeviceError, Fleet, LinkFailure, Measurement, Meter, NetworkProfile, Phone, Platform,
                          network)

from .clock import FakeClock
from .config import SimConfig
from .harness import Simulator
from .links import PhoneLinks
from .reach import ApnsRegistrar, FcmRegistrar

PASSWORD = "Perf-Password-1"
CHANNELS = ("perf-a", "perf-b", "perf-c")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add perf-check's options to its (sub)parser."""
    devices = sorted({row.device for row in BENCHMARKS})
    parser.add_argument("--device", action="append", choices=devices,
                        help="check only this row's phone (repeatable; default: every row of the doc's table)")
    parser.add_argument("--network", choices=sorted(NETWORKS),
                        help="run every row on this connection instead of the doc's (e.g. 3g, which it warns about)")
    parser.add_argument("--server-delay-ms", type=float, default=0.0, metavar="MS",
                        help="make the server slow: this much extra time per request (default 0)")
    parser.add_argument("--posts", type=int, default=60, help="posts per channel (default 60, the app's page size)")


async def _no_wait(_seconds: float) -> None:
    """The links' sleep: the meter has booked the time; nobody waits for it."""


def _problem(args: argparse.Namespace) -> str:
    if args.server_delay_ms < 0:
        return "--server-delay-ms must not be negative"
    if not 1 <= args.posts <= 200:
        return "--posts must be between 1 and 200"
    return ""


async def run(args: argparse.Namespace, out: TextIO) -> int:
    """Measure every selected row; print measured vs documented with PASS/FAIL. 0 when all pass."""
    problem = _problem(args)
    if problem:
        print(f"pushsim perf-check: {problem}", file=out)
        return 2
    rows = [r for r in BENCHMARKS if not args.device or r.device in args.device]
    override = network(args.network) if args.network else None
    print("pushsim perf-check: the doc's mobile performance benchmarks, against this world's chat server\n"
          "  connection = the row's network around each real request; app = the phone model's work; "
          "server = measured wait" + (f" + {args.server_delay_ms:g} ms injected per request"
                                      if args.server_delay_ms else ""), file=out)
    seed = getattr(args, "seed", None)
    async with Simulator(SimConfig(seed=seed if seed is not None else 7), clock=FakeClock()) as sim:
        links = PhoneLinks(publish=sim.bus.publish, clock=sim.clock, supervisor=sim.sockets,
                           world_ca_pem=sim.pki.ca.cert_pem.bytes(), sleep=_no_wait,
                           server_delay=args.server_delay_ms / 1000)
        try:
            results, unrun = await _measure_all(sim, links, rows, override, args.posts, out)
        finally:
            await links.close()
    failed = sum(not m.passed for m in results) + unrun
    total = len(results) + unrun
    print(f"\n{total} checks: {total - failed} passed, {failed} failed", file=out)
    return 1 if failed else 0


async def _measure_all(sim: Simulator, links: PhoneLinks, rows: list[Benchmark], override: NetworkProfile | None,
                       posts: int, out: TextIO) -> tuple[list[Measurement], int]:
    sim.fleet = Fleet(seed=sim.config.seed, clock=sim.clock, publish=sim.bus.publish, spawn=sim.supervisor.spawn,
                      registrar={Platform.IOS: ApnsRegistrar(sim.devices), Platform.ANDROID: FcmRegistrar(sim.fcm_registry)},
                      links=links,
                      sleep=_no_wait)
    channels = _seed(sim, posts)
    results: list[Measurement] = []
    unrun = 0
    for i, row in enumerate(rows):
        net = override or row.network
        phone = sim.add_phone(f"perf-{i + 1}", model=row.device, network=net)
        system = "iOS" if phone.platform is Platform.IOS else "Android"
        print(f"\n{row.device} ({system} {phone.os_version}) on {net.describe()}", file=out)
        try:
            measured = await _measure_row(phone, row, sim.chat.url, channels)
        except (DeviceError, LinkFailure) as exc:  # e.g. an offline phone never reaches the server
            unrun += len(row.limits)
            print(f"  FAIL  none of the {len(row.limits)} checks could run: {exc}", file=out)
            continue
        for m in measured:
            results.append(m)
            _print(m, out)
        await sim.settle()
    return results, unrun


def _seed(sim: Simulator, posts: int) -> list[str]:
    """A team, the perf user, a poster, and channels full of posts (the server's backdoor: not measured)."""
    core = sim.chat_core
    team = core.create_team(name="perf", display_name="Perf")
    user = core.create_user(username="perf", password=PASSWORD)
    poster = core.create_user(username="poster", password=PASSWORD)
    ids = []
    for name in CHANNELS:
        channel = core.create_channel(team.id, name=name, display_name=name.title())
        for member in (user, poster):
            core.add_team_member(team.id, member.id)
            core.add_channel_member(channel.id, member.id)
        for n in range(posts):
            core.inject_post(user_id=poster.id, channel_id=channel.id,
                             message=f"Post {n + 1} in {name}: the quick brown fox jumps over the lazy dog.")
        ids.append(channel.id)
    return ids


async def _measure_row(phone: Phone, row: Benchmark, url: str, channels: list[str]) -> list[Measurement]:
    first, new, after_sleep = channels
    phone.install(MATTERMOST_ANDROID if phone.platform is Platform.ANDROID else MATTERMOST_IOS)
    await phone.log_in(url, "perf", PASSWORD)
    await phone.open_channel(first)
    meter, limits, done = Meter(), dict(row.limits), []

    async def measure(check: Check, action: Callable[[], Awaitable[None]]) -> None:
        meter.reset()
        phone.attach_meter(meter)
        try:
            await action()
        finally:
            phone.attach_meter(None)  # what happens between checks is not measured
        done.append(Measurement.of(check, limits[check], meter))

    async def wake_and_load() -> None:
        phone.wake()
        await phone.to_foreground()
        await phone.open_channel(after_sleep)

    await measure(Check.NEW_CHANNEL, lambda: phone.open_channel(new))
    await measure(Check.RETURN_CHANNEL, lambda: phone.open_channel(first))
    await phone.to_background()
    await measure(Check.FROM_BACKGROUND, phone.to_foreground)
    await phone.sleep()
    await measure(Check.AFTER_SLEEP, wake_and_load)
    await phone.kill()
    await measure(Check.FRESH_START, phone.to_foreground)
    return done


def _print(m: Measurement, out: TextIO) -> None:
    verdict = "PASS" if m.passed else "FAIL"
    print(f"  {verdict}  {m.check.value:<78} {m.total_s:6.2f} s  (limit < {m.limit_s:g} s)   "
          f"connection {m.connection_s:.2f} s · app {m.app_s:.2f} s · server {m.server_s:.2f} s", file=out)
    if not m.passed:
        part = m.bottleneck
        share = {"connection": m.connection_s, "app": m.app_s, "server": m.server_s}[part.value]
        print(f"        slowest part: {part.value} ({share:.2f} s of {m.total_s:.2f} s) — {ADVICE[part]}", file=out)
