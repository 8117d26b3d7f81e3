from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from simulator import FakeClock, SimConfig, Simulator
from simulator.story import DmCast, cast_dm_world


@pytest.fixture
async def sim(clock: FakeClock) -> AsyncIterator[Simulator]:
    async with Simulator(SimConfig(seed=11), clock=clock) as world:
        yield world


@pytest.fixture
async def cast(sim: Simulator) -> DmCast:
    return await cast_dm_world(sim)
