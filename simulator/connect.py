"""An HTTP CONNECT proxy that maps Apple's, Google's and Mattermost's host names onto the fakes.

Real senders keep their built-in host names and only get ``HTTPS_PROXY`` and a CA: the tunnel
goes to the fake that owns the name, and that fake terminates TLS with a certificate for the real
name signed by the world's CA. Every other destination is refused (403) and published as an
``EgressBlocked`` fact, so nothing ever leaves the machine.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Callable

from .egress import EgressBlocked, TunnelOpened
from .tasks import Supervisor

log = logging.getLogger(__name__)

_MAX_HEAD = 8192
_HEAD_TIMEOUT = 10.0


class ConnectProxy:
    """CONNECT-only forward proxy on a loopback port; ``routes`` maps (host, port) to a local address."""

    def __init__(self, routes: Mapping[tuple[str, int], tuple[str, int]], *, publish: Callable[[object], None],
                 clock: Callable[[], float], host: str = "127.0.0.1", port: int = 0) -> None:
        self._routes = {(h.lower(), p): target for (h, p), target in routes.items()}
        self._publish, self._clock = publish, clock
        self._host, self._port = host, port
        self._server: asyncio.Server | None = None
        self._tunnels = Supervisor("connect-proxy")
        self.url = ""

    @property
    def errors(self) -> list[BaseException]:
        """Unexpected exceptions raised while tunnelling."""
        return self._tunnels.errors

    async def __aenter__(self) -> ConnectProxy:
        self._server = await asyncio.start_server(self._accept, self._host, self._port)
        host, port = self._server.sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._tunnels.close()
        await self._server.wait_closed()

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._tunnels.spawn(self._serve(reader, writer), name="connect-tunnel")

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _HEAD_TIMEOUT)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ConnectionError):
            writer.close()
            return
        if len(head) > _MAX_HEAD:
            await self._refuse(writer, 431, "Request Header Fields Too Large", "", 0, "request head too large")
            return
        method, _, rest = head.split(b"\r\n", 1)[0].decode("latin-1").partition(" ")
        authority = rest.partition(" ")[0]
        host, _, port_text = authority.rpartition(":")
        if method != "CONNECT" or not host or not port_text.isdigit():
            await self._refuse(writer, 405 if method != "CONNECT" else 400,
                               "Method Not Allowed" if method != "CONNECT" else "Bad Request",
                               host or authority, 0, f"only CONNECT host:port is served, got {method} {authority}")
            return
        target = self._routes.get((host.lower(), int(port_text)))
        if target is None:
            await self._refuse(writer, 403, "Forbidden", host, int(port_text),
                               "not a host pushsim emulates; pushsim never connects outside this machine")
            return
        self._publish(TunnelOpened(at=self._clock(), host=host.lower(), port=int(port_text),
                                   target=f"{target[0]}:{target[1]}"))
        await self._tunnel(reader, writer, target)

    async def _refuse(self, writer: asyncio.StreamWriter, status: int, phrase: str, host: str, port: int,
                      why: str) -> None:
        self._publish(EgressBlocked(at=self._clock(), source="connect-proxy", host=host, port=port, reason=why))
        body = f"pushsim egress guard: {host or 'request'}{f':{port}' if port else ''} refused: {why}\n".encode()
        writer.write(f"HTTP/1.1 {status} {phrase}\r\nContent-Type: text/plain; charset=utf-8\r\n"
                     f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        await _close(writer)

    async def _tunnel(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                      target: tuple[str, int]) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*target)
        except OSError as exc:
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            log.warning("tunnel target %s unreachable: %s", target, exc)
            await _close(writer)
            return
        # aioapns only checks that the reply starts with "HTTP/1.1 200 Connect".
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass  # either side hung up: the tunnel simply ends
    finally:
        await _close(writer)


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    try:
        await writer.wait_closed()
    except (ConnectionError, OSError):
        pass  # already gone
