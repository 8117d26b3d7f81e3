"""Throughput of FakeFcm (v1 ``messages:send`` and the OAuth ``/token`` endpoint) against an empty
aiohttp handler on the same TLS setup.

Run: ``python tests/benchmarks/bench_fcm.py [--seconds 1.5] [--connections 16] [--depth 1] [--rounds 4]``.

Every server runs in this process on 127.0.0.1 with the same TLS context and aiohttp settings; the
empty handler answers each POST 200 with a constant JSON body and reads nothing. The load comes
from a child process (``tests/support/fcm_load.py``) that keeps ``--connections`` keep-alive
HTTP/1.1 connections each with ``--depth`` pre-encoded requests in flight (1 by default: requests,
aiohttp and Go's net/http never pipeline), so the client costs little and the same for every
server. Rounds are interleaved and the best of each is kept, which filters out bursts of other load.

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


async def measure(port: int, ca_file: str, request: bytes, args: argparse.Namespace, tmp: Path
                  ) -> tuple[float, float]:
    """(requests/s of wall time, requests per CPU-second of this server process) answered 200."""
    request_file = tmp / "request.bin"
    request_file.write_bytes(request)
    command = [sys.executable, str(LOAD_CLIENT), str(port), ca_file, str(request_file),
               "--seconds", str(args.seconds), "--connections", str(args.connections), "--depth", str(args.depth)]
    cpu_before = time.process_time()
    process = await asyncio.create_subprocess_exec(*command, stdout=subprocess.PIPE)
    async with asyncio.timeout(CLIENT_DEADLINE + 10):
        out, _ = await process.communicate()
    cpu = time.process_time() - cpu_before
    result = json.loads(out)
    if result["failed"]:
        raise SystemExit(f"the load got {result['failed']} non-200 answers; fix the benchmark request")
    return result["ok"] / result["elapsed"], result["ok"] / cpu


async def run(args: argparse.Namespace) -> dict[str, tuple[float, float]]:
    ca = trustme.CA(key_type=trustme.KeyType.ECDSA)
    leaf = ca.issue_cert("127.0.0.1", key_type=trustme.KeyType.ECDSA)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(ctx)
    core, send, grant = build_core()
    rates: dict[str, list[tuple[float, float]]] = {"empty handler": [], "messages:send": [], "/token": []}
    events: deque[object] = deque(maxlen=10_000)  # a bounded sink, as the bus is
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        ca_file = str(tmp / "ca.pem")
        ca.cert_pem.write_to_path(ca_file)
        for _ in range(args.rounds):  # interleaved, so a burst of load elsewhere hits every server alike
            async with empty_server(ctx) as port:
                rates["empty handler"].append(await measure(port, ca_file, send, args, tmp))
            async with FakeFcm(core, ssl_context=ctx, publish=events.append, deliver=lambda d: None) as fcm:
                rates["messages:send"].append(await measure(fcm.port, ca_file, send, args, tmp))
                rates["/token"].append(await measure(fcm.port, ca_file, grant, args, tmp))
            core.reset()
    return {name: (max(v[0] for v in values), max(v[1] for v in values)) for name, values in rates.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=1.5, help="length of each measurement (max 60)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--depth", type=int, default=1, help="pipelined requests in flight per connection")
    parser.add_argument("--rounds", type=int, default=4, help="best of this many measurements per server")
    args = parser.parse_args(argv)
    rates = asyncio.run(run(args))
    wall, cpu = rates["empty handler"]
    print(f"{'':>14}  {'requests/s':>10} {'ratio':>7}   {'per server CPU-s':>16} {'ratio':>7}")
    for name, (rate, per_cpu) in rates.items():
        print(f"{name:>14}: {rate:10.0f} {rate / wall:7.1%}   {per_cpu:16.0f} {per_cpu / cpu:7.1%}")
    for label, ratio in (("wall-clock", rates["messages:send"][0] / wall),
                         ("per server CPU-second", rates["messages:send"][1] / cpu)):
        verdict = "OK" if ratio >= 0.6 else "BELOW TARGET"
        print(f"messages:send / empty handler, {label}: {ratio:.2f} (target >= 0.60): {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
