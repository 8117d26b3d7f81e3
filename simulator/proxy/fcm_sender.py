"""Proxy → FCM HTTP v1 (§5): OAuth2 access token from the service account, cached and renewed
before it expires; ``POST {fcm_url}/v1/projects/{project_id}/messages:send``; the §5.4 mapping and
retry rules. Publishes one hop per HTTP request, the proxy's log lines and its metrics.

Rule 1: error code = the ``FcmError`` detail's ``errorCode`` when present, else the envelope's
canonical ``status``; the FAIL text is the envelope's ``message`` (the Firebase SDK's err.Error()).
Rule 2: the proxy loop retries INTERNAL, QUOTA_EXCEEDED and per-try deadlines (fcm_retryable);
a refused token request or a connection that cannot be made is final (the SDK's own business).
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from http import HTTPStatus
from typing import Any, Callable, Final
from urllib.parse import urlsplit

import aiohttp

from ..events import Correlation, HopAttempted, Protocol
from ..hops import summarize_body
from .config import AndroidPushSettings, ProxyConfig
from .core import fcm_retryable, map_fcm_error
from .logs import ProxyLog, redact
from .metrics import ProxyMetrics
from .models import PushNotification, PushResponse, PushStatus, Target, marshal_like_go
from .oauth import ServiceAccountKey, service_account, token_error_text
from .payload import build_fcm
from .retry import DEADLINE_EXCEEDED, Failure, with_retries
from .sender import retry_policy
from .timer import LoopTimer, Timer

PLATFORM: Final = "android"
FCM_ERROR_TYPE: Final = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
EXPIRY_DELTA: Final = 10.0  # golang.org/x/oauth2 refreshes a token this long before it expires
SDK_HEADERS: Final = {"X-GOOG-API-FORMAT-VERSION": "2", "X-FIREBASE-CLIENT": "fire-admin-go/4.18.0"}


class _Sent:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class _NoToken(Exception):
    """The token endpoint refused or could not be reached; args[0] is the Go error text."""


def parse_fcm_error(status: int, body: bytes) -> tuple[str, str]:
    """(error code, message) from a non-200 ``messages:send`` answer (Rule 1)."""
    try:
        doc: Any = json.loads(body)
    except ValueError:
        doc = None
    error = doc.get("error") if isinstance(doc, dict) else None
    if not isinstance(error, dict):
        return "", f"unexpected http response with status: {status}\n{body.decode('utf-8', 'replace')}"
    status_name = error.get("status")
    code: str = status_name if isinstance(status_name, str) else ""
    for detail in error.get("details") or ():
        if isinstance(detail, dict) and detail.get("@type") == FCM_ERROR_TYPE and isinstance(detail.get("errorCode"), str):
            code = detail["errorCode"]
    message = error.get("message")
    return code, message if isinstance(message, str) else f"http error status: {status}"


def fcm_body(n: PushNotification) -> bytes:
    """The request body as the Go SDK writes it: ``{"message":{"data":…,"android":…,"token":…}}``."""
    message = build_fcm(n)["message"]
    ordered = {"data": dict(sorted(message["data"].items())), "android": message["android"], "token": message["token"]}
    return marshal_like_go({"message": ordered})


class FcmSender:
    """Sends one Android app type's pushes through FCM HTTP v1."""

    platform = PLATFORM

    def __init__(self, settings: AndroidPushSettings, *, config: ProxyConfig, clock: Callable[[], float],
                 publish: Callable[[object], None], ssl_context: ssl.SSLContext | None, source: str = "proxy",
                 target: str = "fcm", timer: Timer | None = None, metrics: ProxyMetrics | None = None,
                 log: ProxyLog | None = None, account: ServiceAccountKey | None = None) -> None:
        self.settings = settings
        self.account = account if account is not None else service_account(settings)  # TargetInitError
        self.send_url = self.account.send_url(config.fcm_url)
        self._ssl, self._clock, self._publish = ssl_context, clock, publish
        self._timer = timer or LoopTimer()
        self._policy = retry_policy(config)
        self.metrics = metrics or ProxyMetrics()
        self._log = log or ProxyLog(component=source, clock=clock, publish=publish)
        self._source, self._target = source, target
        self._session: aiohttp.ClientSession | None = None
        self._token: tuple[str, float] | None = None  # access token, world time it expires
        self._token_lock = asyncio.Lock()

    def use_service_account(self, account: ServiceAccountKey) -> None:
        """Authenticate as ``account`` from now on (a rotated key, or a wrong-key demo)."""
        self.account, self._token = account, None
        self.send_url = account.send_url(self.send_url.split("/v1/projects/", 1)[0])

    async def send(self, n: PushNotification, target: Target) -> PushResponse:
        """Deliver one notification; map the outcome to OK / FAIL / REMOVE."""
        self._log.info("Sending android push notification", device=self.settings.type, type=n.type, ack_id=n.ack_id)
        self.metrics.notifications.inc(PLATFORM, n.type, n.transport)
        body, ids = fcm_body(n), Correlation(post_id=n.post_id, ack_id=n.ack_id)
        outcome = await with_retries(lambda: self._try(body, ids), policy=self._policy, timer=self._timer,
                                     log=self._log, failed_message="Failed to send android push", device_id=n.device_id)
        return self._conclude(n, outcome)

    def _conclude(self, n: PushNotification, outcome: _Sent | Failure) -> PushResponse:
        if not isinstance(outcome, Failure):
            self.metrics.sent(PLATFORM, n.type, n.transport, with_ack=bool(n.ack_id))
            return map_fcm_error(None, "")
        self._log.error("Failed to send FCM push", sid=n.server_id, did=redact(n.device_id), err=outcome.error,
                        type=n.type, errorCode=outcome.code)
        result = map_fcm_error(outcome.code, outcome.error)
        if result.status is PushStatus.REMOVE:
            self._log.info("Android response failure sending remove code", type=n.type)
            self.metrics.removed(PLATFORM, n.type, n.transport, "UNREGISTERED")
        else:
            self.metrics.failed(PLATFORM, n.type, n.transport, outcome.code or "RequestError")
        return result

    async def _try(self, body: bytes, ids: Correlation) -> _Sent | Failure:
        started = time.perf_counter()
        try:
            bearer = await self._access_token()
            status, answer = await self._post(self.send_url, body, ids, bearer=bearer)
        except _NoToken as exc:
            return Failure(error=f'Post "{self.send_url}": {exc.args[0]}', retryable=False)
        except (aiohttp.ClientError, OSError) as exc:
            return Failure(error=f'Post "{self.send_url}": {_why(exc)}', retryable=False)
        finally:
            elapsed = time.perf_counter() - started
            self.metrics.notification_duration.observe(elapsed, PLATFORM)
            self.metrics.fcm_duration.observe(elapsed)
        if status == 200:
            try:
                return _Sent(str(json.loads(answer).get("name", "")))
            except (ValueError, AttributeError):
                return Failure(error=f"unexpected http response with status: {status}\n{answer!r}", retryable=False)
        code, message = parse_fcm_error(status, answer)
        return Failure(error=message, retryable=fcm_retryable(code), code=code)

    async def _access_token(self) -> str:
        async with self._token_lock:  # one grant for a burst of sends
            if self._token is not None and self._clock() < self._token[1] - EXPIRY_DELTA:
                return self._token[0]
            now = self._clock()
            try:
                status, answer = await self._post(self.account.token_uri, self.account.grant_form(now), Correlation(),
                                                  form=True)
            except (aiohttp.ClientError, OSError) as exc:
                raise _NoToken(f"oauth2: cannot fetch token: {_why(exc)}") from exc
            if status != 200:
                raise _NoToken(token_error_text(status, _status_text(status), answer))
            try:
                doc = json.loads(answer)
                token, expires_in = str(doc["access_token"]), float(doc.get("expires_in") or 3600)
            except (ValueError, KeyError, TypeError, AttributeError):
                raise _NoToken("oauth2: server response missing access_token") from None
            self._token = (token, now + expires_in)
            return token

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(trust_env=False, timeout=aiohttp.ClientTimeout(total=60))
        return self._session

    async def _post(self, url: str, body: bytes, ids: Correlation, *, bearer: str | None = None,
                    form: bool = False) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/x-www-form-urlencoded" if form else "application/json"}
        if bearer is not None:
            headers.update(SDK_HEADERS, Authorization=f"Bearer {bearer}")
        parts = urlsplit(url)
        started, at = time.perf_counter(), self._clock()
        wire = (("authorization", "Bearer <OAuth2 access token>"), ("body", summarize_body(body))) if bearer \
            else (("grant_type", "jwt-bearer"), ("assertion", f"<RS256 JWT kid={self.account.private_key_id}>"))

        def hop(outcome: str, ok: bool) -> None:
            self._publish(HopAttempted(
                at=at, started=started, duration_ms=(time.perf_counter() - started) * 1000, source=self._source,
                target=self._target if bearer else f"{self._target}-oauth2",
                protocol=Protocol.HTTPS if parts.scheme == "https" else Protocol.HTTP,
                encrypted=parts.scheme == "https", operation=f"POST {parts.path}", wire=wire, outcome=outcome,
                ok=ok, ids=ids))

        try:
            ssl_arg: ssl.SSLContext | bool = self._ssl if parts.scheme == "https" and self._ssl is not None else False
            async with self._client().post(url, data=body, headers=headers, ssl=ssl_arg) as resp:
                answer = await resp.read()
        except (aiohttp.ClientError, OSError) as exc:
            hop(f"no response: {_why(exc)}", False)
            raise
        except (TimeoutError, asyncio.CancelledError):
            hop(f"no response: {DEADLINE_EXCEEDED}", False)
            raise
        hop(f"{resp.status} {summarize_body(answer, 200)}".rstrip(), resp.status == 200)
        return resp.status, answer

    async def close(self) -> None:
        """Close pooled connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _status_text(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
