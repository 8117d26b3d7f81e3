"""`pushsim serve`: the A/B world listening until Ctrl-C, with its endpoints and credentials on disk.

Everything an unpatched sender needs lands in the state dir: the CA, an APNs .p8 key and a PEM
client certificate, Firebase service-account files, an ``env`` file for the CONNECT proxy, a config
for the real mattermost-push-proxy, and live device tokens (apns-fcm.md Part C, mattermost-push.md §3, §11).
"""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import Any, TextIO

from fake_apns import Environment
from fake_devices import MATTERMOST_ANDROID

from .clock import SystemClock
from .config import SimConfig
from .egress import GOOGLE_HOSTS
from .events import HopAttempted
from .harness import APNS_HOSTS, Simulator
from .proxies import PUBLIC_BUNDLES
from .signing import p8_pem
from .story import PASSWORD, cast_dm_world
from .trace import hop_line

CERT_FILE = "apns-provider-cert.pem"  # certificate then key: what curl --cert, aioapns and Python's ssl read
PIXEL = "account-a-pixel"
FCM_SEND = "https://fcm.googleapis.com/v1/projects/{project}/messages:send"


def write_state(sim: Simulator, state_dir: Path, *, device_token: str, fcm_token: str = "") -> dict[str, Any]:
    """Write endpoints.json, ca.pem, apns.json, fcm.json, env and the credentials; returns endpoints.json's data."""
    ca = sim.pki.write(state_dir)["ca"]
    key_path = _secret(state_dir / f"AuthKey_{sim.config.key_id}.p8", p8_pem(sim.provider_key.key))
    cert_path, topics = _write_provider_certificate(sim, state_dir)
    accounts = {project: str(_secret(state_dir / f"firebase-{project}.json", sim.service_account_json(project)))
                for project in sim.fcm_accounts}
    own_account = accounts[sim.config.firebase_project_id]
    apns = {
        "key_file": str(key_path), "key_id": sim.config.key_id, "team_id": sim.config.team_id,
        "topic": sim.config.ios_bundle_id, "device_token": device_token,
        "device_token_help": "the token of Account A's emulated iPhone (Mattermost app installed); "
                             "pushes to it show on that phone and in this process's trace",
        "cert_file": str(cert_path), "cert_topics": topics, "cert_environments": [e.value for e in Environment],
        "urls": {env.value: sim.apns[env].url for env in Environment},
        "tls_names": {env.value: host for env, host in APNS_HOSTS.items()},
    }
    fcm = _fcm_info(sim, accounts, fcm_token)
    endpoints = {
        "chat": sim.chat.url, "proxy": sim.proxy.url, "apns": apns["urls"], "fcm": sim.fcm.url,
        "ca_file": str(ca), "connect_proxy": sim.connect.url, "control": sim.control.url,
        "apns_control": sim.apns_control.url, "fcm_control": sim.fcm_control.url,
        "proxies": {role.value.lower(): proxy.url for role, proxy in sim.proxies.items()},
        "credentials": {"apns_key_file": str(key_path), "apns_cert_file": str(cert_path),
                        "firebase_service_accounts": accounts, "google_application_credentials": own_account},
        "accounts": {"accounta": PASSWORD, "accountb": PASSWORD},
    }
    _write_env(state_dir / "env", proxy_url=sim.connect.url, ca=ca, google_credentials=own_account)
    _write_push_proxy_config(state_dir / "mattermost-push-proxy.json", sim, key_path, own_account)
    for name, data in (("apns.json", apns), ("fcm.json", fcm), ("endpoints.json", endpoints)):
        (state_dir / name).write_text(json.dumps(data, indent=2) + "\n")
    return endpoints


