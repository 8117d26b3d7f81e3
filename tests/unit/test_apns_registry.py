"""DeviceRegistry (tokens per app and environment) and Faults (queued rejections)."""

from __future__ import annotations

import random

import pytest

from fake_apns import DeviceRegistry, Environment, Faults, Reason, Rejection, UnknownDevice
from tests.support.clocks import Clock

BUNDLE = "com.example.app"
PROD, SANDBOX = Environment.PRODUCTION, Environment.SANDBOX


def registry(seed: int = 7, clock: Clock | None = None) -> DeviceRegistry:
    return DeviceRegistry(random.Random(seed), clock or Clock())


def active(devices: DeviceRegistry, token: str, *, topic: str = BUNDLE, environment: Environment = PROD) -> bool:
    try:
        devices.require_active(token, topic=topic, environment=environment)
    except Rejection:
        return False
    return True


def rejection(devices: DeviceRegistry, token: str, *, topic: str = BUNDLE, environment: Environment = PROD) -> Rejection:
    with pytest.raises(Rejection) as info:
        devices.require_active(token, topic=topic, environment=environment)
    return info.value


def test_tokens_are_64_lower_hex_unique_and_seeded() -> None:
    tokens = [registry(seed=3).register(BUNDLE, PROD) for _ in range(2)]
    assert tokens[0] == tokens[1]  # same seed, same first token
    devices = registry(seed=3)
    issued = {devices.register(BUNDLE, PROD) for _ in range(50)}
    assert len(issued) == 50
    assert all(len(t) == 64 and t == t.lower() and int(t, 16) >= 0 for t in issued)


def test_registered_token_is_active_for_its_app_and_environment() -> None:
    devices = registry()
    token = devices.register(BUNDLE, PROD)
    assert active(devices, token, topic=BUNDLE, environment=PROD)
    record = devices.lookup(token)
    assert record is not None and (record.topic, record.environment, record.active) == (BUNDLE, PROD, True)


def test_hex_case_of_the_token_does_not_matter() -> None:
    devices = registry()
    token = devices.register(BUNDLE, PROD)
    assert active(devices, token.upper(), topic=BUNDLE, environment=PROD)


def test_voip_and_other_suffixed_topics_match_the_base_bundle() -> None:
    devices = registry()
    token = devices.register(BUNDLE, PROD)
    for topic in (f"{BUNDLE}.voip", f"{BUNDLE}.push-type.liveactivity", f"{BUNDLE}.pushkit.fileprovider"):
        assert active(devices, token, topic=topic, environment=PROD)
    assert rejection(devices, token, topic="com.example.other.voip").reason is Reason.DEVICE_TOKEN_NOT_FOR_TOPIC


def test_unregistered_token_gets_410_with_the_uninstall_time_in_ms() -> None:
    clock = Clock(1_767_225_600.5)
    devices = registry(clock=clock)
    token = devices.register(BUNDLE, PROD)
    devices.unregister(token)
    clock.now += 500  # later pushes still report the time of the uninstall
    devices.unregister(token)  # idempotent: the first time is kept
    err = rejection(devices, token)
    assert (err.reason, err.timestamp_ms) == (Reason.UNREGISTERED, 1_767_225_600_500)
    record = devices.lookup(token)
    assert record is not None and not record.active and record.unregistered_at == 1_767_225_600.5


def test_reinstall_gets_a_new_active_token() -> None:
    devices = registry()
    old = devices.register(BUNDLE, PROD)
    devices.unregister(old)
    new = devices.register(BUNDLE, PROD)
    assert new != old and active(devices, new)
    assert rejection(devices, old).reason is Reason.UNREGISTERED


def test_token_of_the_other_environment_is_a_bad_device_token() -> None:
    devices = registry()
    sandbox = devices.register(BUNDLE, SANDBOX)
    assert active(devices, sandbox, topic=BUNDLE, environment=SANDBOX)
    err = rejection(devices, sandbox, environment=PROD)
    assert err.reason is Reason.BAD_DEVICE_TOKEN and "sandbox" in err.detail


def test_token_of_another_app_is_not_for_topic() -> None:
    devices = registry()
    token = devices.register("com.example.other", PROD)
    assert rejection(devices, token).reason is Reason.DEVICE_TOKEN_NOT_FOR_TOPIC


