"""The sans-I/O decider: what FCM answers to one HTTP request. No asyncio, ssl or aiohttp here.

Rule 1: v1 sends are checked in the order Google's layers apply them: bearer (401), project
permission (403), proto JSON (400 BadRequest), FCM validation (400 FcmError), injected faults,
then the registration token (400/403/404). The first failure is the answer.
Rule 2: ``send``/``token``/``legacy_send`` never raise for anything a client sends; they return a
``Reply`` whose ``events`` say what happened (verdict first, then delivery facts).
Rule 3: time and randomness come only from the injected ``clock`` and ``rng``.
"""

from __future__ import annotations

import random
from collections import deque
from typing import Any, Callable

from .auth import CLOCK_SKEW, BearerProblem, TokenIssuer, parse_form, peek_issuer
from .codes import FcmError, OAuthError, Status
from .errors import ERROR_INFO_TYPE, GrantRefused, Rejection
from .events import AccessTokenIssued, AccessTokenRefused, ConnectionDropped, MessageAccepted, MessageRejected
from .faults import FaultKind, Faults
from .legacy import LegacyApi
from .mailbox import EVIDENCE_LIMIT, Mailbox, Reachability
from .models import MAX_BODY_BYTES, Api, HttpRequest, LegacyMode, Message, Reply, slot_builder
from .registry import Project, Registration, Registry, TokenProblem
from .history import History
from .schema import parse_send_body, peek_token
from .validation import interpret

_new_accepted = slot_builder(MessageAccepted)  # the hot path's constructors
_new_reply = slot_builder(Reply)
SEND_METHOD = {"method": "google.firebase.fcm.v1.FcmService.SendMessage", "service": "fcm.googleapis.com"}
_AUTH_HINT = ("Expected OAuth 2 access token, login cookie or other valid authentication credential. "
              "See https://developers.google.com/identity/sign-in/web/devconsole-project.")
_BEARER: dict[BearerProblem, tuple[str, str]] = {
    BearerProblem.MISSING: (f"Request is missing required authentication credential. {_AUTH_HINT}",
                            "CREDENTIALS_MISSING"),
    BearerProblem.INVALID: (f"Request had invalid authentication credentials. {_AUTH_HINT}",
                            "ACCESS_TOKEN_TYPE_UNSUPPORTED"),
    BearerProblem.EXPIRED: (f"Request had invalid authentication credentials. {_AUTH_HINT}",
                            "ACCESS_TOKEN_EXPIRED"),  # PyFCM refreshes and retries only on this reason
}


def _error_info(reason: str, domain: str = "googleapis.com", **metadata: str) -> dict[str, Any]:
    return {"@type": ERROR_INFO_TYPE, "reason": reason, "domain": domain, "metadata": metadata or SEND_METHOD}


def render(rejection: Rejection) -> tuple[int, dict[str, Any], tuple[tuple[str, str], ...]]:
    """Status, ``{"error": {...}}`` envelope and headers Google sends for ``rejection``."""
    status = rejection.status.http_status
    error: dict[str, Any] = {"code": status, "message": rejection.message, "status": rejection.status.value}
    if rejection.details:
        error["details"] = list(rejection.details)
    headers: list[tuple[str, str]] = []
    if rejection.retry_after is not None:
        headers.append(("Retry-After", str(rejection.retry_after)))
    if rejection.status is Status.UNAUTHENTICATED and rejection.error_code is None:
        headers.append(("WWW-Authenticate", 'Bearer realm="https://accounts.google.com/"'))
    return status, {"error": error}, tuple(headers)


