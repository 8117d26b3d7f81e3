"""Stateless request checks the core runs in apns-fcm.md A4.4 order; each raises a ``Rejection``.

Rule: pure functions of the request's raw values. Anything that needs keys, certificates,
devices or the clock lives in the core.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import Rejection
from .models import ApnsRequest, PushType
from .reasons import Reason

MAX_COLLAPSE_ID_BYTES = 64

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_PRIORITIES = {"10": 10, "5": 5, "1": 1}


def request_line(request: ApnsRequest) -> str:
    """The device token, after :method, :path and duplicate-header checks."""
    if request.method != "POST":
        raise Rejection(Reason.METHOD_NOT_ALLOWED, detail=f":method {request.method!r} is not POST")
    token = request.token
    if token is None:
        raise Rejection(Reason.BAD_PATH, detail=f":path {request.path!r} is not /3/device/<token>")
    if not token:
        raise Rejection(Reason.MISSING_DEVICE_TOKEN, detail=":path has no device token")
    if request.duplicate_headers:
        raise Rejection(Reason.DUPLICATE_HEADERS,
                        detail=f"header(s) sent more than once: {', '.join(request.duplicate_headers)}")
    return token


def apns_id(raw: str | None) -> None:
    """Raise BadMessageId unless ``apns-id`` is absent or a canonical UUID."""
    if raw is not None and not _UUID.fullmatch(raw):
        raise Rejection(Reason.BAD_MESSAGE_ID, detail=f"apns-id {raw!r} is not a canonical UUID")


def push_type(request: ApnsRequest) -> PushType:
    """``apns-push-type``, or the type the topic's suffix implies when it is absent."""
    if request.push_type is None:
        return PushType.from_topic(request.topic)
    try:
        return PushType(request.push_type)
    except ValueError:
        raise Rejection(Reason.INVALID_PUSH_TYPE,
                        detail=f"apns-push-type {request.push_type!r} is not a known push type") from None


def priority(raw: str | None) -> int:
    """``apns-priority`` as 10, 5 or 1 (10 when absent)."""
    found = _PRIORITIES.get(raw if raw is not None else "10")
    if found is None:
        raise Rejection(Reason.BAD_PRIORITY, detail=f"apns-priority {raw!r} is not 10, 5 or 1")
    return found


def expiration(raw: str | None) -> int | None:
    """``apns-expiration`` as UNIX seconds, None when absent."""
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19:  # 19 digits: any int64 epoch
        raise Rejection(Reason.BAD_EXPIRATION_DATE, detail=f"apns-expiration {raw!r} is not UNIX seconds")
    return int(raw)


def collapse_id(raw: str | None) -> None:
    """Raise BadCollapseId when ``apns-collapse-id`` is over 64 bytes."""
    if raw is not None and len(raw.encode("utf-8", "surrogateescape")) > MAX_COLLAPSE_ID_BYTES:
        raise Rejection(Reason.BAD_COLLAPSE_ID, detail=f"apns-collapse-id is over {MAX_COLLAPSE_ID_BYTES} bytes")


def topic_fits(topic: str | None, kind: PushType) -> str:
    """The topic, once it is present and its suffix fits the push type."""
    if not topic:
        raise Rejection(Reason.MISSING_TOPIC, detail="apns-topic is required with token authentication")
    suffix = kind.topic_suffix
    if suffix is None:
        return topic
    if suffix:
        ok = topic.endswith(suffix) and len(topic) > len(suffix)
    else:  # a bare bundle id: it must not carry another push type's suffix
        ok = PushType.from_topic(topic) is PushType.ALERT
    if not ok:
        want = f"<bundle>{suffix}" if suffix else "the bare bundle id"
        raise Rejection(Reason.BAD_TOPIC, detail=f"apns-topic {topic!r} does not fit push type "
                                                 f"{kind.value!r} (expected {want})")
    return topic


def payload(body: bytes, kind: PushType, malformed_reason: Reason) -> dict[str, Any]:
    """The JSON payload, parsed once; size and shape checked."""
    if not body:
        raise Rejection(Reason.PAYLOAD_EMPTY, detail="the request has no body")
    if len(body) > kind.max_payload:
        raise Rejection(Reason.PAYLOAD_TOO_LARGE,
                        detail=f"payload is {len(body)} bytes; the {kind.value} limit is {kind.max_payload}")
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting within the size limit
        raise Rejection(malformed_reason, detail="payload is not valid JSON") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("aps"), dict):
        raise Rejection(malformed_reason, detail="payload is not a JSON object with an 'aps' object")
    return parsed
