"""Throughput of FakeFcm (v1 ``messages:send`` and the OAuth ``/token`` endpoint) against an empty
aiohttp handler on the same TLS setup.

Run: ``python tests/benchmarks/bench_fcm.py [--seconds 1.5] [--connections 16] [--depth 1] [--rounds 5]
[--warmup 0.5]``.

Every server runs in this process on 127.0.0.1 with the same TLS context and aiohttp settings; the
empty handler answers each POST 200 with a constant JSON body and reads nothing. The load comes
from a child process (``tests/support/fcm_load.py``) that keeps ``--connections`` keep-alive
HTTP/1.1 connections each with ``--depth`` pre-encoded requests in flight (1 by default: requests,
aiohttp and Go's net/http never pipeline), so the client costs little and the same for every
server. FakeFcm fully validates every message and authenticates every bearer token, as always.

Fairness: each server first takes an unmeasured ``--warmup`` run (imports, caches and the
allocator settle), then ``--rounds`` measured rounds interleave the servers, so a burst of load
elsewhere hits all of them alike; each figure is the median over the rounds, and each ratio the
median of the per-round ratios (a round's servers ran side by side in time).

Prints, for each server, requests/s of wall time and requests per CPU-second of the server process
(this one), with their ratios to the empty handler (target: messages:send >= 60%). Both verdicts
are printed: the wall-clock rate is what a sender sees, the CPU-normalised one what the fake costs
(on a shared 2-core machine the wall-clock one swings with whatever else runs, and with a single
load process it is partly bound by the client). Loopback only; every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import trustme
from aiohttp import web

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from fake_fcm import FakeFcm, FcmCore, HttpRequest, Registry, new_rsa_key  # noqa: E402
from tests.support.fcm_jwt import assertion, grant_form  # noqa: E402

PROJECT, PACKAGE = "bench-project", "com.mattermost.rnbeta"
SEND_PATH = f"/v1/projects/{PROJECT}/messages:send"
CLIENT_DEADLINE = 60.0  # hard stop for the load process, whatever happens
LOAD_CLIENT = ROOT / "tests" / "support" / "fcm_load.py"  # stdlib only: the child starts fast
EMPTY_BODY = json.dumps({"name": f"projects/{PROJECT}/messages/0"}).encode()


def _request(path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}",
             *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


# -- the servers (this process) ---------------------------------------------------------------


@asynccontextmanager
async def empty_server(ctx: ssl.SSLContext) -> AsyncIterator[int]:
    """An aiohttp app whose handler does nothing but answer a constant 200."""
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=EMPTY_BODY, content_type="application/json")

    app = web.Application()
    app.router.add_post(SEND_PATH, handler)
    app.router.add_post("/token", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ctx).start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


def build_core() -> tuple[FcmCore, bytes, bytes]:
    """A core with one project, account and install; returns it with a send and a token request."""
    clock = time.time
    registry = Registry(rng=random.Random(1), clock=clock)
    registry.add_project(PROJECT)
    registry.add_app(PROJECT, PACKAGE)
    account = registry.add_service_account(PROJECT, key=new_rsa_key())
    token = registry.register("phone-1", PROJECT, PACKAGE)
    core = FcmCore(registry=registry, clock=clock)
    form = grant_form(assertion(account.private_key, iss=account.client_email, kid=account.private_key_id,
                                iat=clock()))
    granted = core.token(HttpRequest(body=form, content_type="application/x-www-form-urlencoded"))
    bearer = json.loads(granted.body)["access_token"]
    message = {"message": {"token": token, "android": {"priority": "high"}, "data": {
        "ack_id": "a1", "type": "message", "sub_type": "", "version": "v2", "channel_id": "c1", "server_id": "s1",
        "is_crt_enabled": "false", "category": "CAN_REPLY", "signature": "NO_SIGNATURE", "team_id": "t1",
        "sender_id": "u1", "sender_name": "alice", "message": "Hello", "channel_name": "town-square",
        "post_id": "p1", "override_username": "", "override_icon_url": "", "from_webhook": ""}}}
    send = _request(SEND_PATH, json.dumps(message).encode(), {"Content-Type": "application/json",
                                                              "Authorization": f"Bearer {bearer}"})
    grant = _request("/token", form, {"Content-Type": "application/x-www-form-urlencoded"})
    return core, send, grant


async def measure(port: int, ca_file: str, request: bytes, args: argparse.Namespace, tmp: Path,
                  seconds: float | None = None) -> tuple[float, float]:
    """(requests/s of wall time, requests per CPU-second of this server process) answered 200."""
    request_file = tmp / "request.bin"
    request_file.write_bytes(request)
    command = [sys.executable, str(LOAD_CLIENT), str(port), ca_file, str(request_file),
               "--seconds", str(args.seconds if seconds is None else seconds),
               "--connections", str(args.connections), "--depth", str(args.depth)]
    cpu_before = time.process_time()
    process = await asyncio.create_subprocess_exec(*command, stdout=subprocess.PIPE)
    async with asyncio.timeout(CLIENT_DEADLINE + 10):
        out, _ = await process.communicate()
    cpu = time.process_time() - cpu_before
    result = json.loads(out)
    if result["failed"]:
        raise SystemExit(f"the load got {result['failed']} non-200 answers; fix the benchmark request")
    return result["ok"] / result["elapsed"], result["ok"] / cpu


Rates = dict[str, list[tuple[float, float]]]  # server -> per round (requests/s, requests per CPU-s)


async def run(args: argparse.Namespace) -> Rates:
    """Warm every server up once, then measure them interleaved for ``args.rounds`` rounds."""
    ca = trustme.CA(key_type=trustme.KeyType.ECDSA)
    leaf = ca.issue_cert("127.0.0.1", key_type=trustme.KeyType.ECDSA)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(ctx)
    core, send, grant = build_core()
    rates: Rates = {"empty handler": [], "messages:send": [], "/token": []}
    events: deque[object] = deque(maxlen=10_000)  # a bounded sink, as the bus is
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        ca_file = str(tmp / "ca.pem")
        ca.cert_pem.write_to_path(ca_file)
        for round_ in range(-1, args.rounds):  # round -1 is the warm-up: run, not recorded
            seconds = args.warmup if round_ < 0 else None
            async with empty_server(ctx) as port:
                empty = await measure(port, ca_file, send, args, tmp, seconds)
            async with FakeFcm(core, ssl_context=ctx, publish=events.append, deliver=lambda d: None) as fcm:
                sent = await measure(fcm.port, ca_file, send, args, tmp, seconds)
                granted = await measure(fcm.port, ca_file, grant, args, tmp, seconds)
            core.reset()
            if round_ >= 0:
                for name, rate in zip(rates, (empty, sent, granted)):
                    rates[name].append(rate)
    return rates


def report(rates: Rates) -> list[str]:
    """The table and the two verdicts (medians over rounds)."""
    base = rates["empty handler"]
    lines = [f"{'':>14}  {'requests/s':>10} {'ratio':>7}   {'per server CPU-s':>16} {'ratio':>7}"
             f"   (median of {len(base)} rounds)"]
    ratios: dict[str, tuple[float, float]] = {}
    for name, rounds in rates.items():
        wall_ratio = statistics.median(r[0] / b[0] for r, b in zip(rounds, base))
        cpu_ratio = statistics.median(r[1] / b[1] for r, b in zip(rounds, base))
        ratios[name] = (wall_ratio, cpu_ratio)
        lines.append(f"{name:>14}: {statistics.median(r[0] for r in rounds):10.0f} {wall_ratio:7.1%}   "
                     f"{statistics.median(r[1] for r in rounds):16.0f} {cpu_ratio:7.1%}")
    spread = sorted(r[1] / b[1] for r, b in zip(rates["messages:send"], base))
    lines.append(f"messages:send per-CPU ratio by round: {', '.join(f'{x:.2f}' for x in spread)}")
    for label, ratio in (("wall-clock", ratios["messages:send"][0]),
                         ("per server CPU-second", ratios["messages:send"][1])):
        verdict = "OK" if ratio >= 0.6 else "BELOW TARGET"
        lines.append(f"messages:send / empty handler, {label}: {ratio:.2f} (target >= 0.60): {verdict}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=1.5, help="length of each measurement (max 60)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--depth", type=int, default=1, help="pipelined requests in flight per connection")
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds; figures are their medians")
    parser.add_argument("--warmup", type=float, default=0.5, help="seconds of unmeasured load per server first")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    print("\n".join(report(asyncio.run(run(args)))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
