"""The chat server's push notification hub (§7.3 steps 6–7, §7.9): a bounded buffer in front of a
bounded number of concurrent sends to the push proxy, and the actions on its OK / FAIL / REMOVE.

Invariants:
- ``enqueue`` blocks its caller (the posting request) while ``PushNotificationBuffer`` pushes wait
  and every worker is busy, as the server's channel send blocks the posting goroutine.
- At most ``concurrency`` sends are in flight (the server's semaphore of ``NumCPU * 8``).
- The target URL is read from the config at send time, so an admin change applies to the next push;
  the world's "DNS" (``routes``) maps Mattermost's public HPNS/TPNS URLs to local push proxies.
- Outbound TLS verifies against the world CA only (the injected ``HopClient``): a proxy with a
  certificate from any other CA is a send error, logged like any other (§7.10).
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Callable, Iterable, Mapping

from ..events import Correlation
from ..hops import HopClient, HopError, HopResult
from ..tasks import Supervisor
from .core import ChatCore
from .logs import ServerLog
from .models import HPNS_URLS, TPNS_URL, LogLevel, OutgoingPush, PushDecision, SkipReason

_STATUS_REASONS = frozenset({SkipReason.USER_STATUS, SkipReason.USER_IS_ACTIVE})
_GATE_REASONS = frozenset({SkipReason.PUSH_DISABLED, SkipReason.LICENSE_MISSING})
LICENSE_WARNING = ("Push notifications have been disabled. Update your license or go to System Console > "
                   "Environment > Push Notification Server to use a different server")


class PushGateway:
    """Sends pushes and acks to the configured PushNotificationServer, through a bounded hub."""

    def __init__(self, core: ChatCore, *, server_url: str, client: HopClient, supervisor: Supervisor,
                 clock: Callable[[], float], publish: Callable[[object], None], target: str = "proxy",
                 routes: Mapping[str, str] | None = None, concurrency: int | None = None,
                 log: ServerLog | None = None, name: str = "chat") -> None:
        self.core, self.default_url = core, server_url.rstrip("/")
        self._client, self._supervisor, self._target = client, supervisor, target
        # By default Mattermost's own push services resolve to this world's proxy (server_url).
        public = routes if routes is not None else {url: server_url for url in (*HPNS_URLS, TPNS_URL)}
        self.routes = {k.rstrip("/"): v.rstrip("/") for k, v in public.items()}
        self.log = log or ServerLog(name=name, clock=clock, publish=publish,
                                    level=lambda: LogLevel(core.config.file_log_level))
        self.concurrency = concurrency or (os.cpu_count() or 1) * 8
        self.capacity = core.config.push_notification_buffer + self.concurrency
        self._slots = asyncio.Semaphore(self.capacity)
        self._workers = asyncio.Semaphore(self.concurrency)
        self.queued = 0  # accepted, waiting for a worker
        self.in_flight = 0  # being sent right now

    @property
    def server_url(self) -> str:
        """Where the next push goes: the configured PushNotificationServer, resolved to a local address."""
        configured = self.core.config.push_server_url.rstrip("/") or self.default_url
        if self.core.config.outbound_proxy:  # the real name goes out; the CONNECT proxy maps it
            return configured
        return self.routes.get(configured, configured)

    # ------------------------------------------------------------------ the hub
    async def enqueue(self, pushes: Iterable[OutgoingPush]) -> None:
        """Accept pushes for background sending; waits only while the buffer is full."""
        for push in pushes:
            await self._slots.acquire()
            self.queued += 1
            self._supervisor.spawn(self._work(push), name=f"push {push.notification.get('ack_id', '')}")

    async def _work(self, push: OutgoingPush) -> None:
        waiting = True
        try:
            async with self._workers:
                self.queued, self.in_flight, waiting = self.queued - 1, self.in_flight + 1, False
                try:
                    await self._send(push)
                finally:
                    self.in_flight -= 1
        finally:
            if waiting:  # cancelled before a worker took it
                self.queued -= 1
            self._slots.release()

    def report(self, decisions: Iterable[PushDecision]) -> None:
        """Log one post's verdicts as the notifications log does (the licence gate once per post)."""
        gate = self.core.config.push_blocked
        if gate == SkipReason.PUSH_DISABLED:
            self.log.write(LogLevel.DEBUG, "Push notifications are disabled - server config", notifications=True,
                           type="push", status="not_sent", reason=gate)
        elif gate == SkipReason.LICENSE_MISSING:
            self.log.write(LogLevel.WARN, "Push notifications are disabled - license missing", notifications=True,
                           type="push", status="not_sent", reason=gate)
            self.log.write(LogLevel.WARN, LICENSE_WARNING)
        for d in decisions:
            if d.send or d.reason in _GATE_REASONS:
                continue
            kind = "status" if d.reason in _STATUS_REASONS else "notify props"
            self.log.write(LogLevel.DEBUG, f"Notification not sent - {kind}", notifications=True, type="push",
                           status="not_sent", reason=d.reason, post_id=d.post_id, user_id=d.user_id)

    # ------------------------------------------------------------------ one push
    async def _send(self, push: OutgoingPush) -> None:
        n = push.notification
        ids = Correlation(post_id=str(n.get("post_id", "")), ack_id=str(n.get("ack_id", "")))
        device = f"{n.get('platform', '')}:{n.get('device_id', '')}"
        # The seed doc's troubleshooting step looks for this DEBUG line in the server log.
        self.log.write(LogLevel.DEBUG, f"Sending push notification to {n.get('device_id', '')} "
                                       f"wi msg of '{n.get('message', '')}'")
        self.log.write(LogLevel.TRACE, "Notification will be sent", notifications=True, ack_id=ids.ack_id,
                       type=n.get("type", ""), user_id=push.user_id, post_id=ids.post_id, status="Prepared to send")
        try:
            result = await self._post("/api/v1/send_push", json.dumps(n).encode(), ids, judge=_delivered)
        except HopError as exc:
            self._failed(push, device, "push_proxy_send_error", str(exc))
            return
        verdict, error = _answer(result)
        if verdict == "OK":
            self.log.write(LogLevel.TRACE, "Notification sent to push proxy", notifications=True, type="push",
                           status="sent", ack_id=ids.ack_id, push_type=n.get("type", ""), user_id=push.user_id,
                           device_id=device)
        elif verdict == "REMOVE":
            self.core.mark_device_removed(push.session_id)
            self._failed(push, device, "push_proxy_remove_device", "device was reported as removed")
        else:
            self._failed(push, device, "push_proxy_error", error)

    def _failed(self, push: OutgoingPush, device: str, reason: str, error: str) -> None:
        n = push.notification
        self.log.write(LogLevel.ERROR, "Failed to send to push proxy", notifications=True, type="push",
                       status="not_sent", reason=reason, ack_id=n.get("ack_id", ""), push_type=n.get("type", ""),
                       user_id=push.user_id, device_id=device, error=error)

    async def _post(self, path: str, body: bytes, ids: Correlation,
                    judge: Callable[[HopResult], bool] | None = None) -> HopResult:
        return await self._client.request("POST", self.server_url + path, target=self._target, body=body,
                                          ids=ids, judge=judge, proxy=self.core.config.outbound_proxy or None)

    # ------------------------------------------------------------------ ping and acks
    async def send_test(self, note: Mapping[str, object] | None) -> str:
        """``SendTestPushNotification``: "true", "false" (push off, or REMOVE) or "unknown" (§7.7)."""
        if note is None:
            return "false"
        device = f"{note.get('platform', '')}:{note.get('device_id', '')}"
        try:
            result = await self._post("/api/v1/send_push", json.dumps(note).encode(), Correlation(), _delivered)
        except HopError as exc:
            self.log.write(LogLevel.ERROR, "Failed to send test notification to push proxy", notifications=True,
                           type="test", device_id=device, error=str(exc))
            return "unknown"
        verdict, error = _answer(result)
        if verdict == "REMOVE":
            return "false"
        if verdict != "OK":
            self.log.write(LogLevel.ERROR, "Push proxy failed to send test notification", notifications=True,
                           type="test", device_id=device, error=error)
            return "unknown"
        return "true"

    async def forward_ack(self, body: bytes, ids: Correlation) -> bool:
        """Forward the app's ack to the proxy (§7.9); True when the proxy took it."""
        try:
            result = await self._post("/api/v1/ack", body, ids)
        except HopError as exc:
            self.log.write(LogLevel.ERROR, "Notification ack not sent to push proxy", notifications=True,
                           ack_id=ids.ack_id, error=str(exc))
            return False
        if result.status != 200:
            self.log.write(LogLevel.ERROR, "Notification ack not sent to push proxy", notifications=True,
                           ack_id=ids.ack_id, error=f"response returned error code: {result.status}")
        return result.status == 200


def _answer(result: HopResult) -> tuple[str, str]:
    """The proxy's verdict and error text; an unreadable answer is an error like the server's decode failure."""
    if result.status != 200:
        return "", f"response returned error code: {result.status}"
    try:
        answer = json.loads(result.body)
        return str(answer.get("status", "")), str(answer.get("error", "")) or "unknown push proxy answer"
    except (ValueError, AttributeError):
        return "", f"failed to decode from JSON: {result.body[:80]!r}"


def _delivered(result: HopResult) -> bool:
    # The proxy says FAIL or REMOVE inside an HTTP 200; only OK means the push went on.
    return _answer(result)[0] == "OK"
