"""Real senders as an outside developer runs them against a served world: the state dir's ``env``
file applied to the process, aioapns with the written key or certificate, firebase-admin with the
written service account. Nothing here patches a client library's code."""

from __future__ import annotations

import asyncio
import itertools
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

DEADLINE = 10.0
_app_names = itertools.count()
# Proxy variables a developer's shell may carry; the env file decides them all.
STRAY_PROXY_VARS = ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


def apply_env_file(monkeypatch: pytest.MonkeyPatch, path: Path) -> dict[str, str]:
    """``set -a; . state/env; set +a`` for this process (restored after the test)."""
    env = dict(line.split("=", 1) for line in path.read_text().splitlines() if line)
    for name in STRAY_PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@contextmanager
def connections() -> Iterator[list[tuple[str, int]]]:
    """Every (host, port) any socket of this process connects to while inside the block."""
    seen: list[tuple[str, int]] = []
    real = socket.socket.connect

    def spy(self: socket.socket, address: Any) -> Any:
        if isinstance(address, tuple):
            seen.append((str(address[0]), int(address[1])))
        return real(self, address)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", spy)
        yield seen


def port_of(url: str) -> int:
    """The port of ``scheme://host:port``."""
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])


def aioapns_client(monkeypatch: pytest.MonkeyPatch, apns_url: str, *, ca_file: str | None = None,
                   ssl_context: ssl.SSLContext | None = None, **credentials: Any) -> Any:
    """aioapns 4.0 aimed at ``apns_url`` by its host/port class attributes (apns-fcm.md C1).

    Its ``proxy_host``/``proxy_port`` mode cannot work on CPython 3.11+: it hands the proxy
    transport's ``TransportSocket`` wrapper to ``create_connection(sock=...)``, whose first write
    fails (``'TransportSocket' object has no attribute 'send'``) and the send then hangs.
    """
    aioapns = pytest.importorskip("aioapns")
    from aioapns.connection import APNsProductionClientProtocol

    host, port = apns_url.removeprefix("https://").rsplit(":", 1)
    monkeypatch.setattr(APNsProductionClientProtocol, "APNS_SERVER", host)
    monkeypatch.setattr(APNsProductionClientProtocol, "APNS_PORT", int(port))
    ctx = ssl_context or ssl.create_default_context(cafile=ca_file)  # a fresh context: aioapns loads certs into it
    return aioapns.APNs(ssl_context=ctx, max_connection_attempts=1, **credentials)


async def aioapns_send(client: Any, token: str, *, title: str, body: str) -> Any:
    """One alert through ``client``; the connection pool is closed afterwards."""
    from aioapns import NotificationRequest
    request = NotificationRequest(device_token=token, message={
        "aps": {"alert": {"title": title, "body": body}, "mutable-content": 1}, "type": "message"})
    try:
        async with asyncio.timeout(DEADLINE):
            return await client.send_notification(request)
    finally:
        client.pool.close()


def mattermost_data(body: str, *, post_id: str = "post-from-outside") -> dict[str, str]:
    """An FCM data message shaped like the push proxy's (all strings), unsigned."""
    return {"type": "message", "message": body, "channel_name": "outside sender", "post_id": post_id,
            "channel_id": "outside-channel"}


async def firebase_send(token: str, body: str, *, credentials_file: str | None = None) -> str:
    """firebase-admin as documented: an App from a service-account file (or Application Default
    Credentials, i.e. GOOGLE_APPLICATION_CREDENTIALS), ``messaging.send`` to ``token``."""
    firebase_admin = pytest.importorskip("firebase_admin")
    from firebase_admin import credentials, messaging

    cred = credentials.Certificate(credentials_file) if credentials_file else None
    app = firebase_admin.initialize_app(cred, name=f"outside-sender-{next(_app_names)}")
    message = messaging.Message(fid=token, data=mattermost_data(body),
                                android=messaging.AndroidConfig(priority="high"))
    try:
        return await asyncio.to_thread(messaging.send, message, app=app)
    finally:  # delete_app closes an httpx client with asyncio.run: not on this loop's thread
        await asyncio.to_thread(firebase_admin.delete_app, app)
