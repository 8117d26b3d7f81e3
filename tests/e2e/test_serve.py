"""`pushsim serve` as a real process: state files on disk, an outside sender (curl) pushes to it."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import signal
import sys
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl with HTTP/2")


def der_signed_jwt(key: ec.EllipticCurvePrivateKey, key_id: str, team_id: str, iat: float | None = None) -> str:
    # Apple's shell recipe signs with `openssl dgst -sha256 -sign`, which yields DER, not raw r||s.
    def enc(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    head = f"{enc({'alg': 'ES256', 'kid': key_id})}.{enc({'iss': team_id, 'iat': int(time.time() if iat is None else iat)})}"
    sig = key.sign(head.encode(), ec.ECDSA(hashes.SHA256()))
    return f"{head}.{base64.urlsafe_b64encode(sig).rstrip(b'=').decode()}"


async def read_until(stream: asyncio.StreamReader, needle: str, timeout: float = 30) -> list[str]:
    lines: list[str] = []
    async with asyncio.timeout(timeout):
        while True:
            line = (await stream.readline()).decode()
            if not line:
                raise AssertionError(f"stream ended before {needle!r}: {lines}")
            lines.append(line)
            if needle in line:
                return lines


async def pushsim(*argv: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "simulator", *argv,
                                                stdout=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(proc.communicate(), 20)
    return proc.returncode or 0, out.decode()


async def curl(state: dict[str, object], jwt: str, ca: str, token: str | None = None) -> tuple[int, str]:
    url = f"{state['urls']['production']}/3/device/{token or state['device_token']}"  # type: ignore[index]
    proc = await asyncio.create_subprocess_exec(
        "curl", "-s", "--http2", "--cacert", ca, "-o", "-", "-w", "\n%{http_code}",
        "-H", f"authorization: bearer {jwt}", "-H", f"apns-topic: {state['topic']}", "-H", "apns-push-type: alert",
        "-d", '{"aps":{"alert":{"title":"curl","body":"from outside"},"mutable-content":1}}', url,
        stdout=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(proc.communicate(), 20)
    body, _, code = out.decode().rpartition("\n")
    return int(code), body


async def test_serve_writes_its_state_and_takes_pushes_from_curl(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "simulator", "serve", "--state-dir",
                                                str(tmp_path), stdout=asyncio.subprocess.PIPE)
    assert proc.stdout is not None
    try:
        await read_until(proc.stdout, "token")
        endpoints = json.loads((tmp_path / "endpoints.json").read_text())
        apns = json.loads((tmp_path / "apns.json").read_text())
        assert set(endpoints) >= {"chat", "proxy", "apns", "ca_file"}
        assert (tmp_path / "ca.pem").read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
        key = serialization.load_pem_private_key(Path(apns["key_file"]).read_bytes(), None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)

        status, body = await curl(apns, der_signed_jwt(key, apns["key_id"], apns["team_id"]), endpoints["ca_file"])
        assert (status, body) == (200, "")
        shown = await read_until(proc.stdout, "apns → account-a-iphone")
        assert "shown" in shown[-1]

        stranger = ec.generate_private_key(ec.SECP256R1())
        status, body = await curl(apns, der_signed_jwt(stranger, apns["key_id"], apns["team_id"]),
                                  endpoints["ca_file"])
        assert (status, json.loads(body)) == (403, {"reason": "InvalidProviderToken"})

        # A phone of your own: made by the CLI, pushed to by curl, read back by the CLI.
        code, out = await pushsim("phone", "--state-dir", str(tmp_path), "add", "--name", "mine")
        token = json.loads(out)["apps"][0]["token"]
        assert code == 0
        status, _ = await curl(apns, der_signed_jwt(key, apns["key_id"], apns["team_id"]), endpoints["ca_file"], token)
        assert status == 200
        await read_until(proc.stdout, "apns → mine")
        code, out = await pushsim("phone", "--state-dir", str(tmp_path), "inbox", "mine")
        assert code == 0 and [n["body"] for n in json.loads(out)] == ["from outside"]
    finally:
        proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(proc.wait(), 20) == 0
