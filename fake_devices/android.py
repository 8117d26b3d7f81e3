"""What an Android phone does with one FCM data message (mattermost-push.md §5.3, §8.3, §8.4, §8.6),
decided without I/O.

A data message always reaches the app's native code, whatever the app state: it acks (before
the signature check), verifies, then builds an OS notification only when the app is not visible.
JS sees the push too while React runs (foreground or background).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .lifecycle import js_running
from .models import AppBuild, AppState, Notification, Permission, Platform, PowerState
from .receiver import Reception, clear_scope, is_crt, resolve_server
from .signature import ServerInfo, verify_signature

UNVERIFIED_ANDROID = "Notification skipped because we could not verify it."
# What ReceiptDelivery copies from an id-loaded ack response (§8.4).
ANDROID_ID_LOADED_KEYS = ("post_id", "root_id", "category", "message", "team_id", "channel_id", "channel_name",
                          "type", "sender_id", "sender_name", "version")


def android_texts(data: Mapping[str, str]) -> tuple[str, str, str]:
    """(title, sender, body) by the app's heuristics: the sender prefix is cut from the body (§8.3)."""
    channel_name, sender_name, message = data.get("channel_name", ""), data.get("sender_name", ""), \
        data.get("message", "")
    title = channel_name or sender_name or data.get("title", "")
    if sender_name:
        sender = sender_name
    elif channel_name.startswith("@"):
        sender = channel_name
    else:
        sender = message.split(":", 1)[0] if ":" in message else ""
    body = message
    if sender and message.startswith(f"{sender}:"):
        body = message[len(sender) + 1:].lstrip()
    return title, sender, body


def group_of(data: Mapping[str, Any]) -> str:
    """The notification group: the thread root with CRT, else the channel."""
    root = str(data.get("root_id", ""))
    return root if is_crt(data) and root else str(data.get("channel_id", ""))


def merge_id_loaded_android(data: Mapping[str, str], response: Mapping[str, Any] | None) -> dict[str, str]:
    """The data with the ack response's content copied in (the generic text stays without one)."""
    merged = dict(data)
    for key in ANDROID_ID_LOADED_KEYS:
        if response and isinstance(response.get(key), str):
            merged[key] = response[key]
    return merged


def _ack(data: Mapping[str, str], now: float, server: ServerInfo | None) -> dict[str, Any] | None:
    if not data.get("ack_id") or server is None:
        return None  # ReceiptDelivery needs an ack id and a server URL to send to
    return {"id": data["ack_id"], "received_at": int(now * 1000), "platform": "android",
            "type": data.get("type", ""), "post_id": data.get("post_id", ""),
            "is_id_loaded": data.get("id_loaded") == "true"}


def _note(data: Mapping[str, str], app: AppBuild, now: float) -> Notification:
    title, sender, body = android_texts(data)
    return Notification(at=now, app=app.name, title=title, body=body, push_type=data.get("type", ""),
                        post_id=data.get("post_id", ""), ack_id=data.get("ack_id", ""),
                        channel_id=data.get("channel_id", ""), root_id=data.get("root_id", ""), sender=sender,
                        group=group_of(data))


def receive_android(data: Mapping[str, Any], *, state: AppState, app: AppBuild, now: float,
                    channel_on_screen: str | None = None, server: ServerInfo | None = None, token: str = "",
                    permission: Permission = Permission.GRANTED, power: PowerState = PowerState.AWAKE,
                    priority: str = "high", acked: bool = False) -> Reception:
    """Decide what the phone shows and sends for one FCM data message while the app is in ``state``."""
    bad = sorted(k for k, v in data.items() if not isinstance(k, str) or not isinstance(v, str))
    if bad:
        return Reception(outcome=f"dropped: FCM data values must be strings ({', '.join(map(str, bad))})")
    if state is AppState.NOT_INSTALLED:
        return Reception(outcome="dropped: app not installed")
    if power is PowerState.DOZE and priority != "high":
        return Reception(outcome="deferred: the phone is in Doze and the message is not high priority",
                         deferred=True)
    mine = resolve_server(data, server)
    ack = None if acked else _ack(data, now, mine)
    if data.get("id_loaded") == "true" and ack is not None:
        return Reception(outcome="fetching the content (id_loaded)", ack=ack, fetch=True)
    check = verify_signature(data, server=mine, token=token, platform=Platform.ANDROID)
    if not check.ok:
        return Reception(outcome=f"dropped: {UNVERIFIED_ANDROID}", ack=ack, signature=check.reason)
    return _by_type(data, state=state, app=app, now=now, ack=ack, allowed=permission is Permission.GRANTED,
                    channel_on_screen=channel_on_screen, signature=check.reason)


def _by_type(data: Mapping[str, str], *, state: AppState, app: AppBuild, now: float, ack: dict[str, Any] | None,
             allowed: bool, channel_on_screen: str | None, signature: str) -> Reception:
    kind, visible, js = data.get("type", ""), state is AppState.FOREGROUND, js_running(state)
    if kind == "clear":
        channel, root = clear_scope(data)
        return Reception(outcome="cleared", clear_channel=channel, clear_root=root, ack=ack, signature=signature)
    if kind == "message" and visible:  # no OS notification while the app is in front; JS decides
        if data.get("channel_id") and data.get("channel_id") == channel_on_screen:
            return Reception(outcome="no banner: that channel is on screen", ack=ack, signature=signature)
        return Reception(outcome="in-app banner (app in foreground)", in_app_banner=_note(data, app, now), ack=ack,
                         signature=signature)
    if kind == "session":
        shown = _note(data, app, now) if data.get("message") and not visible and allowed else None
        outcome = "logged out: session push" if js else ("shown" if shown else "nothing to show: session")
        return Reception(outcome=outcome, show=shown, ack=ack, log_out=js, signature=signature)
    if kind == "message":
        if not allowed:
            return Reception(outcome="not shown: notifications are not allowed for the app", ack=ack,
                             signature=signature)
        return Reception(outcome="shown", show=_note(data, app, now), ack=ack, signature=signature)
    outcome = f"handled by the app: {kind}" if js else f"nothing to show: {kind or 'no type'}"
    return Reception(outcome=outcome, ack=ack, signature=signature)
