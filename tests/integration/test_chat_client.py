"""A real, unmodified Mattermost client library against the fake server: ``mattermostdriver`` (requests,
synchronous, so it runs in a worker thread) logs in, opens a DM, posts, and attaches a device."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from mattermostdriver import Driver
from mattermostdriver.exceptions import NoAccessTokenProvided

from .test_chat_kit import PASSWORD, ChatKit, Town, build_town, kit, pushes_to  # noqa: F401


def driver_for(kit: ChatKit, verify: str | bool, password: str = PASSWORD) -> Driver:
    """Only URL, port and CA differ from a production set-up."""
    where = urlsplit(kit.url)
    return Driver({"url": where.hostname, "port": where.port, "scheme": "https", "verify": verify,
                   "login_id": "frank", "password": password, "request_timeout": 5})


def frank_session(driver: Driver, alice_id: str) -> dict[str, Any]:
    """What a bot author would write: log in, DM alice, post, register a phone for pushes."""
    me = driver.login()
    alice = driver.users.get_user_by_username("alice")
    assert alice["id"] == alice_id
    dm = driver.channels.create_direct_message_channel([me["id"], alice["id"]])
    posted = driver.posts.create_post({"channel_id": dm["id"], "message": "hello from mattermostdriver"})
    attached = driver.users.attach_mobile_device({"device_id": "android_rn-v2:frank-driver-token"})
    away = driver.status.update_user_status(me["id"], {"user_id": me["id"], "status": "away"})  # posting set online
    return {"me": me, "dm": dm, "post": posted, "attached": attached, "away": away}


@pytest.fixture
def ca_file(kit: ChatKit, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    kit.pki.ca.cert_pem.write_to_path(str(path))
    return str(path)


async def test_mattermostdriver_logs_in_dms_posts_and_attaches_a_device(kit: ChatKit, ca_file: str) -> None:
    town = await build_town(kit)
    result = await asyncio.to_thread(frank_session, driver_for(kit, ca_file), town.ids["alice"])
    assert result["me"]["username"] == "frank" and result["attached"] == {"status": "OK"}
    assert (result["away"]["status"], result["away"]["manual"]) == ("away", True)
    assert result["dm"]["type"] == "D" and result["post"]["channel_id"] == result["dm"]["id"]
    (push,) = await pushes_to(kit, Town.device("alice"))
    assert (push["message"], push["channel_name"], push["post_id"]) == (
        "hello from mattermostdriver", "@frank", result["post"]["id"])
    await kit.ok("POST", "/api/v4/posts", token=town.tokens["alice"],
                 body={"channel_id": result["dm"]["id"], "message": "hi back"})
    (reply,) = await pushes_to(kit, "android_rn-v2:frank-driver-token")  # the attached device now gets pushes
    assert reply["message"] == "hi back"


async def test_mattermostdriver_without_the_world_ca_fails_verification(kit: ChatKit) -> None:
    with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        await asyncio.to_thread(driver_for(kit, True).login)


async def test_mattermostdriver_wrong_password_is_a_401(kit: ChatKit, ca_file: str) -> None:
    await build_town(kit)
    with pytest.raises(NoAccessTokenProvided, match="Enter a valid email or username and/or password."):
        await asyncio.to_thread(driver_for(kit, ca_file, password="wrong").login)