def _secret(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    path.chmod(0o600)  # private keys: only the owner reads them, as ssh and gcloud expect
    return path


def _write_provider_certificate(sim: Simulator, state_dir: Path) -> tuple[Path, list[str]]:
    """A client certificate for every iOS app of the world, both environments (apns-fcm.md A3.2)."""
    topics = list(dict.fromkeys((sim.config.ios_bundle_id, *PUBLIC_BUNDLES)))  # the first is the Subject UID
    cert_pem, key_pem = sim.certificates.issue(topics, tuple(Environment), team_id=sim.config.team_id)
    return _secret(state_dir / CERT_FILE, cert_pem + key_pem), topics


def _fcm_info(sim: Simulator, accounts: dict[str, str], fcm_token: str) -> dict[str, Any]:
    project = sim.config.firebase_project_id
    return {
        "project_id": project, "credentials_file": accounts[project], "service_account_files": accounts,
        "device_token": fcm_token,
        "device_token_help": "the registration token of Account A's emulated Android phone (Mattermost app); "
                             "messages to it show on that phone and in this process's trace",
        "send_url": FCM_SEND.format(project=project),
        "urls": {"base": sim.fcm.url, "token_uri": sim.fcm.token_uri, "send": sim.fcm.send_url(project)},
        "tls_names": list(GOOGLE_HOSTS),
    }


def _write_env(path: Path, *, proxy_url: str, ca: Path, google_credentials: str) -> None:
    # `set -a; . ./env` (or docker --env-file) points unpatched senders at the fakes. NO_PROXY keeps
    # the service accounts' loopback token_uri off the tunnel.
    lines = [f"HTTPS_PROXY={proxy_url}", f"https_proxy={proxy_url}", "NO_PROXY=127.0.0.1,localhost",
             "no_proxy=127.0.0.1,localhost", f"SSL_CERT_FILE={ca}", f"REQUESTS_CA_BUNDLE={ca}",
             f"CURL_CA_BUNDLE={ca}", f"NODE_EXTRA_CA_CERTS={ca}",
             f"GOOGLE_APPLICATION_CREDENTIALS={google_credentials}"]
    path.write_text("\n".join(lines) + "\n")


def _write_push_proxy_config(path: Path, sim: Simulator, key_path: Path, service_account: str) -> None:
    # The real mattermost-push-proxy, run with the env file, reaches the fake APNs and FCM unchanged.
    config = {
        "ListenAddress": ":8066", "ThrottlePerSec": 300, "ThrottleMemoryStoreSize": 50000,
        "ThrottleVaryByHeader": "X-Forwarded-For", "EnableMetrics": False, "SendTimeoutSec": 30,
        "RetryTimeoutSec": 8,
        "ApplePushSettings": [{
            "Type": sim.config.ios_push_type, "ApplePushUseDevelopment": False, "ApplePushCertPrivate": "",
            "ApplePushCertPassword": "", "ApplePushTopic": sim.config.ios_bundle_id,
            "AppleAuthKeyFile": str(key_path), "AppleAuthKeyID": sim.config.key_id,
            "AppleTeamID": sim.config.team_id}],
        "AndroidPushSettings": [{"Type": sim.config.android_push_type, "ServiceFileLocation": service_account}],
        "EnableConsoleLog": True, "EnableFileLog": False, "LogFileLocation": "", "LogFormat": "plain",
    }
    path.write_text(json.dumps(config, indent=2) + "\n")


async def _android_phone(sim: Simulator) -> str:
    """Account A on an emulated Pixel too, app in the background; returns its FCM registration token."""
    phone = sim.add_phone(PIXEL, model="Pixel 7")
    phone.install(MATTERMOST_ANDROID)
    await phone.log_in(sim.chat.url, "accounta", PASSWORD)
    await phone.to_background()
    return phone.app().token


def _print_banner(endpoints: dict[str, Any], state_dir: Path, out: TextIO, *, ios: str, android: str) -> None:
    print(f"pushsim serving; state in {state_dir}", file=out)
    for name in ("chat", "proxy", "fcm", "connect_proxy", "control"):
        print(f"  {name:<13} {endpoints[name]}", file=out)
    for env, url in endpoints["apns"].items():
        print(f"  {'apns':<13} {url} ({env})", file=out)
    print(f"  {'fcm token':<13} {android} (Account A's Pixel)", file=out)
    # The readiness line: every file is written before it is printed.
    print(f"  {'token':<13} {ios} (Account A's iPhone)", file=out, flush=True)


async def run_serve(config: SimConfig, *, state_dir: Path, out: TextIO) -> int:
    """Serve until SIGINT/SIGTERM; print one line per hop as it happens."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Simulator(config, clock=SystemClock()) as sim:
        cast = await cast_dm_world(sim)
        await cast.phone.to_background()  # the doc's state: app closed, still logged in
        fcm_token = await _android_phone(sim)
        endpoints = write_state(sim, state_dir, device_token=cast.phone.app().token, fcm_token=fcm_token)
        _print_banner(endpoints, state_dir, out, ios=cast.phone.app().token, android=fcm_token)
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
