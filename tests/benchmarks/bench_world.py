"""End-to-end throughput of one world: DMs from Account B until they show on Account A's iPhone.

Every message crosses five real TLS hops (B → chat, chat → proxy, proxy → APNs over HTTP/2,
APNs → phone, phone → chat ack, chat → proxy ack). Prints notifications/s shown on the phone for
sequential and concurrent senders, and the start-up time of a world.

    python tests/benchmarks/bench_world.py [--messages 300] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from fake_devices import NotificationShown  # noqa: E402
from simulator import SimConfig, Simulator, SystemClock  # noqa: E402
from simulator.story import cast_dm_world, send_dm  # noqa: E402


async def bench(messages: int, concurrency: int) -> None:
    started = time.perf_counter()
    async with Simulator(SimConfig(seed=1), clock=SystemClock()) as sim:
        boot = time.perf_counter() - started
        cast = await cast_dm_world(sim)
        await cast.phone.to_background()
        await send_dm(sim, cast, "warm-up")
        await sim.bus.wait_for(NotificationShown, timeout=10)
        await sim.settle(30)
        for label, width in (("sequential", 1), (f"{concurrency} concurrent", concurrency)):
            mark = sim.bus.mark()
            gate = asyncio.Semaphore(width)

            async def one(i: int) -> None:
                async with gate:
                    await send_dm(sim, cast, f"message {i}")

            t0 = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(messages)))
            await sim.settle(120)
            elapsed = time.perf_counter() - t0
            shown = len(sim.bus.find(NotificationShown, since=mark))
            assert shown == messages, f"only {shown} of {messages} shown"
            print(f"{label:>16}: {messages} DMs shown on the phone in {elapsed:.2f}s = {messages / elapsed:7.1f}/s")
        print(f"{'world start':>16}: {boot * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(bench(args.messages, args.concurrency))


if __name__ == "__main__":
    main()
