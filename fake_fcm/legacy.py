"""The legacy HTTP API ``POST /fcm/send`` (``Authorization: key=<server key>``), apns-fcm.md B5.

Rule 1: ``LegacyMode.SHUT_DOWN`` (the default) answers as Google has since the 2024 shutdown: a
valid key still authenticates, and every result is ``{"error": "DeprecatedApi"}`` [Obs
larafirebase#82, fcm-node#100]. ``ENABLED`` replays the GCM era.
Rule 2: request-wide problems (bad key, bad JSON, bad field types) are non-200 text answers;
everything about a message or a target is a per-result ``error`` inside a 200.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from .codes import LegacyError
from .errors import LegacyRefusal
from .events import ConnectionDropped, MessageAccepted, MessageRejected
from .faults import FaultKind, Faults
from .mailbox import Mailbox
from .models import MAX_BODY_BYTES, MAX_TTL, Api, HttpRequest, LegacyMode, Message, Priority, Reply
from .registry import Project, Registry, TokenProblem
from .validation import MAX_PAYLOAD_BYTES, is_reserved_key, payload_size

PATH = "/fcm/send"
MAX_REGISTRATION_IDS = 1000
UNAUTHORIZED_HTML = ("<HTML><HEAD><TITLE>Unauthorized</TITLE></HEAD><BODY BGCOLOR=\"#FFFFFF\" TEXT=\"#000000\">"
                     "<H1>Unauthorized</H1><H2>Error 401</H2></BODY></HTML>")
_PROBLEM = {TokenProblem.MALFORMED: LegacyError.INVALID_REGISTRATION,
            TokenProblem.UNKNOWN: LegacyError.INVALID_REGISTRATION,
            TokenProblem.OTHER_SENDER: LegacyError.MISMATCH_SENDER_ID,
            TokenProblem.UNREGISTERED: LegacyError.NOT_REGISTERED,
            TokenProblem.WRONG_PACKAGE: LegacyError.INVALID_PACKAGE_NAME}


class _BadRequest(Exception):
    """A request-wide problem: HTTP 400 with a plain-text body."""


@dataclass(slots=True)
class _Batch:
    """What one legacy request produced so far."""

    results: list[dict[str, str]] = field(default_factory=list)
    events: list[object] = field(default_factory=list)


def _text(status: int, text: str, events: tuple[object, ...], content_type: str = "text/plain; charset=UTF-8"
          ) -> Reply:
    return Reply(status=status, body=text.encode(), content_type=content_type, events=events)


def _string_value(value: Any) -> str:
    # Legacy data values could be any JSON (go-fcm sent bools and ints); phones got strings.
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


class LegacyApi:
    """Decides legacy ``/fcm/send`` answers; shares the registry, faults and mailbox with v1."""

    def __init__(self, *, registry: Registry, faults: Faults, mailbox: Mailbox, clock: Callable[[], float],
                 rng: random.Random, mode: LegacyMode) -> None:
        self.registry = registry
        self.mode = LegacyMode(mode)
        self._faults, self._mailbox, self._clock, self._rng = faults, mailbox, clock, rng

    def send(self, request: HttpRequest) -> Reply:
        """The answer to one ``/fcm/send`` request."""
        now = self._clock()
        project = self._project(request.authorization)
        if project is None:
            return _text(401, UNAUTHORIZED_HTML, (self._refused(now, "", 401, "UNAUTHENTICATED", None,
                                                                "Unauthorized"),), "text/html; charset=UTF-8")
        try:
            document = self._document(request)
            targets = self._targets(document)
            verdict = None if self.mode is LegacyMode.SHUT_DOWN else self._verdict(document)
        except _BadRequest as bad:
            return _text(400, str(bad), (self._refused(now, project.project_id, 400, "INVALID_ARGUMENT", None,
                                                       str(bad)),))
        connection = self._faults.take_connection(targets[0]) if self._faults.has_connection_faults else None
        if connection is not None and connection.kind is FaultKind.DROP:
            return Reply(status=0, body=b"", drop=True,
                         events=(ConnectionDropped(at=now, path=PATH, token=connection.token),))
        batch = self._judge_all(project, targets, verdict, document.get("dry_run") is True, now)
        return Reply.json(200, self._body(document, targets, batch), events=tuple(batch.events),
                          delay=connection.delay if connection is not None else 0.0)

    # -- request-wide checks ------------------------------------------------------------------
    def _project(self, authorization: str | None) -> Project | None:
        scheme, _, key = (authorization or "").strip().partition("=")
        if scheme.strip().lower() != "key" or not key.strip():
            return None
        return self.registry.project_by_server_key(key.strip())

    @staticmethod
    def _document(request: HttpRequest) -> dict[str, Any]:
        if request.oversized:
            raise _BadRequest(f"Request too large: over {MAX_BODY_BYTES} bytes")
        kind = (request.content_type or "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise _BadRequest(f"Unsupported content type {kind or '(none)'!r}; this fake speaks only JSON")
        try:
            document = json.loads(request.body)
        except json.JSONDecodeError as exc:
            raise _BadRequest(f"JSON_PARSING_ERROR: Unexpected character at position {exc.pos}.") from None
        except (ValueError, RecursionError):
            raise _BadRequest("JSON_PARSING_ERROR: Unexpected character at position 0.") from None
        if not isinstance(document, dict):
            raise _BadRequest("JSON_PARSING_ERROR: the request is not a JSON object.")
        return document

    @staticmethod
    def _targets(document: dict[str, Any]) -> list[str | None]:
        to, ids = document.get("to"), document.get("registration_ids")
        if to is not None and ids is not None:
            raise _BadRequest('Must use either "registration_ids" field or "to", not both')
        if ids is not None:
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                raise _BadRequest(f'Field "registration_ids" must be a JSON array: {json.dumps(ids)[:80]}')
            if len(ids) > MAX_REGISTRATION_IDS:
                raise _BadRequest(f"Number of messages on bulk ({len(ids)}) exceeds maximum allowed "
                                  f"({MAX_REGISTRATION_IDS})")
            return list(ids)
        target = to if to is not None else document.get("condition")
        if target is not None and not isinstance(target, str):
            raise _BadRequest(f'Field "to" must be a JSON string: {json.dumps(target)[:80]}')
        return [target]  # None: MissingRegistration

    def _verdict(self, document: dict[str, Any]) -> Message | LegacyError:
        """The message, or the message-wide error every target will get."""
        try:
            return self._message(document)
        except LegacyRefusal as refusal:
            return refusal.error

    @staticmethod
    def _message(document: dict[str, Any]) -> Message:
        data, notification = document.get("data", {}), document.get("notification")
        if not isinstance(data, dict):
            raise _BadRequest(f'Field "data" must be a JSON object: {json.dumps(data)[:80]}')
        if notification is not None and not isinstance(notification, dict):
            raise _BadRequest(f'Field "notification" must be a JSON object: {json.dumps(notification)[:80]}')
        strings = {str(k): _string_value(v) for k, v in data.items()}
        if any(map(is_reserved_key, strings)):
            raise LegacyRefusal(LegacyError.INVALID_DATA_KEY)
        ttl = document.get("time_to_live", MAX_TTL)
        if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not 0 <= ttl <= MAX_TTL:
            raise LegacyRefusal(LegacyError.INVALID_TTL)
        priority = {"high": Priority.HIGH, "10": Priority.HIGH, "normal": Priority.NORMAL, "5": Priority.NORMAL}.get(
            str(document.get("priority", "normal")).lower())
        if priority is None:
            raise LegacyRefusal(LegacyError.INVALID_PARAMETERS, "priority must be normal or high")
        if payload_size(strings, notification) > MAX_PAYLOAD_BYTES:
            raise LegacyRefusal(LegacyError.MESSAGE_TOO_BIG)
        package, collapse = document.get("restricted_package_name"), document.get("collapse_key")
        return Message(data=strings, notification=notification, priority=priority, ttl=float(ttl),
                       collapse_key=str(collapse) if collapse else None,
                       restricted_package_name=str(package) if package else None, fields=document)

    # -- per-target verdicts -----------------------------------------------------------------
    def _judge_all(self, project: Project, targets: list[str | None], verdict: Message | LegacyError | None,
                   dry_run: bool, now: float) -> _Batch:
        batch = _Batch()
        for target in targets:
            if verdict is None:  # shut down: a valid key, and nothing else matters
                self._fail(batch, project, target, LegacyError.DEPRECATED_API, now)
            elif target is None:
                self._fail(batch, project, None, LegacyError.MISSING_REGISTRATION, now)
            elif isinstance(verdict, LegacyError):
                self._fail(batch, project, target, verdict, now)
            else:
                self._judge(batch, project, target, verdict, dry_run, now)
        return batch

    def _judge(self, batch: _Batch, project: Project, target: str, message: Message, dry_run: bool,
               now: float) -> None:
        fault = self._faults.take(target)
        if fault is not None and fault.error is not None:
            self._fail(batch, project, target, LegacyError.for_fcm_error(fault.error), now, injected=True)
            return
        topic = target.startswith("/topics/") or " in topics" in target
        found = None if topic else self.registry.resolve(target, project=project,
                                                          package=message.restricted_package_name)
        if isinstance(found, TokenProblem):
            self._fail(batch, project, target, _PROBLEM[found], now)
            return
        message_id = "fake_message_id" if dry_run else f"0:{int(now * 1_000_000)}%{self._rng.getrandbits(64):016x}"
        addressed = replace(message, token=None if topic else target,
                            topic=target.removeprefix("/topics/") if topic else None)
        accepted = MessageAccepted(at=now, api=Api.LEGACY, project_id=project.project_id, message_id=message_id,
                                   name=message_id, validate_only=dry_run, message=addressed,
                                   phone_id=found.phone_id if found else None, package=found.package if found else None)
        batch.results.append({"message_id": message_id})
        batch.events.append(accepted)
        if not dry_run:
            batch.events.extend(self._mailbox.route(accepted))

    def _fail(self, batch: _Batch, project: Project, target: str | None, error: LegacyError, now: float,
              injected: bool = False) -> None:
        batch.results.append({"error": error.value})
        batch.events.append(self._refused(now, project.project_id, 200, "OK", error, error.value, target, injected))

    @staticmethod
    def _refused(now: float, project_id: str, http_status: int, status: str, error: LegacyError | None,
                 text: str, token: str | None = None, injected: bool = False) -> MessageRejected:
        return MessageRejected(at=now, api=Api.LEGACY, project_id=project_id, http_status=http_status,
                               status=status, error_code=error, message=text, token=token, injected=injected)

    def _body(self, document: dict[str, Any], targets: list[Any], batch: _Batch) -> dict[str, Any]:
        single = document.get("registration_ids") is None
        first = targets[0] if targets else None
        if single and isinstance(first, str) and (first.startswith("/topics/") or " in topics" in first):
            result = batch.results[0]
            return {"message_id": self._rng.getrandbits(63)} if "message_id" in result else result
        success = sum(1 for r in batch.results if "message_id" in r)
        dry_run = document.get("dry_run") is True
        return {"multicast_id": -1 if dry_run else self._rng.getrandbits(63), "success": success,
                "failure": len(batch.results) - success, "canonical_ids": 0, "results": batch.results}
