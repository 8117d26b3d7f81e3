"""The asyncio adapter: HTTPS (aiohttp, HTTP/1.1) in, ``FcmCore`` replies out.

Rule 1: this module parses, calls the core and renders; it decides nothing about FCM semantics.
Rule 2: bad input never crashes a handler. Exceptions that are our fault (including the caller's
``publish``/``deliver`` hooks) are kept in ``FakeFcm.errors`` and answered 500 INTERNAL in
Google's envelope, so the harness can fail the test that caused them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from types import TracebackType
from typing import Awaitable, Callable, Self

from aiohttp import StreamReader, hdrs, web

from .codes import Status
from .core import FcmCore
from .events import DeletedMessagesNotified, Delivery, MessageDelivered
from .models import MAX_BODY_BYTES, HttpRequest, Reply, slot_builder
from .registry import ServiceAccount

log = logging.getLogger(__name__)

SHUTDOWN_TIMEOUT = 2.0
SEND_PATH = "/v1/projects/{project}/messages:send"


class _ContentTypes(dict[str, dict[str, str]]):
    """Header dicts per content type, built once: most answers share one of three."""

    def __missing__(self, content_type: str) -> dict[str, str]:
        self[content_type] = {"Content-Type": content_type}
        return self[content_type]


_CONTENT_TYPE = _ContentTypes()
_DELIVERIES = (MessageDelivered, DeletedMessagesNotified)  # what also goes to the ``deliver`` hook
_new_request = slot_builder(HttpRequest)  # the hot path's constructor


async def _read_body(stream: StreamReader) -> bytes:
    """The request body, at most MAX_BODY_BYTES + 1 of it; what has arrived is taken without awaiting."""
    body = stream.read_nowait(-1)
    while not stream.is_eof() and len(body) <= MAX_BODY_BYTES:
        body += await stream.readany()
    return body


def _parse_arrived(request: web.Request, project: str) -> HttpRequest | None:
    """The request, if its whole body has arrived with the headers (nearly always); else None."""
    stream = request.content
    return _request(request, stream.read_nowait(-1), project) if stream.is_eof() else None


async def _parse(request: web.Request, project: str) -> HttpRequest:
    """The request once its body has arrived (at most MAX_BODY_BYTES + 1 of it is read)."""
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:  # refused unread
        return _request(request, b"", project, oversized=True)
    return _request(request, await _read_body(request.content), project)


def _request(request: web.Request, body: bytes, project: str, *, oversized: bool = False) -> HttpRequest:
    if len(body) > MAX_BODY_BYTES:  # a chunked body with no Content-Length
        body, oversized = b"", True
    headers = request.headers
    return _new_request(body=body, authorization=headers.get(hdrs.AUTHORIZATION),
                        content_type=headers.get(hdrs.CONTENT_TYPE), path_project=project, oversized=oversized)


def _headers(reply: Reply) -> dict[str, str]:
    if reply.headers:
        return {"Content-Type": reply.content_type, **dict(reply.headers)}
    return _CONTENT_TYPE[reply.content_type]


def _envelope(status: Status, message: str) -> web.Response:
    body = {"error": {"code": status.http_status, "message": message, "status": status.value}}
    return web.json_response(body, status=status.http_status, dumps=lambda o: json.dumps(o, separators=(",", ":")))


class FakeFcm:
    """A fake FCM (OAuth token endpoint, v1 send, legacy send); ``async with`` it to listen on ``url``."""

    def __init__(self, core: FcmCore, *, ssl_context: ssl.SSLContext | None,
                 publish: Callable[[object], None], deliver: Callable[[Delivery], None],
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.core = core
        self.errors: list[BaseException] = []
        self._ssl_context = ssl_context
        self._publish = publish
        self._deliver = deliver
        self._host = host
        self._requested_port = port
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """Base URL, e.g. ``https://127.0.0.1:51234``."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{'https' if self._ssl_context is not None else 'http'}://{host}:{self.port}"

    @property
    def token_uri(self) -> str:
        """Where service-account credentials must POST their grants (``token_uri``)."""
        return f"{self.url}/token"

    def send_url(self, project: str) -> str:
        """The v1 ``messages:send`` URL of ``project``."""
        return self.url + SEND_PATH.format(project=project)

    def service_account_info(self, account: ServiceAccount) -> dict[str, str]:
        """``account``'s JSON with ``token_uri`` aimed at this server."""
        return account.info(self.token_uri)

    async def __aenter__(self) -> Self:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post("/token", self._endpoint("token"))
        for project in self.core.registry.projects():  # exact paths are aiohttp's cheapest match
            for name in (project.project_id, project.number):
                app.router.add_post(SEND_PATH.format(project=name), self._endpoint("send", name))
        app.router.add_post(SEND_PATH, self._endpoint("send"))  # projects added later, and unknown ones
        app.router.add_post("/fcm/send", self._endpoint("legacy_send"))
        app.router.add_route("*", "/{anything:.*}", self._not_found)  # last: whatever matched nothing above
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._requested_port, ssl_context=self._ssl_context)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- control -----------------------------------------------------------------------------
    def flush(self, token: str | None = None, *, device: str | None = None) -> int:
        """A phone came back or woke: deliver what waits for ``device`` (or the phone holding
        ``token``); returns how many messages were delivered."""
        if (token is None) == (device is None):
            raise TypeError("flush() takes exactly one of token= or device=")
        if device is None:
            record = self.core.registry.lookup(token or "")
            if record is None:
                return 0
            device = record.phone_id
        return self._dispatch(self.core.flush(device))

    def flush_all(self) -> int:
        """Deliver whatever waits for any phone that is reachable now; returns how many."""
        return self._dispatch(self.core.flush_all())

    def sweep(self) -> int:
        """Expire stored messages whose TTL ran out on the core's clock; returns how many."""
        expired = self.core.sweep()
        for event in expired:
            self._emit(event)
        return len(expired)

    # -- handlers ----------------------------------------------------------------------------
    def _endpoint(self, decide: str, path_project: str | None = None
                  ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """The handler that parses a request, asks ``core.<decide>`` and renders its reply."""
        async def serve(request: web.Request) -> web.StreamResponse:
            project = request.match_info.get("project", "") if path_project is None else path_project
            try:
                # The whole body has nearly always arrived with the headers: then no await is needed.
                parsed = _parse_arrived(request, project) or await _parse(request, project)
                reply: Reply = getattr(self.core, decide)(parsed)  # looked up per request: tests swap it
            except Exception as exc:  # our bug: record it for the harness, answer like Google's 500
                log.debug("fake FCM handler failed on %s", request.path, exc_info=True)
                self.errors.append(exc)
                return _envelope(Status.INTERNAL, "Internal error encountered.")
            self._dispatch(reply.events)
            if reply.delay > 0 or reply.drop:
                return await self._answer_late(request, reply)
            headers = _headers(reply) if reply.headers else _CONTENT_TYPE[reply.content_type]
            return web.Response(status=reply.status, body=reply.body, headers=headers)

        return serve

    async def _not_found(self, request: web.Request) -> web.StreamResponse:
        return _envelope(Status.NOT_FOUND, f"The requested URL {request.path} was not found on this server.")

    # -- plumbing ----------------------------------------------------------------------------
    async def _answer_late(self, request: web.Request, reply: Reply) -> web.StreamResponse:
        if reply.delay > 0:
            await asyncio.sleep(reply.delay)  # injected latency, not synchronisation
        if reply.drop:
            if request.transport is not None:
                request.transport.abort()
            # Writing to the aborted transport raises ConnectionError, which aiohttp treats as
            # "client went away": no response, no error log.
            return web.Response(status=500)
        return web.Response(status=reply.status, body=reply.body, headers=_headers(reply))

    def _dispatch(self, events: tuple[object, ...] | list[object]) -> int:
        delivered = 0
        for event in events:
            try:
                self._publish(event)
            except Exception as exc:
                self.errors.append(exc)
            if isinstance(event, _DELIVERIES):
                delivered += type(event) is MessageDelivered
                try:
                    self._deliver(event)  # type: ignore[arg-type]
                except Exception as exc:  # the phone side failed: keep serving, let the harness see it
                    self.errors.append(exc)
        return delivered

    def _emit(self, event: object) -> None:
        try:
            self._publish(event)
        except Exception as exc:
            self.errors.append(exc)
