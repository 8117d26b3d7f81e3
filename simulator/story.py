"""The seed doc's "Trigger a push notification" steps, as reusable moves on a running world.

Account A uses the Mattermost iOS app on an iPhone; Account B, on the same team, sends "Hello"
in a direct message. ``pushsim demo``, ``pushsim serve`` and the end-to-end tests share these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fake_devices import MATTERMOST_IOS, AppBuild, Phone

from .harness import Simulator
from .links import MattermostClient

PASSWORD = "Password-1234"


@dataclass(slots=True)
class DmCast:
    """Who is who in the A/B direct-message world."""

    team_id: str
    account_a: str  # user ids
    account_b: str
    phone: Phone
    b_client: MattermostClient
    b_token: str = ""


async def cast_dm_world(sim: Simulator, *, app: AppBuild = MATTERMOST_IOS, b_source: str = "account-b",
                        model: str = "iPhone 6s Plus", phone_name: str = "account-a-iphone") -> DmCast:
    """Team, Account A logged in on a fresh phone (app in front), Account B logged in on the web."""
    core = sim.chat_core
    team = core.create_team(name="pushsim", display_name="Pushsim")
    a = core.create_user(username="accounta", password=PASSWORD, first_name="Account", last_name="A")
    b = core.create_user(username="accountb", password=PASSWORD, first_name="Account", last_name="B")
    for user in (a, b):
        core.add_team_member(team.id, user.id)
    # Doc step 2.1: Mobile push notifications = "For mentions and direct messages".
    core.patch_notify_props(a.id, {"push": "mention"})
    phone = sim.add_phone(phone_name, model=model)
    phone.install(app)
    await phone.log_in(sim.chat.url, "accounta", PASSWORD)
    cast = DmCast(team_id=team.id, account_a=a.id, account_b=b.id, phone=phone,
                  b_client=sim.mattermost_client(b_source))
    cast.b_token = await cast.b_client.login(server_url=sim.chat.url, login_id="accountb", password=PASSWORD)
    return cast


async def send_dm(sim: Simulator, cast: DmCast, message: str = "Hello") -> dict[str, Any]:
    """Doc steps 2.3–2.4: B opens a DM with A and sends ``message``; returns the post JSON."""
    channel = await cast.b_client.direct_channel(server_url=sim.chat.url, token=cast.b_token,
                                                 user_ids=(cast.account_b, cast.account_a))
    return await cast.b_client.post(server_url=sim.chat.url, token=cast.b_token, channel_id=channel["id"],
                                    message=message)
