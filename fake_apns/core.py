"""The sans-I/O decider: what APNs answers to one request. No asyncio, ssl or h2 here.

Rule 1: checks run in the order of apns-fcm.md A4.4; the first failure is the answer.
Rule 2: ``handle`` never raises for anything a client sends; it returns an event.
Rule 3: time and randomness come only from the injected ``clock`` and ``rng``.
"""

from __future__ import annotations

import json
import random
import re
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from .auth import KeyRing
from .errors import Rejection
from .faults import Faults
from .models import ApnsRequest, Environment, PushAccepted, PushRejected, PushType
from .reasons import Reason
from .registry import DeviceRegistry

TOKEN_UPDATE_INTERVAL = 1200.0  # Apple: refresh the provider token at most once per 20 minutes
MAX_COLLAPSE_ID_BYTES = 64

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_PRIORITIES = {"10": 10, "5": 5, "1": 1}


@dataclass(slots=True, kw_only=True)
class ConnectionState:
    """What APNs remembers about one provider connection."""

    connection_id: int
    key: tuple[str, str] | None = None  # (team_id, key_id) of the first verified token
    authorization: str | None = None  # the provider token currently in use
    token_changed_at: float | None = None
    token_updates: int = 0
    requests: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class _Headers:
    push_type: PushType
    priority: int
    expiration: int | None
    topic: str


class ApnsCore:
    """Decides 200 or an error reason for each request, for either environment."""

    def __init__(self, *, keys: KeyRing, devices: DeviceRegistry, clock: Callable[[], float], faults: Faults,
                 rng: random.Random | None = None, strict_key_binding: bool = True,
                 limit_token_updates: bool = False, malformed_payload_reason: Reason = Reason.PAYLOAD_EMPTY,
                 reject_background_priority_10: bool = False,
                 environment_key_reason: Reason = Reason.BAD_ENVIRONMENT_KEY_IN_TOKEN) -> None:
        self.keys = keys
        self.devices = devices
        self.faults = faults
        self._clock = clock
        self._rng = rng if rng is not None else devices.rng
        self._next_connection_id = 1
        # Switches for behaviour the spec marks as unverified or optional (apns-fcm.md A4.4, E).
        self.strict_key_binding = strict_key_binding
        self.limit_token_updates = limit_token_updates
        self.malformed_payload_reason = malformed_payload_reason
        self.reject_background_priority_10 = reject_background_priority_10
        self.environment_key_reason = environment_key_reason

    def now(self) -> float:
        """The injected clock's current time."""
        return self._clock()

    def new_connection(self) -> ConnectionState:
        """State for a freshly opened provider connection, with an id unique to this core."""
        state = ConnectionState(connection_id=self._next_connection_id)
        self._next_connection_id += 1
        return state

    def handle(self, request: ApnsRequest, *, environment: Environment,
               connection: ConnectionState) -> PushAccepted | PushRejected:
        """The verdict on one request."""
        now = self._clock()
        connection.requests += 1
        apns_id = request.apns_id if request.apns_id is not None else self._uuid().upper()
        try:
            return self._accept(request, environment, connection, now, apns_id)
        except Rejection as rejection:
            reason = rejection.reason
            timestamp = rejection.timestamp_ms
            if reason.has_timestamp and timestamp is None:
                timestamp = int(now * 1000)
            return PushRejected(at=now, environment=environment, apns_id=apns_id, token=request.token or "",
                                topic=request.topic, reason=reason, status=reason.status,
                                detail=rejection.detail, timestamp_ms=timestamp,
                                connection_id=connection.connection_id)

    def _accept(self, request: ApnsRequest, environment: Environment, connection: ConnectionState,
                now: float, apns_id: str) -> PushAccepted:
        token = _check_request_line(request)
        team_id, key_id = self._check_auth(request, environment, connection, now)
        headers = self._check_headers(request, key_id)
        payload = self._check_body(request.body, headers.push_type)
        forced = self.faults.take(token)
        if forced is not None:
            raise Rejection(forced, detail="injected fault")
        self.devices.require_active(token, topic=headers.topic, environment=environment)
        return PushAccepted(
            at=now, environment=environment, apns_id=apns_id,
            apns_unique_id=self._uuid() if environment is Environment.SANDBOX else None,
            token=token.lower(), topic=headers.topic, push_type=headers.push_type.value,
            priority=headers.priority, expiration=headers.expiration, collapse_id=request.collapse_id,
            payload=payload, team_id=team_id, key_id=key_id, connection_id=connection.connection_id)

    def _check_auth(self, request: ApnsRequest, environment: Environment, connection: ConnectionState,
                    now: float) -> tuple[str, str]:
        try:
            team_id, key_id = self.keys.verify(request.authorization, now=now, topic=None, environment=environment)
        except Rejection as rejection:
            if rejection.reason is Reason.BAD_ENVIRONMENT_KEY_IN_TOKEN:
                raise Rejection(self.environment_key_reason, detail=rejection.detail) from None
            raise
        if connection.key is None:
            connection.key = (team_id, key_id)
        elif self.strict_key_binding and connection.key != (team_id, key_id):
            raise Rejection(Reason.UNRELATED_KEY_ID_IN_TOKEN,
                            detail=f"key {key_id!r} is unrelated to key {connection.key[1]!r} first used on "
                                   "this connection; open a new connection")
        self._note_token(request.authorization or "", connection, now)
        return team_id, key_id

    def _note_token(self, authorization: str, connection: ConnectionState, now: float) -> None:
        if connection.authorization == authorization:
            return
        if connection.authorization is None or connection.token_changed_at is None:
            connection.authorization, connection.token_changed_at = authorization, now
            return
        waited = now - connection.token_changed_at
        if self.limit_token_updates and waited < TOKEN_UPDATE_INTERVAL:
            raise Rejection(Reason.TOO_MANY_PROVIDER_TOKEN_UPDATES,
                            detail=f"provider token changed {waited:.0f} s after the last change "
                                   f"(at most once per {TOKEN_UPDATE_INTERVAL:.0f} s per connection)")
        connection.authorization, connection.token_changed_at = authorization, now
        connection.token_updates += 1

    def _check_headers(self, request: ApnsRequest, key_id: str) -> _Headers:
        if request.apns_id is not None and not _UUID.fullmatch(request.apns_id):
            raise Rejection(Reason.BAD_MESSAGE_ID, detail=f"apns-id {request.apns_id!r} is not a canonical UUID")
        push_type = _push_type(request)
        priority = _PRIORITIES.get(request.priority if request.priority is not None else "10")
        if priority is None:
            raise Rejection(Reason.BAD_PRIORITY, detail=f"apns-priority {request.priority!r} is not 10, 5 or 1")
        if self.reject_background_priority_10 and push_type is PushType.BACKGROUND and priority == 10:
            raise Rejection(Reason.BAD_PRIORITY, detail="background pushes must use apns-priority 5")
        expiration = _expiration(request.expiration)
        if request.collapse_id is not None and len(request.collapse_id.encode("utf-8", "surrogateescape")) > \
                MAX_COLLAPSE_ID_BYTES:
            raise Rejection(Reason.BAD_COLLAPSE_ID, detail=f"apns-collapse-id is over {MAX_COLLAPSE_ID_BYTES} bytes")
        topic = _check_topic(request.topic, push_type)
        self.keys.check_topic(key_id, topic)
        return _Headers(push_type=push_type, priority=priority, expiration=expiration, topic=topic)

    def _check_body(self, body: bytes, push_type: PushType) -> dict[str, Any]:
        if not body:
            raise Rejection(Reason.PAYLOAD_EMPTY, detail="the request has no body")
        if len(body) > push_type.max_payload:
            raise Rejection(Reason.PAYLOAD_TOO_LARGE,
                            detail=f"payload is {len(body)} bytes; the {push_type.value} limit is "
                                   f"{push_type.max_payload}")
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting within the size limit
            raise Rejection(self.malformed_payload_reason, detail="payload is not valid JSON") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("aps"), dict):
            raise Rejection(self.malformed_payload_reason, detail="payload is not a JSON object with an 'aps' object")
        return payload

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))


