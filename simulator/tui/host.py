"""The world behind the TUI: one ``Simulator`` with the A/B DM cast at a time, its bus pump, and
the waits tests and scripts use (ready, caught up). The app owns the host; the host runs its
coroutines as the app's workers and tells the app what happened with messages.

Invariants:
- One worker hosts the world (``async with Simulator``) and one pumps its bus into the inbox,
  posting a ``BusEventsPending`` (which coalesces) for the app to drain.
- A new world gets a new generation; batches and readiness of an older one are ignored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.app import App
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from ..clock import Clock
from ..config import SimConfig
from ..harness import Simulator
from ..story import cast_dm_world
from .controls import Controls, app_build
from .messages import BusEventsPending, WorldReady


class WorldHost:
    """Starts, pumps, restarts and closes the app's world."""

    def __init__(self, app: App[None], *, clock: Clock, on_started: Callable[[Simulator], None]) -> None:
        self._app, self._clock, self._on_started = app, clock, on_started
        self.sim: Simulator | None = None
        self.controls: Controls | None = None
        self.generation = 0
        self.phase = "starting"  # starting | ready | restarting | stopped
        self._stop: asyncio.Event | None = None
        self._worker: Worker[None] | None = None
        self._up = asyncio.Event()
        self._inbox: list[object] = []  # delivered by the pump, not yet drawn
        self._inbox_upto = 0
        self._seen = 0  # bus events before this sequence number are drawn
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []

    @property
    def up(self) -> bool:
        """True while a world is ready for moves."""
        return self._up.is_set() and self.controls is not None

    def start(self, config: SimConfig) -> None:
        """Start a world for ``config`` in a worker."""
        self.generation += 1
        self.phase, self._seen, self._inbox = "starting", 0, []
        self._up.clear()
        self._stop = asyncio.Event()
        self._worker = self._app.run_worker(self._host(config, self.generation, self._stop), group="world",
                                            name=f"world {self.generation}", exit_on_error=True)

    async def _host(self, config: SimConfig, generation: int, stop: asyncio.Event) -> None:
        async with Simulator(config, clock=self._clock) as sim:
            self.sim = sim
            self._on_started(sim)
            pump = self._app.run_worker(self._pump(sim, generation), group="pump", exit_on_error=True)
            try:
                cast = await cast_dm_world(sim, app=app_build(config))
                await cast.phone.to_background()  # doc 2.2: the app closed, still signed in
                self.controls = Controls(sim, cast)
                self._app.post_message(WorldReady(generation))
                await stop.wait()
            finally:
                self.controls = None
                pump.cancel()

    async def _pump(self, sim: Simulator, generation: int) -> None:
        with sim.bus.subscribe(maxsize=10_000) as events:
            start, received = sim.bus.mark(), 0
            self._deliver([e for _, e in sim.bus.history], start, generation)
            while True:
                batch = [await events.__anext__()]
                while (more := events.get_nowait()) is not None:
                    batch.append(more)
                received += len(batch)
                self._deliver(batch, start + received + events.dropped, generation)

    def _deliver(self, batch: list[object], upto: int, generation: int) -> None:
        if generation == self.generation:
            self._inbox.extend(batch)
            self._inbox_upto = upto
            self._app.post_message(BusEventsPending(generation))

    def mark_ready(self, generation: int) -> bool:
        """The world of ``generation`` is ready (False: an older world's news, ignore it)."""
        if generation != self.generation:
            return False
        self.phase = "ready"
        self._up.set()
        return True

    def take(self, generation: int) -> list[object]:
        """The events the pump delivered for ``generation`` since the last call."""
        if generation != self.generation:
            return []
        batch, self._inbox = self._inbox, []
        return batch

    def drawn(self) -> None:
        """Everything taken so far is on screen: release the waiters it satisfies."""
        self._seen = self._inbox_upto
        for _, future in [w for w in self._waiters if w[0] <= self._seen]:
            if not future.done():
                future.set_result(None)
        self._waiters = [w for w in self._waiters if not w[1].done()]

    async def close(self) -> None:
        """Stop the world and wait until it has closed (its errors fail the app)."""
        worker, self._worker = self._worker, None
        self._up.clear()
        self.phase = "stopped"
        if self._stop is not None:
            self._stop.set()
        if worker is not None:
            try:
                await worker.wait()
            except (WorkerFailed, WorkerCancelled):
                pass  # exit_on_error has already failed the app with the world's exception

    async def restart(self, config: SimConfig, *, timeout: float = 30.0) -> None:
        """Close this world and wait for a new one for ``config``."""
        await self.close()
        self.start(config)
        self.phase = "restarting"
        await self.ready(timeout)

    async def ready(self, timeout: float = 10.0) -> Simulator:
        """The running world, once its cast is in place."""
        async with asyncio.timeout(timeout):
            await self._up.wait()
        assert self.sim is not None
        return self.sim

    async def caught_up(self, timeout: float = 5.0) -> None:
        """Wait until every bus event published so far is on screen."""
        assert self.sim is not None, "no world yet"
        target = self.sim.bus.mark()
        if self._seen >= target:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((target, future))
        async with asyncio.timeout(timeout):
            await future
