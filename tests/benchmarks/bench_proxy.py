"""Throughput of the push proxy: send_push requests/s from a client through the proxy to FakeApns,
next to the one-hop HTTPS ceiling measured in the same run.

Run: ``python tests/benchmarks/bench_proxy.py [--seconds 2] [--concurrency 32] [--rounds 7]``.

Everything runs in this one process (one thread, one event loop) on 127.0.0.1 with one trustme CA:
- ceiling: an aiohttp client POSTs the send_push body to an aiohttp handler that answers
  ``{"status":"OK"}`` at once, over TLS: one hop, nothing behind it;
- proxy: the same client POSTs to PushProxy over TLS, which validates, builds the APNs payload,
  signs (cached JWT) and sends it over its one HTTP/2 connection to FakeApns, which checks the
  token and delivers; every answer must be ``{"status":"OK"}``;
- apns hop: for the breakdown, the proxy's HTTP/2 client alone driving FakeApns the same way.
Fairness: every side runs with the same client concurrency, is warmed up first (TLS connections,
the provider JWT, caches), then measured ``--rounds`` times. In each round the ceiling and the
proxy run back to back, in alternating order, so each round's ratio compares the two under the same
machine load; the table shows each side's median and the verdict is the median of the rounds'
ratios. Each side is measured in wall time and in CPU time of this process. Everything runs on one
thread, so on an idle machine the two agree; on a shared one wall time measures the neighbours too,
while CPU time per request does not. The verdict (target: proxy >= 40% of the ceiling) is therefore
the CPU-time ratio; both are printed. Every loop is bounded by ``--seconds``; the whole run stays
well under a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import ssl
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from fake_apns import ApnsCore, DeviceRegistry, Environment, FakeApns, Faults, KeyRing  # noqa: E402
from simulator.bus import EventBus  # noqa: E402
from simulator.clock import FakeClock  # noqa: E402
from simulator.proxy import ApplePushSettings, ProxyConfig, PushNotification, PushProxy, build_apns  # noqa: E402
from simulator.proxy.h2client import H2Connection  # noqa: E402
from simulator.signing import ProviderKey, new_p256_key, p8_pem  # noqa: E402
from simulator.tls import Pki  # noqa: E402

TARGET_RATIO = 0.4
TOPIC = "com.mattermost.rn"
OK = b'{"status":"OK"}\n'
Call = Callable[[], Awaitable[None]]


async def load(call: Call, *, seconds: float, concurrency: int) -> tuple[float, float]:
    """Keep ``concurrency`` calls in flight for ``seconds``: completed calls per wall second and
    per CPU second of this process."""
    done = 0
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < stop:
            await call()
            done += 1

    started, cpu = time.perf_counter(), time.process_time()
    async with asyncio.timeout(seconds + 30):
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done / (time.perf_counter() - started), done / max(time.process_time() - cpu, 1e-9)


def poster(session: aiohttp.ClientSession, url: str, body: bytes, ssl_context: ssl.SSLContext) -> Call:
    """One send_push POST that must be answered OK."""
    async def call() -> None:
        async with session.post(url, data=body, ssl=ssl_context) as resp:
            answer = await resp.read()
        if resp.status != 200 or answer != OK:
            raise RuntimeError(f"unexpected answer {resp.status} {answer!r}")
    return call


async def ceiling_server(pki: Pki) -> web.AppRunner:
    """The least an HTTPS server can do per send_push: read the body, answer OK."""
    async def handler(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=OK, content_type="text/plain")

    app = web.Application()
    app.router.add_post("/api/v1/send_push", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=pki.server_context("bench.pushsim.test")).start()
    return runner


class Bench:
    """The world under test: keys, a device token, FakeApns' core, the proxy's config."""

    def __init__(self) -> None:
        self.pki, self.clock, self.bus = Pki(), FakeClock(), EventBus()
        self.key = ProviderKey(key=new_p256_key(random.Random(1)), key_id="BENCHKEY01", team_id="BENCHTEAM1")
        keys = KeyRing()
        keys.register(team_id=self.key.team_id, key_id=self.key.key_id, public_key=self.key.key.public_key())
        devices = DeviceRegistry(rng=random.Random(2), clock=self.clock)
        self.token = devices.register(topic=TOPIC, environment=Environment.PRODUCTION)
        self.core = ApnsCore(keys=keys, devices=devices, clock=self.clock, faults=Faults())
        self.push = PushNotification(
            ack_id="a" * 26, platform="apple_rn-v2", server_id="s" * 26, device_id=self.token, post_id="p" * 26,
            category="CAN_REPLY", message="Hello :wave:", badge=1, channel_id="c" * 26, channel_name="@accountb",
            type="message", sender_id="u" * 26, sender_name="@accountb", version="v2", signature="eyJ")
        apple = ApplePushSettings(type="apple_rn", apple_push_topic=TOPIC, apple_auth_key_pem=p8_pem(self.key.key),
                                  apple_auth_key_id=self.key.key_id, apple_team_id=self.key.team_id)
        # The throttle is the real one, set high: a bench is one caller with no X-Forwarded-For.
        self.config = ProxyConfig(apple_push_settings=(apple,), throttle_per_sec=10**9)

    def apns_hop(self, conn: H2Connection) -> Call:
        """One APNs request from the proxy's HTTP/2 client, as the sender makes it."""
        message = build_apns(self.push, app_version=2, topic=TOPIC)
        headers = [("authorization", f"bearer {self.key.token(self.clock())}"), *message.headers()]

        async def call() -> None:
            response = await conn.request("POST", f"/3/device/{self.token}", headers, message.body)
            if response.status != 200:
                raise RuntimeError(f"APNs answered {response.status} {response.body!r}")
        return call


