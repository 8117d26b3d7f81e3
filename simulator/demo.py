"""`pushsim demo`: the doc's Account A / Account B procedure, headless, one line per hop."""

from __future__ import annotations

import time
from typing import Callable, TextIO

from fake_devices import MATTERMOST_ANDROID, MATTERMOST_IOS, NotificationShown

from .chat.models import PushDecision
from .clock import SystemClock
from .config import SimConfig
from .events import HopAttempted
from .harness import Simulator
from .story import cast_dm_world, send_dm
from .trace import hop_line

DEADLINE = 5.0
# --phone: which of Account A's phones the doc's procedure uses (the app build, model and name).
PHONES = {"iphone": (MATTERMOST_IOS, "iPhone 6s Plus", "account-a-iphone", "iPhone"),
          "android": (MATTERMOST_ANDROID, "Pixel 7", "account-a-pixel", "Android phone")}


async def run_demo(config: SimConfig, *, foreground: bool, out: TextIO, message: str = "Hello",
                   prepare: Callable[[Simulator], None] | None = None, phone: str = "iphone") -> int:
    """Replay the scenario; print the trace and the lock screen. Returns the exit code."""
    started = time.perf_counter()
    app, model, phone_name, label = PHONES[phone]
    where = "in the foreground" if foreground else "in the background"
    print(f'pushsim demo: Account B sends "{message}" to Account A, whose {label} app is {where} '
          f"(push server: {config.role.value}, contents: {config.contents.value})", file=out)
    async with Simulator(config, clock=SystemClock()) as sim:
        if prepare is not None:
            prepare(sim)
        cast = await cast_dm_world(sim, app=app, model=model, phone_name=phone_name)
        if not foreground:
            await cast.phone.to_background()  # doc step 2.2: close the app, do not log out
        setup = sim.bus.find(HopAttempted)
        mark = sim.bus.mark()
        post = await send_dm(sim, cast, message)
        verdict = await _outcome(sim, mark, post["id"], foreground)
        await sim.settle()
        hops = sorted(sim.bus.find(HopAttempted, since=mark), key=lambda h: h.started)
        _section(out, f"Set-up: Account A signs in on the {label}; the app {'stays in front' if foreground else 'goes to the background'}",
                 setup)
        _section(out, f'Trigger: Account B sends "{message}" to Account A in a direct message', hops)
        print(file=out)
        code = _report(sim, cast.phone.name, verdict, hops, out)
    print(f"({time.perf_counter() - started:.2f}s)", file=out)
    return code


async def _outcome(sim: Simulator, mark: int, post_id: str, foreground: bool) -> object:
    decision = await sim.bus.wait_for(PushDecision, lambda d: d.post_id == post_id and d.username == "accounta",
                                      since=mark, timeout=DEADLINE)
    if not decision.send or foreground:
        return decision
    # The server's hop to the proxy settles whether anything can reach the phone: stop early on FAIL.
    pushed = await sim.bus.wait_for(HopAttempted, lambda h: h.ids.post_id == post_id and
                                    h.operation == "POST /api/v1/send_push", since=mark, timeout=DEADLINE)
    if not pushed.ok:
        return None
    try:
        return await sim.bus.wait_for(NotificationShown, lambda e: e.notification.post_id == post_id,
                                      since=mark, timeout=DEADLINE)
    except TimeoutError:
        return None


def _section(out: TextIO, title: str, hops: list[HopAttempted]) -> None:
    print(f"\n{title}", file=out)
    for hop in sorted(hops, key=lambda h: h.started):
        print("  " + hop_line(hop), file=out)


def _report(sim: Simulator, phone_name: str, verdict: object, hops: list[HopAttempted], out: TextIO) -> int:
    if isinstance(verdict, PushDecision):
        if verdict.send:
            print(f"A push was sent although the app is in the foreground (decision: {verdict})", file=out)
            return 1
        why = {"user_is_active": "the user is online (the app holds its websocket)"}.get(verdict.reason,
                                                                                        verdict.reason)
        print(f"No push sent to {verdict.username}: {why} [reason={verdict.reason}]", file=out)
        return 0
    if isinstance(verdict, NotificationShown):
        n = verdict.notification
        print(f"{phone_name} lock screen: [{n.app}] {n.title} — {n.body}", file=out)
        return 0
    # The hop that failed last is the deepest one in the chain: the root cause, not its echo upstream.
    failed = next((h for h in reversed(hops) if not h.ok), None)
    why = f"{failed.source} → {failed.target} {failed.operation}: {failed.outcome}" if failed else \
        f"no notification reached {phone_name} within {DEADLINE:g}s"
    print(f"FAILED: {why}", file=out)
    return 1
