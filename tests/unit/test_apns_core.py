"""ApnsRequest.parse + ApnsCore.handle: every reason a request can earn, in A4.4 order, each
paired with the nearest request that is accepted."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from fake_apns import (ApnsCore, ApnsRequest, ConnectionState, DeviceRegistry, Environment, Faults, KeyRing,
                       PushAccepted, PushRejected, Reason)
from tests.support.jwt_es256 import bearer, new_key, provider_token
from tests.support.clocks import NOW, Clock

TEAM, KID, BUNDLE = "TEAM123456", "KEY1234567", "com.example.app"
APNS_ID = "9f1c3a52-7b0e-4d2f-a8c1-2e5b6d7f8a90"
PROD, SANDBOX = Environment.PRODUCTION, Environment.SANDBOX
KEY, OTHER_KEY, SANDBOX_KEY, TOPIC_KEY = new_key(), new_key(), new_key(), new_key()


@dataclass
class World:
    core: ApnsCore
    clock: Clock
    devices: DeviceRegistry
    faults: Faults
    token: str
    connection: ConnectionState

    def send(self, request: ApnsRequest, environment: Environment = PROD) -> PushAccepted | PushRejected:
        return self.core.handle(request, environment=environment, connection=self.connection)


def make_world(**options: Any) -> World:
    keys = KeyRing()
    keys.register(TEAM, KID, KEY.public_key())
    keys.register(TEAM, "KEYOTHER00", OTHER_KEY.public_key())
    keys.register(TEAM, "KEYSANDBOX", SANDBOX_KEY.public_key(), environments=frozenset({SANDBOX}))
    keys.register(TEAM, "KEYTOPIC00", TOPIC_KEY.public_key(), topics=frozenset({"com.example.other"}))
    clock, faults = Clock(), Faults()
    devices = DeviceRegistry(random.Random(1), clock)
    core = ApnsCore(keys=keys, devices=devices, clock=clock, faults=faults, rng=random.Random(2), **options)
    return World(core=core, clock=clock, devices=devices, faults=faults, token=devices.register(BUNDLE, PROD),
                 connection=core.new_connection())


def auth(key: Any = KEY, kid: str = KID, iat: float = NOW) -> str:
    return bearer(provider_token(key, key_id=kid, team_id=TEAM, iat=iat))


def request(token: str, *, body: bytes | None = None, extra: tuple[tuple[str, str], ...] = (),
            **headers: str | None) -> ApnsRequest:
    """A valid alert push to ``token``; keyword headers use _ for - (method/path for pseudo-headers)."""
    fields: dict[str, str | None] = {
        ":method": "POST", ":path": f"/3/device/{token}", ":scheme": "https", ":authority": "api.push.apple.com",
        "authorization": auth(), "apns-id": APNS_ID, "apns-topic": BUNDLE, "apns-push-type": "alert",
        "apns-priority": "10",
    }
    for name, value in headers.items():
        fields[f":{name}" if name in ("method", "path") else name.replace("_", "-")] = value
    pairs = [(k, v) for k, v in fields.items() if v is not None] + list(extra)
    payload = json.dumps({"aps": {"alert": "hi"}}).encode() if body is None else body
    return ApnsRequest.parse(pairs, payload)


def padded(size: int) -> bytes:
    """A valid payload of exactly ``size`` bytes."""
    skeleton = json.dumps({"aps": {}, "pad": ""}).encode()
    return json.dumps({"aps": {}, "pad": "x" * (size - len(skeleton))}).encode()


Prepare = Callable[[World], None]
OLD_AUTH = auth(iat=NOW - 60)  # ECDSA signatures are randomised: reuse the string to resend "the same token"


def _nothing(world: World) -> None:
    return None


def _first_push_with_other_key(world: World) -> None:
    assert isinstance(world.send(request(world.token, authorization=auth(OTHER_KEY, "KEYOTHER00"))), PushAccepted)


def _first_push_with_older_token(world: World) -> None:
    assert isinstance(world.send(request(world.token, authorization=OLD_AUTH)), PushAccepted)


def _uninstall(world: World) -> None:
    world.devices.unregister(world.token)


# (reason, request overrides, preparation, core options)
CASES: list[tuple[Reason, dict[str, Any], Prepare, dict[str, Any]]] = [
    (Reason.METHOD_NOT_ALLOWED, {"method": "GET"}, _nothing, {}),
    (Reason.BAD_PATH, {"path": "/3/devices/abc"}, _nothing, {}),
    (Reason.MISSING_DEVICE_TOKEN, {"path": "/3/device/"}, _nothing, {}),
    (Reason.DUPLICATE_HEADERS, {"extra": (("apns-topic", BUNDLE),)}, _nothing, {}),
    (Reason.MISSING_PROVIDER_TOKEN, {"authorization": None}, _nothing, {}),
    (Reason.INVALID_PROVIDER_TOKEN, {"authorization": auth(OTHER_KEY)}, _nothing, {}),
    (Reason.EXPIRED_PROVIDER_TOKEN, {"authorization": auth(iat=NOW - 3601)}, _nothing, {}),
    (Reason.UNRELATED_KEY_ID_IN_TOKEN, {}, _first_push_with_other_key, {}),
    (Reason.BAD_ENVIRONMENT_KEY_IN_TOKEN, {"authorization": auth(SANDBOX_KEY, "KEYSANDBOX")}, _nothing, {}),
    (Reason.BAD_ENVIRONMENT_KEY_ID_IN_TOKEN, {"authorization": auth(SANDBOX_KEY, "KEYSANDBOX")}, _nothing,
     {"environment_key_reason": Reason.BAD_ENVIRONMENT_KEY_ID_IN_TOKEN}),
    (Reason.TOO_MANY_PROVIDER_TOKEN_UPDATES, {}, _first_push_with_older_token, {"limit_token_updates": True}),
    (Reason.BAD_MESSAGE_ID, {"apns_id": "9f1c3a527b0e4d2fa8c12e5b6d7f8a90"}, _nothing, {}),
    (Reason.INVALID_PUSH_TYPE, {"apns_push_type": "banner"}, _nothing, {}),
    (Reason.BAD_PRIORITY, {"apns_priority": "7"}, _nothing, {}),
    (Reason.BAD_EXPIRATION_DATE, {"apns_expiration": "tomorrow"}, _nothing, {}),
    (Reason.BAD_COLLAPSE_ID, {"apns_collapse_id": "c" * 65}, _nothing, {}),
    (Reason.MISSING_TOPIC, {"apns_topic": None}, _nothing, {}),
    (Reason.BAD_TOPIC, {"apns_push_type": "voip"}, _nothing, {}),
    (Reason.TOPIC_DISALLOWED, {"authorization": auth(TOPIC_KEY, "KEYTOPIC00")}, _nothing, {}),
    (Reason.PAYLOAD_EMPTY, {"body": b""}, _nothing, {}),
    (Reason.PAYLOAD_TOO_LARGE, {"body": padded(4097)}, _nothing, {}),
    (Reason.BAD_DEVICE_TOKEN, {"path": "/3/device/" + "ab" * 32}, _nothing, {}),
    (Reason.DEVICE_TOKEN_NOT_FOR_TOPIC, {"apns_topic": "com.example.other"}, _nothing, {}),
    (Reason.UNREGISTERED, {}, _uninstall, {}),
]
FAULT_ONLY = sorted(set(Reason) - {case[0] for case in CASES})


@pytest.mark.parametrize(("reason", "overrides", "prepare", "options"), CASES, ids=[c[0].value for c in CASES])
def test_each_request_reason(reason: Reason, overrides: dict[str, Any], prepare: Prepare,
                             options: dict[str, Any]) -> None:
    world = make_world(**options)
    prepare(world)
    sent = request(world.token, **overrides)
    verdict = world.send(sent)
    assert isinstance(verdict, PushRejected), verdict
    assert (verdict.reason, verdict.status, verdict.apns_id) == (reason, reason.status, sent.apns_id)
    assert verdict.detail and verdict.connection_id == world.connection.connection_id
    assert (verdict.timestamp_ms is not None) == reason.has_timestamp


@pytest.mark.parametrize("reason", FAULT_ONLY, ids=[r.value for r in FAULT_ONLY])
def test_reasons_no_request_can_earn_are_injectable_as_faults(reason: Reason) -> None:
    world = make_world()
    world.faults.push(reason)
    first, second = world.send(request(world.token)), world.send(request(world.token))
    assert isinstance(first, PushRejected) and (first.reason, first.status) == (reason, reason.status)
    assert first.timestamp_ms == (int(NOW * 1000) if reason.has_timestamp else None)
    assert isinstance(second, PushAccepted)


def test_the_two_tables_cover_every_reason() -> None:
    assert {c[0] for c in CASES} | set(FAULT_ONLY) == set(Reason) and len(CASES) >= 20


def test_valid_push_is_accepted_with_everything_recorded() -> None:
    world = make_world()
    verdict = world.send(request(world.token, apns_collapse_id="thread-1", apns_expiration="0"))
    assert verdict == PushAccepted(
        at=NOW, environment=PROD, apns_id=APNS_ID, apns_unique_id=None, token=world.token, topic=BUNDLE,
        push_type="alert", priority=10, expiration=0, collapse_id="thread-1", payload={"aps": {"alert": "hi"}},
        team_id=TEAM, key_id=KID, connection_id=world.connection.connection_id)
    assert world.connection.requests == 1


@pytest.mark.parametrize("overrides", [
    {"apns_collapse_id": "c" * 64}, {"body": padded(4096)}, {"apns_priority": "5"}, {"apns_priority": "1"},
    {"apns_priority": None}, {"apns_push_type": None}, {"apns_expiration": "1767229200"},
    {":authority": None, "extra": (("host", "api.push.apple.com"),)},
    {"apns_push_type": "background", "body": b'{"aps":{"content-available":1}}'},
    {"apns_push_type": "voip", "apns_topic": f"{BUNDLE}.voip", "body": padded(5120)},
    {"apns_push_type": "liveactivity", "apns_topic": f"{BUNDLE}.push-type.liveactivity"},
    {"apns_push_type": "mdm", "apns_topic": "com.apple.mgmt.External.abc"},
    {"authorization": auth(iat=NOW - 3599.5)}, {"apns_id": APNS_ID.upper()},
], ids=["collapse-64", "payload-4096", "priority-5", "priority-1", "priority-default", "type-default",
        "expiration", "host-header", "background-10", "voip-5120", "liveactivity", "mdm-any-topic", "float-iat",
        "upper-id"])
def test_boundary_values_are_accepted(overrides: dict[str, Any]) -> None:
    world = make_world()
    if overrides.get("apns_push_type") == "mdm":
        world.token = world.devices.register("com.apple.mgmt.External.abc", PROD)
    sent = request(world.token, **overrides)
    assert sent.authority == "api.push.apple.com"  # from host when :authority is absent
    verdict = world.send(sent)
    assert isinstance(verdict, PushAccepted), verdict


def test_voip_payload_over_5120_is_too_large() -> None:
    world = make_world()
    verdict = world.send(request(world.token, apns_push_type="voip", apns_topic=f"{BUNDLE}.voip", body=padded(5121)))
    assert isinstance(verdict, PushRejected) and verdict.reason is Reason.PAYLOAD_TOO_LARGE and verdict.status == 413


@pytest.mark.parametrize(("push_type", "topic"), [("alert", f"{BUNDLE}.voip"), ("voip", ".voip"),
                                                  ("complication", f"{BUNDLE}.voip")])
def test_topic_not_fitting_the_push_type_is_bad_topic(push_type: str, topic: str) -> None:
    world = make_world()
    verdict = world.send(request(world.token, apns_push_type=push_type, apns_topic=topic))
    assert isinstance(verdict, PushRejected) and verdict.reason is Reason.BAD_TOPIC


def test_push_type_is_inferred_from_the_topic_suffix_when_absent() -> None:
    world = make_world()
    verdict = world.send(request(world.token, apns_push_type=None, apns_topic=f"{BUNDLE}.voip", body=padded(5000)))
    assert isinstance(verdict, PushAccepted) and verdict.push_type == "voip"


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"alert": "no aps"}', b'{"aps": "text"}',
                                  b"\xff\xfe{}", b'{"aps":{},"x":' + b"[" * 2000 + b"]" * 2000 + b"}"],
                         ids=["not-json", "array", "no-aps", "aps-not-object", "not-utf8", "too-deep"])
def test_malformed_payload_is_payload_empty_by_default_and_configurable(body: bytes) -> None:
    default, custom = make_world(), make_world(malformed_payload_reason=Reason.INTERNAL_SERVER_ERROR)
    first, second = default.send(request(default.token, body=body)), custom.send(request(custom.token, body=body))
    assert isinstance(first, PushRejected) and first.reason is Reason.PAYLOAD_EMPTY
    assert isinstance(second, PushRejected) and second.reason is Reason.INTERNAL_SERVER_ERROR


def test_background_priority_10_is_accepted_unless_switched_on() -> None:
    strict = make_world(reject_background_priority_10=True)
    bg: dict[str, Any] = {"apns_push_type": "background", "body": b'{"aps":{"content-available":1}}'}
    refused = strict.send(request(strict.token, **bg))
    assert isinstance(refused, PushRejected) and refused.reason is Reason.BAD_PRIORITY
    assert isinstance(strict.send(request(strict.token, apns_priority="5", **bg)), PushAccepted)


def test_missing_apns_id_gets_a_seeded_upper_case_uuid() -> None:
    first, second = make_world(), make_world()
    a, b = first.send(request(first.token, apns_id=None)), second.send(request(second.token, apns_id=None))
    assert isinstance(a, PushAccepted) and a.apns_id == b.apns_id and a.apns_id == a.apns_id.upper()
    assert len(a.apns_id) == 36 and a.apns_id[14] == "4"
    assert first.send(request(first.token, apns_id=None)).apns_id != a.apns_id


def test_rejection_echoes_the_request_apns_id_verbatim_even_a_bad_one() -> None:
    world = make_world()
    verdict = world.send(request(world.token, apns_id="Not-A-Uuid"))
    assert isinstance(verdict, PushRejected) and verdict.apns_id == "Not-A-Uuid"


def test_sandbox_adds_a_unique_id_and_needs_a_sandbox_token() -> None:
    world = make_world()
    sandbox_token = world.devices.register(BUNDLE, SANDBOX)
    accepted = world.send(request(sandbox_token), SANDBOX)
    assert isinstance(accepted, PushAccepted) and accepted.apns_unique_id is not None
    assert accepted.environment is SANDBOX and len(accepted.apns_unique_id) == 36
    refused = world.send(request(world.token), SANDBOX)  # a production token
    assert isinstance(refused, PushRejected) and refused.reason is Reason.BAD_DEVICE_TOKEN


def test_first_key_binds_the_connection_unless_binding_is_off() -> None:
    strict, lax = make_world(), make_world(strict_key_binding=False)
    for world in (strict, lax):
        _first_push_with_other_key(world)
    assert isinstance(strict.send(request(strict.token)), PushRejected)
    assert isinstance(lax.send(request(lax.token)), PushAccepted)
    fresh = strict.core.new_connection()
    assert isinstance(strict.core.handle(request(strict.token), environment=PROD, connection=fresh), PushAccepted)


def test_token_update_after_twenty_minutes_is_accepted_and_counted() -> None:
    world = make_world(limit_token_updates=True)
    _first_push_with_older_token(world)
    world.clock.now += 1200
    assert isinstance(world.send(request(world.token, authorization=auth(iat=world.clock.now))), PushAccepted)
    assert world.connection.token_updates == 1


def test_churn_rejection_keeps_the_connection_on_its_old_token() -> None:
    world = make_world(limit_token_updates=True)
    _first_push_with_older_token(world)
    assert isinstance(world.send(request(world.token)), PushRejected)
    assert isinstance(world.send(request(world.token, authorization=OLD_AUTH)), PushAccepted)


@pytest.mark.parametrize(("overrides", "first"), [
    ({"method": "GET", "authorization": None}, Reason.METHOD_NOT_ALLOWED),
    ({"path": "/3/device/", "extra": (("apns-id", APNS_ID),)}, Reason.MISSING_DEVICE_TOKEN),
    ({"extra": (("apns-id", APNS_ID),), "authorization": None}, Reason.DUPLICATE_HEADERS),
    ({"authorization": auth(OTHER_KEY), "apns_topic": None}, Reason.INVALID_PROVIDER_TOKEN),
    ({"apns_id": "x", "apns_priority": "7"}, Reason.BAD_MESSAGE_ID),
    ({"apns_push_type": "x", "apns_priority": "7"}, Reason.INVALID_PUSH_TYPE),
    ({"apns_priority": "7", "apns_expiration": "x"}, Reason.BAD_PRIORITY),
    ({"apns_expiration": "x", "apns_collapse_id": "c" * 65}, Reason.BAD_EXPIRATION_DATE),
    ({"apns_collapse_id": "c" * 65, "apns_topic": None}, Reason.BAD_COLLAPSE_ID),
    ({"apns_topic": None, "body": b""}, Reason.MISSING_TOPIC),
    ({"body": b"", "path": "/3/device/abcd"}, Reason.PAYLOAD_EMPTY),
], ids=lambda v: v.value if isinstance(v, Reason) else "")
def test_first_failing_check_wins_in_a44_order(overrides: dict[str, Any], first: Reason) -> None:
    world = make_world()
    verdict = world.send(request(world.token, **overrides))
    assert isinstance(verdict, PushRejected) and verdict.reason is first


def test_fault_comes_after_body_checks_and_before_the_registry() -> None:
    world = make_world()
    world.faults.push(Reason.SERVICE_UNAVAILABLE, times=2)
    empty = world.send(request(world.token, body=b""))
    unknown = world.send(request("ab" * 32))
    assert isinstance(empty, PushRejected) and empty.reason is Reason.PAYLOAD_EMPTY
    assert isinstance(unknown, PushRejected) and unknown.reason is Reason.SERVICE_UNAVAILABLE


def test_token_scoped_fault_spares_other_devices() -> None:
    world = make_world()
    other = world.devices.register(BUNDLE, PROD)
    world.faults.push(Reason.TOO_MANY_REQUESTS, token=world.token)
    assert isinstance(world.send(request(other)), PushAccepted)
    hit = world.send(request(world.token))
    assert isinstance(hit, PushRejected) and (hit.reason, hit.status) == (Reason.TOO_MANY_REQUESTS, 429)


def test_unregistered_timestamp_is_the_uninstall_time() -> None:
    world = make_world()
    world.clock.now = NOW + 10.25
    world.devices.unregister(world.token)
    world.clock.now = NOW + 999
    verdict = world.send(request(world.token, authorization=auth(iat=NOW + 900)))
    assert isinstance(verdict, PushRejected) and verdict.timestamp_ms == int((NOW + 10.25) * 1000)


def test_parse_reads_bytes_headers_and_keeps_raw_bytes_recoverable() -> None:
    raw_id = b"caf\xe9-not-utf8"
    req = ApnsRequest.parse([(b":method", b"POST"), (b":path", b"/3/device/ab"), (b"host", b"h"),
                             (b"apns-id", raw_id), (b"Apns-Topic", b"t")], b"{}")
    assert (req.method, req.token, req.authority, req.topic) == ("POST", "ab", "h", "t")
    assert req.apns_id is not None and req.apns_id.encode("utf-8", "surrogateescape") == raw_id


def test_parse_prefers_authority_over_host_and_lists_duplicates() -> None:
    req = ApnsRequest.parse([(":authority", "a"), ("host", "b"), ("x-custom", "1"), ("x-custom", "2")], b"")
    assert (req.authority, req.method, req.duplicate_headers) == ("a", None, ("x-custom",))


@pytest.mark.parametrize(("path", "token"), [("/3/device/abcd", "abcd"), ("/3/device/", ""), ("/3/device", ""),
                                             ("/3/device/ab/cd", None), ("/3/device/ab?x=1", None),
                                             ("/2/device/ab", None), (None, None)])
def test_token_is_read_from_the_path(path: str | None, token: str | None) -> None:
    headers = [(":path", path)] if path is not None else []
    assert ApnsRequest.parse(headers, b"").token == token


@pytest.mark.parametrize(("value", "ok"), [("0", True), ("1767229200", True), ("9" * 19, True), ("-1", False),
                                           ("1.5", False), ("9" * 20, False), ("", False), ("١٢", False)])
def test_expiration_must_be_plain_unix_seconds(value: str, ok: bool) -> None:
    world = make_world()
    verdict = world.send(request(world.token, apns_expiration=value))
    if ok:
        assert isinstance(verdict, PushAccepted) and verdict.expiration == int(value)
    else:
        assert isinstance(verdict, PushRejected) and verdict.reason is Reason.BAD_EXPIRATION_DATE
