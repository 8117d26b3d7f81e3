"""`pushsim serve`: the A/B world listening until Ctrl-C, with its endpoints and keys on disk."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import Any, TextIO

from fake_apns import Environment

from .clock import SystemClock
from .config import SimConfig
from .events import HopAttempted
from .harness import APNS_HOSTS, Simulator
from .signing import p8_pem
from .story import PASSWORD, cast_dm_world
from .trace import hop_line


def write_state(sim: Simulator, state_dir: Path, *, device_token: str) -> dict[str, Any]:
    """Write endpoints.json, ca.pem and the APNs token-auth material; returns endpoints.json's data."""
    paths = sim.pki.write(state_dir)
    key_path = state_dir / f"AuthKey_{sim.config.key_id}.p8"
    key_path.write_bytes(p8_pem(sim.provider_key.key))
    key_path.chmod(0o600)
    apns = {
        "key_file": str(key_path), "key_id": sim.config.key_id, "team_id": sim.config.team_id,
        "topic": sim.config.ios_bundle_id, "device_token": device_token,
        "device_token_help": "the token of Account A's emulated iPhone (Mattermost app installed); "
                             "pushes to it show on that phone and in this process's trace",
        "urls": {env.value: sim.apns[env].url for env in Environment},
        "tls_names": {env.value: host for env, host in APNS_HOSTS.items()},
    }
    endpoints = {
        "chat": sim.chat.url, "proxy": sim.proxy.url, "apns": apns["urls"], "ca_file": str(paths["ca"]),
        "connect_proxy": sim.connect.url, "control": sim.control.url,
        "accounts": {"accounta": PASSWORD, "accountb": PASSWORD},
    }
    _write_env(state_dir / "env", proxy_url=sim.connect.url, ca=paths["ca"])
    _write_push_proxy_config(state_dir / "mattermost-push-proxy.json", sim, key_path)
    (state_dir / "apns.json").write_text(json.dumps(apns, indent=2) + "\n")
    (state_dir / "endpoints.json").write_text(json.dumps(endpoints, indent=2) + "\n")
    return endpoints


def _write_env(path: Path, *, proxy_url: str, ca: Path) -> None:
    # `set -a; . ./env` (or docker --env-file) points unpatched senders at the fakes.
    lines = [f"HTTPS_PROXY={proxy_url}", f"https_proxy={proxy_url}", "NO_PROXY=127.0.0.1,localhost",
             "no_proxy=127.0.0.1,localhost", f"SSL_CERT_FILE={ca}", f"REQUESTS_CA_BUNDLE={ca}",
             f"NODE_EXTRA_CA_CERTS={ca}"]
    path.write_text("\n".join(lines) + "\n")


def _write_push_proxy_config(path: Path, sim: Simulator, key_path: Path) -> None:
    # The real mattermost-push-proxy, run with the env file, reaches the fake APNs unchanged.
    config = {
        "ListenAddress": ":8066", "ThrottlePerSec": 300, "ThrottleMemoryStoreSize": 50000,
        "ThrottleVaryByHeader": "X-Forwarded-For", "EnableMetrics": False, "SendTimeoutSec": 30,
        "RetryTimeoutSec": 8,
        "ApplePushSettings": [{
            "Type": sim.config.ios_push_type, "ApplePushUseDevelopment": False, "ApplePushCertPrivate": "",
            "ApplePushCertPassword": "", "ApplePushTopic": sim.config.ios_bundle_id,
            "AppleAuthKeyFile": str(key_path), "AppleAuthKeyID": sim.config.key_id,
            "AppleTeamID": sim.config.team_id}],
        "AndroidPushSettings": [],
        "EnableConsoleLog": True, "EnableFileLog": False, "LogFileLocation": "", "LogFormat": "plain",
    }
    path.write_text(json.dumps(config, indent=2) + "\n")


async def run_serve(config: SimConfig, *, state_dir: Path, out: TextIO) -> int:
    """Serve until SIGINT/SIGTERM; print one line per hop as it happens."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Simulator(config, clock=SystemClock()) as sim:
        cast = await cast_dm_world(sim)
        await cast.phone.to_background()  # the doc's state: app closed, still logged in
        endpoints = write_state(sim, state_dir, device_token=cast.phone.app().token)
        print(f"pushsim serving; state in {state_dir}", file=out)
        for name in ("chat", "proxy"):
            print(f"  {name:<6} {endpoints[name]}", file=out)
        for env, url in endpoints["apns"].items():
            print(f"  apns   {url} ({env})", file=out)
        print(f"  token  {cast.phone.app().token} (Account A's iPhone)", file=out, flush=True)
        with sim.bus.subscribe() as events:
            waiter = asyncio.ensure_future(stop.wait())
            while not stop.is_set():
                getter = asyncio.ensure_future(events.__anext__())
                done, _ = await asyncio.wait({getter, waiter}, return_when=asyncio.FIRST_COMPLETED)
                if getter in done and isinstance(event := getter.result(), HopAttempted):
                    print(hop_line(event), file=out, flush=True)
                if getter not in done:
                    getter.cancel()
        print("pushsim: stopping", file=out)
    return 0
