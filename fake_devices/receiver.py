"""What an iPhone does with one APNs push (mattermost-push.md §8.3, §8.4, §8.6), decided without I/O.

The phone adapter carries the verdict out: shows the notification, sends the ack, clears tray
entries. An id-loaded push comes back with ``fetch=True``: the phone acks it (retrying on network
errors), merges the ack response into the payload and asks again with ``acked=True``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .lifecycle import is_running, js_running
from .models import AppBuild, AppState, Notification, Permission, Platform
from .signature import ServerInfo, SignatureCheck, verify_signature

UNVERIFIED_IOS = "We could not verify this notification with the server"
# Seconds between the iOS extension's id-loaded ack retries on network errors (§8.4).
IOS_ACK_BACKOFF = (1.0, 2.0, 3.0, 5.0, 8.0)
# What the iOS extension copies from an id-loaded ack response (§8.4).
IOS_ID_LOADED_KEYS = ("channel_name", "team_id", "sender_id", "sender_name", "root_id", "override_username",
                      "override_icon_url", "from_webhook", "message")


@dataclass(frozen=True, slots=True, kw_only=True)
class Reception:
    """The phone's verdict on one push."""

    outcome: str
    show: Notification | None = None
    in_app_banner: Notification | None = None
    ack: dict[str, Any] | None = None
    clear_channel: str | None = None
    clear_root: str = ""  # with CRT, a clear for a thread removes only that thread's entries
    badge: int | None = None
    log_out: bool = False  # a `session` push reached JS: it logs that server out
    fetch: bool = False  # id_loaded: ack first, merge the response, then decide again
    deferred: bool = False  # Doze: FCM holds the message until the phone wakes
    signature: str = ""  # the signature check's log text, when one ran


def resolve_server(payload: Mapping[str, Any], server: ServerInfo | None) -> ServerInfo | None:
    """The app's server for this push: by ``server_id``, or the only server when it is absent."""
    if server is None:
        return None
    server_id = payload.get("server_id")
    return server if not server_id or server_id == server.diagnostic_id else None


def is_crt(payload: Mapping[str, Any]) -> bool:
    """Collapsed reply threads on for this push (bool on APNs, "true" on FCM)."""
    return payload.get("is_crt_enabled") in (True, "true")


def clear_scope(payload: Mapping[str, Any]) -> tuple[str, str]:
    """(channel, thread root) a clear applies to: the thread only with CRT and a root id (§8.7)."""
    root = str(payload.get("root_id", "")) if is_crt(payload) else ""
    return str(payload.get("channel_id", "")), root


def _alert(aps: Mapping[str, Any]) -> tuple[str, str]:
    alert = aps.get("alert")
    if isinstance(alert, Mapping):
        return str(alert.get("title", "")), str(alert.get("body", ""))
    return "", "" if alert is None else str(alert)


def _ack(payload: Mapping[str, Any], now: float, server: ServerInfo | None) -> dict[str, Any] | None:
    ack_id, kind = payload.get("ack_id"), payload.get("type")
    if not ack_id or not kind or server is None:
        return None  # iOS acks only pushes that carry ack_id and type, to a server it knows (§8.4)
    return {"id": ack_id, "post_id": payload.get("post_id", ""), "received_at": int(now * 1000),
            "platform": "ios", "type": kind, "is_id_loaded": payload.get("id_loaded") is True}


def merge_id_loaded_ios(payload: Mapping[str, Any], response: Mapping[str, Any] | None) -> dict[str, Any]:
    """The payload with the ack response's content: body ← message, title ← channel_name (§8.4, §8.5)."""
    merged = dict(payload)
    if not response:
        return merged  # the server could not be reached: the generic text stays
    merged.update({k: response[k] for k in IOS_ID_LOADED_KEYS if isinstance(response.get(k), str)})
    aps = dict(merged.get("aps") or {})
    title, body = _alert(aps)
    aps["alert"] = {"title": str(merged.get("channel_name", title)), "body": str(merged.get("message", body))}
    merged["aps"] = aps
    return merged


def _badge(aps: Mapping[str, Any]) -> int | None:
    badge = aps.get("badge")
    return badge if isinstance(badge, int) and not isinstance(badge, bool) else None


