"""The FCM layer of ``messages:send``: checks that need FCM's own knowledge (targets, reserved
data keys, TTL range, payload size) on a message the proto layer (``schema``) already accepted.

Rule: every refusal here is ``FcmError.INVALID_ARGUMENT`` (with the FcmError detail), except the
size limit, which Google answers without details [Obs pushiko].
"""

from __future__ import annotations

import re
from typing import Any

from .codes import FcmError, Status
from .errors import Rejection
from .models import MAX_TTL, Message, Priority, slot_builder
from .schema import duration_seconds

MAX_PAYLOAD_BYTES = 4096
MAX_TOPIC_PAYLOAD_BYTES = 2048  # the ErrorCode page's limit for topic messages
MAX_CONDITION_TOPICS = 5
RESERVED_DATA_KEYS = frozenset({"from", "message_type", "collapse_key"})
RESERVED_DATA_PREFIXES = ("google", "gcm")  # covers "google." / "gcm." and the older bare prefixes

_RESERVED = re.compile("(?:" + "|".join(sorted(RESERVED_DATA_KEYS)) + r")\Z|" + "|".join(RESERVED_DATA_PREFIXES),
                       re.IGNORECASE)
# Reserved keys as they look in "\n".join(keys) framed by newlines, lower-cased: one substring
# search each finds a candidate among all keys (a key holding a newline can fake one, so a hit is
# confirmed key by key; a miss is final).
_NEEDLES = tuple(f"\n{key}\n" for key in sorted(RESERVED_DATA_KEYS)) + tuple(f"\n{p}" for p in RESERVED_DATA_PREFIXES)
_EMPTY: dict[str, Any] = {}
_new_message = slot_builder(Message)
_PRIORITY = {"NORMAL": Priority.NORMAL, "HIGH": Priority.HIGH}  # the schema canonicalised the enum name
_TOPIC = re.compile(r"[a-zA-Z0-9\-_.~%]{1,900}")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_CONDITION_TOKEN = re.compile(r"\s*(?:(&&|\|\|)|(!)|(\()|(\))|(['\"])([^'\"]*)\5\s+in\s+topics\b)")


def interpret(fields: dict[str, Any], body_size: int | None = None) -> Message:
    """The ``Message`` FCM makes of a schema-checked message; raises ``Rejection``.

    ``body_size`` (the raw request's length) bounds the payload size, so at or under the limit the
    count is skipped: every string counted is its own part of the body, and decoding JSON never
    makes a string longer in UTF-8.
    """
    token = fields.get("token")
    topic = condition = None
    if token is None:
        token, topic, condition = _target(fields)
    android: dict[str, Any] = fields.get("android", _EMPTY)
    data: dict[str, str] = fields.get("data", _EMPTY)
    _check_data_keys(data, "message.data")
    if "data" in android:  # android.data replaces message.data (F-disc)
        data = android["data"]
        _check_data_keys(data, "message.android.data")
    notification = None
    if "notification" in fields or "notification" in android:
        notification = _notification(fields.get("notification"), android.get("notification"))
    if "webpush" in fields:
        _check_webpush(fields["webpush"])
    ttl = _ttl(android["ttl"]) if "ttl" in android else MAX_TTL
    limit = MAX_PAYLOAD_BYTES if token is not None else MAX_TOPIC_PAYLOAD_BYTES
    if (body_size is None or body_size > limit) and payload_size(data, notification) > limit:
        # Observed: a bare "invalid argument" with no details at all.
        raise Rejection(Status.INVALID_ARGUMENT, FcmError.INVALID_ARGUMENT.default_message,
                        error_code=FcmError.INVALID_ARGUMENT)
    raw_priority = android.get("priority")
    priority = _PRIORITY[raw_priority] if raw_priority else (
        Priority.HIGH if notification else Priority.NORMAL)  # FCM's defaults (F-prio)
    # ``data`` is the walked request's own dict: shared (not copied) by the events made from it.
    return _new_message(token=token, topic=topic, condition=condition, data=data if data is not _EMPTY else {},
                        notification=notification, priority=priority, ttl=ttl,
                        collapse_key=android.get("collapse_key") or None,
                        restricted_package_name=android.get("restricted_package_name") or None, fields=fields)


def _notification(common: dict[str, Any] | None, android: dict[str, Any] | None) -> dict[str, Any] | None:
    """message.notification overlaid with android.notification (Android wins)."""
    if android is not None and "color" in android and not _COLOR.fullmatch(android["color"]):
        raise Rejection.fcm(FcmError.INVALID_ARGUMENT, "Invalid color format. Expected #rrggbb.",
                            field="message.android.notification.color")
    if common and android:
        return {**common, **android}
    return common or android or None


