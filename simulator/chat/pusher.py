"""The chat server's push notification hub: sends each ``OutgoingPush`` to the push proxy in the
background (§7.3 step 6–7, §7.9) and acts on the proxy's OK / FAIL / REMOVE answer (§2.5)."""

from __future__ import annotations

import json
from typing import Callable

from ..events import Correlation, LogLine
from ..hops import HopClient, HopError, HopResult
from ..tasks import Supervisor
from .core import ChatCore
from .models import OutgoingPush


class PushGateway:
    """Posts pushes and acks to ``server_url`` (the server's PushNotificationServer)."""

    def __init__(self, core: ChatCore, *, server_url: str, client: HopClient, supervisor: Supervisor,
                 clock: Callable[[], float], publish: Callable[[object], None], target: str = "proxy") -> None:
        self.core, self.server_url = core, server_url.rstrip("/")
        self._client, self._supervisor = client, supervisor
        self._clock, self._publish, self._target = clock, publish, target

    def enqueue(self, pushes: list[OutgoingPush]) -> None:
        """Hand pushes to background workers; the posting request does not wait for them."""
        for push in pushes:
            self._supervisor.spawn(self._send(push), name=f"push {push.notification.get('ack_id', '')}")

    def _log(self, level: str, message: str, **fields: object) -> None:
        self._publish(LogLine(at=self._clock(), component="chat", level=level, message=message,
                              fields=tuple((k, str(v)) for k, v in fields.items())))

    async def _send(self, push: OutgoingPush) -> None:
        n = push.notification
        ids = Correlation(post_id=str(n.get("post_id", "")), ack_id=str(n.get("ack_id", "")))
        device = f"{n.get('platform', '')}:{n.get('device_id', '')}"
        # The seed doc's troubleshooting step looks for this DEBUG line in the server log.
        self._log("DEBUG", f"Sending push notification to {n.get('device_id', '')} wi msg of '{n.get('message', '')}'")
        self._log("DEBUG", "Notification will be sent", ack_id=ids.ack_id, type=n.get("type", ""),
                  user_id=push.user_id, post_id=ids.post_id, status="Prepared to send")
        try:
            result = await self._client.request("POST", f"{self.server_url}/api/v1/send_push", target=self._target,
                                                body=json.dumps(n).encode(), ids=ids, judge=_delivered)
        except HopError as exc:
            self._log("ERROR", "Failed to send to push proxy", reason="push_proxy_send_error", ack_id=ids.ack_id,
                      user_id=push.user_id, device_id=device, error=str(exc))
            return
        self._on_answer(push, result.status, result.body, device)

    def _on_answer(self, push: OutgoingPush, status: int, body: bytes, device: str) -> None:
        ack_id = str(push.notification.get("ack_id", ""))
        if status != 200:
            self._log("ERROR", "Failed to send to push proxy", reason="push_proxy_error", ack_id=ack_id,
                      error=f"response returned error code: {status}")
            return
        try:
            answer = json.loads(body)
            verdict, error = answer.get("status", ""), answer.get("error", "")
        except (ValueError, AttributeError):
            verdict, error = "", f"unreadable push proxy response: {body[:80]!r}"
        if verdict == "REMOVE":
            self.core.mark_device_removed(push.session_id)
            self._log("ERROR", "Failed to send to push proxy", reason="push_proxy_remove_device", ack_id=ack_id,
                      device_id=device, error="device was reported as removed")
        elif verdict == "OK":
            self._log("DEBUG", "Notification sent to push proxy", ack_id=ack_id, device_id=device,
                      status="Successful")
        else:
            self._log("ERROR", "Failed to send to push proxy", reason="push_proxy_error", ack_id=ack_id,
                      device_id=device, error=error or "unknown push proxy answer")

    async def forward_ack(self, body: bytes, ids: Correlation) -> bool:
        """Forward the app's ack to the proxy (§7.9); True when the proxy took it."""
        try:
            result = await self._client.request("POST", f"{self.server_url}/api/v1/ack", target=self._target,
                                                body=body, ids=ids)
        except HopError as exc:
            self._log("ERROR", "Notification ack not sent to push proxy", ack_id=ids.ack_id, error=str(exc))
            return False
        return result.status == 200


def _delivered(result: HopResult) -> bool:
    # The proxy says FAIL or REMOVE inside an HTTP 200; only OK means the push went on.
    return result.status == 200 and b'"status":"OK"' in result.body
