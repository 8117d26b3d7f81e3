"""The proto3-JSON layer of ``messages:send``: what Google's front end checks before FCM sees a
message (unknown fields, types, enums, oneofs), with its "Invalid JSON payload received" errors.

Rule 1: field names may be snake_case or lowerCamelCase; the result is always snake_case.
Rule 2: the field tables are data (F-disc schemas plus newer fields firebase-admin emits); map and
free-form fields (``data``, ``headers``, ``apns.payload``, ``webpush.notification``) are not walked.
Rule 3: every refusal is a ``Rejection.payload`` (BadRequest detail, no FcmError detail).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import Rejection

_DURATION = re.compile(r"(-)?(\d+)(?:\.(\d{1,9}))?s")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})")
_INT32 = re.compile(r"-?\d{1,10}")
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_PREFIX = "type.googleapis.com/google.firebase.fcm.v1."
_DECODER = json.JSONDecoder()
_SCAN: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]


def _loads(text: str) -> Any:
    """``json.loads(text)``, by way of the C scanner alone when ``text`` is one bare JSON value."""
    try:
        value, end = _SCAN(text, 0)
        if end == len(text):
            return value
    except StopIteration:  # leading whitespace, or not JSON at all: let the full decoder say which
        pass
    return _DECODER.decode(text)  # trailing whitespace or extra data too; a BOM fails here as in json.loads


@dataclass(frozen=True, slots=True)
class Scalar:
    """A scalar field: ``accepts`` says whether a JSON value fits ``type_name``."""

    type_name: str
    accepts: Callable[[Any], bool]
    exact: type | None = None  # a JSON value of exactly this type always fits (lets Msg.walk skip the call)

    def walk(self, value: Any, path: str) -> Any:
        """``value`` if it fits, else the front end's "Invalid value" refusal."""
        if self.accepts(value):
            return value
        raise _invalid(path, self.type_name, value)


@dataclass(frozen=True, slots=True)
class Enum:
    """An enum field: names (any case) or their numbers."""

    type_name: str
    values: tuple[str, ...]

    def walk(self, value: Any, path: str) -> str:
        """The canonical (upper-case) name for ``value``."""
        if isinstance(value, str):
            name = value.upper()
            if name in self.values:
                return name
        elif isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(self.values):
            return self.values[value]
        raise _invalid(path, self.type_name, value)


@dataclass(frozen=True, slots=True)
class Repeated:
    """A repeated field of ``item``."""

    item: Kind

    def walk(self, value: Any, path: str) -> list[Any]:
        """Each element walked as ``item``."""
        if not isinstance(value, list):
            raise _invalid(path, getattr(self.item, "type_name", "TYPE_MESSAGE"), value)
        return [self.item.walk(v, f"{path}[{i}]") for i, v in enumerate(value)]


@dataclass(frozen=True, slots=True)
class StringMap:
    """A ``map<string, string>`` field."""

    type_name: str

    def walk(self, value: Any, path: str) -> dict[str, str]:
        """The map itself once every value is a string (keys are strings in JSON anyway)."""
        if type(value) is not dict:
            raise _invalid(path, self.type_name, value)
        try:
            "".join(value.values())  # the cheapest all-strings test there is: one C loop, no per-item call
        except TypeError:
            index, bad = next((i, v) for i, v in enumerate(value.values()) if not isinstance(v, str))
            raise _invalid(f"{path}[{index}].value", "TYPE_STRING", bad) from None
        return value


@dataclass(frozen=True, slots=True)
class Struct:
    """A free-form JSON object (``google.protobuf.Struct``)."""

    def walk(self, value: Any, path: str) -> dict[str, Any]:
        """Any JSON object."""
        if not isinstance(value, dict):
            raise _invalid(path, "type.googleapis.com/google.protobuf.Struct", value)
        return value


