"""Connection faults (delay, GOAWAY, drop), the verdict history, reset, the per-connection token
cache, and the HTTP/2 header-block check, all without sockets."""

from __future__ import annotations

import json
import math
import random
from typing import Any

import pytest

from fake_apns import (ApnsCore, ApnsFaultInjected, ApnsRequest, DeviceRegistry, Environment, FaultKind, Faults,
                       History, KeyRing, PendingFault, PushAccepted, PushRejected, Reason)
from fake_apns.models import malformed
from tests.support.jwt_es256 import bearer, new_key, provider_token
from tests.support.clocks import NOW, Clock

TEAM, KID, BUNDLE = "TEAM123456", "KEY1234567", "com.example.app"
KEY = new_key()
PROD = Environment.PRODUCTION


class Offline:
    def is_reachable(self, token: str) -> bool:
        return False


def make() -> tuple[ApnsCore, str, Clock]:
    clock = Clock()
    keys = KeyRing()
    keys.register(TEAM, KID, KEY.public_key())
    devices = DeviceRegistry(random.Random(1), clock)
    core = ApnsCore(keys=keys, devices=devices, clock=clock, faults=Faults(), rng=random.Random(2))
    return core, devices.register(BUNDLE, PROD), clock


AUTH = bearer(provider_token(KEY, key_id=KID, team_id=TEAM, iat=NOW))


def request(token: str, *, topic: str = BUNDLE, authorization: str = AUTH) -> ApnsRequest:
    return ApnsRequest.parse([(":method", "POST"), (":path", f"/3/device/{token}"), ("apns-topic", topic),
                              ("authorization", authorization)], json.dumps({"aps": {}}).encode())


def test_connection_faults_queue_apart_from_reason_faults() -> None:
    faults = Faults()
    queued = faults.push_delay(0.25, times=2, token="AA")
    faults.push(Reason.SHUTDOWN)
    faults.push_goaway(Reason.IDLE_TIMEOUT)
    faults.push_drop()
    assert queued == PendingFault(reason=None, remaining=2, token="aa", kind=FaultKind.DELAY, delay=0.25)
    assert [f.kind for f in faults.pending] == [FaultKind.REJECT, FaultKind.DELAY, FaultKind.GOAWAY, FaultKind.DROP]
    assert faults.take_connection_fault("bb") == PendingFault(reason=Reason.IDLE_TIMEOUT, remaining=0, token=None,
                                                              kind=FaultKind.GOAWAY)
    taken = [faults.take_connection_fault("aa") for _ in range(4)]
    assert [t.kind if t else None for t in taken] == [FaultKind.DELAY, FaultKind.DELAY, FaultKind.DROP, None]
    assert faults.take("aa") is Reason.SHUTDOWN and faults.pending == ()


@pytest.mark.parametrize("seconds", [-1.0, math.inf, math.nan])
def test_delay_must_be_finite_and_not_negative(seconds: float) -> None:
    with pytest.raises(ValueError, match="delay"):
        Faults().push_delay(seconds)
    assert Faults().push_delay(0).delay == 0.0


@pytest.mark.parametrize("push", [lambda f: f.push_goaway(times=0), lambda f: f.push_drop(times=0)])
def test_connection_fault_times_must_be_positive(push: Any) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        push(Faults())


def test_core_turns_a_connection_fault_into_an_event_for_the_request_token() -> None:
    core, token, _ = make()
    connection = core.new_connection()
    assert core.take_connection_fault(request(token), environment=PROD, connection=connection) is None
    core.faults.push_drop(token=token)
    event = core.take_connection_fault(request(token), environment=PROD, connection=connection)
    assert event == ApnsFaultInjected(at=NOW, environment=PROD, connection_id=connection.connection_id, token=token,
                                  kind=FaultKind.DROP, reason=None, delay=0.0)


