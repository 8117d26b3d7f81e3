"""Launching the TUI as a new user would: the A/B DM hop by hop, on A's lock screen, in detail."""

from __future__ import annotations

import pytest

from fake_devices import NotificationShown
from simulator import HopAttempted
from simulator.tui.widgets import short_operation

from .helpers import DEADLINE, dm_chain, running, world_screen

CHAIN = [("account-b", "chat", "post"), ("chat", "proxy", "send_push"), ("proxy", "apns", "push"),
         ("apns", "account-a-iphone", "deliver"), ("account-a-iphone", "chat", "ack"), ("chat", "proxy", "ack")]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_launch_shows_the_dm_hop_by_hop_and_on_the_lock_screen(size: tuple[int, int]) -> None:
    async with running(size=size) as (app, _pilot, sim):
        shown = await sim.bus.wait_for(NotificationShown, lambda e: e.notification.body == "Hello", timeout=DEADLINE)
        await sim.bus.wait_for(HopAttempted, lambda h: h.operation == "POST /api/v1/ack" and
                               h.ids.post_id == shown.notification.post_id, timeout=DEADLINE)
        await app.settled()
        screen = world_screen(app)
        chain = dm_chain(app)
        assert [(h.source, h.target, short_operation(h)) for h in chain] == CHAIN  # causal order, top to bottom
        rows = [screen.swimlane.hops.index(h) for h in chain]
        assert rows == sorted(rows) and {app.timeline.chain(h) for h in chain} != {0}
        assert screen.swimlane.hops == app.timeline.hops and screen.swimlane.row_count == len(app.timeline.hops)
        phone = screen.phone.snapshot
        assert phone is not None and phone.state.value == "background" and phone.badge == 1
        assert [(n.title, n.body) for n in phone.lock_screen] == [("@accountb", "Hello")]
        status = screen.query_one("#status").status  # type: ignore[attr-defined]
        assert (status.phase, status.push_server, status.app_state) == ("ready", "HPNS", "background")
        for pane in ("#swimlane", "#tabs", "#phone", "#status"):
            region = screen.query_one(pane).region
            assert region.width > 0 and region.height > 0 and region.right <= size[0] and region.bottom <= size[1]


async def test_selecting_hops_shows_their_wire_jwts_payload_and_readers() -> None:
    async with running() as (app, pilot, sim):
        shown = await sim.bus.wait_for(NotificationShown, lambda e: e.notification.body == "Hello", timeout=DEADLINE)
        await sim.bus.wait_for(HopAttempted, lambda h: h.operation == "POST /api/v1/ack" and
                               h.ids.post_id == shown.notification.post_id, timeout=DEADLINE)
        await app.settled()
        screen = world_screen(app)
        token = sim.fleet.phones["account-a-iphone"].app().token
        apns = next(h for h in dm_chain(app) if h.target == "apns")
        await pilot.press(*["up"] * (screen.swimlane.cursor_row - screen.swimlane.hops.index(apns)))  # the keyboard
        await pilot.pause()
        d = screen.detail.dissection
        assert d is not None and d.hop is apns and d.chain == app.timeline.chain(apns) != 0
        request = dict(d.request)
        assert (request[":method"], request[":path"]) == ("POST", f"/3/device/{token}")
        assert dict(d.headers)["apns-topic"] == "com.mattermost.rn"
        provider = d.jwts[0]
        assert provider.ok is True and "PSIMKEY001" in provider.verdict and provider.header["kid"] == "PSIMKEY001"
        assert '"body": "Hello"' in d.payload
        assert d.readers.exposed and any(who.startswith("Apple") for who in d.readers.who)
        # The whole notification is marked in the # column; setup hops are not.
        marked = [screen.swimlane.row_cells(i)["#"] for i in range(screen.swimlane.row_count)]
        assert marked.count(str(d.chain)) == len(dm_chain(app)) and "·" in marked

        push = next(h for h in dm_chain(app) if h.operation == "POST /api/v1/send_push")
        screen.swimlane.select(push)
        await pilot.pause()
        d = screen.detail.dissection
        assert d is not None and d.hop is push
        (signature,) = d.jwts
        assert signature.ok is True and signature.claims["device_id"] == token
        assert d.readers.who == ("chat", "the push proxy, run by Mattermost (HPNS)")
