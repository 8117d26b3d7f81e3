"""``FakeApns``: the listening endpoint for one environment, around a shared ``ApnsCore``.

Rule 1: everything that listens is an async context manager bound to port 0 and exposing ``url``.
Rule 2: every fact goes out through ``publish``: connections, verdicts, GOAWAYs, injected faults,
and the mailbox's store/expire/deliver events. ``deliver`` receives the ``PushAccepted`` of each
notification actually handed to a phone, at once or later from the store (``flush``).
Rule 3: exceptions raised by the caller's ``publish``/``deliver`` hooks are kept in ``errors``.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Iterable
from types import TracebackType
from typing import Callable, Self

from .core import ApnsCore
from .models import Environment, MailboxEvent, NotificationDelivered, PushAccepted, PushRejected
from .protocol import ApnsConnection
from .reasons import Reason

log = logging.getLogger(__name__)

CLOSE_TIMEOUT = 5.0


class FakeApns:
    """A fake APNs endpoint for one environment; ``async with`` it to listen on ``url``."""

    def __init__(self, core: ApnsCore, *, environment: Environment, ssl_context: ssl.SSLContext,
                 publish: Callable[[object], None], deliver: Callable[[PushAccepted], None],
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.core = core
        self.environment = Environment(environment)
        self.errors: list[BaseException] = []
        self._ssl_context = ssl_context
        self._publish = publish
        self._deliver = deliver
        self._host = host
        self._requested_port = port
        self._server: asyncio.Server | None = None
        self._protocols: set[ApnsConnection] = set()
        self.port = 0

    @property
    def url(self) -> str:
        """Base URL, e.g. ``https://127.0.0.1:51234``."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"https://{host}:{self.port}"

    async def __aenter__(self) -> Self:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._new_protocol, self._host, self._requested_port,
                                                ssl=self._ssl_context)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._server is None:
            return
        self._server.close()
        await self.drop()
        await self._server.wait_closed()
        self._server = None

    async def goaway(self, reason: Reason = Reason.SHUTDOWN) -> None:
        """Tell every open connection to go away with ``{"reason": reason}``; waits until they closed."""
        protocols = list(self._protocols)
        for protocol in protocols:
            protocol.goaway(reason)
        await self._closed(protocols)

    async def drop(self) -> None:
        """Drop every open connection without a GOAWAY (TCP reset); waits until they closed."""
        protocols = list(self._protocols)
        for protocol in protocols:
            protocol.abort()
        await self._closed(protocols)

    @property
    def connections(self) -> int:
        """How many provider connections are open."""
        return len(self._protocols)

    def flush(self, token: str | None = None, *, device: str | None = None) -> int:
        """A phone woke: deliver what waits for ``token`` (or every token of ``device``); returns how many."""
        if (token is None) == (device is None):
            raise TypeError("flush() takes exactly one of token= or device=")
        tokens: Iterable[str] = (token,) if token is not None else self.core.devices.tokens_of(device or "")
        return self._route(self.core.mailbox.flush(tokens))

    def flush_all(self) -> int:
        """Deliver whatever waits for any phone that is reachable now; returns how many."""
        return self._route(self.core.mailbox.flush_all())

    def sweep(self) -> int:
        """Expire stored notifications whose time has passed on the core's clock; returns how many."""
        expired = self.core.mailbox.sweep()
        self._route(expired)
        return len(expired)

    # -- called by ApnsConnection ------------------------------------------------------------
    def _new_protocol(self) -> ApnsConnection:
        return ApnsConnection(self)

    def _remember(self, protocol: ApnsConnection) -> None:
        self._protocols.add(protocol)

    def _forget(self, protocol: ApnsConnection) -> None:
        self._protocols.discard(protocol)

    async def _closed(self, protocols: list[ApnsConnection]) -> None:
        if protocols:
            await asyncio.wait([p.closed for p in protocols], timeout=CLOSE_TIMEOUT)

    def _settle(self, verdict: PushAccepted | PushRejected) -> None:
        self._emit(verdict)
        if type(verdict) is PushAccepted:
            self._route(self.core.mailbox.accept(verdict))

    def _route(self, events: Iterable[MailboxEvent]) -> int:
        delivered = 0
        for event in events:
            self._emit(event)
            if type(event) is NotificationDelivered:
                delivered += 1
                try:
                    self._deliver(event.push)
                except Exception as exc:  # the phone's hook failed: keep serving, let the harness see it
                    self.errors.append(exc)
        return delivered

    def _emit(self, event: object) -> None:
        try:
            self._publish(event)
        except Exception as exc:  # the caller's hook failed: keep serving, let the harness see it
            self.errors.append(exc)