def receive_ios(payload: Mapping[str, Any], *, state: AppState, app: AppBuild, now: float,
                channel_on_screen: str | None = None, server: ServerInfo | None = None, token: str = "",
                permission: Permission = Permission.GRANTED, acked: bool = False) -> Reception:
    """Decide what the phone shows and sends for ``payload`` while the app is in ``state``."""
    aps = payload.get("aps")
    if not isinstance(aps, Mapping):
        return Reception(outcome="dropped: no aps dictionary")
    if state is AppState.NOT_INSTALLED:
        return Reception(outcome="dropped: app not installed")
    allowed = permission is Permission.GRANTED
    badge = _badge(aps) if allowed else None
    mine = resolve_server(payload, server)
    if aps.get("mutable-content") == 1 and aps.get("alert") is not None:
        if not allowed:  # iOS neither runs the extension nor shows anything for a denied app
            return Reception(outcome="not shown: notifications are not allowed for the app")
        ack = None if acked else _ack(payload, now, mine)
        if payload.get("id_loaded") is True and ack is not None:
            return Reception(outcome="fetching the content (id_loaded)", ack=ack, fetch=True)
        check = verify_signature(payload, server=mine, token=token, platform=Platform.IOS)
        return _service_extension(payload, aps, state=state, app=app, now=now, badge=badge, ack=ack,
                                  check=check, channel_on_screen=channel_on_screen)
    if aps.get("content-available") == 1:
        return _app_delegate(payload, state=state, now=now, badge=badge, server=mine, token=token)
    return Reception(outcome="badge updated" if badge is not None else "ignored", badge=badge)


def _service_extension(payload: Mapping[str, Any], aps: Mapping[str, Any], *, state: AppState, app: AppBuild,
                       now: float, badge: int | None, ack: dict[str, Any] | None, check: SignatureCheck,
                       channel_on_screen: str | None) -> Reception:
    # mutable-content alerts go through the Notification Service Extension in every app state.
    title, body = _alert(aps)
    kind, channel = str(payload.get("type", "")), str(payload.get("channel_id", ""))
    root = str(payload.get("root_id", ""))
    note = Notification(at=now, app=app.name, title=title, body=body if check.ok else UNVERIFIED_IOS,
                        push_type=kind, post_id=str(payload.get("post_id", "")), ack_id=str(payload.get("ack_id", "")),
                        channel_id=channel, root_id=root, group=str(aps.get("thread-id", "")) or channel,
                        verified=check.ok)
    log_out = kind == "session" and check.ok and state is AppState.FOREGROUND
    if not title and not body:  # the mobile-wipe `session` push: nothing to present
        return Reception(outcome="nothing to show: empty alert", ack=ack, log_out=log_out, signature=check.reason)
    if state is not AppState.FOREGROUND:
        return Reception(outcome="shown" if check.ok else "shown unverified", show=note, ack=ack, badge=badge,
                         signature=check.reason)
    # Foreground: completion says alert:false, so no system banner; JS may show an in-app one.
    if not check.ok:
        return Reception(outcome="no banner: unverified, ignored by the app", ack=ack, signature=check.reason)
    if log_out:
        return Reception(outcome="logged out: session push", ack=ack, log_out=True, signature=check.reason)
    if kind == "message" and channel and channel == channel_on_screen:
        return Reception(outcome="no banner: that channel is on screen", ack=ack, signature=check.reason)
    banner = note if kind == "message" else None
    return Reception(outcome="in-app banner (app in foreground)" if banner else "no banner (app in foreground)",
                     in_app_banner=banner, ack=ack, signature=check.reason)


def _app_delegate(payload: Mapping[str, Any], *, state: AppState, now: float, badge: int | None,
                  server: ServerInfo | None, token: str) -> Reception:
    # Content-available pushes reach AppDelegate only while the process runs (an OS rule).
    kind = str(payload.get("type", ""))
    if not is_running(state):
        return Reception(outcome="not delivered: iOS does not wake a force-quit app", badge=badge)
    if kind == "test":
        return Reception(outcome="handled by the app: test", badge=badge)
    check = verify_signature(payload, server=server, token=token, platform=Platform.IOS)
    if not check.ok:
        return Reception(outcome="ignored: unverified, passed to JS with verified=false", badge=badge,
                         signature=check.reason)
    ack = _ack(payload, now, server)
    if kind == "clear":
        channel, root = clear_scope(payload)
        return Reception(outcome="cleared", clear_channel=channel, clear_root=root, ack=ack, badge=badge,
                         signature=check.reason)
    if kind == "session":
        out = js_running(state)
        return Reception(outcome="logged out: session push" if out else "handled by the app: session", ack=ack,
                         log_out=out, badge=badge, signature=check.reason)
    return Reception(outcome=f"handled by the app: {kind or 'background'}", badge=badge, signature=check.reason)
