"""The shared retry loop (§4.4, §5.4) on virtual time: 3 tries, per-try and total deadlines,
1 s then 2 s back-off; and the ManualTimer that drives it without waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from simulator.bus import EventBus
from simulator.clock import FakeClock
from simulator.events import LogLine
from simulator.proxy import ManualTimer, ProxyLog, RetryPolicy
from simulator.proxy.retry import DEADLINE_EXCEEDED, Failure, with_retries

TOKEN = "c1749efbcf2a3516c0ffee00"


class Script:
    """An attempt that plays back outcomes; "hang" waits forever (until its timeout)."""

    def __init__(self, *outcomes: object) -> None:
        self.outcomes, self.calls = list(outcomes), 0

    async def __call__(self) -> object:
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if outcome == "hang":
            await asyncio.Event().wait()
        return outcome


def run(script: Script, timer: ManualTimer, bus: EventBus, clock: FakeClock,
        policy: RetryPolicy = RetryPolicy()) -> asyncio.Task[object]:
    log = ProxyLog(component="proxy", clock=clock, publish=bus.publish)
    return asyncio.ensure_future(with_retries(script, policy=policy, timer=timer, log=log,
                                              failed_message="Failed to send apple push", device_id=TOKEN))


def messages(bus: EventBus) -> list[str]:
    return [line.message for line in bus.find(LogLine)]


async def drive(task: asyncio.Task[object], timer: ManualTimer, *steps: tuple[str, float]) -> object:
    """For each (kind, seconds): wait until a sleep/timeout of that kind is armed, check its delay, pass it."""
    for kind, seconds in steps:
        assert await timer.wait_armed(kind) == pytest.approx(seconds)
        await timer.advance(seconds)
    async with asyncio.timeout(5):
        return await task


FAIL = Failure(error="connection closed by peer", retryable=True)


async def test_an_answer_on_the_first_try_is_returned_at_once(clock: FakeClock) -> None:
    timer, bus = ManualTimer(), EventBus()
    script = Script("answer")
    assert await drive(run(script, timer, bus, clock), timer) == "answer"
    assert (script.calls, timer.slept, messages(bus)) == (1, [], [])


async def test_a_transport_failure_then_success_sleeps_one_second(clock: FakeClock) -> None:
    timer, bus = ManualTimer(), EventBus()
    script = Script(FAIL, "answer")
    assert await drive(run(script, timer, bus, clock), timer, ("sleep", 1.0)) == "answer"
    assert (script.calls, timer.slept) == (2, [1.0])
    (line,) = bus.find(LogLine)
    assert line.fields == (("did", "c1749efbcf2a3516…"), ("retry", "0"), ("err", "connection closed by peer"))


async def test_three_failures_back_off_one_then_two_seconds_and_give_up(clock: FakeClock) -> None:
    timer, bus = ManualTimer(), EventBus()
    script = Script(FAIL, FAIL, FAIL, "never")
    assert await drive(run(script, timer, bus, clock), timer, ("sleep", 1.0), ("sleep", 2.0)) == FAIL
    assert (script.calls, timer.slept) == (3, [1.0, 2.0])
    assert messages(bus) == ["Failed to send apple push"] * 3 + ["Max retries reached"]


async def test_an_unretryable_failure_is_final(clock: FakeClock) -> None:
    timer, bus = ManualTimer(), EventBus()
    final = Failure(error="Requested entity was not found.", retryable=False, code="UNREGISTERED")
    script = Script(final, "never")
    assert await drive(run(script, timer, bus, clock), timer) == final
    assert (script.calls, timer.slept) == (1, [])


async def test_a_hung_try_hits_its_own_deadline_then_the_retry_succeeds(clock: FakeClock) -> None:
    timer, bus = ManualTimer(clock), EventBus()
    start = clock()
    script = Script("hang", "answer")
    assert await drive(run(script, timer, bus, clock), timer, ("timeout", 8.0), ("sleep", 1.0)) == "answer"
    assert clock() - start == 9.0  # the world clock moved with the retries
    assert bus.find(LogLine)[0].fields[-1] == ("err", DEADLINE_EXCEEDED)


async def test_the_total_budget_cuts_the_back_off_short(clock: FakeClock) -> None:
    timer, bus = ManualTimer(), EventBus()
    policy = RetryPolicy(send_timeout=8.5, retry_timeout=8.0)
    script = Script("hang", "never")
    result = await drive(run(script, timer, bus, clock, policy), timer, ("timeout", 8.0), ("sleep", 0.5))
    assert result == Failure(error=DEADLINE_EXCEEDED, retryable=True)
    assert (script.calls, timer.slept) == (1, [0.5])
    assert messages(bus) == ["Failed to send apple push", "Not retrying because context error"]


async def test_the_last_try_gets_only_what_is_left_of_the_budget(clock: FakeClock) -> None:
    timer, bus = ManualTimer(), EventBus()
    policy = RetryPolicy(send_timeout=12.0, retry_timeout=8.0)
    script = Script("hang", "hang", "never")
    task = run(script, timer, bus, clock, policy)
    result = await drive(task, timer, ("timeout", 8.0), ("sleep", 1.0), ("timeout", 3.0))
    assert result == Failure(error=DEADLINE_EXCEEDED, retryable=True)
    assert script.calls == 2
    assert messages(bus)[-1] == "Not retrying because context error"


async def test_manual_timer_fires_nothing_before_its_time() -> None:
    timer = ManualTimer()
    woke: list[float] = []

    async def sleeper(seconds: float) -> None:
        await timer.sleep(seconds)
        woke.append(seconds)

    later, sooner = tasks = [asyncio.ensure_future(sleeper(s)) for s in (2.0, 1.0)]
    await timer.wait_armed("sleep")
    await timer.advance(0.5)
    assert woke == [] and [kind for kind, _ in timer.pending] == ["sleep", "sleep"]
    await timer.advance(0.5)
    async with asyncio.timeout(1):  # real seconds: the 1 s sleeper is due now and must finish at once
        await sooner
    assert woke == [1.0] and not later.done()
    await timer.advance(1.0)
    await asyncio.gather(*tasks)
    assert woke == [1.0, 2.0] and timer.pending == []


async def test_manual_timer_timeout_raises_timeout_error_and_cleans_up() -> None:
    timer = ManualTimer()

    async def body() -> None:
        async with timer.timeout(3.0):
            await asyncio.Event().wait()

    task = asyncio.ensure_future(body())
    assert await timer.wait_armed("timeout") == 3.0
    await timer.advance(3.0)
    with pytest.raises(TimeoutError):
        await task
    async with timer.timeout(1.0):
        pass
    assert timer.pending == []


def test_manual_timer_refuses_going_back() -> None:
    with pytest.raises(ValueError, match="negative"):
        asyncio.run(ManualTimer().advance(-1))


@pytest.mark.parametrize("make", [lambda: ManualTimer(), lambda: ManualTimer(FakeClock(start=5.0))])
def test_manual_timer_now(make: Callable[[], ManualTimer]) -> None:
    timer = make()
    before = timer.now()
    asyncio.run(timer.advance(2.5))
    assert timer.now() - before == 2.5


async def test_autojump_moves_time_on_a_sleep_at_once(clock: FakeClock) -> None:
    timer, bus = ManualTimer(clock, autojump=True), EventBus()
    start = clock()
    script = Script(FAIL, FAIL, "answer")
    async with asyncio.timeout(5):
        assert await run(script, timer, bus, clock) == "answer"
    assert (timer.slept, clock() - start) == ([1.0, 2.0], 3.0)
