"""Proxy → APNs: one reused HTTP/2 connection per Apple app, provider JWT cached and renewed,
retries on transport errors only (§4.1, §4.3, §4.4). Publishes one hop per attempt, the proxy's
log lines (§3.4) and its metrics (§6).

Rule: time for retries comes from the injected Timer (deadlines, back-off, per-try timeouts);
the provider token's age and log stamps come from the world clock.
"""

from __future__ import annotations

import asyncio
import functools
import json
import ssl
import time
from typing import Awaitable, Callable, Final

from ..events import Correlation, HopAttempted, Protocol
from ..hops import summarize_body
from ..signing import ProviderKey
from .config import ApplePushSettings, ProxyConfig
from .core import map_apns_result
from .credentials import AppleCredentials, CertificateAuth, apple_credentials, with_client_certificate
from .h2client import H2Connection, H2Response, TransportError
from .logs import ProxyLog, redact
from .metrics import ProxyMetrics
from .models import PushNotification, PushResponse, PushStatus, Target
from .payload import ApnsMessage, build_apns
from .retry import DEADLINE_EXCEEDED, Failure, RetryPolicy, with_retries
from .timer import LoopTimer, Timer

Sleep = Callable[[float], Awaitable[None]]
_Fields = tuple[tuple[str, str], ...]

TOKEN_TIMEOUT: Final = 3000.0  # sideshow/apns2 renews the provider token after 50 minutes
PLATFORM: Final = "apple"
TRANSPORT_FAILURE_REASON: Final = "RequestError"


def retry_policy(config: ProxyConfig) -> RetryPolicy:
    """The config's retry budget (§3.1 defaults applied)."""
    return RetryPolicy(max_retries=config.max_retries, send_timeout=config.send_timeout,
                       retry_timeout=config.retry_timeout)


