"""The load client of ``tests/benchmarks/bench_fcm.py``: stdlib only, run as a child process.

Usage: ``python fcm_load.py PORT CA_FILE REQUEST_FILE [--seconds S] [--connections N] [--depth D]``.
Keeps N keep-alive HTTPS connections to 127.0.0.1:PORT, each with D copies of the pre-encoded
request in flight, for S seconds (at most 60), then prints ``{"ok", "failed", "elapsed"}`` as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import time
from pathlib import Path
from typing import Any

DEADLINE = 60.0  # hard stop, whatever happens


def _responses(buffer: bytearray) -> tuple[int, int]:
    """Consume complete responses from ``buffer``; returns (ok, failed)."""
    ok = failed = 0
    while (end := buffer.find(b"\r\n\r\n")) >= 0:
        head = bytes(buffer[:end]).decode("latin-1").split("\r\n")
        length = next((int(h.split(":", 1)[1]) for h in head if h.lower().startswith("content-length:")), 0)
        if len(buffer) < end + 4 + length:
            break
        del buffer[:end + 4 + length]
        ok, failed = (ok + 1, failed) if head[0].split(" ")[1] == "200" else (ok, failed + 1)
    return ok, failed


async def _connection(port: int, ctx: ssl.SSLContext, request: bytes, stop_at: float, depth: int) -> tuple[int, int]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname="127.0.0.1")
    writer.write(request * depth)
    in_flight, ok, failed, buffer = depth, 0, 0, bytearray()
    while in_flight:
        chunk = await reader.read(1 << 18)
        if not chunk:
            break
        buffer += chunk
        good, bad = _responses(buffer)
        ok, failed, in_flight = ok + good, failed + bad, in_flight - good - bad
        more = (good + bad) if time.perf_counter() < stop_at else 0
        if more:
            writer.write(request * more)
            in_flight += more
    writer.close()
    return ok, failed


async def run_client(port: int, ca_file: str, request: bytes, seconds: float, connections: int,
                     depth: int) -> dict[str, Any]:
    """Keep ``connections`` x ``depth`` requests in flight for ``seconds``; count the answers."""
    ctx = ssl.create_default_context(cafile=ca_file)
    started = time.perf_counter()
    stop_at = started + min(seconds, DEADLINE)
    async with asyncio.timeout(DEADLINE):
        results = await asyncio.gather(*(_connection(port, ctx, request, stop_at, depth)
                                         for _ in range(connections)))
    return {"ok": sum(r[0] for r in results), "failed": sum(r[1] for r in results),
            "elapsed": time.perf_counter() - started}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="HTTPS load for bench_fcm.py")
    parser.add_argument("port", type=int)
    parser.add_argument("ca_file")
    parser.add_argument("request_file", type=Path)
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--depth", type=int, default=1)
    args = parser.parse_args(argv)
    result = asyncio.run(run_client(args.port, args.ca_file, args.request_file.read_bytes(), args.seconds,
                                    args.connections, args.depth))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
