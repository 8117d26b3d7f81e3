"""The README's example: pytest tests written with pushsim's plugin fixtures."""

from __future__ import annotations

from scenarios import wait_for_notification


async def test_hello_reaches_account_a(pushsim_world, pushsim_phones):  # type: ignore[no-untyped-def]
    phone = await pushsim_phones("accounta")  # an iPhone: Mattermost installed, logged in, in the background
    post = await pushsim_phones.send_dm("accountb", "accounta", "Hello")
    shown = await wait_for_notification(pushsim_world, phone, body="Hello", timeout=5)
    assert (shown.title, shown.post_id) == ("@accountb", post["id"])


async def test_the_doc_procedure_as_a_scenario(pushsim_scenario):  # type: ignore[no-untyped-def]
    await pushsim_scenario("hpns_confirmation")  # a library scenario by name, or a path to your own .toml
