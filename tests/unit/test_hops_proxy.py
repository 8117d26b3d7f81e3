"""HopClient through an outbound CONNECT proxy: only the proxy itself must be on loopback."""

from __future__ import annotations

import pytest

from simulator import FakeClock, HopAttempted
from simulator.egress import EgressBlocked
from simulator.hops import HopClient, HopError


async def test_a_proxy_outside_loopback_is_refused_before_any_connection() -> None:
    events: list[object] = []
    client = HopClient(source="chat", publish=events.append, clock=FakeClock(), ssl_context=None)
    try:
        with pytest.raises(HopError, match="proxy.example.com"):
            await client.request("POST", "https://push.mattermost.com/api/v1/send_push", target="proxy",
                                 body=b"{}", proxy="http://proxy.example.com:3128")
    finally:
        await client.close()
    blocked = [e for e in events if isinstance(e, EgressBlocked)]
    hops = [e for e in events if isinstance(e, HopAttempted)]
    assert [(b.host, b.port) for b in blocked] == [("proxy.example.com", 3128)]
    assert [h.ok for h in hops] == [False] and "egress guard" in hops[0].outcome


async def test_a_real_name_without_a_proxy_is_refused_too() -> None:
    events: list[object] = []
    client = HopClient(source="chat", publish=events.append, clock=FakeClock(), ssl_context=None)
    try:
        with pytest.raises(HopError):
            await client.request("POST", "https://push.mattermost.com/api/v1/send_push", target="proxy", body=b"{}")
    finally:
        await client.close()
    assert [(e.host, e.port) for e in events if isinstance(e, EgressBlocked)] == [("push.mattermost.com", 443)]
