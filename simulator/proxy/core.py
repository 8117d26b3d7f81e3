"""The push proxy's decisions (spec §2.3, §2.5, §2.6, §4.3, §5.4), as plain functions.

Rule 1: every FAIL text is the real proxy's, byte for byte; the server logs and surfaces them.
Rule 2: validation order is the proxy's: decode, server_id, device_id, truncate + ``-vN``, target.
No I/O here: the adapter reads the body, calls ``plan_send`` and sends the plan (or renders the
PushResponse); the sender maps what APNs / FCM answered with ``map_apns_result`` / ``map_fcm_error``.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Final

from .errors import BadRequestBody
from .models import FcmErrorCode, PushAck, PushNotification, PushResponse, PushStatus, Target

MAX_MESSAGE_BYTES: Final = 2047  # longer messages are cut ...
TRUNCATED_MESSAGE_BYTES: Final = 2046  # ... to this many bytes
MAX_CHANNEL_NAME_BYTES: Final = 64

# APNs reasons that mean "this token is dead": the server then forgets the device.
APNS_REMOVE_REASONS: Final = frozenset({"BadDeviceToken", "Unregistered", "MissingDeviceToken",
                                        "DeviceTokenNotForTopic"})
FCM_REMOVE_CODES: Final = frozenset({FcmErrorCode.UNREGISTERED, FcmErrorCode.SENDER_ID_MISMATCH})
# Retried by the proxy's own loop. UNAVAILABLE is retried by the Firebase SDK instead; a context
# deadline (no FCM code at all) is a transport error and retried like an APNs one.
FCM_RETRY_CODES: Final = frozenset({FcmErrorCode.INTERNAL, FcmErrorCode.QUOTA_EXCEEDED})

_OK: Final = PushResponse(status=PushStatus.OK)
_REMOVE: Final = PushResponse(status=PushStatus.REMOVE)
_GO_ATOI: Final = re.compile(r"[+-]?[0-9]+")
_INT64: Final = 1 << 63


@dataclass(frozen=True, slots=True, kw_only=True)
class SendPlan:
    """A send_push request that passed validation: what to send, where, and a warning to log."""

    notification: PushNotification  # already truncated
    target: Target
    warning: str | None = None


def _fail(error: str) -> PushResponse:
    return PushResponse(status=PushStatus.FAIL, error=error)


def _go_atoi(text: str) -> int | None:
    """Go's strconv.Atoi: optional sign, ASCII digits, int64 range; None when Go errors."""
    if not _GO_ATOI.fullmatch(text):
        return None
    value = int(text)
    return value if -_INT64 <= value < _INT64 else None


def parse_platform(platform: str) -> tuple[Target, str | None]:
    """Split ``apple_rn-v2`` into the config key and app version (1 when absent or unreadable).

    The second item is the proxy's warning text when a ``-v`` suffix is not an integer.
    """
    index = platform.find("-v")
    if index < 0:
        return Target(platform_key=platform, app_version=1), None
    key, version_text = platform[:index], platform[index + 2:]
    version = _go_atoi(version_text)
    if version is None:
        # Go has already cut msg.Platform to the key when it logs this.
        warning = f"Could not determine the app version in {key} appVersion={version_text}"
        return Target(platform_key=key, app_version=1), warning
    return Target(platform_key=key, app_version=version), None


def _cut_utf8(text: str, max_bytes: int, keep_bytes: int) -> str:
    # At most 4 bytes per character: short strings cannot be over the limit (skips the encode).
    if len(text) * 4 <= max_bytes:
        return text
    raw = text.encode("utf-8", "surrogatepass")
    if len(raw) <= max_bytes:
        return text
    # Go slices bytes and may split a character; its JSON encoder then writes U+FFFD for the
    # stray bytes. We drop the partial character instead so the value stays a valid str.
    return raw[:keep_bytes].decode("utf-8", "ignore")


def truncate(n: PushNotification) -> PushNotification:
    """Apply the proxy's limits: message > 2047 bytes -> 2046 bytes, channel_name -> 64 bytes."""
    message = _cut_utf8(n.message, MAX_MESSAGE_BYTES, TRUNCATED_MESSAGE_BYTES)
    channel_name = _cut_utf8(n.channel_name, MAX_CHANNEL_NAME_BYTES, MAX_CHANNEL_NAME_BYTES)
    if message is n.message and channel_name is n.channel_name:
        return n
    return replace(n, message=message, channel_name=channel_name)


def plan_send(body: bytes, *, known_types: Collection[str]) -> SendPlan | PushResponse:
    """Validate a send_push body in the proxy's order; a PushResponse means "answer this now".

    ``known_types`` are the configured and initialized ``Type`` keys (e.g. ``apple_rn``).
    """
    try:
        n = PushNotification.from_json(body)
    except BadRequestBody as e:
        return _fail(f"Failed to read message body: {e}")
    if not n.server_id:
        return _fail("Failed because of missing server Id")
    if not n.device_id:
        return _fail(f"Failed because of missing device Id serverId={n.server_id}")
    n = truncate(n)
    target, warning = parse_platform(n.platform)
    if target.platform_key not in known_types:
        return _fail("Did not send message because of missing platform property "
                     f"type={target.platform_key} serverId={n.server_id}")
    return SendPlan(notification=n, target=target, warning=warning)


def plan_ack(body: bytes) -> PushAck | PushResponse:
    """Validate an ack body in the proxy's order; a PushAck means "log it and answer OK"."""
    try:
        ack = PushAck.from_json(body)
    except BadRequestBody as e:
        return _fail(f"Failed to read ack body: {e}")
    if not ack.id:
        return _fail("Failed because of missing ack Id")
    if not ack.platform:
        return _fail("Failed because of missing ack platform")
    if not ack.type:
        return _fail("Failed because of missing ack type")
    return ack


def map_apns_result(status: int | None, reason: str | None) -> PushResponse:
    """Map an APNs outcome to the proxy's answer; ``status`` None means no HTTP response at all."""
    if status is None:
        return _fail("unknown transport error")
    if status == 200:
        return _OK
    if reason in APNS_REMOVE_REASONS:
        return _REMOVE
    return _fail("unknown send response error")


def map_fcm_error(error_code: str | None, message: str) -> PushResponse:
    """Map an FCM outcome (``error_code`` None = sent) to the proxy's answer.

    ``message`` is the Firebase SDK's error text, which the proxy returns as the FAIL error.
    """
    if error_code is None:
        return _OK
    if error_code in FCM_REMOVE_CODES:
        return _REMOVE
    return _fail(message)


def fcm_retryable(error_code: str | None) -> bool:
    """Whether the proxy's retry loop tries again after this FCM error code."""
    return error_code in FCM_RETRY_CODES
