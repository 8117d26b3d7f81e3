"""The sans-I/O decider: what APNs answers to one request. No asyncio, ssl or h2 here.

Rule 1: checks run in the order of apns-fcm.md A4.4 (client certificate first); the first failure
is the answer.
Rule 2: ``handle`` never raises for anything a client sends; it returns an event, and records it
in ``history``.
Rule 3: time and randomness come only from the injected ``clock`` and ``rng``.
Rule 4: a connection authenticated by a client certificate ignores ``authorization``; its topics
and environment come from the certificate.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable

from . import checks
from .auth import KeyRing, VerifiedToken, check_iat
from .certs import ProviderCertificates, ProviderIdentity
from .errors import Rejection
from .faults import Faults
from .history import History
from .mailbox import Mailbox, Reachability
from .models import ApnsRequest, Environment, ApnsFaultInjected, PushAccepted, PushRejected, PushType
from .reasons import Reason
from .registry import DeviceRegistry

TOKEN_UPDATE_INTERVAL = 1200.0  # Apple: refresh the provider token at most once per 20 minutes
MAX_COLLAPSE_ID_BYTES = checks.MAX_COLLAPSE_ID_BYTES


@dataclass(frozen=True, slots=True, kw_only=True)
class _Verified:
    """A provider token this connection already verified: skip the ECDSA check when it is sent again."""

    authorization: str
    generation: int
    environment: Environment
    token: VerifiedToken


@dataclass(slots=True, kw_only=True)
class ConnectionState:
    """What APNs remembers about one provider connection."""

    connection_id: int
    key: tuple[str, str] | None = None  # (team_id, key_id) of the first verified token
    authorization: str | None = None  # the provider token currently in use
    token_changed_at: float | None = None
    token_updates: int = 0
    requests: int = 0
    certificate: ProviderIdentity | None = None  # the client certificate, when TLS carried one
    certificate_problem: tuple[Reason, str] | None = None  # why that certificate cannot push at all
    goaway: Reason | None = None  # set when the core wants the connection refused at once
    verified: _Verified | None = None
    # (apns-topic, push type, key id) already found to fit and allowed, under KeyRing generation:
    # the pushes on one connection nearly always repeat the same few.
    allowed_topics: dict[tuple[str, PushType, str], int] = field(default_factory=dict)


_MAX_ALLOWED_TOPICS = 256  # per connection: a client cycling through topics only loses the shortcut


class ApnsCore:
    """Decides 200 or an error reason for each request, for either environment."""

    def __init__(self, *, keys: KeyRing, devices: DeviceRegistry, clock: Callable[[], float], faults: Faults,
                 rng: random.Random | None = None, strict_key_binding: bool = True,
                 limit_token_updates: bool = False, malformed_payload_reason: Reason = Reason.PAYLOAD_EMPTY,
                 reject_background_priority_10: bool = False,
                 environment_key_reason: Reason = Reason.BAD_ENVIRONMENT_KEY_IN_TOKEN,
                 certificates: ProviderCertificates | None = None, mailbox: Mailbox | None = None,
                 history: History | None = None, certificate_environment_goaway: bool = True,
                 reachability: Reachability | None = None) -> None:
        self.keys = keys
        self.devices = devices
        self.faults = faults
        self.certificates = certificates
        self.mailbox = mailbox if mailbox is not None else Mailbox(clock=clock)
        if reachability is not None:
            self.mailbox.reachability = reachability
        self.history = history if history is not None else History()
        self._clock = clock
        self._rng = rng if rng is not None else devices.rng
        self._next_connection_id = 1
        # Switches for behaviour the spec marks as unverified or optional (apns-fcm.md A4.4, E).
        self.strict_key_binding = strict_key_binding
        self.limit_token_updates = limit_token_updates
        self.malformed_payload_reason = malformed_payload_reason
        self.reject_background_priority_10 = reject_background_priority_10
        self.environment_key_reason = environment_key_reason
        # Observed: a wrong-environment certificate gets GOAWAY at once (sideshow/apns2#93); off: 403s.
        self.certificate_environment_goaway = certificate_environment_goaway

    def now(self) -> float:
        """The injected clock's current time."""
        return self._clock()

    def new_connection(self, *, certificate: bytes | None = None,
                       environment: Environment | None = None) -> ConnectionState:
        """State for a freshly opened provider connection; ``certificate`` is the client's (DER), if any."""
        state = ConnectionState(connection_id=self._next_connection_id)
        self._next_connection_id += 1
        if certificate is not None:
            self._identify(state, certificate, environment)
        return state

    def _identify(self, state: ConnectionState, der: bytes, environment: Environment | None) -> None:
        if self.certificates is None:
            state.certificate_problem = (Reason.BAD_CERTIFICATE, "this APNs accepts no client certificates")
            return
        try:
            identity = self.certificates.identify(der)
        except Rejection as rejection:
            state.certificate_problem = (rejection.reason, rejection.detail)
            return
        state.certificate = identity
        if environment is not None and environment not in identity.environments:
            state.certificate_problem = (Reason.BAD_CERTIFICATE_ENVIRONMENT,
                                         f"certificate is for {sorted(e.value for e in identity.environments)}, "
                                         f"not {environment.value}")
            if self.certificate_environment_goaway:
                state.goaway = Reason.BAD_CERTIFICATE_ENVIRONMENT

    def take_connection_fault(self, request: ApnsRequest, *, environment: Environment,
                              connection: ConnectionState) -> ApnsFaultInjected | None:
        """The queued delay/GOAWAY/drop this request meets, if any (consumed)."""
        token = request.token or ""
        fault = self.faults.take_connection_fault(token)
        if fault is None:
            return None
        return ApnsFaultInjected(at=self._clock(), environment=environment, connection_id=connection.connection_id,
                             token=token, kind=fault.kind, reason=fault.reason, delay=fault.delay)

    def reset(self) -> None:
        """Forget verdicts, queued faults and stored notifications (keys, apps and devices stay)."""
        self.history.clear()
        self.faults.clear()
        self.mailbox.clear()

    def handle(self, request: ApnsRequest, *, environment: Environment,
               connection: ConnectionState) -> PushAccepted | PushRejected:
        """The verdict on one request."""
        now = self._clock()
        connection.requests += 1
        apns_id = request.apns_id if request.apns_id is not None else self._uuid().upper()
        verdict: PushAccepted | PushRejected
        try:
            verdict = self._accept(request, environment, connection, now, apns_id)
        except Rejection as rejection:
            reason = rejection.reason
            timestamp = rejection.timestamp_ms
            if reason.has_timestamp and timestamp is None:
                timestamp = int(now * 1000)
            verdict = PushRejected(at=now, environment=environment, apns_id=apns_id, token=request.token or "",
                                   topic=request.topic, reason=reason, status=reason.status,
                                   detail=rejection.detail, timestamp_ms=timestamp,
                                   connection_id=connection.connection_id)
        self.history.append(verdict)
        return verdict

    def _accept(self, request: ApnsRequest, environment: Environment, connection: ConnectionState,
                now: float, apns_id: str) -> PushAccepted:
        certified = connection.certificate is not None or connection.certificate_problem is not None
        identity = self._check_certificate(connection) if certified else None
        token = checks.request_line(request)
        if identity is None:
            team_id, key_id = self._check_auth(request, environment, connection, now)
        else:
            team_id, key_id = identity.team_id, ""
        push_type, priority, expiration, topic = self._check_headers(request, connection, key_id, identity)
        payload = checks.payload(request.body, push_type, self.malformed_payload_reason)
        forced = self.faults.take(token)
        if forced is not None:
            raise Rejection(forced, detail="injected fault")
        self.devices.require_active(token, topic=topic, environment=environment)
        return PushAccepted(
            at=now, environment=environment, apns_id=apns_id,
            apns_unique_id=self._uuid() if environment is Environment.SANDBOX else None,
            token=token.lower(), topic=topic, push_type=push_type.value,
            priority=priority, expiration=expiration, collapse_id=request.collapse_id,
            payload=payload, team_id=team_id, key_id=key_id, connection_id=connection.connection_id,
            certificate_serial=identity.serial if identity is not None else None)

    def _check_certificate(self, connection: ConnectionState) -> ProviderIdentity:
        if connection.certificate_problem is not None:
            reason, detail = connection.certificate_problem
            raise Rejection(reason, detail=detail)
        identity = connection.certificate
        assert identity is not None and self.certificates is not None  # _identify set both or a problem
        if self.certificates.is_revoked(identity.serial):
            raise Rejection(Reason.BAD_CERTIFICATE, detail=f"certificate {identity.serial:x} was revoked")
        return identity

    def _check_auth(self, request: ApnsRequest, environment: Environment, connection: ConnectionState,
                    now: float) -> tuple[str, str]:
        verified = self._verify(request.authorization, environment, connection, now)
        team_id, key_id = verified.team_id, verified.key_id
        if connection.key is None:
            connection.key = (team_id, key_id)
        elif self.strict_key_binding and connection.key != (team_id, key_id):
            raise Rejection(Reason.UNRELATED_KEY_ID_IN_TOKEN,
                            detail=f"key {key_id!r} is unrelated to key {connection.key[1]!r} first used on "
                                   "this connection; open a new connection")
        self._note_token(request.authorization or "", connection, now)
        return team_id, key_id

    def _verify(self, authorization: str | None, environment: Environment, connection: ConnectionState,
                now: float) -> VerifiedToken:
        cached = connection.verified
        if (cached is not None and cached.authorization == authorization
                and cached.generation == self.keys.generation and cached.environment is environment):
            check_iat(cached.token.iat, now)  # the signature cannot change; the token's age can
            return cached.token
        try:
            verified = self.keys.verify_token(authorization, now=now, environment=environment)
        except Rejection as rejection:
            if rejection.reason is Reason.BAD_ENVIRONMENT_KEY_IN_TOKEN:
                raise Rejection(self.environment_key_reason, detail=rejection.detail) from None
            raise
        connection.verified = _Verified(authorization=authorization or "", generation=self.keys.generation,
                                        environment=environment, token=verified)
        return verified

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

    def _check_headers(self, request: ApnsRequest, connection: ConnectionState, key_id: str,
                       certificate: ProviderIdentity | None) -> tuple[PushType, int, int | None, str]:
        """Push type, priority, expiration and topic, once each header passed its check."""
        checks.apns_id(request.apns_id)
        push_type = checks.push_type(request)
        priority = checks.priority(request.priority)
        if self.reject_background_priority_10 and push_type is PushType.BACKGROUND and priority == 10:
            raise Rejection(Reason.BAD_PRIORITY, detail="background pushes must use apns-priority 5")
        expiration = checks.expiration(request.expiration)
        checks.collapse_id(request.collapse_id)
        if certificate is None:
            return push_type, priority, expiration, self._token_topic(request.topic, push_type, key_id, connection)
        topic = checks.topic_fits(self._topic(request.topic, certificate), push_type)
        if topic not in certificate.topics:
            raise Rejection(Reason.TOPIC_DISALLOWED,
                            detail=f"certificate covers {list(certificate.topics)}, not {topic!r}")
        return push_type, priority, expiration, topic

    def _token_topic(self, topic: str | None, push_type: PushType, key_id: str, connection: ConnectionState) -> str:
        allowed = connection.allowed_topics
        if topic and allowed.get((topic, push_type, key_id)) == self.keys.generation:
            return topic  # fits and allowed under these very keys: nothing to check again
        topic = checks.topic_fits(topic, push_type)
        self.keys.check_topic(key_id, topic)
        if len(allowed) >= _MAX_ALLOWED_TOPICS:
            allowed.clear()
        allowed[(topic, push_type, key_id)] = self.keys.generation
        return topic

    @staticmethod
    def _topic(topic: str | None, certificate: ProviderIdentity | None) -> str | None:
        if topic or certificate is None:
            return topic
        if len(certificate.topics) > 1:
            raise Rejection(Reason.MISSING_TOPIC,
                            detail=f"apns-topic is required: the certificate covers {list(certificate.topics)}")
        return certificate.bundle_id  # one topic: APNs defaults to the certificate's Subject UID

    def _uuid(self) -> str:
        # str(uuid.UUID(int=bits, version=4)), without building the UUID: same bits, same text.
        bits = self._rng.getrandbits(128) & _UUID_CLEAR | _UUID_SET
        h = f"{bits:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_UUID_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))  # the variant and version bits ...
_UUID_SET = (0x8000 << 48) | (4 << 76)  # ... set to RFC 4122, version 4
