"""What the proxy sends on: APNs payloads (spec §4.1, §4.2, §4.5) and FCM v1 messages (§5.2, §5.3).

Rule: the APNs body is byte-identical to the real proxy's. sideshow/apns2 marshals a Go map, so
top-level keys come out sorted; ``aps`` and ``alert`` are Go structs whose field order is also
alphabetical for every key used here. One ``json.dumps(sort_keys=True)`` therefore reproduces it.
No I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from .emoji import emojize
from .models import TRANSPORT_VOIP, PushNotification, PushType, marshal_like_go

NO_SIGNATURE: Final = "NO_SIGNATURE"
PRIORITY_HIGH: Final = 10
PUSH_TYPE_ALERT: Final = "alert"  # apns2's default, used for every standard push (even silent ones)
PUSH_TYPE_VOIP: Final = "voip"
CONTENT_TYPE: Final = "application/json; charset=utf-8"
SENDER_NAME_ID_LOADED: Final = "Someone"

_ALERTING: Final = frozenset({PushType.MESSAGE, PushType.SESSION})
_SILENT_WAKE: Final = frozenset({PushType.CLEAR, PushType.TEST})
# Custom keys copied to the APNs payload only when non-empty (spec §4.2 step 4).
_OPTIONAL_KEYS: Final = ("ack_id", "channel_id", "team_id", "sender_id", "sender_name", "post_id",
                         "root_id", "override_username", "override_icon_url", "from_webhook")


@dataclass(frozen=True, slots=True, kw_only=True)
class ApnsMessage:
    """One APNs request as the proxy makes it: headers are derivable, ``body`` is the payload.

    Headers per §4.1: ``content-type: application/json; charset=utf-8``, ``apns-topic: topic``,
    ``apns-priority: priority``, ``apns-push-type: push_type``; the proxy never sets
    ``apns-collapse-id`` (so ``collapse_id`` stays None), ``apns-id`` or ``apns-expiration``.
    """

    topic: str
    push_type: str
    priority: int
    body: bytes
    collapse_id: str | None = None

    def headers(self) -> list[tuple[str, str]]:
        """The request headers the proxy sends, except ``authorization``."""
        headers = [("content-type", CONTENT_TYPE), ("apns-topic", self.topic),
                   ("apns-priority", str(self.priority)), ("apns-push-type", self.push_type)]
        if self.collapse_id is not None:
            headers.append(("apns-collapse-id", self.collapse_id))
        return headers


def build_apns(n: PushNotification, *, app_version: int, topic: str) -> ApnsMessage:
    """Build the APNs request for ``n``; ``topic`` is the app's ApplePushTopic."""
    if n.transport == TRANSPORT_VOIP:
        return ApnsMessage(topic=topic + ".voip", push_type=PUSH_TYPE_VOIP, priority=PRIORITY_HIGH,
                           body=marshal_like_go(_voip_payload(n), sort_keys=True))
    return ApnsMessage(topic=topic, push_type=PUSH_TYPE_ALERT, priority=PRIORITY_HIGH,
                       body=marshal_like_go(_standard_payload(n, app_version), sort_keys=True))


def _standard_payload(n: PushNotification, app_version: int) -> dict[str, Any]:
    aps: dict[str, Any] = {}
    payload: dict[str, Any] = {"aps": aps}
    # 1. badge: the v2+ app needs a non-zero badge on a clear to wake up and recount.
    if n.badge == 0 and n.type == PushType.CLEAR and app_version > 1:
        aps["badge"] = 1
    elif n.badge != -1:
        aps["badge"] = n.badge
    # 2./3. content by kind
    if n.is_id_loaded:
        _add_id_loaded(n, aps, payload)
    elif n.type in _ALERTING:
        _add_alerting(n, aps, payload)
    elif n.type in _SILENT_WAKE:
        aps["content-available"] = 1
    # 4. keys every push carries
    payload.update(type=n.type, sub_type=n.sub_type, server_id=n.server_id,
                   is_crt_enabled=n.is_crt_enabled, signature=n.signature or NO_SIGNATURE)
    for key in _OPTIONAL_KEYS:
        if value := getattr(n, key):
            payload[key] = value
    if n.channel_id:
        aps["thread-id"] = n.root_id if n.is_crt_enabled and n.root_id else n.channel_id
    return payload


def _add_id_loaded(n: PushNotification, aps: dict[str, Any], payload: dict[str, Any]) -> None:
    # The device fetches the real content on ack, so the body is shown as sent, emoji untouched.
    if n.category:
        aps["category"] = n.category
    aps["sound"] = "default"
    aps["mutable-content"] = 1
    aps["content-available"] = 1
    aps["alert"] = {"body": n.message} if n.message else {}
    payload["version"] = n.version
    payload["id_loaded"] = True


def _add_alerting(n: PushNotification, aps: dict[str, Any], payload: dict[str, Any]) -> None:
    if n.category:
        aps["category"] = n.category
    aps["sound"] = "default"  # the server's `sound` field is ignored
    aps["mutable-content"] = 1
    if n.type == PushType.MESSAGE:  # a session-expiry alert must not wake the app
        aps["content-available"] = 1
    body = emojize(n.message)
    if n.channel_name and n.version == "v2":
        aps["alert"] = {"title": n.channel_name, "body": body} if body else {"title": n.channel_name}
    else:
        aps["alert"] = body  # a plain string, present even when empty
    payload["version"] = n.version
    if n.channel_name:
        payload["channel_name"] = n.channel_name


def _voip_payload(n: PushNotification) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "aps": {"content-available": 1},
        "type": n.type, "sub_type": n.sub_type, "channel_id": n.channel_id,
        "server_id": n.server_id, "post_id": n.post_id, "thread_id": n.root_id,
        "sender_id": n.sender_id, "id_loaded": n.is_id_loaded,
        "signature": n.signature or NO_SIGNATURE,
    }
    for key in ("sender_name", "channel_name", "ack_id"):
        if value := getattr(n, key):
            payload[key] = value
    return payload


def build_fcm(n: PushNotification) -> dict[str, Any]:
    """Build the FCM v1 ``messages:send`` body for ``n``: data-only, high priority, str values."""
    data = {
        "ack_id": n.ack_id, "type": n.type, "sub_type": n.sub_type, "version": n.version,
        "channel_id": n.channel_id, "is_crt_enabled": "true" if n.is_crt_enabled else "false",
        "server_id": n.server_id, "category": n.category, "signature": n.signature or NO_SIGNATURE,
    }
    if n.badge != -1:
        data["badge"] = str(n.badge)
    if n.root_id:
        data["root_id"] = n.root_id
    if n.is_id_loaded:
        data.update(post_id=n.post_id, message=n.message, id_loaded="true", sender_id=n.sender_id,
                    sender_name=SENDER_NAME_ID_LOADED, team_id=n.team_id)
    elif n.type in _ALERTING:
        data.update(team_id=n.team_id, sender_id=n.sender_id, sender_name=n.sender_name,
                    message=emojize(n.message), channel_name=n.channel_name, post_id=n.post_id,
                    override_username=n.override_username, override_icon_url=n.override_icon_url,
                    from_webhook=n.from_webhook)
    return {"message": {"token": n.device_id, "android": {"priority": "high"}, "data": data}}