@dataclass(frozen=True, slots=True)
class Msg:
    """A message field with its sub-fields; ``oneof`` lists mutually exclusive field groups."""

    type_name: str
    fields: dict[str, Kind]
    oneof: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # JSON name (snake_case or lowerCamelCase) -> (field name, kind, exact leaf type or None): one dict hit per key.
    plan: dict[str, tuple[str, Kind, type | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, kind in self.fields.items():
            entry = (name, kind, kind.exact if type(kind) is Scalar else None)
            self.plan[name] = self.plan[camel(name)] = entry

    def walk(self, value: Any, path: str) -> dict[str, Any]:
        """A copy with snake_case keys and walked values; nulls dropped."""
        if type(value) is not dict:
            raise _invalid(path, self.type_name, value)
        out: dict[str, Any] = {}
        plan = self.plan
        for key, item in value.items():
            entry = plan.get(key)
            if entry is None:
                raise _unknown(key, path)
            name, kind, exact = entry
            if type(item) is exact:  # a plain string or bool leaf: no call, no path string
                out[name] = item
                continue
            if item is None:  # proto3 JSON: null means "not set"
                continue
            if type(item) is list and type(kind) is not Repeated:
                raise _unknown(key, path, "Proto field is not repeating, cannot start list.")
            out[name] = kind.walk(item, f"{path}.{name}" if path else name)
        for group, members in self.oneof:
            if len(out.keys() & members) > 1:
                present = [m for m in members if m in out]
                raise Rejection.payload(f"Invalid value at '{path}' (oneof), oneof field '{group}' is already set. "
                                        f"Cannot set '{camel(present[1])}'", path)
        return out


Kind = Scalar | Enum | Repeated | StringMap | Struct | Msg


def camel(name: str) -> str:
    """snake_case -> lowerCamelCase (the proto3 JSON name)."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _int32(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return -2**31 <= v < 2**31
    return isinstance(v, str) and bool(_INT32.fullmatch(v)) and -2**31 <= int(v) < 2**31


def _number(v: Any) -> bool:
    if isinstance(v, str):
        try:
            float(v)
        except ValueError:
            return False
        return True
    return isinstance(v, int | float) and not isinstance(v, bool)


STRING = Scalar("TYPE_STRING", lambda v: isinstance(v, str), str)
BOOL = Scalar("TYPE_BOOL", lambda v: isinstance(v, bool), bool)
INT32 = Scalar("TYPE_INT32", _int32)
FLOAT = Scalar("TYPE_FLOAT", _number)
DURATION = Scalar("type.googleapis.com/google.protobuf.Duration",
                  lambda v: isinstance(v, str) and bool(_DURATION.fullmatch(v)))
TIMESTAMP = Scalar("type.googleapis.com/google.protobuf.Timestamp",
                   lambda v: isinstance(v, str) and bool(_TIMESTAMP.fullmatch(v)))


def _strings(*names: str) -> dict[str, Kind]:
    return dict.fromkeys(names, STRING)


_COLOR = Msg("type.googleapis.com/google.type.Color", dict.fromkeys(("red", "green", "blue", "alpha"), FLOAT))
_ANDROID_NOTIFICATION = Msg(_PREFIX + "AndroidNotification", {
    **_strings("title", "body", "icon", "color", "sound", "tag", "click_action", "body_loc_key", "title_loc_key",
               "channel_id", "ticker", "image"),
    "body_loc_args": Repeated(STRING), "title_loc_args": Repeated(STRING), "sticky": BOOL,
    "event_time": TIMESTAMP, "local_only": BOOL,
    "notification_priority": Enum(_PREFIX + "AndroidNotification.NotificationPriority", (
        "PRIORITY_UNSPECIFIED", "PRIORITY_MIN", "PRIORITY_LOW", "PRIORITY_DEFAULT", "PRIORITY_HIGH",
        "PRIORITY_MAX")),
    "default_sound": BOOL, "default_vibrate_timings": BOOL, "default_light_settings": BOOL,
    "vibrate_timings": Repeated(DURATION),
    "visibility": Enum(_PREFIX + "AndroidNotification.Visibility",
                       ("VISIBILITY_UNSPECIFIED", "PRIVATE", "PUBLIC", "SECRET")),
    "notification_count": INT32,
    "light_settings": Msg(_PREFIX + "LightSettings", {"color": _COLOR, "light_on_duration": DURATION,
                                                       "light_off_duration": DURATION}),
    "bypass_proxy_notification": BOOL,
    "proxy": Enum(_PREFIX + "AndroidNotification.Proxy", ("PROXY_UNSPECIFIED", "ALLOW", "DENY", "IF_PRIORITY_LOWERED")),
})
_ANDROID = Msg(_PREFIX + "AndroidConfig", {
    "collapse_key": STRING,
    "priority": Enum(_PREFIX + "AndroidMessagePriority", ("NORMAL", "HIGH")),
    "ttl": DURATION, "restricted_package_name": STRING,
    "data": StringMap(_PREFIX + "AndroidConfig.DataEntry"),
    "notification": _ANDROID_NOTIFICATION,
    "fcm_options": Msg(_PREFIX + "AndroidFcmOptions", _strings("analytics_label")),
    "direct_boot_ok": BOOL, "bandwidth_constrained_ok": BOOL, "restricted_satellite_ok": BOOL,
})
_WEBPUSH = Msg(_PREFIX + "WebpushConfig", {
    "headers": StringMap(_PREFIX + "WebpushConfig.HeadersEntry"),
    "data": StringMap(_PREFIX + "WebpushConfig.DataEntry"), "notification": Struct(),
    "fcm_options": Msg(_PREFIX + "WebpushFcmOptions", _strings("link", "analytics_label")),
})
_APNS = Msg(_PREFIX + "ApnsConfig", {
    "headers": StringMap(_PREFIX + "ApnsConfig.HeadersEntry"), "payload": Struct(),
    "fcm_options": Msg(_PREFIX + "ApnsFcmOptions", _strings("analytics_label", "image")),
    "live_activity_token": STRING,
})
MESSAGE = Msg(_PREFIX + "Message", {
    **_strings("name", "token", "topic", "condition", "fid"),
    "data": StringMap(_PREFIX + "Message.DataEntry"),
    "notification": Msg(_PREFIX + "Notification", _strings("title", "body", "image")),
    "android": _ANDROID, "webpush": _WEBPUSH, "apns": _APNS,
    "fcm_options": Msg(_PREFIX + "FcmOptions", _strings("analytics_label")),
}, oneof=(("target", ("token", "topic", "condition", "fid")),))
SEND_REQUEST = Msg(_PREFIX + "SendMessageRequest", {"message": MESSAGE, "validate_only": BOOL})


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


def _invalid(path: str, type_name: str, value: Any) -> Rejection:
    return Rejection.payload(f"Invalid value at '{path}' ({type_name}), {_show(value)}", path)


def _unknown(name: str, path: str, why: str = "Cannot find field.") -> Rejection:
    where = f" at '{path}'" if path else ""
    return Rejection.payload(f"Invalid JSON payload received. Unknown name {json.dumps(name)}{where}: {why}",
                             path or None)


def parse_send_body(body: bytes) -> tuple[dict[str, Any], bool]:
    """The send request's ``message`` (snake_case keys) and ``validate_only``; raises ``Rejection``."""
    try:
        text = body.decode("utf-8")  # Google reads UTF-8 only; skips json's encoding sniffing
        document = _loads(text)
        if "\\" in text and _ESCAPED_SURROGATE.search(text):  # proto strings are UTF-8: no lone surrogate
            json.dumps(document, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):  # bad JSON, bad UTF-8 (a lone surrogate too), absurd nesting
        raise Rejection.payload("Invalid JSON payload received. Unexpected token.") from None
    if not isinstance(document, dict):
        raise Rejection.payload('Invalid JSON payload received. Unknown name "": Root element must be a message.')
    message = document.get("message")
    if len(document) == 1 and type(message) is dict:  # the usual {"message": {...}}: what the walk below would do
        return MESSAGE.walk(message, "message"), False
    request = SEND_REQUEST.walk(document, "")
    return request.get("message", {}), bool(request.get("validate_only", False))


def peek_token(body: bytes) -> str | None:
    """The message's token (or FID) if the body is readable JSON, else None; never raises."""
    try:
        message = json.loads(body).get("message")
        found = message.get("token", message.get("fid"))
    except (ValueError, RecursionError, AttributeError):
        return None
    return found if isinstance(found, str) else None


def duration_seconds(text: str) -> float:
    """Seconds in a proto Duration string such as ``"3.5s"`` (already shape-checked)."""
    match = _DURATION.fullmatch(text)
    if match is None:
        raise ValueError(f"not a Duration: {text!r}")
    sign, whole, frac = match.groups()
    seconds = int(whole) + (int(frac.ljust(9, "0")) / 1e9 if frac else 0.0)
    return -seconds if sign else seconds
