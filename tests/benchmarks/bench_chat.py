"""Throughput of the fake Mattermost server: posts/s through ``POST /api/v4/posts`` into a channel of
N members (1, 100, 1000), with the whole push pipeline running to a proxy that answers OK, next to
the one-hop HTTPS ceiling measured in the same run.

Run: ``python tests/benchmarks/bench_chat.py [--seconds 3] [--posters 4] [--members 1 100 1000]``.

Everything runs in this one process on 127.0.0.1 with one trustme CA:
- chat: ``--posters`` clients POST posts over TLS; every other member has a device session and push
  level "all", so each post fans out to N-1 signed pushes (ES256 per push) that the bounded hub
  (PushNotificationBuffer 1000, NumCPU*8 workers) POSTs over TLS to a proxy answering ``OK``;
  a post counts when its request returns, a push when the proxy has answered it.
- ceiling: an aiohttp client POSTs a push-sized body to an empty aiohttp handler over TLS with as
  many requests in flight as the hub has workers: no push can go faster than this one hop.
Each measurement is bounded by ``--seconds`` (plus the drain of accepted pushes); well under a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web
from faker import Faker

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from simulator.chat.models import ChannelType  # noqa: E402
from simulator.tls import Pki  # noqa: E402
from tests.integration.test_chat_kit import PASSWORD, ChatKit, trusting  # noqa: E402

BODY = b'{"ack_id":"' + b"a" * 26 + b'","platform":"android_rn-v2","message":"' + b"x" * 300 + b'"}'


@dataclass
class Result:
    members: int
    posts: int
    post_seconds: float
    pushes: int
    push_seconds: float

    def line(self) -> str:
        per_post = 1000 * self.post_seconds / max(self.posts, 1)
        return (f"{self.members:>7} {self.posts:>6} {self.posts / self.post_seconds:>9.1f} {per_post:>8.1f} "
                f"{self.pushes:>7} {self.pushes / self.push_seconds if self.pushes else 0:>9.0f}")


async def channel_of(kit: ChatKit, members: int) -> tuple[str, str]:
    """Backdoor set-up: a poster and ``members - 1`` seeded phone users with push level "all"."""
    core = kit.core
    team = core.create_team(name=f"bench{members}", display_name=f"Bench {members}")
    channel = core.create_channel(team.id, name="bench", display_name="Bench", channel_type=ChannelType.OPEN)
    faker = Faker()
    faker.seed_instance(members)
    poster = core.create_user(username=f"poster{members}", password=PASSWORD)
    core.add_channel_member(channel.id, poster.id)
    for n, user in enumerate(core.seed_users(members - 1, faker)):
        core.add_channel_member(channel.id, user.id)
        core.patch_notify_props(user.id, {"push": "all"})
        core.login(login_id=user.username, password=PASSWORD, device_id=f"android_rn-v2:bench-{members}-{n}")
    return channel.id, await kit.login(poster.username)


async def measure(kit: ChatKit, members: int, seconds: float, posters: int) -> Result:
    channel_id, token = await channel_of(kit, members)

    async def one(text: str) -> None:
        status, answer = await kit.call("POST", "/api/v4/posts?set_online=false", token=token,
                                        body={"channel_id": channel_id, "message": text})
        if status != 201:
            raise RuntimeError(f"post failed: {status} {answer}")

    await one("warm-up")
    await kit.settle()
    kit.proxy.pushes.clear()
    done, stop = 0, time.perf_counter() + seconds

    async def poster() -> None:
        nonlocal done
        while time.perf_counter() < stop:
            await one(f"post {done}")
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(poster() for _ in range(posters)))
    posted = time.perf_counter() - started
    await kit.supervisor.drain(120)
    pushed = time.perf_counter() - started
    if len(kit.proxy.pushes) != done * (members - 1):
        raise RuntimeError(f"expected {done * (members - 1)} pushes, the proxy got {len(kit.proxy.pushes)}")
    result = Result(members=members, posts=done, post_seconds=posted, pushes=len(kit.proxy.pushes),
                    push_seconds=pushed)
    kit.proxy.pushes.clear()
    return result


async def ceiling(pki: Pki, seconds: float, concurrency: int) -> float:
    """Requests/s of the bare hop: aiohttp client -> empty aiohttp handler, TLS, keep-alive."""
    async def handler(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"status": "OK"})

    app = web.Application()
    app.router.add_post("/api/v1/send_push", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=pki.server_context("ceiling.pushsim.test")).start()
    url = f"https://127.0.0.1:{runner.addresses[0][1]}/api/v1/send_push"
    tls, done = trusting(pki), 0
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:
            async def worker(until: float) -> None:
                nonlocal done
                while time.perf_counter() < until:
                    async with http.post(url, data=BODY, ssl=tls) as resp:
                        await resp.read()
                    done += 1
            await asyncio.gather(*(worker(time.perf_counter() + 0.3) for _ in range(concurrency)))  # warm-up
            done, started = 0, time.perf_counter()
            await asyncio.gather(*(worker(started + seconds) for _ in range(concurrency)))
            return done / (time.perf_counter() - started)
    finally:
        await runner.cleanup()


async def run(seconds: float, posters: int, sizes: list[int]) -> None:
    pki = Pki()
    async with ChatKit(pki) as kit:
        workers = kit.gateway.concurrency
        print(f"chat server: {posters} posters, hub of {workers} workers, buffer {kit.gateway.capacity - workers}")
        print(f"{'members':>7} {'posts':>6} {'posts/s':>9} {'ms/post':>8} {'pushes':>7} {'pushes/s':>9}")
        results = [await measure(kit, members, seconds, posters) for members in sizes]
        for result in results:
            print(result.line())
    top = await ceiling(pki, seconds, workers)
    print(f"one-hop HTTPS ceiling (aiohttp client -> empty aiohttp handler, TLS, {workers} in flight): "
          f"{top:.0f} req/s")
    busiest = max(results, key=lambda r: r.pushes)
    if busiest.pushes:
        print(f"pushes/s at {busiest.members} members = {busiest.pushes / busiest.push_seconds / top:.0%} "
              f"of the ceiling")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="posting time per channel size")
    parser.add_argument("--posters", type=int, default=4, help="clients posting concurrently")
    parser.add_argument("--members", type=int, nargs="+", default=[1, 100, 1000], help="channel sizes")
    args = parser.parse_args(argv)
    asyncio.run(run(args.seconds, args.posters, args.members))
    return 0


if __name__ == "__main__":
    sys.exit(main())
