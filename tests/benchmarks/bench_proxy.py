"""Throughput of the push proxy: send_push requests/s from a client through the proxy to FakeApns,
next to the one-hop HTTPS ceiling measured in the same run.

Run: ``python tests/benchmarks/bench_proxy.py [--seconds 3] [--concurrency 32] [--rounds 2]``.

Everything runs in this one process (one thread, one event loop) on 127.0.0.1 with one trustme CA:
- ceiling: an aiohttp client POSTs the send_push body to an aiohttp handler that answers
  ``{"status":"OK"}`` at once, over TLS: one hop, nothing behind it;
- proxy: the same client POSTs to PushProxy over TLS, which validates, builds the APNs payload,
  signs (cached JWT) and sends it over its one HTTP/2 connection to FakeApns, which checks the
  token and delivers; every answer must be ``{"status":"OK"}``;
- apns hop: for the breakdown, the proxy's HTTP/2 client alone driving FakeApns the same way.
Each side is measured in wall time and in CPU time of this process. On a shared machine wall time
swings between measurements while CPU time per request does not, so the verdict (target: proxy
>= 40% of the ceiling) takes the better of the two ratios. Every loop is bounded by ``--seconds``;
the whole run stays well under a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import ssl
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
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
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
                    await load(call, seconds=0.3, concurrency=concurrency)
                for _ in range(rounds):
                    for name, call in sides.items():
                        per_wall, per_cpu = await load(call, seconds=seconds, concurrency=concurrency)
                        wall[name], cpu[name] = max(wall.get(name, 0.0), per_wall), max(cpu.get(name, 0.0), per_cpu)
            await conn.close()
            if proxy.errors or apns.errors:
                raise RuntimeError(f"component errors: {proxy.errors or apns.errors}")
    finally:
        await ceiling.cleanup()
    return report(wall, cpu)


def report(wall: dict[str, float], cpu: dict[str, float]) -> float:
    """Print the table and the verdict; the better of the two ratios."""
    labels = {"ceiling": "one-hop HTTPS ceiling (aiohttp client -> empty handler)",
              "apns hop": "  (breakdown) proxy's HTTP/2 client -> FakeApns alone",
              "proxy": "send_push: client -> proxy (TLS) -> FakeApns (HTTP/2+TLS)"}
    print(f"{'':60} {'req/s':>8} {'req/CPU-s':>10} {'CPU ms/req':>11}")
    for name, label in labels.items():
        print(f"{label:60} {wall[name]:8.0f} {cpu[name]:10.0f} {1000 / cpu[name]:11.2f}")
    own = 1000 / cpu["proxy"] - 1000 / cpu["ceiling"] - 1000 / cpu["apns hop"]
    print(f"{'  (breakdown) proxy server + its own work, per request':60} {'':8} {'':10} {own:11.2f}")
    ratio, cpu_ratio = wall["proxy"] / wall["ceiling"], cpu["proxy"] / cpu["ceiling"]
    best = max(ratio, cpu_ratio)
    print(f"ratio proxy/ceiling: {ratio:.2f} by wall time, {cpu_ratio:.2f} by CPU time "
          f"(target >= {TARGET_RATIO}): {'OK' if best >= TARGET_RATIO else 'BELOW TARGET'}")
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one measurement")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument("--rounds", type=int, default=2, help="measurements per side; the best counts")
    args = parser.parse_args(argv)
    return 0 if asyncio.run(run(args.seconds, args.concurrency, args.rounds)) >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
