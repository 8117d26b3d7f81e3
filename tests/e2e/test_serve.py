"""`pushsim serve` as a real process: state files on disk, outside senders push to it — curl, and the
real client libraries (aioapns, firebase-admin, httpx through the CONNECT proxy) with nothing but the
files it wrote. One served world for the module: starting it costs a Python start-up."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import signal
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from simulator.signing import load_p8
from tests.support.senders import aioapns_client, aioapns_send, apply_env_file, firebase_send

pytestmark = pytest.mark.asyncio(loop_scope="module")  # the tests share one served world


def der_signed_jwt(key: ec.EllipticCurvePrivateKey, key_id: str, team_id: str, iat: float | None = None) -> str:
    # Apple's shell recipe signs with `openssl dgst -sha256 -sign`, which yields DER, not raw r||s.
    def enc(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    claims = {"iss": team_id, "iat": int(time.time() if iat is None else iat)}
    head = f"{enc({'alg': 'ES256', 'kid': key_id})}.{enc(claims)}"
    sig = key.sign(head.encode(), ec.ECDSA(hashes.SHA256()))
    return f"{head}.{base64.urlsafe_b64encode(sig).rstrip(b'=').decode()}"


async def read_until(stream: asyncio.StreamReader, *needles: str, timeout: float = 30) -> list[str]:
    """Lines up to the first that holds every one of ``needles``."""
    lines: list[str] = []
    async with asyncio.timeout(timeout):
        while True:
            line = (await stream.readline()).decode()
            if not line:
                raise AssertionError(f"stream ended before {needles!r}: {lines}")
            lines.append(line)
            if all(needle in line for needle in needles):
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


@dataclass
class Served:
    state: Path
    stdout: asyncio.StreamReader
    endpoints: dict[str, Any]

    def json(self, name: str) -> dict[str, Any]:
        return json.loads((self.state / name).read_text())


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def served(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    state = tmp_path_factory.mktemp("state")
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "simulator", "serve", "--state-dir",
                                                str(state), stdout=asyncio.subprocess.PIPE)
    assert proc.stdout is not None
    try:
        await read_until(proc.stdout, "(Account A's iPhone)")  # the banner's last line: every file is written
        yield Served(state=state, stdout=proc.stdout, endpoints=json.loads((state / "endpoints.json").read_text()))
    finally:
        proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(proc.wait(), 20) == 0


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl with HTTP/2")
async def test_serve_writes_its_state_and_takes_pushes_from_curl(served: Served) -> None:
    endpoints, apns, tmp_path = served.endpoints, served.json("apns.json"), served.state
    assert set(endpoints) >= {"chat", "proxy", "apns", "fcm", "ca_file", "connect_proxy", "control", "apns_control",
                              "fcm_control", "credentials"}
    assert (tmp_path / "ca.pem").read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    key = serialization.load_pem_private_key(Path(apns["key_file"]).read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)

    status, body = await curl(apns, der_signed_jwt(key, apns["key_id"], apns["team_id"]), endpoints["ca_file"])
    assert (status, body) == (200, "")
    shown = await read_until(served.stdout, "apns → account-a-iphone", '"from outside"')
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
    await read_until(served.stdout, "apns → mine")
    code, out = await pushsim("phone", "--state-dir", str(tmp_path), "inbox", "mine")
    assert code == 0 and [n["body"] for n in json.loads(out)] == ["from outside"]


async def inbox(served: Served, phone: str) -> list[str]:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{served.endpoints['control']}/phones/{phone}/notifications") as resp:
            return [n["body"] for n in await resp.json()]


async def test_real_senders_reach_the_served_world_with_only_its_files(served: Served,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    apns, fcm, ca = served.json("apns.json"), served.json("fcm.json"), served.endpoints["ca_file"]
    credentials = {"key-p8": {"key": Path(apns["key_file"]).read_text(), "key_id": apns["key_id"],
                              "team_id": apns["team_id"]},
                   "cert-pem": {"client_cert": apns["cert_file"]}}
    for auth, creds in credentials.items():  # aioapns: token auth with the .p8, certificate auth with the PEM
        client = aioapns_client(monkeypatch, apns["urls"]["production"], ca_file=ca, topic=apns["topic"], **creds)
        result = await aioapns_send(client, apns["device_token"], title="aioapns", body=auth)
        assert (int(result.status), result.description) == (200, None)
        assert "shown" in (await read_until(served.stdout, "apns → account-a-iphone", f'"{auth}"'))[-1]

    apply_env_file(monkeypatch, served.state / "env")  # from here on: HTTPS_PROXY and the world's CA
    name = await firebase_send(fcm["device_token"], "via-admin")  # GOOGLE_APPLICATION_CREDENTIALS
    assert name.startswith(f"projects/{fcm['project_id']}/messages/")
    assert "shown" in (await read_until(served.stdout, "fcm → account-a-pixel", '"via-admin"'))[-1]
    assert "via-admin" in await inbox(served, "account-a-pixel")

    httpx = pytest.importorskip("httpx")
    jwt = der_signed_jwt(load_p8(Path(apns["key_file"]).read_bytes()), apns["key_id"], apns["team_id"])
    async with httpx.AsyncClient(http2=True, timeout=20) as client:
        resp = await client.post(f"https://api.push.apple.com/3/device/{apns['device_token']}",
                                 headers={"authorization": f"bearer {jwt}", "apns-topic": apns["topic"]},
                                 json={"aps": {"alert": {"title": "httpx", "body": "via-connect"}}})
        assert (resp.status_code, resp.http_version) == (200, "HTTP/2")
        with pytest.raises(httpx.ProxyError, match="403"):  # the egress guard: nothing leaves the machine
            await client.get("https://api.github.com/")
    await read_until(served.stdout, "apns → account-a-iphone", '"via-connect"')