@pytest.mark.parametrize("token", ["", "abc", "zz" * 32, "ab cd", "ab" * 32], ids=["empty", "odd", "not-hex",
                                                                                     "space", "never-issued"])
def test_malformed_or_unknown_tokens_are_bad_device_tokens(token: str) -> None:
    assert rejection(registry(), token).reason is Reason.BAD_DEVICE_TOKEN


def test_unregister_of_an_unknown_token_is_an_error() -> None:
    with pytest.raises(UnknownDevice, match="ffff"):
        registry().unregister("ffff")
    assert registry().lookup("ffff") is None


def test_fault_is_one_shot_by_default() -> None:
    faults = Faults()
    faults.push(Reason.INTERNAL_SERVER_ERROR)
    assert [faults.take("aa"), faults.take("aa")] == [Reason.INTERNAL_SERVER_ERROR, None]


def test_fault_times_and_fifo_order() -> None:
    faults = Faults()
    faults.push(Reason.TOO_MANY_REQUESTS, times=2)
    faults.push(Reason.SHUTDOWN)
    assert [faults.take("aa") for _ in range(4)] == [Reason.TOO_MANY_REQUESTS, Reason.TOO_MANY_REQUESTS,
                                                     Reason.SHUTDOWN, None]


def test_token_scoped_fault_hits_only_that_token() -> None:
    faults = Faults()
    faults.push(Reason.EXPIRED_TOKEN, token="AABB")
    assert faults.take("ccdd") is None
    assert faults.take("aabb") is Reason.EXPIRED_TOKEN
    assert faults.pending == ()


def test_clear_drops_everything_and_pending_shows_the_queue() -> None:
    faults = Faults()
    faults.push(Reason.SERVICE_UNAVAILABLE, times=3, token="aa")
    assert [(f.reason, f.remaining, f.token) for f in faults.pending] == [(Reason.SERVICE_UNAVAILABLE, 3, "aa")]
    faults.clear()
    assert faults.take("aa") is None


def test_fault_times_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Faults().push(Reason.SHUTDOWN, times=0)


# -- installs per (phone, bundle id, environment) ---------------------------------------------


def test_named_phone_keeps_one_token_per_app_and_environment() -> None:
    devices = registry()
    token = devices.register(BUNDLE, PROD, device="phone-1")
    assert devices.register(BUNDLE, PROD, device="phone-1") == token
    others = {devices.register(BUNDLE, SANDBOX, device="phone-1"), devices.register("com.example.other", PROD,
                                                                                   device="phone-1"),
              devices.register(BUNDLE, PROD, device="phone-2"), devices.register(BUNDLE, PROD)}
    assert token not in others and len(others) == 4
    record = devices.lookup(token)
    assert record is not None and record.device == "phone-1"


def test_unnamed_registrations_are_fresh_installs_each_time() -> None:
    devices = registry()
    assert devices.register(BUNDLE, PROD) != devices.register(BUNDLE, PROD)


def test_reinstall_on_a_named_phone_gets_a_new_token_and_the_old_one_stays_410() -> None:
    clock = Clock()
    devices = registry(clock=clock)
    old = devices.register(BUNDLE, PROD, device="phone-1")
    devices.unregister(old)
    clock.now += 60
    new = devices.register(BUNDLE, PROD, device="phone-1")
    assert new != old and active(devices, new)
    assert devices.register(BUNDLE, PROD, device="phone-1") == new
    err = rejection(devices, old)
    assert (err.reason, err.timestamp_ms) == (Reason.UNREGISTERED, 1_767_225_600_000)


def test_sandbox_token_of_a_named_phone_is_a_bad_device_token_in_production() -> None:
    devices = registry()
    sandbox = devices.register(BUNDLE, SANDBOX, device="phone-1")
    assert active(devices, sandbox, environment=SANDBOX)
    assert rejection(devices, sandbox, environment=PROD).reason is Reason.BAD_DEVICE_TOKEN


def test_tokens_of_lists_a_phones_live_tokens() -> None:
    devices = registry()
    a = devices.register(BUNDLE, PROD, device="phone-1")
    b = devices.register("com.example.other", PROD, device="phone-1")
    devices.register(BUNDLE, PROD, device="phone-2")
    devices.unregister(b)
    assert devices.tokens_of("phone-1") == (a,) and devices.tokens_of("") == () and devices.tokens_of("nobody") == ()
