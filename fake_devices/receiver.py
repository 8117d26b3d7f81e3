"""What an iPhone does with one APNs push (mattermost-push.md §8.3, §8.4), decided without I/O.

The phone adapter carries the verdict out: shows the notification, sends the ack, clears tray
entries. Signature verification (§8.6) and Android arrive with the devices issue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .lifecycle import is_running
from .models import AppBuild, AppState, Notification


@dataclass(frozen=True, slots=True, kw_only=True)
class Reception:
    """The phone's verdict on one push."""

    outcome: str
    show: Notification | None = None
    in_app_banner: Notification | None = None
    ack: dict[str, Any] | None = None
    clear_channel: str | None = None
    badge: int | None = None


def _alert(aps: Mapping[str, Any]) -> tuple[str, str]:
    alert = aps.get("alert")
    if isinstance(alert, Mapping):
        return str(alert.get("title", "")), str(alert.get("body", ""))
    return "", "" if alert is None else str(alert)


def _ack(payload: Mapping[str, Any], now: float) -> dict[str, Any] | None:
    ack_id, kind = payload.get("ack_id"), payload.get("type")
    if not ack_id or not kind:
        return None  # iOS acks only pushes that carry ack_id and type (§8.4)
    return {"id": ack_id, "post_id": payload.get("post_id", ""), "received_at": int(now * 1000),
            "platform": "ios", "type": kind, "is_id_loaded": bool(payload.get("id_loaded", False))}


def receive_ios(payload: Mapping[str, Any], *, state: AppState, app: AppBuild, now: float,
                channel_on_screen: str | None = None) -> Reception:
    """Decide what the phone shows and sends for ``payload`` while the app is in ``state``."""
    aps = payload.get("aps")
    if not isinstance(aps, Mapping):
        return Reception(outcome="dropped: no aps dictionary")
    if state is AppState.NOT_INSTALLED:
        return Reception(outcome="dropped: app not installed")
    kind = str(payload.get("type", ""))
    badge = aps.get("badge") if isinstance(aps.get("badge"), int) else None
    if aps.get("mutable-content") == 1 and aps.get("alert") is not None:
        return _service_extension(payload, aps, state=state, app=app, now=now, badge=badge,
                                  channel_on_screen=channel_on_screen)
    if aps.get("content-available") == 1:
        if not is_running(state):
            return Reception(outcome="not delivered: iOS does not wake a force-quit app", badge=badge)
        if kind == "clear":
            return Reception(outcome="cleared", clear_channel=str(payload.get("channel_id", "")),
                             ack=_ack(payload, now), badge=badge)
        return Reception(outcome=f"handled by the app: {kind or 'background'}", badge=badge)
    return Reception(outcome="badge updated" if badge is not None else "ignored", badge=badge)


def _service_extension(payload: Mapping[str, Any], aps: Mapping[str, Any], *, state: AppState, app: AppBuild,
                       now: float, badge: int | None, channel_on_screen: str | None) -> Reception:
    # mutable-content alerts go through the Notification Service Extension in every app state.
    title, body = _alert(aps)
    note = Notification(at=now, app=app.name, title=title, body=body, push_type=str(payload.get("type", "")),
                        post_id=str(payload.get("post_id", "")), ack_id=str(payload.get("ack_id", "")),
                        channel_id=str(payload.get("channel_id", "")), root_id=str(payload.get("root_id", "")))
    ack = _ack(payload, now)
    if state is AppState.FOREGROUND:
        # Foreground: completion says alert:false, so no system banner; JS may show an in-app one.
        if note.push_type == "message" and note.channel_id and note.channel_id == channel_on_screen:
            return Reception(outcome="no banner: that channel is on screen", ack=ack)
        banner = note if note.push_type == "message" else None
        return Reception(outcome="in-app banner (app in foreground)" if banner else "no banner (app in foreground)",
                         in_app_banner=banner, ack=ack)
    return Reception(outcome="shown", show=note, ack=ack, badge=badge)
