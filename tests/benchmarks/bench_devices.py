"""What an idle emulated phone costs, and how fast a world of them takes pushes.

Run: ``python tests/benchmarks/bench_devices.py [--phones 10000]``.

Starts one world (chat server, proxy, APNs), then adds ``--phones`` phones with the Mattermost app
installed (a live APNs token each) on real ``PhoneLinks``. Prints the traced bytes per idle phone
(tracemalloc, after a GC, around the creation only), the tasks they started (must be 0), the
creation rate, and the rate at which ``Fleet.deliver`` takes one signed push per phone (verify the
ES256 signature, show it, queue the ack; acks are not sent: no phone is logged in).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from fake_apns import Environment  # noqa: E402
from fake_devices import MATTERMOST_IOS, Fleet, Phone, Platform, ServerInfo  # noqa: E402
from simulator import FakeClock, SimConfig, Simulator  # noqa: E402
from simulator.links import PhoneLinks  # noqa: E402
from simulator.signing import es256_jwt, spki_b64  # noqa: E402


class ApnsTokens:
    def __init__(self, sim: Simulator) -> None:
        self._devices = sim.devices

    def register(self, *, topic: str, sandbox: bool) -> str:
        return self._devices.register(topic=topic, environment=Environment.PRODUCTION)

    def unregister(self, token: str) -> None:
        self._devices.unregister(token)


def idle_phones(fleet: Fleet, count: int) -> tuple[list[Phone], int, float]:
    """``count`` phones with the app installed; returns them, the traced bytes and the seconds."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    started = time.perf_counter()
    phones = []
    for i in range(count):
        phone = fleet.add_phone(f"phone-{i:05d}")
        phone.install(MATTERMOST_IOS)
        phones.append(phone)
    seconds = time.perf_counter() - started
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    return phones, grown, seconds


def push_for(sim: Simulator, phone: Phone) -> dict[str, Any]:
    token = phone.app().token
    return {"aps": {"alert": {"title": "@b", "body": "hi"}, "mutable-content": 1, "badge": 1},
            "type": "message", "ack_id": "ack", "post_id": "p", "channel_id": "c", "server_id": "d",
            "signature": es256_jwt(sim.signing_key, {"ack_id": "ack", "device_id": token})}


async def main(count: int) -> dict[str, float]:
    async with Simulator(SimConfig(seed=1), clock=FakeClock()) as sim:
        links = PhoneLinks(publish=sim.bus.publish, clock=sim.clock, supervisor=sim.sockets,
                           world_ca_pem=sim.pki.ca.cert_pem.bytes())
        sim.fleet = Fleet(seed=1, clock=sim.clock, publish=lambda _e: None, registrar={Platform.IOS: ApnsTokens(sim)},
                          links=links, spawn=sim.supervisor.spawn)
        tasks_before = len(asyncio.all_tasks())
        phones, grown, seconds = idle_phones(sim.fleet, count)
        new_tasks = len(asyncio.all_tasks()) - tasks_before
        server = ServerInfo(url=sim.chat.url, diagnostic_id="d", signing_key=spki_b64(sim.signing_key),
                            version="10.11.0")
        pushes = []
        for phone in phones:
            phone.app().server = server  # as if the server had been added (its key is what verifies)
            pushes.append((phone.app().token, push_for(sim, phone)))
        started = time.perf_counter()
        shown = sum(sim.fleet.deliver(token, push).outcome == "shown" for token, push in pushes)
        deliver_s = time.perf_counter() - started
        await links.close()
    return {"phones": count, "bytes_per_idle_phone": grown / count, "new_tasks": new_tasks,
            "phones_per_s": count / seconds, "pushes_per_s": count / deliver_s, "shown": shown}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=10_000)
    figures = asyncio.run(main(parser.parse_args().phones))
    print(f"{figures['phones']:.0f} idle phones: {figures['bytes_per_idle_phone']:.0f} bytes each (tracemalloc), "
          f"{figures['new_tasks']:.0f} tasks started, {figures['phones_per_s']:.0f} phones/s created")
    print(f"Fleet.deliver: {figures['pushes_per_s']:.0f} verified pushes/s, {figures['shown']:.0f} shown")