class FcmCore:
    """Decides every answer of the fake FCM and keeps the evidence (moto-style backdoor)."""

    def __init__(self, *, registry: Registry, clock: Callable[[], float], rng: random.Random | None = None,
                 faults: Faults | None = None, reachability: Reachability | None = None,
                 legacy: LegacyMode = LegacyMode.SHUT_DOWN, skew: float = CLOCK_SKEW) -> None:
        self.registry = registry
        self.faults = faults if faults is not None else Faults()
        self._clock = clock
        self._rng = rng if rng is not None else registry.rng
        self.tokens = TokenIssuer(registry, clock=clock, rng=self._rng, skew=skew)
        self.mailbox = Mailbox(clock=clock, reachability=reachability, is_live=registry.is_live)
        self.legacy = LegacyApi(registry=registry, faults=self.faults, mailbox=self.mailbox, clock=clock,
                                rng=self._rng, mode=legacy)
        self.history = History(maxlen=EVIDENCE_LIMIT)
        self.grants: deque[AccessTokenIssued | AccessTokenRefused] = deque(maxlen=EVIDENCE_LIMIT)

    def now(self) -> float:
        """The injected clock's current time."""
        return self._clock()

    # -- endpoints ---------------------------------------------------------------------------
    def token(self, request: HttpRequest) -> Reply:
        """``POST /token``: the JWT-bearer grant."""
        now = self._clock()
        try:
            if request.oversized:
                raise GrantRefused(OAuthError.INVALID_REQUEST, "Request payload too large.")
            form = parse_form(request.body, request.content_type)
            granted = self.tokens.grant(form)
        except GrantRefused as refused:
            event: AccessTokenIssued | AccessTokenRefused = AccessTokenRefused(
                at=now, error=refused.error, description=refused.description,
                client_email=peek_issuer(request.body))
            self.grants.append(event)
            return Reply.json(refused.error.http_status, {"error": refused.error.value,
                                                          "error_description": refused.description},
                              events=(event,))
        event = AccessTokenIssued(at=now, client_email=granted.client_email, project_id=granted.project_id,
                                  scopes=granted.scopes, token=granted.token, expires_at=granted.expires_at)
        self.grants.append(event)
        return Reply.json(200, {"access_token": granted.token, "expires_in": self.tokens.lifetime,
                                "token_type": "Bearer"}, events=(event,))

    def send(self, request: HttpRequest) -> Reply:
        """``POST /v1/projects/{project}/messages:send``."""
        now = self._clock()
        connection = (self.faults.take_connection(peek_token(request.body))
                      if self.faults.has_connection_faults else None)
        if connection is not None and connection.kind is FaultKind.DROP:
            return Reply(status=0, body=b"", drop=True,
                         events=(ConnectionDropped(at=now, path=self._path(request), token=connection.token),))
        delay = connection.delay if connection is not None else 0.0
        token: str | None = None
        injected = False
        try:
            if request.oversized:  # Google's front end refuses before looking at credentials
                raise Rejection(Status.INVALID_ARGUMENT,
                                f"Request payload size exceeds the limit: {MAX_BODY_BYTES} bytes.")
            project = self._authorize(request)
            fields, validate_only = parse_send_body(request.body)
            message = interpret(fields, body_size=len(request.body))
            token = message.token
            fault = self.faults.take(token)
            if fault is not None and fault.error is not None:
                injected = True
                raise Rejection.fcm(fault.error, retry_after=fault.retry_after)
            registration = self._resolve(message, project)
        except Rejection as rejection:
            return self._reject(request, rejection, now, token=token, injected=injected, delay=delay)
        return self._accept(request, message, registration, validate_only, now, delay)

    def legacy_send(self, request: HttpRequest) -> Reply:
        """``POST /fcm/send`` (legacy HTTP; shut down unless ``legacy.mode`` is ENABLED)."""
        reply = self.legacy.send(request)
        for event in reply.events:
            if isinstance(event, MessageAccepted | MessageRejected):
                self.history.append(event)
        return reply

    # -- delivery and control ----------------------------------------------------------------
    def flush(self, phone_id: str) -> list[object]:
        """A phone came back or woke up: the events of what it now receives."""
        return self.mailbox.flush(phone_id)

    def flush_all(self) -> list[object]:
        """``flush`` every phone with something waiting."""
        return self.mailbox.flush_all()

    def sweep(self) -> list[object]:
        """Expire stored messages whose TTL ran out (after advancing the clock)."""
        return self.mailbox.sweep()

    @property
    def delivered(self) -> tuple[Any, ...]:
        """Every ``MessageDelivered`` so far (bounded), oldest first."""
        return tuple(self.mailbox.delivered)

    def reset(self) -> None:
        """Forget evidence, queued faults and stored messages; keep the registry and access tokens."""
        self.history.clear()
        self.grants.clear()
        self.faults.clear()
        self.mailbox.clear()

    # -- v1 steps ----------------------------------------------------------------------------
    def _authorize(self, request: HttpRequest) -> Project:
        bearer = self.tokens.authenticate(request.authorization)
        if isinstance(bearer, BearerProblem):
            message, reason = _BEARER[bearer]
            raise Rejection(Status.UNAUTHENTICATED, message, details=(_error_info(reason),))
        project = self.registry.project(request.path_project)
        if project is None or project.project_id != bearer.project_id:
            raise Rejection(Status.PERMISSION_DENIED,
                            "Permission 'cloudmessaging.messages.create' denied on resource "
                            f"'//cloudresourcemanager.googleapis.com/projects/{request.path_project}' "
                            "(or it may not exist).",
                            details=(_error_info("IAM_PERMISSION_DENIED", "cloudresourcemanager.googleapis.com",
                                                 permission="cloudmessaging.messages.create"),))
        return project

    def _resolve(self, message: Message, project: Project) -> Registration | None:
        if message.token is None:
            return None
        found = self.registry.resolve(message.token, project=project, package=message.restricted_package_name)
        if not isinstance(found, TokenProblem):  # the hot path: skip the match below
            return found
        match found:
            case TokenProblem.MALFORMED | TokenProblem.UNKNOWN:
                raise Rejection.fcm(FcmError.INVALID_ARGUMENT,
                                    "The registration token is not a valid FCM registration token",
                                    field="message.token")
            case TokenProblem.OTHER_SENDER:
                raise Rejection.fcm(FcmError.SENDER_ID_MISMATCH)
            case TokenProblem.UNREGISTERED:
                raise Rejection.fcm(FcmError.UNREGISTERED)
            case TokenProblem.WRONG_PACKAGE:
                raise Rejection.fcm(FcmError.INVALID_ARGUMENT,
                                    "The restricted package name does not match the registration token's app.",
                                    field="message.android.restricted_package_name")
        raise AssertionError(f"unhandled token problem {found!r}")

    def _accept(self, request: HttpRequest, message: Message, registration: Registration | None,
                validate_only: bool, now: float, delay: float) -> Reply:
        message_id = "fake_message_id" if validate_only else self._message_id(now)
        name = f"projects/{request.path_project}/messages/{message_id}"
        accepted = _new_accepted(at=now, api=Api.V1, project_id=request.path_project, message_id=message_id,
                                 name=name, validate_only=validate_only, message=message,
                                 phone_id=registration.phone_id if registration else None,
                                 package=registration.package if registration else None)
        self.history.append(accepted)
        events = (accepted,) if validate_only else (accepted, *self.mailbox.route(accepted))
        # The project in the URL matched a registered id or number exactly, so it needs no JSON escaping.
        return _new_reply(status=200, body=b'{"name":"' + name.encode() + b'"}', events=events, delay=delay)

    def _reject(self, request: HttpRequest, rejection: Rejection, now: float, *, token: str | None,
                injected: bool, delay: float) -> Reply:
        status, envelope, headers = render(rejection)
        rejected = MessageRejected(at=now, api=Api.V1, project_id=request.path_project, http_status=status,
                                   status=rejection.status.value, error_code=rejection.error_code,
                                   message=rejection.message, token=token, injected=injected)
        self.history.append(rejected)
        return Reply.json(status, envelope, headers=headers, events=(rejected,), delay=delay)

    def _message_id(self, now: float) -> str:
        # Real ids look like 0:1500415314455276%31bd1c9631bd1c96; clients treat them as opaque.
        # hex() of the bits with a 65th bit set, minus "0x1", is the zero-padded 16 digits, at half the cost of :016x.
        return f"0:{int(now * 1_000_000)}%{hex(self._rng.getrandbits(64) | 1 << 64)[3:]}"

    @staticmethod
    def _path(request: HttpRequest) -> str:
        return f"/v1/projects/{request.path_project}/messages:send"
