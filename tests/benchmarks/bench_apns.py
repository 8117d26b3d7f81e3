"""Throughput of FakeApns against a bare h2 echo server, on one TLS connection with many streams.

Run: ``python tests/benchmarks/bench_apns.py [--seconds 4] [--streams 200] [--rounds 2]``.

Both servers run in this process, on 127.0.0.1 with the same TLS context, the same h2
configuration and the same SETTINGS; the bare server answers every request 200 with an
``apns-id`` and nothing else. The load comes from a child process (this script with ``--client``)
that pre-encodes one stateless HPACK block and keeps ``--streams`` requests in flight, so the
client costs little and the same for both. The block is not Huffman-coded: decoding it would cost
both servers alike (h2's Huffman decoder is pure Python) and hide the fake's own share.
Besides wall-clock rates it prints rates per CPU-second of the server process, which other load
on the machine barely moves; the exit status (0 = target met) follows the CPU-second ratio. Prints notifications/s for each and the ratio
(target: FakeApns >= 60% of the bare server). Loopback only; every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from collections import deque
from pathlib import Path
from typing import Any

import h2.connection
import h2.events
import h2.settings
import trustme
from hpack import Encoder
from hpack.struct import NeverIndexedHeaderTuple

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from fake_apns import ApnsCore, DeviceRegistry, Environment, FakeApns, Faults, KeyRing  # noqa: E402
from fake_apns.protocol import H2_CONFIG, SETTINGS  # noqa: E402
from tests.support.jwt_es256 import bearer, new_key, provider_token  # noqa: E402

TEAM, KID, BUNDLE = "TEAM123456", "KEY1234567", "com.example.app"
PAYLOAD = b'{"aps":{"alert":{"title":"Alice","body":"hello"},"badge":1},"post_id":"p1"}'
CLIENT_DEADLINE = 60.0  # hard stop for the load process, whatever happens

# -- the bare comparison server ---------------------------------------------------------------


class BareEcho(asyncio.Protocol):
    """The least an h2 server can do per notification: 200 + apns-id, no checks, no events."""

    def __init__(self) -> None:
        self.conn = h2.connection.H2Connection(config=H2_CONFIG)
        self.conn.local_settings = h2.settings.Settings(client=False, initial_values=SETTINGS)
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.conn.initiate_connection()
        transport.write(self.conn.data_to_send())

    def data_received(self, data: bytes) -> None:
        for event in self.conn.receive_data(data):
            if isinstance(event, h2.events.DataReceived):
                self.conn.acknowledge_received_data(event.flow_controlled_length or 0, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                apns_id = str(uuid.UUID(int=random.getrandbits(128), version=4)).upper().encode()
                self.conn.send_headers(event.stream_id, ((b":status", b"200"), (b"apns-id", apns_id)),
                                       end_stream=True)
        if self.transport is not None:
            self.transport.write(self.conn.data_to_send())


# -- the load client (child process) ----------------------------------------------------------


def _frame(kind: int, flags: int, sid: int, body: bytes) -> bytes:
    return len(body).to_bytes(3, "big") + bytes((kind, flags)) + sid.to_bytes(4, "big") + body


def _request_blocks(token: str, authorization: str) -> tuple[bytes, bytes]:
    headers = [(":method", "POST"), (":scheme", "https"), (":path", f"/3/device/{token}"),
               (":authority", "api.push.apple.com"), ("authorization", authorization), ("apns-topic", BUNDLE),
               ("apns-push-type", "alert"), ("apns-priority", "10")]
    # Never-indexed literals leave the HPACK dynamic table alone: one block serves every stream.
    # No Huffman: see the module docstring.
    block = Encoder().encode([NeverIndexedHeaderTuple(k.encode(), v.encode()) for k, v in headers], huffman=False)
    return block, PAYLOAD


def run_client(port: int, ca_file: str, token: str, authorization: str, seconds: float, streams: int) -> dict[str, Any]:
    """Keep ``streams`` requests in flight for ``seconds``; count completed responses."""
    ctx = ssl.create_default_context(cafile=ca_file)
    ctx.set_alpn_protocols(["h2"])
    raw = socket.create_connection(("127.0.0.1", port))
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    sock.settimeout(10)
    block, body = _request_blocks(token, authorization)
    sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + _frame(4, 0, 0, b""))
    next_sid, window, done, errors, in_flight = 1, 65535, 0, 0, 0
    started = time.perf_counter()
    stop_at = started + min(seconds, CLIENT_DEADLINE)
    buffer = b""
    while True:
        now = time.perf_counter()
        out = []
        while in_flight < streams and now < stop_at and window >= len(body):
            out.append(_frame(1, 0x4, next_sid, block) + _frame(0, 0x1, next_sid, body))
            next_sid, in_flight, window = next_sid + 2, in_flight + 1, window - len(body)
        if out:
            sock.sendall(b"".join(out))
        if in_flight == 0:
            break
        buffer += sock.recv(1 << 20)
        reply, buffer, finished, failed, credit = _consume(buffer)
        done, errors, in_flight, window = done + finished, errors + failed, in_flight - finished, window + credit
        if reply:
            sock.sendall(reply)
    elapsed = time.perf_counter() - started
    sock.close()
    return {"done": done, "errors": errors, "seconds": elapsed}


def _consume(buffer: bytes) -> tuple[bytes, bytes, int, int, int]:
    """Parse whole frames: (frames to send back, rest, streams ended, non-200 answers, window credit)."""
    reply, finished, failed, credit, at = [], 0, 0, 0, 0
    while len(buffer) - at >= 9:
        size = int.from_bytes(buffer[at:at + 3], "big")
        if len(buffer) - at < 9 + size:
            break
        kind, flags, sid = buffer[at + 3], buffer[at + 4], int.from_bytes(buffer[at + 5:at + 9], "big")
        payload = buffer[at + 9:at + 9 + size]
        at += 9 + size
        if kind in (0, 1) and flags & 0x1:
            finished += 1
            failed += kind == 0  # only error answers carry a body
        elif kind == 4 and not flags & 0x1:
            reply.append(_frame(4, 0x1, 0, b""))
        elif kind == 6 and not flags & 0x1:
            reply.append(_frame(6, 0x1, 0, payload))
        elif kind == 8 and sid == 0:
            credit += int.from_bytes(payload, "big") & 0x7FFFFFFF
        elif kind == 7:
            raise ConnectionError(f"server sent GOAWAY: {payload!r}")
    return b"".join(reply), buffer[at:], finished, failed, credit


# -- orchestration ----------------------------------------------------------------------------


async def _load(port: int, ca_file: str, token: str, authorization: str, seconds: float,
                streams: int) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--client", str(port), ca_file, token, authorization, str(seconds), str(streams),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    async with asyncio.timeout(CLIENT_DEADLINE + 10):
        out, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"load client failed: {err.decode()}")
    result: dict[str, Any] = json.loads(out)
    return result


async def bench(seconds: float, streams: int, rounds: int) -> dict[str, float]:
    """Run both servers ``rounds`` times, alternating; the best rates of each (wall and per CPU-second)."""
    ca = trustme.CA(key_type=trustme.KeyType.ECDSA)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", key_type=trustme.KeyType.ECDSA).configure_cert(server_ctx)
    server_ctx.set_alpn_protocols(["h2"])
    key = new_key()
    keys = KeyRing()
    keys.register(TEAM, KID, key.public_key())
    devices = DeviceRegistry(random.Random(1), time.time)
    token = devices.register(BUNDLE, Environment.PRODUCTION)
    core = ApnsCore(keys=keys, devices=devices, clock=time.time, faults=Faults(), rng=random.Random(2))
    authorization = bearer(provider_token(key, key_id=KID, team_id=TEAM, iat=int(time.time())))
    bus: deque[object] = deque(maxlen=10_000)  # what a real event bus costs: one append per event
    delivered: deque[object] = deque(maxlen=10_000)
    best = {"fake": 0.0, "bare": 0.0, "fake_cpu": 0.0, "bare_cpu": 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        ca_file = str(Path(tmp) / "ca.pem")
        ca.cert_pem.write_to_path(ca_file)
        loop = asyncio.get_running_loop()
        bare = await loop.create_server(BareEcho, "127.0.0.1", 0, ssl=server_ctx)
        bare_port = bare.sockets[0].getsockname()[1]
        async with FakeApns(core, environment=Environment.PRODUCTION, ssl_context=server_ctx,
                            publish=bus.append, deliver=delivered.append) as apns:
            for _ in range(rounds):
                for name, port in (("fake", apns.port), ("bare", bare_port)):
                    cpu = time.process_time()  # this process runs only the server under load
                    result = await _load(port, ca_file, token, authorization, seconds, streams)
                    cpu = time.process_time() - cpu
                    if result["errors"]:
                        raise RuntimeError(f"{name}: {result['errors']} requests were refused")
                    best[name] = max(best[name], result["done"] / result["seconds"])
                    best[f"{name}_cpu"] = max(best[f"{name}_cpu"], result["done"] / cpu if cpu else 0.0)
            if apns.errors:
                raise RuntimeError(f"FakeApns recorded errors: {apns.errors!r}")
        bare.close()
        await bare.wait_closed()
    return best


def main(argv: list[str] | None = None) -> int:
    """Print notifications/s for FakeApns and the bare server, and their ratio."""
    args = argv if argv is not None else sys.argv[1:]
    if args[:1] == ["--client"]:
        port, ca_file, token, authorization, seconds, streams = args[1:7]
        print(json.dumps(run_client(int(port), ca_file, token, authorization, float(seconds), int(streams))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=3.0, help="load time per run (default 3)")
    parser.add_argument("--streams", type=int, default=200, help="requests in flight (default 200)")
    parser.add_argument("--rounds", type=int, default=2, help="runs per server, best kept (default 2)")
    opts = parser.parse_args(args)
    best = asyncio.run(bench(min(opts.seconds, 10.0), max(1, min(opts.streams, 900)), max(1, min(opts.rounds, 3))))
    ratio = best["fake"] / best["bare"] if best["bare"] else 0.0
    cpu_ratio = best["fake_cpu"] / best["bare_cpu"] if best["bare_cpu"] else 0.0
    print(f"bare h2 echo : {best['bare']:8.0f} notifications/s  {best['bare_cpu']:8.0f} per server CPU-second")
    print(f"FakeApns     : {best['fake']:8.0f} notifications/s  {best['fake_cpu']:8.0f} per server CPU-second")
    print(f"ratio        : {ratio:8.1%}                   {cpu_ratio:8.1%}  (target >= 60%)")
    return 0 if cpu_ratio >= 0.6 else 1


if __name__ == "__main__":
    raise SystemExit(main())