def _check_webpush(webpush: dict[str, Any]) -> None:
    link = webpush.get("fcm_options", _EMPTY).get("link")
    if link is not None and not link.startswith("https://"):
        raise Rejection.fcm(FcmError.INVALID_ARGUMENT, "The link must use HTTPS.",
                            field="message.webpush.fcm_options.link")


def _target(fields: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    token = fields.get("token", fields.get("fid"))  # the fake resolves a FID like a token
    if token is not None:
        return token, None, None
    if "topic" in fields:
        topic = fields["topic"].removeprefix("/topics/")
        if not _TOPIC.fullmatch(topic):
            raise Rejection.fcm(FcmError.INVALID_ARGUMENT, f"Invalid topic name: {fields['topic']!r}",
                                field="message.topic")
        return None, topic, None
    if "condition" in fields:
        check_condition(fields["condition"])
        return None, None, fields["condition"]
    raise Rejection.fcm(FcmError.INVALID_ARGUMENT, "Recipient of the message is not set.", field="message")


def check_condition(condition: str) -> None:
    """Refuse a topic condition that is not ``'a' in topics`` terms joined by && || ! ( )."""
    items: list[str] = []
    topics, pos = 0, 0
    while pos < len(condition.rstrip()):
        match = _CONDITION_TOKEN.match(condition, pos)
        if match is None:
            raise _bad_condition(condition)
        op, bang, open_, close, _, topic = match.groups()
        if topic is not None:
            if not _TOPIC.fullmatch(topic):
                raise _bad_condition(condition)
            topics += 1
        items.append(op or bang or open_ or close or "T")
        pos = match.end()
    if not 0 < topics <= MAX_CONDITION_TOPICS or not _well_formed(items):
        raise _bad_condition(condition)


def _well_formed(items: list[str]) -> bool:
    """Recursive descent over T, !, &&, ||, ( and ) -- expr := unary ((&&|||) unary)*."""
    pos = 0

    def unary() -> bool:
        nonlocal pos
        while pos < len(items) and items[pos] == "!":
            pos += 1
        if pos < len(items) and items[pos] == "T":
            pos += 1
            return True
        if pos < len(items) and items[pos] == "(":
            pos += 1
            if not expr() or pos >= len(items) or items[pos] != ")":
                return False
            pos += 1
            return True
        return False

    def expr() -> bool:
        nonlocal pos
        if not unary():
            return False
        while pos < len(items) and items[pos] in ("&&", "||"):
            pos += 1
            if not unary():
                return False
        return True

    return expr() and pos == len(items)


def _bad_condition(condition: str) -> Rejection:
    return Rejection.fcm(FcmError.INVALID_ARGUMENT, f"Invalid condition expression provided: {condition!r}",
                         field="message.condition")


def is_reserved_key(key: str) -> bool:
    """True for data keys FCM keeps for itself (and the empty key)."""
    return not key or _RESERVED.match(key) is not None


def _check_data_keys(data: dict[str, str], path: str) -> None:
    if data and ("" in data or _may_hold_reserved("\n".join(data))):
        key = next((k for k in data if is_reserved_key(k)), None)
        if key is not None:
            raise Rejection.fcm(FcmError.INVALID_ARGUMENT, f"Invalid data message key: {key!r} is reserved.",
                                field=path)


def _may_hold_reserved(keys: str) -> bool:
    if not keys.isascii():  # re.IGNORECASE folds more than str.lower() does (KELVIN SIGN, long s)
        return True
    framed = f"\n{keys.lower()}\n"
    for needle in _NEEDLES:
        if needle in framed:
            return True
    return False


def _ttl(raw: str) -> float:
    seconds = duration_seconds(raw)
    if not 0 <= seconds <= MAX_TTL:
        raise Rejection.fcm(FcmError.INVALID_ARGUMENT,
                            f"TTL {raw} is out of range: it must be between 0s and {MAX_TTL:.0f}s.",
                            field="message.android.ttl")
    return seconds


def payload_size(data: dict[str, str], notification: dict[str, Any] | None) -> int:
    """Bytes FCM counts against the limit: data keys and values, notification title and body."""
    parts = [*data, *data.values()]
    if notification:
        parts += [v for k, v in notification.items() if k in ("title", "body") and isinstance(v, str)]
    text = "".join(parts)
    # surrogatepass: a lone surrogate (legal as a JSON escape) counts its 3 bytes instead of raising.
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
