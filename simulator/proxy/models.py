"""Wire models of the push proxy HTTP API (spec §2), decoded and encoded as Go does (``gojson``).

No I/O here.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from enum import StrEnum
from typing import Any, Callable, Final, Mapping, TypeVar

from .gojson import decode_like_go, marshal_like_go  # re-exported: senders encode with it


class PushStatus(StrEnum):
    """The ``status`` of a push proxy response."""

    OK = "OK"
    FAIL = "FAIL"
    REMOVE = "REMOVE"


class PushType(StrEnum):
    """The ``type`` values the server sends (spec §2.4); other values pass through as plain str."""

    MESSAGE = "message"
    CLEAR = "clear"
    UPDATE_BADGE = "update_badge"
    SESSION = "session"
    TEST = "test"


class FcmErrorCode(StrEnum):
    """FCM HTTP v1 ``FcmError.errorCode`` values (spec §5.4)."""

    UNSPECIFIED_ERROR = "UNSPECIFIED_ERROR"
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    UNREGISTERED = "UNREGISTERED"
    SENDER_ID_MISMATCH = "SENDER_ID_MISMATCH"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
    UNAVAILABLE = "UNAVAILABLE"
    INTERNAL = "INTERNAL"
    THIRD_PARTY_AUTH_ERROR = "THIRD_PARTY_AUTH_ERROR"


TRANSPORT_VOIP: Final = "voip"
_Frozen = TypeVar("_Frozen")

# JSON key -> Go type, in the server struct's field order (which is also json.Marshal's order).
_NOTIFICATION_FIELDS: Final[Mapping[str, str]] = {
    "ack_id": "string", "platform": "string", "server_id": "string", "device_id": "string",
    "post_id": "string", "category": "string", "sound": "string", "message": "string",
    "badge": "int", "cont_ava": "int", "team_id": "string", "channel_id": "string",
    "root_id": "string", "channel_name": "string", "type": "string", "sub_type": "model.PushSubType",
    "sender_id": "string", "sender_name": "string", "override_username": "string",
    "override_icon_url": "string", "from_webhook": "string", "version": "string",
    "is_crt_enabled": "bool", "is_id_loaded": "bool", "signature": "string", "transport": "string",
}

# Keys the server always writes; every other key is `omitempty`.
_NOTIFICATION_ALWAYS: Final = frozenset({"ack_id", "platform", "server_id", "device_id", "post_id",
                                         "is_crt_enabled", "is_id_loaded", "signature"})


@dataclass(frozen=True, slots=True, kw_only=True)
class PushNotification:
    """A ``POST /api/v1/send_push`` body: the server's ``model.PushNotification`` plus ``transport``."""

    ack_id: str = ""
    platform: str = ""
    server_id: str = ""
    device_id: str = ""
    post_id: str = ""
    category: str = ""
    sound: str = ""
    message: str = ""
    badge: int = 0
    cont_ava: int = 0
    team_id: str = ""
    channel_id: str = ""
    root_id: str = ""
    channel_name: str = ""
    type: str = ""
    sub_type: str = ""
    sender_id: str = ""
    sender_name: str = ""
    override_username: str = ""
    override_icon_url: str = ""
    from_webhook: str = ""
    version: str = ""
    is_crt_enabled: bool = False
    is_id_loaded: bool = False
    signature: str = ""
    transport: str = ""

    @classmethod
    def from_json(cls, body: bytes) -> PushNotification:
        """Decode a send_push body as the Go proxy does; raises BadRequestBody."""
        return _build_notification(decode_like_go(body, "PushNotification", _NOTIFICATION_FIELDS))

    def to_json(self) -> bytes:
        """Encode as the Mattermost server sends it (empty ``omitempty`` fields left out)."""
        return marshal_like_go({key: value for key in _NOTIFICATION_FIELDS
                                if (value := getattr(self, key)) or key in _NOTIFICATION_ALWAYS})


def _slot_builder(cls: type[_Frozen]) -> Callable[[Mapping[str, Any]], _Frozen]:
    """``lambda values: cls(**values)`` for a frozen slotted dataclass without ``__post_init__``,
    setting each field through its slot descriptor.

    A frozen dataclass's ``__init__`` sets every field with ``object.__setattr__``, which allocates a
    method wrapper and an argument tuple each time: for a 26-field push, most of its decoding cost.
    """
    if hasattr(cls, "__post_init__") or any(f.default is MISSING for f in fields(cls)):  # type: ignore[arg-type]
        raise TypeError(f"{cls.__name__}: every field needs a plain default, and no __post_init__")
    new = object.__new__
    setters = tuple((f.name, f.default, cls.__dict__[f.name].__set__) for f in fields(cls))  # type: ignore[arg-type]

    def build(values: Mapping[str, Any]) -> _Frozen:
        obj = new(cls)
        get = values.get
        for name, default, setter in setters:
            setter(obj, get(name, default))
        return obj
    return build


_build_notification: Final = _slot_builder(PushNotification)

_ACK_FIELDS: Final[Mapping[str, str]] = {
    "id": "string", "received_at": "int64", "platform": "string", "type": "string",
    "post_id": "string", "is_id_loaded": "bool",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class PushAck:
    """A ``POST /api/v1/ack`` body: the server's ``model.PushNotificationAck``."""

    id: str
    received_at: int  # client receive time, ms since the epoch
    platform: str  # the client OS ("android" / "ios"), not the push platform
    type: str
    post_id: str = ""
    is_id_loaded: bool = False

    @classmethod
    def from_json(cls, body: bytes) -> PushAck:
        """Decode an ack body as the Go proxy does (missing keys are zero); raises BadRequestBody."""
        values: dict[str, Any] = {"id": "", "received_at": 0, "platform": "", "type": ""}
        values.update(decode_like_go(body, "PushNotificationAck", _ACK_FIELDS))
        return cls(**values)

    def to_json(self) -> bytes:
        """Encode as the server forwards it (``post_id`` omitted when empty)."""
        return marshal_like_go({key: value for key in _ACK_FIELDS
                                if (value := getattr(self, key)) or key != "post_id"})


_OK_JSON: Final = b'{"status":"OK"}'
_REMOVE_JSON: Final = b'{"status":"REMOVE"}'


@dataclass(frozen=True, slots=True, kw_only=True)
class PushResponse:
    """The proxy's answer to send_push and ack."""

    status: PushStatus
    error: str = ""

    def to_json(self) -> bytes:
        """Encode as the proxy's Go ``map[string]string``: sorted keys, ``error`` only on FAIL."""
        if self.status == PushStatus.FAIL:
            return marshal_like_go({"error": self.error, "status": "FAIL"})
        return _OK_JSON if self.status == PushStatus.OK else _REMOVE_JSON


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """Where a push goes: the config ``Type`` key and the app version from ``-v<N>``."""

    platform_key: str
    app_version: int