class ApnsSender:
    """Sends one Apple app type's pushes."""

    platform = PLATFORM

    def __init__(self, settings: ApplePushSettings, *, url: str, ssl_context: ssl.SSLContext,
                 config: ProxyConfig, clock: Callable[[], float], publish: Callable[[object], None],
                 source: str = "proxy", target: str = "apns", sleep: Sleep | None = None,
                 server_hostname: str | None = None, timer: Timer | None = None,
                 metrics: ProxyMetrics | None = None, log: ProxyLog | None = None,
                 credentials: AppleCredentials | None = None) -> None:
        self.settings = settings
        creds = credentials if credentials is not None else apple_credentials(settings)  # TargetInitError
        self._key: ProviderKey | None = creds if isinstance(creds, ProviderKey) else None
        if isinstance(creds, CertificateAuth):
            ssl_context = with_client_certificate(ssl_context, creds)
        self._url, self._ssl, self._sni = url, ssl_context, server_hostname
        self._config, self._clock, self._publish = config, clock, publish
        self._timer = timer or LoopTimer(sleep)
        self._policy = retry_policy(config)
        self.metrics = metrics or ProxyMetrics()
        self._log = log or ProxyLog(component=source, clock=clock, publish=publish)
        self._source, self._target = source, target
        self._conn: H2Connection | None = None
        self._connecting = asyncio.Lock()
        self._token: tuple[float, tuple[str, str]] | None = None  # when signed, the authorization header
        self._shown_auth = _shown_auth(self._key)
        # Per (topic, push type, priority, collapse id): the request headers after authorization, and
        # what the hop shows of them. A sender's pushes share one or two of these.
        self._fixed: dict[tuple[str, str, int, str | None], tuple[_Fields, _Fields]] = {}

    def use_provider_key(self, key: ProviderKey) -> None:
        """Sign with ``key`` from now on (a rotated or, in failure demos, a wrong key)."""
        self._key, self._token, self._shown_auth = key, None, _shown_auth(key)
        self._fixed.clear()

    @property
    def open_streams(self) -> int:
        """HTTP/2 streams open on the APNs connection right now (0 when idle or not connected)."""
        return self._conn.open_streams if self._conn is not None else 0

    def _authorization(self) -> list[tuple[str, str]]:
        if self._key is None:
            return []  # certificate auth: the TLS client certificate authenticates
        now = self._clock()
        if self._token is None or now - self._token[0] >= TOKEN_TIMEOUT:
            self._token = (now, ("authorization", f"bearer {self._key.token(now)}"))
        return [self._token[1]]

    async def _connection(self) -> H2Connection:
        async with self._connecting:
            if self._conn is None or not self._conn.is_open:
                if self._conn is not None:
                    await self._conn.close()
                self._conn = H2Connection(self._url, ssl_context=self._ssl, server_hostname=self._sni)
                await self._conn.connect()
            return self._conn

    async def send(self, n: PushNotification, target: Target) -> PushResponse:
        """Deliver one notification; map the outcome to OK / FAIL / REMOVE."""
        fields: dict[str, str] = {"device": self.settings.type, "type": n.type, "ack_id": n.ack_id}
        if n.transport:
            fields["transport"] = n.transport
        self._log.info("Sending apple push notification", **fields)
        self.metrics.notifications.inc(PLATFORM, n.type, n.transport)
        message = build_apns(n, app_version=target.app_version, topic=self.settings.apple_push_topic)
        ids = Correlation(post_id=n.post_id, ack_id=n.ack_id)
        attempt = functools.partial(self._try, n.device_id, message, ids)
        outcome = await with_retries(attempt, policy=self._policy, timer=self._timer, log=self._log,
                                     failed_message="Failed to send apple push", device_id=n.device_id)
        return self._conclude(n, outcome)

    def _conclude(self, n: PushNotification, outcome: H2Response | Failure) -> PushResponse:
        if isinstance(outcome, Failure):
            self._log.error("Failed to send apple push", sid=n.server_id, did=redact(n.device_id),
                            err=outcome.error, type=n.type)
            self.metrics.failed(PLATFORM, n.type, n.transport, TRANSPORT_FAILURE_REASON)
            return map_apns_result(None, None)
        reason = _reason(outcome)
        result = map_apns_result(outcome.status, reason)
        if result.status is PushStatus.OK:
            self.metrics.sent(PLATFORM, n.type, n.transport, with_ack=bool(n.ack_id))
            return result
        res: dict[str, str | int] = {"ApnsID": outcome.header("apns-id") or "", "reason": reason or "",
                                     "code": outcome.status, "type": n.type}
        if result.status is PushStatus.REMOVE:
            self._log.info("Failed to send apple push sending remove code res", **res)
            self.metrics.removed(PLATFORM, n.type, n.transport, reason or "")
        else:
            self._log.error("Failed to send apple push with res", **res)
            self.metrics.failed(PLATFORM, n.type, n.transport, reason or "")
        return result

    async def _try(self, token: str, message: ApnsMessage, ids: Correlation) -> H2Response | Failure:
        started = time.perf_counter()
        try:
            return await self._attempt(token, message, ids)
        except TransportError as exc:
            return Failure(error=str(exc), retryable=True)
        finally:  # every try is timed, a timed-out one too (§4.4)
            elapsed = time.perf_counter() - started
            self.metrics.notification_duration.observe(elapsed, PLATFORM)
            self.metrics.apns_duration.observe(elapsed)

    async def _attempt(self, token: str, message: ApnsMessage, ids: Correlation) -> H2Response:
        headers = self._authorization()
        headers += self._fixed_parts(message)[0]
        path = f"/3/device/{token}"
        started, at = time.perf_counter(), self._clock()
        try:
            conn = self._conn
            if conn is None or not conn.is_open:  # the common case takes no coroutine and no lock
                conn = await self._connection()
            response = await conn.request("POST", path, headers, message.body)
        except TransportError as exc:
            self._hop(at, started, path, message, ids, f"no response: {exc}", False)
            raise
        except (TimeoutError, asyncio.CancelledError):
            self._hop(at, started, path, message, ids, f"no response: {DEADLINE_EXCEEDED}", False)
            raise
        apns_id = response.header("apns-id") or ""
        reason = _reason(response)
        outcome = f"{response.status} apns-id={apns_id}" + (f" {reason}" if reason else "")
        ids = Correlation(post_id=ids.post_id, ack_id=ids.ack_id, apns_id=ids.apns_id or apns_id)  # ids.merged
        self._hop(at, started, path, message, ids, outcome, response.status == 200)
        return response

    def _hop(self, at: float, started: float, path: str, message: ApnsMessage, ids: Correlation,
             outcome: str, ok: bool) -> None:
        wire = (*self._fixed_parts(message)[1], ("payload", summarize_body(message.body)))
        self._publish(HopAttempted(
            at=at, started=started, duration_ms=(time.perf_counter() - started) * 1000, source=self._source,
            target=self._target, protocol=Protocol.HTTP2_TLS, encrypted=True, operation=f"POST {path[:27]}…",
            wire=wire, outcome=outcome, ok=ok, ids=ids))

    def _fixed_parts(self, message: ApnsMessage) -> tuple[_Fields, _Fields]:
        key = (message.topic, message.push_type, message.priority, message.collapse_id)
        parts = self._fixed.get(key)
        if parts is None:
            shown = (("apns-topic", message.topic), ("apns-push-type", message.push_type),
                     ("apns-priority", str(message.priority)), ("authorization", self._shown_auth))
            parts = self._fixed[key] = (tuple(message.headers()), shown)
        return parts

    async def close(self) -> None:
        """Close the HTTP/2 connection."""
        if self._conn is not None:
            await self._conn.close()
            self._conn = None


def _shown_auth(key: ProviderKey | None) -> str:
    # What the hop shows for the authorization header: who signed, never the token itself.
    return f"bearer <ES256 JWT kid={key.key_id} iss={key.team_id}>" if key is not None else "<TLS client certificate>"


def _reason(response: H2Response) -> str | None:
    if response.status == 200 or not response.body:
        return None
    try:
        reason = json.loads(response.body).get("reason")
    except (ValueError, AttributeError):
        return None
    return reason if isinstance(reason, str) else None
