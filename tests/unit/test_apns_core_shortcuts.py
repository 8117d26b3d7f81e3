"""ApnsCore's per-connection shortcuts give the verdicts a full check gives: an allowed topic is
remembered per connection only under the same keys, and apns-ids are the seeded UUIDs they were."""

from __future__ import annotations

import json
import random
import uuid

from fake_apns import (ApnsCore, ApnsRequest, ConnectionState, DeviceRegistry, Environment, Faults, KeyRing,
                       PushAccepted, PushRejected, Reason)
from tests.support.clocks import NOW, Clock
from tests.support.jwt_es256 import bearer, new_key, provider_token

TEAM, OTHER_TEAM, KID, BUNDLE = "TEAM123456", "TEAM654321", "KEY1234567", "com.example.app"
KEY = new_key()


def world() -> tuple[ApnsCore, KeyRing, str, ConnectionState]:
    keys = KeyRing()
    keys.register(TEAM, KID, KEY.public_key())
    clock = Clock()
    devices = DeviceRegistry(random.Random(1), clock)
    core = ApnsCore(keys=keys, devices=devices, clock=clock, faults=Faults(), rng=random.Random(2))
    return core, keys, devices.register(BUNDLE, Environment.PRODUCTION), core.new_connection()


def push(core: ApnsCore, token: str, connection: ConnectionState, *, topic: str = BUNDLE,
         push_type: str = "alert") -> PushAccepted | PushRejected:
    headers = [(":method", "POST"), (":path", f"/3/device/{token}"), (":scheme", "https"),
               ("authorization", bearer(provider_token(KEY, key_id=KID, team_id=TEAM, iat=NOW))),
               ("apns-topic", topic), ("apns-push-type", push_type)]
    request = ApnsRequest.parse(headers, json.dumps({"aps": {"alert": "hi"}}).encode())
    return core.handle(request, environment=Environment.PRODUCTION, connection=connection)


def test_a_topic_allowed_once_stays_allowed_on_that_connection() -> None:
    core, _, token, connection = world()
    verdicts = [push(core, token, connection) for _ in range(3)]
    assert all(isinstance(v, PushAccepted) and v.topic == BUNDLE for v in verdicts)
    assert len(connection.allowed_topics) == 1


def test_new_keys_or_apps_end_the_shortcut_and_the_topic_is_judged_again() -> None:
    core, keys, token, connection = world()
    assert isinstance(push(core, token, connection), PushAccepted)
    keys.register_app(OTHER_TEAM, BUNDLE)  # the bundle now belongs to another team
    rejected = push(core, token, connection)
    assert isinstance(rejected, PushRejected) and rejected.reason is Reason.TOPIC_DISALLOWED


def test_a_topic_that_does_not_fit_is_rejected_every_time_and_never_remembered() -> None:
    core, _, token, connection = world()
    for _ in range(2):
        verdict = push(core, token, connection, topic=BUNDLE, push_type="voip")  # voip needs <bundle>.voip
        assert isinstance(verdict, PushRejected) and verdict.reason is Reason.BAD_TOPIC
    assert connection.allowed_topics == {}
    assert isinstance(push(core, token, connection), PushAccepted)


def test_apns_ids_are_the_seeded_version_4_uuids() -> None:
    core, _, token, connection = world()
    rng = random.Random(2)
    for _ in range(20):
        verdict = push(core, token, connection)
        assert verdict.apns_id == str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper()