def test_history_keeps_every_verdict_and_filters_them() -> None:
    core, token, _ = make()
    other = core.devices.register("com.example.other", PROD)
    connection = core.new_connection()
    for sent in (request(token), request(other, topic="com.example.other"), request("ab" * 32)):
        core.handle(sent, environment=PROD, connection=connection)
    history = core.history
    assert len(history) == 3 and [type(v) for v in history.received()] == [PushAccepted, PushAccepted, PushRejected]
    assert [v.token for v in history.accepted(topic="com.example.other")] == [other]
    assert [v.token for v in history.received(token=token.upper())] == [token]
    assert [v.reason for v in history.rejected(reason=Reason.BAD_DEVICE_TOKEN)] == [Reason.BAD_DEVICE_TOKEN]
    assert history.rejected(reason=Reason.UNREGISTERED) == []


def test_history_is_bounded_and_reset_clears_verdicts_faults_and_store() -> None:
    bounded = History(maxlen=2)
    core, token, _ = make()
    connection = core.new_connection()
    for _ in range(3):
        bounded.append(core.handle(request(token), environment=PROD, connection=connection))
    assert len(bounded) == 2
    core.faults.push(Reason.SHUTDOWN)
    core.mailbox.reachability = Offline()
    core.mailbox.accept(core.history.accepted()[0])
    core.reset()
    assert (len(core.history), core.faults.pending, core.mailbox.stored()) == (0, (), ())


def test_a_resent_provider_token_is_verified_once_per_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    core, token, clock = make()
    calls: list[str] = []
    real = core.keys.verify_token

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append("verify")
        return real(*args, **kwargs)

    monkeypatch.setattr(core.keys, "verify_token", counting)
    connection = core.new_connection()
    for _ in range(3):
        assert isinstance(core.handle(request(token), environment=PROD, connection=connection), PushAccepted)
    assert len(calls) == 1
    clock.now += 3601  # the cached token still ages
    expired = core.handle(request(token), environment=PROD, connection=connection)
    assert isinstance(expired, PushRejected) and expired.reason is Reason.EXPIRED_PROVIDER_TOKEN


def test_changing_the_keys_drops_the_cached_verification() -> None:
    core, token, _ = make()
    connection = core.new_connection()
    assert isinstance(core.handle(request(token), environment=PROD, connection=connection), PushAccepted)
    core.keys.register(TEAM, KID, new_key().public_key())  # the key was replaced: the old signature fails
    refused = core.handle(request(token), environment=PROD, connection=connection)
    assert isinstance(refused, PushRejected) and refused.reason is Reason.INVALID_PROVIDER_TOKEN


GOOD = [(b":method", b"POST"), (b":scheme", b"https"), (b":path", b"/3/device/ab"), (b"apns-topic", b"t")]


@pytest.mark.parametrize(("headers", "problem"), [
    (GOOD, None),
    ([*GOOD, (b":authority", b"x")], "pseudo-header"),
    ([(b"apns-topic", b"t"), *GOOD[:3]], "pseudo-header"),
    ([*GOOD[:3], (b":status", b"200")], "pseudo-header"),
    ([*GOOD, (b"Apns-Topic", b"t")], "not allowed"),
    ([*GOOD, (b"connection", b"close")], "not allowed"),
    ([*GOOD, (b"te", b"gzip")], "not allowed"),
    ([*GOOD, (b"te", b"trailers")], None),
    ([*GOOD, (b"", b"x")], "empty header name"),
    (GOOD[1:], ":method, :scheme and :path"),
    ([(b":method", b"POST"), (b":scheme", b"https"), (b":path", b"")], "empty :path"),
    ([GOOD[0], *GOOD], "pseudo-header"),
], ids=["good", "late-pseudo", "pseudo-after-regular", "response-pseudo", "upper-case", "connection", "te-gzip",
        "te-trailers", "empty-name", "missing-method", "empty-path", "repeated-pseudo"])
def test_malformed_header_blocks_are_named(headers: list[tuple[bytes, bytes]], problem: str | None) -> None:
    found = malformed(headers)
    assert found is None if problem is None else (found is not None and problem in found)
