"""The proxy's throttle (§2.7): fixed 1 s windows per vary-by key, on the injected clock."""

from __future__ import annotations

from multidict import CIMultiDict

from simulator.clock import FakeClock
from simulator.proxy import Throttle, ThrottleDecision


def throttle(clock: FakeClock, per_sec: int = 2, *, vary_by: tuple[str, ...] = ("X-Forwarded-For",),
             store_size: int = 50000) -> Throttle:
    return Throttle(per_sec=per_sec, vary_by=vary_by, store_size=store_size, clock=clock)


def test_allows_the_limit_then_denies_within_the_window(clock: FakeClock) -> None:
    t = throttle(clock)
    decisions = [t.check("k") for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, False, False]
    assert [d.remaining for d in decisions] == [1, 0, 0, 0]
    assert decisions[0] == ThrottleDecision(allowed=True, limit=2, remaining=1, reset=1)


def test_a_new_window_opens_after_one_second(clock: FakeClock) -> None:
    t = throttle(clock, per_sec=1)
    assert t.check("k").allowed and not t.check("k").allowed
    clock.advance(0.5)
    denied = t.check("k")
    assert not denied.allowed and denied.reset == 1  # 0.5 s left, rounded up
    clock.advance(0.5)
    assert t.check("k").allowed


def test_denied_requests_carry_retry_after_and_allowed_ones_do_not(clock: FakeClock) -> None:
    t = throttle(clock, per_sec=1)
    assert t.check("k").headers() == {"X-RateLimit-Limit": "1", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"}
    assert t.check("k").headers() == {"X-RateLimit-Limit": "1", "X-RateLimit-Remaining": "0",
                                      "X-RateLimit-Reset": "1", "Retry-After": "1"}


def test_zero_per_sec_is_clamped_to_one(clock: FakeClock) -> None:
    t = throttle(clock, per_sec=0)
    assert t.limit == 1
    assert [t.check("").allowed for _ in range(2)] == [True, False]


def test_keys_are_lower_cased_header_values_joined_by_newlines(clock: FakeClock) -> None:
    t = throttle(clock, vary_by=("X-Forwarded-For", "X-Real-IP"))
    headers = CIMultiDict({"x-forwarded-for": "10.0.0.1", "X-REAL-IP": "ABC"})
    assert t.key(headers) == "10.0.0.1\nabc"
    assert t.key(CIMultiDict()) == "\n"


def test_callers_without_the_header_share_one_bucket_and_others_have_their_own(clock: FakeClock) -> None:
    t = throttle(clock, per_sec=1)
    anonymous = t.key(CIMultiDict())
    assert t.check(anonymous).allowed and not t.check(anonymous).allowed
    assert t.check(t.key(CIMultiDict({"X-Forwarded-For": "10.0.0.2"}))).allowed


def test_the_store_forgets_the_least_recently_used_key(clock: FakeClock) -> None:
    t = throttle(clock, per_sec=1, store_size=2)
    assert t.check("a").allowed and t.check("b").allowed
    assert not t.check("a").allowed  # "a" is now the most recent
    assert t.check("c").allowed  # evicts "b"
    assert t.check("b").allowed  # a fresh window: "b" was forgotten
    assert not t.check("c").allowed