def _check_request_line(request: ApnsRequest) -> str:
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


def _push_type(request: ApnsRequest) -> PushType:
    if request.push_type is None:
        return PushType.from_topic(request.topic)
    try:
        return PushType(request.push_type)
    except ValueError:
        raise Rejection(Reason.INVALID_PUSH_TYPE,
                        detail=f"apns-push-type {request.push_type!r} is not a known push type") from None


def _expiration(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19:  # 19 digits: any int64 epoch
        raise Rejection(Reason.BAD_EXPIRATION_DATE, detail=f"apns-expiration {raw!r} is not UNIX seconds")
    return int(raw)


def _check_topic(topic: str | None, push_type: PushType) -> str:
    if not topic:
        raise Rejection(Reason.MISSING_TOPIC, detail="apns-topic is required with token authentication")
    suffix = push_type.topic_suffix
    if suffix is None:
        return topic
    if suffix:
        ok = topic.endswith(suffix) and len(topic) > len(suffix)
    else:  # a bare bundle id: it must not carry another push type's suffix
        ok = PushType.from_topic(topic) is PushType.ALERT
    if not ok:
        want = f"<bundle>{suffix}" if suffix else "the bare bundle id"
        raise Rejection(Reason.BAD_TOPIC, detail=f"apns-topic {topic!r} does not fit push type "
                                                 f"{push_type.value!r} (expected {want})")
    return topic