async def run(seconds: float, concurrency: int, rounds: int) -> float:
    b = Bench()
    client_ssl = b.pki.client_context()
    ceiling = await ceiling_server(b.pki)
    wall: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    try:
        async with FakeApns(b.core, environment=Environment.PRODUCTION, ssl_context=b.pki.server_context(alpn=["h2"]),
                            publish=b.bus.publish, deliver=lambda _a: None) as apns, \
                PushProxy(b.config, apns_urls={False: apns.url, True: apns.url},
                          apns_ssl=b.pki.client_context(alpn=["h2"]), clock=b.clock, publish=b.bus.publish,
                          ssl_context=b.pki.server_context("push.mattermost.com")) as proxy:
            conn = H2Connection(apns.url, ssl_context=b.pki.client_context(alpn=["h2"]))
            await conn.connect()
            # One client session per side, so neither evicts the other's warm TLS connections.
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as to_ceiling, \
                    aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as to_proxy:
                body = b.push.to_json()
                sides = {"ceiling": poster(to_ceiling, f"https://127.0.0.1:{ceiling.addresses[0][1]}/api/v1/send_push",
                                           body, client_ssl),
                         "apns hop": b.apns_hop(conn),
                         "proxy": poster(to_proxy, f"{proxy.url}/api/v1/send_push", body, client_ssl)}
                for call in sides.values():  # warm up connections, the provider JWT and caches
                    await load(call, seconds=0.5, concurrency=concurrency)
                orders = (("ceiling", "proxy", "apns hop"), ("proxy", "ceiling", "apns hop"))
                for r in range(rounds):  # ceiling and proxy adjacent, neither always first
                    for name in orders[r % 2]:
                        per_wall, per_cpu = await load(sides[name], seconds=seconds, concurrency=concurrency)
                        wall.setdefault(name, []).append(per_wall)
                        cpu.setdefault(name, []).append(per_cpu)
            await conn.close()
            if proxy.errors or apns.errors:
                raise RuntimeError(f"component errors: {proxy.errors or apns.errors}")
    finally:
        await ceiling.cleanup()
    return report(wall, cpu)


def report(walls: dict[str, list[float]], cpus: dict[str, list[float]]) -> float:
    """Print the table (medians) and the verdict (median of the rounds' ratios); returns the CPU-time one."""
    wall = {name: statistics.median(runs) for name, runs in walls.items()}
    cpu = {name: statistics.median(runs) for name, runs in cpus.items()}
    rounds = len(cpus["proxy"])
    labels = {"ceiling": "one-hop HTTPS ceiling (aiohttp client -> empty handler)",
              "apns hop": "  (breakdown) proxy's HTTP/2 client -> FakeApns alone",
              "proxy": "send_push: client -> proxy (TLS) -> FakeApns (HTTP/2+TLS)"}
    print(f"{f'median of {rounds} rounds':60} {'req/s':>8} {'req/CPU-s':>10} {'CPU ms/req':>11}")
    for name, label in labels.items():
        print(f"{label:60} {wall[name]:8.0f} {cpu[name]:10.0f} {1000 / cpu[name]:11.2f}")
    own = 1000 / cpu["proxy"] - 1000 / cpu["ceiling"] - 1000 / cpu["apns hop"]
    print(f"{'  (breakdown) proxy server + its own work, per request':60} {'':8} {'':10} {own:11.2f}")
    wall_ratios = [p / c for p, c in zip(walls["proxy"], walls["ceiling"])]
    cpu_ratios = [p / c for p, c in zip(cpus["proxy"], cpus["ceiling"])]
    ratio, cpu_ratio = statistics.median(wall_ratios), statistics.median(cpu_ratios)
    print(f"per-round ratio by CPU time: {' '.join(f'{r:.2f}' for r in cpu_ratios)}")
    print(f"ratio proxy/ceiling: {ratio:.2f} by wall time, {cpu_ratio:.2f} by CPU time "
          f"(target >= {TARGET_RATIO} by CPU time): {'OK' if cpu_ratio >= TARGET_RATIO else 'BELOW TARGET'}")
    return cpu_ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one measurement")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight, the same on every side")
    parser.add_argument("--rounds", type=int, default=7, help="measurements per side; the median counts")
    args = parser.parse_args(argv)
    return 0 if asyncio.run(run(args.seconds, args.concurrency, args.rounds)) >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
